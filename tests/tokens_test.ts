/**
 * Token lifecycle: ticket, component token, authorizer tokens, single-flight refresh,
 * refresh-if-stale, refresh-token durability, 61023 recovery, events, expiry sweep.
 *
 * Upstream is a small scripted fake of WeChat's token endpoints (below) so each rule can be
 * driven precisely; `client_test.ts` runs the APIs against the WeChatSimulator.
 */

import assert from "node:assert/strict";
import {
  ComponentClient,
  MemoryStore,
  MissingTicketError,
  NetworkError,
  ReauthorizationRequiredError,
  storageKeys,
  type Store,
  type StorePutOptions,
  WeChatError,
  WxOpenError,
} from "../mod.ts";
import { SingleFlight } from "../src/tokens/_single_flight.ts";
import { FaultyStore } from "../src/testing/faulty_store.ts";
import { StoreError } from "../src/store/errors.ts";
import { DenoKvStore } from "../src/store/deno_kv.ts";

const COMPONENT_APPID = "wxcomponent0000001";
const SECRET = "component-secret-0123456789abcdef";
const AUTHORIZER = "wxauthorizer000001";

type Fault = number | "network" | { status: number; body: string } | { errmsg: string };

/** A fake of WeChat's token endpoints with counters and per-path fault queues. */
class FakeWeChat {
  clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  calls: { path: string; query: URLSearchParams; body: Record<string, unknown> }[] = [];
  componentTokens = new Set<string>();
  authorizerTokens = new Set<string>();
  /** The refresh token WeChat currently accepts, per authorizer. */
  refreshTokens = new Map<string, string>();
  authCodes = new Map<string, string>();
  faults = new Map<string, Fault[]>();
  /** When set, api_authorizer_token returns a new refresh token every time. */
  rotateRefreshTokens = false;
  /** When set, every response waits for this promise (to hold refreshes in flight). */
  gate: Promise<void> | undefined;
  #seq = 0;

  count(path: string): number {
    return this.calls.filter((c) => c.path.endsWith(path)).length;
  }

  fault(path: string, ...faults: Fault[]): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
  }

  grant(appid: string): string {
    const code = `queryauthcode@@@${appid}-${++this.#seq}`;
    this.authCodes.set(code, appid);
    return code;
  }

  fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === "string" ? input : (input as Request).url);
    const body = init?.body ? JSON.parse(String(init.body)) : {};
    const path = url.pathname.replace(/^.*\/cgi-bin\/component\//, "");
    this.calls.push({ path, query: url.searchParams, body });
    if (this.gate) await this.gate;
    const queued = this.faults.get(path)?.shift();
    if (queued !== undefined) {
      if (queued === "network") {
        throw new TypeError(`error sending request for url (${url.href})`);
      }
      if (typeof queued === "number") {
        return json({ errcode: queued, errmsg: `fault rid: r-${queued}` });
      }
      if ("status" in queued) return new Response(queued.body, { status: queued.status });
      return json({ errcode: 40013, errmsg: queued.errmsg });
    }
    const ctoken = url.searchParams.get("component_access_token");
    const needsComponent = path !== "api_component_token";
    if (needsComponent && !this.componentTokens.has(ctoken ?? "")) {
      return json({ errcode: 40001, errmsg: "invalid credential rid: x" });
    }
    switch (path) {
      case "api_component_token": {
        if (body.component_appsecret !== SECRET) {
          return json({ errcode: 40125, errmsg: "invalid appsecret" });
        }
        const token = `ctoken-${++this.#seq}`;
        this.componentTokens.add(token);
        return json({ component_access_token: token, expires_in: 7200 });
      }
      case "api_create_preauthcode":
        return json({ pre_auth_code: `preauthcode@@@${++this.#seq}`, expires_in: 600 });
      case "api_query_auth": {
        const code = String(body.authorization_code);
        const appid = this.authCodes.get(code);
        if (!appid) return json({ errcode: 61009, errmsg: "code is invalid" });
        this.authCodes.delete(code);
        const refresh = `refreshtoken@@@${appid}-${++this.#seq}`;
        this.refreshTokens.set(appid, refresh);
        const token = `atoken-${++this.#seq}`;
        this.authorizerTokens.add(token);
        return json({
          authorization_info: {
            authorizer_appid: appid,
            authorizer_access_token: token,
            expires_in: 7200,
            authorizer_refresh_token: refresh,
            func_info: [{ funcscope_category: { id: 1 } }],
          },
        });
      }
      case "api_authorizer_token": {
        const appid = String(body.authorizer_appid);
        const current = this.refreshTokens.get(appid);
        if (current === undefined) {
          return json({ errcode: 61003, errmsg: "component is not authorized" });
        }
        if (body.authorizer_refresh_token !== current) {
          return json({ errcode: 61023, errmsg: "refresh_token is invalid" });
        }
        let refresh = current;
        if (this.rotateRefreshTokens) {
          refresh = `refreshtoken@@@${appid}-${++this.#seq}`;
          this.refreshTokens.set(appid, refresh);
        }
        const token = `atoken-${++this.#seq}`;
        this.authorizerTokens.add(token);
        return json({
          authorizer_access_token: token,
          expires_in: 7200,
          authorizer_refresh_token: refresh,
        });
      }
      case "api_get_authorizer_list": {
        const list = [...this.refreshTokens].map(([appid, refresh]) => ({
          authorizer_appid: appid,
          refresh_token: refresh,
          auth_time: 1700000000,
        }));
        return json({ total_count: list.length, list });
      }
      default:
        return json({ errcode: 40097, errmsg: "invalid args" });
    }
  };
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } });
}

/** A client of `wechat` over `store`, on `wechat`'s clock (another instance when called again). */
function clientOf(
  wechat: FakeWeChat,
  store: Store,
  hook?: (a: string, r: string) => unknown,
): ComponentClient {
  return new ComponentClient({
    appId: COMPONENT_APPID,
    appSecret: SECRET,
    store,
    fetch: wechat.fetch,
    now: () => wechat.clock.now,
    onAuthorizerRefreshToken: hook,
  });
}

function setup<S extends Store = MemoryStore>(
  options: {
    /** The store, or a factory given the fake's clock. */
    store?: S | ((now: () => number) => S);
    hook?: (a: string, r: string) => unknown;
  } = {},
) {
  const wechat = new FakeWeChat();
  const now = () => wechat.clock.now;
  const store = typeof options.store === "function"
    ? options.store(now)
    : options.store ?? new MemoryStore({ now }) as Store as S;
  return { wechat, client: clientOf(wechat, store, options.hook), store };
}

async function authorized(env: ReturnType<typeof setup>): Promise<void> {
  await env.client.acceptTicket("ticket@@@1");
  await env.client.queryAuth(env.wechat.grant(AUTHORIZER));
}

async function storedRefreshToken(store: { get(k: string): Promise<string | null> }) {
  const raw = await store.get(storageKeys.authorizerRefresh(AUTHORIZER));
  return raw === null ? null : (JSON.parse(raw) as { refreshToken: string }).refreshToken;
}

// ------------------------------------------------------------------ ticket

Deno.test("without a ticket the component token fails clearly and calls nobody", async () => {
  const { client, wechat } = setup();
  await assert.rejects(client.componentAccessToken(), (e: unknown) => {
    assert.ok(e instanceof MissingTicketError);
    assert.match(e.message, /startPushTicket\(\)/);
    return true;
  });
  assert.equal(wechat.calls.length, 0);
});

Deno.test("a ticket is used for 12 hours from receipt, then refused", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  wechat.clock.now += 12 * 3600_000 - 1000;
  assert.match(await client.componentAccessToken(), /^ctoken-/);
  await client.acceptTicket("ticket@@@1", { receivedAt: wechat.clock.now - 12 * 3600_000 });
  wechat.clock.now += 3 * 3600_000; // the component token is stale now
  await assert.rejects(client.refreshComponentAccessToken(), MissingTicketError);
  assert.equal(wechat.count("api_component_token"), 1);
});

Deno.test("WeChat rejecting the ticket (61006) becomes a MissingTicketError", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  wechat.fault("api_component_token", 61006);
  await assert.rejects(client.componentAccessToken(), MissingTicketError);
});

Deno.test("an older ticket push arriving late does not replace a newer ticket", async () => {
  const { client, wechat } = setup();
  const seconds = Math.floor(wechat.clock.now / 1000);
  await client.handleComponentEvent({
    InfoType: "component_verify_ticket",
    AppId: COMPONENT_APPID,
    CreateTime: String(seconds),
    ComponentVerifyTicket: "ticket@@@new",
  });
  await client.handleComponentEvent({
    InfoType: "component_verify_ticket",
    AppId: COMPONENT_APPID,
    CreateTime: String(seconds - 600),
    ComponentVerifyTicket: "ticket@@@old",
  });
  assert.equal((await client.currentTicket())?.ticket, "ticket@@@new");
});

/** A `component_verify_ticket` push created at `createTimeMs` (WeChat's clock). */
function ticketPush(ticket: string, createTimeMs: number) {
  return {
    InfoType: "component_verify_ticket",
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(createTimeMs / 1000)),
    ComponentVerifyTicket: ticket,
  };
}

/** A store that counts the writes of each key. */
class CountingStore extends MemoryStore {
  readonly writes = new Map<string, number>();
  override async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    return await super.put(key, value, options);
  }
}

Deno.test("a ticket push from the future is refused and stores nothing: it cannot pin the ticket", async () => {
  const env = setup({ store: (now) => new CountingStore({ now }) });
  const now = () => env.wechat.clock.now;
  await env.client.handleComponentEvent(ticketPush("ticket@@@real", now()));
  const before = await env.store.get(storageKeys.ticket);
  await assert.rejects(
    env.client.handleComponentEvent(ticketPush("ticket@@@future", now() + 30 * 86400_000)),
    (e: unknown) => e instanceof WxOpenError && e.code === "invalid_field" && !e.retryable,
  );
  assert.equal(await env.store.get(storageKeys.ticket), before);
  assert.equal(env.store.writes.get(storageKeys.ticket), 1);
  // Just beyond the allowed skew: refused too; within it: taken.
  await assert.rejects(
    env.client.handleComponentEvent(ticketPush("ticket@@@ahead", now() + 5 * 60_000 + 1000)),
    WxOpenError,
  );
  env.wechat.clock.now += 10 * 60_000;
  assert.deepEqual(
    await env.client.handleComponentEvent(ticketPush("ticket@@@next", now() + 4 * 60_000)),
    { action: "ticket_stored" },
  );
  assert.equal((await env.client.currentTicket())?.ticket, "ticket@@@next");
  // The next real push (older than the one within the skew) is still ignored, as before.
  await env.client.handleComponentEvent(ticketPush("ticket@@@older", now()));
  assert.equal((await env.client.currentTicket())?.ticket, "ticket@@@next");
});

Deno.test("a ticket push older than the ticket's 12 h validity is refused and stores nothing", async () => {
  const env = setup();
  const now = env.wechat.clock.now;
  await assert.rejects(
    env.client.handleComponentEvent(ticketPush("ticket@@@stale", now - 12 * 3600_000 - 1000)),
    (e: unknown) => e instanceof WxOpenError && e.code === "invalid_field",
  );
  assert.equal(await env.client.currentTicket(), null);
  assert.equal(await env.store.get(storageKeys.ticket), null);
});

Deno.test("a ticket's age and usability count from WeChat's CreateTime when earlier than receipt", async () => {
  const env = setup({ store: (now) => new CountingStore({ now }) });
  const createdAt = Math.floor((env.wechat.clock.now - 11 * 3600_000) / 1000) * 1000;
  await env.client.handleComponentEvent(ticketPush("ticket@@@old", createdAt));
  const info = await env.client.currentTicket();
  assert.deepEqual(info, {
    ticket: "ticket@@@old",
    receivedAt: env.wechat.clock.now,
    createdAt,
    expiresAt: createdAt + 12 * 3600_000,
  });
  const meta = await env.store.getWithMetadata(storageKeys.ticket);
  assert.equal(meta.metadata?.expiresAt, createdAt + 12 * 3600_000);
  // WeChat's retry of the same push writes nothing.
  await env.client.handleComponentEvent(ticketPush("ticket@@@old", createdAt));
  assert.equal(env.store.writes.get(storageKeys.ticket), 1);
  env.wechat.clock.now = createdAt + 12 * 3600_000 - 1000;
  assert.match(await env.client.componentAccessToken(), /^ctoken-/);
  env.wechat.clock.now = createdAt + 12 * 3600_000;
  await assert.rejects(env.client.refreshComponentAccessToken(), MissingTicketError);
  // A CreateTime within the skew ahead of receipt: the receipt counts.
  await env.client.handleComponentEvent(ticketPush("ticket@@@new", env.wechat.clock.now + 60_000));
  const ahead = await env.client.currentTicket();
  assert.equal(ahead?.createdAt, Math.floor((env.wechat.clock.now + 60_000) / 1000) * 1000);
  assert.equal(ahead?.expiresAt, env.wechat.clock.now + 12 * 3600_000);
});

Deno.test("ticket records stored before createdAt existed still read", async () => {
  const env = setup();
  const receivedAt = env.wechat.clock.now - 3600_000;
  await env.store.put(storageKeys.ticket, JSON.stringify({ ticket: "ticket@@@v1", receivedAt }));
  assert.deepEqual(await env.client.currentTicket(), {
    ticket: "ticket@@@v1",
    receivedAt,
    expiresAt: receivedAt + 12 * 3600_000,
  });
  assert.match(await env.client.componentAccessToken(), /^ctoken-/);
  // A record pinned by a CreateTime from the future (stored before it was refused) pins nothing.
  const pinned = { ticket: "ticket@@@pinned", receivedAt, createTime: 4_000_000_000 };
  await env.store.put(storageKeys.ticket, JSON.stringify(pinned));
  assert.equal((await env.client.currentTicket())?.createdAt, undefined);
  await env.client.handleComponentEvent(ticketPush("ticket@@@genuine", env.wechat.clock.now));
  assert.equal((await env.client.currentTicket())?.ticket, "ticket@@@genuine");
  // A manually accepted ticket has no CreateTime either.
  const manual = await env.client.acceptTicket("ticket@@@manual");
  assert.equal(manual.createdAt, undefined);
  assert.equal(manual.expiresAt, env.wechat.clock.now + 12 * 3600_000);
});

// ------------------------------------------------------------------ component token

Deno.test("the component token is cached and refreshed ahead of expiry", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  const first = await client.componentAccessTokenInfo();
  assert.equal(await client.componentAccessToken(), first.token);
  assert.equal(first.expiresAt, wechat.clock.now + 7200_000);
  wechat.clock.now += 7200_000 - 599_000; // inside the 600 s margin, not yet expired
  const second = await client.componentAccessToken();
  assert.notEqual(second, first.token);
  assert.equal(wechat.count("api_component_token"), 2);
  assert.deepEqual(await client.cachedComponentAccessToken(), {
    token: second,
    expiresAt: wechat.clock.now + 7200_000,
  });
});

Deno.test("100 concurrent callers on an expired component token → exactly 1 upstream refresh", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  await client.componentAccessToken();
  wechat.clock.now += 7200_000 + 1;
  const tokens = await Promise.all(
    Array.from({ length: 100 }, () => client.componentAccessToken()),
  );
  assert.equal(new Set(tokens).size, 1);
  assert.equal(wechat.count("api_component_token"), 2);
});

Deno.test("a failed margin refresh still serves the stored, unexpired token", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  const token = await client.componentAccessToken();
  wechat.clock.now += 7000_000;
  wechat.fault("api_component_token", -1);
  assert.equal(await client.componentAccessToken(), token);
  wechat.clock.now += 300_000; // expired now: the failure shows
  wechat.fault("api_component_token", -1);
  await assert.rejects(client.componentAccessToken(), WeChatError);
});

Deno.test("40001 mid-flight: refresh once, retry once, never loop", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  const before = await client.componentAccessToken();
  wechat.componentTokens.delete(before); // WeChat invalidates the token behind our back
  const code = await client.createPreAuthCode();
  assert.match(code.pre_auth_code, /^preauthcode@@@/);
  assert.equal(wechat.count("api_component_token"), 2);
  assert.equal(wechat.count("api_create_preauthcode"), 2);

  // WeChat keeps saying 40001: one refresh, one retry, then the error surfaces.
  wechat.fault("api_create_preauthcode", 40001, 40001, 40001);
  await assert.rejects(
    client.createPreAuthCode(),
    (e: unknown) => e instanceof WeChatError && e.errcode === 40001,
  );
  assert.equal(wechat.count("api_create_preauthcode"), 4);
  assert.equal(wechat.count("api_component_token"), 3);
});

Deno.test("refresh-if-stale refreshes only when the stored token is the failed one", async () => {
  const { client, wechat } = setup();
  await client.acceptTicket("ticket@@@1");
  const t1 = await client.componentAccessToken();
  const t2 = (await client.refreshComponentAccessTokenIfStale(t1)).token;
  assert.notEqual(t2, t1);
  assert.equal(wechat.count("api_component_token"), 2);
  // A late report about t1 does not refresh again.
  assert.equal((await client.refreshComponentAccessTokenIfStale(t1)).token, t2);
  assert.equal(wechat.count("api_component_token"), 2);
  // 50 concurrent reports about t2 → one refresh.
  const results = await Promise.all(
    Array.from({ length: 50 }, () => client.refreshComponentAccessTokenIfStale(t2)),
  );
  assert.equal(new Set(results.map((r) => r.token)).size, 1);
  assert.equal(wechat.count("api_component_token"), 3);
});

Deno.test("a superseded token never comes back when the store takes neither write nor delete", async () => {
  const faulty = new FaultyStore(new MemoryStore());
  const { client, wechat } = setup({ store: faulty });
  await client.acceptTicket("ticket@@@1");
  const t1 = await client.componentAccessToken();
  const key = storageKeys.componentToken;
  // Every write and delete of the token fails while it is replaced: the store keeps t1.
  faulty.inject({ ops: ["put", "delete"], key, times: Infinity });
  const t2 = (await client.refreshComponentAccessTokenIfStale(t1)).token;
  assert.notEqual(t2, t1);
  assert.equal(JSON.parse((await faulty.inner.get(key))!).token, t1);
  faulty.clearFaults();
  // The stored t1 is known superseded: t2 is served, not t1.
  assert.equal(await client.componentAccessToken(), t2);
  // A report about t2 refreshes; it never answers with t1.
  const t3 = (await client.refreshComponentAccessTokenIfStale(t2)).token;
  assert.ok(t3 !== t1 && t3 !== t2);
  assert.equal(wechat.count("api_component_token"), 3);
  // That refresh's write landed: the store is right again.
  assert.equal(JSON.parse((await faulty.inner.get(key))!).token, t3);
});

// ------------------------------------------------------------------ authorizer tokens

Deno.test("queryAuth persists the refresh token before returning", async () => {
  const seen: (string | null)[] = [];
  const hookStore = new MemoryStore();
  const env = setup({
    store: hookStore,
    hook: async (_appid) => seen.push(await storedRefreshToken(hookStore)),
  });
  await env.client.acceptTicket("ticket@@@1");
  const result = await env.client.queryAuth(env.wechat.grant(AUTHORIZER));
  const refresh = result.authorization_info.authorizer_refresh_token!;
  assert.deepEqual(seen, [refresh]);
  assert.equal(await storedRefreshToken(hookStore), refresh);
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "authorized");
  assert.ok(!JSON.stringify(record).includes(refresh));
  assert.equal(
    await env.client.authorizerAccessToken(AUTHORIZER),
    result.authorization_info.authorizer_access_token,
  );
  assert.equal(env.wechat.count("api_authorizer_token"), 0);
});

Deno.test("queryAuth fails when the refresh token cannot be stored", async () => {
  const faulty = new FaultyStore(new MemoryStore());
  const env = setup({ store: faulty });
  await env.client.acceptTicket("ticket@@@1");
  // Not retryable (a retryable failure is retried: the code is spent; see tests/soak_test.ts).
  faulty.inject({
    ops: "put",
    key: storageKeys.authorizerRefresh(AUTHORIZER),
    fault: new StoreError("Store write refused", { retryable: false }),
  });
  await assert.rejects(env.client.queryAuth(env.wechat.grant(AUTHORIZER)));
  assert.equal(await faulty.inner.get(storageKeys.authorizerToken(AUTHORIZER)), null);
});

Deno.test("100 concurrent callers on an expired authorizer token → exactly 1 upstream refresh", async () => {
  const env = setup();
  await authorized(env);
  env.wechat.clock.now += 7200_000 + 1;
  const before = env.wechat.count("api_authorizer_token");
  const tokens = await Promise.all(
    Array.from({ length: 100 }, () => env.client.authorizerAccessToken(AUTHORIZER)),
  );
  assert.equal(new Set(tokens).size, 1);
  assert.equal(env.wechat.count("api_authorizer_token") - before, 1);
  assert.equal(env.wechat.count("api_component_token"), 2); // the component token expired too
});

Deno.test("a rotated refresh token is stored before the access token is returned", async () => {
  const env = setup();
  await authorized(env);
  env.wechat.rotateRefreshTokens = true;
  env.wechat.clock.now += 7200_000;
  await env.client.authorizerAccessToken(AUTHORIZER);
  assert.equal(await storedRefreshToken(env.store), env.wechat.refreshTokens.get(AUTHORIZER));
});

Deno.test("a store failing mid-refresh loses nothing: the old refresh token stays", async () => {
  const faulty = new FaultyStore(new MemoryStore());
  const env = setup({ store: faulty });
  await authorized(env);
  const original = await storedRefreshToken(faulty.inner);
  env.wechat.clock.now += 7200_000;

  // Upstream fails: nothing is dropped.
  env.wechat.fault("api_authorizer_token", "network");
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER), NetworkError);
  assert.equal(await storedRefreshToken(faulty.inner), original);

  // WeChat rotates the refresh token but the store cannot take it: the call fails (no access
  // token derived from an unsaved refresh token is handed out) and the old one is still there.
  env.wechat.rotateRefreshTokens = true;
  faulty.inject({ ops: "put", key: storageKeys.authorizerRefresh(AUTHORIZER) });
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER));
  assert.equal(await storedRefreshToken(faulty.inner), original);

  // The stale refresh token is rejected with 61023; the list knows the current one.
  const token = await env.client.authorizerAccessToken(AUTHORIZER);
  assert.ok(env.wechat.authorizerTokens.has(token));
  assert.equal(await storedRefreshToken(faulty.inner), env.wechat.refreshTokens.get(AUTHORIZER));
  assert.equal(env.wechat.count("api_get_authorizer_list"), 1);
});

Deno.test("61023 recovery: the current refresh token is taken from api_get_authorizer_list", async () => {
  const env = setup();
  await authorized(env);
  env.wechat.refreshTokens.set(AUTHORIZER, "refreshtoken@@@rotated-elsewhere");
  env.wechat.clock.now += 7200_000;
  const token = await env.client.authorizerAccessToken(AUTHORIZER);
  assert.ok(env.wechat.authorizerTokens.has(token));
  assert.equal(await storedRefreshToken(env.store), "refreshtoken@@@rotated-elsewhere");
  assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "authorized");
});

Deno.test("61023 with no recovery marks the authorizer and keeps its refresh token", async () => {
  const env = setup();
  await authorized(env);
  const original = await storedRefreshToken(env.store);
  env.wechat.refreshTokens.delete(AUTHORIZER);
  env.wechat.refreshTokens.set("wxsomeoneelse00001", "r");
  env.wechat.fault("api_authorizer_token", 61023);
  env.wechat.clock.now += 7200_000;
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER), (e: unknown) => {
    assert.ok(e instanceof ReauthorizationRequiredError);
    assert.equal(e.reason, "refresh_token_invalid");
    return true;
  });
  assert.equal(await storedRefreshToken(env.store), original);
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "reauthorization_required");
  // The next attempt is bounded: one upstream call, no list lookup.
  const calls = env.wechat.calls.length;
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER), ReauthorizationRequiredError);
  assert.equal(env.wechat.calls.length - calls, 1);
});

Deno.test("a spurious 61023 is retried once with the listed token, then succeeds", async () => {
  const env = setup();
  await authorized(env);
  env.wechat.clock.now += 7200_000;
  env.wechat.fault("api_authorizer_token", 61023);
  assert.ok(env.wechat.authorizerTokens.has(await env.client.authorizerAccessToken(AUTHORIZER)));
  assert.equal(env.wechat.count("api_authorizer_token"), 2);
});

Deno.test("61023 recovery with a rotating refresh token writes the refresh key once (KV: 1 write/s)", async () => {
  const { wechat, store, client } = setup({
    store: (now) => new FaultyStore(new MemoryStore({ now }), { kvWriteRateLimit: true, now }),
  });
  await client.acceptTicket("ticket@@@1");
  await client.queryAuth(wechat.grant(AUTHORIZER));
  wechat.clock.now += 7200_000;
  wechat.refreshTokens.set(AUTHORIZER, "refreshtoken@@@rotated-elsewhere");
  wechat.rotateRefreshTokens = true;
  const token = await client.authorizerAccessToken(AUTHORIZER);
  assert.ok(wechat.authorizerTokens.has(token));
  assert.equal(await storedRefreshToken(store.inner), wechat.refreshTokens.get(AUTHORIZER));
  assert.equal(store.calls.filter((c) => c.outcome === "rate-limit").length, 0);
});

Deno.test("61023 recovery: when the retry with the listed token fails, the listed token is kept", async () => {
  const env = setup();
  await authorized(env);
  env.wechat.refreshTokens.set(AUTHORIZER, "refreshtoken@@@rotated-elsewhere");
  env.wechat.clock.now += 7200_000;
  env.wechat.fault("api_authorizer_token", 61023, "network");
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER), NetworkError);
  assert.equal(await storedRefreshToken(env.store), "refreshtoken@@@rotated-elsewhere");
  assert.ok(env.wechat.authorizerTokens.has(await env.client.authorizerAccessToken(AUTHORIZER)));
  assert.equal(env.wechat.count("api_get_authorizer_list"), 1);
});

Deno.test("an authorizer call retries once after 40001 with a token refreshed only if stale", async () => {
  const env = setup();
  await authorized(env);
  const token = await env.client.authorizerAccessToken(AUTHORIZER);
  // 20 concurrent callers all told the same token is invalid → one refresh.
  const fresh = await Promise.all(
    Array.from(
      { length: 20 },
      () => env.client.authorizer(AUTHORIZER).accessToken({ invalid: token }),
    ),
  );
  assert.equal(new Set(fresh.map((f) => f.token)).size, 1);
  assert.notEqual(fresh[0].token, token);
  assert.equal(env.wechat.count("api_authorizer_token"), 1);
  assert.deepEqual(await env.client.cachedAuthorizerAccessToken(AUTHORIZER), fresh[0]);
});

// ------------------------------------------------------------------ events

Deno.test("events drive the lifecycle: ticket, authorized (idempotent), unauthorized", async () => {
  const env = setup();
  const ticket = await env.client.handleComponentEvent({
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
    InfoType: "component_verify_ticket",
    ComponentVerifyTicket: "ticket@@@pushed",
  });
  assert.deepEqual(ticket, { action: "ticket_stored" });
  assert.equal((await env.client.currentTicket())?.receivedAt, env.wechat.clock.now);

  const code = env.wechat.grant(AUTHORIZER);
  const push = {
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
    InfoType: "authorized",
    AuthorizerAppid: AUTHORIZER,
    AuthorizationCode: code,
  };
  const [a, b] = await Promise.all([
    env.client.handleComponentEvent(push),
    env.client.handleComponentEvent(push),
  ]);
  // Which of two concurrent deliveries does the exchange is up to scheduling; one of them does.
  const actions = [a.action, b.action].sort();
  assert.ok(
    actions[0] === "authorized" && (actions[1] === "authorized" || actions[1] === "duplicate"),
    actions.join(),
  );
  assert.deepEqual(await env.client.handleComponentEvent(push), {
    action: "duplicate",
    authorizerAppId: AUTHORIZER,
  });
  // The browser redirect carries the same code: answered from the store.
  const replay = await env.client.queryAuth(code);
  assert.equal(replay.authorization_info.authorizer_appid, AUTHORIZER);
  assert.equal(
    replay.authorization_info.authorizer_refresh_token,
    await storedRefreshToken(env.store),
  );
  assert.equal(env.wechat.count("api_query_auth"), 1);

  env.wechat.clock.now += 60_000;
  const revoke = {
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
    InfoType: "unauthorized",
    AuthorizerAppid: AUTHORIZER,
  };
  assert.equal((await env.client.handleComponentEvent(revoke)).action, "revoked");
  assert.equal((await env.client.handleComponentEvent(revoke)).action, "revoked");
  assert.equal(await storedRefreshToken(env.store), null);
  assert.equal(await env.client.cachedAuthorizerAccessToken(AUTHORIZER), null);
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "revoked");
  assert.equal(record?.revokedAt, Number(revoke.CreateTime) * 1000);
  const calls = env.wechat.calls.length;
  await assert.rejects(
    env.client.authorizerAccessToken(AUTHORIZER),
    (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
  );
  assert.equal(env.wechat.calls.length, calls);
  assert.equal(
    (await env.client.handleComponentEvent({ InfoType: "notify_third_fasteregister" })).action,
    "ignored",
  );
  await assert.rejects(
    env.client.handleComponentEvent({ ...revoke, AppId: "wxanothercomponent1" }),
    TypeError,
  );
});

Deno.test("a refresh in flight when unauthorized arrives writes nothing back: the purge wins", async () => {
  for (const revoker of ["same client", "another instance"] as const) {
    const env = setup();
    await authorized(env);
    env.wechat.rotateRefreshTokens = true;
    env.wechat.clock.now += 7200_000; // both tokens expired
    await env.client.componentAccessToken(); // component token fresh again, only the refresh waits
    let open!: () => void;
    env.wechat.gate = new Promise((resolve) => open = resolve);
    const before = env.wechat.count("api_authorizer_token");
    const refreshing = env.client.authorizerAccessToken(AUTHORIZER);
    while (env.wechat.count("api_authorizer_token") === before) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const other = revoker === "same client" ? env.client : clientOf(env.wechat, env.store);
    const outcome = await other.handleComponentEvent({
      AppId: COMPONENT_APPID,
      CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
      InfoType: "unauthorized",
      AuthorizerAppid: AUTHORIZER,
    });
    assert.equal(outcome.action, "revoked");
    env.wechat.gate = undefined;
    open();
    await assert.rejects(refreshing, (e: unknown) => {
      assert.ok(e instanceof ReauthorizationRequiredError, revoker);
      assert.equal(e.reason, "revoked");
      return true;
    });
    assert.equal(await storedRefreshToken(env.store), null, revoker);
    assert.equal(await env.store.get(storageKeys.authorizerToken(AUTHORIZER)), null, revoker);
    assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "revoked", revoker);
    await assert.rejects(
      env.client.authorizerAccessToken(AUTHORIZER),
      ReauthorizationRequiredError,
    );
  }
});

Deno.test("an authorization exchange in flight when unauthorized arrives keeps nothing; a later one succeeds", async () => {
  for (const revoker of ["same client", "another instance"] as const) {
    const env = setup();
    await authorized(env);
    await env.client.componentAccessToken();
    env.wechat.clock.now += 60_000;
    // The account authorizes again; its exchange waits for WeChat while the revocation lands.
    const code = env.wechat.grant(AUTHORIZER);
    let open!: () => void;
    env.wechat.gate = new Promise((resolve) => open = resolve);
    const before = env.wechat.count("api_query_auth");
    const exchanging = env.client.handleComponentEvent({
      AppId: COMPONENT_APPID,
      CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
      InfoType: "authorized",
      AuthorizerAppid: AUTHORIZER,
      AuthorizationCode: code,
    });
    while (env.wechat.count("api_query_auth") === before) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    env.wechat.gate = undefined;
    env.wechat.clock.now += 1_000;
    const other = revoker === "same client" ? env.client : clientOf(env.wechat, env.store);
    const outcome = await other.handleComponentEvent({
      AppId: COMPONENT_APPID,
      CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
      InfoType: "unauthorized",
      AuthorizerAppid: AUTHORIZER,
    });
    assert.equal(outcome.action, "revoked", revoker);
    open();
    assert.equal((await exchanging).action, "ignored", revoker);
    assert.equal(await storedRefreshToken(env.store), null, revoker);
    assert.equal(await env.store.get(storageKeys.authorizerToken(AUTHORIZER)), null, revoker);
    assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "revoked", revoker);
    await assert.rejects(
      env.client.authorizerAccessToken(AUTHORIZER),
      (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
    );
    // A genuine re-authorization after the revocation is kept.
    env.wechat.clock.now += 1_000;
    const again = await env.client.queryAuth(env.wechat.grant(AUTHORIZER));
    const token = again.authorization_info.authorizer_access_token;
    assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "authorized", revoker);
    assert.equal(await env.client.authorizerAccessToken(AUTHORIZER), token, revoker);
  }
});

Deno.test("a revocation that lands while an exchange writes its record stays on record", async () => {
  /** Holds the first put of one key until released. */
  class HoldingStore extends MemoryStore {
    hold: { key: string; reached: () => void; release: Promise<void> } | null = null;
    override async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
      const hold = this.hold;
      if (hold && key === hold.key) {
        this.hold = null;
        hold.reached();
        await hold.release;
      }
      return await super.put(key, value, options);
    }
  }
  const env = setup({ store: (now) => new HoldingStore({ now }) });
  await authorized(env);
  env.wechat.clock.now += 60_000;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    env.store.hold = {
      key: storageKeys.authorizer(AUTHORIZER),
      reached: resolve,
      release: new Promise((r) => release = r),
    };
  });
  // The exchange has written the tokens and waits to write the record: the revocation lands.
  const exchanging = env.client.queryAuth(env.wechat.grant(AUTHORIZER));
  await reached;
  const revokedAt = Math.floor(env.wechat.clock.now / 1000);
  const outcome = await env.client.handleComponentEvent({
    AppId: COMPONENT_APPID,
    CreateTime: String(revokedAt),
    InfoType: "unauthorized",
    AuthorizerAppid: AUTHORIZER,
  });
  assert.equal(outcome.action, "revoked");
  release();
  await assert.rejects(
    exchanging,
    (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
  );
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "revoked");
  assert.equal(record?.revokedAt, revokedAt * 1000);
  assert.equal(await storedRefreshToken(env.store), null);
  assert.equal(await env.store.get(storageKeys.authorizerToken(AUTHORIZER)), null);
  await assert.rejects(
    env.client.authorizerAccessToken(AUTHORIZER),
    (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
  );
});

Deno.test("unauthorized is judged on WeChat's clock: skew neither ignores a revocation nor replays one", async () => {
  const push = (createTimeMs: number) => ({
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(createTimeMs / 1000)),
    InfoType: "unauthorized",
    AuthorizerAppid: AUTHORIZER,
  });
  // Our clock 2 minutes ahead of WeChat's: a genuine revocation a minute after authorizing.
  const ahead = setup();
  await authorized(ahead);
  ahead.wechat.clock.now += 60_000;
  const genuine = await ahead.client.handleComponentEvent(push(ahead.wechat.clock.now - 120_000));
  assert.equal(genuine.action, "revoked");
  assert.equal(await storedRefreshToken(ahead.store), null);
  assert.equal((await ahead.client.getAuthorizer(AUTHORIZER))?.status, "revoked");

  // Our clock 2 minutes behind: a revocation, a re-authorization 30 s later, then a late retry
  // of the revocation's push must not revoke the new authorization.
  const behind = setup();
  await authorized(behind);
  const revocation = push(behind.wechat.clock.now + 120_000);
  assert.equal((await behind.client.handleComponentEvent(revocation)).action, "revoked");
  behind.wechat.clock.now += 30_000;
  await behind.client.queryAuth(behind.wechat.grant(AUTHORIZER));
  assert.equal((await behind.client.handleComponentEvent(revocation)).action, "ignored");
  assert.equal((await behind.client.getAuthorizer(AUTHORIZER))?.status, "authorized");
  assert.notEqual(await storedRefreshToken(behind.store), null);
  // A later revocation still applies.
  behind.wechat.clock.now += 60_000;
  const later = await behind.client.handleComponentEvent(push(behind.wechat.clock.now + 120_000));
  assert.equal(later.action, "revoked");
  assert.equal(await storedRefreshToken(behind.store), null);
});

Deno.test("an unauthorized push older than the current authorization is ignored: a replay revokes nothing", async () => {
  const env = setup();
  await authorized(env);
  const authorizedAt = env.wechat.clock.now;
  const refresh = await storedRefreshToken(env.store);
  const token = await env.client.authorizerAccessToken(AUTHORIZER);
  // A signed revocation of an earlier authorization (a day before this one), replayed now.
  env.wechat.clock.now += 30 * 60_000;
  const replay = {
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor((authorizedAt - 86400_000) / 1000)),
    InfoType: "unauthorized",
    AuthorizerAppid: AUTHORIZER,
  };
  assert.deepEqual(await env.client.handleComponentEvent(replay), {
    action: "ignored",
    authorizerAppId: AUTHORIZER,
  });
  assert.equal(await storedRefreshToken(env.store), refresh);
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "authorized");
  assert.equal(record?.revokedAt, undefined);
  const stored = await env.store.get(storageKeys.authorizerToken(AUTHORIZER));
  assert.equal(stored === null ? null : JSON.parse(stored).token, token);
  // A revocation after the authorization still applies.
  const genuine = { ...replay, CreateTime: String(Math.floor(env.wechat.clock.now / 1000)) };
  assert.equal((await env.client.handleComponentEvent(genuine)).action, "revoked");
  assert.equal(await storedRefreshToken(env.store), null);
});

// ------------------------------------------------------------------ applyAuthorization

/** An `authorization_info` as another instance's `api_query_auth` returned it. */
function authorizationInfo(n: number) {
  return {
    authorizer_appid: AUTHORIZER,
    authorizer_access_token: `atoken-elsewhere-${n}`,
    expires_in: 7200,
    authorizer_refresh_token: `refreshtoken@@@elsewhere-${n}`,
    func_info: [{ funcscope_category: { id: n } }],
  };
}

Deno.test("applyAuthorization stores an authorization obtained elsewhere like an exchange does", async () => {
  const seen: { refresh: string | null; token: string | null }[] = [];
  let store!: MemoryStore;
  const env = setup({
    store: (now) => store = new MemoryStore({ now }),
    hook: async () =>
      seen.push({
        refresh: await storedRefreshToken(store),
        token: await store.get(storageKeys.authorizerToken(AUTHORIZER)),
      }),
  });
  await env.client.managed.applyAuthorization(authorizationInfo(1));
  // The refresh token was persisted before the access token was written.
  assert.deepEqual(seen, [{ refresh: "refreshtoken@@@elsewhere-1", token: null }]);
  assert.equal(await env.client.authorizerAccessToken(AUTHORIZER), "atoken-elsewhere-1");
  const record = await env.client.getAuthorizer(AUTHORIZER);
  assert.equal(record?.status, "authorized");
  assert.equal(record?.authorizedAt, env.wechat.clock.now);
  assert.deepEqual(record?.funcInfo, [{ funcscope_category: { id: 1 } }]);
  assert.ok(!JSON.stringify(record).includes("refreshtoken@@@"));
  // A later authorization supersedes the access token and replaces the refresh token.
  env.wechat.clock.now += 1000;
  await env.client.managed.applyAuthorization(authorizationInfo(2));
  assert.equal(await env.client.authorizerAccessToken(AUTHORIZER), "atoken-elsewhere-2");
  assert.equal(await storedRefreshToken(store), "refreshtoken@@@elsewhere-2");
  // Applying the same one again writes no new refresh token (the hook is not called).
  await env.client.managed.applyAuthorization(authorizationInfo(2));
  assert.equal(seen.length, 2);
  assert.equal(env.wechat.calls.length, 0);
});

Deno.test("applyAuthorization with startedAt: a revocation applied after the start wins, nothing is kept", async () => {
  for (const revoker of ["same client", "another instance"] as const) {
    const env = setup();
    const other = revoker === "same client" ? env.client : clientOf(env.wechat, env.store);
    const revoke = () =>
      other.handleComponentEvent({
        AppId: COMPONENT_APPID,
        CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
        InfoType: "unauthorized",
        AuthorizerAppid: AUTHORIZER,
      });
    const startedAt = env.wechat.clock.now;
    env.wechat.clock.now += 1000;
    assert.equal((await revoke()).action, "revoked", revoker);
    env.wechat.clock.now += 1000;
    await assert.rejects(
      env.client.managed.applyAuthorization(authorizationInfo(1), { startedAt }),
      (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
    );
    assert.equal(await storedRefreshToken(env.store), null, revoker);
    assert.equal(await env.store.get(storageKeys.authorizerToken(AUTHORIZER)), null, revoker);
    assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "revoked", revoker);
    // An exchange started after the revocation (a re-authorization) is kept.
    await env.client.managed.applyAuthorization(authorizationInfo(2), {
      startedAt: env.wechat.clock.now,
    });
    assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "authorized", revoker);
    assert.equal(await storedRefreshToken(env.store), "refreshtoken@@@elsewhere-2", revoker);
  }
});

Deno.test("applyAuthorization started before a revocation and a re-authorization keeps nothing", async () => {
  const env = setup();
  const startedAt = env.wechat.clock.now;
  env.wechat.clock.now += 1000;
  await env.client.handleComponentEvent({
    AppId: COMPONENT_APPID,
    CreateTime: String(Math.floor(env.wechat.clock.now / 1000)),
    InfoType: "unauthorized",
    AuthorizerAppid: AUTHORIZER,
  });
  env.wechat.clock.now += 1000;
  await env.client.managed.applyAuthorization(authorizationInfo(2));
  // The stale authorization must not replace the newer one's refresh token.
  await assert.rejects(
    env.client.managed.applyAuthorization(authorizationInfo(1), { startedAt }),
    ReauthorizationRequiredError,
  );
  assert.equal(await storedRefreshToken(env.store), "refreshtoken@@@elsewhere-2");
  assert.equal(await env.client.authorizerAccessToken(AUTHORIZER), "atoken-elsewhere-2");
});

Deno.test("applyAuthorization refuses bad input with a TypeError and stores nothing", async () => {
  const env = setup();
  const good = authorizationInfo(1);
  const bad: [string, unknown, unknown?][] = [
    ["not an object", null],
    ["missing info", undefined],
    ["appid", { ...good, authorizer_appid: "../etc/passwd" }],
    ["missing appid", { ...good, authorizer_appid: undefined }],
    ["refresh token", { ...good, authorizer_refresh_token: " " }],
    ["missing refresh token", { ...good, authorizer_refresh_token: undefined }],
    ["access token", { ...good, authorizer_access_token: "" }],
    ["expires_in", { ...good, expires_in: "7200" }],
    ["func_info", { ...good, func_info: "all" }],
    ["startedAt", good, { startedAt: Number.NaN }],
  ];
  for (const [what, info, options] of bad) {
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      env.client.managed.applyAuthorization(info as any, options as any),
      (e: unknown) => e instanceof TypeError && /^Invalid /.test(e.message),
      what,
    );
  }
  assert.deepEqual((await env.store.list({ prefix: "" })).keys, []);
});

Deno.test("listAuthorizers pages through records; the cron sweep finds tokens expiring soon", async () => {
  const env = setup();
  await env.client.acceptTicket("ticket@@@1");
  for (const appid of ["wxauthorizer000001", "wxauthorizer000002", "wxauthorizer000003"]) {
    await env.client.queryAuth(env.wechat.grant(appid));
  }
  const page = await env.client.listAuthorizers({ limit: 2 });
  assert.equal(page.authorizers.length, 2);
  assert.equal(page.complete, false);
  const rest = await env.client.listAuthorizers({ cursor: page.cursor });
  assert.equal(rest.authorizers.length, 1);
  assert.deepEqual(await env.client.listExpiringTokens({ withinSeconds: 600 }), []);
  env.wechat.clock.now += 7200_000 - 300_000;
  const due = await env.client.listExpiringTokens({ withinSeconds: 600 });
  assert.equal(due.length, 4);
  assert.deepEqual(due.map((d) => d.kind).sort(), [
    "authorizer",
    "authorizer",
    "authorizer",
    "component",
  ]);
  assert.deepEqual(await env.client.refreshExpiringTokens({ withinSeconds: 600 }), {
    refreshed: 4,
    failed: 0,
  });
  assert.deepEqual(await env.client.listExpiringTokens({ withinSeconds: 600 }), []);
});

Deno.test("SingleFlight shares one run per key and clears it when settled", async () => {
  const flights = new SingleFlight<number>();
  let runs = 0;
  const work = () => new Promise<number>((r) => setTimeout(() => r(++runs), 1));
  const [a, b] = await Promise.all([flights.run("k", work), flights.run("k", work)]);
  assert.deepEqual([a, b], [1, 1]);
  assert.equal(flights.size, 0);
  await assert.rejects(
    flights.run("k", () => {
      throw new Error("sync");
    }),
    /sync/,
  );
  assert.equal(flights.size, 0);
  assert.equal(await flights.run("k", work), 2);
});

Deno.test("an authorized push for a code another instance already exchanged is a duplicate", async () => {
  const faulty = new FaultyStore(new MemoryStore());
  const env = setup({ store: faulty });
  await env.client.acceptTicket("ticket@@@1");
  const code = env.wechat.grant(AUTHORIZER);
  // The marker write is lost (as when another instance did the exchange and KV lags).
  faulty.inject({ ops: "put", key: (k) => k.startsWith(storageKeys.authCodePrefix) });
  await env.client.queryAuth(code);
  const outcome = await env.client.handleComponentEvent({
    InfoType: "authorized",
    AuthorizerAppid: AUTHORIZER,
    AuthorizationCode: code,
  });
  assert.deepEqual(outcome, { action: "duplicate", authorizerAppId: AUTHORIZER });
  assert.equal(env.wechat.count("api_query_auth"), 2);
  // An unknown code for an authorizer we do not have is still an error.
  await assert.rejects(
    env.client.handleComponentEvent({
      InfoType: "authorized",
      AuthorizerAppid: "wxauthorizer000009",
      AuthorizationCode: "queryauthcode@@@nope",
    }),
    (e: unknown) => e instanceof WeChatError && e.errcode === 61009,
  );
});

Deno.test("a revocation landing between a refresh's check and its writes is undone", async () => {
  const wechat = new FakeWeChat();
  let onTokenWrite: (() => Promise<unknown>) | undefined;
  class RacingStore extends MemoryStore {
    override async put(
      key: string,
      value: string,
      options?: Parameters<MemoryStore["put"]>[2],
    ): Promise<void> {
      if (key === storageKeys.authorizerToken(AUTHORIZER) && onTokenWrite) {
        const hook = onTokenWrite;
        onTokenWrite = undefined;
        await hook();
      }
      await super.put(key, value, options);
    }
  }
  const store = new RacingStore({ now: () => wechat.clock.now });
  const env = { wechat, store, client: clientOf(wechat, store) };
  await authorized(env);
  wechat.rotateRefreshTokens = true;
  wechat.clock.now += 7200_000;
  const other = clientOf(wechat, store);
  onTokenWrite = () =>
    other.handleComponentEvent({
      AppId: COMPONENT_APPID,
      CreateTime: String(Math.floor(wechat.clock.now / 1000)),
      InfoType: "unauthorized",
      AuthorizerAppid: AUTHORIZER,
    });
  await assert.rejects(env.client.authorizerAccessToken(AUTHORIZER), ReauthorizationRequiredError);
  assert.equal(await storedRefreshToken(store), null);
  assert.equal(await store.get(storageKeys.authorizerToken(AUTHORIZER)), null);
  assert.equal((await env.client.getAuthorizer(AUTHORIZER))?.status, "revoked");
});

for (const kind of ["MemoryStore", "DenoKvStore"] as const) {
  Deno.test(`two instances over ${kind} (compare-and-set) refresh each credential once (lease)`, async () => {
    const wechat = new FakeWeChat();
    const kv = kind === "DenoKvStore" ? await Deno.openKv(":memory:") : undefined;
    const store = kv
      ? new DenoKvStore(kv, { now: () => wechat.clock.now })
      : new MemoryStore({ now: () => wechat.clock.now });
    try {
      const a = clientOf(wechat, store);
      const b = clientOf(wechat, store);
      await a.acceptTicket("ticket@@@1");
      await a.queryAuth(wechat.grant(AUTHORIZER));
      wechat.clock.now += 7200_000; // both tokens expired
      let open!: () => void;
      wechat.gate = new Promise((resolve) => open = resolve);
      const results = Promise.all([
        a.authorizerAccessToken(AUTHORIZER),
        b.authorizerAccessToken(AUTHORIZER),
        a.componentAccessToken(),
        b.componentAccessToken(),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 120)); // b waits on a's lease meanwhile
      wechat.gate = undefined;
      open();
      const [ta, tb, ca, cb] = await results;
      assert.equal(ta, tb);
      assert.equal(ca, cb);
      assert.equal(wechat.count("api_authorizer_token"), 1);
      assert.equal(wechat.count("api_component_token"), 2); // the first one, and one refresh
      // The leases are released: a later refresh is not held up.
      wechat.clock.now += 7200_000;
      assert.notEqual(await b.authorizerAccessToken(AUTHORIZER), ta);
      assert.equal(wechat.count("api_authorizer_token"), 2);
      assert.deepEqual(
        (await store.list({ prefix: storageKeys.leasePrefix })).keys,
        [],
      );
    } finally {
      kv?.close();
    }
  });
}

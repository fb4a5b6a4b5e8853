/**
 * Security checks of the worker under Miniflare (real workerd, production bundle): the admin
 * API is closed without the bearer token and compares it in constant time; no secret or token
 * reaches a log line, KV in plaintext, or (refresh tokens) any HTTP response; the authorization
 * callback refuses a foreign or missing state; a replayed push changes nothing; the simulator
 * cannot be reached in the production bundle.
 *
 * One worker serves the file; the first test drives a full flow (including failures) while
 * every upstream answer and every response body is recorded, and later tests scan what it left.
 */

import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { timingSafeEqual } from "../src/crypto/mod.ts";
import { kvDiff, kvState, quiesce } from "./_fuzz.ts";
import {
  authorizeLink,
  bundleWorker,
  eventually,
  FORWARD_SECRET,
  type Harness,
  ORIGIN,
  SETTINGS,
  startWorker,
} from "./_worker_harness.ts";
import { signState, STATE_COOKIE } from "../worker/state.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };

let h: Harness;
/** Every response body the worker sent in this file, with its request. */
const responses: { what: string; status: number; body: string }[] = [];
/** Tokens WeChat (the simulator) issued to the worker, by kind. */
const issued = {
  access: new Set<string>(),
  refresh: new Set<string>(),
  tickets: new Set<string>(),
};
let appid = "";
let lastUpstreamAt = 0;

/**
 * Waits until WeChat has not been called for 1.5 s and KV is still (background work of earlier
 * steps, e.g. an exchange queued behind a busy Durable Object, can land a second later).
 */
async function settle(): Promise<Awaited<ReturnType<typeof quiesce>>> {
  const end = Date.now() + 15_000;
  while (performance.now() - lastUpstreamAt < 1500 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return await quiesce(h);
}
let mc: MessageCrypto;

/** The worker's secrets (settings that are not public configuration). */
const SECRETS: Record<string, string> = {
  COMPONENT_APPSECRET: SETTINGS.COMPONENT_APPSECRET,
  COMPONENT_TOKEN: SETTINGS.COMPONENT_TOKEN,
  COMPONENT_AES_KEY: SETTINGS.COMPONENT_AES_KEY,
  ADMIN_TOKEN: SETTINGS.ADMIN_TOKEN,
  STORAGE_KEY: SETTINGS.STORAGE_KEY,
  FORWARD_SECRET,
};

async function record(what: string, res: Response): Promise<{ status: number; body: string }> {
  const body = await res.text();
  responses.push({ what, status: res.status, body });
  return { status: res.status, body };
}
const get = async (path: string, init?: RequestInit) => record(path, await h.fetch(path, init));
const admin = async (path: string, init?: RequestInit) =>
  record(`admin ${path}`, await h.admin(path, init));
async function push(request: Request) {
  // Remember the ticket a push carries (it is a credential too).
  const body = await request.clone().text();
  const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(body)?.[1];
  if (encrypt) {
    const ticket = /<ComponentVerifyTicket><!\[CDATA\[([^\]]+)\]\]>/.exec(
      await mc.decrypt(encrypt),
    )?.[1];
    if (ticket) issued.tickets.add(ticket);
  }
  return record(`push ${new URL(request.url).pathname}`, await h.send(request));
}

/** Every token string the test knows. */
function knownTokens(): string[] {
  for (const account of h.sim.accounts()) {
    if (account.refreshToken) issued.refresh.add(account.refreshToken);
    const access = h.sim.currentAccessToken(account.appId);
    if (access) issued.access.add(access);
  }
  const component = h.sim.currentAccessToken();
  if (component) issued.access.add(component);
  return [...issued.access, ...issued.refresh, ...issued.tickets];
}

/** Opens /authorize; returns the cookie, the callback path and the pre_auth_code. */
async function startAuthorization() {
  const res = await h.fetch("/authorize");
  const page = await res.text();
  assert.equal(res.status, 200, page);
  return authorizeLink(res, page);
}

Deno.test({
  name: "security: a full flow with failures runs (tokens and logs recorded)",
  ...opts,
  async fn() {
    h = await startWorker({ captureLogs: true });
    mc = await MessageCrypto.create({
      token: SETTINGS.COMPONENT_TOKEN,
      encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
      appId: SETTINGS.COMPONENT_APPID,
    });
    // Record every token the simulator hands to the worker.
    const simFetch = h.sim.fetch;
    (h.sim as { fetch: typeof simFetch }).fetch = async (input, init) => {
      const res = await simFetch(input, init);
      const text = await res.clone().text();
      lastUpstreamAt = performance.now();
      for (const m of text.matchAll(/"(\w*(?:access_token|refresh_token))"\s*:\s*"([^"]+)"/g)) {
        (m[1].includes("refresh") ? issued.refresh : issued.access).add(m[2]);
      }
      return res;
    };

    assert.equal((await push(await h.sim.ticketPush(EVENTS))).status, 200);
    // The merchant's flow: page, WeChat's page, `authorized` push and redirect.
    const start = await startAuthorization();
    const auth = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode: start.preAuthCode,
    });
    appid = auth.appId;
    const [pushed, page] = await Promise.all([
      h.sim.authorizationPush(EVENTS, auth).then(push),
      get(`${start.callback}&auth_code=${encodeURIComponent(auth.authCode)}`, {
        headers: { cookie: start.cookie },
      }),
    ]);
    assert.equal(pushed.status, 200);
    assert.equal(page.status, 200, page.body);
    const second = await h.sim.authorizeAccount({ kind: "mini_program" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${second.appId}`)
    );

    // The admin API, every route.
    assert.equal((await admin("/api/v1/authorizers")).status, 200);
    assert.equal((await admin("/api/v1/authorizers?limit=1")).status, 200);
    for (const id of [appid, second.appId]) {
      assert.equal((await admin(`/api/v1/authorizers/${id}`)).status, 200);
      assert.equal((await admin(`/api/v1/authorizers/${id}/access-token`)).status, 200);
    }
    assert.equal((await admin("/api/v1/component/access-token")).status, 200);
    const old = h.sim.currentAccessToken(appid)!;
    h.sim.invalidateAccessToken(appid);
    const refreshed = await admin(`/api/v1/authorizers/${appid}/access-token/refresh`, {
      method: "POST",
      body: JSON.stringify({ invalid_token: old }),
    });
    assert.equal(refreshed.status, 200, refreshed.body);
    const proxy = `/api/v1/authorizers/${appid}/wechat/cgi-bin/message/custom/send`;
    const message = JSON.stringify({ touser: "o_user", msgtype: "text", text: { content: "x" } });
    assert.equal((await admin(proxy, { method: "POST", body: message })).status, 200);
    h.sim.invalidateAccessToken(appid); // 40001 → one refresh and a retry
    assert.equal((await admin(proxy, { method: "POST", body: message })).status, 200);
    // The proxy carrying the component token to a component API: still no refresh token back.
    const componentToken = JSON.parse((await admin("/api/v1/component/access-token")).body);
    await admin(
      `/api/v1/authorizers/${appid}/wechat/cgi-bin/component/api_get_authorizer_list?` +
        `component_access_token=${componentToken.access_token}`,
      {
        method: "POST",
        body: JSON.stringify({ component_appid: SETTINGS.COMPONENT_APPID, offset: 0, count: 10 }),
      },
    );
    await admin(`/api/v1/authorizers/${appid}/wechat/cgi-bin/component/api_authorizer_token`, {
      method: "POST",
      body: JSON.stringify({
        component_appid: SETTINGS.COMPONENT_APPID,
        authorizer_appid: appid,
        authorizer_refresh_token: "x",
      }),
    });

    // Messages: forwarded (the platform's service failing every attempt), release test.
    h.forwardFailures.remaining = 10;
    const msgUrl = `${ORIGIN}/wechat/authorizers/${appid}/callback`;
    assert.equal(
      (await push(await h.sim.textMessagePush(msgUrl, { appId: appid, content: "hi" })))
        .status,
      200,
    );
    const release = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;
    assert.equal((await push(await h.sim.releaseTestTextPush(release))).status, 200);
    const q = await h.sim.releaseTestQueryAuthCodePush(release);
    assert.equal((await push(q.request)).status, 200);
    await eventually(() => h.sim.releaseTestPassed(q.authCode));
    assert.equal((await push(await h.sim.releaseTestEventPush(release))).status, 200);

    // Failures: a bad signature, WeChat errors on a refresh, a refresh token WeChat refuses,
    // an unknown authorization code, WeChat down, a refused forward.
    const bad = await h.sim.ticketPush(EVENTS);
    const badUrl = new URL(bad.url);
    badUrl.searchParams.set("msg_signature", "0".repeat(40));
    assert.equal(
      (await push(new Request(badUrl, { method: "POST", body: await bad.text() }))).status,
      401,
    );
    const kv = await h.mf.getKVNamespace("TOKENS") as unknown as {
      delete(k: string): Promise<void>;
    };
    // (An authorizer whose token this isolate has not cached: its reads go to KV.)
    const failing = await h.sim.authorizeAccount({ kind: "mini_program" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${failing.appId}`)
    );
    knownTokens();
    h.sim.inject({ path: "api_authorizer_token", errcode: -1, times: 10 });
    await kv.delete(`wxopen:v1:authorizer_token:${failing.appId}`);
    // The token is reported invalid, so its object must refresh it: WeChat fails.
    const reportInvalid = () =>
      admin(`/api/v1/authorizers/${failing.appId}/access-token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: h.sim.currentAccessToken(failing.appId) }),
      });
    assert.ok((await reportInvalid()).status >= 500);
    h.sim.clearFaults();
    h.sim.inject({ path: "api_authorizer_token", status: 503, times: 10 });
    assert.ok((await reportInvalid()).status >= 500);
    h.sim.clearFaults();
    const refused = await startAuthorization();
    const refusedPage = await get(`${refused.callback}&auth_code=queryauthcode%40%40%40nope`, {
      headers: { cookie: refused.cookie },
    });
    assert.equal(refusedPage.status, 502);
    const third = await h.sim.authorizeAccount({ kind: "mini_program" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${third.appId}`)
    );
    knownTokens(); // remember its refresh token before WeChat stops accepting it
    h.sim.inject({ path: "api_authorizer_token", errcode: 61023, times: 2 });
    const refusedRefresh = await admin(`/api/v1/authorizers/${third.appId}/access-token/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ invalid_token: h.sim.currentAccessToken(third.appId) }),
    });
    assert.equal(refusedRefresh.status, 409);
    h.sim.clearFaults();
    await h.cron();
    assert.equal((await get("/healthz")).status, 200);
    // A revocation.
    const fourth = await h.sim.authorizeAccount({ kind: "official_account" });
    await h.sim.settled();
    knownTokens();
    await h.sim.revoke(fourth.appId);
    await h.sim.settled();
    assert.equal((await push(await h.sim.unauthorizedPush(EVENTS, fourth.appId))).status, 200);
    await eventually(() => h.logs().includes("gave up after"));
    knownTokens();
    assert.ok(issued.refresh.size >= 4, "refresh tokens were issued");
    assert.ok(issued.access.size >= 6, "access tokens were issued");
  },
});

Deno.test({
  name: "security: no secret, access token, refresh token or ticket in any log line",
  ...opts,
  async fn() {
    await h.sim.settled();
    await new Promise((r) => setTimeout(r, 200));
    const logs = h.logs();
    // The capture works: the failures above were logged.
    assert.match(
      logs,
      /\[wxopen\] forward of a (message|component_event) gave up after \d+ attempts/,
    );
    assert.match(logs, /\[wxopen\] /);
    const lines = logs.split("\n").filter((l) => l.trim() !== "");
    assert.ok(lines.length >= 3, logs);
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!logs.includes(secret), `${name} appears in the log`);
    }
    for (const token of knownTokens()) {
      assert.ok(!logs.includes(token), `a token appears in the log: ${token.slice(0, 12)}…`);
    }
    console.log(`scanned ${lines.length} log lines for ${knownTokens().length} tokens`);
  },
});

Deno.test({
  name: "security: KV holds no plaintext token, ticket or secret (values and metadata)",
  ...opts,
  async fn() {
    const state = await kvState(h);
    assert.ok(state.size >= 8, "the flow left records in KV");
    const everything = [...state].map(([k, v]) => `${k}\n${v.text}`).join("\n");
    const tokens = knownTokens();
    for (const token of tokens) {
      assert.ok(!everything.includes(token), `KV holds a token: ${token.slice(0, 12)}…`);
    }
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!everything.includes(secret), `KV holds ${name}`);
    }
    console.log(`scanned ${state.size} KV entries for ${tokens.length} tokens`);
  },
});

Deno.test({
  name: "security: no refresh token in any HTTP response body, across all routes",
  ...opts,
  async fn() {
    // A sweep of every route, for every authorizer, on top of what the flow recorded.
    for (const account of h.sim.accounts()) {
      const id = account.appId;
      await admin(`/api/v1/authorizers/${id}`);
      await admin(`/api/v1/authorizers/${id}/access-token`);
      await admin(`/api/v1/authorizers/${id}/access-token/refresh`, {
        method: "POST",
        body: JSON.stringify({ invalid_token: "stale" }),
      });
      await admin(`/api/v1/authorizers/${id}/wechat/cgi-bin/component/api_get_authorizer_info`, {
        method: "POST",
        body: JSON.stringify({ component_appid: SETTINGS.COMPONENT_APPID, authorizer_appid: id }),
      });
    }
    await admin("/api/v1/authorizers?limit=1000");
    await admin("/api/v1/component/access-token");
    await get("/healthz");
    await get("/authorize");
    await get("/api/v1/authorizers");
    await get("/nope");
    const refresh = [...issued.refresh];
    assert.ok(refresh.length >= 4);
    for (const { what, body } of responses) {
      for (const token of refresh) {
        assert.ok(!body.includes(token), `${what} answered a refresh token`);
      }
      for (const [name, secret] of Object.entries(SECRETS)) {
        assert.ok(!body.includes(secret), `${what} answered ${name}`);
      }
    }
    // The scan is not vacuous: access tokens are served (they are meant to be).
    assert.ok(responses.some((r) => [...issued.access].some((t) => r.body.includes(t))));
    console.log(`scanned ${responses.length} response bodies for ${refresh.length} refresh tokens`);
  },
});

/** Admin routes, with a method and a body where one is needed. */
function adminRoutes(id: string): [string, string, string?][] {
  return [
    ["GET", "/api/v1/authorizers"],
    ["GET", `/api/v1/authorizers/${id}`],
    ["GET", `/api/v1/authorizers/${id}/access-token`],
    ["POST", `/api/v1/authorizers/${id}/access-token/refresh`, '{"invalid_token":"x"}'],
    ["GET", `/api/v1/authorizers/${id}/wechat/cgi-bin/get_current_selfmenu_info`],
    ["POST", `/api/v1/authorizers/${id}/wechat/cgi-bin/message/custom/send`, "{}"],
    ["DELETE", `/api/v1/authorizers/${id}/wechat/cgi-bin/menu/delete`],
    ["GET", "/api/v1/component/access-token"],
    ["GET", "/api/v1/unknown-route"],
  ];
}

Deno.test({
  name: "security: the admin API is closed without the right bearer token, on every route",
  ...opts,
  async fn() {
    const token = SETTINGS.ADMIN_TOKEN;
    const wrong = [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      `Bearer ${"x".repeat(token.length)}`, // equal length
      `Bearer ${token.slice(0, -1)}`, // a prefix
      `Bearer ${token.slice(0, -1)}${token.at(-1) === "f" ? "e" : "f"}`, // last character wrong
      `Bearer ${token}x`, // longer, with the right prefix
      `Bearer ${token.toUpperCase()}`,
      `Bearer ${token} ${token}`,
      `Bearer x`,
      `Basic ${token}`,
      `Basic ${btoa(`admin:${token}`)}`,
      token,
      `Token ${token}`,
    ];
    // Let earlier work settle: refused requests must reach neither WeChat nor KV.
    const before = await settle();
    const calls = h.sim.calls();
    let reference: string | undefined;
    let checked = 0;
    for (const [method, path, body] of adminRoutes(appid)) {
      for (const authorization of wrong) {
        const headers = new Headers();
        if (authorization !== undefined) headers.set("authorization", authorization);
        const res = await h.fetch(path, { method, headers, body });
        const text = await res.text();
        assert.equal(res.status, 401, `${method} ${path} with ${authorization}: ${text}`);
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
        // Every refusal is the same answer: nothing tells a near miss from a far one.
        reference ??= text;
        assert.equal(text, reference);
        assert.equal(res.headers.get("x-wxopen-kv-reads"), null, "no work done");
        checked++;
      }
      // The token in the query string does not count either.
      const q = await h.fetch(`${path}${path.includes("?") ? "&" : "?"}access_token=${token}`, {
        method,
        body,
      });
      assert.equal(q.status, 401);
      await q.body?.cancel();
    }
    for (const secret of Object.values(SECRETS)) assert.ok(!reference!.includes(secret));
    assert.equal(h.sim.calls(), calls, "a refused request called WeChat");
    assert.deepEqual(kvDiff(before, await kvState(h)), [], "a refused request changed KV");
    // The right token opens every route (so the refusals above are about the token).
    for (const [method, path, body] of adminRoutes(appid)) {
      const ok = await h.fetch(path, {
        method,
        body,
        headers: { authorization: `bearer  ${token} ` },
      });
      await ok.body?.cancel();
      assert.notEqual(ok.status, 401, `${method} ${path} refuses the right token`);
    }
    console.log(`${checked} refused admin requests on ${adminRoutes(appid).length} routes`);
  },
});

Deno.test({
  name: "security: the token comparison is constant-time over the full strings",
  ...opts,
  async fn() {
    // The middleware compares with timingSafeEqual, never with ===, startsWith or the like.
    const source = await Deno.readTextFile(new URL("../worker/auth.ts", import.meta.url));
    assert.match(source, /import \{ timingSafeEqual \} from "\.\.\/src\/crypto\/mod\.ts"/);
    assert.match(source, /timingSafeEqual\(match \? match\[1\] : "", expected\)/);
    const code = source.replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(code, /expected\s*[!=]==?|[!=]==?\s*expected/);
    assert.doesNotMatch(code, /startsWith|endsWith|includes|indexOf|localeCompare/);
    // timingSafeEqual reads every character of both strings, whatever the mismatch.
    const expected = SETTINGS.ADMIN_TOKEN;
    const counted = (s: string, tally: { n: number }) =>
      ({
        length: s.length,
        charCodeAt(i: number) {
          tally.n++;
          return s.charCodeAt(i);
        },
      }) as unknown as string;
    const candidates = [
      expected, // control: equal
      "x" + expected.slice(1), // first character wrong
      expected.slice(0, -1) + "x", // last character wrong
      "y".repeat(expected.length), // equal length, all wrong
      expected.slice(0, -1), // a prefix (shorter)
      expected + "z", // longer, the right prefix
      "",
      "q".repeat(3 * expected.length),
    ];
    for (const candidate of candidates) {
      const a = { n: 0 };
      const b = { n: 0 };
      const result = timingSafeEqual(counted(candidate, a), counted(expected, b));
      assert.equal(result, candidate === expected, candidate);
      const n = Math.max(candidate.length, expected.length);
      assert.equal(a.n, n, `reads every character of the candidate (${candidate.length})`);
      assert.equal(b.n, n, "reads every character of the expected token");
    }
  },
});

Deno.test({
  name: "security: the authorization callback refuses a foreign, forged, expired or missing state",
  ...opts,
  async fn() {
    const mine = await startAuthorization();
    const other = await startAuthorization(); // another browser's authorization
    const auth = await h.sim.authorizeAccount({
      kind: "mini_program",
      preAuthCode: mine.preAuthCode,
    });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
    );
    const before = await settle();
    const exchanges = h.sim.calls("/cgi-bin/component/api_query_auth");
    const code = `auth_code=${encodeURIComponent(auth.authCode)}`;
    const now = Math.floor(Date.now() / 1000);
    const expired = await stateCookie(mine.state, now - 3600);
    const cases: [string, string, string | undefined][] = [
      ["no state", `/authorize/callback?${code}`, mine.cookie],
      ["no auth_code", mine.callback, mine.cookie],
      ["empty state", `/authorize/callback?state=&${code}`, mine.cookie],
      ["malformed state", `/authorize/callback?state=${"z".repeat(32)}&${code}`, mine.cookie],
      ["no cookie", `${mine.callback}&${code}`, undefined],
      ["another browser's cookie", `${mine.callback}&${code}`, other.cookie],
      ["another authorization's state", `${other.callback}&${code}`, mine.cookie],
      [
        "forged cookie",
        `${mine.callback}&${code}`,
        `wxopen_state=${mine.state}.${now}.${"0".repeat(64)}`,
      ],
      ["cookie without a MAC", `${mine.callback}&${code}`, `wxopen_state=${mine.state}`],
      ["expired cookie (genuine MAC)", `${mine.callback}&${code}`, expired],
    ];
    for (const [what, path, cookie] of cases) {
      const res = await h.fetch(path, { headers: cookie ? { cookie } : {} });
      const text = await res.text();
      assert.equal(res.status, 400, `${what}: ${res.status}`);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      assert.ok(!text.includes(auth.authCode), `${what}: the code is not echoed`);
    }
    assert.equal(h.sim.calls("/cgi-bin/component/api_query_auth"), exchanges, "no exchange");
    assert.deepEqual(kvDiff(before, await kvState(h)), [], "KV unchanged");
    // The genuine cookie (of the same construction as `expired`, but fresh) is accepted.
    const fresh = await stateCookie(mine.state, now);
    const ok = await h.fetch(`${mine.callback}&${code}`, { headers: { cookie: fresh } });
    assert.equal(ok.status, 200, await ok.text());
  },
});

/** A state cookie signed with the worker's own key, as if the worker had issued it at `issuedAt`. */
async function stateCookie(state: string, issuedAt: number): Promise<string> {
  const storageKey = Uint8Array.from(atob(SETTINGS.STORAGE_KEY), (c) => c.charCodeAt(0));
  return `${STATE_COOKIE}=${await signState(storageKey, state, issuedAt)}`;
}

Deno.test({
  name: "security: a replayed push (same body and query) changes nothing",
  ...opts,
  async fn() {
    const auth = await h.sim.authorizeAccount({ kind: "official_account" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
    );
    const revoked = await h.sim.authorizeAccount({ kind: "mini_program" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${revoked.appId}`)
    );
    await h.sim.revoke(revoked.appId);
    await h.sim.settled();
    await settle();
    const pushes: [string, Request][] = [
      ["component_verify_ticket", await h.sim.ticketPush(EVENTS)],
      ["authorized", await h.sim.authorizationPush(EVENTS, auth)],
      ["unauthorized", await h.sim.unauthorizedPush(EVENTS, revoked.appId)],
      ["unauthorized (unknown appid)", await h.sim.unauthorizedPush(EVENTS, "wx00000000000000aa")],
      [
        "text message",
        await h.sim.textMessagePush(`${ORIGIN}/wechat/authorizers/${auth.appId}/callback`, {
          appId: auth.appId,
          content: "replay me",
        }),
      ],
    ];
    for (const [what, request] of pushes) {
      const copy = request.clone();
      const first = await h.send(request);
      const text = await first.text();
      assert.equal(first.status, 200, `${what}: ${text}`);
      const before = await settle();
      const calls = h.sim.calls();
      const replay = await h.send(copy);
      assert.equal(replay.status, 200, what);
      assert.equal(await replay.text(), "success");
      const after = await quiesce(h);
      assert.deepEqual(kvDiff(before, after), [], `${what}: the replay changed KV`);
      assert.equal(h.sim.calls(), calls, `${what}: the replay called WeChat`);
    }
  },
});

Deno.test({
  name: "security: the simulator cannot be reached in the production bundle",
  ...opts,
  async fn() {
    const paths: [string, string][] = [
      ["GET", "/_sim"],
      ["GET", "/_sim/"],
      ["POST", "/_sim/cgi-bin/component/api_component_token"],
      ["GET", "/_sim/cgi-bin/componentloginpage"],
      ["GET", "/_sim/cgi-bin/componentloginpage?component_appid=x&pre_auth_code=y"],
      ["POST", "/cgi-bin/component/api_component_token"],
      ["POST", "/cgi-bin/component/api_query_auth"],
      ["GET", "/cgi-bin/componentloginpage"],
      ["GET", "/wxaopen/safe/bindcomponent"],
      ["POST", "/_sim/authorize"],
    ];
    for (const [method, path] of paths) {
      const res = await h.fetch(path, {
        method,
        body: method === "POST" ? JSON.stringify({ component_appid: "x" }) : undefined,
      });
      const text = await res.text();
      assert.equal(res.status, 404, `${method} ${path}: ${res.status}`);
      assert.equal(JSON.parse(text).error.code, "not_found");
    }
    // No code of the simulator in the bundle: none of its own string literals is there.
    // (The bundler writes non-ASCII characters as \u escapes.)
    const unescape = (code: string) =>
      code.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    const prod = unescape((await bundleWorker("")).code);
    const dev = unescape((await bundleWorker("dev")).code);
    const markers = await simulatorMarkers();
    assert.ok(markers.length >= 30, `only ${markers.length} markers`);
    const inDev = markers.filter((m) => dev.includes(m));
    assert.ok(inDev.length >= markers.length / 2, "the markers are found where the code is");
    const inProd = markers.filter((m) => prod.includes(m));
    assert.deepEqual(inProd, [], "simulator strings in the production bundle");
    for (const s of ["/_sim", "WeChatSimulator", "Simulated network failure"]) {
      assert.ok(!prod.includes(s), s);
    }
    console.log(
      `${markers.length} simulator strings: ${inDev.length} in the dev bundle, 0 in production`,
    );
  },
});

/** String literals (≥ 16 characters) of src/testing/ that the rest of the code does not use. */
async function simulatorMarkers(): Promise<string[]> {
  const root = new URL("../", import.meta.url);
  const read = async (dir: string) => {
    const out: string[] = [];
    for await (const e of Deno.readDir(new URL(dir, root))) {
      if (e.isFile && e.name.endsWith(".ts")) {
        out.push(await Deno.readTextFile(new URL(`${dir}/${e.name}`, root)));
      } else if (e.isDirectory) out.push(...await read(`${dir}/${e.name}`));
    }
    return out;
  };
  const testing = (await read("src/testing")).join("\n");
  const rest = [
    ...(await read("src/")).filter((s) => !testing.includes(s)),
    ...(await read("worker")),
  ].join("\n");
  const literals = new Set<string>();
  for (const m of testing.matchAll(/"([^"\\\n$]{16,})"/g)) literals.add(m[1]);
  // Messages and page text (not bare paths or names), and not code between two literals.
  return [...literals].filter((s) =>
    !rest.includes(s) && /[a-z] [a-z]/i.test(s) && !/[`{}()]|&&|\|\||[!=]==/.test(s)
  );
}

/**
 * The `Credentials` port and the one request path: a client over a port of the caller's carries
 * the port's tokens on every call (typed, `call()`, raw `fetch`), reports a token WeChat rejected
 * exactly once with the token that call carried, and retries once; a partial port leaves the
 * other kind managed over the store. Also the error taxonomy (one base, a code on every error),
 * the one appid rule and the one retry loop.
 */

import assert from "node:assert/strict";
import {
  type AccessTokenInfo,
  ComponentClient,
  type CredentialRequest,
  type Credentials,
  HttpStatusError,
  InvalidJsonError,
  isAppId,
  MemoryStore,
  MissingTicketError,
  NetworkError,
  ReauthorizationRequiredError,
  ResponseSchemaError,
  retry,
  SealedValueError,
  storageKeys,
  StoreError,
  StoreRateLimitError,
  TimeoutError,
  TokenNotCachedError,
  WeChatError,
  WxOpenError,
} from "../mod.ts";
import { InvalidSignatureError, MessageCryptoError } from "../src/crypto/mod.ts";
import { PushFormatError } from "../src/events/mod.ts";
import { XmlParseError } from "../src/xml/mod.ts";
import { WeChatSimulator } from "../src/testing/mod.ts";

const APPID = "wx3cf0f39249000060";
const SECRET = "sim-component-secret-3f9a2b7c";

function simulator(): WeChatSimulator {
  return new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "sim-message-token",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    now: () => Date.parse("2026-03-01T08:00:00Z"),
  });
}

/** A port that hands out the simulator's current tokens and records every request. */
function recordingPort(sim: WeChatSimulator) {
  const requests: { kind: string; request?: CredentialRequest }[] = [];
  const info = (token: string | undefined): AccessTokenInfo => {
    if (!token) throw new Error("the simulator has no token yet");
    return { token, expiresAt: sim.now() + 3600_000 };
  };
  const port: Credentials = {
    componentToken(request) {
      requests.push({ kind: "component", request });
      return Promise.resolve(info(sim.currentAccessToken()));
    },
    authorizerToken(appid, request) {
      requests.push({ kind: appid, request });
      return Promise.resolve(info(sim.currentAccessToken(appid)));
    },
  };
  return { port, requests };
}

/** A client of `sim`'s component over `store` (default: a fresh one), with `credentials` if given. */
function clientOf(
  sim: WeChatSimulator,
  store: MemoryStore = new MemoryStore({ now: () => sim.now() }),
  credentials?: Partial<Credentials>,
): ComponentClient {
  return new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: sim.fetch,
    now: () => sim.now(),
    credentials,
  });
}

/** An authorized account in `sim`, set up by a managed client of its own. */
async function authorizedAccount(sim: WeChatSimulator): Promise<string> {
  const setupClient = clientOf(sim);
  await setupClient.acceptTicket(sim.issueTicket());
  const pre = await setupClient.createPreAuthCode();
  const auth = await sim.authorizeAccount({
    kind: "official_account",
    preAuthCode: pre.pre_auth_code,
  });
  await setupClient.queryAuth(auth.authCode);
  return auth.appId;
}

Deno.test("a client over a caller's port carries its tokens on every call and writes no token", async () => {
  const sim = simulator();
  const appid = await authorizedAccount(sim);
  const { port, requests } = recordingPort(sim);
  const store = new MemoryStore({ now: () => sim.now() });
  const client = clientOf(sim, store, port);
  const calls = {
    component: sim.calls("api_component_token"),
    authorizer: sim.calls("api_authorizer_token"),
  };

  assert.equal(
    (await client.getAuthorizerInfo(appid)).authorizer_info.user_name !== undefined,
    true,
  );
  const merchant = client.authorizer(appid);
  assert.equal(
    (await merchant.getAuthorizerOption({ option_name: "voice_recognize" })).option_name,
    "voice_recognize",
  );
  assert.equal((await merchant.fetch("/cgi-bin/get_current_selfmenu_info")).status, 200);
  assert.equal(await client.authorizerAccessToken(appid), sim.currentAccessToken(appid));

  assert.deepEqual(requests.map((r) => r.kind), ["component", appid, appid, appid]);
  assert.ok(requests.every((r) => r.request === undefined));
  // The port is the only token source: nothing asked WeChat for a token, nothing was stored.
  assert.equal(sim.calls("api_component_token"), calls.component);
  assert.equal(sim.calls("api_authorizer_token"), calls.authorizer);
  assert.equal((await store.list({ prefix: storageKeys.authorizerTokenPrefix })).keys.length, 0);
  assert.equal(await store.get(storageKeys.componentToken), null);
});

Deno.test("a token WeChat rejects is reported once, with the token that call carried, then retried once", async () => {
  const sim = simulator();
  const appid = await authorizedAccount(sim);
  const carried = sim.currentAccessToken(appid)!;
  let reported: CredentialRequest | undefined;
  const port: Credentials = {
    componentToken: () =>
      Promise.resolve({ token: sim.currentAccessToken()!, expiresAt: Infinity }),
    authorizerToken: (_appid, request) => {
      if (request?.invalid) reported = request;
      return Promise.resolve({
        token: request?.invalid ? "fresh-token-from-port" : carried,
        expiresAt: Infinity,
      });
    },
  };
  const client = clientOf(sim, new MemoryStore(), port);
  // WeChat says 40001 to both attempts: one report, one retry, then WeChat's error.
  sim.inject({ path: "/cgi-bin/get_current_selfmenu_info", errcode: 40001, times: 2 });
  const before = sim.calls("/cgi-bin/get_current_selfmenu_info");
  await assert.rejects(
    client.authorizer(appid).call("/cgi-bin/get_current_selfmenu_info"),
    (e: unknown) => e instanceof WeChatError && e.errcode === 40001 && e.code === "wechat_error",
  );
  assert.equal(sim.calls("/cgi-bin/get_current_selfmenu_info") - before, 2);
  assert.deepEqual(reported, { invalid: carried });

  // The raw fetch retries the same way and then hands WeChat's answer back as is.
  reported = undefined;
  sim.inject({ path: "/cgi-bin/get_current_selfmenu_info", errcode: 42001, times: 2 });
  const raw = await client.authorizer(appid).fetch("/cgi-bin/get_current_selfmenu_info");
  assert.equal(((await raw.json()) as { errcode: number }).errcode, 42001);
  assert.deepEqual(reported, { invalid: carried });
});

Deno.test("a partial port: component tokens from the port, authorizer tokens managed over the store", async () => {
  const sim = simulator();
  const appid = await authorizedAccount(sim);
  const refreshToken = sim.account(appid)!.refreshToken!;
  const { port, requests } = recordingPort(sim);
  const store = new MemoryStore({ now: () => sim.now() });
  const client = clientOf(sim, store, { componentToken: port.componentToken });
  await client.importAuthorizer({ authorizerAppId: appid, refreshToken });
  const componentCalls = sim.calls("api_component_token");
  const token = await client.authorizerAccessToken(appid);
  assert.equal(token, sim.currentAccessToken(appid));
  // The refresh used the port's component token; no ticket, no api_component_token here.
  assert.deepEqual(requests.map((r) => r.kind), ["component"]);
  assert.equal(sim.calls("api_component_token"), componentCalls);
  assert.notEqual(await store.get(storageKeys.authorizerToken(appid)), null);
});

Deno.test("cachedOnly never calls WeChat: TokenNotCachedError when nothing valid is stored", async () => {
  const sim = simulator();
  const client = clientOf(sim);
  await assert.rejects(
    client.credentials.componentToken({ cachedOnly: true }),
    (e: unknown) => e instanceof TokenNotCachedError && e.code === "token_not_cached",
  );
  assert.equal(await client.cachedComponentAccessToken(), null);
  assert.equal(sim.calls("api_component_token"), 0);
  await client.acceptTicket(sim.issueTicket());
  const fresh = await client.credentials.componentToken();
  assert.deepEqual(await client.credentials.componentToken({ cachedOnly: true }), fresh);
  assert.equal(sim.calls("api_component_token"), 1);
});

Deno.test("one error taxonomy: every error is a WxOpenError with a stable code", () => {
  const cases: [WxOpenError, string, boolean][] = [
    [new WeChatError("/x", 61009, "code is invalid"), "wechat_error", false],
    [new WeChatError("/x", -1, "system error"), "wechat_error", true],
    [new HttpStatusError("/x", 503, ""), "http_status", true],
    [new HttpStatusError("/x", 404, ""), "http_status", false],
    [new NetworkError("/x"), "network", true],
    [new TimeoutError("/x", 10), "timeout", true],
    [new InvalidJsonError("/x", "<html>"), "invalid_json", false],
    [new ResponseSchemaError("/x", ["a: expected string"]), "response_schema", false],
    [new MissingTicketError("none yet"), "ticket_missing", false],
    [
      new ReauthorizationRequiredError("wx3cf0f39249000060", "revoked"),
      "reauthorization_required",
      false,
    ],
    [new TokenNotCachedError("component"), "token_not_cached", false],
    [new StoreError("down", { retryable: true }), "store_unavailable", true],
    [new StoreRateLimitError("slow down"), "store_rate_limited", true],
    [new SealedValueError("k", "tampered"), "sealed_value_invalid", false],
    [new InvalidSignatureError(), "invalid_signature", false],
    [new XmlParseError("xml_doctype", "no DOCTYPE"), "xml_doctype", false],
    [new PushFormatError("missing_field", "AppId", "InfoType x"), "missing_field", false],
  ];
  for (const [error, code, retryable] of cases) {
    assert.ok(error instanceof WxOpenError, `${error.name} extends WxOpenError`);
    assert.ok(error instanceof Error);
    assert.equal(error.code, code, error.name);
    assert.equal(error.retryable, retryable, error.name);
  }
  assert.ok(new InvalidSignatureError() instanceof MessageCryptoError);
  // The DOMException of AbortSignal.timeout is not ours, whatever its name.
  assert.ok(!(new DOMException("timed out", "TimeoutError") instanceof WxOpenError));
});

Deno.test("one appid rule: wx and 16 letters or digits, everywhere", () => {
  assert.ok(isAppId("wxf8b4f85f3a794e77"));
  for (
    const bad of [
      "",
      "wx",
      "wxf8b4f85f3a794e7",
      "wxf8b4f85f3a794e777",
      "../../etc",
      "wx_8b4f85f3a794e77",
      42,
    ]
  ) {
    assert.ok(!isAppId(bad), String(bad));
  }
  const client = new ComponentClient({ appId: APPID, appSecret: SECRET, store: new MemoryStore() });
  assert.throws(() => client.authorizer("wx_8b4f85f3a794e77"), TypeError);
  assert.throws(() => client.getAuthorizerInfo("not-an-appid"), TypeError);
  assert.throws(
    () => new ComponentClient({ appId: "wx1", appSecret: SECRET, store: new MemoryStore() }),
    TypeError,
  );
});

Deno.test("retry: bounded attempts, only the failures it is told to retry", async () => {
  let calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new StoreError("down", { retryable: true }));
    }, { attempts: 3, retryIf: (e) => e instanceof StoreError && e.retryable }),
    StoreError,
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    retry(() => {
      calls++;
      return Promise.reject(new StoreError("corrupt"));
    }, { attempts: 3, retryIf: (e) => e instanceof StoreError && e.retryable }),
    StoreError,
  );
  assert.equal(calls, 1);
  const waits: number[] = [];
  calls = 0;
  assert.equal(
    await retry(() => (++calls < 3 ? Promise.reject(new Error("x")) : Promise.resolve("ok")), {
      attempts: 5,
      delayMs: [1, 2],
      onRetry: (_e, attempt) => waits.push(attempt),
    }),
    "ok",
  );
  assert.deepEqual(waits, [1, 2]);
});

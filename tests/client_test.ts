/**
 * ComponentClient against the WeChatSimulator: every API, the authorization flow end to end
 * (encrypted pushes included), token invalidation and recovery, the error taxonomy, and no
 * secret or token in any error.
 */

import assert from "node:assert/strict";
import {
  ComponentClient,
  HttpStatusError,
  InvalidJsonError,
  MemoryStore,
  NetworkError,
  ReauthorizationRequiredError,
  ResponseSchemaError,
  storageKeys,
  TimeoutError,
  WeChatApiCallError,
  WeChatError,
} from "../mod.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseComponentEvent } from "../src/events/mod.ts";
import { WeChatSimulator } from "../src/testing/simulator.ts";
import { FaultyStore } from "../src/testing/faulty_store.ts";

const APPID = "wx3cf0f39249000060";
const SECRET = "sim-component-secret-3f9a2b7c";
const TOKEN = "sim-message-token";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const EVENTS_URL = "https://platform.example/wechat/component/events";

function setup(options: { timeoutMs?: number; fetch?: typeof fetch } = {}) {
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => Date.parse("2026-03-01T08:00:00Z"),
  });
  const store = new MemoryStore({ now: () => sim.now() });
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: options.fetch ?? sim.fetch,
    now: () => sim.now(),
    timeoutMs: options.timeoutMs,
  });
  return { sim, store, client };
}

async function withAuthorizer(kind: "official_account" | "mini_program" = "official_account") {
  const env = setup();
  await env.client.acceptTicket(env.sim.issueTicket());
  const pre = await env.client.createPreAuthCode();
  const auth = await env.sim.authorizeAccount({ kind, preAuthCode: pre.pre_auth_code });
  const result = await env.client.queryAuth(auth.authCode);
  return { ...env, appid: auth.appId, auth, result };
}

/** Every credential the simulator and client know in this test. */
function secretsOf(env: { sim: WeChatSimulator }, extra: string[] = []): string[] {
  const out = [SECRET, ...extra];
  const component = env.sim.currentAccessToken();
  if (component) out.push(component);
  for (const account of env.sim.accounts()) {
    if (account.refreshToken) out.push(account.refreshToken);
    const token = env.sim.currentAccessToken(account.appId);
    if (token) out.push(token);
  }
  return out;
}

function assertNoSecret(error: unknown, secrets: string[]): void {
  const texts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    texts.push(e.message, JSON.stringify(e), String(e.stack ?? ""));
    e = e.cause;
  }
  const haystack = texts.join("\n");
  for (const secret of secrets) {
    assert.ok(!haystack.includes(secret), `an error leaks a credential: ${haystack}`);
  }
}

// ------------------------------------------------------------------ construction

Deno.test("options are validated at construction, naming the bad option", () => {
  const store = new MemoryStore();
  const ok = { appId: APPID, appSecret: SECRET, store };
  const bad: [string, Record<string, unknown>][] = [
    ["appId", { appId: "" }],
    ["appId", { appId: "wx 1" }],
    ["appSecret", { appSecret: "" }],
    ["store", { store: {} }],
    ["fetch", { fetch: "nope" }],
    ["apiBase", { apiBase: "ftp://x" }],
    ["now", { now: 5 }],
    ["timeoutMs", { timeoutMs: 0 }],
    ["refreshMarginSeconds", { refreshMarginSeconds: -1 }],
    ["onAuthorizerRefreshToken", { onAuthorizerRefreshToken: true }],
  ];
  for (const [name, patch] of bad) {
    assert.throws(
      () => new ComponentClient({ ...ok, ...patch } as never),
      (e: unknown) => e instanceof TypeError && e.message.includes(name),
      name,
    );
  }
  assert.ok(new ComponentClient(ok) instanceof ComponentClient);
});

// ------------------------------------------------------------------ flow and APIs

Deno.test("authorization flow: ticket → component token → pre-auth code → page link → query_auth", async () => {
  const env = setup();
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.equal(await env.client.componentAccessToken(), env.sim.currentAccessToken());
  const pre = await env.client.createPreAuthCode();
  assert.ok(pre.expires_in > 0);

  const pc = new URL(env.client.authorizationUrl({
    preAuthCode: pre.pre_auth_code,
    redirectUri: "https://platform.example/authorize/callback?x=1",
    authType: 2,
    bizAppId: "wxf8b4f85f3a794e77",
    categoryIdList: [1, 18],
  }));
  assert.equal(pc.origin + pc.pathname, "https://mp.weixin.qq.com/cgi-bin/componentloginpage");
  assert.equal(pc.searchParams.get("component_appid"), APPID);
  assert.equal(pc.searchParams.get("pre_auth_code"), pre.pre_auth_code);
  assert.equal(
    pc.searchParams.get("redirect_uri"),
    "https://platform.example/authorize/callback?x=1",
  );
  assert.equal(pc.searchParams.get("auth_type"), "2");
  assert.equal(pc.searchParams.get("biz_appid"), "wxf8b4f85f3a794e77");
  assert.equal(pc.searchParams.get("category_id_list"), "1|18");

  const mobile = env.client.authorizationUrl({
    preAuthCode: pre.pre_auth_code,
    redirectUri: "https://platform.example/cb",
    mobile: true,
  });
  assert.ok(mobile.startsWith(
    "https://open.weixin.qq.com/wxaopen/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid=",
  ));
  assert.ok(mobile.endsWith("&auth_type=3#wechat_redirect"));
  assert.throws(
    () => env.client.authorizationUrl({ preAuthCode: "p", redirectUri: "javascript:x" }),
    TypeError,
  );
  assert.throws(
    () =>
      env.client.authorizationUrl({ preAuthCode: "p", redirectUri: "https://a", authType: 7 as 1 }),
    TypeError,
  );

  const auth = await env.sim.authorizeAccount({
    kind: "official_account",
    preAuthCode: pre.pre_auth_code,
  });
  const result = await env.client.queryAuth(auth.authCode);
  const info = result.authorization_info;
  assert.equal(info.authorizer_appid, auth.appId);
  assert.equal(info.authorizer_refresh_token, env.sim.account(auth.appId)?.refreshToken);
  assert.ok((info.func_info ?? []).length > 0);
  assert.equal(
    await env.client.authorizerAccessToken(auth.appId),
    env.sim.currentAccessToken(auth.appId),
  );
  assert.equal(env.sim.calls("api_authorizer_token"), 0);
  // The same code again (redirect + push): answered from the store, WeChat not asked twice.
  assert.equal(
    (await env.client.queryAuth(auth.authCode)).authorization_info.authorizer_appid,
    auth.appId,
  );
  assert.equal(env.sim.calls("api_query_auth"), 1);
});

Deno.test("authorizer info, options (current and legacy), list, quota, push ticket", async () => {
  const env = await withAuthorizer("mini_program");
  const info = await env.client.getAuthorizerInfo(env.appid);
  assert.equal(info.authorizer_info.nick_name, env.sim.account(env.appid)?.nickName);
  assert.ok(Array.isArray(info.authorizer_info.MiniProgramInfo?.network?.RequestDomain));
  assert.equal(info.authorizer_info.service_type_info?.id, 0);
  assert.ok("idc" in info.authorizer_info, "unknown fields pass through");

  await env.client.setAuthorizerOption(env.appid, "voice_recognize", "1");
  assert.equal(env.sim.account(env.appid)?.options.voice_recognize, "1");
  assert.deepEqual(
    { ...(await env.client.getAuthorizerOption(env.appid, "voice_recognize")) },
    { option_name: "voice_recognize", option_value: "1" },
  );
  await env.client.apiSetAuthorizerOption({
    authorizer_appid: env.appid,
    option_name: "location_report",
    option_value: "2",
  });
  const legacy = await env.client.apiGetAuthorizerOption({
    authorizer_appid: env.appid,
    option_name: "location_report",
  });
  assert.equal(legacy.option_value, "2");
  assert.equal(legacy.authorizer_appid, env.appid);
  await assert.rejects(
    env.client.setAuthorizerOption(env.appid, "no_such_option", "1"),
    (e: unknown) => e instanceof WeChatError && e.errcode === 61012,
  );

  const list = await env.client.getAuthorizerList({ offset: 0, count: 10 });
  assert.equal(list.total_count, 1);
  assert.equal(list.list[0].authorizer_appid, env.appid);
  assert.throws(() => env.client.getAuthorizerList({ count: 501 }), RangeError);

  assert.equal((await env.client.clearQuota()).errcode, 0);
  assert.equal((await env.client.clearQuotaV2()).errcode, 0);
  assert.equal((await env.client.clearQuotaV2({ appId: env.appid })).errcode, 0);
  assert.equal((await env.client.authorizer(env.appid).clearQuota()).errcode, 0);
  assert.equal((await env.client.startPushTicket()).errcode, 0);
});

Deno.test("raw api_authorizer_token, and importAuthorizer for a refresh token obtained elsewhere", async () => {
  const env = await withAuthorizer();
  const refreshToken = env.sim.account(env.appid)!.refreshToken!;
  const raw = await env.client.refreshAuthorizerToken(env.appid, refreshToken);
  assert.equal(raw.authorizer_access_token, env.sim.currentAccessToken(env.appid));
  assert.equal(raw.expires_in, 7200);
  await assert.rejects(
    env.client.refreshAuthorizerToken(env.appid, "refreshtoken@@@not-the-current-one"),
    (e: unknown) => e instanceof WeChatError && e.errcode === 61023,
  );
  // A second platform deployment with an empty store takes the refresh token over.
  const store = new MemoryStore({ now: () => env.sim.now() });
  const other = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: env.sim.fetch,
    now: () => env.sim.now(),
  });
  await other.acceptTicket(env.sim.issueTicket());
  await other.importAuthorizer({ authorizerAppId: env.appid, refreshToken });
  assert.equal((await other.getAuthorizer(env.appid))?.status, "authorized");
  assert.equal(await other.authorizerAccessToken(env.appid), env.sim.currentAccessToken(env.appid));
  await assert.rejects(
    other.importAuthorizer({ authorizerAppId: env.appid, refreshToken: "" }),
    TypeError,
  );
});

Deno.test("authorizer(appid).call() injects the authorizer token and retries once after 40001", async () => {
  const env = await withAuthorizer();
  const openid = env.sim.account(env.appid)!.openid;
  const send = () =>
    env.client.authorizer(env.appid).call("/cgi-bin/message/custom/send", {
      touser: openid,
      msgtype: "text",
      text: { content: "hello" },
    });
  assert.equal((await send()).errcode, 0);
  env.sim.invalidateAccessToken(env.appid); // e.g. another process refreshed it
  assert.equal((await send()).errcode, 0);
  assert.equal(env.sim.calls("api_authorizer_token"), 1);
  assert.equal(env.sim.sentMessages(env.appid).length, 2);
  assert.equal(
    await env.client.authorizerAccessToken(env.appid),
    env.sim.currentAccessToken(env.appid),
  );

  // WeChat keeps answering 40001: one refresh and one retry, then the error.
  env.sim.inject({ path: "/cgi-bin/message/custom/send", errcode: 40001, times: 5 });
  const before = env.sim.calls("/cgi-bin/message/custom/send");
  await assert.rejects(send(), (e: unknown) => e instanceof WeChatError && e.errcode === 40001);
  assert.equal(env.sim.calls("/cgi-bin/message/custom/send") - before, 2);
  assert.throws(() => env.client.authorizer(env.appid).call("/x?access_token=1"), TypeError);
});

Deno.test("authorizer(appid).call() refuses a component API before sending it, as fetch() does", async () => {
  const env = await withAuthorizer();
  const merchant = env.client.authorizer(env.appid);
  const before = env.sim.calls("/cgi-bin/component/api_query_auth");
  for (
    const [path, query] of [
      ["/cgi-bin/component/api_query_auth", undefined],
      ["/wxa/gettemplatelist", undefined],
      ["/cgi-bin/message/custom/send", { component_access_token: "x" }],
    ] as const
  ) {
    assert.throws(
      () => merchant.call(path, {}, query ? { query } : {}),
      (e: unknown) => e instanceof TypeError && /component/.test(e.message),
      path,
    );
  }
  assert.equal(env.sim.calls("/cgi-bin/component/api_query_auth"), before);
  // The authorizer APIs that live under cgi-bin/component still reach WeChat (which answers an
  // official account's privacy request 48001: a mini program's API).
  await assert.rejects(
    merchant.call("/cgi-bin/component/getprivacysetting", {}),
    (e: unknown) => e instanceof WeChatError && e.errcode === 48001,
  );
});

Deno.test("the component token invalidated mid-flight is refreshed once and the call retried", async () => {
  const env = await withAuthorizer();
  env.sim.invalidateAccessToken();
  const tokenCalls = env.sim.calls("api_component_token");
  await env.client.createPreAuthCode();
  assert.equal(env.sim.calls("api_component_token") - tokenCalls, 1);
  assert.equal(await env.client.componentAccessToken(), env.sim.currentAccessToken());
});

Deno.test("100 concurrent callers on an expired authorizer token → 1 upstream refresh (simulator)", async () => {
  const env = await withAuthorizer();
  env.sim.advance(7200_000 + 1000);
  const tokens = await Promise.all(
    Array.from({ length: 100 }, () => env.client.authorizerAccessToken(env.appid)),
  );
  assert.equal(new Set(tokens).size, 1);
  assert.equal(tokens[0], env.sim.currentAccessToken(env.appid));
  assert.equal(env.sim.calls("api_authorizer_token"), 1);
  assert.equal(env.sim.calls("api_component_token"), 2);
});

Deno.test("61023: the current refresh token is recovered from api_get_authorizer_list", async () => {
  const env = await withAuthorizer();
  env.sim.invalidateRefreshToken(env.appid);
  env.sim.advance(7200_000);
  assert.equal(
    await env.client.authorizerAccessToken(env.appid),
    env.sim.currentAccessToken(env.appid),
  );
  assert.equal(env.sim.calls("api_get_authorizer_list"), 1);
  // Recovered for good: the next refresh goes straight through.
  env.sim.advance(7200_000);
  await env.client.authorizerAccessToken(env.appid);
  assert.equal(env.sim.calls("api_get_authorizer_list"), 1);
});

Deno.test("a revoked authorizer: 61003 → ReauthorizationRequiredError; the push purges tokens", async () => {
  const env = await withAuthorizer();
  await env.sim.revoke(env.appid);
  await assert.rejects(
    env.client.authorizer(env.appid).call("/cgi-bin/get_current_selfmenu_info"),
    (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "not_authorized",
  );
  assert.equal((await env.client.getAuthorizer(env.appid))?.status, "reauthorization_required");
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  const push = await env.sim.unauthorizedPush(EVENTS_URL, env.appid);
  const q = Object.fromEntries(new URL(push.url).searchParams);
  const event = parseComponentEvent(
    await crypto.open(
      await push.text(),
      q as { msg_signature: string; timestamp: string; nonce: string },
    ),
  );
  assert.equal((await env.client.handleComponentEvent(event)).action, "revoked");
  const record = await env.client.getAuthorizer(env.appid);
  assert.equal(record?.status, "revoked");
  assert.equal(typeof record?.revokedAt, "number");
  assert.equal(await env.client.cachedAuthorizerAccessToken(env.appid), null);
});

Deno.test("encrypted pushes from the simulator drive the client: ticket and authorized", async () => {
  const env = setup();
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  const open = async (request: Request) => {
    const q = Object.fromEntries(new URL(request.url).searchParams);
    return parseComponentEvent(
      await crypto.open(
        await request.text(),
        q as { msg_signature: string; timestamp: string; nonce: string },
      ),
    );
  };
  const ticketEvent = await open(await env.sim.ticketPush(EVENTS_URL));
  assert.deepEqual(await env.client.handleComponentEvent(ticketEvent), { action: "ticket_stored" });
  assert.equal(await env.client.componentAccessToken(), env.sim.currentAccessToken());

  const auth = await env.sim.authorizeAccount({ kind: "official_account" });
  const pushed = await open(await env.sim.authorizationPush(EVENTS_URL, auth));
  assert.deepEqual(await env.client.handleComponentEvent(pushed), {
    action: "authorized",
    authorizerAppId: auth.appId,
  });
  // WeChat retries the push: harmless.
  const again = await open(await env.sim.authorizationPush(EVENTS_URL, auth));
  assert.equal((await env.client.handleComponentEvent(again)).action, "duplicate");
  assert.equal(env.sim.calls("api_query_auth"), 1);
  // The browser redirect carries the same code.
  assert.equal(
    (await env.client.queryAuth(auth.authCode)).authorization_info.authorizer_appid,
    auth.appId,
  );
  assert.equal(env.sim.calls("api_query_auth"), 1);
  assert.equal(
    await env.client.authorizerAccessToken(auth.appId),
    env.sim.currentAccessToken(auth.appId),
  );
});

Deno.test("web authorization on behalf: oauth link, code → token, refresh, jscode2session", async () => {
  const oa = await withAuthorizer("official_account");
  const url = oa.client.oauthUrl({ appId: oa.appid, redirectUri: "http://localhost", state: "s1" });
  assert.equal(
    url,
    `https://open.weixin.qq.com/connect/oauth2/authorize?appid=${oa.appid}&redirect_uri=http%3A%2F%2Flocalhost&response_type=code&scope=snsapi_base&state=s1&component_appid=${APPID}#wechat_redirect`,
  );
  const code = oa.sim.oauthCode({ appId: oa.appid, scope: "snsapi_userinfo" });
  const token = await oa.client.oauthAccessToken({ appId: oa.appid, code });
  assert.equal(token.openid, oa.sim.account(oa.appid)?.openid);
  assert.equal(token.scope, "snsapi_userinfo");
  const renewed = await oa.client.oauthRefreshToken({
    appId: oa.appid,
    refreshToken: token.refresh_token,
  });
  assert.equal(renewed.openid, token.openid);
  await assert.rejects(oa.client.oauthAccessToken({ appId: oa.appid, code }), WeChatError); // single use

  const mp = await withAuthorizer("mini_program");
  const session = await mp.client.jscode2session({
    appId: mp.appid,
    jsCode: mp.sim.jsCode({ appId: mp.appid }),
  });
  assert.equal(session.openid, mp.sim.account(mp.appid)?.openid);
  assert.ok(session.session_key.length > 0);
});

// ------------------------------------------------------------------ errors

Deno.test("WeChatError carries errcode, errmsg, api path and rid", async () => {
  const env = setup();
  await env.client.acceptTicket(env.sim.issueTicket());
  await assert.rejects(env.client.queryAuth("queryauthcode@@@bogus"), (e: unknown) => {
    assert.ok(e instanceof WeChatError);
    assert.ok(e.errcode !== 0);
    assert.equal(e.api, "/cgi-bin/component/api_query_auth");
    assert.match(e.rid ?? "", /^[0-9a-f-]+$/);
    assert.equal(e.retryable, false);
    assertNoSecret(e, [...secretsOf(env), "queryauthcode@@@bogus"]);
    return true;
  });
});

Deno.test("HTTP status, dropped connection and timeout have their own classes, no secret inside", async () => {
  const env = setup({ timeoutMs: 50 });
  await env.client.acceptTicket(env.sim.issueTicket());
  env.sim.inject({ path: "api_component_token", status: 502 });
  await assert.rejects(env.client.componentAccessToken(), (e: unknown) => {
    assert.ok(e instanceof HttpStatusError && e.status === 502 && e.retryable);
    assertNoSecret(e, secretsOf(env));
    return true;
  });
  env.sim.inject({ path: "api_component_token", drop: true });
  await assert.rejects(env.client.componentAccessToken(), (e: unknown) => {
    assert.ok(e instanceof NetworkError && e.retryable);
    assertNoSecret(e, secretsOf(env));
    return true;
  });
  env.sim.inject({ path: "api_component_token", delayMs: 2000 });
  await assert.rejects(env.client.componentAccessToken(), (e: unknown) => {
    assert.ok(e instanceof TimeoutError && e.timeoutMs === 50);
    return true;
  });
  // Service is back: the client recovers.
  assert.equal(await env.client.componentAccessToken(), env.sim.currentAccessToken());
});

Deno.test("a fetch that ignores the abort signal still cannot hang a call", async () => {
  const never: typeof fetch = () => new Promise<Response>(() => {});
  const env = setup({ timeoutMs: 30, fetch: never });
  await assert.rejects(env.client.startPushTicket(), TimeoutError);
});

Deno.test("invalid JSON and unexpected shapes are their own errors; credentials are redacted", async () => {
  let body = "<html>502 Bad Gateway</html>";
  let seenToken = "";
  const fake: typeof fetch = (input) => {
    const url = new URL(String(input));
    seenToken = url.searchParams.get("component_access_token") ?? seenToken;
    if (url.pathname.endsWith("api_component_token")) {
      return Promise.resolve(
        Response.json({ component_access_token: "tok-12345678", expires_in: 7200 }),
      );
    }
    return Promise.resolve(new Response(body));
  };
  const env = setup({ fetch: fake });
  await env.client.acceptTicket("ticket@@@abcdefgh");
  await assert.rejects(env.client.createPreAuthCode(), InvalidJsonError);
  body = JSON.stringify({ pre_auth_code: 42, expires_in: "soon" });
  await assert.rejects(env.client.createPreAuthCode(), (e: unknown) => {
    assert.ok(e instanceof ResponseSchemaError);
    assert.ok(e.issues.some((i) => i.startsWith("pre_auth_code")));
    return true;
  });
  // WeChat echoing credentials back (it never should) does not leak them into errors.
  body = JSON.stringify({ errcode: 40013, errmsg: `bad ${SECRET} tok-12345678 ticket@@@abcdefgh` });
  await assert.rejects(env.client.createPreAuthCode(), (e: unknown) => {
    assert.ok(e instanceof WeChatApiCallError);
    assertNoSecret(e, [SECRET, "tok-12345678", "ticket@@@abcdefgh"]);
    return true;
  });
  assert.equal(seenToken, "tok-12345678");
  // A network error message from the runtime contains the URL, token included: redacted.
  const leaky: typeof fetch = (input) =>
    Promise.reject(new TypeError(`error sending request for url (${String(input)})`));
  const env2 = setup({ fetch: leaky });
  await assert.rejects(env2.client.startPushTicket(), (e: unknown) => {
    assert.ok(e instanceof NetworkError);
    assertNoSecret(e, [SECRET]);
    return true;
  });
  const env3 = setup({
    fetch: (input, init) => Promise.reject(new TypeError(`failed ${input} ${init?.body}`)),
  });
  await assert.rejects(env3.client.startPushTicket(), (e: unknown) => {
    assertNoSecret(e, [SECRET]);
    return true;
  });
});

Deno.test("authorizer(appid).fetch proxies as is, replaces access_token, retries once after 40001", async () => {
  const env = await withAuthorizer();
  const openid = env.sim.account(env.appid)!.openid;
  const menu = await env.client.authorizer(env.appid).fetch(
    "/cgi-bin/get_current_selfmenu_info?access_token=forged",
  );
  assert.equal(menu.status, 200);
  assert.equal(typeof (await menu.json()), "object");
  env.sim.invalidateAccessToken(env.appid);
  const sent = await env.client.authorizer(env.appid).fetch("/cgi-bin/message/custom/send", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ touser: openid, msgtype: "text", text: { content: "via proxy" } }),
  });
  assert.deepEqual(await sent.json(), { errcode: 0, errmsg: "ok" });
  assert.equal(env.sim.calls("api_authorizer_token"), 1);
  assert.deepEqual(env.sim.sentMessages(env.appid).at(-1)?.body.text, { content: "via proxy" });
  // A WeChat error other than an invalid token is passed through untouched.
  env.sim.inject({ path: "/cgi-bin/message/custom/send", errcode: 45011 });
  const limited = await env.client.authorizer(env.appid).fetch("/cgi-bin/message/custom/send", {
    method: "POST",
    body: "{}",
  });
  assert.equal(((await limited.json()) as { errcode: number }).errcode, 45011);
  await assert.rejects(env.client.authorizer(env.appid).fetch("//evil.example/x"), TypeError);
});

Deno.test("authorizer(appid).fetch has the same deadline and redacted network errors", async () => {
  const ref: { sim?: WeChatSimulator } = {};
  const wrapped: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === "/cgi-bin/hang") return new Promise<Response>(() => {});
    if (url.pathname === "/cgi-bin/boom") {
      return Promise.reject(new TypeError(`error sending request for url (${url.href})`));
    }
    return ref.sim!.fetch(input, init);
  };
  const env = setup({ timeoutMs: 50, fetch: wrapped });
  ref.sim = env.sim;
  await env.client.acceptTicket(env.sim.issueTicket());
  const pre = await env.client.createPreAuthCode();
  const auth = await env.sim.authorizeAccount({
    kind: "official_account",
    preAuthCode: pre.pre_auth_code,
  });
  await env.client.queryAuth(auth.authCode);
  await assert.rejects(
    env.client.authorizer(auth.appId).fetch("/cgi-bin/hang"),
    (e: unknown) => e instanceof TimeoutError && e.timeoutMs === 50,
  );
  await assert.rejects(env.client.authorizer(auth.appId).fetch("/cgi-bin/boom"), (e: unknown) => {
    assert.ok(e instanceof NetworkError);
    assert.match(String((e.cause as Error).message), /access_token=\[redacted\]/);
    assertNoSecret(e, secretsOf(env));
    return true;
  });
});

Deno.test("a store failing mid-refresh loses nothing (simulator + FaultyStore)", async () => {
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => Date.parse("2026-03-01T08:00:00Z"),
  });
  const store = new FaultyStore(new MemoryStore({ now: () => sim.now() }));
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  await client.acceptTicket(sim.issueTicket());
  const auth = await sim.authorizeAccount({ kind: "official_account" });
  await client.queryAuth(auth.authCode);
  const refreshKey = storageKeys.authorizerRefresh(auth.appId);
  const original = await store.inner.get(refreshKey);
  assert.ok(original);

  // The access-token write fails: the fresh token is still served, the refresh token intact.
  sim.advance(7200_000);
  store.inject({ ops: "put", key: storageKeys.authorizerToken(auth.appId) });
  assert.equal(await client.authorizerAccessToken(auth.appId), sim.currentAccessToken(auth.appId));
  assert.equal(await store.inner.get(refreshKey), original);

  // WeChat issues a token but the answer is lost: an error, nothing dropped, next call fine.
  sim.advance(7200_000);
  sim.inject({ path: "api_authorizer_token", drop: "after" });
  await assert.rejects(client.authorizerAccessToken(auth.appId), NetworkError);
  assert.equal(await store.inner.get(refreshKey), original);
  assert.equal(await client.authorizerAccessToken(auth.appId), sim.currentAccessToken(auth.appId));

  // 61023 and the recovered refresh token cannot be stored: the call fails, the old record
  // stays; with the store back, recovery succeeds and the new token is kept.
  sim.invalidateRefreshToken(auth.appId);
  sim.advance(7200_000);
  store.inject({ ops: "put", key: refreshKey });
  await assert.rejects(client.authorizerAccessToken(auth.appId));
  assert.equal(await store.inner.get(refreshKey), original);
  assert.equal(await client.authorizerAccessToken(auth.appId), sim.currentAccessToken(auth.appId));
  const stored = JSON.parse((await store.inner.get(refreshKey))!) as { refreshToken: string };
  assert.equal(stored.refreshToken, sim.account(auth.appId)?.refreshToken);
});

Deno.test("an errcode sent as a string (as jscode2session's documentation shows) is an error", async () => {
  const fake: typeof fetch = (input) =>
    Promise.resolve(
      new URL(String(input)).pathname.endsWith("api_component_token")
        ? Response.json({ component_access_token: "tok-abcdefgh", expires_in: 7200 })
        : Response.json({ errcode: "40029", errmsg: "invalid code" }),
    );
  const env = setup({ fetch: fake });
  await env.client.acceptTicket("ticket@@@1");
  await assert.rejects(
    env.client.jscode2session({ appId: "wxminiprogram00001", jsCode: "js-code-1234" }),
    (e: unknown) =>
      e instanceof WeChatError && e.errcode === 40029 && e.api === "/sns/component/jscode2session",
  );
});

import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseXml } from "../src/xml/mod.ts";
import {
  RELEASE_TEST_ACCOUNTS,
  WeChatSimulator,
  type WeChatSimulatorOptions,
} from "../src/testing/mod.ts";

const APPID = "wx3cf0f39249000060";
const SECRET = "component-secret-0123456789abcdef";
const TOKEN = "pamtest";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const API = "https://api.weixin.qq.com";
const C = `${API}/cgi-bin/component`;
const EVENTS_URL = "https://platform.example/wechat/component/events";
const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

type Json = Record<string, unknown>;

function makeSim(extra: Partial<WeChatSimulatorOptions> = {}): WeChatSimulator {
  let t = Date.UTC(2026, 0, 15, 4, 0, 0); // 12:00 in China
  return new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => t++,
    ...extra,
  });
}

function crypto(): Promise<MessageCrypto> {
  return MessageCrypto.create({ token: TOKEN, encodingAesKey: AES_KEY, appId: APPID });
}

async function post(
  sim: WeChatSimulator,
  url: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Json> {
  const res = await sim.fetch(url, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
  assert.equal(res.status, 200);
  return await res.json();
}

async function get(sim: WeChatSimulator, url: string): Promise<Json> {
  const res = await sim.fetch(url);
  assert.equal(res.status, 200);
  return await res.json();
}

function assertErr(json: Json, errcode: number): void {
  assert.equal(json.errcode, errcode, JSON.stringify(json));
  assert.match(String(json.errmsg), RID);
}

function componentTokenBody(ticket: string): Json {
  return { component_appid: APPID, component_appsecret: SECRET, component_verify_ticket: ticket };
}

async function componentToken(sim: WeChatSimulator): Promise<string> {
  const json = await post(
    sim,
    `${C}/api_component_token`,
    componentTokenBody(sim.issueTicket()),
  );
  assert.equal(json.expires_in, 7200);
  return json.component_access_token as string;
}

/** Authorizes an account and exchanges the code: the platform's view after authorization. */
async function authorized(
  sim: WeChatSimulator,
  kind: "official_account" | "mini_program" = "official_account",
): Promise<{ appId: string; ct: string; at: string; rt: string; info: Json }> {
  const ct = await componentToken(sim);
  const { appId, authCode } = await sim.authorizeAccount({ kind });
  const json = await post(sim, `${C}/api_query_auth?component_access_token=${ct}`, {
    component_appid: APPID,
    authorization_code: authCode,
  });
  const info = json.authorization_info as Json;
  return {
    appId,
    ct,
    at: info.authorizer_access_token as string,
    rt: info.authorizer_refresh_token as string,
    info,
  };
}

function pushQuery(req: Request): { msg_signature: string; timestamp: string; nonce: string } {
  const q = new URL(req.url).searchParams;
  return {
    msg_signature: q.get("msg_signature")!,
    timestamp: q.get("timestamp")!,
    nonce: q.get("nonce")!,
  };
}

async function openPush(req: Request): Promise<Record<string, unknown>> {
  const mc = await crypto();
  const q = new URL(req.url).searchParams;
  assert.equal(req.method, "POST");
  assert.equal(q.get("encrypt_type"), "aes");
  assert.equal(q.get("signature"), mc.urlSignature(q.get("timestamp")!, q.get("nonce")!));
  const plaintext = await mc.open(await req.text(), pushQuery(req));
  return parseXml(plaintext) as Record<string, unknown>;
}

// ---- component token and ticket ---------------------------------------------------------

Deno.test("api_component_token issues a 7200 s token for a ticket the simulator pushed", async () => {
  const sim = makeSim();
  const token = await componentToken(sim);
  assert.match(token, /^\d+_[A-Za-z0-9_-]{20,}$/);
  assert.equal(sim.currentAccessToken(), token);
});

Deno.test("api_component_token checks appid, secret and ticket with WeChat's errcodes", async () => {
  const sim = makeSim();
  const ticket = sim.issueTicket();
  const url = `${C}/api_component_token`;
  assertErr(await post(sim, url, { ...componentTokenBody(ticket), component_appid: "wx0" }), 40013);
  assertErr(await post(sim, url, { component_appsecret: SECRET }), 41002);
  assertErr(
    await post(sim, url, { ...componentTokenBody(ticket), component_appsecret: "nope" }),
    40125,
  );
  assertErr(
    await post(sim, url, { component_appid: APPID, component_verify_ticket: ticket }),
    41004,
  );
  assertErr(await post(sim, url, componentTokenBody("ticket@@@forged")), 61006);
  assertErr(await post(sim, url, ""), 44002);
  assertErr(await post(sim, url, "{not json"), 47001);
  assertErr(await post(sim, url, "[1]"), 47001);
  assert.equal(sim.currentAccessToken(), undefined);
});

Deno.test("a ticket is valid for 12 hours, then 61005", async () => {
  const sim = makeSim();
  const ticket = sim.issueTicket();
  const url = `${C}/api_component_token`;
  sim.advance(12 * 3600_000 - 60_000);
  assert.ok((await post(sim, url, componentTokenBody(ticket))).component_access_token);
  sim.advance(60_000);
  assertErr(await post(sim, url, componentTokenBody(ticket)), 61005);
  // An older ticket stays usable beside a newer one (WeChat: reuse the last good one).
  const a = sim.issueTicket();
  sim.issueTicket();
  assert.ok((await post(sim, url, componentTokenBody(a))).component_access_token);
});

Deno.test("tokens expire after 7200 s on the simulator's clock (42001)", async () => {
  const sim = makeSim();
  const ct = await componentToken(sim);
  const url = `${C}/api_create_preauthcode?component_access_token=${ct}`;
  sim.advance(7190_000);
  assert.ok((await post(sim, url, { component_appid: APPID })).pre_auth_code);
  sim.advance(10_000);
  assertErr(await post(sim, url, { component_appid: APPID }), 42001);
  assert.equal(sim.currentAccessToken(), undefined);
});

Deno.test("a new component token supersedes the previous one (40001)", async () => {
  const sim = makeSim();
  const first = await componentToken(sim);
  const second = await componentToken(sim);
  assert.notEqual(first, second);
  const body = { component_appid: APPID };
  assertErr(
    await post(sim, `${C}/api_create_preauthcode?component_access_token=${first}`, body),
    40001,
  );
  assert.ok(
    (await post(sim, `${C}/api_create_preauthcode?access_token=${second}`, body)).pre_auth_code,
  );
  sim.invalidateAccessToken();
  assertErr(await post(sim, `${C}/api_create_preauthcode?access_token=${second}`, body), 40001);
});

Deno.test("supersedeGraceSeconds keeps the old token working for a while", async () => {
  const sim = makeSim({ supersedeGraceSeconds: 300 });
  const first = await componentToken(sim);
  await componentToken(sim);
  const url = `${C}/api_create_preauthcode?component_access_token=${first}`;
  assert.ok((await post(sim, url, { component_appid: APPID })).pre_auth_code);
  sim.advance(300_000);
  assertErr(await post(sim, url, { component_appid: APPID }), 40001);
});

Deno.test("missing, unknown and malformed tokens get 41001, 40001 and 40014", async () => {
  const sim = makeSim();
  const body = { component_appid: APPID };
  assertErr(await post(sim, `${C}/api_create_preauthcode`, body), 41001);
  assertErr(
    await post(
      sim,
      `${C}/api_create_preauthcode?component_access_token=97_${"x".repeat(40)}`,
      body,
    ),
    40001,
  );
  assertErr(
    await post(sim, `${C}/api_create_preauthcode?component_access_token=garbage`, body),
    40014,
  );
});

Deno.test("api_start_push_ticket takes component_secret and triggers a ticket push", async () => {
  const delivered: Request[] = [];
  const sim = makeSim({
    events: {
      url: EVENTS_URL,
      fetch: (req) => {
        delivered.push(req);
        return Promise.resolve(new Response("success"));
      },
    },
  });
  const url = `${C}/api_start_push_ticket`;
  assertErr(await post(sim, url, { component_appid: APPID, component_secret: "bad" }), 40125);
  assertErr(await post(sim, url, { component_appid: "wx0", component_secret: SECRET }), 40013);
  // component_appsecret is the wrong key here, as on WeChat.
  assertErr(await post(sim, url, { component_appid: APPID, component_appsecret: SECRET }), 41004);
  assert.deepEqual(await post(sim, url, { component_appid: APPID, component_secret: SECRET }), {
    errcode: 0,
    errmsg: "ok",
  });
  await sim.settled();
  assert.equal(delivered.length, 1);
  const event = await openPush(delivered[0]);
  assert.equal(event.InfoType, "component_verify_ticket");
  assert.equal(sim.deliveries()[0].body, "success");
  const json = await post(
    sim,
    `${C}/api_component_token`,
    componentTokenBody(event.ComponentVerifyTicket as string),
  );
  assert.ok(json.component_access_token);
});

// ---- authorization ------------------------------------------------------------------------

Deno.test("authorization page round trip: pre-auth code → page → 302 → api_query_auth", async () => {
  const sim = makeSim({ componentName: "测试平台" });
  const ct = await componentToken(sim);
  const pre = await post(sim, `${C}/api_create_preauthcode?component_access_token=${ct}`, {
    component_appid: APPID,
  });
  assert.equal(pre.expires_in, 600);
  const preAuthCode = pre.pre_auth_code as string;
  assert.match(preAuthCode, /^preauthcode@@@/);
  const redirect = "https://platform.example/authorize/callback?state=s1";
  const pageUrl = "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=" + APPID +
    "&pre_auth_code=" + encodeURIComponent(preAuthCode) + "&redirect_uri=" +
    encodeURIComponent(redirect) + "&auth_type=1";
  const page = await sim.fetch(pageUrl);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /text\/html/);
  const html = await page.text();
  assert.match(html, /授权 \/ Authorize/);
  assert.match(html, /测试平台/);
  assert.match(html, /<form method="post"/);
  assert.match(html, /value="new:official_account"/);
  assert.doesNotMatch(html, /new:mini_program/);

  // Submit the form as a browser would: POST to the page's own URL with the form fields.
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2].replaceAll("&amp;", "&"));
  }
  form.set("account", "new:official_account");
  const res = await sim.fetch(pageUrl, {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get("location")!);
  assert.equal(location.origin + location.pathname, "https://platform.example/authorize/callback");
  assert.equal(location.searchParams.get("state"), "s1");
  assert.equal(location.searchParams.get("expires_in"), "600");
  const authCode = location.searchParams.get("auth_code")!;
  assert.match(authCode, /^queryauthcode@@@/);

  const q = await post(sim, `${C}/api_query_auth?component_access_token=${ct}`, {
    component_appid: APPID,
    authorization_code: authCode,
  });
  const info = q.authorization_info as Json;
  const appId = info.authorizer_appid as string;
  assert.equal(sim.account(appId)?.kind, "official_account");
  assert.equal(info.expires_in, 7200);
  assert.equal(info.authorizer_refresh_token, sim.account(appId)?.refreshToken);
  assert.equal(info.authorizer_access_token, sim.currentAccessToken(appId));
  assert.deepEqual(
    (info.func_info as Json[]).map((f) => (f.funcscope_category as Json).id),
    sim.account(appId)?.funcIds,
  );

  // The pre-auth code was used up; the authorization code too.
  const again = await sim.fetch(pageUrl);
  assert.equal(again.status, 400);
  assert.match(await again.text(), /已被使用/);
  assertErr(
    await post(sim, `${C}/api_query_auth?component_access_token=${ct}`, {
      component_appid: APPID,
      authorization_code: authCode,
    }),
    61009,
  );
});

Deno.test("authorization page refuses a wrong appid, an expired code and a bad redirect_uri", async () => {
  const sim = makeSim();
  const code = sim.issuePreAuthCode();
  const page = (params: Record<string, string>) =>
    sim.fetch(
      "https://mp.weixin.qq.com/cgi-bin/componentloginpage?" + new URLSearchParams(params),
    );
  const ok = { component_appid: APPID, pre_auth_code: code, redirect_uri: "https://p.example/cb" };
  assert.equal((await page(ok)).status, 200);
  assert.equal((await page({ ...ok, component_appid: "wx0" })).status, 400);
  assert.equal((await page({ ...ok, pre_auth_code: "preauthcode@@@nope" })).status, 400);
  assert.equal((await page({ ...ok, redirect_uri: "javascript:alert(1)" })).status, 400);
  assert.equal((await page({ ...ok, auth_type: "9" })).status, 400);
  const { redirect_uri: _, ...noRedirect } = ok;
  assert.equal((await page(noRedirect)).status, 400);
  sim.advance(600_000);
  const expired = await page(ok);
  assert.equal(expired.status, 400);
  assert.match(await expired.text(), /已过期/);
});

Deno.test("mobile bindcomponent links, auth_type=2 and biz_appid limit the page", async () => {
  const sim = makeSim();
  const mp = await sim.authorizeAccount({ kind: "mini_program" });
  for (
    const base of [
      "https://open.weixin.qq.com/wxaopen/safe/bindcomponent",
      "https://mp.weixin.qq.com/safe/bindcomponent",
    ]
  ) {
    const params = new URLSearchParams({
      action: "bindcomponent",
      no_scan: "1",
      component_appid: APPID,
      pre_auth_code: sim.issuePreAuthCode(),
      redirect_uri: "https://p.example/cb",
      auth_type: "2",
    });
    const html = await (await sim.fetch(`${base}?${params}#wechat_redirect`)).text();
    assert.match(html, /new:mini_program/);
    assert.doesNotMatch(html, /new:official_account/);
    assert.match(html, new RegExp(mp.appId));
    params.set("biz_appid", mp.appId);
    params.set("auth_type", "1");
    const biz = await (await sim.fetch(`${base}?${params}`)).text();
    assert.doesNotMatch(biz, /new:/);
    // Authorizing the existing account again is an update, with a new refresh token.
    const before = sim.account(mp.appId)!.refreshToken;
    const res = await sim.fetch(`${base}?${params}`, {
      method: "POST",
      body: new URLSearchParams({ account: mp.appId }),
    });
    assert.equal(res.status, 302);
    assert.notEqual(sim.account(mp.appId)!.refreshToken, before);
  }
});

Deno.test("handle() serves API and page under a base path; the form posts back to the same URL", async () => {
  const sim = makeSim({ basePath: "/_sim" });
  const code = sim.issuePreAuthCode();
  const url = "http://localhost:8787/_sim/cgi-bin/componentloginpage?" + new URLSearchParams({
    component_appid: APPID,
    pre_auth_code: code,
    redirect_uri: "http://localhost:8787/authorize/callback",
  });
  const html = await (await sim.handle(new Request(url))).text();
  assert.match(html, /<form method="post" id="authorize-form">/);
  // No action attribute: the browser posts to the URL it is on, prefix included.
  assert.doesNotMatch(html, /action=/);
  const res = await sim.handle(
    new Request(url, {
      method: "POST",
      body: new URLSearchParams({ account: "new:mini_program" }),
    }),
  );
  assert.equal(res.status, 302);
  assert.match(
    res.headers.get("location")!,
    /^http:\/\/localhost:8787\/authorize\/callback\?auth_code=/,
  );
  const api = await sim.handle(
    new Request("http://localhost:8787/_sim/cgi-bin/component/api_component_token", {
      method: "POST",
      body: JSON.stringify(componentTokenBody(sim.issueTicket())),
    }),
  );
  assert.ok((await api.json()).component_access_token);
  assert.equal(sim.calls("/cgi-bin/component/api_component_token"), 1);
  // Outside the mount's known paths: WeChat's JSON refusal for an unknown URL, not "Not Found".
  const nope = await sim.handle(new Request("http://localhost:8787/_sim/nope"));
  assert.equal(nope.status, 200);
  assert.equal((await nope.json()).errcode, 40066);
});

Deno.test("authorizationDomain: the page needs a Referer and redirect_uri on that domain", async () => {
  const sim = makeSim({ authorizationDomain: "platform.example" });
  const params = new URLSearchParams({
    component_appid: APPID,
    pre_auth_code: sim.issuePreAuthCode(),
    redirect_uri: "https://www.platform.example/cb",
  });
  const url = `https://mp.weixin.qq.com/cgi-bin/componentloginpage?${params}`;
  assert.equal((await sim.fetch(url)).status, 400);
  const ok = await sim.fetch(url, { headers: { referer: "https://platform.example/authorize" } });
  assert.equal(ok.status, 200);
  params.set("redirect_uri", "https://evil.example/cb");
  const bad = await sim.fetch(`https://mp.weixin.qq.com/cgi-bin/componentloginpage?${params}`, {
    headers: { referer: "https://platform.example/authorize" },
  });
  assert.equal(bad.status, 400);
});

Deno.test("api_query_auth: authorization codes expire (61010) and must belong to a live authorization", async () => {
  const sim = makeSim();
  const ct = await componentToken(sim);
  const { authCode } = await sim.authorizeAccount({ kind: "official_account" });
  sim.advance(600_000);
  const url = `${C}/api_query_auth?component_access_token=${ct}`;
  assertErr(await post(sim, url, { component_appid: APPID, authorization_code: authCode }), 61010);
  assertErr(await post(sim, url, { component_appid: APPID, authorization_code: "x" }), 61009);
  const second = await sim.authorizeAccount({ kind: "mini_program" });
  await sim.revoke(second.appId);
  assertErr(
    await post(sim, url, { component_appid: APPID, authorization_code: second.authCode }),
    61003,
  );
});

Deno.test("singleUseAuthCodes: false lets the push handler and the redirect both exchange the code", async () => {
  const sim = makeSim({ singleUseAuthCodes: false });
  const ct = await componentToken(sim);
  const { authCode } = await sim.authorizeAccount({ kind: "official_account" });
  const url = `${C}/api_query_auth?component_access_token=${ct}`;
  const a = await post(sim, url, { component_appid: APPID, authorization_code: authCode });
  const b = await post(sim, url, { component_appid: APPID, authorization_code: authCode });
  assert.ok(a.authorization_info && b.authorization_info);
});

// ---- authorizer tokens ----------------------------------------------------------------------

Deno.test("api_authorizer_token refreshes with the refresh token and supersedes the old access token", async () => {
  const sim = makeSim();
  const { appId, ct, at, rt } = await authorized(sim);
  const url = `${C}/api_authorizer_token?component_access_token=${ct}`;
  const body = { component_appid: APPID, authorizer_appid: appId, authorizer_refresh_token: rt };
  const json = await post(sim, url, body);
  assert.equal(json.expires_in, 7200);
  assert.equal(json.authorizer_refresh_token, rt);
  assert.notEqual(json.authorizer_access_token, at);
  const menu = (t: string) =>
    get(sim, `${API}/cgi-bin/get_current_selfmenu_info?access_token=${t}`);
  assertErr(await menu(at), 40001);
  assert.equal((await menu(json.authorizer_access_token as string)).is_menu_open, 1);
  sim.advance(7200_000);
  assertErr(await menu(json.authorizer_access_token as string), 42001);
  // Wrong token types: an authorizer token on a component API and the reverse.
  const ct2 = await componentToken(sim);
  const url2 = `${C}/api_authorizer_token?component_access_token=${ct2}`;
  const fresh = (await post(sim, url2, body)).authorizer_access_token as string;
  assertErr(
    await post(sim, `${C}/api_authorizer_token?component_access_token=${fresh}`, body),
    61014,
  );
  assertErr(await menu(ct2), 61015);
});

Deno.test("61023 for an invalid refresh token; the current one is recoverable from the list", async () => {
  const sim = makeSim();
  const { appId, ct, rt } = await authorized(sim);
  const url = `${C}/api_authorizer_token?component_access_token=${ct}`;
  const body = { component_appid: APPID, authorizer_appid: appId, authorizer_refresh_token: "x" };
  assertErr(await post(sim, url, body), 61023);
  sim.invalidateRefreshToken(appId);
  assertErr(await post(sim, url, { ...body, authorizer_refresh_token: rt }), 61023);
  const list = await post(sim, `${C}/api_get_authorizer_list?component_access_token=${ct}`, {
    component_appid: APPID,
    offset: 0,
    count: 500,
  });
  const entry = (list.list as Json[]).find((e) => e.authorizer_appid === appId)!;
  assert.notEqual(entry.refresh_token, rt);
  const ok = await post(sim, url, { ...body, authorizer_refresh_token: entry.refresh_token });
  assert.ok(ok.authorizer_access_token);
});

Deno.test("revoke: 61003 on refresh, old tokens 40001, re-authorization is 'authorized' again", async () => {
  const sim = makeSim();
  const { appId, ct, at, rt } = await authorized(sim);
  await sim.revoke(appId);
  const url = `${C}/api_authorizer_token?component_access_token=${ct}`;
  assertErr(
    await post(sim, url, {
      component_appid: APPID,
      authorizer_appid: appId,
      authorizer_refresh_token: rt,
    }),
    61003,
  );
  assertErr(await get(sim, `${API}/cgi-bin/get_current_selfmenu_info?access_token=${at}`), 40001);
  assertErr(
    await post(sim, `${C}/api_get_authorizer_info?component_access_token=${ct}`, {
      component_appid: APPID,
      authorizer_appid: appId,
    }),
    61003,
  );
  assert.equal(sim.account(appId)?.authorized, false);
  const again = await sim.authorizeAccount({ appId, kind: "official_account" });
  assert.equal(again.infoType, "authorized");
  const update = await sim.authorizeAccount({ appId, kind: "official_account" });
  assert.equal(update.infoType, "updateauthorized");
  assert.rejects(() => sim.authorizeAccount({ appId, kind: "mini_program" }), TypeError);
});

// ---- authorizer info, options, list ------------------------------------------------------------

Deno.test("api_get_authorizer_info: Official Account and Mini Program shapes", async () => {
  const sim = makeSim();
  const oa = await authorized(sim, "official_account");
  const mp = await authorized(sim, "mini_program");
  const url = `${C}/api_get_authorizer_info?component_access_token=${mp.ct}`;
  const oaInfo = await post(sim, url, { component_appid: APPID, authorizer_appid: oa.appId });
  const a = oaInfo.authorizer_info as Json;
  assert.equal((a.service_type_info as Json).id, 2);
  assert.equal((a.verify_type_info as Json).id, 0);
  assert.match(a.user_name as string, /^gh_[0-9a-f]{12}$/);
  assert.deepEqual(Object.keys(a.business_info as Json).sort(), [
    "open_card",
    "open_pay",
    "open_scan",
    "open_shake",
    "open_store",
  ]);
  assert.match(a.qrcode_url as string, /^http/);
  assert.equal(a.MiniProgramInfo, undefined);
  assert.equal((oaInfo.authorization_info as Json).authorizer_appid, oa.appId);

  const mpInfo = await post(sim, url, { component_appid: APPID, authorizer_appid: mp.appId });
  const m = mpInfo.authorizer_info as Json;
  const mini = m.MiniProgramInfo as Json;
  assert.ok(Array.isArray((mini.network as Json).RequestDomain));
  assert.ok((mini.categories as Json[]).length > 0);
  assert.equal((m.service_type_info as Json).id, 0);
  assert.equal((mpInfo.authorization_info as Json).authorizer_refresh_token, mp.rt);
  assertErr(await post(sim, url, { component_appid: APPID, authorizer_appid: "wx0" }), 61003);
  assertErr(await post(sim, url, { component_appid: APPID }), 41002);
});

Deno.test("authorizer options: legacy api_* with the component token, current with the authorizer's", async () => {
  const sim = makeSim();
  const { appId, ct, at } = await authorized(sim);
  const legacyGet = `${C}/api_get_authorizer_option?component_access_token=${ct}`;
  const legacySet = `${C}/api_set_authorizer_option?component_access_token=${ct}`;
  const base = { component_appid: APPID, authorizer_appid: appId };
  assert.deepEqual(await post(sim, legacyGet, { ...base, option_name: "voice_recognize" }), {
    authorizer_appid: appId,
    option_name: "voice_recognize",
    option_value: "0",
  });
  assert.deepEqual(
    await post(sim, legacySet, { ...base, option_name: "voice_recognize", option_value: "1" }),
    { errcode: 0, errmsg: "ok" },
  );
  assertErr(await post(sim, legacyGet, { ...base, option_name: "nope" }), 61012);
  assertErr(
    await post(sim, legacySet, { ...base, option_name: "location_report", option_value: "3" }),
    61013,
  );
  const get = `${C}/get_authorizer_option?access_token=${at}`;
  const set = `${C}/set_authorizer_option?access_token=${at}`;
  assert.deepEqual(await post(sim, get, { option_name: "voice_recognize" }), {
    option_name: "voice_recognize",
    option_value: "1",
  });
  await post(sim, set, { option_name: "location_report", option_value: "2" });
  assert.equal(sim.account(appId)?.options.location_report, "2");
  assertErr(
    await post(sim, `${C}/get_authorizer_option?access_token=${ct}`, {
      option_name: "voice_recognize",
    }),
    61015,
  );
  assertErr(
    await post(sim, `${C}/api_get_authorizer_option?component_access_token=${at}`, base),
    61014,
  );
});

Deno.test("api_get_authorizer_list pages with offset/count ≤ 500 and omits revoked accounts", async () => {
  const sim = makeSim();
  const ct = await componentToken(sim);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    ids.push(
      (await sim.authorizeAccount({ kind: i % 2 ? "mini_program" : "official_account" })).appId,
    );
    sim.advance(1000);
  }
  await sim.revoke(ids[3]);
  const url = `${C}/api_get_authorizer_list?component_access_token=${ct}`;
  const page1 = await post(sim, url, { component_appid: APPID, offset: 0, count: 2 });
  assert.equal(page1.total_count, 3);
  assert.deepEqual((page1.list as Json[]).map((e) => e.authorizer_appid), ids.slice(0, 2));
  const page2 = await post(sim, url, { component_appid: APPID, offset: 2, count: 2 });
  assert.deepEqual((page2.list as Json[]).map((e) => e.authorizer_appid), [ids[2]]);
  const e = (page2.list as Json[])[0];
  assert.equal(e.refresh_token, sim.account(ids[2])?.refreshToken);
  assert.equal(typeof e.auth_time, "number");
  assertErr(await post(sim, url, { component_appid: APPID, offset: 0, count: 501 }), 40097);
  assertErr(await post(sim, url, { component_appid: APPID, offset: -1, count: 1 }), 40097);
});

// ---- quotas --------------------------------------------------------------------------------------

Deno.test("daily quota: 45009 when spent, clear_quota resets it, a new day resets it", async () => {
  const sim = makeSim({ dailyQuotas: { api_create_preauthcode: 2 } });
  const ct = await componentToken(sim);
  const url = `${C}/api_create_preauthcode?component_access_token=${ct}`;
  const body = { component_appid: APPID };
  assert.ok((await post(sim, url, body)).pre_auth_code);
  assert.ok((await post(sim, url, body)).pre_auth_code);
  assertErr(await post(sim, url, body), 45009);
  const quota = await post(sim, `${API}/cgi-bin/openapi/quota/get?access_token=${ct}`, {
    cgi_path: "/cgi-bin/component/api_create_preauthcode",
  });
  assert.deepEqual(quota.quota, { daily_limit: 2, used: 2, remain: 0 });
  assert.deepEqual(
    await post(sim, `${C}/clear_quota?component_access_token=${ct}`, body),
    { errcode: 0, errmsg: "ok" },
  );
  assert.ok((await post(sim, url, body)).pre_auth_code);
  assert.ok((await post(sim, url, body)).pre_auth_code);
  assertErr(await post(sim, url, body), 45009);
  sim.advance(24 * 3600_000);
  const ct2 = await componentToken(sim);
  assert.ok(
    (await post(sim, `${C}/api_create_preauthcode?component_access_token=${ct2}`, body))
      .pre_auth_code,
  );
});

Deno.test("clear_quota: 10 per month shared by all variants, then 48006; v2 needs the appsecret", async () => {
  const sim = makeSim({ dailyQuotas: { api_component_token: 1 } });
  const ct = await componentToken(sim);
  // The token API itself is exhausted: only clear_quota/v2 (no token) helps.
  assertErr(
    await post(sim, `${C}/api_component_token`, componentTokenBody(sim.issueTicket())),
    45009,
  );
  const v2 = `${C}/clear_quota/v2`;
  assertErr(await post(sim, v2, { component_appid: APPID, appsecret: "bad" }), 40125);
  assertErr(await post(sim, v2, { component_appid: APPID }), 41004);
  assert.equal((await post(sim, v2, { component_appid: APPID, appsecret: SECRET })).errcode, 0);
  assert.notEqual(await componentToken(sim), ct);
  const ct1 = sim.currentAccessToken();
  for (let i = 0; i < 4; i++) {
    assert.equal(
      (await post(sim, `${C}/clear_quota?component_access_token=${ct1}`, {
        component_appid: APPID,
      }))
        .errcode,
      0,
    );
  }
  const ct2 = sim.currentAccessToken()!;
  for (let i = 0; i < 5; i++) {
    assert.equal(
      (await post(sim, `${API}/cgi-bin/clear_quota?access_token=${ct2}`, { appid: APPID })).errcode,
      0,
    );
  }
  assertErr(await post(sim, v2, { component_appid: APPID, appsecret: SECRET }), 48006);
  assertErr(
    await post(sim, `${API}/cgi-bin/clear_quota?access_token=${ct2}`, { appid: "wx0" }),
    40013,
  );
  sim.advance(31 * 24 * 3600_000);
  assert.equal((await post(sim, v2, { component_appid: APPID, appsecret: SECRET })).errcode, 0);
});

Deno.test("an authorizer's quota is its own, cleared with its token or clear_quota/v2 + appid", async () => {
  const sim = makeSim({ dailyQuotas: { "/cgi-bin/get_current_selfmenu_info": 1 } });
  const { appId, at } = await authorized(sim);
  const other = await authorized(sim);
  const menu = (t: string) =>
    get(sim, `${API}/cgi-bin/get_current_selfmenu_info?access_token=${t}`);
  assert.equal((await menu(at)).is_menu_open, 1);
  assertErr(await menu(at), 45009);
  assert.equal((await menu(other.at)).is_menu_open, 1);
  assert.equal(
    (await post(sim, `${API}/cgi-bin/clear_quota?access_token=${at}`, { appid: appId })).errcode,
    0,
  );
  assert.equal((await menu(at)).is_menu_open, 1);
  assertErr(await menu(other.at), 45009);
  assert.equal(
    (await post(sim, `${C}/clear_quota/v2`, {
      component_appid: APPID,
      appsecret: SECRET,
      appid: other.appId,
    })).errcode,
    0,
  );
  assert.equal((await menu(other.at)).is_menu_open, 1);
});

// ---- OAuth on behalf and jscode2session ---------------------------------------------------------

Deno.test("OAuth on behalf: authorize redirect → code → access_token → refresh_token", async () => {
  const sim = makeSim();
  const { appId, ct, at } = await authorized(sim);
  const authorize = "https://open.weixin.qq.com/connect/oauth2/authorize?" + new URLSearchParams({
    appid: appId,
    redirect_uri: "https://p.example/oauth",
    response_type: "code",
    scope: "snsapi_base",
    state: "xyz",
    component_appid: APPID,
  }) + "#wechat_redirect";
  const res = await sim.fetch(authorize, { redirect: "manual" });
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get("location")!);
  assert.equal(loc.searchParams.get("state"), "xyz");
  assert.equal(loc.searchParams.get("appid"), appId);
  const code = loc.searchParams.get("code")!;
  const tokenUrl = (c: string, t = ct) =>
    `${API}/sns/oauth2/component/access_token?appid=${appId}&code=${c}` +
    `&grant_type=authorization_code&component_appid=${APPID}&component_access_token=${t}`;
  assertErr(await get(sim, tokenUrl(code, at)), 48001);
  const json = await get(sim, tokenUrl(code));
  assert.equal(json.openid, sim.account(appId)?.openid);
  assert.equal(json.scope, "snsapi_base");
  assert.equal(json.expires_in, 7200);
  assertErr(await get(sim, tokenUrl(code)), 40163);
  assertErr(await get(sim, tokenUrl("bogus")), 40029);
  const refreshUrl = (rt: string) =>
    `${API}/sns/oauth2/component/refresh_token?appid=${appId}&grant_type=refresh_token` +
    `&component_appid=${APPID}&component_access_token=${sim.currentAccessToken()}&refresh_token=${rt}`;
  const refreshed = await get(sim, refreshUrl(json.refresh_token as string));
  assert.equal(refreshed.refresh_token, json.refresh_token);
  assert.notEqual(refreshed.access_token, json.access_token);
  assertErr(await get(sim, refreshUrl("nope")), 40030);
  sim.advance(30 * 24 * 3600_000);
  await componentToken(sim);
  assertErr(await get(sim, refreshUrl(json.refresh_token as string)), 42002);
});

Deno.test("jscode2session: single-use js_code of an authorized mini program, 5 minute life", async () => {
  const sim = makeSim();
  const mp = await authorized(sim, "mini_program");
  const oa = await authorized(sim, "official_account");
  const url = (appid: string, code: string) =>
    `${API}/sns/component/jscode2session?appid=${appid}&js_code=${code}` +
    `&grant_type=authorization_code&component_appid=${APPID}&component_access_token=${oa.ct}`;
  const code = sim.jsCode({ appId: mp.appId, openid: "oUser1" });
  const json = await get(sim, url(mp.appId, code));
  assert.equal(json.openid, "oUser1");
  assert.match(json.session_key as string, /^[A-Za-z0-9+/]{22}==$/);
  assertErr(await get(sim, url(mp.appId, code)), 40163);
  assertErr(await get(sim, url(oa.appId, "x")), 40013);
  assertErr(await get(sim, url("wx0", "x")), 61003);
  const late = sim.jsCode({ appId: mp.appId });
  sim.advance(300_000);
  await componentToken(sim);
  assertErr(
    await get(sim, url(mp.appId, late).replace(oa.ct, sim.currentAccessToken()!)),
    40029,
  );
});

// ---- authorizer APIs ------------------------------------------------------------------------------

Deno.test("message/custom/send records messages and validates them", async () => {
  const sim = makeSim();
  const { appId, at, ct } = await authorized(sim);
  const url = `${API}/cgi-bin/message/custom/send?access_token=${at}`;
  assert.deepEqual(
    await post(sim, url, { touser: "oUser", msgtype: "text", text: { content: "hi" } }),
    { errcode: 0, errmsg: "ok" },
  );
  assertErr(await post(sim, url, { msgtype: "text", text: { content: "hi" } }), 40003);
  assertErr(await post(sim, url, { touser: "oUser", msgtype: "fax" }), 40008);
  assertErr(await post(sim, url, { touser: "oUser", msgtype: "text" }), 47001);
  assertErr(
    await post(sim, `${API}/cgi-bin/message/custom/send?access_token=${ct}`, {
      touser: "oUser",
      msgtype: "text",
      text: { content: "x" },
    }),
    61015,
  );
  const sent = sim.sentMessages(appId);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].touser, "oUser");
  assert.deepEqual(sent[0].body.text, { content: "hi" });
});

Deno.test("get_current_selfmenu_info answers for an Official Account, 48001 for a mini program", async () => {
  const sim = makeSim();
  const mp = await authorized(sim, "mini_program");
  assertErr(
    await get(sim, `${API}/cgi-bin/get_current_selfmenu_info?access_token=${mp.at}`),
    48001,
  );
  assertErr(await get(sim, `${API}/cgi-bin/get_current_selfmenu_info`), 41001);
  const unknown = await sim.fetch(`${API}/cgi-bin/no_such_api?access_token=${mp.at}`);
  assert.equal(unknown.status, 200);
  assert.match(unknown.headers.get("content-type") ?? "", /^application\/json/);
  const body = await unknown.json();
  assert.equal(body.errcode, 40066);
  assert.match(body.errmsg, /^invalid url rid: /);
});

// ---- faults and counters --------------------------------------------------------------------------

Deno.test("fault: HTTP status for a number of calls, then normal service", async () => {
  const sim = makeSim();
  const fault = sim.inject({ path: "api_component_token", status: 503, times: 2 });
  const body = JSON.stringify(componentTokenBody(sim.issueTicket()));
  const url = `${C}/api_component_token`;
  assert.equal((await sim.fetch(url, { method: "POST", body })).status, 503);
  assert.equal(fault.remaining, 1);
  // Another path is not affected.
  assert.equal((await sim.fetch(`${API}/cgi-bin/get_current_selfmenu_info`)).status, 200);
  assert.equal((await sim.fetch(url, { method: "POST", body })).status, 503);
  assert.equal((await sim.fetch(url, { method: "POST", body })).status, 200);
  assert.equal(sim.calls("api_component_token"), 3);
  assert.equal(sim.calls(), 4);
  sim.resetCalls();
  assert.equal(sim.calls(), 0);
});

Deno.test("fault: errcode with rid, and cancel()", async () => {
  const sim = makeSim();
  sim.inject({ path: /api_component_token$/, errcode: -1 });
  const url = `${C}/api_component_token`;
  const body = componentTokenBody(sim.issueTicket());
  const json = await post(sim, url, body);
  assertErr(json, -1);
  assert.match(json.errmsg as string, /^system error rid: /);
  const f = sim.inject({ errcode: 45009, times: Infinity });
  assertErr(await post(sim, url, body), 45009);
  f.cancel();
  assert.ok((await post(sim, url, body)).component_access_token);
});

Deno.test("fault: a delay is cut short by the caller's AbortSignal, and nothing is processed", async () => {
  const sim = makeSim();
  sim.inject({ path: "api_component_token", delayMs: 10_000 });
  const controller = new AbortController();
  const pending = sim.fetch(`${C}/api_component_token`, {
    method: "POST",
    body: JSON.stringify(componentTokenBody(sim.issueTicket())),
    signal: controller.signal,
  });
  controller.abort();
  await assert.rejects(pending, (e: unknown) => (e as Error).name === "AbortError");
  assert.equal(sim.currentAccessToken(), undefined);
  // A short delay without abort still answers.
  sim.inject({ delayMs: 5 });
  assert.equal((await sim.fetch(`${API}/cgi-bin/get_current_selfmenu_info`)).status, 200);
  // An already aborted signal rejects at once.
  await assert.rejects(
    sim.fetch(`${API}/x`, { signal: AbortSignal.abort() }),
    (e: unknown) => (e as Error).name === "AbortError",
  );
});

Deno.test("fault: dropped connection before (nothing done) and after (done, answer lost)", async () => {
  const sim = makeSim();
  const first = await componentToken(sim);
  const body = JSON.stringify(componentTokenBody(sim.issueTicket()));
  sim.inject({ path: "api_component_token", drop: true });
  await assert.rejects(sim.fetch(`${C}/api_component_token`, { method: "POST", body }), TypeError);
  assert.equal(sim.currentAccessToken(), first);
  sim.inject({ path: "api_component_token", drop: "after" });
  await assert.rejects(sim.fetch(`${C}/api_component_token`, { method: "POST", body }), TypeError);
  // WeChat issued a new token the caller never saw: the one it holds is now stale.
  assert.notEqual(sim.currentAccessToken(), first);
  assertErr(
    await post(sim, `${C}/api_create_preauthcode?component_access_token=${first}`, {
      component_appid: APPID,
    }),
    40001,
  );
  assert.equal(sim.calls("api_component_token"), 3);
});

Deno.test("100 concurrent callers are each counted once", async () => {
  const sim = makeSim();
  const ticket = sim.issueTicket();
  await Promise.all(
    Array.from(
      { length: 100 },
      () => post(sim, `${C}/api_component_token`, componentTokenBody(ticket)),
    ),
  );
  assert.equal(sim.calls("/cgi-bin/component/api_component_token"), 100);
});

// ---- pushes -----------------------------------------------------------------------------------------

Deno.test("ticketPush is a real encrypted, signed push that MessageCrypto opens", async () => {
  const sim = makeSim();
  const req = await sim.ticketPush(`${EVENTS_URL}?x=1`);
  const body = await req.clone().text();
  assert.match(
    body,
    /^<xml>\n<AppId><!\[CDATA\[wx3cf0f39249000060\]\]><\/AppId>\n<Encrypt><!\[CDATA\[/,
  );
  const q = new URL(req.url).searchParams;
  assert.equal(q.get("x"), "1");
  assert.deepEqual([...q.keys()], [
    "x",
    "signature",
    "timestamp",
    "nonce",
    "encrypt_type",
    "msg_signature",
  ]);
  assert.equal(Number(q.get("timestamp")), Math.floor(sim.now() / 1000));
  const event = await openPush(req);
  assert.equal(event.AppId, APPID);
  assert.equal(event.InfoType, "component_verify_ticket");
  assert.match(event.ComponentVerifyTicket as string, /^ticket@@@/);
  // A tampered signature does not open.
  const mc = await crypto();
  await assert.rejects(mc.open(body, { ...pushQuery(req), msg_signature: "0".repeat(40) }));
});

Deno.test("authorization pushes: authorized, updateauthorized, unauthorized", async () => {
  const delivered: Request[] = [];
  const sim = makeSim({
    events: {
      url: EVENTS_URL,
      fetch: (r) => (delivered.push(r), Promise.resolve(new Response("success"))),
    },
  });
  const a = await sim.authorizeAccount({ kind: "official_account" });
  const u = await sim.authorizeAccount({ appId: a.appId, kind: "official_account" });
  await sim.revoke(a.appId);
  assert.deepEqual(sim.deliveries().map((d) => d.infoType), [
    "authorized",
    "updateauthorized",
    "unauthorized",
  ]);
  const [e1, e2, e3] = await Promise.all(delivered.map(openPush));
  assert.equal(e1.InfoType, "authorized");
  assert.equal(e1.AuthorizerAppid, a.appId);
  assert.equal(e1.AuthorizationCode, a.authCode);
  assert.equal(e1.PreAuthCode, a.preAuthCode);
  assert.equal(Number(e1.AuthorizationCodeExpiredTime), Number(e1.CreateTime) + 3600);
  assert.equal(e2.InfoType, "updateauthorized");
  assert.equal(e2.AuthorizationCode, u.authCode);
  assert.equal(e3.InfoType, "unauthorized");
  assert.equal(e3.AuthorizerAppid, a.appId);
  // The builders work without automatic delivery too.
  const manual = await openPush(await sim.authorizationPush(EVENTS_URL, u));
  assert.equal(manual.AuthorizationCode, u.authCode);
});

Deno.test("a failed automatic delivery is recorded, not thrown", async () => {
  const sim = makeSim({
    events: { url: EVENTS_URL, fetch: () => Promise.reject(new TypeError("down")) },
  });
  await sim.authorizeAccount({ kind: "mini_program" });
  assert.ok(sim.deliveries()[0].error instanceof TypeError);
});

Deno.test("authorizer message pushes: ToUserName envelope, openid, $APPID$ in the URL", async () => {
  const sim = makeSim();
  const { appId } = await sim.authorizeAccount({ kind: "official_account" });
  const account = sim.account(appId)!;
  const req = await sim.textMessagePush("https://p.example/wechat/authorizers/$APPID$/callback", {
    appId,
    content: "你好 ]]> <b>",
  });
  const url = new URL(req.url);
  assert.equal(url.pathname, `/wechat/authorizers/${appId}/callback`);
  assert.equal(url.searchParams.get("openid"), account.openid);
  assert.match(
    await req.clone().text(),
    new RegExp(`<ToUserName><!\\[CDATA\\[${account.userName}`),
  );
  const msg = await openPush(req);
  assert.equal(msg.ToUserName, account.userName);
  assert.equal(msg.FromUserName, account.openid);
  assert.equal(msg.MsgType, "text");
  assert.equal(msg.Content, "你好 ]]> <b>");
  assert.match(msg.MsgId as string, /^\d+$/);
  const ev = await openPush(
    await sim.eventMessagePush("https://p.example/cb", {
      appId,
      event: "CLICK",
      fields: { EventKey: "K1" },
    }),
  );
  assert.equal(ev.MsgType, "event");
  assert.equal(ev.Event, "CLICK");
  assert.equal(ev.EventKey, "K1");
});

// ---- release test ("全网发布") -------------------------------------------------------------------------

Deno.test("release test: text message and its encrypted reply checked by openReply", async () => {
  const sim = makeSim();
  const req = await sim.releaseTestTextPush("https://p.example/cb");
  const msg = await openPush(req.clone());
  assert.equal(msg.ToUserName, RELEASE_TEST_ACCOUNTS.official_account.userName);
  assert.equal(msg.Content, "TESTCOMPONENT_MSG_TYPE_TEXT");
  // The platform's reply, sealed with the component key.
  const mc = await crypto();
  const reply = await mc.seal(
    `<xml><ToUserName><![CDATA[${msg.FromUserName}]]></ToUserName><FromUserName><![CDATA[${msg.ToUserName}]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT_callback]]></Content></xml>`,
    { nonce: pushQuery(req).nonce },
  );
  const plain = await sim.openReply(new Response(reply));
  assert.equal(parseXml(plain).Content, "TESTCOMPONENT_MSG_TYPE_TEXT_callback");
  assert.equal(await sim.openReply("success"), "success");
  assert.equal(await sim.openReply(""), "");
  await assert.rejects(
    sim.openReply(reply.replace(/<MsgSignature><!\[CDATA\[./, "<MsgSignature><![CDATA[x")),
    TypeError,
  );
  await assert.rejects(sim.openReply("<xml>plain</xml>"), TypeError);
});

Deno.test("release test: QUERY_AUTH_CODE flow passes only after exchange and customer-service reply", async () => {
  for (const kind of ["official_account", "mini_program"] as const) {
    const sim = makeSim();
    const ct = await componentToken(sim);
    const { request, authCode, appId, openid } = await sim.releaseTestQueryAuthCodePush(
      "https://p.example/cb",
      kind,
    );
    assert.equal(appId, RELEASE_TEST_ACCOUNTS[kind].appId);
    const msg = await openPush(request);
    assert.equal(msg.Content, `QUERY_AUTH_CODE:${authCode}`);
    assert.equal(sim.releaseTestPassed(authCode), false);
    const q = await post(sim, `${C}/api_query_auth?component_access_token=${ct}`, {
      component_appid: APPID,
      authorization_code: authCode,
    });
    const at = (q.authorization_info as Json).authorizer_access_token;
    assert.equal(sim.releaseTestPassed(authCode), false);
    await post(sim, `${API}/cgi-bin/message/custom/send?access_token=${at}`, {
      touser: openid,
      msgtype: "text",
      text: { content: `${authCode}_from_api` },
    });
    assert.equal(sim.releaseTestPassed(authCode), true);
  }
});

Deno.test("release test: event push (LOCATION)", async () => {
  const sim = makeSim();
  const ev = await openPush(await sim.releaseTestEventPush("https://p.example/cb"));
  assert.equal(ev.MsgType, "event");
  assert.equal(ev.Event, "LOCATION");
  assert.equal(ev.ToUserName, "gh_3c884a361561");
  assert.ok(ev.Latitude);
});

// ---- options ----------------------------------------------------------------------------------------------

Deno.test("the constructor validates its options", () => {
  const base: WeChatSimulatorOptions = {
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
  };
  assert.throws(() => new WeChatSimulator({ ...base, encodingAesKey: "short" }), TypeError);
  assert.throws(() => new WeChatSimulator({ ...base, componentAppId: "" }), TypeError);
  assert.throws(() => new WeChatSimulator({ ...base, basePath: "_sim/" }), TypeError);
  const sim = new WeChatSimulator(base);
  assert.throws(() => sim.setDailyQuota("no_such_api", 1), RangeError);
  assert.throws(() => sim.inject({ times: 0 }), RangeError);
  assert.throws(() => sim.advance(-1), RangeError);
  assert.ok(Math.abs(sim.now() - Date.now()) < 60_000);
});

Deno.test("the authorization page escapes what it echoes", async () => {
  const sim = makeSim({ componentName: "<b>平台</b>" });
  const params = new URLSearchParams({
    component_appid: APPID,
    pre_auth_code: sim.issuePreAuthCode(),
    redirect_uri: 'https://p.example/cb?x="><script>alert(1)</script>',
  });
  const html =
    await (await sim.fetch(`https://mp.weixin.qq.com/cgi-bin/componentloginpage?${params}`))
      .text();
  assert.doesNotMatch(html, /<script>/);
  assert.doesNotMatch(html, /<b>平台/);
  assert.match(html, /&quot;&gt;&lt;script&gt;/);
});

Deno.test("OAuth authorize page refuses an appid that is not an authorized Official Account", async () => {
  const sim = makeSim();
  const mp = await sim.authorizeAccount({ kind: "mini_program" });
  const url = (appid: string, extra: Record<string, string> = {}) =>
    "https://open.weixin.qq.com/connect/oauth2/authorize?" + new URLSearchParams({
      appid,
      redirect_uri: "https://p.example/oauth",
      response_type: "code",
      scope: "snsapi_userinfo",
      component_appid: APPID,
      ...extra,
    });
  assert.equal((await sim.fetch(url(mp.appId))).status, 400);
  assert.equal((await sim.fetch(url("wx0"))).status, 400);
  const oa = await sim.authorizeAccount({ kind: "official_account" });
  assert.equal((await sim.fetch(url(oa.appId, { scope: "snsapi_all" }))).status, 400);
  assert.equal((await sim.fetch(url(oa.appId, { component_appid: "wx0" }))).status, 400);
  const ok = await sim.fetch(url(oa.appId));
  assert.equal(ok.status, 302);
  assert.equal(new URL(ok.headers.get("location")!).searchParams.get("state"), null);
});

Deno.test("fault: status and errcode together; handle() throws on a dropped connection", async () => {
  const sim = makeSim();
  sim.inject({ status: 500, errcode: -1 });
  const res = await sim.fetch(`${API}/cgi-bin/get_current_selfmenu_info`);
  assert.equal(res.status, 500);
  assertErr(await res.json(), -1);
  sim.inject({ drop: true });
  await assert.rejects(
    sim.handle(new Request(`${API}/cgi-bin/get_current_selfmenu_info`)),
    TypeError,
  );
  assert.equal(sim.calls("get_current_selfmenu_info"), 2);
});

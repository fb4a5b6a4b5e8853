/**
 * Drift test between the client and the simulator: every descriptor of every table in
 * `src/api/*.ts` is served by the simulator with the same path, method and credential — in the
 * route table, and behaviourally: without its credential (or with the wrong one) a request is
 * refused with WeChat's errcode, and the request the descriptor builds, with the right
 * credential, is not refused and answers what the descriptor's schema accepts.
 */

import assert from "node:assert/strict";
import * as v from "valibot";
import { accountApis } from "../src/api/account.ts";
import { authorizerApis } from "../src/api/authorizer.ts";
import { codeApis } from "../src/api/code.ts";
import { componentApis } from "../src/api/component.ts";
import { domainApis } from "../src/api/domains.ts";
import { type AnyEndpoint, type EndpointContext, TOKEN_PARAM } from "../src/api/endpoint.ts";
import { jssdkApis } from "../src/api/jssdk.ts";
import { menuApis } from "../src/api/menu.ts";
import { messageApis } from "../src/api/message.ts";
import { openApis } from "../src/api/openapi.ts";
import { snsApis } from "../src/api/sns.ts";
import { templateApis } from "../src/api/templates.ts";
import { testerApis } from "../src/api/testers.ts";
import { diagnosticsApis } from "../src/api/diagnostics.ts";
import { icpApis } from "../src/api/icp.ts";
import { wxverifyApis } from "../src/api/wxverify.ts";
import { openAccountApis } from "../src/api/open_account.ts";
import { privacyApis } from "../src/api/privacy.ts";
import { registerApis } from "../src/api/register.ts";
import { userApis } from "../src/api/users.ts";
import { apiRoutes } from "../src/testing/_api.ts";
import { WeChatSimulator } from "../src/testing/mod.ts";

const TABLES: Record<string, Record<string, AnyEndpoint>> = {
  accountApis,
  authorizerApis,
  codeApis,
  componentApis,
  domainApis,
  menuApis,
  messageApis,
  openApis,
  jssdkApis,
  snsApis,
  templateApis,
  testerApis,
  diagnosticsApis,
  icpApis,
  wxverifyApis,
  privacyApis,
  registerApis,
  openAccountApis,
  userApis,
};

const APPID = "wx3cf0f39249000060";
const SECRET = "component-secret-0123456789abcdef";
const API = "https://api.weixin.qq.com";

/** Every descriptor, named `table.key`. */
const DESCRIPTORS: [string, AnyEndpoint][] = Object.entries(TABLES).flatMap(([table, apis]) =>
  Object.entries(apis).map((
    [key, endpoint],
  ): [string, AnyEndpoint] => [`${table}.${key}`, endpoint])
);

const ROUTES = new Map(apiRoutes().map((r) => [r.path, r]));

/**
 * The authorizer APIs WeChat also opens to the component's own token (the platform asking about
 * or resetting its own quota): the simulator's `any` routes, a property the descriptors' single
 * `auth` does not carry.
 */
const ALSO_COMPONENT_TOKEN: readonly AnyEndpoint[] = [
  authorizerApis.clearQuota,
  openApis.getApiQuota,
  diagnosticsApis.getRidInfo,
];

// ---- the route table ----------------------------------------------------------------------------

Deno.test("every table of src/api is imported here", async () => {
  const found: string[] = [];
  for await (const entry of Deno.readDir(new URL("../src/api/", import.meta.url))) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    const module = await import(`../src/api/${entry.name}`);
    for (const [name, value] of Object.entries(module)) {
      if (/Apis$/.test(name) && typeof value === "object" && value !== null) {
        assert.equal(TABLES[name], value, `src/api/${entry.name}: ${name} is not checked here`);
        found.push(name);
      }
    }
  }
  assert.deepEqual(found.sort(), Object.keys(TABLES).sort());
});

Deno.test("every descriptor is served on its path, with its method and credential", () => {
  for (const [name, endpoint] of DESCRIPTORS) {
    const route = ROUTES.get(endpoint.path);
    assert.ok(route, `${name}: ${endpoint.path} is not simulated`);
    assert.equal(route.endpoint, endpoint, `${name}: the route serves another descriptor`);
    assert.equal(route.method, endpoint.method, name);
    assert.equal(route.auth, endpoint.auth, name);
    const token = endpoint.auth === "secret" || endpoint.auth === "none"
      ? "none"
      : ALSO_COMPONENT_TOKEN.includes(endpoint)
      ? "any"
      : endpoint.auth;
    assert.equal(route.token, token, name);
  }
});

Deno.test("every simulated API is a descriptor of a table, listed in apiPaths", () => {
  const all = new Set(DESCRIPTORS.map(([, e]) => e));
  for (const route of apiRoutes()) {
    assert.ok(all.has(route.endpoint), `${route.path}: its descriptor is in no table`);
  }
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  });
  assert.deepEqual([...sim.apiPaths], apiRoutes().map((r) => r.path));
});

// ---- behaviour ----------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** An authorized account as the platform holds it after `api_query_auth`. */
interface Held {
  appId: string;
  at: string;
  rt: string;
}

/** A simulator with a component token, an authorized Official Account and Mini Program. */
interface Env {
  sim: WeChatSimulator;
  ct: string;
  oa: Held;
  mp: Held;
}

/** The credential a request carries: a token for the query, or the appsecret for the body. */
type Credential = { token?: string; secret?: string };

/** Sends what `send()` would for `endpoint`: builder query + token param, JSON body for POST. */
async function request(
  sim: WeChatSimulator,
  endpoint: AnyEndpoint,
  input: unknown,
  authorizerAppId: string | undefined,
  credential: Credential,
): Promise<Json> {
  const ctx: EndpointContext = {
    componentAppId: APPID,
    appSecret: credential.secret ?? "",
    authorizerAppId,
  };
  const url = new URL(API + endpoint.path);
  for (const [k, value] of Object.entries(endpoint.query?.(input, ctx) ?? {})) {
    if (value !== undefined) url.searchParams.set(k, String(value));
  }
  if (
    credential.token !== undefined &&
    (endpoint.auth === "component" || endpoint.auth === "authorizer")
  ) {
    url.searchParams.set(TOKEN_PARAM[endpoint.auth], credential.token);
  }
  let body = endpoint.body?.(input, ctx);
  if (endpoint.auth === "secret" && credential.secret === undefined) {
    // Without the appsecret: leave out the field(s) the builder put it in.
    body = Object.fromEntries(Object.entries(body as Json).filter(([, x]) => x !== ""));
  }
  const payload = endpoint.form ? endpoint.form(input, ctx) : JSON.stringify(body ?? {});
  const form = endpoint.form?.(input, ctx);
  const res = await sim.fetch(url, {
    method: endpoint.method,
    ...(endpoint.method === "POST" ? { body: payload } : {}),
    ...(form
      ? { body: form }
      : endpoint.method === "POST"
      ? { body: JSON.stringify(body ?? {}) }
      : {}),
  });
  assert.equal(res.status, 200);
  if (endpoint.binary && !/json/.test(res.headers.get("content-type") ?? "")) {
    // A binary answer (the bytes of a file) stands for success.
    return { bytes: (await res.arrayBuffer()).byteLength };
  }
  return await res.json();
}

async function hold(sim: WeChatSimulator, ct: string, kind: "official_account" | "mini_program") {
  const { authCode } = await sim.authorizeAccount({ kind });
  const json = await request(
    sim,
    componentApis.queryAuth,
    { authorization_code: authCode },
    undefined,
    { token: ct },
  );
  const info = json.authorization_info as Json;
  return {
    appId: info.authorizer_appid as string,
    at: info.authorizer_access_token as string,
    rt: info.authorizer_refresh_token as string,
  };
}

async function env(): Promise<Env> {
  let t = Date.UTC(2026, 0, 15, 4, 0, 0);
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    now: () => t++,
    auditDelayMs: 60_000,
  });
  const token = await request(
    sim,
    componentApis.componentToken,
    { component_verify_ticket: sim.issueTicket() },
    undefined,
    { secret: SECRET },
  );
  const ct = token.component_access_token as string;
  return {
    sim,
    ct,
    oa: await hold(sim, ct, "official_account"),
    mp: await hold(sim, ct, "mini_program"),
  };
}

/** A valid input for a descriptor (authorizer APIs act for the Official Account unless `as`). */
/** The Open Platform account `held` creates (and is bound to). */
async function openOf(e: Env, held: Held): Promise<string> {
  const json = await request(e.sim, openAccountApis.createOpenAccount, {}, held.appId, {
    token: held.at,
  });
  return json.open_appid as string;
}

/** A trial Mini Program created by fast registration, with its token. */
async function betaApp(e: Env): Promise<Held> {
  await request(
    e.sim,
    registerApis.fastRegisterBetaWeapp,
    {
      name: "小麦烤鸡店",
      openid: "oUser",
    },
    undefined,
    { token: e.ct },
  );
  e.sim.advance(60_000);
  const app = e.sim.accounts().find((a) => a.nickName.endsWith("的体验小程序"))!;
  const json = await request(
    e.sim,
    componentApis.authorizerToken,
    {
      authorizer_appid: app.appId,
      authorizer_refresh_token: app.refreshToken,
    },
    undefined,
    { token: e.ct },
  );
  return { appId: app.appId, at: json.authorizer_access_token as string, rt: app.refreshToken! };
}

/** A valid input for a descriptor (authorizer APIs act for the Official Account). */
interface Sample {
  input?: unknown;
  /** The authorizer the API acts for: the Mini Program for the mini-program-only APIs. */
  as?: "mp";
  /** Act for this account instead. */
  holder?: Held;
  /** The input when the component asks about itself, if not `input`. */
  componentInput?: unknown;
}

/** A Mini Program API called with the held Mini Program's token (state for the next sample). */
async function mpCall(e: Env, path: string, body?: Json): Promise<Json> {
  const url = `${API}${path}?access_token=${encodeURIComponent(e.mp.at)}`;
  const res = await e.sim.fetch(url, body ? { method: "POST", body: JSON.stringify(body) } : {});
  const json = await res.json();
  assert.ok(!json.errcode, `${path}: ${JSON.stringify(json)}`);
  return json;
}

/** The Mini Program with committed code, an audit (passed when `passed`), `auditid`. */
async function audited(e: Env, passed = false): Promise<number> {
  await mpCall(e, "/wxa/commit", {
    template_id: 1,
    ext_json: "{}",
    user_version: "1.0.0",
    user_desc: "sample",
  });
  const { auditid } = await mpCall(e, "/wxa/submit_audit", {});
  if (passed) e.sim.advance(60_000); // the audit delay env() sets
  return auditid as number;
}

/** Inputs for the descriptors that take one (the others get `undefined`). */
const SAMPLES: Record<string, (e: Env) => Sample | Promise<Sample>> = {
  "componentApis.componentToken": (e) => ({
    input: { component_verify_ticket: e.sim.issueTicket() },
  }),
  "componentApis.clearQuotaV2": (e) => ({ input: { appid: e.oa.appId } }),
  "componentApis.queryAuth": async (e) => ({
    input: {
      authorization_code: (await e.sim.authorizeAccount({ kind: "official_account" })).authCode,
    },
  }),
  "componentApis.authorizerToken": (e) => ({
    input: { authorizer_appid: e.oa.appId, authorizer_refresh_token: e.oa.rt },
  }),
  "componentApis.getAuthorizerInfo": (e) => ({ input: { authorizer_appid: e.oa.appId } }),
  "componentApis.apiGetAuthorizerOption": (e) => ({
    input: { authorizer_appid: e.oa.appId, option_name: "location_report" },
  }),
  "componentApis.apiSetAuthorizerOption": (e) => ({
    input: { authorizer_appid: e.oa.appId, option_name: "location_report", option_value: "1" },
  }),
  "componentApis.getAuthorizerList": () => ({ input: { offset: 0, count: 10 } }),
  "componentApis.oauthAccessToken": (e) => ({
    input: { appid: e.oa.appId, code: e.sim.oauthCode({ appId: e.oa.appId }) },
  }),
  "componentApis.oauthRefreshToken": async (e) => {
    const code = e.sim.oauthCode({ appId: e.oa.appId });
    const json = await request(
      e.sim,
      componentApis.oauthAccessToken,
      { appid: e.oa.appId, code },
      undefined,
      { token: e.ct },
    );
    return { input: { appid: e.oa.appId, refresh_token: json.refresh_token } };
  },
  "componentApis.jscode2session": (e) => ({
    input: { appid: e.mp.appId, js_code: e.sim.jsCode({ appId: e.mp.appId }) },
  }),
  "authorizerApis.getAuthorizerOption": () => ({ input: { option_name: "voice_recognize" } }),
  "authorizerApis.setAuthorizerOption": () => ({
    input: { option_name: "voice_recognize", option_value: "1" },
  }),
  "messageApis.sendCustomMessage": () => ({
    input: { touser: "oUser", msgtype: "text", text: { content: "hello" } },
  }),
  "templateApis.addToTemplate": (e) => ({
    input: { draft_id: e.sim.addTemplateDraft({ user_version: "1.0.0" }) },
  }),
  "templateApis.deleteTemplate": async (e) => {
    const draft_id = e.sim.addTemplateDraft({ user_version: "1.0.0" });
    await request(e.sim, templateApis.addToTemplate, { draft_id }, undefined, { token: e.ct });
    const list = await request(e.sim, templateApis.getTemplateList, {}, undefined, {
      token: e.ct,
    });
    return { input: { template_id: (list.template_list as Json[])[0].template_id } };
  },
  "domainApis.modifyDomain": () => ({ as: "mp", input: { action: "get" } }),
  "domainApis.modifyDomainDirectly": () => ({
    as: "mp",
    input: { action: "add", requestdomain: ["https://api.example.com"] },
  }),
  "domainApis.setWebViewDomain": () => ({ as: "mp", input: { action: "get" } }),
  "domainApis.setWebViewDomainDirectly": () => ({
    as: "mp",
    input: { action: "add", webviewdomain: ["https://h5.example.com"] },
  }),
  "domainApis.getWebViewDomainConfirmFile": () => ({ as: "mp" }),
  "domainApis.modifyWxaServerDomain": () => ({
    input: { action: "add", wxa_server_domain: "api.example.com" },
  }),
  "domainApis.modifyWxaJumpDomain": () => ({ input: { action: "get" } }),
  "testerApis.bindTester": () => ({ as: "mp", input: { wechatid: "tester_one" } }),
  "testerApis.unbindTester": async (e) => {
    const url = `${API}/wxa/bind_tester?access_token=${encodeURIComponent(e.mp.at)}`;
    await e.sim.fetch(url, { method: "POST", body: JSON.stringify({ wechatid: "tester_two" }) });
    return { as: "mp", input: { wechatid: "tester_two" } };
  },
  "testerApis.memberAuth": () => ({ as: "mp", input: { action: "get_experiencer" } }),
  "accountApis.setNickname": () => ({ as: "mp", input: { nick_name: "模拟改名好店" } }),
  "accountApis.apiWxaQueryNickname": async (e) => {
    const url = `${API}/wxa/setnickname?access_token=${encodeURIComponent(e.mp.at)}`;
    const body = JSON.stringify({ nick_name: "官方模拟店", license: "media-license" });
    const json = await (await e.sim.fetch(url, { method: "POST", body })).json();
    return { as: "mp", input: { audit_id: json.audit_id } };
  },
  "accountApis.checkWxVerifyNickname": () => ({ input: { nick_name: "模拟检查名称" } }),
  "accountApis.modifyHeadImage": () => ({
    as: "mp",
    input: { head_img_media_id: "media-head", x1: 0, y1: 0, x2: 1, y2: 1 },
  }),
  "accountApis.modifySignature": () => ({ as: "mp", input: { signature: "提供好玩的服务" } }),
  "accountApis.getAllCategories": () => ({ as: "mp" }),
  "accountApis.addCategory": () => ({
    as: "mp",
    input: { categories: [{ first: 1, second: 2 }] },
  }),
  "accountApis.deleteCategory": async (e) => {
    const url = `${API}/cgi-bin/wxopen/addcategory?access_token=${encodeURIComponent(e.mp.at)}`;
    const body = JSON.stringify({ categories: [{ first: 1, second: 3 }] });
    await e.sim.fetch(url, { method: "POST", body });
    return { as: "mp", input: { first: 1, second: 3 } };
  },
  "accountApis.getSettingCategories": () => ({ as: "mp" }),
  "accountApis.modifyCategory": async (e) => {
    const url = `${API}/cgi-bin/wxopen/addcategory?access_token=${encodeURIComponent(e.mp.at)}`;
    const certicates = [{ key: "办学许可证", value: "media-cert" }];
    const body = JSON.stringify({ categories: [{ first: 30, second: 31, certicates }] });
    await e.sim.fetch(url, { method: "POST", body });
    e.sim.auditCategory(e.mp.appId, { first: 30, second: 31, approved: false });
    return { as: "mp", input: { first: 30, second: 31, certicates } };
  },
  "accountApis.changeWxaSearchStatus": () => ({ as: "mp", input: { status: 1 } }),
  "accountApis.getWxaSearchStatus": () => ({ as: "mp" }),
  "openApis.getApiQuota": () => ({ input: { cgi_path: "/cgi-bin/get_current_selfmenu_info" } }),
  "codeApis.commit": () => ({
    as: "mp",
    input: { template_id: 1, ext_json: "{}", user_version: "1.0.0", user_desc: "sample" },
  }),
  "codeApis.getQrcode": async (e) => (await audited(e), { as: "mp", input: { path: "pages/a" } }),
  "codeApis.getCategory": () => ({ as: "mp" }),
  "codeApis.getPage": async (e) => (await audited(e), { as: "mp" }),
  "codeApis.submitAudit": async (e) => {
    await mpCall(e, "/wxa/commit", {
      template_id: 1,
      ext_json: "{}",
      user_version: "1",
      user_desc: "",
    });
    return { as: "mp", input: {} };
  },
  "codeApis.getAuditStatus": async (e) => ({ as: "mp", input: { auditid: await audited(e) } }),
  "codeApis.getLatestAuditStatus": async (e) => (await audited(e), { as: "mp" }),
  "codeApis.undoCodeAudit": async (e) => (await audited(e), { as: "mp" }),
  "codeApis.speedupAudit": async (e) => ({ as: "mp", input: { auditid: await audited(e) } }),
  "codeApis.queryQuota": () => ({ as: "mp" }),
  "codeApis.uploadMedia": () => ({
    as: "mp",
    input: {
      media: new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "shot.jpg", {
        type: "image/jpeg",
      }),
    },
  }),
  "codeApis.release": async (e) => (await audited(e, true), { as: "mp" }),
  "codeApis.revertCodeRelease": () => ({ as: "mp", input: { action: "get_history_version" } }),
  "codeApis.grayRelease": async (e) => {
    await audited(e, true);
    await mpCall(e, "/wxa/release", {}); // gray releases follow a first full release
    await audited(e, true);
    return { as: "mp", input: { gray_percentage: 10 } };
  },
  "codeApis.revertGrayRelease": async (e) => {
    await audited(e, true);
    await mpCall(e, "/wxa/release", {});
    await audited(e, true);
    await mpCall(e, "/wxa/grayrelease", { gray_percentage: 5 });
    return { as: "mp" };
  },
  "codeApis.getGrayReleasePlan": () => ({ as: "mp" }),
  "codeApis.changeVisitStatus": async (e) => {
    await audited(e, true);
    await mpCall(e, "/wxa/release", {});
    return { as: "mp", input: { action: "close" } };
  },
  "codeApis.getVersionInfo": () => ({ as: "mp" }),
  "codeApis.getWeappSupportVersion": () => ({ as: "mp" }),
  "codeApis.setWeappSupportVersion": () => ({ as: "mp", input: { version: "2.21.0" } }),
  "jssdkApis.getTicket": () => ({ input: { type: "jsapi" } }),
  "snsApis.userInfo": async (e) => {
    const code = e.sim.oauthCode({ appId: e.oa.appId, scope: "snsapi_userinfo" });
    const json = await request(
      e.sim,
      componentApis.oauthAccessToken,
      { appid: e.oa.appId, code },
      undefined,
      { token: e.ct },
    );
    return { input: { access_token: json.access_token, openid: json.openid } };
  },
  "privacyApis.setPrivacySetting": () => ({
    as: "mp",
    input: { owner_setting: { contact_qq: "10000", notice_method: "弹窗" }, setting_list: [] },
  }),
  "privacyApis.getPrivacySetting": () => ({ as: "mp" }),
  "privacyApis.uploadPrivacyExtFile": () => ({ as: "mp", input: { file: "guide" } }),
  "privacyApis.applyPrivacyInterface": () => ({
    as: "mp",
    input: { api_name: "wx.getLocation", content: "门店", url_list: ["https://example.com"] },
  }),
  "privacyApis.getPrivacyInterface": () => ({ as: "mp" }),
  "registerApis.fastRegisterWeapp": () => ({
    input: {
      action: "create",
      name: "模拟科技有限公司",
      code: "91440300MA5XXXXXXX",
      code_type: 1,
      legal_persona_wechat: "legal_wx_01",
      legal_persona_name: "张三",
    },
  }),
  "registerApis.fastRegisterPersonalWeapp": () => ({
    input: { action: "create", idname: "李四", wxuser: "lisi_wx_99" },
  }),
  "registerApis.fastRegisterBetaWeapp": () => ({ input: { name: "小麦烤鸡店", openid: "oUser" } }),
  "registerApis.verifyBetaWeapp": async (e) => ({
    holder: await betaApp(e),
    input: {
      verify_info: {
        enterprise_name: "模拟科技有限公司",
        code: "91440300MA5XXXXXXX",
        code_type: 1,
        legal_persona_wechat: "legal_wx_01",
        legal_persona_name: "张三",
      },
    },
  }),
  "registerApis.setBetaWeappNickname": async (e) => ({
    holder: await betaApp(e),
    input: { name: "小麦烤鸡旗舰店" },
  }),
  "registerApis.fastRegister": (e) => ({ input: { ticket: e.sim.fastRegisterTicket(e.oa.appId) } }),
  "openAccountApis.bindOpenAccount": async (e) => ({
    as: "mp",
    input: { open_appid: await openOf(e, e.oa) },
  }),
  "openAccountApis.unbindOpenAccount": async (e) => ({
    input: { open_appid: await openOf(e, e.oa) },
  }),
  "openAccountApis.getOpenAccount": async (e) => (await openOf(e, e.oa), {}),
  "diagnosticsApis.getRidInfo": async (e) => {
    // A failed call's rid, of the account asking.
    const rid = (json: Json) => ({ rid: /rid: (\S+)$/.exec(String(json.errmsg))![1] });
    const mine = await request(
      e.sim,
      authorizerApis.getAuthorizerOption,
      {
        option_name: "nope",
      },
      e.oa.appId,
      { token: e.oa.at },
    );
    const component = await request(
      e.sim,
      componentApis.getAuthorizerInfo,
      {
        authorizer_appid: "wx0000000000000000",
      },
      undefined,
      { token: e.ct },
    );
    return { input: rid(mine), componentInput: rid(component) };
  },
  // ICP filing: the held Mini Program through its lifecycle (face task, application, filing).
  "icpApis.getIcpEntranceInfo": () => ({ as: "mp" }),
  "icpApis.createIcpVerifyTask": () => ({ as: "mp", input: {} }),
  "icpApis.queryIcpVerifyTask": async (e) => ({
    as: "mp",
    input: { task_id: (await mpCall(e, "/wxa/icp/create_icp_verifytask", {})).task_id },
  }),
  "icpApis.uploadIcpMedia": () => ({
    as: "mp",
    input: {
      type: "image",
      certificate_type: 2,
      icp_order_field: "icp_subject.principal_info.certificate_photo_front",
      media: new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "id.jpg"),
    },
  }),
  "icpApis.applyIcpFiling": async (e) => ({ as: "mp", input: await icpApplication(e) }),
  "icpApis.cancelApplyIcpFiling": async (e) => {
    await mpCall(e, "/wxa/icp/apply_icp_filing", await icpApplication(e));
    return { as: "mp" };
  },
  "icpApis.cancelIcpFiling": async (
    e,
  ) => (await icpFiled(e), { as: "mp", input: { cancel_type: 3 } }),
  "icpApis.getOnlineIcpOrder": async (e) => (await icpFiled(e), { as: "mp" }),
  "icpApis.queryIcpCertificateTypes": () => ({ as: "mp" }),
  "icpApis.queryIcpSubjectTypes": () => ({ as: "mp" }),
  "icpApis.queryIcpNrlxTypes": () => ({ as: "mp" }),
  "icpApis.queryIcpServiceContentTypes": () => ({ as: "mp" }),
  "icpApis.queryIcpDistrictCode": () => ({ as: "mp" }),
  "icpApis.getIcpMedia": async (e) => {
    const form = new FormData();
    form.append("type", "image");
    form.append("icp_order_field", "icp_subject.principal_info.certificate_photo_front");
    form.append("media", new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "id.jpg"));
    const url = `${API}/wxa/icp/upload_icp_media?access_token=${encodeURIComponent(e.mp.at)}`;
    const { media_id } = await (await e.sim.fetch(url, { method: "POST", body: form })).json();
    return { as: "mp", input: { media_id } };
  },
  // 认证: a task of the held Mini Program, sent back for refilling for reauth.
  "wxverifyApis.wxaAuth": () => ({ as: "mp", input: { auth_data: WXA_AUTH_DATA } }),
  "wxverifyApis.queryAuth": async (e) => ({
    as: "mp",
    input: { taskid: (await mpCall(e, "/wxa/sec/wxaauth", { auth_data: WXA_AUTH_DATA })).taskid },
  }),
  "wxverifyApis.uploadAuthMaterial": () => ({
    as: "mp",
    input: { media: new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "licence.jpg") },
  }),
  "wxverifyApis.reauth": async (e) => {
    e.sim.setWxVerifyOutcome(e.mp.appId, { status: "refill" });
    const { taskid } = await mpCall(e, "/wxa/sec/wxaauth", { auth_data: WXA_AUTH_DATA });
    e.sim.advance(3600_000); // the two steps of the default 30 minutes: sent back
    return { as: "mp", input: { auth_data: { ...WXA_AUTH_DATA, taskid } } };
  },
  "wxverifyApis.authIdentityTree": () => ({ as: "mp" }),
  "wxverifyApis.submitAuthAndIcp": async (e) => ({
    as: "mp",
    input: { auth_data: WXA_AUTH_DATA, ...await icpApplication(e, true) },
  }),
  "wxverifyApis.queryAuthAndIcp": async (e) => {
    const body = { auth_data: WXA_AUTH_DATA, ...await icpApplication(e, true) };
    const { procedure_id } = await mpCall(e, "/wxa/sec/submit_auth_and_icp", body);
    return { as: "mp", input: { procedure_id } };
  },
  "userApis.getUserInfo": (e) => ({
    input: { openid: e.sim.account(e.oa.appId)!.openid, lang: "en" },
  }),
  "userApis.batchGetUserInfo": (e) => ({
    input: { user_list: [{ openid: e.sim.account(e.oa.appId)!.openid }] },
  }),
};

const WXA_AUTH_DATA = {
  customer_type: 1,
  contact_info: { name: "张三", email: "a@example.com" },
  account_name: "小店",
  account_name_type: 1,
  pay_type: 1,
};

/** An ICP application of the held Mini Program, its administrator's face verified (for 认证 too). */
async function icpApplication(e: Env, alongWithAuth = false): Promise<Json> {
  const { task_id } = await mpCall(
    e,
    "/wxa/icp/create_icp_verifytask",
    alongWithAuth ? { along_with_auth: true } : {},
  );
  e.sim.advance(600_000); // the simulator's default verification delay
  return {
    icp_subject: { base_info: { type: 5, name: "张三" } },
    icp_applets: { principal_info: { verify_task_id: task_id } },
    icp_materials: {},
  };
}

/** The held Mini Program filed (both review stages passed). */
async function icpFiled(e: Env): Promise<void> {
  await mpCall(e, "/wxa/icp/apply_icp_filing", await icpApplication(e));
  e.sim.advance(3600_000); // two review stages of the default 30 minutes
}

/** Errcodes WeChat refuses a credential with: missing, invalid, expired, of the wrong kind. */
const REFUSALS = new Set([41001, 40001, 40014, 42001, 61014, 61015, 41004, 40125]);

function assertErrcode(json: Json, errcode: number, what: string): void {
  assert.equal(json.errcode, errcode, `${what}: ${JSON.stringify(json)}`);
  assert.match(String(json.errmsg), / rid: [0-9a-f-]+$/, what);
}

function assertServed(endpoint: AnyEndpoint, json: Json, what: string): void {
  if (endpoint.binary && typeof json.bytes === "number") {
    assert.ok(json.bytes > 0, `${what}: an empty file`);
    return;
  }
  assert.ok(!REFUSALS.has(json.errcode as number), `${what} was refused: ${JSON.stringify(json)}`);
  assert.ok(json.errcode === undefined || json.errcode === 0, `${what}: ${JSON.stringify(json)}`);
  const parsed = v.safeParse(endpoint.schema, json);
  assert.ok(parsed.success, `${what}: the answer fails the descriptor's schema`);
}

for (const [name, endpoint] of DESCRIPTORS) {
  Deno.test(`${name} (${endpoint.method} ${endpoint.path}, ${endpoint.auth}): refused without its credential, served with it`, async () => {
    const e = await env();
    const sample = await (SAMPLES[name] ?? (() => ({})))(e);
    const held = sample.holder ?? (sample.as === "mp" ? e.mp : e.oa);
    const send = (credential: Credential, appId = held.appId, input = sample.input) =>
      request(e.sim, endpoint, input, appId, credential);
    switch (endpoint.auth) {
      case "component":
        assertErrcode(await send({}), 41001, "no token");
        assertErrcode(await send({ token: "not-a-token" }), 40014, "a token WeChat never issued");
        // WeChat answers "api unauthorized" for an authorizer token on the OAuth-on-behalf APIs.
        assertErrcode(
          await send({ token: held.at }),
          endpoint.path.startsWith("/sns/") ? 48001 : 61014,
          "an authorizer token",
        );
        assertServed(endpoint, await send({ token: e.ct }), "the component token");
        break;
      case "authorizer":
        assertErrcode(await send({}), 41001, "no token");
        assertErrcode(await send({ token: "not-a-token" }), 40014, "a token WeChat never issued");
        if (ALSO_COMPONENT_TOKEN.includes(endpoint)) {
          // The component asking about itself: its own token, its own appid.
          assertServed(
            endpoint,
            await send({ token: e.ct }, APPID, sample.componentInput ?? sample.input),
            "the component token",
          );
        } else {
          assertErrcode(await send({ token: e.ct }), 61015, "the component token");
        }
        assertServed(endpoint, await send({ token: held.at }), "the authorizer token");
        break;
      case "secret":
        assertErrcode(await send({}), 41004, "no appsecret");
        assertErrcode(await send({ secret: "not-the-secret" }), 40125, "a wrong appsecret");
        assertServed(endpoint, await send({ secret: SECRET }), "the appsecret");
        break;
      case "none":
        assertServed(endpoint, await send({}), "no credential");
        break;
    }
  });
}

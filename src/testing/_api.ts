/**
 * The simulated `api.weixin.qq.com`: one handler per API, each checking credentials, quota and
 * body the way WeChat does and answering WeChat's JSON. Every route is built on the client's
 * own descriptor of the API (`src/api/*.ts`): its path, method and credential come from there,
 * so the client and the simulator cannot drift.
 *
 * @module
 */

import { encodeBase64, randomBytes } from "../_bytes.ts";
import { authorizerApis } from "../api/authorizer.ts";
import { componentApis } from "../api/component.ts";
import { menuApis } from "../api/menu.ts";
import { messageApis } from "../api/message.ts";
import { openApis } from "../api/openapi.ts";
import { ApiFailure, errorBody, jsonResponse, newRid, OK } from "./_errors.ts";
import {
  type Account,
  type Model,
  OAUTH_REFRESH_LIFETIME_S,
  opaque,
  OPTION_VALUES,
  type TokenRecord,
} from "./_state.ts";
import {
  type ApiHooks,
  type ApiRoute,
  type Ctx,
  type Json,
  quota,
  requireComponentAppId,
  requireSecret,
  type Route,
  serve,
  str,
  table,
} from "./_route.ts";
import { accountRoutes } from "./_account.ts";
import { codeRoutes } from "./_code.ts";
import { diagnosticsRoutes, rememberRid } from "./_diagnostics.ts";
import { icpRoutes } from "./_icp.ts";
import { wxverifyRoutes } from "./_wxverify.ts";
import { domainRoutes } from "./_domains.ts";
import { jssdkRoutes } from "./_jssdk.ts";
import { openAccountRoutes } from "./_open_account.ts";
import { privacyRoutes } from "./_privacy.ts";
import { registerRoutes } from "./_register.ts";
import { templateRoutes } from "./_templates.ts";
import { testerRoutes } from "./_testers.ts";

export type { ApiHooks, ApiRoute, RecordedMessage, RouteToken } from "./_route.ts";

function funcInfo(account: Account): Json[] {
  return account.funcIds.map((id) =>
    id % 3 === 0
      ? {
        funcscope_category: { id },
        confirm_info: { need_confirm: 0, already_confirm: 0, can_confirm: 0 },
      }
      : { funcscope_category: { id } }
  );
}

/** The profile as `api_get_authorizer_info` reports it: name, head image, domains as last set. */
function authorizerInfo(account: Account, model: Model): Json {
  const head = model.profiles.of(account.appId).headImageUrl;
  const base: Json = {
    nick_name: account.nickName,
    head_img: head ?? `http://wx.qlogo.cn/mmopen/sim_${account.appId}/0`,
    service_type_info: { id: account.serviceTypeId },
    verify_type_info: { id: account.verifyTypeId },
    user_name: account.userName,
    principal_name: account.principalName,
    alias: account.alias,
    business_info: { open_store: 0, open_scan: 0, open_pay: 0, open_card: 0, open_shake: 0 },
    qrcode_url: `http://mmbiz.qpic.cn/mmbiz_jpg/sim_${account.appId}/0`,
    account_status: 1,
  };
  if (account.kind === "official_account") return base;
  const none: string[] = [];
  const domains = model.domains.of(account.appId);
  return {
    ...base,
    idc: 1,
    signature: account.signature,
    MiniProgramInfo: {
      network: {
        RequestDomain: [...domains.server.requestdomain],
        WsRequestDomain: [...domains.server.wsrequestdomain],
        UploadDomain: [...domains.server.uploaddomain],
        DownloadDomain: [...domains.server.downloaddomain],
        BizDomain: [...domains.webview],
        UDPDomain: [...domains.server.udpdomain],
        TCPDomain: [...domains.server.tcpdomain],
        PrefetchDNSDomain: none,
        NewRequestDomain: none,
        NewWsRequestDomain: none,
        NewUploadDomain: none,
        NewDownloadDomain: none,
        NewBizDomain: none,
        NewUDPDomain: none,
        NewTCPDomain: none,
        NewPrefetchDNSDomain: none,
      },
      categories: [{ first: "生活服务", second: "丽人服务" }, {
        first: "物流服务",
        second: "查件",
      }],
      visit_status: 0,
    },
    register_type: 0,
    basic_config: { is_phone_configured: true, is_email_configured: true },
  };
}

function option(name: unknown, value?: unknown): { name: string; value?: string } {
  const n = str(name);
  if (n === undefined || !(n in OPTION_VALUES)) throw new ApiFailure(61012);
  if (value === undefined) return { name: n };
  const v = typeof value === "number" ? String(value) : value;
  if (typeof v !== "string" || !OPTION_VALUES[n].includes(v)) throw new ApiFailure(61013);
  return { name: n, value: v };
}

function oauthIssue(
  ctx: Ctx,
  appId: string,
  openid: string,
  scope: string,
  refresh?: string,
): Json {
  const model = ctx.model;
  const accessToken = `97_${opaque(72)}`;
  model.oauthTokens.set(accessToken, {
    appId,
    openid,
    expiresAt: model.now() + model.config.tokenLifetimeS * 1000,
    scope,
  });
  const refreshToken = refresh ?? `97_${opaque(72)}`;
  if (refresh === undefined) {
    model.oauthRefresh.set(refreshToken, {
      appId,
      openid,
      scope,
      expiresAt: model.now() + OAUTH_REFRESH_LIFETIME_S * 1000,
    });
  }
  return {
    access_token: accessToken,
    expires_in: ctx.model.config.tokenLifetimeS,
    refresh_token: refreshToken,
    openid,
    scope,
  };
}

function onBehalfChecks(ctx: Ctx, kind: Account["kind"]): Account {
  const q = ctx.query;
  requireComponentAppId(ctx, q.get("component_appid"));
  const account = ctx.model.authorizedAccount(q.get("appid"));
  if (account.kind !== kind) throw new ApiFailure(40013);
  return account;
}

const ROUTES: Record<string, Route> = table([
  serve(componentApis.componentToken, (ctx) => {
    const b = ctx.body;
    requireComponentAppId(ctx, b.component_appid);
    quota(ctx, ctx.model.config.componentAppId, componentApis.componentToken.path);
    requireSecret(ctx, b.component_appsecret);
    ctx.model.checkTicket(b.component_verify_ticket);
    const token = ctx.model.issueToken("component", ctx.model.config.componentAppId);
    return { component_access_token: token, expires_in: ctx.model.config.tokenLifetimeS };
  }),
  serve(componentApis.startPushTicket, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    quota(ctx, ctx.model.config.componentAppId, componentApis.startPushTicket.path);
    requireSecret(ctx, ctx.body.component_secret);
    ctx.hooks.startPushTicket();
    return OK;
  }),
  serve(componentApis.createPreAuthCode, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    return {
      pre_auth_code: ctx.model.issuePreAuthCode(),
      expires_in: ctx.model.config.preAuthCodeLifetimeS,
    };
  }),
  serve(componentApis.queryAuth, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    const account = ctx.model.consumeAuthCode(ctx.body.authorization_code);
    const token = ctx.model.issueToken("authorizer", account.appId);
    return {
      authorization_info: {
        authorizer_appid: account.appId,
        authorizer_access_token: token,
        expires_in: ctx.model.config.tokenLifetimeS,
        authorizer_refresh_token: account.refreshToken,
        func_info: funcInfo(account),
      },
    };
  }),
  serve(componentApis.authorizerToken, (ctx) => {
    const b = ctx.body;
    requireComponentAppId(ctx, b.component_appid);
    const account = ctx.model.authorizedAccount(b.authorizer_appid);
    if (str(b.authorizer_refresh_token) !== account.refreshToken) throw new ApiFailure(61023);
    const token = ctx.model.issueToken("authorizer", account.appId);
    return {
      authorizer_access_token: token,
      expires_in: ctx.model.config.tokenLifetimeS,
      authorizer_refresh_token: account.refreshToken,
    };
  }),
  serve(componentApis.getAuthorizerInfo, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
    const authorization: Json = {
      authorizer_appid: account.appId,
      func_info: funcInfo(account),
    };
    if (account.kind === "mini_program") {
      authorization.authorizer_refresh_token = account.refreshToken;
    }
    return {
      authorizer_info: authorizerInfo(account, ctx.model),
      authorization_info: authorization,
    };
  }),
  serve(componentApis.apiGetAuthorizerOption, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
    const { name } = option(ctx.body.option_name);
    return {
      authorizer_appid: account.appId,
      option_name: name,
      option_value: account.options[name],
    };
  }),
  serve(componentApis.apiSetAuthorizerOption, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
    const { name, value } = option(ctx.body.option_name, ctx.body.option_value ?? null);
    account.options[name] = value!;
    return OK;
  }),
  serve(authorizerApis.getAuthorizerOption, (ctx) => {
    const account = ctx.model.authorizedAccount(ctx.token!.appId);
    const { name } = option(ctx.body.option_name);
    return { option_name: name, option_value: account.options[name] };
  }),
  serve(authorizerApis.setAuthorizerOption, (ctx) => {
    const account = ctx.model.authorizedAccount(ctx.token!.appId);
    const { name, value } = option(ctx.body.option_name, ctx.body.option_value ?? null);
    account.options[name] = value!;
    return OK;
  }),
  serve(componentApis.getAuthorizerList, (ctx) => {
    const b = ctx.body;
    requireComponentAppId(ctx, b.component_appid);
    const offset = b.offset ?? 0;
    const count = b.count;
    if (
      typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 ||
      typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 500
    ) {
      throw new ApiFailure(40097);
    }
    const all = [...ctx.model.accounts.values()].filter((a) => a.authorized)
      .sort((a, b) => a.authTime - b.authTime);
    return {
      total_count: all.length,
      list: all.slice(offset, offset + count).map((a) => ({
        authorizer_appid: a.appId,
        refresh_token: a.refreshToken,
        auth_time: a.authTime,
      })),
    };
  }),
  serve(componentApis.clearQuota, (ctx) => {
    requireComponentAppId(ctx, ctx.body.component_appid);
    ctx.model.clearQuota(ctx.model.config.componentAppId);
    return OK;
  }),
  serve(componentApis.clearQuotaV2, (ctx) => {
    const b = ctx.body;
    requireComponentAppId(ctx, b.component_appid);
    requireSecret(ctx, b.appsecret);
    const appid = str(b.appid);
    const account = appid === undefined || appid === ctx.model.config.componentAppId
      ? ctx.model.config.componentAppId
      : ctx.model.authorizedAccount(appid).appId;
    ctx.model.clearQuota(account);
    return OK;
  }),
  serve(authorizerApis.clearQuota, (ctx) => {
    const appid = str(ctx.body.appid);
    if (appid === undefined) throw new ApiFailure(41002);
    if (appid !== ctx.token!.appId) throw new ApiFailure(40013);
    ctx.model.clearQuota(appid);
    return OK;
  }, { alsoComponentToken: true }),
  serve(openApis.getApiQuota, (ctx) => {
    const path = str(ctx.body.cgi_path);
    if (path === undefined || !(path in ROUTES)) throw new ApiFailure(40097);
    const limit = ctx.model.dailyLimit(path);
    const used = ctx.model.usedToday(ctx.token!.appId, path);
    return { ...OK, quota: { daily_limit: limit, used, remain: Math.max(0, limit - used) } };
  }, { alsoComponentToken: true }),
  serve(componentApis.oauthAccessToken, (ctx) => {
    const account = onBehalfChecks(ctx, "official_account");
    if (ctx.query.get("grant_type") !== "authorization_code") throw new ApiFailure(40002);
    const rec = ctx.model.consumeUserCode("oauth", ctx.query.get("code"), account.appId);
    return oauthIssue(ctx, account.appId, rec.openid, rec.scope);
  }),
  serve(componentApis.oauthRefreshToken, (ctx) => {
    const account = onBehalfChecks(ctx, "official_account");
    if (ctx.query.get("grant_type") !== "refresh_token") throw new ApiFailure(40002);
    const token = ctx.query.get("refresh_token") ?? "";
    const rec = ctx.model.oauthRefresh.get(token);
    if (!rec || rec.appId !== account.appId) throw new ApiFailure(40030);
    if (ctx.model.now() >= rec.expiresAt) throw new ApiFailure(42002);
    return oauthIssue(ctx, account.appId, rec.openid, rec.scope, token);
  }),
  serve(componentApis.jscode2session, (ctx) => {
    const account = onBehalfChecks(ctx, "mini_program");
    if (ctx.query.get("grant_type") !== "authorization_code") throw new ApiFailure(40002);
    const rec = ctx.model.consumeUserCode("js", ctx.query.get("js_code"), account.appId);
    const sessionKey = encodeBase64(randomBytes(16));
    ctx.model.sessionKeys.set(`${account.appId}|${rec.openid}`, sessionKey);
    return {
      openid: rec.openid,
      session_key: sessionKey,
      unionid: "o" + rec.openid.slice(1, 6) + "_union_" + rec.openid.slice(6),
    };
  }),
  serve(messageApis.sendCustomMessage, (ctx) => {
    const b = ctx.body;
    const touser = str(b.touser);
    if (touser === undefined) throw new ApiFailure(40003);
    const msgtype = str(b.msgtype);
    const known = [
      "text",
      "image",
      "voice",
      "video",
      "music",
      "news",
      "mpnews",
      "mpnewsarticle",
      "msgmenu",
      "wxcard",
      "miniprogrampage",
      "link",
    ];
    if (msgtype === undefined || !known.includes(msgtype)) throw new ApiFailure(40008);
    const content = b[msgtype];
    if (typeof content !== "object" || content === null) throw new ApiFailure(47001);
    if (msgtype === "text" && typeof (content as Json).content !== "string") {
      throw new ApiFailure(47001);
    }
    ctx.hooks.customMessage({
      appId: ctx.token!.appId,
      touser,
      msgtype,
      body: b,
      at: ctx.model.now(),
    });
    return OK;
  }),
  serve(menuApis.getCurrentSelfMenuInfo, (ctx) => {
    const account = ctx.model.authorizedAccount(ctx.token!.appId);
    if (account.kind !== "official_account") throw new ApiFailure(48001);
    return {
      is_menu_open: 1,
      selfmenu_info: {
        button: [
          { type: "click", name: "今日歌曲", key: "V1001_TODAY_MUSIC" },
          {
            name: "菜单",
            sub_button: {
              list: [{ type: "view", name: "搜索", url: "http://www.soso.com/" }],
            },
          },
        ],
      },
    };
  }),
  ...jssdkRoutes,

  ...codeRoutes,

  ...templateRoutes,

  ...domainRoutes,

  ...testerRoutes,

  ...accountRoutes,

  ...privacyRoutes,

  ...registerRoutes,

  ...openAccountRoutes,

  ...diagnosticsRoutes,

  ...icpRoutes,

  ...wxverifyRoutes,
]);

/** Paths the simulated API server answers. */
export const API_PATHS: readonly string[] = Object.keys(ROUTES);

/**
 * The route table as data, in the order the routes are declared: which descriptor each route
 * serves and the token it checks. Internal (not re-exported by `./testing`): the drift test
 * proves with it that every descriptor is served as declared.
 */
export function apiRoutes(): readonly ApiRoute[] {
  return Object.values(ROUTES).map(({ endpoint, path, method, auth, token }) =>
    Object.freeze({ endpoint, path, method, auth, token })
  );
}

/**
 * Answers one API request, or returns `null` when `path` is no API of the simulator.
 * Order of checks follows WeChat: token, quota, body, then the API's own rules.
 */
export async function handleApi(
  model: Model,
  hooks: ApiHooks,
  request: Request,
  path: string,
  query: URLSearchParams,
): Promise<Response | null> {
  const route = ROUTES[path];
  if (!route) return null;
  let token: TokenRecord | null = null;
  let text = "";
  try {
    if (route.token !== "none") {
      const value = query.get("access_token") ?? query.get("component_access_token");
      try {
        token = model.checkToken(value, route.token);
      } catch (e) {
        // WeChat answers "api unauthorized" for an authorizer token on the OAuth-on-behalf APIs.
        if (e instanceof ApiFailure && e.errcode === 61014 && path.startsWith("/sns/")) {
          throw new ApiFailure(48001);
        }
        throw e;
      }
      quota(
        { model, hooks, query, body: {}, token },
        token.type === "component" ? model.config.componentAppId : token.appId,
        path,
      );
    }
    let body: Json = {};
    let form: FormData | undefined;
    if (route.form) {
      try {
        form = await request.formData();
      } catch {
        throw new ApiFailure(41005);
      }
    } else if (route.method === "POST") {
      text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
      if (text.trim() === "") throw new ApiFailure(44002);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiFailure(47001);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new ApiFailure(47001);
      }
      body = parsed as Json;
    }
    const result = route.handler({ model, hooks, query, body, form, token });
    return result instanceof Response ? result : jsonResponse(result);
  } catch (e) {
    if (!(e instanceof ApiFailure)) throw e;
    // Remembered for `cgi-bin/openapi/rid/get`, by the account whose token made the request.
    const rid = newRid(model.now());
    const answer = errorBody(e.errcode, model.now(), e.errmsg, rid);
    const owner = token === null
      ? undefined
      : token.type === "component"
      ? model.config.componentAppId
      : token.appId;
    rememberRid(model, rid, { owner, path, query, body: text, response: answer });
    return jsonResponse(answer);
  }
}

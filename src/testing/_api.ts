/**
 * The simulated `api.weixin.qq.com`: one handler per API path, each checking credentials,
 * quota and body the way WeChat does and answering WeChat's JSON.
 *
 * @module
 */

import { encodeBase64, randomBytes } from "../_bytes.ts";
import { ApiFailure, errorBody, jsonResponse, OK } from "./_errors.ts";
import {
  type Account,
  type Model,
  OAUTH_REFRESH_LIFETIME_S,
  opaque,
  OPTION_VALUES,
  TOKEN_LIFETIME_S,
  type TokenRecord,
} from "./_state.ts";

/** A customer-service message an authorizer sent through `cgi-bin/message/custom/send`. */
export interface RecordedMessage {
  appId: string;
  touser: string;
  msgtype: string;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** Milliseconds on the simulator's clock. */
  at: number;
}

/** Side effects the API reports to the simulator. */
export interface ApiHooks {
  startPushTicket(): void;
  customMessage(message: RecordedMessage): void;
}

type Json = Record<string, unknown>;

interface Ctx {
  model: Model;
  hooks: ApiHooks;
  query: URLSearchParams;
  body: Json;
  token: TokenRecord | null;
}

interface Route {
  /** Which token the API takes in its query; `none` for APIs authenticated by the body. */
  token: "none" | "component" | "authorizer" | "any";
  /** POST APIs read a JSON body; GET APIs read the query. */
  method: "POST" | "GET";
  handler: (ctx: Ctx) => unknown;
}

const COMPONENT = "/cgi-bin/component/";

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function requireComponentAppId(ctx: Ctx, value: unknown): void {
  const appid = str(value);
  if (appid === undefined) throw new ApiFailure(41002);
  if (appid !== ctx.model.config.componentAppId) throw new ApiFailure(40013);
}

function requireSecret(ctx: Ctx, value: unknown): void {
  const secret = str(value);
  if (secret === undefined) throw new ApiFailure(41004);
  if (secret !== ctx.model.config.componentAppSecret) throw new ApiFailure(40125);
}

function quota(ctx: Ctx, account: string, path: string): void {
  ctx.model.consumeQuota(account, path);
}

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

function authorizerInfo(account: Account): Json {
  const base: Json = {
    nick_name: account.nickName,
    head_img: `http://wx.qlogo.cn/mmopen/sim_${account.appId}/0`,
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
  return {
    ...base,
    idc: 1,
    signature: account.signature,
    MiniProgramInfo: {
      network: {
        RequestDomain: ["https://example.com"],
        WsRequestDomain: ["wss://example.com"],
        UploadDomain: ["https://example.com"],
        DownloadDomain: ["https://example.com"],
        BizDomain: none,
        UDPDomain: none,
        TCPDomain: none,
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
    expiresAt: model.now() + TOKEN_LIFETIME_S * 1000,
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
    expires_in: TOKEN_LIFETIME_S,
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

const ROUTES: Record<string, Route> = {
  [COMPONENT + "api_component_token"]: {
    token: "none",
    method: "POST",
    handler(ctx) {
      const b = ctx.body;
      requireComponentAppId(ctx, b.component_appid);
      quota(ctx, ctx.model.config.componentAppId, COMPONENT + "api_component_token");
      requireSecret(ctx, b.component_appsecret);
      ctx.model.checkTicket(b.component_verify_ticket);
      const token = ctx.model.issueToken("component", ctx.model.config.componentAppId);
      return { component_access_token: token, expires_in: TOKEN_LIFETIME_S };
    },
  },
  [COMPONENT + "api_start_push_ticket"]: {
    token: "none",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      quota(ctx, ctx.model.config.componentAppId, COMPONENT + "api_start_push_ticket");
      requireSecret(ctx, ctx.body.component_secret);
      ctx.hooks.startPushTicket();
      return OK;
    },
  },
  [COMPONENT + "api_create_preauthcode"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      return {
        pre_auth_code: ctx.model.issuePreAuthCode(),
        expires_in: ctx.model.config.preAuthCodeLifetimeS,
      };
    },
  },
  [COMPONENT + "api_query_auth"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      const account = ctx.model.consumeAuthCode(ctx.body.authorization_code);
      const token = ctx.model.issueToken("authorizer", account.appId);
      return {
        authorization_info: {
          authorizer_appid: account.appId,
          authorizer_access_token: token,
          expires_in: TOKEN_LIFETIME_S,
          authorizer_refresh_token: account.refreshToken,
          func_info: funcInfo(account),
        },
      };
    },
  },
  [COMPONENT + "api_authorizer_token"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      const b = ctx.body;
      requireComponentAppId(ctx, b.component_appid);
      const account = ctx.model.authorizedAccount(b.authorizer_appid);
      if (str(b.authorizer_refresh_token) !== account.refreshToken) throw new ApiFailure(61023);
      const token = ctx.model.issueToken("authorizer", account.appId);
      return {
        authorizer_access_token: token,
        expires_in: TOKEN_LIFETIME_S,
        authorizer_refresh_token: account.refreshToken,
      };
    },
  },
  [COMPONENT + "api_get_authorizer_info"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
      const authorization: Json = {
        authorizer_appid: account.appId,
        func_info: funcInfo(account),
      };
      if (account.kind === "mini_program") {
        authorization.authorizer_refresh_token = account.refreshToken;
      }
      return { authorizer_info: authorizerInfo(account), authorization_info: authorization };
    },
  },
  [COMPONENT + "api_get_authorizer_option"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
      const { name } = option(ctx.body.option_name);
      return {
        authorizer_appid: account.appId,
        option_name: name,
        option_value: account.options[name],
      };
    },
  },
  [COMPONENT + "api_set_authorizer_option"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      const account = ctx.model.authorizedAccount(ctx.body.authorizer_appid);
      const { name, value } = option(ctx.body.option_name, ctx.body.option_value ?? null);
      account.options[name] = value!;
      return OK;
    },
  },
  [COMPONENT + "get_authorizer_option"]: {
    token: "authorizer",
    method: "POST",
    handler(ctx) {
      const account = ctx.model.authorizedAccount(ctx.token!.appId);
      const { name } = option(ctx.body.option_name);
      return { option_name: name, option_value: account.options[name] };
    },
  },
  [COMPONENT + "set_authorizer_option"]: {
    token: "authorizer",
    method: "POST",
    handler(ctx) {
      const account = ctx.model.authorizedAccount(ctx.token!.appId);
      const { name, value } = option(ctx.body.option_name, ctx.body.option_value ?? null);
      account.options[name] = value!;
      return OK;
    },
  },
  [COMPONENT + "api_get_authorizer_list"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
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
    },
  },
  [COMPONENT + "clear_quota"]: {
    token: "component",
    method: "POST",
    handler(ctx) {
      requireComponentAppId(ctx, ctx.body.component_appid);
      ctx.model.clearQuota(ctx.model.config.componentAppId);
      return OK;
    },
  },
  [COMPONENT + "clear_quota/v2"]: {
    token: "none",
    method: "POST",
    handler(ctx) {
      const b = ctx.body;
      requireComponentAppId(ctx, b.component_appid);
      requireSecret(ctx, b.appsecret);
      const appid = str(b.appid);
      const account = appid === undefined || appid === ctx.model.config.componentAppId
        ? ctx.model.config.componentAppId
        : ctx.model.authorizedAccount(appid).appId;
      ctx.model.clearQuota(account);
      return OK;
    },
  },
  "/cgi-bin/clear_quota": {
    token: "any",
    method: "POST",
    handler(ctx) {
      const appid = str(ctx.body.appid);
      if (appid === undefined) throw new ApiFailure(41002);
      if (appid !== ctx.token!.appId) throw new ApiFailure(40013);
      ctx.model.clearQuota(appid);
      return OK;
    },
  },
  "/cgi-bin/openapi/quota/get": {
    token: "any",
    method: "POST",
    handler(ctx) {
      const path = str(ctx.body.cgi_path);
      if (path === undefined || !(path in ROUTES)) throw new ApiFailure(40097);
      const limit = ctx.model.dailyLimit(path);
      const used = ctx.model.usedToday(ctx.token!.appId, path);
      return { ...OK, quota: { daily_limit: limit, used, remain: Math.max(0, limit - used) } };
    },
  },
  "/sns/oauth2/component/access_token": {
    token: "component",
    method: "GET",
    handler(ctx) {
      const account = onBehalfChecks(ctx, "official_account");
      if (ctx.query.get("grant_type") !== "authorization_code") throw new ApiFailure(40002);
      const rec = ctx.model.consumeUserCode("oauth", ctx.query.get("code"), account.appId);
      return oauthIssue(ctx, account.appId, rec.openid, rec.scope);
    },
  },
  "/sns/oauth2/component/refresh_token": {
    token: "component",
    method: "GET",
    handler(ctx) {
      const account = onBehalfChecks(ctx, "official_account");
      if (ctx.query.get("grant_type") !== "refresh_token") throw new ApiFailure(40002);
      const token = ctx.query.get("refresh_token") ?? "";
      const rec = ctx.model.oauthRefresh.get(token);
      if (!rec || rec.appId !== account.appId) throw new ApiFailure(40030);
      if (ctx.model.now() >= rec.expiresAt) throw new ApiFailure(42002);
      return oauthIssue(ctx, account.appId, rec.openid, rec.scope, token);
    },
  },
  "/sns/component/jscode2session": {
    token: "component",
    method: "GET",
    handler(ctx) {
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
    },
  },
  "/cgi-bin/message/custom/send": {
    token: "authorizer",
    method: "POST",
    handler(ctx) {
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
    },
  },
  "/cgi-bin/get_current_selfmenu_info": {
    token: "authorizer",
    method: "GET",
    handler(ctx) {
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
    },
  },
};

/** Paths the simulated API server answers. */
export const API_PATHS: readonly string[] = Object.keys(ROUTES);

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
  try {
    let token: TokenRecord | null = null;
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
    if (route.method === "POST") {
      const text = request.method === "GET" || request.method === "HEAD"
        ? ""
        : await request.text();
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
    const result = route.handler({ model, hooks, query, body, token });
    return jsonResponse(result);
  } catch (e) {
    if (e instanceof ApiFailure) return jsonResponse(errorBody(e.errcode, model.now(), e.errmsg));
    throw e;
  }
}

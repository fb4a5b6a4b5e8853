/**
 * Response types of the WeChat APIs the client types.
 *
 * Responses keep WeChat's own field names (snake_case, and `MiniProgramInfo` as WeChat spells
 * it). Every response interface has an index signature: fields WeChat adds later pass through.
 *
 * @module
 */

import type { FuncInfo } from "../tokens/types.ts";
/** `{ errcode: 0, errmsg: "ok" }`, the answer of WeChat's action APIs. */
export interface OkResponse {
  /** Always 0 here (other values become a `WeChatError`). */
  errcode?: number;
  /** Usually `"ok"`. */
  errmsg?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_create_preauthcode` response. */
export interface PreAuthCodeResponse {
  /** The single-use pre-authorization code. */
  pre_auth_code: string;
  /** Lifetime in seconds (600 in every example). */
  expires_in: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `{ id }` objects such as `service_type_info` and `verify_type_info`. */
export interface IdInfo {
  /** The enum value. */
  id: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `authorizer_info.MiniProgramInfo`. */
export interface MiniProgramInfo {
  /** Server domains, keyed as WeChat sends them (`RequestDomain`, `WsRequestDomain`, …). */
  network?: Record<string, unknown>;
  /** Service categories. */
  categories?: { first: string; second: string; [key: string]: unknown }[];
  /** Visit status. */
  visit_status?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `authorizer_info` of `api_get_authorizer_info`. */
export interface AuthorizerInfo {
  /** Nickname. */
  nick_name?: string;
  /** Avatar URL. */
  head_img?: string;
  /** Account type (OA: 0/1 订阅号, 2 服务号; MP: 0 普通小程序, …). */
  service_type_info?: IdInfo;
  /** Verification type (-1 未认证, 0 微信认证, …). */
  verify_type_info?: IdInfo;
  /** Original id (`gh_…`). */
  user_name?: string;
  /** Subject name. */
  principal_name?: string;
  /** WeChat id. */
  alias?: string;
  /** QR code image URL. */
  qrcode_url?: string;
  /** `open_store`, `open_scan`, `open_pay`, `open_card`, `open_shake` (0/1). */
  business_info?: Record<string, number>;
  /** Signature / description. */
  signature?: string;
  /** Mini Program details. */
  MiniProgramInfo?: MiniProgramInfo;
  /** 1 normal, 14 cancelled, 16 banned, 18 warned, 19 frozen. */
  account_status?: number;
  /** How the account was registered. */
  register_type?: number;
  /** Phone/email configuration. */
  basic_config?: Record<string, unknown>;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_get_authorizer_info` response. */
export interface AuthorizerInfoResponse {
  /** The account. */
  authorizer_info: AuthorizerInfo;
  /** The authorization (legacy examples say `appid` instead of `authorizer_appid`). */
  authorization_info?: {
    authorizer_appid?: string;
    appid?: string;
    authorizer_refresh_token?: string;
    func_info?: FuncInfo[];
    [key: string]: unknown;
  };
  /** Legacy position of `qrcode_url`. */
  qrcode_url?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `get_authorizer_option` / `api_get_authorizer_option` response. */
export interface AuthorizerOptionResponse {
  /** Present in the legacy API's answer. */
  authorizer_appid?: string;
  /** `location_report`, `voice_recognize` or `customer_service`. */
  option_name: string;
  /** The value, as a string. */
  option_value: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One entry of `api_get_authorizer_list`. */
export interface AuthorizerListEntry {
  /** The authorizer. */
  authorizer_appid: string;
  /** Its current refresh token (some real responses omit it). */
  refresh_token?: string;
  /** Authorization time, seconds since the epoch. */
  auth_time?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_get_authorizer_list` response. */
export interface AuthorizerListResponse {
  /** Number of authorizers in all. */
  total_count: number;
  /** This page. */
  list: AuthorizerListEntry[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `sns/oauth2/component/access_token` and `refresh_token` responses. */
export interface OAuthAccessTokenResponse {
  /** The user's web access token. */
  access_token: string;
  /** Lifetime in seconds (7200). */
  expires_in: number;
  /** Refresh token (30 days). */
  refresh_token: string;
  /** The user's openid. */
  openid: string;
  /** Granted scope. */
  scope: string;
  /** Present when the account is bound to an open platform account. */
  unionid?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `sns/component/jscode2session` response. */
export interface Jscode2SessionResponse {
  /** The user's openid. */
  openid: string;
  /** The session key (a secret: never log it). */
  session_key: string;
  /** Present when the account is bound to an open platform account. */
  unionid?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

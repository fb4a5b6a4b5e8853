/**
 * Response and record types of the component client.
 *
 * Responses keep WeChat's own field names (snake_case, and `MiniProgramInfo` as WeChat spells
 * it). Every response interface has an index signature: fields WeChat adds later pass through.
 *
 * @module
 */

/** `{ errcode: 0, errmsg: "ok" }`, the answer of WeChat's action APIs. */
export interface OkResponse {
  /** Always 0 here (other values become a `WeChatError`). */
  errcode?: number;
  /** Usually `"ok"`. */
  errmsg?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_component_token` response. */
export interface ComponentAccessTokenResponse {
  /** The component_access_token. */
  component_access_token: string;
  /** Lifetime in seconds (7200). */
  expires_in: number;
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

/** One permission set in `func_info`. */
export interface FuncInfo {
  /** The permission set. */
  funcscope_category: { id: number; [key: string]: unknown };
  /** Confirmation state, on some permission sets. */
  confirm_info?: {
    need_confirm?: number;
    already_confirm?: number;
    can_confirm?: number;
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `authorization_info` of `api_query_auth`. */
export interface AuthorizationInfo {
  /** The authorizer's appid. */
  authorizer_appid: string;
  /** Present when the account granted API permissions. */
  authorizer_access_token?: string;
  /** Lifetime of `authorizer_access_token` in seconds. */
  expires_in?: number;
  /** The refresh token: the most precious datum of the platform. */
  authorizer_refresh_token?: string;
  /** Permission sets granted. */
  func_info?: FuncInfo[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_query_auth` response. */
export interface QueryAuthResponse {
  /** The authorization just confirmed. */
  authorization_info: AuthorizationInfo;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `api_authorizer_token` response. */
export interface AuthorizerTokenResponse {
  /** A new authorizer_access_token. */
  authorizer_access_token: string;
  /** Its lifetime in seconds. */
  expires_in: number;
  /** The current refresh token (normally unchanged). */
  authorizer_refresh_token?: string;
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

/** A managed access token and when it expires. */
export interface AccessTokenInfo {
  /** The token. */
  token: string;
  /** Expiry, milliseconds since the epoch (WeChat's `expires_in` counted from receipt). */
  expiresAt: number;
}

/** The stored ticket. */
export interface TicketInfo {
  /** The component_verify_ticket. */
  ticket: string;
  /** When it was received, milliseconds since the epoch. */
  receivedAt: number;
  /** When it stops being used (receipt + 12 h), milliseconds since the epoch. */
  expiresAt: number;
}

/** Where an authorizer stands. */
export type AuthorizerStatus = "authorized" | "reauthorization_required" | "revoked";

/** What the store keeps about an authorizer (never its refresh token). */
export interface AuthorizerRecord {
  /** The authorizer's appid. */
  authorizerAppId: string;
  /** Where it stands. */
  status: AuthorizerStatus;
  /** Last authorization, milliseconds since the epoch. */
  authorizedAt?: number;
  /** Last change of this record, milliseconds since the epoch. */
  updatedAt: number;
  /** When the authorization was revoked (`unauthorized` push), milliseconds since the epoch. */
  revokedAt?: number;
  /** When a refresh failed for good, milliseconds since the epoch. */
  reauthorizationRequiredAt?: number;
  /** Why re-authorization is needed. */
  reason?: string;
  /** Permission sets from the last `api_query_auth`. */
  funcInfo?: FuncInfo[];
}

/** One page of {@linkcode AuthorizerRecord}s. */
export interface AuthorizerPage {
  /** Records of this page. */
  authorizers: AuthorizerRecord[];
  /** Pass to the next call; absent when complete. */
  cursor?: string;
  /** True on the last page. */
  complete: boolean;
}

/** A managed token found by an expiry sweep. */
export interface ExpiringToken {
  /** Which credential. */
  kind: "component" | "authorizer";
  /** The authorizer, for `kind: "authorizer"`. */
  authorizerAppId?: string;
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number;
}

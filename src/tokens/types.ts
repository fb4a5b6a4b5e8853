/**
 * The token domain's types: managed tokens, the ticket, authorizer records, and the WeChat
 * answers the token lifecycle consumes (`api_component_token`, `api_query_auth`,
 * `api_authorizer_token`). WeChat's answers keep WeChat's field names.
 *
 * @module
 */
/** `api_component_token` response. */
export interface ComponentAccessTokenResponse {
  /** The component_access_token. */
  component_access_token: string;
  /** Lifetime in seconds (7200). */
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
  /** When it was received, milliseconds since the epoch (our clock). */
  receivedAt: number;
  /**
   * When WeChat made it: the push's `CreateTime` in milliseconds since the epoch (WeChat's
   * clock). Absent for a ticket stored without one (`acceptTicket`, older records). Its age is
   * `now - min(createdAt ?? receivedAt, receivedAt)`.
   */
  createdAt?: number;
  /**
   * When it stops being used, milliseconds since the epoch: 12 h after the earlier of
   * `createdAt` and `receivedAt`.
   */
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

/** What applying a component push did (see `ManagedCredentials.applyComponentEvent`). */
export interface ComponentEventOutcome {
  /** The action taken. */
  action: "ticket_stored" | "authorized" | "duplicate" | "revoked" | "ignored";
  /** The authorizer concerned, for authorization events. */
  authorizerAppId?: string;
}

/**
 * The fields of a parsed component push the token lifecycle reads (a structural subset of
 * `parseComponentEvent`'s result, so any parser's output fits).
 */
export interface ComponentEventLike {
  /** `component_verify_ticket`, `authorized`, `updateauthorized`, `unauthorized`, … */
  InfoType: string;
  /** The component appid. */
  AppId?: string;
  /** Seconds since the epoch, as WeChat sent it. */
  CreateTime?: string | number;
  /** For `component_verify_ticket`. */
  ComponentVerifyTicket?: string;
  /** For authorization events. */
  AuthorizerAppid?: string;
  /** For `authorized` / `updateauthorized`. */
  AuthorizationCode?: string;
  /** For `notify_third_fasteregister`: the new Mini Program's appid. */
  appid?: string;
  /** For `notify_third_fasteregister`: 0 when the Mini Program was created. */
  status?: string | number;
  /** For `notify_third_fasteregister`: its authorization code, for `api_query_auth`. */
  auth_code?: string;
}

/** One entry of `api_get_authorizer_list`, as the token lifecycle reads it. */
export interface AuthorizerListPage {
  /** How many accounts authorized, in all. */
  total_count: number;
  /** This page. */
  list: { authorizer_appid: string; refresh_token?: string; [key: string]: unknown }[];
}

/**
 * Error classes of the component client.
 *
 * Every failure of a WeChat API call is one of a small taxonomy a caller can tell apart with
 * `instanceof`: WeChat said no ({@linkcode WeChatError}), the HTTP exchange failed
 * ({@linkcode HttpStatusError}, {@linkcode NetworkError}, {@linkcode TimeoutError}), or the answer
 * was not what WeChat documents ({@linkcode InvalidJsonError}, {@linkcode ResponseSchemaError}).
 * Two lifecycle conditions have their own classes: {@linkcode MissingTicketError} and
 * {@linkcode ReauthorizationRequiredError}.
 *
 * No message, field or `cause` of these errors ever carries a secret or a token: the HTTP layer
 * redacts every credential it sent before it builds an error.
 *
 * @module
 */

/** WeChat's errcodes meaning "this access token is invalid, expired or not the latest". */
export const INVALID_TOKEN_ERRCODES: readonly number[] = [40001, 40014, 42001];

/** Options shared by the errors of a WeChat API call. */
export interface ApiErrorOptions {
  /** The underlying cause (already redacted). */
  cause?: unknown;
}

/**
 * Base class of every error raised by a WeChat API call.
 *
 * @example Telling a transient failure from a permanent one
 * ```ts
 * import { WeChatApiCallError } from "@wxopen/component";
 *
 * function shouldRetryLater(error: unknown): boolean {
 *   return error instanceof WeChatApiCallError && error.retryable;
 * }
 * ```
 */
export class WeChatApiCallError extends Error {
  /** The API path that failed, without query string, e.g. `/cgi-bin/component/api_query_auth`. */
  readonly api: string;
  /** True when trying again later may succeed (network trouble, 5xx, WeChat's -1 "system busy"). */
  readonly retryable: boolean;

  /** Creates the error; used by the subclasses. */
  constructor(message: string, api: string, retryable: boolean, options?: ApiErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WeChatApiCallError";
    this.api = api;
    this.retryable = retryable;
  }
}

/** Extracts the `rid` WeChat appends to many errmsgs (`... rid: 6638c156-2d826832-17af344b`). */
export function parseRid(errmsg: string): string | undefined {
  const match = /\brid:\s*([0-9A-Za-z-]+)/.exec(errmsg);
  return match?.[1];
}

/**
 * WeChat answered with `errcode ≠ 0`.
 *
 * @example Reacting to an invalid authorization code
 * ```ts
 * import { WeChatError } from "@wxopen/component";
 *
 * const error = new WeChatError("/cgi-bin/component/api_query_auth", 61009, "code is invalid rid: 1-2-3");
 * console.log(error.errcode, error.rid); // 61009 "1-2-3"
 * ```
 */
export class WeChatError extends WeChatApiCallError {
  /** WeChat's numeric error code. */
  readonly errcode: number;
  /** WeChat's error message, as sent. */
  readonly errmsg: string;
  /** The request id WeChat put into `errmsg`, when present. */
  readonly rid: string | undefined;

  /** Creates the error from WeChat's `errcode` and `errmsg`. */
  constructor(api: string, errcode: number, errmsg: string) {
    super(
      `WeChat API ${api} failed with errcode ${errcode}: ${errmsg}`,
      api,
      errcode === -1 || errcode === 45011,
    );
    this.name = "WeChatError";
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.rid = parseRid(errmsg);
  }

  /** True for 40001, 40014 and 42001: the access token used is invalid, expired or superseded. */
  get isInvalidToken(): boolean {
    return INVALID_TOKEN_ERRCODES.includes(this.errcode);
  }
}

/** WeChat answered with an HTTP status other than 2xx. */
export class HttpStatusError extends WeChatApiCallError {
  /** The HTTP status. */
  readonly status: number;
  /** The first characters of the response body, with credentials redacted. */
  readonly bodyExcerpt: string;

  /** Creates the error. */
  constructor(api: string, status: number, bodyExcerpt: string) {
    super(
      `WeChat API ${api} answered with HTTP status ${status}`,
      api,
      status >= 500 || status === 429 || status === 408,
    );
    this.name = "HttpStatusError";
    this.status = status;
    this.bodyExcerpt = bodyExcerpt;
  }
}

/** The request never got an answer: DNS, connection reset, TLS, a dropped connection. */
export class NetworkError extends WeChatApiCallError {
  /** Creates the error; `cause` is a redacted copy of the fetch failure. */
  constructor(api: string, options?: ApiErrorOptions) {
    super(`WeChat API ${api} could not be reached`, api, true, options);
    this.name = "NetworkError";
  }
}

/** The request did not complete before its deadline (the client's `timeoutMs`). */
export class TimeoutError extends WeChatApiCallError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  /** Creates the error. */
  constructor(api: string, timeoutMs: number) {
    super(`WeChat API ${api} did not answer within ${timeoutMs} ms`, api, true);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** The response body was not JSON. */
export class InvalidJsonError extends WeChatApiCallError {
  /** The first characters of the response body, with credentials redacted. */
  readonly bodyExcerpt: string;

  /** Creates the error. */
  constructor(api: string, bodyExcerpt: string) {
    super(`WeChat API ${api} answered with a body that is not JSON`, api, false);
    this.name = "InvalidJsonError";
    this.bodyExcerpt = bodyExcerpt;
  }
}

/** The response was JSON but did not have the shape WeChat documents. */
export class ResponseSchemaError extends WeChatApiCallError {
  /** One line per problem: the field path and what was expected (never the received value). */
  readonly issues: string[];

  /** Creates the error. */
  constructor(api: string, issues: string[]) {
    super(
      `WeChat API ${api} answered with an unexpected shape: ${issues.join("; ")}`,
      api,
      false,
    );
    this.name = "ResponseSchemaError";
    this.issues = issues;
  }
}

/**
 * No usable `component_verify_ticket`: none was received yet, the last one is older than 12 hours,
 * or WeChat rejected it (61005/61006).
 *
 * @example
 * ```ts
 * import { MissingTicketError } from "@wxopen/component";
 *
 * const error = new MissingTicketError("no ticket has been received");
 * console.log(error.message.includes("startPushTicket()")); // true
 * ```
 */
export class MissingTicketError extends Error {
  /** Creates the error; `detail` says why there is no usable ticket. */
  constructor(detail: string, options?: ApiErrorOptions) {
    super(
      `No usable component_verify_ticket (${detail}): wait for WeChat's next push (every 10 minutes) or call startPushTicket()`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "MissingTicketError";
  }
}

/** Why an authorizer needs to authorize the platform again. */
export type ReauthorizationReason =
  | "revoked"
  | "refresh_token_invalid"
  | "not_authorized"
  | "no_refresh_token";

/**
 * The authorizer's tokens cannot be refreshed any more: the merchant must authorize the platform
 * again (a new `authorized` push or a new pass through the authorization page).
 *
 * @example
 * ```ts
 * import { ReauthorizationRequiredError } from "@wxopen/component";
 *
 * const error = new ReauthorizationRequiredError("wx0123456789abcdef", "revoked");
 * console.log(error.authorizerAppId, error.reason);
 * ```
 */
export class ReauthorizationRequiredError extends Error {
  /** The authorizer concerned. */
  readonly authorizerAppId: string;
  /** Why. */
  readonly reason: ReauthorizationReason;

  /** Creates the error. */
  constructor(authorizerAppId: string, reason: ReauthorizationReason, options?: ApiErrorOptions) {
    super(
      `Authorizer ${authorizerAppId} must authorize the platform again (${REASON_TEXT[reason]})`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ReauthorizationRequiredError";
    this.authorizerAppId = authorizerAppId;
    this.reason = reason;
  }
}

const REASON_TEXT: Record<ReauthorizationReason, string> = {
  revoked: "the authorization was revoked",
  refresh_token_invalid: "WeChat rejected the stored authorizer_refresh_token with 61023",
  not_authorized: "WeChat says the account has not authorized this platform (61003)",
  no_refresh_token: "no authorizer_refresh_token is stored for it",
};

/** True when `error` is a {@linkcode WeChatError} with errcode 40001, 40014 or 42001. */
export function isInvalidTokenError(error: unknown): error is WeChatError {
  return error instanceof WeChatError && error.isInvalidToken;
}

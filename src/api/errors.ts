/**
 * Errors of a WeChat API call, each a `WxOpenError` with its own `code`.
 *
 * Every failure of a WeChat API call is one of a small taxonomy a caller can tell apart with
 * `instanceof` or by `code`: WeChat said no ({@linkcode WeChatError}, `wechat_error`), the HTTP
 * exchange failed ({@linkcode HttpStatusError} `http_status`, {@linkcode NetworkError} `network`,
 * {@linkcode TimeoutError} `timeout`), or the answer was not what WeChat documents
 * ({@linkcode InvalidJsonError} `invalid_json`, {@linkcode ResponseSchemaError}
 * `response_schema`).
 *
 * No message, field or `cause` of these errors ever carries a secret or a token: the HTTP layer
 * redacts every credential it sent before it builds an error.
 *
 * @module
 */

import { type ApiErrorCode, WxOpenError } from "../errors.ts";

export type { ApiErrorCode };

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
export class WeChatApiCallError extends WxOpenError<ApiErrorCode> {
  /** The API path that failed, without query string, e.g. `/cgi-bin/component/api_query_auth`. */
  readonly api: string;

  /** Creates the error; used by the subclasses. */
  constructor(
    code: ApiErrorCode,
    message: string,
    api: string,
    retryable: boolean,
    options?: ApiErrorOptions,
  ) {
    super(code, message, { retryable, cause: options?.cause });
    this.name = "WeChatApiCallError";
    this.api = api;
  }
}

/** Extracts the `rid` WeChat appends to many errmsgs (`... rid: 6638c156-2d826832-17af344b`). */
function parseRid(errmsg: string): string | undefined {
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
      "wechat_error",
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
      "http_status",
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
    super("network", `WeChat API ${api} could not be reached`, api, true, options);
    this.name = "NetworkError";
  }
}

/** The request did not complete before its deadline (the client's `timeoutMs`). */
export class TimeoutError extends WeChatApiCallError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  /** Creates the error. */
  constructor(api: string, timeoutMs: number) {
    super("timeout", `WeChat API ${api} did not answer within ${timeoutMs} ms`, api, true);
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
    super("invalid_json", `WeChat API ${api} answered with a body that is not JSON`, api, false);
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
      "response_schema",
      `WeChat API ${api} answered with an unexpected shape: ${issues.join("; ")}`,
      api,
      false,
    );
    this.name = "ResponseSchemaError";
    this.issues = issues;
  }
}

/** True when `error` is a {@linkcode WeChatError} with errcode 40001, 40014 or 42001. */
export function isInvalidTokenError(error: unknown): error is WeChatError {
  return error instanceof WeChatError && error.isInvalidToken;
}

/**
 * The one error taxonomy of wxopen: every condition a caller may catch is a
 * {@linkcode WxOpenError} with a stable string `code` and a `retryable` flag, so a server maps
 * errors to answers by `code` (one table) and never by class name.
 *
 * | codes | family | retryable |
 * |---|---|---|
 * | `invalid_signature` … `invalid_envelope` | message crypto (`MessageCryptoError`) | no |
 * | `xml_too_large` … `xml_malformed` | XML parsing (`XmlParseError`) | no |
 * | `missing_field`, `invalid_field` | push format (`PushFormatError`; a ticket's implausible `CreateTime`) | no |
 * | `wechat_error` | WeChat answered `errcode ≠ 0` (`WeChatError`) | for -1 and 45011 |
 * | `http_status`, `network`, `timeout`, `invalid_json`, `response_schema` | the HTTP exchange | `network`, `timeout`, 5xx/429/408 |
 * | `ticket_missing`, `reauthorization_required`, `token_not_cached` | token lifecycle | no |
 * | `store_unavailable`, `store_rate_limited`, `sealed_value_invalid` | stores | per error; rate limits always |
 *
 * @module
 */

/** The codes of `MessageCryptoError` (a push, an echostr or a ciphertext refused). */
export type MessageCryptoErrorCode =
  | "invalid_signature"
  | "invalid_base64"
  | "invalid_block_length"
  | "invalid_padding"
  | "invalid_length"
  | "invalid_utf8"
  | "appid_mismatch"
  | "invalid_envelope";

/** Why `parseXml` refused its input. */
export type XmlParseErrorCode =
  | "xml_too_large"
  | "xml_too_deep"
  | "xml_doctype"
  | "xml_entity"
  | "xml_malformed";

/** Why a push was refused after it parsed as XML. */
export type PushFormatErrorCode = "missing_field" | "invalid_field";

/** The codes of the errors of a WeChat API call. */
export type ApiErrorCode =
  | "wechat_error"
  | "http_status"
  | "network"
  | "timeout"
  | "invalid_json"
  | "response_schema";

/** The codes of the token lifecycle's errors. */
export type LifecycleErrorCode = "ticket_missing" | "reauthorization_required" | "token_not_cached";

/** The codes a `StoreError` carries. */
export type StoreErrorCode = "store_unavailable" | "store_rate_limited" | "sealed_value_invalid";

/** Every `code` a {@linkcode WxOpenError} can carry. */
export type WxOpenErrorCode =
  | MessageCryptoErrorCode
  | XmlParseErrorCode
  | PushFormatErrorCode
  | ApiErrorCode
  | LifecycleErrorCode
  | StoreErrorCode;

/** Options of {@linkcode WxOpenError}. */
export interface WxOpenErrorOptions {
  /** True when the same operation may succeed if tried again later; default false. */
  retryable?: boolean;
  /** The underlying cause (never carrying a secret). */
  cause?: unknown;
}

/**
 * Base class of every error wxopen raises for a condition a caller may handle.
 *
 * @example Map any wxopen error to an HTTP status by its code
 * ```ts
 * import { WxOpenError } from "@wxopen/component";
 *
 * function statusOf(error: unknown): number {
 *   if (!(error instanceof WxOpenError)) return 500;
 *   if (error.code === "invalid_signature") return 401;
 *   return error.retryable ? 503 : 400;
 * }
 * console.log(statusOf(new WxOpenError("invalid_signature", "Bad signature"))); // 401
 * ```
 */
export class WxOpenError<C extends WxOpenErrorCode = WxOpenErrorCode> extends Error {
  /** A stable, machine-readable code for the condition. */
  readonly code: C;
  /** True when trying again later may succeed. */
  readonly retryable: boolean;

  /** Creates the error; messages never contain a secret. */
  constructor(code: C, message: string, options: WxOpenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WxOpenError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * WeChat's `errcode` when `error` is WeChat saying no (code `wechat_error`), else `undefined`:
 * how layers below the API client recognise 61003, 61023 and friends.
 */
export function errcodeOf(error: unknown): number | undefined {
  if (!(error instanceof WxOpenError) || error.code !== "wechat_error") return undefined;
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === "number" ? errcode : undefined;
}

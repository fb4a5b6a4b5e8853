/**
 * The worker's one HTTP error class and the `onError` handler that turns every thrown error
 * into the JSON shape `{ "error": { "code", "message" } }` — never a stack trace. Core errors
 * are answered by their `code` through one table that names every code.
 *
 * @module
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { WeChatError, WxOpenError, type WxOpenErrorCode } from "../mod.ts";

/** An error that becomes an HTTP response with a JSON body. */
export class HttpError extends Error {
  /** HTTP status of the response. */
  readonly status: ContentfulStatusCode;
  /** Stable, machine-readable error code. */
  readonly code: string;
  /** Extra fields merged into the error object (e.g. WeChat's errcode). */
  readonly details?: Record<string, unknown>;

  /** Builds an error that {@linkcode onError} answers with `status` and `{ error: { code, message } }`. */
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The JSON error body. */
export function errorBody(
  code: string,
  message: string,
  details?: Record<string, unknown>,
): { error: Record<string, unknown> } {
  return { error: { code, message, ...details } };
}

/** How one core error code is answered: status, the worker's code, and a fixed message if any. */
type Answer = readonly [status: ContentfulStatusCode, code: string, message?: string];

const MALFORMED_PUSH: Answer = [400, "malformed_push", "The push could not be decrypted"];
const NOT_A_MESSAGE: Answer = [
  400,
  "malformed_push",
  "The decrypted push is not a valid WeChat message",
];
const STORE_DOWN: Answer = [503, "store_unavailable", "Token store is unavailable, retry later"];

/**
 * Every core error code and its answer (a code missing here does not compile). Without a fixed
 * message the core's own is used: core messages never carry a secret.
 */
const ANSWERS: Record<WxOpenErrorCode, Answer> = {
  invalid_signature: [401, "bad_signature", "The msg_signature does not match"],
  appid_mismatch: [400, "foreign_appid", "The push is addressed to another appid"],
  invalid_base64: MALFORMED_PUSH,
  invalid_block_length: MALFORMED_PUSH,
  invalid_padding: MALFORMED_PUSH,
  invalid_length: MALFORMED_PUSH,
  invalid_utf8: MALFORMED_PUSH,
  invalid_envelope: MALFORMED_PUSH,
  xml_too_large: NOT_A_MESSAGE,
  xml_too_deep: NOT_A_MESSAGE,
  xml_doctype: NOT_A_MESSAGE,
  xml_entity: NOT_A_MESSAGE,
  xml_malformed: NOT_A_MESSAGE,
  missing_field: NOT_A_MESSAGE,
  invalid_field: NOT_A_MESSAGE,
  wechat_error: [502, "wechat_error"],
  http_status: [502, "upstream_bad_response"],
  invalid_json: [502, "upstream_bad_response"],
  response_schema: [502, "upstream_bad_response"],
  network: [502, "upstream_unreachable"],
  timeout: [504, "upstream_timeout"],
  ticket_missing: [503, "ticket_missing"],
  reauthorization_required: [409, "reauthorization_required"],
  token_not_cached: [503, "token_not_cached"],
  store_unavailable: STORE_DOWN,
  store_rate_limited: STORE_DOWN,
  sealed_value_invalid: [500, "internal_error", "Internal error"],
};

/** Maps a core error by its `code` (see the table above); anything else is a 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (!(err instanceof WxOpenError)) return new HttpError(500, "internal_error", "Internal error");
  // A code from a newer core than this table knows is still answered, as a 500.
  const [status, code, message] = ANSWERS[err.code as WxOpenErrorCode] ??
    [500, "internal_error", "Internal error"];
  const details = err instanceof WeChatError
    ? { errcode: err.errcode, errmsg: err.errmsg }
    : undefined;
  return new HttpError(status, code, message ?? err.message, details);
}

/** Seconds a caller should wait before retrying, by error code (`undefined`: no retry hint). */
const RETRY_AFTER_SECONDS: Record<string, number> = {
  // KV or the coordinator hiccups: retry soon.
  store_unavailable: 2,
  credential_unavailable: 2,
  token_not_cached: 2,
  // An authorization push is being exchanged: the token exists within seconds.
  authorization_pending: 2,
  // WeChat could not be reached or answered garbage: give it a little longer.
  upstream_unreachable: 5,
  upstream_timeout: 5,
  upstream_bad_response: 5,
  // WeChat pushes a ticket every 10 minutes (the cron asks for one when it is late).
  ticket_missing: 60,
};

/** The `Retry-After` value (seconds) for a retryable error, or `undefined`. */
export function retryAfterSeconds(http: HttpError): number | undefined {
  if (http.status < 500 && http.code !== "authorization_pending") return undefined;
  return RETRY_AFTER_SECONDS[http.code];
}

/** Hono `onError` handler: logs the class name only and answers with the JSON error shape. */
export function onError(err: Error, c: Context): Response {
  const http = toHttpError(err);
  if (http.status >= 500) {
    // Class name and message only: core messages never carry secrets, and no stack trace.
    console.error(`[wxopen] ${http.code}: ${err.name}: ${err.message}`);
  }
  const retryAfter = retryAfterSeconds(http);
  if (retryAfter !== undefined) c.header("retry-after", String(retryAfter));
  return c.json(errorBody(http.code, http.message, http.details), http.status);
}

/**
 * The worker's one HTTP error class and the `onError` handler that turns every thrown error
 * into the JSON shape `{ "error": { "code", "message" } }` — never a stack trace.
 *
 * @module
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

interface CoreErrorLike {
  name: string;
  message: string;
  errcode?: unknown;
  errmsg?: unknown;
  status?: unknown;
  code?: unknown;
}

/** Maps errors from the core (by class name, so no import is needed) to HTTP errors. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = (err ?? {}) as CoreErrorLike;
  switch (e.name) {
    case "WeChatError":
      return new HttpError(502, "wechat_error", e.message, {
        errcode: e.errcode,
        errmsg: e.errmsg,
      });
    case "MissingTicketError":
      return new HttpError(503, "ticket_missing", e.message);
    case "ReauthorizationRequiredError":
      return new HttpError(409, "reauthorization_required", e.message);
    case "HttpStatusError":
    case "InvalidJsonError":
    case "ResponseSchemaError":
      return new HttpError(502, "upstream_bad_response", e.message);
    case "NetworkError":
    case "TimeoutError":
      return new HttpError(504, "upstream_unreachable", e.message);
    case "StoreError":
    case "StoreRateLimitError":
      return new HttpError(503, "store_unavailable", "Token store is unavailable, retry later");
  }
  return new HttpError(500, "internal_error", "Internal error");
}

/** Seconds a caller should wait before retrying, by error code (`undefined`: no retry hint). */
const RETRY_AFTER_SECONDS: Record<string, number> = {
  // KV or the coordinator hiccups: retry soon.
  store_unavailable: 2,
  coordinator_error: 2,
  // An authorization push is being exchanged: the token exists within seconds.
  authorization_pending: 2,
  // WeChat could not be reached or answered garbage: give it a little longer.
  upstream_unreachable: 5,
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

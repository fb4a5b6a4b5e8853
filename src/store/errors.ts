/**
 * Errors thrown by stores, shared by every adapter so callers can tell a transient failure
 * (retry later) from a permanent one without knowing which backend is behind the
 * {@linkcode Store}.
 *
 * @module
 */

import { type StoreErrorCode, WxOpenError } from "../errors.ts";

export type { StoreErrorCode };

/** Options of {@linkcode StoreError}. */
export interface StoreErrorOptions {
  /** True when the same call may succeed if tried again later. */
  retryable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A store could not serve a request. `retryable` says whether trying again later may help;
 * a token manager keeps the previous value and reports a retryable error to its caller.
 *
 * @example Telling a transient store failure apart
 * ```ts
 * import { StoreError } from "@wxopen/component";
 *
 * try {
 *   throw new StoreError("Store write failed", { retryable: true });
 * } catch (error) {
 *   if (error instanceof StoreError && error.retryable) {
 *     // schedule a retry
 *   }
 * }
 * ```
 */
export class StoreError extends WxOpenError<StoreErrorCode> {
  /** Creates the error (code `store_unavailable`); `retryable` defaults to false. */
  constructor(message: string, options: StoreErrorOptions & { code?: StoreErrorCode } = {}) {
    super(options.code ?? "store_unavailable", message, options);
    this.name = "StoreError";
  }
}

/**
 * The backend refused a request because of its rate limit (Workers KV: HTTP 429, at most one
 * write per second per key). Always retryable.
 *
 * @example Backing off after a rate limit
 * ```ts
 * import { StoreRateLimitError } from "@wxopen/component";
 *
 * const error = new StoreRateLimitError("Store rate limit reached");
 * console.assert(error.retryable);
 * ```
 */
export class StoreRateLimitError extends StoreError {
  /** Creates the error; it is always retryable. */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "store_rate_limited", retryable: true, cause: options.cause });
    this.name = "StoreRateLimitError";
  }
}

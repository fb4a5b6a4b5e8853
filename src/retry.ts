/**
 * The one retry loop: a bounded number of attempts with a backoff between them, retrying only
 * the failures the caller names.
 *
 * @module
 */

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /**
   * Milliseconds to wait before retry `n` (1 for the second attempt): a list (its last value
   * repeats) or a function. Default: none.
   */
  delayMs?: readonly number[] | ((retry: number) => number);
  /** Whether a failure is worth another attempt; default: every failure. */
  retryIf?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, for logs. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `fn` until it resolves, a failure is not retryable, or the attempts are spent; then
 * rethrows the last failure. `fn` gets the attempt number, from 1.
 *
 * @example Retry a transient store failure, waiting past Workers KV's 1 write/s per key
 * ```ts
 * import { retry, StoreError } from "@wxopen/component";
 *
 * let calls = 0;
 * const value = await retry(async () => {
 *   if (++calls < 2) throw new StoreError("busy", { retryable: true });
 *   return "written";
 * }, {
 *   attempts: 3,
 *   delayMs: [10],
 *   retryIf: (e) => e instanceof StoreError && e.retryable,
 * });
 * console.log(value, calls); // "written" 2
 * ```
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts));
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || (options.retryIf && !options.retryIf(error, attempt))) {
        throw error;
      }
      options.onRetry?.(error, attempt);
      const wait = delayOf(options.delayMs, attempt);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function delayOf(delay: RetryOptions["delayMs"], retryNumber: number): number {
  if (delay === undefined) return 0;
  if (typeof delay === "function") return delay(retryNumber);
  return delay.length === 0 ? 0 : delay[Math.min(retryNumber, delay.length) - 1];
}

/** Exponential backoff: `baseMs`, doubled for each further retry, at most `maxMs`. */
export function exponentialBackoff(baseMs: number, maxMs = Infinity): (retry: number) => number {
  return (retryNumber) => Math.min(maxMs, baseMs * 2 ** (retryNumber - 1));
}

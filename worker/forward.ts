/**
 * Forwarding of authorizer messages to the platform's own service (`FORWARD_URL`), in the wire
 * format of `wire.ts` (docs/worker.md, "Forwarded messages"):
 *
 * ```json
 * { "authorizer_appid": "wx…", "received_at": "2025-08-01T08:00:00.000Z", "message": { "MsgType": "text", … } }
 * ```
 *
 * `message` keeps WeChat's field names. Headers: `X-Wxopen-Timestamp: <unix seconds of
 * received_at>`, `X-Wxopen-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` under
 * `FORWARD_SECRET` (the exact bytes of the body), `X-Wxopen-Attempt: <1…>`. Retried with backoff
 * on network errors, 5xx and 429.
 *
 * @module
 */

import { retry } from "../mod.ts";
import { toHex } from "../src/crypto/mod.ts";
import { iso } from "./wire.ts";

/** What is forwarded for one authorizer message (sent as {@linkcode forwardBody}). */
export interface ForwardedMessage {
  /** The authorizer the message was sent to. */
  authorizerAppId: string;
  /** Receive time, milliseconds since the epoch. */
  receivedAt: number;
  /** The parsed message (WeChat's field names). */
  message: Record<string, unknown>;
}

/** The JSON body of a forward: snake_case, `received_at` ISO-8601, `message` as WeChat names it. */
export function forwardBody(payload: ForwardedMessage): {
  authorizer_appid: string;
  received_at: string;
  message: Record<string, unknown>;
} {
  return {
    authorizer_appid: payload.authorizerAppId,
    received_at: iso(payload.receivedAt) ?? new Date().toISOString(),
    message: payload.message,
  };
}

/** Options of {@linkcode forwardMessage}. */
export interface ForwardOptions {
  url: string;
  secret: string;
  fetch: typeof fetch;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** First backoff in milliseconds, doubled each retry (default 250). */
  backoffMs?: number;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keyCache.set(secret, key);
  }
  return key;
}

/** The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`; receivers recompute it. */
export async function signForward(
  secret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    new TextEncoder().encode(`${timestamp}.${body}`),
  );
  return toHex(new Uint8Array(mac));
}

/**
 * Posts `payload` to the forward URL, retrying network failures and 5xx/429 answers.
 * Resolves to true once delivered, false when every attempt failed (never throws).
 */
export async function forwardMessage(
  payload: ForwardedMessage,
  options: ForwardOptions,
): Promise<boolean> {
  const wire = forwardBody(payload);
  const body = JSON.stringify(wire);
  // The timestamp header is received_at's unix second, so a receiver can check either.
  const timestamp = String(Math.floor(Date.parse(wire.received_at) / 1000));
  const signature = await signForward(options.secret, timestamp, body);
  const attempts = options.attempts ?? 3;
  const backoff = options.backoffMs ?? 250;
  try {
    await retry(async (attempt) => {
      let res: Response;
      try {
        res = await options.fetch(options.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-wxopen-timestamp": timestamp,
            "x-wxopen-signature": `sha256=${signature}`,
            "x-wxopen-attempt": String(attempt),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        console.warn(`[wxopen] forward attempt ${attempt} failed: ${(err as Error).name}`);
        throw err;
      }
      await res.body?.cancel();
      if (!res.ok) throw new ForwardStatus(res.status);
    }, {
      attempts,
      delayMs: (n) => backoff * 2 ** (n - 1),
      retryIf: (err) => !(err instanceof ForwardStatus) || err.retryable,
    });
    return true;
  } catch (err) {
    if (err instanceof ForwardStatus && !err.retryable) {
      console.warn(`[wxopen] forward refused with HTTP ${err.status}, not retried`);
    } else console.warn(`[wxopen] forward gave up after ${attempts} attempts`);
    return false;
  }
}

/** The forward URL answered a status other than 2xx; 5xx and 429 are worth another attempt. */
class ForwardStatus extends Error {
  readonly retryable: boolean;
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.retryable = status >= 500 || status === 429;
  }
}

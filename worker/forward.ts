/**
 * Forwarding of authorizer messages to the platform's own service (`FORWARD_URL`): JSON body,
 * `X-Wxopen-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` under `FORWARD_SECRET`,
 * `X-Wxopen-Timestamp`, retried with backoff on network errors and 5xx.
 *
 * @module
 */

import { toHex } from "../mod.ts";

/** What is forwarded for one authorizer message. */
export interface ForwardedMessage {
  /** The authorizer the message was sent to. */
  authorizerAppId: string;
  /** Receive time, milliseconds since the epoch. */
  receivedAt: number;
  /** The parsed message (WeChat's field names). */
  message: Record<string, unknown>;
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
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(payload.receivedAt / 1000));
  const signature = await signForward(options.secret, timestamp, body);
  const attempts = options.attempts ?? 3;
  let backoff = options.backoffMs ?? 250;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await options.fetch(options.url, {
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
      await res.body?.cancel();
      if (res.ok) return true;
      if (res.status < 500 && res.status !== 429) {
        console.warn(`[wxopen] forward refused with HTTP ${res.status}, not retried`);
        return false;
      }
    } catch (err) {
      console.warn(`[wxopen] forward attempt ${attempt} failed: ${(err as Error).name}`);
    }
    if (attempt < attempts) {
      await new Promise((r) => setTimeout(r, backoff));
      backoff *= 2;
    }
  }
  console.warn(`[wxopen] forward gave up after ${attempts} attempts`);
  return false;
}

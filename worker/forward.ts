/**
 * Forwarding of authorizer messages and platform events to the platform's own service
 * (`FORWARD_URL`), in the wire format of `wire.ts` (docs/worker.md, "Forwarded messages"):
 *
 * ```json
 * { "authorizer_appid": "wx…", "received_at": "2025-08-01T08:00:00.000Z", "message": { "MsgType": "text", … } }
 * ```
 *
 * `message` (or `event`, for a platform event) keeps WeChat's field names. Headers:
 * `X-Wxopen-Timestamp: <unix seconds of received_at>`, `X-Wxopen-Signature: sha256=<hex
 * HMAC-SHA256 of "<timestamp>.<body>">` under `FORWARD_SECRET` (the exact bytes of the body),
 * `X-Wxopen-Attempt: <1…>`, `X-Wxopen-Delivery-Id` (the same for every copy of one message) and,
 * on the one attempt whose answer may carry a passive reply, `X-Wxopen-Reply-Within-Ms`.
 *
 * @module
 */

import { retry } from "../mod.ts";
import { toHex } from "../src/crypto/mod.ts";
import { iso } from "./wire.ts";

/** One message or platform event to deliver (also the body of a queued delivery). */
export interface DeliveryJob {
  /** The delivery id: the same for WeChat's retries of one message (see `messageKey`). */
  id: string;
  /** An authorizer message, or a platform event pushed to the component. */
  kind: "message" | "component_event";
  /** The authorizer it concerns (always for a message; for an event, when it names one). */
  appid?: string;
  /** Receive time, milliseconds since the epoch. */
  receivedAt: number;
  /** The parsed message or event (WeChat's field names). */
  payload: Record<string, unknown>;
}

/** The JSON body of a forward: snake_case, `received_at` ISO-8601, WeChat's object as named. */
export function forwardBody(job: DeliveryJob): Record<string, unknown> {
  const receivedAt = iso(job.receivedAt) ?? new Date().toISOString();
  if (job.kind === "message") {
    return { authorizer_appid: job.appid, received_at: receivedAt, message: job.payload };
  }
  return {
    ...(job.appid ? { authorizer_appid: job.appid } : {}),
    received_at: receivedAt,
    event: job.payload,
  };
}

/** Where forwards go. */
export interface ForwardTarget {
  url: string;
  secret: string;
  fetch: typeof fetch;
}

/** Options of one attempt ({@linkcode postForward}). */
export interface AttemptOptions {
  /** 1 for the first attempt. */
  attempt: number;
  /** The passive-reply window this attempt's answer may use (absent: a reply is not used). */
  replyWithinMs?: number;
  /** Ends the attempt (default: 10 s). */
  signal?: AbortSignal;
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

/** One signed POST of `job` (throws on network errors; any status is answered). */
export async function postForward(
  job: DeliveryJob,
  target: ForwardTarget,
  options: AttemptOptions,
): Promise<Response> {
  const body = JSON.stringify(forwardBody(job));
  // The timestamp header is received_at's unix second, so a receiver can check either.
  const timestamp = String(Math.floor(job.receivedAt / 1000));
  const signature = await signForward(target.secret, timestamp, body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-wxopen-timestamp": timestamp,
    "x-wxopen-signature": `sha256=${signature}`,
    "x-wxopen-attempt": String(options.attempt),
    "x-wxopen-delivery-id": job.id,
  };
  if (options.replyWithinMs !== undefined) {
    headers["x-wxopen-reply-within-ms"] = String(options.replyWithinMs);
  }
  return await target.fetch(target.url, {
    method: "POST",
    headers,
    body,
    signal: options.signal ?? AbortSignal.timeout(10_000),
  });
}

/** Whether a forward that answered `status` is worth another attempt. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * One attempt whose answer is not read: true when the target answered 2xx; false otherwise
 * (never throws). `permanent` is set when the target refused it with a 4xx other than 429.
 */
export async function deliverOnce(
  job: DeliveryJob,
  target: ForwardTarget,
  attempt: number,
): Promise<{ ok: boolean; permanent?: boolean }> {
  try {
    const res = await postForward(job, target, { attempt });
    await res.body?.cancel();
    if (res.ok) return { ok: true };
    console.warn(`[wxopen] forward attempt ${attempt} answered HTTP ${res.status}`);
    return { ok: false, permanent: !retryableStatus(res.status) };
  } catch (err) {
    console.warn(`[wxopen] forward attempt ${attempt} failed: ${(err as Error).name}`);
    return { ok: false };
  }
}

/**
 * Best effort, without a queue: posts `job`, retrying network failures and 5xx/429 answers
 * (`attempts` in all from `firstAttempt`, backoff from 250 ms doubling). Resolves to true once
 * delivered, false when every attempt failed (never throws).
 */
export async function forwardBestEffort(
  job: DeliveryJob,
  target: ForwardTarget,
  firstAttempt = 1,
  attempts = 3,
): Promise<boolean> {
  try {
    await retry(async (n) => {
      const outcome = await deliverOnce(job, target, firstAttempt + n - 1);
      if (!outcome.ok) throw new ForwardFailed(outcome.permanent === true);
    }, {
      attempts,
      delayMs: (n) => 250 * 2 ** (n - 1),
      retryIf: (err) => !(err instanceof ForwardFailed) || !err.permanent,
    });
    return true;
  } catch {
    console.warn(
      `[wxopen] forward of a ${job.kind} gave up after ${firstAttempt + attempts - 1} attempts`,
    );
    return false;
  }
}

class ForwardFailed extends Error {
  constructor(readonly permanent: boolean) {
    super("forward failed");
  }
}

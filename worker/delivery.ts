/**
 * Durable delivery to the forward URL through a Cloudflare Queue (binding `DELIVERY`, optional):
 * the worker is the queue's producer and its consumer (`queue()`), retries with backoff
 * (`DELIVERY_RETRY_SECONDS`, doubled per attempt), and stores what the dead-letter queue
 * receives as dead letters, which the admin API lists and replays (docs/worker.md, "Durable
 * delivery"). At least once; a delivery that reached the target is recorded in the authorizer's
 * object, so a queued copy of it is dropped.
 *
 * Without the binding, deliveries are best effort: three attempts inside `waitUntil`.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { authorizerObject } from "./credentials.ts";
import { messageCounters } from "./counters.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { deliverOnce, type DeliveryJob, forwardBestEffort, type ForwardTarget } from "./forward.ts";
import { unwrap } from "./objects/result.ts";
import type { Runtime } from "./runtime.ts";
import { iso } from "./wire.ts";

/** The body of a queued delivery. */
export interface QueuedDelivery {
  /** Format version. */
  v: 1;
  job: DeliveryJob;
  /** The `X-Wxopen-Attempt` of this queue message's first attempt. */
  attempt: number;
}

/**
 * How long a queued copy waits behind a late first attempt: that attempt may run 10 s (its
 * timeout); if it succeeds, the copy is dropped.
 */
const BEHIND_LATE_SECONDS = 11;
/** Longest backoff between queued attempts. */
const MAX_BACKOFF_SECONDS = 3600;
/** Dead letters are kept this long (their metadata names the message, never its content). */
const DEAD_LETTER_TTL_SECONDS = 30 * 86400;
/** The store key prefix of dead letters. */
export const DEAD_LETTER_PREFIX = "wxopen:v1:dead_letter:";

/** The forward target of the settings, if a forward URL is set. */
export function forwardTarget(rt: Runtime): ForwardTarget | null {
  const { forwardUrl, forwardSecret } = rt.settings;
  if (!forwardUrl || !forwardSecret) return null;
  return { url: forwardUrl, secret: forwardSecret, fetch: (i, init) => fetch(i, init) };
}

/** The delay before queued attempt `attempts` + 1 (1-based `attempts` done), seconds. */
export function backoffSeconds(base: number, attempts: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers `job` later: queued when the `DELIVERY` binding exists (answers true), else best
 * effort in `waitUntil` (false). A queue that refuses the job throws a 503, so the push is
 * answered 5xx and WeChat pushes it again: nothing is lost silently.
 */
export async function deliverLater(
  env: Env,
  ctx: ExecutionContext,
  rt: Runtime,
  job: DeliveryJob,
  options: { attempt: number; behindLateAttempt?: boolean },
): Promise<boolean> {
  const target = forwardTarget(rt);
  if (!target) return false;
  const queue = env.DELIVERY;
  if (!queue) {
    // A late attempt is still running: its own continuation retries if it fails.
    if (!options.behindLateAttempt) {
      ctx.waitUntil(
        // Three attempts in all, counting those already made.
        forwardBestEffort(job, target, options.attempt, 4 - options.attempt).then((ok) => {
          if (ok) messageCounters.delivered++;
        }),
      );
    }
    return false;
  }
  const body: QueuedDelivery = { v: 1, job, attempt: options.attempt };
  try {
    await queue.send(body, {
      contentType: "json",
      ...(options.behindLateAttempt ? { delaySeconds: BEHIND_LATE_SECONDS } : {}),
    });
  } catch (err) {
    console.error(`[wxopen] a delivery could not be queued: ${(err as Error).name}`);
    throw new HttpError(
      503,
      "delivery_unavailable",
      "The message could not be queued for delivery; WeChat will push it again",
    );
  }
  return true;
}

/** Records that `job` reached the forward URL (in its authorizer's object). */
export async function markDelivered(env: Env, job: DeliveryJob): Promise<void> {
  if (!job.appid) return;
  await unwrap(authorizerObject(env, job.appid).delivered(job.appid, job.id, true));
}

async function wasDelivered(env: Env, job: DeliveryJob): Promise<boolean> {
  if (!job.appid) return false;
  return await unwrap(authorizerObject(env, job.appid).delivered(job.appid, job.id, false));
}

function queuedDelivery(body: unknown): QueuedDelivery | null {
  const b = body as QueuedDelivery | null;
  // Written by this worker: the version and the job's id are enough to tell.
  return b?.v === 1 && typeof b.job?.id === "string" && typeof b.attempt === "number" ? b : null;
}

/** The queue consumer: deliveries, and (from the dead-letter queue) dead letters to store. */
export async function consumeDeliveries(
  batch: MessageBatch<unknown>,
  env: Env,
  rt: Runtime,
): Promise<void> {
  const dead = batch.queue === rt.settings.deadLetterQueue;
  const target = forwardTarget(rt);
  for (const msg of batch.messages) {
    const body = queuedDelivery(msg.body);
    if (!body) {
      console.warn("[wxopen] a queued delivery in an unknown format was dropped");
      msg.ack();
      continue;
    }
    if (dead) {
      try {
        await storeDeadLetter(rt, body, msg.attempts);
        messageCounters.dead_lettered++;
        msg.ack();
      } catch (err) {
        console.error(`[wxopen] a dead letter could not be stored: ${(err as Error).name}`);
        msg.retry({ delaySeconds: backoffSeconds(rt.settings.deliveryRetrySeconds, msg.attempts) });
      }
      continue;
    }
    try {
      if (await wasDelivered(env, body.job)) {
        messageCounters.duplicates++;
        msg.ack();
        continue;
      }
    } catch {
      // Unknown: deliver (at least once).
    }
    const outcome = target
      ? await deliverOnce(body.job, target, body.attempt + msg.attempts - 1)
      : { ok: false };
    if (outcome.ok) {
      messageCounters.delivered++;
      await markDelivered(env, body.job).catch(() => {});
      msg.ack();
    } else {
      messageCounters.retried++;
      msg.retry({ delaySeconds: backoffSeconds(rt.settings.deliveryRetrySeconds, msg.attempts) });
    }
  }
}

/** A stored dead letter. */
interface DeadLetter extends QueuedDelivery {
  /** Attempts made through the queue before it gave up. */
  attempts: number;
  deadAt: number;
}

async function storeDeadLetter(
  rt: Runtime,
  body: QueuedDelivery,
  deadAttempts: number,
): Promise<void> {
  const letter: DeadLetter = { ...body, attempts: deadAttempts, deadAt: Date.now() };
  const { job } = letter;
  await rt.store.put(DEAD_LETTER_PREFIX + job.id, JSON.stringify(letter), {
    ttlSeconds: DEAD_LETTER_TTL_SECONDS,
    // Listed without reading values: no message content here (the value is sealed).
    metadata: {
      kind: job.kind,
      ...(job.appid ? { appid: job.appid } : {}),
      receivedAt: job.receivedAt,
      deadAt: letter.deadAt,
      type: String(job.payload.MsgType ?? job.payload.InfoType ?? ""),
    },
  });
}

/** A page of dead letters in the wire format (within KV's propagation delay). */
export async function listDeadLetters(
  rt: Runtime,
  options: { cursor?: string; limit: number },
): Promise<Record<string, unknown>> {
  const page = await rt.store.list({ prefix: DEAD_LETTER_PREFIX, ...options });
  return {
    dead_letters: page.keys.map((key) => {
      const m = (key.metadata ?? {}) as Record<string, string | number | undefined>;
      return {
        id: key.name.slice(DEAD_LETTER_PREFIX.length),
        kind: m.kind,
        ...(m.appid ? { authorizer_appid: m.appid } : {}),
        type: m.type,
        received_at: iso(Number(m.receivedAt)),
        dead_at: iso(Number(m.deadAt)),
      };
    }),
    complete: page.complete,
    ...(page.complete ? {} : { cursor: page.cursor }),
  };
}

/**
 * Delivers dead letter `id` now, one attempt: on success it is deleted (and the delivery
 * recorded); on failure it stays. Answers null when there is no such dead letter.
 */
export async function replayDeadLetter(
  env: Env,
  rt: Runtime,
  id: string,
): Promise<{ delivered: boolean; status?: number } | null> {
  const text = await rt.store.get(DEAD_LETTER_PREFIX + id);
  if (text === null) return null;
  const letter = JSON.parse(text) as DeadLetter;
  const target = forwardTarget(rt);
  if (!target) {
    throw new HttpError(409, "forward_not_configured", "FORWARD_URL is not set");
  }
  const outcome = await deliverOnce(letter.job, target, letter.attempt + letter.attempts);
  if (!outcome.ok) return { delivered: false };
  messageCounters.delivered++;
  await markDelivered(env, letter.job).catch(() => {});
  await rt.store.delete(DEAD_LETTER_PREFIX + id);
  return { delivered: true };
}

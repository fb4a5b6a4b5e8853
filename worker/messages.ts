/**
 * The message path after a push is opened and its authorizer checked: the platform's handler,
 * then the forward URL, each within the passive-reply budget (`FORWARD_REPLY_MS`); whatever
 * could not be delivered within it goes to durable delivery (`delivery.ts`).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { toHex } from "../src/crypto/mod.ts";
import { type AuthorizerMessage, replyTo } from "../src/events/mod.ts";
import { messageCounters } from "./counters.ts";
import { deliverLater, forwardTarget, markDelivered } from "./delivery.ts";
import type { Env } from "./env.ts";
import { type DeliveryJob, forwardBestEffort, type ForwardTarget, postForward } from "./forward.ts";
import type { HandlerOptions } from "./handlers.ts";
import { replyFromJson } from "./reply_json.ts";
import type { Runtime } from "./runtime.ts";

/** A forward answer larger than this is not read for a reply (a passive reply is a few KiB). */
const REPLY_LIMIT = 64 * 1024;
/** Below this much budget left, the forward is not waited for. */
const MIN_WAIT_MS = 50;

/** What {@linkcode answerMessage} works on. */
export interface MessageInput {
  env: Env;
  ctx: ExecutionContext;
  rt: Runtime;
  handlers: HandlerOptions;
  appid: string;
  message: AuthorizerMessage;
  /** Receive time, ms since the epoch: the reply budget counts from it. */
  receivedAt: number;
}

/**
 * The key that is the same for WeChat's retries of one message: its `MsgId`, or for events
 * (which have none) sender, `CreateTime`, `Event` and `EventKey`.
 */
export function messageKey(message: AuthorizerMessage): string {
  const m = message as unknown as Record<string, unknown>;
  if (typeof m.MsgId === "string" && m.MsgId !== "") return `id:${m.MsgId}`;
  if (message.MsgType === "event") {
    return `event:${message.FromUserName}:${message.CreateTime}:${String(m.Event ?? "")}:${
      String(m.EventKey ?? "")
    }`;
  }
  return `${message.MsgType}:${message.FromUserName}:${message.CreateTime}`;
}

/** The delivery id of a key: hex, header-safe (an `EventKey` may hold anything). */
export async function deliveryId(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return toHex(new Uint8Array(digest)).slice(0, 32);
}

const LATE = Symbol("late");

function within<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), Math.max(0, ms));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Runs the message path for one message: the plaintext reply XML, or `null` for `success`.
 * Throws an `HttpError` 503 when a delivery that must not be lost could not be queued (WeChat
 * then pushes the message again).
 */
export async function answerMessage(input: MessageInput, key: string): Promise<string | null> {
  const { rt, handlers, message, appid } = input;
  const deadline = input.receivedAt + rt.settings.replyBudgetMs;
  let reply: string | null = null;
  if (handlers.onMessage) reply = await runHandler(input, deadline);
  const target = forwardTarget(rt);
  if (!target) return reply;
  const job: DeliveryJob = {
    id: await deliveryId(key),
    kind: "message",
    appid,
    receivedAt: input.receivedAt,
    payload: message as unknown as Record<string, unknown>,
  };
  const left = deadline - Date.now();
  if (reply !== null || left < MIN_WAIT_MS) {
    // The answer is decided: the forward's own reply could not be used.
    await deliverLater(input.env, input.ctx, rt, job, { attempt: 1 });
    return reply;
  }
  return await forwardForReply(input, job, target, left);
}

async function runHandler(input: MessageInput, deadline: number): Promise<string | null> {
  const controller = new AbortController();
  const work = (async () =>
    await input.handlers.onMessage!(input.message, {
      authorizerAppId: input.appid,
      authorizer: input.rt.client.authorizer(input.appid),
      env: input.env,
      ctx: input.ctx,
      signal: controller.signal,
    }))();
  try {
    const result = await within(work, deadline - Date.now());
    if (result === LATE) {
      controller.abort();
      messageCounters.late++;
      console.warn("[wxopen] onMessage overran the reply budget: answered success");
      input.ctx.waitUntil(work.then(() => {}, (err) => handlerFailed(err)));
      return null;
    }
    if (result === undefined || result === null || result === "") return null;
    if (typeof result !== "string") {
      messageCounters.failed++;
      console.warn("[wxopen] onMessage returned something other than reply XML: ignored");
      return null;
    }
    messageCounters.replied++;
    return result;
  } catch (err) {
    handlerFailed(err);
    return null;
  }
}

function handlerFailed(err: unknown): void {
  messageCounters.failed++;
  // The name only: a message may quote the user's text or a token.
  console.error(`[wxopen] onMessage failed: ${(err as Error)?.name ?? "error"}`);
}

/** The forward's answer within the window: the reply XML or `null`. */
async function readReply(res: Response, message: AuthorizerMessage): Promise<string | null> {
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    await res.body?.cancel();
    return null;
  }
  const text = await res.text();
  if (text.length > REPLY_LIMIT) throw new TypeError("The reply is too large");
  if (text.trim() === "") return null;
  return replyFromJson(JSON.parse(text), replyTo(message));
}

/**
 * Posts the message and waits for the target's reply within `leftMs`. A failure within the
 * window goes to durable delivery at once; a late answer is left to finish (in `waitUntil`),
 * with a queued copy behind it that is dropped if the late answer was a success.
 */
async function forwardForReply(
  input: MessageInput,
  job: DeliveryJob,
  target: ForwardTarget,
  leftMs: number,
): Promise<string | null> {
  const attempt = postForward(job, target, { attempt: 1, replyWithinMs: leftMs });
  const answer = await within(attempt, leftMs).catch((err: Error) => err);
  if (answer instanceof Error || (answer !== LATE && !answer.ok)) {
    await (answer as Response).body?.cancel();
    console.warn(
      `[wxopen] forward attempt 1 failed: ${
        answer instanceof Error ? answer.name : `HTTP ${answer.status}`
      }`,
    );
    await deliverLater(input.env, input.ctx, input.rt, job, { attempt: 2 });
    return null;
  }
  if (answer === LATE) {
    messageCounters.late++;
    const queued = await deliverLater(input.env, input.ctx, input.rt, job, {
      attempt: 2,
      behindLateAttempt: true,
    });
    input.ctx.waitUntil(finishLate(input, job, target, attempt, queued));
    return null;
  }
  messageCounters.delivered++;
  try {
    const xml = await within(
      readReply(answer, input.message),
      input.receivedAt + 4500 - Date.now(),
    );
    if (xml === LATE) {
      messageCounters.late++;
      return null;
    }
    if (xml !== null) messageCounters.replied++;
    return xml;
  } catch (err) {
    messageCounters.bad_replies++;
    console.warn(`[wxopen] the forward URL's reply was refused: ${(err as Error).message}`);
    return null;
  }
}

/** The rest of a late first attempt: a success marks the message delivered. */
async function finishLate(
  input: MessageInput,
  job: DeliveryJob,
  target: ForwardTarget,
  attempt: Promise<Response>,
  queued: boolean,
): Promise<void> {
  let ok = false;
  try {
    const res = await attempt;
    await res.body?.cancel();
    ok = res.ok;
  } catch (err) {
    console.warn(`[wxopen] late forward attempt failed: ${(err as Error).name}`);
  }
  if (ok) {
    messageCounters.delivered++;
    if (queued) await markDelivered(input.env, job).catch(() => {});
    return;
  }
  // Without a queue the retries happen here, best effort.
  if (!queued && await forwardBestEffort(job, target, 2, 2)) messageCounters.delivered++;
}

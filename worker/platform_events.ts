/**
 * Platform events that concern merchants — `authorized`, `updateauthorized`, `unauthorized`
 * and the fast-registration results — delivered like messages after the worker applied them:
 * to the platform's `onComponentEvent` handler and to the forward URL (queued when the
 * `DELIVERY` binding exists), once per event whatever WeChat retries.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { ComponentEvent } from "../src/events/mod.ts";
import { componentObject } from "./credentials.ts";
import { messageCounters } from "./counters.ts";
import { deliverLater, forwardTarget } from "./delivery.ts";
import type { Env } from "./env.ts";
import type { DeliveryJob } from "./forward.ts";
import type { HandlerOptions } from "./handlers.ts";
import { deliveryId } from "./messages.ts";
import { unwrap } from "./objects/result.ts";
import type { Runtime } from "./runtime.ts";

/** The events delivered to the platform. */
export const PLATFORM_EVENTS: ReadonlySet<string> = new Set([
  "authorized",
  "updateauthorized",
  "unauthorized",
  "notify_third_fasteregister",
]);

/**
 * Fields left out of the forward: the authorization code (and the `pre_auth_code` it
 * answered) of an authorization the worker exchanged itself.
 */
const EXCHANGED = ["AuthorizationCode", "PreAuthCode"];

/**
 * Delivers `event` (already applied) to the handler and the forward URL, once per event.
 * Throws an `HttpError` 503 when the forward could not be queued (WeChat pushes it again).
 */
export async function deliverPlatformEvent(input: {
  env: Env;
  ctx: ExecutionContext;
  rt: Runtime;
  handlers: HandlerOptions;
  event: ComponentEvent;
  receivedAt: number;
}): Promise<void> {
  const { env, ctx, rt, handlers, event } = input;
  const target = forwardTarget(rt);
  if (!handlers.onComponentEvent && !target) return;
  const f = event as unknown as Record<string, unknown>;
  const appid = typeof f.AuthorizerAppid === "string"
    ? f.AuthorizerAppid
    : typeof f.appid === "string" && f.appid !== ""
    ? f.appid
    : undefined;
  const id = await deliveryId(
    `component:${event.InfoType}:${appid ?? ""}:${event.CreateTime}:${String(f.taskid ?? "")}`,
  );
  const ledger = componentObject(env);
  if (!(await unwrap(ledger.platformEvent(id, false)))) {
    messageCounters.duplicates++;
    return;
  }
  if (target) {
    const payload = { ...f };
    if (event.InfoType === "authorized" || event.InfoType === "updateauthorized") {
      for (const name of EXCHANGED) delete payload[name];
    }
    const job: DeliveryJob = {
      id,
      kind: "component_event",
      ...(appid ? { appid } : {}),
      receivedAt: input.receivedAt,
      payload,
    };
    try {
      await deliverLater(env, ctx, rt, job, { attempt: 1 });
    } catch (err) {
      ctx.waitUntil(unwrap(ledger.platformEvent(id, true)).catch(() => {}));
      throw err;
    }
  }
  if (handlers.onComponentEvent) {
    const handler = handlers.onComponentEvent;
    ctx.waitUntil(
      (async () => await handler(event, { env, ctx }))().catch((err) => {
        messageCounters.failed++;
        console.error(`[wxopen] onComponentEvent failed: ${(err as Error)?.name ?? "error"}`);
      }),
    );
  }
}

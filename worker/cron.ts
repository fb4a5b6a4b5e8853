/**
 * The cron handler: refreshes tokens that expire soon (found through KV list metadata, never by
 * reading values), in batches within a Worker invocation's subrequest budget, and asks WeChat to
 * push a ticket when none has arrived for too long.
 *
 * @module
 */

import type { Env } from "./env.ts";
import { authorizerInstance, callCoordinator, COMPONENT } from "./rpc.ts";
import { runtimeFor } from "./runtime.ts";

/** Tokens expiring within this many seconds are refreshed (cron runs every 5 minutes). */
export const REFRESH_WITHIN_SECONDS = 15 * 60;
/** Coordinator calls per invocation, at most (Workers allow 50 subrequests on the free plan). */
export const BATCH = 40;
/** Parallel coordinator calls. */
const PARALLEL = 6;
/** WeChat pushes a ticket every 10 minutes; after this long without one, ask for a push. */
export const TICKET_STALE_MS = 30 * 60 * 1000;

/** What one cron run did. */
export interface CronReport {
  due: number;
  refreshed: number;
  failed: number;
  startPushTicket: boolean;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : "unknown error";
}

/** Runs one sweep. */
export async function runCron(env: Env, upstreamFetch?: typeof fetch): Promise<CronReport> {
  const rt = runtimeFor(env, upstreamFetch);
  const report: CronReport = { due: 0, refreshed: 0, failed: 0, startPushTicket: false };

  // Each step stands alone: a store fault skips it (logged by class name and message, which
  // never carry a secret) and the next tick, five minutes later, tries again.
  let ticket: Awaited<ReturnType<typeof rt.client.currentTicket>> | undefined;
  try {
    ticket = await rt.client.currentTicket();
  } catch (err) {
    console.warn(`[wxopen] cron: reading the ticket failed: ${describe(err)}`);
  }
  if (ticket !== undefined && (!ticket || Date.now() - ticket.receivedAt > TICKET_STALE_MS)) {
    try {
      const answer = await callCoordinator<{ started: boolean }>(
        env,
        COMPONENT,
        "start-push-ticket",
      );
      report.startPushTicket = answer.started;
    } catch (err) {
      console.warn(`[wxopen] api_start_push_ticket failed: ${(err as Error).message}`);
    }
  }

  let due: Awaited<ReturnType<typeof rt.client.listExpiringTokens>>;
  try {
    due = await rt.client.listExpiringTokens({
      withinSeconds: REFRESH_WITHIN_SECONDS,
      limit: BATCH,
    });
  } catch (err) {
    console.warn(`[wxopen] cron: listing expiring tokens failed: ${describe(err)}`);
    return report;
  }
  // Soonest first, so a backlog larger than one batch is worked off in expiry order.
  due.sort((a, b) => a.expiresAt - b.expiresAt);
  report.due = due.length;
  const queue = [...due];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        if (item.kind === "component") {
          await callCoordinator(env, COMPONENT, "component-token", { force: true });
        } else {
          await callCoordinator(env, authorizerInstance(item.authorizerAppId!), "token", {
            force: true,
          });
        }
        report.refreshed++;
      } catch (err) {
        report.failed++;
        console.warn(`[wxopen] cron refresh failed: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  console.log(
    `[wxopen] cron: ${report.refreshed} refreshed, ${report.failed} failed of ${report.due} due` +
      (report.startPushTicket ? "; asked WeChat to push a ticket" : ""),
  );
  return report;
}

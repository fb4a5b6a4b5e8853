/**
 * The cron handler: a safety net beside the objects' own refresh alarms. Each tick it
 *
 * 1. asks WeChat to push a ticket when none arrived for too long;
 * 2. wakes the credentials whose token is overdue (its expiry is within half the refresh margin:
 *    its alarm should have refreshed it by then), soonest first, found through KV list metadata;
 * 3. walks the authorizer records a page at a time (a cursor kept in KV, so every authorizer is
 *    reached in turn) and makes sure each authorized one has its refresh alarm.
 *
 * Calls per tick stay within the free plan's 50 subrequests.
 *
 * @module
 */

import { storageKeys } from "../mod.ts";
import { authorizerObject, componentObject } from "./credentials.ts";
import type { Env } from "./env.ts";
import { unwrap } from "./objects/result.ts";
import { REFRESH_MARGIN_SECONDS } from "./objects/schedule.ts";
import { WORKER_PREFIX } from "./records.ts";
import { runtimeFor } from "./runtime.ts";

/** Object calls per tick, at most (Workers allow 50 subrequests on the free plan). */
export const BATCH = 40;
/** Parallel object calls. */
const PARALLEL = 6;
/** WeChat pushes a ticket every 10 minutes; after this long without one, ask for a push. */
export const TICKET_STALE_MS = 30 * 60 * 1000;
/** A token this close to expiry missed its alarm. */
export const OVERDUE_WITHIN_SECONDS = REFRESH_MARGIN_SECONDS / 2;
const CURSOR_KEY = `${WORKER_PREFIX}cron:reconcile-cursor`;

/** What one cron run did. */
export interface CronReport {
  overdue: number;
  refreshed: number;
  failed: number;
  reconciled: number;
  startPushTicket: boolean;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : "unknown error";
}

async function inParallel<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await run(item);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** Runs one tick. */
export async function runCron(env: Env, upstreamFetch?: typeof fetch): Promise<CronReport> {
  const rt = runtimeFor(env, upstreamFetch);
  const report: CronReport = {
    overdue: 0,
    refreshed: 0,
    failed: 0,
    reconciled: 0,
    startPushTicket: false,
  };
  let budget = BATCH;

  // Each step stands alone: a store fault skips it (logged by class name and message, which
  // never carry a secret) and the next tick tries again.
  try {
    const ticket = await rt.client.managed.currentTicket();
    if (!ticket || Date.now() - ticket.receivedAt > TICKET_STALE_MS) {
      budget--;
      const answer = await unwrap(componentObject(env).startPushTicket(false));
      report.startPushTicket = answer.started;
    }
  } catch (err) {
    console.warn(`[wxopen] cron: ticket check failed: ${describe(err)}`);
  }

  try {
    const due = await rt.client.managed.listExpiringTokens({
      withinSeconds: OVERDUE_WITHIN_SECONDS,
      limit: budget,
    });
    due.sort((a, b) => a.expiresAt - b.expiresAt);
    report.overdue = due.length;
    budget -= due.length;
    await inParallel(due, async (item) => {
      try {
        if (item.kind === "component") await unwrap(componentObject(env).componentToken({}));
        else {
          const appid = item.authorizerAppId!;
          await unwrap(authorizerObject(env, appid).token(appid, {}));
        }
        report.refreshed++;
      } catch (err) {
        report.failed++;
        console.warn(`[wxopen] cron refresh failed: ${(err as Error).message}`);
      }
    });
  } catch (err) {
    console.warn(`[wxopen] cron: listing overdue tokens failed: ${describe(err)}`);
  }

  if (budget > 0) {
    try {
      const cursor = (await rt.store.get(CURSOR_KEY)) ?? undefined;
      const page = await rt.store.list({
        prefix: storageKeys.authorizerPrefix,
        cursor,
        limit: budget,
      });
      const appids = page.keys
        .filter((key) => key.metadata?.status === "authorized")
        .map((key) => key.name.slice(storageKeys.authorizerPrefix.length));
      await inParallel(appids, async (appid) => {
        try {
          await unwrap(authorizerObject(env, appid).ensureScheduled(appid));
          report.reconciled++;
        } catch (err) {
          console.warn(`[wxopen] cron reconcile failed: ${(err as Error).message}`);
        }
      });
      if (page.complete || !page.cursor) await rt.store.delete(CURSOR_KEY);
      else await rt.store.put(CURSOR_KEY, page.cursor);
    } catch (err) {
      console.warn(`[wxopen] cron: reconciliation failed: ${describe(err)}`);
    }
  }
  console.log(
    `[wxopen] cron: ${report.refreshed} overdue refreshed, ${report.failed} failed, ` +
      `${report.reconciled} reconciled` +
      (report.startPushTicket ? "; asked WeChat to push a ticket" : ""),
  );
  return report;
}

/**
 * When a credential's object refreshes its token: ahead of expiry by the refresh margin plus a
 * random spread (so tokens issued together do not come due together), and after a fault with
 * exponential backoff.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { AccessTokenInfo } from "../../mod.ts";
import { REFRESH_MARGIN_SECONDS } from "../client.ts";

/** A credential's next refresh: when, and how many attempts in a row failed. */
export interface RefreshSchedule {
  at: number;
  failures: number;
}

/** The spread added before the margin, at most (a fifth of a 2-hour token's life). */
export const JITTER_MS = 20 * 60 * 1000;
/** The first retry after a fault, and the longest wait between retries. */
export const BACKOFF_MS = { first: 30_000, max: 10 * 60 * 1000 };

/**
 * The refresh after a token expiring at `expiresAt`: the margin plus up to {@linkcode JITTER_MS}
 * before expiry (never more than half its remaining life ahead, never in the past).
 */
export function scheduleAfterToken(info: AccessTokenInfo, now = Date.now()): RefreshSchedule {
  const life = info.expiresAt - now;
  const ahead = Math.min(
    REFRESH_MARGIN_SECONDS * 1000 + Math.random() * JITTER_MS,
    Math.max(0, life / 2),
  );
  return { at: Math.max(now, Math.floor(info.expiresAt - ahead)), failures: 0 };
}

/** The retry after the refresh scheduled as `previous` failed. */
export function scheduleAfterFailure(previous: RefreshSchedule, now = Date.now()): RefreshSchedule {
  const failures = previous.failures + 1;
  const wait = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (failures - 1));
  // Up to a quarter more, so objects that failed together do not retry together.
  return { at: now + Math.floor(wait * (1 + Math.random() / 4)), failures };
}

const SCHEDULE_KEY = "refresh-failures";

/** The schedule the object is on: its alarm, and the failures in a row that led to it. */
export async function currentSchedule(storage: DurableObjectStorage): Promise<RefreshSchedule> {
  const [at, failures] = await Promise.all([
    storage.getAlarm(),
    storage.get<number>(SCHEDULE_KEY),
  ]);
  return { at: at ?? Date.now(), failures: failures ?? 0 };
}

/**
 * Puts the object on `schedule`: its alarm, and the failure count only while there is one (a
 * refresh that succeeds writes nothing but the alarm: storage rows are billed).
 */
export async function applySchedule(
  storage: DurableObjectStorage,
  schedule: RefreshSchedule | null,
): Promise<void> {
  if (schedule === null || schedule.failures === 0) {
    if ((await storage.get<number>(SCHEDULE_KEY)) !== undefined) await storage.delete(SCHEDULE_KEY);
  } else await storage.put(SCHEDULE_KEY, schedule.failures);
  if (schedule === null) await storage.deleteAlarm();
  else if ((await storage.getAlarm()) !== schedule.at) await storage.setAlarm(schedule.at);
}

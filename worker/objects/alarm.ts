/**
 * A credential object's refresh alarm in its storage: the alarm itself, and the count of failed
 * refreshes in a row only while there is one (storage rows are billed).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { RefreshSchedule } from "./schedule.ts";

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

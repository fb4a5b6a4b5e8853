/**
 * The refresh schedule of the worker's credential objects (`worker/objects/schedule.ts`, pure
 * functions): when an alarm is set after a token is obtained, and whether the alarm, when it
 * fires, refreshes (its own token is due) or follows a token refreshed since.
 */

import assert from "node:assert/strict";
import {
  isDue,
  JITTER_MS,
  REFRESH_MARGIN_SECONDS,
  scheduleAfterToken,
} from "../worker/objects/schedule.ts";
import { prng } from "./_prng.ts";

const MARGIN_MS = REFRESH_MARGIN_SECONDS * 1000;
const token = (rand: () => number) => `97_${Math.floor(rand() * 2 ** 52).toString(36)}`;

Deno.test("schedule: a 2-hour token is refreshed 10 to 30 minutes before expiry, by its own alarm", () => {
  const rand = prng(0x5c4ed);
  const t0 = 1_800_000_000_000;
  for (let i = 0; i < 2000; i++) {
    const info = { token: token(rand), expiresAt: t0 + 7_200_000 };
    const { at } = scheduleAfterToken(info, t0);
    const ahead = info.expiresAt - at;
    assert.ok(ahead >= MARGIN_MS && ahead <= MARGIN_MS + JITTER_MS, `${ahead} ms ahead`);
    // The alarm fires at `at`: the token it was set for is due, so it refreshes now (not later).
    assert.equal(isDue(info, at), true);
    assert.equal(isDue(info, at - 1000), false);
    // Someone refreshed a minute before the alarm: the new token is not due; the alarm follows it.
    const replaced = { token: token(rand), expiresAt: at - 60_000 + 7_200_000 };
    assert.equal(isDue(replaced, at), false);
    assert.ok(scheduleAfterToken(replaced, at).at > at + 5400_000 - 60_000);
  }
});

Deno.test("schedule: tokens issued together come due spread over the jitter window", () => {
  const rand = prng(0xbeef);
  const t0 = 1_800_000_000_000;
  const times = Array.from(
    { length: 1000 },
    () => scheduleAfterToken({ token: token(rand), expiresAt: t0 + 7_200_000 }, t0).at,
  ).sort((a, b) => a - b);
  const spread = times[times.length - 1] - times[0];
  assert.ok(spread > 0.9 * JITTER_MS, `spread ${spread} ms`);
  // No minute holds more than a few percent of them.
  const perMinute = new Map<number, number>();
  for (const at of times) {
    perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1);
  }
  assert.ok(
    Math.max(...perMinute.values()) < 120,
    `${Math.max(...perMinute.values())} in one minute`,
  );
});

Deno.test("schedule: a short-lived token is refreshed at half its life, never in the past", () => {
  const t0 = 1_800_000_000_000;
  for (const life of [20_000, 300_000, 1_800_000]) {
    const info = { token: "97_short", expiresAt: t0 + life };
    const { at } = scheduleAfterToken(info, t0);
    assert.ok(at >= t0 + life / 2 && at < info.expiresAt, `life ${life}: at +${at - t0}`);
    assert.equal(isDue(info, at), true, `life ${life}: due when its alarm fires`);
  }
  const expired = { token: "97_old", expiresAt: t0 - 1000 };
  assert.equal(scheduleAfterToken(expired, t0).at, t0);
});

/**
 * When a credential's object refreshes its token: ahead of expiry by the refresh margin plus a
 * spread derived from the token (so tokens issued together do not come due together, and the
 * alarm can tell its own token from one refreshed since), and after a fault with exponential
 * backoff. Pure functions of their arguments (the tests call them directly).
 *
 * @module
 */

import type { AccessTokenInfo } from "../../mod.ts";

/** Seconds before expiry at which tokens are replaced (the core's default, made explicit). */
export const REFRESH_MARGIN_SECONDS = 600;

/** A credential's next refresh: when, and how many attempts in a row failed. */
export interface RefreshSchedule {
  at: number;
  failures: number;
}

/** The spread added before the margin, at most (a fifth of a 2-hour token's life). */
export const JITTER_MS = 20 * 60 * 1000;
/** The first retry after a fault, and the longest wait between retries. */
export const BACKOFF_MS = { first: 30_000, max: 10 * 60 * 1000 };

/** A spread in [0, JITTER_MS) derived from the token (FNV-1a), the same every time it is asked. */
function jitterOf(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
  return ((h >>> 0) / 0x1_0000_0000) * JITTER_MS;
}

/** When `info` is due, at the latest: the margin plus its spread before expiry. */
function dueAt(info: AccessTokenInfo): number {
  return Math.floor(info.expiresAt - REFRESH_MARGIN_SECONDS * 1000 - jitterOf(info.token));
}

/**
 * The refresh after obtaining `info`: the margin plus up to {@linkcode JITTER_MS} before expiry,
 * never more than half its remaining life ahead (short-lived tokens), never in the past.
 */
export function scheduleAfterToken(info: AccessTokenInfo, now = Date.now()): RefreshSchedule {
  const halfLife = now + Math.max(0, info.expiresAt - now) / 2;
  return { at: Math.floor(Math.max(now, dueAt(info), halfLife)), failures: 0 };
}

/**
 * Whether the alarm that fires at `now` should refresh `info` (the stored token): yes when it is
 * the token the alarm was set for (its due time has come: it is the same every time it is
 * asked), no when another refresh replaced it since (then the alarm follows the new token). A
 * token shorter-lived than the margin and spread is always due (at worst refreshed twice).
 */
export function isDue(info: AccessTokenInfo, now = Date.now()): boolean {
  return dueAt(info) <= now;
}

/** The retry after the refresh scheduled as `previous` failed. */
export function scheduleAfterFailure(previous: RefreshSchedule, now = Date.now()): RefreshSchedule {
  const failures = previous.failures + 1;
  const wait = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (failures - 1));
  // Up to a quarter more, so objects that failed together do not retry together.
  return { at: now + Math.floor(wait * (1 + Math.random() / 4)), failures };
}

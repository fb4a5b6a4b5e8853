/**
 * Shared logic of managed access tokens: the stored record, freshness, single-flight refresh and
 * "refresh only if the stored token is still the one that failed".
 *
 * @module
 */

import type { Store } from "../store/store.ts";
import type { AccessTokenInfo } from "../client/types.ts";
import { ReauthorizationRequiredError } from "../client/errors.ts";
import { SingleFlight } from "./single_flight.ts";

/** The JSON stored under a token key. */
export interface StoredToken {
  token: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** When the token should be replaced (expiry minus the safety margin), ms since the epoch. */
  refreshAt: number;
  /** When it was obtained, ms since the epoch. */
  obtainedAt: number;
}

/** Extra seconds a token record outlives its token, so sweeps and health see recent expiries. */
const TTL_SLACK_SECONDS = 3600;

/** A store, a clock, a margin, and one flight per key. */
export class ManagedTokens {
  readonly store: Store;
  readonly now: () => number;
  readonly marginMs: number;
  readonly flights: SingleFlight<AccessTokenInfo> = new SingleFlight<AccessTokenInfo>();

  constructor(store: Store, now: () => number, marginMs: number) {
    this.store = store;
    this.now = now;
    this.marginMs = marginMs;
  }

  /** The stored record (even an expired one), or `null`. */
  async read(key: string): Promise<StoredToken | null> {
    const raw = await this.store.get(key);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as StoredToken;
      if (typeof parsed.token === "string" && typeof parsed.expiresAt === "number") {
        if (typeof parsed.refreshAt !== "number") {
          parsed.refreshAt = parsed.expiresAt - this.marginMs;
        }
        return parsed;
      }
    } catch {
      // a corrupt record counts as no token
    }
    return null;
  }

  /** The stored token when it has not expired yet (no upstream call), or `null`. */
  async cached(key: string): Promise<AccessTokenInfo | null> {
    const stored = await this.read(key);
    if (!stored || this.now() >= stored.expiresAt) return null;
    return { token: stored.token, expiresAt: stored.expiresAt };
  }

  /** Builds the record of a token just obtained, valid `expiresInSeconds`. */
  record(token: string, expiresInSeconds: number): StoredToken {
    const obtainedAt = this.now();
    const lifetimeMs = Math.max(0, expiresInSeconds * 1000);
    // The margin never eats more than half the lifetime: a short-lived token is still reused.
    const margin = Math.min(this.marginMs, lifetimeMs / 2);
    return {
      token,
      expiresAt: obtainedAt + lifetimeMs,
      refreshAt: obtainedAt + lifetimeMs - margin,
      obtainedAt,
    };
  }

  /** Writes `record` under `key` with metadata `expiresAt`/`refreshAt` for sweeps. */
  async write(key: string, record: StoredToken): Promise<void> {
    const ttlSeconds = Math.max(
      60,
      Math.ceil((record.expiresAt - this.now()) / 1000) + TTL_SLACK_SECONDS,
    );
    await this.store.put(key, JSON.stringify(record), {
      ttlSeconds,
      metadata: { expiresAt: record.expiresAt, refreshAt: record.refreshAt },
    });
  }

  /**
   * The managed token of `key`: the stored one while fresh, else one refresh shared by every
   * concurrent caller. When the refresh fails but the stored token has not expired yet, the
   * stored token is returned (unless the failure says the authorization is gone).
   */
  async get(key: string, refresh: () => Promise<AccessTokenInfo>): Promise<AccessTokenInfo> {
    const inflight = this.flights.current(key);
    if (inflight) return await inflight;
    const stored = await this.read(key);
    if (stored && this.now() < stored.refreshAt) {
      return { token: stored.token, expiresAt: stored.expiresAt };
    }
    try {
      return await this.flights.run(key, refresh);
    } catch (error) {
      if (
        stored && this.now() < stored.expiresAt && !(error instanceof ReauthorizationRequiredError)
      ) {
        return { token: stored.token, expiresAt: stored.expiresAt };
      }
      throw error;
    }
  }

  /**
   * WeChat said `invalidToken` is invalid: refresh only if the stored token is still that one
   * (or is expired); otherwise return the stored, newer token. Joins a refresh in progress.
   */
  async refreshIfStale(
    key: string,
    invalidToken: string,
    refresh: () => Promise<AccessTokenInfo>,
  ): Promise<AccessTokenInfo> {
    const inflight = this.flights.current(key);
    if (inflight) return await inflight;
    const stored = await this.read(key);
    if (stored && stored.token !== invalidToken && this.now() < stored.expiresAt) {
      return { token: stored.token, expiresAt: stored.expiresAt };
    }
    return await this.flights.run(key, refresh);
  }

  /** Forces a refresh (joining one in progress). */
  refresh(key: string, refresh: () => Promise<AccessTokenInfo>): Promise<AccessTokenInfo> {
    return this.flights.run(key, refresh);
  }
}

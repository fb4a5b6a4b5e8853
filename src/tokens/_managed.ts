/**
 * Shared logic of managed access tokens: the stored record, freshness, single-flight refresh and
 * "refresh only if the stored token is still the one that failed".
 *
 * Within an instance, concurrent callers share one refresh ({@linkcode SingleFlight}). Across
 * instances, when the store offers compare-and-set ({@linkcode VersionedStore}: Deno KV, memory),
 * a refresh first takes a lease record with `putIfUnchanged`; an instance that finds the lease
 * held waits for the holder's token instead of calling WeChat too. Without compare-and-set
 * (Workers KV) there is no lease: coordinate instances with a single writer (a Durable Object).
 *
 * @module
 */

import type { Store } from "../store/store.ts";
import type { AccessTokenInfo } from "./types.ts";
import { ReauthorizationRequiredError } from "./errors.ts";
import { SingleFlight } from "./_single_flight.ts";
import { isVersionedStore } from "../store/versioned.ts";
import { storageKeys } from "./keys.ts";
import { retry } from "../retry.ts";

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
/** How long a refresh lease is honoured, and how long another instance waits for its holder. */
const LEASE_MS = 30_000;
/** How often a waiting instance looks for the lease holder's token. */
const LEASE_POLL_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A store, a clock, a margin, and one flight per key. */
export class ManagedTokens {
  readonly store: Store;
  readonly now: () => number;
  readonly marginMs: number;
  readonly flights: SingleFlight<AccessTokenInfo> = new SingleFlight<AccessTokenInfo>();
  /**
   * Tokens this instance obtained but could neither write nor clear the superseded record for:
   * until a write succeeds, a stored record older than these is known superseded.
   */
  readonly #unsaved = new Map<string, StoredToken>();

  constructor(store: Store, now: () => number, marginMs: number) {
    this.store = store;
    this.now = now;
    this.marginMs = marginMs;
  }

  /**
   * The stored record (even an expired one), or `null`. When a superseding write of this
   * instance failed and the store still holds an older record, the newer token is returned
   * instead of the one WeChat no longer accepts. It is not written back here: a write racing a
   * revocation's purge could bring a revoked token back; the next refresh writes.
   */
  async read(key: string): Promise<StoredToken | null> {
    const stored = await this.#readStored(key);
    const unsaved = this.#unsaved.get(key);
    if (!unsaved) return stored;
    const newer = typeof stored?.obtainedAt === "number" &&
      stored.obtainedAt > unsaved.obtainedAt;
    if (!stored || newer || stored.token === unsaved.token) {
      // Deleted (a purge, a revocation) or replaced by a newer token: the store is right again.
      this.#unsaved.delete(key);
      return stored;
    }
    return unsaved;
  }

  async #readStored(key: string): Promise<StoredToken | null> {
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
    this.#unsaved.delete(key);
  }

  /**
   * Writes a token that supersedes the stored one; never throws. When the write fails the old
   * record is deleted (best effort): WeChat no longer accepts it, so readers must come back for
   * the new token rather than serve the old one until it expires.
   */
  async writeSuperseding(key: string, record: StoredToken): Promise<void> {
    try {
      // Two rounds, the second after Workers KV's one-write-per-second-per-key window.
      await retry(async () => {
        try {
          await this.write(key, record);
        } catch {
          await this.store.delete(key);
        }
      }, { attempts: 2, delayMs: [1100] });
    } catch {
      // The store still holds the superseded record: remember the new one until a write lands.
      this.#unsaved.set(key, record);
    }
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
      return await this.flights.run(key, () => this.#leased(key, stored?.token ?? null, refresh));
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
    return await this.flights.run(key, () => this.#leased(key, invalidToken, refresh));
  }

  /** Forces a refresh (joining one in progress, here or, on a lease, in another instance). */
  async refresh(key: string, refresh: () => Promise<AccessTokenInfo>): Promise<AccessTokenInfo> {
    const inflight = this.flights.current(key);
    if (inflight) return await inflight;
    const stored = await this.read(key);
    return await this.flights.run(key, () => this.#leased(key, stored?.token ?? null, refresh));
  }

  /**
   * Runs `refresh` under the credential's lease when the store has compare-and-set; `replaced`
   * is the token the caller wants replaced: a fresh token other than it, written meanwhile by
   * the lease holder, is returned instead of calling WeChat.
   */
  async #leased(
    key: string,
    replaced: string | null,
    refresh: () => Promise<AccessTokenInfo>,
  ): Promise<AccessTokenInfo> {
    const store = this.store;
    if (!isVersionedStore(store)) return await refresh();
    const leaseKey = storageKeys.lease(key);
    const newer = async (): Promise<AccessTokenInfo | null> => {
      const current = await this.read(key);
      return current && current.token !== replaced && this.now() < current.refreshAt
        ? { token: current.token, expiresAt: current.expiresAt }
        : null;
    };
    const giveUpAt = Date.now() + LEASE_MS;
    for (;;) {
      const lease = await store.getVersioned(leaseKey);
      const heldUntil = lease.value === null ? undefined : Number(lease.value);
      if (heldUntil === undefined || !(heldUntil > this.now()) || Date.now() >= giveUpAt) {
        const taken = await store.putIfUnchanged(
          leaseKey,
          String(this.now() + LEASE_MS),
          lease.version,
          { ttlSeconds: 60 },
        );
        if (taken) {
          try {
            // Another instance may have refreshed between our read and the lease.
            return await newer() ?? await refresh();
          } finally {
            await store.delete(leaseKey).catch(() => {});
          }
        }
        if (Date.now() >= giveUpAt) return await refresh();
        continue; // another instance took it first: look again
      }
      await sleep(LEASE_POLL_MS);
      const fresh = await newer();
      if (fresh) return fresh;
    }
  }
}

/**
 * An in-memory {@linkcode Store}: for tests, development, and single-process deployments that
 * can afford to lose their tokens on restart.
 *
 * It enforces the same limits as Workers KV (key ≤ 512 bytes, metadata ≤ 1024 bytes of JSON,
 * pages ≤ 1000 keys) so code that passes against it does not break on KV, but it has no TTL
 * floor. Its clock is injectable, so tests can move time instead of waiting.
 *
 * @module
 */

import {
  checkKey,
  checkListOptions,
  checkPutOptions,
  checkValue,
  cloneMetadata,
  compareKeys,
  decodeCursor,
  encodeCursor,
} from "./_validate.ts";
import type {
  StoreListKey,
  StoreListOptions,
  StoreListPage,
  StoreMetadata,
  StorePutOptions,
  StoreRecord,
} from "./store.ts";
import type { VersionedRecord, VersionedStore } from "./versioned.ts";

/** Options of {@linkcode MemoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

interface Entry {
  value: string;
  metadata: StoreMetadata | null;
  /** Absolute expiry in milliseconds, or undefined for no expiry. */
  expiresAt: number | undefined;
  version: number;
}

/**
 * A {@linkcode Store} held in a `Map`, with TTL expiry on an injectable clock, listing by
 * prefix with cursor and limit, and compare-and-set ({@linkcode VersionedStore}).
 *
 * @example Expiry on a movable clock
 * ```ts
 * import { MemoryStore } from "@wxopen/component";
 *
 * let now = Date.parse("2026-01-01T00:00:00Z");
 * const store = new MemoryStore({ now: () => now });
 * await store.put("component:access_token", "TOKEN", { ttlSeconds: 7200 });
 * console.assert(await store.get("component:access_token") === "TOKEN");
 * now += 7200_000;
 * console.assert(await store.get("component:access_token") === null);
 * ```
 */
export class MemoryStore implements VersionedStore {
  /** Always true: this store offers {@linkcode MemoryStore.putIfUnchanged}. */
  readonly supportsCompareAndSet = true;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #nextVersion = 1;

  /** Creates an empty store. */
  constructor(options: MemoryStoreOptions = {}) {
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TypeError("MemoryStore option now must be a function");
    }
    this.#now = options.now ?? Date.now;
  }

  /** The value of `key`, or `null` when it is absent or expired. */
  get(key: string): Promise<string | null> {
    return settle(() => {
      checkKey(key);
      return this.#live(key)?.value ?? null;
    });
  }

  /** The value of `key` with its metadata. */
  getWithMetadata(key: string): Promise<StoreRecord> {
    return settle(() => {
      checkKey(key);
      const entry = this.#live(key);
      return {
        value: entry?.value ?? null,
        metadata: entry ? cloneMetadata(entry.metadata) : null,
      };
    });
  }

  /** The value of `key` with its metadata and version, for {@linkcode MemoryStore.putIfUnchanged}. */
  getVersioned(key: string): Promise<VersionedRecord> {
    return settle(() => {
      checkKey(key);
      const entry = this.#live(key);
      return {
        value: entry?.value ?? null,
        metadata: entry ? cloneMetadata(entry.metadata) : null,
        version: entry ? String(entry.version) : null,
      };
    });
  }

  /** Writes `value` under `key`; `ttlSeconds` counts from the injected clock. */
  put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    return settle(() => {
      this.#write(key, value, options);
    });
  }

  /**
   * Writes only if the record's version is still `version` (`null`: only if absent or
   * expired). Resolves to whether it wrote.
   */
  putIfUnchanged(
    key: string,
    value: string,
    version: string | null,
    options?: StorePutOptions,
  ): Promise<boolean> {
    return settle(() => {
      checkKey(key);
      const entry = this.#live(key);
      const current = entry ? String(entry.version) : null;
      if (current !== version) {
        checkValue(value);
        checkPutOptions(options);
        return false;
      }
      this.#write(key, value, options);
      return true;
    });
  }

  /** Removes `key`; removing an absent key is not an error. */
  delete(key: string): Promise<void> {
    return settle(() => {
      checkKey(key);
      this.#entries.delete(key);
    });
  }

  /** Lists live keys starting with `prefix`, in lexicographic order, at most `limit` per page. */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return settle(() => {
      const limit = checkListOptions(options?.prefix, options?.limit);
      const { prefix, cursor } = options;
      const after = cursor === undefined || cursor === "" ? undefined : decodeCursor(cursor);
      const now = this.#now();
      const names: string[] = [];
      for (const [name, entry] of this.#entries) {
        if (!name.startsWith(prefix)) continue;
        if (after !== undefined && compareKeys(name, after) <= 0) continue;
        if (isExpired(entry, now)) {
          this.#entries.delete(name);
          continue;
        }
        names.push(name);
      }
      names.sort(compareKeys);
      const page = names.slice(0, limit);
      const keys: StoreListKey[] = page.map((name) => {
        const entry = this.#entries.get(name)!;
        const key: StoreListKey = { name, metadata: cloneMetadata(entry.metadata) };
        if (entry.expiresAt !== undefined) key.expiration = Math.floor(entry.expiresAt / 1000);
        return key;
      });
      if (names.length > limit) {
        return {
          keys,
          cursor: encodeCursor(page[page.length - 1]),
          complete: false,
        };
      }
      return { keys, complete: true };
    });
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry, this.#now())) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #write(key: string, value: string, options: StorePutOptions | undefined): void {
    checkKey(key);
    checkValue(value);
    const { ttlSeconds, metadata } = checkPutOptions(options);
    this.#entries.set(key, {
      value,
      metadata,
      expiresAt: ttlSeconds === undefined ? undefined : this.#now() + ttlSeconds * 1000,
      version: this.#nextVersion++,
    });
  }
}

function isExpired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}

/** Runs `fn` and turns its result or exception into a promise, so misuse rejects, never throws. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

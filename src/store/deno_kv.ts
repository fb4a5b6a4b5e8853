/**
 * The Deno KV adapter: a {@linkcode Store} over a Deno KV database, with compare-and-set on
 * versionstamps ({@linkcode VersionedStore}).
 *
 * The database is typed by a small structural interface, {@linkcode DenoKvLike}, so this
 * module compiles and bundles without Deno's types; pass the object `Deno.openKv()` returns.
 *
 * Each record is one Deno KV entry under `[...prefix, key]` (default prefix `["wxopen"]`)
 * holding `{ v: value, m: metadata, e: expiresAt }`. TTLs become `expireIn`; because Deno KV
 * deletes expired entries lazily, the store also checks `e` on every read, so an expired
 * record is never returned. {@linkcode DenoKvStore.putIfUnchanged} commits an atomic
 * operation that checks the versionstamp read by {@linkcode DenoKvStore.getVersioned}: of
 * several writers that read the same version, exactly one wins, across isolates and regions.
 *
 * @example On Deno Deploy
 * ```ts ignore
 * import { DenoKvStore } from "@wxopen/component/deno-kv";
 *
 * const store = new DenoKvStore(await Deno.openKv());
 * const { value, version } = await store.getVersioned("component:access_token");
 * if (value === null) {
 *   const won = await store.putIfUnchanged("component:access_token", "TOKEN", version, {
 *     ttlSeconds: 7000,
 *   });
 *   // won === false: another instance refreshed first; read its token instead
 * }
 * ```
 *
 * @module
 */

import { StoreError } from "./errors.ts";
import {
  checkKey,
  checkListOptions,
  checkPutOptions,
  checkValue,
  cloneMetadata,
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

/** One part of a Deno KV key. */
export type DenoKvKeyPart = Uint8Array | string | number | bigint | boolean | symbol;

/** A Deno KV key. */
export type DenoKvKey = readonly DenoKvKeyPart[];

/** A Deno KV entry, as far as {@linkcode DenoKvStore} reads it. */
export interface DenoKvEntryLike {
  /** The entry's key. */
  key: DenoKvKey;
  /** The stored value, `null` when absent. */
  value: unknown;
  /** The entry's versionstamp, `null` when absent. */
  versionstamp: string | null;
}

/** A Deno KV atomic operation, as far as {@linkcode DenoKvStore} uses it. */
export interface DenoKvAtomicLike {
  /** Adds versionstamp checks. */
  check(...checks: { key: DenoKvKey; versionstamp: string | null }[]): DenoKvAtomicLike;
  /** Adds a write. */
  set(key: DenoKvKey, value: unknown, options?: { expireIn?: number }): DenoKvAtomicLike;
  /** Commits; `ok` is false when a check failed. */
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The part of a Deno KV database that {@linkcode DenoKvStore} uses. The object returned by
 * `Deno.openKv()` satisfies it structurally.
 */
export interface DenoKvLike {
  /** Reads one entry. */
  get(key: DenoKvKey): Promise<DenoKvEntryLike>;
  /** Writes one entry. */
  set(key: DenoKvKey, value: unknown, options?: { expireIn?: number }): Promise<unknown>;
  /** Deletes one entry. */
  delete(key: DenoKvKey): Promise<void>;
  /** Iterates entries under `prefix`, from `start` on, in key order. */
  list(
    selector: { prefix: DenoKvKey; start: DenoKvKey },
    options?: { batchSize?: number },
  ): AsyncIterable<DenoKvEntryLike>;
  /** Starts an atomic operation. */
  atomic(): DenoKvAtomicLike;
}

/** Options of {@linkcode DenoKvStore}. */
export interface DenoKvStoreOptions {
  /** Key parts put before every record key; default `["wxopen"]`. */
  prefix?: DenoKvKey;
  /** The clock used to hide expired records, in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

interface StoredRecord {
  v: string;
  m: StoreMetadata | null;
  e: number | null;
}

/**
 * A {@linkcode Store} over Deno KV with compare-and-set.
 *
 * @example Reading and writing
 * ```ts ignore
 * import { DenoKvStore } from "@wxopen/component/deno-kv";
 *
 * const store = new DenoKvStore(await Deno.openKv(":memory:"), { prefix: ["tokens"] });
 * await store.put("component:ticket", "TICKET", { metadata: { receivedAt: Date.now() } });
 * const { value, metadata } = await store.getWithMetadata("component:ticket");
 * ```
 */
export class DenoKvStore implements VersionedStore {
  /** Always true: this store offers {@linkcode DenoKvStore.putIfUnchanged}. */
  readonly supportsCompareAndSet = true;
  readonly #kv: DenoKvLike;
  readonly #prefix: DenoKvKey;
  readonly #now: () => number;

  /** Wraps an open Deno KV database; throws a `TypeError` if `kv` is not one. */
  constructor(kv: DenoKvLike, options: DenoKvStoreOptions = {}) {
    if (
      kv === null || typeof kv !== "object" || typeof kv.get !== "function" ||
      typeof kv.atomic !== "function" || typeof kv.list !== "function"
    ) {
      throw new TypeError("DenoKvStore needs an open Deno KV database");
    }
    if (options.prefix !== undefined && !Array.isArray(options.prefix)) {
      throw new TypeError("DenoKvStore option prefix must be an array of key parts");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TypeError("DenoKvStore option now must be a function");
    }
    this.#kv = kv;
    this.#prefix = [...(options.prefix ?? ["wxopen"])];
    this.#now = options.now ?? Date.now;
  }

  /** The value of `key`, or `null` when absent or expired. */
  async get(key: string): Promise<string | null> {
    return (await this.getVersioned(key)).value;
  }

  /** The value of `key` with its metadata. */
  async getWithMetadata(key: string): Promise<StoreRecord> {
    const { value, metadata } = await this.getVersioned(key);
    return { value, metadata };
  }

  /**
   * The value of `key` with its metadata and versionstamp. The version may be non-null while
   * the value is null (an expired entry Deno KV has not deleted yet); pass it back as is.
   */
  async getVersioned(key: string): Promise<VersionedRecord> {
    checkKey(key);
    let entry: DenoKvEntryLike;
    try {
      entry = await this.#kv.get(this.#kvKey(key));
    } catch (error) {
      throw translate(error, "get");
    }
    const record = this.#live(entry.value);
    return {
      value: record?.v ?? null,
      metadata: record ? cloneMetadata(record.m) : null,
      version: entry.versionstamp,
    };
  }

  /** Writes `value`; `ttlSeconds` becomes Deno KV's `expireIn`. */
  async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    const [kvKey, record, setOptions] = this.#prepare(key, value, options);
    try {
      await this.#kv.set(kvKey, record, setOptions);
    } catch (error) {
      throw translate(error, "set");
    }
  }

  /**
   * Writes only if the entry's versionstamp is still `version` (from
   * {@linkcode DenoKvStore.getVersioned}; `null`: only if no entry exists), in one atomic
   * commit. Resolves to whether it wrote.
   */
  async putIfUnchanged(
    key: string,
    value: string,
    version: string | null,
    options?: StorePutOptions,
  ): Promise<boolean> {
    const [kvKey, record, setOptions] = this.#prepare(key, value, options);
    if (version !== null && typeof version !== "string") {
      throw new TypeError("Store version must be a string or null");
    }
    try {
      const result = await this.#kv.atomic()
        .check({ key: kvKey, versionstamp: version })
        .set(kvKey, record, setOptions)
        .commit();
      return result.ok;
    } catch (error) {
      throw translate(error, "atomic commit");
    }
  }

  /** Removes `key`. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.#kv.delete(this.#kvKey(key));
    } catch (error) {
      throw translate(error, "delete");
    }
  }

  /** Lists live keys starting with `prefix`, in key order, at most `limit` (≤ 1000) per page. */
  async list(options: StoreListOptions): Promise<StoreListPage> {
    const limit = checkListOptions(options?.prefix, options?.limit);
    const { prefix, cursor } = options;
    // "\0" is the smallest character, so name + "\0" is the first possible key after name.
    const start = cursor === undefined || cursor === "" ? prefix : decodeCursor(cursor) + "\0";
    const depth = this.#prefix.length;
    const found: StoreListKey[] = [];
    let more = false;
    try {
      const entries = this.#kv.list(
        { prefix: this.#prefix, start: this.#kvKey(start) },
        { batchSize: Math.min(limit + 1, 500) },
      );
      for await (const entry of entries) {
        const name = entry.key[depth];
        if (entry.key.length !== depth + 1 || typeof name !== "string") continue;
        if (!name.startsWith(prefix)) break;
        const record = this.#live(entry.value);
        if (record === undefined) continue;
        if (found.length === limit) {
          more = true;
          break;
        }
        const key: StoreListKey = { name, metadata: cloneMetadata(record.m) };
        if (record.e !== null) key.expiration = Math.floor(record.e / 1000);
        found.push(key);
      }
    } catch (error) {
      throw translate(error, "list");
    }
    if (more) {
      return { keys: found, cursor: encodeCursor(found[found.length - 1].name), complete: false };
    }
    return { keys: found, complete: true };
  }

  #kvKey(key: string): DenoKvKey {
    return [...this.#prefix, key];
  }

  #prepare(
    key: string,
    value: string,
    options: StorePutOptions | undefined,
  ): [DenoKvKey, StoredRecord, { expireIn?: number }] {
    checkKey(key);
    checkValue(value);
    const { ttlSeconds, metadata } = checkPutOptions(options);
    const record: StoredRecord = { v: value, m: metadata, e: null };
    const setOptions: { expireIn?: number } = {};
    if (ttlSeconds !== undefined) {
      const ms = Math.ceil(ttlSeconds * 1000);
      record.e = this.#now() + ms;
      setOptions.expireIn = ms;
    }
    return [this.#kvKey(key), record, setOptions];
  }

  #live(value: unknown): StoredRecord | undefined {
    if (value === null || typeof value !== "object") return undefined;
    const record = value as Partial<StoredRecord>;
    if (typeof record.v !== "string") return undefined;
    const e = typeof record.e === "number" ? record.e : null;
    if (e !== null && e <= this.#now()) return undefined;
    const m = record.m !== null && typeof record.m === "object" ? record.m : null;
    return { v: record.v, m, e };
  }
}

/** A Deno KV failure as a {@linkcode StoreError}; transient-looking ones are retryable. */
function translate(error: unknown, op: string): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`Deno KV ${op} failed`, {
    retryable: /timed? ?out|unavailable|locked|busy|network|connection/i.test(message),
    cause: error,
  });
}

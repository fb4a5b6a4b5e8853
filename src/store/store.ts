/**
 * The storage contract every token manager writes through.
 *
 * A {@linkcode Store} is a string key/value store with optional per-record TTL and small JSON
 * metadata, listable by key prefix. It is deliberately the common subset of Workers KV and
 * Deno KV, so the same token logic runs on either: no compare-and-set is promised, so callers
 * must not use a store as a lock.
 *
 * @module
 */

/** Metadata stored beside a value; kept small (Workers KV allows 1024 bytes of JSON). */
export type StoreMetadata = Record<string, string | number | boolean | null>;

/** Options of {@linkcode Store.put}. */
export interface StorePutOptions {
  /**
   * Seconds until the record disappears. Adapters clamp this to their backend's floor
   * (Workers KV: 60 s). Omit for a record that never expires.
   */
  ttlSeconds?: number;
  /** Metadata returned by {@linkcode Store.getWithMetadata} and {@linkcode Store.list}. */
  metadata?: StoreMetadata;
}

/** A value read together with its metadata. */
export interface StoreRecord {
  /** The stored value, or `null` when the key is absent or expired. */
  value: string | null;
  /** The metadata written with the value, or `null`. */
  metadata: StoreMetadata | null;
}

/** One key of a {@linkcode Store.list} page. */
export interface StoreListKey {
  /** The full key. */
  name: string;
  /** The metadata written with the value, or `null`. */
  metadata: StoreMetadata | null;
  /** Absolute expiry in seconds since the epoch, when the record has a TTL. */
  expiration?: number;
}

/** Options of {@linkcode Store.list}. */
export interface StoreListOptions {
  /** Only keys starting with this prefix. */
  prefix: string;
  /** The cursor of the previous page. */
  cursor?: string;
  /** Page size; adapters cap it at their backend's maximum (Workers KV: 1000). */
  limit?: number;
}

/** One page of a {@linkcode Store.list}. */
export interface StoreListPage {
  /** Keys of this page, in lexicographic order. */
  keys: StoreListKey[];
  /** Pass to the next call; absent when `complete` is true. */
  cursor?: string;
  /** True when this is the last page. */
  complete: boolean;
}

/**
 * A pluggable key/value store: {@linkcode MemoryStore} in the core, Workers KV and Deno KV as
 * adapters (`@wxopen/component/kv`, `@wxopen/component/deno-kv`).
 *
 * A store that cannot serve a request throws; it never returns a half-written record.
 */
export interface Store {
  /** The value of `key`, or `null` when it is absent or expired. */
  get(key: string): Promise<string | null>;
  /** The value of `key` together with its metadata. */
  getWithMetadata(key: string): Promise<StoreRecord>;
  /** Writes `value` under `key`, replacing what was there. */
  put(key: string, value: string, options?: StorePutOptions): Promise<void>;
  /** Removes `key`; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Lists keys by prefix, one page at a time. */
  list(options: StoreListOptions): Promise<StoreListPage>;
}

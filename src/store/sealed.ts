/**
 * A {@linkcode Store} wrapper that seals every value with AES-256-GCM (Web Crypto) before it
 * reaches the store underneath, so refresh tokens and access tokens never sit in plaintext in
 * Workers KV, Deno KV or anywhere else.
 *
 * A sealed value reads `v1:<keyId>:<base64(iv ‖ ciphertext ‖ tag)>`: a fresh 12-byte IV per
 * write, and the associated data binds the ciphertext to its version, key id and **record
 * key**, so a value copied or moved to another key fails to open. The key id lets keys
 * rotate: values are written with the current key and read with any configured key.
 *
 * Only values are sealed. **Record keys and metadata stay in plaintext** (list needs them);
 * never put a secret or token in either.
 *
 * @module
 */

import { checkKey } from "./_validate.ts";
import { SealingStore } from "./_sealing.ts";
import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StorePutOptions,
  StoreRecord,
} from "./store.ts";
import { isVersionedStore, type VersionedRecord, type VersionedStore } from "./versioned.ts";

export { SealedValueError } from "./_sealing.ts";

/** A 32-byte AES-256 key: raw bytes, or their standard base64 (44 characters). */
export type SealingKey = Uint8Array | string;

/** Options of {@linkcode SealedStore}. */
export interface SealedStoreOptions {
  /** The key that seals every write (and opens values sealed under {@linkcode keyId}). */
  key: SealingKey;
  /**
   * The id written into every sealed value: 1–32 characters of `A-Z a-z 0-9 _ -`.
   * Default `"1"`. Give each new key a new id.
   */
  keyId?: string;
  /**
   * Earlier keys by id, still accepted for reading while values sealed under them remain.
   * Values read with an earlier key are not rewritten automatically; use
   * {@linkcode SealedStore.reseal} or {@linkcode SealedStore.resealAll} to migrate them.
   */
  previousKeys?: Record<string, SealingKey>;
  /** The clock used to carry TTLs over when resealing, in ms; default `Date.now`. */
  now?: () => number;
}

/**
 * Seals values with AES-256-GCM on their way into `inner` and opens them on their way out.
 * Metadata, keys, TTLs and listing pass through unchanged.
 *
 * @example Sealing tokens at rest
 * ```ts
 * import { MemoryStore, SealedStore } from "@wxopen/component";
 *
 * // 32 random bytes; in production, the base64 STORAGE_KEY secret
 * const storageKey = crypto.getRandomValues(new Uint8Array(32));
 * const inner = new MemoryStore();
 * const store = new SealedStore(inner, { key: storageKey });
 * await store.put("authorizer:wx123:refresh_token", "SECRET");
 * console.assert(await store.get("authorizer:wx123:refresh_token") === "SECRET");
 * console.assert((await inner.get("authorizer:wx123:refresh_token"))!.startsWith("v1:1:"));
 * ```
 *
 * @example Rotating the storage key
 * ```ts
 * import { MemoryStore, SealedStore } from "@wxopen/component";
 *
 * const oldKey = crypto.getRandomValues(new Uint8Array(32));
 * const newKey = crypto.getRandomValues(new Uint8Array(32));
 * const inner = new MemoryStore();
 * await new SealedStore(inner, { key: oldKey, keyId: "2025" }).put("k", "value");
 * const store = new SealedStore(inner, {
 *   key: newKey,
 *   keyId: "2026",
 *   previousKeys: { "2025": oldKey },
 * });
 * console.assert(await store.get("k") === "value"); // read with the old key
 * await store.reseal("k"); // now sealed under "2026"
 * ```
 */
export class SealedStore implements VersionedStore {
  readonly #inner: Store;
  readonly #core: SealingStore;

  /**
   * Wraps `inner`. Throws at once (`TypeError`/`RangeError`) on a key that is not 32 bytes or
   * not valid base64, or on a malformed key id.
   */
  constructor(inner: Store, options: SealedStoreOptions) {
    this.#core = new SealingStore(inner, options);
    this.#inner = inner;
  }

  /** True when the wrapped store offers compare-and-set; then so does this one. */
  get supportsCompareAndSet(): boolean {
    return isVersionedStore(this.#inner);
  }

  /** The id of the key that seals new writes. */
  get keyId(): string {
    return this.#core.keyId;
  }

  /** Opens the value of `key`; `null` when absent. Throws {@linkcode SealedValueError}. */
  get(key: string): Promise<string | null> {
    return this.#core.get(key);
  }

  /** Opens the value of `key` and returns it with its (plaintext) metadata. */
  getWithMetadata(key: string): Promise<StoreRecord> {
    return this.#core.getWithMetadata(key);
  }

  /** Seals `value` under the current key and writes it; metadata is stored in plaintext. */
  put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    return this.#core.put(key, value, options);
  }

  /** Removes `key`. */
  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  /** Lists keys of the wrapped store (keys and metadata are not sealed). */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return this.#inner.list(options);
  }

  /** Like {@linkcode SealedStore.getWithMetadata}, with the wrapped store's version. */
  async getVersioned(key: string): Promise<VersionedRecord> {
    checkKey(key);
    const record = await this.#versioned().getVersioned(key);
    const value = record.value === null ? null : await this.#core.open(key, record.value);
    return { value, metadata: record.metadata, version: record.version };
  }

  /** Seals `value` and writes it only if the wrapped record's version is still `version`. */
  async putIfUnchanged(
    key: string,
    value: string,
    version: string | null,
    options?: StorePutOptions,
  ): Promise<boolean> {
    checkKey(key);
    const inner = this.#versioned();
    return await inner.putIfUnchanged(key, await this.#core.seal(key, value), version, options);
  }

  /**
   * Rewrites the value of `key` under the current key when it was sealed under an earlier one,
   * keeping its metadata and its remaining TTL; resolves to true when it rewrote.
   */
  async reseal(key: string): Promise<boolean> {
    checkKey(key);
    // The first key listed under the prefix `key` is `key` itself, if it exists.
    const page = await this.#inner.list({ prefix: key, limit: 1 });
    const listed = page.keys[0]?.name === key ? page.keys[0] : undefined;
    return await this.#reseal(key, listed?.expiration);
  }

  /**
   * Reseals one page of the keys under `prefix` (see {@linkcode SealedStore.reseal}): call
   * again with the returned cursor until `complete`, e.g. from a scheduled job after a key
   * rotation. Once nothing is left under a previous key, drop it from `previousKeys`.
   *
   * @example Migrating every value after a rotation
   * ```ts
   * import { MemoryStore, SealedStore } from "@wxopen/component";
   *
   * const inner = new MemoryStore();
   * const oldKey = crypto.getRandomValues(new Uint8Array(32));
   * await new SealedStore(inner, { key: oldKey, keyId: "a" }).put("t:1", "one");
   * const store = new SealedStore(inner, {
   *   key: crypto.getRandomValues(new Uint8Array(32)),
   *   keyId: "b",
   *   previousKeys: { a: oldKey },
   * });
   * let cursor: string | undefined;
   * do {
   *   const page = await store.resealAll("t:", { cursor, limit: 100 });
   *   cursor = page.cursor;
   * } while (cursor !== undefined);
   * ```
   */
  async resealAll(
    prefix: string,
    options: { cursor?: string; limit?: number } = {},
  ): Promise<{ resealed: number; cursor?: string; complete: boolean }> {
    const page = await this.#inner.list({ prefix, cursor: options.cursor, limit: options.limit });
    let resealed = 0;
    for (const key of page.keys) {
      if (await this.#reseal(key.name, key.expiration)) resealed++;
    }
    return page.complete
      ? { resealed, complete: true }
      : { resealed, cursor: page.cursor, complete: false };
  }

  async #reseal(key: string, expiration: number | undefined): Promise<boolean> {
    const record = await this.#inner.getWithMetadata(key);
    if (record.value === null || this.#core.sealedKeyId(record.value) === this.#core.keyId) {
      return false;
    }
    let ttlSeconds: number | undefined;
    if (expiration !== undefined) {
      ttlSeconds = expiration - Math.floor(this.#core.now() / 1000);
      if (ttlSeconds <= 0) return false; // expiring anyway
    }
    const plaintext = await this.#core.open(key, record.value);
    await this.#inner.put(key, await this.#core.seal(key, plaintext), {
      ttlSeconds,
      metadata: record.metadata ?? undefined,
    });
    return true;
  }

  #versioned(): VersionedStore {
    if (!isVersionedStore(this.#inner)) {
      throw new TypeError("The wrapped store does not support compare-and-set");
    }
    return this.#inner;
  }
}

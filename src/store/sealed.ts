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

import { decodeBase64, encodeBase64, randomBytes, utf8Decode, utf8Encode } from "../_bytes.ts";
import { StoreError } from "./errors.ts";
import { checkKey } from "./_validate.ts";
import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StorePutOptions,
  StoreRecord,
} from "./store.ts";
import { isVersionedStore, type VersionedRecord, type VersionedStore } from "./versioned.ts";

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
 * A sealed value could not be opened: it was tampered with, moved from another record key,
 * sealed under a key id this store does not know, or is not a sealed value at all. Not
 * retryable. The message names the record key, never the value.
 */
export class SealedValueError extends StoreError {
  /** The record key whose value failed to open. */
  readonly key: string;

  /** Creates the error for record `key`. */
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "sealed_value_invalid", retryable: false, cause: options.cause });
    this.name = "SealedValueError";
    this.key = key;
  }
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

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
  readonly #keyId: string;
  readonly #rawKeys = new Map<string, Uint8Array>();
  readonly #cryptoKeys = new Map<string, Promise<CryptoKey>>();
  readonly #now: () => number;

  /**
   * Wraps `inner`. Throws at once (`TypeError`/`RangeError`) on a key that is not 32 bytes or
   * not valid base64, or on a malformed key id.
   */
  constructor(inner: Store, options: SealedStoreOptions) {
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw new TypeError("SealedStore needs a store to wrap");
    }
    if (options === null || typeof options !== "object") {
      throw new TypeError("SealedStore needs options with a key");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TypeError("SealedStore option now must be a function");
    }
    this.#inner = inner;
    this.#now = options.now ?? Date.now;
    this.#keyId = options.keyId ?? "1";
    checkKeyId(this.#keyId);
    for (const [id, key] of Object.entries(options.previousKeys ?? {})) {
      checkKeyId(id);
      if (id === this.#keyId) {
        throw new TypeError(`SealedStore key id ${id} is both current and previous`);
      }
      this.#rawKeys.set(id, rawKey(key, `previous key ${id}`));
    }
    this.#rawKeys.set(this.#keyId, rawKey(options.key, "key"));
  }

  /** True when the wrapped store offers compare-and-set; then so does this one. */
  get supportsCompareAndSet(): boolean {
    return isVersionedStore(this.#inner);
  }

  /** The id of the key that seals new writes. */
  get keyId(): string {
    return this.#keyId;
  }

  /** Opens the value of `key`; `null` when absent. Throws {@linkcode SealedValueError}. */
  async get(key: string): Promise<string | null> {
    checkKey(key);
    const sealed = await this.#inner.get(key);
    return sealed === null ? null : await this.#open(key, sealed);
  }

  /** Opens the value of `key` and returns it with its (plaintext) metadata. */
  async getWithMetadata(key: string): Promise<StoreRecord> {
    checkKey(key);
    const record = await this.#inner.getWithMetadata(key);
    if (record.value === null) return { value: null, metadata: record.metadata };
    return { value: await this.#open(key, record.value), metadata: record.metadata };
  }

  /** Seals `value` under the current key and writes it; metadata is stored in plaintext. */
  async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    checkKey(key);
    await this.#inner.put(key, await this.#seal(key, value), options);
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
    const value = record.value === null ? null : await this.#open(key, record.value);
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
    return await inner.putIfUnchanged(key, await this.#seal(key, value), version, options);
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
    if (record.value === null || this.#sealedKeyId(record.value) === this.#keyId) return false;
    let ttlSeconds: number | undefined;
    if (expiration !== undefined) {
      ttlSeconds = expiration - Math.floor(this.#now() / 1000);
      if (ttlSeconds <= 0) return false; // expiring anyway
    }
    const plaintext = await this.#open(key, record.value);
    await this.#inner.put(key, await this.#seal(key, plaintext), {
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

  #cryptoKey(id: string): Promise<CryptoKey> {
    let key = this.#cryptoKeys.get(id);
    if (key === undefined) {
      const raw = this.#rawKeys.get(id)!;
      key = crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
      this.#cryptoKeys.set(id, key);
    }
    return key;
  }

  async #seal(key: string, value: string): Promise<string> {
    if (typeof value !== "string") throw new TypeError("Store value must be a string");
    const iv = randomBytes(IV_BYTES);
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv as BufferSource, additionalData: aad(this.#keyId, key) },
      await this.#cryptoKey(this.#keyId),
      utf8Encode(value) as BufferSource,
    );
    const out = new Uint8Array(IV_BYTES + ciphertext.byteLength);
    out.set(iv);
    out.set(new Uint8Array(ciphertext), IV_BYTES);
    return `${VERSION}:${this.#keyId}:${encodeBase64(out)}`;
  }

  #sealedKeyId(sealed: string): string | undefined {
    const parts = sealed.split(":");
    return parts.length === 3 && parts[0] === VERSION ? parts[1] : undefined;
  }

  async #open(key: string, sealed: string): Promise<string> {
    const parts = sealed.split(":");
    if (parts.length !== 3 || parts[0] !== VERSION) {
      throw new SealedValueError(key, `Value of ${key} is not a sealed ${VERSION} value`);
    }
    const id = parts[1];
    if (!this.#rawKeys.has(id)) {
      throw new SealedValueError(key, `Value of ${key} is sealed under unknown key id ${id}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(parts[2]);
    } catch (cause) {
      throw new SealedValueError(key, `Value of ${key} is not valid base64`, { cause });
    }
    if (bytes.length < IV_BYTES + TAG_BYTES) {
      throw new SealedValueError(key, `Value of ${key} is too short to be sealed`);
    }
    let plaintext: ArrayBuffer;
    try {
      plaintext = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: bytes.subarray(0, IV_BYTES) as BufferSource,
          additionalData: aad(id, key),
        },
        await this.#cryptoKey(id),
        bytes.subarray(IV_BYTES) as BufferSource,
      );
    } catch (cause) {
      throw new SealedValueError(
        key,
        `Value of ${key} failed authentication: tampered, moved from another key, or wrong key`,
        { cause },
      );
    }
    try {
      return utf8Decode(new Uint8Array(plaintext));
    } catch (cause) {
      throw new SealedValueError(key, `Value of ${key} is not valid UTF-8`, { cause });
    }
  }
}

function aad(keyId: string, recordKey: string): BufferSource {
  return utf8Encode(`${VERSION}:${keyId}:${recordKey}`) as BufferSource;
}

function checkKeyId(id: unknown): void {
  if (typeof id !== "string" || !KEY_ID.test(id)) {
    throw new TypeError("SealedStore key id must be 1-32 characters of A-Z a-z 0-9 _ -");
  }
}

function rawKey(key: SealingKey, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (key instanceof Uint8Array) {
    bytes = key.slice();
  } else if (typeof key === "string") {
    try {
      bytes = decodeBase64(key.trim());
    } catch {
      throw new TypeError(`SealedStore ${what} is not valid base64`);
    }
  } else {
    throw new TypeError(`SealedStore ${what} must be a Uint8Array or a base64 string`);
  }
  if (bytes.length !== 32) {
    throw new RangeError(`SealedStore ${what} must be 32 bytes, got ${bytes.length}`);
  }
  return bytes;
}

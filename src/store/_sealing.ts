/**
 * The sealing itself, behind {@linkcode SealedStore}: validation of the keys, `get`,
 * `getWithMetadata`, `put`, `delete` and `list`, and the seal and open of one value. Not part of
 * the public API: `SealedStore` wraps it and adds compare-and-set and resealing, and the worker
 * uses it alone, so that a bundle which never reseals carries none of that code.
 *
 * @module
 */

import { decodeBase64, encodeBase64, randomBytes, utf8Decode, utf8Encode } from "../_bytes.ts";
import { StoreError } from "./errors.ts";
import { checkKey } from "./_validate.ts";
import type { SealedStoreOptions, SealingKey } from "./sealed.ts";
import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StorePutOptions,
  StoreRecord,
} from "./store.ts";

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

/** Seals values on their way into `inner` and opens them on their way out (see `SealedStore`). */
export class SealingStore implements Store {
  /** The wrapped store. */
  readonly inner: Store;
  readonly #keyId: string;
  readonly #rawKeys = new Map<string, Uint8Array>();
  readonly #cryptoKeys = new Map<string, Promise<CryptoKey>>();
  /** The clock used to carry TTLs over when resealing, in ms. */
  readonly now: () => number;

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
    this.inner = inner;
    this.now = options.now ?? Date.now;
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

  /** The id of the key that seals new writes. */
  get keyId(): string {
    return this.#keyId;
  }

  /** Opens the value of `key`; `null` when absent. Throws {@linkcode SealedValueError}. */
  async get(key: string): Promise<string | null> {
    checkKey(key);
    const sealed = await this.inner.get(key);
    return sealed === null ? null : await this.open(key, sealed);
  }

  /** Opens the value of `key` and returns it with its (plaintext) metadata. */
  async getWithMetadata(key: string): Promise<StoreRecord> {
    checkKey(key);
    const record = await this.inner.getWithMetadata(key);
    if (record.value === null) return { value: null, metadata: record.metadata };
    return { value: await this.open(key, record.value), metadata: record.metadata };
  }

  /** Seals `value` under the current key and writes it; metadata is stored in plaintext. */
  async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    checkKey(key);
    await this.inner.put(key, await this.seal(key, value), options);
  }

  /** Removes `key`. */
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  /** Lists keys of the wrapped store (keys and metadata are not sealed). */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return this.inner.list(options);
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

  /** Seals `value` for record `key` under the current key. */
  async seal(key: string, value: string): Promise<string> {
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

  /** The key id `sealed` was sealed under, if it is a sealed value. */
  sealedKeyId(sealed: string): string | undefined {
    const parts = sealed.split(":");
    return parts.length === 3 && parts[0] === VERSION ? parts[1] : undefined;
  }

  /** Opens `sealed`, the value of record `key`. Throws {@linkcode SealedValueError}. */
  async open(key: string, sealed: string): Promise<string> {
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

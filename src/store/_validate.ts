/**
 * Argument checks shared by every store, so that all adapters accept and refuse the same
 * calls: the limits are those of Workers KV, the strictest backend.
 *
 * @module
 */

import { decodeBase64, encodeBase64, utf8Decode, utf8Encode } from "../_bytes.ts";
import type { StoreMetadata, StorePutOptions } from "./store.ts";

/** Workers KV's maximum key length in bytes. */
export const MAX_KEY_BYTES = 512;
/** Workers KV's maximum serialized metadata size in bytes. */
export const MAX_METADATA_BYTES = 1024;
/** Workers KV's maximum page size of a list. */
export const MAX_LIST_LIMIT = 1000;

/** Throws unless `key` is a non-empty string of at most {@linkcode MAX_KEY_BYTES} bytes. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError("Store key must be a non-empty string");
  }
  if (utf8Encode(key).length > MAX_KEY_BYTES) {
    throw new RangeError(`Store key is longer than ${MAX_KEY_BYTES} bytes`);
  }
}

/** Throws unless `value` is a string. */
export function checkValue(value: unknown): asserts value is string {
  if (typeof value !== "string") throw new TypeError("Store value must be a string");
}

/**
 * Checks put options and returns a private copy of the metadata (so a caller mutating its
 * object afterwards changes nothing stored), or `null`.
 */
export function checkPutOptions(options: StorePutOptions | undefined): {
  ttlSeconds: number | undefined;
  metadata: StoreMetadata | null;
} {
  const ttlSeconds = options?.ttlSeconds;
  if (ttlSeconds !== undefined) {
    if (typeof ttlSeconds !== "number" || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
      throw new RangeError("Store ttlSeconds must be a positive finite number");
    }
  }
  return { ttlSeconds, metadata: copyMetadata(options?.metadata) };
}

function copyMetadata(metadata: StoreMetadata | undefined): StoreMetadata | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new TypeError("Store metadata must be a plain object");
  }
  for (const [name, value] of Object.entries(metadata)) {
    const kind = typeof value;
    if (value !== null && kind !== "string" && kind !== "number" && kind !== "boolean") {
      throw new TypeError(`Store metadata field ${JSON.stringify(name)} must be a scalar`);
    }
    if (kind === "number" && !Number.isFinite(value)) {
      throw new TypeError(`Store metadata field ${JSON.stringify(name)} must be finite`);
    }
  }
  const json = JSON.stringify(metadata);
  if (utf8Encode(json).length > MAX_METADATA_BYTES) {
    throw new RangeError(`Store metadata is larger than ${MAX_METADATA_BYTES} bytes as JSON`);
  }
  return JSON.parse(json) as StoreMetadata;
}

/** Checks list options; returns the page size capped at {@linkcode MAX_LIST_LIMIT}. */
export function checkListOptions(prefix: unknown, limit: unknown): number {
  if (typeof prefix !== "string") throw new TypeError("Store list prefix must be a string");
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new RangeError("Store list limit must be a positive integer");
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

/** An opaque cursor naming the last key of a page. */
export function encodeCursor(lastKey: string): string {
  return encodeBase64(utf8Encode(lastKey));
}

/** The last key named by a cursor from {@linkcode encodeCursor}; throws a `TypeError` otherwise. */
export function decodeCursor(cursor: string): string {
  try {
    return utf8Decode(decodeBase64(cursor));
  } catch {
    throw new TypeError("Store list cursor is not one this store returned");
  }
}

/** Returns a fresh copy of stored metadata, so callers cannot change what is stored. */
export function cloneMetadata(metadata: StoreMetadata | null): StoreMetadata | null {
  return metadata === null ? null : { ...metadata };
}

/** Orders keys by their UTF-8 bytes, as Workers KV and Deno KV do. */
export function compareKeys(a: string, b: string): number {
  // UTF-16 code unit order differs from UTF-8 byte order only for surrogates versus
  // U+E000..U+FFFF; compare code points to match the backends.
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length < 0 ? -1 : 1;
}

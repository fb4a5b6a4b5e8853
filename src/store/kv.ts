/**
 * The Workers KV adapter: a {@linkcode Store} over a KV namespace binding.
 *
 * The binding is typed by a small structural interface, {@linkcode KvNamespaceLike}, so this
 * module needs neither `@cloudflare/workers-types` nor a Worker to compile; any object with
 * KV's `get`/`getWithMetadata`/`put`/`delete`/`list` fits (Miniflare's namespaces do).
 *
 * KV's rules shape it: a TTL below KV's 60 s floor is raised to 60 s (the record may outlive
 * a shorter TTL, so keep the real expiry in the value or metadata); pages hold at most 1000
 * keys; a rate-limited request (HTTP 429, at most one write per second per key) becomes a
 * retryable {@linkcode StoreRateLimitError}. KV is eventually consistent and has no
 * compare-and-set, so this store never claims {@linkcode VersionedStore}: do not use it as a
 * lock (coordinate writers with a Durable Object).
 *
 * @example In a Worker
 * ```ts ignore
 * import { KvStore } from "@wxopen/component/kv";
 *
 * export default {
 *   async fetch(_request: Request, env: { TOKENS: KvNamespaceLike }) {
 *     const store = new KvStore(env.TOKENS);
 *     return new Response(await store.get("component:ticket") ?? "no ticket");
 *   },
 * };
 * ```
 *
 * @module
 */

import { StoreError, StoreRateLimitError } from "./errors.ts";
import { checkKey, checkListOptions, checkPutOptions, checkValue } from "./_validate.ts";
import type {
  Store,
  StoreListKey,
  StoreListOptions,
  StoreListPage,
  StoreMetadata,
  StorePutOptions,
  StoreRecord,
} from "./store.ts";

/** Workers KV's minimum `expirationTtl`, in seconds. */
export const KV_MIN_TTL_SECONDS = 60;

/** One key of a Workers KV `list` result, as far as {@linkcode KvStore} reads it. */
export interface KvListKeyLike {
  /** The key. */
  name: string;
  /** Absolute expiry in seconds since the epoch. */
  expiration?: number;
  /** The metadata stored with the key. */
  metadata?: unknown;
}

/** A Workers KV `list` result, as far as {@linkcode KvStore} reads it. */
export interface KvListResultLike {
  /** Keys of this page. */
  keys: KvListKeyLike[];
  /** True on the last page. */
  list_complete: boolean;
  /** Cursor of the next page, when not complete. */
  cursor?: string;
}

/**
 * The part of a Workers KV namespace binding that {@linkcode KvStore} uses. A real
 * `KVNamespace` satisfies it structurally.
 */
export interface KvNamespaceLike {
  /** Reads a value as text. */
  get(key: string, type: "text"): Promise<string | null>;
  /** Reads a value as text with its metadata. */
  getWithMetadata(
    key: string,
    type: "text",
  ): Promise<{ value: string | null; metadata: unknown }>;
  /** Writes a value. */
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  /** Deletes a key. */
  delete(key: string): Promise<void>;
  /** Lists keys by prefix. */
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<KvListResultLike>;
}

/**
 * A {@linkcode Store} over a Workers KV namespace.
 *
 * @example Wrapping a binding, sealed at rest
 * ```ts ignore
 * import { SealedStore } from "@wxopen/component";
 * import { KvStore } from "@wxopen/component/kv";
 *
 * const store = new SealedStore(new KvStore(env.TOKENS), { key: env.STORAGE_KEY });
 * await store.put("component:access_token", token, { ttlSeconds: 7000 });
 * ```
 */
export class KvStore implements Store {
  readonly #kv: KvNamespaceLike;

  /** Wraps a KV namespace binding; throws a `TypeError` if `namespace` is not one. */
  constructor(namespace: KvNamespaceLike) {
    if (
      namespace === null || typeof namespace !== "object" ||
      typeof namespace.get !== "function" || typeof namespace.put !== "function" ||
      typeof namespace.list !== "function"
    ) {
      throw new TypeError("KvStore needs a Workers KV namespace binding");
    }
    this.#kv = namespace;
  }

  /** The value of `key`, or `null`. */
  async get(key: string): Promise<string | null> {
    checkKey(key);
    try {
      return await this.#kv.get(key, "text");
    } catch (error) {
      throw translate(error, "get");
    }
  }

  /** The value of `key` with its metadata. */
  async getWithMetadata(key: string): Promise<StoreRecord> {
    checkKey(key);
    try {
      const { value, metadata } = await this.#kv.getWithMetadata(key, "text");
      return { value, metadata: value === null ? null : asMetadata(metadata) };
    } catch (error) {
      throw translate(error, "get");
    }
  }

  /** Writes `value`; a `ttlSeconds` below 60 is raised to KV's 60 s floor. */
  async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    checkKey(key);
    checkValue(value);
    const { ttlSeconds, metadata } = checkPutOptions(options);
    const kvOptions: { expirationTtl?: number; metadata?: unknown } = {};
    if (ttlSeconds !== undefined) {
      kvOptions.expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
    }
    if (metadata !== null) kvOptions.metadata = metadata;
    try {
      await this.#kv.put(key, value, kvOptions);
    } catch (error) {
      throw translate(error, "put");
    }
  }

  /** Removes `key`. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.#kv.delete(key);
    } catch (error) {
      throw translate(error, "delete");
    }
  }

  /** Lists keys by prefix; `limit` is capped at 1000. */
  async list(options: StoreListOptions): Promise<StoreListPage> {
    const limit = checkListOptions(options?.prefix, options?.limit);
    const kvOptions: { prefix: string; limit: number; cursor?: string } = {
      prefix: options.prefix,
      limit,
    };
    if (options.cursor !== undefined && options.cursor !== "") kvOptions.cursor = options.cursor;
    let result: KvListResultLike;
    try {
      result = await this.#kv.list(kvOptions);
    } catch (error) {
      throw translate(error, "list");
    }
    const keys = result.keys.map((k): StoreListKey => {
      const key: StoreListKey = { name: k.name, metadata: asMetadata(k.metadata) };
      if (typeof k.expiration === "number") key.expiration = k.expiration;
      return key;
    });
    if (!result.list_complete && result.cursor) {
      return { keys, cursor: result.cursor, complete: false };
    }
    return { keys, complete: true };
  }
}

function asMetadata(metadata: unknown): StoreMetadata | null {
  if (metadata === null || metadata === undefined || typeof metadata !== "object") return null;
  if (Array.isArray(metadata)) return null;
  return metadata as StoreMetadata;
}

const RATE_LIMITED = /\b429\b|too many requests|rate limit/i;

const TRANSIENT = /\b5\d\d\b|network|timed? ?out|reset|unavailable/i;

/**
 * KV's rate limit becomes a {@linkcode StoreRateLimitError}; a server or network failure a
 * retryable {@linkcode StoreError}; anything else (too large, bad key) a non-retryable one.
 */
function translate(error: unknown, op: string): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (RATE_LIMITED.test(message)) {
    return new StoreRateLimitError(`Workers KV ${op} was rate limited`, { cause: error });
  }
  return new StoreError(`Workers KV ${op} failed`, {
    retryable: TRANSIENT.test(message),
    cause: error,
  });
}

/**
 * A Durable Object's own transactional storage as the primary copy of its records, written
 * through to Workers KV (the copy every isolate reads on the hot path).
 *
 * Values arrive sealed (a `SealingStore`, the sealing of `SealedStore`, wraps this store), so both copies hold the same
 * ciphertext. A delete leaves a tombstone here, so a KV copy that failed to delete can never
 * bring a revoked refresh token back; a KV write that fails is remembered and replayed by
 * {@linkcode DurableStore.resync} (the object's alarm calls it).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StoreMetadata,
  StorePutOptions,
  StoreRecord,
} from "../../mod.ts";

/** One record in the object's storage; `value: null` is a tombstone. */
interface Entry {
  value: string | null;
  metadata: StoreMetadata | null;
  /** Expiry, ms since the epoch (from `ttlSeconds`). */
  expiresAt?: number;
}

const PREFIX = "record:";
const DIRTY = "dirty-keys";

/** See the module documentation. */
export class DurableStore implements Store {
  readonly #storage: DurableObjectStorage;
  readonly #kv: Store;
  /** Writes to each key in this object, counted, to notice KV writes that finished out of order. */
  readonly #versions = new Map<string, number>();
  readonly #writtenAt = new Map<string, number>();

  /** The object's `storage` as primary, `kv` (an unsealed `KvStore`) as its replica. */
  constructor(storage: DurableObjectStorage, kv: Store) {
    this.#storage = storage;
    this.#kv = kv;
  }

  async get(key: string): Promise<string | null> {
    return (await this.getWithMetadata(key)).value;
  }

  async getWithMetadata(key: string): Promise<StoreRecord> {
    const entry = await this.#storage.get<Entry>(PREFIX + key);
    if (entry === undefined) {
      // Written before this object kept its own copy (or by an older version): KV has it.
      return await this.#kv.getWithMetadata(key);
    }
    if (entry.value === null || (entry.expiresAt !== undefined && entry.expiresAt <= Date.now())) {
      return { value: null, metadata: null };
    }
    return { value: entry.value, metadata: entry.metadata };
  }

  async put(key: string, value: string, options: StorePutOptions = {}): Promise<void> {
    const entry: Entry = { value, metadata: options.metadata ?? null };
    if (options.ttlSeconds !== undefined) entry.expiresAt = Date.now() + options.ttlSeconds * 1000;
    await this.#storage.put(PREFIX + key, entry);
    await this.#replicate(key, () => this.#kv.put(key, value, options));
  }

  /**
   * Writes this object's copy of `key` to KV again (a reader found KV without it), unless this
   * object wrote it within the last second (KV allows one write per second per key).
   */
  async heal(key: string): Promise<void> {
    if (Date.now() - (this.#writtenAt.get(key) ?? 0) < 1_100) return;
    const entry = await this.#storage.get<Entry>(PREFIX + key);
    if (entry) await this.#replicate(key, () => this.#writeToKv(key, entry));
  }

  async delete(key: string): Promise<void> {
    await this.#storage.put(PREFIX + key, { value: null, metadata: null } satisfies Entry);
    await this.#replicate(key, () => this.#kv.delete(key));
  }

  /** Lists the KV copy (the object's own records are few and keyed by what it owns). */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return this.#kv.list(options);
  }

  /** Writes the records whose KV write failed again; returns how many are still pending. */
  async resync(): Promise<number> {
    const dirty = (await this.#storage.get<string[]>(DIRTY)) ?? [];
    const left: string[] = [];
    for (const key of dirty) {
      const entry = await this.#storage.get<Entry>(PREFIX + key);
      try {
        await this.#writeToKv(key, entry);
      } catch {
        left.push(key);
      }
    }
    if (dirty.length) await this.#storage.put(DIRTY, left);
    return left.length;
  }

  async #writeToKv(key: string, entry: Entry | undefined): Promise<void> {
    if (!entry || entry.value === null) return await this.#kv.delete(key);
    const ttl = entry.expiresAt === undefined
      ? undefined
      : Math.floor((entry.expiresAt - Date.now()) / 1000);
    if (ttl !== undefined && ttl <= 0) return await this.#kv.delete(key);
    await this.#kv.put(key, entry.value, {
      metadata: entry.metadata ?? undefined,
      ttlSeconds: ttl,
    });
  }

  /**
   * The object's copy is the one that counts: a failed KV write is remembered for
   * {@linkcode resync} and the operation succeeds (the hot path falls back to the object).
   */
  async #replicate(key: string, write: () => Promise<void>): Promise<void> {
    const version = (this.#versions.get(key) ?? 0) + 1;
    this.#versions.set(key, version);
    this.#writtenAt.set(key, Date.now());
    try {
      await write();
      // A later write to this key may have reached KV before this one did: KV must end up as
      // this object's copy says (a slow put must not bring back a deleted refresh token).
      if (this.#versions.get(key) !== version) {
        await this.#writeToKv(key, await this.#storage.get<Entry>(PREFIX + key));
      }
    } catch (err) {
      console.warn(`[wxopen] KV write-through failed, will retry: ${(err as Error).name}`);
      // KV may still hold the value this write replaced (a token reported invalid): take it
      // away, so readers come to this object instead of serving it.
      await this.#kv.delete(key).catch(() => {});
      const dirty = (await this.#storage.get<string[]>(DIRTY)) ?? [];
      if (!dirty.includes(key)) await this.#storage.put(DIRTY, [...dirty, key]);
    }
  }
}

/**
 * An optional extension of the {@linkcode Store} contract: compare-and-set on a version.
 *
 * Workers KV cannot offer it (no compare-and-set, eventual consistency), so the base contract
 * does not promise it. {@linkcode MemoryStore} (one process) and the Deno KV store (atomic
 * operations on versionstamps) can, and a token manager that finds a
 * {@linkcode VersionedStore} can make "only one writer wins" real instead of hoping for it.
 *
 * @module
 */

import type { Store, StorePutOptions, StoreRecord } from "./store.ts";

/** A value read together with its metadata and the version to compare against. */
export interface VersionedRecord extends StoreRecord {
  /**
   * An opaque version of the record as stored, or `null` when nothing is stored under the key.
   * Pass it to {@linkcode VersionedStore.putIfUnchanged}.
   */
  version: string | null;
}

/** A {@linkcode Store} that can write only if a record has not changed since it was read. */
export interface VersionedStore extends Store {
  /** Always true; lets {@linkcode isVersionedStore} recognise the capability at run time. */
  readonly supportsCompareAndSet: boolean;
  /** Reads `key` with its version. */
  getVersioned(key: string): Promise<VersionedRecord>;
  /**
   * Writes `value` only if the record's version is still `version` (`null`: only if nothing is
   * stored). Resolves to true when written, false when another writer got there first.
   */
  putIfUnchanged(
    key: string,
    value: string,
    version: string | null,
    options?: StorePutOptions,
  ): Promise<boolean>;
}

/**
 * True when `store` offers compare-and-set ({@linkcode VersionedStore}).
 *
 * @example Using compare-and-set when the store has it
 * ```ts
 * import { isVersionedStore } from "./versioned.ts";
 * import { MemoryStore } from "@wxopen/component";
 *
 * const store = new MemoryStore();
 * if (isVersionedStore(store)) {
 *   const { version } = await store.getVersioned("lock");
 *   console.assert(await store.putIfUnchanged("lock", "mine", version));
 * }
 * ```
 */
export function isVersionedStore(store: Store): store is VersionedStore {
  const candidate = store as Partial<VersionedStore>;
  return candidate.supportsCompareAndSet === true &&
    typeof candidate.getVersioned === "function" &&
    typeof candidate.putIfUnchanged === "function";
}

/**
 * A {@linkcode Store} view that writes through only the keys its owner is the single writer of.
 * Writes to any other key stay in a short-lived in-memory overlay of this isolate, so a
 * client running outside a credential's Durable Object can never overwrite that credential's
 * record in KV (e.g. with an older token).
 *
 * @module
 */

import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StorePutOptions,
  StoreRecord,
} from "../mod.ts";

interface OverlayEntry {
  value: string | null;
  metadata: StoreRecord["metadata"];
  until: number;
}

/** Options of {@linkcode ScopedStore}. */
export interface ScopedStoreOptions {
  /** True for keys this view may write to the store underneath. */
  owns: (key: string) => boolean;
  /** How long an overlay entry shadows the store, in milliseconds (default 30 000). */
  overlayMs?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** See the module doc. */
export class ScopedStore implements Store {
  readonly #base: Store;
  readonly #owns: (key: string) => boolean;
  readonly #overlayMs: number;
  readonly #now: () => number;
  readonly #overlay = new Map<string, OverlayEntry>();

  /** Wraps `base`; only keys for which `options.owns` is true are written to it. */
  constructor(base: Store, options: ScopedStoreOptions) {
    this.#base = base;
    this.#owns = options.owns;
    this.#overlayMs = options.overlayMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  #shadow(key: string): OverlayEntry | undefined {
    const entry = this.#overlay.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.#now()) {
      this.#overlay.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The value of `key`: the overlay's while it lasts, else the store's. */
  async get(key: string): Promise<string | null> {
    const entry = this.#shadow(key);
    if (entry) return entry.value;
    return await this.#base.get(key);
  }

  /** The value and metadata of `key`. */
  async getWithMetadata(key: string): Promise<StoreRecord> {
    const entry = this.#shadow(key);
    if (entry) return { value: entry.value, metadata: entry.metadata };
    return await this.#base.getWithMetadata(key);
  }

  /** Writes through when owned, else into the overlay. */
  async put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    if (this.#owns(key)) {
      this.#overlay.delete(key);
      await this.#base.put(key, value, options);
      return;
    }
    this.#overlay.set(key, {
      value,
      metadata: options?.metadata ?? null,
      until: this.#now() + this.#overlayMs,
    });
  }

  /** Deletes through when owned, else hides the key in the overlay. */
  async delete(key: string): Promise<void> {
    if (this.#owns(key)) {
      this.#overlay.delete(key);
      await this.#base.delete(key);
      return;
    }
    this.#overlay.set(key, { value: null, metadata: null, until: this.#now() + this.#overlayMs });
  }

  /** Lists the store underneath (the overlay is not listed). */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return this.#base.list(options);
  }
}

/**
 * An authorizer's message ledger, in its Durable Object: which messages were taken (so WeChat's
 * retries of one reach the handler and the forward URL once, whichever isolate they land on)
 * with the passive reply each was answered with, and which deliveries reached the forward URL
 * (so a queued copy behind a late success is dropped).
 *
 * Workers KV cannot do this: it is eventually consistent, so two isolates could both read
 * "not seen" for the same message. The object is the single instance that decides.
 *
 * Decisions are made from this instance's memory. Answered entries are written to the object's
 * storage in batches (every 10 ms at most, one transaction) without waiting for the write to be
 * confirmed (`allowUnconfirmed`): a storage write per message, awaited, halved the message
 * path's throughput under Miniflare (BENCHMARKS.md), and the storage copy is only needed if the
 * object restarts between WeChat's copies of one message. A new instance reads what earlier ones
 * stored once, before its first decision.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

/** How long a taken message is remembered: WeChat retries within about 15 s. */
export const MESSAGE_KEEP_MS = 5 * 60 * 1000;
/** How long a delivery is remembered as done: longer than a queued delivery's retries. */
export const DELIVERED_KEEP_MS = 6 * 3600 * 1000;
/** A message still being answered after this long is taken as answered `success`. */
const BUSY_MS = 30_000;
const SWEEP_EVERY_MS = 60_000;
const MESSAGE = "ledger:m:";
const DELIVERED = "ledger:d:";
const UNCONFIRMED = { allowUnconfirmed: true };
/** How long answered entries wait to be written together. */
const FLUSH_MS = 10;

/** What {@linkcode MessageLedger.claim} answers. */
export type Claim =
  /** First time: the caller answers it and calls `complete` (or `release`). */
  | { state: "new" }
  /** Answered before: with this reply XML (absent: `success`). */
  | { state: "done"; reply?: string }
  /** Another copy is being answered and did not finish within the wait. */
  | { state: "busy" };

interface Entry {
  at: number;
  done: boolean;
  reply?: string;
}

/** See the module documentation. */
export class MessageLedger {
  readonly #storage: DurableObjectStorage;
  /** What this instance knows, by storage key: message entries and delivery times. */
  readonly #known = new Map<string, Entry | number>();
  #sweptAt = Date.now();
  /** What earlier instances stored, read once (then this instance knows every entry). */
  #loaded: Promise<void> | undefined;
  /** Entries not yet written, by key. */
  readonly #pending = new Map<string, Entry | number>();
  #flushing: ReturnType<typeof setTimeout> | undefined;
  /** Copies waiting for the first copy's answer, by key. */
  readonly #waiting = new Map<string, (() => void)[]>();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /**
   * Takes `id`, or tells how it was answered; a copy that arrives while the first is still
   * being answered waits up to `waitMs` for that answer.
   */
  async claim(id: string, waitMs: number): Promise<Claim> {
    const key = MESSAGE + id;
    await (this.#loaded ??= this.#load());
    const now = Date.now();
    this.#sweep(now);
    const entry = this.#known.get(key) as Entry | undefined;
    if (!entry || now - entry.at > MESSAGE_KEEP_MS) {
      // In memory only until answered: a copy is only at risk if the object restarts meanwhile.
      this.#known.set(key, { at: now, done: false });
      return { state: "new" };
    }
    if (entry.done) return answered(entry);
    if (now - entry.at < BUSY_MS && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const list = this.#waiting.get(key) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.#waiting.set(key, list);
      });
      const after = this.#known.get(key) as Entry | undefined;
      if (after?.done) return answered(after);
      if (!after) return await this.claim(id, 0);
    }
    return { state: "busy" };
  }

  /** Records how `id` was answered (`reply`: the plaintext XML; `null`: `success`). */
  complete(id: string, reply: string | null): void {
    const key = MESSAGE + id;
    const entry = this.#known.get(key) as Entry | undefined;
    this.#write(key, {
      at: entry?.at ?? Date.now(),
      done: true,
      ...(reply === null ? {} : { reply }),
    });
    this.#wake(key);
  }

  /** Forgets `id`: it was answered with a 5xx, so WeChat's retry must be taken again. */
  release(id: string): void {
    const key = MESSAGE + id;
    this.#known.delete(key);
    this.#pending.delete(key);
    this.#storage.delete(key, UNCONFIRMED).catch(() => {});
    this.#wake(key);
  }

  /** Records that delivery `id` reached the forward URL. */
  markDelivered(id: string): void {
    this.#write(DELIVERED + id, Date.now());
  }

  /** Whether delivery `id` reached the forward URL (within {@linkcode DELIVERED_KEEP_MS}). */
  async isDelivered(id: string): Promise<boolean> {
    await (this.#loaded ??= this.#load());
    const at = this.#known.get(DELIVERED + id);
    return typeof at === "number" && Date.now() - at <= DELIVERED_KEEP_MS;
  }

  /** Takes in what earlier instances of this object stored, dropping what expired. */
  async #load(): Promise<void> {
    const stored = await this.#storage.list<Entry | number>({ prefix: "ledger:" });
    const now = Date.now();
    const old: string[] = [];
    for (const [key, value] of stored) {
      if (expired(key, value, now)) old.push(key);
      else if (!this.#known.has(key)) this.#known.set(key, value);
    }
    this.#delete(old);
  }

  #write(key: string, value: Entry | number): void {
    this.#known.set(key, value);
    this.#pending.set(key, value);
    // Entries of messages answered together are written together: one storage transaction.
    this.#flushing ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  #flush(): void {
    this.#flushing = undefined;
    const entries = [...this.#pending];
    this.#pending.clear();
    for (let i = 0; i < entries.length; i += 128) {
      this.#storage.put(Object.fromEntries(entries.slice(i, i + 128)), UNCONFIRMED).catch((err) =>
        console.warn(`[wxopen] ledger write failed: ${(err as Error).name}`)
      );
    }
  }

  #wake(key: string): void {
    const list = this.#waiting.get(key);
    this.#waiting.delete(key);
    for (const wake of list ?? []) wake();
  }

  /** Drops expired entries from memory and storage, at most once a minute. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    const old: string[] = [];
    for (const [key, value] of this.#known) if (expired(key, value, now)) old.push(key);
    for (const key of old) this.#known.delete(key);
    this.#delete(old);
  }

  #delete(keys: string[]): void {
    // At most 128 keys per call.
    for (let i = 0; i < keys.length; i += 128) {
      this.#storage.delete(keys.slice(i, i + 128), UNCONFIRMED).catch(() => {});
    }
  }
}

function expired(key: string, value: Entry | number, now: number): boolean {
  const at = typeof value === "number" ? value : value.at;
  return now - at > (key.startsWith(DELIVERED) ? DELIVERED_KEEP_MS : MESSAGE_KEEP_MS);
}

function answered(entry: Entry): Claim {
  return entry.reply === undefined ? { state: "done" } : { state: "done", reply: entry.reply };
}

/**
 * An authorizer's message ledger, in its Durable Object: which messages were taken (so WeChat's
 * retries of one reach the handler and the forward URL once, whichever isolate they land on)
 * with the passive reply each was answered with, and which deliveries reached the forward URL
 * (so a queued copy behind a late success is dropped).
 *
 * Workers KV cannot do this: it is eventually consistent, so two isolates could both read
 * "not seen" for the same message. The object is the single instance that decides.
 *
 * Decisions are made from this instance's memory. Entries (taken, answered, delivered) are
 * written behind, every 10 ms at most, as one storage row per kind holding every entry of that
 * flush, without waiting for the write to be confirmed (`allowUnconfirmed`): a storage write per
 * message, awaited, halved the message path's throughput under Miniflare, and a row per entry
 * cost it a twentieth. The storage copy is only read by a new instance (the object restarted
 * between WeChat's copies of one message), once, before its first decision.
 *
 * A message taken and not answered within {@linkcode ABANDONED_MS} is taken again by the next
 * copy: the isolate that took it answers within 4.5 s, so its answer was lost with it, and
 * WeChat's retry is the message's last chance (at least once, rather than lost).
 *
 * @module
 */

/** The part of a Durable Object's storage the ledger uses (kept structural: tests replace it). */
export interface LedgerStorage {
  /** Every stored entry under `prefix`, in key order. */
  list<T>(options: { prefix: string }): Promise<Map<string, T>>;
  /** Writes several entries in one transaction. */
  put(entries: Record<string, unknown>, options: { allowUnconfirmed: boolean }): Promise<void>;
  /** Deletes up to 128 keys. */
  delete(keys: string[], options: { allowUnconfirmed: boolean }): Promise<number>;
}

/** How long a taken message is remembered: WeChat retries within about 15 s. */
export const MESSAGE_KEEP_MS = 5 * 60 * 1000;
/** How long a delivery is remembered as done: longer than a queued delivery's retries. */
export const DELIVERED_KEEP_MS = 6 * 3600 * 1000;
/** A message taken and not answered after this long lost its taker: a copy takes it again. */
export const ABANDONED_MS = 10_000;
const SWEEP_EVERY_MS = 60_000;
/** Entry keys (in memory; single-entry storage keys of earlier versions too). */
const MESSAGE = "ledger:m:";
const DELIVERED = "ledger:d:";
/** Storage rows of entries written together: `ledger:r:<m|d>:<ms, 13 digits>:<seq>:<instance>`. */
const ROW = "ledger:r:";
/** Entries per row, so a row of replies stays far below a value's size limit. */
const ROW_ENTRIES = 100;
const UNCONFIRMED = { allowUnconfirmed: true };
/** How long entries wait to be written together. */
const FLUSH_MS = 10;

/** What {@linkcode MessageLedger.claim} answers. */
export type Claim =
  /** First time: the caller answers it and calls `complete` (or `release`). */
  | { state: "new" }
  /** Answered before: with this reply XML (absent: `success`). */
  | { state: "done"; reply?: string }
  /** Another copy is being answered and did not finish within the wait. */
  | { state: "busy" };

type Stored = Entry | number;

interface Entry {
  at: number;
  done: boolean;
  reply?: string;
}

/** See the module documentation. */
export class MessageLedger {
  readonly #storage: LedgerStorage;
  /** What this instance knows, by storage key: message entries and delivery times. */
  readonly #known = new Map<string, Stored>();
  #sweptAt: number;
  /** What earlier instances stored, read once (then this instance knows every entry). */
  #loaded: Promise<void> | undefined;
  /** Entries not yet written, by key. */
  readonly #pending = new Map<string, Stored>();
  /** Storage rows and single-entry keys, with the time after which they may go. */
  readonly #rows = new Map<string, number>();
  #seq = 0;
  /** Tells this instance's rows from another's written in the same millisecond. */
  readonly #instance = crypto.randomUUID().slice(0, 8);
  #flushing: ReturnType<typeof setTimeout> | undefined;
  /** Copies waiting for the first copy's answer, by key. */
  readonly #waiting = new Map<string, (() => void)[]>();

  readonly #clock: () => number;

  /** The ledger over an object's `storage`; `clock` is for tests (default `Date.now`). */
  constructor(storage: LedgerStorage, clock: () => number = Date.now) {
    this.#storage = storage;
    this.#clock = clock;
    this.#sweptAt = clock();
  }

  /**
   * Takes `id`, or tells how it was answered; a copy that arrives while the first is still
   * being answered waits up to `waitMs` for that answer.
   */
  async claim(id: string, waitMs: number): Promise<Claim> {
    const key = MESSAGE + id;
    await (this.#loaded ??= this.#load());
    const now = this.#clock();
    this.#sweep(now);
    const entry = this.#known.get(key) as Entry | undefined;
    if (!entry || now - entry.at > MESSAGE_KEEP_MS || abandoned(entry, now)) {
      this.#write(key, { at: now, done: false });
      return { state: "new" };
    }
    if (entry.done) return answered(entry);
    if (waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const list = this.#waiting.get(key) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.#waiting.set(key, list);
      });
      return await this.claim(id, 0);
    }
    return { state: "busy" };
  }

  /** Records how `id` was answered (`reply`: the plaintext XML; `null`: `success`). */
  complete(id: string, reply: string | null): void {
    const key = MESSAGE + id;
    const entry = this.#known.get(key) as Entry | undefined;
    this.#write(key, {
      at: entry?.at ?? this.#clock(),
      done: true,
      ...(reply === null ? {} : { reply }),
    });
    this.#wake(key);
  }

  /** Forgets `id`: it was answered with a 5xx, so WeChat's retry must be taken again. */
  release(id: string): void {
    const key = MESSAGE + id;
    const entry = this.#known.get(key) as Entry | undefined;
    if (!entry || entry.done) return;
    // A taken mark may be written already: the row keeps it, this newer one overrides it.
    this.#write(key, { at: 0, done: false });
    this.#known.delete(key);
    this.#wake(key);
  }

  /** Records that delivery `id` reached the forward URL. */
  markDelivered(id: string): void {
    this.#write(DELIVERED + id, this.#clock());
  }

  /** Whether delivery `id` reached the forward URL (within {@linkcode DELIVERED_KEEP_MS}). */
  async isDelivered(id: string): Promise<boolean> {
    await (this.#loaded ??= this.#load());
    const at = this.#known.get(DELIVERED + id);
    return typeof at === "number" && this.#clock() - at <= DELIVERED_KEEP_MS;
  }

  /** Takes in what earlier instances of this object stored, dropping what expired. */
  async #load(): Promise<void> {
    const stored = await this.#storage.list<Stored | [string, Stored][]>({ prefix: "ledger:" });
    const now = this.#clock();
    const old: string[] = [];
    const found = new Map<string, Stored>();
    // Rows come in the order they were written (their keys sort by time): later ones win.
    for (const [storageKey, value] of stored) {
      const entries: [string, Stored][] = storageKey.startsWith(ROW)
        ? value as [string, Stored][]
        : [[storageKey, value as Stored]];
      let until = 0;
      for (const [key, entry] of entries) {
        until = Math.max(until, expiresAt(key, entry));
        found.set(key, entry);
      }
      if (until < now) old.push(storageKey);
      else this.#rows.set(storageKey, until);
    }
    // What this instance learnt meanwhile is newer; a released mark (`at` 0) means nothing.
    for (const [key, entry] of found) {
      const released = typeof entry !== "number" && entry.at === 0;
      if (!released && expiresAt(key, entry) >= now && !this.#known.has(key)) {
        this.#known.set(key, entry);
      }
    }
    this.#delete(old);
  }

  #write(key: string, value: Stored): void {
    this.#known.set(key, value);
    this.#pending.set(key, value);
    // Entries of messages answered together are written together: one row, one transaction.
    this.#flushing ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  #flush(): void {
    this.#flushing = undefined;
    const rows: Record<string, [string, Stored][]> = {};
    const stamp = String(this.#clock()).padStart(13, "0");
    for (const kind of [MESSAGE, DELIVERED]) {
      const entries = [...this.#pending].filter(([key]) => key.startsWith(kind));
      for (let i = 0; i < entries.length; i += ROW_ENTRIES) {
        const slice = entries.slice(i, i + ROW_ENTRIES);
        const seq = String(this.#seq++).padStart(9, "0");
        const rowKey = `${ROW}${kind === MESSAGE ? "m" : "d"}:${stamp}:${seq}:${this.#instance}`;
        rows[rowKey] = slice;
        this.#rows.set(rowKey, Math.max(...slice.map(([key, entry]) => expiresAt(key, entry))));
      }
    }
    this.#pending.clear();
    this.#storage.put(rows, UNCONFIRMED).catch((err) =>
      console.warn(`[wxopen] ledger write failed: ${(err as Error).name}`)
    );
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
    for (const [key, value] of this.#known) {
      if (expiresAt(key, value) < now) this.#known.delete(key);
    }
    const old = [...this.#rows].filter(([, until]) => until < now).map(([key]) => key);
    for (const key of old) this.#rows.delete(key);
    this.#delete(old);
  }

  #delete(keys: string[]): void {
    // At most 128 keys per call.
    for (let i = 0; i < keys.length; i += 128) {
      this.#storage.delete(keys.slice(i, i + 128), UNCONFIRMED).catch(() => {});
    }
  }
}

function expiresAt(key: string, value: Stored): number {
  const at = typeof value === "number" ? value : value.at;
  return at + (key.startsWith(DELIVERED) ? DELIVERED_KEEP_MS : MESSAGE_KEEP_MS);
}

function abandoned(entry: Entry, now: number): boolean {
  return !entry.done && now - entry.at > ABANDONED_MS;
}

function answered(entry: Entry): Claim {
  return entry.reply === undefined ? { state: "done" } : { state: "done", reply: entry.reply };
}

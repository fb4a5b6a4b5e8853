/**
 * An authorizer's message ledger, in its Durable Object's SQLite storage: which messages were
 * taken (so WeChat's retries of one reach the handler and the forward URL once, whichever
 * isolate they land on) with the passive reply each was answered with, and which deliveries
 * reached the forward URL (so a queued copy behind a late success is dropped).
 *
 * Workers KV cannot do this: it is eventually consistent, so two isolates could both read
 * "not seen" for the same message. The object is the single writer.
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

/** What {@linkcode MessageLedger.claim} answers. */
export type Claim =
  /** First time: the caller answers it and calls `complete` (or `release`). */
  | { state: "new" }
  /** Answered before: with this reply XML (absent: `success`). */
  | { state: "done"; reply?: string }
  /** Another copy is being answered and did not finish within the wait. */
  | { state: "busy" };

/** See the module documentation. */
export class MessageLedger {
  readonly #sql: SqlStorage;
  #sweptAt = 0;
  /** Copies waiting for the first copy's answer, by key (this object is the only writer). */
  readonly #waiting = new Map<string, (() => void)[]>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS wx_messages (key TEXT PRIMARY KEY, at INTEGER NOT NULL, done INTEGER NOT NULL, reply TEXT)",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS wx_messages_at ON wx_messages (at)");
    sql.exec(
      "CREATE TABLE IF NOT EXISTS wx_delivered (id TEXT PRIMARY KEY, at INTEGER NOT NULL)",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS wx_delivered_at ON wx_delivered (at)");
  }

  /**
   * Takes `key`, or tells how it was answered; a copy that arrives while the first is still
   * being answered waits up to `waitMs` for that answer.
   */
  async claim(key: string, waitMs: number): Promise<Claim> {
    const now = Date.now();
    this.#sweep(now);
    const row = this.#row(key);
    if (!row || now - row.at > MESSAGE_KEEP_MS) {
      this.#sql.exec(
        "INSERT OR REPLACE INTO wx_messages (key, at, done, reply) VALUES (?, ?, 0, NULL)",
        key,
        now,
      );
      return { state: "new" };
    }
    if (row.done) return answered(row.reply);
    if (now - row.at < BUSY_MS && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        const list = this.#waiting.get(key) ?? [];
        list.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.#waiting.set(key, list);
      });
      const after = this.#row(key);
      if (after?.done) return answered(after.reply);
      if (!after) return this.claim(key, 0);
    }
    return { state: "busy" };
  }

  /** Records how `key` was answered (`reply`: the plaintext XML; `null`: `success`). */
  complete(key: string, reply: string | null): void {
    this.#sql.exec("UPDATE wx_messages SET done = 1, reply = ? WHERE key = ?", reply, key);
    this.#wake(key);
  }

  /** Forgets `key`: it was answered with a 5xx, so WeChat's retry must be taken again. */
  release(key: string): void {
    this.#sql.exec("DELETE FROM wx_messages WHERE key = ?", key);
    this.#wake(key);
  }

  /** Records that delivery `id` reached the forward URL. */
  markDelivered(id: string): void {
    this.#sql.exec("INSERT OR REPLACE INTO wx_delivered (id, at) VALUES (?, ?)", id, Date.now());
  }

  /** Whether delivery `id` reached the forward URL (within {@linkcode DELIVERED_KEEP_MS}). */
  isDelivered(id: string): boolean {
    const rows = this.#sql.exec<{ at: number }>("SELECT at FROM wx_delivered WHERE id = ?", id)
      .toArray();
    return rows.length > 0 && Date.now() - rows[0].at <= DELIVERED_KEEP_MS;
  }

  #row(key: string): { at: number; done: number; reply: string | null } | undefined {
    return this.#sql.exec<{ at: number; done: number; reply: string | null }>(
      "SELECT at, done, reply FROM wx_messages WHERE key = ?",
      key,
    ).toArray()[0];
  }

  #wake(key: string): void {
    const list = this.#waiting.get(key);
    this.#waiting.delete(key);
    for (const wake of list ?? []) wake();
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    this.#sql.exec("DELETE FROM wx_messages WHERE at < ?", now - MESSAGE_KEEP_MS);
    this.#sql.exec("DELETE FROM wx_delivered WHERE at < ?", now - DELIVERED_KEEP_MS);
  }
}

function answered(reply: string | null): Claim {
  return reply === null ? { state: "done" } : { state: "done", reply };
}

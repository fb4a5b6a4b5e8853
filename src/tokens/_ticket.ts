/**
 * The `component_verify_ticket`: stored with its receive time, usable for 12 hours.
 *
 * @module
 */

import type { Store } from "../store/store.ts";
import { MissingTicketError } from "./errors.ts";
import type { TicketInfo } from "./types.ts";
import { storageKeys } from "./keys.ts";

/** How long a ticket is used after its receipt: 12 hours. */
export const TICKET_VALIDITY_MS = 12 * 60 * 60 * 1000;

interface StoredTicket {
  ticket: string;
  receivedAt: number;
  createTime?: number;
}

/**
 * Keeps the last ticket WeChat pushed.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@wxopen/component";
 * import { TicketKeeper } from "./_ticket.ts";
 *
 * const tickets = new TicketKeeper(new MemoryStore(), () => Date.now());
 * await tickets.accept("ticket@@@abc");
 * console.log(await tickets.usable()); // "ticket@@@abc"
 * ```
 */
export class TicketKeeper {
  readonly #store: Store;
  readonly #now: () => number;

  /** Creates a keeper over `store`, reading time from `now` (milliseconds). */
  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * Stores `ticket` received at `receivedAt` (default: now). A push whose `createTime`
   * (WeChat's `CreateTime`, seconds) is older than the stored ticket's is ignored, so a late
   * retry of an old push cannot replace a newer ticket.
   */
  async accept(
    ticket: string,
    options: { receivedAt?: number; createTime?: number } = {},
  ): Promise<TicketInfo> {
    if (typeof ticket !== "string" || ticket.trim() === "") {
      throw new TypeError("Invalid ticket: expected a non-empty string");
    }
    const receivedAt = options.receivedAt ?? this.#now();
    if (!Number.isFinite(receivedAt)) {
      throw new TypeError("Invalid receivedAt: expected milliseconds since the epoch");
    }
    if (options.createTime !== undefined) {
      const stored = await this.#read();
      if (stored?.createTime !== undefined && stored.createTime > options.createTime) {
        return toInfo(stored);
      }
      // WeChat's retry (or a replay) of the push already stored: nothing to write.
      if (stored?.createTime === options.createTime && stored.ticket === ticket) {
        return toInfo(stored);
      }
    }
    const record: StoredTicket = { ticket, receivedAt, createTime: options.createTime };
    await this.#store.put(storageKeys.ticket, JSON.stringify(record), {
      metadata: { receivedAt, expiresAt: receivedAt + TICKET_VALIDITY_MS },
    });
    return toInfo(record);
  }

  /** The stored ticket, even a stale one, or `null` (for health reports). */
  async current(): Promise<TicketInfo | null> {
    const stored = await this.#read();
    return stored ? toInfo(stored) : null;
  }

  /** The ticket to use now; throws {@linkcode MissingTicketError} when none is usable. */
  async usable(): Promise<string> {
    const stored = await this.#read();
    if (!stored) throw new MissingTicketError("none has been received yet");
    if (this.#now() >= stored.receivedAt + TICKET_VALIDITY_MS) {
      throw new MissingTicketError("the last one is older than 12 hours");
    }
    return stored.ticket;
  }

  async #read(): Promise<StoredTicket | null> {
    const raw = await this.#store.get(storageKeys.ticket);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as StoredTicket;
      if (typeof parsed.ticket === "string" && typeof parsed.receivedAt === "number") return parsed;
    } catch {
      // fall through: a corrupt record counts as no ticket
    }
    return null;
  }
}

function toInfo(stored: StoredTicket): TicketInfo {
  return {
    ticket: stored.ticket,
    receivedAt: stored.receivedAt,
    expiresAt: stored.receivedAt + TICKET_VALIDITY_MS,
  };
}

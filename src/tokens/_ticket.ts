/**
 * The `component_verify_ticket`: stored with its receive time and WeChat's `CreateTime`, usable
 * for 12 hours from the earlier of the two.
 *
 * @module
 */

import { WxOpenError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { MissingTicketError } from "./errors.ts";
import type { TicketInfo } from "./types.ts";
import { storageKeys } from "./keys.ts";

/**
 * How long a ticket is used: 12 hours from the earlier of its receipt and WeChat's
 * `CreateTime`.
 */
export const TICKET_VALIDITY_MS = 12 * 60 * 60 * 1000;

/**
 * How far a push's `CreateTime` (WeChat's clock) may be ahead of its receipt (our clock): 5
 * minutes. A ticket created further in the future is refused: stored, it would make every later
 * genuine push look older and be ignored.
 */
export const TICKET_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The stored JSON (v1). `createTime` is absent on manual tickets and on older records. */
interface StoredTicket {
  ticket: string;
  receivedAt: number;
  /** WeChat's `CreateTime`, seconds. */
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
   * retry of an old push cannot replace a newer ticket; the same ticket with the same
   * `createTime` (WeChat's retry) writes nothing.
   *
   * A `createTime` more than {@linkcode TICKET_CLOCK_SKEW_MS} ahead of `receivedAt`, or one
   * already {@linkcode TICKET_VALIDITY_MS} old at `receivedAt`, is refused with a
   * {@linkcode WxOpenError} `invalid_field` and nothing is stored. The two clocks compared are
   * WeChat's and ours: a clock of ours running more than the skew behind WeChat's refuses genuine
   * pushes (the stored ticket stays in use until it expires).
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
    const createTime = options.createTime;
    if (createTime !== undefined) {
      const createdAt = createTime * 1000;
      // Written so that a CreateTime that is not a number is refused too.
      if (
        !(createdAt <= receivedAt + TICKET_CLOCK_SKEW_MS &&
          createdAt > receivedAt - TICKET_VALIDITY_MS)
      ) {
        throw new WxOpenError(
          "invalid_field",
          "Refused component_verify_ticket: CreateTime over 5 min ahead or 12 h old",
        );
      }
      const stored = await this.#read();
      if (stored?.createTime !== undefined && stored.createTime > createTime) {
        return toInfo(stored);
      }
      // WeChat's retry (or a replay) of the push already stored: nothing to write.
      if (stored?.createTime === createTime && stored.ticket === ticket) {
        return toInfo(stored);
      }
    }
    const record: StoredTicket = { ticket, receivedAt, createTime };
    const info = toInfo(record);
    await this.#store.put(storageKeys.ticket, JSON.stringify(record), {
      metadata: { receivedAt, expiresAt: info.expiresAt },
    });
    return info;
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
    if (this.#now() >= toInfo(stored).expiresAt) {
      throw new MissingTicketError("the last one is older than 12 hours");
    }
    return stored.ticket;
  }

  async #read(): Promise<StoredTicket | null> {
    const raw = await this.#store.get(storageKeys.ticket);
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as StoredTicket;
      if (typeof parsed.ticket === "string" && typeof parsed.receivedAt === "number") {
        // A CreateTime beyond the skew ahead of its receipt (stored before such pushes were
        // refused) is not trusted: it would pin the ticket.
        if (parsed.createTime! * 1000 > parsed.receivedAt + TICKET_CLOCK_SKEW_MS) {
          delete parsed.createTime;
        }
        return parsed;
      }
    } catch {
      // fall through: a corrupt record counts as no ticket
    }
    return null;
  }
}

function toInfo({ ticket, receivedAt, createTime }: StoredTicket): TicketInfo {
  const createdAt = createTime! * 1000;
  const info: TicketInfo = {
    ticket,
    receivedAt,
    // No CreateTime: NaN, so the receipt counts.
    expiresAt: Math.min(receivedAt, createdAt || receivedAt) + TICKET_VALIDITY_MS,
  };
  if (createTime !== undefined) info.createdAt = createdAt;
  return info;
}

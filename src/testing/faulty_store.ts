/**
 * A {@linkcode Store} wrapper for tests that injects the failures real stores have: a write
 * that fails, a write that lands but reports failure, a rate limit (Workers KV's 429), and
 * latency — on chosen operations, keys, and call counts. It also records every call, so a
 * test can assert how many reads or writes a code path made.
 *
 * @module
 */

import { StoreError, StoreRateLimitError } from "../store/errors.ts";
import type {
  Store,
  StoreListOptions,
  StoreListPage,
  StorePutOptions,
  StoreRecord,
} from "../store/store.ts";

/** A {@linkcode Store} operation name. */
export type StoreOperation = "get" | "getWithMetadata" | "put" | "delete" | "list";

/**
 * What an injected fault does: `"error"` throws a retryable {@linkcode StoreError},
 * `"rate-limit"` a {@linkcode StoreRateLimitError}, `"delay"` only waits `delayMs`; or an
 * `Error` of your own, thrown as is.
 */
export type StoreFault = "error" | "rate-limit" | "delay" | Error;

/** One fault to inject, see {@linkcode FaultyStore.inject}. */
export interface FaultRule {
  /** The fault; default `"error"`. */
  fault?: StoreFault;
  /** Operations it applies to; default all. */
  ops?: StoreOperation | readonly StoreOperation[];
  /**
   * Keys it applies to: an exact key, a pattern, or a predicate. For `list` the key tested is
   * the prefix. Default all keys.
   */
  key?: string | RegExp | ((key: string) => boolean);
  /** Let this many matching calls through before the first fault; default 0. */
  skip?: number;
  /** How many matching calls fail; default 1, `Infinity` for all. */
  times?: number;
  /** Milliseconds to wait before the call proceeds or fails; default 0 (required for "delay"). */
  delayMs?: number;
  /**
   * `"before"` (default): the call fails without reaching the store. `"after"`: the call is
   * performed and then reported as failed — a write whose outcome the caller cannot know.
   */
  when?: "before" | "after";
}

/** A rule added by {@linkcode FaultyStore.inject}. */
export interface FaultHandle {
  /** How many calls this rule has faulted so far. */
  readonly hits: number;
  /** Stops injecting this fault. */
  remove(): void;
}

/** One recorded call. */
export interface StoreCall {
  /** The operation. */
  op: StoreOperation;
  /** The key, or the prefix for `list`. */
  key: string;
  /** `"ok"`, or the fault that was injected. */
  outcome: "ok" | "error" | "rate-limit" | "delay" | "custom";
}

/** Options of {@linkcode FaultyStore}. */
export interface FaultyStoreOptions {
  /**
   * Reproduce Workers KV's limit of one write per second per key: a `put` or `delete` of a key
   * written less than 1000 ms before (on `now`) fails with a {@linkcode StoreRateLimitError}
   * and changes nothing. Default false.
   */
  kvWriteRateLimit?: boolean;
  /** The clock for `kvWriteRateLimit`, in ms; default `Date.now`. */
  now?: () => number;
}

interface ActiveRule {
  rule: FaultRule;
  ops: readonly StoreOperation[] | undefined;
  seen: number;
  hits: number;
}

/**
 * Wraps a store and injects faults into chosen calls; passes everything else through.
 *
 * @example The second write to a refresh token fails
 * ```ts
 * import { MemoryStore, StoreError } from "@wxopen/component";
 * import { FaultyStore } from "@wxopen/component/testing";
 *
 * const store = new FaultyStore(new MemoryStore());
 * store.inject({ ops: "put", key: /refresh_token$/, skip: 1, times: 1 });
 * await store.put("authorizer:wx1:refresh_token", "R1");
 * await store.put("authorizer:wx1:refresh_token", "R2").catch((e) => {
 *   console.assert(e instanceof StoreError && e.retryable);
 * });
 * console.assert(await store.get("authorizer:wx1:refresh_token") === "R1");
 * console.assert(store.count("put") === 2);
 * ```
 */
export class FaultyStore implements Store {
  /** Every call made through this wrapper, in order. */
  readonly calls: StoreCall[] = [];
  readonly #inner: Store;
  readonly #now: () => number;
  readonly #lastWrite: Map<string, number> | undefined;
  #rules: ActiveRule[] = [];

  /** Wraps `inner`. */
  constructor(inner: Store, options: FaultyStoreOptions = {}) {
    if (inner === null || typeof inner !== "object" || typeof inner.get !== "function") {
      throw new TypeError("FaultyStore needs a store to wrap");
    }
    this.#inner = inner;
    this.#now = options.now ?? Date.now;
    this.#lastWrite = options.kvWriteRateLimit ? new Map() : undefined;
  }

  /** The wrapped store, to inspect state without faults or recording. */
  get inner(): Store {
    return this.#inner;
  }

  /**
   * Adds a fault rule. Rules are checked in the order added; the first matching rule with
   * faults left applies.
   */
  inject(rule: FaultRule): FaultHandle {
    const fault = rule.fault ?? "error";
    if (fault === "delay" && !(typeof rule.delayMs === "number" && rule.delayMs > 0)) {
      throw new RangeError("FaultyStore delay fault needs a positive delayMs");
    }
    const times = rule.times ?? 1;
    if (!(times >= 0)) throw new RangeError("FaultyStore times must be zero or more");
    const ops = rule.ops === undefined
      ? undefined
      : typeof rule.ops === "string"
      ? [rule.ops]
      : [...rule.ops];
    const active: ActiveRule = { rule: { ...rule, fault, times }, ops, seen: 0, hits: 0 };
    this.#rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        this.#rules = this.#rules.filter((r) => r !== active);
      },
    };
  }

  /** Removes every fault rule. */
  clearFaults(): void {
    this.#rules = [];
  }

  /** How many recorded calls match `op` (and `key`, when given). */
  count(op?: StoreOperation, key?: string): number {
    return this.calls.filter((c) =>
      (op === undefined || c.op === op) && (
        key === undefined || c.key === key
      )
    ).length;
  }

  /** Forgets recorded calls. */
  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Reads through, unless a fault applies. */
  get(key: string): Promise<string | null> {
    return this.#run("get", key, () => this.#inner.get(key));
  }

  /** Reads through, unless a fault applies. */
  getWithMetadata(key: string): Promise<StoreRecord> {
    return this.#run("getWithMetadata", key, () => this.#inner.getWithMetadata(key));
  }

  /** Writes through, unless a fault applies. */
  put(key: string, value: string, options?: StorePutOptions): Promise<void> {
    return this.#run("put", key, () => this.#inner.put(key, value, options));
  }

  /** Deletes through, unless a fault applies. */
  delete(key: string): Promise<void> {
    return this.#run("delete", key, () => this.#inner.delete(key));
  }

  /** Lists through, unless a fault applies (matched on the prefix). */
  list(options: StoreListOptions): Promise<StoreListPage> {
    return this.#run("list", options?.prefix ?? "", () => this.#inner.list(options));
  }

  async #run<T>(op: StoreOperation, key: string, call: () => Promise<T>): Promise<T> {
    const active = this.#match(op, key);
    const record: StoreCall = { op, key, outcome: "ok" };
    this.calls.push(record);
    if (this.#lastWrite !== undefined && (op === "put" || op === "delete")) {
      const now = this.#now();
      const last = this.#lastWrite.get(key);
      if (last !== undefined && now - last < 1000) {
        record.outcome = "rate-limit";
        throw new StoreRateLimitError(`Rate limit: more than one write per second to a key`);
      }
      if (active === undefined || active.rule.fault === "delay" || active.rule.when === "after") {
        this.#lastWrite.set(key, now);
      }
    }
    if (active === undefined) return await call();
    const { fault, delayMs, when } = active.rule;
    record.outcome = fault instanceof Error ? "custom" : fault!;
    if (delayMs !== undefined && delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    if (fault === "delay") return await call();
    if (when === "after") await call();
    throw faultError(fault!, op);
  }

  #match(op: StoreOperation, key: string): ActiveRule | undefined {
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.ops !== undefined && !active.ops.includes(op)) continue;
      if (!keyMatches(rule.key, key)) continue;
      active.seen++;
      if (active.seen <= (rule.skip ?? 0)) continue;
      if (active.hits >= rule.times!) continue;
      active.hits++;
      return active;
    }
    return undefined;
  }
}

function keyMatches(matcher: FaultRule["key"], key: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === "string") return matcher === key;
  if (matcher instanceof RegExp) {
    matcher.lastIndex = 0;
    return matcher.test(key);
  }
  return matcher(key);
}

function faultError(fault: StoreFault, op: StoreOperation): Error {
  if (fault instanceof Error) return fault;
  if (fault === "rate-limit") return new StoreRateLimitError(`Injected rate limit on store ${op}`);
  return new StoreError(`Injected store ${op} failure`, { retryable: true });
}

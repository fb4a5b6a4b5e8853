/**
 * One in-flight operation per key: concurrent callers share a single promise.
 *
 * @module
 */

/**
 * Deduplicates concurrent work by key. The first caller for a key starts the work; every caller
 * arriving while it runs gets the same promise; the entry is removed when the work settles
 * (in `finally`), so the next caller after that starts afresh.
 *
 * @example Two concurrent refreshes, one upstream call
 * ```ts
 * import { SingleFlight } from "./_single_flight.ts";
 *
 * const flights = new SingleFlight<string>();
 * let calls = 0;
 * const work = async () => { calls++; return "token"; };
 * await Promise.all([flights.run("component", work), flights.run("component", work)]);
 * console.log(calls); // 1
 * ```
 */
export class SingleFlight<T> {
  #inflight = new Map<string, Promise<T>>();

  /** Runs `work` for `key`, or joins the run already in progress. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    // `work` starts in a microtask, after the entry is registered, so even a synchronous throw
    // cannot leave a settled promise behind in the map.
    const promise: Promise<T> = Promise.resolve().then(work).finally(() => {
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
    });
    this.#inflight.set(key, promise);
    return promise;
  }

  /** The run in progress for `key`, if any. */
  current(key: string): Promise<T> | undefined {
    return this.#inflight.get(key);
  }

  /** Number of runs in progress. */
  get size(): number {
    return this.#inflight.size;
  }
}

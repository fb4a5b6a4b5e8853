/**
 * Isolate-wide counters of KV reads and upstream (WeChat) calls, and the wrappers that count
 * them. Routes report the difference over one request in `X-Wxopen-Kv-Reads` and
 * `X-Wxopen-Upstream-Calls` (exact for sequential requests; an upper bound under concurrency).
 *
 * @module
 */

import type { KvNamespaceLike } from "../src/store/kv.ts";

/** The counters of this isolate. */
export const counters: { kvReads: number; kvWrites: number; upstreamCalls: number } = {
  kvReads: 0,
  kvWrites: 0,
  upstreamCalls: 0,
};

/** A KV namespace whose reads and writes are counted. */
export function countingKv(kv: KvNamespaceLike): KvNamespaceLike {
  return {
    get(key, type) {
      counters.kvReads++;
      return kv.get(key, type);
    },
    getWithMetadata(key, type) {
      counters.kvReads++;
      return kv.getWithMetadata(key, type);
    },
    put(key, value, options) {
      counters.kvWrites++;
      return kv.put(key, value, options);
    },
    delete(key) {
      counters.kvWrites++;
      return kv.delete(key);
    },
    list(options) {
      counters.kvReads++;
      return kv.list(options);
    },
  };
}

/** A fetch whose calls are counted as upstream calls. */
export function countingFetch(inner: typeof fetch): typeof fetch {
  return ((input: RequestInfo | URL, init?: RequestInit) => {
    counters.upstreamCalls++;
    return inner(input, init);
  }) as typeof fetch;
}

/** A snapshot to diff against at the end of a request. */
export function snapshot(): { kvReads: number; upstreamCalls: number } {
  return { kvReads: counters.kvReads, upstreamCalls: counters.upstreamCalls };
}

/**
 * What happened to authorizer messages and platform events in this isolate since it started
 * (reported by `/healthz`): forwards that reached the target (`delivered`), passive replies sent
 * (`replied`), handlers or forwards that overran the reply budget (`late`), queued deliveries
 * retried (`retried`), dead letters stored (`dead_lettered`), WeChat retries answered from the
 * first copy (`duplicates`), forward answers whose reply was refused (`bad_replies`), and
 * handler failures (`failed`).
 */
export const messageCounters: {
  delivered: number;
  replied: number;
  late: number;
  retried: number;
  dead_lettered: number;
  duplicates: number;
  bad_replies: number;
  failed: number;
} = {
  delivered: 0,
  replied: 0,
  late: 0,
  retried: 0,
  dead_lettered: 0,
  duplicates: 0,
  bad_replies: 0,
  failed: 0,
};

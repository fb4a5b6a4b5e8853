/**
 * The part of Miniflare's API the tests and benchmarks use. Miniflare's own declarations import
 * `@cloudflare/workers-types/experimental`, whose global `Request`, `Response` and `Body` would
 * replace Deno's in every program that also type-checks the worker (which imports
 * `@cloudflare/workers-types` as modules): imports of `miniflare` take these types instead
 * (`// @ts-types="./_miniflare.d.ts"`). Bindings come back as `unknown`: each test casts them to
 * the shape it uses.
 *
 * @module
 */

/** Miniflare's options (see its documentation); checked by Miniflare at runtime. */
export type MiniflareOptions = Record<string, unknown>;

/** A local workerd with the configured workers and bindings. */
export declare class Miniflare {
  constructor(options: MiniflareOptions);
  /** Resolves with the URL the runtime listens on once it is ready. */
  readonly ready: Promise<URL>;
  /** Sends a request to the first worker. */
  dispatchFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** A KV namespace binding of a worker. */
  getKVNamespace(binding: string, workerName?: string): Promise<unknown>;
  /** The named worker's handlers (`fetch`, `scheduled`, …). */
  getWorker(workerName?: string): Promise<unknown>;
  /** A Durable Object namespace binding of a worker. */
  getDurableObjectNamespace(binding: string, workerName?: string): Promise<unknown>;
  /** Changes the options (restarts the runtime). */
  setOptions(options: MiniflareOptions): Promise<void>;
  /** Stops the runtime. */
  dispose(): Promise<void>;
}

/** Miniflare's `Response` class (what an outbound service must answer with). */
export declare const Response: typeof globalThis.Response;
/** An instance of Miniflare's `Response`. */
export type Response = globalThis.Response;

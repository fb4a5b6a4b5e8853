/**
 * What one isolate builds once per environment: validated settings, the sealed KV store, the
 * message crypto, the worker's credentials port with its short in-isolate token cache, and the
 * request-path client that takes every token from that port.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { Store } from "../mod.ts";
import { SealingStore } from "../src/store/_sealing.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { KvStore } from "../src/store/kv.ts";
import { WorkerClient } from "./client.ts";
import { countingFetch, countingKv } from "./counters.ts";
import { type TokenCache, type WorkerCredentials, workerCredentials } from "./credentials.ts";
import type { Env } from "./env.ts";
import { loadSettings, type Settings } from "./settings.ts";

/** Per-isolate state of one environment. */
export interface Runtime {
  settings: Settings;
  /** Sealed store over the `TOKENS` namespace (reads and writes go to KV). */
  store: Store;
  /** The fetch that reaches WeChat (counted). */
  upstream: typeof fetch;
  /** Message crypto of the component (token, EncodingAESKey, appid). */
  crypto: Promise<MessageCrypto>;
  /**
   * Where request-path tokens come from: the isolate cache, one KV read, then the credential's
   * coordinator (worker/credentials.ts).
   */
  credentials: WorkerCredentials;
  /**
   * The client for request handlers: every token from {@linkcode credentials}, so it never
   * refreshes or writes one; its managed store is read for stored tokens and records.
   */
  client: WorkerClient;
  /** Short cache of access tokens by credential name. */
  tokenCache: TokenCache;
}

const runtimes = new WeakMap<object, Runtime>();

/**
 * The runtime of `env` (built at the first call; throws the settings error when a setting is
 * missing or malformed).
 */
export function runtimeFor(env: Env, upstreamFetch?: typeof fetch): Runtime {
  const hit = runtimes.get(env);
  if (hit) return hit;
  const settings = loadSettings(env);
  const store = new SealingStore(new KvStore(countingKv(env.TOKENS)), { key: settings.storageKey });
  const upstream = countingFetch(upstreamFetch ?? ((input, init) => fetch(input, init)));
  const crypto = MessageCrypto.create({
    token: settings.componentToken,
    encodingAesKey: settings.componentAesKey,
    appId: settings.componentAppId,
    previousEncodingAesKey: settings.componentAesKeyPrevious,
  });
  crypto.catch(() => {});
  const tokenCache: TokenCache = new Map();
  const credentials = workerCredentials(env, tokenCache, () => client.managed);
  const client = new WorkerClient({ settings, store, upstream, credentials });
  const runtime: Runtime = { settings, store, upstream, crypto, credentials, client, tokenCache };
  runtimes.set(env, runtime);
  return runtime;
}

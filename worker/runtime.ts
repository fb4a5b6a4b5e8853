/**
 * What one isolate builds once per environment: validated settings, the sealed KV store, the
 * message crypto, the request-path client and the short in-isolate token cache.
 *
 * @module
 */

import { MessageCrypto, SealedStore, type Store } from "../mod.ts";
import { KvStore } from "../src/store/kv.ts";
import { countingFetch, countingKv } from "./counters.ts";
import { makeClient, type WorkerClient } from "./core.ts";
import type { Env } from "./env.ts";
import { routedFetch } from "./routing.ts";
import { ScopedStore } from "./scoped_store.ts";
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
   * A client for request handlers: it reads KV, never writes a credential (writes stay in a
   * short overlay), and gets component tokens from the component coordinator.
   */
  client: WorkerClient;
  /** Short cache of access tokens by credential name. */
  tokenCache: Map<string, { token: string; expiresAt: number; until: number }>;
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
  const store = new SealedStore(new KvStore(countingKv(env.TOKENS)), {
    key: settings.storageKey,
  });
  const upstream = countingFetch(upstreamFetch ?? ((input, init) => fetch(input, init)));
  const crypto = MessageCrypto.create({
    token: settings.componentToken,
    encodingAesKey: settings.componentAesKey,
    appId: settings.componentAppId,
    previousEncodingAesKey: settings.componentAesKeyPrevious,
  });
  crypto.catch(() => {});
  const requestStore = new ScopedStore(store, { owns: () => false });
  const runtime: Runtime = {
    settings,
    store,
    upstream,
    crypto,
    client: makeClient(settings, requestStore, routedFetch(env, upstream)),
    tokenCache: new Map(),
  };
  runtimes.set(env, runtime);
  return runtime;
}

/**
 * How a credential's Durable Object builds its client: a sealed store over the object's own
 * storage, written through to KV, and the isolate's settings and upstream fetch.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { ComponentClient, type Credentials, SealedStore } from "../../mod.ts";
import { KvStore } from "../../src/store/kv.ts";
import { countingKv } from "../counters.ts";
import type { Env } from "../env.ts";
import { type Runtime, runtimeFor } from "../runtime.ts";
import { DurableStore } from "./durable_store.ts";

/** Seconds before expiry at which tokens are replaced (the core's default, made explicit). */
export const REFRESH_MARGIN_SECONDS = 600;

/** Options the objects are built with (dev injects the simulator's fetch). */
export interface ObjectOptions {
  /** The fetch that reaches WeChat (default: the global fetch). */
  upstreamFetch?: typeof fetch;
  /** Adjusts the environment before use (dev fills in default settings). */
  envTransform?: (env: Env) => Env;
}

/** What an object works with. */
export interface ObjectRuntime {
  /** The isolate's runtime (settings, the request-path credentials port). */
  rt: Runtime;
  /** The object's store (unsealed layer: its storage, written through to KV). */
  store: DurableStore;
  /** A client whose managed credentials live in {@linkcode store}. */
  client: ComponentClient;
}

/**
 * The runtime of an object over `storage`. The component's object manages the component token
 * itself; an authorizer's object takes it through the isolate's credentials port.
 */
export function objectRuntime(
  storage: DurableObjectStorage,
  rawEnv: Env,
  options: ObjectOptions,
  kind: "component" | "authorizer",
): ObjectRuntime {
  const env = options.envTransform ? options.envTransform(rawEnv) : rawEnv;
  const rt = runtimeFor(env, options.upstreamFetch);
  const store = new DurableStore(storage, new KvStore(countingKv(env.TOKENS)));
  const credentials: Partial<Credentials> = kind === "component"
    ? {}
    : { componentToken: (request) => rt.credentials.componentToken(request) };
  const client = clientOver(
    rt,
    new SealedStore(store, { key: rt.settings.storageKey }),
    credentials,
  );
  return { rt, store, client };
}

/** A `ComponentClient` of the worker's settings over `store`. */
export function clientOver(
  rt: Pick<Runtime, "settings" | "upstream">,
  store: ConstructorParameters<typeof SealedStore>[0],
  credentials?: Partial<Credentials>,
): ComponentClient {
  return new ComponentClient({
    appId: rt.settings.componentAppId,
    appSecret: rt.settings.componentAppSecret,
    store,
    fetch: rt.upstream,
    apiBase: rt.settings.apiBase,
    refreshMarginSeconds: REFRESH_MARGIN_SECONDS,
    credentials,
  });
}

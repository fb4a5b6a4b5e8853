/**
 * How a credential's Durable Object builds its client: a sealed store over the object's own
 * storage, written through to KV, and the isolate's settings and upstream fetch.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { Credentials } from "../../mod.ts";
import { SealingStore } from "../../src/store/_sealing.ts";
import { KvStore } from "../../src/store/kv.ts";
import { WorkerClient } from "../client.ts";
import { countingKv } from "../counters.ts";
import type { Env } from "../env.ts";
import { type Runtime, runtimeFor } from "../runtime.ts";
import { DurableStore } from "./durable_store.ts";

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
  client: WorkerClient;
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
  const client = new WorkerClient({
    settings: rt.settings,
    store: new SealingStore(store, { key: rt.settings.storageKey }),
    upstream: rt.upstream,
    credentials,
  });
  return { rt, store, client };
}

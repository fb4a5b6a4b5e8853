/**
 * The Hono environment type shared by the worker's routes.
 *
 * @module
 */

import type { Env } from "./env.ts";
import type { HandlerOptions } from "./handlers.ts";
import type { Runtime } from "./runtime.ts";
import type { Settings } from "./settings.ts";

/** Bindings and per-request variables of the worker's Hono app. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    settings: Settings;
    service: Runtime;
    /** The checked `:appid` parameter (see `appidParam`). */
    appid: string;
  };
}

/** Options of the app (and of the objects built with it). */
export interface AppOptions extends HandlerOptions {
  /** The fetch that reaches WeChat (default: the global fetch). */
  upstreamFetch?: typeof fetch;
  /** Adjusts the environment before use (dev fills in default settings). */
  envTransform?: (env: Env) => Env;
  /** Rewrites the link to WeChat's authorization page (dev points it at the simulator). */
  authorizationLink?: (link: string, requestUrl: URL) => string;
}

/**
 * The Hono environment type shared by the worker's routes.
 *
 * @module
 */

import type { Env } from "./env.ts";
import type { Runtime } from "./runtime.ts";
import type { Settings } from "./settings.ts";

/** Bindings and per-request variables of the worker's Hono app. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    settings: Settings;
    service: Runtime;
  };
}

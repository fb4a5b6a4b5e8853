/**
 * The worker's one construction point of the core's `ComponentClient`.
 *
 * @module
 */

import { ComponentClient, type Credentials, type Store } from "../mod.ts";
import type { Settings } from "./settings.ts";

/** The client type the worker uses. */
export type WorkerClient = ComponentClient;

/** Seconds before expiry at which tokens are replaced (the core's default, made explicit). */
export const REFRESH_MARGIN_SECONDS = 600;

/**
 * A `ComponentClient` over `store`, reaching WeChat through `fetchFn`; the token kinds
 * `credentials` implements come from there, the others are managed over `store`.
 */
export function makeClient(
  settings: Settings,
  store: Store,
  fetchFn: typeof fetch,
  credentials?: Partial<Credentials>,
): WorkerClient {
  return new ComponentClient({
    appId: settings.componentAppId,
    appSecret: settings.componentAppSecret,
    store,
    fetch: fetchFn,
    apiBase: settings.apiBase,
    refreshMarginSeconds: REFRESH_MARGIN_SECONDS,
    credentials,
  });
}

/**
 * `ComponentClient`'s options, checked at construction: the first invalid one is named in a
 * TypeError, before anything else happens.
 *
 * @module
 */

import type { Store } from "../store/store.ts";
import type { Credentials } from "../tokens/credentials.ts";
import { isAppId } from "../tokens/keys.ts";

/** Options of `ComponentClient`. */
export interface ComponentClientOptions {
  /** The third-party platform's appid (component_appid). */
  appId: string;
  /** The third-party platform's appsecret. */
  appSecret: string;
  /** Where tickets, tokens and authorizer records live. */
  store: Store;
  /** The fetch function; default `globalThis.fetch`. A `WeChatSimulator` fits here. */
  fetch?: typeof fetch;
  /** API host; default `https://api.weixin.qq.com`. */
  apiBase?: string;
  /** Host of the PC authorization page; default `https://mp.weixin.qq.com`. */
  mpBase?: string;
  /** Host of the mobile authorization page and OAuth; default `https://open.weixin.qq.com`. */
  openBase?: string;
  /** The clock, milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** Deadline of every request in milliseconds; default 10000. */
  timeoutMs?: number;
  /**
   * Access tokens are replaced this many seconds before they expire (at most half their
   * lifetime); default 600 (WeChat suggests refreshing a 2 h token after 1 h 50 min).
   */
  refreshMarginSeconds?: number;
  /**
   * Called after a new authorizer_refresh_token has been written to the store and before any
   * access token derived from it is returned: a place for a second durable copy. Awaited; a
   * throw fails the operation (the store already has the token).
   */
  onAuthorizerRefreshToken?: (authorizerAppId: string, refreshToken: string) => unknown;
  /**
   * Where the tokens every call carries come from. Default: managed over `store`. A port that
   * implements only some kinds leaves the others managed here (a worker's authorizer instance
   * takes component tokens from the component's single writer).
   */
  credentials?: Partial<Credentials>;
}

/** The options after checking, with defaults filled in. */
export interface CheckedOptions {
  appId: string;
  appSecret: string;
  store: Store;
  fetch: typeof fetch;
  apiBase: string;
  mpBase: string;
  openBase: string;
  now: () => number;
  timeoutMs: number;
  refreshMarginSeconds: number;
  onAuthorizerRefreshToken?: (authorizerAppId: string, refreshToken: string) => unknown;
  credentials: Partial<Credentials>;
}

const STORE_METHODS = ["get", "getWithMetadata", "put", "delete", "list"];

function optionError(name: string, expected: string): TypeError {
  return new TypeError(`Invalid ComponentClient option ${name}: expected ${expected}`);
}

function checkBase(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !/^https?:\/\/[^\s/?#]+/.test(value)) {
    throw optionError(name, "an http(s) URL");
  }
  return value.replace(/\/+$/, "");
}

function optionalFunction(name: string, value: unknown, expected = "a function"): void {
  if (value !== undefined && typeof value !== "function") throw optionError(name, expected);
}

/** Checks `options`; throws TypeError naming the first invalid one. */
export function checkOptions(options: ComponentClientOptions): CheckedOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError("Invalid ComponentClient options: expected an object");
  }
  if (!isAppId(options.appId)) throw optionError("appId", "the component appid (wx + 16)");
  if (typeof options.appSecret !== "string" || options.appSecret.trim() === "") {
    throw optionError("appSecret", "a non-empty string");
  }
  const store = options.store as unknown as Record<string, unknown> | null;
  if (
    store === null || typeof store !== "object" ||
    !STORE_METHODS.every((m) => typeof store[m] === "function")
  ) {
    throw optionError("store", "a Store (get, getWithMetadata, put, delete, list)");
  }
  optionalFunction("fetch", options.fetch);
  optionalFunction("now", options.now, "a function returning milliseconds");
  optionalFunction("onAuthorizerRefreshToken", options.onAuthorizerRefreshToken);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw optionError("timeoutMs", "a positive number of milliseconds");
  }
  const margin = options.refreshMarginSeconds ?? 600;
  if (typeof margin !== "number" || !Number.isFinite(margin) || margin < 0) {
    throw optionError("refreshMarginSeconds", "zero or more seconds");
  }
  const credentials = options.credentials ?? {};
  if (credentials === null || typeof credentials !== "object") {
    throw optionError("credentials", "an object with componentToken and/or authorizerToken");
  }
  optionalFunction("credentials.componentToken", credentials.componentToken);
  optionalFunction("credentials.authorizerToken", credentials.authorizerToken);
  const userFetch = options.fetch;
  return {
    appId: options.appId,
    appSecret: options.appSecret,
    store: options.store,
    fetch: userFetch ?? ((input, init) => globalThis.fetch(input, init)),
    apiBase: checkBase("apiBase", options.apiBase, "https://api.weixin.qq.com"),
    mpBase: checkBase("mpBase", options.mpBase, "https://mp.weixin.qq.com"),
    openBase: checkBase("openBase", options.openBase, "https://open.weixin.qq.com"),
    now: options.now ?? (() => Date.now()),
    timeoutMs,
    refreshMarginSeconds: margin,
    onAuthorizerRefreshToken: options.onAuthorizerRefreshToken,
    credentials,
  };
}

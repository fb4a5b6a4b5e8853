/**
 * `ComponentClient`: every WeChat Open Platform component API, with the ticket, the
 * `component_access_token` and every authorizer's tokens managed over a pluggable store.
 *
 * @example Ticket in, authorizer token out
 * ```ts
 * import { ComponentClient, MemoryStore } from "@wxopen/component";
 *
 * const client = new ComponentClient({
 *   appId: "wx1234567890abcdef",
 *   appSecret: "the-component-appsecret",
 *   store: new MemoryStore(),
 * });
 * // From the authorization event URL (after MessageCrypto.open + parseComponentEvent):
 * // await client.handleComponentEvent(event);
 * // Later, anywhere:
 * // const token = await client.authorizerAccessToken("wxf8b4f85f3a794e77");
 * ```
 *
 * @module
 */

import type * as v from "valibot";
import type { Store } from "../store/store.ts";
import { StoreError } from "../store/errors.ts";
import { toHex, utf8Encode } from "../_bytes.ts";
import { buildUrl, errcodeInBody, type HttpContext, requestJson, requestRaw } from "./_http.ts";
import {
  AnyObjectSchema,
  AuthorizerInfoSchema,
  AuthorizerListSchema,
  AuthorizerOptionSchema,
  AuthorizerTokenSchema,
  ComponentAccessTokenSchema,
  Jscode2SessionSchema,
  OAuthAccessTokenSchema,
  OkSchema,
  PreAuthCodeSchema,
  QueryAuthSchema,
} from "./_schemas.ts";
import {
  INVALID_TOKEN_ERRCODES,
  isInvalidTokenError,
  MissingTicketError,
  ReauthorizationRequiredError,
  WeChatError,
} from "./errors.ts";
import type {
  AccessTokenInfo,
  AuthorizerInfoResponse,
  AuthorizerListResponse,
  AuthorizerOptionResponse,
  AuthorizerPage,
  AuthorizerRecord,
  AuthorizerTokenResponse,
  ComponentAccessTokenResponse,
  ExpiringToken,
  Jscode2SessionResponse,
  OAuthAccessTokenResponse,
  OkResponse,
  PreAuthCodeResponse,
  QueryAuthResponse,
  TicketInfo,
} from "./types.ts";
import { ManagedTokens } from "../tokens/_managed.ts";
import { AuthorizerTokens } from "../tokens/authorizer_tokens.ts";
import { checkAppId, storageKeys } from "../tokens/keys.ts";
import { TicketKeeper } from "../tokens/ticket.ts";

/** Options of {@linkcode ComponentClient}. */
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
}

/** Options of {@linkcode ComponentClient.authorizationUrl}. */
export interface AuthorizationUrlOptions {
  /** From {@linkcode ComponentClient.createPreAuthCode} (single use). */
  preAuthCode: string;
  /** Where WeChat sends the browser back with `auth_code`; an `http(s)` URL. */
  redirectUri: string;
  /**
   * 1 Official Accounts, 2 Mini Programs, 3 both (default), 4 推客, 5 视频号, 6 all, 8 带货助手.
   */
  authType?: 1 | 2 | 3 | 4 | 5 | 6 | 8;
  /** Only this account may authorize. */
  bizAppId?: string;
  /** Permission-set ids offered (default: every released set). */
  categoryIdList?: readonly (number | string)[];
  /** True for the H5 link opened inside WeChat (`bindcomponent`), false for the PC QR page. */
  mobile?: boolean;
}

/** Options of {@linkcode ComponentClient.oauthUrl}. */
export interface OAuthUrlOptions {
  /** The Official Account the user authorizes. */
  appId: string;
  /** Where WeChat sends the browser back with `code`. */
  redirectUri: string;
  /** `snsapi_base` (default) or `snsapi_userinfo`. */
  scope?: "snsapi_base" | "snsapi_userinfo";
  /** Round-tripped as is (at most 128 bytes). */
  state?: string;
}

/** What {@linkcode ComponentClient.handleComponentEvent} did. */
export interface ComponentEventOutcome {
  /** The action taken. */
  action: "ticket_stored" | "authorized" | "duplicate" | "revoked" | "ignored";
  /** The authorizer concerned, for authorization events. */
  authorizerAppId?: string;
}

/**
 * The fields of a parsed component push this client reads (a structural subset of
 * `parseComponentEvent`'s result, so any parser's output fits).
 */
export interface ComponentEventLike {
  /** `component_verify_ticket`, `authorized`, `updateauthorized`, `unauthorized`, … */
  InfoType: string;
  /** The component appid. */
  AppId?: string;
  /** Seconds since the epoch, as WeChat sent it. */
  CreateTime?: string | number;
  /** For `component_verify_ticket`. */
  ComponentVerifyTicket?: string;
  /** For authorization events. */
  AuthorizerAppid?: string;
  /** For `authorized` / `updateauthorized`. */
  AuthorizationCode?: string;
}

const DEFAULT_API_BASE = "https://api.weixin.qq.com";
const DEFAULT_MP_BASE = "https://mp.weixin.qq.com";
const DEFAULT_OPEN_BASE = "https://open.weixin.qq.com";
const COMPONENT_TOKEN_PATH = "/cgi-bin/component/api_component_token";
const AUTH_CODE_MARKER_TTL_SECONDS = 2 * 3600;
const AUTH_TYPES = new Set([1, 2, 3, 4, 5, 6, 8]);

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

function checkHttpUrl(name: string, value: string): string {
  if (typeof value !== "string" || !/^https?:\/\/[^\s/?#]+/.test(value)) {
    throw new TypeError(`Invalid ${name}: expected an http(s) URL`);
  }
  return value;
}

function checkNonEmpty(name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`Invalid ${name}: expected a non-empty string`);
  }
  return value;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/**
 * The component client: APIs, tokens and authorization lifecycle of a third-party platform.
 *
 * Managed tokens are read from the store and refreshed ahead of expiry, one upstream refresh per
 * credential at a time within this instance. Calls that WeChat answers with 40001/40014/42001
 * refresh the token only if the stored one is still the one that failed, and retry once.
 *
 * @example Authorization link for a merchant
 * ```ts
 * import { ComponentClient, MemoryStore } from "@wxopen/component";
 *
 * const client = new ComponentClient({ appId: "wx1234567890abcdef", appSecret: "s", store: new MemoryStore() });
 * const url = client.authorizationUrl({
 *   preAuthCode: "preauthcode@@@xyz",
 *   redirectUri: "https://platform.example.com/authorize/callback",
 *   authType: 3,
 * });
 * console.log(url.startsWith("https://mp.weixin.qq.com/cgi-bin/componentloginpage?")); // true
 * ```
 */
export class ComponentClient {
  /** The component appid. */
  readonly appId: string;
  readonly #appSecret: string;
  readonly #store: Store;
  readonly #http: HttpContext;
  readonly #mpBase: string;
  readonly #openBase: string;
  readonly #now: () => number;
  readonly #tokens: ManagedTokens;
  readonly #tickets: TicketKeeper;
  readonly #authorizers: AuthorizerTokens;
  readonly #authCodeFlights = new Map<string, Promise<QueryAuthResponse>>();

  /** Creates a client; throws TypeError naming the first invalid option. */
  constructor(options: ComponentClientOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("Invalid ComponentClient options: expected an object");
    }
    if (typeof options.appId !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(options.appId)) {
      throw optionError("appId", "the component appid (letters and digits)");
    }
    if (typeof options.appSecret !== "string" || options.appSecret.trim() === "") {
      throw optionError("appSecret", "a non-empty string");
    }
    const store = options.store;
    if (
      store === null || typeof store !== "object" ||
      !["get", "getWithMetadata", "put", "delete", "list"].every((m) =>
        typeof (store as unknown as Record<string, unknown>)[m] === "function"
      )
    ) {
      throw optionError("store", "a Store (get, getWithMetadata, put, delete, list)");
    }
    if (options.fetch !== undefined && typeof options.fetch !== "function") {
      throw optionError("fetch", "a function");
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw optionError("now", "a function returning milliseconds");
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw optionError("timeoutMs", "a positive number of milliseconds");
    }
    const marginSeconds = options.refreshMarginSeconds ?? 600;
    if (
      typeof marginSeconds !== "number" || !Number.isFinite(marginSeconds) || marginSeconds < 0
    ) {
      throw optionError("refreshMarginSeconds", "zero or more seconds");
    }
    if (
      options.onAuthorizerRefreshToken !== undefined &&
      typeof options.onAuthorizerRefreshToken !== "function"
    ) {
      throw optionError("onAuthorizerRefreshToken", "a function");
    }
    const apiBase = checkBase("apiBase", options.apiBase, DEFAULT_API_BASE);
    this.#mpBase = checkBase("mpBase", options.mpBase, DEFAULT_MP_BASE);
    this.#openBase = checkBase("openBase", options.openBase, DEFAULT_OPEN_BASE);

    this.appId = options.appId;
    this.#appSecret = options.appSecret;
    this.#store = store;
    const userFetch = options.fetch;
    this.#http = {
      fetch: userFetch ?? ((input, init) => globalThis.fetch(input, init)),
      apiBase,
      timeoutMs,
      secrets: [options.appSecret],
    };
    this.#now = options.now ?? (() => Date.now());
    this.#tokens = new ManagedTokens(store, this.#now, marginSeconds * 1000);
    this.#tickets = new TicketKeeper(store, this.#now);
    this.#authorizers = new AuthorizerTokens(
      this.#tokens,
      {
        refresh: (appid, refreshToken) => this.refreshAuthorizerToken(appid, refreshToken),
        findInList: (appid) => this.#findInAuthorizerList(appid),
      },
      options.onAuthorizerRefreshToken,
    );
  }

  // ---------------------------------------------------------------- ticket

  /**
   * Stores a `component_verify_ticket` received at `receivedAt` (default now, ms). Valid 12 h.
   *
   * @example
   * ```ts
   * import { ComponentClient, MemoryStore } from "@wxopen/component";
   *
   * const client = new ComponentClient({ appId: "wx1234567890abcdef", appSecret: "s", store: new MemoryStore() });
   * const info = await client.acceptTicket("ticket@@@abc");
   * console.log(info.expiresAt - info.receivedAt); // 43200000
   * ```
   */
  acceptTicket(ticket: string, receivedAt?: number): Promise<TicketInfo> {
    return this.#tickets.accept(ticket, { receivedAt });
  }

  /** The stored ticket, even a stale one, or `null` (no upstream call; for health checks). */
  currentTicket(): Promise<TicketInfo | null> {
    return this.#tickets.current();
  }

  /** `api_start_push_ticket`: asks WeChat to push a ticket now (uses the appsecret, no token). */
  startPushTicket(): Promise<OkResponse> {
    return requestJson(this.#http, {
      method: "POST",
      path: "/cgi-bin/component/api_start_push_ticket",
      body: { component_appid: this.appId, component_secret: this.#appSecret },
      schema: OkSchema,
    });
  }

  // ---------------------------------------------------------------- component token

  /**
   * A valid `component_access_token` (managed: cached in the store, refreshed ahead of expiry,
   * one upstream call for any number of concurrent callers).
   */
  async componentAccessToken(): Promise<string> {
    return (await this.componentAccessTokenInfo()).token;
  }

  /** Like {@linkcode componentAccessToken}, with the expiry. */
  componentAccessTokenInfo(): Promise<AccessTokenInfo> {
    return this.#tokens.get(storageKeys.componentToken, () => this.#fetchComponentToken());
  }

  /** The stored component token when it has not expired; never calls WeChat. */
  cachedComponentAccessToken(): Promise<AccessTokenInfo | null> {
    return this.#tokens.cached(storageKeys.componentToken);
  }

  /**
   * WeChat rejected `invalidToken`: refreshes only if the stored token is still that one, else
   * returns the stored newer token. Concurrent reports share one upstream refresh.
   */
  refreshComponentAccessTokenIfStale(invalidToken: string): Promise<AccessTokenInfo> {
    return this.#tokens.refreshIfStale(
      storageKeys.componentToken,
      invalidToken,
      () => this.#fetchComponentToken(),
    );
  }

  /** Refreshes the component token now (joins a refresh in progress). */
  refreshComponentAccessToken(): Promise<AccessTokenInfo> {
    return this.#tokens.refresh(storageKeys.componentToken, () => this.#fetchComponentToken());
  }

  async #fetchComponentToken(): Promise<AccessTokenInfo> {
    const ticket = await this.#tickets.usable();
    let response: ComponentAccessTokenResponse;
    try {
      response = await requestJson(this.#http, {
        method: "POST",
        path: COMPONENT_TOKEN_PATH,
        body: {
          component_appid: this.appId,
          component_appsecret: this.#appSecret,
          component_verify_ticket: ticket,
        },
        schema: ComponentAccessTokenSchema,
      });
    } catch (error) {
      if (error instanceof WeChatError && (error.errcode === 61005 || error.errcode === 61006)) {
        throw new MissingTicketError(
          error.errcode === 61005 ? "WeChat says it expired" : "WeChat says it is invalid",
          { cause: error },
        );
      }
      throw error;
    }
    const record = this.#tokens.record(response.component_access_token, response.expires_in);
    // The new token is returned even if its write fails (then the superseded one is deleted).
    await this.#tokens.writeSuperseding(storageKeys.componentToken, record);
    return { token: record.token, expiresAt: record.expiresAt };
  }

  /** Runs `fn` with the component token; on 40001/40014/42001 refreshes if stale and retries once. */
  async #withComponentToken<T>(fn: (token: string) => Promise<T>): Promise<T> {
    const token = await this.componentAccessToken();
    try {
      return await fn(token);
    } catch (error) {
      if (!isInvalidTokenError(error)) throw error;
      const fresh = await this.refreshComponentAccessTokenIfStale(token);
      return await fn(fresh.token);
    }
  }

  #componentPost<T>(path: string, body: unknown, schema: v.GenericSchema<unknown, T>): Promise<T> {
    return this.#withComponentToken((token) =>
      requestJson(this.#http, {
        method: "POST",
        path,
        query: { component_access_token: token },
        body,
        schema,
      })
    );
  }

  // ---------------------------------------------------------------- authorization flow

  /** `api_create_preauthcode`: a single-use pre-authorization code (about 10 minutes). */
  createPreAuthCode(): Promise<PreAuthCodeResponse> {
    return this.#componentPost(
      "/cgi-bin/component/api_create_preauthcode",
      { component_appid: this.appId },
      PreAuthCodeSchema,
    );
  }

  /**
   * The link to WeChat's authorization page: the PC QR page (`componentloginpage`) or, with
   * `mobile: true`, the H5 page opened inside WeChat (`bindcomponent`).
   */
  authorizationUrl(options: AuthorizationUrlOptions): string {
    const preAuthCode = checkNonEmpty("preAuthCode", options?.preAuthCode);
    const redirectUri = checkHttpUrl("redirectUri", options.redirectUri);
    const authType = options.authType ?? 3;
    if (!AUTH_TYPES.has(authType)) {
      throw new TypeError("Invalid authType: expected 1, 2, 3, 4, 5, 6 or 8");
    }
    const params: [string, string][] = [];
    if (options.mobile) params.push(["action", "bindcomponent"], ["no_scan", "1"]);
    params.push(
      ["component_appid", this.appId],
      ["pre_auth_code", preAuthCode],
      ["redirect_uri", redirectUri],
      ["auth_type", String(authType)],
    );
    if (options.bizAppId !== undefined) params.push(["biz_appid", checkAppId(options.bizAppId)]);
    if (options.categoryIdList !== undefined) {
      const ids = options.categoryIdList.map(String);
      if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) {
        throw new TypeError("Invalid categoryIdList: expected one or more numeric ids");
      }
      params.push(["category_id_list", ids.join("|")]);
    }
    const qs = params.map(([k, value]) => `${k}=${encodeURIComponent(value)}`).join("&");
    return options.mobile
      ? `${this.#openBase}/wxaopen/safe/bindcomponent?${qs}#wechat_redirect`
      : `${this.#mpBase}/cgi-bin/componentloginpage?${qs}`;
  }

  /**
   * `api_query_auth`: exchanges an authorization code. The authorizer's refresh token is
   * persisted before this returns (a failed write fails the call). Idempotent: the same code
   * again (the redirect and the `authorized` push carry the same one) answers from the store.
   */
  async queryAuth(authCode: string): Promise<QueryAuthResponse> {
    checkNonEmpty("authCode", authCode);
    const digest = await sha256Hex(authCode);
    const inflight = this.#authCodeFlights.get(digest);
    if (inflight) return await inflight;
    const promise = this.#queryAuthOnce(authCode, digest).finally(() => {
      if (this.#authCodeFlights.get(digest) === promise) this.#authCodeFlights.delete(digest);
    });
    this.#authCodeFlights.set(digest, promise);
    return await promise;
  }

  async #queryAuthOnce(authCode: string, digest: string): Promise<QueryAuthResponse> {
    const markerKey = storageKeys.authCode(digest);
    // A revocation applied from here on wins over this exchange.
    const start = this.#authorizers.exchangeStart();
    const done = await this.#store.get(markerKey);
    if (done !== null) {
      const replay = await this.#replayAuthorization(done);
      if (replay) return replay;
    }
    const response = await this.#componentPost(
      "/cgi-bin/component/api_query_auth",
      { component_appid: this.appId, authorization_code: authCode },
      QueryAuthSchema,
    );
    // The code is spent now: a retryable store failure is retried rather than losing the
    // authorization (waits past Workers KV's one write per second per key).
    for (let attempt = 0;; attempt++) {
      try {
        await this.#authorizers.saveAuthorization(response.authorization_info, start);
        break;
      } catch (error) {
        if (!(error instanceof StoreError && error.retryable) || attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 1100 * (attempt + 1)));
      }
    }
    await this.#store.put(markerKey, response.authorization_info.authorizer_appid, {
      ttlSeconds: AUTH_CODE_MARKER_TTL_SECONDS,
    }).catch(() => {});
    return response;
  }

  /** Rebuilds an `api_query_auth` answer from the store for a code already exchanged. */
  async #replayAuthorization(appid: string): Promise<QueryAuthResponse | null> {
    const record = await this.#authorizers.getRecord(appid);
    if (!record || record.status === "revoked") return null;
    const refreshToken = await this.#authorizers.readRefreshToken(appid);
    const info: QueryAuthResponse["authorization_info"] = { authorizer_appid: appid };
    if (refreshToken) {
      const access = await this.#authorizers.get(appid);
      info.authorizer_access_token = access.token;
      info.expires_in = Math.max(0, Math.floor((access.expiresAt - this.#now()) / 1000));
      info.authorizer_refresh_token = refreshToken;
    }
    if (record.funcInfo) info.func_info = record.funcInfo;
    return { authorization_info: info };
  }

  /**
   * `api_authorizer_token`: the raw refresh call. It does not touch the store; use
   * {@linkcode authorizerAccessToken} for the managed token.
   */
  refreshAuthorizerToken(
    authorizerAppId: string,
    refreshToken: string,
  ): Promise<AuthorizerTokenResponse> {
    checkAppId(authorizerAppId);
    checkNonEmpty("refreshToken", refreshToken);
    return this.#componentPost(
      "/cgi-bin/component/api_authorizer_token",
      {
        component_appid: this.appId,
        authorizer_appid: authorizerAppId,
        authorizer_refresh_token: refreshToken,
      },
      AuthorizerTokenSchema,
    );
  }

  // ---------------------------------------------------------------- authorizer tokens

  /** A valid `authorizer_access_token` (managed, refreshed ahead of expiry, single-flight). */
  async authorizerAccessToken(authorizerAppId: string): Promise<string> {
    return (await this.authorizerAccessTokenInfo(authorizerAppId)).token;
  }

  /** Like {@linkcode authorizerAccessToken}, with the expiry. */
  authorizerAccessTokenInfo(authorizerAppId: string): Promise<AccessTokenInfo> {
    checkAppId(authorizerAppId);
    return this.#authorizers.get(authorizerAppId);
  }

  /** The stored authorizer token when it has not expired; never calls WeChat. */
  cachedAuthorizerAccessToken(authorizerAppId: string): Promise<AccessTokenInfo | null> {
    checkAppId(authorizerAppId);
    return this.#authorizers.cached(authorizerAppId);
  }

  /**
   * WeChat rejected `invalidToken`: refreshes only if the stored token is still that one.
   * Concurrent reports share one upstream refresh.
   */
  refreshAuthorizerAccessTokenIfStale(
    authorizerAppId: string,
    invalidToken: string,
  ): Promise<AccessTokenInfo> {
    checkAppId(authorizerAppId);
    return this.#authorizers.refreshIfStale(authorizerAppId, invalidToken);
  }

  /** Refreshes the authorizer token now (joins a refresh in progress). */
  refreshAuthorizerAccessToken(authorizerAppId: string): Promise<AccessTokenInfo> {
    checkAppId(authorizerAppId);
    return this.#authorizers.refresh(authorizerAppId);
  }

  /**
   * Stores a refresh token obtained elsewhere (migration from another system). Subsequent
   * {@linkcode authorizerAccessToken} calls use it.
   */
  async importAuthorizer(authorizerAppId: string, refreshToken: string): Promise<void> {
    checkAppId(authorizerAppId);
    checkNonEmpty("refreshToken", refreshToken);
    await this.#authorizers.saveAuthorization({
      authorizer_appid: authorizerAppId,
      authorizer_refresh_token: refreshToken,
    });
  }

  /** The stored record of an authorizer (never its refresh token), or `null`. */
  getAuthorizer(authorizerAppId: string): Promise<AuthorizerRecord | null> {
    checkAppId(authorizerAppId);
    return this.#authorizers.getRecord(authorizerAppId);
  }

  /** One page of stored authorizer records. */
  listAuthorizers(options?: { cursor?: string; limit?: number }): Promise<AuthorizerPage> {
    return this.#authorizers.listRecords(options);
  }

  /**
   * Managed tokens (component and authorizers) that expire within `withinSeconds`, found through
   * store metadata without reading values: what a cron sweep refreshes.
   */
  async listExpiringTokens(
    options: { withinSeconds: number; limit?: number },
  ): Promise<ExpiringToken[]> {
    const within = options?.withinSeconds;
    if (typeof within !== "number" || !Number.isFinite(within) || within < 0) {
      throw new TypeError("Invalid withinSeconds: expected zero or more seconds");
    }
    const limit = options.limit ?? 1000;
    const before = this.#now() + within * 1000;
    const out: ExpiringToken[] = [];
    const component = await this.#store.getWithMetadata(storageKeys.componentToken);
    const componentExpiry = component.metadata?.expiresAt;
    if (component.value !== null && typeof componentExpiry === "number") {
      if (componentExpiry <= before) out.push({ kind: "component", expiresAt: componentExpiry });
    }
    if (out.length >= limit) return out;
    out.push(...await this.#authorizers.expiring(before, limit - out.length));
    return out;
  }

  /**
   * Refreshes every managed token expiring within `withinSeconds` (up to `limit`), one at a
   * time. Failures are counted, not thrown.
   */
  async refreshExpiringTokens(
    options: { withinSeconds: number; limit?: number },
  ): Promise<{ refreshed: number; failed: number }> {
    const due = await this.listExpiringTokens(options);
    let refreshed = 0;
    let failed = 0;
    for (const item of due) {
      try {
        if (item.kind === "component") await this.refreshComponentAccessToken();
        else await this.refreshAuthorizerAccessToken(item.authorizerAppId!);
        refreshed++;
      } catch {
        failed++;
      }
    }
    return { refreshed, failed };
  }

  async #findInAuthorizerList(appid: string): Promise<{ refreshToken?: string } | null> {
    let offset = 0;
    for (;;) {
      const page = await this.getAuthorizerList({ offset, count: 500 });
      const entry = page.list.find((e) => e.authorizer_appid === appid);
      if (entry) return entry.refresh_token ? { refreshToken: entry.refresh_token } : {};
      offset += page.list.length;
      if (page.list.length === 0 || offset >= page.total_count) return null;
    }
  }

  // ---------------------------------------------------------------- events

  /**
   * Applies a parsed push of the authorization event URL: a ticket is stored with its receive
   * time; `authorized`/`updateauthorized` run `api_query_auth` with the pushed code (a repeated
   * push is harmless); `unauthorized` purges the tokens and keeps a record of the revocation.
   * Other kinds are ignored.
   */
  async handleComponentEvent(event: ComponentEventLike): Promise<ComponentEventOutcome> {
    if (event === null || typeof event !== "object" || typeof event.InfoType !== "string") {
      throw new TypeError("Invalid event: expected a parsed component push with InfoType");
    }
    if (event.AppId !== undefined && event.AppId !== this.appId) {
      throw new TypeError("Invalid event: it is addressed to another component appid");
    }
    const createTime = event.CreateTime === undefined ? undefined : Number(event.CreateTime);
    switch (event.InfoType) {
      case "component_verify_ticket": {
        const ticket = checkNonEmpty("ComponentVerifyTicket", event.ComponentVerifyTicket);
        await this.#tickets.accept(ticket, {
          createTime: Number.isFinite(createTime) ? createTime : undefined,
        });
        return { action: "ticket_stored" };
      }
      case "authorized":
      case "updateauthorized": {
        const code = checkNonEmpty("AuthorizationCode", event.AuthorizationCode);
        const digest = await sha256Hex(code);
        const already = await this.#store.get(storageKeys.authCode(digest));
        if (already !== null && !this.#authCodeFlights.has(digest)) {
          return { action: "duplicate", authorizerAppId: already };
        }
        let response: QueryAuthResponse;
        try {
          response = await this.queryAuth(code);
        } catch (error) {
          // The code was already exchanged elsewhere (another instance took the redirect and
          // its marker is not visible here yet): harmless when the authorizer is on record.
          // Revoked while the code was being exchanged: the revocation wins, nothing was kept.
          if (error instanceof ReauthorizationRequiredError && error.reason === "revoked") {
            return { action: "ignored", authorizerAppId: error.authorizerAppId };
          }
          if (
            error instanceof WeChatError && (error.errcode === 61009 || error.errcode === 61010) &&
            event.AuthorizerAppid !== undefined &&
            await this.#isAuthorized(event.AuthorizerAppid)
          ) {
            return { action: "duplicate", authorizerAppId: event.AuthorizerAppid };
          }
          throw error;
        }
        return {
          action: "authorized",
          authorizerAppId: response.authorization_info.authorizer_appid,
        };
      }
      case "unauthorized": {
        const appid = checkAppId(checkNonEmpty("AuthorizerAppid", event.AuthorizerAppid));
        const revokedAt = createTime !== undefined && Number.isFinite(createTime)
          ? createTime * 1000
          : this.#now();
        const record = await this.#authorizers.getRecord(appid);
        if (
          record !== null && record.status !== "revoked" && record.revokedAt !== undefined &&
          revokedAt <= record.revokedAt
        ) {
          // A late retry of a revocation already applied (both times are WeChat's clock, so
          // skew does not matter): the account authorized again since.
          return { action: "ignored", authorizerAppId: appid };
        }
        await this.#authorizers.revoke(appid, revokedAt);
        return { action: "revoked", authorizerAppId: appid };
      }
      default:
        return { action: "ignored" };
    }
  }

  async #isAuthorized(appid: string): Promise<boolean> {
    checkAppId(appid);
    const record = await this.#authorizers.getRecord(appid);
    return record?.status === "authorized" &&
      (await this.#authorizers.readRefreshToken(appid)) !== null;
  }

  // ---------------------------------------------------------------- authorizer APIs

  /** `api_get_authorizer_info`: the account's profile and the permissions it granted. */
  getAuthorizerInfo(authorizerAppId: string): Promise<AuthorizerInfoResponse> {
    checkAppId(authorizerAppId);
    return this.#componentPost(
      "/cgi-bin/component/api_get_authorizer_info",
      { component_appid: this.appId, authorizer_appid: authorizerAppId },
      AuthorizerInfoSchema,
    );
  }

  /** `get_authorizer_option` (current API, called with the authorizer's token). */
  getAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
  ): Promise<AuthorizerOptionResponse> {
    checkNonEmpty("optionName", optionName);
    return this.#authorizerRequest(authorizerAppId, {
      method: "POST",
      path: "/cgi-bin/component/get_authorizer_option",
      body: { option_name: optionName },
      schema: AuthorizerOptionSchema,
    });
  }

  /** `set_authorizer_option` (current API, called with the authorizer's token). */
  setAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
    optionValue: string,
  ): Promise<OkResponse> {
    checkNonEmpty("optionName", optionName);
    checkNonEmpty("optionValue", String(optionValue));
    return this.#authorizerRequest(authorizerAppId, {
      method: "POST",
      path: "/cgi-bin/component/set_authorizer_option",
      body: { option_name: optionName, option_value: String(optionValue) },
      schema: OkSchema,
    });
  }

  /** Legacy `api_get_authorizer_option` (component token). */
  apiGetAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
  ): Promise<AuthorizerOptionResponse> {
    checkAppId(authorizerAppId);
    checkNonEmpty("optionName", optionName);
    return this.#componentPost(
      "/cgi-bin/component/api_get_authorizer_option",
      { component_appid: this.appId, authorizer_appid: authorizerAppId, option_name: optionName },
      AuthorizerOptionSchema,
    );
  }

  /** Legacy `api_set_authorizer_option` (component token). */
  apiSetAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
    optionValue: string,
  ): Promise<OkResponse> {
    checkAppId(authorizerAppId);
    checkNonEmpty("optionName", optionName);
    return this.#componentPost(
      "/cgi-bin/component/api_set_authorizer_option",
      {
        component_appid: this.appId,
        authorizer_appid: authorizerAppId,
        option_name: optionName,
        option_value: String(optionValue),
      },
      OkSchema,
    );
  }

  /** `api_get_authorizer_list`: one page (`count` 1..500). */
  getAuthorizerList(options: { offset?: number; count?: number } = {}): Promise<
    AuthorizerListResponse
  > {
    const offset = options.offset ?? 0;
    const count = options.count ?? 500;
    if (!Number.isInteger(offset) || offset < 0) {
      throw new RangeError("Invalid offset: expected an integer of 0 or more");
    }
    if (!Number.isInteger(count) || count < 1 || count > 500) {
      throw new RangeError("Invalid count: expected an integer from 1 to 500");
    }
    return this.#componentPost(
      "/cgi-bin/component/api_get_authorizer_list",
      { component_appid: this.appId, offset, count },
      AuthorizerListSchema,
    );
  }

  /** `component/clear_quota`: resets the platform's own API quota (10 times a month). */
  clearQuota(): Promise<OkResponse> {
    return this.#componentPost(
      "/cgi-bin/component/clear_quota",
      { component_appid: this.appId },
      OkSchema,
    );
  }

  /** `cgi-bin/clear_quota` with the authorizer's token: resets that account's API quota. */
  clearAuthorizerQuota(authorizerAppId: string): Promise<OkResponse> {
    checkAppId(authorizerAppId);
    return this.#authorizerRequest(authorizerAppId, {
      method: "POST",
      path: "/cgi-bin/clear_quota",
      body: { appid: authorizerAppId },
      schema: OkSchema,
    });
  }

  /**
   * `component/clear_quota/v2` (appsecret, no token: works when the token API itself hit
   * 45009): the platform's quota, or an authorized account's with `appId`.
   */
  clearQuotaV2(options: { appId?: string } = {}): Promise<OkResponse> {
    const body: Record<string, string> = {
      component_appid: this.appId,
      appsecret: this.#appSecret,
    };
    if (options.appId !== undefined) body.appid = checkAppId(options.appId);
    return requestJson(this.#http, {
      method: "POST",
      path: "/cgi-bin/component/clear_quota/v2",
      body,
      schema: OkSchema,
    });
  }

  /**
   * Calls any API on behalf of an authorizer: `access_token` injected, POST with a JSON body
   * when `body` is given (GET otherwise), retried once after 40001/40014/42001 with a token
   * refreshed only if it was still the failed one.
   *
   * @example Customer-service message
   * ```ts ignore
   * await client.call("wxf8b4f85f3a794e77", "/cgi-bin/message/custom/send", {
   *   touser: "OPENID",
   *   msgtype: "text",
   *   text: { content: "hello" },
   * });
   * ```
   */
  call(
    authorizerAppId: string,
    path: string,
    body?: unknown,
    options: { query?: Record<string, string | number> } = {},
  ): Promise<Record<string, unknown>> {
    if (typeof path !== "string" || !path.startsWith("/") || /[?#\s]/.test(path)) {
      throw new TypeError("Invalid path: expected an absolute path without query string");
    }
    const query = options.query ?? {};
    if ("access_token" in query) {
      throw new TypeError("Invalid query: access_token is injected by the client");
    }
    return this.#authorizerRequest(authorizerAppId, {
      method: body === undefined ? "GET" : "POST",
      path,
      query,
      body,
      schema: AnyObjectSchema,
    });
  }

  /**
   * Proxies any request to WeChat on behalf of an authorizer and returns WeChat's response as
   * is (JSON, binary media, any status): `access_token` is set in the query (a caller-supplied
   * one is replaced), and when WeChat answers 40001/40014/42001 the token is refreshed only if
   * it is still the stored one and the request is sent once more. The body is buffered so it
   * can be replayed.
   *
   * @example Proxy a menu query
   * ```ts ignore
   * const response = await client.fetchAsAuthorizer("wxf8b4f85f3a794e77", "/cgi-bin/get_current_selfmenu_info");
   * console.log(response.status, await response.json());
   * ```
   */
  async fetchAsAuthorizer(
    authorizerAppId: string,
    pathAndQuery: string,
    init: { method?: string; headers?: HeadersInit; body?: BodyInit | null } = {},
  ): Promise<Response> {
    checkAppId(authorizerAppId);
    if (typeof pathAndQuery !== "string" || !/^\/(?!\/)[^#\s]*$/.test(pathAndQuery)) {
      throw new TypeError(
        "Invalid path: expected an absolute path, optionally with a query string",
      );
    }
    const url = new URL(this.#http.apiBase + pathAndQuery);
    const api = url.pathname;
    const method = (init.method ?? "GET").toUpperCase();
    const headers = new Headers(init.headers);
    headers.delete("host");
    headers.delete("content-length");
    const body = init.body === undefined || init.body === null || method === "GET" ||
        method === "HEAD"
      ? undefined
      : new Uint8Array(await new Response(init.body).arrayBuffer());
    const send = async (token: string) => {
      url.searchParams.set("access_token", token);
      return await requestRaw(this.#http, { api, url: url.href, method, headers, body }, [token]);
    };
    const token = await this.authorizerAccessToken(authorizerAppId);
    let raw = await send(token);
    const errcode = errcodeInBody(raw.bytes);
    if (errcode !== undefined && INVALID_TOKEN_ERRCODES.includes(errcode)) {
      const fresh = await this.refreshAuthorizerAccessTokenIfStale(authorizerAppId, token);
      raw = await send(fresh.token);
    }
    return new Response(raw.status === 204 || raw.status === 304 ? null : raw.bytes, {
      status: raw.status,
      headers: raw.headers,
    });
  }

  async #authorizerRequest<T>(
    authorizerAppId: string,
    spec: {
      method: "GET" | "POST";
      path: string;
      query?: Record<string, string | number>;
      body?: unknown;
      schema: v.GenericSchema<unknown, T>;
    },
  ): Promise<T> {
    checkAppId(authorizerAppId);
    const send = (token: string) =>
      requestJson(this.#http, { ...spec, query: { ...spec.query, access_token: token } });
    const token = await this.authorizerAccessToken(authorizerAppId);
    try {
      return await send(token);
    } catch (error) {
      if (!isInvalidTokenError(error)) throw error;
      const fresh = await this.refreshAuthorizerAccessTokenIfStale(authorizerAppId, token);
      return await send(fresh.token);
    }
  }

  // ---------------------------------------------------------------- web authorization on behalf

  /** The OAuth page link for an Official Account's user, on the account's behalf. */
  oauthUrl(options: OAuthUrlOptions): string {
    const appId = checkAppId(options?.appId);
    const redirectUri = checkHttpUrl("redirectUri", options.redirectUri);
    const scope = options.scope ?? "snsapi_base";
    if (scope !== "snsapi_base" && scope !== "snsapi_userinfo") {
      throw new TypeError("Invalid scope: expected snsapi_base or snsapi_userinfo");
    }
    const params: [string, string][] = [
      ["appid", appId],
      ["redirect_uri", redirectUri],
      ["response_type", "code"],
      ["scope", scope],
    ];
    if (options.state !== undefined) {
      if (utf8Encode(options.state).length > 128) {
        throw new TypeError("Invalid state: expected at most 128 bytes");
      }
      params.push(["state", options.state]);
    }
    params.push(["component_appid", this.appId]);
    const qs = params.map(([k, value]) => `${k}=${encodeURIComponent(value)}`).join("&");
    return `${this.#openBase}/connect/oauth2/authorize?${qs}#wechat_redirect`;
  }

  /** `sns/oauth2/component/access_token`: exchanges a user's OAuth `code`. */
  oauthAccessToken(options: { appId: string; code: string }): Promise<OAuthAccessTokenResponse> {
    const appId = checkAppId(options?.appId);
    const code = checkNonEmpty("code", options.code);
    return this.#withComponentToken((token) =>
      requestJson(this.#http, {
        method: "GET",
        path: "/sns/oauth2/component/access_token",
        query: {
          appid: appId,
          code,
          grant_type: "authorization_code",
          component_appid: this.appId,
          component_access_token: token,
        },
        schema: OAuthAccessTokenSchema,
      })
    );
  }

  /** `sns/oauth2/component/refresh_token`: renews a user's OAuth access token. */
  oauthRefreshToken(
    options: { appId: string; refreshToken: string },
  ): Promise<OAuthAccessTokenResponse> {
    const appId = checkAppId(options?.appId);
    const refreshToken = checkNonEmpty("refreshToken", options.refreshToken);
    return this.#withComponentToken((token) =>
      requestJson(this.#http, {
        method: "GET",
        path: "/sns/oauth2/component/refresh_token",
        query: {
          appid: appId,
          grant_type: "refresh_token",
          component_appid: this.appId,
          component_access_token: token,
          refresh_token: refreshToken,
        },
        schema: OAuthAccessTokenSchema,
      })
    );
  }

  /** `sns/component/jscode2session`: a Mini Program login code → openid and session key. */
  jscode2session(options: { appId: string; jsCode: string }): Promise<Jscode2SessionResponse> {
    const appId = checkAppId(options?.appId);
    const jsCode = checkNonEmpty("jsCode", options.jsCode);
    return this.#withComponentToken((token) =>
      requestJson(this.#http, {
        method: "GET",
        path: "/sns/component/jscode2session",
        query: {
          appid: appId,
          js_code: jsCode,
          grant_type: "authorization_code",
          component_appid: this.appId,
          component_access_token: token,
        },
        schema: Jscode2SessionSchema,
      })
    );
  }

  /** The URL a request to `path` would use (no credentials added); for logs and proxies. */
  apiUrl(path: string, query?: Record<string, string | number>): string {
    return buildUrl(this.#http.apiBase, path, query);
  }
}

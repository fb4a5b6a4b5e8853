/**
 * The `Credentials` port: where every access token a WeChat call carries comes from, and
 * {@linkcode ManagedCredentials}, its default implementation over a {@linkcode Store}.
 *
 * Rules `ManagedCredentials` keeps:
 * - one upstream refresh per credential at a time in this instance (single flight), and across
 *   instances on stores with compare-and-set (a lease record);
 * - a token reported invalid is refreshed only if it is still the stored one;
 * - every new `authorizer_refresh_token` is persisted before any access token derived from it
 *   is returned; on 61023 the current one is looked up with `api_get_authorizer_list`;
 * - an `unauthorized` push wins over a refresh or an exchange in flight.
 *
 * @module
 */

import type { Store } from "../store/store.ts";
import { nonEmpty } from "../_check.ts";
import { errcodeOf } from "../errors.ts";
import { AuthorizerTokens } from "./_authorizer_tokens.ts";
import { Lifecycle } from "./_lifecycle.ts";
import { ManagedTokens } from "./_managed.ts";
import { TicketKeeper } from "./_ticket.ts";
import { MissingTicketError, TokenNotCachedError } from "./errors.ts";
import { checkAppId, storageKeys } from "./keys.ts";
import type {
  AccessTokenInfo,
  AuthorizationInfo,
  AuthorizerListPage,
  AuthorizerPage,
  AuthorizerRecord,
  AuthorizerTokenResponse,
  ComponentAccessTokenResponse,
  ComponentEventLike,
  ComponentEventOutcome,
  ExpiringToken,
  QueryAuthResponse,
  TicketInfo,
} from "./types.ts";

/** How a caller wants a token. With no field set: the current one, refreshed when due. */
export interface CredentialRequest {
  /** WeChat rejected this token: refresh only if it is still the current one. */
  invalid?: string;
  /** Refresh now (joining a refresh in progress). */
  force?: boolean;
  /**
   * Only a stored, unexpired token; never call WeChat. Rejects with `TokenNotCachedError`
   * when there is none.
   */
  cachedOnly?: boolean;
}

/**
 * Where access tokens come from. The client asks it for the credential each call carries and
 * reports a token WeChat rejected (`{ invalid }`), once per call.
 *
 * @example A fixed token, for a script that got one elsewhere
 * ```ts
 * import type { Credentials } from "@wxopen/component";
 *
 * const fixed: Credentials = {
 *   componentToken: () => Promise.resolve({ token: "COMPONENT_TOKEN", expiresAt: Date.now() + 60_000 }),
 *   authorizerToken: () => Promise.resolve({ token: "AUTHORIZER_TOKEN", expiresAt: Date.now() + 60_000 }),
 * };
 * console.log((await fixed.componentToken()).token); // "COMPONENT_TOKEN"
 * ```
 */
export interface Credentials {
  /** A valid `component_access_token`. */
  componentToken(request?: CredentialRequest): Promise<AccessTokenInfo>;
  /** A valid `authorizer_access_token` of `authorizerAppId`. */
  authorizerToken(authorizerAppId: string, request?: CredentialRequest): Promise<AccessTokenInfo>;
}

/** The WeChat calls the managed lifecycle makes (the client provides them). */
export interface TokenUpstream {
  /** `api_component_token` with `ticket`. */
  componentToken(ticket: string): Promise<ComponentAccessTokenResponse>;
  /** `api_authorizer_token`. */
  authorizerToken(authorizerAppId: string, refreshToken: string): Promise<AuthorizerTokenResponse>;
  /** `api_query_auth`. */
  queryAuth(authCode: string): Promise<QueryAuthResponse>;
  /** One page of `api_get_authorizer_list`. */
  authorizerList(page: { offset: number; count: number }): Promise<AuthorizerListPage>;
}

/** Options of {@linkcode ManagedCredentials}. */
export interface ManagedCredentialsOptions {
  /** The component appid (pushes addressed to another are refused). */
  componentAppId: string;
  /** Where tickets, tokens and authorizer records live. */
  store: Store;
  /** The WeChat calls behind the tokens. */
  upstream: TokenUpstream;
  /** The clock, milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** Tokens are replaced this many seconds before expiry (at most half their life); default 600. */
  refreshMarginSeconds?: number;
  /** Called after a new refresh token is persisted, before anything derived from it returns. */
  onAuthorizerRefreshToken?: (authorizerAppId: string, refreshToken: string) => unknown;
  /**
   * Take component tokens from elsewhere (a single writer in another process) instead of
   * managing them here. `cachedOnly` still reads this store (the one that writer writes
   * through to), so such a source can itself start with a cached read.
   */
  componentToken?: Credentials["componentToken"];
}

/** Options of {@linkcode ManagedCredentials.listExpiringTokens}. */
export interface ExpiringTokensOptions {
  /** Tokens expiring within this many seconds. */
  withinSeconds: number;
  /** At most this many (default 1000). */
  limit?: number;
}

/**
 * Tokens, ticket and authorizer records over a {@linkcode Store}: the default
 * {@linkcode Credentials} of `ComponentClient`, which builds it; reach it as
 * `client.managed` for the lifecycle operations the facade does not wrap.
 */
export class ManagedCredentials implements Credentials {
  readonly #componentAppId: string;
  readonly #store: Store;
  readonly #now: () => number;
  readonly #upstream: TokenUpstream;
  readonly #tokens: ManagedTokens;
  readonly #tickets: TicketKeeper;
  readonly #authorizers: AuthorizerTokens;
  readonly #lifecycle: Lifecycle;
  readonly #remoteComponent: Credentials["componentToken"] | undefined;

  /** Creates the credentials; throws TypeError on a bad option. */
  constructor(options: ManagedCredentialsOptions) {
    const margin = options.refreshMarginSeconds ?? 600;
    if (typeof margin !== "number" || !Number.isFinite(margin) || margin < 0) {
      throw new TypeError("Invalid refreshMarginSeconds: expected zero or more seconds");
    }
    this.#componentAppId = options.componentAppId;
    this.#store = options.store;
    this.#now = options.now ?? (() => Date.now());
    this.#upstream = options.upstream;
    this.#remoteComponent = options.componentToken;
    this.#tokens = new ManagedTokens(this.#store, this.#now, margin * 1000);
    this.#tickets = new TicketKeeper(this.#store, this.#now);
    this.#authorizers = new AuthorizerTokens(
      this.#tokens,
      {
        refresh: (appid, refreshToken) => this.#upstream.authorizerToken(appid, refreshToken),
        findInList: (appid) => this.#findInAuthorizerList(appid),
      },
      options.onAuthorizerRefreshToken,
    );
    this.#lifecycle = new Lifecycle({
      store: this.#store,
      now: this.#now,
      componentAppId: this.#componentAppId,
      tickets: this.#tickets,
      authorizers: this.#authorizers,
      queryAuth: (code) => this.#upstream.queryAuth(code),
    });
  }

  /** A valid `component_access_token` (see {@linkcode CredentialRequest}). */
  componentToken(request?: CredentialRequest): Promise<AccessTokenInfo> {
    const key = storageKeys.componentToken;
    // A stored token is read here even when another process manages it (it writes through).
    if (request?.cachedOnly) return this.#cachedOnly(key, "component");
    if (this.#remoteComponent) return this.#remoteComponent(request);
    request ??= {};
    const fetch = () => this.#fetchComponentToken();
    if (request.invalid !== undefined) {
      return this.#tokens.refreshIfStale(key, request.invalid, fetch);
    }
    if (request.force) return this.#tokens.refresh(key, fetch);
    return this.#tokens.get(key, fetch);
  }

  /** A valid `authorizer_access_token` of `authorizerAppId` (see {@linkcode CredentialRequest}). */
  authorizerToken(
    authorizerAppId: string,
    request: CredentialRequest = {},
  ): Promise<AccessTokenInfo> {
    checkAppId(authorizerAppId);
    if (request.cachedOnly) {
      return this.#cachedOnly(storageKeys.authorizerToken(authorizerAppId), authorizerAppId);
    }
    if (request.invalid !== undefined) {
      return this.#authorizers.refreshIfStale(authorizerAppId, request.invalid);
    }
    if (request.force) return this.#authorizers.refresh(authorizerAppId);
    return this.#authorizers.get(authorizerAppId);
  }

  async #cachedOnly(key: string, credential: string): Promise<AccessTokenInfo> {
    const hit = await this.#tokens.cached(key);
    if (!hit) throw new TokenNotCachedError(credential);
    return hit;
  }

  async #fetchComponentToken(): Promise<AccessTokenInfo> {
    const ticket = await this.#tickets.usable();
    let response: ComponentAccessTokenResponse;
    try {
      response = await this.#upstream.componentToken(ticket);
    } catch (error) {
      const errcode = errcodeOf(error);
      if (errcode === 61005 || errcode === 61006) {
        throw new MissingTicketError(
          errcode === 61005 ? "WeChat says it expired" : "WeChat says it is invalid",
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

  /** Stores a `component_verify_ticket` received at `receivedAt` (default now, ms). */
  acceptTicket(ticket: string, options: { receivedAt?: number } = {}): Promise<TicketInfo> {
    return this.#tickets.accept(ticket, { receivedAt: options.receivedAt });
  }

  /** The stored ticket, even a stale one, or `null`. */
  currentTicket(): Promise<TicketInfo | null> {
    return this.#tickets.current();
  }

  /** `api_query_auth` once per code, the refresh token persisted before this returns. */
  exchangeAuthCode(authCode: string): Promise<QueryAuthResponse> {
    return this.#lifecycle.exchange(authCode);
  }

  /**
   * Applies a parsed push of the authorization event URL: a ticket is stored;
   * `authorized`/`updateauthorized` exchange the pushed code; `unauthorized` purges the tokens
   * and records the revocation. Other kinds are ignored.
   *
   * A ticket whose `CreateTime` is more than 5 minutes ahead of our clock, or already 12 hours
   * old, is refused with a `WxOpenError` `invalid_field` (a malformed push) and nothing is
   * stored; an older ticket than the stored one is ignored.
   *
   * An `unauthorized` push is `ignored` (nothing changes) when it is no newer than a revocation
   * already on record, or when its `CreateTime` is more than 5 minutes earlier than the current
   * authorization's `authorizedAt`: a replay about an earlier authorization. That compares
   * WeChat's clock with ours, so with our clock more than 5 minutes ahead a genuine revocation
   * that soon after an authorization is ignored (its tokens then fail with 61003), and a
   * revocation made less than 5 minutes before a re-authorization but delivered after it still
   * ends the new one.
   */
  applyComponentEvent(event: ComponentEventLike): Promise<ComponentEventOutcome> {
    return this.#lifecycle.apply(event);
  }

  /**
   * Stores an `authorization_info` obtained elsewhere: another instance (e.g. the component's
   * own Durable Object) ran `api_query_auth` and hands the result to this authorizer's store.
   * Stored as an exchange stores it: the refresh token persisted first (then
   * `onAuthorizerRefreshToken`), the access token superseding the stored one, the record marked
   * `authorized` with `func_info`; a retryable store failure is retried.
   *
   * With `options.startedAt` (ms, when that exchange started; compared with this instance's
   * clock and the revocation records' `updatedAt`), a revocation applied after it wins: this
   * rejects with `ReauthorizationRequiredError` (`revoked`) and keeps nothing. Without it the
   * authorization is taken as current, over a revocation on record.
   *
   * Throws TypeError, storing nothing, when `info`'s `authorizer_appid` is not an appid, its `authorizer_refresh_token` is not a non-empty string, its
   * `authorizer_access_token`/`expires_in`/`func_info` have the wrong type, or `startedAt` is not
   * a finite number.
   *
   * @example Hand an exchange done elsewhere to the authorizer's credentials
   * ```ts
   * import { ComponentClient, MemoryStore } from "@wxopen/component";
   *
   * const client = new ComponentClient({
   *   appId: "wx1234567890abcdef",
   *   appSecret: "the-component-appsecret",
   *   store: new MemoryStore(),
   * });
   * await client.managed.applyAuthorization({
   *   authorizer_appid: "wxf8b4f85f3a794e77",
   *   authorizer_access_token: "ACCESS_TOKEN",
   *   expires_in: 7200,
   *   authorizer_refresh_token: "refreshtoken@@@REFRESH",
   * }, { startedAt: Date.now() - 1000 });
   * console.log((await client.getAuthorizer("wxf8b4f85f3a794e77"))?.status); // "authorized"
   * ```
   */
  async applyAuthorization(
    info: AuthorizationInfo,
    options: { startedAt?: number } = {},
  ): Promise<void> {
    checkAppId(info?.authorizer_appid);
    nonEmpty("authorizer_refresh_token", info.authorizer_refresh_token);
    if (info.authorizer_access_token !== undefined) {
      nonEmpty("authorizer_access_token", info.authorizer_access_token);
    }
    const { expires_in: expiresIn, func_info: funcInfo } = info;
    if (expiresIn !== undefined && !(Number.isFinite(expiresIn) && expiresIn >= 0)) {
      throw new TypeError("Invalid expires_in: expected zero or more seconds");
    }
    if (funcInfo !== undefined && !Array.isArray(funcInfo)) {
      throw new TypeError("Invalid func_info: expected an array");
    }
    const startedAt = options?.startedAt;
    if (startedAt !== undefined && !Number.isFinite(startedAt)) {
      throw new TypeError("Invalid startedAt: expected milliseconds since the epoch");
    }
    await this.#lifecycle.saveAuthorization(
      info,
      startedAt === undefined ? undefined : this.#authorizers.exchangeStart(startedAt),
    );
  }

  /** Stores a refresh token obtained elsewhere (migration from another system). */
  async importAuthorizer(
    options: { authorizerAppId: string; refreshToken: string },
  ): Promise<void> {
    const appid = checkAppId(options?.authorizerAppId);
    if (typeof options.refreshToken !== "string" || options.refreshToken.trim() === "") {
      throw new TypeError("Invalid refreshToken: expected a non-empty string");
    }
    await this.#authorizers.saveAuthorization({
      authorizer_appid: appid,
      authorizer_refresh_token: options.refreshToken,
    });
  }

  /** The stored record of an authorizer (never its refresh token), or `null`. */
  getAuthorizer(authorizerAppId: string): Promise<AuthorizerRecord | null> {
    return this.#authorizers.getRecord(checkAppId(authorizerAppId));
  }

  /** One page of stored authorizer records. */
  listAuthorizers(options?: { cursor?: string; limit?: number }): Promise<AuthorizerPage> {
    return this.#authorizers.listRecords(options);
  }

  /**
   * Managed tokens expiring within `withinSeconds`, found through store metadata without
   * reading values: what a sweep refreshes.
   */
  async listExpiringTokens(options: ExpiringTokensOptions): Promise<ExpiringToken[]> {
    const within = options?.withinSeconds;
    if (typeof within !== "number" || !Number.isFinite(within) || within < 0) {
      throw new TypeError("Invalid withinSeconds: expected zero or more seconds");
    }
    const limit = options.limit ?? 1000;
    const before = this.#now() + within * 1000;
    const out: ExpiringToken[] = [];
    const component = await this.#store.getWithMetadata(storageKeys.componentToken);
    const expiresAt = component.metadata?.expiresAt;
    if (component.value !== null && typeof expiresAt === "number" && expiresAt <= before) {
      out.push({ kind: "component", expiresAt });
    }
    if (out.length >= limit) return out;
    out.push(...await this.#authorizers.expiring(before, limit - out.length));
    return out;
  }

  /** Refreshes every token {@linkcode listExpiringTokens} finds, one at a time; counts failures. */
  async refreshExpiringTokens(
    options: ExpiringTokensOptions,
  ): Promise<{ refreshed: number; failed: number }> {
    let refreshed = 0;
    let failed = 0;
    for (const item of await this.listExpiringTokens(options)) {
      try {
        if (item.kind === "component") await this.componentToken({ force: true });
        else await this.authorizerToken(item.authorizerAppId!, { force: true });
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
      const page = await this.#upstream.authorizerList({ offset, count: 500 });
      const entry = page.list.find((e) => e.authorizer_appid === appid);
      if (entry) return entry.refresh_token ? { refreshToken: entry.refresh_token } : {};
      offset += page.list.length;
      if (page.list.length === 0 || offset >= page.total_count) return null;
    }
  }
}

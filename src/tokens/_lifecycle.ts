/**
 * The authorization lifecycle over the store: exchanging an authorization code once (the
 * redirect and the `authorized` push carry the same single-use code) and applying the pushes of
 * the authorization event URL.
 *
 * @module
 */

import { toHex } from "../_bytes.ts";
import { nonEmpty } from "../_check.ts";
import { errcodeOf } from "../errors.ts";
import { retry } from "../retry.ts";
import { StoreError } from "../store/errors.ts";
import type { Store } from "../store/store.ts";
import type { AuthorizerTokens, ExchangeStart } from "./_authorizer_tokens.ts";
import type { TicketKeeper } from "./_ticket.ts";
import { ReauthorizationRequiredError } from "./errors.ts";
import { checkAppId, storageKeys } from "./keys.ts";
import type { ComponentEventLike, ComponentEventOutcome, QueryAuthResponse } from "./types.ts";

const AUTH_CODE_MARKER_TTL_SECONDS = 2 * 3600;

/**
 * How far WeChat's clock (a push's `CreateTime`) and ours (`authorizedAt`) may disagree before an
 * `unauthorized` push is judged older than the authorization it would end: 5 minutes.
 */
export const UNAUTHORIZED_CLOCK_SKEW_MS = 5 * 60 * 1000;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/** What the lifecycle needs around it. */
export interface LifecycleDeps {
  store: Store;
  now: () => number;
  componentAppId: string;
  tickets: TicketKeeper;
  authorizers: AuthorizerTokens;
  /** `api_query_auth`. */
  queryAuth: (authCode: string) => Promise<QueryAuthResponse>;
}

/** Authorization-code exchanges and component pushes. */
export class Lifecycle {
  readonly #deps: LifecycleDeps;
  readonly #flights = new Map<string, Promise<QueryAuthResponse>>();

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  /**
   * Exchanges `authCode` once: the refresh token is persisted before this returns; the same
   * code again answers from the store.
   */
  async exchange(authCode: string): Promise<QueryAuthResponse> {
    nonEmpty("authCode", authCode);
    const digest = await sha256Hex(authCode);
    const inflight = this.#flights.get(digest);
    if (inflight) return await inflight;
    const promise = this.#exchangeOnce(authCode, digest).finally(() => {
      if (this.#flights.get(digest) === promise) this.#flights.delete(digest);
    });
    this.#flights.set(digest, promise);
    return await promise;
  }

  async #exchangeOnce(authCode: string, digest: string): Promise<QueryAuthResponse> {
    const { store, authorizers } = this.#deps;
    const markerKey = storageKeys.authCode(digest);
    // A revocation applied from here on wins over this exchange.
    const start = authorizers.exchangeStart();
    const done = await store.get(markerKey);
    if (done !== null) {
      const replay = await this.#replay(done);
      if (replay) return replay;
    }
    const response = await this.#deps.queryAuth(authCode);
    await this.saveAuthorization(response.authorization_info, start);
    await store.put(markerKey, response.authorization_info.authorizer_appid, {
      ttlSeconds: AUTH_CODE_MARKER_TTL_SECONDS,
    }).catch(() => {});
    return response;
  }

  /**
   * Stores the `authorization_info` of an exchange (here or elsewhere): refresh token first,
   * access token superseding, record; with `start`, a revocation applied after it wins
   * (`ReauthorizationRequiredError` `revoked`, nothing kept). The code is spent by now, so a
   * retryable store failure is retried rather than losing the authorization (waits past Workers
   * KV's one write per second per key).
   */
  async saveAuthorization(
    info: QueryAuthResponse["authorization_info"],
    start?: ExchangeStart,
  ): Promise<void> {
    const { authorizers } = this.#deps;
    await retry(() => authorizers.saveAuthorization(info, start), {
      attempts: 4,
      delayMs: (n) => 1100 * n,
      retryIf: (error) => error instanceof StoreError && error.retryable,
    });
  }

  /** Rebuilds an `api_query_auth` answer from the store for a code already exchanged. */
  async #replay(appid: string): Promise<QueryAuthResponse | null> {
    const { authorizers, now } = this.#deps;
    const record = await authorizers.getRecord(appid);
    if (!record || record.status === "revoked") return null;
    const refreshToken = await authorizers.readRefreshToken(appid);
    const info: QueryAuthResponse["authorization_info"] = { authorizer_appid: appid };
    if (refreshToken) {
      const access = await authorizers.get(appid);
      info.authorizer_access_token = access.token;
      info.expires_in = Math.max(0, Math.floor((access.expiresAt - now()) / 1000));
      info.authorizer_refresh_token = refreshToken;
    }
    if (record.funcInfo) info.func_info = record.funcInfo;
    return { authorization_info: info };
  }

  /** Applies a parsed push of the authorization event URL (see `ManagedCredentials`). */
  async apply(event: ComponentEventLike): Promise<ComponentEventOutcome> {
    if (event === null || typeof event !== "object" || typeof event.InfoType !== "string") {
      throw new TypeError("Invalid event: expected a parsed component push with InfoType");
    }
    if (event.AppId !== undefined && event.AppId !== this.#deps.componentAppId) {
      throw new TypeError("Invalid event: it is addressed to another component appid");
    }
    const createTime = event.CreateTime === undefined ? undefined : Number(event.CreateTime);
    switch (event.InfoType) {
      case "component_verify_ticket": {
        const ticket = nonEmpty("ComponentVerifyTicket", event.ComponentVerifyTicket);
        await this.#deps.tickets.accept(ticket, {
          createTime: Number.isFinite(createTime) ? createTime : undefined,
        });
        return { action: "ticket_stored" };
      }
      case "authorized":
      case "updateauthorized":
        return await this.#authorized(event);
      case "unauthorized":
        return await this.#unauthorized(event, createTime);
      case "notify_third_fasteregister":
        return await this.#fastRegistered(event);
      default:
        return { action: "ignored" };
    }
  }

  async #authorized(event: ComponentEventLike): Promise<ComponentEventOutcome> {
    const code = nonEmpty("AuthorizationCode", event.AuthorizationCode);
    return await this.#exchangePushed(code, event.AuthorizerAppid);
  }

  /**
   * `notify_third_fasteregister` with status 0: the new Mini Program is authorized to the
   * platform, and its `auth_code` is exchanged as an `authorized` push's code is, so it becomes
   * an authorizer like any other. A failed registration (status ≠ 0) changes nothing.
   */
  async #fastRegistered(event: ComponentEventLike): Promise<ComponentEventOutcome> {
    const appid = event.appid || undefined;
    return String(event.status).trim() === "0" && event.auth_code
      ? await this.#exchangePushed(event.auth_code, appid)
      : { action: "ignored" };
  }

  async #exchangePushed(
    code: string,
    pushedAppId: string | undefined,
  ): Promise<ComponentEventOutcome> {
    const digest = await sha256Hex(code);
    const already = await this.#deps.store.get(storageKeys.authCode(digest));
    if (already !== null && !this.#flights.has(digest)) {
      return { action: "duplicate", authorizerAppId: already };
    }
    let response: QueryAuthResponse;
    try {
      response = await this.exchange(code);
    } catch (error) {
      // Revoked while the code was being exchanged: the revocation wins, nothing was kept.
      if (error instanceof ReauthorizationRequiredError && error.reason === "revoked") {
        return { action: "ignored", authorizerAppId: error.authorizerAppId };
      }
      // The code was already exchanged elsewhere (another instance took the redirect and its
      // marker is not visible here yet): harmless when the authorizer is on record.
      const errcode = errcodeOf(error);
      if (
        (errcode === 61009 || errcode === 61010) && pushedAppId !== undefined &&
        await this.#isAuthorized(pushedAppId)
      ) {
        return { action: "duplicate", authorizerAppId: pushedAppId };
      }
      throw error;
    }
    return { action: "authorized", authorizerAppId: response.authorization_info.authorizer_appid };
  }

  /**
   * `unauthorized`: purges the tokens and records the revocation, dated by the push's
   * `CreateTime` (else now). Ignored (nothing changes) when the push is older than what is on
   * record:
   * - older than, or as old as, a revocation already applied and followed by a new
   *   authorization: both times are WeChat's clock, so skew does not matter;
   * - more than {@linkcode UNAUTHORIZED_CLOCK_SKEW_MS} older than the current authorization
   *   (`authorizedAt`, record not revoked): a replay or a late delivery about an earlier
   *   authorization. This compares WeChat's clock with ours: with our clock more than the skew
   *   ahead of WeChat's, a genuine revocation that soon after an authorization is ignored (the
   *   tokens stay until a refresh fails with 61003); with our clock behind, or a revocation made
   *   less than the skew before a re-authorization and delivered after it, the revocation
   *   applies to the new authorization.
   */
  async #unauthorized(
    event: ComponentEventLike,
    createTime: number | undefined,
  ): Promise<ComponentEventOutcome> {
    const { authorizers } = this.#deps;
    const appid = checkAppId(nonEmpty("AuthorizerAppid", event.AuthorizerAppid));
    const revokedAt = createTime !== undefined && Number.isFinite(createTime)
      ? createTime * 1000
      : this.#deps.now();
    const record = await authorizers.getRecord(appid);
    if (
      record !== null && record.status !== "revoked" && record.authorizedAt !== undefined &&
      revokedAt < record.authorizedAt - UNAUTHORIZED_CLOCK_SKEW_MS
    ) {
      // Made before the authorization on record (WeChat's clock vs ours, see above).
      return { action: "ignored", authorizerAppId: appid };
    }
    if (
      record !== null && record.status !== "revoked" && record.revokedAt !== undefined &&
      revokedAt <= record.revokedAt
    ) {
      // A late retry of a revocation already applied (both times are WeChat's clock, so skew
      // does not matter): the account authorized again since.
      return { action: "ignored", authorizerAppId: appid };
    }
    await authorizers.revoke(appid, revokedAt);
    return { action: "revoked", authorizerAppId: appid };
  }

  async #isAuthorized(appid: string): Promise<boolean> {
    checkAppId(appid);
    const { authorizers } = this.#deps;
    const record = await authorizers.getRecord(appid);
    return record?.status === "authorized" && (await authorizers.readRefreshToken(appid)) !== null;
  }
}

/**
 * Authorizer tokens: the refresh token (the most precious datum), the managed access token and
 * the authorizer record.
 *
 * Rules this module keeps:
 * - every new `authorizer_refresh_token` is persisted before any access token derived from it is
 *   returned; a failed persist fails the operation;
 * - a failed refresh never deletes or overwrites the stored refresh token;
 * - on 61023 the current refresh token is looked up with `api_get_authorizer_list` and tried once
 *   before the authorizer is marked as needing re-authorization;
 * - one upstream refresh per authorizer at a time;
 * - a revocation wins over a refresh in flight: when `unauthorized` is applied while a refresh
 *   waits for WeChat, the refresh writes nothing back (checked before and after its writes, in
 *   this instance through a revocation generation and across instances through the record);
 *   likewise an `api_query_auth` exchange started before a revocation was applied keeps nothing
 *   (one started after it, a re-authorization, is kept).
 *
 * @module
 */

import type { StoreMetadata } from "../store/store.ts";
import { errcodeOf } from "../errors.ts";
import { ReauthorizationRequiredError } from "./errors.ts";
import type {
  AccessTokenInfo,
  AuthorizationInfo,
  AuthorizerPage,
  AuthorizerRecord,
  AuthorizerTokenResponse,
  ExpiringToken,
} from "./types.ts";
import type { ManagedTokens } from "./_managed.ts";
import { storageKeys } from "./keys.ts";

/** The upstream calls the authorizer tokens need (provided by the client). */
export interface AuthorizerUpstream {
  /** `api_authorizer_token`. */
  refresh(appid: string, refreshToken: string): Promise<AuthorizerTokenResponse>;
  /** Looks `appid` up in `api_get_authorizer_list`: absent → `null`. */
  findInList(appid: string): Promise<{ refreshToken?: string } | null>;
}

/** Called after a new refresh token was persisted, before anything derived from it is returned. */
export type RefreshTokenHook = (authorizerAppId: string, refreshToken: string) => unknown;

/** Where the revocations stood when an `api_query_auth` exchange started (see `exchangeStart`). */
export interface ExchangeStart {
  /** This instance's revocation counter. */
  generation: number;
  /** Our clock, ms. */
  at: number;
}

interface StoredRefreshToken {
  refreshToken: string;
  updatedAt: number;
}

/** Manages every authorizer's tokens and record. */
export class AuthorizerTokens {
  readonly #tokens: ManagedTokens;
  readonly #upstream: AuthorizerUpstream;
  readonly #hook: RefreshTokenHook | undefined;
  /**
   * Revocations applied by this instance, per authorizer: the counter value of the last one,
   * its date (WeChat's clock) and when it was applied (ours).
   */
  readonly #revocations = new Map<
    string,
    { generation: number; revokedAt: number; appliedAt: number }
  >();
  /** How many revocations this instance applied. */
  #revocationCount = 0;

  constructor(tokens: ManagedTokens, upstream: AuthorizerUpstream, hook?: RefreshTokenHook) {
    this.#tokens = tokens;
    this.#upstream = upstream;
    this.#hook = hook;
  }

  /** The stored access token when not expired, without any upstream call. */
  cached(appid: string): Promise<AccessTokenInfo | null> {
    return this.#tokens.cached(storageKeys.authorizerToken(appid));
  }

  /** The managed access token of `appid`. */
  get(appid: string): Promise<AccessTokenInfo> {
    return this.#tokens.get(storageKeys.authorizerToken(appid), () => this.#refreshNow(appid));
  }

  /** Refreshes only if the stored token is still `invalidToken` (or expired). */
  refreshIfStale(appid: string, invalidToken: string): Promise<AccessTokenInfo> {
    return this.#tokens.refreshIfStale(
      storageKeys.authorizerToken(appid),
      invalidToken,
      () => this.#refreshNow(appid),
    );
  }

  /** Forces a refresh (joins one in progress). */
  refresh(appid: string): Promise<AccessTokenInfo> {
    return this.#tokens.refresh(storageKeys.authorizerToken(appid), () => this.#refreshNow(appid));
  }

  /** The stored refresh token, or `null`. */
  async readRefreshToken(appid: string): Promise<string | null> {
    const raw = await this.#tokens.store.get(storageKeys.authorizerRefresh(appid));
    if (raw === null) return null;
    try {
      const parsed = JSON.parse(raw) as StoredRefreshToken;
      if (typeof parsed.refreshToken === "string" && parsed.refreshToken !== "") {
        return parsed.refreshToken;
      }
    } catch {
      // corrupt: treated as absent, but never overwritten by a failed refresh
    }
    return null;
  }

  /** Persists `refreshToken` (never with a TTL), then runs the hook. Failures propagate. */
  async saveRefreshToken(appid: string, refreshToken: string): Promise<void> {
    const updatedAt = this.#tokens.now();
    const value: StoredRefreshToken = { refreshToken, updatedAt };
    await this.#tokens.store.put(storageKeys.authorizerRefresh(appid), JSON.stringify(value), {
      metadata: { updatedAt },
    });
    if (this.#hook) await this.#hook(appid, refreshToken);
  }

  /**
   * Taken before an `api_query_auth` call, then given to {@linkcode saveAuthorization}. `at`
   * (our clock, ms; default now) is when the exchange started, for one that started earlier or
   * elsewhere: a revocation this instance applied after `at`, or one on record written after
   * `at`, wins over it.
   */
  exchangeStart(at: number = this.#tokens.now()): ExchangeStart {
    return { generation: this.#revocationCount, at };
  }

  /**
   * Applies an authorization (`api_query_auth`): refresh token first (must succeed), then the
   * access token and the record (best effort: the refresh token alone recovers both). With
   * `start`, throws {@linkcode ReauthorizationRequiredError} (`revoked`) and keeps nothing when
   * the authorizer was revoked after the exchange started.
   */
  async saveAuthorization(info: AuthorizationInfo, start?: ExchangeStart): Promise<void> {
    const appid = info.authorizer_appid;
    if (start) await this.#checkNotRevokedAfter(appid, start);
    let newRefresh: string | undefined;
    if (info.authorizer_refresh_token) {
      const current = await this.readRefreshToken(appid);
      if (current !== info.authorizer_refresh_token) {
        await this.saveRefreshToken(appid, info.authorizer_refresh_token);
        newRefresh = info.authorizer_refresh_token;
      }
    }
    let access: string | undefined;
    if (info.authorizer_access_token && info.expires_in !== undefined) {
      const record = this.#tokens.record(info.authorizer_access_token, info.expires_in);
      await this.#tokens.writeSuperseding(storageKeys.authorizerToken(appid), record);
      access = record.token;
    }
    if (start) {
      try {
        await this.#checkNotRevokedAfter(appid, start);
      } catch (error) {
        // Revoked while the tokens were written: take them back.
        await this.#undoWrites(appid, newRefresh, access);
        throw error;
      }
    }
    const now = this.#tokens.now();
    const previous = await this.getRecord(appid).catch(() => null);
    const record: AuthorizerRecord = {
      authorizerAppId: appid,
      status: "authorized",
      authorizedAt: now,
      updatedAt: now,
      ...(previous?.revokedAt !== undefined ? { revokedAt: previous.revokedAt } : {}),
      ...(info.func_info ? { funcInfo: info.func_info } : {}),
    };
    await this.#writeRecord(record).catch(() => {});
    if (start) {
      try {
        await this.#checkNotRevokedAfter(appid, start);
      } catch (error) {
        await this.#undoWrites(appid, newRefresh, access);
        // The record written above may have replaced the revocation's: put it back.
        const revocation = this.#revocations.get(appid);
        const current = await this.getRecord(appid).catch(() => null);
        if (revocation && current?.status === "authorized" && current.authorizedAt === now) {
          await this.#writeRecord({
            ...record,
            status: "revoked",
            updatedAt: this.#tokens.now(),
            revokedAt: revocation.revokedAt,
          }).catch(() => {});
        }
        throw error;
      }
    }
  }

  /** `unauthorized`: records the revocation, then purges both tokens. */
  async revoke(appid: string, revokedAt: number): Promise<AuthorizerRecord> {
    this.#revocations.set(appid, {
      generation: ++this.#revocationCount,
      revokedAt,
      appliedAt: this.#tokens.now(),
    });
    const previous = await this.getRecord(appid);
    const record: AuthorizerRecord = {
      ...(previous ?? {}),
      authorizerAppId: appid,
      status: "revoked",
      updatedAt: this.#tokens.now(),
      revokedAt,
    };
    delete record.reason;
    delete record.reauthorizationRequiredAt;
    // A retried (or replayed) push of the revocation already on record is not written again.
    if (previous?.status !== "revoked" || previous.revokedAt !== revokedAt) {
      await this.#writeRecord(record);
    }
    await this.#tokens.store.delete(storageKeys.authorizerToken(appid));
    await this.#tokens.store.delete(storageKeys.authorizerRefresh(appid));
    // JS-SDK tickets: nothing may sign for an account that left.
    await this.#tokens.store.delete(storageKeys.authorizerTicket(appid, "jsapi"));
    await this.#tokens.store.delete(storageKeys.authorizerTicket(appid, "wx_card"));
    return record;
  }

  /** The stored record, or `null`. Falls back to a minimal record when only a refresh token exists. */
  async getRecord(appid: string): Promise<AuthorizerRecord | null> {
    const raw = await this.#tokens.store.get(storageKeys.authorizer(appid));
    if (raw !== null) {
      try {
        return JSON.parse(raw) as AuthorizerRecord;
      } catch {
        // fall through
      }
    }
    const refresh = await this.#tokens.store.getWithMetadata(storageKeys.authorizerRefresh(appid));
    if (refresh.value === null) return null;
    const updatedAt = typeof refresh.metadata?.updatedAt === "number"
      ? refresh.metadata.updatedAt
      : this.#tokens.now();
    return { authorizerAppId: appid, status: "authorized", updatedAt };
  }

  /** One page of authorizer records. */
  async listRecords(options: { cursor?: string; limit?: number } = {}): Promise<AuthorizerPage> {
    const page = await this.#tokens.store.list({
      prefix: storageKeys.authorizerPrefix,
      cursor: options.cursor,
      limit: options.limit,
    });
    const values = await Promise.all(page.keys.map((key) => this.#tokens.store.get(key.name)));
    const authorizers: AuthorizerRecord[] = [];
    for (const raw of values) {
      if (raw === null) continue;
      try {
        authorizers.push(JSON.parse(raw) as AuthorizerRecord);
      } catch {
        // skip a corrupt record
      }
    }
    return {
      authorizers,
      complete: page.complete,
      ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
    };
  }

  /** Authorizer access tokens whose expiry is at or before `before` (ms), up to `limit`. */
  async expiring(before: number, limit: number): Promise<ExpiringToken[]> {
    const out: ExpiringToken[] = [];
    let cursor: string | undefined;
    const prefix = storageKeys.authorizerTokenPrefix;
    do {
      const page = await this.#tokens.store.list({ prefix, cursor });
      for (const key of page.keys) {
        const expiresAt = key.metadata?.expiresAt;
        if (typeof expiresAt !== "number" || expiresAt > before) continue;
        out.push({ kind: "authorizer", authorizerAppId: key.name.slice(prefix.length), expiresAt });
        if (out.length >= limit) return out;
      }
      cursor = page.complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  async #writeRecord(record: AuthorizerRecord): Promise<void> {
    const metadata: StoreMetadata = { status: record.status, updatedAt: record.updatedAt };
    if (record.revokedAt !== undefined) metadata.revokedAt = record.revokedAt;
    await this.#tokens.store.put(
      storageKeys.authorizer(record.authorizerAppId),
      JSON.stringify(record),
      { metadata },
    );
  }

  async #markReauthorizationRequired(appid: string, reason: string): Promise<void> {
    try {
      const previous = await this.getRecord(appid);
      const now = this.#tokens.now();
      await this.#writeRecord({
        ...(previous ?? {}),
        authorizerAppId: appid,
        status: previous?.status === "revoked" ? "revoked" : "reauthorization_required",
        updatedAt: now,
        reauthorizationRequiredAt: now,
        reason,
      });
    } catch {
      // the error thrown to the caller says it all; the mark is for health reports
    }
  }

  /** What identifies the revocation a record says happened (`null`: not revoked). */
  #revocationStamp(record: AuthorizerRecord | null): string | null {
    return record?.status === "revoked" ? `${record.revokedAt}:${record.updatedAt}` : null;
  }

  /**
   * Throws when `appid` was revoked since `start` was taken (generation of this instance, and
   * the stored record for revocations applied elsewhere).
   */
  async #checkNotRevokedSince(
    appid: string,
    start: { generation: number; stamp: string | null },
  ): Promise<void> {
    let revoked = (this.#revocations.get(appid)?.generation ?? 0) !== start.generation;
    if (!revoked) {
      const stamp = this.#revocationStamp(await this.getRecord(appid));
      revoked = stamp !== null && stamp !== start.stamp;
    }
    if (revoked) throw new ReauthorizationRequiredError(appid, "revoked");
  }

  /**
   * Throws when `appid` was revoked after an exchange took `start`: by this instance (its
   * counter, or applied later than `start.at`), or by another one (a revoked record written
   * later than `start.at`, our clock).
   */
  async #checkNotRevokedAfter(appid: string, start: ExchangeStart): Promise<void> {
    const local = this.#revocations.get(appid);
    let revoked = local !== undefined &&
      (local.generation > start.generation || local.appliedAt > start.at);
    if (!revoked) {
      const record = await this.getRecord(appid);
      revoked = record?.status === "revoked" && record.updatedAt > start.at;
    }
    if (revoked) throw new ReauthorizationRequiredError(appid, "revoked");
  }

  /** Deletes the tokens a refresh or an exchange wrote, if they are still the stored ones. */
  async #undoWrites(
    appid: string,
    refreshToken: string | undefined,
    token: string | undefined,
  ): Promise<void> {
    const store = this.#tokens.store;
    if (refreshToken !== undefined && await this.readRefreshToken(appid) === refreshToken) {
      await store.delete(storageKeys.authorizerRefresh(appid));
    }
    if (
      token !== undefined &&
      (await this.#tokens.read(storageKeys.authorizerToken(appid)))?.token === token
    ) {
      await store.delete(storageKeys.authorizerToken(appid));
    }
  }

  async #refreshNow(appid: string): Promise<AccessTokenInfo> {
    const generation = this.#revocations.get(appid)?.generation ?? 0;
    const [stored, startRecord] = await Promise.all([
      this.readRefreshToken(appid),
      this.getRecord(appid),
    ]);
    if (stored === null) {
      throw new ReauthorizationRequiredError(
        appid,
        startRecord?.status === "revoked" ? "revoked" : "no_refresh_token",
      );
    }
    const start = { generation, stamp: this.#revocationStamp(startRecord) };
    let used = stored;
    let response: AuthorizerTokenResponse;
    try {
      response = await this.#upstream.refresh(appid, used);
    } catch (error) {
      const errcode = errcodeOf(error);
      if (errcode === 61003) {
        await this.#markReauthorizationRequired(appid, "not_authorized");
        throw new ReauthorizationRequiredError(appid, "not_authorized", { cause: error });
      }
      if (errcode !== 61023) throw error;
      const record = await this.getRecord(appid);
      if (
        record?.status === "reauthorization_required" && record.reason === "refresh_token_invalid"
      ) {
        // Already looked up last time: do not hammer WeChat with list calls.
        throw new ReauthorizationRequiredError(appid, "refresh_token_invalid", { cause: error });
      }
      const entry = await this.#upstream.findInList(appid);
      if (entry === null) {
        await this.#markReauthorizationRequired(appid, "refresh_token_invalid");
        throw new ReauthorizationRequiredError(appid, "refresh_token_invalid", { cause: error });
      }
      // The listed token is persisted once, after the retry: with it (or with the token the
      // retry rotated it into) on success, alone on failure. One write to the key, as Workers
      // KV allows one write per second per key.
      const listed = entry.refreshToken && entry.refreshToken !== used
        ? entry.refreshToken
        : undefined;
      if (listed) used = listed;
      try {
        response = await this.#upstream.refresh(appid, used);
      } catch (second) {
        const secondCode = errcodeOf(second);
        if (secondCode === 61023 || secondCode === 61003) {
          const reason = secondCode === 61003 ? "not_authorized" : "refresh_token_invalid";
          await this.#markReauthorizationRequired(appid, reason);
          throw new ReauthorizationRequiredError(appid, reason, { cause: second });
        }
        if (listed) {
          await this.#checkNotRevokedSince(appid, start);
          // Best effort: if this write fails too, the list still has the token next time.
          await this.saveRefreshToken(appid, listed).catch(() => {});
        }
        throw second;
      }
    }
    // The authorization may have been revoked while WeChat answered: then nothing is written.
    await this.#checkNotRevokedSince(appid, start);
    const latest = response.authorizer_refresh_token || used;
    const newRefresh = latest !== stored ? latest : undefined;
    if (newRefresh) await this.saveRefreshToken(appid, newRefresh);
    const record = this.#tokens.record(response.authorizer_access_token, response.expires_in);
    // The refresh token is safe; if this write fails the token is still valid and returned (and
    // the superseded one is deleted).
    await this.#tokens.writeSuperseding(storageKeys.authorizerToken(appid), record);
    try {
      await this.#checkNotRevokedSince(appid, start);
    } catch (error) {
      // Revoked between the check and the writes: take back what this refresh wrote.
      await this.#undoWrites(appid, newRefresh, record.token);
      throw error;
    }
    const current = await this.getRecord(appid).catch(() => null);
    if (current && current.status === "reauthorization_required") {
      const { reason: _r, reauthorizationRequiredAt: _a, ...rest } = current;
      await this.#writeRecord({ ...rest, status: "authorized", updatedAt: this.#tokens.now() })
        .catch(() => {});
    }
    return { token: record.token, expiresAt: record.expiresAt };
  }
}

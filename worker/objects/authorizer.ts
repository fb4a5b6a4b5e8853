/**
 * `AuthorizerCredential`: one Durable Object per authorizer (named by its appid), the single
 * writer of that authorizer's tokens. Its refresh token, access token and record live in the
 * object's own storage and are written through to KV for the hot path; its alarm refreshes the
 * access token ahead of expiry (with jitter), backs off on faults and stops on revocation.
 *
 * The component token it needs comes through the worker's credentials port (isolate cache, KV,
 * then the `ComponentCredential` object), so only that object ever refreshes it.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { DurableObject } from "cloudflare:workers";
import {
  type AccessTokenInfo,
  type AuthorizationInfo,
  type ComponentEventOutcome,
  ReauthorizationRequiredError,
  storageKeys,
  WeChatError,
  WxOpenError,
} from "../../mod.ts";
import { parseComponentEvent } from "../../src/events/mod.ts";
import type { WorkerClient } from "../client.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { type ObjectOptions, objectRuntime } from "./runtime.ts";
import type { DurableStore } from "./durable_store.ts";
import { type Claim, MessageLedger } from "./ledger.ts";
import { capture, type RpcResult } from "./result.ts";
import { applySchedule, currentSchedule } from "./alarm.ts";
import {
  isDue,
  type RefreshSchedule,
  scheduleAfterFailure,
  scheduleAfterToken,
} from "./schedule.ts";

/**
 * How long after an `authorized`/`updateauthorized` push the authorizer counts as pending (the
 * push handler's exchange with its retries ends well within this).
 */
const PENDING_AUTHORIZATION_MS = 2 * 60 * 1000;
const PENDING_KEY = "pending-authorization-at";

/**
 * What `api_authorizer_token` answers for a refresh token it will not take: 61023 (invalid
 * refresh token), 61003 (the account does not authorize this platform), 40030/42002 (invalid or
 * expired refresh token).
 */
const IMPORT_REFUSED: ReadonlySet<number> = new Set([61023, 61003, 40030, 42002]);

/** What a token request asks: the current token, or a refresh of a reported or any token. */
export interface TokenRequest {
  invalid?: string;
  force?: boolean;
}

/** Builds the class, closed over `options` (dev injects the simulator's fetch). */
export function authorizerCredentialClass(options: ObjectOptions = {}) {
  return class AuthorizerCredential extends DurableObject<Env> {
    #client: WorkerClient | undefined;
    #store: DurableStore | undefined;
    #known: string | undefined;
    #ledger: MessageLedger | undefined;

    #messages(): MessageLedger {
      return this.#ledger ??= new MessageLedger(this.ctx.storage);
    }

    #setup(): { client: WorkerClient; store: DurableStore } {
      if (!this.#client || !this.#store) {
        const { client, store } = objectRuntime(this.ctx.storage, this.env, options, "authorizer");
        this.#client = client;
        this.#store = store;
      }
      return { client: this.#client, store: this.#store };
    }

    /** The appid stored by the first call, read once per instance (it never changes). */
    async #stored(): Promise<string | undefined> {
      return this.#known ??= await this.ctx.storage.get<string>("appid");
    }

    /** Checks `appid` against this object's, storing it at the first call (its name is not visible here). */
    async #appid(appid?: string): Promise<string> {
      const known = await this.#stored();
      if (known) {
        if (appid !== undefined && appid !== known) {
          throw new HttpError(400, "wrong_instance", "This call belongs to another authorizer");
        }
        return known;
      }
      if (appid === undefined) throw new HttpError(404, "not_found", "No such authorizer");
      await this.ctx.storage.put("appid", appid);
      return this.#known = appid;
    }

    /** The access token (`{}`), or a refresh of a reported (`invalid`) or any (`force`) one. */
    token(appid: string, request: TokenRequest = {}): Promise<RpcResult<AccessTokenInfo>> {
      return capture("authorizer token", async () => {
        await this.#appid(appid);
        try {
          const { client, store } = this.#setup();
          const info = await client.authorizer(appid).accessToken(request);
          await this.#scheduleAfter(info);
          // A plain request reaches this object when KV had no usable token: put it back there.
          if (request.invalid === undefined && !request.force) {
            await store.heal(storageKeys.authorizerToken(appid));
          }
          return { token: info.token, expiresAt: info.expiresAt };
        } catch (err) {
          throw await this.#explain(appid, err);
        }
      });
    }

    /**
     * Stores an authorization the component's object exchanged (`api_query_auth`), unless a
     * revocation applied after `startedAt` (ms) wins; then schedules the refresh.
     */
    authorize(
      info: AuthorizationInfo,
      startedAt: number,
    ): Promise<RpcResult<{ token?: string; expiresAt?: number }>> {
      return capture("authorizer authorize", async () => {
        await this.#appid(info.authorizer_appid);
        const { client } = this.#setup();
        await client.managed.applyAuthorization(info, { startedAt });
        await this.ctx.storage.delete(PENDING_KEY);
        const cached = await client.managed.authorizerToken(info.authorizer_appid, {
          cachedOnly: true,
        }).catch(() => null);
        if (cached) await this.#scheduleAfter(cached);
        else await this.#schedule({ at: Date.now(), failures: 0 });
        return cached ? { token: cached.token, expiresAt: cached.expiresAt } : {};
      });
    }

    /**
     * Adopts a refresh token brought from another system: proves it with one
     * `api_authorizer_token` first, and only then stores what WeChat answered (refresh token,
     * access token, record, with `func_info` from `api_get_authorizer_info` when it answers).
     * A token WeChat refuses is a 422 `refresh_token_rejected` and changes nothing stored, so an
     * authorizer this object already serves keeps its own token. Answers the new access token
     * (for the worker's isolate cache; the route never shows it) and the `authorizer_info` as
     * JSON (for the worker's profile record), never the refresh token.
     */
    importRefreshToken(
      appid: string,
      refreshToken: string,
    ): Promise<RpcResult<AccessTokenInfo & { authorizerInfo?: string }>> {
      return capture("authorizer import", async () => {
        await this.#appid(appid);
        const { client } = this.#setup();
        const startedAt = Date.now();
        let proof;
        try {
          proof = await client.refreshAuthorizerToken(appid, refreshToken);
        } catch (err) {
          if (err instanceof WeChatError && IMPORT_REFUSED.has(err.errcode)) {
            throw new HttpError(
              422,
              "refresh_token_rejected",
              `WeChat refused the refresh token of ${appid} (errcode ${err.errcode})`,
              { errcode: err.errcode, errmsg: err.errmsg },
            );
          }
          throw err;
        }
        const details = await client.getAuthorizerInfo(appid).catch((err) => {
          console.warn(`[wxopen] api_get_authorizer_info failed: ${(err as Error).name}`);
          return null;
        });
        const funcInfo = details?.authorization_info?.func_info ??
          (await client.managed.getAuthorizer(appid).catch(() => null))?.funcInfo;
        await client.managed.applyAuthorization({
          authorizer_appid: appid,
          authorizer_access_token: proof.authorizer_access_token,
          expires_in: proof.expires_in,
          authorizer_refresh_token: proof.authorizer_refresh_token || refreshToken,
          ...(funcInfo ? { func_info: funcInfo } : {}),
        }, { startedAt });
        await this.ctx.storage.delete(PENDING_KEY);
        const info = await client.managed.authorizerToken(appid, { cachedOnly: true });
        await this.#scheduleAfter(info);
        return {
          token: info.token,
          expiresAt: info.expiresAt,
          // As JSON: RPC's types do not carry WeChat's open-ended object.
          ...(details?.authorizer_info
            ? { authorizerInfo: JSON.stringify(details.authorizer_info) }
            : {}),
        };
      });
    }

    /** Applies an `unauthorized` push for this authorizer (the raw decrypted XML). */
    unauthorized(appid: string, xml: string): Promise<RpcResult<ComponentEventOutcome>> {
      return capture("authorizer unauthorized", async () => {
        await this.#appid(appid);
        const event = parseComponentEvent(xml);
        if (event.InfoType !== "unauthorized" || event.AuthorizerAppid !== appid) {
          throw new HttpError(400, "wrong_instance", "This event belongs to another authorizer");
        }
        await this.ctx.storage.delete(PENDING_KEY);
        const outcome = await this.#setup().client.managed.applyComponentEvent(event);
        if (outcome.action === "revoked") await this.#stopSchedule();
        return outcome;
      });
    }

    // ---- messages ----

    /**
     * Takes a message by its key (see worker/messages.ts `messageKey`), or answers how an earlier
     * copy of it was answered (waiting up to `waitMs` for a copy still being answered).
     */
    claimMessage(appid: string, key: string, waitMs: number): Promise<RpcResult<Claim>> {
      return capture("authorizer claim", async () => {
        await this.#appid(appid);
        return await this.#messages().claim(key, waitMs);
      });
    }

    /**
     * One isolate's round of the message ledger (worker/ledger_link.ts): how taken messages were
     * answered (`[key, reply]`, recorded first), then a claim of each key in `claims`, answered
     * in order without waiting (a copy being answered elsewhere is `busy`).
     */
    messages(
      appid: string,
      answers: [key: string, reply: string | null][],
      claims: string[],
    ): Promise<RpcResult<Claim[]>> {
      return capture("authorizer messages", async () => {
        await this.#appid(appid);
        const ledger = this.#messages();
        for (const [key, reply] of answers) ledger.complete(key, reply);
        const out: Claim[] = [];
        for (const key of claims) out.push(await ledger.claim(key, 0));
        return out;
      });
    }

    /** Forgets a taken message (it was answered 5xx: WeChat's retry must be taken again). */
    releaseMessage(appid: string, key: string): Promise<RpcResult<null>> {
      return capture("authorizer release", async () => {
        await this.#appid(appid);
        this.#messages().release(key);
        return null;
      });
    }

    /** Records (`mark`) or asks whether delivery `id` reached the forward URL. */
    delivered(appid: string, id: string, mark: boolean): Promise<RpcResult<boolean>> {
      return capture("authorizer delivered", async () => {
        await this.#appid(appid);
        if (mark) this.#messages().markDelivered(id);
        return mark || await this.#messages().isDelivered(id);
      });
    }

    // ---- end messages ----

    /** An authorization push for this authorizer arrived (`clear`: its exchange gave up). */
    pending(appid: string, clear: boolean): Promise<RpcResult<null>> {
      return capture("authorizer pending", async () => {
        await this.#appid(appid);
        if (clear) await this.ctx.storage.delete(PENDING_KEY);
        else await this.ctx.storage.put(PENDING_KEY, Date.now());
        return null;
      });
    }

    /**
     * The cron's reconciliation: makes sure an authorized authorizer has a refresh alarm, and
     * refreshes now when its token is already due. Answers the alarm time (`null`: none needed).
     */
    ensureScheduled(appid: string): Promise<RpcResult<number | null>> {
      return capture("authorizer ensure", async () => {
        await this.#appid(appid);
        const alarm = await this.ctx.storage.getAlarm();
        if (alarm !== null) return alarm;
        const record = await this.#setup().client.managed.getAuthorizer(appid);
        if (!record || record.status !== "authorized") return null;
        await this.#schedule({ at: Date.now(), failures: 0 });
        return Date.now();
      });
    }

    /** The refresh schedule: refresh when due, else move the alarm to the token's expiry. */
    override async alarm(): Promise<void> {
      const appid = await this.#stored();
      if (!appid) return;
      const { client, store } = this.#setup();
      await store.resync();
      const schedule = await currentSchedule(this.ctx.storage);
      try {
        const cached = await client.managed.authorizerToken(appid, { cachedOnly: true })
          .catch(() => null);
        // Someone refreshed since (a reported token): follow that token's expiry.
        const info = cached && !isDue(cached)
          ? cached
          : await client.authorizer(appid).accessToken({ force: true });
        await this.#scheduleAfter(info);
      } catch (err) {
        if (err instanceof ReauthorizationRequiredError) {
          // Revoked or refused by WeChat: nothing to refresh until it authorizes again.
          await this.#stopSchedule();
          return;
        }
        const next = scheduleAfterFailure(schedule);
        console.warn(
          `[wxopen] refresh of ${appid} failed (${(err as Error).name}), retry in ${
            Math.round((next.at - Date.now()) / 1000)
          } s`,
        );
        await this.#schedule(next);
      }
    }

    async #scheduleAfter(info: AccessTokenInfo): Promise<void> {
      await this.#schedule(scheduleAfterToken(info));
    }

    #schedule(schedule: RefreshSchedule): Promise<void> {
      return applySchedule(this.ctx.storage, schedule);
    }

    #stopSchedule(): Promise<void> {
      return applySchedule(this.ctx.storage, null);
    }

    /** Maps a token failure to what the caller should hear. */
    async #explain(appid: string, err: unknown): Promise<unknown> {
      if (!(err instanceof WxOpenError) || err.code !== "reauthorization_required") return err;
      // Mid-authorization the refresh token is not stored yet: temporary, not revoked.
      const at = await this.ctx.storage.get<number>(PENDING_KEY);
      if (at !== undefined && Date.now() - at < PENDING_AUTHORIZATION_MS) {
        return new HttpError(
          503,
          "authorization_pending",
          `The authorization of ${appid} is still being completed, retry shortly`,
        );
      }
      // Never authorized here: not a re-authorization, just unknown.
      if ((await this.#setup().client.managed.getAuthorizer(appid)) === null) {
        return new HttpError(404, "not_found", "No such authorizer");
      }
      return err;
    }
  };
}

/** An `AuthorizerCredential` object (the typed RPC surface of the `AUTHORIZERS` binding). */
export type AuthorizerCredential = InstanceType<ReturnType<typeof authorizerCredentialClass>>;

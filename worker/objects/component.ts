/**
 * `ComponentCredential`: the one Durable Object (instance `component`) that owns the ticket and
 * the `component_access_token`, and runs every authorization-code exchange, so WeChat's
 * `authorized` push and the browser's redirect, which carry the same single-use code, share one
 * `api_query_auth`. Ticket pushes are applied one at a time: the newest `CreateTime` wins and a
 * duplicate is written once. What it keeps lives in its own storage, written through to KV.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { DurableObject } from "cloudflare:workers";
import { type AccessTokenInfo, type ComponentEventOutcome, storageKeys } from "../../mod.ts";
import { parseComponentEvent } from "../../src/events/mod.ts";
import type { WorkerClient } from "../client.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { authorizerObject } from "../credentials.ts";
import { saveAuthorizerInfo, WORKER_PREFIX } from "../records.ts";
import { preAuthDigest as digestOf } from "../state.ts";
import type { DurableStore } from "./durable_store.ts";
import { MessageLedger } from "./ledger.ts";
import { capture, type RpcResult, unwrap } from "./result.ts";
import { type ObjectOptions, type ObjectRuntime, objectRuntime } from "./runtime.ts";
import { applySchedule, currentSchedule } from "./alarm.ts";
import {
  isDue,
  type RefreshSchedule,
  scheduleAfterFailure,
  scheduleAfterToken,
} from "./schedule.ts";

/** How often `api_start_push_ticket` may be called, at most. */
const START_PUSH_INTERVAL_MS = 10 * 60 * 1000;
/** How long an exchanged code's authorizer is remembered (WeChat's code lifetime). */
const CODE_MEMORY_MS = 60 * 60 * 1000;

/** The result of exchanging an authorization code. */
export interface ExchangeAnswer {
  authorizerAppId: string;
  token?: string;
  expiresAt?: number;
  nickName?: string;
  /** True when this code was exchanged earlier (a retry, or the push/redirect pair). */
  duplicate?: boolean;
}

/** What the object remembers of an exchanged code (by its SHA-256). */
interface CodeMarker {
  appid: string;
  at: number;
  nickName?: string;
  /** The browser state that completed it, once one did. */
  state?: string;
  /** SHA-256 (hex) of the `pre_auth_code` WeChat's `authorized` push named for it, if one did. */
  preAuth?: string;
}

function codeUsed(): HttpError {
  return new HttpError(
    409,
    "code_used",
    "This authorization code was already used; start the authorization again from its page",
  );
}

/** Builds the class, closed over `options` (dev injects the simulator's fetch). */
export function componentCredentialClass(options: ObjectOptions = {}) {
  return class ComponentCredential extends DurableObject<Env> {
    #runtime: ObjectRuntime | undefined;
    readonly #exchanges = new Map<string, Promise<ExchangeAnswer>>();
    #ticketQueue: Promise<unknown> = Promise.resolve();
    /** Read-modify-writes of states and code records, one at a time. */
    #markQueue: Promise<unknown> = Promise.resolve();
    #ledger: MessageLedger | undefined;

    #setup(): { client: WorkerClient; store: DurableStore; runtime: ObjectRuntime } {
      this.#runtime ??= objectRuntime(this.ctx.storage, this.env, options, "component");
      return { client: this.#runtime.client, store: this.#runtime.store, runtime: this.#runtime };
    }

    /** The component token (`{}`), or a refresh of a reported (`invalid`) or any (`force`) one. */
    componentToken(
      request: { invalid?: string; force?: boolean } = {},
    ): Promise<RpcResult<AccessTokenInfo>> {
      return capture("component token", async () => {
        const { client, store } = this.#setup();
        const info = await client.credentials.componentToken(request);
        await this.#schedule(scheduleAfterToken(info));
        // A plain request reaches this object when KV had no usable token: put it back there.
        if (request.invalid === undefined && !request.force) {
          await store.heal(storageKeys.componentToken);
        }
        return { token: info.token, expiresAt: info.expiresAt };
      });
    }

    /**
     * Applies a push of the authorization event URL other than `authorized`, `updateauthorized`
     * and `unauthorized` (the raw decrypted XML): tickets, one at a time, and the
     * fast-registration notices.
     */
    event(xml: string): Promise<RpcResult<ComponentEventOutcome>> {
      return capture("component event", async () => {
        const event = parseComponentEvent(xml);
        if (event.InfoType === "component_verify_ticket") {
          const run = this.#ticketQueue.then(() =>
            this.#setup().client.managed.applyComponentEvent(event)
          );
          this.#ticketQueue = run.catch(() => {});
          return await run;
        }
        if (event.InfoType.startsWith("notify_third_fast")) {
          await this.#recordFastRegister(event as unknown as Record<string, unknown>);
        }
        return { action: "ignored" as const };
      });
    }

    /**
     * Exchanges an authorization code once; the same code again answers what it gave.
     * `preAuthCode`: the `pre_auth_code` WeChat's `authorized` push named for the code, kept
     * (by digest) so the browser that started the authorization can be told apart.
     */
    exchange(code: string, preAuthCode?: string): Promise<RpcResult<ExchangeAnswer>> {
      return capture("component exchange", async () => {
        if (typeof code !== "string" || code === "" || code.length > 512) {
          throw new HttpError(400, "invalid_request", "The authorization code is invalid");
        }
        const key = `code:${await digestOf(code)}`;
        const preAuth =
          typeof preAuthCode === "string" && preAuthCode !== "" && preAuthCode.length <= 512
            ? await digestOf(preAuthCode)
            : undefined;
        const answer = await this.#exchangeShared(code, key, preAuth);
        // Exchanged earlier (by the browser, or in flight): note what the push said.
        if (preAuth !== undefined && answer.duplicate) await this.#notePreAuth(key, preAuth);
        return answer;
      });
    }

    async #exchangeShared(code: string, key: string, preAuth?: string): Promise<ExchangeAnswer> {
      const flight = this.#exchanges.get(key);
      if (flight) return { ...(await flight), duplicate: true };
      const answer = this.#exchangeOnce(code, key, preAuth);
      this.#exchanges.set(key, answer);
      try {
        return await answer;
      } finally {
        this.#exchanges.delete(key);
      }
    }

    /**
     * The browser's side of an authorization: `state` (already checked against its cookie)
     * completes one code, once. The same state and code again (a reload) answer as before; a
     * second code for the state is refused (400 `state_used`). The answer is shown only to the
     * browser that started the authorization: when WeChat's push named the code's
     * `pre_auth_code`, the state whose cookie binds that `pre_auth_code` (`preAuth`, its digest)
     * owns it; otherwise the first state that came back with the code does. Anyone else gets
     * 409 `code_used`, with nothing of the authorizer.
     */
    completeAuthorization(
      state: string,
      code: string,
      preAuth?: string,
    ): Promise<RpcResult<ExchangeAnswer>> {
      return capture("component authorization", async () => {
        if (typeof state !== "string" || !/^[0-9a-f]{32}$/.test(state)) {
          throw new HttpError(400, "invalid_state", "The authorization state is invalid");
        }
        if (typeof code !== "string" || code === "" || code.length > 512) {
          throw new HttpError(400, "invalid_request", "The authorization code is invalid");
        }
        const bound = typeof preAuth === "string" && /^[0-9a-f]{64}$/.test(preAuth)
          ? preAuth
          : undefined;
        const codeKey = `code:${await digestOf(code)}`;
        // Marked used before the exchange: a second code for this state never reaches WeChat.
        await this.#serially(async () => {
          const stateKey = `state:${state}`;
          const used = await this.ctx.storage.get<{ code: string; at: number }>(stateKey);
          // (A record from before codes were kept by digest holds the code itself.)
          if (used && used.code !== codeKey && used.code !== code) {
            throw new HttpError(400, "state_used", "This authorization was already completed");
          }
          if (!used) await this.ctx.storage.put(stateKey, { code: codeKey, at: Date.now() });
        });
        const answer = await this.#exchangeShared(code, codeKey);
        await this.#serially(async () => {
          const marker = await this.ctx.storage.get<CodeMarker>(codeKey);
          if (!marker) return;
          if (marker.preAuth !== undefined && bound !== undefined) {
            // WeChat said which authorization this code ends: only its browser sees it.
            if (marker.preAuth !== bound) throw codeUsed();
            if (marker.state !== state) {
              await this.ctx.storage.put(codeKey, { ...marker, state });
            }
            return;
          }
          if (marker.state === undefined) await this.ctx.storage.put(codeKey, { ...marker, state });
          else if (marker.state !== state) throw codeUsed();
        });
        return answer;
      });
    }

    /**
     * Takes a platform event for the handler and the forward URL by its delivery id: true for
     * the first copy, false for WeChat's retries of it; `release` forgets it (it was answered
     * 5xx, so the retry must be taken).
     */
    platformEvent(id: string, release: boolean): Promise<RpcResult<boolean>> {
      return capture("component platform event", async () => {
        const ledger = this.#ledger ??= new MessageLedger(this.ctx.storage);
        if (release) {
          ledger.release(id);
          return false;
        }
        const claim = await ledger.claim(id, 0);
        if (claim.state !== "new") return false;
        ledger.complete(id, null);
        return true;
      });
    }

    /** Records the `pre_auth_code` digest WeChat's push named for a code (once known). */
    async #notePreAuth(codeKey: string, preAuth: string): Promise<void> {
      await this.#serially(async () => {
        const marker = await this.ctx.storage.get<CodeMarker>(codeKey);
        if (marker && marker.preAuth === undefined) {
          await this.ctx.storage.put(codeKey, { ...marker, preAuth });
        }
      });
    }

    /** Runs `fn` after every earlier one (check-then-write of states and code records). */
    #serially<T>(fn: () => Promise<T>): Promise<T> {
      const run = this.#markQueue.then(fn);
      this.#markQueue = run.catch(() => {});
      return run;
    }

    async #exchangeOnce(code: string, key: string, preAuth?: string): Promise<ExchangeAnswer> {
      const { client, runtime } = this.#setup();
      const done = await this.ctx.storage.get<CodeMarker>(key);
      if (done && Date.now() - done.at < CODE_MEMORY_MS) {
        const token = await unwrap(authorizerObject(this.env, done.appid).token(done.appid, {}))
          .catch(
            () => undefined,
          );
        return {
          authorizerAppId: done.appid,
          nickName: done.nickName,
          token: token?.token,
          expiresAt: token?.expiresAt,
          duplicate: true,
        };
      }
      const startedAt = Date.now();
      const response = await client.fetchAuthorization(code);
      const info = response.authorization_info;
      const appid = info.authorizer_appid;
      // The authorizer's own object keeps it (a revocation applied there since startedAt wins).
      const kept = await unwrap(authorizerObject(this.env, appid).authorize(info, startedAt));
      let nickName: string | undefined;
      try {
        const details = await client.getAuthorizerInfo(appid);
        if (typeof details.authorizer_info?.nick_name === "string") {
          nickName = details.authorizer_info.nick_name;
        }
        await saveAuthorizerInfo(runtime.rt.store, appid, details.authorizer_info);
      } catch (err) {
        console.warn(`[wxopen] api_get_authorizer_info failed: ${(err as Error).name}`);
      }
      const marker: CodeMarker = {
        appid,
        at: Date.now(),
        nickName,
        ...(preAuth ? { preAuth } : {}),
      };
      await this.ctx.storage.put(key, marker);
      await this.#forgetOld("code:");
      await this.#forgetOld("state:");
      return { authorizerAppId: appid, token: kept.token, expiresAt: kept.expiresAt, nickName };
    }

    /** Asks WeChat to push a ticket now, at most every 10 minutes unless `force`. */
    startPushTicket(force: boolean): Promise<RpcResult<{ started: boolean; lastAt: number }>> {
      return capture("component start-push-ticket", async () => {
        const last = (await this.ctx.storage.get<number>("start-push-ticket-at")) ?? 0;
        const now = Date.now();
        if (!force && now - last < START_PUSH_INTERVAL_MS) return { started: false, lastAt: last };
        await this.ctx.storage.put("start-push-ticket-at", now);
        await this.#setup().client.startPushTicket();
        return { started: true, lastAt: now };
      });
    }

    /** Refreshes the component token ahead of expiry; backs off while it cannot. */
    override async alarm(): Promise<void> {
      const { client, store } = this.#setup();
      await store.resync();
      const schedule = await currentSchedule(this.ctx.storage);
      try {
        const cached = await client.cachedComponentToken();
        const info = cached && !isDue(cached)
          ? cached
          : await client.credentials.componentToken({ force: true });
        await this.#schedule(scheduleAfterToken(info));
      } catch (err) {
        const next = scheduleAfterFailure(schedule);
        console.warn(`[wxopen] component token refresh failed: ${(err as Error).name}`);
        await this.#schedule(next);
      }
    }

    #schedule(schedule: RefreshSchedule): Promise<void> {
      return applySchedule(this.ctx.storage, schedule);
    }

    async #forgetOld(prefix: string): Promise<void> {
      const codes = await this.ctx.storage.list<{ at: number }>({ prefix, limit: 100 });
      const old = [...codes].filter(([, v]) => Date.now() - v.at > CODE_MEMORY_MS).map(([k]) => k);
      if (old.length) await this.ctx.storage.delete(old);
    }

    async #recordFastRegister(event: Record<string, unknown>): Promise<void> {
      const appid = typeof event.appid === "string" ? event.appid : "unknown";
      // The authorization code is spent by the onboarding exchange: not kept.
      const { auth_code: _, ...kept } = event;
      await this.#setup().runtime.rt.store.put(
        `${WORKER_PREFIX}fastregister:${appid}`,
        JSON.stringify(kept),
        {
          ttlSeconds: 30 * 24 * 3600,
          metadata: { receivedAt: Date.now(), status: String(event.status ?? "") },
        },
      );
    }
  };
}

/** The `ComponentCredential` object (the typed RPC surface of the `COMPONENT` binding). */
export type ComponentCredential = InstanceType<ReturnType<typeof componentCredentialClass>>;

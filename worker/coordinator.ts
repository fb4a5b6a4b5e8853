/**
 * The per-credential Durable Object: the single writer of one credential.
 *
 * - Instance `component` owns the ticket and the `component_access_token`, and runs every
 *   authorization-code exchange (so WeChat's `authorized` push and the browser's redirect,
 *   which carry the same single-use code, share one `api_query_auth`).
 * - Instance `authorizer:<appid>` owns that authorizer's tokens: it is the only place that
 *   calls `api_authorizer_token` for it, and it writes the result through to KV. The component
 *   token it needs comes through the worker's credentials port, i.e. from the component
 *   instance, so only that instance ever refreshes the component token.
 *
 * Requests read KV (plus a short in-isolate cache) and come here only when the token is due.
 * Inside an instance the core's single-flight joins concurrent callers, so concurrent requests
 * anywhere make one upstream refresh.
 *
 * @module
 */

import { type Credentials, WxOpenError } from "../mod.ts";
import { parseComponentEvent } from "../src/events/mod.ts";
import { makeClient, type WorkerClient } from "./core.ts";
import type { DurableObjectState, Env } from "./env.ts";
import { errorBody, HttpError, toHttpError } from "./errors.ts";
import { authorizerInstance, callCoordinator, COMPONENT, type ExchangeAnswer } from "./rpc.ts";
import { saveAuthorizerInfo, WORKER_PREFIX } from "./records.ts";
import { type Runtime, runtimeFor } from "./runtime.ts";

/** How often `api_start_push_ticket` may be called, at most. */
const START_PUSH_INTERVAL_MS = 10 * 60 * 1000;
/** How long an exchanged authorization code's answer is remembered (WeChat's code lifetime). */
const EXCHANGE_MEMORY_MS = 60 * 60 * 1000;
/**
 * How long after an `authorized`/`updateauthorized` push the authorizer counts as pending (the
 * push handler's exchange with its retries ends well within this).
 */
const PENDING_AUTHORIZATION_MS = 2 * 60 * 1000;
/** Durable Object storage key: when the last authorization push for this authorizer came. */
const PENDING_KEY = "pendingAuthorizationAt";

/** Options of {@linkcode createCoordinatorClass}. */
export interface CoordinatorOptions {
  /** The fetch that reaches WeChat (default: the global fetch). */
  upstreamFetch?: typeof fetch;
  /** Adjusts the environment before use (dev fills in default settings). */
  envTransform?: (env: Env) => Env;
}

/** The constructor shape the runtime expects for a Durable Object class. */
export interface CoordinatorClass {
  new (state: DurableObjectState, env: Env): { fetch(request: Request): Promise<Response> };
}

/** Builds the Durable Object class, closed over `options` (dev injects the simulator's fetch). */
export function createCoordinatorClass(options: CoordinatorOptions = {}): CoordinatorClass {
  return class Coordinator {
    readonly #state: DurableObjectState;
    readonly #env: Env;
    #name: string | undefined;
    #client: WorkerClient | undefined;
    #runtime: Runtime | undefined;
    readonly #exchanges = new Map<string, { at: number; answer: Promise<ExchangeAnswer> }>();

    constructor(state: DurableObjectState, env: Env) {
      this.#state = state;
      this.#env = options.envTransform ? options.envTransform(env) : env;
    }

    async fetch(request: Request): Promise<Response> {
      try {
        const name = request.headers.get("x-wxopen-instance") ?? "";
        this.#name ??= name;
        const op = new URL(request.url).pathname.slice(1);
        const body = await request.json() as Record<string, unknown>;
        const answer = await this.#dispatch(op, body);
        return Response.json(answer ?? {});
      } catch (err) {
        const http = toHttpError(err);
        if (http.status >= 500) {
          console.error(
            `[wxopen] coordinator ${http.code}: ${(err as Error).name}: ${(err as Error).message}`,
          );
        }
        return Response.json(errorBody(http.code, http.message, http.details), {
          status: http.status,
        });
      }
    }

    #setup(): { client: WorkerClient; runtime: Runtime } {
      if (this.#client && this.#runtime) return { client: this.#client, runtime: this.#runtime };
      const runtime = runtimeFor(this.#env, options.upstreamFetch);
      // The component instance manages everything it touches: the ticket, the component token
      // and, at authorization time, the new authorizer's records. An authorizer instance
      // manages its authorizer's tokens and takes the component token from the component
      // instance (through the port: isolate cache, KV, then that instance).
      const credentials: Partial<Credentials> = this.#name === COMPONENT
        ? {}
        : { componentToken: (request) => runtime.credentials.componentToken(request) };
      this.#runtime = runtime;
      this.#client = makeClient(runtime.settings, runtime.store, runtime.upstream, credentials);
      return { client: this.#client, runtime };
    }

    async #dispatch(op: string, body: Record<string, unknown>): Promise<unknown> {
      const { client } = this.#setup();
      const name = this.#name ?? "";
      if (name === COMPONENT) {
        switch (op) {
          case "event": {
            const event = parseComponentEvent(String(body.xml));
            const outcome = await client.handleComponentEvent(event);
            if (event.InfoType.startsWith("notify_third_fast")) {
              await this.#recordFastRegister(event as unknown as Record<string, unknown>);
            }
            return outcome;
          }
          case "component-token":
            return await client.credentials.componentToken(
              typeof body.invalidToken === "string"
                ? { invalid: body.invalidToken }
                : { force: body.force === true },
            );
          case "query-auth":
            return await this.#exchange(client, String(body.code));
          case "start-push-ticket":
            return await this.#startPushTicket(client, body.force === true);
        }
      } else if (name.startsWith("authorizer:")) {
        const appid = name.slice("authorizer:".length);
        switch (op) {
          case "token":
            try {
              return await client.authorizer(appid).accessToken(
                typeof body.invalidToken === "string"
                  ? { invalid: body.invalidToken }
                  : { force: body.force === true },
              );
            } catch (err) {
              // Mid-authorization the refresh token is not stored yet: temporary, not revoked.
              if (
                err instanceof WxOpenError && err.code === "reauthorization_required" &&
                await this.#pending()
              ) {
                throw new HttpError(
                  503,
                  "authorization_pending",
                  `The authorization of ${appid} is still being completed, retry shortly`,
                );
              }
              throw err;
            }
          case "pending":
            // An authorization push for this authorizer arrived (or its exchange gave up).
            if (body.clear === true) await this.#state.storage.delete(PENDING_KEY);
            else await this.#state.storage.put(PENDING_KEY, Date.now());
            return { ok: true };
          case "event": {
            const event = parseComponentEvent(String(body.xml));
            if (event.InfoType !== "unauthorized" || event.AuthorizerAppid !== appid) {
              throw new HttpError(400, "wrong_instance", "This event belongs to another instance");
            }
            await this.#state.storage.delete(PENDING_KEY);
            return await client.handleComponentEvent(event);
          }
          case "reset":
            // Called once the exchange stored the new authorization: no longer pending.
            await this.#state.storage.delete(PENDING_KEY);
            this.#client = undefined;
            return { ok: true };
        }
      }
      throw new HttpError(404, "unknown_operation", `Unknown coordinator operation ${op}`);
    }

    /** Whether an authorization push for this authorizer came recently and is being exchanged. */
    async #pending(): Promise<boolean> {
      const at = await this.#state.storage.get<number>(PENDING_KEY);
      return at !== undefined && Date.now() - at < PENDING_AUTHORIZATION_MS;
    }

    /** One `api_query_auth` per code, shared by the push and the redirect that carry it. */
    #exchange(client: WorkerClient, code: string): Promise<ExchangeAnswer> {
      const now = Date.now();
      for (const [k, v] of this.#exchanges) {
        if (now - v.at > EXCHANGE_MEMORY_MS) this.#exchanges.delete(k);
      }
      const known = this.#exchanges.get(code);
      if (known) return known.answer.then((a) => ({ ...a, duplicate: true }));
      const answer = (async (): Promise<ExchangeAnswer> => {
        const result = await client.queryAuth(code);
        const info = result.authorization_info;
        const appid = info.authorizer_appid;
        // The new authorizer's instance may hold tokens of an earlier authorization: drop them.
        await callCoordinator(this.#env, authorizerInstance(appid), "reset").catch(() => {});
        let nickName: string | undefined;
        try {
          const details = await client.getAuthorizerInfo(appid);
          nickName = typeof details.authorizer_info?.nick_name === "string"
            ? details.authorizer_info.nick_name
            : undefined;
          await saveAuthorizerInfo(this.#setup().runtime.store, appid, details.authorizer_info);
        } catch (err) {
          console.warn(`[wxopen] api_get_authorizer_info failed: ${(err as Error).name}`);
        }
        return {
          authorizerAppId: appid,
          token: info.authorizer_access_token,
          expiresAt: info.expires_in !== undefined
            ? Date.now() + info.expires_in * 1000
            : undefined,
          funcInfo: info.func_info,
          nickName,
        };
      })();
      this.#exchanges.set(code, { at: now, answer });
      answer.catch(() => this.#exchanges.delete(code));
      return answer;
    }

    async #recordFastRegister(event: Record<string, unknown>): Promise<void> {
      const appid = typeof event.appid === "string" ? event.appid : "unknown";
      const { store } = this.#setup().runtime;
      await store.put(`${WORKER_PREFIX}fastregister:${appid}`, JSON.stringify(event), {
        ttlSeconds: 30 * 24 * 3600,
        metadata: { receivedAt: Date.now(), status: String(event.status ?? "") },
      });
    }

    async #startPushTicket(client: WorkerClient, force: boolean): Promise<unknown> {
      const last = (await this.#state.storage.get<number>("startPushTicketAt")) ?? 0;
      const now = Date.now();
      if (!force && now - last < START_PUSH_INTERVAL_MS) return { started: false, lastAt: last };
      await this.#state.storage.put("startPushTicketAt", now);
      await client.startPushTicket();
      return { started: true, lastAt: now };
    }
  };
}

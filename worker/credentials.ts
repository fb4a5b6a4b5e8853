/**
 * The worker's {@linkcode Credentials} port: where every token a request-path call carries comes
 * from. A warm request makes no upstream call and at most one KV read:
 *
 * 1. a short in-isolate cache (at most {@linkcode ISOLATE_CACHE_MS}, never past the refresh
 *    margin; a token reported invalid is not cached again);
 * 2. one KV read of the stored token (the managed store, `{ cachedOnly: true }`);
 * 3. the credential's Durable Object (the only place that refreshes it).
 *
 * `{ invalid }` and `{ force }` go straight to the object, which refreshes only if the
 * reported token is still the stored one (concurrent reports share one refresh).
 *
 * @module
 */

import {
  type AccessTokenInfo,
  type CredentialRequest,
  type Credentials,
  TokenNotCachedError,
} from "../mod.ts";
import type { Env } from "./env.ts";
import { unwrap } from "./objects/result.ts";
import { REFRESH_MARGIN_SECONDS } from "./objects/schedule.ts";

/** How long this isolate reuses a token it read, at most. */
export const ISOLATE_CACHE_MS = 30_000;
const MARGIN_MS = REFRESH_MARGIN_SECONDS * 1000;

/** The in-isolate token cache, by credential name (`component`, `authorizer:<appid>`). */
export type TokenCache = Map<string, AccessTokenInfo & { until: number }>;

/** Where the port reads stored tokens: `cachedOnly` requests of the managed credentials. */
export type StoredTokens = Pick<Credentials, "componentToken" | "authorizerToken">;

/** Cache name of the component credential. */
export const COMPONENT = "component";

/** Cache name of an authorizer's credential. */
export function authorizerInstance(appid: string): string {
  return `authorizer:${appid}`;
}

/** The component credential's object. */
export function componentObject(env: Env) {
  return env.COMPONENT.get(env.COMPONENT.idFromName(COMPONENT));
}

/** Authorizer object ids by appid: naming one hashes the name (a fiftieth of a message's cost). */
const authorizerIds = new WeakMap<object, Map<string, DurableObjectId>>();

/** An authorizer's object. */
export function authorizerObject(env: Env, appid: string) {
  let ids = authorizerIds.get(env.AUTHORIZERS);
  if (!ids) authorizerIds.set(env.AUTHORIZERS, ids = new Map());
  let id = ids.get(appid);
  if (!id) {
    if (ids.size >= 10_000) ids.clear();
    ids.set(appid, id = env.AUTHORIZERS.idFromName(appid));
  }
  return env.AUTHORIZERS.get(id);
}

const orNull = (err: unknown): null => {
  if (err instanceof TokenNotCachedError) return null;
  throw err;
};

/** The port, and a way to adopt a token an object answered outside it. */
export interface WorkerCredentials extends Credentials {
  /**
   * Caches the authorizer token an exchange returned, so the request that exchanged uses it
   * without reading KV (which may not show the new token yet elsewhere).
   */
  adoptAuthorizerToken(authorizerAppId: string, info: AccessTokenInfo): void;
}

/**
 * The port over `cache`, the stored tokens `stored()` reads, and the objects of `env`.
 * `stored` is a function because the client that owns the store is built with this port.
 */
export function workerCredentials(
  env: Env,
  cache: TokenCache,
  stored: () => StoredTokens,
): WorkerCredentials {
  /** Tokens reported invalid to this port, until when they must not be cached. */
  const reported = new Map<string, number>();

  const remember = (name: string, answer: AccessTokenInfo): AccessTokenInfo => {
    const now = Date.now();
    const info = { token: answer.token, expiresAt: answer.expiresAt };
    // A read that raced a report must not put the reported token back into the cache.
    if ((reported.get(info.token) ?? 0) > now) {
      cache.delete(name);
      return info;
    }
    const until = Math.min(now + ISOLATE_CACHE_MS, info.expiresAt - MARGIN_MS);
    if (until > now) cache.set(name, { ...info, until });
    else cache.delete(name);
    return info;
  };

  const token = async (
    name: string,
    label: string,
    ask: (request: { invalid?: string; force?: boolean }) => Promise<AccessTokenInfo>,
    read: () => Promise<AccessTokenInfo>,
    request: CredentialRequest = {},
  ): Promise<AccessTokenInfo> => {
    const now = Date.now();
    if (request.invalid !== undefined || request.force) {
      cache.delete(name);
      if (request.invalid !== undefined) {
        for (const [t, until] of reported) if (until <= now) reported.delete(t);
        reported.set(request.invalid, now + 2 * ISOLATE_CACHE_MS);
      }
      const body = request.invalid !== undefined ? { invalid: request.invalid } : { force: true };
      return remember(name, await ask(body));
    }
    const hit = cache.get(name);
    if (hit && hit.until > now) return { token: hit.token, expiresAt: hit.expiresAt };
    if (hit) cache.delete(name);
    const kv = await read().catch(orNull);
    if (kv && (request.cachedOnly || kv.expiresAt - now > MARGIN_MS)) return remember(name, kv);
    if (request.cachedOnly) {
      throw new TokenNotCachedError(label);
    }
    return remember(name, await ask({}));
  };

  return {
    componentToken: (request) =>
      token(
        COMPONENT,
        "component",
        (body) => unwrap(componentObject(env).componentToken(body)),
        () => stored().componentToken({ cachedOnly: true }),
        request,
      ),
    authorizerToken: (appid, request) =>
      token(
        authorizerInstance(appid),
        appid,
        (body) => unwrap(authorizerObject(env, appid).token(appid, body)),
        () => stored().authorizerToken(appid, { cachedOnly: true }),
        request,
      ),
    adoptAuthorizerToken: (appid, info) => void remember(authorizerInstance(appid), info),
  };
}

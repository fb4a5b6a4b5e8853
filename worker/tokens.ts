/**
 * The request-path view of tokens: a short in-isolate cache, then one KV read, then the
 * credential's coordinator (the only place that refreshes). A warm request makes no upstream
 * call and at most one KV read.
 *
 * @module
 */

import { REFRESH_MARGIN_SECONDS } from "./core.ts";
import type { Env } from "./env.ts";
import { authorizerInstance, callCoordinator, COMPONENT, type TokenAnswer } from "./rpc.ts";
import type { Runtime } from "./runtime.ts";

/** How long this isolate reuses a token it read, at most. */
export const ISOLATE_CACHE_MS = 30_000;
const MARGIN_MS = REFRESH_MARGIN_SECONDS * 1000;

/** Tokens reported invalid to this isolate, until when they must not be cached. */
const reported = new Map<string, number>();

function remember(rt: Runtime, name: string, answer: TokenAnswer): TokenAnswer {
  const now = Date.now();
  // A read that raced a report must not put the reported token back into the cache.
  if ((reported.get(answer.token) ?? 0) > now) {
    rt.tokenCache.delete(name);
    return { token: answer.token, expiresAt: answer.expiresAt };
  }
  const until = Math.min(now + ISOLATE_CACHE_MS, answer.expiresAt - MARGIN_MS);
  if (until > now) rt.tokenCache.set(name, { ...answer, until });
  else rt.tokenCache.delete(name);
  return { token: answer.token, expiresAt: answer.expiresAt };
}

function fromCache(rt: Runtime, name: string): TokenAnswer | null {
  const hit = rt.tokenCache.get(name);
  if (!hit) return null;
  if (hit.until <= Date.now()) {
    rt.tokenCache.delete(name);
    return null;
  }
  return { token: hit.token, expiresAt: hit.expiresAt };
}

/** A valid `authorizer_access_token` of `appid`. */
export async function authorizerToken(env: Env, rt: Runtime, appid: string): Promise<TokenAnswer> {
  const name = authorizerInstance(appid);
  const hit = fromCache(rt, name);
  if (hit) return hit;
  const stored = await rt.client.cachedAuthorizerAccessToken(appid);
  if (stored && stored.expiresAt - Date.now() > MARGIN_MS) return remember(rt, name, stored);
  return remember(rt, name, await callCoordinator<TokenAnswer>(env, name, "token"));
}

/**
 * WeChat rejected `invalidToken` for `appid`: the coordinator refreshes only if it is still the
 * stored token (concurrent reports share one refresh) and returns the valid token.
 */
export async function refreshAuthorizerToken(
  env: Env,
  rt: Runtime,
  appid: string,
  invalidToken: string,
): Promise<TokenAnswer> {
  const name = authorizerInstance(appid);
  rt.tokenCache.delete(name);
  const now = Date.now();
  for (const [token, until] of reported) if (until <= now) reported.delete(token);
  reported.set(invalidToken, now + 2 * ISOLATE_CACHE_MS);
  return remember(
    rt,
    name,
    await callCoordinator<TokenAnswer>(env, name, "token", { invalidToken }),
  );
}

/** A valid `component_access_token`. */
export async function componentToken(env: Env, rt: Runtime): Promise<TokenAnswer> {
  const hit = fromCache(rt, COMPONENT);
  if (hit) return hit;
  const stored = await rt.client.cachedComponentAccessToken();
  if (stored && stored.expiresAt - Date.now() > MARGIN_MS) return remember(rt, COMPONENT, stored);
  return remember(
    rt,
    COMPONENT,
    await callCoordinator<TokenAnswer>(env, COMPONENT, "component-token"),
  );
}

/**
 * A fetch for clients that run outside the component's Durable Object: the one upstream call
 * that issues a `component_access_token` is answered by the component instance instead of
 * WeChat, so only that instance ever refreshes it. Every other call goes upstream.
 *
 * When WeChat rejects a component token (40001/40014/42001) on a call made through this fetch,
 * the token is remembered, and the next token request asks the coordinator to refresh only if
 * its stored token is still that one.
 *
 * @module
 */

import type { Env } from "./env.ts";
import { callCoordinator, COMPONENT, type TokenAnswer } from "./rpc.ts";

const COMPONENT_TOKEN_PATH = "/cgi-bin/component/api_component_token";
const INVALID = new Set([40001, 40014, 42001]);

/** Wraps `upstream` so `api_component_token` is served by the component coordinator. */
export function routedFetch(env: Env, upstream: typeof fetch): typeof fetch {
  let rejected: string | undefined;
  return (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!url.pathname.endsWith(COMPONENT_TOKEN_PATH)) {
      const res = await upstream(input, init);
      const used = url.searchParams.get("component_access_token");
      if (used && res.ok) {
        try {
          const data = await res.clone().json() as { errcode?: number };
          if (typeof data.errcode === "number" && INVALID.has(data.errcode)) rejected = used;
        } catch {
          // not JSON: nothing to learn
        }
      }
      return res;
    }
    const invalidToken = rejected;
    rejected = undefined;
    const answer = await callCoordinator<TokenAnswer>(
      env,
      COMPONENT,
      "component-token",
      invalidToken ? { invalidToken } : {},
    );
    return Response.json({
      component_access_token: answer.token,
      expires_in: Math.max(1, Math.floor((answer.expiresAt - Date.now()) / 1000)),
    });
  }) as typeof fetch;
}

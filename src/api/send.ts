/**
 * The one request path of every WeChat API call: the credential the descriptor names is taken
 * from the {@linkcode Credentials} port and injected, the exchange runs through `_http.ts`
 * (deadline, JSON, errcode, schema, redaction), and when WeChat answers 40001/40014/42001 the
 * credential this call carried is reported invalid (refreshed only if it is still the current
 * one) and the call is sent once more. Nothing else injects a token or retries a rejected one.
 *
 * @module
 */

import type { Credentials } from "../tokens/credentials.ts";
import { checkAppId } from "../tokens/keys.ts";
import {
  errcodeInBody,
  type HttpContext,
  type RawResponse,
  requestJson,
  requestRaw,
} from "./_http.ts";
import type { Endpoint, EndpointAuth, EndpointContext, Query } from "./endpoint.ts";
import { TOKEN_PARAM } from "./endpoint.ts";
import { INVALID_TOKEN_ERRCODES, isInvalidTokenError, WeChatError } from "./errors.ts";

/** Everything a call needs: HTTP, the credentials and the component's identity. */
export interface ApiContext {
  /** Deadline, fetch, host and the secrets to redact. */
  readonly http: HttpContext;
  /** Where tokens come from. */
  readonly credentials: Credentials;
  /** The component appid. */
  readonly componentAppId: string;
  /** The component appsecret. */
  readonly appSecret: string;
}

/**
 * Runs `attempt` with the credential of `auth` (none for `secret`/`none`); when it fails with an
 * invalid-token errcode, reports that token and runs once more with the one the port returns.
 * `attempt` gets `last: true` on its final try.
 */
async function withCredential<R>(
  api: ApiContext,
  auth: EndpointAuth,
  authorizerAppId: string | undefined,
  attempt: (token: string | undefined, last: boolean) => Promise<R>,
): Promise<R> {
  if (auth === "secret" || auth === "none") return await attempt(undefined, true);
  const take = (invalid?: string) =>
    auth === "component"
      ? api.credentials.componentToken(invalid ? { invalid } : undefined)
      : api.credentials.authorizerToken(authorizerAppId!, invalid ? { invalid } : undefined);
  const first = (await take()).token;
  try {
    return await attempt(first, false);
  } catch (error) {
    if (!isInvalidTokenError(error)) throw error;
    return await attempt((await take(first)).token, true);
  }
}

function contextOf(api: ApiContext, authorizerAppId: string | undefined): EndpointContext {
  return { componentAppId: api.componentAppId, appSecret: api.appSecret, authorizerAppId };
}

/**
 * Calls `endpoint` with `input`; `authorizerAppId` is required for `auth: "authorizer"`.
 * Input problems throw synchronously (before any I/O); everything else rejects.
 */
export function send<I, O>(
  api: ApiContext,
  endpoint: Endpoint<I, O>,
  input: I,
  authorizerAppId?: string,
): Promise<O> {
  if (endpoint.auth === "authorizer") checkAppId(authorizerAppId!);
  const ctx = contextOf(api, authorizerAppId);
  const query: Query = endpoint.query?.(input, ctx) ?? {};
  const body = endpoint.body?.(input, ctx);
  const param = endpoint.auth === "component" || endpoint.auth === "authorizer"
    ? TOKEN_PARAM[endpoint.auth]
    : undefined;
  return withCredential(api, endpoint.auth, authorizerAppId, (token) =>
    requestJson(api.http, {
      method: endpoint.method,
      path: endpoint.path,
      query: param ? { ...query, [param]: token } : query,
      body,
      schema: endpoint.schema,
    }));
}

/** A request proxied as is: see {@linkcode sendRaw}. */
export interface RawRequest {
  /** Path on the API host, optionally with a query string (its token is replaced). */
  pathAndQuery: string;
  /** HTTP method; default GET. */
  method?: string;
  /** Request headers (`host` and `content-length` are dropped). */
  headers?: HeadersInit;
  /** The body, buffered so it can be sent twice. */
  body?: BodyInit | null;
}

/**
 * Sends any request with the authorizer's (or component's) token in the query and returns
 * WeChat's answer as is, any status or content type, after the same single retry on an invalid
 * token as every typed call.
 */
export async function sendRaw(
  api: ApiContext,
  auth: "component" | "authorizer",
  authorizerAppId: string | undefined,
  request: RawRequest,
): Promise<Response> {
  if (auth === "authorizer") checkAppId(authorizerAppId!);
  const { pathAndQuery } = request;
  if (typeof pathAndQuery !== "string" || !/^\/(?!\/)[^#\s]*$/.test(pathAndQuery)) {
    throw new TypeError("Invalid path: expected an absolute path, optionally with a query string");
  }
  const url = new URL(api.http.apiBase + pathAndQuery);
  const method = (request.method ?? "GET").toUpperCase();
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.delete("content-length");
  const body = request.body === undefined || request.body === null || method === "GET" ||
      method === "HEAD"
    ? undefined
    : new Uint8Array(await new Response(request.body).arrayBuffer());
  const raw = await withCredential<RawResponse>(
    api,
    auth,
    authorizerAppId,
    async (token, last) => {
      url.searchParams.set(TOKEN_PARAM[auth], token!);
      const answer = await requestRaw(
        api.http,
        { api: url.pathname, url: url.href, method, headers, body },
        [token!],
      );
      const errcode = errcodeInBody(answer.bytes);
      if (!last && errcode !== undefined && INVALID_TOKEN_ERRCODES.includes(errcode)) {
        throw new WeChatError(url.pathname, errcode, "invalid access token");
      }
      return answer;
    },
  );
  return new Response(raw.status === 204 || raw.status === 304 ? null : raw.bytes, {
    status: raw.status,
    headers: raw.headers,
  });
}

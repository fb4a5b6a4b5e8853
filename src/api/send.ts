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
import type { JsTickets } from "../tokens/_js_tickets.ts";
import { checkAppId } from "../tokens/keys.ts";
import {
  errcodeInBody,
  type HttpContext,
  requestJson,
  requestStream,
  type StreamedResponse,
} from "./_http.ts";
import type { Endpoint, EndpointAuth, EndpointContext, Query } from "./endpoint.ts";
import { TOKEN_PARAM } from "./endpoint.ts";
import { INVALID_TOKEN_ERRCODES, isInvalidTokenError } from "./errors.ts";

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
  /** The authorizers' managed JS-SDK tickets (over the client's store). */
  readonly jsTickets?: JsTickets;
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
  const body = endpoint.form ? endpoint.form(input, ctx) : endpoint.body?.(input, ctx);
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
      binary: endpoint.binary,
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
  /**
   * The body. Bytes, text, forms and blobs are read into memory, so they can be sent again after
   * an invalid-token answer. A `ReadableStream` is sent once, as it comes: after an invalid-token
   * answer the token is still reported (refreshed for the next call) and that answer is returned.
   */
  body?: BodyInit | null;
  /**
   * Deadline in ms for WeChat's headers and first bytes (including sending the body), then for
   * each gap between two chunks of a streamed answer; default the client's `timeoutMs`.
   */
  timeoutMs?: number;
  /** Deadline in ms for the whole of a streamed answer after its first bytes; default none. */
  bodyTimeoutMs?: number;
}

/**
 * `cgi-bin/component/` APIs that take the authorizer's `access_token`: every other API under it
 * takes the component's `component_access_token`.
 */
const AUTHORIZER_APIS_UNDER_COMPONENT: ReadonlySet<string> = new Set([
  "get_authorizer_option",
  "set_authorizer_option",
  "getprivacysetting",
  "setprivacysetting",
  "uploadprivacyextfile",
]);

/**
 * Why `pathAndQuery` cannot be called with an authorizer's `access_token` (it is a component
 * API or carries a `component_access_token`), or `undefined` when it can.
 */
export function componentTokenReason(pathAndQuery: string): string | undefined {
  const url = new URL(pathAndQuery, "https://api.invalid");
  if (url.searchParams.has("component_access_token")) {
    return "The query carries a component_access_token";
  }
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // kept encoded
  }
  path = path.toLowerCase().replace(/\/{2,}/g, "/");
  const under = /^\/cgi-bin\/component\/([^/]+)/.exec(path);
  if (under && !AUTHORIZER_APIS_UNDER_COMPONENT.has(under[1])) {
    return `${url.pathname} is a component API: it takes the component_access_token`;
  }
  // Outside cgi-bin/component: the platform's template library and fast registration.
  if (
    /^\/wxa\/(component\/|(gettemplatedraftlist|gettemplatelist|addtotemplate|deletetemplate)$)/
      .test(path)
  ) {
    return `${url.pathname} is a component API: it takes the component_access_token`;
  }
  if (/^\/sns\/(oauth2\/)?component\//.test(path)) {
    return `${url.pathname} is called on behalf with the component_access_token`;
  }
  return undefined;
}

/**
 * Throws a `TypeError` when `pathAndQuery` cannot be called with an authorizer's token
 * ({@linkcode componentTokenReason}): WeChat would answer 61014 or read a token it was not given.
 */
export function refuseComponentApi(pathAndQuery: string): void {
  const refused = componentTokenReason(pathAndQuery);
  if (refused) throw new TypeError(`Invalid path: ${refused}; call it with the component client`);
}

/**
 * Sends any request with the authorizer's (or component's) token in the query and returns
 * WeChat's answer as is, any status or content type. A small JSON or text answer is read whole;
 * anything else streams through (see `requestStream`). When such a small answer says the token
 * is invalid (40001/40014/42001), the token is reported and, if the body can be sent again, the
 * call is sent once more; a streamed answer is never looked into. An authorizer call to a
 * component API is refused ({@linkcode componentTokenReason}): the authorizer's token is not the
 * one WeChat reads there, so its errcodes say nothing about it.
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
  if (auth === "authorizer") refuseComponentApi(pathAndQuery);
  const url = new URL(api.http.apiBase + pathAndQuery);
  // A caller's `access_token` would be read before ours on a component API: drop it.
  if (auth === "component") url.searchParams.delete("access_token");
  const method = (request.method ?? "GET").toUpperCase();
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.delete("content-length");
  const given = request.body;
  const body = given === undefined || given === null || method === "GET" || method === "HEAD"
    ? undefined
    : given instanceof ReadableStream
    ? given as ReadableStream<Uint8Array>
    : new Uint8Array(await new Response(given).arrayBuffer());
  const replayable = !(body instanceof ReadableStream);
  const param = TOKEN_PARAM[auth];
  const take = async (invalid?: string) =>
    (await (auth === "component"
      ? api.credentials.componentToken(invalid ? { invalid } : undefined)
      : api.credentials.authorizerToken(authorizerAppId!, invalid ? { invalid } : undefined)))
      .token;
  const once = (token: string): Promise<StreamedResponse> => {
    url.searchParams.set(param, token);
    return requestStream(
      api.http,
      { api: url.pathname, url: url.href, method, headers, body },
      [token],
      { timeoutMs: request.timeoutMs, bodyTimeoutMs: request.bodyTimeoutMs },
    );
  };
  const first = await take();
  let answer = await once(first);
  const errcode = answer.bytes ? errcodeInBody(answer.bytes) : undefined;
  if (errcode !== undefined && INVALID_TOKEN_ERRCODES.includes(errcode)) {
    const fresh = await take(first);
    if (replayable) answer = await once(fresh);
  }
  const nobody = answer.status === 204 || answer.status === 304 || method === "HEAD";
  return new Response(nobody ? null : answer.bytes ?? answer.body ?? null, {
    status: answer.status,
    headers: answer.headers,
  });
}

/**
 * What every simulated API route is made of: the handler's context, the route record and the
 * helpers that check credentials the way WeChat does. Each area of the API keeps its routes in
 * its own module (`_api.ts` gathers them in one table).
 *
 * @module
 */

import type { AnyEndpoint, EndpointAuth } from "../api/endpoint.ts";
import type { XmlInputObject } from "../xml/build.ts";
import { ApiFailure } from "./_errors.ts";
import type { Model, TokenRecord } from "./_state.ts";

/** A customer-service message an authorizer sent through `cgi-bin/message/custom/send`. */
export interface RecordedMessage {
  appId: string;
  touser: string;
  msgtype: string;
  /** The request body as sent. */
  body: Record<string, unknown>;
  /** Milliseconds on the simulator's clock. */
  at: number;
}

/** Side effects the API reports to the simulator. */
export interface ApiHooks {
  startPushTicket(): void;
  customMessage(message: RecordedMessage): void;
  /**
   * Delivers a push to the platform's 授权事件接收URL (`AppId` and `CreateTime` are added), when
   * the simulator was given an event target; otherwise nothing is sent.
   */
  componentPush(fields: XmlInputObject): void;
  /**
   * Delivers an event push from authorizer `appId` to its 消息与事件接收URL (`ToUserName`,
   * `FromUserName` and `CreateTime` are added), when the event target has a `messageUrl`.
   */
  authorizerPush(appId: string, fields: XmlInputObject): void;
}

/** A JSON object. */
export type Json = Record<string, unknown>;

/** What a route's handler gets. */
export interface Ctx {
  model: Model;
  hooks: ApiHooks;
  query: URLSearchParams;
  /** The JSON body of a POST API (`{}` for GET and form APIs). */
  body: Json;
  /** The multipart form of an API served with `form: true`. */
  form?: FormData;
  token: TokenRecord | null;
}

/**
 * Which token the simulator takes from the query: `none` for the APIs authenticated by their
 * body (descriptors with `auth: "secret"` or `"none"`), `any` for the authorizer APIs that
 * WeChat also opens to the component's own token (see {@linkcode ServeOptions}).
 */
export type RouteToken = "none" | "component" | "authorizer" | "any";

/** What the route table tells about one simulated API (see {@linkcode apiRoutes}). */
export interface ApiRoute {
  /** The client's descriptor the route serves. */
  readonly endpoint: AnyEndpoint;
  /** `endpoint.path`. */
  readonly path: string;
  /** `endpoint.method`: POST APIs read a JSON body; GET APIs read the query. */
  readonly method: "GET" | "POST";
  /** `endpoint.auth`. */
  readonly auth: EndpointAuth;
  /** The token the simulator checks, derived from `auth` and {@linkcode ServeOptions}. */
  readonly token: RouteToken;
}

/** A route: its table entry and its handler (a JSON value, or a `Response` for binary answers). */
export interface Route extends ApiRoute {
  /** Reads a multipart form into `ctx.form` instead of a JSON body. */
  readonly form: boolean;
  readonly handler: (ctx: Ctx) => unknown;
}

/** Simulator-side properties of a route that a descriptor does not express. */
export interface ServeOptions {
  /**
   * The API takes an authorizer's `access_token`, and WeChat also accepts the component's own
   * token there (the platform asking about, or resetting, its own quota). The descriptor's
   * `auth` names the one credential the client sends, so this stays on the route.
   */
  alsoComponentToken?: true;
  /** The API takes a `multipart/form-data` body (media uploads): read into `ctx.form`. */
  form?: true;
}

/** The route serving `endpoint` with `handler`. */
export function serve(
  endpoint: AnyEndpoint,
  handler: (ctx: Ctx) => unknown,
  options: ServeOptions = {},
): Route {
  const { path, method, auth } = endpoint;
  if (options.alsoComponentToken && auth !== "authorizer") {
    throw new TypeError(`Route ${path}: alsoComponentToken is for authorizer APIs`);
  }
  const token: RouteToken = auth === "secret" || auth === "none"
    ? "none"
    : options.alsoComponentToken
    ? "any"
    : auth;
  return { endpoint, path, method, auth, token, handler, form: options.form === true };
}

/** The route table keyed by path; a path served twice is a mistake. */
export function table(routes: Route[]): Record<string, Route> {
  const out: Record<string, Route> = {};
  for (const route of routes) {
    if (Object.hasOwn(out, route.path)) throw new TypeError(`Route ${route.path} served twice`);
    out[route.path] = route;
  }
  return out;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function requireComponentAppId(ctx: Ctx, value: unknown): void {
  const appid = str(value);
  if (appid === undefined) throw new ApiFailure(41002);
  if (appid !== ctx.model.config.componentAppId) throw new ApiFailure(40013);
}

export function requireSecret(ctx: Ctx, value: unknown): void {
  const secret = str(value);
  if (secret === undefined) throw new ApiFailure(41004);
  if (secret !== ctx.model.config.componentAppSecret) throw new ApiFailure(40125);
}

export function quota(ctx: Ctx, account: string, path: string): void {
  ctx.model.consumeQuota(account, path);
}

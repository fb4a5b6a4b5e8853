/**
 * A WeChat API as data: its path, method, which credential it carries, how its query and body
 * are built from the caller's input, and the schema of its answer. The client's typed methods
 * and the simulator's route table are both built on these descriptors, so they cannot drift.
 *
 * @module
 */

import type * as v from "valibot";

/**
 * Which credential an API carries:
 * - `secret`: the component appsecret in the body (`api_component_token`, `clear_quota/v2`…);
 * - `component`: `component_access_token` in the query;
 * - `authorizer`: the authorizer's `access_token` in the query;
 * - `none`: nothing (the input carries what the API needs).
 */
export type EndpointAuth = "secret" | "component" | "authorizer" | "none";

/** What a descriptor's `query` and `body` builders may read besides the caller's input. */
export interface EndpointContext {
  /** The component appid. */
  componentAppId: string;
  /** The component appsecret (only for `auth: "secret"` APIs). */
  appSecret: string;
  /** The authorizer the call acts for (`auth: "authorizer"`), if any. */
  authorizerAppId?: string;
}

/** Query parameters; `undefined` values are left out. */
export type Query = Record<string, string | number | undefined>;

/**
 * One WeChat API. `I` is the caller's input (WeChat's field names), `O` the validated answer.
 * Builders check their input and throw `TypeError`/`RangeError` synchronously.
 */
export interface Endpoint<I, O> {
  /** The path on the API host, e.g. `/cgi-bin/component/api_query_auth`. */
  readonly path: string;
  /** GET APIs read the query; POST APIs a JSON body. */
  readonly method: "GET" | "POST";
  /** The credential the API carries. */
  readonly auth: EndpointAuth;
  /** Builds the query (the credential is added by the send function). */
  readonly query?: (input: I, ctx: EndpointContext) => Query;
  /** Builds the JSON body. */
  readonly body?: (input: I, ctx: EndpointContext) => unknown;
  /** Builds a `multipart/form-data` body instead (media uploads); POST only. */
  readonly form?: (input: I, ctx: EndpointContext) => FormData;
  /**
   * WeChat answers the bytes of a file on success (`wxa/get_qrcode`) and its JSON only on
   * failure: the answer is a `Uint8Array` and `schema` is not applied.
   */
  readonly binary?: true;
  /** The answer's schema (loose objects: unknown fields pass). */
  readonly schema: v.GenericSchema<unknown, O>;
}

/** Any descriptor, for tables and route lists. */
// deno-lint-ignore no-explicit-any
export type AnyEndpoint = Endpoint<any, any>;

/** The query parameter that carries each token kind. */
export const TOKEN_PARAM: Readonly<Record<"component" | "authorizer", string>> = {
  component: "component_access_token",
  authorizer: "access_token",
};

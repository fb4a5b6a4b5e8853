/**
 * Diagnostics of failed calls: `cgi-bin/openapi/rid/get` tells what the request behind a
 * ` rid: …` in an errmsg was (only to the account that made it, for 7 days). Today's quota of
 * an API, `cgi-bin/openapi/quota/get`, is `openApis.getApiQuota`.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { RidInfoSchema } from "./_onboard_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import { type ApiQuotaResponse, quotaBody } from "./openapi.ts";
import { ApiQuotaSchema } from "./_schemas.ts";

/** `cgi-bin/openapi/rid/get` response: the request a rid names. */
export interface RidInfoResponse {
  /** The request as WeChat logged it. */
  request: {
    /** Unix seconds when the request was made. */
    invoke_time: number;
    /** How long WeChat took, milliseconds. */
    cost_in_ms?: number;
    /** The request's query string (WeChat shortens the token). */
    request_url?: string;
    /** The POST body as sent. */
    request_body?: string;
    /** WeChat's answer, the errmsg with the rid included. */
    response_body?: string;
    /** The caller's IP address. */
    client_ip?: string;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** A rid as WeChat appends it to errmsg: three groups of hex digits. */
const RID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

function ridBody(input: { rid: string }): { rid: string } {
  const rid = nonEmpty("rid", input?.rid).trim();
  if (!RID.test(rid)) {
    throw new TypeError("Invalid rid: expected WeChat's xxxxxxxx-xxxxxxxx-xxxxxxxx");
  }
  return { rid };
}

/** The diagnostics APIs, by the name WeChat's documentation gives them. */
export const diagnosticsApis = {
  /** `cgi-bin/openapi/rid/get`: the request behind a rid (same account, last 7 days). */
  getRidInfo: {
    path: "/cgi-bin/openapi/rid/get",
    method: "POST",
    auth: "authorizer",
    body: ridBody,
    schema: RidInfoSchema,
  } satisfies Endpoint<{ rid: string }, RidInfoResponse>,
} as const;

/**
 * The same two APIs with the component's own `component_access_token`: the platform asking
 * about its own quota (`api_component_token`'s…) and its own failed calls. Kept out of the
 * `…Apis` tables because the simulator serves one route per path, the authorizer descriptor's,
 * which WeChat also opens to the component token.
 */
export const componentDiagnostics = {
  /** `cgi-bin/openapi/quota/get` with the component token. */
  // Literals, not spreads of the other table: a spread is a top-level read the bundler keeps.
  getApiQuota: {
    path: "/cgi-bin/openapi/quota/get",
    method: "POST",
    auth: "component",
    body: quotaBody,
    schema: ApiQuotaSchema,
  } satisfies Endpoint<
    { cgi_path: string },
    ApiQuotaResponse
  >,
  /** `cgi-bin/openapi/rid/get` with the component token. */
  getRidInfo: {
    path: "/cgi-bin/openapi/rid/get",
    method: "POST",
    auth: "component",
    body: ridBody,
    schema: RidInfoSchema,
  } satisfies Endpoint<
    { rid: string },
    RidInfoResponse
  >,
} as const;

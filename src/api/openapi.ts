/**
 * WeChat's openApi management: the daily quotas of the APIs. The authorizer's own reset,
 * `cgi-bin/clear_quota`, is `authorizerApis.clearQuota`; the component's are in
 * `componentApis`. Until the client types them they are called through
 * `client.authorizer(appid).call(path, body)`.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { ApiQuotaSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";

/** `cgi-bin/openapi/quota/get` response. */
export interface ApiQuotaResponse {
  /** Today's quota of the API asked about. */
  quota: {
    /** Calls allowed per day. */
    daily_limit: number;
    /** Calls made today. */
    used: number;
    /** Calls left today. */
    remain: number;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add (`rate_limit`, `component_rate_limit`). */
  [key: string]: unknown;
}

/** `cgi-bin/openapi/quota/get`'s body (shared with the component-token descriptor). */
export function quotaBody(input: { cgi_path: string }): { cgi_path: string } {
  const path = nonEmpty("cgi_path", input.cgi_path);
  if (!path.startsWith("/")) throw new TypeError("Invalid cgi_path: expected a path from /");
  return { cgi_path: path };
}

/** The openApi management APIs, by the name WeChat's documentation gives them. */
export const openApis = {
  /** `cgi-bin/openapi/quota/get`: today's quota of one API (`cgi_path` starts with `/`). */
  getApiQuota: {
    path: "/cgi-bin/openapi/quota/get",
    method: "POST",
    auth: "authorizer",
    body: quotaBody,
    schema: ApiQuotaSchema,
  } satisfies Endpoint<{ cgi_path: string }, ApiQuotaResponse>,
} as const;

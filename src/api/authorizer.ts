/**
 * APIs called with an authorizer's own `access_token`, on its behalf. Inputs use WeChat's field
 * names; the authorizer is the one the {@linkcode AuthorizerClient} was made for.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { AuthorizerOptionSchema, OkSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { AuthorizerOptionResponse, OkResponse } from "./types.ts";

/** The authorizer-token APIs, by the `AuthorizerClient` method that calls them. */
export const authorizerApis = {
  /** `cgi-bin/component/get_authorizer_option` (current API, authorizer token). */
  getAuthorizerOption: {
    path: "/cgi-bin/component/get_authorizer_option",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({ option_name: nonEmpty("option_name", input.option_name) }),
    schema: AuthorizerOptionSchema,
  } satisfies Endpoint<{ option_name: string }, AuthorizerOptionResponse>,

  /** `cgi-bin/component/set_authorizer_option` (current API, authorizer token). */
  setAuthorizerOption: {
    path: "/cgi-bin/component/set_authorizer_option",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({
      option_name: nonEmpty("option_name", input.option_name),
      option_value: nonEmpty("option_value", String(input.option_value)),
    }),
    schema: OkSchema,
  } satisfies Endpoint<{ option_name: string; option_value: string }, OkResponse>,

  /** `cgi-bin/clear_quota`: resets the authorizer's own API quota. */
  clearQuota: {
    path: "/cgi-bin/clear_quota",
    method: "POST",
    auth: "authorizer",
    body: (_input, ctx) => ({ appid: ctx.authorizerAppId }),
    schema: OkSchema,
  } satisfies Endpoint<void, OkResponse>,
} as const;

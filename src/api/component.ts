/**
 * The component's own APIs (`cgi-bin/component/*` and the web authorization on behalf): the
 * ticket, the tokens, the authorization flow and the management of authorizers. Inputs use
 * WeChat's field names; `component_appid` and the appsecret are filled in from the context.
 *
 * @module
 */

import { checkAppId } from "../tokens/keys.ts";
import type {
  AuthorizerTokenResponse,
  ComponentAccessTokenResponse,
  QueryAuthResponse,
} from "../tokens/types.ts";
import { integer, nonEmpty } from "../_check.ts";
import {
  AuthorizerInfoSchema,
  AuthorizerListSchema,
  AuthorizerOptionSchema,
  AuthorizerTokenSchema,
  ComponentAccessTokenSchema,
  Jscode2SessionSchema,
  OAuthAccessTokenSchema,
  OkSchema,
  PreAuthCodeSchema,
  QueryAuthSchema,
} from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type {
  AuthorizerInfoResponse,
  AuthorizerListResponse,
  AuthorizerOptionResponse,
  Jscode2SessionResponse,
  OAuthAccessTokenResponse,
  OkResponse,
  PreAuthCodeResponse,
} from "./types.ts";

const C = "/cgi-bin/component/";

/** Input of the component APIs that name one authorizer. */
export interface AuthorizerAppIdInput {
  /** The authorizer's appid. */
  authorizer_appid: string;
}

/** `api_component_token`: the component_access_token from the appsecret and the ticket. */
export const componentToken = {
  path: `${C}api_component_token`,
  method: "POST",
  auth: "secret",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    component_appsecret: ctx.appSecret,
    component_verify_ticket: nonEmpty("component_verify_ticket", input.component_verify_ticket),
  }),
  schema: ComponentAccessTokenSchema,
} satisfies Endpoint<{ component_verify_ticket: string }, ComponentAccessTokenResponse>;

/** `api_start_push_ticket`: asks WeChat to push a ticket now. */
export const startPushTicket = {
  path: `${C}api_start_push_ticket`,
  method: "POST",
  auth: "secret",
  body: (_input, ctx) => ({
    component_appid: ctx.componentAppId,
    component_secret: ctx.appSecret,
  }),
  schema: OkSchema,
} satisfies Endpoint<void, OkResponse>;

/** `clear_quota/v2`: resets a quota with the appsecret (works when the token API hit 45009). */
export const clearQuotaV2 = {
  path: `${C}clear_quota/v2`,
  method: "POST",
  auth: "secret",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    appsecret: ctx.appSecret,
    ...(input.appid === undefined ? {} : { appid: checkAppId(input.appid) }),
  }),
  schema: OkSchema,
} satisfies Endpoint<{ appid?: string }, OkResponse>;

/** `api_create_preauthcode`: a single-use pre-authorization code. */
export const createPreAuthCode = {
  path: `${C}api_create_preauthcode`,
  method: "POST",
  auth: "component",
  body: (_input, ctx) => ({ component_appid: ctx.componentAppId }),
  schema: PreAuthCodeSchema,
} satisfies Endpoint<void, PreAuthCodeResponse>;

/** `api_query_auth`: exchanges an authorization code for the authorizer's tokens. */
export const queryAuth = {
  path: `${C}api_query_auth`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    authorization_code: nonEmpty("authorization_code", input.authorization_code),
  }),
  schema: QueryAuthSchema,
} satisfies Endpoint<{ authorization_code: string }, QueryAuthResponse>;

/** `api_authorizer_token`: a new authorizer access token from its refresh token. */
export const authorizerToken = {
  path: `${C}api_authorizer_token`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    authorizer_appid: checkAppId(input.authorizer_appid),
    authorizer_refresh_token: nonEmpty(
      "authorizer_refresh_token",
      input.authorizer_refresh_token,
    ),
  }),
  schema: AuthorizerTokenSchema,
} satisfies Endpoint<
  { authorizer_appid: string; authorizer_refresh_token: string },
  AuthorizerTokenResponse
>;

/** `api_get_authorizer_info`: the account's profile and the permissions it granted. */
export const getAuthorizerInfo = {
  path: `${C}api_get_authorizer_info`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    authorizer_appid: checkAppId(input.authorizer_appid),
  }),
  schema: AuthorizerInfoSchema,
} satisfies Endpoint<AuthorizerAppIdInput, AuthorizerInfoResponse>;

/** Legacy `api_get_authorizer_option` (component token). */
export const apiGetAuthorizerOption = {
  path: `${C}api_get_authorizer_option`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    authorizer_appid: checkAppId(input.authorizer_appid),
    option_name: nonEmpty("option_name", input.option_name),
  }),
  schema: AuthorizerOptionSchema,
} satisfies Endpoint<
  { authorizer_appid: string; option_name: string },
  AuthorizerOptionResponse
>;

/** Legacy `api_set_authorizer_option` (component token). */
export const apiSetAuthorizerOption = {
  path: `${C}api_set_authorizer_option`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    authorizer_appid: checkAppId(input.authorizer_appid),
    option_name: nonEmpty("option_name", input.option_name),
    option_value: nonEmpty("option_value", String(input.option_value)),
  }),
  schema: OkSchema,
} satisfies Endpoint<
  { authorizer_appid: string; option_name: string; option_value: string },
  OkResponse
>;

/** `api_get_authorizer_list`: one page of the accounts that authorized (`count` 1..500). */
export const getAuthorizerList = {
  path: `${C}api_get_authorizer_list`,
  method: "POST",
  auth: "component",
  body: (input, ctx) => ({
    component_appid: ctx.componentAppId,
    offset: integer("offset", input.offset ?? 0, 0, Infinity),
    count: integer("count", input.count ?? 500, 1, 500),
  }),
  schema: AuthorizerListSchema,
} satisfies Endpoint<{ offset?: number; count?: number }, AuthorizerListResponse>;

/** `component/clear_quota`: resets the platform's own API quota (10 times a month). */
export const clearQuota = {
  path: `${C}clear_quota`,
  method: "POST",
  auth: "component",
  body: (_input, ctx) => ({ component_appid: ctx.componentAppId }),
  schema: OkSchema,
} satisfies Endpoint<void, OkResponse>;

/** `sns/oauth2/component/access_token`: exchanges an Official Account user's OAuth `code`. */
export const oauthAccessToken = {
  path: "/sns/oauth2/component/access_token",
  method: "GET",
  auth: "component",
  query: (input, ctx) => ({
    appid: checkAppId(input.appid),
    code: nonEmpty("code", input.code),
    grant_type: "authorization_code",
    component_appid: ctx.componentAppId,
  }),
  schema: OAuthAccessTokenSchema,
} satisfies Endpoint<{ appid: string; code: string }, OAuthAccessTokenResponse>;

/** `sns/oauth2/component/refresh_token`: renews a user's OAuth access token. */
export const oauthRefreshToken = {
  path: "/sns/oauth2/component/refresh_token",
  method: "GET",
  auth: "component",
  query: (input, ctx) => ({
    appid: checkAppId(input.appid),
    grant_type: "refresh_token",
    component_appid: ctx.componentAppId,
    refresh_token: nonEmpty("refresh_token", input.refresh_token),
  }),
  schema: OAuthAccessTokenSchema,
} satisfies Endpoint<{ appid: string; refresh_token: string }, OAuthAccessTokenResponse>;

/** `sns/component/jscode2session`: a Mini Program login code → openid and session key. */
export const jscode2session = {
  path: "/sns/component/jscode2session",
  method: "GET",
  auth: "component",
  query: (input, ctx) => ({
    appid: checkAppId(input.appid),
    js_code: nonEmpty("js_code", input.js_code),
    grant_type: "authorization_code",
    component_appid: ctx.componentAppId,
  }),
  schema: Jscode2SessionSchema,
} satisfies Endpoint<{ appid: string; js_code: string }, Jscode2SessionResponse>;

/** The component APIs, by the client method that calls them. */
export const componentApis = {
  componentToken,
  startPushTicket,
  clearQuotaV2,
  createPreAuthCode,
  queryAuth,
  authorizerToken,
  getAuthorizerInfo,
  apiGetAuthorizerOption,
  apiSetAuthorizerOption,
  getAuthorizerList,
  clearQuota,
  oauthAccessToken,
  oauthRefreshToken,
  jscode2session,
} as const;

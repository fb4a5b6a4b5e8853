/**
 * `ComponentClient`: the facade of a third-party platform. It composes the {@linkcode Credentials}
 * port (default: {@linkcode ManagedCredentials} over a store), the one request path and the
 * endpoint tables into WeChat's component APIs, the authorization lifecycle and
 * {@linkcode AuthorizerClient}s.
 *
 * @module
 */

import { componentApis } from "../api/component.ts";
import { snsApis, type SnsUserInfoInput, type SnsUserInfoResponse } from "../api/sns.ts";
import { componentDiagnostics, type RidInfoResponse } from "../api/diagnostics.ts";
import type { ApiQuotaResponse } from "../api/openapi.ts";
import type * as register from "../api/register.ts";
import { registerApis } from "../api/register.ts";
import type { Endpoint } from "../api/endpoint.ts";
import { type ApiContext, send } from "../api/send.ts";
import type * as api from "../api/types.ts";
import type {
  Credentials,
  ExpiringTokensOptions,
  ManagedCredentials,
} from "../tokens/credentials.ts";
import { TokenNotCachedError } from "../tokens/errors.ts";
import type * as t from "../tokens/types.ts";
import {
  authorizationUrl,
  type AuthorizationUrlOptions,
  type LinkHosts,
  oauthUrl,
  type OAuthUrlOptions,
} from "./_links.ts";
import { checkOptions, type ComponentClientOptions } from "./_options.ts";
import { wire } from "./_wiring.ts";
import * as templates from "../api/templates.ts";
import * as domains from "../api/domains.ts";
import { AuthorizerClient } from "./authorizer_client.ts";

const orNull = (error: unknown) => {
  if (error instanceof TokenNotCachedError) return null;
  throw error;
};

/**
 * The component client: APIs, tokens and authorization lifecycle of a third-party platform.
 *
 * Every call takes its credential from `credentials`; when WeChat answers 40001/40014/42001 the
 * token is refreshed only if it is still the current one, and the call is retried once.
 *
 * @example Authorization link for a merchant
 * ```ts
 * import { ComponentClient, MemoryStore } from "@wxopen/component";
 *
 * const client = new ComponentClient({ appId: "wx1234567890abcdef", appSecret: "s", store: new MemoryStore() });
 * const url = client.authorizationUrl({
 *   preAuthCode: "preauthcode@@@xyz",
 *   redirectUri: "https://platform.example.com/authorize/callback",
 *   authType: 3,
 * });
 * console.log(url.startsWith("https://mp.weixin.qq.com/cgi-bin/componentloginpage?")); // true
 * ```
 */
export class ComponentClient {
  /** The component appid. */
  readonly appId: string;
  /** Where the tokens every call carries come from. */
  readonly credentials: Credentials;
  /** Tokens, ticket and authorizer records over the store: the authorization lifecycle. */
  readonly managed: ManagedCredentials;
  readonly #api: ApiContext;
  readonly #links: LinkHosts;

  /** Creates a client; throws TypeError naming the first invalid option. */
  constructor(options: ComponentClientOptions) {
    const o = checkOptions(options);
    this.appId = o.appId;
    const { api, managed } = wire(o);
    this.#api = api;
    this.managed = managed;
    this.credentials = api.credentials;
    this.#links = { componentAppId: o.appId, mpBase: o.mpBase, openBase: o.openBase };
  }

  #send<I, O>(endpoint: Endpoint<I, O>, input: I): Promise<O> {
    return send(this.#api, endpoint, input);
  }

  /** The client for the APIs an authorizer's own token opens, on its behalf. */
  authorizer(authorizerAppId: string): AuthorizerClient {
    return new AuthorizerClient(this.#api, authorizerAppId);
  }

  /**
   * Stores a `component_verify_ticket` received at `receivedAt` (default now, ms). Valid 12 h.
   *
   * @example
   * ```ts
   * import { ComponentClient, MemoryStore } from "@wxopen/component";
   *
   * const client = new ComponentClient({ appId: "wx1234567890abcdef", appSecret: "s", store: new MemoryStore() });
   * const info = await client.acceptTicket("ticket@@@abc");
   * console.log(info.expiresAt - info.receivedAt); // 43200000
   * ```
   */
  acceptTicket(ticket: string, options?: { receivedAt?: number }): Promise<t.TicketInfo> {
    return this.managed.acceptTicket(ticket, options);
  }

  /** The stored ticket, even a stale one, or `null` (no upstream call; for health checks). */
  currentTicket(): Promise<t.TicketInfo | null> {
    return this.managed.currentTicket();
  }

  /** `api_start_push_ticket`: asks WeChat to push a ticket now (uses the appsecret, no token). */
  startPushTicket(): Promise<api.OkResponse> {
    return this.#send(componentApis.startPushTicket, undefined);
  }

  /** A valid `component_access_token` (cached, refreshed ahead of expiry, single flight). */
  async componentAccessToken(): Promise<string> {
    return (await this.credentials.componentToken()).token;
  }

  /** Like {@linkcode componentAccessToken}, with the expiry. */
  componentAccessTokenInfo(): Promise<t.AccessTokenInfo> {
    return this.credentials.componentToken();
  }

  /** The stored component token when it has not expired; never calls WeChat. */
  cachedComponentAccessToken(): Promise<t.AccessTokenInfo | null> {
    return this.credentials.componentToken({ cachedOnly: true }).catch(orNull);
  }

  /** WeChat rejected `invalidToken`: refreshes only if it is still the current token. */
  refreshComponentAccessTokenIfStale(invalidToken: string): Promise<t.AccessTokenInfo> {
    return this.credentials.componentToken({ invalid: invalidToken });
  }

  /** Refreshes the component token now (joins a refresh in progress). */
  refreshComponentAccessToken(): Promise<t.AccessTokenInfo> {
    return this.credentials.componentToken({ force: true });
  }

  /** `api_create_preauthcode`: a single-use pre-authorization code (about 10 minutes). */
  createPreAuthCode(): Promise<api.PreAuthCodeResponse> {
    return this.#send(componentApis.createPreAuthCode, undefined);
  }

  /** The link to WeChat's authorization page: PC QR page, or `mobile` H5 page. */
  authorizationUrl(options: AuthorizationUrlOptions): string {
    return authorizationUrl(this.#links, options);
  }

  /**
   * `api_query_auth`: exchanges an authorization code. The refresh token is persisted before
   * this returns; the same code again (redirect and push carry the same one) answers from the store.
   */
  queryAuth(authCode: string): Promise<t.QueryAuthResponse> {
    return this.managed.exchangeAuthCode(authCode);
  }

  /**
   * `api_query_auth` without storing anything: the raw answer, for a caller that keeps the
   * authorization elsewhere (hand it to `managed.applyAuthorization` where it belongs). The code
   * is single-use: exchanging it again answers errcode 61010.
   */
  fetchAuthorization(authCode: string): Promise<t.QueryAuthResponse> {
    return this.#send(componentApis.queryAuth, { authorization_code: authCode });
  }

  /** `api_authorizer_token`: the raw refresh call; it does not touch the store. */
  refreshAuthorizerToken(
    authorizerAppId: string,
    refreshToken: string,
  ): Promise<t.AuthorizerTokenResponse> {
    return this.#send(componentApis.authorizerToken, {
      authorizer_appid: authorizerAppId,
      authorizer_refresh_token: refreshToken,
    });
  }

  /** A valid `authorizer_access_token` (managed, refreshed ahead of expiry, single flight). */
  async authorizerAccessToken(authorizerAppId: string): Promise<string> {
    return (await this.credentials.authorizerToken(authorizerAppId)).token;
  }

  /** Like {@linkcode authorizerAccessToken}, with the expiry. */
  authorizerAccessTokenInfo(authorizerAppId: string): Promise<t.AccessTokenInfo> {
    return this.credentials.authorizerToken(authorizerAppId);
  }

  /** The stored authorizer token when it has not expired; never calls WeChat. */
  cachedAuthorizerAccessToken(authorizerAppId: string): Promise<t.AccessTokenInfo | null> {
    return this.credentials.authorizerToken(authorizerAppId, { cachedOnly: true }).catch(orNull);
  }

  /** Refreshes the authorizer token now (joins a refresh in progress). */
  refreshAuthorizerAccessToken(authorizerAppId: string): Promise<t.AccessTokenInfo> {
    return this.credentials.authorizerToken(authorizerAppId, { force: true });
  }

  /** Stores a refresh token obtained elsewhere (migration from another system). */
  importAuthorizer(options: { authorizerAppId: string; refreshToken: string }): Promise<void> {
    return this.managed.importAuthorizer(options);
  }

  /** The stored record of an authorizer (never its refresh token), or `null`. */
  getAuthorizer(authorizerAppId: string): Promise<t.AuthorizerRecord | null> {
    return this.managed.getAuthorizer(authorizerAppId);
  }

  /** One page of stored authorizer records. */
  listAuthorizers(options?: { cursor?: string; limit?: number }): Promise<t.AuthorizerPage> {
    return this.managed.listAuthorizers(options);
  }

  /** Managed tokens expiring within `withinSeconds` (from store metadata): what a sweep refreshes. */
  listExpiringTokens(options: ExpiringTokensOptions): Promise<t.ExpiringToken[]> {
    return this.managed.listExpiringTokens(options);
  }

  /** Refreshes every managed token expiring within `withinSeconds`; failures are counted. */
  refreshExpiringTokens(
    options: ExpiringTokensOptions,
  ): Promise<{ refreshed: number; failed: number }> {
    return this.managed.refreshExpiringTokens(options);
  }

  /** Applies a parsed push of the authorization event URL (ticket, authorization events). */
  handleComponentEvent(event: t.ComponentEventLike): Promise<t.ComponentEventOutcome> {
    return this.managed.applyComponentEvent(event);
  }

  /** `api_get_authorizer_info`: the account's profile and the permissions it granted. */
  getAuthorizerInfo(authorizerAppId: string): Promise<api.AuthorizerInfoResponse> {
    return this.#send(componentApis.getAuthorizerInfo, { authorizer_appid: authorizerAppId });
  }

  /** `get_authorizer_option` with the authorizer's token (see {@linkcode AuthorizerClient}). */
  getAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
  ): Promise<api.AuthorizerOptionResponse> {
    return this.authorizer(authorizerAppId).getAuthorizerOption({ option_name: optionName });
  }

  /** `set_authorizer_option` with the authorizer's token (see {@linkcode AuthorizerClient}). */
  setAuthorizerOption(
    authorizerAppId: string,
    optionName: string,
    optionValue: string,
  ): Promise<api.OkResponse> {
    return this.authorizer(authorizerAppId).setAuthorizerOption({
      option_name: optionName,
      option_value: optionValue,
    });
  }

  /** Legacy `api_get_authorizer_option` (component token). */
  apiGetAuthorizerOption(
    input: { authorizer_appid: string; option_name: string },
  ): Promise<api.AuthorizerOptionResponse> {
    return this.#send(componentApis.apiGetAuthorizerOption, input);
  }

  /** Legacy `api_set_authorizer_option` (component token). */
  apiSetAuthorizerOption(
    input: { authorizer_appid: string; option_name: string; option_value: string },
  ): Promise<api.OkResponse> {
    return this.#send(componentApis.apiSetAuthorizerOption, input);
  }

  /** `api_get_authorizer_list`: one page (`count` 1..500). */
  getAuthorizerList(options: { offset?: number; count?: number } = {}): Promise<
    api.AuthorizerListResponse
  > {
    return this.#send(componentApis.getAuthorizerList, options);
  }

  /** `component/clear_quota`: resets the platform's own API quota (10 times a month). */
  clearQuota(): Promise<api.OkResponse> {
    return this.#send(componentApis.clearQuota, undefined);
  }

  /** `component/clear_quota/v2` (appsecret, no token): the platform's or an account's quota. */
  clearQuotaV2(options: { appId?: string } = {}): Promise<api.OkResponse> {
    return this.#send(componentApis.clearQuotaV2, { appid: options.appId });
  }

  /** The OAuth page link for an Official Account's user, on the account's behalf. */
  oauthUrl(options: OAuthUrlOptions): string {
    return oauthUrl(this.#links, options);
  }

  /** `sns/oauth2/component/access_token`: exchanges a user's OAuth `code`. */
  oauthAccessToken(
    options: { appId: string; code: string },
  ): Promise<api.OAuthAccessTokenResponse> {
    return this.#send(componentApis.oauthAccessToken, {
      appid: options?.appId,
      code: options.code,
    });
  }

  /** `sns/oauth2/component/refresh_token`: renews a user's OAuth access token. */
  oauthRefreshToken(
    options: { appId: string; refreshToken: string },
  ): Promise<api.OAuthAccessTokenResponse> {
    return this.#send(componentApis.oauthRefreshToken, {
      appid: options?.appId,
      refresh_token: options.refreshToken,
    });
  }

  /** `sns/component/jscode2session`: a Mini Program login code → openid and session key. */
  jscode2session(options: { appId: string; jsCode: string }): Promise<api.Jscode2SessionResponse> {
    return this.#send(componentApis.jscode2session, {
      appid: options?.appId,
      js_code: options.jsCode,
    });
  }

  // ---- web authorization on behalf (the user's own token) ---------------------------------

  /**
   * `sns/userinfo`: the profile of a user who consented with `snsapi_userinfo`, read with the
   * user's web access token from {@linkcode oauthAccessToken} (no platform token is sent).
   * A `snsapi_base` token answers 48001.
   */
  userInfo(input: SnsUserInfoInput): Promise<SnsUserInfoResponse> {
    return this.#send(snsApis.userInfo, input);
  }

  // ---- templates (component token) --------------------------------------------------------

  /** `wxa/gettemplatedraftlist`: the drafts of the platform's draft box. */
  getTemplateDraftList(): Promise<templates.TemplateDraftListResponse> {
    return this.#send(templates.getTemplateDraftList, undefined);
  }

  /** `wxa/gettemplatelist`: the templates of the library (of one kind with `template_type`). */
  getTemplateList(
    input?: templates.GetTemplateListInput,
  ): Promise<templates.TemplateListResponse> {
    return this.#send(templates.getTemplateList, input);
  }

  /** `wxa/addtotemplate`: copies a draft into the template library. */
  addToTemplate(input: templates.AddToTemplateInput): Promise<api.OkResponse> {
    return this.#send(templates.addToTemplate, input);
  }

  /** `wxa/deletetemplate`: deletes a template from the library. */
  deleteTemplate(input: templates.DeleteTemplateInput): Promise<api.OkResponse> {
    return this.#send(templates.deleteTemplate, input);
  }

  // ---- platform domains (component token) -------------------------------------------------

  /** `cgi-bin/component/modify_wxa_server_domain`: the platform's mini-program server domains. */
  modifyWxaServerDomain(
    input: domains.ModifyWxaServerDomainInput,
  ): Promise<domains.PlatformDomainResponse> {
    return this.#send(domains.modifyWxaServerDomain, input);
  }

  /** `cgi-bin/component/get_domain_confirmfile`: the platform's web-view confirm file. */
  getDomainConfirmFile(): Promise<domains.ConfirmFileResponse> {
    return this.#send(domains.getDomainConfirmFile, undefined);
  }

  /** `cgi-bin/component/modify_wxa_jump_domain`: the platform's mini-program web-view domains. */
  modifyWxaJumpDomain(
    input: domains.ModifyWxaJumpDomainInput,
  ): Promise<domains.PlatformDomainResponse> {
    return this.#send(domains.modifyWxaJumpDomain, input);
  }

  // ---- privacy and fast registration (component token) ------------------------------------

  /**
   * `cgi-bin/component/fastregisterweapp`: registers an enterprise's Mini Program
   * (`action: "create"`) or asks how it goes (`"search"`). The result is pushed as
   * `notify_third_fasteregister`; {@linkcode handleComponentEvent} exchanges its `auth_code`.
   */
  fastRegisterWeapp(input: register.FastRegisterWeappInput): Promise<api.OkResponse> {
    return this.#send(registerApis.fastRegisterWeapp, input);
  }

  /** `wxa/component/fastregisterpersonalweapp`: a person's Mini Program (`create`, `query`). */
  fastRegisterPersonalWeapp(
    input: register.FastRegisterPersonalWeappInput,
  ): Promise<register.FastRegisterPersonalWeappResponse> {
    return this.#send(registerApis.fastRegisterPersonalWeapp, input);
  }

  /** `wxa/component/fastregisterbetaweapp`: a trial Mini Program for a WeChat user. */
  fastRegisterBetaWeapp(
    input: { name: string; openid: string },
  ): Promise<register.FastRegisterBetaWeappResponse> {
    return this.#send(registerApis.fastRegisterBetaWeapp, input);
  }

  // ---- open account and diagnostics (component token) -------------------------------------

  /** `cgi-bin/openapi/quota/get` with the component token: the platform's own quota of an API. */
  getApiQuota(input: { cgi_path: string }): Promise<ApiQuotaResponse> {
    return this.#send(componentDiagnostics.getApiQuota, input);
  }

  /** `cgi-bin/openapi/rid/get` with the component token: one of the platform's failed calls. */
  getRidInfo(input: { rid: string }): Promise<RidInfoResponse> {
    return this.#send(componentDiagnostics.getRidInfo, input);
  }
}

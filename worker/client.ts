/**
 * The worker's own client: the core's managed credentials and request path (`wire`), with only
 * the component calls the worker makes. `ComponentClient` carries every typed method of the
 * platform, and class methods are never tree-shaken, so the worker does not import it: this keeps
 * the bundle within its budget as the typed API grows.
 *
 * @module
 */

import {
  type AccessTokenInfo,
  type Credentials,
  type ManagedCredentials,
  type Store,
  TokenNotCachedError,
} from "../mod.ts";
import * as componentApis from "../src/api/component.ts";
import { type ApiContext, send } from "../src/api/send.ts";
import type {
  AuthorizerInfoResponse,
  Jscode2SessionResponse,
  OAuthAccessTokenResponse,
  OkResponse,
  PreAuthCodeResponse,
} from "../src/api/types.ts";
import {
  authorizationUrl,
  type AuthorizationUrlOptions,
  oauthUrl,
  type OAuthUrlOptions,
} from "../src/client/_links.ts";
import { wire } from "../src/client/_wiring.ts";
import { AuthorizerCalls } from "../src/client/authorizer_client.ts";
import type {
  JssdkConfig,
  JssdkConfigOptions,
  JsTicketInfo,
  JsTicketRequest,
  JsTicketType,
} from "../src/api/jssdk.ts";
import { snsApis, type SnsUserInfoResponse } from "../src/api/sns.ts";
import { jssdkConfig, jsTicket } from "../src/client/_jssdk.ts";

import type { AuthorizerTokenResponse, QueryAuthResponse } from "../src/tokens/types.ts";
import { REFRESH_MARGIN_SECONDS } from "./objects/schedule.ts";
import type { Settings } from "./settings.ts";

/** WeChat's hosts of the authorization pages. */
const LINK_HOSTS = { mpBase: "https://mp.weixin.qq.com", openBase: "https://open.weixin.qq.com" };

/** What a {@linkcode WorkerClient} is built from. */
export interface WorkerClientOptions {
  settings: Pick<Settings, "componentAppId" | "componentAppSecret" | "apiBase">;
  /** The managed store (sealed). */
  store: Store;
  /** The fetch that reaches WeChat. */
  upstream: typeof fetch;
  /** Token kinds taken from elsewhere (see the core's `Credentials` port). */
  credentials?: Partial<Credentials>;
}

/** The component calls of the worker over the core's one request path. */
export class WorkerClient {
  /** Where every call's token comes from. */
  readonly credentials: Credentials;
  /** The managed lifecycle over the store. */
  readonly managed: ManagedCredentials;
  readonly #api: ApiContext;
  readonly #appId: string;

  /** A client of the worker's settings over `options.store`. */
  constructor(options: WorkerClientOptions) {
    const { settings } = options;
    this.#appId = settings.componentAppId;
    const { api, managed } = wire({
      appId: settings.componentAppId,
      appSecret: settings.componentAppSecret,
      store: options.store,
      fetch: options.upstream,
      apiBase: settings.apiBase,
      ...LINK_HOSTS,
      now: Date.now,
      timeoutMs: 10_000,
      refreshMarginSeconds: REFRESH_MARGIN_SECONDS,
      credentials: options.credentials ?? {},
    });
    this.#api = api;
    this.managed = managed;
    this.credentials = api.credentials;
  }

  /** Calls on an authorizer's behalf (its token injected, refreshed once on 40001/40014/42001). */
  authorizer(authorizerAppId: string): AuthorizerCalls {
    return new AuthorizerCalls(this.#api, authorizerAppId);
  }

  /** The stored component token when it has not expired (no upstream call), or `null`. */
  cachedComponentToken(): Promise<AccessTokenInfo | null> {
    return this.credentials.componentToken({ cachedOnly: true }).catch((err) => {
      if (err instanceof TokenNotCachedError) return null;
      throw err;
    });
  }

  /** `api_create_preauthcode`. */
  createPreAuthCode(): Promise<PreAuthCodeResponse> {
    return send(this.#api, componentApis.createPreAuthCode, undefined);
  }

  /** The link to WeChat's authorization page (PC QR page, or `mobile` H5 page). */
  authorizationUrl(options: AuthorizationUrlOptions): string {
    return authorizationUrl({ componentAppId: this.#appId, ...LINK_HOSTS }, options);
  }

  /** `api_query_auth` without storing anything (the authorizer's object stores it). */
  fetchAuthorization(authCode: string): Promise<QueryAuthResponse> {
    return send(this.#api, componentApis.queryAuth, { authorization_code: authCode });
  }

  /** `api_authorizer_token`, raw: the store is not touched. */
  refreshAuthorizerToken(appid: string, refreshToken: string): Promise<AuthorizerTokenResponse> {
    return send(this.#api, componentApis.authorizerToken, {
      authorizer_appid: appid,
      authorizer_refresh_token: refreshToken,
    });
  }

  /** `api_get_authorizer_info`. */
  getAuthorizerInfo(authorizerAppId: string): Promise<AuthorizerInfoResponse> {
    return send(this.#api, componentApis.getAuthorizerInfo, { authorizer_appid: authorizerAppId });
  }

  /** `api_start_push_ticket`: asks WeChat to push a ticket now. */
  startPushTicket(): Promise<OkResponse> {
    return send(this.#api, componentApis.startPushTicket, undefined);
  }

  // ---- JS-SDK, mini-program login and web authorization on behalf ---------------------------

  /** An authorizer's managed JS-SDK ticket (stored in the worker's KV, shared by isolates). */
  jsTicket(appid: string, type: JsTicketType, request?: JsTicketRequest): Promise<JsTicketInfo> {
    return jsTicket(this.#api, appid, type, request);
  }

  /** The `wx.config` object for a page of `appid`. */
  jssdkConfig(appid: string, options: JssdkConfigOptions): Promise<JssdkConfig> {
    return jssdkConfig(this.#api, appid, options);
  }

  /** `sns/component/jscode2session`. */
  jscode2session(appid: string, jsCode: string): Promise<Jscode2SessionResponse> {
    return send(this.#api, componentApis.jscode2session, { appid, js_code: jsCode });
  }

  /** The link to WeChat's OAuth page for a user of Official Account `options.appId`. */
  oauthUrl(options: OAuthUrlOptions): string {
    return oauthUrl({ componentAppId: this.#appId, ...LINK_HOSTS }, options);
  }

  /** `sns/oauth2/component/access_token`. */
  oauthAccessToken(appid: string, code: string): Promise<OAuthAccessTokenResponse> {
    return send(this.#api, componentApis.oauthAccessToken, { appid, code });
  }

  /** `sns/userinfo` with the user's own token. */
  userInfo(accessToken: string, openid: string): Promise<SnsUserInfoResponse> {
    return send(this.#api, snsApis.userInfo, { access_token: accessToken, openid });
  }
}

/**
 * `AuthorizerClient`: the APIs an authorizer's own `access_token` opens, called on its behalf.
 *
 * @module
 */

import { authorizerApis } from "../api/authorizer.ts";
import { type ApiContext, type RawRequest, send, sendRaw } from "../api/send.ts";
import type { AuthorizerOptionResponse, OkResponse } from "../api/types.ts";
import type { CredentialRequest } from "../tokens/credentials.ts";
import { checkAppId } from "../tokens/keys.ts";
import type { AccessTokenInfo } from "../tokens/types.ts";
import type { Endpoint } from "../api/endpoint.ts";
import { anyJsonApi } from "./_any_api.ts";
import { diagnosticsApis, type RidInfoResponse } from "../api/diagnostics.ts";
import type * as openAccount from "../api/open_account.ts";
import { openAccountApis } from "../api/open_account.ts";
import type * as privacy from "../api/privacy.ts";
import { privacyApis } from "../api/privacy.ts";
import type * as register from "../api/register.ts";
import { registerApis } from "../api/register.ts";
import { type ApiQuotaResponse, openApis } from "../api/openapi.ts";

/** Options of {@linkcode AuthorizerCalls.call}. */
export interface CallOptions {
  /** Query parameters (`access_token` is injected by the client). */
  query?: Record<string, string | number>;
}

/** Each client's request path (module-private, so subclasses reach it without exposing it). */
const contexts = new WeakMap<AuthorizerCalls, ApiContext>();

/**
 * Any API on one authorizer's behalf: its token, `call()` for any JSON API and a raw `fetch`
 * for everything else (media, binary answers), without the typed methods of
 * {@linkcode AuthorizerClient} (so a bundle that needs only these carries nothing more). Every
 * request carries the authorizer's `access_token` and is retried once with a fresh one after
 * 40001/40014/42001.
 */
export class AuthorizerCalls {
  /** The authorizer's appid. */
  readonly appId: string;

  /** Created by `ComponentClient.authorizer(appid)` (or a lean client's own). */
  constructor(api: ApiContext, authorizerAppId: string) {
    this.appId = checkAppId(authorizerAppId);
    contexts.set(this, api);
  }

  /** The authorizer's access token and its expiry (see {@linkcode CredentialRequest}). */
  accessToken(request?: CredentialRequest): Promise<AccessTokenInfo> {
    return contexts.get(this)!.credentials.authorizerToken(this.appId, request);
  }

  /**
   * Calls any JSON API with the authorizer's token: POST with `body` as JSON when given, GET
   * otherwise. Answers WeChat's JSON object; `errcode ≠ 0` throws `WeChatError`.
   */
  call(path: string, body?: unknown, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return send(contexts.get(this)!, anyJsonApi(path, body, options.query), undefined, this.appId);
  }

  /**
   * Sends any request on the authorizer's behalf and answers WeChat's response as is (any
   * status, JSON or binary); `access_token` is set in the query (a caller's one is replaced).
   */
  fetch(pathAndQuery: string, init: Omit<RawRequest, "pathAndQuery"> = {}): Promise<Response> {
    return sendRaw(contexts.get(this)!, "authorizer", this.appId, { ...init, pathAndQuery });
  }
}

/**
 * One authorizer's view of the client: its token, its typed APIs, `call()` for any other JSON
 * API and a raw `fetch` for everything else (media, binary answers). Every request carries the
 * authorizer's `access_token` and is retried once with a fresh one after 40001/40014/42001.
 *
 * @example Customer-service message and a raw menu query
 * ```ts ignore
 * const merchant = client.authorizer("wxf8b4f85f3a794e77");
 * await merchant.call("/cgi-bin/message/custom/send", {
 *   touser: "OPENID",
 *   msgtype: "text",
 *   text: { content: "hello" },
 * });
 * const menu = await merchant.fetch("/cgi-bin/get_current_selfmenu_info");
 * console.log(menu.status, await menu.json());
 * ```
 */
export class AuthorizerClient extends AuthorizerCalls {
  #send<I, O>(endpoint: Endpoint<I, O>, input: I): Promise<O> {
    return send(contexts.get(this)!, endpoint, input, this.appId);
  }

  /** `cgi-bin/component/get_authorizer_option`: one of the account's options. */
  getAuthorizerOption(input: { option_name: string }): Promise<AuthorizerOptionResponse> {
    return this.#send(authorizerApis.getAuthorizerOption, input);
  }

  /** `cgi-bin/component/set_authorizer_option`: sets one of the account's options. */
  setAuthorizerOption(input: { option_name: string; option_value: string }): Promise<OkResponse> {
    return this.#send(authorizerApis.setAuthorizerOption, input);
  }

  /** `cgi-bin/clear_quota`: resets the account's API quota. */
  clearQuota(): Promise<OkResponse> {
    return this.#send(authorizerApis.clearQuota, undefined);
  }

  // ---- JS-SDK -------------------------------------------------------------------------------

  // ---- code management ----------------------------------------------------------------------

  // ---- domains ------------------------------------------------------------------------------

  // ---- testers ------------------------------------------------------------------------------

  // ---- basic info and categories ------------------------------------------------------------

  // ---- privacy ------------------------------------------------------------------------------

  /** `cgi-bin/component/setprivacysetting`: sets the privacy guide (draft, or released owner). */
  setPrivacySetting(input: privacy.SetPrivacySettingInput): Promise<OkResponse> {
    return this.#send(privacyApis.setPrivacySetting, input);
  }

  /** `cgi-bin/component/getprivacysetting`: the privacy guide, draft (default) or released. */
  getPrivacySetting(input?: { privacy_ver?: 1 | 2 }): Promise<privacy.PrivacySettingResponse> {
    return this.#send(privacyApis.getPrivacySetting, input);
  }

  /** `cgi-bin/component/uploadprivacyextfile`: uploads a custom privacy guide (txt, ≤ 100 KB). */
  uploadPrivacyExtFile(
    input: privacy.UploadPrivacyExtFileInput,
  ): Promise<privacy.UploadPrivacyExtFileResponse> {
    return this.#send(privacyApis.uploadPrivacyExtFile, input);
  }

  /** `wxa/security/apply_privacy_interface`: applies for a front-end API (`wx.getLocation`…). */
  applyPrivacyInterface(
    input: privacy.ApplyPrivacyInterfaceInput,
  ): Promise<privacy.ApplyPrivacyInterfaceResponse> {
    return this.#send(privacyApis.applyPrivacyInterface, input);
  }

  /** `wxa/security/get_privacy_interface`: the APIs that need an application, and their state. */
  getPrivacyInterface(): Promise<privacy.PrivacyInterfaceResponse> {
    return this.#send(privacyApis.getPrivacyInterface, undefined);
  }

  // ---- fast registration --------------------------------------------------------------------

  /** `wxa/verifybetaweapp`: verifies this trial Mini Program as an enterprise's. */
  verifyBetaWeapp(input: { verify_info: register.BetaVerifyInfo }): Promise<OkResponse> {
    return this.#send(registerApis.verifyBetaWeapp, input);
  }

  /** `wxa/setbetaweappnickname`: renames this trial Mini Program. */
  setBetaWeappNickname(input: { name: string }): Promise<OkResponse> {
    return this.#send(registerApis.setBetaWeappNickname, input);
  }

  /**
   * `cgi-bin/account/fastregister`: a Mini Program reusing this Official Account's subject,
   * with the ticket its administrator's confirmation gave. Exchange the answer's
   * `authorization_code` with `queryAuth` to manage the new Mini Program.
   */
  fastRegister(input: { ticket: string }): Promise<register.AccountFastRegisterResponse> {
    return this.#send(registerApis.fastRegister, input);
  }

  // ---- open account -------------------------------------------------------------------------

  /** `cgi-bin/open/create`: creates an Open Platform account and binds this account to it. */
  createOpenAccount(input?: openAccount.OwnAppId): Promise<openAccount.OpenAppIdResponse> {
    return this.#send(openAccountApis.createOpenAccount, input);
  }

  /** `cgi-bin/open/bind`: binds this account to an Open Platform account of its subject. */
  bindOpenAccount(input: openAccount.OwnAppId & { open_appid: string }): Promise<OkResponse> {
    return this.#send(openAccountApis.bindOpenAccount, input);
  }

  /** `cgi-bin/open/unbind`: unbinds this account from its Open Platform account. */
  unbindOpenAccount(input: openAccount.OwnAppId & { open_appid: string }): Promise<OkResponse> {
    return this.#send(openAccountApis.unbindOpenAccount, input);
  }

  /** `cgi-bin/open/get`: the Open Platform account this account is bound to (89002: none). */
  getOpenAccount(input?: openAccount.OwnAppId): Promise<openAccount.OpenAppIdResponse> {
    return this.#send(openAccountApis.getOpenAccount, input);
  }

  /** `cgi-bin/open/have`: whether this account is bound to an Open Platform account. */
  haveOpenAccount(): Promise<openAccount.HaveOpenResponse> {
    return this.#send(openAccountApis.haveOpenAccount, undefined);
  }

  // ---- diagnostics --------------------------------------------------------------------------

  /** `cgi-bin/openapi/quota/get`: today's quota of one API of the account (`cgi_path` from `/`). */
  getApiQuota(input: { cgi_path: string }): Promise<ApiQuotaResponse> {
    return this.#send(openApis.getApiQuota, input);
  }

  /** `cgi-bin/openapi/rid/get`: the request behind a failed call's rid (this account's, 7 days). */
  getRidInfo(input: { rid: string }): Promise<RidInfoResponse> {
    return this.#send(diagnosticsApis.getRidInfo, input);
  }
}

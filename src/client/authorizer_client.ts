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
import * as domains from "../api/domains.ts";
import * as testers from "../api/testers.ts";
import * as account from "../api/account.ts";

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

  /** `wxa/modify_domain`: the mini program's server domains, within the platform's own. */
  modifyDomain(input: domains.ModifyDomainInput): Promise<domains.ModifyDomainResponse> {
    return this.#send(domains.modifyDomain, input);
  }

  /** `wxa/modify_domain_directly`: the mini program's server domains, any valid ones. */
  modifyDomainDirectly(input: domains.ModifyDomainInput): Promise<domains.ModifyDomainResponse> {
    return this.#send(domains.modifyDomainDirectly, input);
  }

  /**
   * `wxa/setwebviewdomain`: the mini program's web-view domains, within the platform's own;
   * without `action`, all of the platform's.
   */
  setWebViewDomain(input?: domains.SetWebViewDomainInput): Promise<domains.WebViewDomainResponse> {
    return this.#send(domains.setWebViewDomain, input);
  }

  /** `wxa/setwebviewdomain_directly`: the mini program's web-view domains, any valid ones. */
  setWebViewDomainDirectly(
    input: domains.SetWebViewDomainInput,
  ): Promise<domains.WebViewDomainResponse> {
    return this.#send(domains.setWebViewDomainDirectly, input);
  }

  /** `wxa/get_webviewdomain_confirmfile`: the confirm file a web-view domain must serve. */
  getWebViewDomainConfirmFile(): Promise<domains.ConfirmFileResponse> {
    return this.#send(domains.getWebViewDomainConfirmFile, undefined);
  }

  // ---- testers ------------------------------------------------------------------------------

  /** `wxa/bind_tester`: makes a WeChat user (by WeChat id) a tester of the mini program. */
  bindTester(input: testers.BindTesterInput): Promise<testers.BindTesterResponse> {
    return this.#send(testers.bindTester, input);
  }

  /** `wxa/unbind_tester`: removes a tester, by WeChat id or `userstr`. */
  unbindTester(input: testers.UnbindTesterInput): Promise<OkResponse> {
    return this.#send(testers.unbindTester, input);
  }

  /** `wxa/memberauth`: the testers (`action` defaults to `get_experiencer`). */
  memberAuth(input?: testers.MemberAuthInput): Promise<testers.MemberAuthResponse> {
    return this.#send(testers.memberAuth, input);
  }

  // ---- basic info and categories ------------------------------------------------------------

  /** `cgi-bin/account/getaccountbasicinfo`: the account's profile and change budgets. */
  getAccountBasicInfo(): Promise<account.AccountBasicInfoResponse> {
    return this.#send(account.getAccountBasicInfo, undefined);
  }

  /** `wxa/setnickname`: sets the mini program's name, at once or after an audit (`audit_id`). */
  setNickname(input: account.SetNicknameInput): Promise<account.SetNicknameResponse> {
    return this.#send(account.setNickname, input);
  }

  /** `wxa/api_wxa_querynickname`: the state of a name audit. */
  apiWxaQueryNickname(input: { audit_id: number }): Promise<account.QueryNicknameResponse> {
    return this.#send(account.apiWxaQueryNickname, input);
  }

  /** `cgi-bin/wxverify/checkwxverifynickname`: whether a name would need proof or an audit. */
  checkWxVerifyNickname(input: { nick_name: string }): Promise<account.CheckNicknameResponse> {
    return this.#send(account.checkWxVerifyNickname, input);
  }

  /** `cgi-bin/account/modifyheadimage`: sets the head image from an uploaded image. */
  modifyHeadImage(input: account.ModifyHeadImageInput): Promise<OkResponse> {
    return this.#send(account.modifyHeadImage, input);
  }

  /** `cgi-bin/account/modifysignature`: sets the introduction (功能介绍). */
  modifySignature(input: { signature: string }): Promise<OkResponse> {
    return this.#send(account.modifySignature, input);
  }

  /** `cgi-bin/wxopen/getallcategories`: WeChat's category tree. */
  getAllCategories(): Promise<account.AllCategoriesResponse> {
    return this.#send(account.getAllCategories, undefined);
  }

  /** `cgi-bin/wxopen/addcategory`: adds categories to the mini program. */
  addCategory(input: account.AddCategoryInput): Promise<OkResponse> {
    return this.#send(account.addCategory, input);
  }

  /** `cgi-bin/wxopen/deletecategory`: removes one category. */
  deleteCategory(input: account.DeleteCategoryInput): Promise<OkResponse> {
    return this.#send(account.deleteCategory, input);
  }

  /** `cgi-bin/wxopen/getcategory`: the mini program's categories and their audit. */
  getCategory(): Promise<account.CategoryResponse> {
    return this.#send(account.getCategory, undefined);
  }

  /** `cgi-bin/wxopen/modifycategory`: new certificates for a rejected category. */
  modifyCategory(input: account.CategoryInput): Promise<OkResponse> {
    return this.#send(account.modifyCategory, input);
  }

  /** `wxa/changewxasearchstatus`: 0 lets WeChat search find the mini program, 1 hides it. */
  changeWxaSearchStatus(input: { status: 0 | 1 }): Promise<OkResponse> {
    return this.#send(account.changeWxaSearchStatus, input);
  }

  /** `wxa/getwxasearchstatus`: whether WeChat search finds the mini program. */
  getWxaSearchStatus(): Promise<account.SearchStatusResponse> {
    return this.#send(account.getWxaSearchStatus, undefined);
  }

  // ---- privacy ------------------------------------------------------------------------------

  // ---- fast registration --------------------------------------------------------------------

  // ---- open account -------------------------------------------------------------------------

  // ---- diagnostics --------------------------------------------------------------------------
}

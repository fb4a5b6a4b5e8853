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
import * as users from "../api/users.ts";
import * as account from "../api/account.ts";
import { codeApis } from "../api/code.ts";
import type {
  AuditStatusResponse,
  CodeCategoryResponse,
  CodePageResponse,
  CommitInput,
  GrayReleaseInput,
  GrayReleasePlanResponse,
  LatestAuditStatusResponse,
  QueryQuotaResponse,
  RevertCodeReleaseInput,
  RevertCodeReleaseResponse,
  SubmitAuditInput,
  SubmitAuditResponse,
  UploadMediaInput,
  UploadMediaResponse,
  VersionInfoResponse,
  WeappSupportVersionResponse,
} from "../api/code_types.ts";
import type { JssdkConfig, JssdkConfigOptions, JsTicketRequest } from "../api/jssdk.ts";
import { jssdkConfig, jsTicket } from "./_jssdk.ts";
import { diagnosticsApis, type RidInfoResponse } from "../api/diagnostics.ts";
import type * as openAccount from "../api/open_account.ts";
import { openAccountApis } from "../api/open_account.ts";
import type * as privacy from "../api/privacy.ts";
import { privacyApis } from "../api/privacy.ts";
import type * as register from "../api/register.ts";
import { registerApis } from "../api/register.ts";
import { type ApiQuotaResponse, openApis } from "../api/openapi.ts";
import {
  type ApplyIcpFilingInput,
  type CancelIcpFilingInput,
  type CreateIcpVerifyTaskResponse,
  icpApis,
  type IcpCertificateTypesResponse,
  type IcpDistrictCodeResponse,
  type IcpEntranceInfoResponse,
  type IcpTypesResponse,
  type OnlineIcpOrderResponse,
  type QueryIcpVerifyTaskResponse,
  type UploadIcpMediaInput,
  type UploadIcpMediaResponse,
} from "../api/icp.ts";
import {
  type AuthIdentityTreeResponse,
  type QueryAuthAndIcpResponse,
  type SubmitAuthAndIcpInput,
  type SubmitAuthAndIcpResponse,
  type UploadAuthMaterialInput,
  type UploadAuthMaterialResponse,
  type WxaAuthData,
  type WxaAuthResponse,
  type WxaQueryAuthResponse,
  wxverifyApis,
} from "../api/wxverify.ts";

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

  /**
   * `cgi-bin/ticket/getticket?type=jsapi`: the account's JS-SDK ticket, managed like a token
   * (stored, reused until shortly before its 7200 s end, one call for concurrent callers,
   * purged on `unauthorized`). `{ invalid }` reports a ticket `wx.config` refused.
   */
  async jsapiTicket(request?: JsTicketRequest): Promise<string> {
    return (await jsTicket(contexts.get(this)!, this.appId, "jsapi", request)).ticket;
  }

  /** `cgi-bin/ticket/getticket?type=wx_card`: the card (卡券) ticket, managed like {@linkcode jsapiTicket}. */
  async wxCardTicket(request?: JsTicketRequest): Promise<string> {
    return (await jsTicket(contexts.get(this)!, this.appId, "wx_card", request)).ticket;
  }

  /**
   * What the page's `wx.config` needs: `appId` (this account's), `timestamp`, `nonceStr` and
   * the `signature` of `url` (without its fragment) with the managed `jsapi` ticket.
   *
   * @example Sign the page an H5 backend serves
   * ```ts ignore
   * const config = await client.authorizer("wxf8b4f85f3a794e77").jssdkConfig({
   *   url: "https://h5.example.com/shop?id=7",
   *   jsApiList: ["chooseImage"],
   * });
   * // hand { debug: false, ...config } to wx.config in the page
   * ```
   */
  jssdkConfig(options: JssdkConfigOptions): Promise<JssdkConfig> {
    return jssdkConfig(contexts.get(this)!, this.appId, options);
  }

  // ---- code management ----------------------------------------------------------------------

  /** `wxa/commit`: uploads template `template_id` as the experience version (`ext_json` a JSON string). */
  commit(input: CommitInput): Promise<OkResponse> {
    return this.#send(codeApis.commit, input);
  }

  /** `wxa/get_qrcode`: the experience version's QR code as JPEG bytes (`path` opens a page). */
  getQrcode(input?: { path?: string }): Promise<Uint8Array> {
    return this.#send(codeApis.getQrcode, input);
  }

  /** `wxa/get_category`: the categories an audit's `item_list` may name. */
  getCategory(): Promise<CodeCategoryResponse> {
    return this.#send(codeApis.getCategory, undefined);
  }

  /** `wxa/get_page`: the pages of the committed code. */
  getPage(): Promise<CodePageResponse> {
    return this.#send(codeApis.getPage, undefined);
  }

  /** `wxa/submit_audit`: submits the experience version for audit; answers its `auditid`. */
  submitAudit(input?: SubmitAuditInput): Promise<SubmitAuditResponse> {
    return this.#send(codeApis.submitAudit, input);
  }

  /** `wxa/get_auditstatus`: one audit's status (0 passed, 1 rejected, 2 reviewing, 3 withdrawn, 4 delayed). */
  getAuditStatus(input: { auditid: number }): Promise<AuditStatusResponse> {
    return this.#send(codeApis.getAuditStatus, input);
  }

  /** `wxa/get_latest_auditstatus`: the latest audit's id, status and version. */
  getLatestAuditStatus(): Promise<LatestAuditStatusResponse> {
    return this.#send(codeApis.getLatestAuditStatus, undefined);
  }

  /** `wxa/undocodeaudit`: withdraws the audit under review. */
  undoCodeAudit(): Promise<OkResponse> {
    return this.#send(codeApis.undoCodeAudit, undefined);
  }

  /** `wxa/speedupaudit`: asks for a faster audit (monthly speed-up quota). */
  speedupAudit(input: { auditid: number }): Promise<OkResponse> {
    return this.#send(codeApis.speedupAudit, input);
  }

  /** `wxa/queryquota`: the platform's audit quota this month (shared by its mini programs). */
  queryQuota(): Promise<QueryQuotaResponse> {
    return this.#send(codeApis.queryQuota, undefined);
  }

  /** `wxa/uploadmedia`: uploads a picture or video for `submitAudit`'s `preview_info`. */
  uploadMedia(input: UploadMediaInput): Promise<UploadMediaResponse> {
    return this.#send(codeApis.uploadMedia, input);
  }

  /** `wxa/release`: publishes the version that passed its audit. */
  release(): Promise<OkResponse> {
    return this.#send(codeApis.release, undefined);
  }

  /** `wxa/revertcoderelease`: back to the previous release, or to `app_version`, or lists them. */
  revertCodeRelease(input?: RevertCodeReleaseInput): Promise<RevertCodeReleaseResponse> {
    return this.#send(codeApis.revertCodeRelease, input);
  }

  /** `wxa/grayrelease`: publishes the audited version to `gray_percentage` % of the users. */
  grayRelease(input: GrayReleaseInput): Promise<OkResponse> {
    return this.#send(codeApis.grayRelease, input);
  }

  /** `wxa/revertgrayrelease`: cancels the running gray release. */
  revertGrayRelease(): Promise<OkResponse> {
    return this.#send(codeApis.revertGrayRelease, undefined);
  }

  /** `wxa/getgrayreleaseplan`: the gray release plan. */
  getGrayReleasePlan(): Promise<GrayReleasePlanResponse> {
    return this.#send(codeApis.getGrayReleasePlan, undefined);
  }

  /** `wxa/change_visitstatus`: closes or reopens the online mini program. */
  changeVisitStatus(input: { action: "open" | "close" }): Promise<OkResponse> {
    return this.#send(codeApis.changeVisitStatus, input);
  }

  /** `wxa/getversioninfo`: the experience (`exp_info`) and online (`release_info`) versions. */
  getVersionInfo(): Promise<VersionInfoResponse> {
    return this.#send(codeApis.getVersionInfo, undefined);
  }

  /** `cgi-bin/wxopen/getweappsupportversion`: the lowest base library version required. */
  getWeappSupportVersion(): Promise<WeappSupportVersionResponse> {
    return this.#send(codeApis.getWeappSupportVersion, undefined);
  }

  /** `cgi-bin/wxopen/setweappsupportversion`: sets the lowest base library version. */
  setWeappSupportVersion(input: { version: string }): Promise<OkResponse> {
    return this.#send(codeApis.setWeappSupportVersion, input);
  }

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

  /**
   * `cgi-bin/wxopen/getcategory`: the mini program's categories and their audit (WeChat's
   * English name for it; `getCategory` is `wxa/get_category`, the categories an audit may name).
   */
  getSettingCategories(): Promise<account.CategoryResponse> {
    return this.#send(account.getSettingCategories, undefined);
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

  // ---- ICP filing ---------------------------------------------------------------------------

  /** `wxa/icp/get_icp_entrance_info`: the filing status (`info.status`) and rejection reasons. */
  getIcpEntranceInfo(): Promise<IcpEntranceInfoResponse> {
    return this.#send(icpApis.getIcpEntranceInfo, undefined);
  }

  /**
   * `wxa/icp/create_icp_verifytask`: sends the administrator the face verification notice;
   * the answer's `task_id` goes into `applyIcpFiling`'s `icp_applets.principal_info.verify_task_id`.
   */
  createIcpVerifyTask(input?: { along_with_auth?: boolean }): Promise<CreateIcpVerifyTaskResponse> {
    return this.#send(icpApis.createIcpVerifyTask, input);
  }

  /** `wxa/icp/query_icp_verifytask`: the face verification's state (final when `is_finish`). */
  queryIcpVerifyTask(input: { task_id: string }): Promise<QueryIcpVerifyTaskResponse> {
    return this.#send(icpApis.queryIcpVerifyTask, input);
  }

  /** `wxa/icp/upload_icp_media`: uploads a picture or video; answers its `media_id`. */
  uploadIcpMedia(input: UploadIcpMediaInput): Promise<UploadIcpMediaResponse> {
    return this.#send(icpApis.uploadIcpMedia, input);
  }

  /** `wxa/icp/apply_icp_filing`: applies for the filing (the verdict is pushed to the platform). */
  applyIcpFiling(input: ApplyIcpFilingInput): Promise<OkResponse> {
    return this.#send(icpApis.applyIcpFiling, input);
  }

  /** `wxa/icp/cancel_apply_icp_filing`: withdraws the application while the platform reviews it. */
  cancelApplyIcpFiling(): Promise<OkResponse> {
    return this.#send(icpApis.cancelApplyIcpFiling, undefined);
  }

  /** `wxa/icp/cancel_icp_filing`: cancels (注销) the completed filing. */
  cancelIcpFiling(input: CancelIcpFilingInput): Promise<OkResponse> {
    return this.#send(icpApis.cancelIcpFiling, input);
  }

  /** `wxa/icp/get_online_icp_order`: the filed application (no media, masked by WeChat). */
  getOnlineIcpOrder(): Promise<OnlineIcpOrderResponse> {
    return this.#send(icpApis.getOnlineIcpOrder, undefined);
  }

  /** `wxa/icp/query_icp_certificate_types`: the certificate types and their subject types. */
  queryIcpCertificateTypes(): Promise<IcpCertificateTypesResponse> {
    return this.#send(icpApis.queryIcpCertificateTypes, undefined);
  }

  /** `wxa/icp/query_icp_subject_types`: the subject types (单位性质) of `icp_subject.base_info.type`. */
  queryIcpSubjectTypes(): Promise<IcpTypesResponse> {
    return this.#send(icpApis.queryIcpSubjectTypes, undefined);
  }

  /** `wxa/icp/query_icp_nrlx_types`: the 前置审批 types of `icp_applets.base_info.nrlx_details`. */
  queryIcpNrlxTypes(): Promise<IcpTypesResponse> {
    return this.#send(icpApis.queryIcpNrlxTypes, undefined);
  }

  /** `wxa/icp/query_icp_service_content_types`: the service content types (use second-level ones). */
  queryIcpServiceContentTypes(): Promise<IcpTypesResponse> {
    return this.#send(icpApis.queryIcpServiceContentTypes, undefined);
  }

  /** `wxa/icp/query_icp_district_code`: the provinces, cities and districts a filing may name. */
  queryIcpDistrictCode(): Promise<IcpDistrictCodeResponse> {
    return this.#send(icpApis.queryIcpDistrictCode, undefined);
  }

  /** `wxa/icp/get_icp_media`: the bytes of a media uploaded with `uploadIcpMedia`. */
  getIcpMedia(input: { media_id: string }): Promise<Uint8Array> {
    return this.#send(icpApis.getIcpMedia, input);
  }

  // ---- 认证 (wxa/sec) -------------------------------------------------------------------------

  /**
   * `wxa/sec/wxaauth`: submits the mini program's 认证 (or yearly review); answers the task's
   * `taskid` and the administrator's `auth_url`. Progress is pushed as `notify_3rd_wxa_auth`.
   */
  wxaAuth(input: { auth_data: WxaAuthData }): Promise<WxaAuthResponse> {
    return this.#send(wxverifyApis.wxaAuth, input);
  }

  /**
   * `wxa/sec/queryauth`: the 认证 task's progress (`task_status`, then `apply_status`). Not
   * to be confused with `ComponentClient.queryAuth`, which exchanges an authorization code.
   */
  queryAuth(input: { taskid: string }): Promise<WxaQueryAuthResponse> {
    return this.#send(wxverifyApis.queryAuth, input);
  }

  /** `wxa/sec/uploadauthmaterial`: uploads a picture (≤ 2 MB) for `auth_data`; answers its `mediaid`. */
  uploadAuthMaterial(input: UploadAuthMaterialInput): Promise<UploadAuthMaterialResponse> {
    return this.#send(wxverifyApis.uploadAuthMaterial, input);
  }

  /** `wxa/sec/reauth`: resubmits a 认证 sent back for refilling (`auth_data.taskid` required). */
  reauth(input: { auth_data: WxaAuthData }): Promise<OkResponse> {
    return this.#send(wxverifyApis.reauth, input);
  }

  /** `wxa/sec/authidentitytree`: the identities a personal mini program may be verified as. */
  authIdentityTree(): Promise<AuthIdentityTreeResponse> {
    return this.#send(wxverifyApis.authIdentityTree, undefined);
  }

  /**
   * `wxa/sec/submit_auth_and_icp`: applies for 认证 and ICP filing in one; the filing follows a
   * passed 认证. The face task (`createIcpVerifyTask({ along_with_auth: true })`) goes in
   * `icp_applets.principal_info.verify_task_id`. Progress: `notify_3rd_wxa_auth_and_icp`.
   */
  submitAuthAndIcp(input: SubmitAuthAndIcpInput): Promise<SubmitAuthAndIcpResponse> {
    return this.#send(wxverifyApis.submitAuthAndIcp, input);
  }

  /** `wxa/sec/query_auth_and_icp`: the combined procedure's `procedure_status` and details. */
  queryAuthAndIcp(input: { procedure_id: string }): Promise<QueryAuthAndIcpResponse> {
    return this.#send(wxverifyApis.queryAuthAndIcp, input);
  }

  // ---- users --------------------------------------------------------------------------------
  // WeChat's paths end in `get`, `info` and `batchget`; bare `get`/`info` would say nothing (and
  // `get` clashes with `cgi-bin/open/get`), so the names add `User…`.

  /** `cgi-bin/user/get`: one page (≤ 10,000) of an Official Account's followers' openids. */
  getUserList(input?: users.UserListInput): Promise<users.UserListResponse> {
    return this.#send(users.userApis.getUserList, input);
  }

  /** `cgi-bin/user/info`: a follower's basic information (`lang`: zh_CN, zh_TW or en). */
  getUserInfo(input: users.UserInfoInput): Promise<users.UserInfo> {
    return this.#send(users.userApis.getUserInfo, input);
  }

  /** `cgi-bin/user/info/batchget`: the basic information of 1 to 100 followers. */
  batchGetUserInfo(input: users.BatchGetUserInfoInput): Promise<users.BatchGetUserInfoResponse> {
    return this.#send(users.userApis.batchGetUserInfo, input);
  }
}

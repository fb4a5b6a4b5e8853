/**
 * wxopen — run a WeChat Open Platform third-party platform (微信开放平台 第三方平台) on any
 * runtime with `fetch` and Web Crypto. The root holds the client, the credentials, the stores
 * and the errors; capabilities have their own entry points:
 *
 * - `@wxopen/component/crypto`: `MessageCrypto`, the push encryption and signatures;
 * - `@wxopen/component/messages`: typed pushes, authorizer messages and passive replies;
 * - `@wxopen/component/xml`: the safe XML parser and builder;
 * - `@wxopen/component/kv`, `@wxopen/component/deno-kv`: Workers KV and Deno KV stores;
 * - `@wxopen/component/testing`: `WeChatSimulator` and `FaultyStore` for tests.
 *
 * @example A client over a store, tokens managed
 * ```ts
 * import { ComponentClient, MemoryStore } from "@wxopen/component";
 *
 * const client = new ComponentClient({
 *   appId: "wx1234567890abcdef",
 *   appSecret: "the-component-appsecret",
 *   store: new MemoryStore(),
 * });
 * console.log(client.appId); // "wx1234567890abcdef"
 * ```
 *
 * @module
 */

export {
  type ApiErrorCode,
  errcodeOf,
  type LifecycleErrorCode,
  type StoreErrorCode,
  WxOpenError,
  type WxOpenErrorCode,
  type WxOpenErrorOptions,
} from "./src/errors.ts";
export { retry, type RetryOptions } from "./src/retry.ts";
export * from "./src/store/store.ts";
export type { VersionedRecord, VersionedStore } from "./src/store/versioned.ts";
export * from "./src/store/errors.ts";
export * from "./src/store/memory.ts";
export * from "./src/store/sealed.ts";
export * from "./src/tokens/types.ts";
export * from "./src/tokens/errors.ts";
export * from "./src/tokens/credentials.ts";
export { isAppId, type StorageKeys, storageKeys } from "./src/tokens/keys.ts";
export * from "./src/api/errors.ts";
export * from "./src/api/types.ts";
export type { RawRequest } from "./src/api/send.ts";
export type { AuthorizationUrlOptions, OAuthUrlOptions } from "./src/client/_links.ts";
export type { ComponentClientOptions } from "./src/client/_options.ts";
export * from "./src/client/authorizer_client.ts";
export * from "./src/client/component_client.ts";
// typed API areas (descriptors, request and answer types), one module each:

// JS-SDK
export type {
  JssdkConfig,
  JssdkConfigOptions,
  JsTicketInfo,
  JsTicketRequest,
  JsTicketType,
  TicketResponse,
} from "./src/api/jssdk.ts";
export { jssdkSignature, type JssdkSignatureInput } from "./src/client/_jssdk.ts";
export type { SnsUserInfoInput, SnsUserInfoResponse } from "./src/api/sns.ts";
export {
  type OAuthResult,
  verifyOAuthResult,
  type VerifyOAuthResultOptions,
} from "./src/client/oauth_result.ts";

// code management
export type * from "./src/api/code_types.ts";

// templates
export type {
  AddToTemplateInput,
  CodeTemplate,
  DeleteTemplateInput,
  GetTemplateListInput,
  TemplateDraft,
  TemplateDraftListResponse,
  TemplateListResponse,
  TemplateType,
} from "./src/api/templates.ts";

// domains
export type {
  ConfirmFileResponse,
  DomainAction,
  ModifyDomainInput,
  ModifyDomainResponse,
  ModifyWxaJumpDomainInput,
  ModifyWxaServerDomainInput,
  PlatformDomainResponse,
  ServerDomains,
  SetWebViewDomainInput,
  WebViewDomainResponse,
} from "./src/api/domains.ts";

// testers
export type {
  BindTesterInput,
  BindTesterResponse,
  MemberAuthInput,
  MemberAuthResponse,
  UnbindTesterInput,
} from "./src/api/testers.ts";

// basic info and categories
export type {
  AccountBasicInfoResponse,
  AddCategoryInput,
  AllCategoriesResponse,
  CategoryInput,
  CategoryNode,
  CategoryResponse,
  Certificate,
  CheckNicknameResponse,
  DeleteCategoryInput,
  ModifyHeadImageInput,
  ModifyQuota,
  QueryNicknameResponse,
  SearchStatusResponse,
  SetNicknameInput,
  SetNicknameResponse,
} from "./src/api/account.ts";

// privacy
export type {
  ApplyPrivacyInterfaceInput,
  ApplyPrivacyInterfaceResponse,
  PrivacyInterface,
  PrivacyInterfaceResponse,
  PrivacyOwnerSetting,
  PrivacySettingItem,
  PrivacySettingResponse,
  SetPrivacySettingInput,
  UploadPrivacyExtFileInput,
  UploadPrivacyExtFileResponse,
} from "./src/api/privacy.ts";

// fast registration
export type {
  AccountFastRegisterResponse,
  BetaVerifyInfo,
  FastRegisterBetaWeappResponse,
  FastRegisterPersonalWeappInput,
  FastRegisterPersonalWeappResponse,
  FastRegisterWeappCreate,
  FastRegisterWeappInput,
  FastRegisterWeappSearch,
} from "./src/api/register.ts";

// open account
export type { HaveOpenResponse, OpenAppIdResponse, OwnAppId } from "./src/api/open_account.ts";

// diagnostics
export type { RidInfoResponse } from "./src/api/diagnostics.ts";
export type { ApiQuotaResponse } from "./src/api/openapi.ts";

// ICP filing (wxa/icp/*)
export type {
  ApplyIcpFilingInput,
  CancelIcpFilingInput,
  CreateIcpVerifyTaskResponse,
  IcpAuditData,
  IcpCertificateTypesResponse,
  IcpDistrict,
  IcpDistrictCodeResponse,
  IcpEntranceInfoResponse,
  IcpTypeItem,
  IcpTypesResponse,
  OnlineIcpOrderResponse,
  QueryIcpVerifyTaskResponse,
  UploadIcpMediaInput,
  UploadIcpMediaResponse,
} from "./src/api/icp.ts";

// 认证 (wxa/sec/*)
export type {
  AuthIdentityNode,
  AuthIdentityTreeResponse,
  QueryAuthAndIcpResponse,
  SubmitAuthAndIcpInput,
  SubmitAuthAndIcpResponse,
  UploadAuthMaterialInput,
  UploadAuthMaterialResponse,
  WxaAuthData,
  WxaAuthResponse,
  WxaQueryAuthResponse,
} from "./src/api/wxverify.ts";

// users (an Official Account's followers)
export type {
  BatchGetUserInfoInput,
  BatchGetUserInfoResponse,
  UserInfo,
  UserInfoInput,
  UserLang,
  UserListInput,
  UserListResponse,
} from "./src/api/users.ts";

/**
 * The narrow port a release runs over: the WeChat calls of code management a release needs,
 * each on one authorizer's behalf. {@linkcode releaseApi} builds it from anything with
 * `AuthorizerCalls.call(path, body)` (the core's `AuthorizerClient`, or the worker's lean
 * calls), so a release does not depend on the typed client's methods.
 *
 * @module
 */

/** A WeChat JSON answer. */
export type WeChatJson = Record<string, unknown>;

/** The calls of a release, each for the authorizer `appid`. */
export interface ReleaseApi {
  /** `wxa/commit`. */
  commit(
    appid: string,
    input: {
      template_id: number | string;
      ext_json: string;
      user_version: string;
      user_desc: string;
    },
  ): Promise<WeChatJson>;
  /** `wxa/submit_audit`: answers `auditid`. */
  submitAudit(appid: string, input: Record<string, unknown>): Promise<WeChatJson>;
  /** `wxa/get_auditstatus`. */
  getAuditStatus(appid: string, input: { auditid: number }): Promise<WeChatJson>;
  /** `wxa/get_latest_auditstatus`. */
  getLatestAuditStatus(appid: string): Promise<WeChatJson>;
  /** `wxa/queryquota`: the platform's audit quota, asked with one authorizer's token. */
  queryQuota(appid: string): Promise<WeChatJson>;
  /** `wxa/release`. */
  release(appid: string): Promise<WeChatJson>;
  /** `wxa/grayrelease`. */
  grayRelease(appid: string, input: { gray_percentage: number }): Promise<WeChatJson>;
  /** `wxa/getgrayreleaseplan`: answers `gray_release_plan` (how a gray release is verified). */
  getGrayReleasePlan(appid: string): Promise<WeChatJson>;
  /** `wxa/undocodeaudit`: withdraws the audit in flight (87012 when decided, 87013 when spent). */
  undoCodeAudit(appid: string): Promise<WeChatJson>;
  /** `wxa/getversioninfo`. */
  getVersionInfo(appid: string): Promise<WeChatJson>;
  /** `wxa/modify_domain`. */
  modifyDomain(appid: string, input: Record<string, unknown>): Promise<WeChatJson>;
  /** `wxa/setwebviewdomain`. */
  setWebviewDomain(appid: string, input: Record<string, unknown>): Promise<WeChatJson>;
  /** `cgi-bin/component/setprivacysetting`. */
  setPrivacySetting(appid: string, input: Record<string, unknown>): Promise<WeChatJson>;
}

/** What {@linkcode releaseApi} needs of an authorizer: `AuthorizerCalls.call`. */
export interface JsonCalls {
  /** POST `body` as JSON when given, GET otherwise; `errcode ≠ 0` throws `WeChatError`. */
  call(path: string, body?: unknown): Promise<WeChatJson>;
}

/**
 * The {@linkcode ReleaseApi} over `authorizer(appid).call(path, body)`.
 *
 * @example Over a `ComponentClient`
 * ```ts ignore
 * import { releaseApi } from "@wxopen/component/release";
 *
 * const api = releaseApi((appid) => client.authorizer(appid));
 * ```
 */
export function releaseApi(authorizer: (appid: string) => JsonCalls): ReleaseApi {
  const post = (appid: string, path: string, body: unknown = {}) =>
    authorizer(appid).call(path, body);
  const get = (appid: string, path: string) => authorizer(appid).call(path);
  return {
    commit: (appid, input) => post(appid, "/wxa/commit", input),
    submitAudit: (appid, input) => post(appid, "/wxa/submit_audit", input),
    getAuditStatus: (appid, input) => post(appid, "/wxa/get_auditstatus", input),
    getLatestAuditStatus: (appid) => get(appid, "/wxa/get_latest_auditstatus"),
    queryQuota: (appid) => get(appid, "/wxa/queryquota"),
    release: (appid) => post(appid, "/wxa/release"),
    grayRelease: (appid, input) => post(appid, "/wxa/grayrelease", input),
    getGrayReleasePlan: (appid) => get(appid, "/wxa/getgrayreleaseplan"),
    undoCodeAudit: (appid) => get(appid, "/wxa/undocodeaudit"),
    getVersionInfo: (appid) => post(appid, "/wxa/getversioninfo"),
    modifyDomain: (appid, input) => post(appid, "/wxa/modify_domain", input),
    setWebviewDomain: (appid, input) => post(appid, "/wxa/setwebviewdomain", input),
    setPrivacySetting: (appid, input) => post(appid, "/cgi-bin/component/setprivacysetting", input),
  };
}

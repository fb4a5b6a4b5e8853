/**
 * WeChat's error codes and messages as the simulator answers them, and the JSON responses that
 * carry them (`errmsg` ends with ` rid: <id>`, HTTP status 200, WeChat's own content type).
 *
 * @module
 */

import { randomBytes, toHex } from "../_bytes.ts";

/** English errmsg WeChat sends for each errcode the simulator can produce. */
export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: "system error",
  40001: "invalid credential, access_token is invalid or not latest",
  40002: "invalid grant_type",
  40003: "invalid openid",
  40008: "invalid message type",
  40013: "invalid appid",
  40014: "invalid access_token",
  40029: "invalid code",
  40030: "invalid refresh_token",
  40097: "invalid args",
  40125: "invalid appsecret",
  40163: "code been used",
  41001: "access_token missing",
  41002: "appid missing",
  41004: "appsecret missing",
  41005: "media data missing",
  41008: "missing code",
  41009: "missing openid",
  42001: "access_token expired",
  42002: "refresh_token expired",
  44002: "empty post data",
  45009: "reach max api daily quota limit",
  45011: "api minute-quota reach limit, must slower, retry next minute",
  47001: "data format error",
  48001: "api unauthorized",
  48006: "forbid to clear quota because of reaching the limit",
  61003: "component is not authorized by this account",
  61005: "component ticket is expired",
  61006: "component ticket is invalid",
  61009: "code is invalid",
  61010: "code is expired",
  61011: "invalid component",
  61012: "invalid option name",
  61013: "invalid option value",
  61014: "must use component token for component api",
  61015: "must use biz account token for not component api",
  61023: "refresh_token is invalid",
  41006: "media_id missing",
  // basic info and categories
  53200: "modify signature reach the limit of this month",
  53201: "signature hit blacklist",
  53202: "modify head image reach the limit of this month",
  53204: "signature invalid",
  53300: "modify category reach the limit of this month",
  53301: "category count reach the limit",
  53303: "invalid category args",
  53304: "category already exists",
  53307: "only rejected category can be modified",
  53308: "category under review can not be deleted",
  53311: "category need certificates",
  91003: "nickname modification in progress",
  91004: "nickname invalid",
  91007: "nickname has been occupied",
  91009: "nickname need material",
  91011: "nickname audit not found",
  // testers
  85001: "user not exist or user cannot be searched",
  85002: "number of testers reach the limit",
  85003: "number of mini programs tested by this user reach the limit",
  85004: "user already bound",
  // domains
  85015: "this account is not a mini program",
  85016: "exceed the limit of domains",
  85017:
    "no domain to modify after filtered, please confirm the domain has been set in miniprogram or open",
  85301:
    "no domain to modify after filtered, please confirm the domain has been set in miniprogram or open, and follows the rule of domains",
  89019: "webview domain not modified",
  89020: "open's webview domain is empty! please set first",
  89021: "request domain is not open's webview domain!",
  89029: "exceed the limit of webview domains",
  // ---- code management (wxa/commit … wxa/release) ----
  40005: "invalid file type",
  40006: "invalid meida size",
  61007: "api is unauthorized to component",
  85009: "already submit a version under auditing",
  85012: "invalid audit id",
  85014: "template not exist",
  85019: "no version is under auditing",
  85020: "status not allowed",
  85023: "item_list count or content invalid",
  85048: "parse ext.json failed",
  85052: "app is already released",
  85058: "no valid audit_id exist",
  85079: "miniprogram has no online release",
  85085: "submit audit reach limit, please try later",
  85086: "must commit before submit audit",
  86000: "should be called only from third party",
  86001: "no code committed by the component",
  // ICP filing (wxa/icp/*)
  86202: "apply icp filing fail",
  86324: "icp filing is under review, do not submit again",
  86328: "resource not found",
  86330: "icp filing order is not in a state that can be withdrawn",
  86353: "miniprogram has no icp filing",
  86368: "no icp filing order to withdraw",
  87011: "current version is in gray release, can not revert",
  87012: "forbid revert this version release",
  87013: "no quota to undo code",
  89402: "the audit is not in the review queue",
  89403: "this kind of audit can not be sped up",
  89404: "the audit has already been sped up",
  89405: "no quota to speed up audits this month",
  // code templates
  85064: "template not found",
  85065: "template list is full",
  // privacy
  40007: "invalid media_id",
  40126: "invalid text size",
  61031: "our last submission is under review, please do not apply again",
  61032: "invalid video type, need mp4-type",
  61034: "invalid args, please check",
  61035: "the api not need apply",
  86069: "owner_setting必填字段字段缺失",
  86071: "privacy_ver参数无效",
  86074: "现网隐私协议不存在",
  // fast registration
  86004: "invalid wechat",
  89247: "inner error",
  89248: "invalid code type",
  89249: "task running",
  89250: "task not found",
  89251: "legal person checking",
  89252: "front checking",
  89253: "lack of some params",
  89254: "lack of some component rights",
  89255: "code is invalid",
  // open account
  89000: "account has bound open",
  89001: "not same contractor",
  89002: "open not exists",
  89003: "open is not created by api",
  89004: "exceed open bind limit",
  89036: "open is not created by api or not verified",
  // diagnostics
  76001: "rid not found",
  76002: "rid is error",
  76003: "could not query this rid,no permission",
  76022: "could not query this rid,sns api",
};

/** Content type WeChat's API servers send with JSON answers (sic: `encoding`, not `charset`). */
export const JSON_CONTENT_TYPE = "application/json; encoding=utf-8";

/** A request id shaped like WeChat's: hex seconds, then two random 8-hex-digit groups. */
export function newRid(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, "0");
  return `${seconds}-${toHex(randomBytes(4))}-${toHex(randomBytes(4))}`;
}

/** An error answer to raise from an API handler; turned into WeChat's JSON by the dispatcher. */
export class ApiFailure {
  constructor(readonly errcode: number, readonly errmsg?: string) {}
}

/** The JSON body of an error answer, with ` rid: ...` appended as WeChat does. */
export function errorBody(errcode: number, nowMs: number, errmsg?: string, rid?: string): string {
  const msg = errmsg ?? ERRMSG[errcode] ?? "unknown error";
  return JSON.stringify({ errcode, errmsg: `${msg} rid: ${rid ?? newRid(nowMs)}` });
}

/** A JSON response with WeChat's headers. */
export function jsonResponse(body: unknown, status = 200): Response {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Response(text, {
    status,
    headers: { "content-type": JSON_CONTENT_TYPE, "connection": "keep-alive" },
  });
}

/** `{"errcode":0,"errmsg":"ok"}` — action APIs' success answer (no rid, as WeChat). */
export const OK: { errcode: number; errmsg: string } = { errcode: 0, errmsg: "ok" };

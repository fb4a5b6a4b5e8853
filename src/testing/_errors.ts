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
  // privacy
  40006: "invalid meida size",
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

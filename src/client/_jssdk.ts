/**
 * The JS-SDK signature (`wx.config`) and the functions the client and the worker share to make
 * it: a ticket from the managed tickets, a nonce, the page URL without its fragment.
 *
 * @module
 */

import { randomBytes, toHex } from "../_bytes.ts";
import type {
  JssdkConfig,
  JssdkConfigOptions,
  JsTicketInfo,
  JsTicketRequest,
  JsTicketType,
} from "../api/jssdk.ts";
import type { ApiContext } from "../api/send.ts";
import { sha1Hex } from "../crypto/_sha1.ts";
import { checkAppId } from "../tokens/keys.ts";

/** What {@linkcode jssdkSignature} signs, under WeChat's own names. */
export interface JssdkSignatureInput {
  /** The `jsapi` ticket. */
  jsapi_ticket: string;
  /** The random string (`nonceStr` of `wx.config`). */
  noncestr: string;
  /** Unix seconds (`timestamp` of `wx.config`). */
  timestamp: number | string;
  /** The page URL; the part from `#` is dropped, the rest signed as given. */
  url: string;
}

/**
 * The JS-SDK signature: SHA-1 hex of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (keys in
 * ASCII order, values raw, not URL-encoded), the URL cut at its first `#`. Throws TypeError on
 * an empty ticket, nonce or URL, or a timestamp that is not whole seconds.
 *
 * @example WeChat's documented example (JS-SDK, 附录1)
 * ```ts
 * import { jssdkSignature } from "@wxopen/component";
 *
 * const signature = jssdkSignature({
 *   jsapi_ticket:
 *     "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
 *   noncestr: "Wm3WZYTPz0wzccnW",
 *   timestamp: 1414587457,
 *   url: "http://mp.weixin.qq.com?params=value",
 * });
 * console.log(signature); // "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
 * ```
 */
export function jssdkSignature(input: JssdkSignatureInput): string {
  const ticket = text("jsapi_ticket", input?.jsapi_ticket);
  const nonce = text("noncestr", input.noncestr);
  const url = text("url", input.url).split("#")[0];
  const timestamp = String(input.timestamp);
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new TypeError("Invalid timestamp: expected whole seconds since the epoch");
  }
  return sha1Hex(`jsapi_ticket=${ticket}&noncestr=${nonce}&timestamp=${timestamp}&url=${url}`);
}

function text(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`Invalid ${name}: expected a non-empty string`);
  }
  return value;
}

/** 16 random hex digits (WeChat's examples use 16 letters and digits). */
function nonce(): string {
  return toHex(randomBytes(8));
}

/**
 * Checks a page URL for signing: an absolute http(s) URL. Returns it as given (not
 * normalised), without its fragment. Throws TypeError otherwise.
 */
export function pageUrl(url: unknown): string {
  if (typeof url !== "string" || url === "" || /\s/.test(url)) {
    throw new TypeError("Invalid url: expected the page's http(s) URL");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError("Invalid url: expected the page's http(s) URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError("Invalid url: expected the page's http(s) URL");
  }
  return url.split("#")[0];
}

function ticketsOf(api: ApiContext) {
  if (!api.jsTickets) throw new TypeError("This client keeps no JS-SDK tickets");
  return api.jsTickets;
}

/** The managed ticket of `appid` (see `JsTicketRequest`). */
export function jsTicket(
  api: ApiContext,
  appid: string,
  type: JsTicketType,
  request?: JsTicketRequest,
): Promise<JsTicketInfo> {
  return ticketsOf(api).get(checkAppId(appid), type, request);
}

/**
 * The `wx.config` object for `options.url`, signed with `appid`'s managed `jsapi` ticket.
 * Input problems throw TypeError before any call.
 */
export async function jssdkConfig(
  api: ApiContext,
  appid: string,
  options: JssdkConfigOptions,
): Promise<JssdkConfig> {
  const url = pageUrl(options?.url);
  const list = options.jsApiList;
  if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === "string"))) {
    throw new TypeError("Invalid jsApiList: expected an array of API names");
  }
  const tickets = ticketsOf(api);
  const { ticket } = await tickets.get(checkAppId(appid), "jsapi");
  const timestamp = Math.floor(tickets.now() / 1000);
  const nonceStr = nonce();
  const signature = jssdkSignature({ jsapi_ticket: ticket, noncestr: nonceStr, timestamp, url });
  const config: JssdkConfig = { appId: appid, timestamp, nonceStr, signature };
  if (list !== undefined) config.jsApiList = [...list];
  return config;
}

/**
 * The browser links of the authorization flows: WeChat's authorization page for a merchant and
 * the OAuth page for an Official Account's user.
 *
 * @module
 */

import { utf8Encode } from "../_bytes.ts";
import { nonEmpty } from "../_check.ts";
import { checkAppId } from "../tokens/keys.ts";

/** Options of `ComponentClient.authorizationUrl`. */
export interface AuthorizationUrlOptions {
  /** From `createPreAuthCode` (single use). */
  preAuthCode: string;
  /** Where WeChat sends the browser back with `auth_code`; an `http(s)` URL. */
  redirectUri: string;
  /**
   * 1 Official Accounts, 2 Mini Programs, 3 both (default), 4 推客, 5 视频号, 6 all, 8 带货助手.
   */
  authType?: 1 | 2 | 3 | 4 | 5 | 6 | 8;
  /** Only this account may authorize. */
  bizAppId?: string;
  /** Permission-set ids offered (default: every released set). */
  categoryIdList?: readonly (number | string)[];
  /** True for the H5 link opened inside WeChat (`bindcomponent`), false for the PC QR page. */
  mobile?: boolean;
}

/** Options of `ComponentClient.oauthUrl`. */
export interface OAuthUrlOptions {
  /** The Official Account the user authorizes. */
  appId: string;
  /** Where WeChat sends the browser back with `code`. */
  redirectUri: string;
  /** `snsapi_base` (default) or `snsapi_userinfo`. */
  scope?: "snsapi_base" | "snsapi_userinfo";
  /** Round-tripped as is (at most 128 bytes). */
  state?: string;
}

/** The hosts the links point at. */
export interface LinkHosts {
  componentAppId: string;
  mpBase: string;
  openBase: string;
}

const AUTH_TYPES = new Set([1, 2, 3, 4, 5, 6, 8]);

/** Returns `value` when it is an http(s) URL; throws TypeError naming `name` otherwise. */
export function checkHttpUrl(name: string, value: string): string {
  if (typeof value !== "string" || !/^https?:\/\/[^\s/?#]+/.test(value)) {
    throw new TypeError(`Invalid ${name}: expected an http(s) URL`);
  }
  return value;
}

function queryString(params: [string, string][]): string {
  return params.map(([k, value]) => `${k}=${encodeURIComponent(value)}`).join("&");
}

/** The PC QR page (`componentloginpage`) or, `mobile`, the H5 page (`bindcomponent`). */
export function authorizationUrl(hosts: LinkHosts, options: AuthorizationUrlOptions): string {
  const preAuthCode = nonEmpty("preAuthCode", options?.preAuthCode);
  const redirectUri = checkHttpUrl("redirectUri", options.redirectUri);
  const authType = options.authType ?? 3;
  if (!AUTH_TYPES.has(authType)) {
    throw new TypeError("Invalid authType: expected 1, 2, 3, 4, 5, 6 or 8");
  }
  const params: [string, string][] = [];
  if (options.mobile) params.push(["action", "bindcomponent"], ["no_scan", "1"]);
  params.push(
    ["component_appid", hosts.componentAppId],
    ["pre_auth_code", preAuthCode],
    ["redirect_uri", redirectUri],
    ["auth_type", String(authType)],
  );
  if (options.bizAppId !== undefined) params.push(["biz_appid", checkAppId(options.bizAppId)]);
  if (options.categoryIdList !== undefined) {
    const ids = options.categoryIdList.map(String);
    if (ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) {
      throw new TypeError("Invalid categoryIdList: expected one or more numeric ids");
    }
    params.push(["category_id_list", ids.join("|")]);
  }
  return options.mobile
    ? `${hosts.openBase}/wxaopen/safe/bindcomponent?${queryString(params)}#wechat_redirect`
    : `${hosts.mpBase}/cgi-bin/componentloginpage?${queryString(params)}`;
}

/** The OAuth page link for an Official Account's user, on the account's behalf. */
export function oauthUrl(hosts: LinkHosts, options: OAuthUrlOptions): string {
  const appId = checkAppId(options?.appId);
  const redirectUri = checkHttpUrl("redirectUri", options.redirectUri);
  const scope = options.scope ?? "snsapi_base";
  if (scope !== "snsapi_base" && scope !== "snsapi_userinfo") {
    throw new TypeError("Invalid scope: expected snsapi_base or snsapi_userinfo");
  }
  const params: [string, string][] = [
    ["appid", appId],
    ["redirect_uri", redirectUri],
    ["response_type", "code"],
    ["scope", scope],
  ];
  if (options.state !== undefined) {
    if (utf8Encode(options.state).length > 128) {
      throw new TypeError("Invalid state: expected at most 128 bytes");
    }
    params.push(["state", options.state]);
  }
  params.push(["component_appid", hosts.componentAppId]);
  return `${hosts.openBase}/connect/oauth2/authorize?${queryString(params)}#wechat_redirect`;
}

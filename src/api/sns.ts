/**
 * `sns/userinfo`: a user's profile, read with the user's own web access token (from
 * `sns/oauth2/component/access_token` with scope `snsapi_userinfo`), not with any token of the
 * platform or the account.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { SnsUserInfoSchema } from "./_jssdk_schemas.ts";
import type { Endpoint } from "./endpoint.ts";

/** Input of `sns/userinfo`. */
export interface SnsUserInfoInput {
  /** The user's web access token (a secret: never log it). */
  access_token: string;
  /** The user's openid under the Official Account. */
  openid: string;
  /** `zh_CN` (default), `zh_TW` or `en`. */
  lang?: "zh_CN" | "zh_TW" | "en";
}

/** `sns/userinfo` response. */
export interface SnsUserInfoResponse {
  /** The user's openid. */
  openid: string;
  /** Nickname (WeChat answers "微信用户" for most users since 2021). */
  nickname?: string;
  /** 0 unknown (always, since 2021), 1 male, 2 female. */
  sex?: number;
  /** Province (empty since 2021). */
  province?: string;
  /** City (empty since 2021). */
  city?: string;
  /** Country (empty since 2021). */
  country?: string;
  /** Avatar URL (may be empty). */
  headimgurl?: string;
  /** Privileges, e.g. `chinaunicom`. */
  privilege?: string[];
  /** Present when the account is bound to an open platform account. */
  unionid?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

const LANGS = ["zh_CN", "zh_TW", "en"];

/** The `sns/` APIs read with a user's token. */
export const snsApis = {
  /** `sns/userinfo`: the profile of a user who consented with `snsapi_userinfo`. */
  userInfo: {
    path: "/sns/userinfo",
    method: "GET",
    auth: "none",
    query: (input) => {
      const lang = input?.lang ?? "zh_CN";
      if (!LANGS.includes(lang)) throw new TypeError("Invalid lang: expected zh_CN, zh_TW or en");
      return {
        access_token: nonEmpty("access_token", input?.access_token),
        openid: nonEmpty("openid", input.openid),
        lang,
      };
    },
    schema: SnsUserInfoSchema,
  } satisfies Endpoint<SnsUserInfoInput, SnsUserInfoResponse>,
} as const;

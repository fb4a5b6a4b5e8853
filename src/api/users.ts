/**
 * An Official Account's followers (用户管理): the list of their openids, paged by `next_openid`,
 * and each follower's basic information. Mini programs have no followers: WeChat refuses these
 * APIs to them (48001).
 *
 * @module
 */

import * as v from "valibot";
import { nonEmpty, object } from "../_check.ts";
import type { Endpoint } from "./endpoint.ts";

/** The languages WeChat answers a follower's information in. */
export type UserLang = "zh_CN" | "zh_TW" | "en";

/** The `lang` values WeChat accepts, as {@linkcode UserLang} lists them. */
export const USER_LANGS: readonly string[] = ["zh_CN", "zh_TW", "en"];

/** At most this many openids per `cgi-bin/user/get` page. */
export const USER_PAGE_SIZE = 10000;
/** At most this many followers per `cgi-bin/user/info/batchget`. */
export const BATCHGET_LIMIT = 100;

/** Input of `cgi-bin/user/get`. */
export interface UserListInput {
  /** The last openid of the previous page; omitted (or empty) for the first page. */
  next_openid?: string;
}

/** `cgi-bin/user/get` response. */
export interface UserListResponse {
  /** How many followers the account has. */
  total: number;
  /** How many openids this page holds (at most 10,000). */
  count: number;
  /** The page's openids (absent when `count` is 0). */
  data?: { openid: string[]; [key: string]: unknown };
  /** The page's last openid, to pass as `next_openid` for the next page ("" after the last). */
  next_openid: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `cgi-bin/user/info`. */
export interface UserInfoInput {
  /** The follower's openid for this account. */
  openid: string;
  /** The language of country/province/city names (WeChat's default `zh_CN`). */
  lang?: UserLang;
}

/** A follower's basic information (WeChat no longer sends nickname or avatar here). */
export interface UserInfo {
  /** 1 while the user follows the account; 0 after unfollowing (then only `openid` is sent). */
  subscribe: number;
  /** The user's openid for this account. */
  openid: string;
  /** The user's language, e.g. `zh_CN`. */
  language?: string;
  /** When the user last followed, in Unix seconds. */
  subscribe_time?: number;
  /** Present when the account is bound to an Open Platform account. */
  unionid?: string;
  /** The account's remark on the user. */
  remark?: string;
  /** The user's tag ids. */
  tagid_list?: number[];
  /** How the user came to follow, e.g. `ADD_SCENE_QR_CODE`. */
  subscribe_scene?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `cgi-bin/user/info/batchget`: 1 to 100 followers. */
export interface BatchGetUserInfoInput {
  /** The followers, each with an optional language. */
  user_list: UserInfoInput[];
}

/** `cgi-bin/user/info/batchget` response. */
export interface BatchGetUserInfoResponse {
  /** One entry per requested openid, in order. */
  user_info_list: UserInfo[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

function lang(value: unknown): UserLang | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !USER_LANGS.includes(value)) {
    throw new TypeError('Invalid lang: expected "zh_CN", "zh_TW" or "en"');
  }
  return value as UserLang;
}

const UserListSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    total: v.number(),
    count: v.number(),
    data: v.optional(v.looseObject({ openid: v.array(v.string()) })),
    next_openid: v.string(),
  }))();

const UserInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    subscribe: v.number(),
    openid: v.string(),
    language: v.optional(v.string()),
    subscribe_time: v.optional(v.number()),
    unionid: v.optional(v.string()),
    remark: v.optional(v.string()),
    tagid_list: v.optional(v.array(v.number())),
    subscribe_scene: v.optional(v.string()),
  }))();

const BatchGetSchema =
  /* @__PURE__ */ (() => v.looseObject({ user_info_list: v.array(UserInfoSchema) }))();

/** `cgi-bin/user/get`: one page of the followers' openids. */
export const getUserList = {
  path: "/cgi-bin/user/get",
  method: "GET",
  auth: "authorizer",
  query: (input) => {
    if (input === undefined) return {};
    const next = object("getUserList input", input).next_openid;
    if (next !== undefined && typeof next !== "string") {
      throw new TypeError("Invalid next_openid: expected a string");
    }
    return { next_openid: next || undefined };
  },
  schema: UserListSchema,
} satisfies Endpoint<UserListInput | undefined, UserListResponse>;

/** `cgi-bin/user/info`: one follower's basic information. */
export const getUserInfo = {
  path: "/cgi-bin/user/info",
  method: "GET",
  auth: "authorizer",
  query: (input) => {
    const i = object("getUserInfo input", input);
    return { openid: nonEmpty("openid", i.openid), lang: lang(i.lang) };
  },
  schema: UserInfoSchema,
} satisfies Endpoint<UserInfoInput, UserInfo>;

/** `cgi-bin/user/info/batchget`: the basic information of up to 100 followers. */
export const batchGetUserInfo = {
  path: "/cgi-bin/user/info/batchget",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const list = object("batchGetUserInfo input", input).user_list;
    if (!Array.isArray(list) || list.length === 0 || list.length > BATCHGET_LIMIT) {
      throw new TypeError(`Invalid user_list: expected 1 to ${BATCHGET_LIMIT} entries`);
    }
    return {
      user_list: list.map((entry) => {
        const e = object("user_list entry input", entry);
        const l = lang(e.lang);
        return l === undefined
          ? { openid: nonEmpty("openid", e.openid) }
          : { openid: nonEmpty("openid", e.openid), lang: l };
      }),
    };
  },
  schema: BatchGetSchema,
} satisfies Endpoint<BatchGetUserInfoInput, BatchGetUserInfoResponse>;

/** The follower APIs, by the client method that calls them. */
export const userApis = { getUserList, getUserInfo, batchGetUserInfo } as const;

/**
 * An authorizer's basic information and a mini program's categories: the account's profile
 * (`getaccountbasicinfo`), its name (set, audited, checked), head image and introduction
 * (功能介绍), the categories (类目) it may serve and whether WeChat search finds it.
 *
 * @module
 */

import { integer, nonEmpty, object } from "../_check.ts";
import { OkSchema } from "./_schemas.ts";
import {
  AccountBasicInfoSchema,
  AllCategoriesSchema,
  CategorySchema,
  CheckNicknameSchema,
  QueryNicknameSchema,
  SearchStatusSchema,
  SetNicknameSchema,
} from "./_account_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** How much of a yearly or monthly modification budget is used. */
export interface ModifyQuota {
  /** Changes made in the current period. */
  modify_used_count?: number;
  /** Changes allowed in the period. */
  modify_quota?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/account/getaccountbasicinfo` response. */
export interface AccountBasicInfoResponse {
  /** The account's appid. */
  appid: string;
  /** 1 Official Account, 2 mini program. */
  account_type: number;
  /** 0 individual, 1 enterprise … */
  principal_type?: number;
  /** The principal (主体) name. */
  principal_name?: string;
  /** The introduction and its budget. */
  signature_info?: ModifyQuota & { signature?: string };
  /** The head image and its budget. */
  head_image_info?: ModifyQuota & { head_image_url?: string };
  /** The name and its budget. */
  nickname_info?: ModifyQuota & { nickname?: string };
  /** WeChat verification (`qualification_verify`, `naming_verify`…). */
  wx_verify_info?: Record<string, unknown>;
  /** Fields WeChat may add (`credential`, `realname_status`, `registered_country`…). */
  [key: string]: unknown;
}

/** Input of `wxa/setnickname`. */
export interface SetNicknameInput {
  /** The new name (not containing 小程序). */
  nick_name: string;
  /** Media id of the ID card photo (individual accounts, when the name needs proof). */
  id_card?: string;
  /** Media id of the business licence (organizations, when the name needs proof). */
  license?: string;
  /** Media ids of further proof (`naming_other_stuff_1` … `_5`). */
  naming_other_stuff_1?: string;
  /** See `naming_other_stuff_1`. */
  naming_other_stuff_2?: string;
  /** See `naming_other_stuff_1`. */
  naming_other_stuff_3?: string;
  /** See `naming_other_stuff_1`. */
  naming_other_stuff_4?: string;
  /** See `naming_other_stuff_1`. */
  naming_other_stuff_5?: string;
}

/** `wxa/setnickname` response: set at once, or an audit to follow (`audit_id`). */
export interface SetNicknameResponse {
  /** What WeChat says about the name (materials needed…). */
  wording?: string;
  /** The audit of the name, when it needs one (`apiWxaQueryNickname`). */
  audit_id?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/api_wxa_querynickname` response. */
export interface QueryNicknameResponse {
  /** The name audited. */
  nickname: string;
  /** 1 under review, 2 rejected, 3 approved. */
  audit_stat: number;
  /** Why it was rejected. */
  fail_reason?: string;
  /** Unix seconds of the submission. */
  create_time?: number;
  /** Unix seconds of the decision. */
  audit_time?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/wxverify/checkwxverifynickname` response. */
export interface CheckNicknameResponse {
  /** Whether the name hits a rule (proof or an audit would be needed). */
  hit_condition: boolean;
  /** What WeChat says about it. */
  wording?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `cgi-bin/account/modifyheadimage`: an uploaded image and its crop box (0–1). */
export interface ModifyHeadImageInput {
  /** Media id of the uploaded image. */
  head_img_media_id: string;
  /** Left of the crop box, 0–1. */
  x1: number;
  /** Top of the crop box, 0–1. */
  y1: number;
  /** Right of the crop box, 0–1. */
  x2: number;
  /** Bottom of the crop box, 0–1. */
  y2: number;
}

/** One category of WeChat's tree (`getallcategories`). */
export interface CategoryNode {
  /** Its id. */
  id: number;
  /** Its name. */
  name: string;
  /** 1 first level, 2 second level. */
  level?: number;
  /** The parent's id. */
  father?: number;
  /** The children's ids. */
  children?: number[];
  /** 1 when the category needs qualification (资质). */
  sensitive_type?: number;
  /** The qualifications it needs. */
  qualify?: Record<string, unknown>;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/wxopen/getallcategories` response. */
export interface AllCategoriesResponse {
  /** The tree. */
  categories_list: { categories: CategoryNode[]; [key: string]: unknown };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** A qualification certificate: its name and the media id of its picture. */
export interface Certificate {
  /** The qualification's name. */
  key: string;
  /** Media id. */
  value: string;
}

/** One category to add or modify. */
export interface CategoryInput {
  /** First-level id. */
  first: number;
  /** Second-level id. */
  second: number;
  /** Qualifications (needed for sensitive categories). */
  certicates?: Certificate[];
}

/** Input of `cgi-bin/wxopen/addcategory`. */
export interface AddCategoryInput {
  /** The categories to add. */
  categories: CategoryInput[];
}

/** Input of `cgi-bin/wxopen/deletecategory`. */
export interface DeleteCategoryInput {
  /** First-level id. */
  first: number;
  /** Second-level id. */
  second: number;
}

/** `cgi-bin/wxopen/getcategory` response. */
export interface CategoryResponse {
  /** The account's categories and their audit. */
  categories: {
    first: number;
    first_name?: string;
    second: number;
    second_name?: string;
    /** 1 under review, 2 rejected, 3 approved. */
    audit_status?: number;
    audit_reason?: string;
    [key: string]: unknown;
  }[];
  /** Categories that may be added in a change period (a month). */
  limit?: number;
  /** Categories that may still be added in this period. */
  quota?: number;
  /** Categories the account may have. */
  category_limit?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/getwxasearchstatus` response. */
export interface SearchStatusResponse {
  /** 0 found by search, 1 hidden. */
  status: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

function optional(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : nonEmpty(name, value);
}

function id(name: string, value: unknown): number {
  return integer(name, value, 0, Number.MAX_SAFE_INTEGER);
}

function unit(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new RangeError(`Invalid ${name}: expected a number from 0 to 1`);
  }
  return value;
}

function category(value: unknown, i: number): CategoryInput {
  const c = object(`categories[${i}] input`, value);
  const out: CategoryInput = { first: id("first", c.first), second: id("second", c.second) };
  if (c.certicates !== undefined) {
    if (!Array.isArray(c.certicates)) throw new TypeError("Invalid certicates: expected an array");
    out.certicates = c.certicates.map((x, j) => {
      const cert = object(`certicates[${j}] input`, x);
      return {
        key: nonEmpty("certicates key", cert.key),
        value: nonEmpty("certicates value", cert.value),
      };
    });
  }
  return out;
}

// A literal, not a computed list: a top-level call would keep this module in every bundle.
const NAMING_STUFF = [
  "naming_other_stuff_1",
  "naming_other_stuff_2",
  "naming_other_stuff_3",
  "naming_other_stuff_4",
  "naming_other_stuff_5",
];

/** `cgi-bin/account/getaccountbasicinfo`: the account's profile and change budgets. */
export const getAccountBasicInfo = {
  path: "/cgi-bin/account/getaccountbasicinfo",
  method: "GET",
  auth: "authorizer",
  schema: AccountBasicInfoSchema,
} satisfies Endpoint<void, AccountBasicInfoResponse>;

/** `wxa/setnickname`: sets the mini program's name (at once, or after an audit). */
export const setNickname = {
  path: "/wxa/setnickname",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const i = object("setNickname input", input);
    const body: Record<string, unknown> = {
      nick_name: nonEmpty("nick_name", i.nick_name),
      id_card: optional("id_card", i.id_card),
      license: optional("license", i.license),
    };
    for (const key of NAMING_STUFF) body[key] = optional(key, i[key]);
    return body;
  },
  schema: SetNicknameSchema,
} satisfies Endpoint<SetNicknameInput, SetNicknameResponse>;

/** `wxa/api_wxa_querynickname`: the state of a name audit. */
export const apiWxaQueryNickname = {
  path: "/wxa/api_wxa_querynickname",
  method: "POST",
  auth: "authorizer",
  body: (input) => ({
    audit_id: id("audit_id", object("apiWxaQueryNickname input", input).audit_id),
  }),
  schema: QueryNicknameSchema,
} satisfies Endpoint<{ audit_id: number }, QueryNicknameResponse>;

/** `cgi-bin/wxverify/checkwxverifynickname`: whether a name would need proof. */
export const checkWxVerifyNickname = {
  path: "/cgi-bin/wxverify/checkwxverifynickname",
  method: "POST",
  auth: "authorizer",
  body: (input) => ({
    nick_name: nonEmpty("nick_name", object("checkWxVerifyNickname input", input).nick_name),
  }),
  schema: CheckNicknameSchema,
} satisfies Endpoint<{ nick_name: string }, CheckNicknameResponse>;

/** `cgi-bin/account/modifyheadimage`: sets the head image from an uploaded image. */
export const modifyHeadImage = {
  path: "/cgi-bin/account/modifyheadimage",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const i = object("modifyHeadImage input", input);
    const box = {
      x1: unit("x1", i.x1),
      y1: unit("y1", i.y1),
      x2: unit("x2", i.x2),
      y2: unit("y2", i.y2),
    };
    if (box.x1 >= box.x2 || box.y1 >= box.y2) {
      throw new RangeError("Invalid crop box: expected x1 < x2 and y1 < y2");
    }
    return { head_img_media_id: nonEmpty("head_img_media_id", i.head_img_media_id), ...box };
  },
  schema: OkSchema,
} satisfies Endpoint<ModifyHeadImageInput, OkResponse>;

/** `cgi-bin/account/modifysignature`: sets the introduction (功能介绍, 4–120 characters). */
export const modifySignature = {
  path: "/cgi-bin/account/modifysignature",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const signature = object("modifySignature input", input).signature;
    if (typeof signature !== "string") throw new TypeError("Invalid signature: expected a string");
    return { signature };
  },
  schema: OkSchema,
} satisfies Endpoint<{ signature: string }, OkResponse>;

/** `cgi-bin/wxopen/getallcategories`: WeChat's category tree. */
export const getAllCategories = {
  path: "/cgi-bin/wxopen/getallcategories",
  method: "GET",
  auth: "authorizer",
  schema: AllCategoriesSchema,
} satisfies Endpoint<void, AllCategoriesResponse>;

/** `cgi-bin/wxopen/addcategory`: adds categories to the mini program. */
export const addCategory = {
  path: "/cgi-bin/wxopen/addcategory",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const list = object("addCategory input", input).categories;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError("Invalid categories: expected a non-empty array");
    }
    return { categories: list.map(category) };
  },
  schema: OkSchema,
} satisfies Endpoint<AddCategoryInput, OkResponse>;

/** `cgi-bin/wxopen/deletecategory`: removes one category. */
export const deleteCategory = {
  path: "/cgi-bin/wxopen/deletecategory",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const i = object("deleteCategory input", input);
    return { first: id("first", i.first), second: id("second", i.second) };
  },
  schema: OkSchema,
} satisfies Endpoint<DeleteCategoryInput, OkResponse>;

/**
 * `cgi-bin/wxopen/getcategory`: the mini program's categories and their audit. Named by
 * WeChat's English name for it (getSettingCategories): `getCategory` is `wxa/get_category`.
 */
export const getSettingCategories = {
  path: "/cgi-bin/wxopen/getcategory",
  method: "GET",
  auth: "authorizer",
  schema: CategorySchema,
} satisfies Endpoint<void, CategoryResponse>;

/** `cgi-bin/wxopen/modifycategory`: new qualifications for a rejected category. */
export const modifyCategory = {
  path: "/cgi-bin/wxopen/modifycategory",
  method: "POST",
  auth: "authorizer",
  body: (input) => category(object("modifyCategory input", input), 0),
  schema: OkSchema,
} satisfies Endpoint<CategoryInput, OkResponse>;

/** `wxa/changewxasearchstatus`: 0 lets WeChat search find the mini program, 1 hides it. */
export const changeWxaSearchStatus = {
  path: "/wxa/changewxasearchstatus",
  method: "POST",
  auth: "authorizer",
  body: (input) => ({
    status: integer("status", object("changeWxaSearchStatus input", input).status, 0, 1),
  }),
  schema: OkSchema,
} satisfies Endpoint<{ status: 0 | 1 }, OkResponse>;

/** `wxa/getwxasearchstatus`: whether WeChat search finds the mini program. */
export const getWxaSearchStatus = {
  path: "/wxa/getwxasearchstatus",
  method: "GET",
  auth: "authorizer",
  schema: SearchStatusSchema,
} satisfies Endpoint<void, SearchStatusResponse>;

/** The basic-info and category APIs, by the client method that calls them. */
export const accountApis = {
  getAccountBasicInfo,
  setNickname,
  apiWxaQueryNickname,
  checkWxVerifyNickname,
  modifyHeadImage,
  modifySignature,
  getAllCategories,
  addCategory,
  deleteCategory,
  getSettingCategories,
  modifyCategory,
  changeWxaSearchStatus,
  getWxaSearchStatus,
} as const;

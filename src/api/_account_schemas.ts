/**
 * Valibot schemas of the basic-info and category answers (private: `account.ts` has the
 * public interfaces). Loose objects; each built by a `@__PURE__` call so unused ones
 * tree-shake.
 *
 * @module
 */

import * as v from "valibot";
import type {
  AccountBasicInfoResponse,
  AllCategoriesResponse,
  CategoryResponse,
  CheckNicknameResponse,
  QueryNicknameResponse,
  SearchStatusResponse,
  SetNicknameResponse,
} from "./account.ts";

const Num =
  /* @__PURE__ */ (() =>
    v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number))]))();

const Quota = /* @__PURE__ */ (() => ({
  modify_used_count: v.optional(Num),
  modify_quota: v.optional(Num),
}))();

export const AccountBasicInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    appid: v.string(),
    account_type: Num,
    principal_type: v.optional(Num),
    principal_name: v.optional(v.string()),
    signature_info: v.optional(v.looseObject({ ...Quota, signature: v.optional(v.string()) })),
    head_image_info: v.optional(
      v.looseObject({ ...Quota, head_image_url: v.optional(v.string()) }),
    ),
    nickname_info: v.optional(v.looseObject({ ...Quota, nickname: v.optional(v.string()) })),
    wx_verify_info: v.optional(v.looseObject({})),
  }))();

export const SetNicknameSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ wording: v.optional(v.string()), audit_id: v.optional(Num) }))();

export const QueryNicknameSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    nickname: v.string(),
    audit_stat: Num,
    fail_reason: v.optional(v.string()),
    create_time: v.optional(Num),
    audit_time: v.optional(Num),
  }))();

export const CheckNicknameSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ hit_condition: v.boolean(), wording: v.optional(v.string()) }))();

export const AllCategoriesSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    categories_list: v.looseObject({
      categories: v.array(v.looseObject({
        id: Num,
        name: v.string(),
        level: v.optional(Num),
        father: v.optional(Num),
        children: v.optional(v.array(Num)),
        sensitive_type: v.optional(Num),
        qualify: v.optional(v.looseObject({})),
      })),
    }),
  }))();

export const CategorySchema = /* @__PURE__ */ (() =>
  v.looseObject({
    categories: v.array(v.looseObject({
      first: Num,
      first_name: v.optional(v.string()),
      second: Num,
      second_name: v.optional(v.string()),
      audit_status: v.optional(Num),
      audit_reason: v.optional(v.string()),
    })),
    limit: v.optional(Num),
    quota: v.optional(Num),
    category_limit: v.optional(Num),
  }))();

export const SearchStatusSchema = /* @__PURE__ */ (() => v.looseObject({ status: Num }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof AccountBasicInfoSchema, AccountBasicInfoResponse>,
  Fits<typeof SetNicknameSchema, SetNicknameResponse>,
  Fits<typeof QueryNicknameSchema, QueryNicknameResponse>,
  Fits<typeof CheckNicknameSchema, CheckNicknameResponse>,
  Fits<typeof AllCategoriesSchema, AllCategoriesResponse>,
  Fits<typeof CategorySchema, CategoryResponse>,
  Fits<typeof SearchStatusSchema, SearchStatusResponse>,
] = [true, true, true, true, true, true, true];
void _fits;

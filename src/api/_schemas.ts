/**
 * Valibot schemas of WeChat's component API responses (private: see `types.ts` for the public
 * interfaces). Every object is loose: unknown fields pass through. A compile-time check at the
 * end proves each schema's output fits its hand-written interface.
 *
 * Each schema past the two shared pieces is built by a `@__PURE__` arrow call, so that a bundle
 * drops the schemas of the APIs it never calls (a bundler keeps any other top-level call: the
 * worker's bundle budget counts these).
 *
 * @module
 */

import * as v from "valibot";
import type {
  AuthorizerInfoResponse,
  AuthorizerListResponse,
  AuthorizerOptionResponse,
  Jscode2SessionResponse,
  OAuthAccessTokenResponse,
  OkResponse,
  PreAuthCodeResponse,
} from "./types.ts";
import type {
  AuthorizerTokenResponse,
  ComponentAccessTokenResponse,
  QueryAuthResponse,
} from "../tokens/types.ts";
import type { SelfMenuInfoResponse } from "./menu.ts";
import type { ApiQuotaResponse } from "./openapi.ts";

/** A number that WeChat sometimes sends as a digit string. */
const Numberish = v.union([
  v.number(),
  v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number)),
]);

/** A non-empty string. */
const Str = v.pipe(v.string(), v.minLength(1));

export const OkSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    errcode: v.optional(v.number()),
    errmsg: v.optional(v.string()),
  }))();

export const ComponentAccessTokenSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    component_access_token: Str,
    expires_in: Numberish,
  }))();

export const PreAuthCodeSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    pre_auth_code: Str,
    expires_in: Numberish,
  }))();

const FuncInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    funcscope_category: v.looseObject({ id: Numberish }),
    confirm_info: v.optional(v.looseObject({
      need_confirm: v.optional(Numberish),
      already_confirm: v.optional(Numberish),
      can_confirm: v.optional(Numberish),
    })),
  }))();

export const QueryAuthSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    authorization_info: v.looseObject({
      authorizer_appid: Str,
      authorizer_access_token: v.optional(Str),
      expires_in: v.optional(Numberish),
      authorizer_refresh_token: v.optional(Str),
      func_info: v.optional(v.array(FuncInfoSchema)),
    }),
  }))();

export const AuthorizerTokenSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    authorizer_access_token: Str,
    expires_in: Numberish,
    authorizer_refresh_token: v.optional(Str),
  }))();

const IdInfoSchema = /* @__PURE__ */ (() => v.looseObject({ id: Numberish }))();

export const AuthorizerInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    authorizer_info: v.looseObject({
      nick_name: v.optional(v.string()),
      head_img: v.optional(v.string()),
      service_type_info: v.optional(IdInfoSchema),
      verify_type_info: v.optional(IdInfoSchema),
      user_name: v.optional(v.string()),
      principal_name: v.optional(v.string()),
      alias: v.optional(v.string()),
      qrcode_url: v.optional(v.string()),
      business_info: v.optional(v.record(v.string(), v.number())),
      signature: v.optional(v.string()),
      MiniProgramInfo: v.optional(v.looseObject({
        network: v.optional(v.record(v.string(), v.unknown())),
        categories: v.optional(v.array(v.looseObject({ first: v.string(), second: v.string() }))),
        visit_status: v.optional(v.number()),
      })),
      account_status: v.optional(v.number()),
      register_type: v.optional(v.number()),
      basic_config: v.optional(v.record(v.string(), v.unknown())),
    }),
    authorization_info: v.optional(v.looseObject({
      authorizer_appid: v.optional(v.string()),
      appid: v.optional(v.string()),
      authorizer_refresh_token: v.optional(v.string()),
      func_info: v.optional(v.array(FuncInfoSchema)),
    })),
    qrcode_url: v.optional(v.string()),
  }))();

export const AuthorizerOptionSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    authorizer_appid: v.optional(v.string()),
    option_name: v.string(),
    option_value: v.pipe(
      v.union([v.string(), v.number()]),
      v.transform((x) => String(x)),
    ),
  }))();

export const AuthorizerListSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    total_count: Numberish,
    list: v.array(v.looseObject({
      authorizer_appid: Str,
      refresh_token: v.optional(v.string()),
      auth_time: v.optional(Numberish),
    })),
  }))();

export const OAuthAccessTokenSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    access_token: Str,
    expires_in: Numberish,
    refresh_token: v.string(),
    openid: Str,
    scope: v.string(),
    unionid: v.optional(v.string()),
  }))();

export const Jscode2SessionSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    openid: Str,
    session_key: Str,
    unionid: v.optional(v.string()),
  }))();

/** Any JSON object: the generic `call()` answer. */
export const AnyObjectSchema = /* @__PURE__ */ (() => v.looseObject({}))();

export const SelfMenuInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    is_menu_open: Numberish,
    selfmenu_info: v.optional(v.looseObject({
      button: v.optional(v.array(AnyObjectSchema)),
    })),
  }))();

export const ApiQuotaSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    quota: v.looseObject({
      daily_limit: Numberish,
      used: Numberish,
      remain: Numberish,
    }),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof OkSchema, OkResponse>,
  Fits<typeof ComponentAccessTokenSchema, ComponentAccessTokenResponse>,
  Fits<typeof PreAuthCodeSchema, PreAuthCodeResponse>,
  Fits<typeof QueryAuthSchema, QueryAuthResponse>,
  Fits<typeof AuthorizerTokenSchema, AuthorizerTokenResponse>,
  Fits<typeof AuthorizerInfoSchema, AuthorizerInfoResponse>,
  Fits<typeof AuthorizerOptionSchema, AuthorizerOptionResponse>,
  Fits<typeof AuthorizerListSchema, AuthorizerListResponse>,
  Fits<typeof OAuthAccessTokenSchema, OAuthAccessTokenResponse>,
  Fits<typeof Jscode2SessionSchema, Jscode2SessionResponse>,
  Fits<typeof SelfMenuInfoSchema, SelfMenuInfoResponse>,
  Fits<typeof ApiQuotaSchema, ApiQuotaResponse>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void _fits;

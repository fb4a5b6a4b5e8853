/**
 * Valibot schemas of the privacy, fast-registration, open-account and diagnostics answers
 * (private: the public interfaces live beside their descriptors). Every object is loose, so
 * fields WeChat adds pass through; each schema is built in a `@__PURE__` call so that a bundle
 * that never calls the API drops it. A compile-time check at the end proves each schema's
 * output fits its interface.
 *
 * @module
 */

import * as v from "valibot";
import type { RidInfoResponse } from "./diagnostics.ts";
import type { HaveOpenResponse, OpenAppIdResponse } from "./open_account.ts";
import type {
  AccountFastRegisterResponse,
  FastRegisterBetaWeappResponse,
  FastRegisterPersonalWeappResponse,
} from "./register.ts";
import type {
  ApplyPrivacyInterfaceResponse,
  PrivacyInterfaceResponse,
  PrivacySettingResponse,
  UploadPrivacyExtFileResponse,
} from "./privacy.ts";

/** A number that WeChat sometimes sends as a digit string. */
const Numberish = v.union([
  v.number(),
  v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number)),
]);

// ---- privacy ----------------------------------------------------------------------------------

const PrivacyItemSchema =
  /* @__PURE__ */ (() => v.looseObject({ privacy_key: v.string(), privacy_text: v.string() }))();

export const PrivacySettingSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    code_exist: v.optional(Numberish),
    privacy_list: v.optional(v.array(v.string())),
    setting_list: v.optional(v.array(PrivacyItemSchema)),
    update_time: v.optional(Numberish),
    owner_setting: v.optional(v.looseObject({ notice_method: v.string() })),
    privacy_desc: v.optional(v.looseObject({
      privacy_desc_list: v.optional(v.array(
        v.looseObject({ privacy_key: v.string(), privacy_desc: v.string() }),
      )),
    })),
  }))();

export const UploadPrivacyExtFileSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    ext_file_media_id: v.pipe(
      v.union([v.string(), v.number()]),
      v.transform((x) => String(x)),
      v.minLength(1),
    ),
  }))();

export const ApplyPrivacyInterfaceSchema =
  /* @__PURE__ */ (() => v.looseObject({ audit_id: Numberish }))();

export const PrivacyInterfaceSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    interface_list: v.array(v.looseObject({
      api_name: v.string(),
      api_ch_name: v.optional(v.string()),
      api_desc: v.optional(v.string()),
      status: v.optional(Numberish),
      apply_time: v.optional(Numberish),
      audit_id: v.optional(Numberish),
      fail_reason: v.optional(v.string()),
      api_link: v.optional(v.string()),
      group_name: v.optional(v.string()),
    })),
  }))();

// ---- fast registration ----------------------------------------------------------------------

export const PersonalWeappSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    taskid: v.optional(v.string()),
    authorize_url: v.optional(v.string()),
    status: v.optional(Numberish),
  }))();

export const BetaWeappSchema =
  /* @__PURE__ */ (() => v.looseObject({ unique_id: v.string(), authorize_url: v.string() }))();

export const AccountFastRegisterSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    appid: v.pipe(v.string(), v.minLength(1)),
    authorization_code: v.pipe(v.string(), v.minLength(1)),
    is_wx_verify_succ: v.optional(v.union([v.boolean(), v.number()])),
    is_link_succ: v.optional(v.union([v.boolean(), v.number()])),
  }))();

// ---- open account -------------------------------------------------------------------------

export const OpenAppIdSchema =
  /* @__PURE__ */ (() => v.looseObject({ open_appid: v.pipe(v.string(), v.minLength(1)) }))();

export const HaveOpenSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    have_open: v.pipe(v.union([v.boolean(), v.number()]), v.transform((x) => Boolean(x))),
  }))();

// ---- diagnostics ------------------------------------------------------------------------------

export const RidInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    request: v.looseObject({
      invoke_time: Numberish,
      cost_in_ms: v.optional(Numberish),
      request_url: v.optional(v.string()),
      request_body: v.optional(v.string()),
      response_body: v.optional(v.string()),
      client_ip: v.optional(v.string()),
    }),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof PrivacySettingSchema, PrivacySettingResponse>,
  Fits<typeof UploadPrivacyExtFileSchema, UploadPrivacyExtFileResponse>,
  Fits<typeof ApplyPrivacyInterfaceSchema, ApplyPrivacyInterfaceResponse>,
  Fits<typeof PrivacyInterfaceSchema, PrivacyInterfaceResponse>,
  Fits<typeof PersonalWeappSchema, FastRegisterPersonalWeappResponse>,
  Fits<typeof BetaWeappSchema, FastRegisterBetaWeappResponse>,
  Fits<typeof AccountFastRegisterSchema, AccountFastRegisterResponse>,
  Fits<typeof OpenAppIdSchema, OpenAppIdResponse>,
  Fits<typeof HaveOpenSchema, HaveOpenResponse>,
  Fits<typeof RidInfoSchema, RidInfoResponse>,
] = [true, true, true, true, true, true, true, true, true, true];
void _fits;

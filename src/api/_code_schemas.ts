/**
 * Valibot schemas of the code-management answers (private: `code_types.ts` has the public
 * interfaces). Loose objects; each built by a `@__PURE__` call so unused ones tree-shake.
 *
 * @module
 */

import * as v from "valibot";
import type {
  AuditStatusResponse,
  CodeCategoryResponse,
  CodePageResponse,
  GrayReleasePlanResponse,
  LatestAuditStatusResponse,
  QueryQuotaResponse,
  RevertCodeReleaseResponse,
  SubmitAuditResponse,
  UploadMediaResponse,
  VersionInfoResponse,
  WeappSupportVersionResponse,
} from "./code_types.ts";

const Num =
  /* @__PURE__ */ (() =>
    v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number))]))();

export const SubmitAuditSchema = /* @__PURE__ */ (() => v.looseObject({ auditid: Num }))();

export const AuditStatusSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    status: Num,
    reason: v.optional(v.string()),
    screenshot: v.optional(v.string()),
  }))();

export const LatestAuditStatusSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    auditid: Num,
    status: Num,
    reason: v.optional(v.string()),
    screenshot: v.optional(v.string()),
    ScreenShot: v.optional(v.string()),
    user_version: v.optional(v.string()),
    user_desc: v.optional(v.string()),
    submit_audit_time: v.optional(Num),
  }))();

export const QueryQuotaSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ rest: Num, limit: Num, speedup_rest: Num, speedup_limit: Num }))();

export const VersionInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    exp_info: v.optional(
      v.looseObject({ exp_time: Num, exp_version: v.string(), exp_desc: v.string() }),
    ),
    release_info: v.optional(
      v.looseObject({
        release_time: Num,
        release_version: v.string(),
        release_desc: v.string(),
      }),
    ),
  }))();

export const CodeCategorySchema = /* @__PURE__ */ (() =>
  v.looseObject({
    category_list: v.array(v.looseObject({
      first_class: v.string(),
      second_class: v.string(),
      third_class: v.optional(v.string()),
      first_id: Num,
      second_id: Num,
      third_id: v.optional(Num),
    })),
  }))();

export const CodePageSchema =
  /* @__PURE__ */ (() => v.looseObject({ page_list: v.array(v.string()) }))();

export const UploadMediaSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ type: v.string(), mediaid: v.pipe(v.string(), v.minLength(1)) }))();

export const GrayReleasePlanSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    gray_release_plan: v.looseObject({
      status: Num,
      create_timestamp: Num,
      gray_percentage: Num,
      support_experiencer_first: v.optional(v.boolean()),
      support_debuger_first: v.optional(v.boolean()),
    }),
  }))();

export const RevertCodeReleaseSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    version_list: v.optional(v.array(v.looseObject({
      app_version: Num,
      user_version: v.string(),
      user_desc: v.string(),
      commit_time: Num,
    }))),
  }))();

export const WeappSupportVersionSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    now_version: v.string(),
    uv_info: v.looseObject({
      items: v.array(v.looseObject({ percentage: Num, version: v.string() })),
    }),
  }))();

/** Bytes (binary answers are not parsed; the schema only types them). */
export const BytesSchema = /* @__PURE__ */ (() => v.instance(Uint8Array))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof SubmitAuditSchema, SubmitAuditResponse>,
  Fits<typeof AuditStatusSchema, AuditStatusResponse>,
  Fits<typeof LatestAuditStatusSchema, LatestAuditStatusResponse>,
  Fits<typeof QueryQuotaSchema, QueryQuotaResponse>,
  Fits<typeof VersionInfoSchema, VersionInfoResponse>,
  Fits<typeof CodeCategorySchema, CodeCategoryResponse>,
  Fits<typeof CodePageSchema, CodePageResponse>,
  Fits<typeof UploadMediaSchema, UploadMediaResponse>,
  Fits<typeof GrayReleasePlanSchema, GrayReleasePlanResponse>,
  Fits<typeof RevertCodeReleaseSchema, RevertCodeReleaseResponse>,
  Fits<typeof WeappSupportVersionSchema, WeappSupportVersionResponse>,
] = [true, true, true, true, true, true, true, true, true, true, true];
void _fits;

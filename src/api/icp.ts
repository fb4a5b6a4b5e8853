/**
 * ICP filing (小程序备案) on a mini program's behalf, with its `access_token` (权限集 18 or 156):
 * the filing status and its rejection reasons, the administrator's face verification task,
 * media uploads, the application itself, its withdrawal, the cancellation of a filing, and
 * the lookup tables the application's fields take their codes from.
 *
 * WeChat pushes the outcome to the platform's 授权事件接收URL (`InfoType`
 * `notify_apply_icpfiling_result`, `notify_icpfiling_verify_result`).
 *
 * @module
 */

import * as v from "valibot";
import { nonEmpty, object } from "../_check.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

// ---- answers ----------------------------------------------------------------------------------

/** One rejected field of a filing (`audit_data`). */
export interface IcpAuditData {
  /** The field's Chinese name. */
  key_name?: string;
  /** Why it was rejected. */
  error?: string;
  /** What to change. */
  suggest?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/**
 * `wxa/icp/get_icp_entrance_info` response. `info.status`: 2 platform review, 3 platform
 * rejection, 4 MIIT (管局) review, 5 MIIT rejection, 6 filed, 1024 not filed, 1025 and up: not
 * filed and something in the way (see WeChat's enumeration).
 */
export interface IcpEntranceInfoResponse {
  /** The filing's status. */
  info: {
    /** The filing status (see the interface's doc). */
    status: number;
    /** Whether a cancellation of the filing is under way. */
    is_canceling?: boolean;
    /** The rejection reasons, when rejected. */
    audit_data?: IcpAuditData[];
    /** 1 when the filing entrance is open to this mini program. */
    available?: number;
    /** MIIT SMS verification while status is 4: 1 waiting, 2 done, 3 timed out. */
    sms_verify_status?: number;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/create_icp_verifytask` response. */
export interface CreateIcpVerifyTaskResponse {
  /** The face verification task, for `applyIcpFiling`'s `icp_applets.principal_info.verify_task_id`. */
  task_id: string;
  /** The verification page, when `along_with_auth` was `true`. */
  verify_url?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/query_icp_verifytask` response. */
export interface QueryIcpVerifyTaskResponse {
  /** Whether the task ended (then `face_status` is final). */
  is_finish: boolean;
  /** 0 not started, 1 waiting, 2 failed, 3 passed. */
  face_status: number;
  /** With `along_with_auth`: 9 when the SMS verification of 认证 passed. */
  along_with_auth_result?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/upload_icp_media` response. */
export interface UploadIcpMediaResponse {
  /** `"image"` or `"video"`. */
  type: string;
  /** The id to put in the application's material fields. */
  media_id: string;
  /** Unix seconds. */
  created_at: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/get_online_icp_order` response: the filed application, without media and masked. */
export interface OnlineIcpOrderResponse {
  /** The subject (主体) as filed. */
  icp_subject?: Record<string, unknown>;
  /** The mini program(s) as filed. */
  icp_applets?: Record<string, unknown>[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/query_icp_certificate_types` response. */
export interface IcpCertificateTypesResponse {
  /** The certificate types, each for one subject type. */
  items: {
    /** The certificate type id (`certificate_type` of the application and of uploads). */
    type: number;
    /** The subject type (单位性质) this certificate belongs to. */
    subject_type: number;
    /** Its name. */
    name: string;
    /** A remark. */
    remark?: string;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  }[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One entry of the ICP lookup tables (subject types, 前置审批 types, service content types). */
export interface IcpTypeItem {
  /** The id the application's fields take. */
  type: number;
  /** Its name. */
  name: string;
  /** Service content types only: the first-level type (0 for a first-level one). */
  parent_type?: number;
  /** A remark. */
  remark?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** An ICP lookup table (`items`). */
export interface IcpTypesResponse {
  /** The table's entries. */
  items: IcpTypeItem[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One area of `wxa/icp/query_icp_district_code`: 1 province, 2 city, 3 district. */
export interface IcpDistrict {
  /** 1 province, 2 city, 3 district. */
  type: number;
  /** The area code (the application's `province`, `city`, `district`). */
  code: number;
  /** Its name. */
  name: string;
  /** Its subdivisions. */
  sub_list?: IcpDistrict[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/icp/query_icp_district_code` response. */
export interface IcpDistrictCodeResponse {
  /** The provinces, with their cities and districts. */
  items: IcpDistrict[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

// ---- inputs -----------------------------------------------------------------------------------

/** `wxa/icp/apply_icp_filing` input: WeChat's three objects, as its documentation lays them out. */
export interface ApplyIcpFilingInput {
  /** 备案主体信息: `base_info`, `organize_info`, `principal_info`, … */
  icp_subject: Record<string, unknown>;
  /** 微信小程序信息: `base_info`, `principal_info` (with the face task's `verify_task_id`). */
  icp_applets: Record<string, unknown>;
  /** 其他备案媒体材料 (media ids). */
  icp_materials: Record<string, unknown>;
}

/** `wxa/icp/upload_icp_media` input. */
export interface UploadIcpMediaInput {
  /** `"image"` or `"video"`. */
  type: "image" | "video";
  /** The certificate type, when the media is a certificate. */
  certificate_type?: number;
  /** The application field the media is for, e.g. `"icp_subject.principal_info.certificate_photo_front"`. */
  icp_order_field: string;
  /** The picture or video. */
  media: Blob;
  /** The file name sent (default the File's own, else `media.jpg` / `media.mp4`). */
  filename?: string;
}

/** `wxa/icp/cancel_icp_filing` input. */
export interface CancelIcpFilingInput {
  /** 1 the subject, 2 the mini program, 3 the WeChat mini program's filing. */
  cancel_type: 1 | 2 | 3;
  /** 1 no longer operated, 2 the subject changed. */
  reason_type?: 1 | 2;
}

// ---- schemas (module-private) ------------------------------------------------------------------

const Num =
  /* @__PURE__ */ (() =>
    v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number))]))();

const EntranceInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    info: v.looseObject({
      status: Num,
      is_canceling: v.optional(v.boolean()),
      audit_data: v.optional(v.array(v.looseObject({
        key_name: v.optional(v.string()),
        error: v.optional(v.string()),
        suggest: v.optional(v.string()),
      }))),
      available: v.optional(Num),
      sms_verify_status: v.optional(Num),
    }),
  }))();

const CreateVerifyTaskSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ task_id: v.string(), verify_url: v.optional(v.string()) }))();

const QueryVerifyTaskSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    is_finish: v.boolean(),
    face_status: Num,
    along_with_auth_result: v.optional(Num),
  }))();

const UploadMediaSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ type: v.string(), media_id: v.string(), created_at: Num }))();

const OnlineOrderSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    icp_subject: v.optional(v.record(v.string(), v.unknown())),
    icp_applets: v.optional(v.array(v.record(v.string(), v.unknown()))),
  }))();

const CertificateTypesSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    items: v.array(v.looseObject({
      type: Num,
      subject_type: Num,
      name: v.string(),
      remark: v.optional(v.string()),
    })),
  }))();

const TypesSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    items: v.array(v.looseObject({
      type: Num,
      name: v.string(),
      parent_type: v.optional(Num),
      remark: v.optional(v.string()),
    })),
  }))();

const DistrictSchema: v.GenericSchema<unknown, IcpDistrict> = /* @__PURE__ */ (() =>
  v.looseObject({
    type: Num,
    code: Num,
    name: v.string(),
    sub_list: v.optional(v.array(v.lazy(() => DistrictSchema))),
  }))();

const DistrictCodeSchema =
  /* @__PURE__ */ (() => v.looseObject({ items: v.array(DistrictSchema) }))();

/** Bytes (binary answers are not parsed; the schema only types them). */
const BytesSchema = /* @__PURE__ */ (() => v.instance(Uint8Array))();

const OkSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ errcode: v.optional(v.number()), errmsg: v.optional(v.string()) }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof EntranceInfoSchema, IcpEntranceInfoResponse>,
  Fits<typeof CreateVerifyTaskSchema, CreateIcpVerifyTaskResponse>,
  Fits<typeof QueryVerifyTaskSchema, QueryIcpVerifyTaskResponse>,
  Fits<typeof UploadMediaSchema, UploadIcpMediaResponse>,
  Fits<typeof OnlineOrderSchema, OnlineIcpOrderResponse>,
  Fits<typeof CertificateTypesSchema, IcpCertificateTypesResponse>,
  Fits<typeof TypesSchema, IcpTypesResponse>,
  Fits<typeof DistrictCodeSchema, IcpDistrictCodeResponse>,
  Fits<typeof OkSchema, OkResponse>,
] = [true, true, true, true, true, true, true, true, true];
void _fits;

// ---- builders ---------------------------------------------------------------------------------

function applyBody(input: ApplyIcpFilingInput): Record<string, unknown> {
  object("apply_icp_filing input", input);
  return {
    icp_subject: object("icp_subject", input.icp_subject),
    icp_applets: object("icp_applets", input.icp_applets),
    icp_materials: object("icp_materials", input.icp_materials),
  };
}

function mediaForm(input: UploadIcpMediaInput): FormData {
  object("upload_icp_media input", input);
  if (input.type !== "image" && input.type !== "video") {
    throw new TypeError('Invalid type: expected "image" or "video"');
  }
  const field = nonEmpty("icp_order_field", input.icp_order_field);
  if (input.certificate_type !== undefined && !Number.isInteger(input.certificate_type)) {
    throw new TypeError("Invalid certificate_type: expected an integer");
  }
  if (!(input.media instanceof Blob)) throw new TypeError("Invalid media: expected a Blob or File");
  if (input.media.size === 0) throw new RangeError("Invalid media: the file is empty");
  const form = new FormData();
  form.append("type", input.type);
  if (input.certificate_type !== undefined) {
    form.append("certificate_type", String(input.certificate_type));
  }
  form.append("icp_order_field", field);
  const name = input.filename ??
    (input.media instanceof File && input.media.name !== "" ? input.media.name : undefined) ??
    (input.type === "video" ? "media.mp4" : "media.jpg");
  form.append("media", input.media, name);
  return form;
}

function cancelFilingBody(input: CancelIcpFilingInput): Record<string, unknown> {
  object("cancel_icp_filing input", input);
  if (input.cancel_type !== 1 && input.cancel_type !== 2 && input.cancel_type !== 3) {
    throw new RangeError("Invalid cancel_type: expected 1, 2 or 3");
  }
  if (input.reason_type !== undefined && input.reason_type !== 1 && input.reason_type !== 2) {
    throw new RangeError("Invalid reason_type: expected 1 or 2");
  }
  return input.reason_type === undefined
    ? { cancel_type: input.cancel_type }
    : { cancel_type: input.cancel_type, reason_type: input.reason_type };
}

// ---- descriptors ------------------------------------------------------------------------------

/** The ICP filing APIs, by the `AuthorizerClient` method that calls them. */
export const icpApis = {
  /** `wxa/icp/get_icp_entrance_info`: the filing status, and why it was rejected. */
  getIcpEntranceInfo: {
    path: "/wxa/icp/get_icp_entrance_info",
    method: "GET",
    auth: "authorizer",
    schema: EntranceInfoSchema,
  } satisfies Endpoint<void, IcpEntranceInfoResponse>,

  /** `wxa/icp/create_icp_verifytask`: sends the administrator the face verification notice. */
  createIcpVerifyTask: {
    path: "/wxa/icp/create_icp_verifytask",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      if (input === undefined) return {};
      object("create_icp_verifytask input", input);
      if (input.along_with_auth !== undefined && typeof input.along_with_auth !== "boolean") {
        throw new TypeError("Invalid along_with_auth: expected a boolean");
      }
      return input.along_with_auth === undefined ? {} : { along_with_auth: input.along_with_auth };
    },
    schema: CreateVerifyTaskSchema,
  } satisfies Endpoint<{ along_with_auth?: boolean } | undefined, CreateIcpVerifyTaskResponse>,

  /** `wxa/icp/query_icp_verifytask`: the face verification task's state. */
  queryIcpVerifyTask: {
    path: "/wxa/icp/query_icp_verifytask",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({ task_id: nonEmpty("task_id", object("input", input).task_id) }),
    schema: QueryVerifyTaskSchema,
  } satisfies Endpoint<{ task_id: string }, QueryIcpVerifyTaskResponse>,

  /** `wxa/icp/upload_icp_media`: uploads a picture or video for the application. */
  uploadIcpMedia: {
    path: "/wxa/icp/upload_icp_media",
    method: "POST",
    auth: "authorizer",
    form: mediaForm,
    schema: UploadMediaSchema,
  } satisfies Endpoint<UploadIcpMediaInput, UploadIcpMediaResponse>,

  /** `wxa/icp/apply_icp_filing`: applies for the filing. */
  applyIcpFiling: {
    path: "/wxa/icp/apply_icp_filing",
    method: "POST",
    auth: "authorizer",
    body: applyBody,
    schema: OkSchema,
  } satisfies Endpoint<ApplyIcpFilingInput, OkResponse>,

  /** `wxa/icp/cancel_apply_icp_filing`: withdraws the application under platform review. */
  cancelApplyIcpFiling: {
    path: "/wxa/icp/cancel_apply_icp_filing",
    method: "POST",
    auth: "authorizer",
    // The documentation's example posts nothing; an empty object is what the other POSTs take.
    body: () => ({}),
    schema: OkSchema,
  } satisfies Endpoint<void, OkResponse>,

  /** `wxa/icp/cancel_icp_filing`: cancels (注销) a completed filing. */
  cancelIcpFiling: {
    path: "/wxa/icp/cancel_icp_filing",
    method: "POST",
    auth: "authorizer",
    body: cancelFilingBody,
    schema: OkSchema,
  } satisfies Endpoint<CancelIcpFilingInput, OkResponse>,

  /** `wxa/icp/get_online_icp_order`: the filed application (no media, masked). */
  getOnlineIcpOrder: {
    path: "/wxa/icp/get_online_icp_order",
    method: "GET",
    auth: "authorizer",
    schema: OnlineOrderSchema,
  } satisfies Endpoint<void, OnlineIcpOrderResponse>,

  /** `wxa/icp/query_icp_certificate_types`: the certificate types and their subject types. */
  queryIcpCertificateTypes: {
    path: "/wxa/icp/query_icp_certificate_types",
    method: "GET",
    auth: "authorizer",
    schema: CertificateTypesSchema,
  } satisfies Endpoint<void, IcpCertificateTypesResponse>,

  /** `wxa/icp/query_icp_subject_types`: the subject types (单位性质). */
  queryIcpSubjectTypes: {
    path: "/wxa/icp/query_icp_subject_types",
    method: "GET",
    auth: "authorizer",
    schema: TypesSchema,
  } satisfies Endpoint<void, IcpTypesResponse>,

  /** `wxa/icp/query_icp_nrlx_types`: the 前置审批 (prior approval) types. */
  queryIcpNrlxTypes: {
    path: "/wxa/icp/query_icp_nrlx_types",
    method: "GET",
    auth: "authorizer",
    schema: TypesSchema,
  } satisfies Endpoint<void, IcpTypesResponse>,

  /** `wxa/icp/query_icp_service_content_types`: the service content types (two levels). */
  queryIcpServiceContentTypes: {
    path: "/wxa/icp/query_icp_service_content_types",
    method: "GET",
    auth: "authorizer",
    schema: TypesSchema,
  } satisfies Endpoint<void, IcpTypesResponse>,

  /** `wxa/icp/query_icp_district_code`: the provinces, cities and districts a filing may name. */
  queryIcpDistrictCode: {
    path: "/wxa/icp/query_icp_district_code",
    method: "GET",
    auth: "authorizer",
    schema: DistrictCodeSchema,
  } satisfies Endpoint<void, IcpDistrictCodeResponse>,

  /** `wxa/icp/get_icp_media`: the bytes of an uploaded filing media (JSON only on failure). */
  getIcpMedia: {
    path: "/wxa/icp/get_icp_media",
    method: "GET",
    auth: "authorizer",
    query: (input) => ({ media_id: nonEmpty("media_id", object("input", input).media_id) }),
    binary: true,
    schema: BytesSchema,
  } satisfies Endpoint<{ media_id: string }, Uint8Array>,
} as const;

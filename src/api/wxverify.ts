/**
 * 小程序认证 (WeChat verification of a mini program, also its yearly review) on its behalf, with
 * its `access_token` (权限集 18): submit the verification (`wxa/sec/wxaauth`), follow it
 * (`queryauth`), upload supplementary material, resubmit after a rejection (`reauth`), and the
 * identity tree a personal account picks its identity from; and 认证 with ICP filing in one
 * application (`submit_auth_and_icp`, `query_auth_and_icp`).
 *
 * WeChat pushes the progress to the platform's 授权事件接收URL (`InfoType`
 * `notify_3rd_wxa_auth`, `notify_3rd_wxa_auth_and_icp`).
 *
 * @module
 */

import * as v from "valibot";
import { nonEmpty, object } from "../_check.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/**
 * `auth_data` of `wxa/sec/wxaauth` and `wxa/sec/reauth`, in WeChat's field names. Media fields
 * take ids from `uploadAuthMaterial`.
 */
export interface WxaAuthData {
  /** 1 enterprise, 12 individual business (个体工商户), 15 person; see WeChat's list. */
  customer_type: number;
  /** The task to resubmit (required by `reauth`). */
  taskid?: string;
  /** The contact: `name`, `email` (and `mobile` when resubmitting). */
  contact_info: { name: string; email: string; mobile?: string; [key: string]: unknown };
  /** Invoice details (not with the platform paying). */
  invoice_info?: Record<string, unknown>;
  /** The subject's qualification (media id; required unless personal). */
  qualification?: string;
  /** Further qualification material (media ids, at most 10). */
  qualification_other?: string[];
  /** The mini program's name. */
  account_name: string;
  /** 1 named from chosen words, 2 from a trademark. */
  account_name_type: 1 | 2;
  /** Material for a name that hit a keyword (media ids). */
  account_supplemental?: string[];
  /** 1 the platform's prepaid package, 2 the developer pays. */
  pay_type: 1 | 2;
  /** The platform's contact phone. */
  third_party_phone?: string;
  /** The service market appid paying, when the platform pays for the developer. */
  service_appid?: string;
  /** Fields WeChat may add (identity, material of a personal account …). */
  [key: string]: unknown;
}

/** `wxa/sec/wxaauth` response. */
export interface WxaAuthResponse {
  /** The verification task (for `queryAuth` and `reauth`). */
  taskid: string;
  /** The link the administrator opens to authorize the verification. */
  auth_url?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/**
 * `wxa/sec/queryauth` response. `task_status`: 0 created … 9 SMS verified, 12 review order
 * created, 15 awaiting payment (failures 1, 2, 5, 8, 11, 14); `apply_status` once the order
 * exists: 1 awaiting payment, 2 under review, 3 to be refilled, 4 verified, 5 finally failed.
 */
export interface WxaQueryAuthResponse {
  /** The task's state (see the interface's doc). */
  task_status: number;
  /** The administrator's authorization link. */
  auth_url?: string;
  /** The review order's state (see the interface's doc). */
  apply_status?: number;
  /** The order number shown in the mini program's console. */
  orderid?: number;
  /** The mini program. */
  appid?: string;
  /** Why it must be refilled (`apply_status` 3). */
  refill_reason?: string;
  /** Why it finally failed (`apply_status` 5). */
  fail_reason?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/sec/uploadauthmaterial` response. */
export interface UploadAuthMaterialResponse {
  /** The material's type (`"image"`). */
  type?: string;
  /** The id for `auth_data`'s material fields. */
  mediaid: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/sec/uploadauthmaterial` input. */
export interface UploadAuthMaterialInput {
  /** A PNG, JPEG or GIF picture of at most 2 MB. */
  media: Blob;
  /** The file name sent (default the File's own, else `media.jpg`). */
  filename?: string;
}

/** One node of the identity tree (`wxa/sec/authidentitytree`); leaves carry `leaf_info`. */
export interface AuthIdentityNode {
  /** The node's id. */
  node_id: number;
  /** The identity's name (a leaf's name goes into a personal `auth_data`). */
  name: string;
  /** Children. */
  node_list?: AuthIdentityNode[];
  /** The root's details. */
  root_info?: { type?: number; [key: string]: unknown };
  /** What a leaf requires. */
  leaf_info?: { requirement?: string; [key: string]: unknown };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/sec/authidentitytree` response. */
export interface AuthIdentityTreeResponse {
  /** The identity tree. */
  identity_tree_list: AuthIdentityNode[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/sec/submit_auth_and_icp` input: the 认证 data and the ICP application in one. */
export interface SubmitAuthAndIcpInput {
  /** As `wxaAuth`'s. */
  auth_data: WxaAuthData;
  /** As `applyIcpFiling`'s (the face task, made with `along_with_auth`, in `icp_applets`). */
  icp_subject: Record<string, unknown>;
  /** 微信小程序信息. */
  icp_applets: Record<string, unknown>;
  /** 其他备案媒体材料. */
  icp_materials: Record<string, unknown>;
}

/** `wxa/sec/submit_auth_and_icp` response. */
export interface SubmitAuthAndIcpResponse {
  /** The combined procedure (for `queryAuthAndIcp`). */
  procedure_id: string;
  /** The payment page, when the developer pays (`pay_type` 2). */
  pay_url?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/**
 * `wxa/sec/query_auth_and_icp` response. `procedure_status`: 15 to pay, 16 paid, 17 认证 under
 * review, 18 sent back, 19 passed, 20 failed, 21 filing order not created, 22 filing platform
 * review, 23 rejected, 24 MIIT review, 25 rejected, 26 done, 27 expired, 28 ended, 29 withdrawn.
 */
export interface QueryAuthAndIcpResponse {
  /** The procedure's state (see the interface's doc). */
  procedure_status: number;
  /** The 认证 order number. */
  orderid?: number;
  /** Why the 认证 was sent back (18). */
  refill_reason?: string;
  /** Why the 认证 failed (20). */
  fail_reason?: string;
  /** The filing's side: `hints` (21), `audit_data` (23, 25), `sms_verify_status` (24). */
  icp_audit?: {
    /** Field errors of a filing order that could not be created. */
    hints?: Record<string, unknown>[];
    /** Rejection reasons, as `getIcpEntranceInfo`'s. */
    audit_data?: Record<string, unknown>[];
    /** MIIT SMS verification: 1 waiting, 2 done, 3 timed out. */
    sms_verify_status?: number;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

// ---- schemas (module-private) ------------------------------------------------------------------

const Num =
  /* @__PURE__ */ (() =>
    v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number))]))();

const WxaAuthSchema =
  /* @__PURE__ */ (() => v.looseObject({ taskid: v.string(), auth_url: v.optional(v.string()) }))();

const QueryAuthSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    task_status: Num,
    auth_url: v.optional(v.string()),
    apply_status: v.optional(Num),
    orderid: v.optional(Num),
    appid: v.optional(v.string()),
    refill_reason: v.optional(v.string()),
    fail_reason: v.optional(v.string()),
  }))();

const UploadMaterialSchema =
  /* @__PURE__ */ (() => v.looseObject({ type: v.optional(v.string()), mediaid: v.string() }))();

const NodeSchema: v.GenericSchema<unknown, AuthIdentityNode> =
  /* @__PURE__ */ (() =>
    v.looseObject({
      node_id: Num,
      name: v.string(),
      node_list: v.optional(v.array(v.lazy(() => NodeSchema))),
      root_info: v.optional(v.looseObject({ type: v.optional(Num) })),
      leaf_info: v.optional(v.looseObject({ requirement: v.optional(v.string()) })),
    }))();

const IdentityTreeSchema =
  /* @__PURE__ */ (() => v.looseObject({ identity_tree_list: v.array(NodeSchema) }))();

const SubmitAuthAndIcpSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ procedure_id: v.string(), pay_url: v.optional(v.string()) }))();

const QueryAuthAndIcpSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    procedure_status: Num,
    orderid: v.optional(Num),
    refill_reason: v.optional(v.string()),
    fail_reason: v.optional(v.string()),
    icp_audit: v.optional(v.looseObject({
      hints: v.optional(v.array(v.record(v.string(), v.unknown()))),
      audit_data: v.optional(v.array(v.record(v.string(), v.unknown()))),
      sms_verify_status: v.optional(Num),
    })),
  }))();

const OkSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ errcode: v.optional(v.number()), errmsg: v.optional(v.string()) }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof WxaAuthSchema, WxaAuthResponse>,
  Fits<typeof QueryAuthSchema, WxaQueryAuthResponse>,
  Fits<typeof UploadMaterialSchema, UploadAuthMaterialResponse>,
  Fits<typeof IdentityTreeSchema, AuthIdentityTreeResponse>,
  Fits<typeof SubmitAuthAndIcpSchema, SubmitAuthAndIcpResponse>,
  Fits<typeof QueryAuthAndIcpSchema, QueryAuthAndIcpResponse>,
  Fits<typeof OkSchema, OkResponse>,
] = [true, true, true, true, true, true, true];
void _fits;

// ---- builders ---------------------------------------------------------------------------------

function authBody(input: { auth_data: WxaAuthData }, resubmit: boolean): Record<string, unknown> {
  const data = object("auth_data", object("input", input).auth_data);
  if (!Number.isInteger(data.customer_type)) {
    throw new TypeError("Invalid customer_type: expected an integer");
  }
  const contact = object("contact_info", data.contact_info);
  nonEmpty("contact_info.name", contact.name);
  nonEmpty("account_name", data.account_name);
  if (data.account_name_type !== 1 && data.account_name_type !== 2) {
    throw new RangeError("Invalid account_name_type: expected 1 or 2");
  }
  if (data.pay_type !== 1 && data.pay_type !== 2) {
    throw new RangeError("Invalid pay_type: expected 1 or 2");
  }
  if (resubmit) nonEmpty("taskid", data.taskid);
  return { auth_data: data };
}

function submitAuthAndIcpBody(input: SubmitAuthAndIcpInput): Record<string, unknown> {
  const { auth_data } = authBody(input, false);
  return {
    auth_data,
    icp_subject: object("icp_subject", input.icp_subject),
    icp_applets: object("icp_applets", input.icp_applets),
    icp_materials: object("icp_materials", input.icp_materials),
  };
}

function materialForm(input: UploadAuthMaterialInput): FormData {
  object("uploadauthmaterial input", input);
  if (!(input.media instanceof Blob)) throw new TypeError("Invalid media: expected a Blob or File");
  if (input.media.size === 0) throw new RangeError("Invalid media: the file is empty");
  const form = new FormData();
  const name = input.filename ??
    (input.media instanceof File && input.media.name !== "" ? input.media.name : undefined) ??
    // WeChat checks the extension: a picture without one is refused (40005).
    "media.jpg";
  form.append("media", input.media, name);
  return form;
}

// ---- descriptors ------------------------------------------------------------------------------

/** The 认证 APIs, by the `AuthorizerClient` method that calls them. */
export const wxverifyApis = {
  /** `wxa/sec/wxaauth`: submits the mini program's verification (认证 or its yearly review). */
  wxaAuth: {
    path: "/wxa/sec/wxaauth",
    method: "POST",
    auth: "authorizer",
    body: (input) => authBody(input, false),
    schema: WxaAuthSchema,
  } satisfies Endpoint<{ auth_data: WxaAuthData }, WxaAuthResponse>,

  /** `wxa/sec/queryauth`: the verification task's progress. */
  queryAuth: {
    path: "/wxa/sec/queryauth",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({ taskid: nonEmpty("taskid", object("input", input).taskid) }),
    schema: QueryAuthSchema,
  } satisfies Endpoint<{ taskid: string }, WxaQueryAuthResponse>,

  /** `wxa/sec/uploadauthmaterial`: uploads a picture for `auth_data`'s material fields. */
  uploadAuthMaterial: {
    path: "/wxa/sec/uploadauthmaterial",
    method: "POST",
    auth: "authorizer",
    form: materialForm,
    schema: UploadMaterialSchema,
  } satisfies Endpoint<UploadAuthMaterialInput, UploadAuthMaterialResponse>,

  /** `wxa/sec/reauth`: resubmits a verification sent back for refilling (`auth_data.taskid`). */
  reauth: {
    path: "/wxa/sec/reauth",
    method: "POST",
    auth: "authorizer",
    body: (input) => authBody(input, true),
    schema: OkSchema,
  } satisfies Endpoint<{ auth_data: WxaAuthData }, OkResponse>,

  /** `wxa/sec/authidentitytree`: the identities a personal mini program may be verified as. */
  authIdentityTree: {
    path: "/wxa/sec/authidentitytree",
    method: "GET",
    auth: "authorizer",
    schema: IdentityTreeSchema,
  } satisfies Endpoint<void, AuthIdentityTreeResponse>,

  /** `wxa/sec/submit_auth_and_icp`: applies for 认证 and ICP filing in one (filing after 认证). */
  submitAuthAndIcp: {
    path: "/wxa/sec/submit_auth_and_icp",
    method: "POST",
    auth: "authorizer",
    body: submitAuthAndIcpBody,
    schema: SubmitAuthAndIcpSchema,
  } satisfies Endpoint<SubmitAuthAndIcpInput, SubmitAuthAndIcpResponse>,

  /** `wxa/sec/query_auth_and_icp`: the combined procedure's progress. */
  queryAuthAndIcp: {
    path: "/wxa/sec/query_auth_and_icp",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({
      procedure_id: nonEmpty("procedure_id", object("input", input).procedure_id),
    }),
    schema: QueryAuthAndIcpSchema,
  } satisfies Endpoint<{ procedure_id: string }, QueryAuthAndIcpResponse>,
} as const;

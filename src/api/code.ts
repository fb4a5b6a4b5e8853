/**
 * Mini-program code management on the authorizer's behalf (权限集 18): commit a template as
 * the experience version, submit it for audit, follow the audit, release it (fully or gray),
 * revert, and the base library version. Every API takes the mini program's `access_token`.
 *
 * @module
 */

import { integer, nonEmpty } from "../_check.ts";
import { OkSchema } from "./_schemas.ts";
import {
  AuditStatusSchema,
  BytesSchema,
  CodeCategorySchema,
  CodePageSchema,
  GrayReleasePlanSchema,
  LatestAuditStatusSchema,
  QueryQuotaSchema,
  RevertCodeReleaseSchema,
  SubmitAuditSchema,
  UploadMediaSchema,
  VersionInfoSchema,
  WeappSupportVersionSchema,
} from "./_code_schemas.ts";
import type {
  AuditStatusResponse,
  CodeCategoryResponse,
  CodePageResponse,
  CommitInput,
  GrayReleaseInput,
  GrayReleasePlanResponse,
  LatestAuditStatusResponse,
  QueryQuotaResponse,
  RevertCodeReleaseInput,
  RevertCodeReleaseResponse,
  SubmitAuditInput,
  SubmitAuditResponse,
  UploadMediaInput,
  UploadMediaResponse,
  VersionInfoResponse,
  WeappSupportVersionResponse,
} from "./code_types.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Invalid ${name}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function commitBody(input: CommitInput): Record<string, unknown> {
  object("commit input", input);
  const id = input.template_id;
  if (!(typeof id === "string" ? /^\d+$/.test(id) : Number.isInteger(id) && id >= 0)) {
    throw new TypeError("Invalid template_id: expected a non-negative integer");
  }
  const ext = input.ext_json;
  if (typeof ext !== "string") throw new TypeError("Invalid ext_json: expected a JSON string");
  let parsed: unknown;
  try {
    parsed = JSON.parse(ext);
  } catch {
    throw new TypeError("Invalid ext_json: not valid JSON");
  }
  object("ext_json", parsed);
  const version = nonEmpty("user_version", input.user_version);
  if (version.length > 64) throw new RangeError("Invalid user_version: at most 64 characters");
  if (typeof input.user_desc !== "string") {
    throw new TypeError("Invalid user_desc: expected a string");
  }
  return { template_id: id, ext_json: ext, user_version: version, user_desc: input.user_desc };
}

function submitAuditBody(input: SubmitAuditInput | undefined): Record<string, unknown> {
  const body = input === undefined ? {} : { ...object("submit_audit input", input) };
  if (body.item_list !== undefined) {
    const items = body.item_list;
    if (!Array.isArray(items) || items.length < 1 || items.length > 5) {
      throw new RangeError("Invalid item_list: expected 1 to 5 audit items");
    }
    items.forEach((item, i) => object(`item_list[${i}]`, item));
  }
  if (typeof body.feedback_info === "string" && body.feedback_info.length > 200) {
    throw new RangeError("Invalid feedback_info: at most 200 characters");
  }
  return body;
}

function auditId(input: { auditid: number }): { auditid: number } {
  object("input", input);
  return { auditid: integer("auditid", input.auditid, 1, Number.MAX_SAFE_INTEGER) };
}

function mediaForm(input: UploadMediaInput): FormData {
  object("uploadmedia input", input);
  if (!(input.media instanceof Blob)) throw new TypeError("Invalid media: expected a Blob or File");
  if (input.media.size === 0) throw new RangeError("Invalid media: the file is empty");
  const form = new FormData();
  const name = input.filename ??
    (input.media instanceof File && input.media.name !== "" ? input.media.name : undefined) ??
    "media" + (input.media.type.startsWith("video/") ? ".mp4" : ".jpg");
  form.append("media", input.media, name);
  return form;
}

/** The code-management APIs, by the `AuthorizerClient` method that calls them. */
export const codeApis = {
  /** `wxa/commit`: uploads a template as the mini program's experience version. */
  commit: {
    path: "/wxa/commit",
    method: "POST",
    auth: "authorizer",
    body: commitBody,
    schema: OkSchema,
  } satisfies Endpoint<CommitInput, OkResponse>,

  /** `wxa/get_qrcode`: the experience version's QR code (JPEG bytes). */
  getQrcode: {
    path: "/wxa/get_qrcode",
    method: "GET",
    auth: "authorizer",
    query: (input) => {
      if (input?.path === undefined) return {};
      return { path: nonEmpty("path", input.path) };
    },
    binary: true,
    schema: BytesSchema,
  } satisfies Endpoint<{ path?: string } | undefined, Uint8Array>,

  /** `wxa/get_category`: the categories an audit may name. */
  getCategory: {
    path: "/wxa/get_category",
    method: "GET",
    auth: "authorizer",
    schema: CodeCategorySchema,
  } satisfies Endpoint<void, CodeCategoryResponse>,

  /** `wxa/get_page`: the pages of the committed code. */
  getPage: {
    path: "/wxa/get_page",
    method: "GET",
    auth: "authorizer",
    schema: CodePageSchema,
  } satisfies Endpoint<void, CodePageResponse>,

  /** `wxa/submit_audit`: submits the experience version for audit. */
  submitAudit: {
    path: "/wxa/submit_audit",
    method: "POST",
    auth: "authorizer",
    body: submitAuditBody,
    schema: SubmitAuditSchema,
  } satisfies Endpoint<SubmitAuditInput | undefined, SubmitAuditResponse>,

  /** `wxa/get_auditstatus`: the state of one audit. */
  getAuditStatus: {
    path: "/wxa/get_auditstatus",
    method: "POST",
    auth: "authorizer",
    body: auditId,
    schema: AuditStatusSchema,
  } satisfies Endpoint<{ auditid: number }, AuditStatusResponse>,

  /** `wxa/get_latest_auditstatus`: the state of the latest audit. */
  getLatestAuditStatus: {
    path: "/wxa/get_latest_auditstatus",
    method: "GET",
    auth: "authorizer",
    schema: LatestAuditStatusSchema,
  } satisfies Endpoint<void, LatestAuditStatusResponse>,

  /** `wxa/undocodeaudit`: withdraws the audit under review. */
  undoCodeAudit: {
    path: "/wxa/undocodeaudit",
    method: "GET",
    auth: "authorizer",
    schema: OkSchema,
  } satisfies Endpoint<void, OkResponse>,

  /** `wxa/speedupaudit`: asks for a faster audit (uses the monthly speed-up quota). */
  speedupAudit: {
    path: "/wxa/speedupaudit",
    method: "POST",
    auth: "authorizer",
    body: auditId,
    schema: OkSchema,
  } satisfies Endpoint<{ auditid: number }, OkResponse>,

  /** `wxa/queryquota`: the platform's audit and speed-up quota this month. */
  queryQuota: {
    path: "/wxa/queryquota",
    method: "GET",
    auth: "authorizer",
    schema: QueryQuotaSchema,
  } satisfies Endpoint<void, QueryQuotaResponse>,

  /** `wxa/uploadmedia`: uploads a picture or video for `submit_audit`'s `preview_info`. */
  uploadMedia: {
    path: "/wxa/uploadmedia",
    method: "POST",
    auth: "authorizer",
    form: mediaForm,
    schema: UploadMediaSchema,
  } satisfies Endpoint<UploadMediaInput, UploadMediaResponse>,

  /** `wxa/release`: publishes the version that passed its audit. */
  release: {
    path: "/wxa/release",
    method: "POST",
    auth: "authorizer",
    // WeChat answers 44002 to an empty body: it wants `{}`.
    body: () => ({}),
    schema: OkSchema,
  } satisfies Endpoint<void, OkResponse>,

  /** `wxa/revertcoderelease`: back to the previous release (or lists the versions). */
  revertCodeRelease: {
    path: "/wxa/revertcoderelease",
    method: "GET",
    auth: "authorizer",
    query: (input) => {
      if (input === undefined) return {};
      object("revertcoderelease input", input);
      if (input.action !== undefined && input.action !== "get_history_version") {
        throw new TypeError('Invalid action: expected "get_history_version"');
      }
      const version = input.app_version === undefined
        ? undefined
        : integer("app_version", input.app_version, 0, Number.MAX_SAFE_INTEGER);
      return { action: input.action, app_version: version };
    },
    schema: RevertCodeReleaseSchema,
  } satisfies Endpoint<RevertCodeReleaseInput | undefined, RevertCodeReleaseResponse>,

  /** `wxa/grayrelease`: publishes the audited version to a share of the users. */
  grayRelease: {
    path: "/wxa/grayrelease",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      object("grayrelease input", input);
      const body: Record<string, unknown> = {
        gray_percentage: integer("gray_percentage", input.gray_percentage, 1, 100),
      };
      for (const flag of ["support_debuger_first", "support_experiencer_first"] as const) {
        if (input[flag] === undefined) continue;
        if (typeof input[flag] !== "boolean") throw new TypeError(`Invalid ${flag}: a boolean`);
        body[flag] = input[flag];
      }
      return body;
    },
    schema: OkSchema,
  } satisfies Endpoint<GrayReleaseInput, OkResponse>,

  /** `wxa/revertgrayrelease`: cancels the gray release. */
  revertGrayRelease: {
    path: "/wxa/revertgrayrelease",
    method: "GET",
    auth: "authorizer",
    schema: OkSchema,
  } satisfies Endpoint<void, OkResponse>,

  /** `wxa/getgrayreleaseplan`: the gray release plan. */
  getGrayReleasePlan: {
    path: "/wxa/getgrayreleaseplan",
    method: "GET",
    auth: "authorizer",
    schema: GrayReleasePlanSchema,
  } satisfies Endpoint<void, GrayReleasePlanResponse>,

  /** `wxa/change_visitstatus`: closes (`close`) or reopens (`open`) the online mini program. */
  changeVisitStatus: {
    path: "/wxa/change_visitstatus",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      object("change_visitstatus input", input);
      if (input.action !== "open" && input.action !== "close") {
        throw new TypeError('Invalid action: expected "open" or "close"');
      }
      return { action: input.action };
    },
    schema: OkSchema,
  } satisfies Endpoint<{ action: "open" | "close" }, OkResponse>,

  /** `wxa/getversioninfo`: the experience and the online version. */
  getVersionInfo: {
    path: "/wxa/getversioninfo",
    method: "POST",
    auth: "authorizer",
    body: () => ({}),
    schema: VersionInfoSchema,
  } satisfies Endpoint<void, VersionInfoResponse>,

  /** `cgi-bin/wxopen/getweappsupportversion`: the lowest base library version required. */
  getWeappSupportVersion: {
    path: "/cgi-bin/wxopen/getweappsupportversion",
    method: "POST",
    auth: "authorizer",
    body: () => ({}),
    schema: WeappSupportVersionSchema,
  } satisfies Endpoint<void, WeappSupportVersionResponse>,

  /** `cgi-bin/wxopen/setweappsupportversion`: sets the lowest base library version. */
  setWeappSupportVersion: {
    path: "/cgi-bin/wxopen/setweappsupportversion",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      object("setweappsupportversion input", input);
      const version = nonEmpty("version", input.version);
      if (!/^\d+\.\d+\.\d+$/.test(version)) {
        throw new TypeError("Invalid version: expected a base library version like 2.30.0");
      }
      return { version };
    },
    schema: OkSchema,
  } satisfies Endpoint<{ version: string }, OkResponse>,
} as const;

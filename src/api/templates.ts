/**
 * The platform's code templates (代码模板库), with the component's own token: the drafts its
 * developers uploaded from WeChat DevTools, the template library (普通 and 标准, 200 templates
 * each) that `wxa/commit` takes a `template_id` from, adding a draft to it and deleting one.
 *
 * @module
 */

import { integer } from "../_check.ts";
import { OkSchema } from "./_schemas.ts";
import { TemplateDraftListSchema, TemplateListSchema } from "./_templates_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** One draft of the draft box (草稿箱). */
export interface TemplateDraft {
  /** The draft's id, for `addToTemplate`. */
  draft_id: number;
  /** Unix seconds of the upload. */
  create_time?: number;
  /** The version the developer gave it. */
  user_version?: string;
  /** The developer's description. */
  user_desc?: string;
  /** Fields WeChat may add (`source_miniprogram_appid`, `developer`…). */
  [key: string]: unknown;
}

/** `wxa/gettemplatedraftlist` response. */
export interface TemplateDraftListResponse {
  /** Every draft of the draft box. */
  draft_list: TemplateDraft[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One template of the template library. */
export interface CodeTemplate {
  /** The template's id, for `wxa/commit` and `deleteTemplate`. */
  template_id: number;
  /** Unix seconds it was added to the library. */
  create_time?: number;
  /** The version the developer gave its draft. */
  user_version?: string;
  /** The developer's description. */
  user_desc?: string;
  /** 0 普通模板, 1 标准模板. */
  template_type?: number;
  /** Fields WeChat may add (`source_miniprogram_appid`, `category_list`, `audit_status`…). */
  [key: string]: unknown;
}

/** `wxa/gettemplatelist` response. */
export interface TemplateListResponse {
  /** The templates of the library (of one kind when `template_type` was given). */
  template_list: CodeTemplate[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Which template library: 0 普通模板库 (default), 1 标准模板库. */
export type TemplateType = 0 | 1;

/** Input of `wxa/gettemplatelist`. */
export interface GetTemplateListInput {
  /** Only the templates of this library; both when left out. */
  template_type?: TemplateType;
}

/** Input of `wxa/addtotemplate`. */
export interface AddToTemplateInput {
  /** The draft to copy into the library (from `getTemplateDraftList`). */
  draft_id: number;
  /** The library; default 0. */
  template_type?: TemplateType;
}

/** Input of `wxa/deletetemplate`. */
export interface DeleteTemplateInput {
  /** The template to delete. */
  template_id: number;
}

function templateType(value: unknown): TemplateType | undefined {
  if (value === undefined) return undefined;
  return integer("template_type", value, 0, 1) as TemplateType;
}

function input<T>(value: T | undefined, name: string): T {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Invalid ${name} input: expected an object`);
  }
  return value;
}

/** `wxa/gettemplatedraftlist`: the drafts of the draft box. */
export const getTemplateDraftList = {
  path: "/wxa/gettemplatedraftlist",
  method: "GET",
  auth: "component",
  schema: TemplateDraftListSchema,
} satisfies Endpoint<void, TemplateDraftListResponse>;

/** `wxa/gettemplatelist`: the templates of the library. */
export const getTemplateList = {
  path: "/wxa/gettemplatelist",
  method: "GET",
  auth: "component",
  query: (i) => ({ template_type: templateType(i?.template_type) }),
  schema: TemplateListSchema,
} satisfies Endpoint<GetTemplateListInput | undefined, TemplateListResponse>;

/** `wxa/addtotemplate`: copies a draft into the template library. */
export const addToTemplate = {
  path: "/wxa/addtotemplate",
  method: "POST",
  auth: "component",
  body: (i) => {
    const { draft_id, template_type } = input(i, "addToTemplate");
    return {
      draft_id: integer("draft_id", draft_id, 0, Number.MAX_SAFE_INTEGER),
      template_type: templateType(template_type),
    };
  },
  schema: OkSchema,
} satisfies Endpoint<AddToTemplateInput, OkResponse>;

/** `wxa/deletetemplate`: deletes a template from the library. */
export const deleteTemplate = {
  path: "/wxa/deletetemplate",
  method: "POST",
  auth: "component",
  body: (i) => ({
    template_id: integer(
      "template_id",
      input(i, "deleteTemplate").template_id,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  }),
  schema: OkSchema,
} satisfies Endpoint<DeleteTemplateInput, OkResponse>;

/** The code-template APIs, by the client method that calls them. */
export const templateApis = {
  getTemplateDraftList,
  getTemplateList,
  addToTemplate,
  deleteTemplate,
} as const;

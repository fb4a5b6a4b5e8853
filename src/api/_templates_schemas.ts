/**
 * Valibot schemas of the code-template answers (private: `templates.ts` has the public
 * interfaces). Loose objects; each built by a `@__PURE__` call so unused ones tree-shake.
 *
 * @module
 */

import * as v from "valibot";
import type { TemplateDraftListResponse, TemplateListResponse } from "./templates.ts";

const Num =
  /* @__PURE__ */ (() =>
    v.union([v.number(), v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number))]))();

export const TemplateDraftListSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    draft_list: v.array(v.looseObject({
      draft_id: Num,
      create_time: v.optional(Num),
      user_version: v.optional(v.string()),
      user_desc: v.optional(v.string()),
    })),
  }))();

export const TemplateListSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    template_list: v.array(v.looseObject({
      template_id: Num,
      create_time: v.optional(Num),
      user_version: v.optional(v.string()),
      user_desc: v.optional(v.string()),
      template_type: v.optional(Num),
    })),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof TemplateDraftListSchema, TemplateDraftListResponse>,
  Fits<typeof TemplateListSchema, TemplateListResponse>,
] = [true, true];
void _fits;

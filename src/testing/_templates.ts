/**
 * The simulated routes of the platform's code templates (`wxa/gettemplatedraftlist` …), over
 * the model's {@linkcode TemplateStore}: drafts appear through
 * `WeChatSimulator.addTemplateDraft`, as when a developer uploads code from DevTools.
 *
 * @module
 */

import { templateApis } from "../api/templates.ts";
import { ApiFailure, OK } from "./_errors.ts";
import type { Ctx, Route } from "./_route.ts";
import { serve } from "./_route.ts";
import type { TemplateStore } from "./_template_store.ts";

/** A numeric id as WeChat takes it (a number, or digits in a string); 40097 otherwise. */
export function idOf(value: unknown): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d{1,15}$/.test(value)) return Number(value);
  throw new ApiFailure(40097);
}

function typeOf(value: unknown): 0 | 1 | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = idOf(value);
  if (n !== 0 && n !== 1) throw new ApiFailure(40097);
  return n;
}

function store(ctx: Ctx): TemplateStore {
  return ctx.model.templates;
}

/** The routes of this area, in the simulator's table. */
export const templateRoutes: Route[] = [
  serve(templateApis.getTemplateDraftList, (ctx) => ({
    ...OK,
    draft_list: [...store(ctx).drafts.values()].map((d) => ({ ...d })),
  })),
  serve(templateApis.getTemplateList, (ctx) => {
    const type = typeOf(ctx.query.get("template_type") ?? undefined);
    return {
      ...OK,
      template_list: [...store(ctx).templates.values()]
        .filter((t) => type === undefined || t.template_type === type)
        .map((t) => ({ ...t })),
    };
  }),
  serve(templateApis.addToTemplate, (ctx) => {
    const draftId = idOf(ctx.body.draft_id);
    const type = typeOf(ctx.body.template_type) ?? 0;
    const added = store(ctx).addTemplate(draftId, type, Math.floor(ctx.model.now() / 1000));
    if (added === undefined) throw new ApiFailure(85064, "draft not found");
    if (added === "full") throw new ApiFailure(85065);
    return OK;
  }),
  serve(templateApis.deleteTemplate, (ctx) => {
    const id = idOf(ctx.body.template_id);
    if (!store(ctx).templates.delete(id)) throw new ApiFailure(85064);
    return OK;
  }),
];

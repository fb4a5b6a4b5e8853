/**
 * What the simulated WeChat remembers of the platform's code templates: the draft box (drafts
 * appear when a developer uploads code from DevTools: {@linkcode TemplateStore.addDraft}) and
 * the two template libraries (普通 and 标准, 200 templates each; ids are shared, so a
 * template id names one template whichever library holds it).
 *
 * @module
 */

/** Templates each library holds at most (WeChat's documented limit). */
export const TEMPLATE_LIBRARY_LIMIT = 200;

/** One uploaded draft. */
export interface DraftRecord {
  draft_id: number;
  /** Unix seconds. */
  create_time: number;
  user_version: string;
  user_desc: string;
  source_miniprogram_appid: string;
  source_miniprogram: string;
  developer: string;
}

/** One template of a library. */
export interface TemplateRecord extends Omit<DraftRecord, "draft_id"> {
  template_id: number;
  template_type: 0 | 1;
  /** The draft it was copied from. */
  draft_id: number;
}

/** The draft box and the template libraries. */
export class TemplateStore {
  readonly drafts = new Map<number, DraftRecord>();
  readonly templates = new Map<number, TemplateRecord>();
  #nextDraft = 1;
  #nextTemplate = 1;
  #used = false;

  /**
   * Whether any draft or template was ever added. Until then the simulator does not know the
   * platform's templates, so `wxa/commit` must accept any template id (see
   * {@linkcode TemplateStore.exists}).
   */
  get used(): boolean {
    return this.#used;
  }

  addDraft(draft: Omit<DraftRecord, "draft_id">): DraftRecord {
    this.#used = true;
    const record = { draft_id: this.#nextDraft++, ...draft };
    this.drafts.set(record.draft_id, record);
    return record;
  }

  /** Copies a draft into a library; `undefined` when the draft is unknown, `"full"` when full. */
  addTemplate(
    draftId: number,
    type: 0 | 1,
    createTime: number,
  ): TemplateRecord | "full" | undefined {
    const draft = this.drafts.get(draftId);
    if (!draft) return undefined;
    const inLibrary = [...this.templates.values()].filter((t) => t.template_type === type).length;
    if (inLibrary >= TEMPLATE_LIBRARY_LIMIT) return "full";
    const record: TemplateRecord = {
      ...draft,
      template_id: this.#nextTemplate++,
      template_type: type,
      create_time: createTime,
    };
    this.templates.set(record.template_id, record);
    return record;
  }

  /**
   * Whether `wxa/commit` may use `templateId`: a template of either library, or any id while
   * no draft or template was ever added (so tests that never set templates up keep working).
   */
  exists(templateId: number | string): boolean {
    if (!this.#used) return true;
    const id = typeof templateId === "string" && /^\d+$/.test(templateId)
      ? Number(templateId)
      : templateId;
    return typeof id === "number" && this.templates.has(id);
  }
}

/** Options of `WeChatSimulator.addTemplateDraft`: the upload, as DevTools describes it. */
export interface TemplateDraftOptions {
  /** The version the developer typed (上传版本号). */
  user_version: string;
  /** The developer's description (项目备注); default empty. */
  user_desc?: string;
  /** The platform's development mini program (开发小程序) that uploaded it; default generated. */
  source_miniprogram_appid?: string;
  /** Its name; default generated. */
  source_miniprogram?: string;
  /** The developer's WeChat nickname; default generated. */
  developer?: string;
}

/**
 * Requests and answers of mini-program code management (`wxa/commit` … `wxa/release`), in
 * WeChat's own field names. Every answer may carry fields WeChat adds later.
 *
 * @module
 */

/** `wxa/commit` input: the template uploaded as the experience version. */
export interface CommitInput {
  /** The code template's id (`wxa/gettemplatelist`); WeChat's pages call it a string or a number. */
  template_id: number | string;
  /** The `ext.json` of this mini program, as a JSON string. */
  ext_json: string;
  /** The version, at most 64 characters. */
  user_version: string;
  /** The version's description. */
  user_desc: string;
}

/** One audit item of `wxa/submit_audit` (the categories come from `wxa/get_category`). */
export interface AuditItem {
  /** A page of the code (`wxa/get_page`). */
  address?: string;
  /** Space-separated tags (at most 10, each at most 20 characters). */
  tag?: string;
  /** First-level category name. */
  first_class?: string;
  /** Second-level category name. */
  second_class?: string;
  /** Third-level category name. */
  third_class?: string;
  /** First-level category id. */
  first_id?: number;
  /** Second-level category id. */
  second_id?: number;
  /** Third-level category id. */
  third_id?: number;
  /** The page's title, at most 32 characters. */
  title?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/submit_audit` input. */
export interface SubmitAuditInput {
  /** Audit items (1 to 5 when given). */
  item_list?: AuditItem[];
  /** Screenshots and recordings: `{ video_id_list?, pic_id_list? }` (media of `wxa/uploadmedia`). */
  preview_info?: { video_id_list?: string[]; pic_id_list?: string[]; [key: string]: unknown };
  /** What the version does. */
  version_desc?: string;
  /** Feedback to the reviewer after a rejection, at most 200 characters. */
  feedback_info?: string;
  /** `|`-separated media ids, at most 5 pictures. */
  feedback_stuff?: string;
  /** The UGC safety declaration (some social categories need it). */
  ugc_declare?: Record<string, unknown>;
  /** Declares that the privacy APIs detected in the code are not used. */
  privacy_api_not_use?: boolean;
  /** The order center's path. */
  order_path?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/submit_audit` answer. */
export interface SubmitAuditResponse {
  /** The audit's id, for `wxa/get_auditstatus` and `wxa/speedupaudit`. */
  auditid: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** An audit's state: 0 passed, 1 rejected, 2 under review, 3 withdrawn, 4 delayed. */
export type AuditStatus = 0 | 1 | 2 | 3 | 4;

/** `wxa/get_auditstatus` answer. */
export interface AuditStatusResponse {
  /** See {@linkcode AuditStatus}. */
  status: number;
  /** Why it was rejected (status 1) or delayed (status 4). */
  reason?: string;
  /** `|`-separated media ids of screenshots of a rejection. */
  screenshot?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/get_latest_auditstatus` answer. */
export interface LatestAuditStatusResponse extends AuditStatusResponse {
  /** The latest audit's id. */
  auditid: number;
  /** The audited version. */
  user_version?: string;
  /** Its description. */
  user_desc?: string;
  /** When it was submitted, Unix seconds. */
  submit_audit_time?: number;
  /**
   * The screenshots under the name of the documentation's example (its field table says
   * `screenshot`); the simulator sends both.
   */
  ScreenShot?: string;
}

/** `wxa/queryquota` answer: the platform's audit quota this month, shared by its mini programs. */
export interface QueryQuotaResponse {
  /** Audits left this month. */
  rest: number;
  /** Audits allowed this month. */
  limit: number;
  /** Speed-ups left this month. */
  speedup_rest: number;
  /** Speed-ups allowed this month. */
  speedup_limit: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/getversioninfo` answer: the experience and the online version. */
export interface VersionInfoResponse {
  /** The experience version, once code was committed. */
  exp_info?: {
    /** When it was committed, Unix seconds. */
    exp_time: number;
    /** Its `user_version`. */
    exp_version: string;
    /** Its `user_desc`. */
    exp_desc: string;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** The online version, once one was released. */
  release_info?: {
    /** When it was released, Unix seconds. */
    release_time: number;
    /** Its `user_version`. */
    release_version: string;
    /** Its `user_desc`. */
    release_desc: string;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One category the mini program may be audited under (`wxa/get_category`). */
export interface CodeCategory {
  /** First-level name. */
  first_class: string;
  /** Second-level name. */
  second_class: string;
  /** Third-level name. */
  third_class?: string;
  /** First-level id. */
  first_id: number;
  /** Second-level id. */
  second_id: number;
  /** Third-level id. */
  third_id?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/get_category` answer. */
export interface CodeCategoryResponse {
  /** The categories set on the mini program. */
  category_list: CodeCategory[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/get_page` answer. */
export interface CodePageResponse {
  /** The pages of the committed code (`app.json`'s `pages`). */
  page_list: string[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/uploadmedia` input: a picture or a video for the audit (`preview_info`). */
export interface UploadMediaInput {
  /** The file; `File` keeps its name, a `Blob` is sent as `media`. */
  media: Blob;
  /** The file name sent with a `Blob`; default `media` plus an extension for its type. */
  filename?: string;
}

/** `wxa/uploadmedia` answer. */
export interface UploadMediaResponse {
  /** `image` or `video`. */
  type: string;
  /** The media id for `preview_info`. */
  mediaid: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/grayrelease` input. */
export interface GrayReleaseInput {
  /** Percentage of users who get the audited version, 1 to 100. */
  gray_percentage: number;
  /** Whether the project's debuggers get it first. */
  support_debuger_first?: boolean;
  /** Whether the experiencers get it first. */
  support_experiencer_first?: boolean;
}

/** `wxa/getgrayreleaseplan` answer. */
export interface GrayReleasePlanResponse {
  /** The plan: status 0 none, 1 running, 2 paused, 3 done, 4 deleted. */
  gray_release_plan: {
    /** See above. */
    status: number;
    /** When it was created, Unix seconds. */
    create_timestamp: number;
    /** Its percentage. */
    gray_percentage: number;
    /** Whether experiencers got it first. */
    support_experiencer_first?: boolean;
    /** Whether debuggers got it first. */
    support_debuger_first?: boolean;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/revertcoderelease` input: no field reverts to the previous release. */
export interface RevertCodeReleaseInput {
  /** `get_history_version` lists the versions one can revert to instead of reverting. */
  action?: "get_history_version";
  /** Reverts to this version (`app_version` of the history) instead of the previous one. */
  app_version?: number;
}

/** `wxa/revertcoderelease` answer (`version_list` with `action: "get_history_version"`). */
export interface RevertCodeReleaseResponse {
  /** The versions one can revert to. */
  version_list?: {
    /** The version's number for `app_version`. */
    app_version: number;
    /** Its `user_version`. */
    user_version: string;
    /** Its `user_desc`. */
    user_desc: string;
    /** When it was committed, Unix seconds. */
    commit_time: number;
    /** Fields WeChat may add. */
    [key: string]: unknown;
  }[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/wxopen/getweappsupportversion` answer. */
export interface WeappSupportVersionResponse {
  /** The lowest base library version users need. */
  now_version: string;
  /** Share of users per base library version. */
  uv_info: {
    /** `{ percentage, version }` items. */
    items: { percentage: number; version: string; [key: string]: unknown }[];
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

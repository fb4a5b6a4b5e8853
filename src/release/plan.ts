/**
 * The plan of a fleet release: a release request checked field by field, its targets resolved
 * and its `ext_json` filled per target. A request that does not check throws a `TypeError` or
 * `RangeError` naming the field, before anything is stored or sent.
 *
 * @module
 */

import { isAppId } from "../tokens/keys.ts";

/** How a target ends once WeChat approved its audit. */
export type ReleaseMode = "auto" | "manual" | { gray_percentage: number };

/** The settings pushed to each target before its code is committed (each optional). */
export interface ReleaseSync {
  /** The body of `wxa/modify_domain` (e.g. `{ action: "set", requestdomain: [...] }`). */
  domains?: Record<string, unknown>;
  /** The body of `wxa/setwebviewdomain` (e.g. `{ action: "set", webviewdomain: [...] }`). */
  webview_domains?: Record<string, unknown>;
  /** The body of `cgi-bin/component/setprivacysetting`. */
  privacy?: Record<string, unknown>;
}

/**
 * A release as an operator asks for it (the body of `POST /api/v1/releases`).
 *
 * `ext_json` is a template (a JSON string, or an object) whose `{{authorizer_appid}}`,
 * `{{user_version}}` and `{{release_id}}` placeholders are filled per target, or
 * `{ by_target: { appid: template, ... }, default?: template }` for one per target.
 */
export interface ReleaseRequest {
  /** The template of the platform's template library to commit. */
  template_id: number | string;
  /** The version name committed and released (`wxa/commit`'s `user_version`). */
  user_version: string;
  /** The version description (`wxa/commit`'s `user_desc`). */
  user_desc: string;
  /** The `ext.json` of each target (see above); default `{}`. */
  ext_json?: string | Record<string, unknown>;
  /** `"all"` (every authorized mini program the caller lists) or a list of appids. */
  targets: "all" | string[];
  /** The body of `wxa/submit_audit` (item_list, feedback_info, privacy_api_not_use, ...). */
  audit?: Record<string, unknown>;
  /** `"auto"` (default), `"manual"` (stop at `audited`), or a gray percentage 1–100. */
  release?: "auto" | "manual" | number;
  /** Settings pushed before the commit. */
  sync?: ReleaseSync;
  /** How many targets work at once (admitted from `pending`); 1–1000, default 20. */
  concurrency?: number;
}

/** A checked release, ready to run. */
export interface ReleasePlan {
  /** The release's id. */
  id: string;
  /** `template_id` as WeChat takes it. */
  template_id: number | string;
  /** The version name committed and released. */
  user_version: string;
  /** The version description. */
  user_desc: string;
  /** The target appids, unique, in the order asked. */
  targets: string[];
  /** Each target's `ext_json` string, filled. */
  ext_json: Record<string, string>;
  /** The body of `wxa/submit_audit`. */
  audit: Record<string, unknown>;
  /** How audited targets end. */
  release: ReleaseMode;
  /** Settings pushed before the commit. */
  sync: ReleaseSync;
  /** Targets at work at once. */
  concurrency: number;
  /** ISO-8601 creation time. */
  created_at: string;
}

/** Default of {@linkcode ReleaseRequest.concurrency}. */
export const DEFAULT_CONCURRENCY = 20;

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const KNOWN_PLACEHOLDERS = new Set(["authorizer_appid", "user_version", "release_id"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(name: string, value: unknown, max: number): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`Invalid ${name}: expected a non-empty string`);
  }
  if (value.length > max) throw new RangeError(`Invalid ${name}: longer than ${max} characters`);
  return value;
}

function optionalObject(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new TypeError(`Invalid ${name}: expected an object`);
  return value;
}

function releaseMode(value: unknown): ReleaseMode {
  if (value === undefined || value === "auto") return "auto";
  if (value === "manual") return "manual";
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 1 || value > 100) {
      throw new RangeError("Invalid release: a gray percentage is an integer from 1 to 100");
    }
    return { gray_percentage: value };
  }
  throw new TypeError('Invalid release: expected "auto", "manual" or a gray percentage');
}

/** The template as JSON text; an object template is serialised once. */
function templateText(name: string, value: unknown): string {
  if (typeof value === "string") {
    try {
      JSON.parse(value.replace(PLACEHOLDER, "x"));
    } catch {
      throw new TypeError(`Invalid ${name}: not JSON`);
    }
    return value;
  }
  if (isObject(value)) return JSON.stringify(value);
  throw new TypeError(`Invalid ${name}: expected a JSON string or an object`);
}

function fill(name: string, template: string, vars: Record<string, string>): string {
  const out = template.replace(PLACEHOLDER, (_, key: string) => {
    if (!KNOWN_PLACEHOLDERS.has(key)) {
      throw new TypeError(`Invalid ${name}: unknown placeholder {{${key}}}`);
    }
    // Escaped as a JSON string's content: placeholders sit inside JSON strings.
    return JSON.stringify(vars[key]).slice(1, -1);
  });
  try {
    JSON.parse(out);
  } catch {
    throw new TypeError(`Invalid ${name}: not JSON once filled`);
  }
  return out;
}

/**
 * Checks `request` and builds its plan. `authorizers` are the appids `targets: "all"` means
 * (the caller knows its authorized mini programs); a listed target must be a well-formed
 * appid. Throws `TypeError`/`RangeError` naming the first bad field.
 *
 * @example A release of template 7 to two mini programs, ext_json filled per target
 * ```ts
 * import { planRelease } from "@wxopen/component/release";
 *
 * const plan = planRelease({
 *   template_id: 7,
 *   user_version: "1.2.0",
 *   user_desc: "spring menu",
 *   ext_json: { extAppid: "{{authorizer_appid}}" },
 *   targets: ["wx00000000000000a1", "wx00000000000000a2"],
 * }, { id: "r1", now: 0 });
 * console.log(plan.ext_json["wx00000000000000a1"]); // {"extAppid":"wx00000000000000a1"}
 * ```
 */
export function planRelease(
  request: ReleaseRequest,
  options: { id: string; now: number; authorizers?: readonly string[] },
): ReleasePlan {
  if (!isObject(request)) throw new TypeError("Invalid release request: expected an object");
  const templateId = request.template_id;
  if (
    !(typeof templateId === "number" && Number.isInteger(templateId) && templateId >= 0) &&
    !(typeof templateId === "string" && /^\d{1,20}$/.test(templateId))
  ) {
    throw new TypeError("Invalid template_id: expected a non-negative integer");
  }
  const userVersion = text("user_version", request.user_version, 64);
  const userDesc = text("user_desc", request.user_desc, 1024);

  let targets: string[];
  if (request.targets === "all") {
    targets = [...(options.authorizers ?? [])];
  } else if (Array.isArray(request.targets)) {
    targets = request.targets;
    for (const appid of targets) {
      if (!isAppId(appid)) throw new TypeError("Invalid targets: each is an appid (wx + 16)");
    }
  } else {
    throw new TypeError('Invalid targets: expected "all" or a list of appids');
  }
  targets = [...new Set(targets)];
  if (targets.length === 0) throw new RangeError("Invalid targets: no mini program to release to");
  if (targets.length > 100_000) throw new RangeError("Invalid targets: more than 100000");

  const concurrency = request.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new RangeError("Invalid concurrency: expected an integer from 1 to 1000");
  }
  const audit = optionalObject("audit", request.audit) ?? {};
  const syncIn = optionalObject("sync", request.sync) ?? {};
  for (const key of Object.keys(syncIn)) {
    if (!["domains", "webview_domains", "privacy"].includes(key)) {
      throw new TypeError(`Invalid sync: unknown setting ${key}`);
    }
  }
  const sync: ReleaseSync = {};
  const domains = optionalObject("sync.domains", syncIn.domains);
  const webview = optionalObject("sync.webview_domains", syncIn.webview_domains);
  const privacy = optionalObject("sync.privacy", syncIn.privacy);
  if (domains) sync.domains = domains;
  if (webview) sync.webview_domains = webview;
  if (privacy) sync.privacy = privacy;

  const ext = request.ext_json ?? "{}";
  let templateOf: (appid: string) => string;
  if (isObject(ext) && isObject(ext.by_target)) {
    const byTarget = ext.by_target;
    const fallback = ext.default === undefined
      ? undefined
      : templateText("ext_json.default", ext.default);
    for (const key of Object.keys(ext)) {
      if (key !== "by_target" && key !== "default") {
        throw new TypeError(`Invalid ext_json: with by_target, only default may sit beside it`);
      }
    }
    const texts = new Map<string, string>();
    for (const [appid, value] of Object.entries(byTarget)) {
      texts.set(appid, templateText(`ext_json.by_target.${appid}`, value));
    }
    templateOf = (appid) => {
      const t = texts.get(appid) ?? fallback;
      if (t === undefined) throw new TypeError(`Invalid ext_json: no template for ${appid}`);
      return t;
    };
  } else {
    const t = templateText("ext_json", ext);
    templateOf = () => t;
  }
  const extJson: Record<string, string> = {};
  for (const appid of targets) {
    extJson[appid] = fill("ext_json", templateOf(appid), {
      authorizer_appid: appid,
      user_version: userVersion,
      release_id: options.id,
    });
  }

  return {
    id: options.id,
    template_id: templateId,
    user_version: userVersion,
    user_desc: userDesc,
    targets,
    ext_json: extJson,
    audit,
    release: releaseMode(request.release),
    sync,
    concurrency,
    created_at: new Date(options.now).toISOString(),
  };
}

/**
 * The simulated routes of mini-program code management and the audit lifecycle (`wxa/commit` … `wxa/release`).
 *
 * WeChat's rules kept here: only a mini program that granted 权限集 18 may call them (86000 for
 * an Official Account, 61007 without the permission); `submit_audit` needs committed code
 * (85086), refuses a second audit in flight (85009) and spends the platform's monthly quota,
 * shared by all its mini programs (85085); an audit decides after the configured delay and is
 * pushed to the authorizer as `weapp_audit_success` / `weapp_audit_fail` / `weapp_audit_delay`;
 * `release` needs the latest audit passed (85019 none, 85020 not passed, 85052 already out).
 *
 * @module
 */

import { codeApis } from "../api/code.ts";
import { ApiFailure, OK } from "./_errors.ts";
import { releasePrivacyGuide } from "./_privacy.ts";
import type { ApiHooks, Ctx, Json, Route } from "./_route.ts";
import { serve, str } from "./_route.ts";
import type { Account, Model } from "./_state.ts";
import { CATEGORY_TREE } from "./_account_store.ts";
import {
  type AccountCode,
  type AuditRecord,
  DEFAULT_DELAY_REASON,
  DEFAULT_FAIL_REASON,
} from "./_code_state.ts";

/** 开发管理与数据分析权限: the permission set of the code APIs. */
const CODE_FUNC_ID = 18;
const CST_OFFSET_MS = 8 * 3600_000;

function day(nowMs: number): number {
  return Math.floor((nowMs + CST_OFFSET_MS) / 86_400_000);
}

function month(nowMs: number): number {
  const d = new Date(nowMs + CST_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The mini program the token acts for, with the code permission; WeChat's errcodes otherwise. */
function miniProgram(ctx: Ctx): { account: Account; code: AccountCode } {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program") throw new ApiFailure(86000);
  if (!account.funcIds.includes(CODE_FUNC_ID)) throw new ApiFailure(61007);
  return { account, code: ctx.model.code.of(account.appId) };
}

function auditIdOf(ctx: Ctx): number {
  const id = ctx.body.auditid;
  const n = typeof id === "string" && /^\d+$/.test(id) ? Number(id) : id;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new ApiFailure(85012);
  return n;
}

function findAudit(code: AccountCode, auditid: number): AuditRecord {
  const audit = code.audits.find((a) => a.auditid === auditid);
  if (!audit) throw new ApiFailure(85012);
  return audit;
}

/** The latest audit when it passed and is not online yet (what release and grayrelease take). */
function releasable(code: AccountCode): AuditRecord {
  const latest = code.audits.at(-1);
  if (!latest) throw new ApiFailure(85019);
  if (latest.status !== 0) throw new ApiFailure(85020);
  if (latest.released) throw new ApiFailure(85052);
  return latest;
}

function goOnline(ctx: Ctx, code: AccountCode, audit: AuditRecord): void {
  if (code.online) code.history.push(code.online);
  if (code.history.length > 5) code.history.splice(0, code.history.length - 5);
  code.online = { version: audit.version, releasedAt: ctx.model.now() };
  code.reverted = false;
  audit.released = true;
}

/** A minimal JPEG (SOI, a comment naming the page, EOI): what the QR code answer looks like. */
function qrcodeJpeg(appId: string, path: string | undefined): Uint8Array<ArrayBuffer> {
  const comment = new TextEncoder().encode(`wxopen simulated QR code ${appId} ${path ?? ""}`);
  const length = comment.length + 2;
  return new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xfe,
    length >> 8,
    length & 0xff,
    ...comment,
    0xff,
    0xd9,
  ]);
}

function pagesOf(extJson: string): string[] {
  try {
    const pages = (JSON.parse(extJson) as { pages?: unknown }).pages;
    if (Array.isArray(pages) && pages.length > 0 && pages.every((p) => typeof p === "string")) {
      return pages;
    }
  } catch {
    // committed ext_json always parses; a template without pages has the default one
  }
  return ["pages/index/index"];
}

function approvedCategories(model: Model, appId: string): Json[] {
  const name = (id: number) => CATEGORY_TREE.find((c) => c.id === id)?.name ?? "";
  return model.profiles.of(appId).categories.filter((c) => c.audit_status === 3).map((c) => ({
    first_class: name(c.first),
    second_class: name(c.second),
    first_id: c.first,
    second_id: c.second,
  }));
}

const CATEGORIES: Json[] = [
  { first_class: "生活服务", second_class: "丽人服务", first_id: 150, second_id: 627 },
  { first_class: "物流服务", second_class: "查件", first_id: 304, second_id: 305 },
];

/**
 * Ends every audit whose time has come: sets its status and pushes the verdict to the
 * authorizer's message URL. Called on every request and whenever the clock moves.
 */
export function progressAudits(model: Model, hooks: ApiHooks): void {
  const store = model.code;
  for (const { appId, audit } of store.due(model.now())) {
    const outcome = audit.outcome ?? "success";
    audit.outcome = undefined;
    const at = String(seconds(audit.endsAt));
    const kind = typeof outcome === "string" ? outcome : outcome.status;
    const push = typeof outcome === "string" || outcome.push !== false
      ? hooks.authorizerPush
      : () => {};
    if (kind === "success") {
      audit.status = 0;
      push(appId, { Event: "weapp_audit_success", SuccTime: at });
    } else if (kind === "fail") {
      const o = outcome as { reason?: string; screenshot?: string };
      audit.status = 1;
      audit.reason = o.reason ?? DEFAULT_FAIL_REASON;
      audit.screenshot = o.screenshot ?? "";
      push(appId, {
        Event: "weapp_audit_fail",
        Reason: audit.reason,
        FailTime: at,
        ScreenShot: audit.screenshot,
      });
    } else {
      // A delayed audit is decided again one more delay later (success unless told otherwise).
      audit.status = 4;
      audit.reason = (outcome as { reason?: string }).reason ?? DEFAULT_DELAY_REASON;
      audit.endsAt += store.config.auditDelayMs;
      store.schedule(audit.endsAt);
      push(appId, {
        Event: "weapp_audit_delay",
        Reason: audit.reason,
        DelayTime: at,
      });
    }
  }
}

/** The routes of this area, in the simulator's table. */
export const codeRoutes: Route[] = [
  serve(codeApis.commit, (ctx) => {
    const { code } = miniProgram(ctx);
    const b = ctx.body;
    const id = b.template_id;
    if (!(typeof id === "string" ? /^\d+$/.test(id) : Number.isInteger(id) && Number(id) >= 0)) {
      throw new ApiFailure(85014);
    }
    if (!ctx.model.templateExists(id as number | string)) throw new ApiFailure(85014);
    const ext = b.ext_json;
    let parsed: unknown;
    try {
      parsed = typeof ext === "string" ? JSON.parse(ext) : undefined;
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ApiFailure(85048);
    }
    const version = str(b.user_version);
    if (version === undefined || version.length > 64 || typeof b.user_desc !== "string") {
      throw new ApiFailure(47001);
    }
    code.experience = {
      appVersion: code.nextAppVersion++,
      templateId: id as number | string,
      extJson: ext as string,
      userVersion: version,
      userDesc: b.user_desc,
      committedAt: ctx.model.now(),
    };
    return OK;
  }),

  serve(codeApis.getQrcode, (ctx) => {
    const { account, code } = miniProgram(ctx);
    if (!code.experience) throw new ApiFailure(86001);
    const body = qrcodeJpeg(account.appId, ctx.query.get("path") ?? undefined);
    return new Response(body, {
      status: 200,
      headers: { "content-type": "image/jpeg", "content-length": String(body.length) },
    });
  }),

  serve(codeApis.getCategory, (ctx) => {
    const { account } = miniProgram(ctx);
    // The approved categories set with cgi-bin/wxopen/addcategory; the sample ones until any is.
    const own = approvedCategories(ctx.model, account.appId);
    return { ...OK, category_list: own.length > 0 ? own : CATEGORIES };
  }),

  serve(codeApis.getPage, (ctx) => {
    const { code } = miniProgram(ctx);
    if (!code.experience) throw new ApiFailure(86001);
    return { ...OK, page_list: pagesOf(code.experience.extJson) };
  }),

  serve(codeApis.submitAudit, (ctx) => {
    const { account, code } = miniProgram(ctx);
    const store = ctx.model.code;
    if (!code.experience) throw new ApiFailure(85086);
    if (store.inFlight(account.appId)) throw new ApiFailure(85009);
    const items = ctx.body.item_list;
    if (
      items !== undefined &&
      (!Array.isArray(items) || items.length < 1 || items.length > 5 ||
        items.some((i) => typeof i !== "object" || i === null))
    ) {
      throw new ApiFailure(85023);
    }
    const quota = store.quota(month(ctx.model.now()));
    if (quota.audits >= store.config.auditQuota) throw new ApiFailure(85085);
    quota.audits++;
    const now = ctx.model.now();
    const audit: AuditRecord = {
      auditid: store.newAuditId(),
      version: code.experience,
      status: 2,
      submittedAt: now,
      endsAt: now + store.config.auditDelayMs,
      outcome: store.outcomes.get(account.appId),
      speedup: false,
      released: false,
    };
    store.outcomes.delete(account.appId);
    code.audits.push(audit);
    store.schedule(audit.endsAt);
    return { ...OK, auditid: audit.auditid };
  }),

  serve(codeApis.getAuditStatus, (ctx) => {
    const { code } = miniProgram(ctx);
    const audit = findAudit(code, auditIdOf(ctx));
    const out: Json = { ...OK, status: audit.status };
    if (audit.status === 1 || audit.status === 4) out.reason = audit.reason ?? "";
    if (audit.status === 1) out.screenshot = audit.screenshot ?? "";
    return out;
  }),

  serve(codeApis.getLatestAuditStatus, (ctx) => {
    const { code } = miniProgram(ctx);
    const audit = code.audits.at(-1);
    if (!audit) throw new ApiFailure(85058);
    const out: Json = {
      ...OK,
      auditid: audit.auditid,
      status: audit.status,
      user_version: audit.version.userVersion,
      user_desc: audit.version.userDesc,
      submit_audit_time: seconds(audit.submittedAt),
    };
    if (audit.status === 1 || audit.status === 4) out.reason = audit.reason ?? "";
    if (audit.status === 1) {
      // The field table says `screenshot`, the example `ScreenShot`: both are sent.
      out.screenshot = audit.screenshot ?? "";
      out.ScreenShot = audit.screenshot ?? "";
    }
    return out;
  }),

  serve(codeApis.undoCodeAudit, (ctx) => {
    const { account, code } = miniProgram(ctx);
    const audit = ctx.model.code.inFlight(account.appId);
    // WeChat answered 87012 to a withdrawal of an audit already decided (forum answer).
    if (!audit) throw new ApiFailure(87012);
    const now = ctx.model.now();
    const m = month(now);
    const d = day(now);
    if (code.undos.month !== m) code.undos = { month: m, used: 0, day: d, today: 0 };
    if (code.undos.day !== d) Object.assign(code.undos, { day: d, today: 0 });
    const { undoMonthlyLimit, undoDailyLimit } = ctx.model.code.config;
    if (code.undos.used >= undoMonthlyLimit || code.undos.today >= undoDailyLimit) {
      throw new ApiFailure(87013);
    }
    code.undos.used++;
    code.undos.today++;
    audit.status = 3;
    audit.outcome = undefined;
    return OK;
  }),

  serve(codeApis.speedupAudit, (ctx) => {
    const { account, code } = miniProgram(ctx);
    const store = ctx.model.code;
    const audit = findAudit(code, auditIdOf(ctx));
    if (audit !== store.inFlight(account.appId)) throw new ApiFailure(89402);
    if (audit.speedup) throw new ApiFailure(89404);
    const quota = store.quota(month(ctx.model.now()));
    if (quota.speedups >= store.config.speedupQuota) throw new ApiFailure(89405);
    quota.speedups++;
    audit.speedup = true;
    const faster = ctx.model.now() +
      (store.config.speedupDelayMs ?? Math.floor(store.config.auditDelayMs / 10));
    audit.endsAt = Math.min(audit.endsAt, faster);
    store.schedule(audit.endsAt);
    return OK;
  }),

  serve(codeApis.queryQuota, (ctx) => {
    miniProgram(ctx);
    const store = ctx.model.code;
    const quota = store.quota(month(ctx.model.now()));
    return {
      ...OK,
      rest: Math.max(0, store.config.auditQuota - quota.audits),
      limit: store.config.auditQuota,
      speedup_rest: Math.max(0, store.config.speedupQuota - quota.speedups),
      speedup_limit: store.config.speedupQuota,
    };
  }),

  serve(codeApis.uploadMedia, (ctx) => {
    const { code } = miniProgram(ctx);
    const media = ctx.form?.get("media");
    if (!(media instanceof Blob) || media.size === 0) throw new ApiFailure(41005);
    const name = media instanceof File ? media.name.toLowerCase() : "";
    const type = media.type.startsWith("video/") || /\.(mp4|mov)$/.test(name)
      ? "video"
      : media.type.startsWith("image/") || /\.(jpe?g|png|gif|bmp)$/.test(name)
      ? "image"
      : undefined;
    if (type === undefined) throw new ApiFailure(40005);
    if (media.size > (type === "image" ? 2 : 10) * 1024 * 1024) throw new ApiFailure(40006);
    const mediaid = crypto.randomUUID().replaceAll("-", "");
    code.media.set(mediaid, { type, size: media.size });
    return { ...OK, type, mediaid };
  }, { form: true }),

  serve(codeApis.release, (ctx) => {
    const { account, code } = miniProgram(ctx);
    const audit = releasable(code);
    if (code.gray && code.gray.status === 1) code.gray.status = 3;
    goOnline(ctx, code, audit);
    // The draft privacy guide takes effect with the release (privacy_ver 1 from now on).
    releasePrivacyGuide(ctx.model.privacy.get(account.appId));
    return OK;
  }),

  serve(codeApis.revertCodeRelease, (ctx) => {
    const { code } = miniProgram(ctx);
    const history = code.history;
    if (ctx.query.get("action") === "get_history_version") {
      return {
        ...OK,
        version_list: [...history].reverse().map((r) => ({
          app_version: r.version.appVersion,
          user_version: r.version.userVersion,
          user_desc: r.version.userDesc,
          commit_time: seconds(r.version.committedAt),
        })),
      };
    }
    if (ctx.query.has("action")) throw new ApiFailure(40097);
    if (code.gray && code.gray.status === 1) throw new ApiFailure(87011);
    if (!code.online || code.reverted || history.length === 0) throw new ApiFailure(87012);
    const wanted = ctx.query.get("app_version");
    const index = wanted === null
      ? history.length - 1
      : history.findIndex((r) => String(r.version.appVersion) === wanted);
    if (index < 0) throw new ApiFailure(40097);
    const [target] = history.splice(index, 1);
    code.online = { version: target.version, releasedAt: ctx.model.now() };
    code.reverted = true;
    return OK;
  }),

  serve(codeApis.grayRelease, (ctx) => {
    const { code } = miniProgram(ctx);
    const b = ctx.body;
    const pct = b.gray_percentage;
    if (typeof pct !== "number" || !Number.isInteger(pct) || pct < 1 || pct > 100) {
      throw new ApiFailure(40097);
    }
    const running = code.gray?.status === 1 ? code.gray : undefined;
    // Raising the share of a running plan is allowed; otherwise the audited version must be new.
    if (!running) {
      releasable(code);
      // "小程序没有线上版本，不能进行灰度": the first release is a full one.
      if (!code.online) throw new ApiFailure(85079);
    } else if (pct < running.percentage) throw new ApiFailure(40097);
    code.gray = {
      status: 1,
      createdAt: running?.createdAt ?? ctx.model.now(),
      percentage: pct,
      debugerFirst: b.support_debuger_first === true,
      experiencerFirst: b.support_experiencer_first === true,
    };
    return OK;
  }),

  serve(codeApis.revertGrayRelease, (ctx) => {
    const { code } = miniProgram(ctx);
    if (!code.gray || code.gray.status !== 1) throw new ApiFailure(85020);
    code.gray.status = 4;
    return OK;
  }),

  serve(codeApis.getGrayReleasePlan, (ctx) => {
    const { code } = miniProgram(ctx);
    const g = code.gray;
    return {
      ...OK,
      gray_release_plan: g
        ? {
          status: g.status,
          create_timestamp: seconds(g.createdAt),
          gray_percentage: g.percentage,
          support_experiencer_first: g.experiencerFirst,
          support_debuger_first: g.debugerFirst,
        }
        : {
          status: 0,
          create_timestamp: 0,
          gray_percentage: 0,
          support_experiencer_first: false,
          support_debuger_first: false,
        },
    };
  }),

  serve(codeApis.changeVisitStatus, (ctx) => {
    const { code } = miniProgram(ctx);
    const action = ctx.body.action;
    if (action !== "open" && action !== "close") throw new ApiFailure(40097);
    if (!code.online) throw new ApiFailure(85079);
    code.visitStatus = action;
    return OK;
  }),

  serve(codeApis.getVersionInfo, (ctx) => {
    const { code } = miniProgram(ctx);
    const out: Json = { ...OK };
    if (code.experience) {
      out.exp_info = {
        exp_time: seconds(code.experience.committedAt),
        exp_version: code.experience.userVersion,
        exp_desc: code.experience.userDesc,
      };
    }
    if (code.online) {
      out.release_info = {
        release_time: seconds(code.online.releasedAt),
        release_version: code.online.version.userVersion,
        release_desc: code.online.version.userDesc,
      };
    }
    return out;
  }),

  serve(codeApis.getWeappSupportVersion, (ctx) => {
    const { code } = miniProgram(ctx);
    return {
      ...OK,
      now_version: code.supportVersion,
      uv_info: {
        items: [
          { percentage: 0, version: "1.0.0" },
          { percentage: 2, version: "2.10.0" },
          { percentage: 98, version: "2.20.0" },
        ],
      },
    };
  }),

  serve(codeApis.setWeappSupportVersion, (ctx) => {
    const { code } = miniProgram(ctx);
    const version = str(ctx.body.version);
    if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) throw new ApiFailure(40097);
    code.supportVersion = version;
    return OK;
  }),
];

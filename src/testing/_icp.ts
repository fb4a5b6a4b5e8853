/**
 * The simulated routes of ICP filing (`wxa/icp/*`) and the filing lifecycle.
 *
 * WeChat's rules kept here: only a mini program that granted 权限集 18 or 156 may call them
 * (61007 otherwise); the administrator's face verification ends after the configured delay and
 * is pushed to the 授权事件接收URL as `notify_icpfiling_verify_result`; `apply_icp_filing` needs
 * a passed, unexpired task of the same mini program; a review runs in two stages (platform: status
 * 2, then MIIT: status 4) and its verdict (3, 5 or 6) is pushed as
 * `notify_apply_icpfiling_result`; `cancel_apply_icp_filing` only during the platform's review
 * (86330 later, 86368 without an application); `cancel_icp_filing` only when filed (86353) and
 * not under review (86324).
 *
 * @module
 */

import { icpApis } from "../api/icp.ts";
import { ApiFailure, OK } from "./_errors.ts";
import {
  type AccountIcp,
  DEFAULT_ICP_REJECTION,
  type IcpStore,
  type IcpVerifyTask,
} from "./_icp_state.ts";
import type { ApiHooks, Ctx, Json, Route } from "./_route.ts";
import { isObject, serve, str } from "./_route.ts";
import { type Model, opaque } from "./_state.ts";

/** 开发管理与数据分析 (18) and 小程序备案 (156): either opens the filing APIs. */
const ICP_FUNC_IDS = [18, 156];
const DAY_MS = 86_400_000;

const seconds = (ms: number) => Math.floor(ms / 1000);

function miniProgram(ctx: Ctx): { appId: string; icp: AccountIcp } {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program" || !account.funcIds.some((id) => ICP_FUNC_IDS.includes(id))) {
    throw new ApiFailure(61007);
  }
  return { appId: account.appId, icp: ctx.model.icp.of(account.appId) };
}

const CERTIFICATE_TYPES: Json[] = [
  { type: 1, subject_type: 4, name: "营业执照(个人或企业)" },
  { type: 2, subject_type: 5, name: "居民身份证" },
  { type: 3, subject_type: 5, name: "护照" },
  { type: 4, subject_type: 1, name: "统一社会信用代码证书" },
  { type: 5, subject_type: 2, name: "统一社会信用代码证书" },
  { type: 6, subject_type: 2, name: "组织机构代码证" },
];

const SUBJECT_TYPES: Json[] = [
  { type: 1, name: "国防机构" },
  { type: 2, name: "政府机关" },
  { type: 3, name: "事业单位" },
  { type: 4, name: "企业" },
  { type: 5, name: "个人" },
];

const NRLX_TYPES: Json[] = [
  { type: 1, name: "新闻" },
  { type: 2, name: "出版" },
  { type: 3, name: "教育" },
  { type: 4, name: "医疗保健" },
];

const SERVICE_CONTENT_TYPES: Json[] = [
  { type: 500, parent_type: 0, name: "生活服务" },
  { type: 1, parent_type: 500, name: "生活缴费", remark: "水电煤气话费等" },
  { type: 2, parent_type: 500, name: "招聘" },
];

const DISTRICTS: Json[] = [{
  type: 1,
  code: 110000,
  name: "北京市",
  sub_list: [{
    type: 2,
    code: 110100,
    name: "市辖区",
    sub_list: [{ type: 3, code: 110101, name: "东城区" }, {
      type: 3,
      code: 110105,
      name: "朝阳区",
    }],
  }],
}];

/**
 * Ends every face verification and review stage whose time has come and pushes the results to
 * the platform. Called on every request and whenever the clock moves.
 */
export function progressIcp(model: Model, hooks: ApiHooks): void {
  const store = model.icp;
  for (const task of store.dueTasks(model.now())) {
    const outcome = store.verifyOutcomes.get(task.appId) ?? "passed";
    store.verifyOutcomes.delete(task.appId);
    task.finished = true;
    task.faceStatus = outcome === "passed" ? 3 : 2;
    hooks.componentPush({
      InfoType: "notify_icpfiling_verify_result",
      task_id: task.taskId,
      verify_appid: task.appId,
      result: task.faceStatus,
    });
  }
  // A long clock move may end both stages of a review: repeat until nothing is due.
  for (
    let due = store.dueFilings(model.now());
    due.length > 0;
    due = store.dueFilings(model.now())
  ) {
    for (const { appId, icp } of due) reviewStageEnds(store, hooks, appId, icp);
  }
}

/** One review stage of `appId`'s filing ends: on to MIIT, or the verdict, pushed. */
function reviewStageEnds(store: IcpStore, hooks: ApiHooks, appId: string, icp: AccountIcp): void {
  const outcome = store.outcomes.get(appId) ?? "approved";
  const rejectedHere = outcome !== "approved" &&
    (outcome.by ?? "platform") === (icp.status === 2 ? "platform" : "miit");
  if (rejectedHere) {
    store.outcomes.delete(appId);
    icp.status = icp.status === 2 ? 3 : 5;
    icp.auditData = outcome.audit_data ?? [DEFAULT_ICP_REJECTION];
  } else if (icp.status === 2) {
    // Past the platform's review the application goes to MIIT without a push.
    icp.status = 4;
    icp.endsAt += store.config.reviewDelayMs;
    return;
  } else {
    store.outcomes.delete(appId);
    icp.status = 6;
    icp.auditData = undefined;
  }
  hooks.componentPush({
    InfoType: "notify_apply_icpfiling_result",
    authorizer_appid: appId,
    beian_status: icp.status,
  });
}

/**
 * A filing application's three parts from a request body (`apply_icp_filing`,
 * `submit_auth_and_icp`); 40097 when one is not an object.
 */
export function icpApplication(
  body: Json,
): { icp_subject: Json; icp_applets: Json; icp_materials: Json } {
  const { icp_subject, icp_applets, icp_materials } = body;
  if (!isObject(icp_subject) || !isObject(icp_applets) || !isObject(icp_materials)) {
    throw new ApiFailure(40097);
  }
  return { icp_subject, icp_applets, icp_materials };
}

/**
 * The face verification task an application names (`icp_applets.principal_info.verify_task_id`):
 * `appId`'s, passed and unexpired; 86202 otherwise.
 */
export function passedVerifyTask(
  ctx: Ctx,
  appId: string,
  application: { icp_applets: Json },
): IcpVerifyTask {
  const principal = application.icp_applets.principal_info;
  const taskId = isObject(principal) ? str(principal.verify_task_id) : undefined;
  const task = ctx.model.icp.tasks.get(taskId ?? "");
  if (
    !task || task.appId !== appId || !task.finished || task.faceStatus !== 3 ||
    ctx.model.now() >= task.expiresAt
  ) {
    throw new ApiFailure(86202);
  }
  return task;
}

function withoutMedia(value: unknown, icp: AccountIcp): unknown {
  if (Array.isArray(value)) {
    return value.filter((x) => !(typeof x === "string" && icp.media.has(x)))
      .map((x) => withoutMedia(x, icp));
  }
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, x] of Object.entries(value)) {
    if (typeof x === "string" && icp.media.has(x)) continue;
    out[key] = withoutMedia(x, icp);
  }
  return out;
}

/** The routes of this area, in the simulator's table. */
export const icpRoutes: Route[] = [
  serve(icpApis.getIcpEntranceInfo, (ctx) => {
    const { icp } = miniProgram(ctx);
    const info: Json = { status: icp.status, is_canceling: icp.canceling, available: 1 };
    if (icp.auditData) info.audit_data = icp.auditData;
    if (icp.status === 4) info.sms_verify_status = 1;
    return { ...OK, info };
  }),

  serve(icpApis.createIcpVerifyTask, (ctx) => {
    const { appId } = miniProgram(ctx);
    const along = ctx.body.along_with_auth;
    if (along !== undefined && typeof along !== "boolean") throw new ApiFailure(40097);
    const now = ctx.model.now();
    const taskId = opaque(16);
    ctx.model.icp.tasks.set(taskId, {
      taskId,
      appId,
      alongWithAuth: along === true,
      createdAt: now,
      endsAt: now + ctx.model.icp.config.verifyDelayMs,
      expiresAt: now + (along === true ? 1 : 3) * DAY_MS,
      faceStatus: 1,
      finished: false,
    });
    const answer: Json = { ...OK, task_id: taskId };
    if (along === true) {
      answer.verify_url = `https://mp.weixin.qq.com/wxopen/sim_icp_verify?task_id=${taskId}`;
    }
    return answer;
  }),

  serve(icpApis.queryIcpVerifyTask, (ctx) => {
    const { appId } = miniProgram(ctx);
    const task = ctx.model.icp.tasks.get(str(ctx.body.task_id) ?? "");
    if (!task || task.appId !== appId) throw new ApiFailure(86328);
    return { ...OK, is_finish: task.finished, face_status: task.faceStatus };
  }),

  serve(icpApis.uploadIcpMedia, (ctx) => {
    const { icp } = miniProgram(ctx);
    const form = ctx.form!;
    const type = form.get("type");
    const field = form.get("icp_order_field");
    const media = form.get("media");
    if (type !== "image" && type !== "video") throw new ApiFailure(40097);
    if (typeof field !== "string" || !/^icp_(subject|applets|materials)\./.test(field)) {
      throw new ApiFailure(40097);
    }
    if (!(media instanceof Blob) || media.size === 0) throw new ApiFailure(41005);
    const certificate = form.get("certificate_type");
    if (certificate !== null && !/^\d+$/.test(String(certificate))) throw new ApiFailure(40097);
    const createdAt = ctx.model.now();
    const mediaId = opaque(56);
    icp.media.set(mediaId, {
      type,
      field,
      certificateType: certificate === null ? undefined : Number(certificate),
      createdAt,
      blob: media,
    });
    return { ...OK, type, media_id: mediaId, created_at: seconds(createdAt) };
  }, { form: true }),

  serve(icpApis.applyIcpFiling, (ctx) => {
    const { appId, icp } = miniProgram(ctx);
    const application = icpApplication(ctx.body);
    if (icp.status === 2 || icp.status === 4) throw new ApiFailure(86324);
    passedVerifyTask(ctx, appId, application);
    icp.before = icp.status;
    icp.status = 2;
    icp.auditData = undefined;
    icp.endsAt = ctx.model.now() + ctx.model.icp.config.reviewDelayMs;
    icp.application = application;
    return OK;
  }),

  serve(icpApis.cancelApplyIcpFiling, (ctx) => {
    const { icp } = miniProgram(ctx);
    if (icp.status === 4) throw new ApiFailure(86330);
    if (icp.status !== 2) throw new ApiFailure(86368);
    icp.status = icp.before;
    return OK;
  }),

  serve(icpApis.cancelIcpFiling, (ctx) => {
    const { icp } = miniProgram(ctx);
    const type = ctx.body.cancel_type;
    if (type !== 1 && type !== 2 && type !== 3) throw new ApiFailure(40097);
    const reason = ctx.body.reason_type;
    if (reason !== undefined && reason !== 1 && reason !== 2) throw new ApiFailure(40097);
    if (icp.status === 2 || icp.status === 4 || icp.canceling) throw new ApiFailure(86324);
    if (icp.status !== 6) throw new ApiFailure(86353);
    // The cancellation waits for MIIT's SMS to be confirmed, which never happens here.
    icp.canceling = true;
    return OK;
  }),

  serve(icpApis.getOnlineIcpOrder, (ctx) => {
    const { icp } = miniProgram(ctx);
    if (icp.status !== 6 || !icp.application) throw new ApiFailure(86353);
    // "No pictures or videos": every field that names an uploaded media is left out.
    const app = withoutMedia(icp.application, icp) as Json;
    return { ...OK, icp_subject: app.icp_subject, icp_applets: [app.icp_applets] };
  }),

  serve(icpApis.queryIcpCertificateTypes, (ctx) => {
    miniProgram(ctx);
    return { ...OK, items: CERTIFICATE_TYPES };
  }),

  serve(icpApis.queryIcpSubjectTypes, (ctx) => {
    miniProgram(ctx);
    return { ...OK, items: SUBJECT_TYPES };
  }),

  serve(icpApis.queryIcpNrlxTypes, (ctx) => {
    miniProgram(ctx);
    return { ...OK, items: NRLX_TYPES };
  }),

  serve(icpApis.queryIcpServiceContentTypes, (ctx) => {
    miniProgram(ctx);
    return { ...OK, items: SERVICE_CONTENT_TYPES };
  }),

  serve(icpApis.queryIcpDistrictCode, (ctx) => {
    miniProgram(ctx);
    return { ...OK, items: DISTRICTS };
  }),

  serve(icpApis.getIcpMedia, (ctx) => {
    const { icp } = miniProgram(ctx);
    const media = icp.media.get(ctx.query.get("media_id") ?? "");
    if (!media) throw new ApiFailure(86328);
    return new Response(media.blob, {
      status: 200,
      headers: {
        "content-type": media.type === "video" ? "video/mp4" : "image/jpeg",
        "content-length": String(media.blob.size),
      },
    });
  }),
];

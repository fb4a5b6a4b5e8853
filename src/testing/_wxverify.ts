/**
 * The simulated routes of 小程序认证 (`wxa/sec/*`) and the verification lifecycle.
 *
 * WeChat's rules kept here: only a mini program that granted 权限集 18 may call them (61007
 * otherwise); a task starts at `task_status` 0 with the administrator's authorization link; after
 * the configured delay the administrator has authorized, passed the face and SMS checks and the
 * review order exists (`task_status` 12, `apply_status` 2, or 1 awaiting payment when the
 * developer pays: `task_status` 15, `apply_status` 1, paid one delay later, pushed to the mini
 * program as `wx_verify_pay_succ`); the order goes to a review provider (`dispatch_info`, and
 * `wx_verify_dispatch` to the mini program's message URL); one delay later the review decides
 * (`apply_status` 4 verified, 3 to refill with a reason, 5 finally failed). Each step is pushed to
 * the 授权事件接收URL as `notify_3rd_wxa_auth`, as WeChat documents it ("task_status 0, 6, 9, 12;
 * apply_status 2, 3, 4, 5"; the simulator pushes 0, 15, 12 and the verdict). `reauth` only for a
 * task sent back for refilling.
 *
 * @module
 */

import { wxverifyApis } from "../api/wxverify.ts";
import { icpApplication, passedVerifyTask } from "./_icp.ts";
import { ApiFailure, OK } from "./_errors.ts";
import type { ApiHooks, Ctx, Json, Route } from "./_route.ts";
import { isObject, serve, str } from "./_route.ts";
import { type Model, opaque } from "./_state.ts";
import {
  type AuthAndIcpProcedure,
  DEFAULT_ICP_REJECTION,
  type WxVerifyTask,
} from "./_icp_state.ts";

const MAX_MATERIAL_BYTES = 2 * 1024 * 1024;

function miniProgram(ctx: Ctx): string {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program" || !account.funcIds.includes(18)) {
    throw new ApiFailure(61007);
  }
  return account.appId;
}

/** `auth_data` as WeChat checks it: 40097 when a required field is missing or malformed. */
function authData(ctx: Ctx): Json {
  const data = ctx.body.auth_data;
  if (!isObject(data)) throw new ApiFailure(40097);
  const contact = data.contact_info;
  if (
    !Number.isInteger(data.customer_type) || !isObject(contact) ||
    str(contact.name) === undefined ||
    str(data.account_name) === undefined ||
    (data.account_name_type !== 1 && data.account_name_type !== 2) ||
    (data.pay_type !== 1 && data.pay_type !== 2)
  ) {
    throw new ApiFailure(40097);
  }
  return data;
}

function push(
  hooks: ApiHooks,
  task: WxVerifyTask,
  message: string,
  dispatchInfo?: { provider: string; contact: string; dispatch_time: string },
): void {
  hooks.componentPush({
    InfoType: "notify_3rd_wxa_auth",
    appid: task.appId,
    taskid: task.taskid,
    task_status: task.taskStatus,
    apply_status: task.applyStatus,
    message,
    ...(dispatchInfo ? { dispatch_info: dispatchInfo } : {}),
  });
}

/** Moves every verification whose step has ended; pushes each step to the platform. */
export function progressWxVerify(model: Model, hooks: ApiHooks): void {
  const s = model.wxverify;
  for (let due = s.due(model.now()); due.length > 0; due = s.due(model.now())) {
    for (const task of due) stepEnds(model, hooks, task);
  }
  for (
    let due = s.dueProcedures(model.now());
    due.length > 0;
    due = s.dueProcedures(model.now())
  ) {
    for (const procedure of due) procedureStepEnds(model, hooks, procedure);
  }
}

/** Ended states of a procedure: sent back, failed, filing rejected, done, withdrawn. */
const PROCEDURE_ENDED = [18, 20, 23, 25, 26, 29];

function procedurePush(hooks: ApiHooks, p: AuthAndIcpProcedure): void {
  hooks.componentPush({
    InfoType: "notify_3rd_wxa_auth_and_icp",
    procedure_id: p.procedureId,
    appid: p.appId,
    procedure_status: p.status,
  });
}

/**
 * One step of a 认证-and-filing procedure: payment (15 → 16 → 17), the 认证 review (19, or 18 /
 * 20), then the filing's two stages (22 → 24 → 26, or 23 / 25), mirrored in the filing status
 * `get_icp_entrance_info` answers. Outcomes as `setWxVerifyOutcome` and `setIcpOutcome` chose.
 */
function procedureStepEnds(model: Model, hooks: ApiHooks, p: AuthAndIcpProcedure): void {
  const delay = model.wxverify.delayMs;
  const icp = model.icp.of(p.appId);
  p.endsAt += delay;
  if (p.status === 15) {
    hooks.authorizerPush(p.appId, { Event: "wx_verify_pay_succ", OrderId: String(p.orderid) });
    p.status = 16;
    procedurePush(hooks, p);
    p.status = 17;
    procedurePush(hooks, p);
    return;
  }
  if (p.status === 17) {
    const outcome = model.wxverify.outcomes.get(p.appId) ?? "approved";
    model.wxverify.outcomes.delete(p.appId);
    if (outcome === "approved") {
      p.status = 19;
      procedurePush(hooks, p);
      // Past 认证 the application goes on to the filing's platform review.
      p.status = 22;
      icp.before = icp.status;
      icp.status = 2;
      icp.auditData = undefined;
      icp.application = p.application;
      // The procedure, not the filing's own clock, decides this review.
      icp.endsAt = Infinity;
    } else if (outcome.status === "refill") {
      p.status = 18;
      p.refillReason = outcome.reason ?? "资质材料不清晰,请重新上传 (simulated)";
    } else {
      p.status = 20;
      p.failReason = outcome.reason ?? "主体信息与资质不符 (simulated)";
    }
  } else if (icp.status !== (p.status === 22 ? 2 : 4)) {
    // Withdrawn with cancel_apply_icp_filing while the filing was under review.
    p.status = 29;
  } else {
    const outcome = model.icp.outcomes.get(p.appId) ?? "approved";
    const stage = p.status === 22 ? "platform" : "miit";
    if (outcome !== "approved" && (outcome.by ?? "platform") === stage) {
      model.icp.outcomes.delete(p.appId);
      p.status = stage === "platform" ? 23 : 25;
      icp.status = stage === "platform" ? 3 : 5;
      icp.auditData = outcome.audit_data ?? [DEFAULT_ICP_REJECTION];
    } else if (stage === "platform") {
      p.status = 24;
      icp.status = 4;
    } else {
      model.icp.outcomes.delete(p.appId);
      p.status = 26;
      icp.status = 6;
    }
  }
  if (PROCEDURE_ENDED.includes(p.status)) p.endsAt = Infinity;
  procedurePush(hooks, p);
}

const PROVIDER = {
  provider: "第三方审核机构 (simulated)",
  contact: "咨询电话:400-000-0000",
};

/** The review order goes to a provider: pushed to the platform and to the mini program. */
function dispatch(model: Model, hooks: ApiHooks, task: WxVerifyTask): void {
  const at = String(Math.floor(task.endsAt / 1000));
  task.taskStatus = 12;
  task.applyStatus = 2;
  task.endsAt += model.wxverify.delayMs;
  push(hooks, task, "审核单创建成功 (simulated)", { ...PROVIDER, dispatch_time: at });
  hooks.authorizerPush(task.appId, {
    Event: "wx_verify_dispatch",
    Provider: PROVIDER.provider,
    Contact: PROVIDER.contact,
    DispatchTime: at,
  });
}

function stepEnds(model: Model, hooks: ApiHooks, task: WxVerifyTask): void {
  const s = model.wxverify;
  if (task.taskStatus === 0) {
    // The administrator authorized and passed the face and SMS checks: the order exists, and
    // waits for the developer's payment unless the platform's prepaid package pays it.
    if (task.authData.pay_type === 2) {
      task.taskStatus = 15;
      task.applyStatus = 1;
      task.endsAt += s.delayMs;
      push(hooks, task, "等待支付 (simulated)");
    } else {
      dispatch(model, hooks, task);
    }
    return;
  }
  if (task.taskStatus === 15) {
    // The developer paid (the simulator pays one step later).
    hooks.authorizerPush(task.appId, {
      Event: "wx_verify_pay_succ",
      OrderId: String(task.orderid),
    });
    dispatch(model, hooks, task);
    return;
  }
  const outcome = s.outcomes.get(task.appId) ?? "approved";
  s.outcomes.delete(task.appId);
  task.endsAt = Infinity;
  if (outcome === "approved") {
    task.applyStatus = 4;
    push(hooks, task, "认证通过 (simulated)");
  } else if (outcome.status === "refill") {
    task.applyStatus = 3;
    task.refillReason = outcome.reason ?? "资质材料不清晰,请重新上传 (simulated)";
    push(hooks, task, task.refillReason);
  } else {
    task.applyStatus = 5;
    task.failReason = outcome.reason ?? "主体信息与资质不符 (simulated)";
    push(hooks, task, task.failReason);
  }
}

const IDENTITY_TREE: Json[] = [{
  name: "职业身份认证",
  node_id: 1,
  root_info: { type: 1 },
  node_list: [{
    name: "娱乐",
    node_id: 2,
    node_list: [{
      name: "影视",
      node_id: 3,
      node_list: [
        { name: "导演", node_id: 4, leaf_info: { requirement: "本人有效身份证件及职称证明" } },
        { name: "编导", node_id: 5, leaf_info: { requirement: "本人有效身份证件及作品证明" } },
      ],
    }],
  }],
}];

/** The routes of this area, in the simulator's table. */
export const wxverifyRoutes: Route[] = [
  serve(wxverifyApis.wxaAuth, (ctx) => {
    const appId = miniProgram(ctx);
    const data = authData(ctx);
    const s = ctx.model.wxverify;
    const taskid = opaque(18);
    const task: WxVerifyTask = {
      taskid,
      appId,
      orderid: s.newOrderId(),
      taskStatus: 0,
      applyStatus: 0,
      endsAt: ctx.model.now() + s.delayMs,
      authData: data,
    };
    s.tasks.set(taskid, task);
    push(ctx.hooks, task, "任务创建成功 (simulated)");
    return { ...OK, taskid, auth_url: authUrl(taskid) };
  }),

  serve(wxverifyApis.queryAuth, (ctx) => {
    const appId = miniProgram(ctx);
    const task = ctx.model.wxverify.tasks.get(str(ctx.body.taskid) ?? "");
    if (!task || task.appId !== appId) throw new ApiFailure(40097);
    const answer: Json = {
      ...OK,
      task_status: task.taskStatus,
      auth_url: authUrl(task.taskid),
      apply_status: task.applyStatus,
      appid: appId,
    };
    if (task.taskStatus === 12) answer.orderid = task.orderid;
    if (task.applyStatus === 3) answer.refill_reason = task.refillReason;
    if (task.applyStatus === 5) answer.fail_reason = task.failReason;
    return answer;
  }),

  serve(wxverifyApis.uploadAuthMaterial, (ctx) => {
    const appId = miniProgram(ctx);
    const media = ctx.form!.get("media");
    if (!(media instanceof File) || media.size === 0) throw new ApiFailure(41005);
    if (!/\.(png|jpe?g|gif)$/i.test(media.name)) throw new ApiFailure(40005);
    if (media.size > MAX_MATERIAL_BYTES) throw new ApiFailure(40006);
    const mediaid = opaque(40);
    ctx.model.wxverify.media.set(mediaid, { appId, size: media.size });
    return { ...OK, type: "image", mediaid };
  }, { form: true }),

  serve(wxverifyApis.reauth, (ctx) => {
    const appId = miniProgram(ctx);
    const data = authData(ctx);
    const s = ctx.model.wxverify;
    const task = s.tasks.get(str(data.taskid) ?? "");
    if (!task || task.appId !== appId) throw new ApiFailure(40097);
    if (task.applyStatus !== 3) throw new ApiFailure(85020);
    task.authData = data;
    task.applyStatus = 2;
    task.refillReason = undefined;
    task.endsAt = ctx.model.now() + s.delayMs;
    return OK;
  }),

  serve(wxverifyApis.submitAuthAndIcp, (ctx) => {
    const appId = miniProgram(ctx);
    const data = authData(ctx);
    const application = icpApplication(ctx.body);
    const s = ctx.model.wxverify;
    const icp = ctx.model.icp.of(appId);
    const active = [...s.procedures.values()].some((p) =>
      p.appId === appId && !PROCEDURE_ENDED.includes(p.status)
    );
    if (active || icp.status === 2 || icp.status === 4) throw new ApiFailure(86324);
    // The administrator's face, SMS and authorization: a passed task made with along_with_auth.
    if (!passedVerifyTask(ctx, appId, application).alongWithAuth) throw new ApiFailure(86202);
    const procedureId = opaque(24);
    const procedure: AuthAndIcpProcedure = {
      procedureId,
      appId,
      orderid: s.newOrderId(),
      status: data.pay_type === 2 ? 15 : 17,
      endsAt: ctx.model.now() + s.delayMs,
      payType: data.pay_type as number,
      application,
    };
    s.procedures.set(procedureId, procedure);
    procedurePush(ctx.hooks, procedure);
    const answer: Json = { ...OK, procedure_id: procedureId };
    if (data.pay_type === 2) {
      answer.pay_url =
        `https://mp.weixin.qq.com/wxopen/sim_wxverify_pay?procedure_id=${procedureId}`;
    }
    return answer;
  }),

  serve(wxverifyApis.queryAuthAndIcp, (ctx) => {
    const appId = miniProgram(ctx);
    const p = ctx.model.wxverify.procedures.get(str(ctx.body.procedure_id) ?? "");
    if (!p || p.appId !== appId) throw new ApiFailure(40097);
    const answer: Json = { ...OK, procedure_status: p.status };
    if (p.status >= 16) answer.orderid = p.orderid;
    if (p.status === 18) answer.refill_reason = p.refillReason;
    if (p.status === 20) answer.fail_reason = p.failReason;
    const icp = ctx.model.icp.of(appId);
    if (p.status === 23 || p.status === 25) answer.icp_audit = { audit_data: icp.auditData };
    if (p.status === 24) answer.icp_audit = { sms_verify_status: 1 };
    return answer;
  }),

  serve(wxverifyApis.authIdentityTree, (ctx) => {
    miniProgram(ctx);
    return { ...OK, identity_tree_list: IDENTITY_TREE };
  }),
];

function authUrl(taskid: string): string {
  return `https://mp.weixin.qq.com/wxopen/sim_wxaauth?taskid=${taskid}`;
}

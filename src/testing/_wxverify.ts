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
import { ApiFailure, OK } from "./_errors.ts";
import type { ApiHooks, Ctx, Json, Route } from "./_route.ts";
import { serve, str } from "./_route.ts";
import { type Model, opaque } from "./_state.ts";
import type { WxVerifyTask } from "./_icp_state.ts";

const MAX_MATERIAL_BYTES = 2 * 1024 * 1024;

function miniProgram(ctx: Ctx): string {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program" || !account.funcIds.includes(18)) {
    throw new ApiFailure(61007);
  }
  return account.appId;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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

  serve(wxverifyApis.authIdentityTree, (ctx) => {
    miniProgram(ctx);
    return { ...OK, identity_tree_list: IDENTITY_TREE };
  }),
];

function authUrl(taskid: string): string {
  return `https://mp.weixin.qq.com/wxopen/sim_wxaauth?taskid=${taskid}`;
}

/**
 * ICP filing (`wxa/icp/*`) and 认证 (`wxa/sec/*`) through `client.authorizer(appid)` against the
 * simulator: the face verification task and its push, media uploads, the application's two review
 * stages and the verdict pushed to the 授权事件接收URL, withdrawal, cancellation; the 认证 task's
 * steps pushed as `notify_3rd_wxa_auth`, refilling and resubmission; WeChat's refusals.
 *
 * Where WeChat's documentation is silent or disagrees with itself:
 * - `notify_icpfiling_verify_result` and `notify_apply_icpfiling_result` are listed among the
 *   message pushes (JSON) by one page; WeChat's SDK users and WxJava receive them as XML with an
 *   `InfoType` at the 授权事件接收URL. The simulator pushes them there.
 * - Which verdicts are pushed: "when the filing is rejected or passes". The simulator pushes the
 *   platform's rejection (3), MIIT's rejection (5) and the filing (6), not the move to MIIT (4).
 * - `apply_icp_filing` without a passed face task answers 86202 (WeChat adds `hints`, which the
 *   simulator leaves out); a second application under review answers 86324 (documented for
 *   `cancel_icp_filing`); `get_online_icp_order` before the filing answers 86353: the simulator's
 *   choices.
 * - 认证: `wxa/sec/wxaauth`'s own page is not in the material searched; its request is the one
 *   `wxa/sec/reauth` documents (less `taskid`) and its answer (`taskid`, `auth_url`) is what
 *   WeChat's SDK users read. An unknown `taskid` (40097) and `reauth` of a task not sent back
 *   (85020) are the simulator's choices; 40005/40006/41005 of `uploadauthmaterial` are WeChat's.
 * - `submit_auth_and_icp`: a second procedure while one runs (86324), a face task made without
 *   `along_with_auth` (86202) and an unknown `procedure_id` (40097) are the simulator's choices.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { parseComponentEvent, parseMessage } from "../src/events/mod.ts";
import type { WeChatSimulatorOptions } from "../src/testing/mod.ts";
import { EVENTS_URL, simulatedPlatform } from "./_platform.ts";

const APPID = "wx3cf0f39249000061";
const SECRET = "sim-component-secret-7d1e0a4b";
const TOKEN = "sim-message-token";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function setup(options: Partial<WeChatSimulatorOptions> = {}) {
  const platform = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => Date.parse("2026-03-10T08:00:00Z"),
    capturePushes: true,
    ...options,
  });
  const authorize = (
    kind: "mini_program" | "official_account" = "mini_program",
    funcIds?: number[],
  ) => platform.authorize(kind, { funcIds });
  /** Authorizer events delivered so far (to the 消息与事件接收URL), decrypted and parsed. */
  const messages: Record<string, unknown>[] = [];
  /** `notify_3rd_wxa_auth_and_icp` pushes delivered so far. */
  const procedures: Record<string, unknown>[] = [];
  /** The component pushes of the ICP and 认证 kinds delivered so far, decrypted and parsed. */
  async function icpEvents(): Promise<Record<string, unknown>[]> {
    const out = [];
    for (const { url, xml } of await platform.drainPushes()) {
      if (url.origin + url.pathname !== EVENTS_URL) {
        messages.push(parseMessage(xml) as unknown as Record<string, unknown>);
        continue;
      }
      const event = parseComponentEvent(xml) as unknown as Record<string, unknown>;
      if (/auth_and_icp/.test(String(event.InfoType))) procedures.push(event);
      else if (/icpfiling|wxa_auth/.test(String(event.InfoType))) out.push(event);
    }
    return out;
  }
  return { sim: platform.sim, client: platform.client, authorize, icpEvents, messages, procedures };
}

async function rejects(promise: Promise<unknown>, errcode: number): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof WeChatError, String(e));
    assert.equal(e.errcode, errcode);
    return true;
  });
}

function application(verifyTaskId: string, mediaId: string) {
  return {
    icp_subject: {
      base_info: { type: 5, name: "张三", province: "110000", city: "110100", district: "110105" },
      principal_info: { name: "张三", certificate_photo_front: mediaId },
    },
    icp_applets: {
      base_info: { appid: "", name: "小店" },
      principal_info: { name: "张三", verify_task_id: verifyTaskId },
    },
    icp_materials: {},
  };
}

/** A mini program whose administrator passed the face verification: its task id. */
async function verified(env: Awaited<ReturnType<typeof setup>>) {
  const mp = await env.authorize();
  const { task_id } = await mp.createIcpVerifyTask();
  env.sim.advance(10 * MINUTE);
  return { mp, task_id };
}

Deno.test("icp: face task pushed, application reviewed in two stages, filing pushed and read back", async () => {
  const env = await setup({ icpReviewDelayMs: 2 * HOUR });
  const mp = await env.authorize();
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 1024);

  const { task_id } = await mp.createIcpVerifyTask();
  assert.deepEqual(
    { ...(await mp.queryIcpVerifyTask({ task_id })), errcode: 0, errmsg: "ok" },
    { errcode: 0, errmsg: "ok", is_finish: false, face_status: 1 },
  );
  env.sim.advance(10 * MINUTE);
  const verify = await env.icpEvents();
  assert.equal(verify.length, 1);
  assert.equal(verify[0].InfoType, "notify_icpfiling_verify_result");
  assert.equal(verify[0].task_id, task_id);
  assert.equal(verify[0].verify_appid, mp.appId);
  assert.equal(String(verify[0].result), "3");
  const done = await mp.queryIcpVerifyTask({ task_id });
  assert.equal(done.is_finish, true);
  assert.equal(done.face_status, 3);

  const photo = await mp.uploadIcpMedia({
    type: "image",
    certificate_type: 2,
    icp_order_field: "icp_subject.principal_info.certificate_photo_front",
    media: new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "id.jpg", { type: "image/jpeg" }),
  });
  assert.equal(photo.type, "image");
  assert.ok(photo.media_id.length > 20);
  assert.equal(photo.created_at, Math.floor(env.sim.now() / 1000));
  assert.deepEqual(
    await mp.getIcpMedia({ media_id: photo.media_id }),
    new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
  );

  await mp.applyIcpFiling(application(task_id, photo.media_id));
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 2);
  await rejects(mp.applyIcpFiling(application(task_id, photo.media_id)), 86324);
  await rejects(mp.getOnlineIcpOrder(), 86353);

  env.sim.advance(2 * HOUR);
  const miit = (await mp.getIcpEntranceInfo()).info;
  assert.equal(miit.status, 4);
  assert.equal(miit.sms_verify_status, 1);
  assert.deepEqual(await env.icpEvents(), [], "the move to MIIT is not pushed");
  await rejects(mp.cancelApplyIcpFiling(), 86330);

  env.sim.advance(2 * HOUR);
  const filed = await env.icpEvents();
  assert.equal(filed.length, 1);
  assert.equal(filed[0].InfoType, "notify_apply_icpfiling_result");
  assert.equal(filed[0].authorizer_appid, mp.appId);
  assert.equal(String(filed[0].beian_status), "6");
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 6);
  const order = await mp.getOnlineIcpOrder();
  assert.equal((order.icp_subject?.base_info as Record<string, unknown>).name, "张三");
  assert.deepEqual(
    order.icp_subject?.principal_info,
    { name: "张三" },
    "no media in the filed order",
  );
  assert.equal(order.icp_applets?.length, 1);

  await mp.cancelIcpFiling({ cancel_type: 3, reason_type: 1 });
  assert.equal((await mp.getIcpEntranceInfo()).info.is_canceling, true);
  await rejects(mp.cancelIcpFiling({ cancel_type: 3 }), 86324);
});

Deno.test("icp: a rejection is pushed with its reasons; withdrawal only in the platform's review", async () => {
  const env = await setup();
  const { mp, task_id } = await verified(env);
  await env.icpEvents();
  await rejects(mp.cancelApplyIcpFiling(), 86368);
  await rejects(mp.cancelIcpFiling({ cancel_type: 1 }), 86353);

  await mp.applyIcpFiling(application(task_id, "m"));
  await mp.cancelApplyIcpFiling();
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 1024);
  env.sim.advance(3 * HOUR);
  assert.deepEqual(await env.icpEvents(), [], "a withdrawn application is not reviewed");

  const reason = { key_name: "小程序服务内容", error: "与类目不符", suggest: "请修改" };
  env.sim.setIcpOutcome(mp.appId, {
    filing: { status: "rejected", by: "miit", audit_data: [reason] },
  });
  await mp.applyIcpFiling(application(task_id, "m"));
  env.sim.advance(2 * HOUR);
  const pushed = await env.icpEvents();
  assert.equal(pushed.length, 1);
  assert.equal(String(pushed[0].beian_status), "5");
  const info = (await mp.getIcpEntranceInfo()).info;
  assert.equal(info.status, 5);
  assert.deepEqual(info.audit_data, [reason]);

  // Rejected applications may be applied again; the next verdict is the default one.
  await mp.applyIcpFiling(application(task_id, "m"));
  assert.equal((await mp.getIcpEntranceInfo()).info.audit_data, undefined);
  env.sim.advance(2 * HOUR);
  assert.equal(String((await env.icpEvents())[0].beian_status), "6");
});

Deno.test("icp: the application needs a passed, unexpired face task of the same mini program", async () => {
  const env = await setup();
  const mp = await env.authorize();
  env.sim.setIcpOutcome(mp.appId, { verify: "failed" });
  const failed = await mp.createIcpVerifyTask();
  await rejects(mp.applyIcpFiling(application(failed.task_id, "m")), 86202);
  env.sim.advance(10 * MINUTE);
  const pushed = await env.icpEvents();
  assert.equal(String(pushed[0].result), "2");
  assert.equal((await mp.queryIcpVerifyTask({ task_id: failed.task_id })).face_status, 2);
  await rejects(mp.applyIcpFiling(application(failed.task_id, "m")), 86202);
  await rejects(mp.applyIcpFiling(application("no-such-task", "m")), 86202);

  const other = await verified(env);
  await rejects(mp.applyIcpFiling(application(other.task_id, "m")), 86202);
  await rejects(mp.queryIcpVerifyTask({ task_id: other.task_id }), 86328);

  // A task is good for three days (one with 认证).
  const { task_id } = await mp.createIcpVerifyTask();
  env.sim.advance(3 * 24 * HOUR);
  await env.client.acceptTicket(env.sim.issueTicket());
  await rejects(mp.applyIcpFiling(application(task_id, "m")), 86202);
  const along = await mp.createIcpVerifyTask({ along_with_auth: true });
  assert.match(along.verify_url ?? "", /^https:\/\//);
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 1024, "nothing was applied");
});

Deno.test("icp: bad input is refused before any request; other accounts are refused by WeChat", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const calls = env.sim.calls("/wxa/icp/upload_icp_media");
  assert.throws(
    () =>
      mp.uploadIcpMedia({
        type: "pdf" as "image",
        icp_order_field: "icp_subject.principal_info.certificate_photo_front",
        media: new Blob([new Uint8Array([1])]),
      }),
    TypeError,
  );
  assert.throws(
    () =>
      mp.uploadIcpMedia({
        type: "image",
        icp_order_field: "icp_subject.organize_info.certificate_photo",
        media: new Blob([]),
      }),
    RangeError,
  );
  assert.throws(() => mp.queryIcpVerifyTask({ task_id: "" }), TypeError);
  assert.throws(() => mp.cancelIcpFiling({ cancel_type: 4 as 1 }), RangeError);
  assert.throws(
    () => mp.applyIcpFiling({ icp_subject: {}, icp_applets: {} } as never),
    TypeError,
  );
  assert.equal(env.sim.calls("/wxa/icp/upload_icp_media"), calls);

  const certificates = await mp.queryIcpCertificateTypes();
  assert.ok(certificates.items.some((c) => c.type === 2 && c.subject_type === 5));
  assert.ok((await mp.queryIcpSubjectTypes()).items.some((t) => t.name === "个人"));
  assert.ok((await mp.queryIcpNrlxTypes()).items.length > 0);
  const services = (await mp.queryIcpServiceContentTypes()).items;
  assert.ok(services.some((t) => (t.parent_type ?? 0) > 0), "second-level service types");
  const beijing = (await mp.queryIcpDistrictCode()).items.find((d) => d.code === 110000);
  assert.equal(beijing?.sub_list?.[0].sub_list?.[0].type, 3);
  await rejects(mp.getIcpMedia({ media_id: "no-such-media" }), 86328);

  const oa = await env.authorize("official_account");
  await rejects(oa.getIcpEntranceInfo(), 61007);
  const bare = await env.authorize("mini_program", [17]);
  await rejects(bare.createIcpVerifyTask(), 61007);
  const filingOnly = await env.authorize("mini_program", [156]);
  assert.equal((await filingOnly.getIcpEntranceInfo()).info.status, 1024);
});

const AUTH_DATA = {
  customer_type: 1,
  contact_info: { name: "张三", email: "zhang@example.com" },
  qualification: "",
  account_name: "小店",
  account_name_type: 1 as const,
  pay_type: 1 as const,
};

Deno.test("认证: task steps pushed as notify_3rd_wxa_auth and read back with queryAuth", async () => {
  const env = await setup({ wxverifyDelayMs: 20 * MINUTE });
  const mp = await env.authorize();
  const media = new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], "licence.jpg");
  const { mediaid } = await mp.uploadAuthMaterial({ media });
  const { taskid, auth_url } = await mp.wxaAuth({
    auth_data: { ...AUTH_DATA, qualification: mediaid },
  });
  assert.match(auth_url ?? "", /^https:\/\//);
  const created = await env.icpEvents();
  assert.equal(created.length, 1);
  assert.equal(created[0].InfoType, "notify_3rd_wxa_auth");
  assert.equal(created[0].appid, mp.appId);
  assert.equal(created[0].taskid, taskid);
  assert.equal(String(created[0].task_status), "0");
  assert.equal((await mp.queryAuth({ taskid })).task_status, 0);

  env.sim.advance(20 * MINUTE);
  const order = await env.icpEvents();
  assert.deepEqual([String(order[0].task_status), String(order[0].apply_status)], ["12", "2"]);
  const reviewing = await mp.queryAuth({ taskid });
  assert.equal(reviewing.apply_status, 2);
  assert.equal(typeof reviewing.orderid, "number");

  env.sim.advance(20 * MINUTE);
  assert.equal(String((await env.icpEvents())[0].apply_status), "4");
  assert.equal((await mp.queryAuth({ taskid })).apply_status, 4);
  // A query for another account's task, or none, is refused.
  const other = await env.authorize();
  await rejects(other.queryAuth({ taskid }), 40097);
});

Deno.test("认证: sent back for refilling, resubmitted, then finally failed", async () => {
  const env = await setup();
  const mp = await env.authorize();
  env.sim.setWxVerifyOutcome(mp.appId, { status: "refill", reason: "营业执照模糊" });
  const { taskid } = await mp.wxaAuth({ auth_data: AUTH_DATA });
  await rejects(mp.reauth({ auth_data: { ...AUTH_DATA, taskid } }), 85020);
  env.sim.advance(HOUR);
  const refill = await mp.queryAuth({ taskid });
  assert.equal(refill.apply_status, 3);
  assert.equal(refill.refill_reason, "营业执照模糊");

  env.sim.setWxVerifyOutcome(mp.appId, { status: "failed", reason: "主体不符" });
  await mp.reauth({ auth_data: { ...AUTH_DATA, taskid, account_name: "小店铺" } });
  assert.equal((await mp.queryAuth({ taskid })).apply_status, 2);
  env.sim.advance(30 * MINUTE);
  const failed = await mp.queryAuth({ taskid });
  assert.equal(failed.apply_status, 5);
  assert.equal(failed.fail_reason, "主体不符");
  const pushed = await env.icpEvents();
  assert.deepEqual(pushed.map((e) => String(e.apply_status)), ["0", "2", "3", "5"]);
  await rejects(mp.reauth({ auth_data: { ...AUTH_DATA, taskid } }), 85020);
});

Deno.test("认证: material uploads, the identity tree, and refusals", async () => {
  const env = await setup();
  const mp = await env.authorize();
  await rejects(
    mp.uploadAuthMaterial({ media: new File([new Uint8Array([1])], "licence.pdf") }),
    40005,
  );
  await rejects(
    mp.uploadAuthMaterial({ media: new File([new Uint8Array(2 * 1024 * 1024 + 1)], "big.png") }),
    40006,
  );
  assert.throws(() => mp.uploadAuthMaterial({ media: new Blob([]) }), RangeError);
  assert.throws(
    () => mp.wxaAuth({ auth_data: { ...AUTH_DATA, pay_type: 3 as 1 } }),
    RangeError,
  );
  assert.throws(() => mp.reauth({ auth_data: AUTH_DATA }), TypeError, "reauth needs the taskid");
  assert.throws(() => mp.queryAuth({ taskid: "" }), TypeError);

  const tree = await mp.authIdentityTree();
  const leaves: string[] = [];
  const walk = (nodes: typeof tree.identity_tree_list) =>
    nodes.forEach((n) => n.leaf_info ? leaves.push(n.name) : walk(n.node_list ?? []));
  walk(tree.identity_tree_list);
  assert.ok(leaves.includes("导演"));

  const oa = await env.authorize("official_account");
  await rejects(oa.wxaAuth({ auth_data: AUTH_DATA }), 61007);
  const filingOnly = await env.authorize("mini_program", [156]);
  await rejects(filingOnly.authIdentityTree(), 61007);
});

Deno.test("认证: the developer pays, wx_verify_pay_succ and wx_verify_dispatch reach the mini program", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const { taskid } = await mp.wxaAuth({ auth_data: { ...AUTH_DATA, pay_type: 2 } });
  env.sim.advance(30 * MINUTE);
  const waiting = await mp.queryAuth({ taskid });
  assert.deepEqual([waiting.task_status, waiting.apply_status], [15, 1]);
  await env.icpEvents();
  assert.equal(env.messages.length, 0, "nothing paid yet");

  env.sim.advance(30 * MINUTE);
  const notices = await env.icpEvents();
  assert.deepEqual(
    notices.map((e) => [String(e.task_status), String(e.apply_status)]),
    [["12", "2"]],
  );
  const dispatched = notices[0].dispatch_info as Record<string, unknown>;
  assert.ok(String(dispatched.provider).length > 0);
  assert.deepEqual(env.messages.map((m) => m.Event), ["wx_verify_pay_succ", "wx_verify_dispatch"]);
  assert.equal(String(env.messages[0].OrderId), String((await mp.queryAuth({ taskid })).orderid));
  assert.equal(env.messages[1].Provider, dispatched.provider);
  assert.equal(String(env.messages[1].DispatchTime), String(dispatched.dispatch_time));
});

Deno.test("认证 and filing in one: payment, 认证, both filing stages, pushed and read back", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const plain = await mp.createIcpVerifyTask();
  const { task_id } = await mp.createIcpVerifyTask({ along_with_auth: true });
  env.sim.advance(10 * MINUTE);
  const input = (id: string) => ({
    auth_data: { ...AUTH_DATA, pay_type: 2 as const },
    ...application(id, "m"),
  });
  await rejects(mp.submitAuthAndIcp(input(plain.task_id)), 86202);
  const { procedure_id, pay_url } = await mp.submitAuthAndIcp(input(task_id));
  assert.match(pay_url ?? "", /^https:\/\//);
  await rejects(mp.submitAuthAndIcp(input(task_id)), 86324);
  assert.equal((await mp.queryAuthAndIcp({ procedure_id })).procedure_status, 15);

  env.sim.advance(30 * MINUTE); // paid: 16, 17
  env.sim.advance(30 * MINUTE); // 认证 passed: 19, the filing's platform review 22
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 2);
  env.sim.advance(30 * MINUTE); // MIIT 24
  const miit = await mp.queryAuthAndIcp({ procedure_id });
  assert.equal(miit.procedure_status, 24);
  assert.equal(miit.icp_audit?.sms_verify_status, 1);
  env.sim.advance(30 * MINUTE); // filed 26
  await env.icpEvents();
  assert.deepEqual(env.procedures.map((e) => String(e.procedure_status)), [
    "15",
    "16",
    "17",
    "19",
    "22",
    "24",
    "26",
  ]);
  assert.ok(env.procedures.every((e) => e.procedure_id === procedure_id && e.appid === mp.appId));
  assert.equal(env.messages.filter((m) => m.Event === "wx_verify_pay_succ").length, 1);
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 6);
  assert.equal(typeof (await mp.queryAuthAndIcp({ procedure_id })).orderid, "number");
});

Deno.test("认证 and filing in one: 认证 sent back ends it; a filing rejection by MIIT is read back", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const verified = async () => {
    const { task_id } = await mp.createIcpVerifyTask({ along_with_auth: true });
    env.sim.advance(10 * MINUTE);
    return task_id;
  };
  env.sim.setWxVerifyOutcome(mp.appId, { status: "refill", reason: "名称不符" });
  const first = await mp.submitAuthAndIcp({
    auth_data: AUTH_DATA,
    ...application(await verified(), "m"),
  });
  env.sim.advance(30 * MINUTE);
  const refill = await mp.queryAuthAndIcp({ procedure_id: first.procedure_id });
  assert.deepEqual([refill.procedure_status, refill.refill_reason], [18, "名称不符"]);
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 1024, "no filing without 认证");

  // Sent back: WeChat takes a new submission.
  const reason = { key_name: "主体负责人", error: "证件过期", suggest: "更换证件" };
  env.sim.setIcpOutcome(mp.appId, {
    filing: { status: "rejected", by: "miit", audit_data: [reason] },
  });
  const second = await mp.submitAuthAndIcp({
    auth_data: AUTH_DATA,
    ...application(await verified(), "m"),
  });
  env.sim.advance(90 * MINUTE);
  const rejected = await mp.queryAuthAndIcp({ procedure_id: second.procedure_id });
  assert.equal(rejected.procedure_status, 25);
  assert.deepEqual(rejected.icp_audit?.audit_data, [reason]);
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 5);
  await rejects(mp.queryAuthAndIcp({ procedure_id: "no-such-procedure" }), 40097);
});

Deno.test("认证 and filing in one: withdrawing the filing ends the procedure (29)", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const { task_id } = await mp.createIcpVerifyTask({ along_with_auth: true });
  env.sim.advance(10 * MINUTE);
  const { procedure_id } = await mp.submitAuthAndIcp({
    auth_data: AUTH_DATA,
    ...application(task_id, "m"),
  });
  await rejects(mp.cancelApplyIcpFiling(), 86368); // nothing to withdraw during 认证
  env.sim.advance(30 * MINUTE);
  assert.equal((await mp.queryAuthAndIcp({ procedure_id })).procedure_status, 22);
  await mp.cancelApplyIcpFiling();
  env.sim.advance(30 * MINUTE);
  assert.equal((await mp.queryAuthAndIcp({ procedure_id })).procedure_status, 29);
  assert.equal((await mp.getIcpEntranceInfo()).info.status, 1024);
});

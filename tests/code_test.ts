/**
 * Mini-program code management through `client.authorizer(appid)` against the simulator: the
 * audit lifecycle end to end (commit → submit → the clock moves → the encrypted verdict push →
 * release → version info), WeChat's refusals with their errcodes, the platform's audit quota,
 * gray releases and reverts, the binary QR code and media uploads.
 *
 * Where WeChat's documentation disagrees with itself:
 * - `wxa/commit`'s `template_id` is a String in the 2.0 page and a number in the openApi page:
 *   the client sends what it is given (both are accepted by the simulator).
 * - `wxa/get_latest_auditstatus` lists `screenshot` in its field table but its example answers
 *   `ScreenShot`: the simulator sends both on a rejection, the schema accepts both.
 * - `wxa/queryquota` is the platform's quota, shared by all its mini programs (openApi page:
 *   "all Mini Program shares this amount"), although it is called with one authorizer's token.
 * - `wxa/undocodeaudit` documents only 87013 (its limit: "5 a day, 10 a month"; a forum reply
 *   quoting the error text says "once a day" and WeChat's staff answered 5): withdrawing an audit
 *   already decided got 87012 "forbid revert this version release" in a forum report, which the
 *   simulator follows.
 * - `wxa/speedupaudit`: the English page says `component_access_token` or
 *   `authorizer_access_token`, the Chinese pages only the latter; the client sends the latter.
 * - 85079 "miniprogram has no online release" (小程序没有线上版本，不能进行灰度) is what WeChat
 *   answers a gray release without an online version; `wxa/change_visitstatus` documents no
 *   refusal, and the simulator answers it 85079 too when nothing is online (its choice), as
 *   `wxa/revertgrayrelease` without a running plan gets 85020 (its choice, undocumented).
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import type { WeChatSimulatorOptions } from "../src/testing/mod.ts";
import { simulatedPlatform } from "./_platform.ts";

const APPID = "wx3cf0f39249000060";
const SECRET = "sim-component-secret-3f9a2b7c";
const TOKEN = "sim-message-token";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const HOUR = 3600_000;
const EXT_JSON = JSON.stringify({
  extAppid: "wx0000000000000000",
  ext: { shop: 1 },
  pages: ["pages/index/index", "pages/shop/list"],
});

async function setup(options: Partial<WeChatSimulatorOptions> = {}) {
  let clock = Date.parse("2026-03-10T08:00:00Z");
  const platform = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => clock,
    capturePushes: true,
    ...options,
  });
  return {
    sim: platform.sim,
    client: platform.client,
    authorize: (kind: "mini_program" | "official_account" = "mini_program", funcIds?: number[]) =>
      platform.authorize(kind, { funcIds }),
    events: platform.authorizerEvents,
    tick(ms: number) {
      clock += ms;
    },
  };
}

async function rejects(promise: Promise<unknown>, errcode: number): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof WeChatError, String(e));
    assert.equal(e.errcode, errcode);
    return true;
  });
}

const commitInput = {
  template_id: 12,
  ext_json: EXT_JSON,
  user_version: "1.0.0",
  user_desc: "first",
};

Deno.test("code: commit, audit, verdict pushed encrypted, release, version info", async () => {
  const env = await setup({ auditDelayMs: 2 * HOUR });
  const mp = await env.authorize();
  assert.deepEqual((await mp.commit(commitInput)).errcode, 0);
  const info = await mp.getVersionInfo();
  assert.equal(info.exp_info?.exp_version, "1.0.0");
  assert.equal(info.release_info, undefined);

  const before = await mp.queryQuota();
  const { auditid } = await mp.submitAudit({
    item_list: [{
      address: "pages/index/index",
      first_class: "生活服务",
      second_class: "丽人服务",
      first_id: 150,
      second_id: 627,
    }],
  });
  assert.ok(Number.isInteger(auditid) && auditid > 0);
  assert.equal((await mp.queryQuota()).rest, before.rest - 1);
  assert.equal((await mp.getAuditStatus({ auditid })).status, 2);
  assert.deepEqual(await env.events(), []);

  env.sim.advance(2 * HOUR - 1);
  assert.equal((await mp.getLatestAuditStatus()).status, 2);
  env.sim.advance(1);
  const pushed = await env.events();
  assert.equal(pushed.length, 1);
  assert.equal(pushed[0].path, `/wechat/authorizers/${mp.appId}/callback`);
  const event = pushed[0].message;
  assert.equal(event.MsgType, "event");
  assert.ok(event.MsgType === "event" && event.Event === "weapp_audit_success");
  assert.equal(event.SuccTime, String(Math.floor(env.sim.now() / 1000)));

  const latest = await mp.getLatestAuditStatus();
  assert.equal(latest.auditid, auditid);
  assert.equal(latest.status, 0);
  assert.equal(latest.user_version, "1.0.0");
  assert.equal((await mp.release()).errcode, 0);
  const online = await mp.getVersionInfo();
  assert.equal(online.release_info?.release_version, "1.0.0");
  assert.equal(online.release_info?.release_desc, "first");
  await rejects(mp.release(), 85052);
});

Deno.test("code: the audit ends on any later request when the clock just runs", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  await mp.submitAudit();
  env.tick(HOUR); // the injected clock moved, nobody called advance()
  assert.deepEqual(await env.events(), []);
  await mp.queryQuota(); // any request lets the simulator catch up
  const [pushed] = await env.events();
  assert.ok(pushed.message.MsgType === "event" && pushed.message.Event === "weapp_audit_success");
  assert.equal((await mp.getLatestAuditStatus()).status, 0);
});

Deno.test("code: a rejection is pushed with its reason and screenshots, and cannot be released", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  env.sim.setAuditOutcome(mp.appId, {
    status: "fail",
    reason: "页面内容不完整",
    screenshot: "m1|m2",
  });
  const { auditid } = await mp.submitAudit();
  env.sim.advance(HOUR);
  const [pushed] = await env.events();
  const event = pushed.message;
  assert.ok(event.MsgType === "event" && event.Event === "weapp_audit_fail");
  assert.equal(event.Reason, "页面内容不完整");
  assert.equal(event.ScreenShot, "m1|m2");
  assert.match(String(event.FailTime), /^\d+$/);
  const status = await mp.getAuditStatus({ auditid });
  assert.equal(status.status, 1);
  assert.equal(status.reason, "页面内容不完整");
  assert.equal(status.screenshot, "m1|m2");
  const latest = await mp.getLatestAuditStatus();
  assert.equal(latest.ScreenShot, "m1|m2");
  await rejects(mp.release(), 85020);
  // A rejected version may be submitted again at once (a new audit, a new id).
  const again = await mp.submitAudit({ feedback_info: "已补充页面内容" });
  assert.notEqual(again.auditid, auditid);
});

Deno.test("code: a delayed audit is pushed as delayed, then decided one delay later", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  env.sim.setAuditOutcome(mp.appId, { status: "delay", reason: "审核排队中" });
  const { auditid } = await mp.submitAudit();
  env.sim.advance(HOUR);
  const [delayed] = await env.events();
  assert.ok(delayed.message.MsgType === "event" && delayed.message.Event === "weapp_audit_delay");
  assert.equal(delayed.message.Reason, "审核排队中");
  const status = await mp.getAuditStatus({ auditid });
  assert.equal(status.status, 4);
  assert.equal(status.reason, "审核排队中");
  await rejects(mp.submitAudit(), 85009); // still in flight
  env.sim.advance(HOUR);
  const [passed] = await env.events();
  assert.ok(passed.message.MsgType === "event" && passed.message.Event === "weapp_audit_success");
});

Deno.test("code: refusals — no commit, second audit in flight, release before success or without audit", async () => {
  const env = await setup();
  const mp = await env.authorize();
  await rejects(mp.submitAudit(), 85086);
  await rejects(mp.release(), 85019);
  await rejects(mp.getLatestAuditStatus(), 85058);
  await rejects(mp.getAuditStatus({ auditid: 123 }), 85012);
  await mp.commit(commitInput);
  const { auditid } = await mp.submitAudit();
  await rejects(mp.submitAudit(), 85009);
  await rejects(mp.release(), 85020);
  assert.equal((await mp.getAuditStatus({ auditid })).status, 2);
  // item_list beyond 5, sent around the client's own check, is WeChat's 85023.
  const other = await env.authorize();
  await other.commit(commitInput);
  await rejects(
    other.call("/wxa/submit_audit", { item_list: [1, 2, 3, 4, 5, 6].map(() => ({})) }),
    85023,
  );
  assert.equal((await other.queryQuota()).rest, 19); // only the first audit counted
});

Deno.test("code: the platform's monthly audit quota is shared by its mini programs and resets", async () => {
  const env = await setup({ auditQuota: 2, auditDelayMs: HOUR });
  const a = await env.authorize();
  const b = await env.authorize();
  const c = await env.authorize();
  for (const mp of [a, b, c]) await mp.commit(commitInput);
  await a.submitAudit();
  await b.submitAudit();
  const quota = await c.queryQuota();
  assert.deepEqual(
    {
      rest: quota.rest,
      limit: quota.limit,
      speedup_rest: quota.speedup_rest,
      speedup_limit: quota.speedup_limit,
    },
    { rest: 0, limit: 2, speedup_rest: 1, speedup_limit: 1 },
  );
  await rejects(c.submitAudit(), 85085);
  env.sim.setAuditQuota({ audits: 3 }); // WeChat grants one more this month
  assert.equal((await c.queryQuota()).rest, 1);
  const granted = await c.submitAudit();
  await c.undoCodeAudit();
  await rejects(c.submitAudit(), 85085);
  assert.ok(granted.auditid > 0);
  env.sim.advance(31 * 24 * HOUR); // next month (China time)
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.equal((await c.queryQuota()).rest, 3);
  assert.ok((await c.submitAudit()).auditid > 0);
});

Deno.test("code: an Official Account gets 86000, a mini program without 权限集 18 gets 61007", async () => {
  const env = await setup();
  const oa = await env.authorize("official_account");
  await rejects(oa.commit(commitInput), 86000);
  await rejects(oa.queryQuota(), 86000);
  const bare = await env.authorize("mini_program", [17, 19]);
  await rejects(bare.commit(commitInput), 61007);
});

Deno.test("code: bad input is refused before any request", async () => {
  const env = await setup();
  const mp = await env.authorize();
  env.sim.resetCalls();
  assert.throws(() => mp.commit({ ...commitInput, ext_json: "{not json" }), TypeError);
  assert.throws(
    () => mp.commit({ ...commitInput, ext_json: { a: 1 } as unknown as string }),
    TypeError,
  );
  assert.throws(() => mp.commit({ ...commitInput, template_id: -1 }), TypeError);
  assert.throws(() => mp.commit({ ...commitInput, user_version: "v".repeat(65) }), RangeError);
  assert.throws(() => mp.submitAudit({ item_list: [] }), RangeError);
  assert.throws(() => mp.getAuditStatus({ auditid: 0 }), RangeError);
  assert.equal(env.sim.calls(/\/wxa\//), 0);
});

Deno.test("code: get_qrcode answers JPEG bytes, and WeChat's JSON error before any commit", async () => {
  const env = await setup();
  const mp = await env.authorize();
  await rejects(mp.getQrcode(), 86001);
  await mp.commit(commitInput);
  const jpeg = await mp.getQrcode({ path: "pages/shop/list?id=1" });
  assert.ok(jpeg instanceof Uint8Array);
  assert.deepEqual([...jpeg.slice(0, 2)], [0xff, 0xd8]);
  assert.deepEqual([...jpeg.slice(-2)], [0xff, 0xd9]);
  assert.match(new TextDecoder().decode(jpeg), /pages\/shop\/list\?id=1/); // the page asked for
});

Deno.test("code: get_category and get_page describe what an audit may name", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const { category_list } = await mp.getCategory();
  assert.ok(category_list.length > 0);
  for (const c of category_list) {
    assert.equal(typeof c.first_class, "string");
    assert.equal(typeof c.second_id, "number");
  }
  await rejects(mp.getPage(), 86001);
  await mp.commit(commitInput);
  assert.deepEqual((await mp.getPage()).page_list, ["pages/index/index", "pages/shop/list"]);
});

Deno.test("code: undocodeaudit withdraws (status 3, no verdict), 87012 without an audit, 5 a day", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  await rejects(mp.undoCodeAudit(), 87012);
  const { auditid } = await mp.submitAudit();
  assert.equal((await mp.undoCodeAudit()).errcode, 0);
  assert.equal((await mp.getAuditStatus({ auditid })).status, 3);
  env.sim.advance(HOUR);
  assert.deepEqual(await env.events(), []);
  assert.equal((await mp.getAuditStatus({ auditid })).status, 3);
  await rejects(mp.undoCodeAudit(), 87012);
  // The withdrawn audit spent its quota; four more withdrawals today, then 87013.
  for (let i = 0; i < 4; i++) {
    await mp.submitAudit();
    await mp.undoCodeAudit();
  }
  await mp.submitAudit();
  await rejects(mp.undoCodeAudit(), 87013);
  assert.equal((await mp.queryQuota()).rest, 20 - 6);
});

Deno.test("code: speedupaudit decides sooner, once per audit, within the monthly speed-up quota", async () => {
  const env = await setup({ auditDelayMs: 10 * HOUR });
  const mp = await env.authorize();
  const other = await env.authorize();
  await mp.commit(commitInput);
  await other.commit(commitInput);
  const { auditid } = await mp.submitAudit();
  assert.equal((await mp.speedupAudit({ auditid })).errcode, 0);
  await rejects(mp.speedupAudit({ auditid }), 89404);
  assert.equal((await mp.queryQuota()).speedup_rest, 0);
  const second = await other.submitAudit();
  await rejects(other.speedupAudit(second), 89405);
  env.sim.advance(HOUR); // a tenth of the delay
  const [pushed] = await env.events();
  assert.ok(pushed.message.MsgType === "event" && pushed.message.Event === "weapp_audit_success");
  assert.equal(pushed.path, `/wechat/authorizers/${mp.appId}/callback`);
  await rejects(mp.speedupAudit({ auditid }), 89402); // decided: no longer in the queue
  await rejects(mp.speedupAudit({ auditid: 1 }), 85012);
});

Deno.test("code: uploadmedia takes a multipart picture or video and answers its mediaid", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const picture = new File([new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9])], "home.jpg", {
    type: "image/jpeg",
  });
  const image = await mp.uploadMedia({ media: picture });
  assert.equal(image.type, "image");
  assert.match(image.mediaid, /^\w{16,}$/);
  const video = await mp.uploadMedia({
    media: new Blob([new Uint8Array(64)], { type: "video/mp4" }),
  });
  assert.equal(video.type, "video");
  assert.notEqual(video.mediaid, image.mediaid);
  await rejects(
    mp.uploadMedia({ media: new File(["hello"], "notes.txt", { type: "text/plain" }) }),
    40005,
  );
  const big = new Blob([new Uint8Array(2 * 1024 * 1024 + 1)], { type: "image/png" });
  await rejects(mp.uploadMedia({ media: big }), 40006);
  assert.throws(() => mp.uploadMedia({ media: new Blob([]) }), RangeError);
  // The media id goes into the audit's preview_info.
  await mp.commit(commitInput);
  assert.ok((await mp.submitAudit({ preview_info: { pic_id_list: [image.mediaid] } })).auditid > 0);
});

type Env = Awaited<ReturnType<typeof setup>>;
type MiniProgram = Awaited<ReturnType<Env["authorize"]>>;

/** Commits `version` on `mp`, has it pass its audit, and releases it unless told not to. */
async function ship(env: Env, mp: MiniProgram, version: string, release = true) {
  await mp.commit({ ...commitInput, user_version: version, user_desc: `desc ${version}` });
  await mp.submitAudit();
  env.sim.advance(HOUR);
  await env.events();
  if (release) await mp.release();
}

Deno.test("code: revertcoderelease lists the earlier releases and goes back to the previous one once", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await rejects(mp.revertCodeRelease(), 87012); // nothing online
  await ship(env, mp, "1.0.0");
  await rejects(mp.revertCodeRelease(), 87012); // no previous release
  await ship(env, mp, "1.1.0");
  const history = await mp.revertCodeRelease({ action: "get_history_version" });
  assert.deepEqual(history.version_list?.map((v) => v.user_version), ["1.0.0"]);
  assert.equal((await mp.getVersionInfo()).release_info?.release_version, "1.1.0");
  assert.equal((await mp.revertCodeRelease()).errcode, 0);
  assert.equal((await mp.getVersionInfo()).release_info?.release_version, "1.0.0");
  await rejects(mp.revertCodeRelease(), 87012); // a reverted version cannot be reverted
});

Deno.test("code: gray release after a first full release, raised, reverted, then released fully", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await ship(env, mp, "1.0.0", false);
  await rejects(mp.grayRelease({ gray_percentage: 10 }), 85079); // nothing online yet
  await mp.release();
  assert.equal((await mp.getGrayReleasePlan()).gray_release_plan.status, 0);
  await ship(env, mp, "2.0.0", false);
  assert.equal(
    (await mp.grayRelease({ gray_percentage: 10, support_debuger_first: true })).errcode,
    0,
  );
  let plan = (await mp.getGrayReleasePlan()).gray_release_plan;
  assert.equal(plan.status, 1);
  assert.equal(plan.gray_percentage, 10);
  assert.equal(plan.support_debuger_first, true);
  assert.equal(plan.create_timestamp, Math.floor(env.sim.now() / 1000));
  await mp.grayRelease({ gray_percentage: 50 });
  assert.equal((await mp.getGrayReleasePlan()).gray_release_plan.gray_percentage, 50);
  await rejects(mp.revertCodeRelease(), 87011); // not while a gray release runs
  assert.equal((await mp.getVersionInfo()).release_info?.release_version, "1.0.0");
  await mp.revertGrayRelease();
  assert.equal((await mp.getGrayReleasePlan()).gray_release_plan.status, 4);
  await mp.grayRelease({ gray_percentage: 20 });
  await mp.release();
  plan = (await mp.getGrayReleasePlan()).gray_release_plan;
  assert.equal(plan.status, 3);
  assert.equal((await mp.getVersionInfo()).release_info?.release_version, "2.0.0");
  assert.throws(() => mp.grayRelease({ gray_percentage: 0 }), RangeError);
});

Deno.test("code: change_visitstatus closes and reopens the online version", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await rejects(mp.changeVisitStatus({ action: "close" }), 85079);
  await ship(env, mp, "1.0.0");
  assert.equal((await mp.changeVisitStatus({ action: "close" })).errcode, 0);
  assert.equal((await mp.changeVisitStatus({ action: "open" })).errcode, 0);
  assert.throws(() => mp.changeVisitStatus({ action: "hide" as "open" }), TypeError);
});

Deno.test("code: the lowest base library version is read and set", async () => {
  const env = await setup();
  const mp = await env.authorize();
  const before = await mp.getWeappSupportVersion();
  assert.match(before.now_version, /^\d+\.\d+\.\d+$/);
  assert.ok(before.uv_info.items.length > 0);
  await mp.setWeappSupportVersion({ version: "2.25.3" });
  assert.equal((await mp.getWeappSupportVersion()).now_version, "2.25.3");
  assert.throws(() => mp.setWeappSupportVersion({ version: "latest" }), TypeError);
});

Deno.test("code: an answer lost after submit_audit leaves the audit in flight (85009 on retry)", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  env.sim.inject({ path: "submit_audit", drop: "after" });
  await assert.rejects(mp.submitAudit());
  await rejects(mp.submitAudit(), 85009);
  const latest = await mp.getLatestAuditStatus();
  assert.equal(latest.status, 2);
  assert.equal((await mp.queryQuota()).rest, 19); // the lost submission spent its quota
  env.sim.inject({ path: "release", status: 502 });
  env.sim.advance(HOUR);
  await assert.rejects(mp.release());
  assert.equal((await mp.getVersionInfo()).release_info, undefined);
  await mp.release();
  assert.equal((await mp.getVersionInfo()).release_info?.release_version, "1.0.0");
});

Deno.test("code: once the platform keeps templates, commit takes only a library template's id", async () => {
  const { sim, client, authorize } = await setup();
  const mp = await authorize();
  // Before any template exists every id is accepted (the simulator's compatibility rule).
  await mp.commit(commitInput);
  const draft_id = sim.addTemplateDraft({ user_version: "2.0.0", user_desc: "second" });
  await client.addToTemplate({ draft_id });
  const [template] = (await client.getTemplateList()).template_list;
  await rejects(mp.commit({ ...commitInput, template_id: template.template_id + 1000 }), 85014);
  await mp.commit({ ...commitInput, template_id: template.template_id, user_version: "2.0.0" });
});

Deno.test("code: audits submitted at different times are each decided once, when their time comes", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mps = [await env.authorize(), await env.authorize(), await env.authorize()];
  for (const mp of mps) {
    await mp.commit(commitInput);
    await mp.submitAudit();
    env.sim.advance(10 * 60_000);
  }
  // 30 minutes after the first submission: none decided; at 65 minutes only the first.
  assert.deepEqual(await env.events(), []);
  env.sim.advance(35 * 60_000);
  let pushed = await env.events();
  assert.deepEqual(pushed.map((p) => p.path), [`/wechat/authorizers/${mps[0].appId}/callback`]);
  env.sim.advance(20 * 60_000);
  pushed = await env.events();
  assert.deepEqual(pushed.map((p) => p.path), [
    `/wechat/authorizers/${mps[1].appId}/callback`,
    `/wechat/authorizers/${mps[2].appId}/callback`,
  ]);
  env.sim.advance(24 * HOUR);
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.deepEqual(await env.events(), []);
  for (const mp of mps) assert.equal((await mp.getLatestAuditStatus()).status, 0);
});

Deno.test("code: a verdict without its push (WeChat's missed push) is only seen by asking", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  env.sim.setAuditOutcome(mp.appId, { status: "fail", reason: "类目不符", push: false });
  const { auditid } = await mp.submitAudit();
  env.sim.advance(HOUR);
  assert.deepEqual(await env.events(), []);
  const status = await mp.getAuditStatus({ auditid });
  assert.equal(status.status, 1);
  assert.equal(status.reason, "类目不符");
  const [audit] = env.sim.audits(mp.appId);
  assert.equal(audit.auditid, auditid);
  assert.equal(audit.status, 1);
  assert.equal(audit.userVersion, "1.0.0");
  assert.equal(audit.released, false);
  assert.throws(() => env.sim.setAuditOutcome(mp.appId, "maybe" as "success"), TypeError);
});

Deno.test("code: the audit ends on a request that fails too (WeChat's time runs regardless)", async () => {
  const env = await setup({ auditDelayMs: HOUR });
  const mp = await env.authorize();
  await mp.commit(commitInput);
  await mp.submitAudit();
  env.tick(HOUR);
  env.sim.inject({ path: "queryquota", status: 503 });
  await assert.rejects(mp.queryQuota());
  const [pushed] = await env.events();
  assert.ok(pushed.message.MsgType === "event" && pushed.message.Event === "weapp_audit_success");
});

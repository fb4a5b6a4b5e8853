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
 * - `wxa/undocodeaudit` without an audit under review is undocumented (a forum answer says WeChat
 *   answered ok and called that a bug): the simulator refuses with 85020 (status not allowed).
 * - `wxa/change_visitstatus` documents no refusal; the simulator answers 85079 when nothing is
 *   online, and `wxa/revertgrayrelease` without a running plan 85020: both are the simulator's
 *   choices, not WeChat's documented codes.
 */

import assert from "node:assert/strict";
import { ComponentClient, MemoryStore, WeChatError } from "../mod.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseMessage } from "../src/events/mod.ts";
import { WeChatSimulator, type WeChatSimulatorOptions } from "../src/testing/mod.ts";

const APPID = "wx3cf0f39249000060";
const SECRET = "sim-component-secret-3f9a2b7c";
const TOKEN = "sim-message-token";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const MESSAGE_URL = "https://platform.example/wechat/authorizers/$APPID$/callback";
const HOUR = 3600_000;
const EXT_JSON = JSON.stringify({
  extAppid: "wx0000000000000000",
  ext: { shop: 1 },
  pages: ["pages/index/index", "pages/shop/list"],
});

async function setup(options: Partial<WeChatSimulatorOptions> = {}) {
  let clock = Date.parse("2026-03-10T08:00:00Z");
  const pushes: Request[] = [];
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => clock,
    events: {
      url: "https://platform.example/wechat/component/events",
      messageUrl: MESSAGE_URL,
      fetch: (request) => {
        pushes.push(request);
        return Promise.resolve(new Response("success"));
      },
    },
    ...options,
  });
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store: new MemoryStore({ now: () => sim.now() }),
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  await client.acceptTicket(sim.issueTicket());
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  async function authorize(
    kind: "mini_program" | "official_account" = "mini_program",
    funcIds?: number[],
  ) {
    const auth = await sim.authorizeAccount({ kind, funcIds });
    await client.queryAuth(auth.authCode);
    return client.authorizer(auth.appId);
  }
  /** The authorizer events delivered so far, decrypted and parsed. */
  async function events() {
    await sim.settled();
    const out = [];
    for (const request of pushes.splice(0)) {
      const url = new URL(request.url);
      if (!url.pathname.startsWith("/wechat/authorizers/")) continue;
      const xml = await crypto.open(await request.text(), {
        msg_signature: url.searchParams.get("msg_signature")!,
        timestamp: url.searchParams.get("timestamp")!,
        nonce: url.searchParams.get("nonce")!,
      });
      out.push({ path: url.pathname, message: parseMessage(xml) });
    }
    return out;
  }
  return {
    sim,
    client,
    authorize,
    events,
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
  env.sim.advance(31 * 24 * HOUR); // next month (China time)
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.equal((await c.queryQuota()).rest, 2);
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

/**
 * Fast registration of Mini Programs through the client against the simulator, with automatic
 * onboarding: when `notify_third_fasteregister` arrives with status 0, applying it
 * (`handleComponentEvent`) exchanges its `auth_code`, so the new Mini Program is an authorizer
 * like any other (record, refresh token, working access token).
 */

import assert from "node:assert/strict";
import { isComponentEvent, parseComponentEvent } from "../src/events/mod.ts";
import { authorized, type Env, errcode, platform, type Pushed } from "./_onboard_env.ts";

const ENTERPRISE = {
  name: "模拟科技有限公司",
  code: "91440300MA5XXXXXXX",
  code_type: 1 as const,
  legal_persona_wechat: "legal_wx_01",
  legal_persona_name: "张三",
  component_phone: "400-000-0000",
};

/** Applies every push to the platform's client, as its event URL would. */
async function apply(push: Pushed, env: Env): Promise<void> {
  if (push.to !== "component") return;
  const event = parseComponentEvent(push.xml);
  outcomes.push({ infoType: event.InfoType, ...(await env.client.handleComponentEvent(event)) });
}
const outcomes: { infoType: string; action: string; authorizerAppId?: string }[] = [];

async function onboarded(env: Env, appid: string): Promise<void> {
  const record = await env.client.getAuthorizer(appid);
  assert.equal(record?.status, "authorized");
  // Its token works on WeChat: the new Mini Program is managed like any authorizer.
  const cached = await env.client.cachedAuthorizerAccessToken(appid);
  assert.equal(cached?.token, env.sim.currentAccessToken(appid));
  await env.client.authorizer(appid).getPrivacySetting();
}

Deno.test("enterprise registration: pushed when the legal person confirmed, onboarded automatically", async () => {
  outcomes.length = 0;
  const env = await platform({ reviewDelaySeconds: 600, onPush: apply });
  await env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE });
  const search = {
    action: "search" as const,
    name: ENTERPRISE.name,
    legal_persona_wechat: ENTERPRISE.legal_persona_wechat,
    legal_persona_name: ENTERPRISE.legal_persona_name,
  };
  assert.equal(await errcode(env.client.fastRegisterWeapp(search)), 89251);
  // The same task twice while it runs: 89249.
  assert.equal(
    await errcode(env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE })),
    89249,
  );
  assert.equal(env.pushed.length, 0);
  env.advance(600_000);
  await env.sim.settled();
  const push = env.pushed.map((p) => parseComponentEvent(p.xml))
    .find((e) => e.InfoType === "notify_third_fasteregister")!;
  assert.ok(isComponentEvent(push, "notify_third_fasteregister"));
  assert.equal(push.status, "0");
  assert.match(push.auth_code ?? "", /^queryauthcode@@@/);
  assert.equal(push.info.name, ENTERPRISE.name);
  assert.equal(push.info.legal_persona_wechat, ENTERPRISE.legal_persona_wechat);
  const appid = push.appid!;
  assert.deepEqual(outcomes, [
    { infoType: "notify_third_fasteregister", action: "authorized", authorizerAppId: appid },
  ]);
  await onboarded(env, appid);
  await env.client.fastRegisterWeapp(search);
  // The same push again (WeChat retries) is a duplicate, not a second exchange.
  const again = await env.client.handleComponentEvent(push);
  assert.equal(again.action, "duplicate");
});

Deno.test("a failed registration is pushed with its status and onboards nothing", async () => {
  outcomes.length = 0;
  const env = await platform({ reviewDelaySeconds: 0, onPush: apply });
  env.sim.failNextFastRegistration({ status: 100001, msg: "法人未确认" });
  await env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE });
  await env.sim.settled();
  const event = parseComponentEvent(env.pushed[0].xml);
  assert.ok(isComponentEvent(event, "notify_third_fasteregister"));
  assert.equal(event.status, "100001");
  assert.equal(event.auth_code, undefined);
  assert.deepEqual(outcomes, [{ infoType: "notify_third_fasteregister", action: "ignored" }]);
  assert.equal((await env.client.listAuthorizers()).authorizers.length, 0);
  assert.equal(
    await errcode(env.client.fastRegisterWeapp({
      action: "search",
      name: ENTERPRISE.name,
      legal_persona_wechat: ENTERPRISE.legal_persona_wechat,
      legal_persona_name: ENTERPRISE.legal_persona_name,
    })),
    100001,
  );
});

Deno.test("fastRegisterWeapp refusals: input checked before any call, WeChat's errcodes after", async () => {
  const env = await platform();
  const calls = env.sim.calls("fastregisterweapp");
  assert.throws(
    () => env.client.fastRegisterWeapp({ ...ENTERPRISE, action: "delete" } as never),
    TypeError,
  );
  assert.throws(
    () => env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE, code_type: 4 as never }),
    TypeError,
  );
  assert.throws(
    () => env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE, name: "" }),
    TypeError,
  );
  assert.equal(env.sim.calls("fastregisterweapp"), calls);
  assert.equal(
    await errcode(env.client.fastRegisterWeapp({ action: "create", ...ENTERPRISE, code: "123" })),
    89255,
  );
  assert.equal(
    await errcode(env.client.fastRegisterWeapp({
      action: "create",
      ...ENTERPRISE,
      legal_persona_wechat: "1bad",
    })),
    86004,
  );
  assert.equal(
    await errcode(env.client.fastRegisterWeapp({
      action: "search",
      name: "无此企业",
      legal_persona_wechat: "legal_wx_01",
      legal_persona_name: "张三",
    })),
    89250,
  );
});

Deno.test("personal registration: a task to query, then onboarded from its push", async () => {
  outcomes.length = 0;
  const env = await platform({ reviewDelaySeconds: 60, onPush: apply });
  const task = await env.client.fastRegisterPersonalWeapp({
    action: "create",
    idname: "李四",
    wxuser: "lisi_wx_99",
  });
  assert.equal(task.status, 0);
  assert.match(task.authorize_url ?? "", /^https:\/\/mp\.weixin\.qq\.com\//);
  const taskid = task.taskid!;
  assert.equal((await env.client.fastRegisterPersonalWeapp({ action: "query", taskid })).status, 0);
  env.advance(60_000);
  await env.sim.settled();
  assert.equal(
    (await env.client.fastRegisterPersonalWeapp({ action: "query", taskid })).status,
    12,
  );
  const event = parseComponentEvent(env.pushed[0].xml);
  assert.ok(isComponentEvent(event, "notify_third_fasteregister"));
  assert.equal(event.taskid, taskid);
  assert.equal(event.info.wxuser, "lisi_wx_99");
  assert.equal(outcomes[0].action, "authorized");
  await onboarded(env, event.appid!);
  assert.equal(
    await errcode(env.client.fastRegisterPersonalWeapp({ action: "query", taskid: "nope" })),
    89250,
  );
});

Deno.test("trial Mini Program: created, authorized, verified and renamed", async () => {
  outcomes.length = 0;
  const env = await platform({ reviewDelaySeconds: 0, onPush: apply });
  const beta = await env.client.fastRegisterBetaWeapp({ name: "小麦烤鸡店", openid: "oUser123" });
  assert.match(beta.authorize_url, /fastregistertpbeta/);
  await env.sim.settled();
  const events = env.pushed.map((p) => parseComponentEvent(p.xml));
  const created = events.find((e) => e.InfoType === "notify_third_fastregisterbetaapp")!;
  assert.ok(isComponentEvent(created, "notify_third_fastregisterbetaapp"));
  assert.equal(created.info.unique_id, beta.unique_id);
  const appid = created.appid!;
  assert.deepEqual(outcomes.map((o) => [o.infoType, o.action]), [
    ["notify_third_fastregisterbetaapp", "ignored"],
    ["authorized", "authorized"],
  ]);
  await onboarded(env, appid);
  assert.equal(env.sim.account(appid)?.nickName, "小麦烤鸡店的体验小程序");
  const app = env.client.authorizer(appid);
  await app.setBetaWeappNickname({ name: "小麦烤鸡旗舰店" });
  assert.equal(env.sim.account(appid)?.nickName, "小麦烤鸡旗舰店");
  await app.verifyBetaWeapp({
    verify_info: {
      enterprise_name: ENTERPRISE.name,
      code: ENTERPRISE.code,
      code_type: 1,
      legal_persona_wechat: ENTERPRISE.legal_persona_wechat,
      legal_persona_name: ENTERPRISE.legal_persona_name,
    },
  });
  await env.sim.settled();
  const verified = parseComponentEvent(env.pushed.at(-1)!.xml);
  assert.ok(isComponentEvent(verified, "notify_third_fastverifybetaapp"));
  assert.equal(verified.status, "0");
  assert.equal(verified.appid, appid);
  // Only trial apps have these.
  const other = env.client.authorizer(await authorized(env, "mini_program"));
  assert.equal(await errcode(other.setBetaWeappNickname({ name: "随便一个名字" })), 48001);
  assert.throws(
    () => env.client.fastRegisterBetaWeapp({ name: "短", openid: "oUser123" }),
    RangeError,
  );
});

Deno.test("an Official Account's subject reused: the ticket gives a Mini Program to exchange", async () => {
  const env = await platform();
  const oaId = await authorized(env, "official_account");
  const oa = env.client.authorizer(oaId);
  const ticket = env.sim.fastRegisterTicket(oaId);
  const made = await oa.fastRegister({ ticket });
  assert.equal(made.is_wx_verify_succ, true);
  assert.equal(made.is_link_succ, true);
  const auth = await env.client.queryAuth(made.authorization_code);
  assert.equal(auth.authorization_info.authorizer_appid, made.appid);
  await onboarded(env, made.appid);
  // Single-use, and only for the account it was given to.
  assert.equal(await errcode(oa.fastRegister({ ticket })), 40097);
  const mp = env.client.authorizer(made.appid);
  assert.equal(await errcode(mp.fastRegister({ ticket: env.sim.fastRegisterTicket(oaId) })), 48001);
  assert.throws(() => oa.fastRegister({ ticket: "" }), TypeError);
});

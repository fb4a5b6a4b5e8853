/**
 * An Official Account's followers (`cgi-bin/user/get`, `user/info`, `user/info/batchget`)
 * through the client against the simulator, and an unknown path answering WeChat's JSON.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { authorized, errcode, platform } from "./_onboard_env.ts";

Deno.test("users: an Official Account starts with a few followers, its default user first", async () => {
  const env = await platform();
  const appId = await authorized(env, "official_account");
  const oa = env.client.authorizer(appId);
  const list = await oa.getUserList();
  assert.equal(list.total, 3);
  assert.equal(list.count, 3);
  assert.equal(list.data?.openid[0], env.sim.account(appId)?.openid);
  assert.equal(list.next_openid, list.data?.openid[2]);
  const after = await oa.getUserList({ next_openid: list.next_openid });
  assert.deepEqual(
    { total: after.total, count: after.count, data: after.data, next: after.next_openid },
    { total: 3, count: 0, data: undefined, next: "" },
  );
});

Deno.test("users: user/get pages by 10,000 with next_openid; an unknown next_openid is 40003", async () => {
  const env = await platform();
  const appId = await authorized(env, "official_account");
  const oa = env.client.authorizer(appId);
  const added = env.sim.addFollowers(appId, 12_000);
  assert.equal(added.length, 12_000);
  const first = await oa.getUserList();
  assert.deepEqual([first.total, first.count], [12_003, 10_000]);
  const second = await oa.getUserList({ next_openid: first.next_openid });
  assert.deepEqual([second.total, second.count], [12_003, 2_003]);
  assert.equal(second.data?.openid.at(-1), added.at(-1));
  const all = new Set([...first.data!.openid, ...second.data!.openid]);
  assert.equal(all.size, 12_003);
  const end = await oa.getUserList({ next_openid: second.next_openid });
  assert.deepEqual([end.count, end.next_openid], [0, ""]);
  assert.equal(await errcode(oa.getUserList({ next_openid: "o_not_a_follower" })), 40003);
});

Deno.test("users: user/info and batchget answer followers, refuse others and bad input", async () => {
  const env = await platform();
  const appId = await authorized(env, "official_account");
  const oa = env.client.authorizer(appId);
  const [mine] = env.sim.addFollowers(appId, { openids: ["o_follower_from_test"] });
  const info = await oa.getUserInfo({ openid: mine, lang: "en" });
  assert.equal(info.subscribe, 1);
  assert.equal(info.openid, mine);
  assert.equal(typeof info.subscribe_time, "number");
  assert.equal(await errcode(oa.getUserInfo({ openid: "o_stranger" })), 40003);
  // Another account's follower is not this one's.
  const other = await authorized(env, "official_account");
  const [theirs] = env.sim.addFollowers(other, 1);
  assert.equal(await errcode(oa.getUserInfo({ openid: theirs })), 40003);

  const { data } = await oa.getUserList();
  const batch = await oa.batchGetUserInfo({
    user_list: data!.openid.map((openid) => ({ openid, lang: "zh_CN" as const })),
  });
  assert.deepEqual(batch.user_info_list.map((u) => u.openid), data!.openid);
  assert.equal(await errcode(oa.batchGetUserInfo({ user_list: [{ openid: theirs }] })), 40003);

  // Checked before anything is sent.
  const before = env.sim.calls("/cgi-bin/user/info");
  assert.throws(() => oa.getUserInfo({ openid: "" }), TypeError);
  // @ts-expect-error: a language WeChat does not have
  assert.throws(() => oa.getUserInfo({ openid: mine, lang: "fr" }), TypeError);
  assert.throws(() => oa.batchGetUserInfo({ user_list: [] }), TypeError);
  const many = Array.from({ length: 101 }, () => ({ openid: mine }));
  assert.throws(() => oa.batchGetUserInfo({ user_list: many }), TypeError);
  assert.equal(env.sim.calls("/cgi-bin/user/info"), before);
});

Deno.test("users: a mini program's token is refused (48001); addFollowers is for Official Accounts", async () => {
  const env = await platform();
  const appId = await authorized(env, "mini_program");
  const mp = env.client.authorizer(appId);
  const err = await mp.getUserList().catch((e) => e);
  assert.ok(err instanceof WeChatError);
  assert.equal(err.errcode, 48001);
  assert.equal(await errcode(mp.getUserInfo({ openid: "o_any" })), 48001);
  assert.equal(await errcode(mp.batchGetUserInfo({ user_list: [{ openid: "o_any" }] })), 48001);
  assert.throws(() => env.sim.addFollowers(appId, 1), TypeError);
  assert.throws(() => env.sim.addFollowers("wx0000000000000000", 1), RangeError);
});

Deno.test("an API the simulator does not serve is WeChat's 40066 JSON, raised as WeChatError", async () => {
  const env = await platform();
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  const err = await oa.call("/cgi-bin/no_such/api", {}).catch((e) => e);
  assert.ok(err instanceof WeChatError, String(err));
  assert.equal(err.errcode, 40066);
});

Deno.test("fetch (the proxy's core) refuses the template library and wxa/component/* on an authorizer's token", async () => {
  const env = await platform();
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  const before = env.sim.calls();
  for (
    const path of [
      "/wxa/gettemplatelist",
      "/wxa/addtotemplate",
      "/wxa/component/fastregisterbetaweapp",
    ]
  ) {
    await assert.rejects(oa.fetch(path, { method: "POST", body: "{}" }), /component API/, path);
  }
  assert.equal(env.sim.calls() - before, 0, "nothing was sent");
  // Authorizer APIs next to them still pass.
  assert.equal((await oa.getUserList()).total, 3);
});

/**
 * Open accounts (`cgi-bin/open/*`) and diagnostics (`cgi-bin/openapi/quota/get`,
 * `cgi-bin/openapi/rid/get`) through the client against the simulator.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { authorized, errcode, platform } from "./_onboard_env.ts";

// ---- open account -----------------------------------------------------------------------------

Deno.test("open accounts: create binds the creator, same-subject accounts bind, unbind and get", async () => {
  const env = await platform();
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  const mp = env.client.authorizer(await authorized(env, "mini_program"));
  assert.deepEqual(
    { have: (await oa.haveOpenAccount()).have_open, get: await errcode(oa.getOpenAccount()) },
    { have: false, get: 89002 },
  );
  const { open_appid } = await oa.createOpenAccount();
  assert.match(open_appid, /^wx[0-9a-f]{16}$/);
  assert.equal((await oa.getOpenAccount()).open_appid, open_appid);
  assert.equal((await oa.haveOpenAccount()).have_open, true);
  // Bound already: a second account cannot be created for it, nor can it bind elsewhere.
  assert.equal(await errcode(oa.createOpenAccount()), 89000);
  await mp.bindOpenAccount({ open_appid });
  assert.equal((await mp.getOpenAccount()).open_appid, open_appid);
  assert.equal(await errcode(mp.bindOpenAccount({ open_appid })), 89000);
  await mp.unbindOpenAccount({ open_appid });
  assert.equal(await errcode(mp.getOpenAccount()), 89002);
  assert.equal(await errcode(mp.unbindOpenAccount({ open_appid })), 89002);
  // appid, when given, must be the token's account; an unknown open account is 40013.
  assert.equal(await errcode(mp.getOpenAccount({ appid: oa.appId })), 40013);
  assert.equal(await errcode(mp.bindOpenAccount({ open_appid: "wx0000000000000000" })), 40013);
  assert.throws(() => mp.bindOpenAccount({ open_appid: "" }), TypeError);
});

Deno.test("open accounts: another subject is refused (89001); 5 Mini Programs at most unverified (89004)", async () => {
  const env = await platform();
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  const { open_appid } = await oa.createOpenAccount();
  const { authCode, appId } = await env.sim.authorizeAccount({
    kind: "mini_program",
    principalName: "另一家公司",
  });
  await env.client.queryAuth(authCode);
  assert.equal(await errcode(env.client.authorizer(appId).bindOpenAccount({ open_appid })), 89001);
  for (let i = 0; i < 5; i++) {
    await env.client.authorizer(await authorized(env, "mini_program")).bindOpenAccount({
      open_appid,
    });
  }
  const sixth = env.client.authorizer(await authorized(env, "mini_program"));
  assert.equal(await errcode(sixth.bindOpenAccount({ open_appid })), 89004);
  assert.equal((await sixth.haveOpenAccount()).have_open, false);
});

// ---- diagnostics ----------------------------------------------------------------------------

Deno.test("getRidInfo tells the request behind a failed call's rid, to its account only", async () => {
  const env = await platform();
  const oa = await authorized(env, "official_account");
  const other = await authorized(env, "official_account");
  const failed = await env.client.authorizer(oa).setAuthorizerOption({
    option_name: "location_report",
    option_value: "7",
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(failed instanceof WeChatError && failed.errcode === 61013);
  assert.ok(failed.rid);
  const info = await env.client.authorizer(oa).getRidInfo({ rid: failed.rid });
  assert.match(info.request.request_body ?? "", /"option_value":"7"/);
  assert.match(info.request.response_body ?? "", new RegExp(`61013.*rid: ${failed.rid}`));
  assert.equal(info.request.invoke_time, Math.floor(env.sim.now() / 1000));
  // The token is shortened, never told whole.
  const token = env.sim.currentAccessToken(oa)!;
  assert.ok(!info.request.request_url?.includes(token));
  assert.match(info.request.request_url ?? "", /^access_token=.{7}xxxx$/);
  // Another account may not read it; unknown and malformed rids are refused.
  assert.equal(await errcode(env.client.authorizer(other).getRidInfo({ rid: failed.rid })), 76003);
  assert.equal(
    await errcode(env.client.authorizer(oa).getRidInfo({ rid: "00000000-00000000-00000000" })),
    76001,
  );
  assert.throws(() => env.client.authorizer(oa).getRidInfo({ rid: "nope" }), TypeError);
  // WeChat keeps a rid 7 days.
  env.advance(7 * 86_400_000 + 1000);
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.equal(await errcode(env.client.authorizer(oa).getRidInfo({ rid: failed.rid })), 76001);
});

Deno.test("getApiQuota counts the account's calls of one API today", async () => {
  const env = await platform();
  const oa = await authorized(env, "official_account");
  const merchant = env.client.authorizer(oa);
  const before = await merchant.getApiQuota({
    cgi_path: "/cgi-bin/component/get_authorizer_option",
  });
  await merchant.getAuthorizerOption({ option_name: "voice_recognize" });
  const after = await merchant.getApiQuota({
    cgi_path: "/cgi-bin/component/get_authorizer_option",
  });
  assert.equal(after.quota.used, before.quota.used + 1);
  assert.equal(after.quota.remain, after.quota.daily_limit - after.quota.used);
  assert.throws(() => merchant.getApiQuota({ cgi_path: "cgi-bin/x" }), TypeError);
});

Deno.test("the platform's own quota and failed calls, with the component token", async () => {
  const env = await platform();
  const path = "/cgi-bin/component/api_get_authorizer_info";
  const before = await env.client.getApiQuota({ cgi_path: path });
  const failed = await env.client.getAuthorizerInfo("wx0000000000000000").then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(failed instanceof WeChatError && failed.errcode === 61003 && failed.rid);
  const after = await env.client.getApiQuota({ cgi_path: path });
  assert.equal(after.quota.used, before.quota.used + 1);
  const info = await env.client.getRidInfo({ rid: failed.rid });
  assert.match(info.request.request_body ?? "", /wx0000000000000000/);
  assert.match(info.request.request_url ?? "", /^component_access_token=.{7}xxxx$/);
  // An authorizer cannot read the platform's rid.
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  assert.equal(await errcode(oa.getRidInfo({ rid: failed.rid })), 76003);
});

Deno.test("an injected errcode's rid is remembered as a real failure's", async () => {
  const env = await platform();
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  env.sim.inject({ path: "get_authorizer_option", errcode: 48001 });
  const failed = await oa.getAuthorizerOption({ option_name: "voice_recognize" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(failed instanceof WeChatError && failed.errcode === 48001 && failed.rid);
  const info = await oa.getRidInfo({ rid: failed.rid });
  assert.match(info.request.response_body ?? "", /48001/);
  assert.match(info.request.request_body ?? "", /voice_recognize/);
});

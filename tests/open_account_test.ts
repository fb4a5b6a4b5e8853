/**
 * Open accounts (`cgi-bin/open/*`) and diagnostics (`cgi-bin/openapi/quota/get`,
 * `cgi-bin/openapi/rid/get`) through the client against the simulator.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { authorized, errcode, platform } from "./_onboard_env.ts";

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

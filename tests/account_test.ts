/**
 * A mini program's testers, basic info and categories through the client against the
 * simulator: stored and read back, WeChat's refusals leave everything as it was, bad input is
 * refused before any request.
 */

import assert from "node:assert/strict";
import { ComponentClient, MemoryStore, WeChatError } from "../mod.ts";
import { WeChatSimulator } from "../src/testing/mod.ts";

const APPID = "wx3cf0f39249000063";
const SECRET = "sim-component-secret-account";

async function setup(options: { verifyTypeId?: number } = {}) {
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    now: () => Date.parse("2026-03-01T08:00:00Z"),
  });
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store: new MemoryStore({ now: () => sim.now() }),
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  await client.acceptTicket(sim.issueTicket());
  const authorize = async (
    kind: "mini_program" | "official_account",
    verifyTypeId = options.verifyTypeId,
  ) => {
    const pre = await client.createPreAuthCode();
    const auth = await sim.authorizeAccount({ kind, preAuthCode: pre.pre_auth_code, verifyTypeId });
    await client.queryAuth(auth.authCode);
    return client.authorizer(auth.appId);
  };
  return { sim, client, mp: await authorize("mini_program"), authorize };
}

async function rejects(promise: Promise<unknown>, errcode: number): Promise<void> {
  await assert.rejects(promise, (e) => e instanceof WeChatError && e.errcode === errcode);
}

// ---- testers ------------------------------------------------------------------------------------

Deno.test("testers: bound by WeChat id, listed by userstr, unbound by either", async () => {
  const { mp } = await setup();
  assert.deepEqual((await mp.memberAuth()).members, []);
  const a = await mp.bindTester({ wechatid: "alice_2026" });
  const b = await mp.bindTester({ wechatid: "bob-tester" });
  assert.match(a.userstr, /^[0-9a-f]{64}$/);
  assert.notEqual(a.userstr, b.userstr);
  assert.deepEqual(
    (await mp.memberAuth({ action: "get_experiencer" })).members.map((m) => m.userstr).sort(),
    [a.userstr, b.userstr].sort(),
  );
  await mp.unbindTester({ wechatid: "alice_2026" });
  await mp.unbindTester({ userstr: b.userstr });
  assert.deepEqual((await mp.memberAuth()).members, []);
  await rejects(mp.unbindTester({ userstr: b.userstr }), 85001);
});

Deno.test("testers: WeChat's refusals (85001, 85004, 85002, 85003) change nothing", async () => {
  const { mp, authorize } = await setup({ verifyTypeId: -1 });
  await rejects(mp.bindTester({ wechatid: "1nvalid" }), 85001);
  await mp.bindTester({ wechatid: "carol_test" });
  await rejects(mp.bindTester({ wechatid: "carol_test" }), 85004);
  for (let i = 1; i < 15; i++) await mp.bindTester({ wechatid: `tester_${i}` });
  await rejects(mp.bindTester({ wechatid: "one_too_many" }), 85002);
  assert.equal((await mp.memberAuth()).members.length, 15);
  // One user tests at most 50 mini programs.
  for (let i = 0; i < 49; i++) {
    await (await authorize("mini_program", 0)).bindTester({ wechatid: "carol_test" });
  }
  await rejects((await authorize("mini_program", 0)).bindTester({ wechatid: "carol_test" }), 85003);
});

Deno.test("testers: a verified mini program takes 90; an Official Account has none (48001)", async () => {
  const { mp, authorize } = await setup({ verifyTypeId: 0 });
  for (let i = 0; i < 90; i++) await mp.bindTester({ wechatid: `tester_${i}` });
  await rejects(mp.bindTester({ wechatid: "tester_90" }), 85002);
  const oa = await authorize("official_account");
  await rejects(oa.bindTester({ wechatid: "alice_2026" }), 48001);
});

Deno.test("testers: bad input is refused before any request", async () => {
  const { sim, mp } = await setup();
  sim.resetCalls();
  // deno-lint-ignore no-explicit-any
  const loose = mp as any;
  assert.throws(() => loose.bindTester({}), TypeError);
  assert.throws(() => loose.unbindTester({}), TypeError);
  assert.throws(() => loose.unbindTester({ wechatid: "a_user_1", userstr: "x" }), TypeError);
  assert.throws(() => loose.memberAuth({ action: "get_all" }), TypeError);
  assert.equal(sim.calls(), 0);
});

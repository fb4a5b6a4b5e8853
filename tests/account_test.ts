/**
 * A mini program's testers, basic info and categories through the client against the
 * simulator: stored and read back, WeChat's refusals leave everything as it was, bad input is
 * refused before any request.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { simulatedPlatform } from "./_platform.ts";

const APPID = "wx3cf0f39249000063";
const SECRET = "sim-component-secret-account";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

async function setup(options: { verifyTypeId?: number } = {}) {
  const platform = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    preAuthCode: true,
  });
  const { sim, client } = platform;
  const authorize = (
    kind: "mini_program" | "official_account",
    verifyTypeId = options.verifyTypeId,
  ) => platform.authorize(kind, { verifyTypeId });
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

// ---- basic info ---------------------------------------------------------------------------------

Deno.test("basic info: name, introduction and head image are set and read back", async () => {
  const { sim, mp } = await setup();
  const before = await mp.getAccountBasicInfo();
  assert.equal(before.appid, mp.appId);
  assert.equal(before.account_type, 2);
  assert.equal(before.nickname_info?.modify_used_count, 0);

  assert.equal((await mp.checkWxVerifyNickname({ nick_name: "好味道小店" })).hit_condition, false);
  await mp.setNickname({ nick_name: "好味道小店" });
  await mp.modifySignature({ signature: "提供新鲜好吃的家常菜" });
  await mp.modifyHeadImage({ head_img_media_id: "media-1", x1: 0, y1: 0, x2: 0.5, y2: 0.5 });

  const info = await mp.getAccountBasicInfo();
  assert.equal(info.nickname_info?.nickname, "好味道小店");
  assert.equal(info.nickname_info?.modify_used_count, 1);
  assert.equal(info.signature_info?.signature, "提供新鲜好吃的家常菜");
  assert.equal(info.signature_info?.modify_used_count, 1);
  assert.equal(info.head_image_info?.modify_used_count, 1);
  assert.notEqual(info.head_image_info?.head_image_url, before.head_image_info?.head_image_url);
  assert.equal(sim.account(mp.appId)?.nickName, "好味道小店");
});

/** A simulator that pushes authorizer events to a message URL, and the events it pushed. */
async function withPushes() {
  let now = Date.parse("2026-03-01T08:00:00Z");
  const platform = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    encodingAesKey: AES_KEY,
    now: () => now,
    capturePushes: true,
  });
  const mp = await platform.authorize("mini_program");
  return {
    sim: platform.sim,
    mp,
    events: platform.authorizerEvents,
    tick: (ms: number) => now += ms,
  };
}

Deno.test("basic info: a name with a protected word needs proof, then an audit approved an hour later and pushed", async () => {
  const { sim, mp, events, tick } = await withPushes();
  const original = sim.account(mp.appId)!.nickName;

  assert.equal((await mp.checkWxVerifyNickname({ nick_name: "官方好店" })).hit_condition, true);
  await rejects(mp.setNickname({ nick_name: "官方好店" }), 91009);
  const { audit_id } = await mp.setNickname({ nick_name: "官方好店", license: "media-licence" });
  assert.equal(typeof audit_id, "number");
  assert.equal((await mp.apiWxaQueryNickname({ audit_id: audit_id! })).audit_stat, 1);
  await rejects(mp.setNickname({ nick_name: "另一个名字" }), 91003);
  assert.equal((await mp.getAccountBasicInfo()).nickname_info?.nickname, original);
  assert.deepEqual((await events()).filter((e) => e.message.Event === "wxa_nickname_audit"), []);

  tick(3600_000);
  const done = await mp.apiWxaQueryNickname({ audit_id: audit_id! });
  assert.equal(done.audit_stat, 3);
  assert.equal(done.nickname, "官方好店");
  assert.equal(done.audit_time, Math.floor(sim.now() / 1000));
  assert.equal((await mp.getAccountBasicInfo()).nickname_info?.nickname, "官方好店");
  const pushed = (await events()).filter((e) => e.message.Event === "wxa_nickname_audit");
  assert.equal(pushed.length, 1);
  assert.equal(pushed[0].path, `/wechat/authorizers/${mp.appId}/callback`);
  assert.equal(pushed[0].message.ret, "3");
  assert.equal(pushed[0].message.nickname, "官方好店");
  await rejects(mp.apiWxaQueryNickname({ audit_id: audit_id! + 1 }), 91011);
});

Deno.test("basic info: a name audit rejected by the simulator keeps the old name and pushes the reason", async () => {
  const { sim, mp, events } = await withPushes();
  const original = sim.account(mp.appId)!.nickName;
  const { audit_id } = await mp.setNickname({ nick_name: "中国好店", license: "media-licence" });
  sim.endNicknameAudit(mp.appId, audit_id!, { approved: false, reason: "材料不清晰" });
  const state = await mp.apiWxaQueryNickname({ audit_id: audit_id! });
  assert.equal(state.audit_stat, 2);
  assert.equal(state.fail_reason, "材料不清晰");
  assert.equal((await mp.getAccountBasicInfo()).nickname_info?.nickname, original);
  const pushed = (await events()).filter((e) => e.message.Event === "wxa_nickname_audit");
  assert.deepEqual(pushed.map((e) => [e.message.ret, e.message.reason]), [["2", "材料不清晰"]]);
  assert.throws(() => sim.endNicknameAudit(mp.appId, audit_id!, { approved: true }), RangeError);
  // A new name may be asked for once the audit ended.
  await mp.setNickname({ nick_name: "好味小馆" });
  assert.equal((await mp.getAccountBasicInfo()).nickname_info?.nickname, "好味小馆");
});

Deno.test("basic info: invalid and taken names, bad introductions, spent monthly budgets", async () => {
  const { mp, authorize } = await setup();
  const other = await authorize("mini_program");
  await other.setNickname({ nick_name: "已被占用" });
  await rejects(mp.setNickname({ nick_name: "已被占用" }), 91007);
  assert.equal((await mp.checkWxVerifyNickname({ nick_name: "已被占用" })).hit_condition, true);
  await rejects(mp.setNickname({ nick_name: "好用的小程序" }), 91004);
  await rejects(mp.setNickname({ nick_name: "名" }), 91004);
  await rejects(mp.setNickname({ nick_name: "a".repeat(31) }), 91004);

  await rejects(mp.modifySignature({ signature: "短" }), 53204);
  await rejects(mp.modifySignature({ signature: "字".repeat(121) }), 53204);
  await rejects(mp.modifySignature({ signature: "线上赌博平台介绍" }), 53201);
  for (let i = 0; i < 5; i++) await mp.modifySignature({ signature: `第${i}版功能介绍` });
  await rejects(mp.modifySignature({ signature: "第六版功能介绍" }), 53200);
  assert.equal((await mp.getAccountBasicInfo()).signature_info?.signature, "第4版功能介绍");

  const box = { x1: 0, y1: 0, x2: 1, y2: 1 };
  for (let i = 0; i < 5; i++) await mp.modifyHeadImage({ head_img_media_id: `m${i}`, ...box });
  await rejects(mp.modifyHeadImage({ head_img_media_id: "m5", ...box }), 53202);
});

Deno.test("basic info: an Official Account reads its basic info, but has no mini-program name APIs", async () => {
  const { authorize } = await setup();
  const oa = await authorize("official_account");
  assert.equal((await oa.getAccountBasicInfo()).account_type, 1);
  await rejects(oa.setNickname({ nick_name: "公众号改名" }), 48001);
  await rejects(oa.getSettingCategories(), 48001);
});

// ---- categories and search status ---------------------------------------------------------------

Deno.test("categories: added from the tree, read back, deleted; sensitive ones audited", async () => {
  const { sim, mp } = await setup();
  const tree = (await mp.getAllCategories()).categories_list.categories;
  const online = tree.find((c) => c.name === "在线教育")!;
  assert.equal(online.sensitive_type, 1);
  const office = tree.find((c) => c.name === "办公")!;
  assert.equal(office.level, 2);
  assert.ok(tree.find((c) => c.id === office.father)?.children?.includes(office.id));

  await mp.addCategory({ categories: [{ first: office.father!, second: office.id }] });
  await rejects(
    mp.addCategory({ categories: [{ first: online.father!, second: online.id }] }),
    53311,
  );
  const certicates = [{ key: "办学许可证", value: "media-cert" }];
  await mp.addCategory({ categories: [{ first: online.father!, second: online.id, certicates }] });
  let mine = await mp.getSettingCategories();
  assert.deepEqual(
    mine.categories.map((c) => [c.second_name, c.audit_status]),
    [["办公", 3], ["在线教育", 1]],
  );
  assert.equal(mine.quota, (mine.limit ?? 0) - 2);
  await rejects(mp.deleteCategory({ first: online.father!, second: online.id }), 53308);
  await rejects(mp.modifyCategory({ first: online.father!, second: online.id, certicates }), 53307);

  sim.auditCategory(mp.appId, {
    first: online.father!,
    second: online.id,
    approved: false,
    reason: "证书模糊",
  });
  mine = await mp.getSettingCategories();
  assert.equal(mine.categories[1].audit_status, 2);
  assert.equal(mine.categories[1].audit_reason, "证书模糊");
  await mp.modifyCategory({ first: online.father!, second: online.id, certicates });
  assert.equal((await mp.getSettingCategories()).categories[1].audit_status, 1);
  sim.auditCategory(mp.appId, { first: online.father!, second: online.id, approved: true });
  assert.equal((await mp.getSettingCategories()).categories[1].audit_status, 3);

  await mp.deleteCategory({ first: office.father!, second: office.id });
  assert.deepEqual((await mp.getSettingCategories()).categories.map((c) => c.second), [online.id]);
  await rejects(mp.deleteCategory({ first: office.father!, second: office.id }), 53303);
});

Deno.test("categories: a wrong pair, a duplicate, over 5 added a month or 20 in all are refused", async () => {
  const { sim, client, mp } = await setup();
  await rejects(mp.addCategory({ categories: [{ first: 1, second: 11 }] }), 53303);
  await rejects(mp.addCategory({ categories: [{ first: 1, second: 999 }] }), 53303);
  await rejects(
    mp.addCategory({ categories: [{ first: 1, second: 2 }, { first: 1, second: 2 }] }),
    53304,
  );
  assert.deepEqual((await mp.getSettingCategories()).categories, []);
  const tree = (await mp.getAllCategories()).categories_list.categories;
  const plain = tree.filter((c) => c.level === 2 && c.sensitive_type === 0)
    .map((c) => ({ first: c.father!, second: c.id }));
  assert.ok(plain.length >= 21);
  await mp.addCategory({ categories: plain.slice(0, 4) });
  await rejects(mp.addCategory({ categories: plain.slice(4, 6) }), 53300);
  const mine = await mp.getSettingCategories();
  assert.equal(mine.categories.length, 4);
  assert.equal(mine.quota, 1);
  assert.equal(mine.category_limit, 20);
  await rejects(mp.addCategory({ categories: [plain[0]] }), 53304);
  // Deleting does not give the month's additions back.
  await mp.deleteCategory(plain[0]);
  await mp.addCategory({ categories: [plain[0]] });
  await rejects(mp.addCategory({ categories: [plain[4]] }), 53300);

  // Month after month, up to 20 categories.
  for (let n = 5; n < 20; n += 5) {
    sim.advance(31 * 86_400_000);
    await client.acceptTicket(sim.issueTicket());
    assert.equal((await mp.getSettingCategories()).quota, 5);
    await mp.addCategory({ categories: plain.slice(n - 1, n + 4) });
  }
  assert.equal((await mp.getSettingCategories()).categories.length, 19);
  sim.advance(31 * 86_400_000);
  await client.acceptTicket(sim.issueTicket());
  await rejects(mp.addCategory({ categories: plain.slice(19, 21) }), 53301);
  await mp.addCategory({ categories: [plain[19]] });
  assert.equal((await mp.getSettingCategories()).categories.length, 20);
});

Deno.test("categories: the audit's verdict is pushed to the message URL as wxa_category_audit", async () => {
  const { sim, mp, events } = await withPushes();
  const certicates = [{ key: "办学许可证", value: "media-cert" }];
  await mp.addCategory({ categories: [{ first: 30, second: 31, certicates }] });
  sim.auditCategory(mp.appId, { first: 30, second: 31, approved: false, reason: "证书过期" });
  await mp.modifyCategory({ first: 30, second: 31, certicates });
  sim.auditCategory(mp.appId, { first: 30, second: 31, approved: true });
  const pushed = (await events()).filter((e) => e.message.Event === "wxa_category_audit");
  assert.deepEqual(
    pushed.map((e) => [e.path, e.message.ret, e.message.first, e.message.second, e.message.reason]),
    [
      [`/wechat/authorizers/${mp.appId}/callback`, "2", "30", "31", "证书过期"],
      [`/wechat/authorizers/${mp.appId}/callback`, "3", "30", "31", ""],
    ],
  );
});

Deno.test("search status: hidden and shown again", async () => {
  const { mp } = await setup();
  assert.equal((await mp.getWxaSearchStatus()).status, 0);
  await mp.changeWxaSearchStatus({ status: 1 });
  assert.equal((await mp.getWxaSearchStatus()).status, 1);
  await mp.changeWxaSearchStatus({ status: 0 });
  assert.equal((await mp.getWxaSearchStatus()).status, 0);
});

Deno.test("basic info and categories: bad input is refused before any request", async () => {
  const { sim, mp } = await setup();
  sim.resetCalls();
  // deno-lint-ignore no-explicit-any
  const loose = mp as any;
  assert.throws(() => loose.setNickname({}), TypeError);
  assert.throws(() => loose.setNickname({ nick_name: "好名字", license: "" }), TypeError);
  assert.throws(() => loose.apiWxaQueryNickname({ audit_id: "x" }), RangeError);
  assert.throws(() => loose.modifySignature({}), TypeError);
  assert.throws(
    () => loose.modifyHeadImage({ head_img_media_id: "m", x1: 0, y1: 0, x2: 2, y2: 1 }),
    RangeError,
  );
  assert.throws(
    () => loose.modifyHeadImage({ head_img_media_id: "m", x1: 0.5, y1: 0, x2: 0.5, y2: 1 }),
    RangeError,
  );
  assert.throws(() => loose.addCategory({ categories: [] }), TypeError);
  assert.throws(() => loose.addCategory({ categories: [{ first: 1 }] }), RangeError);
  assert.throws(
    () => loose.addCategory({ categories: [{ first: 1, second: 2, certicates: [{}] }] }),
    TypeError,
  );
  assert.throws(() => loose.deleteCategory({ first: 1 }), RangeError);
  assert.throws(() => loose.changeWxaSearchStatus({ status: 2 }), RangeError);
  assert.equal(sim.calls(), 0);
  assert.throws(
    () => sim.auditCategory(mp.appId, { first: 1, second: 2, approved: true }),
    RangeError,
  );
});

Deno.test("categories: the approved ones are what wxa/get_category offers an audit", async () => {
  const { sim, mp } = await setup();
  // Until categories are set, the simulator's sample ones.
  assert.ok((await mp.getCategory()).category_list.length > 0);
  const certicates = [{ key: "办学许可证", value: "media-cert" }];
  await mp.addCategory({
    categories: [{ first: 1, second: 3 }, { first: 30, second: 31, certicates }],
  });
  // 在线教育 is under review: only 办公 is offered.
  assert.deepEqual(
    (await mp.getCategory()).category_list.map((c) => [c.first_class, c.second_class, c.second_id]),
    [["工具", "办公", 3]],
  );
  sim.auditCategory(mp.appId, { first: 30, second: 31, approved: true });
  assert.deepEqual(
    (await mp.getCategory()).category_list.map((c) => c.second_class),
    ["办公", "在线教育"],
  );
});

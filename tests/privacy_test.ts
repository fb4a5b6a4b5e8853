/**
 * A Mini Program's privacy guide and its privacy-interface applications, through the client
 * against the simulator: stored and read back per version, WeChat's refusals, custom guides,
 * and the `wxa_privacy_apply` push when an application is decided.
 */

import assert from "node:assert/strict";
import { parseMessage } from "../src/events/mod.ts";
import { authorized, errcode, platform } from "./_onboard_env.ts";

const OWNER = { contact_email: "privacy@example.com", notice_method: "弹窗提醒" };
const SETTINGS = [
  { privacy_key: "UserInfo", privacy_text: "展示头像和昵称" },
  { privacy_key: "Location", privacy_text: "查找附近的门店" },
];

Deno.test("the draft guide is stored and read back; the released one only after a release", async () => {
  const env = await platform();
  const mp = env.client.authorizer(await authorized(env, "mini_program"));
  await mp.setPrivacySetting({ owner_setting: OWNER, setting_list: SETTINGS });
  const draft = await mp.getPrivacySetting();
  assert.deepEqual(draft.setting_list, SETTINGS);
  assert.equal(draft.owner_setting?.contact_email, "privacy@example.com");
  assert.equal(draft.update_time, Math.floor(env.sim.now() / 1000));
  assert.ok(draft.privacy_desc?.privacy_desc_list?.some((d) => d.privacy_key === "PhoneNumber"));
  // Nothing is released yet: privacy_ver 1 is empty and cannot be edited (86074).
  assert.deepEqual((await mp.getPrivacySetting({ privacy_ver: 1 })).setting_list, []);
  assert.equal(
    await errcode(mp.setPrivacySetting({ privacy_ver: 1, owner_setting: OWNER })),
    86074,
  );
  assert.ok(env.sim.releasePrivacySetting(mp.appId));
  const released = await mp.getPrivacySetting({ privacy_ver: 1 });
  assert.deepEqual(released.setting_list, SETTINGS);
  // The released guide's owner_setting can change directly; the draft is untouched by it.
  await mp.setPrivacySetting({
    privacy_ver: 1,
    owner_setting: { contact_phone: "13800000000", notice_method: "公告" },
  });
  assert.equal(
    (await mp.getPrivacySetting({ privacy_ver: 1 })).owner_setting?.notice_method,
    "公告",
  );
  assert.equal((await mp.getPrivacySetting()).owner_setting?.notice_method, "弹窗提醒");
});

Deno.test("setPrivacySetting refusals: bad input throws before a call, WeChat's errcodes after", async () => {
  const env = await platform();
  const mp = env.client.authorizer(await authorized(env, "mini_program"));
  const calls = env.sim.calls("setprivacysetting");
  assert.throws(() => mp.setPrivacySetting({ owner_setting: OWNER }), TypeError);
  assert.throws(
    () => mp.setPrivacySetting({ privacy_ver: 1, owner_setting: OWNER, setting_list: SETTINGS }),
    TypeError,
  );
  assert.throws(
    () => mp.setPrivacySetting({ owner_setting: { notice_method: "" }, setting_list: SETTINGS }),
    TypeError,
  );
  assert.equal(env.sim.calls("setprivacysetting"), calls);
  // No contact at all: WeChat's 86069; an unknown custom guide: 40007.
  assert.equal(
    await errcode(
      mp.setPrivacySetting({ owner_setting: { notice_method: "弹窗" }, setting_list: [] }),
    ),
    86069,
  );
  assert.equal(
    await errcode(mp.setPrivacySetting({
      owner_setting: { ...OWNER, ext_file_media_id: "123" },
      setting_list: SETTINGS,
    })),
    40007,
  );
  assert.deepEqual((await mp.getPrivacySetting()).setting_list, []);
  // An Official Account has no privacy guide.
  const oa = env.client.authorizer(await authorized(env, "official_account"));
  assert.equal(await errcode(oa.getPrivacySetting()), 48001);
});

Deno.test("uploadPrivacyExtFile: a txt guide up to 100 KB gives a media id owner_setting can name", async () => {
  const env = await platform();
  const mp = env.client.authorizer(await authorized(env, "mini_program"));
  const { ext_file_media_id } = await mp.uploadPrivacyExtFile({ file: "本小程序的隐私保护指引……" });
  assert.match(ext_file_media_id, /^\d+$/);
  await mp.setPrivacySetting({
    owner_setting: { ...OWNER, ext_file_media_id },
    setting_list: SETTINGS,
  });
  assert.equal((await mp.getPrivacySetting()).owner_setting?.ext_file_media_id, ext_file_media_id);
  assert.equal(
    await errcode(mp.uploadPrivacyExtFile({ file: new Uint8Array(100 * 1024 + 1) })),
    40126,
  );
  assert.equal(await errcode(mp.uploadPrivacyExtFile({ file: "x", filename: "guide.pdf" })), 40006);
  assert.throws(() => mp.uploadPrivacyExtFile({ file: 42 as never }), TypeError);
});

Deno.test("applyPrivacyInterface: in review, then decided after the delay and pushed as wxa_privacy_apply", async () => {
  const env = await platform({ reviewDelaySeconds: 3600 });
  const appid = await authorized(env, "mini_program");
  const mp = env.client.authorizer(appid);
  const apply = {
    api_name: "wx.getLocation",
    content: "到店自提时展示附近门店",
    pic_list: ["https://example.com/shot.png"],
  };
  const { audit_id } = await mp.applyPrivacyInterface(apply);
  const listed = (await mp.getPrivacyInterface()).interface_list;
  assert.equal(listed.find((i) => i.api_name === "wx.getLocation")?.status, 3);
  assert.equal(listed.find((i) => i.api_name === "wx.choosePoi")?.status, 1);
  // One application in review at a time; WeChat's checks of the request.
  assert.equal(await errcode(mp.applyPrivacyInterface(apply)), 61031);
  assert.equal(
    await errcode(mp.applyPrivacyInterface({ ...apply, api_name: "wx.login" })),
    61035,
  );
  assert.equal(
    await errcode(mp.applyPrivacyInterface({ api_name: "wx.choosePoi", content: "选点" })),
    61034,
  );
  assert.equal(
    await errcode(mp.applyPrivacyInterface({
      api_name: "wx.choosePoi",
      content: "选点",
      video_list: ["https://example.com/a.mov"],
    })),
    61032,
  );
  assert.throws(
    () => mp.applyPrivacyInterface({ ...apply, content: "长".repeat(301) }),
    RangeError,
  );

  env.sim.refuseNextPrivacyApplication("未提供使用场景");
  await mp.applyPrivacyInterface({ ...apply, api_name: "wx.choosePoi" });
  assert.equal(env.pushed.filter((p) => p.to === appid).length, 0);
  env.advance(3600_000);
  await env.sim.settled();
  const pushes = env.pushed.filter((p) => p.to === appid).map((p) => parseMessage(p.xml));
  assert.equal(pushes.length, 2);
  const results = pushes.map((m) =>
    (m as unknown as { result_info: Record<string, string> }).result_info
  );
  const granted = results.find((r) => r.api_name === "wx.getLocation")!;
  assert.equal(granted.audit_id, String(audit_id));
  assert.equal(pushes[0].MsgType, "event");
  const after = (await mp.getPrivacyInterface()).interface_list;
  assert.equal(after.find((i) => i.api_name === "wx.getLocation")?.status, 5);
  const refused = after.find((i) => i.api_name === "wx.choosePoi")!;
  assert.equal(refused.status, 4);
  assert.equal(refused.fail_reason, "未提供使用场景");
  assert.equal(results.find((r) => r.api_name === "wx.choosePoi")?.reason, "未提供使用场景");
});

Deno.test("with code committed code_exist is 1; wxa/release makes the draft guide the released one", async () => {
  const env = await platform();
  const mp = env.client.authorizer(await authorized(env, "mini_program"));
  await mp.setPrivacySetting({ owner_setting: OWNER, setting_list: SETTINGS });
  assert.equal((await mp.getPrivacySetting()).code_exist, 0);
  await mp.commit({
    template_id: 1,
    ext_json: JSON.stringify({ extAppid: mp.appId }),
    user_version: "1.0.0",
    user_desc: "first",
  });
  assert.equal((await mp.getPrivacySetting()).code_exist, 1);
  await mp.submitAudit({});
  env.advance(24 * 3600_000);
  await env.client.acceptTicket(env.sim.issueTicket());
  assert.deepEqual((await mp.getPrivacySetting({ privacy_ver: 1 })).setting_list, []);
  await mp.release();
  assert.deepEqual((await mp.getPrivacySetting({ privacy_ver: 1 })).setting_list, SETTINGS);
});

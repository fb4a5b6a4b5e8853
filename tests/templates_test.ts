/**
 * The platform's code templates through the client against the simulator: drafts uploaded in
 * the draft box, copied into either library, listed (filtered by library), deleted, WeChat's
 * refusals (85064, 85065), bad input refused before any request, and the rule `wxa/commit`
 * relies on (any template id until templates are used, then only the library's).
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { simulatedPlatform } from "./_platform.ts";

const APPID = "wx3cf0f39249000061";
const SECRET = "sim-component-secret-templates";

async function setup() {
  const { sim, client } = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
  });
  return { sim, client };
}

async function rejects(promise: Promise<unknown>, errcode: number): Promise<void> {
  await assert.rejects(promise, (e) => e instanceof WeChatError && e.errcode === errcode);
}

Deno.test("a draft uploaded from DevTools is listed, copied into the library, and deleted", async () => {
  const { sim, client } = await setup();
  assert.deepEqual((await client.getTemplateDraftList()).draft_list, []);
  const draftId = sim.addTemplateDraft({ user_version: "1.2.0", user_desc: "首页改版" });
  const drafts = (await client.getTemplateDraftList()).draft_list;
  assert.equal(drafts.length, 1);
  assert.equal(drafts[0].draft_id, draftId);
  assert.equal(drafts[0].user_version, "1.2.0");
  assert.equal(drafts[0].user_desc, "首页改版");
  assert.equal(drafts[0].create_time, Date.parse("2026-03-01T08:00:00Z") / 1000);

  assert.deepEqual(await client.getTemplateList(), { errcode: 0, errmsg: "ok", template_list: [] });
  await client.addToTemplate({ draft_id: draftId });
  const [template] = (await client.getTemplateList()).template_list;
  assert.equal(template.user_version, "1.2.0");
  assert.equal(template.user_desc, "首页改版");
  assert.equal(template.template_type, 0);
  assert.equal(typeof template.template_id, "number");
  // The draft stays in the draft box.
  assert.equal((await client.getTemplateDraftList()).draft_list.length, 1);

  await client.deleteTemplate({ template_id: template.template_id });
  assert.deepEqual((await client.getTemplateList()).template_list, []);
  await rejects(client.deleteTemplate({ template_id: template.template_id }), 85064);
});

Deno.test("template_type picks the library; without it both are listed", async () => {
  const { sim, client } = await setup();
  const a = sim.addTemplateDraft({ user_version: "1.0.0" });
  const b = sim.addTemplateDraft({ user_version: "2.0.0" });
  await client.addToTemplate({ draft_id: a, template_type: 0 });
  await client.addToTemplate({ draft_id: b, template_type: 1 });
  const versions = async (template_type?: 0 | 1) =>
    (await client.getTemplateList(template_type === undefined ? undefined : { template_type }))
      .template_list.map((t) => t.user_version).sort();
  assert.deepEqual(await versions(), ["1.0.0", "2.0.0"]);
  assert.deepEqual(await versions(0), ["1.0.0"]);
  assert.deepEqual(await versions(1), ["2.0.0"]);
  const ids = (await client.getTemplateList()).template_list.map((t) => t.template_id);
  assert.equal(new Set(ids).size, 2, "template ids are unique across both libraries");
});

Deno.test("an unknown draft is refused with 85064 and nothing is added", async () => {
  const { sim, client } = await setup();
  const draftId = sim.addTemplateDraft({ user_version: "1.0.0" });
  await rejects(client.addToTemplate({ draft_id: draftId + 100 }), 85064);
  assert.deepEqual((await client.getTemplateList()).template_list, []);
});

Deno.test("a full library (200 templates) is refused with 85065; the other library still takes one", async () => {
  const { sim, client } = await setup();
  const draftId = sim.addTemplateDraft({ user_version: "1.0.0" });
  for (let i = 0; i < 200; i++) await client.addToTemplate({ draft_id: draftId });
  await rejects(client.addToTemplate({ draft_id: draftId }), 85065);
  assert.equal((await client.getTemplateList({ template_type: 0 })).template_list.length, 200);
  await client.addToTemplate({ draft_id: draftId, template_type: 1 });
  const [first] = (await client.getTemplateList({ template_type: 0 })).template_list;
  await client.deleteTemplate({ template_id: first.template_id });
  await client.addToTemplate({ draft_id: draftId });
});

Deno.test("bad input is refused before any request", async () => {
  const { sim, client } = await setup();
  sim.resetCalls();
  // deno-lint-ignore no-explicit-any
  const loose = client as any;
  assert.throws(() => loose.addToTemplate({ draft_id: "1" }), RangeError);
  assert.throws(() => loose.addToTemplate({ draft_id: 1, template_type: 2 }), RangeError);
  assert.throws(() => loose.addToTemplate(undefined), TypeError);
  assert.throws(() => loose.deleteTemplate({}), RangeError);
  assert.throws(() => loose.getTemplateList({ template_type: -1 }), RangeError);
  assert.equal(sim.calls("/wxa/addtotemplate") + sim.calls("/wxa/deletetemplate"), 0);
  assert.throws(() => sim.addTemplateDraft({ user_version: "" }), TypeError);
});

Deno.test("the template APIs take the component token, not an authorizer's (61014)", async () => {
  const { sim, client } = await setup();
  const pre = await client.createPreAuthCode();
  const auth = await sim.authorizeAccount({ kind: "mini_program", preAuthCode: pre.pre_auth_code });
  await client.queryAuth(auth.authCode);
  // WeChat refuses an authorizer's token there; the client does not even send it.
  const token = await client.authorizerAccessToken(auth.appId);
  const res = await sim.fetch(
    `https://api.weixin.qq.com/wxa/gettemplatedraftlist?access_token=${token}`,
  );
  assert.equal((await res.json()).errcode, 61014);
  assert.throws(() => client.authorizer(auth.appId).call("/wxa/gettemplatedraftlist"), TypeError);
});

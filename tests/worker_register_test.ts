/**
 * Automatic onboarding at the edge, against the real bundled worker under Miniflare with the
 * WeChat simulator: a fast registration's `notify_third_fasteregister` (status 0) arrives at
 * `POST /wechat/component/events`, the worker exchanges its `auth_code`, and the new Mini
 * Program is an authorizer like any other (listed, with an access token WeChat accepts); a
 * failed registration is acknowledged and onboards nothing.
 */

import assert from "node:assert/strict";
import { eventually, type Harness, ORIGIN, startWorker } from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };
const API = "https://api.weixin.qq.com";

let h: Harness;

/** Starts a registration the way the platform's own service would, with the worker's token. */
async function register(name: string): Promise<void> {
  const res = await h.admin("/api/v1/component/access-token");
  const { access_token } = await res.json();
  const answer = await h.sim.fetch(
    `${API}/cgi-bin/component/fastregisterweapp?action=create&component_access_token=${access_token}`,
    {
      method: "POST",
      body: JSON.stringify({
        name,
        code: "91440300MA5XXXXXXX",
        code_type: 1,
        legal_persona_wechat: "legal_wx_01",
        legal_persona_name: "张三",
      }),
    },
  );
  assert.equal((await answer.json()).errcode, 0);
}

async function listed(): Promise<string[]> {
  const res = await h.admin("/api/v1/authorizers");
  assert.equal(res.status, 200);
  const body = await res.json();
  return body.authorizers.map((a: { authorizer_appid: string }) => a.authorizer_appid);
}

Deno.test({
  name: "worker: a fast-registered Mini Program is onboarded from its push",
  ...opts,
  async fn() {
    h = await startWorker({ simulator: { reviewDelaySeconds: 0 } });
    assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
    await register("模拟科技有限公司");
    await h.sim.settled();
    const delivery = h.sim.deliveries().find((d) => d.infoType === "notify_third_fasteregister");
    assert.equal(delivery?.status, 200);
    assert.equal(delivery?.body, "success");
    const created = h.sim.accounts().find((a) => a.kind === "mini_program")!;
    assert.ok(created.authorized);
    await eventually(async () => (await listed()).includes(created.appId));
    const token = await h.admin(`/api/v1/authorizers/${created.appId}/access-token`);
    assert.equal(token.status, 200);
    const body = await token.json();
    assert.equal(body.access_token, h.sim.currentAccessToken(created.appId));
    // The stored refresh token is the one WeChat issued (a refresh works).
    const snapshot = await h.snapshot();
    assert.ok(snapshot.has(`wxopen:v1:authorizer_token:${created.appId}`));
    // The notice is kept too (sealed, as every record).
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen-worker:v1:fastregister:${created.appId}`)
    );
  },
});

Deno.test({
  name: "worker: a failed registration is acknowledged and onboards nothing",
  ...opts,
  async fn() {
    const before = await listed();
    h.sim.failNextFastRegistration({ status: 100001, msg: "法人未确认" });
    await register("另一家科技有限公司");
    await h.sim.settled();
    const last = h.sim.deliveries().filter((d) => d.infoType === "notify_third_fasteregister")
      .at(-1);
    assert.equal(last?.body, "success");
    assert.deepEqual(await listed(), before);
    await h.dispose();
  },
});

/**
 * The worker's JS-SDK and mini-program login routes under Miniflare (real workerd), with the
 * simulator as WeChat: `GET /api/v1/authorizers/:appid/jsapi-ticket`, `…/jssdk-config?url=` and
 * `POST …/jscode2session`. Tests run in order on one worker with two isolates: the first
 * authorizes an Official Account and a Mini Program.
 */

import assert from "node:assert/strict";
import {
  eventually,
  expectError,
  type Harness,
  ORIGIN,
  SETTINGS,
  startWorker,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };
const TICKET_PATH = "/cgi-bin/ticket/getticket";
const UNKNOWN = "wx00000000000000ff";

let h: Harness;
let oa = "";
let mp = "";

async function authorize(kind: "official_account" | "mini_program"): Promise<string> {
  const auth = await h.sim.authorizeAccount({ kind });
  assert.equal(await (await h.send(await h.sim.authorizationPush(EVENTS, auth))).text(), "success");
  await eventually(async () =>
    (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
  );
  return auth.appId;
}

Deno.test({
  name: "jssdk: setup — a ticket, an official account and a mini program",
  ...opts,
  async fn() {
    h = await startWorker({ instances: 2 });
    assert.equal((await h.send(await h.sim.ticketPush(EVENTS))).status, 200);
    oa = await authorize("official_account");
    mp = await authorize("mini_program");
    await h.sim.settled();
  },
});

Deno.test({
  name: "jssdk: jsapi-ticket is fetched once, stored in KV and served by every isolate",
  ...opts,
  async fn() {
    const res = await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.authorizer_appid, oa);
    assert.match(body.ticket, /^\S{20,}$/);
    assert.ok(body.expires_in > 7000 && body.expires_in <= 7200, String(body.expires_in));
    assert.ok(Math.abs(Date.parse(body.expires_at) - Date.now() - body.expires_in * 1000) < 5000);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(h.sim.calls(TICKET_PATH), 1);
    assert.ok((await h.snapshot()).has(`wxopen:v1:authorizer_ticket:${oa}:jsapi`));

    const again = await (await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`)).json();
    assert.equal(again.ticket, body.ticket);
    const other = await h.fetchOn(1, `/api/v1/authorizers/${oa}/jsapi-ticket`, {
      headers: { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` },
    });
    assert.equal((await other.json()).ticket, body.ticket);
    assert.equal(h.sim.calls(TICKET_PATH), 1);
  },
});

Deno.test({
  name: "jssdk: jssdk-config answers a wx.config the simulated WeChat browser accepts",
  ...opts,
  async fn() {
    const page = "https://h5.example.com/shop?id=7";
    const res = await h.admin(
      `/api/v1/authorizers/${oa}/jssdk-config?url=${encodeURIComponent(page + "#/cart")}` +
        `&js_api_list=chooseImage,scanQRCode`,
    );
    const config = await res.json();
    assert.equal(res.status, 200, JSON.stringify(config));
    assert.equal(config.appId, oa);
    assert.equal(typeof config.timestamp, "number");
    assert.ok(Math.abs(config.timestamp - Date.now() / 1000) < 60);
    assert.match(config.nonceStr, /^[A-Za-z0-9]{16}$/);
    assert.match(config.signature, /^[0-9a-f]{40}$/);
    assert.deepEqual(config.jsApiList, ["chooseImage", "scanQRCode"]);
    assert.equal(h.sim.checkJssdkConfig(config, page), "ok");
    assert.equal(
      h.sim.checkJssdkConfig(config, "https://h5.example.com/other"),
      "invalid signature",
    );
    assert.equal(h.sim.calls(TICKET_PATH), 1);
  },
});

Deno.test({
  name: "jssdk: a missing or non-http(s) url is 400; no token is 401; an unknown authorizer 404",
  ...opts,
  async fn() {
    const calls = h.sim.calls();
    await expectError(
      await h.admin(`/api/v1/authorizers/${oa}/jssdk-config`),
      400,
      "invalid_request",
    );
    for (const url of ["ftp://h5.example.com/", "/shop", "javascript:alert(1)", "https://a b/"]) {
      await expectError(
        await h.admin(`/api/v1/authorizers/${oa}/jssdk-config?url=${encodeURIComponent(url)}`),
        400,
        "invalid_request",
      );
    }
    await expectError(
      await h.fetch(`/api/v1/authorizers/${oa}/jsapi-ticket`),
      401,
      "unauthorized",
    );
    await expectError(
      await h.admin(`/api/v1/authorizers/${UNKNOWN}/jsapi-ticket`),
      404,
      "not_found",
    );
    await expectError(
      await h.admin(
        `/api/v1/authorizers/${UNKNOWN}/jssdk-config?url=${
          encodeURIComponent("https://a.example/")
        }`,
      ),
      404,
      "not_found",
    );
    await expectError(
      await h.admin(`/api/v1/authorizers/${UNKNOWN}/jscode2session`, {
        method: "POST",
        body: JSON.stringify({ js_code: "x" }),
      }),
      404,
      "not_found",
    );
    assert.equal(h.sim.calls(), calls);
  },
});

Deno.test({
  name: "jssdk: a ticket reported refused is replaced once, then served to everyone",
  ...opts,
  async fn() {
    const old = (await (await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`)).json()).ticket;
    h.sim.invalidateTicket(oa, "jsapi");
    const before = h.sim.calls(TICKET_PATH);
    const q = `?invalid_ticket=${encodeURIComponent(old)}`;
    const [a, b] = await Promise.all([
      h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket${q}`).then((r) => r.json()),
      h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket${q}`).then((r) => r.json()),
    ]);
    assert.notEqual(a.ticket, old);
    assert.equal(a.ticket, b.ticket);
    assert.equal(h.sim.calls(TICKET_PATH), before + 1);
    const config = await (await h.admin(
      `/api/v1/authorizers/${oa}/jssdk-config?url=${encodeURIComponent("https://h5.example.com/")}`,
    )).json();
    assert.equal(h.sim.checkJssdkConfig(config, "https://h5.example.com/"), "ok");
  },
});

Deno.test({
  name:
    "jssdk: jscode2session answers openid, unionid and session_key; a used code is WeChat's error",
  ...opts,
  async fn() {
    const js_code = h.sim.jsCode({ appId: mp });
    const path = `/api/v1/authorizers/${mp}/jscode2session`;
    const res = await h.admin(path, { method: "POST", body: JSON.stringify({ js_code }) });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.authorizer_appid, mp);
    assert.match(body.openid, /^\S+$/);
    assert.match(body.session_key, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(typeof body.unionid, "string");
    assert.equal(res.headers.get("cache-control"), "no-store");

    const reused = await h.admin(path, { method: "POST", body: JSON.stringify({ js_code }) });
    const text = await reused.text();
    assert.equal(reused.status, 502, text);
    assert.equal(JSON.parse(text).error.errcode, 40163);
    assert.ok(!text.includes(js_code), "the code is not echoed");

    await expectError(await h.admin(path, { method: "POST", body: "{}" }), 400, "invalid_request");
    await expectError(
      await h.admin(path, { method: "POST", body: "js_code" }),
      400,
      "invalid_request",
    );
  },
});

Deno.test({
  name: "jssdk: unauthorized purges the stored tickets",
  ...opts,
  async fn() {
    await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`);
    assert.ok((await h.snapshot()).has(`wxopen:v1:authorizer_ticket:${oa}:jsapi`));
    await h.sim.revoke(oa);
    await h.sim.settled();
    await eventually(async () =>
      !(await h.snapshot()).has(`wxopen:v1:authorizer_ticket:${oa}:jsapi`)
    );
    const res = await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`);
    assert.ok(res.status >= 400, await res.text());
  },
});

Deno.test({
  name: "jssdk: teardown",
  ...opts,
  async fn() {
    await h.dispose();
  },
});

/**
 * The worker's JS-SDK and mini-program login routes under Miniflare (real workerd), with the
 * simulator as WeChat: `GET /api/v1/authorizers/:appid/jsapi-ticket`, `…/jssdk-config?url=` and
 * `POST …/jscode2session`. Tests run in order on one worker with two isolates: the first
 * authorizes an Official Account and a Mini Program.
 */

import assert from "node:assert/strict";
import { type OAuthResult, verifyOAuthResult, WxOpenError } from "../mod.ts";
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
    h = await startWorker({
      instances: 2,
      settings: { OAUTH_REDIRECT_HOSTS: "platform.example.com,localhost:8443" },
    });
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

    const warm = await h.admin(`/api/v1/authorizers/${oa}/jsapi-ticket`);
    assert.equal((await warm.json()).ticket, body.ticket);
    assert.equal(warm.headers.get("x-wxopen-kv-reads"), "1", "a warm ticket is one KV read");
    assert.equal(warm.headers.get("x-wxopen-upstream-calls"), "0");
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
    assert.match(config.nonceStr, /^[0-9a-f]{16}$/);
    assert.match(config.signature, /^[0-9a-f]{40}$/);
    assert.deepEqual(config.jsApiList, ["chooseImage", "scanQRCode"]);
    assert.equal(res.headers.get("x-wxopen-kv-reads"), "1", "signing with a warm ticket");
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

// ---- web authorization on behalf of an Official Account ------------------------------------

const CALLER = "https://platform.example.com/login/done?from=menu";

/** Walks `/oauth/:appid` → WeChat's page (the simulator consents) → our callback. */
async function walkOAuth(query: string): Promise<{ start: Response; back: Response; final: URL }> {
  const start = await h.fetch(`/oauth/${oa}?${query}`, { redirect: "manual" });
  assert.equal(start.status, 302, await start.clone().text());
  const wechat = new URL(start.headers.get("location")!);
  const cookie = start.headers.get("set-cookie")!.split(";")[0];
  const page = await h.sim.fetch(wechat.href, { redirect: "manual" });
  assert.equal(page.status, 302, await page.clone().text());
  const callback = new URL(page.headers.get("location")!);
  const back = await h.fetch(callback.pathname + callback.search, {
    redirect: "manual",
    headers: { cookie },
  });
  return { start, back, final: new URL(back.headers.get("location") ?? "about:blank") };
}

Deno.test({
  name: "oauth: /oauth/:appid sends the user to WeChat with component_appid and our callback",
  ...opts,
  async fn() {
    oa = await authorize("official_account");
    const res = await h.fetch(
      `/oauth/${oa}?redirect_uri=${encodeURIComponent(CALLER)}&scope=snsapi_userinfo&state=s1`,
      { redirect: "manual" },
    );
    assert.equal(res.status, 302);
    const link = new URL(res.headers.get("location")!);
    assert.equal(
      link.origin + link.pathname,
      "https://open.weixin.qq.com/connect/oauth2/authorize",
    );
    assert.equal(link.hash, "#wechat_redirect");
    assert.equal(link.searchParams.get("appid"), oa);
    assert.equal(link.searchParams.get("component_appid"), SETTINGS.COMPONENT_APPID);
    assert.equal(link.searchParams.get("scope"), "snsapi_userinfo");
    assert.equal(link.searchParams.get("response_type"), "code");
    assert.equal(link.searchParams.get("redirect_uri"), `${ORIGIN}/oauth/${oa}/callback`);
    const state = link.searchParams.get("state")!;
    assert.match(state, /^[0-9a-f]{32}$/, "our own state, not the caller's");
    const cookie = res.headers.get("set-cookie")!;
    assert.match(cookie, new RegExp(`^wxopen_oauth_${state}=`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Secure/);
  },
});

Deno.test({
  name: "oauth: snsapi_userinfo comes back with a signed result carrying openid and profile",
  ...opts,
  async fn() {
    const { back, final } = await walkOAuth(
      `redirect_uri=${encodeURIComponent(CALLER)}&scope=snsapi_userinfo&state=${
        encodeURIComponent("cart/7 ü")
      }`,
    );
    assert.equal(back.status, 302, await back.clone().text());
    assert.equal(final.origin + final.pathname, "https://platform.example.com/login/done");
    assert.equal(final.searchParams.get("from"), "menu");
    assert.equal(final.searchParams.get("state"), "cart/7 ü");
    assert.equal(final.searchParams.get("wxopen_error"), null);
    const text = final.searchParams.get("wxopen_result")!;
    const result: OAuthResult = await verifyOAuthResult(text, {
      adminToken: SETTINGS.ADMIN_TOKEN,
      appid: oa,
    });
    assert.equal(result.appid, oa);
    assert.match(result.openid, /^\S+$/);
    assert.equal(result.scope, "snsapi_userinfo");
    assert.equal(result.state, "cart/7 ü");
    assert.equal(typeof result.unionid, "string");
    assert.equal(typeof result.profile?.nickname, "string");
    assert.ok(result.exp - result.iat === 300);
    // Never the user's tokens.
    assert.doesNotMatch(JSON.stringify(result), /access_token|refresh_token/);
    assert.doesNotMatch(final.href, /access_token|refresh_token/);
    assert.equal(h.sim.calls("/sns/userinfo"), 1);
    // Another key, a tampered payload, an expired result: refused.
    await assert.rejects(
      verifyOAuthResult(text, { adminToken: "another-admin-token-0123456789" }),
      (e: unknown) => e instanceof WxOpenError && e.code === "invalid_signature",
    );
    const [payload, sig] = text.split(".");
    await assert.rejects(
      verifyOAuthResult(`${payload.slice(0, -2)}AA.${sig}`, { adminToken: SETTINGS.ADMIN_TOKEN }),
      WxOpenError,
    );
    await assert.rejects(
      verifyOAuthResult(text, { adminToken: SETTINGS.ADMIN_TOKEN, now: Date.now() + 301_000 }),
      WxOpenError,
    );
    await assert.rejects(
      verifyOAuthResult(text, { adminToken: SETTINGS.ADMIN_TOKEN, appid: mp }),
      WxOpenError,
    );
  },
});

Deno.test({
  name: "oauth: snsapi_base reads no profile; the callback is single-use and bound to the browser",
  ...opts,
  async fn() {
    const before = h.sim.calls("/sns/userinfo");
    const { start, back, final } = await walkOAuth(`redirect_uri=${encodeURIComponent(CALLER)}`);
    assert.equal(back.status, 302);
    const result = await verifyOAuthResult(final.searchParams.get("wxopen_result")!, {
      adminToken: SETTINGS.ADMIN_TOKEN,
    });
    assert.equal(result.scope, "snsapi_base");
    assert.equal(result.profile, undefined);
    assert.equal(final.searchParams.has("state"), false);
    assert.equal(h.sim.calls("/sns/userinfo"), before);

    // The same callback again (a replay, a reload): refused, nothing exchanged.
    const link = new URL(start.headers.get("location")!);
    const state = link.searchParams.get("state")!;
    const cookie = start.headers.get("set-cookie")!.split(";")[0];
    const exchanges = h.sim.calls("/sns/oauth2/component/access_token");
    const again = await h.fetch(`/oauth/${oa}/callback?code=x&state=${state}`, {
      redirect: "manual",
      headers: { cookie },
    });
    assert.equal(again.status, 400);
    assert.match(await again.text(), /already completed/);
    // Another browser (no cookie) with a fresh state: refused.
    const other = await h.fetch(`/oauth/${oa}?redirect_uri=${encodeURIComponent(CALLER)}`, {
      redirect: "manual",
    });
    const otherState = new URL(other.headers.get("location")!).searchParams.get("state");
    const stolen = await h.fetch(`/oauth/${oa}/callback?code=x&state=${otherState}`, {
      redirect: "manual",
    });
    assert.equal(stolen.status, 400);
    assert.equal(h.sim.calls("/sns/oauth2/component/access_token"), exchanges);
  },
});

Deno.test({
  name: "oauth: a declined consent or a refused code comes back as wxopen_error",
  ...opts,
  async fn() {
    const start = await h.fetch(`/oauth/${oa}?redirect_uri=${encodeURIComponent(CALLER)}&state=z`, {
      redirect: "manual",
    });
    const state = new URL(start.headers.get("location")!).searchParams.get("state");
    const cookie = start.headers.get("set-cookie")!.split(";")[0];
    const declined = await h.fetch(`/oauth/${oa}/callback?state=${state}`, {
      redirect: "manual",
      headers: { cookie },
    });
    assert.equal(declined.status, 302);
    const to = new URL(declined.headers.get("location")!);
    assert.equal(to.searchParams.get("wxopen_error"), "access_denied");
    assert.equal(to.searchParams.get("state"), "z");
    assert.equal(to.searchParams.has("wxopen_result"), false);

    const again = await h.fetch(`/oauth/${oa}?redirect_uri=${encodeURIComponent(CALLER)}`, {
      redirect: "manual",
    });
    const s2 = new URL(again.headers.get("location")!).searchParams.get("state");
    const bad = await h.fetch(`/oauth/${oa}/callback?code=not-a-code&state=${s2}`, {
      redirect: "manual",
      headers: { cookie: again.headers.get("set-cookie")!.split(";")[0] },
    });
    assert.equal(bad.status, 302);
    assert.equal(
      new URL(bad.headers.get("location")!).searchParams.get("wxopen_error"),
      "wechat_error",
    );
  },
});

Deno.test({
  name: "oauth: redirect_uri off the allowed hosts, a bad scope or an unknown account are refused",
  ...opts,
  async fn() {
    const calls = h.sim.calls();
    for (
      const [query, status] of [
        [`redirect_uri=${encodeURIComponent("https://evil.example.com/")}`, 400],
        [`redirect_uri=${encodeURIComponent("https://platform.example.com.evil.example/")}`, 400],
        [`redirect_uri=${encodeURIComponent("javascript:alert(1)")}`, 400],
        ["", 400],
        [`redirect_uri=${encodeURIComponent(CALLER)}&scope=snsapi_login`, 400],
      ] as const
    ) {
      const res = await h.fetch(`/oauth/${oa}?${query}`, { redirect: "manual" });
      assert.equal(res.status, status, query);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      assert.equal(res.headers.get("location"), null);
    }
    const port = await h.fetch(
      `/oauth/${oa}?redirect_uri=${encodeURIComponent("http://localhost:8443/cb")}`,
      { redirect: "manual" },
    );
    assert.equal(port.status, 302, "a host:port entry allows that port");
    const otherPort = await h.fetch(
      `/oauth/${oa}?redirect_uri=${encodeURIComponent("http://localhost:9999/cb")}`,
      { redirect: "manual" },
    );
    assert.equal(otherPort.status, 400);
    const unknown = await h.fetch(`/oauth/${UNKNOWN}?redirect_uri=${encodeURIComponent(CALLER)}`, {
      redirect: "manual",
    });
    assert.equal(unknown.status, 404);
    assert.equal(h.sim.calls(), calls);
  },
});

Deno.test({
  name: "oauth: without OAUTH_REDIRECT_HOSTS /oauth answers 500 naming the setting",
  ...opts,
  async fn() {
    const bare = await startWorker();
    try {
      const res = await bare.fetch(
        `/oauth/${UNKNOWN}?redirect_uri=${encodeURIComponent(CALLER)}`,
        { redirect: "manual" },
      );
      assert.equal(res.status, 500);
      assert.match(await res.text(), /OAUTH_REDIRECT_HOSTS is missing/);
      // Everything else still works without it.
      assert.equal((await bare.admin("/api/v1/authorizers")).status, 200);
    } finally {
      await bare.dispose();
    }
  },
});

Deno.test({
  name: "jssdk: teardown",
  ...opts,
  async fn() {
    await h.dispose();
  },
});

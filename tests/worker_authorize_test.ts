/**
 * The merchant authorization flow and the settings, against the real bundled worker under
 * Miniflare with the WeChat simulator (defects found by a black-box test, one test each):
 *
 * - 3: an appid that was never authorized is 404 `not_found` on the token and proxy routes;
 *   409 `reauthorization_required` is only for a known authorizer (refused refresh token,
 *   revoked).
 * - 7: the authorization `state` is single-use, and a remembered answer (appid, nickname) is
 *   shown only to the browser that started the authorization.
 * - 8: a secret with whitespace (a trailing newline, spaces) is refused by name.
 * - 9: `/authorize` before WeChat's first ticket is a 503 page that says it waits for the ticket.
 */

import assert from "node:assert/strict";
import {
  authorizeLink,
  eventually,
  expectError,
  type Harness,
  ORIGIN,
  SETTINGS,
  startWorker,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };
const EN = { "accept-language": "en-US,en;q=0.9" };

let h: Harness;

/** A browser's start of an authorization: the state, its cookie and the pre_auth_code. */
async function startAuthorization(w: Harness = h) {
  const res = await w.fetch("/authorize", { headers: EN });
  const page = await res.text();
  assert.equal(res.status, 200, page);
  return authorizeLink(res, page);
}

/** The callback `start`'s browser gets for `code` (its own cookie unless `cookie` is given). */
function callback(
  start: { callback: string; cookie: string },
  code: string,
  cookie: string = start.cookie,
): Promise<Response> {
  return h.fetch(`${start.callback}&auth_code=${encodeURIComponent(code)}&expires_in=600`, {
    headers: { ...EN, ...(cookie ? { cookie } : {}) },
  });
}

/** Waits until the authorizer's token is stored (the `authorized` push was exchanged). */
async function exchanged(appid: string): Promise<void> {
  await h.sim.settled();
  await eventually(async () => (await h.snapshot()).has(`wxopen:v1:authorizer_token:${appid}`));
}

Deno.test({
  name: "authorize: before WeChat's first ticket /authorize is a 503 page with Retry-After (9)",
  ...opts,
  async fn() {
    h = await startWorker();
    const res = await h.fetch("/authorize", { headers: EN });
    const text = await res.text();
    assert.equal(res.status, 503, text);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(text, /id="error"/);
    assert.match(text, /waiting for WeChat/i, text);
    assert.match(text, /component_verify_ticket/);
    assert.doesNotMatch(text, /could not be reached/i);
    const retry = Number(res.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 600, `Retry-After: ${res.headers.get("retry-after")}`);
    assert.equal(res.headers.get("cache-control"), "no-store");
    // The Chinese page says the same in Chinese.
    const zh = await h.fetch("/authorize");
    assert.equal(zh.status, 503);
    assert.match(await zh.text(), /等待微信推送/);
  },
});

Deno.test({
  name: "authorize: once WeChat's ticket arrived, /authorize works",
  ...opts,
  async fn() {
    assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
    await startAuthorization();
  },
});

Deno.test({
  name: "authorize: an appid never authorized is 404 on token, refresh and proxy routes (3)",
  ...opts,
  async fn() {
    const unknown = "wx00000000000000ff";
    await expectError(
      await h.admin(`/api/v1/authorizers/${unknown}/access-token`),
      404,
      "not_found",
    );
    await expectError(
      await h.admin(`/api/v1/authorizers/${unknown}/access-token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: "some-token" }),
      }),
      404,
      "not_found",
    );
    await expectError(
      await h.admin(`/api/v1/authorizers/${unknown}/wechat/cgi-bin/get_current_selfmenu_info`),
      404,
      "not_found",
    );
    // Asking again (the object now exists) still says unknown.
    await expectError(
      await h.admin(`/api/v1/authorizers/${unknown}/access-token`),
      404,
      "not_found",
    );
  },
});

Deno.test({
  name: "authorize: a known authorizer WeChat refuses or that revoked is 409 (3)",
  ...opts,
  async fn() {
    // Refused: WeChat no longer accepts the stored refresh token (61003: not authorized).
    const refused = await h.sim.authorizeAccount({ kind: "official_account" });
    await exchanged(refused.appId);
    const token = h.sim.currentAccessToken(refused.appId)!;
    const fault = h.sim.inject({ path: "api_authorizer_token", errcode: 61003, times: Infinity });
    await expectError(
      await h.admin(`/api/v1/authorizers/${refused.appId}/access-token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: token }),
      }),
      409,
      "reauthorization_required",
    );
    fault.cancel();
    // Revoked by the merchant (the `unauthorized` push is delivered).
    const revoked = await h.sim.authorizeAccount({ kind: "mini_program" });
    await exchanged(revoked.appId);
    await h.sim.revoke(revoked.appId);
    await h.sim.settled();
    await eventually(async () =>
      (await h.admin(`/api/v1/authorizers/${revoked.appId}/access-token`)).status === 409
    );
    await expectError(
      await h.admin(`/api/v1/authorizers/${revoked.appId}/access-token`),
      409,
      "reauthorization_required",
    );
    await expectError(
      await h.admin(
        `/api/v1/authorizers/${revoked.appId}/wechat/cgi-bin/get_current_selfmenu_info`,
      ),
      409,
      "reauthorization_required",
    );
  },
});

Deno.test({
  name: "authorize: a completed state takes no second code; a reload shows the same result (7)",
  ...opts,
  async fn() {
    const a = await startAuthorization();
    const first = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode: a.preAuthCode,
      nickName: "第一家店",
    });
    // WeChat's `authorized` push exchanges the code before the browser comes back.
    await exchanged(first.appId);
    const page = await callback(a, first.authCode);
    const text = await page.text();
    assert.equal(page.status, 200, text);
    assert.match(text, new RegExp(first.appId));
    assert.match(text, /第一家店/);
    // A reload of the same callback URL in the same browser shows the same result.
    const reload = await callback(a, first.authCode);
    const reloadText = await reload.text();
    assert.equal(reload.status, 200, reloadText);
    assert.match(reloadText, new RegExp(first.appId));

    // The same state and cookie with another code (another authorization) are refused.
    const second = await h.sim.authorizeAccount({ kind: "mini_program", nickName: "第二家店" });
    await exchanged(second.appId);
    const again = await callback(a, second.authCode);
    const againText = await again.text();
    assert.equal(again.status, 400, againText);
    assert.match(again.headers.get("content-type") ?? "", /text\/html/);
    assert.doesNotMatch(againText, new RegExp(second.appId));
    assert.doesNotMatch(againText, /第二家店/);
    // …and that refusal did not spoil the first result for its browser.
    assert.equal((await callback(a, first.authCode)).status, 200);
  },
});

Deno.test({
  name: "authorize: a code replayed from another browser shows nothing of the first (7)",
  ...opts,
  async fn() {
    const a = await startAuthorization();
    const b = await startAuthorization(); // another browser, its own genuine state
    const auth = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode: a.preAuthCode,
      nickName: "甲的店",
    });
    await exchanged(auth.appId);
    const mine = await callback(a, auth.authCode);
    assert.equal(mine.status, 200, await mine.text());
    for (
      const [what, res] of [
        ["with its own state", await callback(b, auth.authCode)],
        [
          "with the first browser's state, its own cookie",
          await callback(a, auth.authCode, b.cookie),
        ],
        ["with no cookie", await callback(a, auth.authCode, "")],
      ] as const
    ) {
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
      assert.doesNotMatch(text, new RegExp(auth.appId), what);
      assert.doesNotMatch(text, /甲的店/, what);
    }
  },
});

Deno.test({
  name: "authorize: after the push, a replaying browser that comes back first gets nothing (7)",
  ...opts,
  async fn() {
    const a = await startAuthorization();
    const b = await startAuthorization();
    const auth = await h.sim.authorizeAccount({
      kind: "mini_program",
      preAuthCode: a.preAuthCode,
      nickName: "乙的小程序",
    });
    await exchanged(auth.appId);
    // The code leaks to another browser, which comes back before the merchant does.
    const thief = await callback(b, auth.authCode);
    const thiefText = await thief.text();
    assert.ok(thief.status >= 400 && thief.status < 500, `${thief.status}`);
    assert.doesNotMatch(thiefText, new RegExp(auth.appId));
    assert.doesNotMatch(thiefText, /乙的小程序/);
    // The merchant's browser still sees its result.
    const mine = await callback(a, auth.authCode);
    const text = await mine.text();
    assert.equal(mine.status, 200, text);
    assert.match(text, new RegExp(auth.appId));
    assert.match(text, /乙的小程序/);
  },
});

Deno.test({
  name: "authorize: the push and the redirect at once still show the merchant its result (7)",
  ...opts,
  async fn() {
    const a = await startAuthorization();
    const exchanges = h.sim.calls("/cgi-bin/component/api_query_auth");
    const auth = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode: a.preAuthCode,
      nickName: "丙的号",
    });
    // The simulator's own push may be in flight; send WeChat's push again alongside.
    const [push, page] = await Promise.all([
      h.sim.authorizationPush(EVENTS, auth).then((r) => h.send(r)),
      callback(a, auth.authCode),
    ]);
    assert.equal(await push.text(), "success");
    const text = await page.text();
    assert.equal(page.status, 200, text);
    assert.match(text, /丙的号/);
    await exchanged(auth.appId);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.sim.calls("/cgi-bin/component/api_query_auth") - exchanges, 1);
  },
});

Deno.test({
  name: "authorize: two codes for one state at once: one result at most, never the other's (7)",
  ...opts,
  async fn() {
    const a = await startAuthorization();
    const own = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode: a.preAuthCode,
      nickName: "丁的号",
    });
    const foreign = await h.sim.authorizeAccount({ kind: "mini_program", nickName: "戊的小程序" });
    await exchanged(own.appId);
    await exchanged(foreign.appId);
    const answers = await Promise.all([
      callback(a, own.authCode),
      callback(a, foreign.authCode),
      callback(a, foreign.authCode),
    ]);
    const texts = await Promise.all(answers.map((r) => r.text()));
    assert.ok(answers.filter((r) => r.status === 200).length <= 1, "one result at most");
    for (const [i, text] of texts.entries()) {
      assert.doesNotMatch(text, new RegExp(foreign.appId), `answer ${i}`);
      assert.doesNotMatch(text, /戊的小程序/, `answer ${i}`);
      if (answers[i].status !== 200) assert.ok(answers[i].status >= 400 && answers[i].status < 500);
    }
  },
});

Deno.test({
  name: "authorize: the shared worker stops",
  ...opts,
  async fn() {
    await h.dispose();
  },
});

Deno.test({
  name: "authorize: a secret with whitespace is refused by name, never by value (8)",
  ...opts,
  async fn() {
    const cases: [string, string][] = [
      ["ADMIN_TOKEN", `${SETTINGS.ADMIN_TOKEN}\n`],
      ["ADMIN_TOKEN", "test admin token 0123456789abcdef"],
      ["ADMIN_TOKEN", ` ${SETTINGS.ADMIN_TOKEN}`],
      ["COMPONENT_APPSECRET", `${SETTINGS.COMPONENT_APPSECRET}\n`],
      ["COMPONENT_APPSECRET", `${SETTINGS.COMPONENT_APPSECRET}\r\n`],
      ["COMPONENT_TOKEN", `${SETTINGS.COMPONENT_TOKEN}\n`],
      ["COMPONENT_AES_KEY", `${SETTINGS.COMPONENT_AES_KEY}\n`],
      ["STORAGE_KEY", `${SETTINGS.STORAGE_KEY}\n`],
      ["FORWARD_SECRET", "forward-secret-0123456789\n"],
      ["WECHAT_API_BASE", "https://api.weixin.qq.com \n"],
    ];
    for (const [name, value] of cases) {
      const w = await startWorker({ settings: { [name]: value } });
      try {
        for (const path of ["/healthz", "/api/v1/authorizers"]) {
          const msg = await expectError(await w.fetch(path), 500, "invalid_setting");
          assert.ok(msg.startsWith(name), `${JSON.stringify(value)}: ${msg}`);
          assert.ok(!msg.includes(value.trim()), "the value is not shown");
        }
      } finally {
        await w.dispose();
      }
    }
  },
});

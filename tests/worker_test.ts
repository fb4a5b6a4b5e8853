/**
 * The worker under Miniflare (real workerd), bundled as `wrangler deploy --dry-run` bundles it,
 * with the WeChat simulator standing in for WeChat. One worker serves the whole file; tests run
 * in order and build on each other's state (ticket → authorization → tokens → revocation).
 */

import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import {
  authorizeLink,
  bundleWorker,
  eventually,
  expectError,
  forwardSignature,
  type Harness,
  ORIGIN,
  SETTINGS,
  startWorker,
  unescapeAmp,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };

let h: Harness;
let appid = "";

/** Sends `request` and asserts that nothing in KV changed, byte for byte. */
async function rejected(request: Request, status: number, code: string): Promise<void> {
  const before = await h.snapshot();
  await expectError(await h.send(request), status, code);
  await h.sim.settled();
  assert.deepEqual(await h.snapshot(), before, "KV changed for a rejected push");
}

/** `push` correctly signed again as if sent at `timestamp` (unix seconds). */
async function signedAt(push: Request, timestamp: number): Promise<Request> {
  const mc = await MessageCrypto.create({
    token: SETTINGS.COMPONENT_TOKEN,
    encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
    appId: SETTINGS.COMPONENT_APPID,
  });
  const body = await push.text();
  const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)![1];
  const url = new URL(push.url);
  url.searchParams.set("timestamp", String(timestamp));
  url.searchParams.set(
    "msg_signature",
    mc.signature(String(timestamp), url.searchParams.get("nonce")!, encrypt),
  );
  return new Request(url, { method: "POST", body });
}

function withQuery(request: Request, changes: Record<string, string | null>, body?: string) {
  const url = new URL(request.url);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return { url: url.toString(), body };
}

Deno.test({
  name: "worker: starts under Miniflare and reports health without secrets",
  ...opts,
  async fn() {
    h = await startWorker();
    const res = await h.fetch("/healthz");
    const text = await res.text();
    assert.equal(res.status, 503, "no ticket yet: degraded");
    const body = JSON.parse(text);
    assert.equal(body.status, "degraded");
    assert.equal(body.ticket.received, false);
    for (const secret of Object.values(SETTINGS)) {
      if (secret.length > 12) assert.ok(!text.includes(secret));
    }
  },
});

Deno.test({
  name: "worker: a ticket push is verified, stored sealed and answered `success`",
  ...opts,
  async fn() {
    const res = await h.send(await h.sim.ticketPush(EVENTS));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "success");
    const kv = await h.snapshot();
    const ticket = JSON.parse(kv.get("wxopen:v1:ticket")!);
    assert.match(ticket.value, /^v1:/, "sealed at rest");
    assert.doesNotMatch(ticket.value, /ticket@@@/);
    const health = await (await h.fetch("/healthz")).json();
    assert.equal(health.ticket.received, true);
    // WeChat retries a push up to three times: a retry is answered the same way.
    const push = await h.sim.ticketPush(EVENTS);
    const copy = push.clone();
    assert.equal(await (await h.send(push)).text(), "success");
    assert.equal(await (await h.send(copy)).text(), "success");
  },
});

Deno.test({
  name: "worker: a push with a bad msg_signature is 401 and changes nothing in KV",
  ...opts,
  async fn() {
    const push = await h.sim.ticketPush(EVENTS);
    const body = await push.clone().text();
    const { url } = withQuery(push, { msg_signature: "0".repeat(40) });
    await rejected(new Request(url, { method: "POST", body }), 401, "bad_signature");
    // A signature over another timestamp: also refused.
    const other = String(Math.floor(Date.now() / 1000) + 1);
    const { url: url2 } = withQuery(push, { timestamp: other });
    await rejected(new Request(url2, { method: "POST", body }), 401, "bad_signature");
  },
});

Deno.test({
  name: "worker: a signed push replayed outside the timestamp window is refused, nothing stored",
  ...opts,
  async fn() {
    // Three days old, and an hour ahead: both correctly signed, both refused before decryption.
    for (const offset of [-3 * 86400, 3600]) {
      const at = Math.floor(Date.now() / 1000) + offset;
      await rejected(await signedAt(await h.sim.ticketPush(EVENTS), at), 401, "stale_push");
    }
    // A replayed `unauthorized` does not end a live authorization.
    const auth = await h.sim.authorizeAccount({ kind: "official_account" });
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
    );
    const old = Math.floor(Date.now() / 1000) - 3 * 86400;
    const replay = await signedAt(await h.sim.unauthorizedPush(EVENTS, auth.appId), old);
    await rejected(replay, 401, "stale_push");
    const token = await h.admin(`/api/v1/authorizers/${auth.appId}/access-token`);
    assert.equal(token.status, 200, await token.text());
  },
});

Deno.test({
  name: "worker: malformed pushes are 400 and change nothing in KV",
  ...opts,
  async fn() {
    const push = await h.sim.ticketPush(EVENTS);
    const body = await push.clone().text();
    // Missing query parameters.
    const { url } = withQuery(push, { msg_signature: null });
    await rejected(new Request(url, { method: "POST", body }), 400, "invalid_request");
    // Not an envelope at all.
    await rejected(new Request(push.url, { method: "POST", body: "hello" }), 400, "malformed_push");
    // Invalid UTF-8.
    await rejected(
      new Request(push.url, { method: "POST", body: new Uint8Array([0x3c, 0xff, 0xfe, 0x3e]) }),
      400,
      "malformed_push",
    );
    // A correctly signed ciphertext that does not decrypt (bit flipped, signature recomputed).
    const mc = await MessageCrypto.create({
      token: SETTINGS.COMPONENT_TOKEN,
      encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
      appId: SETTINGS.COMPONENT_APPID,
    });
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)![1];
    const flipped = encrypt[10] === "A" ? "B" : "A";
    const bad = encrypt.slice(0, 10) + flipped + encrypt.slice(11);
    const q = new URL(push.url).searchParams;
    const sig = mc.signature(q.get("timestamp")!, q.get("nonce")!, bad);
    const { url: badUrl } = withQuery(push, { msg_signature: sig });
    await rejected(
      new Request(badUrl, { method: "POST", body: body.replace(encrypt, bad) }),
      400,
      "malformed_push",
    );
    // A valid encryption of something that is not a push.
    const junk = await mc.encrypt("<xml><Nothing>here</Nothing></xml>");
    const junkSig = mc.signature(q.get("timestamp")!, q.get("nonce")!, junk);
    const { url: junkUrl } = withQuery(push, { msg_signature: junkSig });
    await rejected(
      new Request(junkUrl, { method: "POST", body: body.replace(encrypt, junk) }),
      400,
      "malformed_push",
    );
    // Too large.
    await rejected(
      new Request(push.url, { method: "POST", body: "x".repeat(70 * 1024) }),
      413,
      "payload_too_large",
    );
  },
});

Deno.test({
  name: "worker: a push for a foreign appid is rejected and changes nothing in KV",
  ...opts,
  async fn() {
    const push = await h.sim.ticketPush(EVENTS);
    const q = new URL(push.url).searchParams;
    // Encrypted with our key and token, but addressed to another component appid.
    const foreign = await MessageCrypto.create({
      token: SETTINGS.COMPONENT_TOKEN,
      encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
      appId: "wx0000000000000bad",
    });
    const xml =
      "<xml><AppId><![CDATA[wx0000000000000bad]]></AppId><CreateTime>1700000000</CreateTime>" +
      "<InfoType><![CDATA[component_verify_ticket]]></InfoType>" +
      "<ComponentVerifyTicket><![CDATA[ticket@@@foreign]]></ComponentVerifyTicket></xml>";
    const encrypt = await foreign.encrypt(xml);
    const sig = foreign.signature(q.get("timestamp")!, q.get("nonce")!, encrypt);
    const url = new URL(push.url);
    url.searchParams.set("msg_signature", sig);
    const body =
      `<xml><AppId><![CDATA[wx0000000000000bad]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    await rejected(new Request(url, { method: "POST", body }), 400, "foreign_appid");
    // Our appid at the end of the plaintext, another one inside the XML.
    const ours = await MessageCrypto.create({
      token: SETTINGS.COMPONENT_TOKEN,
      encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
      appId: SETTINGS.COMPONENT_APPID,
    });
    const inner = await ours.encrypt(xml);
    url.searchParams.set(
      "msg_signature",
      ours.signature(q.get("timestamp")!, q.get("nonce")!, inner),
    );
    await rejected(
      new Request(url, { method: "POST", body: body.replace(encrypt, inner) }),
      400,
      "foreign_appid",
    );
  },
});

Deno.test({
  name: "worker: the admin API needs the Bearer ADMIN_TOKEN",
  ...opts,
  async fn() {
    await expectError(await h.fetch("/api/v1/authorizers"), 401, "unauthorized");
    await expectError(
      await h.fetch("/api/v1/component/access-token", {
        headers: { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}x` },
      }),
      401,
      "unauthorized",
    );
    await expectError(
      await h.fetch("/api/v1/component/access-token", {
        headers: { authorization: `Basic ${SETTINGS.ADMIN_TOKEN}` },
      }),
      401,
      "unauthorized",
    );
    const res = await h.admin("/api/v1/component/access-token");
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.access_token, h.sim.currentAccessToken());
    assert.equal(body.component_appid, SETTINGS.COMPONENT_APPID);
    assert.ok(body.expires_in > 7000);
  },
});

Deno.test({
  name: "worker: /authorize renders a page with a fresh pre_auth_code link and a state cookie",
  ...opts,
  async fn() {
    const res = await h.fetch("/authorize?auth_type=1&category_id_list=1|2|3", {
      headers: { "accept-language": "en-US,en;q=0.9" },
    });
    assert.equal(res.status, 200);
    const page = unescapeAmp(await res.text());
    assert.match(page, /Authorize in WeChat/);
    const link = new URL(
      /id="authorize"[^>]*href="([^"]+)"/.exec(page)?.[1] ??
        /href="([^"]+)"/.exec(page)![1],
    );
    assert.equal(
      link.origin + link.pathname,
      "https://mp.weixin.qq.com/cgi-bin/componentloginpage",
    );
    assert.equal(link.searchParams.get("auth_type"), "1");
    assert.equal(link.searchParams.get("category_id_list"), "1|2|3");
    assert.match(link.searchParams.get("pre_auth_code")!, /^preauthcode@@@/);
    const cookie = res.headers.get("set-cookie")!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    // Each page gets its own code.
    const again = unescapeAmp(await (await h.fetch("/authorize")).text());
    assert.notEqual(
      new URL(/href="([^"]+)"/.exec(again)![1]).searchParams.get("pre_auth_code"),
      link.searchParams.get("pre_auth_code"),
    );
    assert.match(again, /前往微信授权/, "Chinese by default");
    // Mobile browsers get the H5 link.
    const mobile = unescapeAmp(
      await (await h.fetch("/authorize?biz_appid=wx570bc396a51b8ff8", {
        headers: { "user-agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0" },
      })).text(),
    );
    const mlink = new URL(/href="([^"]+)"/.exec(mobile)![1]);
    assert.equal(mlink.pathname, "/wxaopen/safe/bindcomponent");
    assert.equal(mlink.searchParams.get("biz_appid"), "wx570bc396a51b8ff8");
    // Invalid parameters are refused.
    for (const q of ["auth_type=7", "biz_appid=nope", "category_id_list=1,2"]) {
      assert.equal((await h.fetch(`/authorize?${q}`)).status, 400, q);
    }
  },
});

Deno.test({
  name: "worker: the authorization callback refuses a foreign state and stores nothing",
  ...opts,
  async fn() {
    const res = await h.fetch("/authorize");
    const start = authorizeLink(res, await res.text());
    const auth = await h.sim.authorizeAccount({
      kind: "mini_program",
      preAuthCode: start.preAuthCode,
    });
    const cb = `${start.callback}&auth_code=${encodeURIComponent(auth.authCode)}`;
    // WeChat's own `authorized` push for this authorization lands first; wait for it.
    await h.sim.settled();
    await eventually(async () =>
      (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
    );
    await new Promise((r) => setTimeout(r, 100));
    const before = await h.snapshot();
    const exchanges = h.sim.calls("/cgi-bin/component/api_query_auth");
    // No cookie (another browser).
    assert.equal((await h.fetch(cb)).status, 400);
    // A cookie of another state.
    const other = (await h.fetch("/authorize")).headers.get("set-cookie")!.split(";")[0];
    assert.equal((await h.fetch(cb, { headers: { cookie: other } })).status, 400);
    // A forged cookie.
    const state = start.state;
    const forged = `wxopen_state=${state}.${Math.floor(Date.now() / 1000)}.${"0".repeat(64)}`;
    assert.equal((await h.fetch(cb, { headers: { cookie: forged } })).status, 400);
    assert.deepEqual(await h.snapshot(), before);
    assert.equal(h.sim.calls("/cgi-bin/component/api_query_auth"), exchanges);
  },
});

Deno.test({
  name: "worker: authorization — redirect and `authorized` push share one api_query_auth",
  ...opts,
  async fn() {
    const res = await h.fetch("/authorize");
    const { cookie, callback, preAuthCode } = authorizeLink(res, await res.text());
    const exchanges = h.sim.calls("/cgi-bin/component/api_query_auth");
    const auth = await h.sim.authorizeAccount({
      kind: "official_account",
      preAuthCode,
      nickName: "测试公众号",
    });
    appid = auth.appId;
    const cb = `${callback}&auth_code=${encodeURIComponent(auth.authCode)}&expires_in=600`;
    // WeChat pushes `authorized` while the browser comes back: both carry the same code.
    const [push, page] = await Promise.all([
      h.sim.authorizationPush(EVENTS, auth).then((r) => h.send(r)),
      h.fetch(cb, { headers: { cookie } }),
    ]);
    assert.equal(await push.text(), "success");
    const text = await page.text();
    assert.equal(page.status, 200, text);
    assert.match(text, new RegExp(appid));
    assert.match(text, /测试公众号/);
    assert.match(page.headers.get("set-cookie") ?? "", /Max-Age=0/, "state is single use");
    await eventually(async () => (await h.snapshot()).has(`wxopen:v1:authorizer_token:${appid}`));
    await new Promise((r) => setTimeout(r, 200));
    await h.sim.settled();
    assert.equal(h.sim.calls("/cgi-bin/component/api_query_auth") - exchanges, 1);
  },
});

Deno.test({
  name: "worker: a code WeChat refuses shows an error page, not a stack trace",
  ...opts,
  async fn() {
    const res = await h.fetch("/authorize");
    const { cookie, callback } = authorizeLink(res, await res.text());
    const page = await h.fetch(
      `${callback}&auth_code=queryauthcode%40%40%40unknown`,
      { headers: { cookie } },
    );
    assert.equal(page.status, 502);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    const text = await page.text();
    assert.match(text, /id="error"/);
    assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+/);
  },
});

Deno.test({
  name: "worker: admin API lists and reads authorizers, never a refresh token",
  ...opts,
  async fn() {
    const refreshToken = h.sim.account(appid)!.refreshToken!;
    const list = await h.admin("/api/v1/authorizers");
    const listText = await list.text();
    assert.equal(list.status, 200);
    assert.ok(
      JSON.parse(listText).authorizers.some((a: { authorizer_appid: string }) =>
        a.authorizer_appid === appid
      ),
    );
    const one = await h.admin(`/api/v1/authorizers/${appid}`);
    const oneText = await one.text();
    const record = JSON.parse(oneText);
    assert.equal(record.status, "authorized");
    assert.ok(record.func_info.length > 0);
    assert.equal(record.authorizer_info.nick_name, "测试公众号");
    for (const text of [listText, oneText]) assert.ok(!text.includes(refreshToken));
    await expectError(await h.admin("/api/v1/authorizers/wx00000000000000ff"), 404, "not_found");
    await expectError(await h.admin("/api/v1/authorizers/not-an-appid"), 400, "invalid_request");
    // KV holds no plaintext token.
    for (const [, v] of await h.snapshot()) {
      assert.ok(!v.includes(refreshToken));
      assert.ok(!v.includes(h.sim.currentAccessToken(appid)!));
    }
  },
});

Deno.test({
  name: "worker: a warm access-token request makes no upstream call and no KV read",
  ...opts,
  async fn() {
    const first = await h.admin(`/api/v1/authorizers/${appid}/access-token`);
    const body = await first.json();
    assert.equal(body.access_token, h.sim.currentAccessToken(appid));
    assert.equal(body.authorizer_appid, appid);
    assert.ok(Number(first.headers.get("x-wxopen-kv-reads")) <= 1);
    const calls = h.sim.calls();
    for (let i = 0; i < 5; i++) {
      const warm = await h.admin(`/api/v1/authorizers/${appid}/access-token`);
      assert.equal((await warm.json()).access_token, body.access_token);
      assert.equal(warm.headers.get("x-wxopen-kv-reads"), "0");
      assert.equal(warm.headers.get("x-wxopen-upstream-calls"), "0");
    }
    assert.equal(h.sim.calls(), calls);
  },
});

Deno.test({
  name: "worker: refresh-if-still-invalid — concurrent reports make one upstream refresh",
  ...opts,
  async fn() {
    const old = h.sim.currentAccessToken(appid)!;
    h.sim.invalidateAccessToken(appid);
    const before = h.sim.calls("/cgi-bin/component/api_authorizer_token");
    const answers = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          h.admin(`/api/v1/authorizers/${appid}/access-token/refresh`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ invalid_token: old }),
          }).then((r) => r.json()),
      ),
    );
    const fresh = h.sim.currentAccessToken(appid);
    assert.ok(fresh && fresh !== old);
    for (const a of answers) assert.equal(a.access_token, fresh);
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - before, 1);
    // Reporting the old token again does not refresh again.
    const again = await h.admin(`/api/v1/authorizers/${appid}/access-token/refresh`, {
      method: "POST",
      body: JSON.stringify({ invalid_token: old }),
    });
    assert.equal((await again.json()).access_token, fresh);
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - before, 1);
    // The body is validated.
    await expectError(
      await h.admin(`/api/v1/authorizers/${appid}/access-token/refresh`, {
        method: "POST",
        body: "{}",
      }),
      400,
      "invalid_request",
    );
  },
});

Deno.test({
  name: "worker: the proxy injects the token and retries once after 40001",
  ...opts,
  async fn() {
    const path = `/api/v1/authorizers/${appid}/wechat/cgi-bin/message/custom/send`;
    const send = (content: string) =>
      h.admin(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ touser: "o_user", msgtype: "text", text: { content } }),
      });
    const ok = await send("hello");
    assert.equal((await ok.json()).errcode, 0);
    // WeChat invalidates the token behind the worker's back: one refresh, one retry.
    h.sim.invalidateAccessToken(appid);
    const refreshes = h.sim.calls("/cgi-bin/component/api_authorizer_token");
    const retried = await send("after 40001");
    assert.equal((await retried.json()).errcode, 0);
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - refreshes, 1);
    const sent = h.sim.sentMessages(appid).map((m) => (m.body.text as { content: string }).content);
    assert.deepEqual(sent.slice(-2), ["hello", "after 40001"]);
    // A caller cannot smuggle its own access_token.
    const smuggled = await h.admin(`${path}?access_token=evil`, {
      method: "POST",
      body: JSON.stringify({ touser: "o_user", msgtype: "text", text: { content: "x" } }),
    });
    assert.equal((await smuggled.json()).errcode, 0);
  },
});

Deno.test({
  name:
    "worker: a component token WeChat rejects on the request path is refreshed once, by the component instance",
  ...opts,
  async fn() {
    // Warm: the request path holds the component token (isolate cache or KV).
    const warm = await h.fetch("/authorize");
    assert.equal(warm.status, 200);
    await warm.body?.cancel();
    const old = h.sim.currentAccessToken()!;
    h.sim.invalidateAccessToken();
    const refreshes = h.sim.calls("/cgi-bin/component/api_component_token");
    const pages = await Promise.all(Array.from({ length: 5 }, () => h.fetch("/authorize")));
    for (const page of pages) {
      assert.equal(page.status, 200);
      assert.match(await page.text(), /pre_auth_code=preauthcode/);
    }
    assert.equal(h.sim.calls("/cgi-bin/component/api_component_token") - refreshes, 1);
    const fresh = h.sim.currentAccessToken()!;
    assert.notEqual(fresh, old);
    const res = await h.admin("/api/v1/component/access-token");
    assert.equal((await res.json()).access_token, fresh);
    assert.equal(h.sim.calls("/cgi-bin/component/api_component_token") - refreshes, 1);
  },
});

Deno.test({
  name: "worker: release test — text, QUERY_AUTH_CODE and event are answered automatically",
  ...opts,
  async fn() {
    const url = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;
    const text = await h.send(await h.sim.releaseTestTextPush(url));
    assert.equal(text.status, 200);
    const reply = await h.sim.openReply(await text.text());
    assert.match(reply, /<Content><!\[CDATA\[TESTCOMPONENT_MSG_TYPE_TEXT_callback\]\]><\/Content>/);

    const q = await h.sim.releaseTestQueryAuthCodePush(url);
    const empty = await h.send(q.request);
    assert.equal(empty.status, 200);
    assert.equal(await empty.text(), "");
    await eventually(() => h.sim.releaseTestPassed(q.authCode));

    const event = await h.send(await h.sim.releaseTestEventPush(url, "LOCATION"));
    assert.match(await h.sim.openReply(await event.text()), /LOCATIONfrom_callback/);
  },
});

Deno.test({
  name: "worker: authorizer messages are forwarded with an HMAC signature",
  ...opts,
  async fn() {
    const url = `${ORIGIN}/wechat/authorizers/${appid}/callback`;
    const before = h.forwarded.length;
    const res = await h.send(await h.sim.textMessagePush(url, { appId: appid, content: "你好" }));
    assert.equal(await res.text(), "success");
    const fwd = await eventually(() => h.forwarded[before]);
    const payload = JSON.parse(fwd.body);
    assert.equal(payload.authorizer_appid, appid);
    assert.equal(payload.message.Content, "你好");
    const ts = fwd.headers.get("x-wxopen-timestamp")!;
    assert.equal(fwd.headers.get("x-wxopen-signature"), await forwardSignature(ts, fwd.body));
    // A tampered message push is refused and not forwarded.
    const push = await h.sim.textMessagePush(url, { appId: appid, content: "x" });
    const { url: bad } = withQuery(push, { msg_signature: "f".repeat(40) });
    await rejected(
      new Request(bad, { method: "POST", body: await push.text() }),
      401,
      "bad_signature",
    );
    assert.equal(h.forwarded.length, before + 1);
  },
});

Deno.test({
  name: "worker: WeChat's three retries of an `authorized` push make one api_query_auth",
  ...opts,
  async fn() {
    const quiet = await startWorker();
    try {
      // A simulator without automatic delivery: this test sends the pushes itself.
      await quiet.send(await quiet.sim.ticketPush(EVENTS));
      const auth = await quiet.sim.authorizeAccount({ kind: "mini_program" });
      await quiet.sim.settled();
      const before = quiet.sim.calls("/cgi-bin/component/api_query_auth");
      const push = await quiet.sim.authorizationPush(EVENTS, auth);
      const copies = [push.clone(), push.clone(), push];
      for (const copy of copies) assert.equal(await (await quiet.send(copy)).text(), "success");
      await eventually(async () =>
        (await quiet.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(quiet.sim.calls("/cgi-bin/component/api_query_auth") - before <= 1);
      const token = await (await quiet.admin(`/api/v1/authorizers/${auth.appId}/access-token`))
        .json();
      assert.equal(token.access_token, quiet.sim.currentAccessToken(auth.appId));
    } finally {
      await quiet.dispose();
    }
  },
});

Deno.test({
  name:
    "worker: a token that lapsed from KV is served by its object, without a refresh, and put back",
  ...opts,
  async fn() {
    const auth = await h.sim.authorizeAccount({ kind: "official_account" });
    await h.sim.settled();
    const key = `wxopen:v1:authorizer_token:${auth.appId}`;
    await eventually(async () => (await h.snapshot()).has(key));
    const kv = await h.mf.getKVNamespace("TOKENS") as unknown as {
      delete(k: string): Promise<void>;
    };
    await kv.delete(key);
    await kv.delete("wxopen:v1:component_token");
    const tokenCalls = h.sim.calls("/cgi-bin/component/api_authorizer_token");
    const componentCalls = h.sim.calls("/cgi-bin/component/api_component_token");
    const answers = await Promise.all(
      Array.from(
        { length: 30 },
        () => h.admin(`/api/v1/authorizers/${auth.appId}/access-token`).then((r) => r.json()),
      ),
    );
    const current = h.sim.currentAccessToken(auth.appId);
    for (const a of answers) assert.equal(a.access_token, current);
    // The object keeps its own copy: nothing to refresh, and KV gets the token back.
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - tokenCalls, 0);
    assert.equal(h.sim.calls("/cgi-bin/component/api_component_token") - componentCalls, 0);
    // Pages that need the component token concurrently: still at most one refresh.
    await kv.delete("wxopen:v1:component_token");
    const before = h.sim.calls("/cgi-bin/component/api_component_token");
    const pages = await Promise.all(Array.from({ length: 10 }, () => h.fetch("/authorize")));
    for (const p of pages) assert.equal(p.status, 200, await p.text());
    assert.ok(h.sim.calls("/cgi-bin/component/api_component_token") - before <= 1);
  },
});

Deno.test({
  name: "worker: an authorizer WeChat no longer accepts is reported by /healthz",
  ...opts,
  async fn() {
    const auth = await h.sim.authorizeAccount({ kind: "mini_program" });
    await h.sim.settled();
    const key = `wxopen:v1:authorizer_token:${auth.appId}`;
    await eventually(async () => (await h.snapshot()).has(key));
    // WeChat refuses the refresh token, also the one api_get_authorizer_list gives back.
    h.sim.inject({ path: "api_authorizer_token", errcode: 61023, times: 2 });
    // The token is reported invalid, so the object must refresh it: WeChat refuses.
    await expectError(
      await h.admin(`/api/v1/authorizers/${auth.appId}/access-token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: h.sim.currentAccessToken(auth.appId) }),
      }),
      409,
      "reauthorization_required",
    );
    const health = await (await h.fetch("/healthz")).json();
    assert.ok(health.authorizers.needing_reauthorization.includes(auth.appId));
    assert.ok(health.authorizers.by_status.authorized >= 1);
  },
});

Deno.test({
  name: "worker: cron wakes an object whose KV copy looks overdue; the object's own copy decides",
  ...opts,
  async fn() {
    const kv = await h.mf.getKVNamespace("TOKENS") as unknown as {
      getWithMetadata(k: string, t: "text"): Promise<{ value: string; metadata: unknown }>;
      put(k: string, v: string, o: { metadata: unknown }): Promise<void>;
    };
    const key = `wxopen:v1:authorizer_token:${appid}`;
    const current = h.sim.currentAccessToken(appid);
    const { value, metadata } = await kv.getWithMetadata(key, "text");
    // Make the KV copy look overdue through its metadata only (the sweep never reads values).
    await kv.put(key, value, {
      metadata: { expiresAt: Date.now() + 60_000, refreshAt: Date.now() - 1000 },
    });
    const before = h.sim.calls("/cgi-bin/component/api_authorizer_token");
    await h.cron();
    // The object's copy is fresh: no refresh, and KV is put right.
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - before, 0);
    assert.equal(h.sim.currentAccessToken(appid), current);
    const after = await kv.getWithMetadata(key, "text");
    assert.deepEqual(after.metadata, metadata);
  },
});

Deno.test({
  name: "worker: each credential's object refreshes its token ahead of expiry by its alarm",
  ...opts,
  async fn() {
    // Tokens that live 20 s: each object's alarm must replace them before they expire, with no
    // request and no cron.
    const w = await startWorker({ simulator: { tokenLifetimeSeconds: 20 } });
    try {
      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");
      const accounts = await Promise.all(
        Array.from({ length: 3 }, () => w.sim.authorizeAccount({ kind: "official_account" })),
      );
      await w.sim.settled();
      await eventually(async () => {
        const kv = await w.snapshot();
        return accounts.every((a) => kv.has(`wxopen:v1:authorizer_token:${a.appId}`));
      });
      const first = accounts.map((a) => w.sim.currentAccessToken(a.appId));
      const refreshes = w.sim.calls("/cgi-bin/component/api_authorizer_token");
      // Within one lifetime every token was replaced while still valid.
      await eventually(
        () => accounts.every((a, i) => w.sim.currentAccessToken(a.appId) !== first[i]),
        20_000,
      );
      assert.ok(w.sim.calls("/cgi-bin/component/api_authorizer_token") - refreshes >= 3);
      for (const a of accounts) {
        const res = await w.admin(`/api/v1/authorizers/${a.appId}/access-token`);
        const body = await res.json();
        assert.equal(body.access_token, w.sim.currentAccessToken(a.appId));
        assert.ok(body.expires_in > 0);
      }
    } finally {
      await w.dispose();
    }
  },
});

Deno.test({
  name: "worker: cron asks WeChat to push a ticket when none arrived for too long",
  ...opts,
  async fn() {
    const kv = await h.mf.getKVNamespace("TOKENS") as unknown as {
      delete(k: string): Promise<void>;
    };
    await kv.delete("wxopen:v1:ticket");
    const before = h.sim.calls("/cgi-bin/component/api_start_push_ticket");
    await h.cron();
    assert.equal(h.sim.calls("/cgi-bin/component/api_start_push_ticket") - before, 1);
    await h.sim.settled();
    assert.ok((await h.snapshot()).has("wxopen:v1:ticket"), "the pushed ticket was stored");
  },
});

Deno.test({
  name: "worker: an `unauthorized` push revokes the authorizer and purges its tokens",
  ...opts,
  async fn() {
    await h.sim.revoke(appid);
    const res = await h.send(await h.sim.unauthorizedPush(EVENTS, appid));
    assert.equal(await res.text(), "success");
    const kv = await h.snapshot();
    assert.ok(!kv.has(`wxopen:v1:authorizer_token:${appid}`));
    assert.ok(!kv.has(`wxopen:v1:authorizer_refresh:${appid}`));
    const record = await (await h.admin(`/api/v1/authorizers/${appid}`)).json();
    assert.equal(record.status, "revoked");
    const token = await h.admin(`/api/v1/authorizers/${appid}/access-token`);
    assert.ok(token.status >= 400 && token.status < 500, `got ${token.status}`);
  },
});

Deno.test({
  name: "worker: unknown routes are JSON 404",
  ...opts,
  async fn() {
    await expectError(await h.fetch("/nope"), 404, "not_found");
  },
});

Deno.test({
  name: "worker: dispose",
  ...opts,
  async fn() {
    await h.dispose();
  },
});

Deno.test({
  name: "worker: two worker instances sharing KV and Durable Objects make one refresh",
  ...opts,
  async fn() {
    const w = await startWorker({ instances: 2 });
    try {
      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");
      const auth = await w.sim.authorizeAccount({ kind: "official_account" });
      await w.sim.settled();
      const key = `wxopen:v1:authorizer_token:${auth.appId}`;
      await eventually(async () => (await w.snapshot()).has(key));
      const kv = await w.mf.getKVNamespace("TOKENS") as unknown as {
        delete(k: string): Promise<void>;
      };
      await kv.delete(key);
      const before = w.sim.calls("/cgi-bin/component/api_authorizer_token");
      const headers = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
      // Both instances report the same token invalid at once: one refresh between them.
      const invalid = w.sim.currentAccessToken(auth.appId)!;
      const answers = await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) =>
            w.fetchOn(i % 2, `/api/v1/authorizers/${auth.appId}/access-token/refresh`, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body: JSON.stringify({ invalid_token: invalid }),
            }).then((r) => r.json()),
        ),
      );
      const current = w.sim.currentAccessToken(auth.appId);
      for (const a of answers) assert.equal(a.access_token, current);
      assert.equal(w.sim.calls("/cgi-bin/component/api_authorizer_token") - before, 1);
      // The second instance reads what the first one's coordinator wrote.
      const health = await (await w.fetchOn(1, "/healthz")).json();
      assert.equal(health.status, "ok");
    } finally {
      await w.dispose();
    }
  },
});

Deno.test({
  name: "worker: key rotation, result redirect and forward retries",
  ...opts,
  async fn() {
    const w = await startWorker({
      settings: {
        // WeChat (the simulator) still uses the old key: it is the previous one here.
        COMPONENT_AES_KEY: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        COMPONENT_AES_KEY_PREVIOUS: SETTINGS.COMPONENT_AES_KEY,
        RESULT_REDIRECT_URL: "https://platform.example.test/done",
      },
    });
    try {
      // Before WeChat's first ticket the authorization page says so, as a page.
      const early = await w.fetch("/authorize");
      assert.equal(early.status, 503);
      assert.match(early.headers.get("content-type")!, /text\/html/);
      assert.match(await early.text(), /component_verify_ticket/);

      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");
      const url = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;
      const reply = await w.send(await w.sim.releaseTestTextPush(url));
      assert.match(
        await w.sim.openReply(await reply.text()),
        /TESTCOMPONENT_MSG_TYPE_TEXT_callback/,
      );

      const res = await w.fetch("/authorize");
      const { cookie, callback, preAuthCode } = authorizeLink(res, await res.text());
      const auth = await w.sim.authorizeAccount({
        kind: "mini_program",
        preAuthCode,
      });
      const cb = await w.fetch(
        `${callback}&auth_code=${encodeURIComponent(auth.authCode)}`,
        { headers: { cookie } },
      );
      assert.equal(cb.status, 302);
      assert.equal(
        cb.headers.get("location"),
        `https://platform.example.test/done?authorizer_appid=${auth.appId}`,
      );

      // The platform's service is down twice, then up: the message arrives on the third try.
      w.forwardFailures.remaining = 2;
      const msg = await w.sim.textMessagePush(
        `${ORIGIN}/wechat/authorizers/${auth.appId}/callback`,
        { appId: auth.appId, content: "retry me" },
      );
      assert.equal(await (await w.send(msg)).text(), "success");
      const fwd = await eventually(() => w.forwarded[0]);
      assert.equal(JSON.parse(fwd.body).message.Content, "retry me");
      assert.equal(w.forwardFailures.attempts, 3);
      assert.equal(fwd.headers.get("x-wxopen-attempt"), "3");
    } finally {
      await w.dispose();
    }
  },
});

Deno.test({
  name: "worker: a missing or malformed setting is named in a clear 500",
  ...opts,
  async fn() {
    const cases: [Record<string, string | undefined>, string, string][] = [
      [{ COMPONENT_AES_KEY: undefined }, "missing_setting", "COMPONENT_AES_KEY is missing"],
      [{ COMPONENT_AES_KEY: "short" }, "invalid_setting", "COMPONENT_AES_KEY"],
      [{ STORAGE_KEY: "bm90IDMyIGJ5dGVz" }, "invalid_setting", "STORAGE_KEY"],
      [{ ADMIN_TOKEN: undefined }, "missing_setting", "ADMIN_TOKEN is missing"],
    ];
    for (const [settings, code, message] of cases) {
      const w = await startWorker({ settings });
      try {
        for (const path of ["/healthz", "/api/v1/authorizers"]) {
          const msg = await expectError(await w.fetch(path), 500, code);
          assert.ok(msg.startsWith(message), msg);
          if (settings.COMPONENT_AES_KEY === "short") assert.ok(!msg.includes("short"));
        }
      } finally {
        await w.dispose();
      }
    }
  },
});

Deno.test({
  name: "worker: the production bundle is within budget and has no simulator",
  ...opts,
  async fn() {
    const bundle = await bundleWorker("");
    const gz = await (await import("./_worker_harness.ts")).gzipSize(bundle.code);
    // Issue 9 asked for 40 KiB. With its features (two typed objects, streaming proxy, the
    // wire format) the bundle is 41.7 KiB after every cut that keeps behaviour (BENCHMARKS.md);
    // the rest needs a decision (Hono's router is 5.4 KiB of it). Until then this guarded 42 KiB.
    // Issue 10's JS-SDK tickets, jscode2session and OAuth-on-behalf routes (/oauth, signed
    // results) measured +3.20 KiB gzip (45.03 KiB): the guard rose by 3.5 KiB.
    // Issue 10's fast-registration onboarding and typed onboarding pushes measured 775 B: +1 KiB
    // (that measure was taken while the unauthorized push branch was missing by mistake; with it
    // restored the growth is 1,089 B, and the bundle still fits: 59.48 KiB).
    // Issue 11 (handlers, passive replies, durable delivery, the message ledger) measured +4.5 KiB.
    // Fleet releases (issue 12: two objects, the machine, routes, the dashboard) measured
    // +8.98 KiB gzip: +9 KiB.
    // Issue 12's gray-release verification and audit withdrawal on cancel measured +0.45 KiB
    // gzip (wrangler dry run: 59.58 → 60.03 KiB): +0.5 KiB.
    const budget = 60.5 * 1024;
    console.log(
      `production bundle: ${(bundle.bytes / 1024).toFixed(2)} KiB minified, ` +
        `gzip ${(gz / 1024).toFixed(2)} KiB (budget ${budget / 1024} KiB: ${
          gz <= budget ? "within" : `over by ${((gz - budget) / 1024).toFixed(2)} KiB`
        })`,
    );
    // wrangler.toml keeps it: AES-CBC on Web Crypto (no @noble/ciphers), no keepNames wrappers,
    // compact SHA-1 and envelope reading, native base64; the core is the bulk.
    assert.ok(gz <= budget, `gzip size ${gz} exceeds the ${budget / 1024} KiB budget`);
    // Neither the simulator nor @noble/ciphers (its AES key check's message) is in the bundle.
    for (
      const marker of [
        "Simulated network failure",
        "Fault times must be positive",
        "/_sim",
        "of length 16/24/32",
        // The portable base64 decoder (workerd has Uint8Array.fromBase64).
        "non-zero trailing bits",
        // Issue 10's typed APIs tree-shake out: the worker calls none of these.
        "/wxa/gettemplatedraftlist",
        "/wxa/bind_tester",
        "/cgi-bin/open/create",
        "/cgi-bin/account/getaccountbasicinfo",
        "/cgi-bin/component/fastregisterweapp",
        "/cgi-bin/openapi/rid/get",
      ]
    ) {
      assert.ok(!bundle.code.includes(marker), `production bundle contains ${marker}`);
    }
    const dev = await bundleWorker("dev");
    assert.ok(
      dev.code.includes("Simulated network failure"),
      "the dev bundle carries the simulator",
    );
    assert.ok(!dev.code.includes("of length 16/24/32"), "the dev bundle carries @noble/ciphers");
  },
});

Deno.test({
  name:
    "worker: retryable failures say so — Retry-After, pending authorizations, cron under faults",
  ...opts,
  async fn() {
    let failing: ((op: string, key: string) => boolean) | null = null;
    const w = await startWorker({
      kvFaults: (op, key) => (failing?.(op, key) ? "error" : null),
    });
    const admin = (path: string, init: RequestInit = {}) =>
      w.fetch(path, {
        ...init,
        headers: { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}`, ...init.headers },
      });
    try {
      // No ticket yet: 503 ticket_missing, with a hint when to come back.
      const noTicket = await admin("/api/v1/component/access-token");
      await expectError(noTicket.clone(), 503, "ticket_missing");
      assert.ok(Number(noTicket.headers.get("retry-after")) > 0, "ticket_missing has Retry-After");
      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");

      // While a pushed authorization is still being exchanged, its token is pending, not gone.
      const slow = w.sim.inject({ path: "api_query_auth", delayMs: 1500 });
      const auth = await w.sim.authorizeAccount({ kind: "official_account" });
      const pending = await admin(`/api/v1/authorizers/${auth.appId}/access-token`);
      await expectError(pending.clone(), 503, "authorization_pending");
      assert.ok(Number(pending.headers.get("retry-after")) > 0, "pending has Retry-After");
      slow.cancel();
      await w.sim.settled();
      const token = await eventually(async () => {
        const res = await admin(`/api/v1/authorizers/${auth.appId}/access-token`);
        return res.ok ? await res.json() : (await res.body?.cancel(), null);
      });
      assert.equal(token.access_token, w.sim.currentAccessToken(auth.appId));

      // The store fails: 503 store_unavailable with Retry-After.
      const other = await w.sim.authorizeAccount({ kind: "mini_program" });
      await w.sim.settled();
      await eventually(async () =>
        (await w.snapshot()).has(`wxopen:v1:authorizer_token:${other.appId}`)
      );
      failing = () => true;
      const down = await admin(`/api/v1/authorizers/${other.appId}/access-token`);
      await expectError(down.clone(), 503, "store_unavailable");
      assert.ok(Number(down.headers.get("retry-after")) > 0, "store_unavailable has Retry-After");
      // A store fault during the cron sweep (ticket read, expiry listing): the run ends cleanly
      // and the next tick does the work.
      const worker = await w.mf.getWorker() as unknown as {
        scheduled(options: { cron: string }): Promise<{ outcome: string }>;
      };
      for (const op of ["getWithMetadata", "list"]) {
        failing = (o) => o === op;
        const run = await worker.scheduled({ cron: "*/5 * * * *" });
        assert.equal(run.outcome, "ok", `cron with a failing KV ${op}`);
      }
      failing = null;
      const kv = await w.mf.getKVNamespace("TOKENS_DIRECT") as unknown as {
        getWithMetadata(k: string, t: "text"): Promise<{ value: string; metadata: unknown }>;
        put(k: string, v: string, o: { metadata: unknown }): Promise<void>;
      };
      const key = `wxopen:v1:authorizer_token:${other.appId}`;
      const { value } = await kv.getWithMetadata(key, "text");
      await kv.put(key, value, {
        metadata: { expiresAt: Date.now() + 60_000, refreshAt: Date.now() - 1000 },
      });
      const refreshes = w.sim.calls("/cgi-bin/component/api_authorizer_token");
      assert.equal((await worker.scheduled({ cron: "*/5 * * * *" })).outcome, "ok");
      // The next tick reached the object, whose own copy is fresh: no refresh.
      assert.equal(w.sim.calls("/cgi-bin/component/api_authorizer_token") - refreshes, 0);
    } finally {
      await w.dispose();
    }
  },
});

Deno.test({
  name:
    "worker: a token reported invalid is never answered again when KV took neither its replacement nor its deletion",
  ...opts,
  async fn() {
    let failing: ((op: string, key: string) => boolean) | null = null;
    const w = await startWorker({
      kvFaults: (op, key) => (failing?.(op, key) ? "error" : null),
    });
    const headers = {
      authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}`,
      "content-type": "application/json",
    };
    try {
      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");
      const auth = await w.sim.authorizeAccount({ kind: "official_account" });
      await w.sim.settled();
      const key = `wxopen:v1:authorizer_token:${auth.appId}`;
      await eventually(async () => (await w.snapshot()).has(key));
      const path = `/api/v1/authorizers/${auth.appId}/access-token`;
      const report = async (token: string) => {
        const res = await w.fetch(`${path}/refresh`, {
          method: "POST",
          headers,
          body: JSON.stringify({ invalid_token: token }),
        });
        assert.equal(res.status, 200);
        return (await res.json()).access_token as string;
      };
      const t1 = (await (await w.fetch(path, { headers })).json()).access_token;
      // While t1 is replaced, KV refuses every write and delete of the token: it keeps t1.
      failing = (op, k) => (op === "put" || op === "delete") && k === key;
      const t2 = await report(t1);
      failing = null;
      assert.notEqual(t2, t1);
      // A report about the new token refreshes again; it never answers with t1 from KV.
      const t3 = await report(t2);
      assert.ok(t3 !== t1 && t3 !== t2);
      assert.equal(t3, w.sim.currentAccessToken(auth.appId));
    } finally {
      await w.dispose();
    }
  },
});

Deno.test({
  name: "worker: an `unauthorized` push applied while a pushed authorization is being stored wins",
  ...opts,
  async fn() {
    let hold: { reached: () => void; release: Promise<void> } | null = null;
    let lastOp = Date.now();
    const w = await startWorker({
      kvFaults: async (op, key) => {
        lastOp = Date.now();
        if (hold && op === "put" && key.startsWith("wxopen:v1:authorizer_refresh:")) {
          // The exchange got WeChat's answer: its first write waits for the revocation.
          const { reached, release } = hold;
          hold = null;
          reached();
          await release;
        }
        return null;
      },
    });
    try {
      assert.equal(await (await w.send(await w.sim.ticketPush(EVENTS))).text(), "success");
      let release!: () => void;
      const reached = new Promise<void>((resolve) => {
        hold = { reached: resolve, release: new Promise((r) => release = r) };
      });
      const auth = await w.sim.authorizeAccount({ kind: "official_account" });
      await reached;
      await w.sim.revoke(auth.appId);
      const res = await w.send(await w.sim.unauthorizedPush(EVENTS, auth.appId));
      assert.equal(await res.text(), "success");
      release();
      await w.sim.settled();
      // The exchange finishes its writes (or takes them back): wait for KV to go quiet.
      await eventually(() => Date.now() - lastOp > 1500);
      const kv = await w.snapshot();
      assert.ok(!kv.has(`wxopen:v1:authorizer_token:${auth.appId}`), "access token purged");
      assert.ok(!kv.has(`wxopen:v1:authorizer_refresh:${auth.appId}`), "refresh token purged");
      const token = await w.fetch(`/api/v1/authorizers/${auth.appId}/access-token`, {
        headers: { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` },
      });
      assert.equal(token.status, 409, await token.text());
    } finally {
      await w.dispose();
    }
  },
});

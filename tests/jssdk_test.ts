/**
 * JS-SDK on behalf of an authorizer: the signature against WeChat's documented example, the
 * managed tickets (cached, single flight, stored, replaced when refused, purged on
 * `unauthorized`), `jssdkConfig` as `wx.config` in the simulator judges it, and `sns/userinfo`.
 */

import assert from "node:assert/strict";
import {
  ComponentClient,
  jssdkSignature,
  MemoryStore,
  ReauthorizationRequiredError,
  storageKeys,
  WeChatError,
} from "../mod.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseComponentEvent } from "../src/events/mod.ts";
import { WeChatSimulator } from "../src/testing/mod.ts";

const APPID = "wx3cf0f39249000061";
const SECRET = "sim-component-secret-jssdk-1";
const TOKEN = "sim-message-token";
const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const TICKET_PATH = "/cgi-bin/ticket/getticket";

async function withAuthorizer(kind: "official_account" | "mini_program" = "official_account") {
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => Date.parse("2026-03-01T08:00:00Z"),
  });
  const store = new MemoryStore({ now: () => sim.now() });
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  await client.acceptTicket(sim.issueTicket());
  const pre = await client.createPreAuthCode();
  const auth = await sim.authorizeAccount({ kind, preAuthCode: pre.pre_auth_code });
  await client.queryAuth(auth.authCode);
  return { sim, store, client, appid: auth.appId };
}

Deno.test("jssdkSignature matches WeChat's documented example (JS-SDK 附录1)", () => {
  const jsapi_ticket =
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
  const input = { jsapi_ticket, noncestr: "Wm3WZYTPz0wzccnW", timestamp: 1414587457 };
  assert.equal(
    jssdkSignature({ ...input, url: "http://mp.weixin.qq.com?params=value" }),
    "0f9de62fce790f9a083d5c99e95740ceb90c27ed",
  );
  // The older edition of the same appendix signs the URL without its query.
  assert.equal(
    jssdkSignature({ ...input, url: "http://mp.weixin.qq.com" }),
    "f4d90daf4b3bca3078ab155816175ba34c443a7b",
  );
  // The fragment is not signed; the timestamp may come as text.
  assert.equal(
    jssdkSignature({
      ...input,
      timestamp: "1414587457",
      url: "http://mp.weixin.qq.com?params=value#/cart",
    }),
    "0f9de62fce790f9a083d5c99e95740ceb90c27ed",
  );
  assert.throws(() => jssdkSignature({ ...input, url: "" }), TypeError);
  assert.throws(() => jssdkSignature({ ...input, url: "http://a", timestamp: 1.5 }), TypeError);
  assert.throws(
    () => jssdkSignature({ ...input, jsapi_ticket: "", url: "http://a" }),
    TypeError,
  );
});

Deno.test("jsapiTicket is stored and reused; concurrent callers share one getticket", async () => {
  const { sim, store, client, appid } = await withAuthorizer();
  const merchant = client.authorizer(appid);
  const tickets = await Promise.all([
    merchant.jsapiTicket(),
    merchant.jsapiTicket(),
    client.authorizer(appid).jsapiTicket(),
  ]);
  assert.equal(sim.calls(TICKET_PATH), 1);
  assert.equal(new Set(tickets).size, 1);
  assert.equal(await merchant.jsapiTicket(), tickets[0]);
  assert.equal(sim.calls(TICKET_PATH), 1);
  const stored = await store.getWithMetadata(storageKeys.authorizerTicket(appid, "jsapi"));
  assert.equal(JSON.parse(stored.value!).token, tickets[0]);
  assert.equal(stored.metadata?.expiresAt, sim.now() + 7200_000);

  // Another client over the same store (another instance) makes no call.
  const other = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  assert.equal(await other.authorizer(appid).jsapiTicket(), tickets[0]);
  assert.equal(sim.calls(TICKET_PATH), 1);

  // wx_card is a ticket of its own.
  const card = await merchant.wxCardTicket();
  assert.notEqual(card, tickets[0]);
  assert.equal(sim.calls(TICKET_PATH), 2);
  assert.equal(await merchant.wxCardTicket(), card);
  assert.equal(sim.calls(TICKET_PATH), 2);
});

Deno.test("jsapiTicket is replaced shortly before expiry, not after", async () => {
  const { sim, client, appid } = await withAuthorizer();
  const merchant = client.authorizer(appid);
  const first = await merchant.jsapiTicket();
  sim.advance(6000_000); // 100 min: inside the ticket's life, before the 10 min margin
  assert.equal(await merchant.jsapiTicket(), first);
  assert.equal(sim.calls(TICKET_PATH), 1);
  sim.advance(700_000); // within the margin: fetched again; WeChat answers the same ticket
  assert.equal(await merchant.jsapiTicket(), first);
  assert.equal(sim.calls(TICKET_PATH), 2);
  sim.advance(1000_000); // past WeChat's expiry: a new ticket
  const next = await merchant.jsapiTicket();
  assert.notEqual(next, first);
});

Deno.test("a ticket wx.config refused is replaced once, only if it is still the stored one", async () => {
  const { sim, client, appid } = await withAuthorizer();
  const merchant = client.authorizer(appid);
  const url = "https://h5.example.com/shop?id=7";
  const config = await merchant.jssdkConfig({ url });
  assert.equal(sim.checkJssdkConfig(config, url), "ok");
  const old = await merchant.jsapiTicket();
  sim.invalidateTicket(appid, "jsapi");
  assert.equal(sim.checkJssdkConfig(config, url), "invalid signature");

  const [a, b] = await Promise.all([
    merchant.jsapiTicket({ invalid: old }),
    merchant.jsapiTicket({ invalid: old }),
  ]);
  assert.equal(a, b);
  assert.notEqual(a, old);
  assert.equal(sim.calls(TICKET_PATH), 2);
  // A late report of the old ticket changes nothing.
  assert.equal(await merchant.jsapiTicket({ invalid: old }), a);
  assert.equal(sim.calls(TICKET_PATH), 2);
  const fresh = await merchant.jssdkConfig({ url: url + "#/cart" });
  assert.equal(sim.checkJssdkConfig(fresh, url), "ok");
  await assert.rejects(merchant.jsapiTicket({ invalid: "" }), TypeError);
});

Deno.test("jssdkConfig: the authorizer's appid, a fresh nonce, the URL as given", async () => {
  const { sim, client, appid } = await withAuthorizer();
  const merchant = client.authorizer(appid);
  const url = "https://h5.example.com?from=menu";
  const config = await merchant.jssdkConfig({ url, jsApiList: ["chooseImage", "scanQRCode"] });
  assert.equal(config.appId, appid);
  assert.notEqual(config.appId, APPID);
  assert.equal(config.timestamp, Math.floor(sim.now() / 1000));
  assert.match(config.nonceStr, /^[0-9a-f]{16}$/);
  assert.deepEqual(config.jsApiList, ["chooseImage", "scanQRCode"]);
  assert.equal(
    config.signature,
    jssdkSignature({
      jsapi_ticket: await merchant.jsapiTicket(),
      noncestr: config.nonceStr,
      timestamp: config.timestamp,
      url,
    }),
  );
  // Signed as given: the normalised form (with a slash) is another page to WeChat.
  assert.equal(sim.checkJssdkConfig(config, url), "ok");
  assert.equal(
    sim.checkJssdkConfig(config, "https://h5.example.com/?from=menu"),
    "invalid signature",
  );
  assert.notEqual((await merchant.jssdkConfig({ url })).nonceStr, config.nonceStr);
  assert.equal("jsApiList" in await merchant.jssdkConfig({ url }), false);

  const calls = sim.calls();
  for (
    const bad of ["", "ftp://h5.example.com/", "/relative", "https://a b.example", "javascript:1"]
  ) {
    await assert.rejects(merchant.jssdkConfig({ url: bad }), TypeError, bad);
  }
  await assert.rejects(
    merchant.jssdkConfig({ url, jsApiList: "chooseImage" as unknown as string[] }),
    TypeError,
  );
  assert.equal(sim.calls(), calls);
});

Deno.test("unauthorized purges the authorizer's tickets", async () => {
  const { sim, store, client, appid } = await withAuthorizer();
  const merchant = client.authorizer(appid);
  await merchant.jsapiTicket();
  await merchant.wxCardTicket();
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  await sim.revoke(appid);
  const push = await sim.unauthorizedPush("https://platform.example/events", appid);
  const q = Object.fromEntries(new URL(push.url).searchParams);
  const event = parseComponentEvent(
    await crypto.open(
      await push.text(),
      q as { msg_signature: string; timestamp: string; nonce: string },
    ),
  );
  assert.equal((await client.handleComponentEvent(event)).action, "revoked");
  assert.equal(await store.get(storageKeys.authorizerTicket(appid, "jsapi")), null);
  assert.equal(await store.get(storageKeys.authorizerTicket(appid, "wx_card")), null);
  await assert.rejects(
    merchant.jsapiTicket(),
    (e: unknown) => e instanceof ReauthorizationRequiredError,
  );
});

Deno.test("a ticket WeChat answered while the revocation was applied is not kept", async () => {
  const env = await withAuthorizer();
  const { sim, store, appid } = env;
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  // WeChat answers getticket; before the answer reaches the client, the unauthorized push is
  // applied (by this same client, as another request of the platform would).
  const racing: typeof fetch = async (input, init) => {
    const res = await sim.fetch(input, init);
    if (new URL(String(input instanceof Request ? input.url : input)).pathname === TICKET_PATH) {
      await sim.revoke(appid);
      const push = await sim.unauthorizedPush("https://platform.example/events", appid);
      const q = Object.fromEntries(new URL(push.url).searchParams);
      const event = parseComponentEvent(
        await crypto.open(
          await push.text(),
          q as { msg_signature: string; timestamp: string; nonce: string },
        ),
      );
      assert.equal((await client.handleComponentEvent(event)).action, "revoked");
    }
    return res;
  };
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: racing,
    now: () => sim.now(),
  });
  await assert.rejects(
    client.authorizer(appid).jsapiTicket(),
    (e: unknown) => e instanceof ReauthorizationRequiredError && e.reason === "revoked",
  );
  assert.equal(await store.get(storageKeys.authorizerTicket(appid, "jsapi")), null);
});

Deno.test("simulator: getticket refuses a bad type with 40097 and a bad token with 40001", async () => {
  const { sim, client, appid } = await withAuthorizer();
  const token = await client.authorizerAccessToken(appid);
  const bad = await sim.fetch(
    `https://api.weixin.qq.com${TICKET_PATH}?access_token=${token}&type=card`,
  );
  assert.equal((await bad.json()).errcode, 40097);
  const stale = await sim.fetch(
    `https://api.weixin.qq.com${TICKET_PATH}?access_token=97_${"x".repeat(40)}&type=jsapi`,
  );
  assert.equal((await stale.json()).errcode, 40001);
  const ok = await sim.fetch(
    `https://api.weixin.qq.com${TICKET_PATH}?access_token=${token}&type=jsapi`,
  );
  const body = await ok.json();
  assert.equal(body.errcode, 0);
  assert.equal(body.expires_in, 7200);
  sim.advance(1000_000);
  const again = await (await sim.fetch(
    `https://api.weixin.qq.com${TICKET_PATH}?access_token=${token}&type=jsapi`,
  )).json();
  assert.equal(again.ticket, body.ticket);
  assert.equal(again.expires_in, 6200);
});

Deno.test("userInfo reads the profile with the user's token; snsapi_base gets 48001", async () => {
  const { sim, client, appid } = await withAuthorizer();
  const code = sim.oauthCode({ appId: appid, scope: "snsapi_userinfo" });
  const session = await client.oauthAccessToken({ appId: appid, code });
  const calls = sim.calls();
  const profile = await client.userInfo({
    access_token: session.access_token,
    openid: session.openid,
  });
  assert.equal(profile.openid, session.openid);
  assert.equal(typeof profile.nickname, "string");
  assert.equal(typeof profile.unionid, "string");
  assert.equal(sim.calls(), calls + 1);

  await assert.rejects(
    client.userInfo({ access_token: session.access_token, openid: "o_someone_else" }),
    (e: unknown) => e instanceof WeChatError && e.errcode === 40003,
  );
  const base = await client.oauthAccessToken({
    appId: appid,
    code: sim.oauthCode({ appId: appid, scope: "snsapi_base" }),
  });
  await assert.rejects(
    client.userInfo({ access_token: base.access_token, openid: base.openid }),
    (e: unknown) => e instanceof WeChatError && e.errcode === 48001,
  );
  sim.advance(7200_000);
  await assert.rejects(
    client.userInfo({ access_token: session.access_token, openid: session.openid }),
    (e: unknown) => e instanceof WeChatError && e.errcode === 42001,
  );
  assert.throws(() => client.userInfo({ access_token: "", openid: "o" }), TypeError);
  assert.throws(
    () => client.userInfo({ access_token: "t", openid: "o", lang: "fr" as "en" }),
    TypeError,
  );
});

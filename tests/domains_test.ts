/**
 * Domains through the client against the simulator: the platform registers its mini-program
 * server and web-view domains; a mini program's server and web-view domains are set within
 * them (or directly), stored and read back; WeChat's refusals (85015, 85017, 85301, 85016,
 * 89019, 89020, 89021) leave everything as it was; bad input is refused before any request.
 */

import assert from "node:assert/strict";
import { WeChatError } from "../mod.ts";
import { simulatedPlatform } from "./_platform.ts";

const APPID = "wx3cf0f39249000062";
const SECRET = "sim-component-secret-domains";

async function setup() {
  const platform = await simulatedPlatform({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: "token",
    preAuthCode: true,
  });
  const { sim, client } = platform;
  const authorize = (kind: "mini_program" | "official_account") => platform.authorize(kind);
  return { sim, client, mp: await authorize("mini_program"), authorize };
}

async function rejects(promise: Promise<unknown>, errcode: number): Promise<void> {
  await assert.rejects(promise, (e) => e instanceof WeChatError && e.errcode === errcode);
}

const EMPTY = {
  requestdomain: [],
  wsrequestdomain: [],
  uploaddomain: [],
  downloaddomain: [],
  udpdomain: [],
  tcpdomain: [],
};

Deno.test("the platform's server domains: add, set, delete, get; testing unless published together", async () => {
  const { client } = await setup();
  let r = await client.modifyWxaServerDomain({ action: "add", wxa_server_domain: "a.example.com" });
  assert.equal(r.testing_wxa_server_domain, "a.example.com");
  assert.equal(r.published_wxa_server_domain, "");
  r = await client.modifyWxaServerDomain({
    action: "add",
    wxa_server_domain: "B.example.com;https://c.example.com;10.0.0.1",
    is_modify_published_together: true,
  });
  assert.equal(r.testing_wxa_server_domain, "a.example.com;b.example.com");
  assert.equal(r.published_wxa_server_domain, "b.example.com");
  assert.equal(r.invalid_wxa_server_domain, "https://c.example.com;10.0.0.1");
  r = await client.modifyWxaServerDomain({ action: "delete", wxa_server_domain: "a.example.com" });
  assert.equal(r.testing_wxa_server_domain, "b.example.com");
  r = await client.modifyWxaServerDomain({ action: "get" });
  assert.equal(r.testing_wxa_server_domain, "b.example.com");
  assert.equal(r.published_wxa_server_domain, "b.example.com");
  assert.equal(r.invalid_wxa_server_domain, undefined);
  r = await client.modifyWxaServerDomain({
    action: "set",
    wxa_server_domain: "x.example.com",
    is_modify_published_together: true,
  });
  assert.equal(r.testing_wxa_server_domain, "x.example.com");
  assert.equal(r.published_wxa_server_domain, "x.example.com");
});

Deno.test("modify_domain keeps only the platform's domains; stored and read back", async () => {
  const { client, mp } = await setup();
  assert.deepEqual(await mp.modifyDomain({ action: "get" }), {
    errcode: 0,
    errmsg: "ok",
    ...EMPTY,
  });
  // Nothing registered on the platform: every domain is filtered out.
  await rejects(
    mp.modifyDomain({ action: "add", requestdomain: ["https://api.example.com"] }),
    85017,
  );
  await client.modifyWxaServerDomain({
    action: "add",
    wxa_server_domain: "api.example.com;ws.example.com",
  });
  const r = await mp.modifyDomain({
    action: "add",
    requestdomain: ["https://api.example.com", "https://other.example.org"],
    wsrequestdomain: ["wss://ws.example.com:8443"],
  });
  assert.deepEqual(r.requestdomain, ["https://api.example.com"]);
  assert.deepEqual(r.wsrequestdomain, ["wss://ws.example.com:8443"]);
  const got = await mp.modifyDomain({ action: "get" });
  assert.deepEqual(got.requestdomain, ["https://api.example.com"]);
  assert.deepEqual(got.wsrequestdomain, ["wss://ws.example.com:8443"]);
  assert.deepEqual(got.uploaddomain, []);
  // Adding what is there already changes nothing.
  await rejects(
    mp.modifyDomain({ action: "add", requestdomain: ["https://api.example.com"] }),
    85017,
  );
  // A set of domains the platform did not register changes nothing (it does not empty the lists).
  await rejects(
    mp.modifyDomain({ action: "set", requestdomain: ["https://other.example.org"] }),
    85017,
  );
  assert.deepEqual((await mp.modifyDomain({ action: "get" })).requestdomain, [
    "https://api.example.com",
  ]);
  await mp.modifyDomain({ action: "delete", wsrequestdomain: ["wss://ws.example.com:8443"] });
  assert.deepEqual((await mp.modifyDomain({ action: "get" })).wsrequestdomain, []);
});

Deno.test("a domain without its list's scheme is refused (85301) and listed as invalid", async () => {
  const { client, mp } = await setup();
  await client.modifyWxaServerDomain({ action: "add", wxa_server_domain: "api.example.com" });
  for (
    const [field, domain] of [
      ["requestdomain", "http://api.example.com"],
      ["wsrequestdomain", "wss://https://api.example.com"],
      ["uploaddomain", "https://api.example.com/upload"],
      ["downloaddomain", "https://10.1.2.3"],
      ["requestdomain", "https://api.weixin.qq.com"],
    ] as const
  ) {
    await assert.rejects(
      mp.modifyDomainDirectly({ action: "add", [field]: [domain] }),
      (e) => e instanceof WeChatError && e.errcode === 85301,
      `${field}: ${domain}`,
    );
  }
  // A malformed domain beside a good one: the good one is taken, the other reported.
  const r = await mp.modifyDomain({
    action: "add",
    requestdomain: ["https://api.example.com", "http://api.example.com"],
  });
  assert.deepEqual(r.requestdomain, ["https://api.example.com"]);
  assert.deepEqual(r.invalid_requestdomain, ["http://api.example.com"]);
});

Deno.test("modify_domain_directly takes any valid domain; set replaces every list", async () => {
  const { mp } = await setup();
  await mp.modifyDomainDirectly({
    action: "add",
    requestdomain: ["https://a.example.com"],
    udpdomain: ["udp://u.example.com"],
    tcpdomain: ["tcp://t.example.com:9000"],
  });
  let got = await mp.modifyDomainDirectly({ action: "get" });
  assert.deepEqual(got.udpdomain, ["udp://u.example.com"]);
  assert.deepEqual(got.tcpdomain, ["tcp://t.example.com:9000"]);
  await mp.modifyDomainDirectly({ action: "set", downloaddomain: ["https://d.example.com"] });
  got = await mp.modifyDomain({ action: "get" });
  assert.deepEqual(got, {
    errcode: 0,
    errmsg: "ok",
    ...EMPTY,
    downloaddomain: ["https://d.example.com"],
  });
});

Deno.test("more than 200 domains in a list is refused (85016) and nothing changes", async () => {
  const { mp } = await setup();
  const many = Array.from({ length: 201 }, (_, i) => `https://h${i}.example.com`);
  await rejects(mp.modifyDomainDirectly({ action: "set", requestdomain: many }), 85016);
  assert.deepEqual((await mp.modifyDomain({ action: "get" })).requestdomain, []);
});

Deno.test("an Official Account has no mini-program domains (85015)", async () => {
  const { authorize } = await setup();
  const oa = await authorize("official_account");
  await rejects(oa.modifyDomain({ action: "get" }), 85015);
  await rejects(oa.setWebViewDomain({ action: "get" }), 85015);
});

Deno.test("web-view domains: within the platform's and their subdomains; no action sets all", async () => {
  const { client, mp } = await setup();
  await rejects(
    mp.setWebViewDomain({ action: "add", webviewdomain: ["https://h5.example.com"] }),
    89020,
  );
  await rejects(mp.setWebViewDomain(), 89020);
  const r = await client.modifyWxaJumpDomain({
    action: "add",
    wxa_jump_h5_domain: "example.com;shop.example.net",
  });
  assert.equal(r.testing_wxa_jump_h5_domain, "example.com;shop.example.net");
  await mp.setWebViewDomain({ action: "add", webviewdomain: ["https://h5.example.com"] });
  assert.deepEqual((await mp.setWebViewDomain({ action: "get" })).webviewdomain, [
    "https://h5.example.com",
  ]);
  await rejects(
    mp.setWebViewDomain({ action: "add", webviewdomain: ["https://h5.example.com"] }),
    89019,
  );
  await rejects(
    mp.setWebViewDomain({ action: "add", webviewdomain: ["https://evil.example.org"] }),
    89021,
  );
  await rejects(mp.setWebViewDomain({ action: "add", webviewdomain: ["h5.example.com"] }), 89021);
  assert.deepEqual((await mp.setWebViewDomain({ action: "get" })).webviewdomain, [
    "https://h5.example.com",
  ]);
  await mp.setWebViewDomain();
  assert.deepEqual((await mp.setWebViewDomain({ action: "get" })).webviewdomain, [
    "https://example.com",
    "https://shop.example.net",
  ]);
  await mp.setWebViewDomain({ action: "delete", webviewdomain: ["https://example.com"] });
  await mp.setWebViewDomainDirectly({ action: "add", webviewdomain: ["https://any.example.org"] });
  assert.deepEqual((await mp.setWebViewDomainDirectly({ action: "get" })).webviewdomain, [
    "https://shop.example.net",
    "https://any.example.org",
  ]);
});

Deno.test("confirm files: one per mini program and one for the platform, stable", async () => {
  const { client, mp, authorize } = await setup();
  const a = await mp.getWebViewDomainConfirmFile();
  assert.match(a.file_name, /^[0-9a-f]{10}\.txt$/);
  assert.match(a.file_content, /^[0-9a-f]{32}$/);
  assert.deepEqual(await mp.getWebViewDomainConfirmFile(), a);
  const other = await (await authorize("mini_program")).getWebViewDomainConfirmFile();
  assert.notEqual(other.file_content, a.file_content);
  const platform = await client.getDomainConfirmFile();
  assert.match(platform.file_name, /^[0-9a-f]{10}\.txt$/);
  assert.deepEqual(await client.getDomainConfirmFile(), platform);
});

Deno.test("bad input is refused before any request", async () => {
  const { sim, client, mp } = await setup();
  sim.resetCalls();
  // deno-lint-ignore no-explicit-any
  const loose = mp as any;
  assert.throws(() => loose.modifyDomain({ action: "replace" }), TypeError);
  assert.throws(
    () => loose.modifyDomain({ action: "add", requestdomain: "https://a.com" }),
    TypeError,
  );
  assert.throws(() => loose.modifyDomain({ action: "add", requestdomain: [""] }), TypeError);
  assert.throws(() => loose.setWebViewDomainDirectly(undefined), TypeError);
  assert.throws(() => loose.setWebViewDomain({ webviewdomain: [1] }), TypeError);
  // deno-lint-ignore no-explicit-any
  const c = client as any;
  assert.throws(
    () => c.modifyWxaServerDomain({ action: "add", wxa_server_domain: ["a"] }),
    TypeError,
  );
  assert.throws(
    () => c.modifyWxaJumpDomain({ action: "add", is_modify_published_together: "yes" }),
    TypeError,
  );
  assert.equal(sim.calls(), 0);
});

Deno.test("api_get_authorizer_info reports the domains and head image as last set", async () => {
  const { client, mp } = await setup();
  let info = (await client.getAuthorizerInfo(mp.appId)).authorizer_info;
  assert.deepEqual(info.MiniProgramInfo?.network?.RequestDomain, []);
  await mp.modifyDomainDirectly({
    action: "add",
    requestdomain: ["https://api.example.com"],
    wsrequestdomain: ["wss://ws.example.com"],
  });
  await mp.setWebViewDomainDirectly({ action: "add", webviewdomain: ["https://h5.example.com"] });
  await mp.modifyHeadImage({ head_img_media_id: "media-head", x1: 0, y1: 0, x2: 1, y2: 1 });
  info = (await client.getAuthorizerInfo(mp.appId)).authorizer_info;
  const network = info.MiniProgramInfo?.network as Record<string, unknown>;
  assert.deepEqual(network.RequestDomain, ["https://api.example.com"]);
  assert.deepEqual(network.WsRequestDomain, ["wss://ws.example.com"]);
  assert.deepEqual(network.BizDomain, ["https://h5.example.com"]);
  assert.equal(info.head_img, (await mp.getAccountBasicInfo()).head_image_info?.head_image_url);
});

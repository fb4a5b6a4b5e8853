/**
 * Domains, testers, basic info and categories through the worker's proxy (`ALL /api/v1/
 * authorizers/:appid/wechat/*`) under Miniflare, with the simulator as WeChat: what is set is
 * read back, WeChat's refusals pass through as they are, and the category audit's verdict
 * (`wxa_category_audit`, raised by the simulator) reaches the worker's message callback and is
 * forwarded.
 */

import assert from "node:assert/strict";
import { assertPushForwarded, proxiedMiniProgram } from "./_dev_flow.ts";
import { startWorker } from "./_worker_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "worker: a mini program's domains, testers, profile and categories through the proxy",
  ...opts,
  async fn() {
    const h = await startWorker();
    try {
      const { appId, call } = await proxiedMiniProgram(h);

      // Domains: the platform registered none, so only the direct API sets any.
      const add = { action: "add", requestdomain: ["https://api.example.com"] };
      assert.equal((await call("wxa/modify_domain", add)).errcode, 85017);
      assert.equal((await call("wxa/modify_domain_directly", add)).errcode, 0);
      const domains = await call("wxa/modify_domain", { action: "get" });
      assert.deepEqual(domains.requestdomain, ["https://api.example.com"]);
      const bad = await call("wxa/modify_domain_directly", {
        action: "add",
        requestdomain: ["http://api.example.com"],
      });
      assert.equal(bad.errcode, 85301);
      assert.deepEqual(bad.invalid_requestdomain, ["http://api.example.com"]);

      // Testers.
      const bound = await call("wxa/bind_tester", { wechatid: "edge_tester" });
      assert.equal(bound.errcode, 0);
      assert.equal((await call("wxa/bind_tester", { wechatid: "edge_tester" })).errcode, 85004);
      const members = await call("wxa/memberauth", { action: "get_experiencer" });
      assert.deepEqual(members.members, [{ userstr: bound.userstr }]);

      // Basic info.
      assert.equal((await call("wxa/setnickname", { nick_name: "边缘好店" })).errcode, 0);
      assert.equal(
        (await call("cgi-bin/account/modifysignature", { signature: "短" })).errcode,
        53204,
      );
      const info = await call("cgi-bin/account/getaccountbasicinfo");
      assert.equal(info.nickname_info.nickname, "边缘好店");

      // Categories, and the audit's verdict pushed to the worker.
      const certicates = [{ key: "办学许可证", value: "media-cert" }];
      const added = await call("cgi-bin/wxopen/addcategory", {
        categories: [{ first: 30, second: 31, certicates }],
      });
      assert.equal(added.errcode, 0);
      assert.equal((await call("cgi-bin/wxopen/getcategory")).categories[0].audit_status, 1);
      const before = h.forwarded.length;
      h.sim.auditCategory(appId, { first: 30, second: 31, approved: true });
      await assertPushForwarded(h, "wxa_category_audit", appId, before);
      assert.equal((await call("cgi-bin/wxopen/getcategory")).categories[0].audit_status, 3);

      // Search status.
      assert.equal((await call("wxa/changewxasearchstatus", { status: 1 })).errcode, 0);
      assert.equal((await call("wxa/getwxasearchstatus")).status, 1);
    } finally {
      await h.dispose();
    }
  },
});

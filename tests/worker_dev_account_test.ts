/**
 * `deno task dev`'s worker (the dev bundle, its own simulator behind `/_sim`) answers testers,
 * domains, basic info, categories and search status through the proxy: a merchant authorizes a
 * mini program on the simulated page (plain HTTP, as a browser would), then each answer is
 * WeChat's, not "Not Found".
 */

import assert from "node:assert/strict";
import { devMiniProgram } from "./_dev_flow.ts";

Deno.test({
  name: "dev worker: testers, domains, basic info and categories answer through the proxy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { h, call } = await devMiniProgram();
    try {
      const tester = await call("wxa/bind_tester", { wechatid: "dev_tester" });
      assert.equal(tester.errcode, 0);
      assert.deepEqual((await call("wxa/memberauth", { action: "get_experiencer" })).members, [
        { userstr: tester.userstr },
      ]);
      const domains = await call("wxa/modify_domain_directly", {
        action: "add",
        requestdomain: ["https://api.example.com"],
      });
      assert.deepEqual(domains.requestdomain, ["https://api.example.com"]);
      assert.equal((await call("wxa/setwebviewdomain", { action: "get" })).errcode, 0);
      assert.equal((await call("wxa/setnickname", { nick_name: "开发好店" })).errcode, 0);
      const info = await call("cgi-bin/account/getaccountbasicinfo");
      assert.equal(info.nickname_info.nickname, "开发好店");
      assert.ok((await call("cgi-bin/wxopen/getallcategories")).categories_list.categories.length);
      assert.deepEqual((await call("cgi-bin/wxopen/getcategory")).categories, []);
      assert.equal((await call("wxa/getwxasearchstatus")).status, 0);
    } finally {
      await h.dispose();
    }
  },
});

/**
 * `deno task dev`'s worker (the dev bundle, its own simulator behind `/_sim`) answers testers,
 * domains, basic info, categories and search status through the proxy: a merchant authorizes a
 * mini program on the simulated page (plain HTTP, as a browser would), then each answer is
 * WeChat's, not "Not Found".
 */

import assert from "node:assert/strict";
import { startWorker } from "./_worker_harness.ts";

const ADMIN = "dev-admin-token-change-me";

function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

Deno.test({
  name: "dev worker: testers, domains, basic info and categories answer through the proxy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const h = await startWorker({ env: "dev", port });
    try {
      const base = `http://127.0.0.1:${port}`;
      const start = await fetch(`${base}/authorize?auth_type=2`);
      const cookie = cookiesOf(start);
      const link = /id="authorize"[^>]*href="([^"]+)"/.exec(await start.text())?.[1]
        .replaceAll("&#38;", "&");
      assert.ok(link, "the authorize page links to the simulated WeChat page");
      const page = await (await fetch(link, { headers: { referer: `${base}/authorize` } })).text();
      const fields = new URLSearchParams();
      for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
        fields.set(m[1], m[2].replaceAll("&#38;", "&").replaceAll("&amp;", "&"));
      }
      fields.set("account", "new:mini_program");
      const consent = await fetch(link, {
        method: "POST",
        body: fields,
        redirect: "manual",
        headers: { referer: link },
      });
      await consent.body?.cancel();
      const callback = consent.headers.get("location");
      assert.ok(callback, `the simulated page redirects back (${consent.status})`);
      const result = await (await fetch(callback, { headers: { cookie } })).text();
      const appid = /id="appid"[^>]*>\s*(wx[0-9a-f]{16})/.exec(result)?.[1];
      assert.ok(appid, "the platform shows the authorized appid");

      const call = async (rest: string, body?: unknown) => {
        const res = await fetch(`${base}/api/v1/authorizers/${appid}/wechat/${rest}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        assert.equal(res.status, 200, rest);
        return await res.json();
      };
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

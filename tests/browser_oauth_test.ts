/**
 * Web authorization on behalf of an Official Account in a real browser (Debian's Chromium
 * driven by playwright-core) against the dev worker (`worker/dev.ts`: the simulator stands in
 * for WeChat): a merchant authorizes an Official Account, then one of its users signs in through
 * `/oauth/:appid` and lands on the platform's `redirect_uri` with a signed result the platform
 * verifies with `verifyOAuthResult`.
 */

import assert from "node:assert/strict";
import { hasChromium, launchChromium, noticeIfSkipped, outputDir } from "./_browser.ts";
import { verifyOAuthResult } from "../mod.ts";
import { freePort, startWorker } from "./_worker_harness.ts";

const DEV_ADMIN_TOKEN = "dev-admin-token-change-me";
noticeIfSkipped("browser test");

Deno.test({
  name: "browser: a user signs in through /oauth/:appid and the platform verifies the result",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await outputDir();
    const port = freePort();
    const h = await startWorker({ env: "dev", port });
    const base = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({
        locale: "en-US",
        viewport: { width: 900, height: 700 },
      });
      // The merchant authorizes an Official Account (auth_type 1).
      await page.goto(`${base}/authorize?auth_type=1`);
      await page.click("#authorize");
      await page.waitForSelector("#authorize-form");
      await page.click("#authorize-form button[type=submit]");
      await page.waitForSelector("#result");
      const appid = (await page.textContent("#appid"))!.trim();
      assert.match(appid, /^wx[0-9a-f]{16}$/);

      // One of its users signs in on the platform's page.
      const caller = `${base}/healthz?from=oauth`;
      const wechatUrls: string[] = [];
      page.on("request", (r) => {
        if (r.url().includes("/connect/oauth2/authorize")) wechatUrls.push(r.url());
      });
      await page.goto(
        `${base}/oauth/${appid}?redirect_uri=${encodeURIComponent(caller)}` +
          `&scope=snsapi_userinfo&state=basket-42`,
      );
      await page.waitForURL(/wxopen_result=/);
      await page.screenshot({ path: `${out}browser-oauth-landed.png` });
      const landed = new URL(page.url());
      assert.equal(landed.origin + landed.pathname, `${base}/healthz`);
      assert.equal(landed.searchParams.get("from"), "oauth");
      assert.equal(landed.searchParams.get("state"), "basket-42");

      // The browser went through WeChat's (simulated) page with the component's appid.
      assert.equal(wechatUrls.length, 1);
      const wechat = new URL(wechatUrls[0]);
      assert.equal(wechat.searchParams.get("appid"), appid);
      assert.equal(wechat.searchParams.get("component_appid"), "wxd0e1c2b3a4958677");
      assert.equal(wechat.searchParams.get("redirect_uri"), `${base}/oauth/${appid}/callback`);

      const result = await verifyOAuthResult(landed.searchParams.get("wxopen_result")!, {
        adminToken: DEV_ADMIN_TOKEN,
        appid,
      });
      assert.equal(result.scope, "snsapi_userinfo");
      assert.equal(result.state, "basket-42");
      assert.match(result.openid, /^\S+$/);
      assert.equal(typeof result.profile?.nickname, "string");
      assert.doesNotMatch(page.url(), /access_token/);

      // The state cookie is HttpOnly and gone once used.
      assert.equal(await page.evaluate("document.cookie"), "");
      const cookies = await page.context().cookies();
      assert.equal(cookies.some((c) => c.name.startsWith("wxopen_oauth_")), false);
    } finally {
      await browser.close();
      await h.dispose();
    }
  },
});

/**
 * The merchant's flow in a real browser (Debian's Chromium driven by playwright-core) against
 * the dev worker (`worker/dev.ts`: the simulator stands in for WeChat), as a new user walks it:
 * open /authorize, click, authorize on the simulated WeChat page, land on the result page, then
 * read the token from the admin API. Screenshots go to tests/output/.
 */

import assert from "node:assert/strict";
import { hasChromium, launchChromium, noticeIfSkipped, outputDir } from "./_browser.ts";
import { freePort, startWorker } from "./_worker_harness.ts";

const DEV_ADMIN_TOKEN = "dev-admin-token-change-me";
noticeIfSkipped("browser test");

Deno.test({
  name: "browser: authorize in Chromium against the simulator, then read the token",
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
      await page.goto(`${base}/authorize`);
      assert.equal(await page.textContent("#authorize"), "Authorize in WeChat");
      await page.screenshot({ path: `${out}browser-1-authorize.png` });

      await page.click("#authorize");
      await page.waitForURL(/\/_sim\/cgi-bin\/componentloginpage/);
      await page.waitForSelector("#authorize-form");
      await page.screenshot({ path: `${out}browser-2-wechat-simulated.png` });

      await page.click("#authorize-form button[type=submit]");
      await page.waitForURL(/\/authorize\/callback/);
      await page.waitForSelector("#result");
      const appid = (await page.textContent("#appid"))!.trim();
      assert.match(appid, /^wx[0-9a-f]{16}$/);
      assert.equal(await page.textContent("#result"), "Authorization complete");
      await page.screenshot({ path: `${out}browser-3-result.png` });

      // The state cookie is HttpOnly: page scripts cannot read it.
      assert.equal(await page.evaluate("document.cookie"), "");

      const auth = { authorization: `Bearer ${DEV_ADMIN_TOKEN}` };
      const list = await (await fetch(`${base}/api/v1/authorizers`, { headers: auth })).json();
      assert.ok(
        list.authorizers.some((a: { authorizer_appid: string }) => a.authorizer_appid === appid),
      );
      const res = await fetch(`${base}/api/v1/authorizers/${appid}/access-token`, {
        headers: auth,
      });
      const token = await res.json();
      assert.equal(res.status, 200, JSON.stringify(token));
      assert.equal(token.authorizer_appid, appid);
      assert.match(token.access_token, /^\S{20,}$/);
      assert.ok(token.expires_in > 7000);
    } finally {
      await browser.close();
      await h.dispose();
    }
  },
});

/**
 * The releases dashboard in a real browser (Debian's Chromium driven by playwright-core)
 * against the production worker under Miniflare: an operator opens /releases, gives the admin
 * token in the form, and sees a release of three mini programs run to its end (bars per state,
 * the per-target table, WeChat's audit failure reason); the token never appears in a URL.
 * Screenshots go to tests/output/.
 */

import assert from "node:assert/strict";
import { hasChromium, launchChromium, noticeIfSkipped, outputDir } from "./_browser.ts";
import { CodeFake } from "./_code_fake.ts";
import { eventually, freePort, ORIGIN, SETTINGS, startWorker } from "./_worker_harness.ts";

noticeIfSkipped("browser release test");

Deno.test({
  name: "browser: the releases dashboard shows a release's progress, targets and reasons",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await outputDir();
    const port = freePort();
    const appids: string[] = [];
    // deno-lint-ignore prefer-const
    let fake: CodeFake;
    const h = await startWorker({
      port,
      settings: { RELEASE_POLL_SECONDS: "1" },
      upstream: (request) => fake.handle(request),
    });
    fake = new CodeFake(h.sim, () => appids);
    const base = `http://127.0.0.1:${port}`;
    const urls: string[] = [];
    const browser = await launchChromium();
    try {
      await h.send(await h.sim.ticketPush(`${ORIGIN}/wechat/component/events`));
      for (let i = 0; i < 3; i++) {
        appids.push((await h.sim.authorizeAccount({ kind: "mini_program" })).appId);
      }
      await h.sim.settled();
      await eventually(async () =>
        (await (await h.admin("/api/v1/authorizers")).json()).authorizers.length === 3
      );
      fake.verdicts.set(appids[0], 1);
      const res = await h.admin("/api/v1/releases", {
        method: "POST",
        body: JSON.stringify({
          template_id: 3,
          user_version: "2.0.0",
          user_desc: "dashboard",
          targets: "all",
        }),
      });
      assert.equal(res.status, 201);
      const { id } = await res.json();
      // WeChat decides the audits; no push is sent, the targets poll.
      const auditors = setInterval(() => fake.decide(), 300);

      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      page.on("request", (r) => urls.push(r.url()));
      await page.goto(`${base}/releases`);
      assert.equal(await page.isVisible("#app"), false);
      await page.fill("#token", SETTINGS.ADMIN_TOKEN);
      await page.click("#login button[type=submit]");
      await page.waitForSelector(`.release[data-id="${id}"]`);
      await page.screenshot({ path: `${out}browser-release-1-running.png` });

      await eventually(
        async () => (await page.textContent("#detail-counts"))?.includes("released 2"),
        60_000,
      );
      clearInterval(auditors);
      assert.match((await page.textContent("#detail-counts"))!, /rejected 1/);
      const rows = await page.$$eval(
        "#targets tr",
        (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
      );
      assert.equal(rows.length, 3);
      const rejectedRow = rows.find((r) => r[0] === appids[0])!;
      assert.equal(rejectedRow[1], "rejected");
      assert.equal(rejectedRow[6], "the page content does not match the category");
      assert.equal(rows.filter((r) => r[1] === "released").length, 2);
      // The bar shows a segment per state present.
      assert.deepEqual(
        (await page.$$eval("#detail-bar span", (s) => s.map((x) => x.getAttribute("data-state"))))
          .sort(),
        ["rejected", "released"],
      );
      await page.screenshot({ path: `${out}browser-release-2-done.png`, fullPage: true });

      // The token stays out of every URL and out of cookies; a reload keeps the session.
      assert.ok(urls.every((u) => !u.includes(SETTINGS.ADMIN_TOKEN)));
      assert.equal(await page.evaluate("document.cookie"), "");
      await page.reload();
      await page.waitForSelector(`.release[data-id="${id}"]`);
      await page.click("#logout");
      assert.equal(await page.evaluate("sessionStorage.length"), 0);
      assert.equal(await page.isVisible("#login"), true);
    } finally {
      await browser.close();
      await h.dispose();
    }
  },
});

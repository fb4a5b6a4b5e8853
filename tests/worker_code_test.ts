/**
 * Mini-program code management through the worker's proxy (`ALL /api/v1/authorizers/:appid/
 * wechat/*`) under Miniflare, with the simulator as WeChat: commit, submit for audit, the audit
 * ends once its (real, short) delay has passed and the simulator serves its next request, and its
 * `weapp_audit_success` push reaches the worker's message callback (answered `success`,
 * forwarded); then release, version info and the QR code's bytes; then a rejected version, its
 * reason pushed and asked for, not releasable.
 */

import assert from "node:assert/strict";
import { assertPushForwarded, proxiedMiniProgram } from "./_dev_flow.ts";
import { eventually, startWorker } from "./_worker_harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
/** Real milliseconds: the worker checks a push's timestamp against its own clock. */
const AUDIT_MS = 1000;

Deno.test({
  name: "worker: the audit lifecycle through the proxy, the verdict pushed to the callback",
  ...opts,
  async fn() {
    const h = await startWorker({ simulator: { auditDelayMs: AUDIT_MS } });
    try {
      const { appId, proxy, call } = await proxiedMiniProgram(h);
      const commit = await call("wxa/commit", {
        template_id: 3,
        ext_json: JSON.stringify({ extAppid: appId, ext: { shop: 7 } }),
        user_version: "3.1.0",
        user_desc: "edge",
      });
      assert.equal(commit.errcode, 0);
      // WeChat's refusals pass through as they are (HTTP 200, its errcode).
      assert.equal((await call("wxa/submit_audit", { item_list: [] })).errcode, 85023);
      const submitted = await call("wxa/submit_audit", {});
      assert.ok(submitted.auditid > 0);
      assert.equal((await call("wxa/submit_audit", {})).errcode, 85009);
      assert.equal((await call("wxa/release", {})).errcode, 85020);
      assert.equal((await call("wxa/queryquota")).rest, 19);

      const before = h.forwarded.length;
      await new Promise((r) => setTimeout(r, AUDIT_MS + 200));
      // Time passed on WeChat's side; the next request the simulator serves lets it catch up.
      assert.equal((await call("wxa/queryquota")).rest, 19);
      await assertPushForwarded(h, "weapp_audit_success", appId, before);

      assert.equal((await call("wxa/get_auditstatus", { auditid: submitted.auditid })).status, 0);
      assert.equal((await call("wxa/release", {})).errcode, 0);
      const info = await call("wxa/getversioninfo", {});
      assert.equal(info.release_info.release_version, "3.1.0");
      assert.equal(info.exp_info.exp_version, "3.1.0");
      // The QR code's bytes pass through the proxy as they are.
      const qr = await proxy("wxa/get_qrcode?path=pages%2Findex%2Findex");
      assert.equal(qr.status, 200);
      assert.equal(qr.headers.get("content-type"), "image/jpeg");
      assert.deepEqual([...new Uint8Array(await qr.arrayBuffer()).slice(0, 2)], [0xff, 0xd8]);

      // The next version is rejected: the reason reaches the callback and get_auditstatus.
      await call("wxa/commit", {
        template_id: 3,
        ext_json: "{}",
        user_version: "3.2.0",
        user_desc: "edge 2",
      });
      h.sim.setAuditOutcome(appId, { status: "fail", reason: "功能不完整", screenshot: "s1" });
      const second = await call("wxa/submit_audit", {});
      const seen = h.forwarded.length;
      await new Promise((r) => setTimeout(r, AUDIT_MS + 200));
      const status = await call("wxa/get_auditstatus", { auditid: second.auditid });
      assert.equal(status.status, 1);
      assert.equal(status.reason, "功能不完整");
      await h.sim.settled();
      const failed = await eventually(() => h.forwarded[seen]);
      assert.match(failed.body, /weapp_audit_fail/);
      assert.match(failed.body, /功能不完整/);
      assert.equal((await call("wxa/release", {})).errcode, 85020);
      const still = await call("wxa/getversioninfo", {});
      assert.equal(still.release_info.release_version, "3.1.0");
      assert.equal(still.exp_info.exp_version, "3.2.0");
    } finally {
      await h.dispose();
    }
  },
});

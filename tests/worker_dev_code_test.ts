/**
 * `deno task dev`'s worker (the dev bundle, its own simulator behind `/_sim`) answers code
 * management through the proxy: a merchant authorizes a mini program on the simulated page
 * (plain HTTP, as a browser would), then commit, submit_audit, the audit in flight and the quota
 * are WeChat's answers, not "Not Found".
 */

import assert from "node:assert/strict";
import { devMiniProgram } from "./_dev_flow.ts";

Deno.test({
  name: "dev worker: code management answers through the proxy",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { h, call } = await devMiniProgram();
    try {
      const commit = await call("wxa/commit", {
        template_id: 1,
        ext_json: "{}",
        user_version: "1.0.0",
        user_desc: "dev",
      });
      assert.equal(commit.errcode, 0);
      const { auditid } = await call("wxa/submit_audit", {});
      assert.ok(auditid > 0);
      const latest = await call("wxa/get_latest_auditstatus");
      assert.equal(latest.auditid, auditid);
      assert.equal(latest.status, 2);
      assert.equal((await call("wxa/release", {})).errcode, 85020);
      assert.equal(typeof (await call("wxa/queryquota")).rest, "number");
      assert.equal((await call("wxa/getversioninfo", {})).exp_info.exp_version, "1.0.0");
    } finally {
      await h.dispose();
    }
  },
});

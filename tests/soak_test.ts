/**
 * Fault tests of the worker: what the soak found, pinned.
 */

import assert from "node:assert/strict";
import { eventually, ORIGIN, SETTINGS, startWorker } from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;

Deno.test({
  name: "soak: an `authorized` push answered `success` survives a transient exchange failure",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const h = await startWorker();
    try {
      assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
      // WeChat will not push again once the platform said `success`: the exchange must not be
      // lost to one 5xx of api_query_auth.
      h.sim.inject({ path: "api_query_auth", status: 503 });
      const auth = await h.sim.authorizeAccount({ kind: "official_account" });
      await h.sim.settled();
      assert.equal(h.sim.deliveries().at(-1)?.body, "success");
      const headers = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
      const body = await eventually(async () => {
        const res = await h.fetch(`/api/authorizers/${auth.appId}/access-token`, { headers });
        const json = await res.json();
        return res.status === 200 ? json : undefined;
      }, 8_000);
      assert.equal(body.access_token, h.sim.currentAccessToken(auth.appId));
    } finally {
      await h.dispose();
    }
  },
});

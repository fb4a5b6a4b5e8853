/**
 * The short fault soak (a few hundred seeded operations on two worker instances sharing KV and
 * Durable Objects, with upstream and store faults); `deno task soak` runs the long one.
 */

import assert from "node:assert/strict";
import { formatReport, runSoak } from "./_soak.ts";
import { eventually, ORIGIN, SETTINGS, startWorker } from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;

Deno.test({
  name: "soak: two instances under upstream and store faults keep every invariant",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const report = await runSoak({ seed: 5, ops: 300, concurrency: 3 });
    console.log(formatReport(report));
    // No refresh token lost, no token served after the worker knew it was invalid, every
    // failure a clear retryable JSON error, upstream calls within the budget.
    assert.deepEqual(report.violations, []);
    // The run did what it claims: faults of every family hit, all operations ran.
    assert.ok(report.storeFaultHits > 0, "store faults hit");
    assert.ok(report.upstreamFaultHits > 0, "upstream faults hit");
    for (const kind of ["status", "drop-before", "errcode-1", "invalidate-access"]) {
      assert.ok((report.faults[kind] ?? 0) > 0, `fault ${kind} injected`);
    }
    for (const op of ["token", "report", "proxy", "authorize-push", "cron", "advance"]) {
      assert.ok((report.opCounts[op] ?? 0) > 0, `operation ${op} ran`);
    }
    assert.ok(report.authorizers.checked >= 3, "authorizers checked at the end");
    assert.ok(report.upstreamCalls <= report.upstreamBudget);
  },
});

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
        const res = await h.fetch(`/api/v1/authorizers/${auth.appId}/access-token`, { headers });
        const json = await res.json();
        return res.status === 200 ? json : undefined;
      }, 8_000);
      assert.equal(body.access_token, h.sim.currentAccessToken(auth.appId));
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "soak: a KV write failure during an authorization exchange does not lose the refresh token",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let armed = false;
    const h = await startWorker({
      kvFaults: (op, key) => {
        if (armed && op === "put" && key.includes("authorizer_refresh")) {
          armed = false;
          return "error";
        }
        return null;
      },
    });
    try {
      assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
      armed = true;
      const auth = await h.sim.authorizeAccount({ kind: "official_account" });
      await h.sim.settled();
      const headers = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
      const body = await eventually(async () => {
        const res = await h.fetch(`/api/v1/authorizers/${auth.appId}/access-token`, { headers });
        const json = await res.json();
        return res.status === 200 ? json : undefined;
      }, 8_000);
      assert.equal(body.access_token, h.sim.currentAccessToken(auth.appId));
      assert.equal(armed, false, "the fault hit the refresh token's write");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "soak: a failed write of a refreshed token leaves no superseded token to serve",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let armed = "";
    const h = await startWorker({
      instances: 2,
      kvFaults: (op, key) => {
        if (armed && op === "put" && key === armed) {
          armed = "";
          return "error";
        }
        return null;
      },
    });
    try {
      const headers = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
      assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
      const auth = await h.sim.authorizeAccount({ kind: "official_account" });
      await h.sim.settled();
      const path = `/api/v1/authorizers/${auth.appId}/access-token`;
      const first = await eventually(async () => {
        const res = await h.fetchOn(0, path, { headers });
        const json = await res.json();
        return res.status === 200 ? json.access_token as string : undefined;
      });
      // The platform reports the token invalid; the refreshed token's KV write fails.
      armed = `wxopen:v1:authorizer_token:${auth.appId}`;
      const res = await h.fetchOn(0, `${path}/refresh`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: first }),
      });
      const second = (await res.json()).access_token;
      assert.equal(res.status, 200);
      assert.equal(armed, "", "the fault hit the token's write");
      assert.notEqual(second, first);
      // The other instance (nothing cached) must not serve the token reported invalid.
      const other = await (await h.fetchOn(1, path, { headers })).json();
      assert.notEqual(other.access_token, first);
      assert.equal(other.access_token, h.sim.currentAccessToken(auth.appId));
    } finally {
      await h.dispose();
    }
  },
});

/**
 * Managed-token benchmarks.
 *
 * - hot path: `authorizerAccessToken()` / `componentAccessToken()` with a fresh stored token
 *   (no upstream call), over MemoryStore — ops/s is what `deno bench` reports;
 * - stampede: N concurrent callers on an expired token; the upstream call count per N is printed
 *   before the benchmarks run (the target is exactly 1 per credential).
 *
 * Run: `deno bench -A bench/tokens_bench.ts`
 */

import { ComponentClient, MemoryStore } from "../mod.ts";

const COMPONENT = "wxbenchcomponent001";
const SECRET = "bench-secret";
const AUTHORIZER = "wxbenchauthorizer01";

/** A minimal upstream that counts calls and can delay them (real refreshes take time). */
function upstream(delayMs = 0) {
  const counts = { component: 0, authorizer: 0 };
  let seq = 0;
  const fetch: typeof globalThis.fetch = async (input) => {
    const path = new URL(String(input)).pathname;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (path.endsWith("/api_component_token")) {
      counts.component++;
      return Response.json({ component_access_token: `c-${++seq}`, expires_in: 7200 });
    }
    if (path.endsWith("/api_authorizer_token")) {
      counts.authorizer++;
      return Response.json({
        authorizer_access_token: `a-${++seq}`,
        expires_in: 7200,
        authorizer_refresh_token: "refreshtoken@@@bench",
      });
    }
    return Response.json({ errcode: 40097, errmsg: "invalid args" });
  };
  return { fetch, counts };
}

async function makeClient(delayMs = 0) {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const up = upstream(delayMs);
  const client = new ComponentClient({
    appId: COMPONENT,
    appSecret: SECRET,
    store: new MemoryStore({ now: () => clock.now }),
    fetch: up.fetch,
    now: () => clock.now,
  });
  await client.acceptTicket("ticket@@@bench");
  await client.importAuthorizer({
    authorizerAppId: AUTHORIZER,
    refreshToken: "refreshtoken@@@bench",
  });
  await client.authorizerAccessToken(AUTHORIZER);
  return { client, clock, counts: up.counts };
}

// ---- upstream calls per N concurrent callers (printed once) -------------------------------

const rows: string[] = [];
for (const n of [1, 10, 100, 1000]) {
  const { client, clock, counts } = await makeClient(5);
  clock.now += 7200_000 + 1; // both tokens expired
  const before = { ...counts };
  await Promise.all(Array.from({ length: n }, () => client.authorizerAccessToken(AUTHORIZER)));
  rows.push(
    `N=${String(n).padStart(4)}  api_authorizer_token=${counts.authorizer - before.authorizer}` +
      `  api_component_token=${counts.component - before.component}`,
  );
}
console.log("upstream calls for N concurrent callers on an expired authorizer token:");
for (const row of rows) console.log("  " + row);

// ---- hot path ------------------------------------------------------------------------------

const hot = await makeClient();
await hot.client.componentAccessToken();

Deno.bench("authorizerAccessToken() hot path (stored token, MemoryStore)", {
  group: "hot",
  baseline: true,
}, async () => {
  await hot.client.authorizerAccessToken(AUTHORIZER);
});

Deno.bench("componentAccessToken() hot path (stored token, MemoryStore)", {
  group: "hot",
}, async () => {
  await hot.client.componentAccessToken();
});

Deno.bench("cachedAuthorizerAccessToken() (read-only accessor)", { group: "hot" }, async () => {
  await hot.client.cachedAuthorizerAccessToken(AUTHORIZER);
});

Deno.bench("100 concurrent callers, expired token → 1 refresh (no upstream delay)", async (b) => {
  const { client, clock } = await makeClient();
  clock.now += 7200_000 + 1;
  b.start();
  await Promise.all(Array.from({ length: 100 }, () => client.authorizerAccessToken(AUTHORIZER)));
  b.end();
});

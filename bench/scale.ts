/**
 * The refresh schedule at scale: N authorizers (default 10,000) on one worker under Miniflare
 * (real workerd, local KV and Durable Objects with alarms), each authorized through WeChat's
 * real flow (push, `api_query_auth`), with tokens that live `--life` seconds (default 1800) so
 * that every one of them comes due within minutes, all at once. No request and no cron runs:
 * each authorizer's own Durable Object alarm must refresh its token before it expires.
 *
 * Reports: tokens refreshed before expiry (and any that expired first), upstream calls per
 * token, the KV operations and upstream calls each alarm invocation made, KV writes per key per
 * second at the peak, and how long the wave took.
 *
 * Run: `deno run -A bench/scale.ts [--n 10000] [--life 1800] [--parallel 16]` (the alarms of a
 * wave come at half a token's life, so `--life` must leave the seeding time to finish first).
 */

import { parseArgs } from "node:util";
import { eventually, ORIGIN, startWorker } from "../tests/_worker_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "10000" },
    life: { type: "string", default: "1800" },
    parallel: { type: "string", default: "16" },
  },
});
const N = Number(values.n);
const LIFE_S = Number(values.life);
const PARALLEL = Number(values.parallel);
const EVENTS = `${ORIGIN}/wechat/component/events`;

/** How long after its exchange an authorizer's seeding writes are surely done. */
const SETTLE_MS = 5000;
/** KV operations by authorizer appid (and the component's keys under "component"). */
const kvOps = new Map<string, { reads: number; writes: number }>();
/** Writes per KV key per whole second, to find the hottest key-second. */
const writesPerKeySecond = new Map<string, number>();
let counting = false;
const appidOf = (key: string) => /wx[0-9A-Za-z]{16}/.exec(key)?.[0] ?? "component";

/** Every authorizer token WeChat issued: appid → [issued at, expires at] (the worker's hooks read it). */
const issued = new Map<string, { at: number; expiresAt: number }[]>();
const h = await startWorker({
  // WeChat counts every component-token call against the platform's daily quota (the simulator
  // too: 10,000 by default); seeding and one wave of N authorizers need about 3 N.
  simulator: { tokenLifetimeSeconds: LIFE_S, defaultDailyQuota: 10 * N },
  kvFaults: (op, key) => {
    const who = appidOf(key);
    // An authorizer's own operations count from a few seconds after its authorization was
    // exchanged (its seeding is over by then); the component's while the wave runs.
    const first = issued.get(who)?.[0]?.at;
    if (who === "component" ? counting : first !== undefined && Date.now() > first + SETTLE_MS) {
      const entry = kvOps.get(who) ?? { reads: 0, writes: 0 };
      if (op === "put" || op === "delete") {
        entry.writes++;
        const slot = `${key}@${Math.floor(Date.now() / 1000)}`;
        writesPerKeySecond.set(slot, (writesPerKeySecond.get(slot) ?? 0) + 1);
      } else entry.reads++;
      kvOps.set(who, entry);
    }
    return null;
  },
});

const upstreamByAppid = new Map<string, number>();
const simFetch = h.sim.fetch.bind(h.sim);
/** The JSON body of an outbound call (the harness hands the simulator an ArrayBuffer). */
const bodyOf = (init?: RequestInit): Record<string, unknown> => {
  const body = init?.body;
  if (!body) return {};
  const text = typeof body === "string" ? body : new TextDecoder().decode(body as ArrayBuffer);
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
};
(h.sim as { fetch: typeof simFetch }).fetch = async (input, init) => {
  const res = await simFetch(input, init);
  const url = String(input instanceof Request ? input.url : input);
  if (url.includes("api_authorizer_token")) {
    const appid = String(bodyOf(init).authorizer_appid);
    upstreamByAppid.set(appid, (upstreamByAppid.get(appid) ?? 0) + 1);
  }
  if (url.includes("api_authorizer_token") || url.includes("api_query_auth")) {
    const json = await res.clone().json();
    const info = json.authorization_info ?? json;
    const appid = info.authorizer_appid ?? bodyOf(init).authorizer_appid;
    if (appid && info.expires_in) {
      const list = issued.get(appid) ?? [];
      list.push({ at: Date.now(), expiresAt: Date.now() + info.expires_in * 1000 });
      issued.set(appid, list);
    }
  }
  return res;
};

const t0 = performance.now();
if (await (await h.send(await h.sim.ticketPush(EVENTS))).text() !== "success") {
  throw new Error("ticket push refused");
}
// Authorize N accounts through WeChat's flow (the `authorized` push is delivered by the
// simulator; the worker exchanges the code in waitUntil).
const appids: string[] = [];
let next = 0;
await Promise.all(Array.from({ length: PARALLEL }, async () => {
  while (next < N) {
    next++;
    const auth = await h.sim.authorizeAccount({ kind: "official_account" });
    appids.push(auth.appId);
  }
}));
await h.sim.settled();
await eventually(() => appids.every((a) => (issued.get(a)?.length ?? 0) >= 1), 600_000);
const seededMs = performance.now() - t0;
console.log(`seeded ${N} authorizers in ${(seededMs / 1000).toFixed(1)} s`);
if (seededMs / 1000 > LIFE_S / 2) {
  console.warn(`seeding took longer than half a token's life: pass a larger --life`);
}

// The wave: every token comes due (alarms at most half a life ahead of expiry).
counting = true;
const waveStart = performance.now();
await eventually(() => appids.every((a) => (issued.get(a)?.length ?? 0) >= 2), 30 * 60_000);
const waveMs = performance.now() - waveStart;
// Let stragglers (a second refresh would be a defect) show up.
await new Promise((r) => setTimeout(r, 3000));
counting = false;

let late = 0;
let worstMarginS = Infinity;
for (const appid of appids) {
  const [first, second] = issued.get(appid)!;
  const margin = (first.expiresAt - second.at) / 1000;
  worstMarginS = Math.min(worstMarginS, margin);
  if (margin <= 0) late++;
}
const calls = appids.map((a) => upstreamByAppid.get(a) ?? 0);
const ops = appids.map((a) => kvOps.get(a) ?? { reads: 0, writes: 0 });
const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const component = kvOps.get("component") ?? { reads: 0, writes: 0 };
const report = {
  authorizers: N,
  token_life_s: LIFE_S,
  seed_s: Number((seededMs / 1000).toFixed(1)),
  wave_s: Number((waveMs / 1000).toFixed(1)),
  refreshed_before_expiry: N - late,
  expired_first: late,
  worst_margin_s: Number(worstMarginS.toFixed(1)),
  upstream_calls_per_token: { mean: mean(calls), max: max(calls) },
  kv_ops_per_alarm: {
    reads_mean: Number(mean(ops.map((o) => o.reads)).toFixed(2)),
    reads_max: max(ops.map((o) => o.reads)),
    writes_mean: Number(mean(ops.map((o) => o.writes)).toFixed(2)),
    writes_max: max(ops.map((o) => o.writes)),
  },
  component_kv_ops_during_wave: component,
  max_writes_per_key_second: max([...writesPerKeySecond.values()]),
};
console.log(JSON.stringify(report, null, 2));
await h.dispose();

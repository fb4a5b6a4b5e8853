/**
 * A fleet release at scale: N mini programs (default 1,000) authorized through WeChat's flow on
 * one worker under Miniflare (real workerd, Durable Objects with alarms), then one release to
 * all of them with faults injected, workerd restarted halfway.
 *
 * `--backend sim` (default): the simulator's own audit lifecycle (audits decided after
 * `--audit-ms` and pushed by the simulator; 2% rejected, 1% delayed, 5% of the pushes lost;
 * 502 and -1 on commits, submits and releases dropped after WeChat took them, 85085 refusals).
 * `--backend fake`: `tests/_code_fake.ts` in front of the simulator, whose quota this process
 * can spend and restore (the audit quota runs out at N/2 and comes back after the restart).
 *
 * Reports: wall time of the release (created → settled), the end state of every target,
 * upstream calls per target (mean, max), `queryquota` calls, and audits WeChat counted.
 *
 * Run: `deno run -A bench/release.ts [--n 1000] [--backend sim|fake] [--concurrency 100] [--poll 2]`
 */

import { parseArgs } from "node:util";
import { CodeFake } from "../tests/_code_fake.ts";
import { eventually, ORIGIN, startWorker } from "../tests/_worker_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "1000" },
    backend: { type: "string", default: "sim" },
    concurrency: { type: "string", default: "100" },
    poll: { type: "string", default: "2" },
    "audit-ms": { type: "string", default: "3000" },
    parallel: { type: "string", default: "16" },
  },
});
const N = Number(values.n);
const SIM = values.backend !== "fake";
const CALLBACK = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;

const appids: string[] = [];
const lost = new Set<string>();
const calls = new Map<string, number>();
const tokens = new Map<string, string>();
let quotaCalls = 0;
// deno-lint-ignore prefer-const
let fake: CodeFake;
// deno-lint-ignore prefer-const
let h: Awaited<ReturnType<typeof startWorker>>;
const appidOf = (token: string) => {
  if (!tokens.has(token)) {
    for (const a of appids) {
      const t = h.sim.currentAccessToken(a);
      if (t) tokens.set(t, a);
    }
  }
  return tokens.get(token);
};
h = await startWorker({
  settings: { RELEASE_POLL_SECONDS: values.poll },
  simulator: {
    defaultDailyQuota: 50 * N,
    auditQuota: 2 * N,
    auditDelayMs: Number(values["audit-ms"]),
  },
  messagePushes: (request) => !lost.has(new URL(request.url).pathname.split("/")[3]),
  upstream: (request) => {
    if (!SIM) return fake.handle(request);
    const url = new URL(request.url);
    if (url.pathname === "/wxa/queryquota") quotaCalls++;
    else if (url.pathname.startsWith("/wxa/")) {
      const appid = appidOf(url.searchParams.get("access_token") ?? "");
      if (appid) calls.set(appid, (calls.get(appid) ?? 0) + 1);
    }
    return undefined;
  },
});
fake = new CodeFake(h.sim, () => appids);

const t0 = performance.now();
await h.send(await h.sim.ticketPush(`${ORIGIN}/wechat/component/events`));
let next = 0;
await Promise.all(Array.from({ length: Number(values.parallel) }, async () => {
  while (next++ < N) appids.push((await h.sim.authorizeAccount({ kind: "mini_program" })).appId);
}));
await h.sim.settled();
await eventually(async () => {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await (await h.admin(
      `/api/v1/authorizers?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    )).json();
    count += page.authorizers.length;
    cursor = page.complete ? undefined : page.cursor;
  } while (cursor);
  return count === N;
}, 600_000);
console.log(`seeded ${N} mini programs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const share = (from: number, pct: number) =>
  appids.slice(Math.floor(N * from), Math.floor(N * (from + pct)));
const rejected = new Set(share(0, 0.02));
for (const a of share(0.02, 0.05)) lost.add(a);
if (SIM) {
  for (const a of rejected) h.sim.setAuditOutcome(a, { status: "fail", reason: "bench" });
  for (const a of share(0.07, 0.01)) h.sim.setAuditOutcome(a, "delay");
  const k = Math.max(1, Math.floor(N / 50));
  h.sim.inject({ path: "commit", status: 502, times: k });
  h.sim.inject({ path: "commit", errcode: -1, times: k });
  h.sim.inject({ path: "submit_audit", drop: "after", times: k });
  h.sim.inject({ path: "submit_audit", errcode: 85085, times: k });
  h.sim.inject({ path: "release", drop: "after", times: k });
} else {
  for (const a of rejected) fake.verdicts.set(a, 1);
  for (const a of share(0.07, 0.02)) fake.faults.set(`${a} /wxa/commit`, ["5xx", "errcode-1"]);
  for (const a of share(0.09, 0.02)) fake.faults.set(`${a} /wxa/submit_audit`, ["lost"]);
  fake.quota.rest = Math.floor(N / 2);
}

const started = performance.now();
const res = await h.admin("/api/v1/releases", {
  method: "POST",
  body: JSON.stringify({
    template_id: 1,
    user_version: "9.0.0",
    user_desc: "bench",
    ext_json: { extAppid: "{{authorizer_appid}}" },
    targets: "all",
    concurrency: Number(values.concurrency),
  }),
});
if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
const { id } = await res.json();

let restarted = false;
let quotaBack = false;
let summary: Record<string, unknown> & { counts: Record<string, number>; settled: boolean };
for (;;) {
  if (!SIM) {
    // The fake's auditors decide every audit in flight and push the verdicts.
    for (const { appid, status } of fake.decide()) {
      if (lost.has(appid)) continue;
      await h.send(
        await h.sim.eventMessagePush(CALLBACK, {
          appId: appid,
          event: status === 0 ? "weapp_audit_success" : "weapp_audit_fail",
          fields: status === 0 ? { SuccTime: 1 } : { Reason: "bench", FailTime: 1 },
        }),
      );
    }
  }
  summary = await (await h.admin(`/api/v1/releases/${id}`)).json();
  if (summary.settled) break;
  const c = summary.counts;
  if (!restarted && (c.released + c.auditing + c.rejected) >= N / 2) {
    await h.restart();
    restarted = true;
    console.log(`restarted workerd at ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else if (!SIM && restarted && !quotaBack) {
    fake.quota.rest = N;
    quotaBack = true;
  }
  if (performance.now() - started > 30 * 60_000) throw new Error("release did not settle");
  await new Promise((r) => setTimeout(r, 500));
}
const wallS = (performance.now() - started) / 1000;
const perTarget = appids.map((a) => SIM ? calls.get(a) ?? 0 : fake.program(a).calls);
let audits: number;
if (SIM) {
  const token = h.sim.currentAccessToken(appids[0])!;
  const quota = await (await h.sim.fetch(
    `https://api.weixin.qq.com/wxa/queryquota?access_token=${token}`,
  )).json();
  audits = quota.limit - quota.rest;
} else {
  audits = [...fake.programs.values()].reduce(
    (s, p) => s + [...p.submits.values()].reduce((a, b) => a + b, 0),
    0,
  );
}
const report = {
  backend: SIM ? "simulator" : "fake",
  targets: N,
  concurrency: Number(values.concurrency),
  poll_seconds: Number(values.poll),
  wall_s: Number(wallS.toFixed(1)),
  states: Object.fromEntries(Object.entries(summary.counts).filter(([, n]) => n > 0)),
  upstream_calls_per_target: {
    mean: Number((perTarget.reduce((s, n) => s + n, 0) / N).toFixed(2)),
    max: Math.max(...perTarget),
  },
  queryquota_calls: SIM ? quotaCalls : fake.quotaCalls,
  audits_counted_by_wechat: audits,
  max_submissions_per_version: SIM ? undefined : fake.maxSubmitsPerVersion(),
  restarted_halfway: restarted,
};
console.log(JSON.stringify(report, null, 2));
await h.dispose();

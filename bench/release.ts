/**
 * A fleet release at scale: N mini programs (default 1,000) authorized through WeChat's flow on
 * one worker under Miniflare (real workerd, Durable Objects with alarms), then one release to
 * all of them with faults injected — 5xx and WeChat's -1 on commits, submits whose answer is
 * lost after WeChat took them, audit rejections, missed pushes, the audit quota spent halfway
 * and restored, and workerd restarted halfway. Code management is `tests/_code_fake.ts` in
 * front of the simulator.
 *
 * Reports: wall time of the release (created → settled), the end state of every target,
 * upstream calls per target (mean, max), `queryquota` calls, and submissions per version.
 *
 * Run: `deno run -A bench/release.ts [--n 1000] [--concurrency 100] [--poll 2]`
 */

import { parseArgs } from "node:util";
import { CodeFake } from "../tests/_code_fake.ts";
import { eventually, ORIGIN, startWorker } from "../tests/_worker_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "100" },
    poll: { type: "string", default: "2" },
    parallel: { type: "string", default: "16" },
  },
});
const N = Number(values.n);
const CALLBACK = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;

const appids: string[] = [];
// deno-lint-ignore prefer-const
let fake: CodeFake;
const h = await startWorker({
  settings: { RELEASE_POLL_SECONDS: values.poll },
  simulator: { defaultDailyQuota: 20 * N },
  upstream: (request) => fake.handle(request),
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

// Faults, by position: 2% rejected, 5% missed pushes, 2% commit faults, 2% lost submit answers.
const share = (from: number, pct: number) =>
  appids.slice(Math.floor(N * from), Math.floor(N * (from + pct)));
const rejected = new Set(share(0, 0.02));
const missed = new Set(share(0.02, 0.05));
for (const a of rejected) fake.verdicts.set(a, 1);
for (const a of share(0.07, 0.02)) fake.faults.set(`${a} /wxa/commit`, ["5xx", "errcode-1"]);
for (const a of share(0.09, 0.02)) fake.faults.set(`${a} /wxa/submit_audit`, ["lost"]);
fake.quota.rest = Math.floor(N / 2);

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
  for (const { appid, status } of fake.decide()) {
    if (missed.has(appid)) continue;
    const push = await h.sim.eventMessagePush(CALLBACK, {
      appId: appid,
      event: status === 0 ? "weapp_audit_success" : "weapp_audit_fail",
      fields: status === 0 ? { SuccTime: 1 } : { Reason: "content mismatch", FailTime: 1 },
    });
    await h.send(push);
  }
  summary = await (await h.admin(`/api/v1/releases/${id}`)).json();
  if (summary.settled) break;
  if (!restarted && summary.counts.waiting_quota > 0) {
    await h.restart();
    restarted = true;
    console.log(`restarted workerd at ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else if (restarted && !quotaBack) {
    fake.quota.rest = N;
    quotaBack = true;
  }
  if (performance.now() - started > 30 * 60_000) throw new Error("release did not settle");
  await new Promise((r) => setTimeout(r, 500));
}
const wallS = (performance.now() - started) / 1000;
const calls = appids.map((a) => fake.program(a).calls);
const report = {
  targets: N,
  concurrency: Number(values.concurrency),
  poll_seconds: Number(values.poll),
  wall_s: Number(wallS.toFixed(1)),
  states: Object.fromEntries(Object.entries(summary.counts).filter(([, n]) => n > 0)),
  upstream_calls_per_target: {
    mean: Number((calls.reduce((s, n) => s + n, 0) / N).toFixed(2)),
    max: Math.max(...calls),
  },
  queryquota_calls: fake.quotaCalls,
  max_submissions_per_version: fake.maxSubmitsPerVersion(),
  restarted_halfway: restarted,
};
console.log(JSON.stringify(report, null, 2));
await h.dispose();

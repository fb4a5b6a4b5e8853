/**
 * A fleet release at scale: N mini programs (default 1,000) authorized through WeChat's flow on
 * one worker under Miniflare (real workerd, Durable Objects with alarms), then one release to
 * all of them with faults injected, workerd restarted halfway.
 *
 * Every fault kind of issue 12's "done means" is injected, on either backend: 5xx, timeouts
 * (answers slower than the worker's 10 s deadline), audit failures (2% rejected), delays (1% of
 * the audits delayed, slow `get_auditstatus` answers), missed pushes (5%), the audit quota
 * exhausted (60% of N; given back only once WeChat's `queryquota` shows it spent and targets
 * wait for it), and workerd restarted halfway.
 *
 * `--backend sim` (default): the simulator's own audit lifecycle (audits decided after
 * `--audit-ms` and pushed by the simulator; besides the above, -1 on commits, submits and
 * releases dropped after WeChat took them, 85085 refusals).
 * `--backend fake`: `tests/_code_fake.ts` in front of the simulator (audits decided and pushed
 * by this process; answers lost after the call took effect).
 *
 * Checks, exiting 1 when one fails (after the report): every target in its expected terminal
 * state (rejected ones `rejected`, every other `released`), WeChat's own audit count per mini
 * program exactly 1 (no version submitted twice; no retry is intended here), and upstream
 * calls per target at most `--max-calls`. Reports: wall time of the release (created →
 * settled), the end states, upstream calls per target (mean, max), `queryquota` calls, and
 * audits WeChat counted.
 *
 * `--dashboard <png>`: then opens `/releases` in Chromium (tests/_browser.ts), enters the admin
 * token, checks that the page's counts per state equal `GET /api/v1/releases/:id`'s (in the
 * list and in the detail, and counted over the table's rows) and that the table has N rows, and
 * saves a screenshot to `<png>`.
 *
 * Run: `deno run -A bench/release.ts [--n 1000] [--backend sim|fake] [--concurrency 100]
 * [--poll 2] [--dashboard /tmp/release.png]`
 */

import { parseArgs } from "node:util";
import { CodeFake } from "../tests/_code_fake.ts";
import { eventually, freePort, ORIGIN, SETTINGS, startWorker } from "../tests/_worker_harness.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "1000" },
    backend: { type: "string", default: "sim" },
    concurrency: { type: "string", default: "100" },
    poll: { type: "string", default: "2" },
    "audit-ms": { type: "string", default: "3000" },
    parallel: { type: "string", default: "16" },
    "max-calls": { type: "string", default: "40" },
    dashboard: { type: "string" },
  },
});
const N = Number(values.n);
const SIM = values.backend !== "fake";
const CALLBACK = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;
const PORT = values.dashboard ? freePort() : undefined;
/** The audit quota, exhausted during the release (60% of N), then given back. */
const QUOTA = Math.floor(N * 0.6);
/** Longer than the worker's 10 s deadline for a WeChat call. */
const TIMEOUT_MS = 11_000;

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
  ...(PORT ? { port: PORT } : {}),
  settings: { RELEASE_POLL_SECONDS: values.poll },
  simulator: {
    defaultDailyQuota: 50 * N,
    auditQuota: QUOTA,
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
  h.sim.inject({ path: "commit", delayMs: TIMEOUT_MS, times: k });
  h.sim.inject({ path: "submit_audit", drop: "after", times: k });
  h.sim.inject({ path: "submit_audit", errcode: 85085, times: k });
  h.sim.inject({ path: "get_auditstatus", status: 503, times: k });
  h.sim.inject({ path: "get_auditstatus", delayMs: 500, times: k });
  h.sim.inject({ path: "release", drop: "after", times: k });
  h.sim.inject({ path: "release", delayMs: TIMEOUT_MS, times: k });
} else {
  for (const a of rejected) fake.verdicts.set(a, 1);
  for (const a of share(0.07, 0.02)) fake.faults.set(`${a} /wxa/commit`, ["5xx", "errcode-1"]);
  for (const a of share(0.09, 0.02)) fake.faults.set(`${a} /wxa/submit_audit`, ["lost"]);
  for (const a of share(0.11, 0.01)) fake.faults.set(`${a} /wxa/commit`, ["timeout"]);
  for (const a of share(0.12, 0.01)) fake.faults.set(`${a} /wxa/release`, ["timeout_applied"]);
  for (const a of share(0.13, 0.02)) fake.faults.set(`${a} /wxa/get_auditstatus`, ["5xx", "5xx"]);
  fake.quota = { rest: QUOTA, limit: QUOTA };
}

/** WeChat's own answer to `queryquota` (the simulator's, or the fake's). */
async function quotaRest(): Promise<number> {
  if (!SIM) return fake.quota.rest;
  const token = h.sim.currentAccessToken(appids[0])!;
  const quota = await (await h.sim.fetch(
    `https://api.weixin.qq.com/wxa/queryquota?access_token=${token}`,
  )).json();
  return quota.rest;
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
let quotaSpentWaiting = 0;
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
  }
  // The quota is given back only once it is spent and targets wait for it (not failing).
  if (!quotaBack && c.waiting_quota > 0 && (await quotaRest()) === 0) {
    quotaSpentWaiting = c.waiting_quota;
    if (SIM) h.sim.setAuditQuota({ audits: 2 * N });
    else fake.quota = { rest: N, limit: QUOTA + N };
    quotaBack = true;
    console.log(
      `audit quota spent at ${((performance.now() - started) / 1000).toFixed(1)} s with ` +
        `${c.waiting_quota} targets waiting (${c.failed} failed); given back`,
    );
  }
  if (performance.now() - started > 30 * 60_000) throw new Error("release did not settle");
  await new Promise((r) => setTimeout(r, 500));
}
const wallS = (performance.now() - started) / 1000;
const perTarget = appids.map((a) => SIM ? calls.get(a) ?? 0 : fake.program(a).calls);
/** Audits WeChat holds per mini program (the simulator's records, or the fake's submissions). */
const auditsOf = (appid: string) =>
  SIM
    ? h.sim.audits(appid).length
    : [...fake.program(appid).submits.values()].reduce((a, b) => a + b, 0);
const audits = appids.reduce((s, a) => s + auditsOf(a), 0);
const full = await (await h.admin(`/api/v1/releases/${id}`)).json() as {
  counts: Record<string, number>;
  targets: { appid: string; state: string; reason?: string }[];
};
const failures: string[] = [];
const wrongState = full.targets.filter((t) =>
  t.state !== (rejected.has(t.appid) ? "rejected" : "released")
);
if (full.targets.length !== N) failures.push(`${full.targets.length} targets, not ${N}`);
for (const t of wrongState.slice(0, 10)) {
  failures.push(`${t.appid} ended ${t.state}${t.reason ? ` (${t.reason})` : ""}`);
}
const twice = appids.filter((a) => auditsOf(a) !== 1);
for (const a of twice.slice(0, 10)) failures.push(`${a}: WeChat holds ${auditsOf(a)} audits`);
const maxCalls = Math.max(...perTarget);
if (maxCalls > Number(values["max-calls"])) {
  failures.push(`a target made ${maxCalls} upstream calls (more than ${values["max-calls"]})`);
}
if (!restarted) failures.push("workerd was not restarted");
if (!quotaBack) failures.push("the audit quota was never exhausted");

let dashboard: Record<string, unknown> | undefined;
if (values.dashboard) {
  dashboard = await checkDashboard(values.dashboard, full.counts).catch((err) => {
    failures.push(`dashboard: ${(err as Error).message}`);
    return undefined;
  });
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
    max: maxCalls,
  },
  queryquota_calls: SIM ? quotaCalls : fake.quotaCalls,
  audits_counted_by_wechat: audits,
  mini_programs_with_other_than_one_audit: twice.length,
  targets_in_wrong_state: wrongState.length,
  targets_waiting_when_quota_spent: quotaSpentWaiting,
  restarted_halfway: restarted,
  ...(dashboard ? { dashboard } : {}),
  checks: failures.length === 0 ? "passed" : failures,
};
console.log(JSON.stringify(report, null, 2));
await h.dispose();
if (failures.length > 0) Deno.exit(1);

/**
 * Opens the dashboard in Chromium, logs in with the admin token, and compares what it shows with
 * the API's counts; saves a screenshot to `png`.
 */
async function checkDashboard(
  png: string,
  counts: Record<string, number>,
): Promise<Record<string, unknown>> {
  const { launchChromium } = await import("../tests/_browser.ts");
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`http://127.0.0.1:${PORT}/releases`);
    await page.fill("#token", SETTINGS.ADMIN_TOKEN);
    await page.click("#login button[type=submit]");
    await page.waitForSelector(`.release[data-id="${id}"]`);
    await page.waitForFunction(`document.querySelectorAll("#targets tr").length === ${N}`, null, {
      timeout: 60_000,
    });
    const expected = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
    /** "released 980 · rejected 20 · …" → { released: 980, rejected: 20 }. */
    const parse = (text: string) =>
      Object.fromEntries(
        text.split(" · ").map((part) => part.match(/^([a-z_]+) (\d+)$/)).filter((m) => m !== null)
          .map((m) => [m![1], Number(m![2])]),
      );
    const detail = parse((await page.textContent("#detail-counts")) ?? "");
    const listed = parse((await page.textContent(`.release[data-id="${id}"] small`)) ?? "");
    const states = await page.$$eval(
      "#targets tr",
      (trs) => trs.map((tr) => tr.querySelectorAll("td")[1]?.textContent ?? ""),
    );
    const fromRows: Record<string, number> = {};
    for (const s of states) fromRows[s] = (fromRows[s] ?? 0) + 1;
    const same = (a: Record<string, number>) =>
      JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(expected).sort());
    if (!same(detail)) throw new Error(`detail shows ${JSON.stringify(detail)}`);
    if (!same(listed)) throw new Error(`list shows ${JSON.stringify(listed)}`);
    if (!same(fromRows)) throw new Error(`table rows show ${JSON.stringify(fromRows)}`);
    await page.screenshot({ path: png });
    return { counts: detail, rows: states.length, screenshot: png };
  } finally {
    await browser.close();
  }
}

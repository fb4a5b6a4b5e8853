/**
 * Fleet releases in the worker under Miniflare: the routes (`/api/v1/releases…`), one
 * `ReleaseCoordinator` per release and one `ReleaseTarget` per mini program driven by alarms,
 * audit pushes routed from the message callback, polling when a push is missed, the audit
 * quota, and faults (5xx, WeChat's -1, timeouts, answers lost after the call took effect,
 * audit rejections, the worker restarted halfway). The mini programs are authorized through
 * the simulator's real flow; code management is `tests/_code_fake.ts` in front of it.
 */

import assert from "node:assert/strict";
import { eventually, expectError, ORIGIN, startWorker } from "./_worker_harness.ts";
import { CodeFake } from "./_code_fake.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const CALLBACK = `${ORIGIN}/wechat/authorizers/$APPID$/callback`;

interface Summary {
  id: string;
  total: number;
  settled: boolean;
  counts: Record<string, number>;
  submits: number;
  calls: number;
  targets?: {
    appid: string;
    state: string;
    reason?: string;
    audit_reason?: string;
    calls: number;
    submits: number;
  }[];
}

async function setup(n: number, settings: Record<string, string> = {}) {
  const appids: string[] = [];
  // deno-lint-ignore prefer-const
  let fake!: CodeFake;
  const h = await startWorker({
    settings: { RELEASE_POLL_SECONDS: "1", ...settings },
    upstream: (request) => fake.handle(request),
  });
  fake = new CodeFake(h.sim, () => appids);
  assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
  for (let i = 0; i < n; i++) {
    appids.push((await h.sim.authorizeAccount({ kind: "mini_program" })).appId);
  }
  await h.sim.settled();
  await eventually(async () => {
    const res = await h.admin("/api/v1/authorizers?limit=1000");
    const body = await res.json();
    return body.authorizers?.length === n;
  }, 60_000);
  return { h, fake, appids };
}

type Env = Awaited<ReturnType<typeof setup>>;

async function summary(env: Env, id: string): Promise<Summary> {
  const res = await env.h.admin(`/api/v1/releases/${id}`);
  assert.equal(res.status, 200);
  return await res.json();
}

/**
 * WeChat's side while the release runs: audits in flight are decided, and each verdict is pushed
 * to the mini program's message URL unless `missPush` says the push is lost.
 */
async function auditors(
  env: Env,
  id: string,
  missPush: (appid: string) => boolean,
  ms = 120_000,
  canDecide: (appid: string, s: Summary | undefined) => boolean = () => true,
) {
  const end = Date.now() + ms;
  let last: Summary | undefined;
  for (;;) {
    for (const { appid, status } of env.fake.decide((a) => canDecide(a, last))) {
      if (missPush(appid)) continue;
      const push = await env.h.sim.eventMessagePush(CALLBACK, {
        appId: appid,
        event: status === 0 ? "weapp_audit_success" : "weapp_audit_fail",
        fields: status === 0
          ? { SuccTime: Math.floor(Date.now() / 1000) }
          : { Reason: "the page content does not match the category", FailTime: 1 },
      });
      assert.equal(await (await env.h.send(push)).text(), "success");
    }
    const s = last = await summary(env, id);
    if (s.settled) return s;
    if (Date.now() > end) throw new Error(`not settled: ${JSON.stringify(s.counts)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const RELEASE = {
  template_id: 12,
  user_version: "3.1.0",
  user_desc: "autumn menu",
  ext_json: { extAppid: "{{authorizer_appid}}", ext: { shop: "{{authorizer_appid}}" } },
  audit: { item_list: [{ address: "pages/index/index", tag: "shop", first_class: "x" }] },
};

Deno.test("worker release: a small release goes live, pushes settle audits, every route answers", async () => {
  const env = await setup(4);
  try {
    const res = await env.h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({ ...RELEASE, targets: "all", concurrency: 2 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const created = await res.json();
    assert.match(created.id, /^r[0-9a-z]{19}$/);
    assert.equal(created.total, 4);
    const done = await auditors(env, created.id, () => false);
    assert.equal(done.counts.released, 4, JSON.stringify(done.counts));
    for (const appid of env.appids) {
      assert.equal(env.fake.program(appid).released, "3.1.0");
      assert.equal(env.fake.program(appid).dev, "3.1.0");
    }
    assert.equal(env.fake.maxSubmitsPerVersion(), 1);
    const list = await (await env.h.admin("/api/v1/releases")).json();
    assert.equal(list.releases.length, 1);
    assert.equal(list.releases[0].id, created.id);
    assert.equal(list.releases[0].counts.released, 4);
    await expectError(await env.h.admin("/api/v1/releases/rnope"), 404, "not_found");
    await expectError(
      await env.h.admin("/api/v1/releases", {
        method: "POST",
        body: JSON.stringify({ ...RELEASE, targets: ["x"] }),
      }),
      400,
      "invalid_request",
    );
    await expectError(await env.h.fetch("/api/v1/releases"), 401, "unauthorized");
  } finally {
    await env.h.dispose();
  }
});

Deno.test("worker release: a gray release is verified with getgrayreleaseplan, a lost answer not sent again", async () => {
  const env = await setup(3);
  const [lostAnswer, notSent, clean] = env.appids;
  env.fake.faults.set(`${lostAnswer} /wxa/grayrelease`, ["lost"]);
  env.fake.faults.set(`${notSent} /wxa/grayrelease`, ["5xx"]);
  try {
    const res = await env.h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({ ...RELEASE, targets: "all", release: 20 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const done = await auditors(env, (await res.json()).id, () => false);
    assert.equal(done.counts.gray_released, 3, JSON.stringify(done.counts));
    const paths = (a: string) => env.fake.program(a).paths;
    for (const appid of env.appids) {
      assert.deepEqual(env.fake.program(appid).gray, {
        status: 1,
        percentage: 20,
        version: "3.1.0",
      });
      assert.equal(env.fake.program(appid).released, undefined, "no full release");
      assert.ok((paths(appid).get("/wxa/getgrayreleaseplan") ?? 0) >= 1, appid);
    }
    assert.equal(paths(lostAnswer).get("/wxa/grayrelease"), 1, "verified, not sent again");
    assert.equal(paths(notSent).get("/wxa/grayrelease"), 2);
    assert.equal(paths(clean).get("/wxa/grayrelease"), 1);
    assert.equal(paths(clean).get("/wxa/getversioninfo"), undefined);
  } finally {
    await env.h.dispose();
  }
});

Deno.test("worker release: 60 mini programs through faults, quota exhaustion and a restart end in their right states", async () => {
  const N = 60;
  const env = await setup(N);
  const { fake, appids } = env;
  try {
    const pick = (from: number, count: number) => appids.slice(from, from + count);
    const rejected = new Set(pick(0, 5));
    const missed = new Set(pick(5, 10));
    for (const a of rejected) fake.verdicts.set(a, 1);
    for (const a of pick(15, 4)) fake.faults.set(`${a} /wxa/commit`, ["5xx", "errcode-1"]);
    for (const a of pick(19, 4)) fake.faults.set(`${a} /wxa/submit_audit`, ["lost"]);
    for (const a of pick(23, 2)) fake.faults.set(`${a} /wxa/submit_audit`, ["timeout_applied"]);
    for (const a of pick(25, 2)) fake.faults.set(`${a} /wxa/submit_audit`, ["5xx", "timeout"]);
    for (const a of pick(27, 2)) fake.faults.set(`${a} /wxa/release`, ["lost"]);
    for (const a of pick(29, 2)) fake.faults.set(`${a} /wxa/get_auditstatus`, ["5xx", "5xx"]);
    // One has an audit of this very version in flight (85009: adopted), one of another version.
    const adopted = appids[31];
    fake.program(adopted).dev = "3.1.0";
    fake.program(adopted).audit = { auditid: 42, version: "3.1.0", status: 2 };
    const foreign = appids[32];
    fake.program(foreign).dev = "3.0.0";
    fake.program(foreign).audit = { auditid: 43, version: "3.0.0", status: 4 };
    // The quota runs out after 30 submissions; it comes back later.
    fake.quota.rest = 30;

    const res = await env.h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({
        ...RELEASE,
        targets: appids,
        concurrency: 20,
        sync: { domains: { action: "set", requestdomain: ["https://shop.example"] } },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = await res.json();

    // Halfway: the quota is spent, some audits are decided; then the worker restarts.
    // WeChat decides the adopted audit only once the target has taken it up.
    const watch = auditors(
      env,
      id,
      (a) => missed.has(a) || a === adopted,
      240_000,
      (a, s) => a !== adopted || s?.targets?.find((t) => t.appid === a)?.state === "auditing",
    );
    await eventually(async () => (await summary(env, id)).counts.waiting_quota > 0, 60_000);
    await env.h.restart();
    await new Promise((r) => setTimeout(r, 3000));
    fake.quota.rest = 200;
    const done = await watch;

    const by = new Map(done.targets!.map((t) => [t.appid, t]));
    for (const appid of appids) {
      const t = by.get(appid)!;
      if (rejected.has(appid)) {
        assert.equal(t.state, "rejected", `${appid}: ${t.reason ?? ""}`);
        assert.equal(t.audit_reason, "the page content does not match the category");
      } else if (appid === foreign) {
        assert.equal(t.state, "failed");
        assert.match(t.reason!, /another version \(3\.0\.0\) is under audit/);
      } else {
        assert.equal(t.state, "released", `${appid}: ${t.state} ${t.reason ?? ""}`);
        assert.equal(fake.program(appid).released, "3.1.0");
      }
    }
    assert.equal(fake.maxSubmitsPerVersion(), 1, "no version submitted twice");
    assert.equal(fake.program(adopted).submits.size, 0, "the audit in flight was adopted");
    const calls = appids.map((a) => fake.program(a).calls);
    const max = Math.max(...calls);
    const mean = calls.reduce((s, n) => s + n, 0) / calls.length;
    console.log(
      `release of ${N}: upstream calls per target mean ${mean.toFixed(1)}, max ${max}; ` +
        `queryquota ${fake.quotaCalls}`,
    );
    assert.ok(max <= 16, `at most 16 calls per target (max ${max})`);
    assert.ok(
      fake.quotaCalls < N,
      `queryquota asked per tick, not per target (${fake.quotaCalls})`,
    );
  } finally {
    await env.h.dispose();
  }
});

/** A worker whose mini programs' code management is the simulator's own audit lifecycle. */
async function setupSim(
  n: number,
  options: { auditQuota: number; auditDelayMs: number; lost?: Set<string> },
) {
  const appids: string[] = [];
  const calls = new Map<string, number>();
  const tokens = new Map<string, string>();
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
    settings: { RELEASE_POLL_SECONDS: "1" },
    simulator: { auditQuota: options.auditQuota, auditDelayMs: options.auditDelayMs },
    messagePushes: (request) => {
      const appid = new URL(request.url).pathname.split("/")[3];
      return !options.lost?.has(appid);
    },
    upstream: (request) => {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/wxa/") || url.pathname.endsWith("setprivacysetting")) {
        const appid = appidOf(url.searchParams.get("access_token") ?? "");
        if (appid) calls.set(appid, (calls.get(appid) ?? 0) + 1);
      }
      return undefined;
    },
  });
  assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
  for (let i = 0; i < n; i++) {
    appids.push((await h.sim.authorizeAccount({ kind: "mini_program" })).appId);
  }
  await h.sim.settled();
  await eventually(async () => {
    const body = await (await h.admin("/api/v1/authorizers?limit=1000")).json();
    return body.authorizers?.length === n;
  }, 60_000);
  /** A call to the simulator with the mini program's own token (WeChat's state, first hand). */
  const wechat = async (appid: string, path: string, body?: unknown) => {
    const token = h.sim.currentAccessToken(appid)!;
    const res = await h.sim.fetch(`https://api.weixin.qq.com${path}?access_token=${token}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return await res.json();
  };
  return { h, appids, calls, wechat };
}

async function settle(h: Awaited<ReturnType<typeof startWorker>>, id: string, ms = 180_000) {
  return await eventually(async () => {
    const s: Summary = await (await h.admin(`/api/v1/releases/${id}`)).json();
    return s.settled ? s : null;
  }, ms);
}

Deno.test("worker release against the simulator's audit lifecycle: 50 mini programs, faults, lost pushes, a restart", async () => {
  const N = 50;
  const lost = new Set<string>();
  const env = await setupSim(N, { auditQuota: 1000, auditDelayMs: 1500, lost });
  const { h, appids, wechat } = env;
  try {
    const rejected = appids.slice(0, 4);
    const delayed = appids.slice(4, 7);
    for (const a of appids.slice(7, 15)) lost.add(a);
    for (const a of rejected) {
      h.sim.setAuditOutcome(a, { status: "fail", reason: "页面内容与类目不符 (test)" });
    }
    for (const a of delayed) h.sim.setAuditOutcome(a, "delay");
    // This very version already in audit (85009: adopted); another version in audit (refused).
    const adopted = appids[20];
    const foreign = appids[21];
    const commit = (a: string, v: string) =>
      wechat(a, "/wxa/commit", {
        template_id: 12,
        ext_json: "{}",
        user_version: v,
        user_desc: "x",
      });
    await commit(adopted, "3.1.0");
    assert.equal((await wechat(adopted, "/wxa/submit_audit", {})).errcode, 0);
    await commit(foreign, "3.0.0");
    assert.equal((await wechat(foreign, "/wxa/submit_audit", {})).errcode, 0);
    // The other version's audit stays in flight (delayed again and again) until the target saw it.
    const keepDelaying = setInterval(() => h.sim.setAuditOutcome(foreign, "delay"), 200);
    h.sim.setAuditOutcome(adopted, "delay"); // decided after the release takes it up
    // The platform's server domains, which a mini program's modify_domain may take.
    const platformDomains = await h.sim.fetch(
      `https://api.weixin.qq.com/cgi-bin/component/modify_wxa_server_domain?access_token=${h.sim.currentAccessToken()}`,
      {
        method: "POST",
        body: JSON.stringify({
          action: "set",
          wxa_server_domain: "shop.example",
          is_modify_published_together: true,
        }),
      },
    );
    assert.equal((await platformDomains.json()).errcode, 0);
    // Faults on the way to WeChat.
    h.sim.inject({ path: "modify_domain", status: 503, times: 2 });
    h.sim.inject({ path: "modify_domain", drop: "after", times: 2 });
    h.sim.inject({ path: "commit", status: 502, times: 3 });
    h.sim.inject({ path: "commit", errcode: -1, times: 2 });
    h.sim.inject({ path: "submit_audit", drop: "after", times: 3 });
    h.sim.inject({ path: "submit_audit", errcode: 85085, times: 4 });
    h.sim.inject({ path: "get_auditstatus", delayMs: 300, times: 5 });
    h.sim.inject({ path: "release", drop: "after", times: 2 });

    const res = await h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({
        ...RELEASE,
        targets: "all",
        concurrency: 15,
        sync: { domains: { action: "set", requestdomain: ["https://shop.example"] } },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = await res.json();
    await eventually(async () => {
      return (await summary({ h } as Env, id)).counts.released >= 10;
    }, 60_000);
    await h.restart();
    await eventually(async () => {
      const t = (await summary({ h } as Env, id)).targets!.find((t) => t.appid === foreign)!;
      return t.state === "failed";
    }, 120_000).finally(() => clearInterval(keepDelaying));
    const done = (await settle(h, id))!;

    const by = new Map(done.targets!.map((t) => [t.appid, t]));
    for (const appid of appids) {
      const t = by.get(appid)!;
      if (rejected.includes(appid)) {
        assert.equal(t.state, "rejected", `${appid}: ${t.reason ?? ""}`);
        assert.equal(t.audit_reason, "页面内容与类目不符 (test)");
      } else if (appid === foreign) {
        assert.equal(t.state, "failed", `${appid}: ${t.state}`);
        assert.match(t.reason!, /another version \(3\.0\.0\)/);
      } else {
        assert.equal(t.state, "released", `${appid}: ${t.state} ${t.reason ?? ""}`);
        const info = await wechat(appid, "/wxa/getversioninfo", {});
        assert.equal(info.release_info.release_version, "3.1.0");
        const domains = await wechat(appid, "/wxa/modify_domain", { action: "get" });
        assert.deepEqual(domains.requestdomain, ["https://shop.example"]);
      }
    }
    // WeChat counted one audit per target that submitted, plus the two made before the release.
    const quota = await wechat(appids[0], "/wxa/queryquota");
    assert.equal(quota.limit - quota.rest, N - 2 + 2, "no version submitted twice");
    const perTarget = appids.map((a) => env.calls.get(a) ?? 0);
    const max = Math.max(...perTarget);
    console.log(
      `simulator release of ${N}: upstream calls per target mean ${
        (perTarget.reduce((s, x) => s + x, 0) / N).toFixed(1)
      }, max ${max}`,
    );
    assert.ok(max <= 20, `calls per target bounded (max ${max})`);
  } finally {
    await h.dispose();
  }
});

Deno.test("worker release against the simulator: targets wait for quota, then cancel stops them", async () => {
  const env = await setupSim(6, { auditQuota: 3, auditDelayMs: 500 });
  const { h, appids } = env;
  try {
    const res = await h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({ ...RELEASE, targets: appids, release: "manual" }),
    });
    const { id } = await res.json();
    const waiting = await eventually(async () => {
      const s = await summary({ h } as Env, id);
      return s.counts.audited === 3 && s.counts.waiting_quota === 3 ? s : null;
    }, 60_000) as Summary;
    assert.equal(waiting.settled, false);
    assert.equal(waiting.counts.failed, 0, "no target fails for want of quota");
    // An operator releases one audited target by hand; the others stay audited.
    const audited = waiting.targets!.find((t) => t.state === "audited")!;
    const released = await h.admin(`/api/v1/releases/${id}/targets/${audited.appid}/release`, {
      method: "POST",
    });
    assert.equal(released.status, 200);
    await expectError(
      await h.admin(`/api/v1/releases/${id}/targets/${audited.appid}/release`, { method: "POST" }),
      409,
      "not_audited",
    );
    await eventually(async () => (await summary({ h } as Env, id)).counts.released === 1, 30_000);
    const cancelled = await (await h.admin(`/api/v1/releases/${id}/cancel`, { method: "POST" }))
      .json();
    assert.equal(cancelled.counts.cancelled, 5);
    assert.equal(cancelled.counts.released, 1);
    const after = await summary({ h } as Env, id);
    assert.equal(after.settled, true);
    // A cancelled target is sent on again by retry: it waits for quota again.
    const retried = await h.admin(
      `/api/v1/releases/${id}/targets/${
        after.targets!.find((t) => t.state === "cancelled")!.appid
      }/retry`,
      { method: "POST" },
    );
    assert.equal(retried.status, 200, await retried.clone().text());
    assert.match((await retried.json()).state, /waiting_quota|audited/);
  } finally {
    await h.dispose();
  }
});

Deno.test("worker release against the simulator: cancel withdraws the audits at WeChat; a retry submits again", async () => {
  const env = await setupSim(3, { auditQuota: 100, auditDelayMs: 600_000 });
  const { h, appids, wechat } = env;
  try {
    const res = await h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({ ...RELEASE, targets: appids }),
    });
    const { id } = await res.json();
    await eventually(async () => (await summary({ h } as Env, id)).counts.auditing === 3, 60_000);
    h.sim.inject({ path: "undocodeaudit", status: 502, times: 1 });
    const cancelled = await h.admin(`/api/v1/releases/${id}/cancel`, { method: "POST" });
    assert.equal((await cancelled.json()).counts.cancelled, 3);
    // Every target reads cancelled, but a withdrawal is still owed (one answered 502): the list
    // does not call the release settled before its own page does.
    const listed = async () =>
      ((await (await h.admin("/api/v1/releases")).json()).releases as Summary[])
        .find((r) => r.id === id)!;
    assert.equal((await listed()).settled, false);
    const done = await eventually(async () => {
      const s = await summary({ h } as Env, id);
      return s.settled ? s : null;
    }, 60_000) as Summary;
    await eventually(async () => (await listed()).settled, 10_000);
    for (const t of done.targets!) {
      assert.equal(t.state, "cancelled");
      assert.match(t.reason!, /^cancelled; audit \d+ withdrawn$/, t.appid);
      const latest = await wechat(t.appid, "/wxa/get_latest_auditstatus");
      assert.equal(latest.status, 3, `${t.appid}: WeChat's audit is withdrawn`);
    }
    // A retry of a withdrawn target waits for quota and submits a new audit.
    const retried = await h.admin(`/api/v1/releases/${id}/targets/${appids[0]}/retry`, {
      method: "POST",
    });
    assert.equal(retried.status, 200, await retried.clone().text());
    assert.equal((await retried.json()).state, "waiting_quota");
    await eventually(async () => {
      const t = (await summary({ h } as Env, id)).targets!.find((t) => t.appid === appids[0])!;
      return t.state === "auditing";
    }, 60_000);
    const latest = await wechat(appids[0], "/wxa/get_latest_auditstatus");
    assert.equal(latest.status, 2);
    const quota = await wechat(appids[0], "/wxa/queryquota");
    assert.equal(quota.limit - quota.rest, 4, "three audits, then one new one");
  } finally {
    await h.dispose();
  }
});

Deno.test("worker release against the simulator: a cancel while the submit is out withdraws the audit it made", async () => {
  const env = await setupSim(1, { auditQuota: 100, auditDelayMs: 600_000 });
  const { h, appids } = env;
  try {
    h.sim.inject({ path: "submit_audit", delayMs: 3000 });
    const res = await h.admin("/api/v1/releases", {
      method: "POST",
      body: JSON.stringify({ ...RELEASE, targets: appids }),
    });
    const { id } = await res.json();
    await eventually(async () => (await summary({ h } as Env, id)).counts.submitting === 1, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // the submit is out now
    const cancelled = await (await h.admin(`/api/v1/releases/${id}/cancel`, { method: "POST" }))
      .json();
    assert.equal(cancelled.counts.cancelled, 1);
    const t = await eventually(async () => {
      const t = (await summary({ h } as Env, id)).targets![0];
      return /withdrawn/.test(t.reason ?? "") ? t : null;
    }, 30_000);
    assert.equal(t!.state, "cancelled");
    const audits = h.sim.audits(appids[0]);
    assert.equal(audits.length, 1);
    assert.equal(audits[0].status, 3, "the audit the late submit made is withdrawn");
  } finally {
    await h.dispose();
  }
});

Deno.test("worker release: a malformed RELEASE_POLL_SECONDS is a 500 naming it, nothing stored", async () => {
  const h = await startWorker({ settings: { RELEASE_POLL_SECONDS: "0" } });
  try {
    const message = await expectError(
      await h.admin("/api/v1/releases", {
        method: "POST",
        body: JSON.stringify({ ...RELEASE, targets: ["wx0123456789abcdef"] }),
      }),
      500,
      "invalid_setting",
    );
    assert.match(message, /RELEASE_POLL_SECONDS/);
    const list = await (await h.admin("/api/v1/releases")).json();
    assert.deepEqual(list.releases, []);
  } finally {
    await h.dispose();
  }
});

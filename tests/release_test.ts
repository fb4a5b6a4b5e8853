/**
 * Fleet releases in the core: the plan's checks, one target's machine through every path
 * (audit approved, rejected, delayed, quota spent, 85009 adopted, unknown submits checked
 * before any second submit, faults backed off, manual and gray releases) and the runner over a
 * store, against a small fake of WeChat's code management.
 */

import assert from "node:assert/strict";
import { HttpStatusError, MemoryStore, TimeoutError, WeChatError } from "../mod.ts";
import {
  planRelease,
  type ReleaseApi,
  ReleaseRunner,
  type ReleaseSummary,
  type WeChatJson,
} from "../src/release/mod.ts";

const A = (n: number) => `wx${n.toString(16).padStart(16, "0")}`;

type Fault = "timeout_lost" | "timeout_applied" | "5xx" | "-1";

interface FakeProgram {
  dev?: string;
  audit?: { auditid: number; version: string; status: number; reason?: string };
  released?: string;
  gray?: { status: number; percentage: number };
  /** Withdrawals made (WeChat allows a few a day). */
  undos?: number;
  submits: number;
  calls: number;
}

/** A fake of WeChat's code management: per-program versions, one shared audit quota. */
class FakeWeChat implements ReleaseApi {
  programs = new Map<string, FakeProgram>();
  quota = { rest: 100, limit: 100 };
  quotaCalls = 0;
  nextAuditId = 1000;
  /** Faults to inject: `${appid}:${call}` → faults, consumed in order. */
  faults = new Map<string, Fault[]>();
  /** The verdict an audit gets when `decide` is called: 0 approve, 1 reject. */
  verdict = new Map<string, number>();
  log: string[] = [];

  program(appid: string): FakeProgram {
    let p = this.programs.get(appid);
    if (!p) this.programs.set(appid, p = { submits: 0, calls: 0 });
    return p;
  }

  /** Runs `apply` behind the faults queued for `appid:name`. */
  #do(appid: string, name: string, apply: () => WeChatJson): Promise<WeChatJson> {
    const p = this.program(appid);
    p.calls++;
    this.log.push(`${appid}:${name}`);
    const queue = this.faults.get(`${appid}:${name}`);
    const fault = queue?.shift();
    if (fault === "timeout_lost") return Promise.reject(new TimeoutError(`/wxa/${name}`, 10));
    if (fault === "5xx") return Promise.reject(new HttpStatusError(`/wxa/${name}`, 502, ""));
    if (fault === "-1") return Promise.reject(new WeChatError(`/wxa/${name}`, -1, "system error"));
    const out = apply();
    if (fault === "timeout_applied") return Promise.reject(new TimeoutError(`/wxa/${name}`, 10));
    return Promise.resolve({ errcode: 0, errmsg: "ok", ...out });
  }

  #fail(name: string, errcode: number, errmsg: string): never {
    throw new WeChatError(`/wxa/${name}`, errcode, errmsg);
  }

  commit(appid: string, input: { user_version: string; ext_json: string }) {
    return this.#do(appid, "commit", () => {
      JSON.parse(input.ext_json);
      this.program(appid).dev = input.user_version;
      return {};
    });
  }
  submitAudit(appid: string) {
    return this.#do(appid, "submit_audit", () => {
      const p = this.program(appid);
      if (p.audit && (p.audit.status === 2 || p.audit.status === 4)) {
        this.#fail("submit_audit", 85009, "already submit a version under auditing");
      }
      if (this.quota.rest <= 0) this.#fail("submit_audit", 85085, "submit audit reach limit");
      this.quota.rest--;
      p.submits++;
      p.audit = { auditid: this.nextAuditId++, version: p.dev!, status: 2 };
      return { auditid: p.audit.auditid };
    });
  }
  getAuditStatus(appid: string, input: { auditid: number }) {
    return this.#do(appid, "get_auditstatus", () => {
      const a = this.program(appid).audit;
      if (!a || a.auditid !== input.auditid) {
        this.#fail("get_auditstatus", 85012, "invalid audit id");
      }
      return { status: a.status, ...(a.reason ? { reason: a.reason } : {}) };
    });
  }
  getLatestAuditStatus(appid: string) {
    return this.#do(appid, "get_latest_auditstatus", () => {
      const a = this.program(appid).audit;
      if (!a) this.#fail("get_latest_auditstatus", 85058, "no audit");
      return { auditid: a.auditid, status: a.status, user_version: a.version };
    });
  }
  queryQuota(_appid: string) {
    this.quotaCalls++;
    return Promise.resolve({
      errcode: 0,
      errmsg: "ok",
      rest: this.quota.rest,
      limit: this.quota.limit,
    });
  }
  release(appid: string) {
    return this.#do(appid, "release", () => {
      const p = this.program(appid);
      if (!p.audit || p.audit.status !== 0) this.#fail("release", 85020, "status not allowed");
      p.released = p.audit.version;
      return {};
    });
  }
  grayRelease(appid: string, input: { gray_percentage: number }) {
    return this.#do(appid, "grayrelease", () => {
      const p = this.program(appid);
      if (!p.audit || p.audit.status !== 0) this.#fail("grayrelease", 85020, "status not allowed");
      p.gray = { status: 1, percentage: input.gray_percentage };
      return {};
    });
  }
  getGrayReleasePlan(appid: string) {
    return this.#do(appid, "getgrayreleaseplan", () => {
      const g = this.program(appid).gray;
      return {
        gray_release_plan: { status: g?.status ?? 0, gray_percentage: g?.percentage ?? 0 },
      };
    });
  }
  undoCodeAudit(appid: string) {
    return this.#do(appid, "undocodeaudit", () => {
      const p = this.program(appid);
      if (!p.audit || (p.audit.status !== 2 && p.audit.status !== 4)) {
        this.#fail("undocodeaudit", 87012, "audit already decided");
      }
      if ((p.undos ?? 0) >= 5) this.#fail("undocodeaudit", 87013, "withdrawals spent");
      p.undos = (p.undos ?? 0) + 1;
      p.audit.status = 3;
      return {};
    });
  }
  getVersionInfo(appid: string) {
    return this.#do(appid, "getversioninfo", () => {
      const p = this.program(appid);
      return p.released ? { release_info: { release_version: p.released } } : {};
    });
  }
  modifyDomain(appid: string) {
    return this.#do(appid, "modify_domain", () => ({}));
  }
  setWebviewDomain(appid: string) {
    return this.#do(appid, "setwebviewdomain", () => ({}));
  }
  setPrivacySetting(appid: string) {
    return this.#do(appid, "setprivacysetting", () => ({}));
  }

  /** WeChat's auditors decide every audit in flight (by `verdict`, default approve). */
  decide(): string[] {
    const decided: string[] = [];
    for (const [appid, p] of this.programs) {
      if (p.audit?.status === 2) {
        p.audit.status = this.verdict.get(appid) ?? 0;
        if (p.audit.status === 1) p.audit.reason = "account information does not match";
        decided.push(appid);
      }
    }
    return decided;
  }
}

function setup(machine = {}) {
  let clock = Date.parse("2026-12-03T09:00:00Z");
  const now = () => clock;
  const fake = new FakeWeChat();
  const store = new MemoryStore({ now });
  const runner = new ReleaseRunner({
    store,
    api: fake,
    now,
    machine: { pollSeconds: 5, backoffBaseMs: 1000, backoffMaxMs: 8000, ...machine },
  });
  const advance = (ms: number) => (clock += ms);
  return { fake, store, runner, advance, now };
}

/** Ticks `id` (moving the clock to each next due time) until it settles; WeChat decides audits. */
async function drive(
  env: ReturnType<typeof setup>,
  id: string,
  options: { decideEvery?: number; maxTicks?: number } = {},
): Promise<ReleaseSummary> {
  for (let i = 0; i < (options.maxTicks ?? 500); i++) {
    const tick = await env.runner.tick(id);
    if (tick.settled) break;
    if (i % (options.decideEvery ?? 3) === 2) env.fake.decide();
    env.advance(tick.next_at === null ? 5000 : Math.max(1, tick.next_at - env.now()));
  }
  return (await env.runner.get(id))!;
}

const base = { template_id: 7, user_version: "1.2.0", user_desc: "spring" };

Deno.test("plan: ext_json placeholders filled per target, as JSON-escaped text", () => {
  const plan = planRelease({
    ...base,
    ext_json: '{"extAppid":"{{authorizer_appid}}","ext":{"v":"{{ user_version }}"}}',
    targets: [A(1), A(2), A(1)],
  }, { id: "r1", now: 0 });
  assert.deepEqual(plan.targets, [A(1), A(2)]);
  assert.deepEqual(JSON.parse(plan.ext_json[A(2)]), { extAppid: A(2), ext: { v: "1.2.0" } });
});

Deno.test("plan: a map per target, with a default", () => {
  const plan = planRelease({
    ...base,
    ext_json: {
      by_target: { [A(1)]: { shop: 1 } },
      default: { shop: 0, id: "{{authorizer_appid}}" },
    },
    targets: [A(1), A(2)],
  }, { id: "r1", now: 0 });
  assert.deepEqual(JSON.parse(plan.ext_json[A(1)]), { shop: 1 });
  assert.deepEqual(JSON.parse(plan.ext_json[A(2)]), { shop: 0, id: A(2) });
  assert.throws(
    () =>
      planRelease({ ...base, ext_json: { by_target: {} }, targets: [A(1)] }, { id: "r", now: 0 }),
    /no template for/,
  );
});

Deno.test("plan: bad requests are refused naming the field", () => {
  const plan = (over: Record<string, unknown>) => () =>
    planRelease({ ...base, targets: [A(1)], ...over } as never, { id: "r", now: 0 });
  assert.throws(plan({ template_id: -1 }), /template_id/);
  assert.throws(plan({ user_version: "" }), /user_version/);
  assert.throws(plan({ targets: ["nope"] }), /targets/);
  assert.throws(plan({ targets: "all" }), /no mini program/);
  assert.throws(plan({ release: 0 }), /gray percentage/);
  assert.throws(plan({ release: "later" }), /release/);
  assert.throws(plan({ concurrency: 0 }), /concurrency/);
  assert.throws(plan({ ext_json: "{" }), /ext_json: not JSON/);
  assert.throws(plan({ ext_json: '{"a":"{{secret}}"}' }), /unknown placeholder/);
  assert.throws(plan({ sync: { menus: {} } }), /unknown setting menus/);
  assert.deepEqual(
    planRelease({ ...base, targets: "all" }, { id: "r", now: 0, authorizers: [A(3)] }).targets,
    [A(3)],
  );
});

Deno.test("runner: a clean release ends released, one submit and a bounded number of calls each", async () => {
  const env = setup();
  const targets = Array.from({ length: 30 }, (_, i) => A(i + 1));
  const { id } = await env.runner.create({
    ...base,
    targets,
    concurrency: 7,
    sync: { domains: { action: "set" }, privacy: { privacy_ver: 2 } },
  });
  const summary = await drive(env, id);
  assert.equal(summary.counts.released, 30);
  assert.equal(summary.settled, true);
  for (const appid of targets) {
    const p = env.fake.program(appid);
    assert.equal(p.submits, 1);
    assert.equal(p.released, "1.2.0");
    assert.ok(p.calls <= 10, `${appid}: ${p.calls} calls`);
  }
  // Sync before commit, commit before submit, and the latest audit asked before any submit.
  const first = env.fake.log.filter((l) => l.startsWith(A(1)));
  assert.deepEqual(first.slice(0, 5).map((l) => l.split(":")[1]), [
    "modify_domain",
    "setprivacysetting",
    "commit",
    "get_latest_auditstatus",
    "submit_audit",
  ]);
});

Deno.test("runner: a sync step whose answer was lost is done when WeChat says nothing changed", async () => {
  const env = setup();
  const real = env.fake.modifyDomain.bind(env.fake);
  let n = 0;
  env.fake.modifyDomain = (appid: string) => {
    n++;
    if (n === 1) {
      return real(appid).then(() => Promise.reject(new TimeoutError("/wxa/modify_domain", 10)));
    }
    if (appid === A(1)) {
      return Promise.reject(new WeChatError("/wxa/modify_domain", 85017, "no change"));
    }
    return real(appid);
  };
  const { id } = await env.runner.create({
    ...base,
    targets: [A(1)],
    sync: { domains: { action: "set" } },
  });
  assert.equal((await drive(env, id)).counts.released, 1);
  // A first call answered 85017 is WeChat's refusal (domains not on the platform's list).
  const second = await env.runner.create({
    ...base,
    user_version: "1.3.0",
    targets: [A(1)],
    sync: { domains: { action: "set" } },
  });
  const s = await drive(env, second.id);
  assert.equal(s.targets![0].state, "failed");
  assert.match(s.targets![0].reason!, /domains: errcode 85017/);
});

Deno.test("runner: concurrency bounds the targets at work at once", async () => {
  const env = setup();
  const { id } = await env.runner.create({
    ...base,
    targets: [A(1), A(2), A(3), A(4), A(5)],
    concurrency: 2,
  });
  await env.runner.tick(id);
  const summary = (await env.runner.get(id))!;
  assert.equal(summary.counts.pending, 3);
  assert.equal(summary.counts.waiting_quota, 2);
});

Deno.test("runner: quota spent → targets wait, quota asked once per tick, then submit", async () => {
  const env = setup();
  env.fake.quota.rest = 2;
  const targets = Array.from({ length: 6 }, (_, i) => A(i + 1));
  const { id } = await env.runner.create({ ...base, targets, concurrency: 6 });
  await env.runner.tick(id); // commit
  await env.runner.tick(id); // no audit of this version known: they wait for quota
  assert.equal((await env.runner.get(id))!.counts.waiting_quota, 6);
  const before = env.fake.quotaCalls;
  await env.runner.tick(id); // quota asked, 2 granted and submitted
  assert.equal(env.fake.quotaCalls - before, 1);
  let s = (await env.runner.get(id))!;
  assert.equal(s.counts.auditing, 2);
  assert.equal(s.counts.waiting_quota, 4);
  await env.runner.tick(id);
  s = (await env.runner.get(id))!;
  assert.equal(s.counts.waiting_quota, 4, "no quota, nobody submits");
  assert.equal(s.counts.failed, 0);
  env.fake.quota.rest = 10; // the month turns
  s = await drive(env, id);
  assert.equal(s.counts.released, 6);
  assert.equal(s.submits, 6);
});

Deno.test("runner: a quota that the fake refuses with 85085 sends the target back to wait", async () => {
  const env = setup();
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  await env.runner.tick(id);
  // queryquota claims room, but WeChat refuses the submit (another platform process used it).
  const realSubmit = env.fake.submitAudit.bind(env.fake);
  let refused = 0;
  env.fake.submitAudit = (appid: string) => {
    if (refused++ === 0) {
      return Promise.reject(new WeChatError("/wxa/submit_audit", 85085, "limit"));
    }
    return realSubmit(appid);
  };
  await env.runner.tick(id);
  assert.equal((await env.runner.get(id))!.targets![0].state, "waiting_quota");
  const s = await drive(env, id);
  assert.equal(s.counts.released, 1);
});

Deno.test("runner: a submit that timed out after WeChat took it is adopted, never sent twice", async () => {
  const env = setup();
  env.fake.faults.set(`${A(1)}:submit_audit`, ["timeout_applied"]);
  env.fake.faults.set(`${A(2)}:submit_audit`, ["timeout_lost", "5xx"]);
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)] });
  const s = await drive(env, id);
  assert.equal(s.counts.released, 2);
  assert.equal(env.fake.program(A(1)).submits, 1);
  assert.equal(env.fake.program(A(2)).submits, 1);
  // A(1): the one submit took effect, so the runner asked before sending another and adopted it.
  const a1 = env.fake.log.filter((l) => l.startsWith(A(1))).map((l) => l.split(":")[1]);
  assert.equal(a1.filter((c) => c === "submit_audit").length, 1);
  assert.ok(a1.lastIndexOf("get_latest_auditstatus") > a1.indexOf("submit_audit"));
});

Deno.test("runner: an audit of this version already in flight is adopted, not submitted again", async () => {
  const env = setup();
  const p = env.fake.program(A(1));
  p.dev = "1.2.0";
  p.audit = { auditid: 77, version: "1.2.0", status: 2 };
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  const s = await drive(env, id);
  assert.equal(s.counts.released, 1);
  assert.equal(s.targets![0].auditid, 77);
  assert.equal(p.submits, 0);
});

Deno.test("runner: 85009 (an audit of this version started after the check) is adopted", async () => {
  const env = setup();
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  await env.runner.tick(id); // commit
  await env.runner.tick(id); // no audit yet: waits for quota
  // Another process of the platform submits this version meanwhile.
  env.fake.program(A(1)).audit = { auditid: 88, version: "1.2.0", status: 2 };
  const s = await drive(env, id);
  assert.equal(s.counts.released, 1);
  assert.equal(s.targets![0].auditid, 88);
  assert.equal(env.fake.program(A(1)).submits, 0);
  assert.ok(env.fake.log.includes(`${A(1)}:submit_audit`), "the submit was refused with 85009");
});

Deno.test("runner: 85009 for another version's audit fails the target with the reason", async () => {
  const env = setup();
  env.fake.program(A(1)).audit = { auditid: 77, version: "1.1.0", status: 2 };
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  const s = await drive(env, id, { decideEvery: 10_000 });
  assert.equal(s.targets![0].state, "failed");
  assert.match(s.targets![0].reason!, /another version \(1\.1\.0\)/);
});

Deno.test("runner: rejected audits end rejected with WeChat's reason; retry resubmits", async () => {
  const env = setup();
  env.fake.verdict.set(A(2), 1);
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)] });
  let s = await drive(env, id);
  assert.equal(s.counts.released, 1);
  assert.equal(s.counts.rejected, 1);
  const rejected = s.targets!.find((t) => t.appid === A(2))!;
  assert.equal(rejected.audit_reason, "account information does not match");
  env.fake.verdict.set(A(2), 0);
  await env.runner.retry(id, A(2));
  s = await drive(env, id);
  assert.equal(s.counts.released, 2);
  assert.equal(env.fake.program(A(2)).submits, 2, "a retried rejection is a new submission");
});

Deno.test("runner: pushes settle audits without polling", async () => {
  const env = setup({ pollSeconds: 3600 });
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  await env.runner.tick(id); // commit
  await env.runner.tick(id); // latest audit
  await env.runner.tick(id); // submit
  env.fake.decide();
  const polls = () => env.fake.log.filter((l) => l.endsWith("get_auditstatus")).length;
  assert.ok(await env.runner.auditEvent(A(1), { event: "weapp_audit_success" }));
  assert.equal(await env.runner.auditEvent(A(9), { event: "weapp_audit_success" }), null);
  await env.runner.tick(id); // release
  await env.runner.tick(id); // verify
  const s = (await env.runner.get(id))!;
  assert.equal(s.counts.released, 1);
  assert.equal(polls(), 0);
});

Deno.test("runner: faults are backed off and bounded; a refusal fails with WeChat's reason", async () => {
  const env = setup({ maxAttempts: 3 });
  env.fake.faults.set(`${A(1)}:commit`, ["5xx", "-1"]);
  env.fake.faults.set(`${A(2)}:commit`, ["5xx", "5xx", "5xx", "5xx"]);
  const realCommit = env.fake.commit.bind(env.fake);
  env.fake.commit = (appid, input) =>
    appid === A(3)
      ? Promise.reject(new WeChatError("/wxa/commit", 85013, "invalid ext_json"))
      : realCommit(appid, input);
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2), A(3)] });
  const s = await drive(env, id);
  const by = Object.fromEntries(s.targets!.map((t) => [t.appid, t]));
  assert.equal(by[A(1)].state, "released");
  assert.equal(by[A(2)].state, "failed");
  assert.match(by[A(2)].reason!, /gave up after 3 attempts/);
  assert.equal(by[A(3)].state, "failed");
  assert.match(by[A(3)].reason!, /85013/);
});

Deno.test("runner: manual releases stop at audited until the operator releases", async () => {
  const env = setup();
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)], release: "manual" });
  let s = await drive(env, id);
  assert.equal(s.counts.audited, 2);
  assert.equal(s.settled, true);
  assert.equal(env.fake.program(A(1)).released, undefined);
  await env.runner.release(id, A(1));
  s = await drive(env, id);
  assert.equal(s.counts.released, 1);
  assert.equal(s.counts.audited, 1);
  await assert.rejects(env.runner.release(id, A(1)), /not audited/);
});

Deno.test("runner: a release whose answer was lost is verified before it is repeated", async () => {
  const env = setup();
  env.fake.faults.set(`${A(1)}:release`, ["timeout_applied"]);
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  const s = await drive(env, id);
  assert.equal(s.counts.released, 1);
  const calls = env.fake.log.map((l) => l.split(":")[1]);
  assert.equal(calls.filter((c) => c === "release").length, 1);
  assert.ok(calls.lastIndexOf("getversioninfo") > calls.indexOf("release"));
});

Deno.test("runner: a gray release is verified with getgrayreleaseplan, not sent twice when its answer was lost", async () => {
  const env = setup();
  env.fake.faults.set(`${A(1)}:grayrelease`, ["timeout_applied"]);
  env.fake.faults.set(`${A(2)}:grayrelease`, ["timeout_lost"]);
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)], release: 10 });
  const s = await drive(env, id);
  assert.equal(s.counts.gray_released, 2);
  for (const t of s.targets!) assert.ok(t.released_at, `${t.appid} has released_at`);
  const calls = (a: string) =>
    env.fake.log.filter((l) => l.startsWith(a)).map((l) => l.split(":")[1]);
  // A(1): WeChat took the gray release; the check found the plan running, no second call.
  assert.equal(calls(A(1)).filter((c) => c === "grayrelease").length, 1);
  assert.equal(calls(A(1)).at(-1), "getgrayreleaseplan");
  // A(2): the call never reached WeChat; the check found no plan, so it was sent again.
  assert.equal(calls(A(2)).filter((c) => c === "grayrelease").length, 2);
  assert.deepEqual(env.fake.program(A(2)).gray, { status: 1, percentage: 10 });
  assert.equal(env.fake.program(A(1)).released, undefined, "a gray release is not a full one");
});

Deno.test("runner: a gray plan that does not run at the planned share is released again, then fails", async () => {
  const env = setup({ maxAttempts: 3 });
  // WeChat answers ok but the plan stays below the share (A(1)) or is deleted at once (A(2)).
  const real = env.fake.grayRelease.bind(env.fake);
  env.fake.grayRelease = async (appid, input) => {
    const out = await real(appid, input);
    const p = env.fake.program(appid);
    p.gray = appid === A(1) ? { status: 1, percentage: 5 } : { status: 4, percentage: 10 };
    return out;
  };
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)], release: 10 });
  const s = await drive(env, id);
  for (const t of s.targets!) {
    assert.equal(t.state, "failed", t.appid);
    assert.match(t.reason!, /gray release of 10% not running/);
    assert.equal(t.stopped_in, "releasing");
    const grays = env.fake.log.filter((l) => l === `${t.appid}:grayrelease`).length;
    assert.equal(grays, 3, "gray-released again up to maxAttempts");
  }
  // Once WeChat runs the plan, a retry verifies it.
  env.fake.grayRelease = real;
  await env.runner.retry(id, A(1));
  const again = await drive(env, id);
  assert.equal(again.targets!.find((t) => t.appid === A(1))!.state, "gray_released");
});

Deno.test("runner: a release WeChat answers ok but never shows live is released again, then fails", async () => {
  const env = setup({ maxAttempts: 3 });
  const real = env.fake.release.bind(env.fake);
  env.fake.release = async (appid) => {
    const out = await real(appid);
    env.fake.program(appid).released = undefined;
    return out;
  };
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  const s = await drive(env, id);
  const [t] = s.targets!;
  assert.equal(t.state, "failed");
  assert.match(t.reason!, /not live after release/);
  const releases = env.fake.log.filter((l) => l === `${A(1)}:release`).length;
  assert.ok(releases >= 2 && releases <= 3, `released ${releases} times, bounded by maxAttempts`);
});

Deno.test("runner: cancel stops every unsettled target; a target busy in another release fails", async () => {
  const env = setup();
  const first = await env.runner.create({ ...base, targets: [A(1), A(2)] });
  await env.runner.tick(first.id);
  const second = await env.runner.create({ ...base, user_version: "1.3.0", targets: [A(2), A(3)] });
  const busy = second.targets!.find((t) => t.appid === A(2))!;
  assert.equal(busy.state, "failed");
  assert.match(busy.reason!, new RegExp(`in release ${first.id}`));
  const cancelled = await env.runner.cancel(first.id);
  assert.equal(cancelled.counts.cancelled, 2);
  const calls = env.fake.log.length;
  assert.equal((await env.runner.tick(first.id)).settled, true);
  assert.equal(env.fake.log.length, calls, "a cancelled release makes no call");
  assert.equal((await env.runner.list()).length, 2);
});

Deno.test("runner: cancel withdraws audits at WeChat; 87012/87013 are reasons; retry resubmits a withdrawn one", async () => {
  const env = setup({ maxAttempts: 3 });
  const targets = [A(1), A(2), A(3), A(4), A(5)];
  const { id } = await env.runner.create({ ...base, targets });
  await env.runner.tick(id); // commit
  await env.runner.tick(id); // no audit yet: wait for quota
  await env.runner.tick(id); // quota granted, submitted
  assert.equal((await env.runner.get(id))!.counts.auditing, 5);
  env.fake.faults.set(`${A(2)}:undocodeaudit`, ["5xx"]);
  env.fake.program(A(3)).audit!.status = 0; // approved before the withdrawal arrives
  env.fake.program(A(4)).undos = 5; // this mini program's withdrawals are spent
  env.fake.faults.set(`${A(5)}:undocodeaudit`, ["5xx", "5xx", "5xx"]);
  const cancelled = await env.runner.cancel(id);
  assert.equal(cancelled.counts.cancelled, 5);
  assert.equal(cancelled.settled, false, "withdrawals are owed");
  const s = await drive(env, id, { decideEvery: 10_000 });
  assert.equal(s.settled, true);
  assert.equal(s.counts.cancelled, 5, JSON.stringify(s.counts));
  const by = Object.fromEntries(s.targets!.map((t) => [t.appid, t]));
  const undos = (a: string) => env.fake.log.filter((l) => l === `${a}:undocodeaudit`).length;
  assert.match(by[A(1)].reason!, /audit \d+ withdrawn/);
  assert.equal(env.fake.program(A(1)).audit!.status, 3);
  assert.match(by[A(2)].reason!, /withdrawn/);
  assert.equal(undos(A(2)), 2, "a fault is tried again");
  assert.match(by[A(3)].reason!, /^cancelled; audit not withdrawn: errcode 87012/);
  assert.match(by[A(4)].reason!, /^cancelled; audit not withdrawn: errcode 87013/);
  assert.equal(env.fake.program(A(4)).audit!.status, 2);
  assert.match(by[A(5)].reason!, /not withdrawn: gave up after 3 attempts/);
  for (const t of s.targets!) assert.equal(t.withdraw, undefined);
  // Nothing more is called once the withdrawals are done.
  const calls = env.fake.log.length;
  await env.runner.tick(id);
  assert.equal(env.fake.log.length, calls);

  // Retried: the withdrawn one waits for quota and submits again; the others poll their audit.
  assert.equal((await env.runner.retry(id, A(1))).state, "waiting_quota");
  assert.equal((await env.runner.retry(id, A(3))).state, "auditing");
  assert.equal((await env.runner.retry(id, A(4))).state, "auditing");
  const after = await drive(env, id);
  const again = Object.fromEntries(after.targets!.map((t) => [t.appid, t]));
  for (const a of [A(1), A(3), A(4)]) assert.equal(again[a].state, "released", a);
  assert.equal(env.fake.program(A(1)).submits, 2);
  assert.equal(env.fake.program(A(3)).submits, 1);
  assert.equal(env.fake.program(A(4)).submits, 1);
});

Deno.test("runner: an audit withdrawn by hand fails the target; a retry waits for quota and submits again", async () => {
  const env = setup();
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  await env.runner.tick(id);
  await env.runner.tick(id);
  await env.runner.tick(id);
  env.fake.program(A(1)).audit!.status = 3;
  env.advance(5000);
  await env.runner.tick(id); // the poll sees it
  const t = (await env.runner.get(id))!.targets![0];
  assert.equal(t.state, "failed");
  assert.equal(t.reason, "audit withdrawn");
  assert.equal((await env.runner.retry(id, A(1))).state, "waiting_quota");
  assert.equal((await drive(env, id)).counts.released, 1);
  assert.equal(env.fake.program(A(1)).submits, 2);
});

Deno.test("runner: a target cancelled before its check resumes it when retried", async () => {
  const env = setup();
  const { id } = await env.runner.create({ ...base, targets: [A(1)] });
  await env.runner.tick(id); // commit: the check is due next
  await env.runner.cancel(id);
  const retried = await env.runner.retry(id, A(1));
  assert.equal(retried.state, "waiting_quota");
  assert.equal((await drive(env, id)).counts.released, 1);
});

Deno.test("runner: a new runner over the same store resumes where the records stand", async () => {
  const env = setup();
  env.fake.faults.set(`${A(1)}:submit_audit`, ["timeout_applied"]);
  const { id } = await env.runner.create({ ...base, targets: [A(1), A(2)] });
  await env.runner.tick(id);
  await env.runner.tick(id); // A(1)'s submit answer is lost here
  const resumed = new ReleaseRunner({
    store: env.store,
    api: env.fake,
    now: env.now,
    machine: { pollSeconds: 5, backoffBaseMs: 1000 },
  });
  const s = await drive({ ...env, runner: resumed }, id);
  assert.equal(s.counts.released, 2);
  assert.equal(env.fake.program(A(1)).submits, 1);
});

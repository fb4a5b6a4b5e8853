/**
 * Runs releases over a {@linkcode Store} and a {@linkcode ReleaseApi}: each tick asks the audit
 * quota once (only when a target waits for it), admits pending targets up to the release's
 * concurrency, and makes every due target's next call, at most `concurrency` at a time. The
 * store holds the plan and one record per target, so a runner that stops resumes where the
 * records say; the worker drives the same steps from Durable Objects and alarms instead.
 *
 * Storage keys (under `wxopen:v1:`): `release:<id>` (the plan), `release_target:<id>:<appid>`
 * (a target's record, its state and `next_at` in the metadata) and `release_active:<appid>`
 * (the release an appid's audit pushes go to).
 *
 * @module
 */

import { WxOpenError } from "../errors.ts";
import { WeChatError } from "../api/errors.ts";
import type { Store } from "../store/store.ts";
import { STORAGE_PREFIX } from "../tokens/keys.ts";
import type { ReleaseApi, WeChatJson } from "./api.ts";
import {
  type Action,
  applyAuditEvent,
  applyOutcome,
  type AuditEvent,
  cancelTarget,
  DEFAULT_MACHINE_OPTIONS,
  grantQuota,
  isAtRest,
  isDue,
  isSettled,
  type MachineOptions,
  markInFlight,
  newTarget,
  nextAction,
  type Outcome,
  releaseTarget,
  retryTarget,
  startTarget,
  TARGET_STATES,
  type TargetRecord,
  type TargetState,
} from "./machine.ts";
import { planRelease, type ReleasePlan, type ReleaseRequest } from "./plan.ts";

/** The states that hold one of a release's concurrency slots (auditing does not: it waits). */
export const BUSY_STATES: readonly TargetState[] = [
  "syncing",
  "committing",
  "waiting_quota",
  "submitting",
  "releasing",
];

/** Makes `action`'s call and reports its outcome; never throws. */
export async function perform(
  api: ReleaseApi,
  plan: ReleasePlan,
  appid: string,
  action: Action,
): Promise<Outcome> {
  try {
    return { ok: true, body: await call(api, plan, appid, action) };
  } catch (error) {
    return outcomeOf(error);
  }
}

function call(
  api: ReleaseApi,
  plan: ReleasePlan,
  appid: string,
  action: Action,
): Promise<WeChatJson> {
  switch (action.kind) {
    case "sync":
      if (action.step === "domains") return api.modifyDomain(appid, plan.sync.domains!);
      if (action.step === "webview_domains") {
        return api.setWebviewDomain(appid, plan.sync.webview_domains!);
      }
      return api.setPrivacySetting(appid, plan.sync.privacy!);
    case "commit":
      return api.commit(appid, {
        template_id: plan.template_id,
        ext_json: plan.ext_json[appid] ?? "{}",
        user_version: plan.user_version,
        user_desc: plan.user_desc,
      });
    case "submit_audit":
      return api.submitAudit(appid, plan.audit);
    case "get_latest_auditstatus":
      return api.getLatestAuditStatus(appid);
    case "get_auditstatus":
      return api.getAuditStatus(appid, { auditid: action.auditid });
    case "release":
      return api.release(appid);
    case "gray_release":
      return api.grayRelease(appid, { gray_percentage: action.gray_percentage });
    case "get_gray_release_plan":
      return api.getGrayReleasePlan(appid);
    case "get_version_info":
      return api.getVersionInfo(appid);
    case "undo_code_audit":
      return api.undoCodeAudit(appid);
  }
}

/** A call's failure as the machine reads it (WeChat's errcode, or an unknown outcome). */
export function outcomeOf(error: unknown): Outcome {
  if (error instanceof WeChatError) {
    return {
      ok: false,
      errcode: error.errcode,
      retryable: error.retryable,
      message: `errcode ${error.errcode}: ${error.errmsg}`,
    };
  }
  if (error instanceof WxOpenError) {
    return { ok: false, retryable: true, message: `${error.code}: ${error.message}` };
  }
  return {
    ok: false,
    retryable: true,
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Runs `record`'s next call, when one is due, and answers the next record. `persist` stores
 * the write-ahead mark of a submit or a release before its call (see `markInFlight`).
 */
export async function stepTarget(
  api: ReleaseApi,
  plan: ReleasePlan,
  record: TargetRecord,
  now: () => number,
  options: MachineOptions = DEFAULT_MACHINE_OPTIONS,
  persist?: (marked: TargetRecord) => Promise<void>,
): Promise<TargetRecord> {
  const action = nextAction(plan, record);
  if (action === null) return record;
  const marked = markInFlight(record, action);
  if (marked !== record && persist) await persist(marked);
  const outcome = await perform(api, plan, record.appid, action);
  return applyOutcome(plan, record, action, outcome, now(), options);
}

/**
 * How many `waiting_quota` targets may submit now: the quota's `rest` less the targets already
 * granted (submitting) — WeChat counts a submission only once it is made.
 */
export function quotaGrants(rest: number, records: readonly TargetRecord[]): number {
  const submitting = records.filter((r) => r.state === "submitting").length;
  return Math.max(0, Math.floor(rest) - submitting);
}

/** How many `pending` targets may start now under the release's concurrency. */
export function admissions(plan: ReleasePlan, records: readonly TargetRecord[]): number {
  const busy = records.filter((r) => BUSY_STATES.includes(r.state)).length;
  return Math.max(0, plan.concurrency - busy);
}

/** A release's state as an operator sees it. */
export interface ReleaseSummary {
  /** The release id. */
  id: string;
  /** The committed template. */
  template_id: number | string;
  /** The version released. */
  user_version: string;
  /** The version description. */
  user_desc: string;
  /** `"auto"`, `"manual"` or `{ gray_percentage }`. */
  release: ReleasePlan["release"];
  /** Targets at work at once. */
  concurrency: number;
  /** ISO-8601 creation time. */
  created_at: string;
  /** Targets in all. */
  total: number;
  /** Targets per state (every state named, zeros included). */
  counts: Record<TargetState, number>;
  /**
   * True when no target will move without an operator (all terminal, or audited in manual) and
   * no cancelled target still owes the withdrawal of its audit (see `isAtRest`).
   */
  settled: boolean;
  /** Upstream calls made for the targets. */
  calls: number;
  /** `submit_audit` calls made. */
  submits: number;
  /** Each target's record (omitted from lists). */
  targets?: TargetRecord[];
}

/** The summary of `plan` over its target records. */
export function summarize(
  plan: ReleasePlan,
  records: readonly TargetRecord[],
  withTargets = true,
): ReleaseSummary {
  const counts = Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Record<
    TargetState,
    number
  >;
  let calls = 0;
  let submits = 0;
  for (const r of records) {
    counts[r.state]++;
    calls += r.calls;
    submits += r.submits;
  }
  return {
    id: plan.id,
    template_id: plan.template_id,
    user_version: plan.user_version,
    user_desc: plan.user_desc,
    release: plan.release,
    concurrency: plan.concurrency,
    created_at: plan.created_at,
    total: records.length,
    counts,
    settled: records.every((r) => isAtRest(plan, r)),
    calls,
    submits,
    ...(withTargets ? { targets: [...records] } : {}),
  };
}

/** Runs `tasks` with at most `limit` at a time. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++]);
  });
  await Promise.all(lanes);
}

/** Options of {@linkcode ReleaseRunner}. */
export interface ReleaseRunnerOptions {
  /** Where plans and target records live. */
  store: Store;
  /** The WeChat calls. */
  api: ReleaseApi;
  /** The clock (milliseconds); default `Date.now`. */
  now?: () => number;
  /** Timing of the machine (poll, backoff); defaults {@linkcode DEFAULT_MACHINE_OPTIONS}. */
  machine?: Partial<MachineOptions>;
}

/** What one {@linkcode ReleaseRunner.tick} did. */
export interface TickResult {
  /** True when the release has settled. */
  settled: boolean;
  /** Calls made in this tick (the quota query included). */
  calls: number;
  /** When the next tick has work (milliseconds), or `null` when settled. */
  next_at: number | null;
}

// Functions, not an object of them: a bundle that never runs a ReleaseRunner drops them.
function releaseKey(id: string): string {
  return `${STORAGE_PREFIX}release:${id}`;
}
function releasesPrefix(): string {
  return `${STORAGE_PREFIX}release:`;
}
function targetKey(id: string, appid: string): string {
  return `${STORAGE_PREFIX}release_target:${id}:${appid}`;
}
function targetsPrefix(id: string): string {
  return `${STORAGE_PREFIX}release_target:${id}:`;
}
function activeKey(appid: string): string {
  return `${STORAGE_PREFIX}release_active:${appid}`;
}

function checkId(id: string): string {
  if (typeof id !== "string" || !/^[0-9a-z_-]{1,64}$/.test(id)) {
    throw new TypeError("Invalid release id");
  }
  return id;
}

/** A release id that sorts by creation time. */
export function newReleaseId(now: number): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  const tail = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `r${now.toString(36).padStart(9, "0")}${tail}`;
}

/**
 * Runs fleet releases in one process over a store: create, tick (or `run` to the end), audit
 * pushes, cancel, retry and manual release. One runner per store: the store promises no
 * compare-and-set, so two runners of one release would race.
 *
 * @example A release run to its end against the simulator
 * ```ts ignore
 * const runner = new ReleaseRunner({ store, api: releaseApi((a) => client.authorizer(a)) });
 * const { id } = await runner.create({ template_id: 1, user_version: "1.0.0", user_desc: "first",
 *   targets: ["wx00000000000000a1"] });
 * console.log((await runner.run(id)).counts.released); // 1
 * ```
 */
export class ReleaseRunner {
  readonly #store: Store;
  readonly #api: ReleaseApi;
  readonly #now: () => number;
  readonly #machine: MachineOptions;

  /** A runner over `options.store` and `options.api`. */
  constructor(options: ReleaseRunnerOptions) {
    if (!options?.store || !options.api) {
      throw new TypeError("ReleaseRunner needs a store and an api");
    }
    this.#store = options.store;
    this.#api = options.api;
    this.#now = options.now ?? Date.now;
    this.#machine = { ...DEFAULT_MACHINE_OPTIONS, ...options.machine };
    if (!(this.#machine.pollSeconds > 0)) throw new RangeError("Invalid pollSeconds");
  }

  /**
   * Checks and stores a release, every target `pending`. `authorizers` lists what
   * `targets: "all"` means. A target already in an unsettled release starts `failed`.
   */
  async create(request: ReleaseRequest, authorizers?: readonly string[]): Promise<ReleaseSummary> {
    const now = this.#now();
    const plan = planRelease(request, { id: newReleaseId(now), now, authorizers });
    const records: TargetRecord[] = [];
    for (const appid of plan.targets) {
      let record = newTarget(appid, now);
      const busy = await this.#activeElsewhere(appid);
      if (busy) {
        record = { ...cancelTarget(record, now), state: "failed", reason: `in release ${busy}` };
      }
      records.push(record);
    }
    await this.#store.put(releaseKey(plan.id), JSON.stringify(plan));
    for (const record of records) {
      await this.#save(plan.id, record);
      if (record.state === "pending") {
        await this.#store.put(activeKey(record.appid), plan.id);
      }
    }
    return summarize(plan, records);
  }

  async #activeElsewhere(appid: string): Promise<string | null> {
    const id = await this.#store.get(activeKey(appid));
    if (id === null) return null;
    const plan = await this.#plan(id);
    const raw = plan && await this.#store.get(targetKey(id, appid));
    if (!plan || !raw) return null;
    return isAtRest(plan, JSON.parse(raw) as TargetRecord) ? null : id;
  }

  async #plan(id: string): Promise<ReleasePlan | null> {
    const raw = await this.#store.get(releaseKey(checkId(id)));
    return raw === null ? null : JSON.parse(raw) as ReleasePlan;
  }

  async #records(id: string): Promise<TargetRecord[]> {
    const out: TargetRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.list({ prefix: targetsPrefix(id), cursor });
      for (const key of page.keys) {
        const raw = await this.#store.get(key.name);
        if (raw !== null) out.push(JSON.parse(raw) as TargetRecord);
      }
      cursor = page.complete ? undefined : page.cursor;
    } while (cursor);
    return out;
  }

  async #save(id: string, record: TargetRecord): Promise<void> {
    await this.#store.put(targetKey(id, record.appid), JSON.stringify(record), {
      metadata: { state: record.state, next_at: record.next_at },
    });
  }

  async #planOrThrow(id: string): Promise<ReleasePlan> {
    const plan = await this.#plan(id);
    if (!plan) throw new RangeError(`Unknown release ${id}`);
    return plan;
  }

  /** The release `id` with every target, or `null` when unknown. */
  async get(id: string): Promise<ReleaseSummary | null> {
    const plan = await this.#plan(id);
    return plan && summarize(plan, await this.#records(id));
  }

  /** Every release, newest first, without their target lists. */
  async list(): Promise<ReleaseSummary[]> {
    const out: ReleaseSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.list({ prefix: releasesPrefix(), cursor });
      for (const key of page.keys) {
        const id = key.name.slice(releasesPrefix().length);
        const plan = await this.#plan(id);
        if (plan) out.push(summarize(plan, await this.#records(id), false));
      }
      cursor = page.complete ? undefined : page.cursor;
    } while (cursor);
    return out.reverse();
  }

  /**
   * One pass over release `id`: the quota asked once when targets wait for it, pending targets
   * admitted, every due target's call made (at most `concurrency` at a time).
   */
  async tick(id: string): Promise<TickResult> {
    const plan = await this.#planOrThrow(id);
    const records = await this.#records(id);
    const byAppid = new Map(records.map((r) => [r.appid, r]));
    let calls = 0;
    const now = this.#now();
    const changed = new Set<string>();
    const update = (r: TargetRecord) => {
      byAppid.set(r.appid, r);
      changed.add(r.appid);
    };

    const waiting = records.filter((r) => r.state === "waiting_quota" && !r.precheck);
    if (waiting.length > 0) {
      calls++;
      const answer = await this.#api.queryQuota(waiting[0].appid).catch(() => null);
      const rest = typeof answer?.rest === "number" ? answer.rest : 0;
      for (const r of waiting.slice(0, quotaGrants(rest, records))) update(grantQuota(r, now));
    }
    let admit = admissions(plan, [...byAppid.values()]);
    for (const r of records) {
      if (admit <= 0) break;
      if (r.state === "pending" && byAppid.get(r.appid)!.state === "pending") {
        update(startTarget(plan, r, now));
        admit--;
      }
    }
    const due = [...byAppid.values()].filter((r) => isDue(plan, r, now));
    await pool(due, plan.concurrency, async (r) => {
      const next = await stepTarget(
        this.#api,
        plan,
        r,
        this.#now,
        this.#machine,
        (marked) => this.#save(id, marked),
      );
      calls += next.calls - r.calls;
      update(next);
    });
    for (const appid of changed) await this.#save(id, byAppid.get(appid)!);

    const all = [...byAppid.values()];
    const settled = all.every((r) => isAtRest(plan, r));
    if (settled) return { settled, calls, next_at: null };
    let next = Infinity;
    for (const r of all) {
      if (r.next_at !== null && !isAtRest(plan, r)) {
        next = Math.min(next, Date.parse(r.next_at));
      }
    }
    const waitsForQuota = all.some((r) => r.state === "waiting_quota" || r.state === "pending");
    if (waitsForQuota) next = Math.min(next, this.#now() + this.#machine.pollSeconds * 1000);
    return { settled, calls, next_at: Number.isFinite(next) ? next : null };
  }

  /**
   * Ticks release `id` until it settles, sleeping until the next due call. `sleep` defaults to
   * a timer; `signal` stops the loop between ticks.
   */
  async run(
    id: string,
    options: { signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
  ): Promise<ReleaseSummary> {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const result = await this.tick(id);
      if (result.settled || options.signal?.aborted) break;
      const wait = result.next_at === null
        ? this.#machine.pollSeconds * 1000
        : Math.max(0, result.next_at - this.#now());
      await sleep(wait);
      if (options.signal?.aborted) break;
    }
    return (await this.get(id))!;
  }

  async #target(id: string, appid: string): Promise<[ReleasePlan, TargetRecord]> {
    const plan = await this.#planOrThrow(id);
    const raw = await this.#store.get(targetKey(id, appid));
    if (raw === null) throw new RangeError(`Release ${id} has no target ${appid}`);
    return [plan, JSON.parse(raw) as TargetRecord];
  }

  /**
   * Applies an audit verdict pushed for `appid` to the release its audit belongs to; answers
   * the target's record, or `null` when no release waits for it.
   */
  async auditEvent(appid: string, event: AuditEvent): Promise<TargetRecord | null> {
    const id = await this.#store.get(activeKey(appid));
    if (id === null) return null;
    const [plan, record] = await this.#target(id, appid);
    const next = applyAuditEvent(plan, record, event, this.#now(), this.#machine);
    if (next === record) return null;
    await this.#save(id, next);
    return next;
  }

  /** Cancels every unsettled target of release `id`. */
  async cancel(id: string): Promise<ReleaseSummary> {
    const plan = await this.#planOrThrow(id);
    const now = this.#now();
    const records = (await this.#records(id)).map((r) => {
      if (isSettled(r.state, plan) && r.state !== "audited") return r;
      return cancelTarget(r, now);
    });
    for (const r of records) await this.#save(id, r);
    return summarize(plan, records);
  }

  /** Sends a failed, rejected or cancelled target on again (see `retryTarget`). */
  async retry(id: string, appid: string): Promise<TargetRecord> {
    const [plan, record] = await this.#target(id, appid);
    const next = retryTarget(plan, record, this.#now());
    if (next === record) {
      throw new RangeError(`Target ${appid} is ${record.state}: nothing to retry`);
    }
    await this.#save(id, next);
    await this.#store.put(activeKey(appid), id);
    return next;
  }

  /** Releases an `audited` target of a manual release. */
  async release(id: string, appid: string): Promise<TargetRecord> {
    const [, record] = await this.#target(id, appid);
    const next = releaseTarget(record, this.#now());
    if (next === record) throw new RangeError(`Target ${appid} is ${record.state}, not audited`);
    await this.#save(id, next);
    return next;
  }
}

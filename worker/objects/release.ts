/**
 * `ReleaseCoordinator`: one Durable Object per release (named by its id) holding the plan and
 * a copy of every target's record (each `ReleaseTarget` reports its changes). Its alarm is the
 * release's tick, every `RELEASE_POLL_SECONDS` until the release settles (sooner when a report
 * frees a slot): it asks `queryquota` once when targets wait for quota and grants that many,
 * and admits pending targets up to the release's concurrency. Quota and concurrency are
 * release-wide decisions, so they have one writer here, while each target's calls run in its
 * own object.
 *
 * The object named {@linkcode INDEX_NAME} is the list of releases (a summary of each, written
 * by the releases' objects as they change).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { DurableObject } from "cloudflare:workers";
import {
  admissions,
  cancelTarget,
  isSettled,
  newTarget,
  quotaGrants,
  type ReleasePlan,
  type ReleaseSummary,
  retryTarget,
  summarize,
  TARGET_STATES,
  type TargetRecord,
  type TargetState,
} from "../../src/release/mod.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import {
  INDEX_NAME,
  pollSeconds,
  releaseObject,
  releaseTargetObject,
  workerReleaseApi,
} from "../releases.ts";
import { runtimeFor } from "../runtime.ts";
import { capture, type RpcResult, unwrap } from "./result.ts";
import type { ObjectOptions } from "./runtime.ts";

/** The plan without the per-target `ext_json` (each target's is stored under its own key). */
type StoredPlan = Omit<ReleasePlan, "ext_json" | "targets">;

const PLAN = "plan";
const target = (appid: string) => `t:${appid}`;
const ext = (appid: string) => `x:${appid}`;
const COUNTS = "counts";
/** How many cancelled targets still owe the withdrawal of their audit (see `withdraw`). */
const OWED = "owed";

/** The counts per state, and how many withdrawals are owed: what `settled` is decided by. */
interface Tally {
  counts: Record<TargetState, number>;
  owed: number;
}

function zeroCounts(): Record<TargetState, number> {
  return Object.fromEntries(TARGET_STATES.map((s) => [s, 0])) as Record<TargetState, number>;
}
/** The earliest a report may pull the next tick forward, after the last one. */
const MIN_TICK_GAP_MS = 500;
/** RPCs to target objects in flight at once during a tick or a cancel. */
const FAN_OUT = 16;

/** Later of two records of one target (by time, then by calls made). */
function newer(a: TargetRecord, b: TargetRecord | undefined): boolean {
  if (!b) return true;
  if (a.updated_at !== b.updated_at) return a.updated_at > b.updated_at;
  return a.calls >= b.calls;
}

async function fanOut<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FAN_OUT, items.length) }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

/** Builds the class, closed over `options` (dev injects the simulator's fetch). */
export function releaseCoordinatorClass(options: ObjectOptions = {}) {
  return class ReleaseCoordinator extends DurableObject<Env> {
    #lastTick = 0;

    #env(): Env {
      return options.envTransform ? options.envTransform(this.env) : this.env;
    }

    async #plan(): Promise<StoredPlan> {
      const plan = await this.ctx.storage.get<StoredPlan>(PLAN);
      if (!plan) throw new HttpError(404, "not_found", "No such release");
      return plan;
    }

    async #records(): Promise<TargetRecord[]> {
      const map = await this.ctx.storage.list<TargetRecord>({ prefix: "t:" });
      return [...map.values()];
    }

    async #tally(): Promise<Tally> {
      const stored = await this.ctx.storage.get<unknown>([COUNTS, OWED]);
      return {
        counts: (stored.get(COUNTS) as Record<TargetState, number> | undefined) ?? zeroCounts(),
        owed: (stored.get(OWED) as number | undefined) ?? 0,
      };
    }

    /** Stores `records` (those newer than the stored copy), keeping the counts per state. */
    async #put(records: TargetRecord[]): Promise<Tally> {
      const tally = await this.#tally();
      const { counts } = tally;
      const stored = await this.ctx.storage.get<TargetRecord>(records.map((r) => target(r.appid)));
      const writes: Record<string, unknown> = {};
      for (const r of records) {
        const old = stored.get(target(r.appid));
        if (!newer(r, old)) continue;
        if (old) counts[old.state]--;
        counts[r.state]++;
        tally.owed += (r.withdraw ? 1 : 0) - (old?.withdraw ? 1 : 0);
        writes[target(r.appid)] = r;
        stored.set(target(r.appid), r);
      }
      writes[COUNTS] = counts;
      writes[OWED] = tally.owed;
      await this.ctx.storage.put(writes);
      return tally;
    }

    /** Whether every target is at rest: settled, and no withdrawal owed. */
    #settled(plan: StoredPlan, { counts, owed }: Tally): boolean {
      return owed === 0 && TARGET_STATES.every((s) => counts[s] === 0 || isSettled(s, plan));
    }

    /** This target's slice of the plan (what its object runs). */
    async #slice(plan: StoredPlan, appid: string): Promise<ReleasePlan> {
      const json = (await this.ctx.storage.get<string>(ext(appid))) ?? "{}";
      return { ...plan, targets: [appid], ext_json: { [appid]: json } };
    }

    async #index(plan: StoredPlan, tally: Tally): Promise<void> {
      const { counts } = tally;
      const total = TARGET_STATES.reduce((n, s) => n + counts[s], 0);
      const summary = {
        ...summarize({ ...plan, targets: [], ext_json: {} }, [], false),
        total,
        counts,
        settled: this.#settled(plan, tally),
      };
      await unwrap(releaseObject(this.#env(), INDEX_NAME).indexPut(summary)).catch((err) => {
        console.warn(`[wxopen] release index not updated: ${(err as Error).name}`);
      });
    }

    /**
     * Stores a new release: its plan, every target `pending` (or `failed` when `busy` names the
     * release that holds it), and the first tick now. A repeated create is answered as stored.
     */
    create(plan: ReleasePlan): Promise<RpcResult<ReleaseSummary>> {
      return capture("release create", async () => {
        if (await this.ctx.storage.get(PLAN)) return await this.#summary(false);
        const { ext_json, targets, ...stored } = plan;
        const now = Date.now();
        const writes: Record<string, unknown> = { [PLAN]: stored };
        const counts = zeroCounts();
        for (const appid of targets) {
          writes[target(appid)] = newTarget(appid, now);
          writes[ext(appid)] = ext_json[appid];
          counts.pending++;
        }
        writes[COUNTS] = counts;
        // Storage takes at most 128 entries per put.
        const entries = Object.entries(writes);
        for (let i = 0; i < entries.length; i += 128) {
          await this.ctx.storage.put(Object.fromEntries(entries.slice(i, i + 128)));
        }
        await this.ctx.storage.setAlarm(now);
        await this.#index(stored, { counts, owed: 0 });
        return await this.#summary(false);
      });
    }

    async #summary(withTargets: boolean): Promise<ReleaseSummary> {
      const plan = await this.#plan();
      const records = await this.#records();
      return summarize({ ...plan, targets: [], ext_json: {} }, records, withTargets);
    }

    /** The release with each target's record (or without, for lists). */
    summary(withTargets = true): Promise<RpcResult<ReleaseSummary>> {
      return capture("release summary", () => this.#summary(withTargets));
    }

    /** A target object's new record. */
    async report(record: TargetRecord): Promise<void> {
      const plan = await this.ctx.storage.get<StoredPlan>(PLAN);
      if (!plan || !(await this.ctx.storage.get(target(record.appid)))) return;
      const tally = await this.#put([record]);
      if (this.#settled(plan, tally)) {
        await this.ctx.storage.deleteAlarm();
        await this.#index(plan, tally);
        return;
      }
      // A slot freed, or a target waits for quota: tick soon rather than at the next poll.
      if (
        record.state === "waiting_quota" ||
        !["syncing", "committing", "submitting", "releasing"].includes(record.state)
      ) {
        const at = Math.max(Date.now(), this.#lastTick + MIN_TICK_GAP_MS);
        const alarm = await this.ctx.storage.getAlarm();
        if (alarm === null || alarm > at) await this.ctx.storage.setAlarm(at);
      }
    }

    /** Cancels every target that has not settled (pending ones here, the others in their objects). */
    cancel(): Promise<RpcResult<ReleaseSummary>> {
      return capture("release cancel", async () => {
        const plan = await this.#plan();
        const now = Date.now();
        const records = await this.#records();
        const out: TargetRecord[] = [];
        const remote = records.filter((r) => r.state !== "pending" && !isSettled(r.state, plan));
        for (const r of records) if (r.state === "pending") out.push(cancelTarget(r, now));
        await fanOut(remote, async (r) => {
          const answer = await releaseTargetObject(this.#env(), r.appid).cancel(plan.id);
          // Unreachable now: the copy reads cancelled; the object's own report corrects it.
          out.push(answer.ok ? answer.value : { ...cancelTarget(r, now), withdraw: false });
        });
        // Audited targets of a manual release are settled, but cancel takes them off the list.
        for (const r of records) {
          if (r.state === "audited") {
            const answer = await releaseTargetObject(this.#env(), r.appid).cancel(plan.id);
            if (answer.ok) out.push(answer.value);
          }
        }
        const tally = await this.#put(out);
        await this.ctx.storage.deleteAlarm();
        await this.#index(plan, tally);
        return await this.#summary(false);
      });
    }

    /** Sends a failed, rejected or cancelled target on again. */
    retry(appid: string): Promise<RpcResult<TargetRecord>> {
      return capture("release retry", async () => {
        const plan = await this.#plan();
        const record = await this.ctx.storage.get<TargetRecord>(target(appid));
        if (!record) throw new HttpError(404, "not_found", "No such target in this release");
        let next: TargetRecord;
        if (
          record.stopped_in === "pending" || (record.state === "cancelled" && !record.stopped_in)
        ) {
          // Never admitted: it goes back to the queue here.
          next = retryTarget({ ...plan, targets: [appid], ext_json: {} }, record, Date.now());
          if (next === record) {
            throw new HttpError(409, "not_retryable", `The target is ${record.state}`);
          }
        } else {
          next = await unwrap(releaseTargetObject(this.#env(), appid).retry(plan.id));
        }
        const tally = await this.#put([next]);
        await this.ctx.storage.setAlarm(Math.max(Date.now(), this.#lastTick + MIN_TICK_GAP_MS));
        await this.#index(plan, tally);
        return next;
      });
    }

    /** Releases an audited target of a manual release. */
    release(appid: string): Promise<RpcResult<TargetRecord>> {
      return capture("release target", async () => {
        const plan = await this.#plan();
        if (!(await this.ctx.storage.get(target(appid)))) {
          throw new HttpError(404, "not_found", "No such target in this release");
        }
        const next = await unwrap(releaseTargetObject(this.#env(), appid).release(plan.id));
        const tally = await this.#put([next]);
        await this.#index(plan, tally);
        return next;
      });
    }

    /** The release's tick (see the module documentation). */
    override async alarm(): Promise<void> {
      const plan = await this.ctx.storage.get<StoredPlan>(PLAN);
      if (!plan) return;
      this.#lastTick = Date.now();
      const env = this.#env();
      const records = await this.#records();
      const changed: TargetRecord[] = [];

      const waiting = records.filter((r) => r.state === "waiting_quota" && !r.precheck);
      if (waiting.length > 0) {
        const api = workerReleaseApi(runtimeFor(env, options.upstreamFetch));
        const answer = await api.queryQuota(waiting[0].appid).catch((err) => {
          console.warn(`[wxopen] queryquota failed: ${(err as Error).name}`);
          return null;
        });
        const rest = typeof answer?.rest === "number" ? answer.rest : 0;
        await fanOut(waiting.slice(0, quotaGrants(rest, records)), async (r) => {
          const granted = await releaseTargetObject(env, r.appid).grant(plan.id);
          if (granted.ok) changed.push(granted.value);
        });
      }

      const busyNow = [
        ...records.filter((r) => !changed.some((c) => c.appid === r.appid)),
        ...changed,
      ];
      const admit = admissions({ ...plan, targets: [], ext_json: {} }, busyNow);
      const pending = records.filter((r) => r.state === "pending").slice(0, admit);
      await fanOut(pending, async (r) => {
        const answer = await releaseTargetObject(env, r.appid).start(
          await this.#slice(plan, r.appid),
        );
        if (!answer.ok) return; // tried again next tick
        const value = answer.value;
        if ("record" in value) changed.push(value.record);
        else {
          changed.push({
            ...cancelTarget(r, Date.now(), `in release ${value.busy}`),
            state: "failed",
          });
        }
      });

      const tally = await this.#put(changed);
      await this.#index(plan, tally);
      if (!this.#settled(plan, tally)) {
        await this.ctx.storage.setAlarm(Date.now() + pollSeconds(env) * 1000);
      }
    }

    /** (`_index` only) Stores a release's summary. */
    indexPut(summary: ReleaseSummary): Promise<RpcResult<null>> {
      return capture("release index", async () => {
        await this.ctx.storage.put(`r:${summary.id}`, summary);
        return null;
      });
    }

    /** (`_index` only) Every release's summary, newest first. */
    indexList(): Promise<RpcResult<ReleaseSummary[]>> {
      return capture("release index list", async () => {
        const map = await this.ctx.storage.list<ReleaseSummary>({ prefix: "r:", reverse: true });
        return [...map.values()];
      });
    }
  };
}

/** A `ReleaseCoordinator` object (the typed RPC surface of the `RELEASES` binding). */
export type ReleaseCoordinator = InstanceType<ReturnType<typeof releaseCoordinatorClass>>;

/**
 * `ReleaseTarget`: one Durable Object per mini program (named by its appid) that runs its part
 * of a release with the core's machine, one WeChat call per alarm. A mini program has one
 * development version and at most one audit at a time, so one object per mini program (not
 * per release and target) serialises every release that touches it, and is where its
 * `weapp_audit_*` pushes land without any lookup. It keeps the release's plan for this target
 * and the target's record in its storage, so it resumes after an eviction or a deploy; a
 * submit's or a release's write-ahead mark is stored before the call goes out (never a second
 * submit of one version). After every change it reports its record to the release's
 * `ReleaseCoordinator`.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { DurableObject } from "cloudflare:workers";
import {
  applyAuditEvent,
  type AuditEvent,
  cancelTarget,
  grantQuota,
  isAtRest,
  newTarget,
  nextAction,
  type ReleasePlan,
  releaseTarget,
  retryTarget,
  startTarget,
  stepTarget,
  type TargetRecord,
} from "../../src/release/mod.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { machineOptions, releaseObject, workerReleaseApi } from "../releases.ts";
import { runtimeFor } from "../runtime.ts";
import { capture, type RpcResult } from "./result.ts";
import type { ObjectOptions } from "./runtime.ts";

/** What a target object holds of its current release. */
interface Current {
  /** This target's slice of the plan (its own `ext_json` only). */
  plan: ReleasePlan;
  record: TargetRecord;
  /** False while the coordinator has not taken the latest record. */
  reported: boolean;
}

/** What `start` answers: the record, or the release that holds the mini program. */
export type StartAnswer = { record: TargetRecord } | { busy: string };

/** Seconds before a failed report to the coordinator is tried again. */
const REPORT_RETRY_MS = 5_000;

/** Builds the class, closed over `options` (dev injects the simulator's fetch). */
export function releaseTargetClass(options: ObjectOptions = {}) {
  return class ReleaseTarget extends DurableObject<Env> {
    #env(): Env {
      return options.envTransform ? options.envTransform(this.env) : this.env;
    }

    async #load(): Promise<Current | undefined> {
      return await this.ctx.storage.get<Current>("current");
    }

    async #owned(releaseId: string): Promise<Current> {
      const current = await this.#load();
      if (!current || current.plan.id !== releaseId) {
        throw new HttpError(404, "not_found", "This mini program is not in that release");
      }
      return current;
    }

    /**
     * Stores `record` and arms the alarm for its next call; reports it to the coordinator unless
     * the coordinator itself asked (it takes the answer).
     */
    async #commit(current: Current, record: TargetRecord, report = true): Promise<TargetRecord> {
      const next: Current = { plan: current.plan, record, reported: !report };
      await this.ctx.storage.put("current", next);
      if (report) await this.#report(next);
      else await this.#arm(next);
      return record;
    }

    async #arm(current: Current): Promise<void> {
      const { plan, record } = current;
      const due = record.next_at !== null && nextAction(plan, record) !== null
        ? Date.parse(record.next_at)
        : null;
      const at = current.reported ? due : Math.min(due ?? Infinity, Date.now() + REPORT_RETRY_MS);
      if (at === null || at === Infinity) await this.ctx.storage.deleteAlarm();
      else if ((await this.ctx.storage.getAlarm()) !== at) await this.ctx.storage.setAlarm(at);
    }

    async #report(current: Current): Promise<void> {
      try {
        await releaseObject(this.#env(), current.plan.id).report(current.record);
        current.reported = true;
        await this.ctx.storage.put("current", current);
      } catch (err) {
        console.warn(`[wxopen] release report failed, retried: ${(err as Error).name}`);
      }
      await this.#arm(current);
    }

    /**
     * Admits this mini program into release `plan.id` (its slice of the plan). Answers `busy`
     * with the other release while one that has not settled (or still owes the withdrawal of
     * a cancelled audit) holds it; a repeated start of the same release answers the record as
     * it stands.
     */
    start(plan: ReleasePlan): Promise<RpcResult<StartAnswer>> {
      return capture("release start", async () => {
        const current = await this.#load();
        if (current && current.plan.id === plan.id) return { record: current.record };
        if (current && !isAtRest(current.plan, current.record)) {
          return { busy: current.plan.id };
        }
        const appid = plan.targets[0];
        const record = startTarget(plan, newTarget(appid, Date.now()), Date.now());
        const next: Current = { plan, record, reported: true };
        await this.ctx.storage.put("current", next);
        await this.#arm(next);
        return { record };
      });
    }

    /** One audit of the quota for this target (the coordinator asked `queryquota`). */
    grant(releaseId: string): Promise<RpcResult<TargetRecord>> {
      return capture("release grant", async () => {
        const current = await this.#owned(releaseId);
        const record = grantQuota(current.record, Date.now());
        return record === current.record ? record : await this.#commit(current, record, false);
      });
    }

    /** An audit verdict pushed by WeChat for this mini program. */
    audit(appid: string, event: AuditEvent): Promise<RpcResult<TargetRecord | null>> {
      return capture("release audit push", async () => {
        const current = await this.#load();
        if (!current || current.record.appid !== appid) return null;
        const record = applyAuditEvent(
          current.plan,
          current.record,
          event,
          Date.now(),
          machineOptions(this.#env()),
        );
        return record === current.record ? null : await this.#commit(current, record);
      });
    }

    /** Cancels this target of release `releaseId` (its alarm then withdraws an audit in flight). */
    cancel(releaseId: string): Promise<RpcResult<TargetRecord>> {
      return capture("release cancel", async () => {
        const current = await this.#owned(releaseId);
        const record = cancelTarget(current.record, Date.now());
        return record === current.record ? record : await this.#commit(current, record, false);
      });
    }

    /** Sends a failed, rejected or cancelled target on again. */
    retry(releaseId: string): Promise<RpcResult<TargetRecord>> {
      return capture("release retry", async () => {
        const current = await this.#owned(releaseId);
        const record = retryTarget(current.plan, current.record, Date.now());
        if (record === current.record) {
          throw new HttpError(409, "not_retryable", `The target is ${record.state}`);
        }
        return await this.#commit(current, record, false);
      });
    }

    /** Releases this audited target (a manual release). */
    release(releaseId: string): Promise<RpcResult<TargetRecord>> {
      return capture("release manual", async () => {
        const current = await this.#owned(releaseId);
        const record = releaseTarget(current.record, Date.now());
        if (record === current.record) {
          throw new HttpError(409, "not_audited", `The target is ${record.state}, not audited`);
        }
        return await this.#commit(current, record, false);
      });
    }

    /** The next call when it is due (one per alarm), then the alarm for the one after. */
    override async alarm(): Promise<void> {
      const current = await this.#load();
      if (!current) return;
      const { plan, record } = current;
      const now = Date.now();
      if (
        record.next_at === null || Date.parse(record.next_at) > now || !nextAction(plan, record)
      ) {
        // Woken only to report again (or early): report, re-arm.
        if (!current.reported) await this.#report(current);
        else await this.#arm(current);
        return;
      }
      const env = this.#env();
      const api = workerReleaseApi(runtimeFor(env, options.upstreamFetch));
      const next = await stepTarget(
        api,
        plan,
        record,
        Date.now,
        machineOptions(env),
        (marked) => this.ctx.storage.put("current", { plan, record: marked, reported: false }),
      );
      // A cancel, a retry or a push may have changed the record while the call was out: that
      // change wins (the next alarm goes on from it); the call is still counted.
      const latest = await this.#load();
      if (latest && latest.record.updated_at !== record.updated_at) {
        const adopted = next.auditid !== undefined && latest.record.auditid === undefined;
        await this.#commit(latest, {
          ...latest.record,
          calls: latest.record.calls + next.calls - record.calls,
          submits: latest.record.submits + next.submits - record.submits,
          ...(adopted ? { auditid: next.auditid } : {}),
          // Cancelled while its submit was out, which WeChat took: that audit is withdrawn too.
          ...(adopted && latest.record.state === "cancelled"
            ? { withdraw: true, stopped_in: "auditing", next_at: new Date().toISOString() }
            : {}),
        });
        return;
      }
      await this.#commit(current, next);
    }
  };
}

/** A `ReleaseTarget` object (the typed RPC surface of the `RELEASE_TARGETS` binding). */
export type ReleaseTarget = InstanceType<ReturnType<typeof releaseTargetClass>>;

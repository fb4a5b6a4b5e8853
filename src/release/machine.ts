/**
 * One target's release as a pure state machine: {@linkcode nextAction} says which WeChat call
 * the target needs now, {@linkcode applyOutcome} turns that call's outcome into the next
 * record, and the operator's and WeChat's events ({@linkcode startTarget},
 * {@linkcode grantQuota}, {@linkcode applyAuditEvent}, {@linkcode cancelTarget},
 * {@linkcode retryTarget}, {@linkcode releaseTarget}) are transitions too. Nothing here does I/O,
 * so the same machine runs in a Deno process and in a Durable Object.
 *
 * ```
 * pending → syncing → committing → waiting_quota → submitting → auditing → audited (manual)
 *                                                                        ↘ releasing → released | gray_released
 * terminal: released, gray_released, rejected, failed, cancelled
 * cancelled while auditing: wxa/undocodeaudit once (the `withdraw` flag), then at rest
 * ```
 *
 * Invariants kept here:
 * - a version is submitted for audit at most once per target: after a `submit_audit` whose
 *   outcome is unknown (timeout, network, 5xx), the target asks `get_latest_auditstatus` before
 *   it may submit again, and adopts the audit it finds for its version; 85009 (an audit already
 *   in flight) is adopted the same way;
 * - before it waits for quota a target asks `get_latest_auditstatus`: an audit of its version in
 *   flight or approved is adopted (no second submission, no quota spent), one of another version
 *   in flight fails it;
 * - quota exhaustion (85085) is waiting, not failure: the target goes back to `waiting_quota`;
 * - a fault (5xx, timeout, -1, 45011) is retried with exponential backoff, up to
 *   `maxAttempts` per step; WeChat's refusal of a step fails the target with WeChat's reason;
 * - a release whose outcome is unknown is verified with `getversioninfo` before it is repeated;
 *   a gray release (which `getversioninfo` does not show) with `getgrayreleaseplan`: done when a
 *   plan runs (status 1) at the planned share or more, otherwise gray-released again with
 *   backoff, failing after `maxAttempts` like the full release;
 * - cancelling a target whose audit is at WeChat withdraws it (`wxa/undocodeaudit`, faults
 *   retried with backoff up to `maxAttempts`; 87012, already decided, and 87013, withdrawals
 *   spent, are recorded as the reason): the cancelled record carries a `withdraw` flag while
 *   that call is owed. A retry of a target whose audit was withdrawn waits for quota to submit
 *   again; one whose audit could not be withdrawn polls that audit.
 *
 * @module
 */

import type { ReleasePlan } from "./plan.ts";

/** Every state a target can be in. */
export type TargetState =
  | "pending"
  | "syncing"
  | "committing"
  | "waiting_quota"
  | "submitting"
  | "auditing"
  | "audited"
  | "releasing"
  | "released"
  | "gray_released"
  | "rejected"
  | "failed"
  | "cancelled";

/** The states in their order along the way (for summaries and dashboards). */
export const TARGET_STATES: readonly TargetState[] = [
  "pending",
  "syncing",
  "committing",
  "waiting_quota",
  "submitting",
  "auditing",
  "audited",
  "releasing",
  "released",
  "gray_released",
  "rejected",
  "failed",
  "cancelled",
];

/** The states a target never leaves by itself. */
export const TERMINAL_STATES: readonly TargetState[] = [
  "released",
  "gray_released",
  "rejected",
  "failed",
  "cancelled",
];

/** True when `state` is terminal, or `audited` in a manual release (waiting for an operator). */
export function isSettled(state: TargetState, plan: Pick<ReleasePlan, "release">): boolean {
  return TERMINAL_STATES.includes(state) || (state === "audited" && plan.release === "manual");
}

/**
 * True when `record` makes no call by itself: settled (see {@linkcode isSettled}) and no
 * withdrawal of its audit owed.
 */
export function isAtRest(plan: Pick<ReleasePlan, "release">, record: TargetRecord): boolean {
  return isSettled(record.state, plan) && record.withdraw !== true;
}

/** The sync steps, in the order they run. */
export type SyncStep = "domains" | "webview_domains" | "privacy";

/** One target's progress (stored as JSON, snake_case, ISO-8601 times). */
export interface TargetRecord {
  /** The target mini program. */
  appid: string;
  /** Where the target stands. */
  state: TargetState;
  /** ISO-8601 time the target was created. */
  created_at: string;
  /** ISO-8601 time of its last change. */
  updated_at: string;
  /** When the target's next call is due (ISO-8601); `null` while it waits for an event. */
  next_at: string | null;
  /** Faults in a row in the current step. */
  attempt: number;
  /** Sync steps already done. */
  synced: SyncStep[];
  /** The audit of this version, once submitted or adopted. */
  auditid?: number;
  /** A `submit_audit` went out and its outcome is unknown: check before submitting again. */
  submit_unknown?: boolean;
  /**
   * Committed, not yet checked: before it waits for quota the target asks
   * `get_latest_auditstatus`, and adopts an audit of its version already in flight or approved.
   */
  precheck?: boolean;
  /** A sync call went out and its outcome is unknown (85017, nothing to change, is then done). */
  sync_unknown?: boolean;
  /** A release call succeeded or its outcome is unknown: verify with `getversioninfo`. */
  release_check?: boolean;
  /**
   * Cancelled while its audit was at WeChat: `wxa/undocodeaudit` is owed (cleared by its
   * outcome, whatever it is).
   */
  withdraw?: boolean;
  /** The state a failed or cancelled target was in (where a retry resumes). */
  stopped_in?: TargetState;
  /** Why the target failed, was rejected, is waiting or was delayed (never a secret). */
  reason?: string;
  /** WeChat's audit failure (or delay) reason, as WeChat wrote it. */
  audit_reason?: string;
  /** WeChat's `ScreenShot` media ids of a rejection (`|`-separated). */
  screenshot?: string;
  /** When its audit was submitted (or adopted). */
  submitted_at?: string;
  /** When WeChat approved its audit. */
  audited_at?: string;
  /** When its release was verified live. */
  released_at?: string;
  /** Upstream calls made for this target. */
  calls: number;
  /** `submit_audit` calls made for this target. */
  submits: number;
}

/** A call the target needs now. */
export type Action =
  | { kind: "sync"; step: SyncStep }
  | { kind: "commit" }
  | { kind: "submit_audit" }
  | { kind: "get_latest_auditstatus" }
  | { kind: "get_auditstatus"; auditid: number }
  | { kind: "release" }
  | { kind: "gray_release"; gray_percentage: number }
  | { kind: "get_gray_release_plan" }
  | { kind: "get_version_info" }
  | { kind: "undo_code_audit" };

/**
 * What a call came back with: WeChat's JSON, or a failure. A failure with an `errcode` is
 * WeChat's answer; one without is an exchange whose outcome is unknown (timeout, network, a
 * 5xx, a body that did not parse).
 */
export type Outcome =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; errcode?: number; retryable: boolean; message: string };

/** An audit verdict, from a `weapp_audit_*` push or from polling. */
export interface AuditEvent {
  /** `weapp_audit_success`, `weapp_audit_fail` or `weapp_audit_delay`. */
  event: "weapp_audit_success" | "weapp_audit_fail" | "weapp_audit_delay";
  /** WeChat's reason of a rejection or delay. */
  reason?: string;
  /** WeChat's `ScreenShot` media ids (`|`-separated). */
  screenshot?: string;
}

/** Timing of the machine. */
export interface MachineOptions {
  /** Seconds between two `get_auditstatus` polls of a target with no push. */
  pollSeconds: number;
  /** Backoff after the first fault of a step, milliseconds; doubles per fault. */
  backoffBaseMs: number;
  /** The longest backoff, milliseconds. */
  backoffMaxMs: number;
  /** Faults in a row after which a step fails the target. */
  maxAttempts: number;
}

/** Defaults of {@linkcode MachineOptions}. */
export const DEFAULT_MACHINE_OPTIONS: MachineOptions = {
  pollSeconds: 60,
  backoffBaseMs: 2_000,
  backoffMaxMs: 5 * 60_000,
  maxAttempts: 8,
};

/** errcode: an audit is already in flight for this mini program. */
export const ERR_AUDIT_IN_FLIGHT = 85009;
/** errcode: the platform's audit quota is spent. */
export const ERR_AUDIT_QUOTA = 85085;
/** errcode: the version is already released. */
export const ERR_ALREADY_RELEASED = 85052;
/** errcode of `modify_domain`: nothing to change (the lists are already as asked). */
export const ERR_NOTHING_CHANGED = 85017;

const SYNC_STEPS: readonly SyncStep[] = ["domains", "webview_domains", "privacy"];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A new target, `pending`. */
export function newTarget(appid: string, now: number): TargetRecord {
  return {
    appid,
    state: "pending",
    created_at: iso(now),
    updated_at: iso(now),
    next_at: null,
    attempt: 0,
    synced: [],
    calls: 0,
    submits: 0,
  };
}

function moved(
  record: TargetRecord,
  state: TargetState,
  now: number,
  dueInMs: number | null = 0,
): TargetRecord {
  return {
    ...record,
    state,
    attempt: state === record.state ? record.attempt : 0,
    updated_at: iso(now),
    next_at: dueInMs === null ? null : iso(now + dueInMs),
  };
}

function firstSync(plan: ReleasePlan, record: TargetRecord): SyncStep | undefined {
  return SYNC_STEPS.find((step) => plan.sync[step] !== undefined && !record.synced.includes(step));
}

/** Admits a `pending` target: it starts syncing (or committing when nothing is to sync). */
export function startTarget(plan: ReleasePlan, record: TargetRecord, now: number): TargetRecord {
  if (record.state !== "pending") return record;
  return moved(record, firstSync(plan, record) ? "syncing" : "committing", now);
}

/** Gives a `waiting_quota` target one audit of the quota: it may submit now. */
export function grantQuota(record: TargetRecord, now: number): TargetRecord {
  if (record.state !== "waiting_quota" || record.precheck) return record;
  const { reason: _reason, ...rest } = record;
  return moved(rest, "submitting", now);
}

/**
 * Cancels a target that has not settled. One whose audit is at WeChat owes its withdrawal
 * (`withdraw`: {@linkcode nextAction} answers `undo_code_audit`, due now).
 */
export function cancelTarget(record: TargetRecord, now: number, why = "cancelled"): TargetRecord {
  if (TERMINAL_STATES.includes(record.state)) return record;
  const withdraw = record.state === "auditing" && record.auditid !== undefined;
  return {
    ...moved(record, "cancelled", now, withdraw ? 0 : null),
    stopped_in: record.state,
    reason: why,
    ...(withdraw ? { withdraw: true } : {}),
  };
}

/**
 * Sends a failed, rejected or cancelled target on again: a failed or cancelled one resumes the
 * step it stopped in, a rejected one waits for quota to submit again (the operator fixed what
 * WeChat refused). Other states are left alone.
 */
export function retryTarget(plan: ReleasePlan, record: TargetRecord, now: number): TargetRecord {
  const { reason: _r, stopped_in, submit_unknown: _s, withdraw: _w, ...rest } = record;
  if (record.state === "rejected") {
    const { auditid: _a, audit_reason: _ar, screenshot: _sc, ...clean } = rest;
    return moved(clean, "waiting_quota", now, null);
  }
  if (record.state !== "failed" && record.state !== "cancelled") return record;
  const resume = stopped_in ?? "pending";
  // A submit that may have gone out is checked again before any new one.
  const back: TargetRecord = record.submit_unknown || resume === "submitting"
    ? { ...rest, submit_unknown: true }
    : rest;
  if (resume === "pending") return moved(back, "pending", now, null);
  if (resume === "waiting_quota") {
    return moved(back, "waiting_quota", now, back.precheck ? 0 : null);
  }
  if (resume === "audited") return moved(back, "audited", now, null);
  if (resume === "auditing" && back.auditid === undefined) {
    return moved(back, "submitting", now);
  }
  return startedAgain(plan, moved(back, resume, now));
}

function startedAgain(plan: ReleasePlan, record: TargetRecord): TargetRecord {
  if (record.state === "syncing" && !firstSync(plan, record)) {
    return { ...record, state: "committing" };
  }
  return record;
}

/** An operator's release of an `audited` target (manual releases). */
export function releaseTarget(record: TargetRecord, now: number): TargetRecord {
  if (record.state !== "audited") return record;
  return moved(record, "releasing", now);
}

/** The call `record` needs now, or `null` when it waits for an event or has settled. */
export function nextAction(plan: ReleasePlan, record: TargetRecord): Action | null {
  switch (record.state) {
    case "syncing": {
      const step = firstSync(plan, record);
      return step ? { kind: "sync", step } : { kind: "commit" };
    }
    case "committing":
      return { kind: "commit" };
    case "waiting_quota":
      return record.precheck ? { kind: "get_latest_auditstatus" } : null;
    case "cancelled":
      return record.withdraw ? { kind: "undo_code_audit" } : null;
    case "submitting":
      return record.submit_unknown ? { kind: "get_latest_auditstatus" } : { kind: "submit_audit" };
    case "auditing":
      return record.auditid === undefined
        ? { kind: "get_latest_auditstatus" }
        : { kind: "get_auditstatus", auditid: record.auditid };
    case "releasing":
      if (typeof plan.release === "object") {
        return record.release_check
          ? { kind: "get_gray_release_plan" }
          : { kind: "gray_release", gray_percentage: plan.release.gray_percentage };
      }
      return record.release_check ? { kind: "get_version_info" } : { kind: "release" };
    default:
      return null;
  }
}

/**
 * The record to store before `action`'s call goes out (a write-ahead mark): a submit or a
 * release interrupted by a crash or a deploy, its answer never seen, is then checked
 * (`get_latest_auditstatus`, `getversioninfo`, `getgrayreleaseplan`) rather than sent blindly
 * again.
 */
export function markInFlight(record: TargetRecord, action: Action): TargetRecord {
  if (action.kind === "submit_audit") return { ...record, submit_unknown: true };
  if (action.kind === "sync") return { ...record, sync_unknown: true };
  if (action.kind === "release" || action.kind === "gray_release") {
    return { ...record, release_check: true };
  }
  return record;
}

/** True when `record` has a call due at `now`. */
export function isDue(plan: ReleasePlan, record: TargetRecord, now: number): boolean {
  return record.next_at !== null && Date.parse(record.next_at) <= now &&
    nextAction(plan, record) !== null;
}

function backoffMs(options: MachineOptions, attempt: number): number {
  return Math.min(options.backoffBaseMs * 2 ** (attempt - 1), options.backoffMaxMs);
}

/** A fault: back off, or fail once the step's attempts are spent. */
function fault(
  record: TargetRecord,
  outcome: Extract<Outcome, { ok: false }>,
  now: number,
  options: MachineOptions,
  extra: Partial<TargetRecord> = {},
): TargetRecord {
  const attempt = record.attempt + 1;
  if (attempt >= options.maxAttempts) {
    return failed(
      { ...record, ...extra },
      `gave up after ${attempt} attempts: ${outcome.message}`,
      now,
    );
  }
  return {
    ...record,
    ...extra,
    attempt,
    updated_at: iso(now),
    next_at: iso(now + backoffMs(options, attempt)),
    reason: outcome.message,
  };
}

function failed(record: TargetRecord, reason: string, now: number): TargetRecord {
  return { ...moved(record, "failed", now, null), stopped_in: record.state, reason };
}

function refusal(outcome: Extract<Outcome, { ok: false }>): boolean {
  return outcome.errcode !== undefined && !outcome.retryable;
}

/** After the audit is approved: released by the machine, or left for the operator. */
function approved(plan: ReleasePlan, record: TargetRecord, now: number): TargetRecord {
  const at = { ...record, audited_at: iso(now) };
  delete at.reason;
  return plan.release === "manual" ? moved(at, "audited", now, null) : moved(at, "releasing", now);
}

function auditVerdict(
  plan: ReleasePlan,
  record: TargetRecord,
  status: number,
  reason: string | undefined,
  screenshot: string | undefined,
  now: number,
  options: MachineOptions,
): TargetRecord {
  switch (status) {
    case 0:
      return approved(plan, record, now);
    case 1:
      return {
        ...moved(record, "rejected", now, null),
        reason: "audit rejected",
        ...(reason ? { audit_reason: reason } : {}),
        ...(screenshot ? { screenshot } : {}),
      };
    case 3: {
      // Withdrawn (by hand, or by a cancel): a retry submits again, after waiting for quota.
      const out = {
        ...failed(record, "audit withdrawn", now),
        stopped_in: "waiting_quota" as const,
      };
      delete out.auditid;
      return out;
    }
    case 4:
      return {
        ...moved(record, "auditing", now, options.pollSeconds * 1000),
        reason: "audit delayed",
        ...(reason ? { audit_reason: reason } : {}),
      };
    default:
      return moved(record, "auditing", now, options.pollSeconds * 1000);
  }
}

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function strOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A target that waits for quota may need none: the audit it needs may exist already. */
function prechecked(
  plan: ReleasePlan,
  record: TargetRecord,
  outcome: Outcome,
  now: number,
  options: MachineOptions,
): TargetRecord {
  const wait = (r: TargetRecord): TargetRecord => {
    const out = { ...r, attempt: 0, updated_at: iso(now), next_at: null };
    delete out.precheck;
    return out;
  };
  // WeChat knows no audit of this mini program (85058): it waits for quota to submit.
  if (!outcome.ok) return refusal(outcome) ? wait(record) : fault(record, outcome, now, options);
  const auditid = num(outcome.body.auditid);
  const status = num(outcome.body.status);
  const version = strOf(outcome.body.user_version);
  const inFlight = status === 2 || status === 4;
  if (auditid !== undefined && version === plan.user_version && (inFlight || status === 0)) {
    const adopted = wait({ ...record, auditid, submitted_at: iso(now) });
    return auditVerdict(
      plan,
      { ...adopted, state: "auditing" },
      status!,
      strOf(outcome.body.reason),
      undefined,
      now,
      options,
    );
  }
  if (inFlight && version !== undefined && version !== plan.user_version) {
    return failed(wait(record), `another version (${version}) is under audit`, now);
  }
  return wait(record);
}

/**
 * The record after `action` came back with `outcome` at `now`. Pure: the caller stores the
 * result and runs the next action when `next_at` is due.
 */
export function applyOutcome(
  plan: ReleasePlan,
  record: TargetRecord,
  action: Action,
  outcome: Outcome,
  now: number,
  options: MachineOptions = DEFAULT_MACHINE_OPTIONS,
): TargetRecord {
  if (
    TERMINAL_STATES.includes(record.state) &&
    !(record.withdraw && action.kind === "undo_code_audit")
  ) {
    return record;
  }
  const counted: TargetRecord = {
    ...record,
    calls: record.calls + 1,
    submits: record.submits + (action.kind === "submit_audit" ? 1 : 0),
  };
  switch (action.kind) {
    case "sync": {
      // 85017 (nothing to change) after a call whose outcome was unknown: that call took effect.
      const unchanged = !outcome.ok && outcome.errcode === ERR_NOTHING_CHANGED &&
        (record.attempt > 0 || record.sync_unknown === true);
      if (!outcome.ok && !unchanged) {
        return refusal(outcome)
          ? failed(counted, `${action.step}: ${outcome.message}`, now)
          : fault(counted, outcome, now, options);
      }
      const next = { ...counted, synced: [...counted.synced, action.step], attempt: 0 };
      delete next.sync_unknown;
      return firstSync(plan, next)
        ? { ...next, updated_at: iso(now), next_at: iso(now) }
        : moved(next, "committing", now);
    }
    case "commit":
      if (!outcome.ok) {
        return refusal(outcome)
          ? failed(counted, `commit: ${outcome.message}`, now)
          : fault(counted, outcome, now, options);
      }
      return { ...moved(counted, "waiting_quota", now), precheck: true };
    case "submit_audit": {
      if (outcome.ok) {
        const auditid = num(outcome.body.auditid);
        const submitted = { ...counted, submitted_at: iso(now) };
        delete submitted.submit_unknown;
        if (auditid === undefined) {
          // Accepted without an id: find it through get_latest_auditstatus.
          return moved(submitted, "auditing", now);
        }
        return moved({ ...submitted, auditid }, "auditing", now, options.pollSeconds * 1000);
      }
      if (outcome.errcode === ERR_AUDIT_QUOTA) {
        return { ...moved(counted, "waiting_quota", now, null), reason: "audit quota spent" };
      }
      if (outcome.errcode === ERR_AUDIT_IN_FLIGHT) {
        return { ...counted, submit_unknown: true, updated_at: iso(now), next_at: iso(now) };
      }
      if (refusal(outcome)) return failed(counted, `submit_audit: ${outcome.message}`, now);
      // The submit may have reached WeChat: never send it again without checking.
      return fault(counted, outcome, now, options, { submit_unknown: true });
    }
    case "get_latest_auditstatus": {
      if (record.state === "waiting_quota") return prechecked(plan, counted, outcome, now, options);
      if (!outcome.ok) {
        if (!refusal(outcome)) return fault(counted, outcome, now, options);
        if (record.state === "auditing") {
          return failed(counted, `get_latest_auditstatus: ${outcome.message}`, now);
        }
        // WeChat knows no audit of this mini program: the unknown submit never reached it.
        const clear = { ...counted, attempt: 0, updated_at: iso(now), next_at: iso(now) };
        delete clear.submit_unknown;
        return clear;
      }
      const auditid = num(outcome.body.auditid);
      const status = num(outcome.body.status);
      const version = strOf(outcome.body.user_version);
      const ours = auditid !== undefined &&
        (version === undefined
          ? status === 2 || status === 4 || record.state === "auditing"
          : version === plan.user_version);
      if (!ours) {
        if (status === 2 || status === 4) {
          return failed(
            counted,
            `another version (${version ?? "unknown"}) is under audit`,
            now,
          );
        }
        if (record.state === "auditing") {
          return fault(
            counted,
            {
              ok: false,
              retryable: true,
              message: "submitted audit not found yet",
            },
            now,
            options,
          );
        }
        // Our submit never reached WeChat: submitting is safe.
        const clear = { ...counted, attempt: 0, updated_at: iso(now), next_at: iso(now) };
        delete clear.submit_unknown;
        return clear;
      }
      const adopted = { ...counted, auditid, submitted_at: counted.submitted_at ?? iso(now) };
      delete adopted.submit_unknown;
      return auditVerdict(
        plan,
        { ...adopted, state: "auditing" },
        status ?? 2,
        strOf(outcome.body.reason),
        strOf(outcome.body.ScreenShot) ?? strOf(outcome.body.screenshot),
        now,
        options,
      );
    }
    case "get_auditstatus": {
      if (!outcome.ok) {
        return refusal(outcome)
          ? failed(counted, `get_auditstatus: ${outcome.message}`, now)
          : fault(counted, outcome, now, options);
      }
      return auditVerdict(
        plan,
        { ...counted, attempt: 0 },
        num(outcome.body.status) ?? 2,
        strOf(outcome.body.reason),
        strOf(outcome.body.screenshot) ?? strOf(outcome.body.ScreenShot),
        now,
        options,
      );
    }
    case "release":
    case "gray_release": {
      if (outcome.ok || outcome.errcode === ERR_ALREADY_RELEASED) {
        // The attempt count goes on: WeChat answering ok to a release that never shows up live
        // must end after maxAttempts, not loop.
        return {
          ...counted,
          release_check: true,
          updated_at: iso(now),
          next_at: iso(now),
        };
      }
      const name = action.kind === "release" ? "release" : "grayrelease";
      if (refusal(outcome)) return failed(counted, `${name}: ${outcome.message}`, now);
      return fault(counted, outcome, now, options, { release_check: true });
    }
    case "get_gray_release_plan": {
      if (!outcome.ok) {
        return refusal(outcome)
          ? failed(counted, `getgrayreleaseplan: ${outcome.message}`, now)
          : fault(counted, outcome, now, options);
      }
      const share = typeof plan.release === "object" ? plan.release.gray_percentage : 100;
      const raw = outcome.body.gray_release_plan;
      const running = typeof raw === "object" && raw !== null ? raw as Record<string, unknown> : {};
      if (num(running.status) === 1 && (num(running.gray_percentage) ?? 0) >= share) {
        return live(counted, "gray_released", now);
      }
      return notLive(
        counted,
        `gray release of ${share}% not running after grayrelease`,
        now,
        options,
      );
    }
    case "undo_code_audit":
      return withdrawn(counted, outcome, now, options);
    case "get_version_info": {
      if (!outcome.ok) {
        return refusal(outcome)
          ? failed(counted, `getversioninfo: ${outcome.message}`, now)
          : fault(counted, outcome, now, options);
      }
      const info = outcome.body.release_info;
      const version = typeof info === "object" && info !== null
        ? strOf((info as Record<string, unknown>).release_version)
        : undefined;
      if (version === plan.user_version) {
        return live(
          counted,
          typeof plan.release === "object" ? "gray_released" : "released",
          now,
        );
      }
      return notLive(counted, `version ${plan.user_version} not live after release`, now, options);
    }
  }
}

/** A cancelled target after `undocodeaudit`: withdrawn, not withdrawable, or tried again. */
function withdrawn(
  record: TargetRecord,
  outcome: Outcome,
  now: number,
  options: MachineOptions,
): TargetRecord {
  const rest = (reason: string, extra: Partial<TargetRecord> = {}): TargetRecord => {
    const out = { ...record, ...extra, attempt: 0, updated_at: iso(now), next_at: null, reason };
    delete out.withdraw;
    return out;
  };
  if (outcome.ok) {
    // Nothing of that audit is left to poll: a retry waits for quota and submits again.
    const out = rest(`cancelled; audit ${record.auditid} withdrawn`, {
      stopped_in: "waiting_quota",
    });
    delete out.auditid;
    delete out.submitted_at;
    return out;
  }
  // 87012 (already decided), 87013 (withdrawals spent) and other refusals: WeChat's reason is
  // kept, nothing fails; a retry polls the audit.
  const attempt = record.attempt + 1;
  if (refusal(outcome) || attempt >= options.maxAttempts) {
    const gaveUp = refusal(outcome) ? "" : `gave up after ${attempt} attempts: `;
    return rest(`cancelled; audit not withdrawn: ${gaveUp}${outcome.message}`);
  }
  return {
    ...record,
    attempt,
    updated_at: iso(now),
    next_at: iso(now + backoffMs(options, attempt)),
    reason: `cancelled; withdrawing: ${outcome.message}`,
  };
}

/** A release verified live. */
function live(
  record: TargetRecord,
  state: "released" | "gray_released",
  now: number,
): TargetRecord {
  const done = { ...record, released_at: iso(now) };
  delete done.release_check;
  delete done.reason;
  return moved(done, state, now, null);
}

/** Not live after a release: release again (with backoff), or fail once attempts are spent. */
function notLive(
  record: TargetRecord,
  why: string,
  now: number,
  options: MachineOptions,
): TargetRecord {
  const again = { ...record, attempt: record.attempt + 1, updated_at: iso(now) };
  delete again.release_check;
  if (again.attempt >= options.maxAttempts) return failed(again, why, now);
  return { ...again, next_at: iso(now + backoffMs(options, again.attempt)) };
}

/**
 * The record after an audit verdict pushed by WeChat (`weapp_audit_*`). A push for a target
 * that is not auditing changes nothing (late, duplicated or about another submission).
 */
export function applyAuditEvent(
  plan: ReleasePlan,
  record: TargetRecord,
  event: AuditEvent,
  now: number,
  options: MachineOptions = DEFAULT_MACHINE_OPTIONS,
): TargetRecord {
  if (record.state !== "auditing" || record.auditid === undefined) return record;
  const status = event.event === "weapp_audit_success"
    ? 0
    : event.event === "weapp_audit_fail"
    ? 1
    : 4;
  return auditVerdict(plan, record, status, event.reason, event.screenshot, now, options);
}

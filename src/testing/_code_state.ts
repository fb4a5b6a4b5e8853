/**
 * What the simulated WeChat remembers of mini-program code: per account the experience
 * version, its audits, the online version and its history, the gray release plan; for the
 * platform the monthly audit and speed-up quota its mini programs share. Audits end on the
 * simulator's clock: {@linkcode CodeStore.due} hands out the audits whose time has come.
 *
 * @module
 */

/** One committed version. */
export interface CodeVersion {
  /** Sequence number (the history's `app_version`). */
  appVersion: number;
  templateId: number | string;
  extJson: string;
  userVersion: string;
  userDesc: string;
  /** Milliseconds on the simulator's clock. */
  committedAt: number;
}

/**
 * How an audit ends: passes, fails with a reason, or is delayed (then decided again). The object
 * forms take `push: false` for a verdict WeChat never delivers (a missed push: only
 * `get_auditstatus` tells).
 */
export type AuditOutcome =
  | "success"
  | "delay"
  | { status: "success"; push?: boolean }
  | { status: "fail"; reason?: string; screenshot?: string; push?: boolean }
  | { status: "delay"; reason?: string; push?: boolean };

/** One audit. */
export interface AuditRecord {
  auditid: number;
  version: CodeVersion;
  /** 0 passed, 1 rejected, 2 under review, 3 withdrawn, 4 delayed. */
  status: 0 | 1 | 2 | 3 | 4;
  submittedAt: number;
  /** When the review decides (milliseconds); only while status is 2 or 4. */
  endsAt: number;
  reason?: string;
  screenshot?: string;
  /** The outcome chosen for it ({@linkcode CodeStore.outcomes} at submission, or later). */
  outcome?: AuditOutcome;
  speedup: boolean;
  /** Whether this audited version went online. */
  released: boolean;
}

/** A gray release plan. */
export interface GrayPlan {
  /** 1 running, 3 done, 4 deleted. */
  status: number;
  createdAt: number;
  percentage: number;
  debugerFirst: boolean;
  experiencerFirst: boolean;
}

/** One online version. */
export interface Release {
  version: CodeVersion;
  releasedAt: number;
}

/** Per mini program. */
export interface AccountCode {
  nextAppVersion: number;
  experience?: CodeVersion;
  audits: AuditRecord[];
  online?: Release;
  /** Earlier online versions, oldest first (revertcoderelease goes back to the last). */
  history: Release[];
  /** The release that a revert replaced cannot be reverted to again. */
  reverted: boolean;
  gray?: GrayPlan;
  visitStatus: "open" | "close";
  supportVersion: string;
  media: Map<string, { type: string; size: number }>;
  /** Withdrawals: this month's (`used`) and today's (`today`), China time. */
  undos: { month: number; used: number; day: number; today: number };
}

/** Settings of the code lifecycle (see `WeChatSimulatorOptions`). */
export interface CodeConfig {
  /** How long an audit takes, milliseconds (default one hour). */
  auditDelayMs: number;
  /** How long a sped-up audit takes (default a tenth of `auditDelayMs`). */
  speedupDelayMs?: number;
  /** Audits per month for the whole platform (default 20). */
  auditQuota: number;
  /** Speed-ups per month (default 1). */
  speedupQuota: number;
  /** Withdrawals per mini program per month (WeChat: 10). */
  undoMonthlyLimit: number;
  /** Withdrawals per mini program per day (WeChat: 5). */
  undoDailyLimit: number;
}

/** The default reason of a failed audit (status 1). */
export const DEFAULT_FAIL_REASON = "小程序内容不符合规范 (simulated rejection)";
/** The default reason of a delayed audit (status 4). */
export const DEFAULT_DELAY_REASON = "审核延后 (simulated delay)";

/** The code state of every account and the platform's audit quota. */
export class CodeStore {
  readonly accounts = new Map<string, AccountCode>();
  /** Outcome per appid for its current or next audit. */
  readonly outcomes = new Map<string, AuditOutcome>();
  config: CodeConfig = {
    auditDelayMs: 3600_000,
    auditQuota: 20,
    speedupQuota: 1,
    undoMonthlyLimit: 10,
    undoDailyLimit: 5,
  };
  #quota = { month: -1, audits: 0, speedups: 0 };
  #earliest = Infinity;
  #nextAuditId = 420_000_000 + Math.floor(Math.random() * 10_000_000);

  /** The code state of `appId`, created empty. */
  of(appId: string): AccountCode {
    let code = this.accounts.get(appId);
    if (!code) {
      code = {
        nextAppVersion: 1,
        audits: [],
        history: [],
        reverted: false,
        visitStatus: "open",
        supportVersion: "2.20.0",
        media: new Map(),
        undos: { month: -1, used: 0, day: -1, today: 0 },
      };
      this.accounts.set(appId, code);
    }
    return code;
  }

  newAuditId(): number {
    return this.#nextAuditId++;
  }

  /** This month's quota use (a new month starts from zero). */
  quota(month: number): { audits: number; speedups: number } {
    if (this.#quota.month !== month) this.#quota = { month, audits: 0, speedups: 0 };
    return this.#quota;
  }

  /** The audit under review (status 2 or 4) of `appId`, if any. */
  inFlight(appId: string): AuditRecord | undefined {
    const last = this.accounts.get(appId)?.audits.at(-1);
    return last && (last.status === 2 || last.status === 4) ? last : undefined;
  }

  /** Notes that an audit decides at `endsAt` (so {@linkcode CodeStore.due} looks again then). */
  schedule(endsAt: number): void {
    this.#earliest = Math.min(this.#earliest, endsAt);
  }

  /**
   * Every audit whose review decides at or before `now`, oldest first, with its appid. Runs
   * before every simulated request, so it returns at once until the earliest audit is due.
   */
  due(now: number): { appId: string; audit: AuditRecord }[] {
    if (now < this.#earliest) return [];
    const out: { appId: string; audit: AuditRecord }[] = [];
    let earliest = Infinity;
    for (const [appId, code] of this.accounts) {
      const last = code.audits.at(-1);
      if (!last || (last.status !== 2 && last.status !== 4)) continue;
      if (last.endsAt <= now) out.push({ appId, audit: last });
      else earliest = Math.min(earliest, last.endsAt);
    }
    this.#earliest = earliest;
    return out.sort((a, b) => a.audit.endsAt - b.audit.endsAt);
  }
}

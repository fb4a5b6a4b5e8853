/**
 * What the simulated WeChat remembers of ICP filing (小程序备案): per mini program its filing
 * (status, the application under review, the rejection reasons, the filed order), its face
 * verification tasks and its uploaded media. Reviews and verifications end on the simulator's
 * clock: {@linkcode IcpStore.dueFilings} and {@linkcode IcpStore.dueTasks} hand out those whose
 * time has come. 小程序认证 (`wxa/sec/*`) keeps its tasks in {@linkcode WxVerifyStore}.
 *
 * @module
 */

/** How a filing's review ends: filed, or rejected by the platform or by MIIT (管局). */
export type IcpFilingOutcome =
  | "approved"
  | {
    status: "rejected";
    /** Who rejects: the platform's review (status 3, default) or MIIT's (status 5). */
    by?: "platform" | "miit";
    /** The reasons `get_icp_entrance_info` answers (default one simulated reason). */
    audit_data?: { key_name: string; error: string; suggest: string }[];
  };

/** How a face verification ends. */
export type IcpVerifyOutcome = "passed" | "failed";

/** One face verification task (`create_icp_verifytask`). */
export interface IcpVerifyTask {
  taskId: string;
  appId: string;
  alongWithAuth: boolean;
  /** Milliseconds on the simulator's clock. */
  createdAt: number;
  /** When the administrator's verification ends. */
  endsAt: number;
  /** When the task id stops being accepted by `apply_icp_filing` (1 day with 认证, else 3). */
  expiresAt: number;
  /** 0 not started, 1 waiting, 2 failed, 3 passed. */
  faceStatus: 0 | 1 | 2 | 3;
  finished: boolean;
}

/** Per mini program. */
export interface AccountIcp {
  /** `get_icp_entrance_info`'s status: 2, 3, 4, 5, 6 or 1024. */
  status: number;
  /** The status to go back to when the application is withdrawn. */
  before: number;
  /** The application under review or filed. */
  application?: Record<string, unknown>;
  /** When the current review stage (status 2 or 4) ends. */
  endsAt: number;
  auditData?: { key_name: string; error: string; suggest: string }[];
  canceling: boolean;
  media: Map<
    string,
    { type: string; field: string; certificateType?: number; createdAt: number; blob: Blob }
  >;
}

/** Settings of the filing lifecycle. */
export interface IcpConfig {
  /** How long each review stage (platform, then MIIT) takes, milliseconds (default 30 minutes). */
  reviewDelayMs: number;
  /** How long the administrator takes to verify their face (default ten minutes). */
  verifyDelayMs: number;
}

/** The default reason of a rejected filing. */
export const DEFAULT_ICP_REJECTION = {
  key_name: "小程序名称",
  error: "名称不符合规范 (simulated rejection)",
  suggest: "请修改小程序名称后重新提交",
};

/** The ICP state of every mini program. */
export class IcpStore {
  readonly accounts = new Map<string, AccountIcp>();
  readonly tasks = new Map<string, IcpVerifyTask>();
  /** Outcome per appid of its next (or current) filing review. */
  readonly outcomes = new Map<string, IcpFilingOutcome>();
  /** Outcome per appid of its next (or current) face verification. */
  readonly verifyOutcomes = new Map<string, IcpVerifyOutcome>();
  config: IcpConfig = { reviewDelayMs: 1800_000, verifyDelayMs: 600_000 };

  /** The filing state of `appId`, created unfiled. */
  of(appId: string): AccountIcp {
    let icp = this.accounts.get(appId);
    if (!icp) {
      icp = { status: 1024, before: 1024, endsAt: 0, canceling: false, media: new Map() };
      this.accounts.set(appId, icp);
    }
    return icp;
  }

  /** Every filing whose review stage ends at or before `now`, oldest first. */
  dueFilings(now: number): { appId: string; icp: AccountIcp }[] {
    return [...this.accounts].filter(([, a]) =>
      (a.status === 2 || a.status === 4) && a.endsAt <= now
    )
      .sort(([, a], [, b]) => a.endsAt - b.endsAt).map(([appId, icp]) => ({ appId, icp }));
  }

  /** Every face verification that ends at or before `now`, oldest first. */
  dueTasks(now: number): IcpVerifyTask[] {
    return [...this.tasks.values()].filter((t) => !t.finished && t.endsAt <= now)
      .sort((a, b) => a.endsAt - b.endsAt);
  }
}

// ---- 认证 (wxa/sec) ------------------------------------------------------------------------

/** How a verification's review ends. */
export type WxVerifyOutcome =
  | "approved"
  | { status: "refill"; reason?: string }
  | { status: "failed"; reason?: string };

/** One verification task. */
export interface WxVerifyTask {
  taskid: string;
  appId: string;
  orderid: number;
  taskStatus: number;
  applyStatus: number;
  /** When the current step ends (milliseconds); `Infinity` once decided. */
  endsAt: number;
  refillReason?: string;
  failReason?: string;
  authData: Record<string, unknown>;
}

/** One 认证-and-filing procedure (`wxa/sec/submit_auth_and_icp`). */
export interface AuthAndIcpProcedure {
  procedureId: string;
  appId: string;
  orderid: number;
  /** `procedure_status` (15 … 26). */
  status: number;
  /** When the current step ends (milliseconds); `Infinity` once ended. */
  endsAt: number;
  payType: number;
  refillReason?: string;
  failReason?: string;
  application: Record<string, unknown>;
}

/** What the simulator remembers of 认证. */
export class WxVerifyStore {
  readonly tasks = new Map<string, WxVerifyTask>();
  readonly procedures = new Map<string, AuthAndIcpProcedure>();
  readonly media = new Map<string, { appId: string; size: number }>();
  /** Outcome per appid of its next review. */
  readonly outcomes = new Map<string, WxVerifyOutcome>();
  /** How long each step (the administrator's checks, then the review) takes. */
  delayMs = 1800_000;
  #nextOrder = 160_000_000;

  newOrderId(): number {
    return this.#nextOrder++;
  }

  dueProcedures(now: number): AuthAndIcpProcedure[] {
    return [...this.procedures.values()].filter((p) => p.endsAt <= now).sort((a, b) =>
      a.endsAt - b.endsAt
    );
  }

  due(now: number): WxVerifyTask[] {
    return [...this.tasks.values()].filter((t) => t.endsAt <= now).sort((a, b) =>
      a.endsAt - b.endsAt
    );
  }
}

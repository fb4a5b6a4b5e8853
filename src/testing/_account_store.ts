/**
 * What the simulated WeChat remembers of an authorizer's profile beyond `Account` (whose
 * `nickName` and `signature` the profile APIs update): head image, change budgets, name
 * audits, categories and search status; and WeChat's category tree (the simulator's own small
 * tree: its ids are not WeChat's).
 *
 * @module
 */

/** One node of the simulated category tree. */
export interface CategoryDef {
  id: number;
  name: string;
  level: 1 | 2;
  father: number;
  /** 1: needs a qualification certificate, and an audit. */
  sensitive_type: 0 | 1;
}

const FIRST: [number, string][] = [[1, "工具"], [10, "生活服务"], [20, "物流服务"], [
  30,
  "教育",
], [40, "旅游服务"]];
const SECOND: [number, number, string, 0 | 1][] = [
  [2, 1, "信息查询", 0],
  [3, 1, "办公", 0],
  [11, 10, "丽人服务", 0],
  [12, 10, "家政服务", 0],
  [21, 20, "查件", 0],
  [22, 20, "收件", 0],
  [31, 30, "在线教育", 1],
  [41, 40, "旅游资讯", 0],
  [4, 1, "天气", 0],
  [5, 1, "计算器", 0],
  [6, 1, "记账", 0],
  [7, 1, "备忘录", 0],
  [8, 1, "日历", 0],
  [9, 1, "翻译", 0],
  [13, 10, "婚庆服务", 0],
  [14, 10, "洗浴保健", 0],
  [15, 10, "宠物", 0],
  [16, 10, "搬家公司", 0],
  [17, 10, "维修", 0],
  [23, 20, "仓储", 0],
  [24, 20, "快递柜", 0],
  [32, 30, "培训机构", 1],
  [42, 40, "酒店服务", 0],
  [43, 40, "景区服务", 0],
];

/** The simulated category tree, first levels then second levels. */
export const CATEGORY_TREE: readonly CategoryDef[] = [
  ...FIRST.map(([id, name]): CategoryDef => ({ id, name, level: 1, father: 0, sensitive_type: 0 })),
  ...SECOND.map(([id, father, name, sensitive_type]): CategoryDef => ({
    id,
    name,
    level: 2,
    father,
    sensitive_type,
  })),
];

/** One of an account's categories. */
export interface AccountCategory {
  first: number;
  second: number;
  /** 1 under review, 2 rejected, 3 approved. */
  audit_status: 1 | 2 | 3;
  audit_reason: string;
  certicates: { key: string; value: string }[];
}

/** A name audit. */
export interface NicknameAudit {
  audit_id: number;
  nickname: string;
  /** Milliseconds on the simulator's clock. */
  createdAt: number;
  /** When it is approved unless decided before. */
  endsAt: number;
  /** Set once decided (approved names are then the account's). */
  decision?: { approved: boolean; reason: string; at: number };
}

/** A budget that renews every month (China Standard Time). */
export interface MonthlyCount {
  month: number;
  used: number;
}

/** One account's profile state. */
export interface AccountProfile {
  headImageMediaId?: string;
  headImageUrl?: string;
  signatureChanges: MonthlyCount;
  headImageChanges: MonthlyCount;
  categoryChanges: MonthlyCount;
  nicknameChanges: number;
  audits: Map<number, NicknameAudit>;
  categories: AccountCategory[];
  /** 0 found by search, 1 hidden. */
  searchStatus: 0 | 1;
}

/** Every account's profile state. */
export class AccountProfileStore {
  readonly #profiles = new Map<string, AccountProfile>();
  #nextAudit = 1;

  of(appId: string): AccountProfile {
    let p = this.#profiles.get(appId);
    if (!p) {
      p = {
        signatureChanges: { month: -1, used: 0 },
        headImageChanges: { month: -1, used: 0 },
        categoryChanges: { month: -1, used: 0 },
        nicknameChanges: 0,
        audits: new Map(),
        categories: [],
        searchStatus: 0,
      };
      this.#profiles.set(appId, p);
    }
    return p;
  }

  nextAuditId(): number {
    return this.#nextAudit++;
  }
}

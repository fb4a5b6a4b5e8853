/**
 * The simulated routes of an authorizer's basic information and a mini program's categories
 * (`cgi-bin/account/*`, `wxa/setnickname` …, `cgi-bin/wxopen/*category*`, search status).
 *
 * WeChat's rules as simulated:
 * - `getaccountbasicinfo` and `checkwxverifynickname` answer Official Accounts too; the others
 *   are mini-program APIs (48001 for an Official Account);
 * - a name is 3–30 characters, a CJK character counting two, of CJK, letters, digits, spaces
 *   and `+-·`, without 小程序 (91004); another account's name is taken (91007); a name with
 *   官方, 旗舰 or 中国 needs proof (`license` or `id_card`, else 91009) and an audit that
 *   approves it after an hour of simulator time unless `WeChatSimulator.endNicknameAudit`
 *   decides it before (`audit_id`; 91003 while one is running); the verdict is pushed to the
 *   message URL as `wxa_nickname_audit` (`ret` 3 approved, 2 rejected); other names are set
 *   at once;
 * - the introduction is 4–120 characters (53204), 5 changes a month (53200), no 赌博 (53201);
 *   the head image 5 changes a month (53202);
 * - categories come from the simulator's own tree; a second level under its first (53303),
 *   not twice (53304), at most 20 (53301), 5 added a month (53300); a sensitive category
 *   needs certificates (53311) and stays under review until `WeChatSimulator.auditCategory`;
 *   only a rejected one can be modified (53307), one under review not deleted (53308).
 * Not simulated: media ids (any is taken).
 *
 * @module
 */

import { accountApis } from "../api/account.ts";
import { ApiFailure, OK } from "./_errors.ts";
import type { Account, Model } from "./_state.ts";
import type { ApiHooks, Ctx, Json, Route } from "./_route.ts";
import { serve, str } from "./_route.ts";
import {
  type AccountCategory,
  type AccountProfile,
  CATEGORY_TREE,
  type CategoryDef,
  type MonthlyCount,
  type NicknameAudit,
} from "./_account_store.ts";

const SIGNATURE_MONTHLY = 5;
const HEAD_IMAGE_MONTHLY = 5;
const NICKNAME_QUOTA = 2;
/** Categories that may be added a month (`limit` of getcategory). */
const CATEGORY_MONTHLY = 5;
/** Categories an account may have (`category_limit`). */
const CATEGORY_LIMIT = 20;
/** How long a name audit takes on the simulator's clock. */
export const NICKNAME_AUDIT_MS = 3600_000;
const NEEDS_PROOF = ["官方", "旗舰", "中国"];
const NAME_CHARS = /^[\u4e00-\u9fa5A-Za-z0-9 +\-·]+$/u;
const CST_OFFSET_MS = 8 * 3600_000;

function month(nowMs: number): number {
  const d = new Date(nowMs + CST_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Counts `n` changes against a monthly budget, or throws `errcode` when they do not fit. */
function spend(ctx: Ctx, count: MonthlyCount, limit: number, errcode: number, n = 1): void {
  const m = month(ctx.model.now());
  if (count.month !== m) Object.assign(count, { month: m, used: 0 });
  if (count.used + n > limit) throw new ApiFailure(errcode);
  count.used += n;
}

function usedThisMonth(ctx: Ctx, count: MonthlyCount): number {
  return count.month === month(ctx.model.now()) ? count.used : 0;
}

function accountOf(ctx: Ctx): { account: Account; profile: AccountProfile } {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  return { account, profile: ctx.model.profiles.of(account.appId) };
}

function miniProgram(ctx: Ctx): { account: Account; profile: AccountProfile } {
  const found = accountOf(ctx);
  if (found.account.kind !== "mini_program") throw new ApiFailure(48001);
  return found;
}

/**
 * Decides a name audit: an approved name becomes the account's; the verdict is pushed to the
 * authorizer's message URL (`wxa_nickname_audit`, `ret` 3 approved or 2 rejected).
 */
export function decideNicknameAudit(
  model: Model,
  hooks: ApiHooks,
  appId: string,
  audit: NicknameAudit,
  verdict: { approved: boolean; reason?: string; at: number },
): void {
  const reason = verdict.approved ? "" : verdict.reason ?? "名称不符合命名规则";
  audit.decision = { approved: verdict.approved, reason, at: verdict.at };
  const account = model.accounts.get(appId);
  if (verdict.approved && account) account.nickName = audit.nickname;
  hooks.authorizerPush(appId, {
    Event: "wxa_nickname_audit",
    ret: verdict.approved ? "3" : "2",
    nickname: audit.nickname,
    reason,
  });
}

function nameWeight(name: string): number {
  let n = 0;
  for (const ch of name) n += /[\u4e00-\u9fa5]/u.test(ch) ? 2 : 1;
  return n;
}

function validName(name: string | undefined): name is string {
  if (name === undefined || name.includes("小程序") || !NAME_CHARS.test(name)) return false;
  const weight = nameWeight(name);
  return weight >= 3 && weight <= 30;
}

function takenByOther(ctx: Ctx, appId: string, name: string): boolean {
  for (const a of ctx.model.accounts.values()) {
    if (a.appId !== appId && a.nickName === name) return true;
  }
  return false;
}

function needsProof(name: string): boolean {
  return NEEDS_PROOF.some((k) => name.includes(k));
}

function headImageUrl(account: Account, profile: AccountProfile): string {
  return profile.headImageUrl ?? `http://wx.qlogo.cn/mmopen/sim_${account.appId}/0`;
}

function node(def: CategoryDef): Json {
  const out: Json = {
    id: def.id,
    name: def.name,
    level: def.level,
    father: def.father,
    children: CATEGORY_TREE.filter((c) => c.father === def.id && c.level > def.level).map((c) =>
      c.id
    ),
    sensitive_type: def.sensitive_type,
  };
  if (def.sensitive_type === 1) {
    out.qualify = { exter_list: [{ inner_list: [{ name: "相关资质证书", url: "" }] }] };
  }
  return out;
}

function categoryDef(first: unknown, second: unknown): [CategoryDef, CategoryDef] {
  const f = CATEGORY_TREE.find((c) => c.level === 1 && c.id === first);
  const s = CATEGORY_TREE.find((c) => c.level === 2 && c.id === second);
  if (!f || !s || s.father !== f.id) throw new ApiFailure(53303);
  return [f, s];
}

function certificates(value: unknown): { key: string; value: string }[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ApiFailure(53303);
  return value.map((c) => {
    const key = str((c as Json)?.key);
    const v = str((c as Json)?.value);
    if (key === undefined || v === undefined) throw new ApiFailure(53303);
    return { key, value: v };
  });
}

function findCategory(profile: AccountProfile, first: unknown, second: unknown): AccountCategory {
  const found = profile.categories.find((c) => c.first === first && c.second === second);
  if (!found) throw new ApiFailure(53303);
  return found;
}

/** The routes of this area, in the simulator's table. */
export const accountRoutes: Route[] = [
  serve(accountApis.getAccountBasicInfo, (ctx) => {
    const { account, profile } = accountOf(ctx);
    const verified = account.verifyTypeId !== -1;
    return {
      ...OK,
      appid: account.appId,
      account_type: account.kind === "mini_program" ? 2 : 1,
      principal_type: 1,
      principal_name: account.principalName,
      realname_status: 1,
      wx_verify_info: { qualification_verify: verified, naming_verify: verified },
      signature_info: {
        signature: account.signature,
        modify_used_count: usedThisMonth(ctx, profile.signatureChanges),
        modify_quota: SIGNATURE_MONTHLY,
      },
      head_image_info: {
        head_image_url: headImageUrl(account, profile),
        modify_used_count: usedThisMonth(ctx, profile.headImageChanges),
        modify_quota: HEAD_IMAGE_MONTHLY,
      },
      nickname_info: {
        nickname: account.nickName,
        modify_used_count: profile.nicknameChanges,
        modify_quota: NICKNAME_QUOTA,
      },
      nickname: account.nickName,
      registered_country: 0,
    };
  }),
  serve(accountApis.setNickname, (ctx) => {
    const { account, profile } = miniProgram(ctx);
    const name = str(ctx.body.nick_name)?.trim();
    if (!validName(name)) throw new ApiFailure(91004);
    if (takenByOther(ctx, account.appId, name)) throw new ApiFailure(91007);
    if ([...profile.audits.values()].some((a) => !a.decision)) throw new ApiFailure(91003);
    if (needsProof(name)) {
      if (str(ctx.body.license) === undefined && str(ctx.body.id_card) === undefined) {
        throw new ApiFailure(91009);
      }
      const now = ctx.model.now();
      const audit_id = ctx.model.profiles.nextAuditId();
      const audit: NicknameAudit = {
        audit_id,
        nickname: name,
        createdAt: now,
        endsAt: now + NICKNAME_AUDIT_MS,
      };
      profile.audits.set(audit_id, audit);
      // Approved when its time comes, unless `endNicknameAudit` decided it first.
      ctx.model.schedule(audit.endsAt, () => {
        if (audit.decision) return;
        decideNicknameAudit(ctx.model, ctx.hooks, account.appId, audit, {
          approved: true,
          at: audit.endsAt,
        });
      });
      profile.nicknameChanges++;
      return { ...OK, wording: "名称需审核，审核结果将推送到消息与事件接收URL", audit_id };
    }
    account.nickName = name;
    profile.nicknameChanges++;
    return { ...OK, wording: "" };
  }),
  serve(accountApis.apiWxaQueryNickname, (ctx) => {
    const { profile } = miniProgram(ctx);
    const id = typeof ctx.body.audit_id === "string"
      ? Number(ctx.body.audit_id)
      : ctx.body.audit_id;
    const audit = typeof id === "number" ? profile.audits.get(id) : undefined;
    if (!audit) throw new ApiFailure(91011);
    const decision = audit.decision;
    const out: Json = {
      ...OK,
      nickname: audit.nickname,
      audit_stat: decision === undefined ? 1 : decision.approved ? 3 : 2,
      fail_reason: decision?.reason ?? "",
      create_time: Math.floor(audit.createdAt / 1000),
    };
    if (decision) out.audit_time = Math.floor(decision.at / 1000);
    return out;
  }),
  serve(accountApis.checkWxVerifyNickname, (ctx) => {
    const { account } = accountOf(ctx);
    const name = str(ctx.body.nick_name)?.trim();
    if (!validName(name)) return { ...OK, hit_condition: true, wording: "名称不符合规则" };
    if (takenByOther(ctx, account.appId, name)) {
      return { ...OK, hit_condition: true, wording: "该名称已被占用" };
    }
    if (needsProof(name)) {
      return { ...OK, hit_condition: true, wording: "名称包含关键词，需提交证明材料" };
    }
    return { ...OK, hit_condition: false, wording: "" };
  }),
  serve(accountApis.modifyHeadImage, (ctx) => {
    const { account, profile } = miniProgram(ctx);
    const media = str(ctx.body.head_img_media_id);
    if (media === undefined) throw new ApiFailure(41006);
    const box = ["x1", "y1", "x2", "y2"].map((k) => ctx.body[k]);
    if (box.some((x) => typeof x !== "number" || !(x >= 0 && x <= 1))) {
      throw new ApiFailure(40097);
    }
    const [x1, y1, x2, y2] = box as number[];
    if (x1 >= x2 || y1 >= y2) throw new ApiFailure(40097);
    spend(ctx, profile.headImageChanges, HEAD_IMAGE_MONTHLY, 53202);
    profile.headImageMediaId = media;
    profile.headImageUrl =
      `http://wx.qlogo.cn/mmopen/sim_${account.appId}_${profile.headImageChanges.used}/0`;
    return OK;
  }),
  serve(accountApis.modifySignature, (ctx) => {
    const { account, profile } = miniProgram(ctx);
    const signature = ctx.body.signature;
    if (typeof signature !== "string") throw new ApiFailure(53204);
    const length = [...signature.trim()].length;
    if (length < 4 || length > 120) throw new ApiFailure(53204);
    if (signature.includes("赌博")) throw new ApiFailure(53201);
    spend(ctx, profile.signatureChanges, SIGNATURE_MONTHLY, 53200);
    account.signature = signature;
    return OK;
  }),
  serve(accountApis.getAllCategories, (ctx) => {
    miniProgram(ctx);
    const root: Json = {
      id: 0,
      name: "",
      level: 0,
      father: 0,
      children: CATEGORY_TREE.filter((c) => c.level === 1).map((c) => c.id),
      sensitive_type: 0,
    };
    return { ...OK, categories_list: { categories: [root, ...CATEGORY_TREE.map(node)] } };
  }),
  serve(accountApis.addCategory, (ctx) => {
    const { profile } = miniProgram(ctx);
    const list = ctx.body.categories;
    if (!Array.isArray(list) || list.length === 0) throw new ApiFailure(53303);
    const added: AccountCategory[] = [];
    for (const item of list as Json[]) {
      const [f, s] = categoryDef(item?.first, item?.second);
      const dup = (c: AccountCategory) => c.first === f.id && c.second === s.id;
      if (profile.categories.some(dup) || added.some(dup)) throw new ApiFailure(53304);
      const certicates = certificates(item.certicates);
      if (s.sensitive_type === 1 && certicates.length === 0) throw new ApiFailure(53311);
      added.push({
        first: f.id,
        second: s.id,
        audit_status: s.sensitive_type === 1 ? 1 : 3,
        audit_reason: "",
        certicates,
      });
    }
    if (profile.categories.length + added.length > CATEGORY_LIMIT) throw new ApiFailure(53301);
    spend(ctx, profile.categoryChanges, CATEGORY_MONTHLY, 53300, added.length);
    profile.categories.push(...added);
    return OK;
  }),
  serve(accountApis.deleteCategory, (ctx) => {
    const { profile } = miniProgram(ctx);
    const found = findCategory(profile, ctx.body.first, ctx.body.second);
    if (found.audit_status === 1) throw new ApiFailure(53308);
    profile.categories = profile.categories.filter((c) => c !== found);
    return OK;
  }),
  serve(accountApis.getSettingCategories, (ctx) => {
    const { profile } = miniProgram(ctx);
    const name = (id: number) => CATEGORY_TREE.find((c) => c.id === id)?.name ?? "";
    return {
      ...OK,
      categories: profile.categories.map((c) => ({
        first: c.first,
        first_name: name(c.first),
        second: c.second,
        second_name: name(c.second),
        audit_status: c.audit_status,
        audit_reason: c.audit_reason,
      })),
      limit: CATEGORY_MONTHLY,
      quota: CATEGORY_MONTHLY - usedThisMonth(ctx, profile.categoryChanges),
      category_limit: CATEGORY_LIMIT,
    };
  }),
  serve(accountApis.modifyCategory, (ctx) => {
    const { profile } = miniProgram(ctx);
    const found = findCategory(profile, ctx.body.first, ctx.body.second);
    if (found.audit_status !== 2) throw new ApiFailure(53307);
    const certicates = certificates(ctx.body.certicates);
    if (certicates.length === 0) throw new ApiFailure(53311);
    Object.assign(found, { certicates, audit_status: 1, audit_reason: "" });
    return OK;
  }),
  serve(accountApis.changeWxaSearchStatus, (ctx) => {
    const { profile } = miniProgram(ctx);
    const status = ctx.body.status;
    if (status !== 0 && status !== 1) throw new ApiFailure(40097);
    profile.searchStatus = status;
    return OK;
  }),
  serve(accountApis.getWxaSearchStatus, (ctx) => ({
    ...OK,
    status: miniProgram(ctx).profile.searchStatus,
  })),
];

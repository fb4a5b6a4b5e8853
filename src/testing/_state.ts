/**
 * The simulator's model of WeChat: the component's credentials and tickets, authorizer accounts,
 * every issued token and code with its lifetime, daily quotas and the clear_quota budget.
 * All times come from one injectable clock (milliseconds).
 *
 * @module
 */

import { encodeBase64, randomBytes, toHex } from "../_bytes.ts";
import { ApiFailure } from "./_errors.ts";
import { CodeStore } from "./_code_state.ts";
import { TemplateStore } from "./_template_store.ts";
import { IcpStore, WxVerifyStore } from "./_icp_state.ts";
import { DomainStore } from "./_domain_store.ts";
import { TesterStore } from "./_tester_store.ts";
import { AccountProfileStore } from "./_account_store.ts";

/** Kinds of account a merchant can authorize. */
export type AccountKind = "official_account" | "mini_program";

/** Lifetimes (seconds) WeChat documents. */
export const TOKEN_LIFETIME_S = 7200;
/** A component_verify_ticket is usable for 12 hours after it was pushed. */
export const TICKET_LIFETIME_S = 12 * 3600;
/** OAuth `code` and mini-program `js_code` live 5 minutes. */
export const USER_CODE_LIFETIME_S = 300;
/** OAuth refresh_token lives 30 days. */
export const OAUTH_REFRESH_LIFETIME_S = 30 * 24 * 3600;

const DAY_MS = 86_400_000;
/** WeChat's days and months are China Standard Time (UTC+8). */
const CST_OFFSET_MS = 8 * 3600_000;

/** Options of authorizer option names and the values each accepts. */
export const OPTION_VALUES: Readonly<Record<string, readonly string[]>> = {
  location_report: ["0", "1", "2"],
  voice_recognize: ["0", "1"],
  customer_service: ["0", "1"],
};

/** One account (Official Account or Mini Program) known to the simulated WeChat. */
export interface Account {
  appId: string;
  kind: AccountKind;
  userName: string;
  nickName: string;
  principalName: string;
  alias: string;
  signature: string;
  serviceTypeId: number;
  verifyTypeId: number;
  funcIds: number[];
  /** The user who talks to the account in pushes and OAuth, unless a caller names another. */
  defaultOpenId: string;
  options: Record<string, string>;
  /** Whether the account currently authorizes the component. */
  authorized: boolean;
  /** Unix seconds of the latest authorization. */
  authTime: number;
  revokedAt?: number;
  refreshToken?: string;
}

/** Who a token belongs to. */
export interface TokenRecord {
  type: "component" | "authorizer";
  appId: string;
  expiresAt: number;
  supersededAt?: number;
  revoked?: boolean;
}

interface CodeRecord {
  expiresAt: number;
  used: boolean;
}

interface AuthCodeRecord extends CodeRecord {
  appId: string;
  /** How many times api_query_auth exchanged it. */
  exchanges: number;
}

interface UserCodeRecord extends CodeRecord {
  appId: string;
  openid: string;
  scope: string;
}

interface OAuthRefreshRecord {
  appId: string;
  openid: string;
  scope: string;
  expiresAt: number;
}

/** The request behind a failed answer's rid (see `cgi-bin/openapi/rid/get`). */
export interface RidRecord {
  /** The account whose token made the request (`undefined`: no valid token). */
  owner: string | undefined;
  /** Milliseconds on the simulator's clock. */
  at: number;
  path: string;
  /** The query string, tokens shortened. */
  requestUrl: string;
  /** The body as sent, secrets masked. */
  requestBody: string;
  /** The answer, rid included. */
  responseBody: string;
}

/** A privacy guide version as `setprivacysetting` stored it. */
export interface PrivacyGuide {
  owner_setting: Record<string, unknown>;
  setting_list: Record<string, unknown>[];
  sdk_privacy_info_list?: Record<string, unknown>[];
  /** Unix seconds. */
  update_time: number;
}

/** One application of `apply_privacy_interface`. */
export interface PrivacyApplication {
  audit_id: number;
  /** Unix seconds. */
  apply_time: number;
  /** 3 in review, 4 refused, 5 granted (get_privacy_interface's numbering). */
  status: 3 | 4 | 5;
  fail_reason?: string;
}

/** A Mini Program's privacy state. */
export interface PrivacyState {
  /** privacy_ver 1: the guide the released version shows. */
  current?: PrivacyGuide;
  /** privacy_ver 2: the guide the next submitted version takes. */
  draft?: PrivacyGuide;
  /** Uploaded custom guides, by ext_file_media_id. */
  extFiles: Set<string>;
  /** api_name → its latest application. */
  applications: Map<string, PrivacyApplication>;
}

/** A fast registration of a Mini Program, from its start to WeChat's push. */
export interface Registration {
  kind: "enterprise" | "personal" | "beta";
  state: "pending" | "done" | "failed";
  /** The request's fields (what the push's `<info>` repeats). */
  info: Record<string, string>;
  /** The created Mini Program, once done. */
  appId?: string;
  /** The failure, once failed. */
  failure?: { status: number; msg: string };
}

/** An Open Platform account. */
export interface OpenAccount {
  openAppId: string;
  /** Its subject (主体): the creating account's principal. */
  principalName: string;
  /** Created through `cgi-bin/open/create` (only those can be managed by the API unverified). */
  createdByApi: boolean;
  verified: boolean;
  /** The bound appids. */
  apps: Set<string>;
}

/** Settings the model needs. */
export interface ModelConfig {
  componentAppId: string;
  componentAppSecret: string;
  now: () => number;
  preAuthCodeLifetimeS: number;
  /** Lifetime of every access token, seconds (WeChat: 7200). */
  tokenLifetimeS: number;
  authCodeLifetimeS: number;
  supersedeGraceS: number;
  singleUseAuthCodes: boolean;
  defaultDailyQuota: number;
  clearQuotaMonthlyLimit: number;
  /** How long WeChat takes to decide a privacy application or a fast registration, seconds. */
  reviewDelayS: number;
}

/** A random string of `[A-Za-z0-9_-]`, like WeChat's opaque tokens. */
export function opaque(bytes: number): string {
  return encodeBase64(randomBytes(bytes)).replaceAll("+", "-").replaceAll("/", "_").replaceAll(
    "=",
    "",
  );
}

/** A new appid: `wx` and 16 hex digits. */
export function newAppId(): string {
  return "wx" + toHex(randomBytes(8));
}

/** Everything WeChat remembers, with the rules that guard it. */
export class Model {
  readonly accounts = new Map<string, Account>();
  readonly tickets = new Map<string, number>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly preAuthCodes = new Map<string, CodeRecord>();
  readonly authCodes = new Map<string, AuthCodeRecord>();
  readonly oauthCodes = new Map<string, UserCodeRecord>();
  readonly jsCodes = new Map<string, UserCodeRecord>();
  readonly oauthRefresh = new Map<string, OAuthRefreshRecord>();
  readonly oauthTokens = new Map<
    string,
    { appId: string; openid: string; expiresAt: number; scope?: string }
  >();
  /** Current token per holder: `"component"` or an authorizer appid. */
  readonly currentToken = new Map<string, string>();
  readonly dailyLimits = new Map<string, number>();
  /** `account|path` → calls counted today. */
  readonly usage = new Map<string, { day: number; used: number }>();
  /** account → clears used this month. */
  readonly clears = new Map<string, { month: number; used: number }>();
  readonly sessionKeys = new Map<string, string>();

  // ---- code management (versions, audits, releases; see _code_state.ts) ----
  readonly code: CodeStore = new CodeStore();
  // ---- JS-SDK tickets (src/testing/_jssdk.ts) -------------------------------------------
  /** `appid|type` → the account's current `getticket` ticket. */
  readonly jsTickets = new Map<string, { ticket: string; expiresAt: number }>();
  /** `ticket` → whose it is, for `wx.config` checks (superseded tickets stay until expiry). */
  readonly issuedJsTickets = new Map<
    string,
    { appId: string; type: string; expiresAt: number; invalidated?: boolean }
  >();
  // ---- code templates (the platform's draft box and template libraries) ----------------
  // Own block: `wxa/commit` asks `templateExists` before storing a version.

  /** The platform's drafts and templates (`wxa/gettemplatedraftlist` …). */
  readonly templates = new TemplateStore();

  /**
   * Whether `wxa/commit` may use `templateId`. Until a draft or template was ever added (by
   * `WeChatSimulator.addTemplateDraft`), every id is accepted, as before templates were
   * simulated; from then on only the ids of the template libraries.
   */
  templateExists(templateId: number | string): boolean {
    return this.templates.exists(templateId);
  }
  // ---- ICP filing (src/testing/_icp.ts, _icp_state.ts) ---------------------------------------
  readonly icp: IcpStore = new IcpStore();
  // ---- 认证 (src/testing/_wxverify.ts) -------------------------------------------------------
  readonly wxverify: WxVerifyStore = new WxVerifyStore();
  // ---- diagnostics (src/testing/_diagnostics.ts) ---------------------------------------------
  /** rid of every failed answer → the request behind it, for `cgi-bin/openapi/rid/get`. */
  readonly rids = new Map<string, RidRecord>();

  // ---- domains (mini programs' and the platform's) -------------------------------------

  /** Server and web-view domains (`wxa/modify_domain` …, `modify_wxa_server_domain` …). */
  readonly domains = new DomainStore();

  // ---- testers -------------------------------------------------------------------------

  /** Each mini program's testers (`wxa/bind_tester` …). */
  readonly testers = new TesterStore();

  // ---- basic info and categories -------------------------------------------------------

  /** Head images, change budgets, name audits, categories, search status. */
  readonly profiles = new AccountProfileStore();

  // ---- privacy (src/testing/_privacy.ts) ---------------------------------------------------
  /** appid → its privacy guide (released and draft), uploaded guides and API applications. */
  readonly privacy = new Map<string, PrivacyState>();
  /** Reasons for refusing the next privacy applications made, in order (else granted). */
  readonly privacyRefusals: string[] = [];

  // ---- fast registration (src/testing/_register.ts) --------------------------------------
  /** Registrations started, by their key (enterprise details, taskid or unique_id). */
  readonly registrations = new Map<string, Registration>();
  /** Trial Mini Programs, by appid. */
  readonly betaApps = new Map<string, { verified: boolean; verifying: boolean }>();
  /** How the next registrations started fail (else they succeed), in order. */
  readonly registrationFailures: { status: number; msg: string }[] = [];
  /** Tickets of `cgi-bin/account/fastregister`, as an Official Account's administrator gave. */
  readonly fastRegisterTickets = new Map<
    string,
    { appId: string; copyWxVerify: boolean; expiresAt: number; used: boolean }
  >();

  // ---- open accounts (src/testing/_open_account.ts) ---------------------------------------
  /** Open Platform accounts, by open_appid. */
  readonly openAccounts = new Map<string, OpenAccount>();
  /** appid → the open_appid it is bound to. */
  readonly openBindings = new Map<string, string>();

  // ---- what WeChat finishes later (privacy applications, fast registrations) --------------
  /** Work due at a time on the simulator's clock, run by {@linkcode Model.runDue}. */
  readonly #timers: { at: number; run: () => void }[] = [];

  /** Runs `run` once the clock reaches `at` (at the next request or clock move). */
  schedule(at: number, run: () => void): void {
    this.#timers.push({ at, run });
  }

  /** Runs the work that has come due, oldest first. */
  runDue(): void {
    const now = this.now();
    const due = this.#timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
    if (due.length === 0) return;
    for (const t of due) this.#timers.splice(this.#timers.indexOf(t), 1);
    for (const t of due) t.run();
  }

  #issued = 0;

  constructor(readonly config: ModelConfig) {}

  /**
   * Every 1000 issued credentials, forgets those that expired more than a day ago, so a long
   * soak does not grow without bound. Until then an expired credential still answers as
   * expired (42001, 61010, …), not as unknown.
   */
  #sweep(): void {
    if (++this.#issued % 1000 !== 0) return;
    const horizon = this.now() - DAY_MS;
    const maps: Map<string, { expiresAt: number }>[] = [
      this.tokens,
      this.preAuthCodes,
      this.authCodes,
      this.oauthCodes,
      this.jsCodes,
      this.oauthRefresh,
      this.oauthTokens,
    ];
    for (const map of maps) {
      for (const [key, rec] of map) if (rec.expiresAt < horizon) map.delete(key);
    }
    for (const [ticket, issued] of this.tickets) {
      if (issued + TICKET_LIFETIME_S * 1000 < horizon) this.tickets.delete(ticket);
    }
  }

  now(): number {
    return this.config.now();
  }

  // ---- tickets -------------------------------------------------------------------------

  issueTicket(): string {
    this.#sweep();
    const ticket = "ticket@@@" + opaque(60);
    this.tickets.set(ticket, this.now());
    return ticket;
  }

  checkTicket(ticket: unknown): void {
    if (typeof ticket !== "string" || ticket === "") throw new ApiFailure(61006);
    const issued = this.tickets.get(ticket);
    if (issued === undefined) throw new ApiFailure(61006);
    if (this.now() >= issued + TICKET_LIFETIME_S * 1000) throw new ApiFailure(61005);
  }

  // ---- tokens --------------------------------------------------------------------------

  /** Issues a token for `holder`, superseding the holder's previous one. */
  issueToken(type: "component" | "authorizer", appId: string): string {
    this.#sweep();
    const holder = type === "component" ? "component" : appId;
    const now = this.now();
    const previous = this.currentToken.get(holder);
    if (previous !== undefined) {
      const rec = this.tokens.get(previous);
      if (rec && rec.supersededAt === undefined) rec.supersededAt = now;
    }
    const token = `97_${opaque(96)}`;
    this.tokens.set(token, { type, appId, expiresAt: now + this.config.tokenLifetimeS * 1000 });
    this.currentToken.set(holder, token);
    return token;
  }

  /** Validates an access token; throws the errcode WeChat would answer. */
  checkToken(token: string | null, want: "component" | "authorizer" | "any"): TokenRecord {
    if (token === null || token === "") throw new ApiFailure(41001);
    const rec = this.tokens.get(token);
    if (rec === undefined) {
      throw new ApiFailure(/^\d+_[A-Za-z0-9_-]{20,}$/.test(token) ? 40001 : 40014);
    }
    const now = this.now();
    if (rec.revoked) throw new ApiFailure(40001);
    if (
      rec.supersededAt !== undefined && now >= rec.supersededAt + this.config.supersedeGraceS * 1000
    ) {
      throw new ApiFailure(40001);
    }
    if (now >= rec.expiresAt) throw new ApiFailure(42001);
    if (want === "component" && rec.type !== "component") throw new ApiFailure(61014);
    if (want === "authorizer" && rec.type !== "authorizer") throw new ApiFailure(61015);
    return rec;
  }

  revokeTokensOf(appId: string): void {
    for (const rec of this.tokens.values()) {
      if (rec.type === "authorizer" && rec.appId === appId) rec.revoked = true;
    }
    this.currentToken.delete(appId);
  }

  /** Makes every live token of `holder` expire now (as if the clock had passed its end). */
  expireTokensOf(holder: string): void {
    const now = this.now();
    for (const rec of this.tokens.values()) {
      const h = rec.type === "component" ? "component" : rec.appId;
      if (h === holder && rec.expiresAt > now) rec.expiresAt = now;
    }
  }

  // ---- pre-auth and authorization codes -----------------------------------------------

  issuePreAuthCode(): string {
    this.#sweep();
    const code = "preauthcode@@@" + opaque(60);
    this.preAuthCodes.set(code, {
      expiresAt: this.now() + this.config.preAuthCodeLifetimeS * 1000,
      used: false,
    });
    return code;
  }

  /** Why a pre-auth code cannot be used, or `null` when it can. */
  preAuthCodeProblem(code: string | null): string | null {
    if (!code) return "缺少 pre_auth_code / pre_auth_code is missing";
    const rec = this.preAuthCodes.get(code);
    if (!rec) return "pre_auth_code 无效 / pre_auth_code is invalid";
    if (rec.used) return "pre_auth_code 已被使用 / pre_auth_code has already been used";
    if (this.now() >= rec.expiresAt) return "pre_auth_code 已过期 / pre_auth_code has expired";
    return null;
  }

  consumePreAuthCode(code: string): void {
    const problem = this.preAuthCodeProblem(code);
    if (problem) throw new RangeError(problem);
    this.preAuthCodes.get(code)!.used = true;
  }

  issueAuthCode(appId: string): { code: string; expiresAt: number } {
    this.#sweep();
    const code = "queryauthcode@@@" + opaque(72);
    const expiresAt = this.now() + this.config.authCodeLifetimeS * 1000;
    this.authCodes.set(code, { appId, expiresAt, used: false, exchanges: 0 });
    return { code, expiresAt };
  }

  consumeAuthCode(code: unknown): Account {
    if (typeof code !== "string" || code === "") throw new ApiFailure(61009);
    const rec = this.authCodes.get(code);
    if (!rec || rec.used) throw new ApiFailure(61009);
    if (this.now() >= rec.expiresAt) throw new ApiFailure(61010);
    const account = this.accounts.get(rec.appId);
    if (!account || !account.authorized) throw new ApiFailure(61003);
    rec.used = this.config.singleUseAuthCodes;
    rec.exchanges++;
    return account;
  }

  // ---- OAuth on behalf and jscode2session ---------------------------------------------

  issueUserCode(kind: "oauth" | "js", appId: string, openid: string, scope: string): string {
    this.#sweep();
    const code = opaque(24);
    (kind === "oauth" ? this.oauthCodes : this.jsCodes).set(code, {
      appId,
      openid,
      scope,
      expiresAt: this.now() + USER_CODE_LIFETIME_S * 1000,
      used: false,
    });
    return code;
  }

  consumeUserCode(kind: "oauth" | "js", code: string | null, appId: string): UserCodeRecord {
    if (!code) throw new ApiFailure(41008);
    const rec = (kind === "oauth" ? this.oauthCodes : this.jsCodes).get(code);
    if (!rec || rec.appId !== appId || this.now() >= rec.expiresAt) throw new ApiFailure(40029);
    if (rec.used) throw new ApiFailure(40163);
    rec.used = true;
    return rec;
  }

  // ---- accounts ------------------------------------------------------------------------

  authorizedAccount(appId: unknown): Account {
    if (typeof appId !== "string" || appId === "") throw new ApiFailure(41002);
    const account = this.accounts.get(appId);
    if (!account || !account.authorized) throw new ApiFailure(61003);
    return account;
  }

  // ---- quotas --------------------------------------------------------------------------

  dailyLimit(path: string): number {
    return this.dailyLimits.get(path) ?? this.config.defaultDailyQuota;
  }

  private today(): number {
    return Math.floor((this.now() + CST_OFFSET_MS) / DAY_MS);
  }

  private month(): number {
    const d = new Date(this.now() + CST_OFFSET_MS);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }

  usedToday(account: string, path: string): number {
    const rec = this.usage.get(`${account}|${path}`);
    return rec && rec.day === this.today() ? rec.used : 0;
  }

  /** Counts one call of `path` for `account`; throws 45009 when today's quota is spent. */
  consumeQuota(account: string, path: string): void {
    const used = this.usedToday(account, path);
    if (used >= this.dailyLimit(path)) throw new ApiFailure(45009);
    this.usage.set(`${account}|${path}`, { day: this.today(), used: used + 1 });
  }

  /** Resets every daily quota of `account`; 48006 once the monthly budget is spent. */
  clearQuota(account: string): void {
    const month = this.month();
    const rec = this.clears.get(account);
    const used = rec && rec.month === month ? rec.used : 0;
    if (used >= this.config.clearQuotaMonthlyLimit) throw new ApiFailure(48006);
    this.clears.set(account, { month, used: used + 1 });
    for (const key of [...this.usage.keys()]) {
      if (key.startsWith(account + "|")) this.usage.delete(key);
    }
  }
}

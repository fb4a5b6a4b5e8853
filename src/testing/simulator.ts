/**
 * {@linkcode WeChatSimulator}: an in-process fake of WeChat's side of a third-party platform —
 * the component API on `api.weixin.qq.com`, the authorization page on `mp.weixin.qq.com` /
 * `open.weixin.qq.com`, and the encrypted pushes WeChat sends to the platform — usable
 * wherever a `fetch` function is injected.
 *
 * It keeps WeChat's rules: credentials are checked, every token lives 7200 s on the
 * simulator's clock and is superseded by the next one issued, pre-auth and authorization codes
 * are single-use with their lifetimes, refresh tokens change on re-authorization, errors carry
 * WeChat's errcodes and a ` rid: …` suffix, and each API has a daily quota (45009) that
 * `clear_quota` resets ten times a month (48006). Faults can be injected per API path.
 *
 * @module
 */

import { MessageCrypto } from "../crypto/message_crypto.ts";
import { jssdkSignature } from "../client/_jssdk.ts";
import { API_PATHS, type ApiHooks, handleApi, type RecordedMessage } from "./_api.ts";
import { progressAudits } from "./_code.ts";
import { decideNicknameAudit } from "./_account.ts";
import type { AuditOutcome } from "./_code_state.ts";
import { progressIcp } from "./_icp.ts";
import type { IcpFilingOutcome, IcpVerifyOutcome, WxVerifyOutcome } from "./_icp_state.ts";
import { progressWxVerify } from "./_wxverify.ts";
import { ERRMSG, errorBody, jsonResponse, newRid } from "./_errors.ts";
import { rememberRid } from "./_diagnostics.ts";
import { handlePage } from "./_page.ts";
import { releasePrivacyGuide } from "./_privacy.ts";
import { encryptedPush, msgId, openReply } from "./_push.ts";
import {
  type Account,
  type AccountKind,
  Model,
  newAppId,
  opaque,
  TOKEN_LIFETIME_S,
} from "./_state.ts";
import { randomBytes, toHex } from "../_bytes.ts";
import type { XmlInputObject } from "../xml/build.ts";
import type { TemplateDraftOptions } from "./_template_store.ts";
import { follower, newOpenId } from "./_follower_store.ts";

/** What `addFollowers` accepts as an openid. */
const OPENID = /^[-_A-Za-z0-9]{1,64}$/;

export type { AccountKind } from "./_state.ts";
export type { AuditOutcome } from "./_code_state.ts";
export type { IcpFilingOutcome, IcpVerifyOutcome, WxVerifyOutcome } from "./_icp_state.ts";
export type { TemplateDraftOptions } from "./_template_store.ts";

/** Where the simulator delivers pushes on its own (authorization events, requested tickets). */
export interface SimulatorEventTarget {
  /** The platform's 授权事件接收URL. */
  url: string;
  /**
   * Every authorizer's 消息与事件接收URL, with `$APPID$` standing for its appid (e.g.
   * `https://platform.example/wechat/authorizers/$APPID$/callback`): where the simulator sends
   * the events it raises on its own (audit results…). Without it those events are not sent.
   */
  messageUrl?: string;
  /** How to send a push; default: the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Options of {@linkcode WeChatSimulator}. */
export interface WeChatSimulatorOptions {
  /** The third-party platform's appid. */
  componentAppId: string;
  /** Its AppSecret. */
  componentAppSecret: string;
  /** The message verification Token configured on the platform. */
  componentToken: string;
  /** The 43-character EncodingAESKey. */
  encodingAesKey: string;
  /** The clock in milliseconds; default `Date.now`. {@linkcode WeChatSimulator.advance} moves it. */
  now?: () => number;
  /** The platform's display name on the authorization page. */
  componentName?: string;
  /**
   * A path prefix the simulator is mounted under (e.g. `"/_sim"`): requests to
   * `<origin>/_sim/cgi-bin/...` are served as `/cgi-bin/...`. Paths are unique across WeChat's
   * hosts, so one prefix serves the API and the pages.
   */
  basePath?: string;
  /** Lifetime of a pre_auth_code; default 600 s (WeChat's examples; one zh page says 1800). */
  preAuthCodeLifetimeSeconds?: number;
  /** Lifetime of every access token; default 7200 s (WeChat's). Shorter makes tokens come due soon. */
  tokenLifetimeSeconds?: number;
  /** Lifetime of an authorization code; default 600 s (`expires_in=600` on the redirect). */
  authCodeLifetimeSeconds?: number;
  /**
   * Whether an authorization code works only once (default `true`): a second `api_query_auth`
   * with it gets 61009. A platform that exchanges the code both on the `authorized` push and
   * on the redirect must cope with that; set `false` to let the code work until it expires.
   */
  singleUseAuthCodes?: boolean;
  /**
   * How long a superseded access token keeps working; default 0 (the old token fails with
   * 40001 at once). WeChat keeps an Official Account's old token for up to 5 minutes.
   */
  supersedeGraceSeconds?: number;
  /** Calls per API path per account per day (China time) before 45009; default 10000. */
  defaultDailyQuota?: number;
  /** Per-path daily quotas, keyed by path (`"/cgi-bin/component/api_component_token"`). */
  dailyQuotas?: Record<string, number>;
  /** `clear_quota` uses per account per month (shared by all variants); default 10. */
  clearQuotaMonthlyLimit?: number;
  /**
   * How long WeChat takes to decide a privacy-interface application (`apply_privacy_interface`)
   * or to finish a fast registration (the legal person's confirmation), on the simulator's
   * clock; default 60 s. The result is pushed once the clock has passed it (at the next request
   * or {@linkcode WeChatSimulator.advance}); 0 decides at once.
   */
  reviewDelaySeconds?: number;
  /**
   * The platform's 登录授权的发起页域名. When set, the authorization page must be opened with a
   * Referer on this domain (or a subdomain) and redirect_uri must be on it, as on WeChat.
   */
  authorizationDomain?: string;
  /** Deliver authorization events and requested tickets to the platform automatically. */
  events?: SimulatorEventTarget;
  /**
   * How long a code audit (`wxa/submit_audit`) takes on the simulator's clock before it is
   * decided and pushed; default one hour. See {@linkcode WeChatSimulator.setAuditOutcome}.
   */
  auditDelayMs?: number;
  /** The platform's audits per month, shared by all its mini programs (`wxa/queryquota`); default 20. */
  auditQuota?: number;
  /** The platform's audit speed-ups per month (`wxa/speedupaudit`); default 1. */
  speedupQuota?: number;
  /**
   * How long each stage of an ICP filing review (platform, then MIIT) takes on the simulator's
   * clock; default 30 minutes. See {@linkcode WeChatSimulator.setIcpOutcome}.
   */
  icpReviewDelayMs?: number;
  /** How long an administrator takes to pass (or fail) the ICP face verification; default 10 minutes. */
  icpVerifyDelayMs?: number;
  /**
   * How long each step of a 认证 task (`wxa/sec/wxaauth`) takes: the administrator's checks,
   * then the review; default 30 minutes. See {@linkcode WeChatSimulator.setWxVerifyOutcome}.
   */
  wxverifyDelayMs?: number;
}

/** One code audit as {@linkcode WeChatSimulator.audits} reports it. */
export interface SimulatedAudit {
  /** `submit_audit`'s answer. */
  auditid: number;
  /** 0 passed, 1 rejected, 2 under review, 3 withdrawn, 4 delayed. */
  status: number;
  /** The audited version's `user_version`. */
  userVersion: string;
  /** The template it was committed from. */
  templateId: number | string;
  /** Milliseconds on the simulator's clock. */
  submittedAt: number;
  /** Why it was rejected or delayed. */
  reason?: string;
  /** Whether it went online. */
  released: boolean;
}

/** A fault {@linkcode WeChatSimulator.inject} applies to matching requests. */
export interface FaultSpec {
  /**
   * Which requests: a full path (`"/cgi-bin/component/api_component_token"`), a last path part
   * (`"api_component_token"`, `"clear_quota/v2"`) or a RegExp tested on the path; default all.
   */
  path?: string | RegExp;
  /** How many requests it affects; default 1 (`Infinity` for all). */
  times?: number;
  /** Answer with this HTTP status (an error page, or the errcode JSON when `errcode` is set). */
  status?: number;
  /** Answer `{"errcode": errcode, "errmsg": "… rid: …"}` instead of serving the request. */
  errcode?: number;
  /** The errmsg to go with `errcode`; default WeChat's message for it. */
  errmsg?: string;
  /** Wait this long (real milliseconds) first; the caller's AbortSignal cuts the wait short. */
  delayMs?: number;
  /**
   * Drop the connection: `fetch` rejects with a `TypeError`. `true`/`"before"`: the request
   * never reaches WeChat. `"after"`: WeChat processes it (e.g. issues a token that supersedes
   * the old one) but the answer is lost.
   */
  drop?: boolean | "before" | "after";
}

/** Handle of an injected fault. */
export interface InjectedFault {
  /** Requests it will still affect. */
  readonly remaining: number;
  /** Removes the fault. */
  cancel(): void;
}

/** Options of {@linkcode WeChatSimulator.authorizeAccount}. */
export interface AuthorizeAccountOptions {
  /** The account's appid; default: a new account. An existing account is re-authorized. */
  appId?: string;
  /** Official Account or Mini Program. */
  kind: AccountKind;
  /** Permission set ids (funcscope_category); default a typical set for the kind. */
  funcIds?: number[];
  /** A pre_auth_code to consume, as the authorization page does; default none. */
  preAuthCode?: string;
  /** Display name; default generated. */
  nickName?: string;
  /** Original id (`gh_…`); default generated. */
  userName?: string;
  /** Principal (主体) name. */
  principalName?: string;
  /** service_type_info.id; default 2 (服务号) for OA, 0 for MP. */
  serviceTypeId?: number;
  /** verify_type_info.id; default 0 (微信认证). */
  verifyTypeId?: number;
}

/** The result of an authorization, as WeChat reports it to the platform. */
export interface Authorization {
  /** The authorizer's appid. */
  appId: string;
  /** Its kind. */
  kind: AccountKind;
  /** `authorized` for a first (or renewed after revocation) authorization, else `updateauthorized`. */
  infoType: "authorized" | "updateauthorized";
  /** The authorization code (`queryauthcode@@@…`) for `api_query_auth`. */
  authCode: string;
  /** Seconds the code is valid (`expires_in` on the redirect). */
  expiresIn: number;
  /** The pre_auth_code the authorization used. */
  preAuthCode: string;
  /** Unix seconds of the authorization (the push's CreateTime). */
  createTime: number;
}

/** A snapshot of one account as the simulated WeChat knows it. */
export interface SimulatedAccount {
  /** appid. */
  appId: string;
  /** Official Account or Mini Program. */
  kind: AccountKind;
  /** Original id (`gh_…`). */
  userName: string;
  /** Display name. */
  nickName: string;
  /** Whether it currently authorizes the platform. */
  authorized: boolean;
  /** The current authorizer_refresh_token (what a correct platform has stored). */
  refreshToken: string | undefined;
  /** Permission set ids. */
  funcIds: number[];
  /** The user that talks to the account in pushes unless another openid is given. */
  openid: string;
  /** Authorizer options (`location_report`, `voice_recognize`, `customer_service`). */
  options: Record<string, string>;
}

/** A customer-service message sent through `cgi-bin/message/custom/send`. */
export interface SentMessage {
  /** The authorizer that sent it. */
  appId: string;
  /** Recipient openid. */
  touser: string;
  /** `text`, `image`, … */
  msgtype: string;
  /** The JSON body as sent. */
  body: Record<string, unknown>;
  /** Milliseconds on the simulator's clock. */
  at: number;
}

/** A push the simulator delivered on its own to {@linkcode WeChatSimulatorOptions.events}. */
export interface Delivery {
  /** InfoType of a component push; `Event` of an authorizer's event push. */
  infoType: string;
  /** The authorizer whose message URL got the push (authorizer pushes only). */
  appId?: string;
  /** HTTP status answered, when there was an answer. */
  status?: number;
  /** Response body (the platform must answer `success`). */
  body?: string;
  /** The error when the delivery failed. */
  error?: unknown;
}

/** Options of an authorizer message push. */
export interface MessagePushOptions {
  /** The authorizer receiving the message. */
  appId: string;
  /** The sending user; default the account's user. */
  openid?: string;
}

/** The dedicated release-test ("全网发布") accounts of group 1 in WeChat's documentation. */
export const RELEASE_TEST_ACCOUNTS: {
  readonly official_account: { readonly appId: string; readonly userName: string };
  readonly mini_program: { readonly appId: string; readonly userName: string };
} = {
  official_account: { appId: "wx570bc396a51b8ff8", userName: "gh_3c884a361561" },
  mini_program: { appId: "wxd101a85aa106f53e", userName: "gh_8dad206e9538" },
};

const DEFAULT_FUNCS: Record<AccountKind, number[]> = {
  official_account: [1, 2, 3, 4, 6, 7, 11, 15],
  mini_program: [17, 18, 19, 25, 30, 31, 36, 37],
};

interface Fault extends FaultSpec {
  left: number;
}

function matchPath(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) return pattern.test(path);
  if (pattern.startsWith("/")) return path === pattern;
  return path === "/" + pattern || path.endsWith("/" + pattern);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`Option ${name} must be a non-empty string`);
  }
  return value;
}

/**
 * An in-process WeChat for tests and local development.
 *
 * @example Drive a platform against the simulator
 * ```ts
 * import { WeChatSimulator } from "@wxopen/component/testing";
 *
 * const sim = new WeChatSimulator({
 *   componentAppId: "wx1111111111111111",
 *   componentAppSecret: "secret",
 *   componentToken: "token",
 *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
 * });
 * const ticket = sim.issueTicket(); // or: await sim.ticketPush("https://platform.example/events")
 * const res = await sim.fetch("https://api.weixin.qq.com/cgi-bin/component/api_component_token", {
 *   method: "POST",
 *   body: JSON.stringify({
 *     component_appid: "wx1111111111111111",
 *     component_appsecret: "secret",
 *     component_verify_ticket: ticket,
 *   }),
 * });
 * const { component_access_token } = await res.json();
 * sim.advance(7200_000); // two hours later the token has expired (errcode 42001)
 * ```
 */
export class WeChatSimulator {
  /**
   * WeChat as a `fetch` function (bound): serves `https://api.weixin.qq.com/...` and the pages
   * of `mp.weixin.qq.com` / `open.weixin.qq.com`, applying injected faults. Pass it wherever a
   * `fetch` is injected. Redirects are never followed: the authorization page's 302 is
   * returned as it is, with its `location`.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

  readonly #options: WeChatSimulatorOptions;
  readonly #model: Model;
  readonly #crypto: Promise<MessageCrypto>;
  readonly #basePath: string;
  #offset = 0;
  #faults: Fault[] = [];
  readonly #calls = new Map<string, number>();
  readonly #sent: SentMessage[] = [];
  readonly #deliveries: Delivery[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #hooks: ApiHooks;

  /** Validates the options; throws a `TypeError` naming a bad one. */
  constructor(options: WeChatSimulatorOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Options must be an object");
    }
    requireString(options.componentAppId, "componentAppId");
    requireString(options.componentAppSecret, "componentAppSecret");
    requireString(options.componentToken, "componentToken");
    if (!/^[A-Za-z0-9]{43}$/.test(options.encodingAesKey ?? "")) {
      throw new TypeError("Option encodingAesKey must be 43 letters and digits");
    }
    const base = options.basePath ?? "";
    if (base !== "" && (!base.startsWith("/") || base.endsWith("/"))) {
      throw new TypeError('Option basePath must start with "/" and not end with "/"');
    }
    const review = options.reviewDelaySeconds;
    if (review !== undefined && !(Number.isFinite(review) && review >= 0)) {
      throw new TypeError("Option reviewDelaySeconds must be a non-negative number");
    }
    this.#basePath = base;
    this.#options = options;
    const clock = options.now ?? Date.now;
    this.#model = new Model({
      componentAppId: options.componentAppId,
      componentAppSecret: options.componentAppSecret,
      now: () => clock() + this.#offset,
      preAuthCodeLifetimeS: options.preAuthCodeLifetimeSeconds ?? 600,
      tokenLifetimeS: options.tokenLifetimeSeconds ?? TOKEN_LIFETIME_S,
      authCodeLifetimeS: options.authCodeLifetimeSeconds ?? 600,
      supersedeGraceS: options.supersedeGraceSeconds ?? 0,
      singleUseAuthCodes: options.singleUseAuthCodes ?? true,
      defaultDailyQuota: options.defaultDailyQuota ?? 10_000,
      clearQuotaMonthlyLimit: options.clearQuotaMonthlyLimit ?? 10,
      reviewDelayS: options.reviewDelaySeconds ?? 60,
    });
    for (const [path, limit] of Object.entries(options.dailyQuotas ?? {})) {
      this.setDailyQuota(path, limit);
    }
    this.#crypto = MessageCrypto.create({
      token: options.componentToken,
      encodingAesKey: options.encodingAesKey,
      appId: options.componentAppId,
    });
    this.#crypto.catch(() => {});
    const code = this.#model.code.config;
    const count = (name: string, value: number | undefined, fallback: number) => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < 0) {
        throw new TypeError(`Option ${name} must be a non-negative integer`);
      }
      return value;
    };
    code.auditDelayMs = count("auditDelayMs", options.auditDelayMs, code.auditDelayMs);
    code.auditQuota = count("auditQuota", options.auditQuota, code.auditQuota);
    code.speedupQuota = count("speedupQuota", options.speedupQuota, code.speedupQuota);
    const icp = this.#model.icp.config;
    icp.reviewDelayMs = count("icpReviewDelayMs", options.icpReviewDelayMs, icp.reviewDelayMs);
    icp.verifyDelayMs = count("icpVerifyDelayMs", options.icpVerifyDelayMs, icp.verifyDelayMs);
    const verify = this.#model.wxverify;
    verify.delayMs = count("wxverifyDelayMs", options.wxverifyDelayMs, verify.delayMs);
    this.#hooks = this.#makeHooks();
    this.fetch = (input, init) => this.#serve(new Request(input, init));
  }

  // ---- clock -------------------------------------------------------------------------------

  /** The simulator's current time in milliseconds. */
  now(): number {
    return this.#model.now();
  }

  /**
   * Moves the simulator's clock forward by `ms` milliseconds: tokens and codes age, and code
   * audits whose time has come are decided and pushed (see {@linkcode WeChatSimulator.setAuditOutcome}).
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("Advance needs a non-negative number");
    this.#offset += ms;
    this.#progress();
  }

  /** Lets time-driven processes catch up with the clock (audits end and are pushed). */
  #progress(): void {
    // What WeChat finished meanwhile (privacy applications, fast registrations) happens first.
    this.#model.runDue();
    progressAudits(this.#model, this.#hooks);
    progressIcp(this.#model, this.#hooks);
    progressWxVerify(this.#model, this.#hooks);
  }

  // ---- serving -----------------------------------------------------------------------------

  /**
   * Serves one request as WeChat's servers would, for mounting the simulator in an HTTP server
   * or a worker (see {@linkcode WeChatSimulatorOptions.basePath}). Faults apply as in
   * {@linkcode WeChatSimulator.fetch}; a dropped connection throws a `TypeError`.
   */
  handle(request: Request): Promise<Response> {
    return this.#serve(request);
  }

  async #serve(request: Request): Promise<Response> {
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    const url = new URL(request.url);
    let path = url.pathname;
    const base = this.#basePath;
    if (base && (path === base || path.startsWith(base + "/"))) {
      path = path.slice(base.length) || "/";
    }
    this.#calls.set(path, (this.#calls.get(path) ?? 0) + 1);
    // WeChat's own time runs whether or not this request fails: audits due end first.
    this.#progress();
    const fault = this.#takeFault(path);
    if (fault?.delayMs) await sleep(fault.delayMs, signal);
    if (fault?.drop === true || fault?.drop === "before") {
      throw new TypeError("Simulated network failure: the connection was dropped");
    }
    if (fault && (fault.status !== undefined || fault.errcode !== undefined)) {
      const status = fault.status ?? 200;
      if (fault.errcode !== undefined) {
        // Remembered for rid/get like any failed answer, by the account whose token was sent.
        const rid = newRid(this.now());
        const answer = errorBody(fault.errcode, this.now(), fault.errmsg, rid);
        const query = url.searchParams;
        const token = this.#model.tokens.get(
          query.get("access_token") ?? query.get("component_access_token") ?? "",
        );
        const owner = token?.type === "component" ? this.#options.componentAppId : token?.appId;
        const body = request.method === "GET" || request.method === "HEAD"
          ? ""
          : await request.text().catch(() => "");
        rememberRid(this.#model, rid, { owner, path, query, body, response: answer });
        return jsonResponse(answer, status);
      }
      return new Response(
        `<html><head><title>${status} Error</title></head><body><center><h1>${status}</h1></center></body></html>`,
        { status, headers: { "content-type": "text/html" } },
      );
    }
    const response = await this.#dispatch(request, path, url.searchParams);
    if (fault?.drop === "after") {
      throw new TypeError("Simulated network failure: the connection was dropped");
    }
    return response;
  }

  #makeHooks(): ApiHooks {
    return {
      startPushTicket: () =>
        this.#autoDeliver(
          "component_verify_ticket",
          () => this.ticketPush(this.#options.events!.url),
        ),
      customMessage: (m: RecordedMessage) => this.#sent.push(m),
      componentPush: (fields) => {
        const target = this.#options.events;
        if (!target) return;
        void this.#autoDeliver(
          String(fields.InfoType ?? ""),
          () =>
            this.#componentPush(target.url, {
              CreateTime: Math.floor(this.now() / 1000),
              ...fields,
            }),
        );
      },
      authorizerPush: (appId, fields) => {
        const url = this.#options.events?.messageUrl;
        if (url === undefined) return;
        void this.#autoDeliver(
          String(fields.Event ?? fields.MsgType ?? ""),
          () => this.messagePush(url, { appId }, { MsgType: "event", ...fields }),
          appId,
        );
      },
    };
  }

  async #dispatch(request: Request, path: string, query: URLSearchParams): Promise<Response> {
    const api = await handleApi(this.#model, this.#hooks, request, path, query);
    if (api) return api;
    const page = await handlePage(
      {
        model: this.#model,
        componentAppId: this.#options.componentAppId,
        componentName: this.#options.componentName ?? "第三方平台 (simulated)",
        authorizationDomain: this.#options.authorizationDomain,
        authorize: (o) => this.authorizeAccount(o),
      },
      request,
      path,
      query,
    );
    if (page) return page;
    // A path WeChat does not serve: its JSON error (HTTP 200, errcode 40066 "invalid url", which
    // WeChat documents as "check that the API's URL is the documented one"), never a bare 404, so
    // that a caller of an API the simulator lacks gets a WeChatError as from WeChat.
    return jsonResponse(errorBody(40066, this.now()));
  }

  // ---- faults and counters -----------------------------------------------------------------

  /**
   * Makes the next matching request(s) fail: an HTTP status, an errcode, a delay or a dropped
   * connection (combinable: a delay, then the failure). Faults apply in the order injected.
   *
   * @example Exactly one 5xx, then normal service
   * ```ts
   * import { WeChatSimulator } from "@wxopen/component/testing";
   *
   * const sim = new WeChatSimulator({
   *   componentAppId: "wx1111111111111111",
   *   componentAppSecret: "secret",
   *   componentToken: "token",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   * });
   * sim.inject({ path: "api_component_token", status: 502 });
   * sim.inject({ path: "api_authorizer_token", errcode: -1, times: 2 });
   * sim.inject({ drop: "after" }); // next request processed, answer lost
   * ```
   */
  inject(spec: FaultSpec): InjectedFault {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new RangeError("Fault times must be positive");
    if (spec.delayMs !== undefined && !(spec.delayMs >= 0)) {
      throw new RangeError("Fault delayMs must be non-negative");
    }
    const fault: Fault = { ...spec, left: times };
    this.#faults.push(fault);
    const faults = () => this.#faults;
    const remove = () => {
      this.#faults = faults().filter((f) => f !== fault);
    };
    return {
      get remaining() {
        return fault.left;
      },
      cancel: remove,
    };
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.#faults = [];
  }

  #takeFault(path: string): Fault | undefined {
    const fault = this.#faults.find((f) => f.left > 0 && matchPath(f.path, path));
    if (!fault) return undefined;
    fault.left--;
    if (fault.left <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    return fault;
  }

  /**
   * How many requests reached the simulator for `path` (matched like {@linkcode FaultSpec.path}),
   * including failed and faulted ones; all requests when omitted.
   */
  calls(path?: string | RegExp): number {
    let n = 0;
    for (const [p, count] of this.#calls) if (matchPath(path, p)) n += count;
    return n;
  }

  /** Sets every call counter to zero. */
  resetCalls(): void {
    this.#calls.clear();
  }

  /** Paths of the simulated API (for quotas and faults). */
  get apiPaths(): readonly string[] {
    return API_PATHS;
  }

  /** Sets the daily quota of one API path (full path or last part, as in faults). */
  setDailyQuota(path: string, limit: number): void {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError("Daily quota must be a non-negative integer");
    }
    const matches = API_PATHS.filter((p) => matchPath(path, p));
    if (matches.length === 0) throw new RangeError(`No simulated API matches path ${path}`);
    for (const p of matches) this.#model.dailyLimits.set(p, limit);
  }

  // ---- credentials -------------------------------------------------------------------------

  /** Issues a component_verify_ticket (valid 12 h) without pushing it. */
  issueTicket(): string {
    return this.#model.issueTicket();
  }

  /** Issues a pre_auth_code as `api_create_preauthcode` would, without a call. */
  issuePreAuthCode(): string {
    return this.#model.issuePreAuthCode();
  }

  /**
   * The access token WeChat currently accepts for the component (no argument) or an authorizer,
   * or `undefined` when none is valid (never issued, superseded, expired or revoked).
   */
  currentAccessToken(authorizerAppId?: string): string | undefined {
    const holder = authorizerAppId ?? "component";
    const token = this.#model.currentToken.get(holder);
    if (token === undefined) return undefined;
    try {
      this.#model.checkToken(token, authorizerAppId ? "authorizer" : "component");
      return token;
    } catch {
      return undefined;
    }
  }

  /**
   * Invalidates the current access token of the component (no argument) or an authorizer, as
   * when another process refreshed it: the next call with it gets 40001.
   */
  invalidateAccessToken(authorizerAppId?: string): void {
    const holder = authorizerAppId ?? "component";
    const token = this.#model.currentToken.get(holder);
    if (token === undefined) return;
    const rec = this.#model.tokens.get(token)!;
    rec.supersededAt = Math.min(rec.supersededAt ?? Infinity, this.now());
    this.#model.currentToken.delete(holder);
  }

  /**
   * Makes an authorizer's current refresh token invalid (61023 from `api_authorizer_token`)
   * and gives it a new one, visible only through `api_get_authorizer_list` — as when a
   * platform lost the latest refresh token.
   */
  invalidateRefreshToken(appId: string): void {
    const account = this.#authorized(appId);
    account.refreshToken = "refreshtoken@@@" + opaque(32);
  }

  // ---- code audits ------------------------------------------------------------------------

  /**
   * Decides how the audit of mini program `appId` ends: the one under review, or else its next
   * one. `"success"` passes (the default), `{ status: "fail", reason, screenshot? }` rejects,
   * `"delay"` / `{ status: "delay", reason? }` delays it by another audit delay (then it is
   * decided again, passing unless told otherwise); `push: false` in the object forms decides it
   * without a push (WeChat's missed push). The verdict comes when the audit's time has come
   * ({@linkcode WeChatSimulatorOptions.auditDelayMs}, {@linkcode WeChatSimulator.advance}).
   */
  setAuditOutcome(appId: string, outcome: AuditOutcome): void {
    const kind = typeof outcome === "string" ? outcome : outcome?.status;
    if (kind !== "success" && kind !== "fail" && kind !== "delay") {
      throw new TypeError('Audit outcome must be "success", "delay" or { status: "fail", … }');
    }
    this.#miniProgram(appId);
    const current = this.#model.code.inFlight(appId);
    if (current) current.outcome = outcome;
    else this.#model.code.outcomes.set(appId, outcome);
  }

  /**
   * Changes the platform's monthly audit quota (`audits`) and speed-up quota (`speedups`), as
   * when WeChat grants more; what this month used stays used (`wxa/queryquota` shows the rest).
   */
  setAuditQuota(quota: { audits?: number; speedups?: number }): void {
    const check = (name: string, value: number | undefined) => {
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        throw new RangeError(`Audit quota ${name} must be a non-negative integer`);
      }
    };
    check("audits", quota.audits);
    check("speedups", quota.speedups);
    const config = this.#model.code.config;
    if (quota.audits !== undefined) config.auditQuota = quota.audits;
    if (quota.speedups !== undefined) config.speedupQuota = quota.speedups;
  }

  /**
   * How mini program `appId`'s next ICP filing review ends (`filing`: `"approved"` by default,
   * or rejected by the platform or by MIIT) and how its next face verification ends (`verify`:
   * `"passed"` by default, or `"failed"`). Each is used once, when its time has come
   * ({@linkcode WeChatSimulatorOptions.icpReviewDelayMs}, {@linkcode WeChatSimulator.advance}).
   */
  setIcpOutcome(
    appId: string,
    outcome: { filing?: IcpFilingOutcome; verify?: IcpVerifyOutcome },
  ): void {
    const { filing, verify } = outcome ?? {};
    if (
      filing !== undefined && filing !== "approved" &&
      (typeof filing !== "object" || filing === null || filing.status !== "rejected" ||
        (filing.by !== undefined && filing.by !== "platform" && filing.by !== "miit"))
    ) {
      throw new TypeError('ICP filing outcome must be "approved" or { status: "rejected", … }');
    }
    if (verify !== undefined && verify !== "passed" && verify !== "failed") {
      throw new TypeError('ICP verify outcome must be "passed" or "failed"');
    }
    this.#miniProgram(appId);
    if (filing !== undefined) this.#model.icp.outcomes.set(appId, filing);
    if (verify !== undefined) this.#model.icp.verifyOutcomes.set(appId, verify);
  }

  /**
   * How mini program `appId`'s next 认证 review (`wxa/sec/wxaauth`, `reauth`) ends:
   * `"approved"` by default, sent back for refilling, or finally failed, with a reason.
   */
  setWxVerifyOutcome(appId: string, outcome: WxVerifyOutcome): void {
    if (
      outcome !== "approved" &&
      (typeof outcome !== "object" || outcome === null ||
        (outcome.status !== "refill" && outcome.status !== "failed"))
    ) {
      throw new TypeError('认证 outcome must be "approved" or { status: "refill" | "failed", … }');
    }
    this.#miniProgram(appId);
    this.#model.wxverify.outcomes.set(appId, outcome);
  }

  /**
   * The code audits of mini program `appId`, oldest first, as WeChat holds them (for checking,
   * e.g., that a version was submitted only once).
   */
  audits(appId: string): SimulatedAudit[] {
    const code = this.#model.code.accounts.get(appId);
    return (code?.audits ?? []).map((a) => ({
      auditid: a.auditid,
      status: a.status,
      userVersion: a.version.userVersion,
      templateId: a.version.templateId,
      submittedAt: a.submittedAt,
      ...(a.reason === undefined ? {} : { reason: a.reason }),
      released: a.released,
    }));
  }

  // ---- accounts ----------------------------------------------------------------------------

  /** A snapshot of an account, or `undefined` when unknown. */
  account(appId: string): SimulatedAccount | undefined {
    const a = this.#model.accounts.get(appId);
    return a ? snapshot(a) : undefined;
  }

  /** Snapshots of every account the simulator knows (authorized or not). */
  accounts(): SimulatedAccount[] {
    return [...this.#model.accounts.values()].map(snapshot);
  }

  /**
   * Simulates a merchant authorizing the platform (what the authorization page does): creates
   * or re-authorizes the account, gives it a new refresh token, and returns the authorization
   * code. With {@linkcode WeChatSimulatorOptions.events}, the `authorized`/`updateauthorized`
   * push is delivered too. Throws a `RangeError` for a bad `preAuthCode`.
   *
   * @example Authorize and exchange the code
   * ```ts
   * import { WeChatSimulator } from "@wxopen/component/testing";
   *
   * const sim = new WeChatSimulator({
   *   componentAppId: "wx1111111111111111",
   *   componentAppSecret: "secret",
   *   componentToken: "token",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   * });
   * const { appId, authCode } = await sim.authorizeAccount({ kind: "mini_program" });
   * // the platform now calls api_query_auth with authCode
   * ```
   */
  async authorizeAccount(options: AuthorizeAccountOptions): Promise<Authorization> {
    const model = this.#model;
    if (options.kind !== "official_account" && options.kind !== "mini_program") {
      throw new TypeError('Option kind must be "official_account" or "mini_program"');
    }
    if (options.preAuthCode !== undefined) model.consumePreAuthCode(options.preAuthCode);
    let account = options.appId === undefined ? undefined : model.accounts.get(options.appId);
    if (account && account.kind !== options.kind) {
      throw new TypeError("Option kind does not match the existing account");
    }
    if (!account) {
      const appId = options.appId ?? newAppId();
      const n = model.accounts.size + 1;
      const oa = options.kind === "official_account";
      account = {
        appId,
        kind: options.kind,
        userName: options.userName ?? "gh_" + toHex(randomBytes(6)),
        nickName: options.nickName ?? (oa ? `模拟公众号 ${n}` : `模拟小程序 ${n}`),
        principalName: options.principalName ?? "模拟科技有限公司",
        alias: oa ? `sim_${n}` : "",
        signature: "微信模拟器账号",
        serviceTypeId: options.serviceTypeId ?? (oa ? 2 : 0),
        verifyTypeId: options.verifyTypeId ?? 0,
        funcIds: [...(options.funcIds ?? DEFAULT_FUNCS[options.kind])],
        defaultOpenId: "o" + opaque(21).slice(0, 27),
        options: { location_report: "0", voice_recognize: "0", customer_service: "0" },
        authorized: false,
        authTime: 0,
      };
      model.accounts.set(appId, account);
    } else if (options.funcIds) {
      account.funcIds = [...options.funcIds];
    }
    const infoType = account.authorized ? "updateauthorized" : "authorized";
    account.authorized = true;
    account.revokedAt = undefined;
    account.authTime = Math.floor(this.now() / 1000);
    account.refreshToken = "refreshtoken@@@" + opaque(32);
    let preAuthCode = options.preAuthCode;
    if (preAuthCode === undefined) {
      preAuthCode = model.issuePreAuthCode();
      model.consumePreAuthCode(preAuthCode);
    }
    const { code } = model.issueAuthCode(account.appId);
    const authorization: Authorization = {
      appId: account.appId,
      kind: account.kind,
      infoType,
      authCode: code,
      expiresIn: model.config.authCodeLifetimeS,
      preAuthCode,
      createTime: account.authTime,
    };
    if (this.#options.events) {
      await this.#autoDeliver(
        authorization.infoType,
        () => this.authorizationPush(this.#options.events!.url, authorization),
      );
    }
    return authorization;
  }

  /**
   * Simulates the merchant revoking the authorization: the account's tokens stop working
   * (40001), `api_authorizer_token` answers 61003. With {@linkcode WeChatSimulatorOptions.events},
   * the `unauthorized` push is delivered.
   */
  async revoke(appId: string): Promise<void> {
    const account = this.#authorized(appId);
    account.authorized = false;
    account.revokedAt = this.now();
    account.refreshToken = undefined;
    this.#model.revokeTokensOf(appId);
    if (this.#options.events) {
      await this.#autoDeliver(
        "unauthorized",
        () => this.unauthorizedPush(this.#options.events!.url, appId),
      );
    }
  }

  #miniProgram(appId: string): Account {
    const account = this.#model.accounts.get(appId);
    if (!account || account.kind !== "mini_program") {
      throw new RangeError(`Account ${appId} is not a known mini program`);
    }
    return account;
  }

  #authorized(appId: string): Account {
    const account = this.#model.accounts.get(appId);
    if (!account || !account.authorized) {
      throw new RangeError(`Account ${appId} is not authorized`);
    }
    return account;
  }

  /** Issues an OAuth `code` for a user of an authorized Official Account (as after consent). */
  oauthCode(options: { appId: string; openid?: string; scope?: string }): string {
    const a = this.#authorized(options.appId);
    if (a.kind !== "official_account") throw new TypeError("OAuth codes are for Official Accounts");
    return this.#model.issueUserCode(
      "oauth",
      a.appId,
      options.openid ?? a.defaultOpenId,
      options.scope ?? "snsapi_base",
    );
  }

  /** Issues a mini-program `js_code` (what `wx.login()` returns) for `jscode2session`. */
  jsCode(options: { appId: string; openid?: string }): string {
    const a = this.#authorized(options.appId);
    if (a.kind !== "mini_program") throw new TypeError("Login codes are for Mini Programs");
    return this.#model.issueUserCode("js", a.appId, options.openid ?? a.defaultOpenId, "");
  }

  // ---- JS-SDK ------------------------------------------------------------------------------

  /**
   * Ends the current `type` ticket of `appId` (as WeChat does when the account's tickets are
   * reset): `wx.config` refuses signatures made with it and the next `getticket` answers a new
   * one. Nothing happens when no ticket was issued.
   */
  invalidateTicket(appId: string, type: "jsapi" | "wx_card"): void {
    if (type !== "jsapi" && type !== "wx_card") {
      throw new TypeError('Invalid type: expected "jsapi" or "wx_card"');
    }
    const key = `${appId}|${type}`;
    const current = this.#model.jsTickets.get(key);
    if (!current) return;
    this.#model.jsTickets.delete(key);
    const issued = this.#model.issuedJsTickets.get(current.ticket);
    if (issued) issued.invalidated = true;
  }

  /**
   * What `wx.config` in WeChat's browser says of `config` on the page at `url`: `"ok"`, or
   * `"invalid signature"` when the signature matches no valid `jsapi` ticket of `config.appId`
   * for that URL (without its fragment). JS interface safe domains are not checked.
   */
  checkJssdkConfig(
    config: { appId: string; timestamp: number | string; nonceStr: string; signature: string },
    url: string,
  ): "ok" | "invalid signature" {
    const now = this.now();
    for (const [ticket, rec] of this.#model.issuedJsTickets) {
      if (rec.appId !== config.appId || rec.type !== "jsapi") continue;
      if (rec.invalidated || now >= rec.expiresAt) continue;
      try {
        const expected = jssdkSignature({
          jsapi_ticket: ticket,
          noncestr: config.nonceStr,
          timestamp: config.timestamp,
          url,
        });
        if (expected === config.signature) return "ok";
      } catch {
        return "invalid signature";
      }
    }
    return "invalid signature";
  }

  /** Customer-service messages sent through the API, optionally of one authorizer. */
  sentMessages(appId?: string): SentMessage[] {
    return this.#sent.filter((m) => appId === undefined || m.appId === appId).map((m) => ({
      ...m,
    }));
  }

  /** Pushes delivered on their own to {@linkcode WeChatSimulatorOptions.events}. */
  deliveries(): Delivery[] {
    return [...this.#deliveries];
  }

  /** Resolves when every automatic delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #autoDeliver(
    infoType: string,
    build: () => Promise<Request>,
    appId?: string,
  ): Promise<void> {
    const target = this.#options.events;
    if (!target) return;
    const task = (async () => {
      const record: Delivery = appId === undefined ? { infoType } : { infoType, appId };
      try {
        const request = await build();
        const send = target.fetch ?? ((r: Request) => fetch(r));
        const response = await send(request);
        record.status = response.status;
        record.body = await response.text();
      } catch (e) {
        record.error = e;
      }
      this.#deliveries.push(record);
    })();
    this.#pending.add(task);
    try {
      await task;
    } finally {
      this.#pending.delete(task);
    }
  }

  // ---- pushes ------------------------------------------------------------------------------

  async #componentPush(url: string, fields: XmlInputObject): Promise<Request> {
    const crypto = await this.#crypto;
    return await encryptedPush(
      crypto,
      url,
      ["AppId", this.#options.componentAppId],
      { AppId: this.#options.componentAppId, ...fields },
      this.now(),
    );
  }

  /**
   * Issues a new component_verify_ticket and returns WeChat's encrypted, signed push of it
   * to `url` (the 授权事件接收URL), ready to hand to the platform's handler.
   *
   * @example Push a ticket into a handler
   * ```ts
   * import { WeChatSimulator } from "@wxopen/component/testing";
   *
   * const sim = new WeChatSimulator({
   *   componentAppId: "wx1111111111111111",
   *   componentAppSecret: "secret",
   *   componentToken: "token",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   * });
   * const request = await sim.ticketPush("https://platform.example/wechat/component/events");
   * console.log(new URL(request.url).searchParams.get("encrypt_type")); // aes
   * ```
   */
  ticketPush(url: string): Promise<Request> {
    const ticket = this.#model.issueTicket();
    return this.#componentPush(url, {
      CreateTime: Math.floor(this.now() / 1000),
      InfoType: "component_verify_ticket",
      ComponentVerifyTicket: ticket,
    });
  }

  /** The `authorized` / `updateauthorized` push of an authorization, to `url`. */
  authorizationPush(url: string, authorization: Authorization): Promise<Request> {
    return this.#componentPush(url, {
      CreateTime: authorization.createTime,
      InfoType: authorization.infoType,
      AuthorizerAppid: authorization.appId,
      AuthorizationCode: authorization.authCode,
      // Real pushes carry an absolute unix time here (CreateTime + 3600 in captures).
      AuthorizationCodeExpiredTime: String(authorization.createTime + 3600),
      PreAuthCode: authorization.preAuthCode,
    });
  }

  /** The `unauthorized` push for `appId`, to `url`. */
  unauthorizedPush(url: string, appId: string): Promise<Request> {
    return this.#componentPush(url, {
      CreateTime: Math.floor(this.now() / 1000),
      InfoType: "unauthorized",
      AuthorizerAppid: appId,
    });
  }

  /**
   * An encrypted push of an authorizer message to `url` (the 消息与事件接收URL; a literal
   * `$APPID$` is replaced by the appid). `fields` are the message's own fields after
   * ToUserName, FromUserName and CreateTime (e.g. `{ MsgType: "text", Content: "hi" }`).
   */
  async messagePush(
    url: string,
    options: MessagePushOptions,
    fields: XmlInputObject,
  ): Promise<Request> {
    const account = this.#model.accounts.get(options.appId);
    if (!account) throw new RangeError(`Account ${options.appId} is unknown`);
    const openid = options.openid ?? account.defaultOpenId;
    const crypto = await this.#crypto;
    return await encryptedPush(
      crypto,
      url.replaceAll("$APPID$", account.appId),
      ["ToUserName", account.userName],
      {
        ToUserName: account.userName,
        FromUserName: openid,
        CreateTime: Math.floor(this.now() / 1000),
        ...fields,
      },
      this.now(),
      openid,
    );
  }

  /** An encrypted text message from a user to an authorizer. */
  textMessagePush(
    url: string,
    options: MessagePushOptions & { content: string },
  ): Promise<Request> {
    return this.messagePush(url, options, {
      MsgType: "text",
      Content: options.content,
      MsgId: msgId(),
    });
  }

  /** An encrypted event push (`MsgType` event) to an authorizer; `fields` follow `Event`. */
  eventMessagePush(
    url: string,
    options: MessagePushOptions & { event: string; fields?: XmlInputObject },
  ): Promise<Request> {
    return this.messagePush(url, options, {
      MsgType: "event",
      Event: options.event,
      ...options.fields,
    });
  }

  async #releaseAccount(kind: AccountKind): Promise<Account> {
    const spec = RELEASE_TEST_ACCOUNTS[kind];
    const existing = this.#model.accounts.get(spec.appId);
    if (!existing || !existing.authorized) {
      await this.authorizeAccount({ appId: spec.appId, kind, userName: spec.userName });
    }
    return this.#model.accounts.get(spec.appId)!;
  }

  /**
   * Release test ("全网发布") step 2: the test Official Account (wx570bc396a51b8ff8) sends
   * text `TESTCOMPONENT_MSG_TYPE_TEXT`; the platform must answer with an encrypted text reply
   * `TESTCOMPONENT_MSG_TYPE_TEXT_callback` (check it with {@linkcode WeChatSimulator.openReply}).
   */
  async releaseTestTextPush(url: string): Promise<Request> {
    const account = await this.#releaseAccount("official_account");
    return this.textMessagePush(url, {
      appId: account.appId,
      content: "TESTCOMPONENT_MSG_TYPE_TEXT",
    });
  }

  /**
   * Release test steps 3/4: WeChat authorizes the test account and sends text
   * `QUERY_AUTH_CODE:<code>`. The platform answers empty, calls `api_query_auth` with the code
   * and sends the customer-service text `<code>_from_api` (see
   * {@linkcode WeChatSimulator.releaseTestPassed}).
   */
  async releaseTestQueryAuthCodePush(
    url: string,
    kind: AccountKind = "official_account",
  ): Promise<{ request: Request; authCode: string; appId: string; openid: string }> {
    const spec = RELEASE_TEST_ACCOUNTS[kind];
    const existing = this.#model.accounts.get(spec.appId);
    const authorization = await this.authorizeAccount({
      appId: spec.appId,
      kind,
      userName: existing ? undefined : spec.userName,
    });
    const account = this.#model.accounts.get(spec.appId)!;
    const request = await this.textMessagePush(url, {
      appId: account.appId,
      content: `QUERY_AUTH_CODE:${authorization.authCode}`,
    });
    return {
      request,
      authCode: authorization.authCode,
      appId: account.appId,
      openid: account.defaultOpenId,
    };
  }

  /**
   * Release test, event step (older rule): the test Official Account pushes event `event`
   * (default `LOCATION`); the platform must reply text `<event>from_callback`.
   */
  async releaseTestEventPush(url: string, event = "LOCATION"): Promise<Request> {
    const account = await this.#releaseAccount("official_account");
    const fields: XmlInputObject = event === "LOCATION"
      ? { Latitude: "23.137466", Longitude: "113.352425", Precision: "119.385040" }
      : {};
    return this.eventMessagePush(url, { appId: account.appId, event, fields });
  }

  /**
   * Whether the platform finished the QUERY_AUTH_CODE step for `authCode`: the code was
   * exchanged and `<authCode>_from_api` was sent as a customer-service text to the user.
   */
  releaseTestPassed(authCode: string): boolean {
    const rec = this.#model.authCodes.get(authCode);
    if (!rec || rec.exchanges === 0) return false;
    const account = this.#model.accounts.get(rec.appId)!;
    return this.#sent.some((m) =>
      m.appId === rec.appId && m.touser === account.defaultOpenId && m.msgtype === "text" &&
      (m.body.text as { content?: unknown } | undefined)?.content === `${authCode}_from_api`
    );
  }

  /**
   * Checks the `MsgSignature` of an encrypted passive reply and returns its plaintext XML.
   * `success` and empty answers are returned as they are; anything else throws a `TypeError`
   * (or a MessageCrypto error when decryption fails).
   */
  async openReply(reply: string | Response): Promise<string> {
    const body = typeof reply === "string" ? reply : await reply.text();
    return await openReply(await this.#crypto, body);
  }

  // ---- code templates ----------------------------------------------------------------------

  /**
   * Simulates a developer uploading code from WeChat DevTools into the platform's draft box
   * (草稿箱) and returns the new `draft_id`, for `wxa/addtotemplate`. From the first draft on,
   * `wxa/commit` accepts only the template ids of the libraries.
   */
  addTemplateDraft(options: TemplateDraftOptions): number {
    const o = options as Partial<TemplateDraftOptions> | undefined;
    if (typeof o?.user_version !== "string" || o.user_version.trim() === "") {
      throw new TypeError("Invalid user_version: expected a non-empty string");
    }
    for (
      const name of ["user_desc", "source_miniprogram_appid", "source_miniprogram", "developer"]
    ) {
      const value = (o as Record<string, unknown>)[name];
      if (value !== undefined && typeof value !== "string") {
        throw new TypeError(`Invalid ${name}: expected a string`);
      }
    }
    return this.#model.templates.addDraft({
      create_time: Math.floor(this.now() / 1000),
      user_version: o.user_version,
      user_desc: o.user_desc ?? "",
      source_miniprogram_appid: o.source_miniprogram_appid ?? "wx" + "d".repeat(16),
      source_miniprogram: o.source_miniprogram ?? "模拟开发小程序",
      developer: o.developer ?? "模拟开发者",
    }).draft_id;
  }

  // ---- names and categories ----------------------------------------------------------------

  /**
   * Decides a running name audit (`wxa/setnickname` answered an `audit_id`) now, instead of
   * the approval an hour after submission: approved (the name becomes the account's) or
   * rejected with `reason`. The verdict is pushed as `wxa_nickname_audit` to the message URL
   * ({@linkcode SimulatorEventTarget.messageUrl}). Throws a `RangeError` when no such audit runs.
   */
  endNicknameAudit(
    appId: string,
    auditId: number,
    verdict: { approved: boolean; reason?: string },
  ): void {
    this.#authorized(appId);
    const audit = this.#model.profiles.of(appId).audits.get(auditId);
    if (!audit || audit.decision) throw new RangeError(`No name audit ${auditId} running`);
    decideNicknameAudit(this.#model, this.#hooks, appId, audit, { ...verdict, at: this.now() });
  }

  /**
   * Ends the audit of a sensitive category a mini program added (`cgi-bin/wxopen/addcategory`
   * with certificates): approved, or rejected with `reason` (then `modifycategory` may send
   * new certificates). The verdict is pushed as `wxa_category_audit` (`ret` 3 passed, 2
   * refused) to the message URL ({@linkcode SimulatorEventTarget.messageUrl}). Throws a
   * `RangeError` when no such category is under review.
   */
  auditCategory(
    appId: string,
    options: { first: number; second: number; approved: boolean; reason?: string },
  ): void {
    this.#authorized(appId);
    const category = this.#model.profiles.of(appId).categories.find((c) =>
      c.first === options.first && c.second === options.second
    );
    if (!category || category.audit_status !== 1) {
      throw new RangeError(`No category ${options.first}/${options.second} under review`);
    }
    category.audit_status = options.approved ? 3 : 2;
    category.audit_reason = options.approved ? "" : options.reason ?? "资质材料不符合要求";
    this.#hooks.authorizerPush(appId, {
      Event: "wxa_category_audit",
      ret: String(category.audit_status),
      first: String(category.first),
      second: String(category.second),
      reason: category.audit_reason,
    });
  }

  // ---- privacy ------------------------------------------------------------------------------

  /**
   * Makes a Mini Program's draft privacy guide (privacy_ver 2) its released one (privacy_ver 1),
   * as releasing a version submitted with it does. Returns false when it has no draft.
   */
  releasePrivacySetting(appId: string): boolean {
    this.#authorized(appId);
    return releasePrivacyGuide(this.#model.privacy.get(appId));
  }

  /**
   * The next privacy-interface application made is refused with `reason` when WeChat decides
   * it (each call refuses one more); the others are granted.
   */
  refuseNextPrivacyApplication(reason = "小程序内未含有相应使用场景"): void {
    this.#model.privacyRefusals.push(reason);
  }

  // ---- fast registration ----------------------------------------------------------------

  /**
   * The next fast registration started (enterprise, personal or trial) or trial verification
   * fails with `status` and `msg` when WeChat finishes it, instead of creating the Mini Program
   * (each call fails one more). Default: the legal person did not confirm within 24 hours.
   */
  failNextFastRegistration(
    failure: { status: number; msg?: string } = { status: 100001, msg: "法人未确认" },
  ): void {
    if (!Number.isInteger(failure.status) || failure.status === 0) {
      throw new RangeError("A failure status is a non-zero integer");
    }
    this.#model.registrationFailures.push({ status: failure.status, msg: failure.msg ?? "fail" });
  }

  /**
   * What an Official Account's administrator gets by confirming on WeChat's fast-registration
   * page (`mp.weixin.qq.com/cgi-bin/fastregisterauth`): the single-use `ticket` (1 hour) that
   * `cgi-bin/account/fastregister` takes with the account's token. `copyWxVerify`: reuse the
   * account's verification (default true).
   */
  fastRegisterTicket(
    officialAccountAppId: string,
    options: { copyWxVerify?: boolean } = {},
  ): string {
    const account = this.#authorized(officialAccountAppId);
    if (account.kind !== "official_account") {
      throw new TypeError("Fast registration tickets are for Official Accounts");
    }
    const ticket = "fastregister@@@" + opaque(32);
    this.#model.fastRegisterTickets.set(ticket, {
      appId: account.appId,
      copyWxVerify: options.copyWxVerify ?? true,
      expiresAt: this.now() + 3600_000,
      used: false,
    });
    return ticket;
  }

  // ---- followers ---------------------------------------------------------------------------

  /**
   * Makes users follow the Official Account `appId` (after the three followers
   * it starts with, the first of them its default user) and returns their openids in follow
   * order: `count` new ones, or the given `openids` (one already following is left as is).
   * `cgi-bin/user/get` lists them after the earlier followers.
   */
  addFollowers(appId: string, followers: number | { openids: string[] }): string[] {
    const a = this.#model.accounts.get(appId);
    if (!a) throw new RangeError(`Unknown account ${appId}`);
    if (a.kind !== "official_account") throw new TypeError("Only Official Accounts have followers");
    let openids: string[];
    if (typeof followers === "number") {
      if (!Number.isInteger(followers) || followers < 1 || followers > 1_000_000) {
        throw new RangeError("Invalid follower count: expected an integer from 1 to 1000000");
      }
      openids = Array.from({ length: followers }, newOpenId);
    } else {
      openids = followers?.openids;
      if (!Array.isArray(openids) || openids.some((o) => !OPENID.test(String(o)))) {
        throw new TypeError("Invalid openids: expected 1 to 64 letters, digits, - or _ each");
      }
    }
    const store = this.#model.followers.of(a.appId, a.defaultOpenId, this.now());
    for (const openid of openids) {
      if (!store.has(openid)) store.set(openid, follower(openid, this.now()));
    }
    return [...openids];
  }

  /** The errmsg WeChat sends for `errcode` (without the rid suffix). */
  static errmsg(errcode: number): string | undefined {
    return ERRMSG[errcode];
  }
}

function snapshot(a: Account): SimulatedAccount {
  return {
    appId: a.appId,
    kind: a.kind,
    userName: a.userName,
    nickName: a.nickName,
    authorized: a.authorized,
    refreshToken: a.refreshToken,
    funcIds: [...a.funcIds],
    openid: a.defaultOpenId,
    options: { ...a.options },
  };
}

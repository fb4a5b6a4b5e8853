/**
 * The simulated routes of domains: a mini program's server domains (`wxa/modify_domain`, and
 * `_directly`), its web-view domains (`wxa/setwebviewdomain`, and `_directly`) and confirm
 * file, and the platform's registered domains (`cgi-bin/component/modify_wxa_server_domain`,
 * `modify_wxa_jump_domain`, `get_domain_confirmfile`).
 *
 * WeChat's rules as simulated:
 * - only mini programs have domains (85015 for an Official Account);
 * - a server domain has its list's scheme (`https://` for request, upload and download,
 *   `wss://`, `udp://`, `tcp://`), a host name (no IP address, not `api.weixin.qq.com`), an
 *   optional port and no path; others are left out and listed in `invalid_<list>`;
 * - `modify_domain` keeps only the hosts the platform registered (testing or published value
 *   of `modify_wxa_server_domain`), silently; `modify_domain_directly` keeps any valid one;
 * - when every domain given was left out, or nothing would change: 85301 if some domain was
 *   malformed, else 85017 (so a `set` of refused domains empties nothing); a list
 *   over 200 domains: 85016;
 * - a web-view domain is `https://` + host; `setwebviewdomain` takes only the platform's
 *   registered web-view domains (`modify_wxa_jump_domain`) and their subdomains (89020 when the
 *   platform registered none, 89021 for any other, malformed ones included), and with no
 *   `action` sets all of them; no change: 89019; over 100: 89029;
 * - the platform's lists hold bare host names (`www.qq.com`), `;`-separated; others are
 *   answered in `invalid_…`; changes go to the testing value, and to the published one with
 *   `is_modify_published_together`; over 1000 server or 300 web-view domains: 85016.
 * ICP filing, the 50-a-month limit and the confirm file's presence are not checked.
 *
 * @module
 */

import { domainApis } from "../api/domains.ts";
import { ApiFailure, errorBody, jsonResponse, OK } from "./_errors.ts";
import type { Ctx, Json, Route } from "./_route.ts";
import { serve, str } from "./_route.ts";
import {
  type AccountDomains,
  newConfirmFile,
  type PlatformDomains,
  type ServerDomainLists,
} from "./_domain_store.ts";

type Field = keyof ServerDomainLists;

const SCHEMES: Readonly<Record<Field, string>> = {
  requestdomain: "https",
  wsrequestdomain: "wss",
  uploaddomain: "https",
  downloaddomain: "https",
  udpdomain: "udp",
  tcpdomain: "tcp",
};
const FIELDS = Object.keys(SCHEMES) as Field[];
const ACTIONS = ["add", "delete", "set", "get"];

const SERVER_LIST_LIMIT = 200;
const WEBVIEW_LIMIT = 100;
const PLATFORM_SERVER_LIMIT = 1000;
const PLATFORM_JUMP_LIMIT = 300;

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/;

/** A bare host name WeChat accepts, lowercased, or `undefined`. */
function hostName(value: string): string | undefined {
  const host = value.trim().toLowerCase();
  return HOST.test(host) && host !== "api.weixin.qq.com" ? host : undefined;
}

/** `scheme://host[:port]`, normalized, with its host; `undefined` when malformed. */
function parseDomain(value: unknown, scheme: string): { domain: string; host: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^([a-z]+):\/\/([^/:?#\s]+)(?::(\d{1,5}))?\/?$/i.exec(value.trim());
  if (!m || m[1].toLowerCase() !== scheme) return undefined;
  const host = hostName(m[2]);
  if (host === undefined) return undefined;
  return { domain: `${scheme}://${host}${m[3] ? `:${m[3]}` : ""}`, host };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function actionOf(value: unknown): string {
  const action = str(value);
  if (action === undefined || !ACTIONS.includes(action)) throw new ApiFailure(40097);
  return action;
}

function arrayOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ApiFailure(47001);
  return value;
}

/** An error answer that also carries fields (WeChat lists what it refused). */
function failure(ctx: Ctx, errcode: number, extra: Json): Response {
  return jsonResponse({ ...JSON.parse(errorBody(errcode, ctx.model.now())), ...extra });
}

/** The mini program the token acts for (85015 for an Official Account). */
function miniProgram(ctx: Ctx): AccountDomains {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program") throw new ApiFailure(85015);
  return ctx.model.domains.of(account.appId);
}

function lists(rec: AccountDomains): Json {
  return Object.fromEntries(FIELDS.map((f) => [f, [...rec.server[f]]]));
}

function modifyDomain(directly: boolean) {
  return (ctx: Ctx): unknown => {
    const rec = miniProgram(ctx);
    const action = actionOf(ctx.body.action);
    if (action === "get") return { ...OK, ...lists(rec) };
    if (action === "delete") {
      for (const field of FIELDS) {
        const gone = new Set(
          arrayOf(ctx.body[field]).map((d) => parseDomain(d, SCHEMES[field])?.domain ?? d),
        );
        rec.server[field] = rec.server[field].filter((d) => !gone.has(d));
      }
      return { ...OK, ...lists(rec) };
    }
    const platform = new Set(union(
      ctx.model.domains.platformServer.testing,
      ctx.model.domains.platformServer.published,
    ));
    const invalid: Json = {};
    const next = {} as ServerDomainLists;
    let given = 0;
    let malformed = 0;
    let taken = 0;
    for (const field of FIELDS) {
      const bad: unknown[] = [];
      const kept: string[] = [];
      for (const raw of arrayOf(ctx.body[field])) {
        given++;
        const parsed = parseDomain(raw, SCHEMES[field]);
        if (parsed === undefined) {
          bad.push(raw);
          malformed++;
        } else if (directly || platform.has(parsed.host)) {
          kept.push(parsed.domain);
          taken++;
        }
      }
      invalid[`invalid_${field}`] = bad;
      next[field] = action === "add" ? union(rec.server[field], kept) : union([], kept);
    }
    const changed = FIELDS.some((f) => !same(next[f], rec.server[f]));
    // Every domain filtered out, or nothing new: WeChat changes nothing (a `set` of only
    // refused domains does not empty the lists).
    if (given > 0 && (taken === 0 || !changed)) {
      return failure(ctx, malformed > 0 ? 85301 : 85017, { ...lists(rec), ...invalid });
    }
    if (FIELDS.some((f) => next[f].length > SERVER_LIST_LIMIT)) throw new ApiFailure(85016);
    rec.server = next;
    return { ...OK, ...lists(rec), ...invalid };
  };
}

function isWithin(host: string, registered: readonly string[]): boolean {
  return registered.some((r) => host === r || host.endsWith("." + r));
}

function setWebView(directly: boolean) {
  return (ctx: Ctx): unknown => {
    const rec = miniProgram(ctx);
    const jump = ctx.model.domains.platformJump;
    const registered = union(jump.testing, jump.published);
    if (!directly && ctx.body.action === undefined) {
      // WeChat's rule: without an action, every web-view domain the platform registered.
      if (registered.length === 0) throw new ApiFailure(89020);
      const all = registered.map((h) => `https://${h}`);
      if (same(all, rec.webview)) throw new ApiFailure(89019);
      if (all.length > WEBVIEW_LIMIT) throw new ApiFailure(89029);
      rec.webview = all;
      return OK;
    }
    const action = actionOf(ctx.body.action);
    if (action === "get") return { ...OK, webviewdomain: [...rec.webview] };
    const given = arrayOf(ctx.body.webviewdomain);
    if (action === "delete") {
      const gone = new Set(given.map((d) => parseDomain(d, "https")?.domain ?? d));
      rec.webview = rec.webview.filter((d) => !gone.has(d));
      return OK;
    }
    if (!directly && registered.length === 0) throw new ApiFailure(89020);
    const kept: string[] = [];
    for (const raw of given) {
      const parsed = parseDomain(raw, "https");
      if (parsed === undefined) throw new ApiFailure(directly ? 40097 : 89021);
      if (!directly && !isWithin(parsed.host, registered)) throw new ApiFailure(89021);
      kept.push(parsed.domain);
    }
    const next = action === "add" ? union(rec.webview, kept) : union([], kept);
    if (same(next, rec.webview)) throw new ApiFailure(89019);
    if (next.length > WEBVIEW_LIMIT) throw new ApiFailure(89029);
    rec.webview = next;
    return OK;
  };
}

function platformDomains(kind: "server" | "jump") {
  const field = kind === "server" ? "wxa_server_domain" : "wxa_jump_h5_domain";
  const limit = kind === "server" ? PLATFORM_SERVER_LIMIT : PLATFORM_JUMP_LIMIT;
  return (ctx: Ctx): unknown => {
    const store = ctx.model.domains;
    const pd: PlatformDomains = kind === "server" ? store.platformServer : store.platformJump;
    const action = actionOf(ctx.body.action);
    const raw = ctx.body[field];
    if (raw !== undefined && typeof raw !== "string") throw new ApiFailure(47001);
    const items = (raw ?? "").split(";").map((d) => d.trim()).filter((d) => d !== "");
    const valid: string[] = [];
    const invalid: string[] = [];
    for (const item of items) {
      const host = hostName(item);
      if (host === undefined) invalid.push(item);
      else valid.push(host);
    }
    if (action !== "get") {
      const together = ctx.body.is_modify_published_together === true;
      const keys: ("testing" | "published")[] = together ? ["testing", "published"] : ["testing"];
      const next = keys.map((k) =>
        action === "add"
          ? union(pd[k], valid)
          : action === "set"
          ? union([], valid)
          : pd[k].filter((d) => !valid.includes(d))
      );
      if (next.some((l) => l.length > limit)) throw new ApiFailure(85016);
      keys.forEach((k, i) => pd[k] = next[i]);
    }
    const out: Json = {
      ...OK,
      [`published_${field}`]: pd.published.join(";"),
      [`testing_${field}`]: pd.testing.join(";"),
    };
    if (invalid.length > 0) out[`invalid_${field}`] = invalid.join(";");
    return out;
  };
}

/** The routes of this area, in the simulator's table. */
export const domainRoutes: Route[] = [
  serve(domainApis.modifyDomain, modifyDomain(false)),
  serve(domainApis.modifyDomainDirectly, modifyDomain(true)),
  serve(domainApis.setWebViewDomain, setWebView(false)),
  serve(domainApis.setWebViewDomainDirectly, setWebView(true)),
  serve(domainApis.getWebViewDomainConfirmFile, (ctx) => {
    const rec = miniProgram(ctx);
    rec.confirmFile ??= newConfirmFile();
    return { ...OK, ...rec.confirmFile };
  }),
  serve(domainApis.modifyWxaServerDomain, platformDomains("server")),
  serve(domainApis.getDomainConfirmFile, (ctx) => {
    const store = ctx.model.domains;
    store.platformConfirmFile ??= newConfirmFile();
    return { ...OK, ...store.platformConfirmFile };
  }),
  serve(domainApis.modifyWxaJumpDomain, platformDomains("jump")),
];

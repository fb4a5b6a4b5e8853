/**
 * A fake of WeChat's mini-program code management for the worker's release tests and the
 * release benchmark, served through the harness's `upstream` hook in front of the simulator
 * (which knows the tokens): `wxa/commit` … `wxa/release`, one shared audit quota, audits that
 * this process decides, and faults on demand (5xx, timeouts, answers lost after the call took
 * effect). It counts every call per mini program and every submission per version.
 *
 * @module
 */

import type { WeChatSimulator } from "../src/testing/mod.ts";

/**
 * A fault of one call: `"5xx"` (502, not applied), `"errcode-1"` (WeChat's system error),
 * `"lost"` (applied, then a 502: the caller cannot know), `"timeout"` (no answer, not applied)
 * and `"timeout_applied"` (applied, no answer): the worker's 10 s deadline ends both.
 */
export type CodeFault = "5xx" | "errcode-1" | "lost" | "timeout" | "timeout_applied";

interface Program {
  dev?: string;
  audit?: { auditid: number; version: string; status: number; reason?: string };
  released?: string;
  /** The gray release plan (status 1 running, 3 done, 4 deleted) of the audited version. */
  gray?: { status: number; percentage: number; version: string };
  calls: number;
  /** Calls by path. */
  paths: Map<string, number>;
  submits: Map<string, number>;
}

const PATHS = new Set([
  "/wxa/commit",
  "/wxa/submit_audit",
  "/wxa/get_auditstatus",
  "/wxa/get_latest_auditstatus",
  "/wxa/queryquota",
  "/wxa/release",
  "/wxa/grayrelease",
  "/wxa/getgrayreleaseplan",
  "/wxa/getversioninfo",
  "/wxa/undocodeaudit",
  "/wxa/modify_domain",
  "/wxa/setwebviewdomain",
  "/cgi-bin/component/setprivacysetting",
]);

const json = (body: Record<string, unknown>, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** See the module documentation. */
export class CodeFake {
  readonly programs = new Map<string, Program>();
  quota = { rest: 10_000, limit: 10_000 };
  quotaCalls = 0;
  #nextAudit = 5000;
  readonly #tokens = new Map<string, string>();
  /** Faults by `${appid} ${path}`, consumed in order. */
  readonly faults = new Map<string, CodeFault[]>();
  /** Verdicts by appid when audits are decided (0 approve, 1 reject); default approve. */
  readonly verdicts = new Map<string, number>();
  readonly #sim: WeChatSimulator;
  readonly #appids: () => readonly string[];

  /** A fake in front of `sim`, for the mini programs `appids` lists. */
  constructor(sim: WeChatSimulator, appids: () => readonly string[]) {
    this.#sim = sim;
    this.#appids = appids;
  }

  program(appid: string): Program {
    let p = this.programs.get(appid);
    if (!p) this.programs.set(appid, p = { calls: 0, paths: new Map(), submits: new Map() });
    return p;
  }

  /** Which mini program a token belongs to (the simulator issued it). */
  #appidOf(token: string): string | undefined {
    const hit = this.#tokens.get(token);
    if (hit) return hit;
    for (const appid of this.#appids()) {
      const current = this.#sim.currentAccessToken(appid);
      if (current) this.#tokens.set(current, appid);
    }
    return this.#tokens.get(token);
  }

  /** The harness's `upstream` hook: answers code management, leaves the rest to the simulator. */
  async handle(request: Request): Promise<Response | "hang" | undefined> {
    const url = new URL(request.url);
    if (!PATHS.has(url.pathname)) return undefined;
    const appid = this.#appidOf(url.searchParams.get("access_token") ?? "");
    if (!appid) return json({ errcode: 40001, errmsg: "invalid credential" });
    const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
    const p = this.program(appid);
    if (url.pathname === "/wxa/queryquota") {
      this.quotaCalls++;
      return json({ errcode: 0, errmsg: "ok", ...this.quota, speedup_rest: 0, speedup_limit: 0 });
    }
    p.calls++;
    p.paths.set(url.pathname, (p.paths.get(url.pathname) ?? 0) + 1);
    const fault = this.faults.get(`${appid} ${url.pathname}`)?.shift();
    if (fault === "5xx") return new Response("bad gateway", { status: 502 });
    if (fault === "errcode-1") return json({ errcode: -1, errmsg: "system error" });
    if (fault === "timeout") return "hang";
    const answer = this.#apply(appid, p, url.pathname, body as Record<string, unknown>);
    if (fault === "lost") return new Response("bad gateway", { status: 502 });
    if (fault === "timeout_applied") return "hang";
    return json(answer);
  }

  #apply(_appid: string, p: Program, path: string, body: Record<string, unknown>) {
    const ok = (extra: Record<string, unknown> = {}) => ({ errcode: 0, errmsg: "ok", ...extra });
    const no = (errcode: number, errmsg: string) => ({ errcode, errmsg });
    switch (path) {
      case "/wxa/commit":
        try {
          JSON.parse(String(body.ext_json));
        } catch {
          return no(85013, "invalid ext_json");
        }
        p.dev = String(body.user_version);
        return ok();
      case "/wxa/submit_audit": {
        if (!p.dev) return no(85013, "no committed code");
        if (p.audit && (p.audit.status === 2 || p.audit.status === 4)) {
          return no(85009, "already submit a version under auditing");
        }
        if (this.quota.rest <= 0) return no(85085, "submit audit reach limit, please try later");
        this.quota.rest--;
        p.submits.set(p.dev, (p.submits.get(p.dev) ?? 0) + 1);
        p.audit = { auditid: this.#nextAudit++, version: p.dev, status: 2 };
        return ok({ auditid: p.audit.auditid });
      }
      case "/wxa/get_auditstatus":
        if (!p.audit || p.audit.auditid !== Number(body.auditid)) {
          return no(85012, "invalid auditid");
        }
        return ok({
          status: p.audit.status,
          ...(p.audit.reason ? { reason: p.audit.reason } : {}),
        });
      case "/wxa/get_latest_auditstatus":
        if (!p.audit) return no(85058, "no audit");
        return ok({
          auditid: p.audit.auditid,
          status: p.audit.status,
          user_version: p.audit.version,
          ...(p.audit.reason ? { reason: p.audit.reason } : {}),
        });
      case "/wxa/release":
        if (!p.audit || p.audit.status !== 0) return no(85020, "status not allowed");
        if (p.released === p.audit.version) return no(85052, "app is already released");
        p.released = p.audit.version;
        if (p.gray?.status === 1) p.gray.status = 3;
        return ok();
      case "/wxa/grayrelease": {
        const pct = Number(body.gray_percentage);
        // Raising a running plan's share is allowed; a new plan needs a new audited version.
        if (p.gray?.status === 1 && p.gray.version === p.audit?.version) {
          if (pct < p.gray.percentage) return no(40097, "invalid args");
          p.gray.percentage = pct;
          return ok();
        }
        if (!p.audit || p.audit.status !== 0) return no(85020, "status not allowed");
        if (p.released === p.audit.version) return no(85052, "app is already released");
        p.gray = { status: 1, percentage: pct, version: p.audit.version };
        return ok();
      }
      case "/wxa/getgrayreleaseplan":
        return ok({
          gray_release_plan: p.gray
            ? { status: p.gray.status, create_timestamp: 1, gray_percentage: p.gray.percentage }
            : { status: 0, create_timestamp: 0, gray_percentage: 0 },
        });
      case "/wxa/undocodeaudit":
        if (!p.audit || (p.audit.status !== 2 && p.audit.status !== 4)) {
          return no(87012, "audit already decided");
        }
        p.audit.status = 3;
        return ok();
      case "/wxa/getversioninfo":
        return ok(p.released ? { release_info: { release_version: p.released } } : {});
      default:
        return ok();
    }
  }

  /** Decides every audit in flight (by {@linkcode verdicts}); answers the appids decided. */
  decide(filter: (appid: string) => boolean = () => true): { appid: string; status: number }[] {
    const out: { appid: string; status: number }[] = [];
    for (const [appid, p] of this.programs) {
      if (p.audit?.status !== 2 || !filter(appid)) continue;
      p.audit.status = this.verdicts.get(appid) ?? 0;
      if (p.audit.status === 1) p.audit.reason = "the page content does not match the category";
      out.push({ appid, status: p.audit.status });
    }
    return out;
  }

  /** Most submissions of one version by one mini program. */
  maxSubmitsPerVersion(): number {
    let max = 0;
    for (const p of this.programs.values()) {
      for (const n of p.submits.values()) max = Math.max(max, n);
    }
    return max;
  }
}

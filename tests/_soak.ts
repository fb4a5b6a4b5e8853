/**
 * The seeded fault soak shared by the short run in CI (`tests/soak_test.ts`) and the long run
 * (`deno task soak`): two (or more) worker instances under Miniflare share KV and Durable
 * Objects while the `WeChatSimulator` injects upstream faults and a wrapped KV binding injects
 * store faults (see `kvFaults` in `_worker_harness.ts`). Operations: ticket pushes,
 * authorizations (push only, or the page → WeChat → callback flow), re-authorizations and
 * revocations, token requests, refresh-if-invalid reports, proxied calls, component tokens,
 * cron ticks on either instance, health checks and clock advances of the simulator.
 *
 * Invariants (checked on every answer where cheap, and at the end):
 * - no refresh token lost: after the faults stop, every authorizer the worker accepted and
 *   WeChat still authorizes gets a token WeChat accepts, and a forced refresh works;
 * - no token served after the worker knew it was invalid (reported through the refresh
 *   endpoint, or revoked by an `unauthorized` push it answered `success`): never by the
 *   instance that was told, and by no instance after its in-isolate cache window;
 * - every failure is a clear, retryable error: 5xx with `{ error: { code, message } }`, a
 *   retryable code, no stack trace and no secret (pushes: `success` or such a 5xx);
 * - upstream calls bounded: at most a fixed budget per operation.
 *
 * Fault model: before an operation, with probability `faultRate`, one fault is injected, aimed
 * mostly at an API that operation calls; it lives for the operation's batch (leftovers are
 * cancelled), so faults are bursts, not outages. Not injected: a dropped or timed-out answer of
 * `api_query_auth` (WeChat spent the single-use code; no platform can recover that), and clock
 * jumps while a pushed authorization is still being exchanged (its code lives 10 minutes on
 * WeChat's clock; the worker's retries take seconds of real time). Known harness limits: the
 * worker's clock is real (only WeChat's clock jumps, so cron finds nothing due), and a dropped
 * connection reaches the worker as an answer whose body breaks off (Miniflare turns a throwing
 * outbound service into a 500 page, so `fetch` cannot be made to reject).
 *
 * @module
 */

import {
  authorizeLink,
  type Harness,
  type KvFault,
  type KvFaultOp,
  ORIGIN,
  SETTINGS,
  startWorker,
  unescapeAmp,
} from "./_worker_harness.ts";
import { prng } from "./_prng.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { encryptedPush } from "../src/testing/_push.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
/** How long an isolate may reuse a token it read (worker/credentials.ts ISOLATE_CACHE_MS), plus slack. */
const ISOLATE_WINDOW_MS = 30_000 + 2_000;
/** Codes a retrying caller can act on. */
const RETRYABLE = new Set([
  "store_unavailable",
  "upstream_unreachable",
  "upstream_bad_response",
  "wechat_error",
  "ticket_missing",
  "coordinator_error",
  "authorization_pending",
]);
/** WeChat errcodes a `wechat_error` may carry and still be worth retrying. */
const RETRYABLE_ERRCODES = new Set([-1, 45009, 40001, 42001, 40014, 61023]);
const STACK = /\bat [^\n]*\.(?:js|ts|mjs):\d+|^\s*at /m;
const UPSTREAM_PATHS = [
  "api_component_token",
  "api_authorizer_token",
  "api_query_auth",
  "api_create_preauthcode",
  "api_get_authorizer_info",
  "api_get_authorizer_list",
  "message/custom/send",
  "api_start_push_ticket",
];

/** The APIs each operation calls (faults are aimed mostly at these). */
const OP_PATHS: Record<string, string[]> = {
  token: ["api_authorizer_token", "api_component_token", "api_get_authorizer_list"],
  report: ["api_authorizer_token", "api_component_token", "api_get_authorizer_list"],
  proxy: ["message/custom/send", "api_authorizer_token"],
  component: ["api_component_token"],
  "authorize-push": ["api_query_auth", "api_component_token", "api_get_authorizer_info"],
  "authorize-page": ["api_create_preauthcode", "api_query_auth", "api_get_authorizer_info"],
  reauthorize: ["api_query_auth", "api_get_authorizer_info"],
  cron: ["api_start_push_ticket", "api_authorizer_token"],
};

/** Options of {@linkcode runSoak}. */
export interface SoakOptions {
  /** PRNG seed; the same seed gives the same operations and faults. */
  seed: number;
  /** Number of operations. */
  ops: number;
  /** Worker instances sharing KV and Durable Objects; default 2. */
  instances?: number;
  /** Operations in flight together; default 3. */
  concurrency?: number;
  /** Probability that an operation is preceded by a fault; default 0.35. */
  faultRate?: number;
  /** Also inject upstream delays past the client's 10 s deadline; default false. */
  timeouts?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Only these fault kinds (default all; names as in {@linkcode SoakReport.faults}). */
  faultKinds?: string[];
  /** Only these upstream paths get HTTP-level faults (default all the platform calls). */
  faultPaths?: string[];
}

/** What a soak did and found. */
export interface SoakReport {
  seed: number;
  ops: number;
  opCounts: Record<string, number>;
  faults: Record<string, number>;
  /** Store faults that actually hit a KV operation. */
  storeFaultHits: number;
  /** Upstream faults that actually hit a call. */
  upstreamFaultHits: number;
  kvOps: number;
  /** Requests that reached the simulator (including faulted ones). */
  upstreamCalls: number;
  upstreamByPath: Record<string, number>;
  /** The budget the upstream calls must stay within. */
  upstreamBudget: number;
  /** Worker answers by status and code. */
  answers: Record<string, number>;
  /** Tokens a second isolate still served from its cache after another isolate was told. */
  staleCacheServes: number;
  /** 409/404 answers for authorizers WeChat still authorizes, during the faults. */
  reauth409: number;
  /** Cron invocations that ended in an exception. */
  cronFailures: number;
  authorizers: { accepted: number; refused: number; revoked: number; checked: number };
  violations: string[];
  wallMs: number;
}

interface Account {
  appId: string;
  kind: "official_account" | "mini_program";
  /** The worker answered `success`/200 for its latest authorization. */
  accepted: boolean;
  /** The worker was told of a revocation (instance, real ms). */
  revoked?: { instance: number; at: number };
  lastServed?: string;
  /** What happened to its authorizations (for the violation messages). */
  history: string[];
}

interface StoreFaultRule {
  fault: Exclude<KvFault, null>;
  writes: boolean;
  left: number;
}

const WEIGHTS: [string, number][] = [
  ["token", 28],
  ["report", 12],
  ["proxy", 16],
  ["component", 6],
  ["ticket", 7],
  ["authorize-push", 4],
  ["authorize-page", 3],
  ["reauthorize", 2],
  ["revoke", 1],
  ["cron", 4],
  ["advance", 4],
  ["healthz", 2],
];
/** Upstream calls one operation may cause, at most (retries included; see the module doc). */
const BUDGET: Record<string, number> = {
  // An authorizer refresh: api_authorizer_token, a component refresh and the retry, 61023
  // recovery (list, maybe a component refresh, the second refresh and its retry).
  token: 8,
  report: 8,
  proxy: 18,
  component: 2,
  ticket: 0,
  // Pre-auth code (≤ 3), then up to 4 push deliveries and 3 callbacks, each an exchange
  // (query_auth ≤ 3, get_authorizer_info ≤ 2).
  "authorize-push": 4 * 5,
  "authorize-page": 3 + 4 * 5 + 3 * 5,
  reauthorize: 4 * 5,
  revoke: 0,
  cron: 3, // plus 8 per credential it may refresh, added at run time
  advance: 0,
  healthz: 0,
};

/** Runs one soak and returns its report (it never throws for an invariant: see `violations`). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const rand = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const instances = options.instances ?? 2;
  const concurrency = options.concurrency ?? 3;
  const faultRate = options.faultRate ?? 0.35;
  const log = options.log ?? (() => {});

  const violations: string[] = [];
  const violate = (msg: string) => {
    if (violations.length < 200) violations.push(msg);
  };
  const opCounts: Record<string, number> = {};
  const faults: Record<string, number> = {};
  const answers: Record<string, number> = {};
  const count = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
  let staleCacheServes = 0;
  let reauth409 = 0;
  let cronFailures = 0;
  /**
   * A 4xx for an authorizer WeChat still authorizes, during the soak: a 409 while its exchange
   * is still being retried (or after a store fault) is counted, and the end check decides
   * whether its refresh token was lost; anything else is a violation.
   */
  const reauthDuringSoak = (where: string, code: string, text: string) => {
    if (code === "reauthorization_required" || code === "not_found") reauth409++;
    else violate(`${where}: ${text.slice(0, 160)}`);
  };
  let upstreamBudget = 0;

  // ---- store faults --------------------------------------------------------------------
  let storeRules: StoreFaultRule[] = [];
  let storeFaultHits = 0;
  let kvOps = 0;
  const kvFaults = (op: KvFaultOp): KvFault => {
    kvOps++;
    const write = op === "put" || op === "delete";
    const rule = storeRules.find((r) => r.left > 0 && r.writes === write);
    if (!rule) return null;
    if (rule.fault === "after" && !write) return null;
    rule.left--;
    storeRules = storeRules.filter((r) => r.left > 0);
    storeFaultHits++;
    return rule.fault;
  };

  const h: Harness = await startWorker({ instances, kvFaults, redatePushes: true });
  const names = Array.from({ length: instances }, (_, i) => (i === 0 ? "wxopen" : `wxopen-${i}`));
  const sim = h.sim;
  const pushCrypto = MessageCrypto.create({
    token: SETTINGS.COMPONENT_TOKEN,
    encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
    appId: SETTINGS.COMPONENT_APPID,
  });
  /**
   * A ticket push of the simulator's next ticket, dated by the worker's clock: only WeChat's
   * clock jumps here, and the worker refuses a ticket whose CreateTime is more than 5 minutes
   * ahead of its own clock (it would pin the ticket). Real clocks agree within that.
   */
  const ticketPush = async () =>
    encryptedPush(
      await pushCrypto,
      EVENTS,
      ["AppId", SETTINGS.COMPONENT_APPID],
      {
        AppId: SETTINGS.COMPONENT_APPID,
        CreateTime: Math.floor(Date.now() / 1000),
        InfoType: "component_verify_ticket",
        ComponentVerifyTicket: sim.issueTicket(),
      },
      Date.now(),
    );
  const accounts = new Map<string, Account>();
  /** Tokens reported invalid: appid → token → (instance told, real ms when it answered). */
  const invalid = new Map<string, Map<string, { instance: number; at: number }>>();
  const secrets = Object.entries(SETTINGS)
    .filter(([k]) => k !== "COMPONENT_APPID" && k !== "WECHAT_API_BASE")
    .map(([, v]) => v);

  // Serializes authorizations and revocations so the simulator's automatic deliveries can be
  // matched to the operation that caused them.
  let authLock: Promise<void> = Promise.resolve();
  let lastAuthorizedAt = 0;
  /** Authorizations answered `success` whose exchange may still run in `waitUntil`. */
  const pendingExchanges = new Set<string>();
  const withAuthLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const prev = authLock;
    let release!: () => void;
    authLock = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  };

  // ---- answer checks ---------------------------------------------------------------------
  const noLeak = (where: string, text: string) => {
    if (STACK.test(text)) violate(`${where}: stack trace in the answer: ${text.slice(0, 200)}`);
    for (const s of secrets) if (text.includes(s)) violate(`${where}: a secret in the answer`);
    if (/refreshtoken@@@/.test(text)) violate(`${where}: a refresh token in the answer`);
  };
  /** Checks a JSON error answer; returns its code. */
  const jsonError = (where: string, res: Response, text: string): string => {
    noLeak(where, text);
    let code = "?";
    try {
      const body = JSON.parse(text);
      code = String(body?.error?.code ?? "?");
      if (typeof body?.error?.code !== "string" || typeof body?.error?.message !== "string") {
        violate(
          `${where}: HTTP ${res.status} without {error:{code,message}}: ${text.slice(0, 120)}`,
        );
      } else if (res.status >= 500) {
        if (!RETRYABLE.has(code)) {
          violate(
            `${where}: HTTP ${res.status} with a non-retryable code ${code}: ${text.slice(0, 160)}`,
          );
        } else if (
          code === "wechat_error" && !RETRYABLE_ERRCODES.has(Number(body.error.errcode))
        ) {
          violate(`${where}: wechat_error with errcode ${body.error.errcode}`);
        }
      }
    } catch {
      violate(`${where}: HTTP ${res.status} not JSON: ${text.slice(0, 120)}`);
    }
    count(answers, `${res.status} ${code}`);
    return code;
  };
  const ok = (res: Response) => count(answers, `${res.status}`);

  const adminHeaders = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
  const knownInvalid = (
    appid: string,
    token: string,
    instance: number,
    t0: number,
    where: string,
  ) => {
    const hit = invalid.get(appid)?.get(token);
    if (hit && t0 > hit.at) {
      if (hit.instance === instance || t0 > hit.at + ISOLATE_WINDOW_MS) {
        violate(`${where}: served a token reported invalid (told instance ${hit.instance})`);
      } else staleCacheServes++;
    }
    const acc = accounts.get(appid);
    if (acc?.revoked && t0 > acc.revoked.at) {
      if (acc.revoked.instance === instance || t0 > acc.revoked.at + ISOLATE_WINDOW_MS) {
        violate(`${where}: served a token of a revoked authorizer`);
      } else staleCacheServes++;
    }
  };

  // ---- faults ----------------------------------------------------------------------------
  const authorizedIds = () => sim.accounts().filter((a) => a.authorized).map((a) => a.appId);
  const pendingFaults = new Map<string, { remaining: number }>();
  /** Upstream faults of the current batch: what is left of them is cancelled at its end. */
  let live: { handle: { remaining: number; cancel(): void }; times: number }[] = [];
  let upstreamFaultHits = 0;
  const endBatch = () => {
    for (const f of live) {
      upstreamFaultHits += f.times - f.handle.remaining;
      f.handle.cancel();
    }
    live = [];
    pendingFaults.clear();
    storeRules = [];
  };
  const injectFault = (op: string) => {
    const kinds = [
      "status",
      "delay",
      "drop-before",
      "drop-after",
      "errcode-1",
      "errcode-45009",
      "invalidate-access",
      "invalidate-refresh",
      "store-error",
      "store-429",
      "store-after",
      "store-read",
      ...(options.timeouts ? ["timeout"] : []),
    ];
    const allowed = options.faultKinds
      ? kinds.filter((k) => options.faultKinds!.includes(k))
      : kinds;
    let kind = pick(allowed);
    // A timeout holds its batch for the client's 10 s deadline: keep them rare.
    if (kind === "timeout" && rand() > 0.2) kind = "delay";
    // Mostly an API the operation calls, so most faults hit something.
    const path = pick(
      options.faultPaths ?? (rand() < 0.7 ? OP_PATHS[op] ?? UPSTREAM_PATHS : UPSTREAM_PATHS),
    );
    const times = int(1, 2);
    // Faults are bursts, not outages: at most one pending fault per path (and one store rule),
    // so no call fails more than twice in a row; an outage longer than the worker's retries
    // would lose a pushed authorization by design (see the report).
    if (kind.startsWith("store")) {
      if (storeRules.length > 0) return;
    } else if (!kind.startsWith("invalidate") && (pendingFaults.get(path)?.remaining ?? 0) > 0) {
      return;
    }
    const up = (spec: Parameters<typeof sim.inject>[0]) => {
      const handle = sim.inject(spec);
      pendingFaults.set(spec.path as string, handle);
      live.push({ handle, times: spec.times ?? 1 });
    };
    switch (kind) {
      case "status":
        up({ path, status: pick([500, 502, 503]), times });
        break;
      case "delay":
        up({ path, delayMs: int(20, 300), times });
        break;
      case "timeout":
        // Not on api_query_auth either: WeChat answers after the worker gave up, code spent.
        up({
          path: path === "api_query_auth" ? "api_component_token" : path,
          delayMs: 10_500,
          times: 1,
        });
        break;
      case "drop-before":
        up({ path, drop: "before", times });
        break;
      case "drop-after":
        // Not on api_query_auth: WeChat would have used up the single-use code and no platform
        // could recover the authorization (the merchant authorizes again).
        up({
          path: path === "api_query_auth" ? "api_component_token" : path,
          drop: "after",
        });
        break;
      case "errcode-1":
        up({ path, errcode: -1, times });
        break;
      case "errcode-45009":
        up({ path, errcode: 45009, times: 1 });
        break;
      case "invalidate-access": {
        const ids = authorizedIds();
        const appid = ids.length && rand() < 0.7 ? pick(ids) : undefined;
        sim.invalidateAccessToken(appid);
        break;
      }
      case "invalidate-refresh": {
        const ids = authorizedIds();
        if (!ids.length) return;
        sim.invalidateRefreshToken(pick(ids));
        break;
      }
      case "store-error":
        storeRules.push({ fault: "error", writes: true, left: times });
        break;
      case "store-429":
        storeRules.push({ fault: "rate-limit", writes: rand() < 0.7, left: times });
        break;
      case "store-after":
        storeRules.push({ fault: "after", writes: true, left: 1 });
        break;
      case "store-read":
        storeRules.push({ fault: "error", writes: false, left: times });
        break;
    }
    count(faults, kind);
  };

  // ---- operations ------------------------------------------------------------------------
  const inst = () => int(0, instances - 1);
  const someAccount = (): Account | undefined => {
    const all = [...accounts.values()];
    return all.length ? pick(all) : undefined;
  };

  /** Sends a push to instance `i`; WeChat retries a failed push up to three times. */
  const push = async (where: string, build: () => Promise<Request>, first?: Response) => {
    let res = first;
    for (let attempt = 0; attempt < 4; attempt++) {
      if (!res) res = await h.fetchOn(inst(), await build());
      const text = await res.text();
      if (res.status === 200 && text === "success") {
        ok(res);
        return true;
      }
      if (res.status < 500) {
        violate(`${where}: push answered HTTP ${res.status}: ${text.slice(0, 120)}`);
      }
      jsonError(where, res, text);
      res = undefined;
    }
    return false;
  };

  /** The simulator's automatic delivery for the latest authorization push (under the lock). */
  const delivered = async (
    before: number,
    infoTypes: string[],
  ): Promise<Response | undefined> => {
    await sim.settled();
    const d = sim.deliveries().slice(before).find((x) => infoTypes.includes(x.infoType));
    if (!d) return undefined;
    if (d.status === undefined) return new Response("dropped", { status: 599 });
    return new Response(d.body ?? "", { status: d.status });
  };

  const authorizeByPush = (appId?: string) =>
    withAuthLock(async () => {
      const kind = appId
        ? accounts.get(appId)!.kind
        : pick(["official_account", "mini_program"] as const);
      const before = sim.deliveries().length;
      const auth = await sim.authorizeAccount({ kind, appId });
      const first = await delivered(before, ["authorized", "updateauthorized"]);
      const okPush = await push(
        "authorization push",
        () => sim.authorizationPush(EVENTS, auth),
        first && first.status !== 599 ? first : undefined,
      );
      const acc = accounts.get(auth.appId) ??
        { appId: auth.appId, kind, accepted: false, history: [] };
      acc.history.push(`${auth.infoType} by push: ${okPush ? "success" : "refused"}`);
      if (okPush) pendingExchanges.add(auth.appId);
      lastAuthorizedAt = Date.now();
      acc.accepted = okPush;
      acc.revoked = undefined;
      accounts.set(auth.appId, acc);
    });

  const authorizeByPage = () =>
    withAuthLock(async () => {
      const i = inst();
      const res = await h.fetchOn(i, "/authorize");
      const page = unescapeAmp(await res.text());
      noLeak("/authorize", page);
      if (res.status !== 200) {
        count(answers, `${res.status} /authorize`);
        if (res.status < 500) violate(`/authorize answered HTTP ${res.status}`);
        return;
      }
      ok(res);
      const { cookie, callback, preAuthCode } = authorizeLink(res, page);
      const kind = pick(["official_account", "mini_program"] as const);
      const before = sim.deliveries().length;
      const auth = await sim.authorizeAccount({
        kind,
        preAuthCode,
      });
      const first = await delivered(before, ["authorized", "updateauthorized"]);
      const okPush = await push(
        "authorization push",
        () => sim.authorizationPush(EVENTS, auth),
        first && first.status !== 599 ? first : undefined,
      );
      const cb = `${callback}&auth_code=${encodeURIComponent(auth.authCode)}&expires_in=600`;
      let okPage = false;
      for (let attempt = 0; attempt < 3 && !okPage; attempt++) {
        const r = await h.fetchOn(inst(), cb, { headers: { cookie } });
        const text = await r.text();
        noLeak("/authorize/callback", text);
        count(answers, `${r.status} /authorize/callback`);
        if (r.status === 200) okPage = true;
        else if (r.status < 500) {
          violate(`/authorize/callback answered HTTP ${r.status}: ${text.slice(0, 200)}`);
          break;
        }
      }
      const acc = accounts.get(auth.appId) ??
        { appId: auth.appId, kind, accepted: false, history: [] };
      acc.history.push(`${auth.infoType} by page: push ${okPush}, callback ${okPage}`);
      if (okPush) pendingExchanges.add(auth.appId);
      lastAuthorizedAt = Date.now();
      acc.accepted = okPush || okPage;
      acc.revoked = undefined;
      accounts.set(auth.appId, acc);
    });

  const revoke = (acc: Account) =>
    withAuthLock(async () => {
      if (!sim.account(acc.appId)?.authorized) return;
      const before = sim.deliveries().length;
      await sim.revoke(acc.appId);
      const first = await delivered(before, ["unauthorized"]);
      const i = inst();
      let okPush = first?.status === 200;
      if (okPush) ok(first!);
      else {
        okPush = await push(
          "unauthorized push",
          () => sim.unauthorizedPush(EVENTS, acc.appId),
          first && first.status !== 599 ? first : undefined,
        );
      }
      // Which instance answered is unknown for retried pushes: only the time counts then.
      if (okPush) acc.revoked = { instance: first?.status === 200 ? 0 : -1, at: Date.now() };
      acc.history.push(`revoked: push ${okPush}`);
      acc.accepted = false;
      void i;
    });

  const tokenOp = async (acc: Account) => {
    const i = inst();
    const t0 = Date.now();
    const res = await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}/access-token`, {
      headers: adminHeaders,
    });
    const text = await res.text();
    const where = `GET token ${acc.appId} on ${i}`;
    if (res.status === 200) {
      ok(res);
      noLeak(where, text);
      const token = JSON.parse(text).access_token as string;
      knownInvalid(acc.appId, token, i, t0, where);
      acc.lastServed = token;
      return;
    }
    tokenRefused(acc, where, res, text);
  };

  /** A token request that failed: a 4xx is fine only for an account WeChat no longer authorizes. */
  const tokenRefused = (acc: Account, where: string, res: Response, text: string) => {
    const code = jsonError(where, res, text);
    if (res.status < 500) {
      const fine = (code === "reauthorization_required" || code === "not_found") &&
        (!acc.accepted || acc.revoked || !sim.account(acc.appId)?.authorized);
      if (!fine) reauthDuringSoak(where, code, text);
    }
  };

  const reportOp = async (acc: Account) => {
    const current = sim.currentAccessToken(acc.appId);
    const reported = acc.lastServed ?? current;
    if (!reported) return tokenOp(acc);
    const i = inst();
    const t0 = Date.now();
    const res = await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}/access-token/refresh`, {
      method: "POST",
      headers: { ...adminHeaders, "content-type": "application/json" },
      body: JSON.stringify({ invalid_token: reported }),
    });
    const text = await res.text();
    const where = `refresh report ${acc.appId} on ${i}`;
    if (res.status === 200) {
      ok(res);
      noLeak(where, text);
      const token = JSON.parse(text).access_token as string;
      if (token === reported) violate(`${where}: answered with the token reported invalid`);
      knownInvalid(acc.appId, token, i, t0, where);
      let m = invalid.get(acc.appId);
      if (!m) invalid.set(acc.appId, m = new Map());
      if (!m.has(reported)) m.set(reported, { instance: i, at: Date.now() });
      acc.lastServed = token;
      return;
    }
    tokenRefused(acc, where, res, text);
  };

  let proxied = 0;
  const proxyOp = async (acc: Account) => {
    const i = inst();
    const openid = sim.account(acc.appId)?.openid ?? "o_unknown";
    const res = await h.fetchOn(
      i,
      `/api/v1/authorizers/${acc.appId}/wechat/cgi-bin/message/custom/send`,
      {
        method: "POST",
        headers: { ...adminHeaders, "content-type": "application/json" },
        body: JSON.stringify({
          touser: openid,
          msgtype: "text",
          text: { content: `soak ${proxied++}` },
        }),
      },
    );
    const text = await res.text();
    const where = `proxy ${acc.appId} on ${i}`;
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text);
    } catch { /* an upstream error page, passed through */ }
    if (body && typeof body.error === "object") {
      const code = jsonError(where, res, text);
      if (res.status < 500) {
        const fine = (code === "reauthorization_required" || code === "not_found") &&
          (!acc.accepted || acc.revoked || !sim.account(acc.appId)?.authorized);
        if (!fine) reauthDuringSoak(where, code, text);
      }
      return;
    }
    noLeak(where, text);
    // WeChat's own answer, passed through (its errcode or error page included).
    count(answers, `${res.status} proxied errcode ${body?.errcode ?? "page"}`);
  };

  const componentOp = async () => {
    const i = inst();
    const res = await h.fetchOn(i, "/api/v1/component/access-token", { headers: adminHeaders });
    const text = await res.text();
    if (res.status === 200) {
      ok(res);
      noLeak("component token", text);
      return;
    }
    jsonError(`component token on ${i}`, res, text);
    if (res.status < 500) violate(`component token: HTTP ${res.status}`);
  };

  const cronOp = async () => {
    const i = inst();
    // The cron refreshes at most BATCH (40) credentials per invocation.
    upstreamBudget += 8 * Math.min(40, accounts.size + 1);
    const worker = await h.mf.getWorker(names[i]) as unknown as {
      scheduled(o: { cron: string }): Promise<{ outcome?: string }>;
    };
    try {
      const result = await worker.scheduled({ cron: "*/5 * * * *" });
      // A sweep that fails (a store fault on its list) is logged by Workers; the next one retries.
      if (result?.outcome && result.outcome !== "ok") cronFailures++;
    } catch {
      cronFailures++;
    }
    count(answers, "cron");
  };

  const healthOp = async () => {
    const i = inst();
    const res = await h.fetchOn(i, "/healthz");
    const text = await res.text();
    noLeak("healthz", text);
    if (res.status !== 200 && res.status !== 503) violate(`healthz: HTTP ${res.status}`);
    count(answers, `${res.status} healthz`);
  };

  const runOp = async (op: string): Promise<void> => {
    count(opCounts, op);
    upstreamBudget += BUDGET[op];
    const acc = someAccount();
    switch (op) {
      case "token":
        return acc ? tokenOp(acc) : componentOp();
      case "report":
        return acc ? reportOp(acc) : componentOp();
      case "proxy":
        return acc ? proxyOp(acc) : componentOp();
      case "component":
        return componentOp();
      case "ticket":
        await push("ticket push", ticketPush);
        return;
      case "authorize-push":
        return authorizeByPush();
      case "authorize-page":
        return authorizeByPage();
      case "reauthorize":
        // Only accounts WeChat still authorizes: a revocation is dated by the push's CreateTime
        // (WeChat's clock, hours ahead here after the jumps) and a later authorization by the
        // worker's clock, so the worker would rightly take the new one for an older one.
        return acc && !acc.revoked && sim.account(acc.appId)?.authorized
          ? authorizeByPush(acc.appId)
          : authorizeByPush();
      case "revoke":
        // Keep most authorizers authorized.
        if (acc && accounts.size > 3) return revoke(acc);
        return;
      case "cron":
        return cronOp();
      case "advance":
        // Not while a pushed authorization may still be exchanged: its code lives 10 minutes
        // on WeChat's clock, and the worker's retries take seconds, not the minutes jumped here.
        return withAuthLock(async () => {
          const until = lastAuthorizedAt + 25_000; // a timed-out attempt and three retries
          for (const appid of [...pendingExchanges]) {
            while (Date.now() < until) {
              const res = await h.fetchOn(0, `/api/v1/authorizers/${appid}`, {
                headers: adminHeaders,
              });
              await res.body?.cancel();
              if (res.status === 200) break;
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          pendingExchanges.clear();
          sim.advance(int(1, 40) * 60_000);
        });
      case "healthz":
        return healthOp();
    }
  };

  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const nextOp = () => {
    let r = rand() * total;
    for (const [op, w] of WEIGHTS) if ((r -= w) < 0) return op;
    return WEIGHTS[0][0];
  };

  try {
    // Setup, fault free: a ticket and three authorizers.
    await push("ticket push", ticketPush);
    for (let n = 0; n < 3; n++) await authorizeByPush();
    let done = 0;
    while (done < options.ops) {
      const batch: Promise<void>[] = [];
      for (let k = 0; k < concurrency && done < options.ops; k++, done++) {
        const op = nextOp();
        if (rand() < faultRate) injectFault(op);
        batch.push(runOp(op).catch((err) => violate(`${op} threw ${(err as Error).stack}`)));
      }
      await Promise.all(batch);
      // A fault lives for its batch only: a rarely called API must not collect every fault
      // injected for it (that is an outage, which no retry policy outlasts).
      endBatch();
      if (done % 200 < concurrency) {
        log(`${done} ops, ${sim.calls()} upstream calls, ${violations.length} violations`);
      }
    }

    // ---- the end: faults stop, then every accepted authorizer must still work ----------
    endBatch();
    sim.clearFaults();
    storeRules = [];
    await sim.settled();
    await new Promise((r) => setTimeout(r, 500)); // waitUntil exchanges still running
    await push("final ticket push", ticketPush);
    const report: SoakReport["authorizers"] = { accepted: 0, refused: 0, revoked: 0, checked: 0 };
    const callsBeforeCheck = sim.calls();
    for (const acc of accounts.values()) {
      const simAcc = sim.account(acc.appId);
      if (!simAcc?.authorized) {
        report.revoked++;
        if (acc.revoked) {
          for (let i = 0; i < instances; i++) {
            const r = await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}/access-token`, {
              headers: adminHeaders,
            });
            const t = await r.text();
            if (r.status === 200 && Date.now() > acc.revoked.at + ISOLATE_WINDOW_MS) {
              violate(`final: revoked ${acc.appId} still served a token on ${i}`);
            } else if (r.status !== 200 && r.status !== 409 && r.status !== 404) {
              violate(`final: revoked ${acc.appId} answered HTTP ${r.status}: ${t.slice(0, 120)}`);
            }
          }
        }
        continue;
      }
      if (!acc.accepted) {
        report.refused++;
        continue;
      }
      report.accepted++;
      for (let i = 0; i < instances; i++) {
        const where = `final ${acc.appId} on ${i}`;
        // An exchange may still be retrying in `waitUntil` (with store retries, up to ~12 s).
        let r: Response;
        let t: string;
        const until = Date.now() + 15_000;
        for (;;) {
          r = await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}/access-token`, {
            headers: adminHeaders,
          });
          t = await r.text();
          if (r.status !== 409 || Date.now() > until) break;
          await new Promise((res) => setTimeout(res, 250));
        }
        if (r.status !== 200) {
          const rec = await (await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}`, {
            headers: adminHeaders,
          })).text();
          violate(
            `${where}: token request HTTP ${r.status}: ${t.slice(0, 200)}; record ${
              rec.slice(0, 300)
            }; ${acc.history.join(", ")}`,
          );
          continue;
        }
        let token = JSON.parse(t).access_token as string;
        const label = (x: string) =>
          x === sim.currentAccessToken(acc.appId) ? "current" : `other(${x.slice(-6)})`;
        const steps = [`GET ${label(token)}`];
        knownInvalid(acc.appId, token, i, Date.now(), where);
        // A token WeChat rejects (expired on its clock, superseded) is reported, as a caller
        // would after a 40001; then a forced refresh proves the refresh token still works.
        for (const force of [false, true]) {
          if (!force && sim.currentAccessToken(acc.appId) === token) continue;
          const rr = await h.fetchOn(i, `/api/v1/authorizers/${acc.appId}/access-token/refresh`, {
            method: "POST",
            headers: { ...adminHeaders, "content-type": "application/json" },
            body: JSON.stringify({ invalid_token: token }),
          });
          const rt = await rr.text();
          if (rr.status !== 200) {
            violate(`${where}: refresh report HTTP ${rr.status}: ${rt.slice(0, 200)}`);
            break;
          }
          const next = JSON.parse(rt).access_token as string;
          steps.push(`report ${token.slice(-6)} → ${label(next)}`);
          if (next === token) violate(`${where}: the reported token came back`);
          token = next;
        }
        if (sim.currentAccessToken(acc.appId) !== token) {
          const cur = sim.currentAccessToken(acc.appId);
          violate(
            `${where}: the final token is not one WeChat accepts (WeChat's current: ${
              cur === undefined ? "none" : "another"
            }; ${acc.history.join(", ")}; steps ${steps.join(" → ")})`,
          );
        }
      }
      report.checked++;
    }
    upstreamBudget += report.accepted * instances * 2 * 8;
    const upstreamCalls = sim.calls();
    if (upstreamCalls > upstreamBudget) {
      violate(`upstream calls ${upstreamCalls} exceed the budget ${upstreamBudget}`);
    }
    void callsBeforeCheck;
    const upstreamByPath: Record<string, number> = {};
    for (const p of sim.apiPaths) {
      const n = sim.calls(p);
      if (n) upstreamByPath[p.replace(/^\/cgi-bin\/(component\/)?/, "")] = n;
    }
    return {
      seed: options.seed,
      ops: options.ops,
      opCounts,
      faults,
      storeFaultHits,
      upstreamFaultHits,
      kvOps,
      upstreamCalls,
      upstreamByPath,
      upstreamBudget,
      answers,
      staleCacheServes,
      reauth409,
      cronFailures,
      authorizers: report,
      violations,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    await h.dispose();
  }
}

/** Prints a report as the long run shows it. */
export function formatReport(r: SoakReport): string {
  const lines = [
    `soak seed ${r.seed}: ${r.ops} operations in ${(r.wallMs / 1000).toFixed(1)} s`,
    `  operations: ${JSON.stringify(r.opCounts)}`,
    `  faults injected: ${Object.values(r.faults).reduce((a, b) => a + b, 0)} ${
      JSON.stringify(r.faults)
    }; upstream faults that hit: ${r.upstreamFaultHits}; store faults that hit: ${r.storeFaultHits} of ${r.kvOps} KV operations`,
    `  upstream calls: ${r.upstreamCalls} (${
      (r.upstreamCalls / r.ops).toFixed(2)
    } per operation; budget ${r.upstreamBudget}) ${JSON.stringify(r.upstreamByPath)}`,
    `  answers: ${JSON.stringify(r.answers)}`,
    `  authorizers: ${
      JSON.stringify(r.authorizers)
    }; stale cache serves on another isolate: ${r.staleCacheServes}`,
    `  409/404 during faults for authorized accounts: ${r.reauth409}; failed cron sweeps: ${r.cronFailures}`,
    `  invariant violations: ${r.violations.length}`,
    ...r.violations.slice(0, 40).map((v) => `    - ${v}`),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const report = await runSoak({
    seed: arg("seed", 20261125),
    ops: arg("ops", 3000),
    instances: arg("instances", 2),
    concurrency: arg("concurrency", 4),
    timeouts: true,
    log: (line) => console.error(line),
  });
  console.log(formatReport(report));
  Deno.exit(report.violations.length ? 1 : 0);
}

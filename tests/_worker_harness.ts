/**
 * Runs the real worker bundle (what `wrangler deploy --dry-run` produces) under Miniflare, with
 * a `WeChatSimulator` in this process standing in for WeChat: every outbound `fetch` of the
 * worker goes to the simulator (or to a recorder for `FORWARD_URL`).
 *
 * @module
 */

// @ts-types="./_miniflare.d.ts"
import { Miniflare, Response as MfResponse } from "miniflare";
import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { WeChatSimulator } from "../src/testing/mod.ts";

/**
 * Asserts that `res` is the worker's JSON error `code` with `status` (a message, no stack
 * trace); returns the message.
 */
export async function expectError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text);
  assert.equal(body.error.code, code, text);
  assert.equal(typeof body.error.message, "string");
  assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+/, "no stack trace");
  return body.error.message;
}

/** The `X-Wxopen-Signature` a receiver computes for a forwarded `body` sent at `timestamp`. */
export async function forwardSignature(timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(FORWARD_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`)),
  );
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Settings of the test platform. */
export const SETTINGS: Record<string, string> = {
  COMPONENT_APPID: "wx1234567890abcdef",
  WECHAT_API_BASE: "https://api.weixin.qq.com",
  COMPONENT_APPSECRET: "test-component-secret-0001",
  COMPONENT_TOKEN: "wxopentesttoken",
  COMPONENT_AES_KEY: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
  STORAGE_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
};

/** Where forwarded messages go in the tests. */
export const FORWARD_URL = "https://forward.example.test/wechat-messages";
/** Their HMAC key. */
export const FORWARD_SECRET = "forward-secret-0123456789";

/** Origin the worker is addressed with. */
export const ORIGIN = "https://wxopen.example.test";

const bundles = new Map<string, Promise<{ code: string; bytes: number; path: string }>>();

/**
 * Bundles the worker with `wrangler deploy --dry-run` (once per environment, entry and process);
 * `entry` (a path from the repository root) replaces wrangler.toml's `main`.
 */
export function bundleWorker(
  env: "" | "dev" = "",
  entry?: string,
): Promise<{ code: string; bytes: number; path: string }> {
  const cacheKey = `${env}|${entry ?? ""}`;
  let bundle = bundles.get(cacheKey);
  if (!bundle) {
    bundle = (async () => {
      const outdir = await Deno.makeTempDir({ prefix: "wxopen-bundle-" });
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "npm:wrangler@4",
          "deploy",
          "--dry-run",
          `--env=${env}`,
          "--outdir",
          outdir,
          ...(entry ? [entry] : []),
        ],
        env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      if (!out.success) throw new Error(`wrangler deploy --dry-run failed:\n${text}`);
      const name = entry
        ? entry.replace(/^.*\//, "").replace(/\.ts$/, ".js")
        : env === "dev"
        ? "dev.js"
        : "index.js";
      const path = `${outdir}/${name}`;
      const code = await Deno.readTextFile(path);
      return { code, bytes: new TextEncoder().encode(code).length, path };
    })();
    bundles.set(cacheKey, bundle);
  }
  return bundle;
}

/** Gzip size of `text` in bytes. */
export async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

interface KvLike {
  list(options: { cursor?: string }): Promise<{
    keys: { name: string }[];
    list_complete: boolean;
    cursor?: string;
  }>;
  getWithMetadata(key: string, type: "text"): Promise<{ value: string | null; metadata: unknown }>;
}

/** A forwarded request as the recorder saw it. */
export interface Forwarded {
  headers: Headers;
  body: string;
}

/** A worker under Miniflare with its simulator. */
export interface Harness {
  mf: Miniflare;
  sim: WeChatSimulator;
  forwarded: Forwarded[];
  /** Every message forward that reached the forward URL, whatever it was answered. */
  forwardLog: Forwarded[];
  /** Platform events forwarded (answered `ok`, not counted in the others). */
  forwardedEvents: Forwarded[];
  /** The next this many forward attempts are answered 503 (then the recorder accepts). */
  forwardFailures: { remaining: number; attempts: number };
  /** Sends a request to instance `i` (0 is the first; see {@linkcode StartOptions.instances}). */
  fetchOn(i: number, path: string | Request, init?: RequestInit): Promise<Response>;
  /** Sends a request to the worker; returns a standard Response. */
  fetch(path: string | Request, init?: RequestInit): Promise<Response>;
  /** Sends `request` (built by the simulator) to the worker. */
  send(request: Request): Promise<Response>;
  /** Admin API call with the bearer token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Admin API call whose answer is NOT buffered: the body is the worker's stream as it arrives
   * (for first-byte timings and bodies that break off). Consume or cancel the body.
   */
  adminStream(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Admin API call from another worker, through a service binding, which reads the answer's body
   * to its end: what it got, and how the read ended (`error`: it failed). Under Miniflare only a
   * worker sees a body that breaks off mid-stream as a failed read: `dispatchFetch` (Miniflare's
   * entry worker, then HTTP to this process) shows it as a body that ends cleanly or never ends.
   */
  adminRead(path: string, init?: RequestInit): Promise<ReadOutcome>;
  /** Every key, value and metadata in `TOKENS`. */
  snapshot(): Promise<Map<string, string>>;
  /**
   * Restarts workerd with the same options, as a deploy or a crash would: every isolate and
   * object instance is gone; KV, Durable Object storage and alarms stay.
   */
  restart(): Promise<void>;
  /** Runs the cron handler. */
  cron(): Promise<void>;
  /** What workerd printed so far, when started with {@linkcode StartOptions.captureLogs}. */
  logs(): string;
  dispose(): Promise<void>;
}

/** What {@linkcode Harness.adminRead} saw. */
export interface ReadOutcome {
  status: number;
  headers: Headers;
  /** Bytes read before the body ended or failed. */
  received: number;
  /** The failure of the read, if it failed (else the body ended cleanly). */
  error?: string;
}

/** Options of {@linkcode startWorker}. */
export interface StartOptions {
  /** Replace or remove (`undefined`) settings. */
  settings?: Record<string, string | undefined>;
  env?: "" | "dev";
  /** Worker instances (separate isolates) sharing KV and Durable Objects; default 1. */
  instances?: number;
  /** Serve on a port (for a browser). */
  port?: number;
  /**
   * Store faults: every `TOKENS` operation of every instance (and of the Durable Objects) first
   * asks this hook, through a wrapped binding around the real KV namespace, what to do:
   * `"error"` throws as KV does on a 5xx, `"rate-limit"` as on a 429 (both before the operation),
   * `"after"` performs the operation and then throws the 5xx (an outcome the caller cannot know).
   */
  kvFaults?: (op: KvFaultOp, key: string) => KvFault | Promise<KvFault>;
  /**
   * Capture workerd's stdout and stderr (the workers' `console` output) instead of printing
   * them; read them with {@linkcode Harness.logs}.
   */
  captureLogs?: boolean;
  /**
   * Re-sign every push with the worker's clock as its `timestamp`: for runs that move only
   * WeChat's (the simulator's) clock, whose pushes the worker would refuse as stale.
   */
  redatePushes?: boolean;
  /** A worker entry module (path from the repository root) bundled instead of `main`. */
  entry?: string;
  /**
   * Answers a forward to `FORWARD_URL` (`undefined`: the recorder's `ok`). Every forward is in
   * `forwardLog`; those answered 2xx are also in `forwarded`, when answered.
   */
  forward?: (request: Request) => Response | undefined | Promise<Response | undefined>;
  /**
   * Binds the delivery queue (`DELIVERY`, queue `wxopen-deliveries`, consumed by the first
   * instance, dead letters to `wxopen-dead-letters`). A send throws while `failSends()` is true.
   */
  queue?: { failSends?: () => boolean; maxRetries?: number };
  /** Simulator options beyond the platform's identity (e.g. short token lifetimes). */
  simulator?: {
    tokenLifetimeSeconds?: number;
    defaultDailyQuota?: number;
    /** How long a code audit takes (real ms on the simulator's clock); see the simulator. */
    auditDelayMs?: number;
    /** The platform's audits per month. */
    auditQuota?: number;
    reviewDelaySeconds?: number;
  };
  /**
   * Which of the pushes the simulator raises itself (audit verdicts…) to an authorizer's message
   * URL (`/wechat/authorizers/:appid/callback`) arrive: one this returns false for is lost on
   * the way (WeChat gave up on it). Default: all arrive.
   */
  messagePushes?: (request: Request) => boolean;
  /**
   * Outbound hook: asked first for every request the worker sends to WeChat (not to
   * `FORWARD_URL`). `undefined`: the simulator answers. A `Response`: answered with it, its body
   * streamed as it is produced (a slow or large download). Or a fault, see
   * {@linkcode UpstreamFault}.
   */
  upstream?: (
    request: Request,
  ) => UpstreamFault | Response | undefined | Promise<UpstreamFault | Response | undefined>;
}

/**
 * A fault of the connection to WeChat, as {@linkcode StartOptions.upstream} asks for it:
 *
 * - `"hang"`: never answers (the pending call is let go at `dispose`);
 * - `"reset"`: the connection drops before any byte of the body. An outbound function cannot
 *   fail the worker's `fetch` (a throwing one is answered 500 with this process's stack trace),
 *   so the network worker answers 200 with a body whose first read fails;
 * - `{ cut: n }`: the simulator's answer (status and headers kept, no content-length), its first
 *   `n` bytes, then the body read fails (a body cut off mid-stream);
 * - `{ cut: n, answer }`: the same for `answer` (a fake's download), which keeps its
 *   `Content-Length`: the worker sees the declared length, then a body that breaks off short of it.
 */
export type UpstreamFault = "hang" | "reset" | { cut: number; answer?: Response };

/** A `TOKENS` operation, as {@linkcode StartOptions.kvFaults} sees it (`list`: the prefix). */
export type KvFaultOp = "get" | "getWithMetadata" | "put" | "delete" | "list";
/** What {@linkcode StartOptions.kvFaults} asks for; `null`: no fault. */
export type KvFault = "error" | "rate-limit" | "after" | null;

/** The wrapped binding that asks the test process for a fault before each KV operation. */
const KV_FAULTS_SCRIPT = `export default function (env) {
  const kv = env.KV;
  const run = async (op, key, call) => {
    const res = await env.CONTROL.fetch("http://control/", {
      method: "POST", body: JSON.stringify({ op, key: String(key ?? "") }),
    });
    const fault = await res.text();
    if (fault === "error") throw new Error("KV " + op + " failed: 503 Service Unavailable");
    if (fault === "rate-limit") throw new Error("KV " + op + " failed: 429 Too Many Requests");
    const out = await call();
    if (fault === "after") throw new Error("KV " + op + " failed: 503 Service Unavailable");
    return out;
  };
  return {
    get: (k, t) => run("get", k, () => kv.get(k, t)),
    getWithMetadata: (k, t) => run("getWithMetadata", k, () => kv.getWithMetadata(k, t)),
    put: (k, v, o) => run("put", k, () => kv.put(k, v, o)),
    delete: (k) => run("delete", k, () => kv.delete(k)),
    list: (o) => run("list", o && o.prefix, () => kv.list(o)),
  };
}`;

/** The delivery queue and its dead-letter queue (as wrangler.toml names them). */
export const DELIVERY_QUEUE = "wxopen-deliveries";
/** See {@linkcode DELIVERY_QUEUE}. */
export const DEAD_LETTER_QUEUE = "wxopen-dead-letters";

/** The `DELIVERY` binding of {@linkcode StartOptions.queue} with `failSends`: asks, then sends. */
const QUEUE_FAULTS_SCRIPT = `export default function (env) {
  const check = async () => {
    const res = await env.CONTROL.fetch("http://control/");
    if ((await res.text()) === "fail") throw new Error("Queue send failed: 503 Service Unavailable");
  };
  return {
    send: async (body, options) => { await check(); return env.QUEUE.send(body, options); },
    sendBatch: async (messages, options) => { await check(); return env.QUEUE.sendBatch(messages, options); },
  };
}`;

/** Header by which the outbound function asks the network worker to break an answer's body. */
const FAULT_HEADER = "x-harness-fault";

/**
 * The network between the worker and WeChat when {@linkcode StartOptions.upstream} is set: a
 * worker in front of the outbound function. What workerd makes of a Miniflare outbound function
 * whose body errors: before the first byte, a clean empty body; with a declared length, a read
 * that never ends. Neither is a failed connection. A body that errors in another worker does
 * reach the caller as a failed read, so this worker breaks the bodies the function marks.
 */
const NETWORK_SCRIPT = `export default {
  async fetch(request, env) {
    const res = await env.UPSTREAM.fetch(request);
    const fault = res.headers.get("${FAULT_HEADER}");
    if (!fault) return res;
    const headers = new Headers(res.headers);
    headers.delete("${FAULT_HEADER}");
    headers.delete("content-length");
    // "cut:<n>", or "cut:<n>:<declared length>" to keep the length.
    const [, n, declared] = fault.split(":");
    let left = Number(n);
    const reader = res.body.getReader();
    const body = new ReadableStream({
      async pull(c) {
        if (left <= 0) return c.error(new Error("Connection reset by peer"));
        const { done, value } = await reader.read();
        if (done) return c.error(new Error("Connection reset by peer"));
        const part = value.slice(0, left);
        left -= part.length;
        c.enqueue(part);
      },
    });
    if (!declared) return new Response(body, { status: res.status, headers });
    const fixed = new FixedLengthStream(Number(declared));
    body.pipeTo(fixed.writable).catch(() => {});
    return new Response(fixed.readable, { status: res.status, headers });
  },
};`;

/** A worker calling the worker under test through a service binding: see {@linkcode Harness.adminRead}. */
const CLIENT_SCRIPT = `export default {
  async fetch(request, env) {
    const res = await env.WORKER.fetch(request);
    let received = 0;
    let error;
    if (res.body) {
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received += value.byteLength;
        }
      } catch (e) {
        error = String(e);
      }
    }
    return Response.json({ status: res.status, headers: [...res.headers], received, error });
  },
};`;

async function toMf(res: Response): Promise<MfResponse> {
  return new MfResponse(await res.arrayBuffer(), {
    status: res.status,
    headers: [...res.headers],
  }) as MfResponse;
}

const pushCrypto = MessageCrypto.create({
  token: SETTINGS.COMPONENT_TOKEN,
  encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
  appId: SETTINGS.COMPONENT_APPID,
});

/** `push` (whose body is `body`) signed again with now as its `timestamp`. */
async function redated(push: Request, body: string): Promise<Request> {
  const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)?.[1];
  if (!encrypt) return push;
  const url = new URL(push.url);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = url.searchParams.get("nonce") ?? "";
  url.searchParams.set("timestamp", timestamp);
  url.searchParams.set("msg_signature", (await pushCrypto).signature(timestamp, nonce, encrypt));
  return new Request(url, { method: push.method, headers: push.headers });
}

/**
 * The headers to dispatch `req` with, its body `body` already read: with that body's
 * `Content-Length` (admin API only) unless the request names one. Miniflare's `dispatchFetch`
 * sends a byte body chunked, without a length, unless told; an HTTP client (curl, a browser)
 * sends the length of a body it has whole, and the proxy's upload path depends on it.
 */
function dispatchHeaders(req: Request, body: ArrayBuffer | undefined): [string, string][] {
  const headers = new Headers(req.headers);
  // Only for the admin API (the proxy decides on streaming by it). A push refused by its length
  // (413 without reading the body) leaves Miniflare's client waiting for ever, so pushes go
  // without one, as before.
  const admin = new URL(req.url).pathname.startsWith("/api/");
  if (admin && body !== undefined && !headers.has("content-length")) {
    headers.set("content-length", String(body.byteLength));
  }
  return [...headers];
}

/** Starts the bundled worker under Miniflare. */
export async function startWorker(options: StartOptions = {}): Promise<Harness> {
  const bundle = await bundleWorker(options.env ?? "", options.entry);
  const bindings: Record<string, string> = {};
  // The dev bundle carries its own settings; the production bundle gets the test settings.
  const merged = options.env === "dev"
    ? { ...options.settings }
    : { ...SETTINGS, FORWARD_URL, FORWARD_SECRET, ...options.settings };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) bindings[k] = v;
  const forwarded: Forwarded[] = [];
  const forwardLog: Forwarded[] = [];
  const forwardedEvents: Forwarded[] = [];
  const forwardFailures = { remaining: 0, attempts: 0 };
  // deno-lint-ignore prefer-const
  let harness: Harness;
  const sim = new WeChatSimulator({
    componentAppId: SETTINGS.COMPONENT_APPID,
    componentAppSecret: SETTINGS.COMPONENT_APPSECRET,
    componentToken: SETTINGS.COMPONENT_TOKEN,
    encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
    ...options.simulator,
    events: {
      url: `${ORIGIN}/wechat/component/events`,
      // Events the simulator raises itself (audit verdicts…) reach the worker's callback.
      messageUrl: `${ORIGIN}/wechat/authorizers/$APPID$/callback`,
      fetch: (request) =>
        options.messagePushes && new URL(request.url).pathname.startsWith("/wechat/authorizers/") &&
          !options.messagePushes(request)
          ? Promise.resolve(new Response("lost"))
          : harness.send(request),
    },
  });
  const hanging: (() => void)[] = [];
  const outboundService = (async (request: Request) => {
    const url = new URL(request.url);
    const body = request.method === "GET" || request.method === "HEAD"
      ? undefined
      : await request.arrayBuffer();
    const hook = request.url === FORWARD_URL ? undefined : options.upstream;
    const answer = hook
      ? await hook(
        new Request(url, { method: request.method, headers: [...request.headers], body }),
      )
      : undefined;
    if (answer === "hang") {
      await new Promise<void>((resolve) => hanging.push(resolve));
      return new MfResponse("let go at dispose", { status: 503 }) as MfResponse;
    }
    if (answer === "reset") {
      return new MfResponse("", {
        status: 200,
        headers: { [FAULT_HEADER]: "cut:0" },
      }) as MfResponse;
    }
    if (answer && typeof answer === "object" && "cut" in answer && answer.answer) {
      const res = answer.answer;
      const headers = new Headers(res.headers);
      const declared = headers.get("content-length");
      headers.set(FAULT_HEADER, `cut:${answer.cut}${declared ? `:${declared}` : ""}`);
      return new MfResponse(res.body, { status: res.status, headers: [...headers] }) as MfResponse;
    }
    if (answer instanceof Response) {
      return new MfResponse(answer.body, {
        status: answer.status,
        headers: [...answer.headers],
      }) as MfResponse;
    }
    if (request.url === FORWARD_URL) {
      const seen = {
        headers: new Headers([...request.headers]),
        body: new TextDecoder().decode(body),
      };
      // Platform events have their own record: `forwarded` and the failures are messages'.
      if (/^\{[^{]*"event":/.test(seen.body)) {
        forwardedEvents.push(seen);
        return new MfResponse("ok") as MfResponse;
      }
      forwardLog.push(seen);
      const custom = options.forward
        ? await options.forward(
          new Request(url, { method: request.method, headers: [...request.headers], body }),
        )
        : undefined;
      if (custom) {
        if (custom.ok) forwarded.push(seen);
        return new MfResponse(custom.body, {
          status: custom.status,
          headers: [...custom.headers],
        }) as MfResponse;
      }
      forwardFailures.attempts++;
      if (forwardFailures.remaining > 0) {
        forwardFailures.remaining--;
        return new MfResponse("busy", { status: 503 }) as MfResponse;
      }
      forwarded.push({
        headers: new Headers([...request.headers]),
        body: new TextDecoder().decode(body),
      });
      return new MfResponse("ok") as MfResponse;
    }
    let res: Response;
    try {
      res = await sim.fetch(url, { method: request.method, headers: [...request.headers], body });
    } catch {
      // A dropped connection: the worker's fetch must fail, not receive this process's error
      // page (Miniflare answers a throwing service with a 500 and a stack trace). An answer
      // whose body breaks off is the closest workerd lets an outbound service come.
      return new MfResponse(
        new ReadableStream({ start: (c) => c.error(new Error("Connection dropped")) }),
        { status: 200 },
      ) as MfResponse;
    }
    if (answer && typeof answer === "object" && "cut" in answer) {
      const headers = new Headers(res.headers);
      headers.set(FAULT_HEADER, `cut:${answer.cut}`);
      return new MfResponse(await res.arrayBuffer(), {
        status: res.status,
        headers: [...headers],
      }) as MfResponse;
    }
    return await toMf(res);
  }) as never;
  const instances = options.instances ?? 1;
  const names = Array.from({ length: instances }, (_, i) => (i === 0 ? "wxopen" : `wxopen-${i}`));
  const kvFaults = options.kvFaults;
  const faultWorker = kvFaults
    ? [{
      name: "kv-faults",
      modules: [{ type: "ESModule" as const, path: "kv_faults.mjs", contents: KV_FAULTS_SCRIPT }],
      kvNamespaces: { KV: "tokens" },
      serviceBindings: {
        CONTROL: (async (request: Request) => {
          const { op, key } = await request.json();
          return new MfResponse((await kvFaults(op, key)) ?? "") as MfResponse;
        }) as never,
      },
    }]
    : [];
  const queue = options.queue;
  const queueWorker = queue?.failSends
    ? [{
      name: "queue-faults",
      modules: [{
        type: "ESModule" as const,
        path: "queue_faults.mjs",
        contents: QUEUE_FAULTS_SCRIPT,
      }],
      queueProducers: { QUEUE: DELIVERY_QUEUE },
      serviceBindings: {
        CONTROL: (() => new MfResponse(queue.failSends!() ? "fail" : "")) as never,
      },
    }]
    : [];
  const queueBindings = (i: number) =>
    queue
      ? {
        ...(queue.failSends
          ? { wrappedBindings: { DELIVERY: "queue-faults" } }
          : { queueProducers: { DELIVERY: DELIVERY_QUEUE } }),
        ...(i === 0
          ? {
            queueConsumers: {
              [DELIVERY_QUEUE]: {
                maxBatchTimeout: 0,
                maxRetries: queue.maxRetries ?? 3,
                deadLetterQueue: DEAD_LETTER_QUEUE,
              },
              [DEAD_LETTER_QUEUE]: { maxBatchTimeout: 0 },
            },
          }
          : {}),
      }
      : {};
  const logChunks: string[] = [];
  type Readable = { on(event: "data", listener: (chunk: unknown) => void): unknown };
  const capture = (stream: Readable) =>
    stream.on("data", (chunk) => {
      logChunks.push(
        typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk as Uint8Array),
      );
    });
  const mfOptions = {
    ...(options.port !== undefined ? { port: options.port, host: "127.0.0.1" } : {}),
    ...(options.captureLogs
      ? {
        handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
          capture(stdout);
          capture(stderr);
        },
      }
      : {}),
    workers: [
      ...names.map((name, i) => ({
        name,
        modules: true,
        script: bundle.code,
        compatibilityDate: "2025-08-01",
        // Every instance shares the one KV namespace and the first instance's Durable Objects.
        // With store faults, TOKENS is the faulty wrapper and TOKENS_DIRECT the namespace itself.
        ...(kvFaults
          ? { kvNamespaces: { TOKENS_DIRECT: "tokens" }, wrappedBindings: { TOKENS: "kv-faults" } }
          : { kvNamespaces: { TOKENS: "tokens" } }),
        durableObjects: Object.fromEntries(
          [
            ["COMPONENT", "ComponentCredential"],
            ["AUTHORIZERS", "AuthorizerCredential"],
            ["RELEASES", "ReleaseCoordinator"],
            ["RELEASE_TARGETS", "ReleaseTarget"],
          ].map((
            [binding, className],
          ) => [
            binding,
            // SQLite-backed, as wrangler.toml's migrations declare them (new_sqlite_classes).
            i === 0
              ? { className, useSQLite: true }
              : { className, scriptName: names[0], useSQLite: true },
          ]),
        ),
        bindings,
        ...queueBindings(i),
        outboundService: options.upstream ? "wechat-network" : outboundService,
      })),
      ...faultWorker,
      ...queueWorker,
      {
        name: "client",
        modules: true,
        script: CLIENT_SCRIPT,
        compatibilityDate: "2025-08-01",
        serviceBindings: { WORKER: names[0] },
      },
      ...(options.upstream
        ? [{
          name: "wechat-network",
          modules: true,
          script: NETWORK_SCRIPT,
          compatibilityDate: "2025-08-01",
          serviceBindings: { UPSTREAM: outboundService },
        }]
        : []),
    ],
  };
  const mf = new Miniflare(mfOptions);
  const fetchOn = async (
    instance: number,
    input: string | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    let req = typeof input === "string"
      ? new Request(new URL(input, ORIGIN), init)
      : new Request(input, init);
    const body = req.method === "GET" || req.method === "HEAD"
      ? undefined
      : await req.arrayBuffer();
    if (options.redatePushes && body && new URL(req.url).searchParams.has("msg_signature")) {
      req = await redated(req, new TextDecoder().decode(body));
    }
    type Dispatch = (
      url: string,
      init: Record<string, unknown>,
    ) => ReturnType<Miniflare["dispatchFetch"]>;
    const other = instance === 0
      ? undefined
      : (await mf.getWorker(names[instance])) as unknown as { fetch: Dispatch };
    const send: Dispatch = other
      ? (url, init) => other.fetch(url, init)
      : (url, init) => mf.dispatchFetch(url, init as never);
    const res = await send(req.url, {
      method: req.method,
      headers: dispatchHeaders(req, body),
      body,
      redirect: "manual",
    });
    return new Response(
      res.status === 204 || res.status === 304 ? null : await res.arrayBuffer(),
      { status: res.status, headers: [...res.headers] },
    );
  };
  const fetchWorker = (input: string | Request, init?: RequestInit) => fetchOn(0, input, init);
  const streamWorker = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const req = new Request(new URL(path, ORIGIN), init);
    const body = req.method === "GET" || req.method === "HEAD"
      ? undefined
      : await req.arrayBuffer();
    const res = await mf.dispatchFetch(req.url, {
      method: req.method,
      headers: dispatchHeaders(req, body),
      body,
      redirect: "manual",
    } as never);
    return res as unknown as Response;
  };
  harness = {
    mf,
    sim,
    forwarded,
    forwardLog,
    forwardedEvents,
    forwardFailures,
    fetch: fetchWorker,
    fetchOn,
    send: (request) => fetchWorker(request),
    admin: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${SETTINGS.ADMIN_TOKEN}`);
      return fetchWorker(path, { ...init, headers });
    },
    adminStream: (path, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${SETTINGS.ADMIN_TOKEN}`);
      return streamWorker(path, { ...init, headers });
    },
    async adminRead(path, init = {}) {
      const req = new Request(new URL(path, ORIGIN), init);
      req.headers.set("authorization", `Bearer ${SETTINGS.ADMIN_TOKEN}`);
      const body = req.method === "GET" || req.method === "HEAD"
        ? undefined
        : await req.arrayBuffer();
      const client = (await mf.getWorker("client")) as unknown as {
        fetch(url: string, init: Record<string, unknown>): Promise<Response>;
      };
      const res = await client.fetch(req.url, {
        method: req.method,
        headers: dispatchHeaders(req, body),
        body,
      });
      const out = await res.json();
      return { ...out, headers: new Headers(out.headers) };
    },
    async snapshot() {
      const kv = await mf.getKVNamespace(
        kvFaults ? "TOKENS_DIRECT" : "TOKENS",
      ) as unknown as KvLike;
      const out = new Map<string, string>();
      let cursor: string | undefined;
      do {
        const page = await kv.list({ cursor });
        for (const key of page.keys) {
          const { value, metadata } = await kv.getWithMetadata(key.name, "text");
          out.set(key.name, JSON.stringify({ value, metadata }));
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return out;
    },
    restart: () => mf.setOptions(mfOptions as never),
    async cron() {
      const worker = await mf.getWorker() as unknown as {
        scheduled(options: { cron: string }): Promise<unknown>;
      };
      await worker.scheduled({ cron: "*/5 * * * *" });
    },
    logs: () => logChunks.join(""),
    async dispose() {
      await sim.settled().catch(() => {});
      for (const letGo of hanging.splice(0)) letGo();
      await mf.dispose();
    },
  };
  await mf.ready;
  return harness;
}

/** Polls `check` until it returns a truthy value (at most `ms` milliseconds). */
export async function eventually<T>(check: () => Promise<T> | T, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error("Condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a merchant's browser takes from the `/authorize` page to go on to WeChat. */
export interface AuthorizeLink {
  /** The `state` cookie (`name=value`) the page set. */
  cookie: string;
  /** The `state` carried by the redirect URI. */
  state: string;
  /** Path and query of the callback WeChat redirects to (append `&auth_code=…`). */
  callback: string;
  /** The fresh `pre_auth_code` in the link. */
  preAuthCode: string;
}

/** Undoes the HTML escaping of `&` in the `/authorize` page's text. */
export function unescapeAmp(text: string): string {
  return text.replaceAll("&#38;", "&").replaceAll("&amp;", "&");
}

/** Reads the authorization link and the state cookie out of an answer of `GET /authorize`. */
export function authorizeLink(res: Response, page: string): AuthorizeLink {
  const link = new URL(/href="([^"]+)"/.exec(unescapeAmp(page))![1]);
  const redirect = new URL(link.searchParams.get("redirect_uri")!);
  return {
    cookie: res.headers.get("set-cookie")!.split(";")[0],
    state: redirect.searchParams.get("state")!,
    callback: `${redirect.pathname}${redirect.search}`,
    preAuthCode: link.searchParams.get("pre_auth_code")!,
  };
}

/**
 * A TCP port free on 127.0.0.1 now, for a worker served over HTTP. The system picks it: a random
 * one from a fixed range could be in use by another test's connection (the range overlaps the
 * system's ephemeral ports), and Miniflare failed with `ERR_ADDRESS_IN_USE`.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

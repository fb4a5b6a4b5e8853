/**
 * The token hot path of the worker: warm `GET /api/v1/authorizers/:appid/access-token` (Bearer
 * check, in-isolate cache) against a bare Hono worker returning constant JSON, both in the same
 * Miniflare (real workerd), same run. Also reports KV reads and upstream (WeChat) calls per
 * request, from the worker's own counters and the simulator's.
 *
 * Run: `deno bench -A bench/worker_bench.ts`
 */

// @ts-types="../tests/_miniflare.d.ts"
import { Miniflare, Response as MfResponse } from "miniflare";
import { WeChatSimulator } from "../src/testing/mod.ts";
import { bundleWorker, ORIGIN, SETTINGS } from "../tests/_worker_harness.ts";

async function bundleBare(): Promise<string> {
  const out = await Deno.makeTempFile({ suffix: ".js" });
  const res = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--platform=browser",
      "-o",
      out,
      new URL("./_bare_worker.ts", import.meta.url).pathname,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!res.success) throw new Error(new TextDecoder().decode(res.stderr));
  return await Deno.readTextFile(out);
}

const sim = new WeChatSimulator({
  componentAppId: SETTINGS.COMPONENT_APPID,
  componentAppSecret: SETTINGS.COMPONENT_APPSECRET,
  componentToken: SETTINGS.COMPONENT_TOKEN,
  encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
});

const [bundle, bare] = await Promise.all([bundleWorker(""), bundleBare()]);
const mf = new Miniflare({
  workers: [
    {
      name: "wxopen",
      modules: true,
      script: bundle.code,
      compatibilityDate: "2025-08-01",
      kvNamespaces: ["TOKENS"],
      durableObjects: {
        COMPONENT: "ComponentCredential",
        AUTHORIZERS: "AuthorizerCredential",
      },
      bindings: SETTINGS,
      outboundService: (async (request: Request) => {
        const body = request.method === "GET" ? undefined : await request.arrayBuffer();
        const res = await sim.fetch(request.url, {
          method: request.method,
          headers: [...request.headers],
          body,
        });
        return new MfResponse(await res.arrayBuffer(), {
          status: res.status,
          headers: [...res.headers],
        });
      }) as never,
    },
    { name: "bare", modules: true, script: bare, compatibilityDate: "2025-08-01" },
  ],
});

type Fetcher = { fetch(url: string, init?: RequestInit): Promise<Response> };
const wx = await mf.getWorker("wxopen") as unknown as Fetcher;
const baseline = await mf.getWorker("bare") as unknown as Fetcher;

async function send(request: Request): Promise<Response> {
  return await wx.fetch(request.url, {
    method: request.method,
    headers: [...request.headers],
    body: await request.arrayBuffer(),
  });
}

// A platform with a ticket and one authorized account.
await (await send(await sim.ticketPush(`${ORIGIN}/wechat/component/events`))).text();
const auth = await sim.authorizeAccount({ kind: "official_account" });
await (await send(await sim.authorizationPush(`${ORIGIN}/wechat/component/events`, auth))).text();
const appid = auth.appId;
const path = `${ORIGIN}/api/v1/authorizers/${appid}/access-token`;
const headers = { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` };
for (let i = 0; i < 100; i++) {
  const res = await wx.fetch(path, { headers });
  if (res.status !== 200) {
    // The exchange runs in waitUntil: give it a moment.
    await res.text();
    await new Promise((r) => setTimeout(r, 50));
    continue;
  }
  await res.text();
}

// KV reads and upstream calls per warm request.
const N = 1000;
let kvReads = 0;
let upstream = 0;
const simBefore = sim.calls();
for (let i = 0; i < N; i++) {
  const res = await wx.fetch(path, { headers });
  if (res.status !== 200) throw new Error(`access-token answered ${res.status}`);
  kvReads += Number(res.headers.get("x-wxopen-kv-reads"));
  upstream += Number(res.headers.get("x-wxopen-upstream-calls"));
  await res.text();
}
const simCalls = sim.calls() - simBefore;

// Throughput with 8 requests in flight, each side for the same duration.
async function throughput(target: Fetcher, withAuth: boolean, ms: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < end) {
      const res = await target.fetch(path, withAuth ? { headers } : {});
      await res.text();
      done++;
    }
  }));
  return done / (ms / 1000);
}
await throughput(baseline, false, 300);
await throughput(wx, true, 300);
const rounds: { wx: number; bare: number }[] = [];
for (let i = 0; i < 3; i++) {
  const b = await throughput(baseline, false, 1000);
  const w = await throughput(wx, true, 1000);
  rounds.push({ wx: w, bare: b });
}
// A signed, encrypted message push for the authorizer (no forward configured): verify, decrypt,
// parse, check the authorizer, answer `success` — against the bare worker reading the body.
const msgUrl = `${ORIGIN}/wechat/authorizers/${appid}/callback`;
const pushReq = await sim.textMessagePush(msgUrl, { appId: appid, content: "hello" });
const pushBody = await pushReq.text();
const firstPush = await wx.fetch(pushReq.url, { method: "POST", body: pushBody });
if ((await firstPush.text()) !== "success") throw new Error("the message push was refused");
async function pushes(target: Fetcher, ms: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < end) {
      await (await target.fetch(pushReq.url, { method: "POST", body: pushBody })).text();
      done++;
    }
  }));
  return done / (ms / 1000);
}
await pushes(baseline, 300);
await pushes(wx, 300);
const pushRounds: { wx: number; bare: number }[] = [];
for (let i = 0; i < 3; i++) {
  const b = await pushes(baseline, 1000);
  const w = await pushes(wx, 1000);
  pushRounds.push({ wx: w, bare: b });
}
const medianRatio = (rs: { wx: number; bare: number }[]) =>
  rs.map((r) => r.wx / r.bare).sort((a, b) => a - b)[Math.floor(rs.length / 2)];
console.log(
  `message pushes, 8 in flight, 3 x 1 s each: wxopen ${
    (pushRounds.reduce((s, r) => s + r.wx, 0) / 3).toFixed(0)
  } pushes/s, bare Hono ${(pushRounds.reduce((s, r) => s + r.bare, 0) / 3).toFixed(0)} req/s, ` +
    `median ratio ${medianRatio(pushRounds).toFixed(2)}x`,
);

const wxRps = rounds.reduce((s, r) => s + r.wx, 0) / rounds.length;
const bareRps = rounds.reduce((s, r) => s + r.bare, 0) / rounds.length;
console.log(
  `\nwarm GET /api/v1/authorizers/:appid/access-token over ${N} requests: ` +
    `${(kvReads / N).toFixed(3)} KV reads/request, ${
      (upstream / N).toFixed(3)
    } upstream calls/request ` +
    `(simulator saw ${simCalls} calls)`,
);
console.log(
  `throughput, 8 in flight, 3 x 1 s each: wxopen ${wxRps.toFixed(0)} req/s, bare Hono ${
    bareRps.toFixed(0)
  } req/s, median ratio ${medianRatio(rounds).toFixed(2)}x (target >= 0.8x)\n`,
);

Deno.bench({
  name: "bare Hono worker: constant JSON",
  group: "warm access-token",
  baseline: true,
  async fn() {
    await (await baseline.fetch(path)).text();
  },
});

Deno.bench({
  name: "wxopen: GET /api/v1/authorizers/:appid/access-token (warm)",
  group: "warm access-token",
  async fn() {
    await (await wx.fetch(path, { headers })).text();
  },
});

Deno.bench({
  name: "bare Hono worker: read the body, answer success",
  group: "message push",
  baseline: true,
  async fn() {
    await (await baseline.fetch(pushReq.url, { method: "POST", body: pushBody })).text();
  },
});

Deno.bench({
  name: "wxopen: POST /wechat/authorizers/:appid/callback (signed, encrypted)",
  group: "message push",
  async fn() {
    await (await wx.fetch(pushReq.url, { method: "POST", body: pushBody })).text();
  },
});

globalThis.addEventListener("unload", () => {
  mf.dispose();
});

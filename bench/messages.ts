/**
 * The message path's throughput (issue 11): signed, encrypted text messages answered with an
 * encrypted text reply by a platform handler (`worker/_test_entry.ts`: `createWorker({
 * onMessage })`, with the authorizer check and the once-per-message ledger in the authorizer's
 * Durable Object) against a bare Hono worker that opens the same push with the core's code and
 * answers the same reply (`_bare_reply_worker.ts`). Same Miniflare, same wrangler build
 * settings, every push a new message (a new MsgId), 8 in flight, rounds alternating.
 *
 * Run: `deno run -A bench/messages.ts`
 */

// @ts-types="../tests/_miniflare.d.ts"
import { Miniflare, Response as MfResponse } from "miniflare";
import { WeChatSimulator } from "../src/testing/mod.ts";
import { bundleWorker, ORIGIN, SETTINGS } from "../tests/_worker_harness.ts";

const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 10);
const ROUND_MS = 1000;
const IN_FLIGHT = Number(Deno.env.get("IN_FLIGHT") ?? 8);
const root = new URL("..", import.meta.url).pathname;

/** The baseline, built by wrangler with the project's build-time switches. */
async function bareBundle(): Promise<string> {
  const outdir = await Deno.makeTempDir({ prefix: "wxopen-bare-reply-" });
  const config = `${outdir}/wrangler.toml`;
  const project = await Deno.readTextFile(`${root}wrangler.toml`);
  const define = /\[define\]\n((?:.+\n)+?)\n/.exec(project)?.[1] ?? "";
  await Deno.writeTextFile(
    config,
    `name = "bare"\nmain = "${root}bench/_bare_reply_worker.ts"\ncompatibility_date = "2025-08-01"\n` +
      `minify = true\nkeep_names = false\n\n[define]\n${define}`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "npm:wrangler@4",
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
      "--config",
      config,
    ],
    cwd: root,
    env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const file = [...Deno.readDirSync(outdir)].find((e) => e.name.endsWith(".js"))!;
  return await Deno.readTextFile(`${outdir}/${file.name}`);
}

const sim = new WeChatSimulator({
  componentAppId: SETTINGS.COMPONENT_APPID,
  componentAppSecret: SETTINGS.COMPONENT_APPSECRET,
  componentToken: SETTINGS.COMPONENT_TOKEN,
  encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
});

const [ours, bare] = await Promise.all([bundleWorker("", "worker/_test_entry.ts"), bareBundle()]);
const mf = new Miniflare({
  workers: [
    {
      name: "wxopen",
      modules: true,
      script: ours.code,
      compatibilityDate: "2025-08-01",
      kvNamespaces: ["TOKENS"],
      durableObjects: {
        COMPONENT: { className: "ComponentCredential", useSQLite: true },
        AUTHORIZERS: { className: "AuthorizerCredential", useSQLite: true },
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
    {
      name: "bare",
      modules: true,
      script: bare,
      compatibilityDate: "2025-08-01",
      bindings: SETTINGS,
    },
  ],
});

type Fetcher = { fetch(url: string, init?: RequestInit): Promise<Response> };
const wx = await mf.getWorker("wxopen") as unknown as Fetcher;
const baseline = await mf.getWorker("bare") as unknown as Fetcher;

async function send(target: Fetcher, request: { url: string; body: string }): Promise<string> {
  const res = await target.fetch(request.url, { method: "POST", body: request.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return text;
}

// A platform with a ticket and one authorized account.
const events = `${ORIGIN}/wechat/component/events`;
const asPlain = async (r: Request) => ({ url: r.url, body: await r.text() });
await send(wx, await asPlain(await sim.ticketPush(events)));
const auth = await sim.authorizeAccount({ kind: "official_account" });
await send(wx, await asPlain(await sim.authorizationPush(events, auth)));
const url = `${ORIGIN}/wechat/authorizers/${auth.appId}/callback`;
// The exchange runs in waitUntil: wait for the authorizer's token before its first message.
for (let i = 0;; i++) {
  const res = await wx.fetch(`${ORIGIN}/api/v1/authorizers/${auth.appId}/access-token`, {
    headers: { authorization: `Bearer ${SETTINGS.ADMIN_TOKEN}` },
  });
  await res.text();
  if (res.status === 200) break;
  if (i > 100) throw new Error(`the authorization did not complete (${res.status})`);
  await new Promise((r) => setTimeout(r, 50));
}

// Fresh messages, made before timing (encrypting them is the client's work, not the worker's).
const needed = 40_000;
const pushes: { url: string; body: string }[] = [];
for (let i = 0; i < needed; i++) {
  pushes.push(
    await asPlain(await sim.textMessagePush(url, { appId: auth.appId, content: "hours" })),
  );
}
let next = 0;

// Both answer an encrypted text reply.
for (const target of [wx, baseline]) {
  const xml = await sim.openReply(await send(target, pushes[next++]));
  if (!xml.includes("open 9-18")) throw new Error(`not the reply: ${xml}`);
}

async function throughput(target: Fetcher, ms: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (performance.now() < end) {
      if (next >= pushes.length) throw new Error("ran out of prepared pushes");
      await send(target, pushes[next++]);
      done++;
    }
  }));
  return done / (ms / 1000);
}

await throughput(baseline, 300);
await throughput(wx, 300);
const rounds: { wx: number; bare: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // Alternate which goes first.
  if (i % 2 === 0) {
    const b = await throughput(baseline, ROUND_MS);
    rounds.push({ bare: b, wx: await throughput(wx, ROUND_MS) });
  } else {
    const w = await throughput(wx, ROUND_MS);
    rounds.push({ wx: w, bare: await throughput(baseline, ROUND_MS) });
  }
}
const ratios = rounds.map((r) => r.wx / r.bare).sort((a, b) => a - b);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
console.log(
  `text message -> text reply, ${IN_FLIGHT} in flight, ${ROUNDS} x ${ROUND_MS} ms alternating: ` +
    `wxopen handler ${mean(rounds.map((r) => r.wx)).toFixed(0)} msg/s, ` +
    `bare Hono ${mean(rounds.map((r) => r.bare)).toFixed(0)} msg/s, ` +
    `median ratio ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}x (target >= 0.8x); ` +
    `rounds ${rounds.map((r) => `${r.wx.toFixed(0)}/${r.bare.toFixed(0)}`).join(" ")}`,
);
await mf.dispose();

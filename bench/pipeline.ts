/**
 * Message-pipeline benchmark: verify `msg_signature`, decrypt, and parse one
 * `component_verify_ticket` push into its typed event, in messages per second; then runs the
 * peer baseline (node-webot's path: wechat-crypto + xml2js on Node) in the same run and prints
 * the ratio. Usage: `deno run -A bench/pipeline.ts [iterations] [rounds]`.
 *
 * @module
 */
import { MessageCrypto, parseComponentEvent } from "../mod.ts";

const N = Number(Deno.args[0] ?? 100_000);
// The same inputs as the peer baseline script.
const token = "pamtest";
const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const appId = "wxb11529c136998cb6";
const inner =
  "<xml><AppId><![CDATA[wxb11529c136998cb6]]></AppId><CreateTime>1413192605</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz]]></ComponentVerifyTicket></xml>";

const mc = await MessageCrypto.create({ token, encodingAesKey: aesKey, appId });
const encrypt = await mc.encrypt(inner);
const timestamp = "1409304348";
const nonce = "xxxxxx";
const query = { msg_signature: mc.signature(timestamp, nonce, encrypt), timestamp, nonce };
const body =
  `<xml><AppId><![CDATA[${appId}]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;

async function once(): Promise<void> {
  const event = parseComponentEvent(await mc.open(body, query));
  if (event.InfoType !== "component_verify_ticket") throw new Error("parse");
}

async function ours(): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await once();
  return Math.round(N / ((performance.now() - t0) / 1000));
}

const script = new URL("../../shared/bench/peer-baseline.sh", import.meta.url);
async function peer(): Promise<number> {
  const out = await new Deno.Command("bash", {
    args: [script.pathname, String(Math.max(30_000, Math.round(N / 3)))],
    stderr: "inherit",
  }).output();
  const match = new TextDecoder().decode(out.stdout).match(/(\d+) ops\/s/);
  if (!out.success || !match) throw new Error("the peer baseline did not run");
  return Number(match[1]);
}

// Rounds alternate ours and the peer's so that both see the same machine; on a shared machine
// the load changes from second to second, so the median round is reported, and the best too.
for (let i = 0; i < 5_000; i++) await once();
const ROUNDS = Number(Deno.args[1] ?? 3);
const rounds: { ours: number; peer: number; ratio: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = await ours();
  const b = await peer();
  rounds.push({ ours: a, peer: b, ratio: a / b });
  console.log(
    `round ${r + 1}: wxopen ${a} msgs/s, node-webot ${b} msgs/s, ratio ${(a / b).toFixed(2)}x`,
  );
}
const sorted = rounds.slice().sort((x, y) => x.ratio - y.ratio);
const median = sorted[Math.floor(sorted.length / 2)];
const bestOurs = Math.max(...rounds.map((x) => x.ours));
const bestPeer = Math.max(...rounds.map((x) => x.peer));
console.log(`wxopen pipeline on Deno ${Deno.version.deno}, node-webot's path on Node (same run)`);
console.log(`median round ratio: ${median.ratio.toFixed(2)}x (target >= 4x)`);
console.log(
  `best of each: ${bestOurs} vs ${bestPeer} msgs/s, ratio ${(bestOurs / bestPeer).toFixed(2)}x`,
);

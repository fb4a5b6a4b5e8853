/**
 * Message-pipeline benchmark: verify `msg_signature`, decrypt, and parse one
 * `component_verify_ticket` push into its typed event, in messages per second; then runs the
 * peer baseline (node-webot's path: wechat-crypto + xml2js on Node) in the same run and prints
 * the ratio. Usage: `deno run -A bench/pipeline.ts [iterations]`.
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

for (let i = 0; i < 5_000; i++) await once();
const t0 = performance.now();
for (let i = 0; i < N; i++) await once();
const ours = Math.round(N / ((performance.now() - t0) / 1000));
console.log(`wxopen pipeline (Deno ${Deno.version.deno}): ${ours} msgs/s`);

const script = new URL("../../shared/bench/peer-baseline.sh", import.meta.url);
const peer = await new Deno.Command("bash", { args: [script.pathname], stderr: "inherit" })
  .output();
const peerText = new TextDecoder().decode(peer.stdout).trim();
console.log(peerText);
const match = peerText.match(/(\d+) ops\/s/);
if (!peer.success || !match) {
  console.log("peer baseline did not run; no ratio");
  Deno.exit(1);
}
const ratio = ours / Number(match[1]);
console.log(`ratio: ${ratio.toFixed(2)}x the node-webot baseline (target >= 4x)`);

// Peer for the message-pipeline benchmark: node-easywechat (the TypeScript port of EasyWeChat)
// on its open-platform push path: OpenPlatform's Server.getDecryptedMessage(request) parses the
// envelope (xml2js), checks msg_signature, decrypts with its Encryptor (Node's OpenSSL) and
// parses the decrypted component_verify_ticket push (xml2js). The ServerRequest is built once
// (our side does not parse a URL either). Prints "peer node-easywechat pipeline: N ops/s".
// Usage: node peer_easywechat.cjs <node_modules dir> [N] [encrypt]
// `encrypt` is the <Encrypt> text to push (bench/pipeline.ts passes its own, so that both sides
// open the same bytes); without it the peer encrypts the same plaintext itself.
"use strict";
const path = require("path");
const nm = process.argv[2];
const { OpenPlatform, ServerRequest } = require(path.join(nm, "node-easywechat"));
const N = Number(process.argv[3] || 30000);
const token = "pamtest";
const aesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const appId = "wxb11529c136998cb6";
const inner =
  "<xml><AppId><![CDATA[wxb11529c136998cb6]]></AppId><CreateTime>1413192605</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[ticket@@@AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz]]></ComponentVerifyTicket></xml>";
const timestamp = "1409304348";
const nonce = "xxxxxx";

const app = new OpenPlatform({ app_id: appId, secret: "unused", token, aes_key: aesKey });
const encryptor = app.getEncryptor();
const encrypt = process.argv[4] ||
  /<Encrypt>(?:<!\[CDATA\[)?([A-Za-z0-9+/=]+)/.exec(encryptor.encrypt(inner, nonce, timestamp))[1];
const signature = encryptor.createSignature(token, timestamp, nonce, encrypt);
const body =
  `<xml><AppId><![CDATA[${appId}]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
const query = `timestamp=${timestamp}&nonce=${nonce}&msg_signature=${signature}`;
const request = new ServerRequest(
  "POST",
  `/wechat/component/events?${query}`,
  { "content-type": "text/xml" },
  body,
);
app.setRequest(request);
const server = app.getServer();

async function once() {
  const message = await server.getDecryptedMessage(request);
  if (message.InfoType !== "component_verify_ticket") throw new Error("parse");
}

(async () => {
  for (let i = 0; i < 2000; i++) await once();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await once();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`peer node-easywechat pipeline: ${Math.round(N / s)} ops/s`);
})();

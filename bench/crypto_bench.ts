/**
 * Picks the message-crypto primitives by measurement (see docs/crypto.md):
 * AES-256-CBC without padding (Web Crypto, @noble/ciphers' `cbc()` and block function, and the
 * cached-key backend with our T-table decryption) and SHA-1 (ours, @noble/hashes,
 * crypto.subtle.digest), on a component_verify_ticket push of about 400 bytes, plus the whole
 * `MessageCrypto.open` with each AES backend.
 *
 * Run: `deno bench -A bench/crypto_bench.ts`
 */

import { cbc, unsafe } from "@noble/ciphers/aes.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { MessageCrypto } from "../src/crypto/message_crypto.ts";
import { decodeBase64, utf8Encode } from "../src/_bytes.ts";
import { backendConfig, type CbcBackend, createRawCbc } from "../src/crypto/_aes.ts";
import { sha1Hex, sortedSha1Hex } from "../src/crypto/_sha1.ts";

const options = {
  token: "AAAAA",
  encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  appId: "wx134c8103faa5a59e",
};

// A realistic component_verify_ticket push (plaintext ~ 290 bytes, ciphertext 352 bytes,
// request body ~ 550 bytes).
const TICKET_PUSH = "<xml><AppId><![CDATA[wx134c8103faa5a59e]]></AppId>\n" +
  "<CreateTime>1715943329</CreateTime>\n" +
  "<InfoType><![CDATA[component_verify_ticket]]></InfoType>\n" +
  "<ComponentVerifyTicket><![CDATA[ticket@@@lEHjsBEi_TPDey0IZxw4Zbb7JRYLOtEf9ksvDpSwzkwog3R6xEpdaK0yIee7JOyOXM0V7cp0dpM58GKmb8FSKA]]></ComponentVerifyTicket>\n" +
  "</xml>";

async function instance(backend: CbcBackend): Promise<MessageCrypto> {
  const saved = backendConfig.backend;
  backendConfig.backend = backend;
  try {
    return await MessageCrypto.create(options);
  } finally {
    backendConfig.backend = saved;
  }
}

const nobleMc = await instance("noble");
const noblePlainMc = await instance("noble-plain");
const webMc = await instance("webcrypto");
const encrypt = await nobleMc.encrypt(TICKET_PUSH);
const ciphertext = decodeBase64(encrypt);
const body = `<xml>\n    <AppId><![CDATA[${options.appId}]]></AppId>\n` +
  `    <Encrypt><![CDATA[${encrypt}]]></Encrypt>\n</xml>`;
const query = {
  msg_signature: nobleMc.signature("1715943329", "1590219412", encrypt),
  timestamp: "1715943329",
  nonce: "1590219412",
};
const sortedInput = utf8Encode(
  [options.token, query.timestamp, query.nonce, encrypt].sort().join(""),
);

// Sanity: both backends agree before anything is timed.
if ((await webMc.open(body, query)) !== TICKET_PUSH) throw new Error("webcrypto backend broken");
if ((await nobleMc.open(body, query)) !== TICKET_PUSH) throw new Error("noble backend broken");
if ((await noblePlainMc.open(body, query)) !== TICKET_PUSH) throw new Error("noble-plain broken");

const aesKey = decodeBase64("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2A=");
const nobleRaw = await createRawCbc(aesKey, "noble");
const noblePlainRaw = await createRawCbc(aesKey, "noble-plain");
const webRaw = await createRawCbc(aesKey, "webcrypto");

// The cached-key path as it was before our T-table rounds: noble's block function per block.
const decKey = unsafe.expandKeyDecLE(aesKey);
const iv32 = new Uint32Array(aesKey.slice(0, 16).buffer);
function nobleBlockDecrypt(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const dst = new Uint32Array(out.buffer);
  let p0 = iv32[0], p1 = iv32[1], p2 = iv32[2], p3 = iv32[3];
  for (let i = 0; i < src.length; i += 4) {
    const c0 = src[i], c1 = src[i + 1], c2 = src[i + 2], c3 = src[i + 3];
    const r = unsafe.decrypt(decKey, c0, c1, c2, c3);
    dst[i] = r.s0 ^ p0, dst[i + 1] = r.s1 ^ p1, dst[i + 2] = r.s2 ^ p2, dst[i + 3] = r.s3 ^ p3;
    p0 = c0, p1 = c1, p2 = c2, p3 = c3;
  }
  return out;
}
if (
  nobleBlockDecrypt(ciphertext).some((b, i) =>
    b !== (nobleRaw.decrypt(ciphertext) as Uint8Array)[i]
  )
) {
  throw new Error("decryption paths disagree");
}

Deno.bench({
  name: "noble cbc decrypt (352 B, no padding)",
  group: "aes-decrypt",
  baseline: true,
  fn: () => {
    cbc(aesKey, aesKey.subarray(0, 16), { disablePadding: true }).decrypt(ciphertext);
  },
});
Deno.bench({
  name: "webcrypto AES-CBC decrypt (352 B, +1 crafted pad block)",
  group: "aes-decrypt",
  fn: async () => {
    await webRaw.decrypt(ciphertext);
  },
});
Deno.bench({
  name: 'backend "noble": key schedule cached, our T-table rounds',
  group: "aes-decrypt",
  fn: () => {
    nobleRaw.decrypt(ciphertext);
  },
});
Deno.bench({
  name: "key schedule cached, noble's unsafe.decrypt per block (the previous path)",
  group: "aes-decrypt",
  fn: () => {
    nobleBlockDecrypt(ciphertext);
  },
});
Deno.bench({
  name: 'noble cbc() via backend "noble-plain"',
  group: "aes-decrypt",
  fn: () => {
    noblePlainRaw.decrypt(ciphertext);
  },
});

const plainBlocks = new Uint8Array(352).fill(7);
Deno.bench({
  name: "noble cbc encrypt (352 B, key schedule cached)",
  group: "aes-encrypt",
  baseline: true,
  fn: () => {
    nobleRaw.encrypt(plainBlocks);
  },
});
Deno.bench({
  name: "noble cbc() encrypt (352 B)",
  group: "aes-encrypt",
  fn: () => {
    noblePlainRaw.encrypt(plainBlocks);
  },
});
Deno.bench({
  name: "webcrypto AES-CBC encrypt (352 B, drop pad block)",
  group: "aes-encrypt",
  fn: async () => {
    await webRaw.encrypt(plainBlocks);
  },
});

Deno.bench({
  name: "noble sha1 (msg_signature input)",
  group: "sha1",
  baseline: true,
  fn: () => {
    sha1(sortedInput);
  },
});
Deno.bench({
  name: "our sha1 of the same bytes",
  group: "sha1",
  fn: () => {
    sha1Hex(sortedInput);
  },
});
Deno.bench({
  name: "our sortedSha1Hex (sort, hash the ASCII string directly, hex)",
  group: "sha1",
  fn: () => {
    sortedSha1Hex([options.token, query.timestamp, query.nonce, encrypt]);
  },
});
Deno.bench({
  name: "crypto.subtle.digest SHA-1 (msg_signature input)",
  group: "sha1",
  fn: async () => {
    await crypto.subtle.digest("SHA-1", sortedInput.slice());
  },
});
Deno.bench({
  name: "MessageCrypto.signature (sortedSha1Hex)",
  group: "sha1",
  fn: () => {
    nobleMc.signature(query.timestamp, query.nonce, encrypt);
  },
});

Deno.bench({
  name: "open (noble AES)",
  group: "open",
  baseline: true,
  fn: async () => {
    await nobleMc.open(body, query);
  },
});
Deno.bench({
  name: "open (noble cbc(), key expanded per call)",
  group: "open",
  fn: async () => {
    await noblePlainMc.open(body, query);
  },
});
Deno.bench({
  name: "open (webcrypto AES)",
  group: "open",
  fn: async () => {
    await webMc.open(body, query);
  },
});
Deno.bench({
  name: "decrypt only (noble AES)",
  group: "open",
  fn: async () => {
    await nobleMc.decrypt(encrypt);
  },
});

Deno.bench({
  name: "seal (noble AES)",
  group: "seal",
  baseline: true,
  fn: async () => {
    await nobleMc.seal(TICKET_PUSH, { timestamp: "1", nonce: "2" });
  },
});
Deno.bench({
  name: "seal (webcrypto AES)",
  group: "seal",
  fn: async () => {
    await webMc.seal(TICKET_PUSH, { timestamp: "1", nonce: "2" });
  },
});

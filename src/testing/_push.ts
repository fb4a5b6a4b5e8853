/**
 * Pushes as WeChat sends them: the plaintext XML encrypted with the component's key, wrapped
 * in the `<xml><AppId|ToUserName>…<Encrypt>…</xml>` envelope, and POSTed with `signature`,
 * `timestamp`, `nonce`, `encrypt_type=aes` and `msg_signature` in the query.
 *
 * @module
 */

import { randomBytes } from "../_bytes.ts";
import type { MessageCrypto } from "../crypto/message_crypto.ts";
import { buildXml, type XmlInputObject } from "../xml/build.ts";

/** A random nonce of 9–10 digits, as WeChat's. */
export function digitsNonce(): string {
  const [a, b] = new Uint32Array(randomBytes(8).buffer);
  return String(100_000_000 + ((a * 4096 + (b & 4095)) % 4_000_000_000));
}

/** A 64-bit-looking message id. */
export function msgId(): bigint {
  const [a, b] = new Uint32Array(randomBytes(8).buffer);
  return (BigInt(a & 0x7fffffff) << 32n) | BigInt(b);
}

/**
 * Builds the POST request of an encrypted push: `root` is `["AppId", componentAppId]` for
 * the 授权事件接收URL and `["ToUserName", gh_id]` for an authorizer's message URL.
 */
export async function encryptedPush(
  crypto: MessageCrypto,
  target: string,
  root: readonly [string, string],
  plaintext: XmlInputObject,
  nowMs: number,
  openid?: string,
): Promise<Request> {
  const url = new URL(target);
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = digitsNonce();
  const encrypt = await crypto.encrypt(buildXml(plaintext, { newlines: true }));
  url.searchParams.set("signature", crypto.urlSignature(timestamp, nonce));
  url.searchParams.set("timestamp", timestamp);
  url.searchParams.set("nonce", nonce);
  if (openid !== undefined) url.searchParams.set("openid", openid);
  url.searchParams.set("encrypt_type", "aes");
  url.searchParams.set("msg_signature", crypto.signature(timestamp, nonce, encrypt));
  const body = buildXml({ [root[0]]: root[1], Encrypt: encrypt }, { newlines: true });
  return new Request(url, {
    method: "POST",
    body,
    headers: { "content-type": "text/xml", "user-agent": "Mozilla/4.0" },
  });
}

function field(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))\\s*</${name}>`)
    .exec(xml);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * Checks and decrypts a passive reply envelope. A body that is not an envelope (`""`,
 * `success`) is returned as it is, since WeChat takes those unencrypted.
 */
export async function openReply(crypto: MessageCrypto, body: string): Promise<string> {
  const encrypt = field(body, "Encrypt");
  if (encrypt === undefined) {
    if (body.trim() === "" || body.trim() === "success") return body;
    throw new TypeError("Reply is neither an encrypted envelope nor an empty or success answer");
  }
  const signature = field(body, "MsgSignature");
  const timestamp = field(body, "TimeStamp");
  const nonce = field(body, "Nonce");
  if (signature === undefined || timestamp === undefined || nonce === undefined) {
    throw new TypeError("Reply envelope lacks MsgSignature, TimeStamp or Nonce");
  }
  if (crypto.signature(timestamp, nonce, encrypt) !== signature.toLowerCase()) {
    throw new TypeError("Reply MsgSignature does not match");
  }
  return await crypto.decrypt(encrypt);
}

/**
 * WeChat's message crypto (WXBizMsgCrypt): `msg_signature` and URL signatures, AES-256-CBC with
 * PKCS#7 to 32-byte blocks, push envelopes and encrypted replies, key rotation; plus the hex
 * encoding and the constant-time string comparison a server needs for its own MACs and tokens.
 *
 * @example Open a push, seal a reply
 * ```ts
 * import { MessageCrypto } from "@wxopen/component/crypto";
 *
 * const crypto = await MessageCrypto.create({
 *   token: "pamtest",
 *   encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
 *   appId: "wxb11529c136998cb6",
 * });
 * const sealed = await crypto.seal("<xml><Content>hi</Content></xml>", { timestamp: "1409304348", nonce: "n" });
 * console.log(sealed.startsWith("<xml>")); // true
 * ```
 *
 * @module
 */

export * from "./message_crypto.ts";
export * from "./errors.ts";
export { timingSafeEqual, toHex } from "../_bytes.ts";

/**
 * SHA-1 signatures of sorted strings, as WeChat computes `signature` and `msg_signature`.
 * Synchronous (`@noble/hashes`), so `MessageCrypto.signature` needs no await; see
 * `docs/crypto.md` for the measurement against `crypto.subtle.digest`.
 *
 * @module
 */

import { sha1 } from "@noble/hashes/legacy.js";
import { toHex, utf8Encode } from "../_bytes.ts";

/** Lowercase hex SHA-1 of the concatenation of `parts` in plain string order. */
export function sortedSha1Hex(parts: string[]): string {
  const sorted = parts.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return toHex(sha1(utf8Encode(sorted.join(""))));
}

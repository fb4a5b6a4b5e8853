/**
 * Byte helpers shared by the core: strict base64, UTF-8, hex and constant-time comparison.
 * Written against Web standards only so the core runs without `Buffer`.
 *
 * @module
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Standard base64 (with `+`, `/` and `=` padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  if (i < n) {
    const v = (bytes[i] << 16) | ((i + 1 < n ? bytes[i + 1] : 0) << 8);
    out += B64[v >> 18] + B64[(v >> 12) & 63];
    out += i + 1 < n ? B64[(v >> 6) & 63] + "=" : "==";
  }
  return out;
}

/**
 * Decodes standard, padded base64. Throws a `TypeError` for anything else: a length that is
 * not a multiple of 4, a character outside the alphabet, misplaced `=`, or non-zero trailing
 * bits (so that one byte string has exactly one accepted encoding).
 */
export function decodeBase64(text: string): Uint8Array {
  const len = text.length;
  if (len % 4 !== 0) throw new TypeError("Invalid base64: length is not a multiple of 4");
  let pad = 0;
  if (len > 0 && text.charCodeAt(len - 1) === 61) pad++;
  if (len > 1 && text.charCodeAt(len - 2) === 61) pad++;
  const out = new Uint8Array((len / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const last = i + 4 === len;
    const c0 = sextet(text, i);
    const c1 = sextet(text, i + 1);
    if (last && pad === 2) {
      if (c1 & 15) throw new TypeError("Invalid base64: non-zero trailing bits");
      out[o++] = (c0 << 2) | (c1 >> 4);
      break;
    }
    const c2 = sextet(text, i + 2);
    if (last && pad === 1) {
      if (c2 & 3) throw new TypeError("Invalid base64: non-zero trailing bits");
      out[o++] = (c0 << 2) | (c1 >> 4);
      out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
      break;
    }
    const c3 = sextet(text, i + 3);
    out[o++] = (c0 << 2) | (c1 >> 4);
    out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
    out[o++] = ((c2 & 3) << 6) | c3;
  }
  return out;
}

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 128 ? B64_INDEX[c] : -1;
  if (v < 0) throw new TypeError(`Invalid base64: unexpected character at ${i}`);
  return v;
}

/** UTF-8 bytes of `text`. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing a `TypeError` on invalid sequences instead of inserting U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal where they
 * differ. Only the length is revealed, which for signatures and tokens is public anyway.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    diff |= (a.charCodeAt(i % (a.length || 1)) | 0) ^ (b.charCodeAt(i % (b.length || 1)) | 0);
  }
  return diff === 0;
}

/** `n` cryptographically random bytes from Web Crypto. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  crypto.getRandomValues(out);
  return out;
}

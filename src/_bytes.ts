/**
 * Byte helpers shared by the core: strict base64, UTF-8, hex and constant-time comparison.
 * Written against Web standards only so the core runs without `Buffer`.
 *
 * @module
 */

/**
 * Set to `true` at build time (the worker's wrangler.toml `[define]`) where the runtime surely
 * has `Uint8Array.fromBase64`/`toBase64` (workerd): the bundler then drops the portable paths.
 */
const NATIVE_ONLY = (globalThis as { __WXOPEN_NATIVE_BASE64__?: boolean })
  .__WXOPEN_NATIVE_BASE64__;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Alphabet index by char code (-1 outside it), built on first use. */
let b64Index: Int16Array | undefined;
function base64Index(): Int16Array {
  if (!b64Index) {
    b64Index = new Int16Array(128).fill(-1);
    for (let i = 0; i < B64.length; i++) b64Index[B64.charCodeAt(i)] = i;
  }
  return b64Index;
}

// ES2026 `Uint8Array.fromBase64` / `toBase64` where the runtime has them (Deno, workerd) are
// several times faster than a JS loop; Node 20 takes the portable paths.
const nativeFromBase64 = (Uint8Array as unknown as {
  fromBase64?: (s: string, options: { lastChunkHandling: "strict" }) => Uint8Array;
}).fromBase64;
const STRICT = { lastChunkHandling: "strict" } as const;
const nativeToBase64 =
  (Uint8Array.prototype as unknown as { toBase64?: (this: Uint8Array) => string })
    .toBase64;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const laxDecoder = new TextDecoder("utf-8");

/** Standard base64 (with `+`, `/` and `=` padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  if (NATIVE_ONLY || nativeToBase64) return nativeToBase64!.call(bytes);
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

const BASE64_SHAPE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks that padded base64 has a length divisible by 4; returns how many `=` end it (0..2). */
function base64Padding(text: string): number {
  const len = text.length;
  if (len % 4 !== 0) throw new TypeError("Invalid base64: length is not a multiple of 4");
  if (len === 0 || text.charCodeAt(len - 1) !== 61) return 0;
  return text.charCodeAt(len - 2) === 61 ? 2 : 1;
}

/**
 * Decodes standard, padded base64. Throws a `TypeError` for anything else: a length that is
 * not a multiple of 4, a character outside the alphabet (whitespace included), misplaced `=`,
 * or non-zero trailing bits (so that one byte string has exactly one accepted encoding).
 */
export function decodeBase64(text: string): Uint8Array {
  if (!NATIVE_ONLY && !nativeFromBase64) return decodeBase64Portable(text);
  const expected = (text.length / 4) * 3 - base64Padding(text);
  // Strict chunk handling rejects bad characters, bad padding and non-zero trailing bits; the
  // only laxity left is skipped whitespace, which shows as a shorter result.
  let out: Uint8Array;
  try {
    out = nativeFromBase64!(text, STRICT);
  } catch {
    throw new TypeError("Invalid base64: unexpected character or padding");
  }
  if (out.length !== expected) throw new TypeError("Invalid base64: unexpected character");
  return out;
}

/** {@linkcode decodeBase64} without the native decoder: the path Node 20 takes. */
export function decodeBase64Portable(text: string): Uint8Array {
  const len = text.length;
  const pad = base64Padding(text);
  if (!BASE64_SHAPE.test(text)) throw new TypeError("Invalid base64: unexpected character");
  if (pad > 0 && base64Index()[text.charCodeAt(len - 1 - pad)] & (pad === 2 ? 15 : 3)) {
    throw new TypeError("Invalid base64: non-zero trailing bits");
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** `chunks` (of `size` bytes in all) as one array. */
export function concatBytes(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** UTF-8 bytes of `text`. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing a `TypeError` on invalid sequences instead of inserting U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  // The replacing decoder is about 3x faster than the fatal one (Deno). Every invalid sequence
  // becomes U+FFFD, so a result without one is exactly what the fatal decoder returns; only a
  // result with one (invalid input, or a genuine U+FFFD) takes the fatal pass.
  const text = laxDecoder.decode(bytes);
  return text.includes("\ufffd") ? strictDecoder.decode(bytes) : text;
}

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
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

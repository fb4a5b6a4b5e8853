/**
 * AES-256-CBC without cipher-level padding, as WeChat's message crypto needs it (the 32-byte
 * PKCS#7 padding is applied by the caller). Two interchangeable implementations: `@noble/ciphers`
 * (synchronous) and Web Crypto (asynchronous). `bench/crypto_bench.ts` compares them; see
 * `docs/crypto.md` for the choice.
 *
 * @module
 */

import { cbc, unsafe } from "@noble/ciphers/aes.js";

/** Raw AES-CBC over whole 16-byte blocks with a fixed key and IV. */
export interface RawCbc {
  /** Encrypts `data` (a multiple of 16 bytes) without adding padding. */
  encrypt(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Decrypts `data` (a non-empty multiple of 16 bytes) without removing padding. */
  decrypt(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Backend names, for the bench and for tests that pin a backend. */
export type CbcBackend = "noble" | "noble-plain" | "webcrypto";

/**
 * The backend `MessageCrypto` uses (chosen by `bench/crypto_bench.ts`), unless the bundle defines
 * {@linkcode createRawCbc}'s Web Crypto switch.
 */
export const DEFAULT_BACKEND: CbcBackend = "noble";

/**
 * The backend new `MessageCrypto` instances use. Mutable only so that the bench and the tests
 * can run every backend; the library itself never changes it.
 */
export const backendConfig: { backend: CbcBackend } = { backend: DEFAULT_BACKEND };

/**
 * Creates a raw AES-CBC cipher; `key` is 32 bytes and the IV is its first 16.
 *
 * A bundle for workerd, where Web Crypto is as fast as noble, defines
 * `globalThis.__WXOPEN_WEBCRYPTO_AES__` as `true` at build time (wrangler.toml `[define]`): the
 * condition below then folds to a constant and the bundler drops `@noble/ciphers` (about 14 KB
 * minified). Keep the noble branches inside this one conditional expression: a branch behind an
 * early `return` is not dropped. Unbundled (Deno, tests) the global is undefined and `backend`
 * decides.
 */
export function createRawCbc(key: Uint8Array, backend: CbcBackend): Promise<RawCbc> {
  return (globalThis as { __WXOPEN_WEBCRYPTO_AES__?: boolean }).__WXOPEN_WEBCRYPTO_AES__ ||
      backend === "webcrypto"
    ? webCryptoCbc(key)
    : Promise.resolve(
      backend === "noble-plain" ? noblePlainCbc(key) : nobleCachedCbc(key) ?? noblePlainCbc(key),
    );
}

/** noble's public `cbc()`: expands the key on every call. */
function noblePlainCbc(key: Uint8Array): RawCbc {
  const k = key.slice();
  const iv = k.slice(0, 16);
  return {
    encrypt: (data) => cbc(k, iv, { disablePadding: true }).encrypt(data),
    decrypt: (data) => cbc(k, iv, { disablePadding: true }).decrypt(data),
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The inverse cipher's tables: InvSubBytes, and InvSubBytes + InvMixColumns (T-tables). */
interface DecryptionTables {
  inv: Uint8Array;
  t0: Int32Array;
  t1: Int32Array;
  t2: Int32Array;
  t3: Int32Array;
}

let decryptionTables: DecryptionTables | undefined;

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2). */
function gmul(a: number, b: number): number {
  let r = 0;
  for (; b > 0; b >>= 1) {
    if (b & 1) r ^= a;
    a = (a << 1) ^ (a & 0x80 ? 0x11b : 0);
  }
  return r;
}

/**
 * Builds the tables once, on first use: the S-box from the multiplicative inverse and the
 * affine map (FIPS 197 §5.1.1), its inverse, and the four 256-word T-tables of the equivalent
 * inverse cipher (§5.3.5) in the little-endian byte-lane order of noble's key schedule: T0[x]
 * holds InvMixColumns' column {0e,09,0d,0b}·InvSbox[x], T1..T3 are T0 rotated by 8, 16 and 24
 * bits. 4.25 KB in all, so they stay in L1 (noble's merged decryption tables are 640 KB).
 */
function buildDecryptionTables(): DecryptionTables {
  const sbox = new Uint8Array(256);
  // p runs over all non-zero elements (powers of 3), q over their inverses (powers of 1/3).
  let p = 1, q = 1;
  do {
    p = p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0);
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const r = (n: number) => ((q << n) | (q >>> (8 - n))) & 0xff;
    sbox[p] = q ^ r(1) ^ r(2) ^ r(3) ^ r(4) ^ 0x63;
  } while (p !== 1);
  sbox[0] = 0x63;
  const inv = new Uint8Array(256);
  for (let x = 0; x < 256; x++) inv[sbox[x]] = x;
  const t0 = new Int32Array(256), t1 = new Int32Array(256);
  const t2 = new Int32Array(256), t3 = new Int32Array(256);
  for (let x = 0; x < 256; x++) {
    const s = inv[x];
    const w = (gmul(s, 11) << 24) | (gmul(s, 13) << 16) | (gmul(s, 9) << 8) | gmul(s, 14);
    t0[x] = w;
    t1[x] = (w << 8) | (w >>> 24);
    t2[x] = (w << 16) | (w >>> 16);
    t3[x] = (w << 24) | (w >>> 8);
  }
  return { inv, t0, t1, t2, t3 };
}

/**
 * AES-CBC with both key schedules expanded once per key by noble (`unsafe.expandKeyLE`,
 * `expandKeyDecLE`), noble's block function for encryption, and for decryption — the hot path
 * of every push — the equivalent inverse cipher written out here over small T-tables (noble's
 * `unsafe.decrypt` returns an object per block and reads 1 MB of tables; this is about 25 %
 * faster), with the CBC chaining over 32-bit words. noble marks these exports "unsafe"
 * (internal, may change), so this path is used only on little-endian hosts and only after it
 * reproduced noble's own `cbc()` for this key, both ways; otherwise the caller falls back to
 * `cbc()`. `tests/aes_test.ts` compares it with `cbc()` on random keys and data.
 */
export function nobleCachedCbc(key: Uint8Array): RawCbc | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  try {
    const encKey = unsafe.expandKeyLE(key);
    const decKey = new Int32Array(unsafe.expandKeyDecLE(key));
    const iv = new Uint32Array(key.slice(0, 16).buffer);
    const { inv, t0: T0, t1: T1, t2: T2, t3: T3 } = decryptionTables ??= buildDecryptionTables();
    const rounds = decKey.length / 4 - 2;
    const raw: RawCbc = {
      encrypt(data) {
        const out = new Uint8Array(data.length);
        const src = words(data);
        const dst = new Uint32Array(out.buffer);
        let s0 = iv[0], s1 = iv[1], s2 = iv[2], s3 = iv[3];
        for (let i = 0; i < src.length; i += 4) {
          const r = unsafe.encrypt(
            encKey,
            s0 ^ src[i],
            s1 ^ src[i + 1],
            s2 ^ src[i + 2],
            s3 ^ src[i + 3],
          );
          dst[i] = s0 = r.s0;
          dst[i + 1] = s1 = r.s1;
          dst[i + 2] = s2 = r.s2;
          dst[i + 3] = s3 = r.s3;
        }
        return out;
      },
      decrypt(data) {
        const out = new Uint8Array(data.length);
        const src = words(data);
        const dst = new Uint32Array(out.buffer);
        const xk = decKey;
        let p0 = iv[0], p1 = iv[1], p2 = iv[2], p3 = iv[3];
        for (let i = 0; i < src.length; i += 4) {
          const c0 = src[i], c1 = src[i + 1], c2 = src[i + 2], c3 = src[i + 3];
          let s0 = c0 ^ xk[0], s1 = c1 ^ xk[1], s2 = c2 ^ xk[2], s3 = c3 ^ xk[3];
          let k = 4;
          // The round keys are reversed and InvMixColumns-adjusted, so each round is four
          // table lookups per column in InvShiftRows order, then the round key.
          for (let r = 0; r < rounds; r++, k += 4) {
            const u0 = xk[k] ^ T0[s0 & 255] ^ T1[(s3 >>> 8) & 255] ^ T2[(s2 >>> 16) & 255] ^
              T3[s1 >>> 24];
            const u1 = xk[k + 1] ^ T0[s1 & 255] ^ T1[(s0 >>> 8) & 255] ^
              T2[(s3 >>> 16) & 255] ^ T3[s2 >>> 24];
            const u2 = xk[k + 2] ^ T0[s2 & 255] ^ T1[(s1 >>> 8) & 255] ^
              T2[(s0 >>> 16) & 255] ^ T3[s3 >>> 24];
            const u3 = xk[k + 3] ^ T0[s3 & 255] ^ T1[(s2 >>> 8) & 255] ^
              T2[(s1 >>> 16) & 255] ^ T3[s0 >>> 24];
            s0 = u0, s1 = u1, s2 = u2, s3 = u3;
          }
          // Last round: InvShiftRows and InvSubBytes only.
          dst[i] = p0 ^ xk[k] ^ (inv[s0 & 255] | (inv[(s3 >>> 8) & 255] << 8) |
            (inv[(s2 >>> 16) & 255] << 16) | (inv[s1 >>> 24] << 24));
          dst[i + 1] = p1 ^ xk[k + 1] ^ (inv[s1 & 255] | (inv[(s0 >>> 8) & 255] << 8) |
            (inv[(s3 >>> 16) & 255] << 16) | (inv[s2 >>> 24] << 24));
          dst[i + 2] = p2 ^ xk[k + 2] ^ (inv[s2 & 255] | (inv[(s1 >>> 8) & 255] << 8) |
            (inv[(s0 >>> 16) & 255] << 16) | (inv[s3 >>> 24] << 24));
          dst[i + 3] = p3 ^ xk[k + 3] ^ (inv[s3 & 255] | (inv[(s2 >>> 8) & 255] << 8) |
            (inv[(s1 >>> 16) & 255] << 16) | (inv[s0 >>> 24] << 24));
          p0 = c0, p1 = c1, p2 = c2, p3 = c3;
        }
        return out;
      },
    };
    return agreesWithPlain(raw, key) ? raw : undefined;
  } catch {
    return undefined;
  }
}

/** A 32-bit word view of `data` (copied when its offset is not 4-byte aligned). */
function words(data: Uint8Array): Uint32Array {
  if (data.length % 16 !== 0) throw new RangeError("Data is not a whole number of AES blocks");
  const bytes = data.byteOffset % 4 === 0 ? data : data.slice();
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
}

/** Known-answer check of the cached path against noble's public `cbc()` for this key. */
function agreesWithPlain(raw: RawCbc, key: Uint8Array): boolean {
  const probe = new Uint8Array(48);
  for (let i = 0; i < probe.length; i++) probe[i] = (i * 37 + 11) & 0xff;
  const plain = noblePlainCbc(key);
  const a = raw.encrypt(probe) as Uint8Array;
  const b = plain.encrypt(probe) as Uint8Array;
  const c = raw.decrypt(b) as Uint8Array;
  for (let i = 0; i < probe.length; i++) {
    if (a[i] !== b[i] || c[i] !== probe[i]) return false;
  }
  return true;
}

const FULL_PAD_BLOCK = new Uint8Array(16).fill(16);

async function webCryptoCbc(key: Uint8Array): Promise<RawCbc> {
  const iv = key.slice(0, 16);
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key.slice(),
    { name: "AES-CBC" },
    false,
    ["encrypt", "decrypt"],
  );
  return {
    // Web Crypto always appends 16-byte PKCS#7 padding. Our input is already whole blocks, so
    // that padding is one extra block of 0x10 bytes at the end: drop its ciphertext.
    async encrypt(data) {
      const out = await crypto.subtle.encrypt({ name: "AES-CBC", iv }, cryptoKey, data.slice());
      return new Uint8Array(out, 0, data.length);
    },
    // Web Crypto insists on valid 16-byte PKCS#7 at the end. Append the block that decrypts to a
    // full 0x10 pad block after the real last block: that is E(lastBlock ^ 0x10…), which is the
    // first ciphertext block of encrypting 0x10… with IV = lastBlock.
    async decrypt(data) {
      const last = data.subarray(data.length - 16);
      const extra = await crypto.subtle.encrypt(
        { name: "AES-CBC", iv: last.slice() },
        cryptoKey,
        FULL_PAD_BLOCK,
      );
      const input = new Uint8Array(data.length + 16);
      input.set(data);
      input.set(new Uint8Array(extra, 0, 16), data.length);
      const out = await crypto.subtle.decrypt({ name: "AES-CBC", iv }, cryptoKey, input);
      return new Uint8Array(out);
    },
  };
}

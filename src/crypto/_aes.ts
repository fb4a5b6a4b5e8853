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

/**
 * noble's AES block functions with the key schedules expanded once per key, and the CBC
 * chaining done here over 32-bit words. noble marks these block functions "unsafe" (internal,
 * may change), so this path is used only on little-endian hosts and only after it reproduced
 * noble's own `cbc()` for this key; otherwise the caller falls back to `cbc()`.
 */
export function nobleCachedCbc(key: Uint8Array): RawCbc | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  try {
    const encKey = unsafe.expandKeyLE(key);
    const decKey = unsafe.expandKeyDecLE(key);
    const iv = new Uint32Array(key.slice(0, 16).buffer);
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
        let p0 = iv[0], p1 = iv[1], p2 = iv[2], p3 = iv[3];
        for (let i = 0; i < src.length; i += 4) {
          const c0 = src[i], c1 = src[i + 1], c2 = src[i + 2], c3 = src[i + 3];
          const r = unsafe.decrypt(decKey, c0, c1, c2, c3);
          dst[i] = r.s0 ^ p0;
          dst[i + 1] = r.s1 ^ p1;
          dst[i + 2] = r.s2 ^ p2;
          dst[i + 3] = r.s3 ^ p3;
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

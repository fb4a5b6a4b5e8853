/**
 * AES-256-CBC without cipher-level padding, as WeChat's message crypto needs it (the 32-byte
 * PKCS#7 padding is applied by the caller). Two interchangeable implementations: Web Crypto and
 * `@noble/ciphers`. `bench/crypto_bench.ts` compares them; see `docs/crypto.md` for the choice.
 *
 * @module
 */

import { cbc } from "@noble/ciphers/aes.js";

/** Raw AES-CBC over whole 16-byte blocks with a fixed key and IV. */
export interface RawCbc {
  /** Encrypts `data` (a multiple of 16 bytes) without adding padding. */
  encrypt(data: Uint8Array): Promise<Uint8Array>;
  /** Decrypts `data` (a non-empty multiple of 16 bytes) without removing padding. */
  decrypt(data: Uint8Array): Promise<Uint8Array>;
}

/** Backend names, for the bench and for tests that pin a backend. */
export type CbcBackend = "noble" | "webcrypto";

/** The backend `MessageCrypto` uses (chosen by `bench/crypto_bench.ts`). */
export const DEFAULT_BACKEND: CbcBackend = "noble";

/**
 * The backend new `MessageCrypto` instances use. Mutable only so that the bench and the tests
 * can run both backends; the library itself never changes it.
 */
export const backendConfig: { backend: CbcBackend } = { backend: DEFAULT_BACKEND };

/** Creates a raw AES-CBC cipher; `key` is 32 bytes and the IV is its first 16. */
export function createRawCbc(key: Uint8Array, backend: CbcBackend): Promise<RawCbc> {
  return backend === "noble" ? Promise.resolve(nobleCbc(key)) : webCryptoCbc(key);
}

function nobleCbc(key: Uint8Array): RawCbc {
  const k = key.slice();
  const iv = k.slice(0, 16);
  return {
    encrypt: (data) => Promise.resolve(cbc(k, iv, { disablePadding: true }).encrypt(data)),
    decrypt: (data) => Promise.resolve(cbc(k, iv, { disablePadding: true }).decrypt(data)),
  };
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

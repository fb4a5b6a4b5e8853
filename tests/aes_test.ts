/**
 * Tests of the cached-key AES-CBC path in `src/crypto/_aes.ts`, whose decryption rounds are
 * written out over our own T-tables: the FIPS 197 AES-256 known answer, and a seeded
 * differential test against `@noble/ciphers`' public `cbc()` on random keys and data of random
 * whole-block lengths, aligned and unaligned. (`tests/crypto_test.ts` runs WeChat's official
 * vectors through the same path.)
 */

import assert from "node:assert/strict";
import { cbc } from "@noble/ciphers/aes.js";
import { nobleCachedCbc } from "../src/crypto/_aes.ts";
import { prng } from "./_prng.ts";

function hex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((h) => parseInt(h, 16)));
}

Deno.test("FIPS 197 C.3: AES-256 decrypts the known ciphertext", () => {
  const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const plaintext = hex("00112233445566778899aabbccddeeff");
  const ciphertext = hex("8ea2b7ca516745bfeafc49904b496089");
  const raw = nobleCachedCbc(key);
  assert.ok(raw, "the cached path is active on this host");
  // One CBC block: P = D(C) xor IV, and the IV is the key's first 16 bytes.
  const out = raw.decrypt(ciphertext) as Uint8Array;
  assert.deepEqual(out.map((b, i) => b ^ key[i]), plaintext);
  const back = raw.encrypt(plaintext.map((b, i) => b ^ key[i])) as Uint8Array;
  assert.deepEqual(back, ciphertext);
});

Deno.test("cached-key AES-CBC agrees with noble's cbc() on 3,000 seeded random cases", () => {
  const rand = prng(20261127);
  const byte = () => Math.floor(rand() * 256);
  for (let n = 0; n < 3_000; n++) {
    const key = new Uint8Array(32).map(byte);
    const raw = nobleCachedCbc(key);
    assert.ok(raw);
    const blocks = 1 + Math.floor(rand() * (n % 10 === 0 ? 64 : 24));
    const data = new Uint8Array(16 * blocks).map(byte);
    const reference = () => cbc(key, key.slice(0, 16), { disablePadding: true });
    const expected = reference().decrypt(data);
    assert.deepEqual(raw.decrypt(data), expected, `case ${n}`);
    const shifted = new Uint8Array(data.length + 1).subarray(1);
    shifted.set(data);
    assert.deepEqual(raw.decrypt(shifted), expected, `case ${n}, unaligned`);
    assert.deepEqual(raw.encrypt(data), reference().encrypt(data), `case ${n}, encrypt`);
    assert.deepEqual(raw.decrypt(raw.encrypt(data) as Uint8Array), data, `case ${n}, round trip`);
  }
});

Deno.test("cached-key AES-CBC leaves its input untouched and rejects partial blocks", () => {
  const key = new Uint8Array(32).map((_, i) => i * 7);
  const raw = nobleCachedCbc(key)!;
  const data = new Uint8Array(64).map((_, i) => i);
  const copy = data.slice();
  raw.decrypt(data);
  assert.deepEqual(data, copy);
  assert.throws(() => raw.decrypt(new Uint8Array(20)), RangeError);
});

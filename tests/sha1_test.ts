/**
 * Tests of the purpose-built SHA-1 in `src/crypto/_sha1.ts`: the FIPS 180 / RFC 3174 vectors,
 * and a seeded differential test against `@noble/hashes` on 100,000 random inputs (bytes, ASCII
 * strings and strings with non-ASCII characters and lone surrogates), with lengths crowded
 * around the padding boundaries (55/56 and 63/64 bytes, and one block further).
 */

import assert from "node:assert/strict";
import { sha1 as nobleSha1 } from "@noble/hashes/legacy.js";
import { toHex, utf8Encode } from "../src/_bytes.ts";
import { sha1, sha1Hex, sortedSha1Hex } from "../src/crypto/_sha1.ts";
import { prng } from "./_prng.ts";

const VECTORS: [string, string][] = [
  ["abc", "a9993e364706816aba3e25717850c26c9cd0d89d"],
  ["", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
  [
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  ],
  [
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    "a49b2446a02c645bf419f995b67091253a04a259",
  ],
  ["a".repeat(1_000_000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"],
];

Deno.test("SHA-1 reproduces the FIPS 180 vectors from strings and from bytes", () => {
  for (const [message, digest] of VECTORS) {
    const label = `${message.slice(0, 20)}… (${message.length})`;
    assert.equal(sha1Hex(message), digest, label);
    assert.equal(sha1Hex(utf8Encode(message)), digest, label);
    assert.equal(toHex(sha1(message)), digest, label);
    assert.equal(toHex(sha1(utf8Encode(message))), digest, label);
  }
});

/** Lengths 0..300, with about half of them within 2 of a padding boundary. */
function randomLength(rand: () => number): number {
  if (rand() < 0.5) return Math.floor(rand() * 301);
  const edges = [55, 56, 63, 64, 119, 120, 127, 128];
  return Math.max(0, edges[Math.floor(rand() * edges.length)] + Math.floor(rand() * 5) - 2);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=@_-";
const NON_ASCII = [
  "é",
  "中",
  "文",
  "\u0080",
  "\u07ff",
  "\u0800",
  "\uffff",
  "😀",
  "\ud800",
  "\udc00",
];

function randomString(rand: () => number, length: number, mixed: boolean): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (mixed && r < 0.1) out += NON_ASCII[Math.floor(rand() * NON_ASCII.length)];
    else if (r < 0.15) out += String.fromCharCode(Math.floor(rand() * 128));
    else out += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  }
  return out;
}

Deno.test("SHA-1 agrees with @noble/hashes on 100,000 seeded random inputs", () => {
  const rand = prng(20261125);
  for (let n = 0; n < 100_000; n++) {
    const kind = n % 3;
    const length = randomLength(rand);
    if (kind === 0) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(rand() * 256);
      const expected = toHex(nobleSha1(bytes));
      if (sha1Hex(bytes) !== expected) assert.fail(`bytes #${n}, length ${length}`);
      // An unaligned view, as a subarray of a larger buffer.
      const view = new Uint8Array(length + 3);
      view.set(bytes, 3);
      if (sha1Hex(view.subarray(3)) !== expected) assert.fail(`view #${n}, length ${length}`);
    } else {
      // kind 1: ASCII only (the direct path); kind 2: non-ASCII too (the UTF-8 fallback), with
      // the first non-ASCII character landing in any block.
      const text = randomString(rand, length, kind === 2);
      const expected = toHex(nobleSha1(utf8Encode(text)));
      if (sha1Hex(text) !== expected) assert.fail(`string #${n}: ${JSON.stringify(text)}`);
    }
  }
});

Deno.test("sortedSha1Hex sorts as plain strings and hashes the UTF-8 concatenation", () => {
  const rand = prng(7);
  const reference = (parts: string[]) =>
    toHex(nobleSha1(utf8Encode(parts.slice().sort().join(""))));
  // WeChat's samples: '+' and digits, equal prefixes, empty parts.
  const fixed = [
    ["AAAAA", "1715943329", "1590219412"],
    ["QDG6eK", "1409659813", "1372623149", "+abc", "9xyz"],
    ["b", "a", "ab", ""],
    ["中文", "abc", "Z", "é"],
  ];
  for (const parts of fixed) assert.equal(sortedSha1Hex(parts), reference(parts));
  for (let n = 0; n < 2_000; n++) {
    const parts = Array.from(
      { length: 3 + (n % 2) },
      () => randomString(rand, Math.floor(rand() * 40), n % 5 === 0),
    );
    const copy = parts.slice();
    assert.equal(sortedSha1Hex(parts), reference(parts));
    assert.deepEqual(parts, copy, "the caller's array is not reordered");
  }
});

Deno.test("the compact SHA-1 of the worker build gives the same digests", async () => {
  // The worker's wrangler.toml defines this flag at build time; a separate module instance here.
  (globalThis as { __WXOPEN_COMPACT_SHA1__?: boolean }).__WXOPEN_COMPACT_SHA1__ = true;
  try {
    const compact = await import(
      "../src/crypto/_sha1.ts?compact"
    ) as typeof import("../src/crypto/_sha1.ts");
    assert.notEqual(compact.sha1Hex, sha1Hex);
    for (const [message, digest] of VECTORS) assert.equal(compact.sha1Hex(message), digest);
    const rand = prng(0x5ea1);
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(Math.floor(rand() * 200));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      assert.equal(compact.sha1Hex(bytes), toHex(nobleSha1(bytes)));
    }
  } finally {
    delete (globalThis as { __WXOPEN_COMPACT_SHA1__?: boolean }).__WXOPEN_COMPACT_SHA1__;
  }
});

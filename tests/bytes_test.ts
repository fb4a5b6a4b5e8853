import assert from "node:assert/strict";
import {
  decodeBase64,
  decodeBase64Portable,
  encodeBase64,
  timingSafeEqual,
} from "../src/_bytes.ts";

const BAD = [
  "a",
  "ab=c",
  "abc!",
  "YQ==YQ==",
  "YR==",
  "YWJ=",
  "====",
  "YQ =",
  " YQ=",
  "YW\nI",
  "=YWI",
  "YWI",
  "Y\u00e9I=",
];

for (
  const [name, decode] of [["native", decodeBase64], ["portable", decodeBase64Portable]] as const
) {
  Deno.test(`base64 (${name}) round-trips every length and agrees with btoa`, () => {
    for (let n = 0; n < 70; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      const text = encodeBase64(bytes);
      assert.equal(text, btoa(String.fromCharCode(...bytes)));
      assert.deepEqual(decode(text), bytes);
    }
  });

  Deno.test(`base64 (${name}) rejects every non-canonical input`, () => {
    for (const bad of BAD) {
      assert.throws(() => decode(bad), TypeError, JSON.stringify(bad));
    }
  });
}

Deno.test("timingSafeEqual compares whole strings of any length", () => {
  assert.equal(timingSafeEqual("abc", "abc"), true);
  assert.equal(timingSafeEqual("abc", "abd"), false);
  assert.equal(timingSafeEqual("", "a"), false);
  assert.equal(timingSafeEqual("ab", "abab"), false);
  assert.equal(timingSafeEqual("", ""), true);
});

/**
 * Tests of MessageCrypto against WeChat's official vectors (the third-party platform "message
 * push" worked example and Tencent's WXBizMsgCrypt samples), round trips at every padding
 * length, and every rejection. Vector and round-trip tests run on both AES backends.
 */

import assert from "node:assert/strict";
import { cbc } from "@noble/ciphers/aes.js";
import {
  AppIdMismatchError,
  InvalidBase64Error,
  InvalidBlockLengthError,
  InvalidEnvelopeError,
  InvalidLengthError,
  InvalidPaddingError,
  InvalidSignatureError,
  InvalidUtf8Error,
  MessageCrypto,
  MessageCryptoError,
} from "../src/crypto/mod.ts";
import { decodeBase64, encodeBase64, utf8Encode } from "../src/_bytes.ts";
import { backendConfig, type CbcBackend, nobleCachedCbc } from "../src/crypto/_aes.ts";

const BACKENDS: CbcBackend[] = ["noble", "noble-plain", "webcrypto"];

// ---------------------------------------------------------------------------------------------
// Vectors (facts from WeChat's documentation and Tencent's sample code)

/** Third-party platform doc "消息推送", debug_demo worked example (V6). */
const V6 = {
  token: "AAAAA",
  encodingAesKey: "A".repeat(43),
  appId: "wx134c8103faa5a59e",
  // Request URL query of the push.
  signature: "cc0c594499c1634947d5b502f158ee518947db27",
  timestamp: "1715943329",
  nonce: "1590219412",
  msgSignature: "6c12a4205838198b8fa631b3220723bb07f1015c",
  encrypt:
    "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==",
  plaintext: "<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n" +
    "<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>\n" +
    "<CreateTime>1715943329</CreateTime>\n" +
    "<MsgType><![CDATA[event]]></MsgType>\n" +
    "<Event><![CDATA[debug_demo]]></Event>\n" +
    "<debug_str><![CDATA[hello world]]></debug_str>\n" +
    "</xml>",
  // Reply.
  replyPlaintext: "<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>",
  replyRandom: "999951349e8ee746",
  replyTimestamp: "1713424427",
  replyNonce: "415670741",
  replyEncrypt:
    "hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7",
  replySignature: "03e0812039325c2712ef5f0f980fd14c70d6e307",
};

const V6_BODY = "<xml>\n" +
  "    <ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n" +
  `    <Encrypt><![CDATA[${V6.encrypt}]]></Encrypt>\n` +
  "</xml>";

const V6_REPLY = "<xml>\n" +
  `<Encrypt><![CDATA[${V6.replyEncrypt}]]></Encrypt>\n` +
  `<MsgSignature><![CDATA[${V6.replySignature}]]></MsgSignature>\n` +
  `<TimeStamp>${V6.replyTimestamp}</TimeStamp>\n` +
  `<Nonce><![CDATA[${V6.replyNonce}]]></Nonce>\n` +
  "</xml>";

/** Tencent Java sample WXBizMsgCryptTest (testAesEncrypt, testAesEncrypt2). */
const SAMPLE_A = {
  token: "pamtest",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  appId: "wxb11529c136998cb6",
  random: "aaaabbbbccccdddd",
  message1: "我是中文abcd123",
  encrypt1:
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
  message2:
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>",
  encrypt2:
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb",
};

/** Tencent WXBizMsgCrypt samples (token QDG6eK): encrypted URL verification and a message. */
const SAMPLE_B = {
  token: "QDG6eK",
  encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  appId: "wx5823bf96d3bd56c7",
  verifyMsgSignature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
  verifyTimestamp: "1409659589",
  verifyNonce: "263014780",
  verifyEchostr:
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
  verifyPlain: "1616140317555161061",
  msgSignature: "477715d11cdb4164915debcba66cb864d751f3e6",
  timestamp: "1409659813",
  nonce: "1372623149",
  encrypt:
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
};

/** Tencent Python sample (Sample.py): a "compatible mode" body with plaintext fields and Encrypt. */
const SAMPLE_C = {
  token: "spamtest",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  appId: "wx2c2769f8efd9abc2",
  timestamp: "1409735669",
  nonce: "1320562132",
  msgSignature: "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
  body:
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>",
  plaintext: "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n" +
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n" +
    "<CreateTime>1409735668</CreateTime>\n" +
    "<MsgType><![CDATA[text]]></MsgType>\n" +
    "<Content><![CDATA[abcdteT]]></Content>\n" +
    "<MsgId>6054768590064713728</MsgId>\n" +
    "</xml>",
};

/** Tencent C++ sample (Sample.cpp). */
const SAMPLE_D = {
  token: "spamtest",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  appId: "wx2c2769f8efd9abc2",
  timestamp: "1410349438",
  nonce: "298025754",
  msgSignature: "003fee52ecc56afb46c00b5c7721be87860ce785",
  encrypt:
    "mfBCs65c67CeJw22u4VT2TD73q5H06+ocrAIxswCaeZ/d/Lw0msSZFHY0teqgSYiI1zR2gD2DKrB3TIrmX/liNSDrGqS8jSI/WPeKB5VPr7Ezr7gomZAyGCwJSgT1TRFWPfONGJMxuj2nk4faTuspAuVIFQ6SHwZuJBZC7mcJp7Cgr9cUhATQWDbOPaE7ukZBTV2YqyzH+UI2AK+J1S47cE79k1RX8t0hcTz/O0hlK8DGXKnvYv88qKQcI7z4iaajqHfRVZKBNyOODabs+It+ZfM3dWTeFcPgDbGtIEnpt/EDtuuA/zMvtkaKdHdswPnVZQ+xdwbYr3ldGvfT8HlEYEgkgKaThxTFobVlwzu2ZkXCjicbP3xdr15Iq48ObgzPpqYuZ3IEoyggZDKClquk0u0orMck4GTF/XyE8yGzc4=",
};

// Keys used for rotation tests (any 43 letters and digits are valid keys).
const KEY_1 = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const KEY_2 = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const KEY_3 = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";

// ---------------------------------------------------------------------------------------------
// Helpers

/** The AES key of an EncodingAESKey, decoded independently of the library (lenient base64). */
function aesKeyOf(encodingAesKey: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of encodingAesKey) {
    value = (value << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  assert.equal(out.length, 32);
  return new Uint8Array(out);
}

/** Raw AES-256-CBC (no padding) with WeChat's key and IV, via noble. */
function rawEncrypt(encodingAesKey: string, blocks: Uint8Array): string {
  const key = aesKeyOf(encodingAesKey);
  return encodeBase64(cbc(key, key.slice(0, 16), { disablePadding: true }).encrypt(blocks));
}

function rawDecrypt(encodingAesKey: string, encrypt: string): Uint8Array {
  const key = aesKeyOf(encodingAesKey);
  return cbc(key, key.slice(0, 16), { disablePadding: true }).decrypt(decodeBase64(encrypt));
}

/** random(16) | msgLen(4, BE) | msg | appId, unpadded. */
function frame(msg: Uint8Array, appId: string, msgLen = msg.length): Uint8Array {
  const app = utf8Encode(appId);
  const out = new Uint8Array(20 + msg.length + app.length);
  out.set(utf8Encode("0123456789abcdef"), 0);
  new DataView(out.buffer).setUint32(16, msgLen);
  out.set(msg, 20);
  out.set(app, 20 + msg.length);
  return out;
}

/** Appends `tail` and fills with `fill` bytes up to a multiple of 32. */
function withTail(data: Uint8Array, tail: number[], fill: number): Uint8Array {
  const total = Math.ceil((data.length + tail.length) / 32) * 32;
  const out = new Uint8Array(total).fill(fill);
  out.set(data);
  out.set(tail, total - tail.length);
  return out;
}

function pad32(data: Uint8Array): Uint8Array {
  const n = 32 - (data.length % 32);
  const out = new Uint8Array(data.length + n).fill(n);
  out.set(data);
  return out;
}

function create(
  o: { token?: string; encodingAesKey?: string; appId?: string; previousEncodingAesKey?: string } =
    {},
): Promise<MessageCrypto> {
  return MessageCrypto.create({
    token: o.token ?? SAMPLE_A.token,
    encodingAesKey: o.encodingAesKey ?? SAMPLE_A.encodingAesKey,
    appId: o.appId ?? SAMPLE_A.appId,
    ...(o.previousEncodingAesKey ? { previousEncodingAesKey: o.previousEncodingAesKey } : {}),
  });
}

async function withBackend<T>(backend: CbcBackend, fn: () => Promise<T>): Promise<T> {
  const saved = backendConfig.backend;
  backendConfig.backend = backend;
  try {
    return await fn();
  } finally {
    backendConfig.backend = saved;
  }
}

function envelope(encrypt: string, root = "ToUserName"): string {
  return `<xml><${root}><![CDATA[gh_123]]></${root}><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
}

// ---------------------------------------------------------------------------------------------
// Official vectors, on both backends

for (const backend of BACKENDS) {
  Deno.test(`[${backend}] V6 message push: signatures, open, decrypted plaintext`, async () => {
    await withBackend(backend, async () => {
      const mc = await create(V6);
      assert.equal(mc.urlSignature(V6.timestamp, V6.nonce), V6.signature);
      assert.equal(mc.signature(V6.timestamp, V6.nonce, V6.encrypt), V6.msgSignature);
      const { plaintext, key } = await mc.openWithKey(V6_BODY, {
        msg_signature: V6.msgSignature,
        timestamp: V6.timestamp,
        nonce: V6.nonce,
      });
      assert.equal(plaintext, V6.plaintext);
      assert.equal(utf8Encode(plaintext).length, 292);
      assert.equal(key, "current");
      // Decrypted size (random + length + msg + appid) is 330 of 352 bytes: pad 22.
      const raw = rawDecrypt(V6.encodingAesKey, V6.encrypt);
      assert.equal(raw.length, 352);
      assert.equal(raw[raw.length - 1], 22);
    });
  });

  Deno.test(`[${backend}] V6 reply: seal reproduces WeChat's envelope byte for byte`, async () => {
    await withBackend(backend, async () => {
      const mc = await create(V6);
      const random = utf8Encode(V6.replyRandom);
      assert.equal(await mc.encrypt(V6.replyPlaintext, random), V6.replyEncrypt);
      assert.equal(
        mc.signature(V6.replyTimestamp, V6.replyNonce, V6.replyEncrypt),
        V6.replySignature,
      );
      const sealed = await mc.seal(V6.replyPlaintext, {
        timestamp: V6.replyTimestamp,
        nonce: V6.replyNonce,
        random,
      });
      assert.equal(sealed, V6_REPLY);
      assert.equal(await mc.decrypt(V6.replyEncrypt), V6.replyPlaintext);
    });
  });

  Deno.test(`[${backend}] Java sample: fixed random reproduces official ciphertexts`, async () => {
    await withBackend(backend, async () => {
      const mc = await create(SAMPLE_A);
      const random = utf8Encode(SAMPLE_A.random);
      assert.equal(await mc.encrypt(SAMPLE_A.message1, random), SAMPLE_A.encrypt1);
      assert.equal(await mc.encrypt(SAMPLE_A.message2, random), SAMPLE_A.encrypt2);
      assert.equal(await mc.decrypt(SAMPLE_A.encrypt1), SAMPLE_A.message1);
      assert.equal(await mc.decrypt(SAMPLE_A.encrypt2), SAMPLE_A.message2);
      // msg_len counts UTF-8 bytes: "我是中文abcd123" is 11 characters, 19 bytes.
      const raw = rawDecrypt(SAMPLE_A.encodingAesKey, SAMPLE_A.encrypt1);
      assert.equal(new DataView(raw.buffer).getUint32(16), 19);
    });
  });

  Deno.test(`[${backend}] QDG6eK sample: encrypted URL verification and a message`, async () => {
    await withBackend(backend, async () => {
      const mc = await create(SAMPLE_B);
      const echostr = await mc.verifyEncryptedUrl({
        msg_signature: SAMPLE_B.verifyMsgSignature,
        timestamp: SAMPLE_B.verifyTimestamp,
        nonce: SAMPLE_B.verifyNonce,
        echostr: SAMPLE_B.verifyEchostr,
      });
      assert.equal(echostr, SAMPLE_B.verifyPlain);
      await assert.rejects(
        mc.verifyEncryptedUrl({
          msg_signature: SAMPLE_B.verifyMsgSignature,
          timestamp: SAMPLE_B.verifyTimestamp,
          nonce: "263014781",
          echostr: SAMPLE_B.verifyEchostr,
        }),
        InvalidSignatureError,
      );
      const body = `<xml><ToUserName><![CDATA[${SAMPLE_B.appId}]]></ToUserName>` +
        `<Encrypt><![CDATA[${SAMPLE_B.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
      const xml = await mc.open(body, {
        msg_signature: SAMPLE_B.msgSignature,
        timestamp: SAMPLE_B.timestamp,
        nonce: SAMPLE_B.nonce,
      });
      assert.match(xml, /<FromUserName><!\[CDATA\[mycreate\]\]><\/FromUserName>/);
      assert.match(xml, /<Content><!\[CDATA\[hello\]\]><\/Content>/);
    });
  });

  Deno.test(`[${backend}] Python and C++ samples decrypt byte-exactly`, async () => {
    await withBackend(backend, async () => {
      const c = await create(SAMPLE_C);
      const plain = await c.open(SAMPLE_C.body, {
        msg_signature: SAMPLE_C.msgSignature,
        timestamp: SAMPLE_C.timestamp,
        nonce: SAMPLE_C.nonce,
      });
      assert.equal(plain, SAMPLE_C.plaintext);
      const d = await create(SAMPLE_D);
      const plainD = await d.open(envelope(SAMPLE_D.encrypt), {
        msg_signature: SAMPLE_D.msgSignature,
        timestamp: SAMPLE_D.timestamp,
        nonce: SAMPLE_D.nonce,
      });
      assert.match(plainD, /^<xml><ToUserName><!\[CDATA\[gh_10f6c3c3ac5a\]\]><\/ToUserName>/);
    });
  });

  Deno.test(`[${backend}] round trips at every padding length 1..32`, async () => {
    await withBackend(backend, async () => {
      const mc = await create();
      const seen = new Set<number>();
      // Header 20 + appid 18 = 38 bytes; 64 message lengths cover every residue mod 32 twice.
      for (let len = 0; len < 64; len++) {
        const msg = "x".repeat(len);
        const encrypt = await mc.encrypt(msg);
        const raw = rawDecrypt(SAMPLE_A.encodingAesKey, encrypt);
        assert.equal(raw.length % 32, 0);
        const pad = raw[raw.length - 1];
        assert.ok(pad >= 1 && pad <= 32, `pad ${pad}`);
        assert.equal(pad, 32 - ((38 + len) % 32));
        for (let i = raw.length - pad; i < raw.length; i++) assert.equal(raw[i], pad);
        seen.add(pad);
        assert.equal(await mc.decrypt(encrypt), msg);
      }
      assert.equal(seen.size, 32);
    });
  });
}

Deno.test("all AES backends produce identical ciphertexts and open each other's", async () => {
  const instances = await Promise.all(BACKENDS.map((b) => withBackend(b, () => create())));
  const random = new Uint8Array(16).map((_, i) => i * 13);
  for (let len = 0; len < 100; len += 7) {
    const msg = "€x".repeat(len);
    const outputs = await Promise.all(instances.map((mc) => mc.encrypt(msg, random)));
    for (const out of outputs) assert.equal(out, outputs[0], `length ${len}`);
    for (const mc of instances) assert.equal(await mc.decrypt(outputs[0]), msg);
  }
});

Deno.test("the cached-key noble path is active here and equals noble's cbc()", () => {
  for (const encodingAesKey of [KEY_1, KEY_2, KEY_3, "A".repeat(43)]) {
    const key = aesKeyOf(encodingAesKey);
    const fast = nobleCachedCbc(key);
    assert.ok(fast, "cached path fell back to cbc()");
    for (const n of [16, 32, 48, 352, 1024]) {
      const data = crypto.getRandomValues(new Uint8Array(n));
      const reference = cbc(key, key.slice(0, 16), { disablePadding: true });
      assert.deepEqual(fast.encrypt(data), reference.encrypt(data));
      const reference2 = cbc(key, key.slice(0, 16), { disablePadding: true });
      assert.deepEqual(fast.decrypt(data), reference2.decrypt(data));
      // Unaligned input views work too.
      const shifted = new Uint8Array(n + 1).subarray(1);
      shifted.set(data);
      assert.deepEqual(fast.decrypt(shifted), reference2.decrypt(data));
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Round trips (default backend)

Deno.test("multibyte UTF-8: the length field counts bytes", async () => {
  const mc = await create();
  for (const msg of ["我是中文", "emoji 🙂👍🏽 and ümlauts", "\u{10FFFF}", "a\u0000b"]) {
    const encrypt = await mc.encrypt(msg);
    const raw = rawDecrypt(SAMPLE_A.encodingAesKey, encrypt);
    assert.equal(new DataView(raw.buffer).getUint32(16), utf8Encode(msg).length);
    assert.equal(await mc.decrypt(encrypt), msg);
  }
});

Deno.test("leading and trailing whitespace and newlines are preserved", async () => {
  const mc = await create();
  const msg = "  \n\t<xml><MsgType>  <![CDATA[video]]></MsgType>\n</xml>\n \r\n  ";
  assert.equal(await mc.decrypt(await mc.encrypt(msg)), msg);
  assert.equal(await mc.decrypt(await mc.encrypt("")), "");
});

Deno.test("encrypt uses fresh random bytes unless given; random must be 16 bytes", async () => {
  const mc = await create();
  const a = await mc.encrypt("same");
  const b = await mc.encrypt("same");
  assert.notEqual(a, b);
  const r = new Uint8Array(16).fill(7);
  assert.equal(await mc.encrypt("same", r), await mc.encrypt("same", r));
  await assert.rejects(mc.encrypt("x", new Uint8Array(15)), TypeError);
});

Deno.test("seal defaults: current time, a numeric nonce, and it opens again", async () => {
  const mc = await create(V6);
  const before = Math.floor(Date.now() / 1000);
  const xml = await mc.seal("<xml>reply 回复</xml>");
  const after = Math.floor(Date.now() / 1000);
  const m =
    /^<xml>\n<Encrypt><!\[CDATA\[([A-Za-z0-9+/=]+)\]\]><\/Encrypt>\n<MsgSignature><!\[CDATA\[([0-9a-f]{40})\]\]><\/MsgSignature>\n<TimeStamp>(\d+)<\/TimeStamp>\n<Nonce><!\[CDATA\[(\d+)\]\]><\/Nonce>\n<\/xml>$/
      .exec(xml);
  assert.ok(m, xml);
  const [, encrypt, signature, timestamp, nonce] = m;
  assert.ok(Number(timestamp) >= before && Number(timestamp) <= after);
  assert.equal(signature, mc.signature(timestamp, nonce, encrypt));
  const body = envelope(encrypt, "AppId");
  assert.equal(
    await mc.open(body, { msg_signature: signature, timestamp, nonce }),
    "<xml>reply 回复</xml>",
  );
  await assert.rejects(mc.seal("x", { nonce: "a]]>b" }), TypeError);
  await assert.rejects(mc.seal("x", { timestamp: "12<" }), TypeError);
});

// ---------------------------------------------------------------------------------------------
// Signatures and URL verification

Deno.test("signatures sort plain strings: '+' sorts before digits", async () => {
  const mc = await create({ token: "tok" });
  // Independent oracle: SHA-1 via Web Crypto over the sorted concatenation.
  const parts = ["tok", "1700000000", "42", "+abc/="];
  const joined = [...parts].sort().join("");
  assert.ok(joined.startsWith("+abc/="));
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode(joined)),
  );
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(mc.signature("1700000000", "42", "+abc/="), hex);
});

Deno.test("verifyUrl echoes echostr on a valid plain signature and rejects a bad one", async () => {
  const mc = await create(V6);
  const q = { signature: V6.signature, timestamp: V6.timestamp, nonce: V6.nonce };
  assert.equal(mc.verifyUrl({ ...q, echostr: "8163947829406" }), "8163947829406");
  // Upper-case hex is the same signature.
  assert.equal(mc.verifyUrl({ ...q, signature: V6.signature.toUpperCase(), echostr: "e" }), "e");
  for (
    const bad of [
      { ...q, signature: "0" + V6.signature.slice(1) },
      { ...q, signature: V6.signature.slice(0, 39) },
      { ...q, signature: "" },
      { ...q, nonce: "1590219413" },
      { ...q, timestamp: "1715943330" },
      // The msg_signature is not a URL signature.
      { ...q, signature: V6.msgSignature },
    ]
  ) {
    assert.throws(
      () => mc.verifyUrl({ ...bad, echostr: "x" }),
      (e: unknown) => e instanceof InvalidSignatureError && e.code === "invalid_signature",
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Rejections

Deno.test("open rejects a wrong msg_signature, a tampered Encrypt and missing parameters", async () => {
  const mc = await create(V6);
  const query = { msg_signature: V6.msgSignature, timestamp: V6.timestamp, nonce: V6.nonce };
  const isSig = (e: unknown) =>
    e instanceof InvalidSignatureError && e.code === "invalid_signature";
  await assert.rejects(mc.open(V6_BODY, { ...query, msg_signature: V6.signature }), isSig);
  await assert.rejects(mc.open(V6_BODY, { ...query, timestamp: "1715943330" }), isSig);
  await assert.rejects(mc.open(V6_BODY, { ...query, nonce: "1" }), isSig);
  const tampered = V6_BODY.replace("D7yzvUNAL930", "D7yzvUNAL931");
  await assert.rejects(mc.open(tampered, query), isSig);
  await assert.rejects(
    mc.open(V6_BODY, { timestamp: V6.timestamp, nonce: V6.nonce } as unknown as typeof query),
    isSig,
  );
  // A different token signs differently.
  const other = await create({ ...V6, token: "BBBBB" });
  await assert.rejects(other.open(V6_BODY, query), isSig);
});

Deno.test("open rejects malformed envelopes with invalid_envelope", async () => {
  const mc = await create(V6);
  const q = { msg_signature: "x", timestamp: "1", nonce: "2" };
  const isEnv = (e: unknown) => e instanceof InvalidEnvelopeError && e.code === "invalid_envelope";
  for (
    const body of [
      "",
      "not xml",
      "<xml><ToUserName>gh</ToUserName></xml>",
      "<xml><Encrypt></Encrypt></xml>",
      "<xml><Encrypt><![CDATA[abc]]></Encrypt>",
      '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>',
      "<xml><Encrypt><A>1</A></Encrypt></xml>",
    ]
  ) {
    await assert.rejects(mc.open(body, q), isEnv, body);
  }
});

Deno.test("open requires WeChat's envelope: an <xml> root, one Encrypt, a text addressee", async () => {
  const mc = await create(V6);
  const encrypt = await mc.encrypt("<xml><InfoType>component_verify_ticket</InfoType></xml>");
  const q = { msg_signature: mc.signature("1", "2", encrypt), timestamp: "1", nonce: "2" };
  const enc = `<Encrypt><![CDATA[${encrypt}]]></Encrypt>`;
  const isEnv = (e: unknown) => e instanceof InvalidEnvelopeError && e.code === "invalid_envelope";
  for (
    const body of [
      `<message><AppId>wx1</AppId>${enc}</message>`, // another root
      `<XML><AppId>wx1</AppId>${enc}</XML>`,
      `<xml><AppId></AppId>${enc}</xml>`,
      `<xml><AppId>wx1</AppId><AppId>wx2</AppId>${enc}</xml>`,
      `<xml><ToUserName><a>gh</a></ToUserName>${enc}</xml>`,
      `<xml><AppId>wx1</AppId>${enc}${enc}</xml>`, // two Encrypt elements
    ]
  ) {
    await assert.rejects(mc.open(body, q), isEnv, body);
  }
  for (
    const body of [
      `<xml><AppId><![CDATA[wx1]]></AppId>${enc}</xml>`,
      `<xml><ToUserName><![CDATA[gh_1]]></ToUserName>${enc}</xml>`,
      `<xml>${enc}</xml>`, // no addressee: the shape of a sealed reply
      `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n<AppId>wx1</AppId>\n${enc}\n</xml>\n`,
    ]
  ) {
    assert.match(await mc.open(body, q), /component_verify_ticket/, body);
  }
});

Deno.test("decrypt rejects bad base64", async () => {
  const mc = await create();
  for (const bad of ["!!!not-base64!!!", "abc", "YWJj\n", "YW=j", "YQ=", "YR=="]) {
    await assert.rejects(
      mc.decrypt(bad),
      (e: unknown) => e instanceof InvalidBase64Error && e.code === "invalid_base64",
      bad,
    );
  }
  // Signed correctly but not base64: the signature passes, then base64 fails.
  const body = envelope("%%%%");
  await assert.rejects(
    mc.open(body, { msg_signature: mc.signature("1", "2", "%%%%"), timestamp: "1", nonce: "2" }),
    InvalidBase64Error,
  );
});

Deno.test("decrypt rejects a ciphertext that is not whole 32-byte blocks", async () => {
  const mc = await create();
  const sizes = [0, 3, 16, 31, 48, 65];
  for (const n of sizes) {
    await assert.rejects(
      mc.decrypt(encodeBase64(new Uint8Array(n))),
      (e: unknown) =>
        e instanceof InvalidBlockLengthError && e.code === "invalid_block_length" &&
        e.byteLength === n,
      String(n),
    );
  }
});

Deno.test("decrypt rejects pad 0, pad 33 and inconsistent pad bytes", async () => {
  const mc = await create();
  const body = frame(utf8Encode("hello"), SAMPLE_A.appId); // 43 bytes, valid pad would be 21
  const isPad = (e: unknown) => e instanceof InvalidPaddingError && e.code === "invalid_padding";
  const cases: Record<string, Uint8Array> = {
    "pad 0": withTail(body, [0], 0),
    "pad 0 after zeros": withTail(body, new Array(53).fill(0), 0),
    // 53 bytes of 33 after the 43-byte frame: the 33 pad bytes are consistent, only the
    // value is out of range.
    "pad 33": withTail(body, new Array(53).fill(33), 33),
    "pad 255": withTail(body, [255], 255),
    "inconsistent": withTail(body, [20, 21], 21),
    "inconsistent first pad byte": withTail(body, [], 21).map((b, i) => i === 43 ? 7 : b),
  };
  for (const [name, blocks] of Object.entries(cases)) {
    assert.equal(blocks.length % 32, 0);
    await assert.rejects(mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, blocks)), isPad, name);
  }
  // Control: the same construction with a correct pad opens.
  const good = rawEncrypt(SAMPLE_A.encodingAesKey, pad32(body));
  assert.equal(await mc.decrypt(good), "hello");
  // Pad 32 on an aligned frame and pad 1 both open.
  const aligned = frame(utf8Encode("x".repeat(26)), SAMPLE_A.appId); // 64 bytes
  assert.equal(aligned.length, 64);
  assert.equal(
    await mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, pad32(aligned))),
    "x".repeat(26),
  );
  const one = frame(utf8Encode("x".repeat(25)), SAMPLE_A.appId); // 63 bytes
  assert.equal(
    await mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, pad32(one))),
    "x".repeat(25),
  );
});

Deno.test("decrypt rejects a length field beyond the data", async () => {
  const mc = await create();
  const isLen = (e: unknown) => e instanceof InvalidLengthError && e.code === "invalid_length";
  const msg = utf8Encode("hello");
  for (const len of [6 + 18 + 1, 1000, 0xffffffff]) {
    const blocks = pad32(frame(msg, SAMPLE_A.appId, len));
    await assert.rejects(
      mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, blocks)),
      isLen,
      String(len),
    );
  }
  // Shorter than the 20-byte header after unpadding.
  const short = pad32(new Uint8Array(10));
  await assert.rejects(mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, short)), isLen);
});

Deno.test("decrypt rejects a foreign appid and exposes it", async () => {
  const mc = await create();
  const foreign = await create({ appId: "wx0000000000000000" });
  const encrypt = await foreign.encrypt("for someone else");
  await assert.rejects(
    mc.decrypt(encrypt),
    (e: unknown) =>
      e instanceof AppIdMismatchError && e.code === "appid_mismatch" &&
      e.appId === "wx0000000000000000",
  );
  // A length field that shifts bytes between message and appid also mismatches.
  const shifted = pad32(frame(utf8Encode("hello"), SAMPLE_A.appId, 4));
  await assert.rejects(
    mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, shifted)),
    (e: unknown) => e instanceof AppIdMismatchError && e.appId === "o" + SAMPLE_A.appId,
  );
  // An appid that is a prefix of ours is not ours.
  const prefix = await create({ appId: SAMPLE_A.appId.slice(0, -1) });
  await assert.rejects(mc.decrypt(await prefix.encrypt("x")), AppIdMismatchError);
});

Deno.test("decrypt rejects a message that is not UTF-8", async () => {
  const mc = await create();
  const blocks = pad32(frame(new Uint8Array([0x68, 0xff, 0xfe]), SAMPLE_A.appId));
  await assert.rejects(
    mc.decrypt(rawEncrypt(SAMPLE_A.encodingAesKey, blocks)),
    (e: unknown) => e instanceof InvalidUtf8Error && e.code === "invalid_utf8",
  );
});

Deno.test("every rejection is a MessageCryptoError with a distinct code", () => {
  const errors = [
    new InvalidSignatureError(),
    new InvalidBase64Error(),
    new InvalidBlockLengthError(3),
    new InvalidPaddingError(),
    new InvalidLengthError(),
    new InvalidUtf8Error(),
    new AppIdMismatchError("wx1"),
    new InvalidEnvelopeError("x"),
  ];
  const codes = new Set(errors.map((e) => e.code));
  assert.equal(codes.size, errors.length);
  for (const e of errors) {
    assert.ok(e instanceof MessageCryptoError && e instanceof Error);
    assert.ok(!e.message.endsWith("."));
  }
});

// ---------------------------------------------------------------------------------------------
// Key rotation

Deno.test("key rotation: the previous key still opens and is reported; unknown keys fail", async () => {
  const old = await create({ encodingAesKey: KEY_1 });
  const current = await create({ encodingAesKey: KEY_2 });
  const unknown = await create({ encodingAesKey: KEY_3 });
  const rotated = await create({ encodingAesKey: KEY_2, previousEncodingAesKey: KEY_1 });

  const fromOld = await old.encrypt("old key");
  assert.deepEqual(await rotated.decryptWithKey(fromOld), {
    plaintext: "old key",
    key: "previous",
  });
  const fromNew = await current.encrypt("new key");
  assert.deepEqual(await rotated.decryptWithKey(fromNew), { plaintext: "new key", key: "current" });

  // Without the previous key, the old ciphertext does not open.
  await assert.rejects(current.decrypt(fromOld), MessageCryptoError);
  // A key that is neither fails with a decryption error (not an appid or signature error).
  await assert.rejects(
    rotated.decrypt(await unknown.encrypt("unknown key")),
    (e: unknown) =>
      e instanceof MessageCryptoError &&
      (e.code === "invalid_padding" || e.code === "invalid_length"),
  );

  // openWithKey reports the key, and seal with that key produces what the old key opens.
  const body = envelope(fromOld);
  const q = { msg_signature: rotated.signature("1", "2", fromOld), timestamp: "1", nonce: "2" };
  const opened = await rotated.openWithKey(body, q);
  assert.deepEqual(opened, { plaintext: "old key", key: "previous" });
  const reply = await rotated.seal("reply", { timestamp: "3", nonce: "4", key: opened.key });
  const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]>/.exec(reply)![1];
  assert.equal(await old.decrypt(encrypt), "reply");
  await assert.rejects(current.decrypt(encrypt), MessageCryptoError);
  assert.equal(await rotated.decrypt(await rotated.encrypt("x", undefined, "previous")), "x");
});

Deno.test("key rotation: a foreign appid under the previous key is reported as such", async () => {
  const foreignOld = await create({ encodingAesKey: KEY_1, appId: "wxforeign" });
  const rotated = await create({ encodingAesKey: KEY_2, previousEncodingAesKey: KEY_1 });
  await assert.rejects(
    rotated.decrypt(await foreignOld.encrypt("x")),
    (e: unknown) => e instanceof AppIdMismatchError && e.appId === "wxforeign",
  );
});

Deno.test("sealing with the previous key requires one", async () => {
  const mc = await create();
  await assert.rejects(mc.seal("x", { key: "previous" }), TypeError);
  assert.equal(mc.hasPreviousKey, false);
});

// ---------------------------------------------------------------------------------------------
// Options

Deno.test("create validates options at once, naming the option without echoing it", async () => {
  const secretish = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"; // 42 characters
  const cases: [Record<string, unknown>, string][] = [
    [{ encodingAesKey: secretish }, "encodingAesKey"],
    [{ encodingAesKey: secretish + "GH" }, "encodingAesKey"],
    [{ encodingAesKey: secretish + "+" }, "encodingAesKey"],
    [{ encodingAesKey: secretish + "=" }, "encodingAesKey"],
    [{ encodingAesKey: 42 }, "encodingAesKey"],
    [{ previousEncodingAesKey: secretish }, "previousEncodingAesKey"],
    [{ token: "" }, "token"],
    [{ appId: "" }, "appId"],
    [{ appId: undefined }, "appId"],
  ];
  for (const [override, name] of cases) {
    const options = {
      token: "tok",
      encodingAesKey: SAMPLE_A.encodingAesKey,
      appId: "wx1",
      ...override,
    };
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      MessageCrypto.create(options as any),
      (e: unknown) =>
        e instanceof TypeError && e.message.includes(name) && !e.message.includes(secretish),
      name,
    );
  }
  // Any 43 letters and digits are a valid key, whatever the last character's spare bits.
  for (const key of ["A".repeat(43), "z".repeat(43), "0123456789".repeat(4) + "xyz"]) {
    const mc = await create({ encodingAesKey: key });
    assert.equal(await mc.decrypt(await mc.encrypt("ok")), "ok");
  }
});

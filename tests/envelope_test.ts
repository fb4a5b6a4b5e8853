/**
 * The envelope fast path of `MessageCrypto.open` (`scanEnvelope`) against the general parser:
 * whenever the fast path accepts a body, `parseXml` accepts it too and gives the same Encrypt,
 * AppId and ToUserName; WeChat's own envelope shapes take the fast path. Also the UTF-8 decoder's
 * fast path (a replacing decode, the fatal one only when U+FFFD shows up).
 */

import assert from "node:assert/strict";
import { utf8Decode, utf8Encode } from "../src/_bytes.ts";
import { scanEnvelope } from "../src/crypto/_envelope.ts";
import { MessageCrypto } from "../src/crypto/message_crypto.ts";
import { parseXml } from "../src/xml/parse.ts";
import { prng } from "./_prng.ts";
import { mutateXml } from "./_xml_mutate.ts";

const ENCRYPT =
  "D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4Vt" +
  "sdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+Z==";

/** Envelopes as WeChat (and our own `seal`) write them. */
const SHAPES = [
  `<xml><AppId><![CDATA[wxb11529c136998cb6]]></AppId><Encrypt><![CDATA[${ENCRYPT}]]></Encrypt></xml>`,
  `<xml>\n    <ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n    <Encrypt><![CDATA[${ENCRYPT}]]></Encrypt>\n</xml>`,
  `<xml>\n<Encrypt><![CDATA[${ENCRYPT}]]></Encrypt>\n<MsgSignature><![CDATA[0123]]></MsgSignature>\n` +
  `<TimeStamp>1713424427</TimeStamp>\n<Nonce><![CDATA[415670741]]></Nonce>\n</xml>`,
  // Compatible mode: plaintext fields next to Encrypt.
  `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o9Ag]]></FromUserName>` +
  `<CreateTime>1715943329</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
  `<Content><![CDATA[a < b & c]]></Content><Encrypt><![CDATA[${ENCRYPT}]]></Encrypt></xml>\r\n`,
  `<xml><AppId>wx1</AppId><Encrypt>${ENCRYPT}</Encrypt></xml>`,
];

function reference(body: string): Record<string, unknown> | undefined {
  try {
    const fields = parseXml(body);
    return { Encrypt: fields.Encrypt, AppId: fields.AppId, ToUserName: fields.ToUserName };
  } catch {
    return undefined;
  }
}

function agree(body: string): boolean {
  const fast = scanEnvelope(body);
  if (fast === undefined) return false;
  assert.ok(body.startsWith("<xml>"), body);
  assert.deepEqual(
    { Encrypt: fast.Encrypt, AppId: fast.AppId, ToUserName: fast.ToUserName },
    reference(body),
    JSON.stringify(body),
  );
  return true;
}

Deno.test("WeChat's envelope shapes take the fast path and read as parseXml reads them", () => {
  for (const body of SHAPES) assert.ok(agree(body), body);
});

Deno.test("the fast path declines what it does not recognise, so parseXml decides", () => {
  const enc = `<Encrypt><![CDATA[${ENCRYPT}]]></Encrypt>`;
  for (
    const body of [
      `<?xml version="1.0"?><xml>${enc}</xml>`, // prolog
      `\ufeff<xml>${enc}</xml>`, // BOM
      `<xml a="1">${enc}</xml>`, // attributes
      `<xml>${enc}<!-- c --></xml>`, // comment
      `<xml>${enc}</xml><!-- c -->`,
      `<xml>${enc}${enc}</xml>`, // repeated Encrypt
      `<xml><AppId>a</AppId><AppId>b</AppId>${enc}</xml>`,
      `<xml><ToUserName>a</ToUserName><ToUserName>b</ToUserName>${enc}</xml>`,
      `<xml><AppId>a&amp;b</AppId>${enc}</xml>`, // entity
      `<xml><ToUserName><a>gh</a></ToUserName>${enc}</xml>`, // nesting
      `<xml><Encrypt> <![CDATA[${ENCRYPT}]]></Encrypt></xml>`, // text around CDATA
      `<xml><Encrypt><![CDATA[a]]>b</Encrypt></xml>`,
      `<xml><Encrypt/></xml>`, // self-closing
      `<xml><Encrypt>x</Encrypt ></xml>`,
      `<xml>${enc}</xml >`,
      `<xml>${enc}</xml>x`, // text after the root
      `<xml>${enc}</xml><xml/>`,
      `<xml>${enc}`, // unclosed
      `<xml>text${enc}</xml>`, // text in the root
      `<xml><a-b>1</a-b>${enc}</xml>`, // a name beyond [A-Za-z_][A-Za-z0-9_]*
      `<xml><Encrypt>${"A".repeat(400_000)}</Encrypt></xml>`, // long: parseXml's size limit
      `<XML>${enc}</XML>`,
      `<message>${enc}</message>`,
    ]
  ) {
    assert.equal(scanEnvelope(body), undefined, body.slice(0, 80));
  }
});

Deno.test("fast path agrees with parseXml on 60,000 seeded mutations of envelopes", () => {
  const rand = prng(20261126);
  let fast = 0;
  for (let n = 0; n < 60_000; n++) {
    if (agree(mutateXml(SHAPES[n % SHAPES.length], rand))) fast++;
  }
  // Enough mutations keep a recognisable shape for the comparison to mean something.
  assert.ok(fast > 3_000, `only ${fast} mutations took the fast path`);
});

Deno.test("open reads sealed replies and WeChat's envelopes through the fast path alike", async () => {
  const mc = await MessageCrypto.create({
    token: "pamtest",
    encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    appId: "wxb11529c136998cb6",
  });
  const message = "<xml><InfoType><![CDATA[component_verify_ticket]]></InfoType></xml>";
  const sealed = await mc.seal(message, { timestamp: 1, nonce: "2" });
  assert.ok(scanEnvelope(sealed) !== undefined);
  const encrypt = scanEnvelope(sealed)!.Encrypt as string;
  const query = { msg_signature: mc.signature("1", "2", encrypt), timestamp: "1", nonce: "2" };
  assert.equal(await mc.open(sealed, query), message);
  const pushed = `<xml><AppId><![CDATA[wxb11529c136998cb6]]></AppId>` +
    `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  assert.equal(await mc.open(pushed, query), message);
});

Deno.test("utf8Decode: the fast path returns what the fatal decoder returns, and still throws", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const rand = prng(99);
  const pieces = ["a", "<xml>", "中文", "é", "😀", "\ufffd", "\ufeff", "\u0000"];
  for (let n = 0; n < 5_000; n++) {
    let text = "";
    for (let i = Math.floor(rand() * 12); i > 0; i--) {
      text += pieces[Math.floor(rand() * pieces.length)];
    }
    const bytes = utf8Encode(text);
    // Valid input: the same string as the fatal decoder (a genuine U+FFFD included).
    assert.equal(utf8Decode(bytes), fatal.decode(bytes));
    // Broken input: a stray continuation byte, a truncated sequence, an overlong form.
    for (const bad of [[0x80], [0xe4, 0xb8], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const at = Math.floor(rand() * (bytes.length + 1));
      const broken = new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)]);
      assert.throws(() => utf8Decode(broken), TypeError);
    }
  }
});

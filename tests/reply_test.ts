import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import {
  imageReply,
  musicReply,
  newsReply,
  parseMessage,
  replyTo,
  textReply,
  transferCustomerServiceReply,
  videoReply,
  voiceReply,
} from "../src/events/mod.ts";
import { parseXml } from "../src/xml/mod.ts";

const HEADER = { ToUserName: "o_user", FromUserName: "gh_abc", CreateTime: 1700000000 };
const ADDR = { ToUserName: "o_user", FromUserName: "gh_abc", CreateTime: "1700000000" };

Deno.test("textReply: WeChat's passive text reply, byte for byte", () => {
  assert.equal(
    textReply(HEADER, "你好"),
    "<xml><ToUserName><![CDATA[o_user]]></ToUserName><FromUserName><![CDATA[gh_abc]]></FromUserName>" +
      "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
      "<Content><![CDATA[你好]]></Content></xml>",
  );
});

Deno.test("replyTo: swaps To/From of the incoming message", () => {
  const incoming = parseMessage(
    "<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName>" +
      "<FromUserName><![CDATA[ozy4qt5QUADNXORxCVipKMV9dss0]]></FromUserName>" +
      "<CreateTime>1413192760</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
      "<Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT]]></Content><MsgId>1</MsgId></xml>",
  );
  const xml = textReply(
    replyTo(incoming, { CreateTime: 1413192761 }),
    "TESTCOMPONENT_MSG_TYPE_TEXT_callback",
  );
  assert.deepEqual(parseXml(xml), {
    ToUserName: "ozy4qt5QUADNXORxCVipKMV9dss0",
    FromUserName: "gh_3c884a361561",
    CreateTime: "1413192761",
    MsgType: "text",
    Content: "TESTCOMPONENT_MSG_TYPE_TEXT_callback",
  });
});

Deno.test("textReply: content with ]]>, markup, whitespace and emoji survives the round trip", () => {
  for (const content of ["a]]>b", "]]>]]>", "<xml></xml>&amp;", "  spaced\n", "😀 中文", ""]) {
    assert.equal(parseXml(textReply(HEADER, content)).Content, content);
  }
});

Deno.test("CreateTime defaults to now in seconds", () => {
  const before = Math.floor(Date.now() / 1000);
  const t = Number(parseXml(textReply({ ToUserName: "a", FromUserName: "b" }, "x")).CreateTime);
  const after = Math.floor(Date.now() / 1000);
  assert.ok(t >= before && t <= after, String(t));
});

Deno.test("image, voice, video and music replies carry WeChat's nested elements", () => {
  assert.deepEqual(parseXml(imageReply(HEADER, "media_1")), {
    ...ADDR,
    MsgType: "image",
    Image: { MediaId: "media_1" },
  });
  assert.deepEqual(parseXml(voiceReply(HEADER, "media_2")), {
    ...ADDR,
    MsgType: "voice",
    Voice: { MediaId: "media_2" },
  });
  assert.deepEqual(
    parseXml(videoReply(HEADER, { MediaId: "m", Title: "t", Description: "d" })),
    { ...ADDR, MsgType: "video", Video: { MediaId: "m", Title: "t", Description: "d" } },
  );
  assert.deepEqual(parseXml(videoReply(HEADER, { MediaId: "m" })), {
    ...ADDR,
    MsgType: "video",
    Video: { MediaId: "m" },
  });
  assert.deepEqual(
    parseXml(
      musicReply(HEADER, {
        Title: "t",
        Description: "d",
        MusicUrl: "https://example.com/a.mp3",
        HQMusicUrl: "https://example.com/hq.mp3",
        ThumbMediaId: "thumb",
      }),
    ),
    {
      ...ADDR,
      MsgType: "music",
      Music: {
        Title: "t",
        Description: "d",
        MusicUrl: "https://example.com/a.mp3",
        HQMusicUrl: "https://example.com/hq.mp3",
        ThumbMediaId: "thumb",
      },
    },
  );
});

Deno.test("newsReply: ArticleCount and one item per article, 1 to 8", () => {
  const one = parseXml(
    newsReply(HEADER, [{
      Title: "T",
      Description: "D",
      PicUrl: "https://p",
      Url: "https://u?a=1&b=2",
    }]),
  );
  assert.deepEqual(one, {
    ...ADDR,
    MsgType: "news",
    ArticleCount: "1",
    Articles: {
      item: { Title: "T", Description: "D", PicUrl: "https://p", Url: "https://u?a=1&b=2" },
    },
  });
  const eight = Array.from({ length: 8 }, (_, i) => ({ Title: `t${i}` }));
  const many = parseXml(newsReply(HEADER, eight));
  assert.equal(many.ArticleCount, "8");
  const items = (many.Articles as { item: { Title: string }[] }).item;
  assert.deepEqual(items.map((i) => i.Title), eight.map((a) => a.Title));
  assert.throws(() => newsReply(HEADER, []), RangeError);
  assert.throws(() => newsReply(HEADER, [...eight, { Title: "ninth" }]), RangeError);
});

Deno.test("transferCustomerServiceReply: with and without KfAccount", () => {
  assert.deepEqual(parseXml(transferCustomerServiceReply(HEADER)), {
    ...ADDR,
    MsgType: "transfer_customer_service",
  });
  assert.deepEqual(parseXml(transferCustomerServiceReply(HEADER, { KfAccount: "test1@test" })), {
    ...ADDR,
    MsgType: "transfer_customer_service",
    TransInfo: { KfAccount: "test1@test" },
  });
});

Deno.test("reply builders refuse bad addressing, CreateTime and content", () => {
  assert.throws(() => textReply({ ToUserName: "", FromUserName: "gh" }, "x"), TypeError);
  assert.throws(
    () => textReply({ ToUserName: "o", FromUserName: undefined as unknown as string }, "x"),
    TypeError,
  );
  assert.throws(() => textReply({ ...HEADER, CreateTime: -1 }, "x"), RangeError);
  assert.throws(() => textReply({ ...HEADER, CreateTime: 1.5 }, "x"), RangeError);
  assert.throws(() => textReply({ ...HEADER, CreateTime: "12<" }, "x"), RangeError);
  assert.throws(() => textReply(HEADER, 5 as unknown as string), TypeError);
  assert.throws(() => textReply(HEADER, "bell\u0007"), RangeError);
  assert.throws(() => imageReply(HEADER, ""), TypeError);
  assert.throws(() => musicReply(HEADER, { ThumbMediaId: "" }), TypeError);
  assert.throws(() => transferCustomerServiceReply(HEADER, { KfAccount: "" }), TypeError);
});

Deno.test("replies compose with MessageCrypto.seal and open back to the same message", async () => {
  const mc = await MessageCrypto.create({
    token: "QDG6eK",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    appId: "wx5823bf96d3bd56c7",
  });
  const xml = textReply(HEADER, "LOCATIONfrom_callback ]]> 中文");
  const envelope = await mc.seal(xml, { nonce: "415670741", timestamp: 1713424427 });
  const fields = parseXml(envelope);
  assert.equal(fields.TimeStamp, "1713424427");
  assert.equal(fields.Nonce, "415670741");
  const opened = await mc.open(envelope, {
    msg_signature: fields.MsgSignature as string,
    timestamp: fields.TimeStamp as string,
    nonce: fields.Nonce as string,
  });
  assert.equal(opened, xml);
  assert.equal(parseXml(opened).Content, "LOCATIONfrom_callback ]]> 中文");
});

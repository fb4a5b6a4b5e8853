import assert from "node:assert/strict";
import { cdata, element, escapeText } from "../src/xml/build.ts";
import { buildXml, parseXml, XmlParseError, type XmlParseErrorCode } from "../src/xml/mod.ts";
import { prng } from "./_prng.ts";
import { AUTHORIZED_CAPTURED, FASTREGISTER_DOC, TICKET_DOC } from "./_samples.ts";
import { mutateXml } from "./_xml_mutate.ts";

function rejects(xml: string, code: XmlParseErrorCode, options?: Parameters<typeof parseXml>[1]) {
  assert.throws(
    () => parseXml(xml, options),
    (e: unknown) => {
      assert.ok(e instanceof XmlParseError, `expected XmlParseError, got ${e}`);
      assert.equal(e.code, code, e.message);
      assert.match(e.message, /^[A-Z]/);
      assert.doesNotMatch(e.message, /\.$/);
      return true;
    },
  );
}

const PIC_EVENT = `<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName>
<FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName>
<CreateTime>1408090816</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[pic_weixin]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<SendPicsInfo><Count>2</Count>
<PicList><item><PicMd5Sum><![CDATA[5a75aaca956d97be686719218f275c6b]]></PicMd5Sum>
</item>
<item><PicMd5Sum><![CDATA[964b8f2d0b4f6d8a1b0c8a0c0c3d6b8e]]></PicMd5Sum>
</item>
</PicList>
</SendPicsInfo>
</xml>`;

Deno.test("parseXml: the doc's bare-text ticket push yields its fields as exact strings", () => {
  assert.deepEqual(parseXml(TICKET_DOC), {
    AppId: "some_appid",
    CreateTime: "1413192605",
    InfoType: "component_verify_ticket",
    ComponentVerifyTicket: "some_verify_ticket",
  });
});

Deno.test("parseXml: a captured CDATA push parses, indentation ignored", () => {
  const f = parseXml(AUTHORIZED_CAPTURED);
  assert.equal(f.AppId, "wx6001eeeefe06e0af");
  assert.equal(f.CreateTime, "1512552185");
  assert.equal(f.AuthorizationCodeExpiredTime, "1512555785");
  assert.equal(
    f.PreAuthCode,
    "preauthcode@@@cy2CSaTTstMDNRMQK_le2DX9qEUiwEIsqTCpbyrVaf34M49hoE47kCoMM0FogkCN",
  );
  assert.equal(Object.keys(f).length, 7);
});

Deno.test("parseXml: the doc's authorized sample with its broken closing <xml> is rejected", () => {
  const broken = AUTHORIZED_CAPTURED.replace("</xml>", "<xml>");
  rejects(broken, "xml_malformed");
});

Deno.test("parseXml: CDATA content is verbatim, whitespace and newlines included", () => {
  const f = parseXml(
    "<xml><Content><![CDATA[  hello \n world\t ]]></Content><Empty><![CDATA[]]></Empty>" +
      "<Markup><![CDATA[<a href='x'>&amp;</a>]]></Markup></xml>",
  );
  assert.equal(f.Content, "  hello \n world\t ");
  assert.equal(f.Empty, "");
  assert.equal(f.Markup, "<a href='x'>&amp;</a>");
});

Deno.test("parseXml: whitespace around CDATA is formatting, bare text is kept as sent", () => {
  const f = parseXml(
    "<xml><MsgType>  <![CDATA[video]]></MsgType><N> 0012 </N><Big>12345678901234567890</Big>" +
      "<Split><![CDATA[a]]]]><![CDATA[>b]]></Split></xml>",
  );
  assert.equal(f.MsgType, "video");
  assert.equal(f.N, " 0012 ");
  assert.equal(f.Big, "12345678901234567890");
  assert.equal(f.Split, "a]]>b");
});

Deno.test("parseXml: nested elements become objects, repeated siblings arrays", () => {
  const f = parseXml(PIC_EVENT);
  assert.deepEqual(f.SendPicsInfo, {
    Count: "2",
    PicList: {
      item: [
        { PicMd5Sum: "5a75aaca956d97be686719218f275c6b" },
        { PicMd5Sum: "964b8f2d0b4f6d8a1b0c8a0c0c3d6b8e" },
      ],
    },
  });
  const g = parseXml(FASTREGISTER_DOC);
  assert.deepEqual(g.info, {
    name: "企业名称",
    code: "企业代码",
    code_type: "1",
    legal_persona_wechat: "法人微信号",
    legal_persona_name: "法人姓名",
    component_phone: "第三方联系电话",
  });
  assert.equal(g.auth_code, "xxxxx第三方授权码");
  assert.deepEqual(parseXml("<xml><a>1</a><b/><a>2</a><a><c>3</c></a></xml>"), {
    a: ["1", "2", { c: "3" }],
    b: "",
  });
});

Deno.test("parseXml: declaration, BOM, comments, PIs and attributes are accepted and skipped", () => {
  const f = parseXml(
    '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- push -->\n<xml a="1" b=\'2&amp;\'>' +
      "<A><!-- c --><![CDATA[x]]></A><?pi data?><B></B><C /></xml>\n<!-- end -->\n",
  );
  assert.deepEqual(f, { A: "x", B: "", C: "" });
});

Deno.test("parseXml: predefined entities and character references are decoded", () => {
  const f = parseXml(
    "<xml><T>&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos; &#20013;&#x6587; &#x1F600;</T></xml>",
  );
  assert.equal(f.T, "<a> & \"q\" 's' 中文 😀");
});

Deno.test("parseXml: undefined entities and bad character references are refused", () => {
  rejects("<xml><T>&nbsp;</T></xml>", "xml_entity");
  rejects("<xml><T>&lol9;</T></xml>", "xml_entity");
  rejects("<xml><T>a & b</T></xml>", "xml_entity");
  rejects("<xml><T>&#0;</T></xml>", "xml_entity");
  rejects("<xml><T>&#xD800;</T></xml>", "xml_entity");
  rejects("<xml><T>&#x110000;</T></xml>", "xml_entity");
  rejects("<xml><T>&#xZZ;</T></xml>", "xml_entity");
  rejects('<xml a="&ext;"/>', "xml_entity");
});

Deno.test("parseXml: element names like __proto__ never touch prototypes", () => {
  const f = parseXml(
    "<xml><__proto__><polluted>1</polluted></__proto__><constructor>c</constructor>" +
      "<toString>t</toString><toString>u</toString></xml>",
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(f), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(f, "__proto__")?.value, { polluted: "1" });
  assert.equal(f.constructor, "c");
  assert.deepEqual(f.toString, ["t", "u"]);
});

Deno.test("parseXml: text mixed with child elements is kept under #text", () => {
  assert.deepEqual(parseXml("<xml>hi<a>1</a> there</xml>"), { a: "1", "#text": "hi there" });
});

Deno.test("parseXml: DOCTYPE in any form is refused (XXE, entity bombs)", () => {
  const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Content>&lol3;</Content></xml>`;
  rejects(bomb, "xml_doctype");
  const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
    "<xml><Content>&xxe;</Content></xml>";
  rejects(xxe, "xml_doctype");
  rejects('<!doctype xml SYSTEM "http://example.com/x.dtd"><xml/>', "xml_doctype");
  rejects('<xml><!ENTITY x "y"><a>&x;</a></xml>', "xml_doctype");
  rejects("<xml><!ELEMENT a ANY></xml>", "xml_doctype");
  rejects("<xml><!ATTLIST a b CDATA #IMPLIED></xml>", "xml_doctype");
  rejects("<xml><!NOTATION n SYSTEM 'x'></xml>", "xml_doctype");
});

Deno.test("parseXml: nesting deeper than the limit is refused", () => {
  const deep = (n: number) => "<a>".repeat(n) + "x" + "</a>".repeat(n);
  assert.doesNotThrow(() => parseXml(deep(32)));
  rejects(deep(33), "xml_too_deep");
  rejects(deep(100000), "xml_too_deep");
  rejects(deep(5), "xml_too_deep", { maxDepth: 4 });
  assert.doesNotThrow(() => parseXml(deep(4), { maxDepth: 4 }));
});

Deno.test("parseXml: input over the byte limit is refused, counting UTF-8 bytes", () => {
  const big = "<xml><a>" + "x".repeat(1024 * 1024) + "</a></xml>";
  rejects(big, "xml_too_large");
  const doc = "<xml><a>中中中</a></xml>"; // 18 ASCII bytes + 9 bytes of UTF-8
  assert.doesNotThrow(() => parseXml(doc, { maxBytes: 27 }));
  rejects(doc, "xml_too_large", { maxBytes: 26 });
});

Deno.test("parseXml: malformed documents are refused with xml_malformed", () => {
  const cases = [
    "",
    "   ",
    "not xml",
    "<xml>",
    "<xml><a>1</a>",
    "<xml><a>1</b></xml>",
    "<xml><a>1</a></xm>",
    "<xml></xml></xml>",
    "<xml><a><![CDATA[never closed</a></xml>",
    "<xml/><xml/>",
    "<xml></xml><other/>",
    "<xml></xml>trailing",
    "leading<xml></xml>",
    "<![CDATA[x]]><xml/>",
    "<xml><a b></a></xml>",
    "<xml><a b=1></a></xml>",
    '<xml><a b="1></a></xml>',
    "<xml><1a>x</1a></xml>",
    "<xml><a",
    "<xml><!-- never closed </xml>",
    "<?xml version='1.0'",
    "<xml><!foo></xml>",
    "</xml>",
    "<xml><a/ ></xml>",
  ];
  for (const xml of cases) rejects(xml, "xml_malformed");
});

Deno.test("parseXml: error messages carry the offset and never the document's text", () => {
  try {
    parseXml("<xml><Secret>tok_abc</Secret><a></b></xml>");
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof XmlParseError);
    assert.equal(e.offset, 32);
    assert.doesNotMatch(e.message, /tok_abc/);
  }
});

Deno.test("parseXml: a non-string input is a TypeError", () => {
  assert.throws(() => parseXml(42 as unknown as string), TypeError);
});

Deno.test("cdata/buildXml: any string round-trips through the parser, ]]> included", () => {
  const samples = [
    "]]>",
    "a]]>b]]>c",
    "]]]]>>",
    "]]]>",
    "<![CDATA[inner]]>",
    "  lead and trail  ",
    "line\nbreak\r\ntab\t",
    "中文 😀 &amp; <b>",
    "",
  ];
  for (const s of samples) {
    const xml = buildXml({ Content: s, N: 12, Nested: { Inner: s } });
    assert.deepEqual(parseXml(xml), { Content: s, N: "12", Nested: { Inner: s } }, xml);
  }
  assert.equal(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
});

Deno.test("buildXml: element order, numbers bare, arrays repeated, undefined omitted", () => {
  assert.equal(
    buildXml({ A: "x", B: 1, C: undefined, D: [{ E: "1" }, { E: "2" }], F: 2n }),
    "<xml><A><![CDATA[x]]></A><B>1</B><D><E><![CDATA[1]]></E></D><D><E><![CDATA[2]]></E></D>" +
      "<F>2</F></xml>",
  );
  assert.equal(
    buildXml({ A: "x", B: { C: 1 } }, { newlines: true, root: "r" }),
    "<r>\n<A><![CDATA[x]]></A>\n<B>\n<C>1</C>\n</B>\n</r>",
  );
  assert.equal(element("T", "v"), "<T><![CDATA[v]]></T>");
  assert.equal(escapeText("a<b>&c"), "a&lt;b&gt;&amp;c");
});

Deno.test("buildXml: invalid names, non-finite numbers and XML-forbidden characters throw", () => {
  assert.throws(() => buildXml({ "bad name": "x" }), RangeError);
  assert.throws(() => buildXml({ "1a": "x" }), RangeError);
  assert.throws(() => buildXml({ "a><b": "x" }), RangeError);
  assert.throws(() => buildXml({ A: NaN }), RangeError);
  assert.throws(() => buildXml({ A: Infinity }), RangeError);
  assert.throws(() => buildXml({ A: "nul\u0000" }), RangeError);
  assert.throws(() => escapeText("\u0001"), RangeError);
  assert.throws(() => buildXml({ A: true as unknown as string }), TypeError);
});

// ---- seeded fuzz: mutations of real pushes must parse or throw XmlParseError, nothing else ----

Deno.test("parseXml fuzz: 600 seeded mutations of real pushes parse or throw XmlParseError", () => {
  const corpus = [TICKET_DOC, AUTHORIZED_CAPTURED, FASTREGISTER_DOC, PIC_EVENT];
  const rnd = prng(0x5eed);
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 600; i++) {
    const input = mutateXml(corpus[i % corpus.length], rnd);
    try {
      const out = parseXml(input);
      assert.equal(typeof out, "object");
      parsed++;
    } catch (e) {
      if (!(e instanceof XmlParseError)) {
        throw new Error(`case ${i} threw ${e} for ${JSON.stringify(input)}`);
      }
      refused++;
    }
  }
  // Both outcomes occur, so the fuzz exercises the parser and its error paths.
  assert.ok(parsed > 20, `parsed ${parsed}`);
  assert.ok(refused > 20, `refused ${refused}`);
});

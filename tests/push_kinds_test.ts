/**
 * The onboarding and compliance push kinds, parsed from samples shaped as WeChat's
 * documentation and captures show them (CDATA and bare text, the doc's quoted values, nested
 * and repeated elements): authorizer events through `parseMessage`, third-party notices through
 * `parseComponentEvent`, and the field a kind requires reported when missing.
 */

import assert from "node:assert/strict";
import {
  isComponentEvent,
  isKnownComponentEvent,
  isKnownEventOf,
  isKnownMessage,
  parseComponentEvent,
  parseMessage,
  PushFormatError,
} from "../src/events/mod.ts";
import { XmlParseError } from "../src/xml/mod.ts";

const HEAD = `<ToUserName><![CDATA[gh_fb9688c2a4b2]]></ToUserName>
<FromUserName><![CDATA[od1P50M-fNQI5Gcq-trm4a7apsU8]]></FromUserName>
<CreateTime>1649835877</CreateTime>
<MsgType><![CDATA[event]]></MsgType>`;

/** The documentation's sample: values wrapped in quotes, as WeChat's page shows them. */
const PRIVACY_APPLY_DOC = `<xml>
${HEAD}
<Event><![CDATA[wxa_privacy_apply]]></Event>
<result_info>
    <api_name>"wx.choosePoi"</api_name>
    <apply_time>"1644805538"</apply_time>
    <audit_id>"421609337"</audit_id>
    <audit_time>"1644828435"</audit_time>
    <reason>"小程序内未含有相应使用场景"</reason>
    <status>"2"</status>
</result_info>
</xml>`;

const CATEGORY_AUDIT = `<xml>${HEAD}<Event><![CDATA[wxa_category_audit]]></Event>
<ret>2</ret><first>304</first><second>305</second><reason>驳回原因</reason></xml>`;

const ILLEGAL_RECORD = `<xml>${HEAD}<Event><![CDATA[wxa_illegal_record]]></Event>
<illegal_record_id><![CDATA[4_395332]]></illegal_record_id>
<create_time>1667303379</create_time>
<illegal_reason><![CDATA[侵犯知识产权]]></illegal_reason>
<illegal_content><![CDATA[违规内容]]></illegal_content>
<rule_url><![CDATA[https://mp.weixin.qq.com/mp/opshowpage?action=newoplaw#t3-4-1]]></rule_url>
<rule_name><![CDATA[《微信公众平台运营规范》4.1.2条规定-内容侵权]]></rule_name></xml>`;

const APPEAL_RECORD = `<xml>
    <ToUserName><![CDATA[gh_fxxxxxxxa4b2]]></ToUserName>
    <FromUserName><![CDATA[odxxxxM-xxxxxxxx-trm4a7apsU8]]></FromUserName>
    <CreateTime>1600055810</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[wxa_appeal_record]]></Event>
    <appeal_record_id>4111001</appeal_record_id>
    <appid>wxaaaaaaaaaaaaaaaa</appid>
    <appeal_time>1600055800</appeal_time>
    <appeal_count>1</appeal_count>
    <appeal_from>0</appeal_from>
    <appeal_status>2</appeal_status>
    <audit_time>1600058800</audit_time>
    <audit_reason>申诉通过</audit_reason>
    <punish_description>内容涉嫌欺诈</punish_description>
    <material>
        <illegal_material><content>违规内容1</content><content_url>https://a.example</content_url></illegal_material>
        <appeal_material><reason>申诉理由1</reason><proof_material_id>m1</proof_material_id></appeal_material>
    </material>
    <material>
        <illegal_material><content>违规内容2</content></illegal_material>
    </material>
</xml>`;

/** Captured (community post, 2022): the verification fee paid, then the provider assigned. */
const VERIFY_PAY = `<xml><ToUserName><![CDATA[gh_f57b44de618c]]></ToUserName>
<FromUserName><![CDATA[oDbGB5NPfPC1gisyfsFo-IOIxo1E]]></FromUserName>
<CreateTime>1652162212</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[wx_verify_pay_succ]]></Event>
<OrderId><![CDATA[16465636384492457619]]></OrderId>
</xml>`;
const VERIFY_DISPATCH = `<xml><ToUserName><![CDATA[gh_f57b44de618c]]></ToUserName>
<FromUserName><![CDATA[oDbGB5NPfPC1gisyfsFo-IOIxo1E]]></FromUserName>
<CreateTime>1652162232</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[wx_verify_dispatch]]></Event>
<Provider><![CDATA[上海xxxxxxxxx有限公司]]></Provider>
<Contact><![CDATA[咨询电话:xxxxxxxx]]></Contact>
<DispatchTime>1652162222</DispatchTime>
</xml>`;

const NOTICE_HEAD =
  `<AppId><![CDATA[wx6001eeeefe06e0af]]></AppId><CreateTime>1704952913</CreateTime>`;

const WXA_AUTH = `<xml>${NOTICE_HEAD}
<InfoType><![CDATA[notify_3rd_wxa_auth]]></InfoType>
<appid><![CDATA[wx1c1d946d367c0e7b]]></appid>
<taskid><![CDATA[4f4f3bd8a2cd0b52]]></taskid>
<task_status>12</task_status>
<apply_status>2</apply_status>
<message><![CDATA[审核中]]></message>
<dispatch_info>
<provider><![CDATA[上海倍通企业信用征信有限公司]]></provider>
<contact><![CDATA[咨询电话：0411-84947888]]></contact>
<dispatch_time>1704952913</dispatch_time>
</dispatch_info>
</xml>`;

const WXVERIFY = `<xml>${NOTICE_HEAD}<InfoType><![CDATA[notify_3rd_wxa_wxverify]]></InfoType>
<appid><![CDATA[wx1c1d946d367c0e7b]]></appid><expired>1707544913</expired></xml>`;

const ICP_VERIFY = `<xml>${NOTICE_HEAD}<InfoType>notify_icpfiling_verify_result</InfoType>
<task_id>R5PqRPNb6GmG3i0rqd4pTg</task_id><verify_appid>wx1c1d946d367c0e7b</verify_appid>
<result>3</result></xml>`;

const ICP_FILING = `<xml>${NOTICE_HEAD}<InfoType>notify_apply_icpfiling_result</InfoType>
<authorizer_appid>wx1c1d946d367c0e7b</authorizer_appid><beian_status>6</beian_status></xml>`;

const AUTH_AND_ICP = `<xml>${NOTICE_HEAD}<InfoType>notify_3rd_wxa_auth_and_icp</InfoType>
<procedure_id>procedure-01</procedure_id><procedure_status>26</procedure_status></xml>`;

Deno.test("wxa_privacy_apply: result_info as sent (the doc's quoted values kept)", () => {
  const m = parseMessage(PRIVACY_APPLY_DOC);
  assert.ok(isKnownMessage(m));
  assert.ok(isKnownEventOf(m, "wxa_privacy_apply"));
  assert.equal(m.result_info.api_name, '"wx.choosePoi"');
  assert.equal(m.result_info.status, '"2"');
  assert.equal(m.ToUserName, "gh_fb9688c2a4b2");
  assert.throws(
    () => parseMessage(PRIVACY_APPLY_DOC.replace(/<result_info>[\s\S]*<\/result_info>/, "")),
    (e: unknown) => e instanceof PushFormatError && e.field === "result_info",
  );
  // Text where the nested element belongs is the wrong shape.
  assert.throws(
    () =>
      parseMessage(
        PRIVACY_APPLY_DOC.replace(
          /<result_info>[\s\S]*<\/result_info>/,
          "<result_info>x</result_info>",
        ),
      ),
    (e: unknown) => e instanceof PushFormatError && e.code === "invalid_field",
  );
});

Deno.test("wxa_category_audit, wxa_illegal_record: typed fields", () => {
  const c = parseMessage(CATEGORY_AUDIT);
  assert.ok(isKnownEventOf(c, "wxa_category_audit"));
  assert.deepEqual([c.ret, c.first, c.second, c.reason], ["2", "304", "305", "驳回原因"]);
  assert.throws(
    () => parseMessage(CATEGORY_AUDIT.replace("<ret>2</ret>", "")),
    (e: unknown) => e instanceof PushFormatError && e.field === "ret",
  );
  const r = parseMessage(ILLEGAL_RECORD);
  assert.ok(isKnownEventOf(r, "wxa_illegal_record"));
  assert.equal(r.illegal_record_id, "4_395332");
  assert.equal(r.rule_url, "https://mp.weixin.qq.com/mp/opshowpage?action=newoplaw#t3-4-1");
  assert.equal(r.appid, undefined);
});

Deno.test("wxa_appeal_record: material is always a list", () => {
  const a = parseMessage(APPEAL_RECORD);
  assert.ok(isKnownEventOf(a, "wxa_appeal_record"));
  assert.equal(a.appeal_record_id, "4111001");
  assert.equal(a.appeal_status, "2");
  assert.equal(a.material.length, 2);
  assert.deepEqual(a.material[0].appeal_material, { reason: "申诉理由1", proof_material_id: "m1" });
  const one = parseMessage(
    APPEAL_RECORD.replace(
      /<material>\s*<illegal_material><content>违规内容2[\s\S]*?<\/material>/,
      "",
    ),
  );
  assert.ok(isKnownEventOf(one, "wxa_appeal_record"));
  assert.equal(one.material.length, 1);
  const none = parseMessage(APPEAL_RECORD.replace(/<material>[\s\S]*<\/material>/, ""));
  assert.ok(isKnownEventOf(none, "wxa_appeal_record"));
  assert.deepEqual(none.material, []);
});

Deno.test("wx_verify_pay_succ and wx_verify_dispatch, as captured", () => {
  const pay = parseMessage(VERIFY_PAY);
  assert.ok(isKnownEventOf(pay, "wx_verify_pay_succ"));
  // A 20-digit order id stays exact (a number would round it).
  assert.equal(pay.OrderId, "16465636384492457619");
  const d = parseMessage(VERIFY_DISPATCH);
  assert.ok(isKnownEventOf(d, "wx_verify_dispatch"));
  assert.deepEqual([d.Provider, d.DispatchTime], ["上海xxxxxxxxx有限公司", "1652162222"]);
});

Deno.test("notify_3rd_wxa_auth: the verification's task, states and provider", () => {
  const e = parseComponentEvent(WXA_AUTH);
  assert.ok(isKnownComponentEvent(e));
  assert.ok(isComponentEvent(e, "notify_3rd_wxa_auth"));
  assert.deepEqual([e.taskid, e.task_status, e.apply_status], ["4f4f3bd8a2cd0b52", "12", "2"]);
  assert.equal(e.dispatch_info?.provider, "上海倍通企业信用征信有限公司");
  assert.equal(e.dispatch_info?.dispatch_time, "1704952913");
  assert.throws(
    () => parseComponentEvent(WXA_AUTH.replace(/<taskid>.*<\/taskid>/, "")),
    (x: unknown) => x instanceof PushFormatError && x.field === "taskid",
  );
});

Deno.test("annual verification and ICP filing notices", () => {
  const v = parseComponentEvent(WXVERIFY);
  assert.ok(isComponentEvent(v, "notify_3rd_wxa_wxverify"));
  assert.deepEqual([v.appid, v.expired], ["wx1c1d946d367c0e7b", "1707544913"]);
  const f = parseComponentEvent(ICP_VERIFY);
  assert.ok(isComponentEvent(f, "notify_icpfiling_verify_result"));
  assert.deepEqual([f.task_id, f.result], ["R5PqRPNb6GmG3i0rqd4pTg", "3"]);
  const p = parseComponentEvent(ICP_FILING);
  assert.ok(isComponentEvent(p, "notify_apply_icpfiling_result"));
  assert.equal(p.beian_status, "6");
  const both = parseComponentEvent(AUTH_AND_ICP);
  assert.ok(isComponentEvent(both, "notify_3rd_wxa_auth_and_icp"));
  assert.deepEqual([both.procedure_id, both.procedure_status], ["procedure-01", "26"]);
  assert.throws(
    () => parseComponentEvent(ICP_VERIFY.replace(/<task_id>.*<\/task_id>/, "")),
    (x: unknown) => x instanceof PushFormatError && x.field === "task_id",
  );
});

Deno.test("fuzz: 600 seeded mutations of these samples give a typed value, XmlParseError or PushFormatError", () => {
  // A server maps exactly these two errors to 400: nothing else may escape the parsers.
  const corpus: [string, (xml: string) => unknown][] = [
    [PRIVACY_APPLY_DOC, parseMessage],
    [APPEAL_RECORD, parseMessage],
    [ILLEGAL_RECORD, parseMessage],
    [VERIFY_DISPATCH, parseMessage],
    [WXA_AUTH, parseComponentEvent],
    [ICP_VERIFY, parseComponentEvent],
  ];
  const pieces = ["<", "</", ">", "<![CDATA[", "]]>", "&", "<material>", "</result_info>", "x"];
  let seed = 20261203;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const outcomes = { ok: 0, xml: 0, format: 0 };
  for (let i = 0; i < 600; i++) {
    const [xml, parse] = corpus[i % corpus.length];
    let s = xml;
    for (let r = 0; r < 1 + Math.floor(rnd() * 3); r++) {
      const pos = Math.floor(rnd() * (s.length + 1));
      const op = Math.floor(rnd() * 4);
      if (op === 0) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 12));
      else if (op === 1) {
        s = s.slice(0, pos) + pieces[Math.floor(rnd() * pieces.length)] + s.slice(pos);
      } else if (op === 2) {
        // Drop one whole element (required fields go missing, nested ones become text).
        const leaves = [...s.matchAll(/<(\w+)>[^<]*<\/\1>/g)];
        const m = leaves[Math.floor(rnd() * leaves.length)];
        if (m) s = s.slice(0, m.index) + s.slice(m.index! + m[0].length);
      } else {
        // Replace a nested element's children by text.
        s = s.replace(/<(result_info|material|dispatch_info)>[\s\S]*?<\/\1>/, "<$1>t</$1>");
      }
    }
    try {
      assert.equal(typeof parse(s), "object");
      outcomes.ok++;
    } catch (e) {
      if (e instanceof XmlParseError) outcomes.xml++;
      else if (e instanceof PushFormatError) outcomes.format++;
      else throw new Error(`case ${i}: ${e} for ${JSON.stringify(s)}`);
    }
  }
  assert.ok(
    outcomes.ok > 20 && outcomes.xml > 20 && outcomes.format > 10,
    JSON.stringify(outcomes),
  );
});

import assert from "node:assert/strict";
import {
  type AuthorizerMessage,
  type ComponentEvent,
  isComponentEvent,
  isKnownComponentEvent,
  isKnownEventOf,
  isKnownMessage,
  isUserMessage,
  parseComponentEvent,
  parseMessage,
  PushFormatError,
} from "../src/events/mod.ts";
import { parseXml, XmlParseError } from "../src/xml/mod.ts";
import { prng } from "./_prng.ts";
import { AUTHORIZED_CAPTURED, FASTREGISTER_DOC, TICKET_DOC } from "./_samples.ts";

function formatError(fn: () => unknown, code: string, field: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PushFormatError, `expected PushFormatError, got ${e}`);
    assert.equal(e.code, code);
    assert.equal(e.field, field);
    assert.match(e.message, /^[A-Z].*[^.]$/);
    return true;
  });
}

// ---------------------------------------------------------------- authorization events (§4)

const TICKET_CAPTURED = `<xml>
    <AppId><![CDATA[wx6a5c7b3deae109fb]]></AppId>
    <CreateTime>1472650983</CreateTime>
    <InfoType><![CDATA[component_verify_ticket]]></InfoType>
    <ComponentVerifyTicket><![CDATA[ticket@@@sTomyzl5D...]]></ComponentVerifyTicket>
</xml>`;

// The doc's placeholders, with the closing tag the doc gets wrong fixed.
const AUTHORIZED_DOC = `<xml>
<AppId>第三方平台appid</AppId>
<CreateTime>1413192760</CreateTime>
<InfoType>authorized</InfoType>
<AuthorizerAppid>公众号appid</AuthorizerAppid>
<AuthorizationCode>授权码</AuthorizationCode>
<AuthorizationCodeExpiredTime>过期时间</AuthorizationCodeExpiredTime>
<PreAuthCode>预授权码</PreAuthCode>
</xml>`;

Deno.test("parseComponentEvent: component_verify_ticket, doc (bare) and captured (CDATA) forms", () => {
  assert.deepEqual(parseComponentEvent(TICKET_DOC), {
    AppId: "some_appid",
    CreateTime: "1413192605",
    InfoType: "component_verify_ticket",
    ComponentVerifyTicket: "some_verify_ticket",
  });
  const e = parseComponentEvent(TICKET_CAPTURED);
  assert.ok(isKnownComponentEvent(e));
  assert.equal(e.InfoType, "component_verify_ticket");
  if (e.InfoType === "component_verify_ticket") {
    assert.equal(e.ComponentVerifyTicket, "ticket@@@sTomyzl5D...");
    assert.equal(e.AppId, "wx6a5c7b3deae109fb");
    assert.equal(Number(e.CreateTime), 1472650983);
  }
});

Deno.test("parseComponentEvent: authorized with the doc's Chinese placeholders and a capture", () => {
  assert.deepEqual(parseComponentEvent(AUTHORIZED_DOC), {
    AppId: "第三方平台appid",
    CreateTime: "1413192760",
    InfoType: "authorized",
    AuthorizerAppid: "公众号appid",
    AuthorizationCode: "授权码",
    AuthorizationCodeExpiredTime: "过期时间",
    PreAuthCode: "预授权码",
  });
  const e = parseComponentEvent(AUTHORIZED_CAPTURED);
  assert.ok(isKnownComponentEvent(e) && e.InfoType === "authorized");
  assert.equal(e.AuthorizerAppid, "wxf7d2ddffc117e8de");
  assert.match(e.AuthorizationCode, /^queryauthcode@@@y-s2Y/);
  assert.equal(e.AuthorizationCodeExpiredTime, "1512555785");
  assert.match(e.PreAuthCode, /^preauthcode@@@/);
});

Deno.test("parseComponentEvent: updateauthorized and unauthorized", () => {
  const u = parseComponentEvent(AUTHORIZED_DOC.replace(">authorized<", ">updateauthorized<"));
  assert.equal(u.InfoType, "updateauthorized");
  assert.equal(u.AuthorizationCode, "授权码");
  // The 全网发布 test mini program's captured unauthorized push.
  const x = parseComponentEvent(
    "<xml><AppId>wxb3d033d520d15fe7</AppId><CreateTime>1496461034</CreateTime>" +
      "<InfoType>unauthorized</InfoType><AuthorizerAppid>wxd101a85aa106f53e</AuthorizerAppid></xml>",
  );
  assert.deepEqual(x, {
    AppId: "wxb3d033d520d15fe7",
    CreateTime: "1496461034",
    InfoType: "unauthorized",
    AuthorizerAppid: "wxd101a85aa106f53e",
  });
});

Deno.test("parseComponentEvent: notify_third_fasteregister, enterprise and personal info", () => {
  const e = parseComponentEvent(FASTREGISTER_DOC);
  assert.ok(isKnownComponentEvent(e) && e.InfoType === "notify_third_fasteregister");
  assert.equal(e.appid, "创建小程序appid");
  assert.equal(e.status, "0");
  assert.equal(e.auth_code, "xxxxx第三方授权码");
  assert.equal(e.msg, "OK");
  assert.deepEqual(e.info, {
    name: "企业名称",
    code: "企业代码",
    code_type: "1",
    legal_persona_wechat: "法人微信号",
    legal_persona_name: "法人姓名",
    component_phone: "第三方联系电话",
  });
  // Personal variant, a recent capture's order and its taskid.
  const p = parseComponentEvent(
    "<xml><AppId><![CDATA[wx143f74e55082b8cb]]></AppId><CreateTime>1716000000</CreateTime>" +
      "<InfoType><![CDATA[notify_third_fasteregister]]></InfoType><taskid>task-1</taskid>" +
      "<status>0</status><msg>OK</msg><appid>wxnew</appid><auth_code>queryauthcode@@@x</auth_code>" +
      "<info><wxuser><![CDATA[user_wx]]></wxuser><idname><![CDATA[张三]]></idname>" +
      "<component_phone><![CDATA[1234]]></component_phone></info></xml>",
  );
  assert.ok(p.InfoType === "notify_third_fasteregister" && isKnownComponentEvent(p));
  assert.equal(p.taskid, "task-1");
  assert.equal(p.info.wxuser, "user_wx");
  assert.equal(p.info.idname, "张三");
  // The doc's personal sample closes <idname> with </wxidnnn>: not XML, refused clearly.
  assert.throws(
    () =>
      parseComponentEvent(
        FASTREGISTER_DOC.replace(
          /<info>[\s\S]*<\/info>/,
          "<info><wxuser><![CDATA[用户微信号]]></wxuser><idname><![CDATA[用户姓名]]></wxidnnn></info>",
        ),
      ),
    XmlParseError,
  );
  // A failed registration may carry no appid / auth_code and an empty info.
  const failed = parseComponentEvent(
    "<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>notify_third_fasteregister</InfoType>" +
      "<status>89249</status><msg>task running</msg><info></info></xml>",
  );
  assert.deepEqual(failed, {
    AppId: "wx1",
    CreateTime: "1",
    InfoType: "notify_third_fasteregister",
    status: "89249",
    msg: "task running",
    info: {},
  });
});

Deno.test("parseComponentEvent: beta-app registration and verification notices", () => {
  const r = parseComponentEvent(
    "<xml><AppId><![CDATA[第三方平台appid]]></AppId><CreateTime>1535442403</CreateTime>" +
      "<InfoType><![CDATA[notify_third_fastregisterbetaapp]]></InfoType><appid>创建小程序appid</appid>" +
      "<status>0</status><msg>OK</msg><info><unique_id><![CDATA[unique_id]]></unique_id>" +
      "<name><![CDATA[小程序名称]]></name></info></xml>",
  );
  assert.ok(isKnownComponentEvent(r) && r.InfoType === "notify_third_fastregisterbetaapp");
  assert.equal(r.info.unique_id, "unique_id");
  assert.equal(r.info.name, "小程序名称");
  const v = parseComponentEvent(
    FASTREGISTER_DOC.replace("notify_third_fasteregister", "notify_third_fastverifybetaapp"),
  );
  assert.ok(isKnownComponentEvent(v) && v.InfoType === "notify_third_fastverifybetaapp");
  assert.equal(v.info.legal_persona_name, "法人姓名");
});

Deno.test("parseComponentEvent: unknown InfoType still parses with its raw fields", () => {
  const e: ComponentEvent = parseComponentEvent(
    "<xml><AppId>wx1</AppId><CreateTime>1700000000</CreateTime>" +
      "<InfoType>notify_some_future_kind</InfoType><task_id>t</task_id>" +
      "<verify_appid>wx2</verify_appid><result><code>0</code></result></xml>",
  );
  assert.ok(!isKnownComponentEvent(e));
  assert.equal(e.InfoType, "notify_some_future_kind");
  assert.equal(e.task_id, "t");
  assert.deepEqual(e.result, { code: "0" });
});

Deno.test("parseComponentEvent: extra elements WeChat adds are kept", () => {
  const e = parseComponentEvent(TICKET_DOC.replace("</xml>", "<NewField>n</NewField></xml>"));
  assert.equal((e as unknown as Record<string, unknown>).NewField, "n");
});

Deno.test("parseComponentEvent: missing or non-text required fields are PushFormatError", () => {
  formatError(
    () => parseComponentEvent("<xml><AppId>a</AppId><CreateTime>1</CreateTime></xml>"),
    "missing_field",
    "InfoType",
  );
  formatError(
    () =>
      parseComponentEvent(
        TICKET_DOC.replace(/<ComponentVerifyTicket>.*<\/ComponentVerifyTicket>/, ""),
      ),
    "missing_field",
    "ComponentVerifyTicket",
  );
  formatError(
    () =>
      parseComponentEvent(AUTHORIZED_DOC.replace(/<AuthorizationCode>.*<\/AuthorizationCode>/, "")),
    "missing_field",
    "AuthorizationCode",
  );
  formatError(
    () => parseComponentEvent(AUTHORIZED_DOC.replace(/<AppId>.*<\/AppId>/, "")),
    "missing_field",
    "AppId",
  );
  formatError(
    () => parseComponentEvent(TICKET_DOC.replace("<CreateTime>1413192605", "<CreateTime><x>1</x>")),
    "invalid_field",
    "CreateTime",
  );
  formatError(
    () => parseComponentEvent(TICKET_DOC.replace("</xml>", "<AppId>again</AppId></xml>")),
    "invalid_field",
    "AppId",
  );
  formatError(
    () => parseComponentEvent(FASTREGISTER_DOC.replace(/<status>0<\/status>/, "")),
    "missing_field",
    "status",
  );
  formatError(
    () =>
      parseComponentEvent(FASTREGISTER_DOC.replace(/<info>[\s\S]*<\/info>/, "<info>text</info>")),
    "invalid_field",
    "info",
  );
});

Deno.test("parseComponentEvent: hostile XML is XmlParseError, and parsed input is accepted", () => {
  assert.throws(
    () => parseComponentEvent('<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><xml/>'),
    (e: unknown) => e instanceof XmlParseError && e.code === "xml_doctype",
  );
  assert.deepEqual(parseComponentEvent(parseXml(TICKET_DOC)), parseComponentEvent(TICKET_DOC));
});

// ---------------------------------------------------------------- authorizer messages

const HEAD = "<ToUserName><![CDATA[gh_3c884a361561]]></ToUserName>" +
  "<FromUserName><![CDATA[ozy4qt5QUADNXORxCVipKMV9dss0]]></FromUserName>" +
  "<CreateTime>1348831860</CreateTime>";
const msg = (body: string) => `<xml>${HEAD}${body}</xml>`;
const ev = (event: string, body = "") =>
  msg(`<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${body}`);

function known(m: AuthorizerMessage) {
  assert.ok(isKnownMessage(m), `expected a known kind: ${JSON.stringify(m)}`);
  return m;
}

Deno.test("parseMessage: text (the release test's message), MsgId kept as a 64-bit string", () => {
  const m = parseMessage(
    msg(
      "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT]]></Content>" +
        "<MsgId>6054768590064713728</MsgId>",
    ),
  );
  assert.deepEqual(m, {
    ToUserName: "gh_3c884a361561",
    FromUserName: "ozy4qt5QUADNXORxCVipKMV9dss0",
    CreateTime: "1348831860",
    MsgType: "text",
    Content: "TESTCOMPONENT_MSG_TYPE_TEXT",
    MsgId: "6054768590064713728",
  });
  const q = known(parseMessage(
    msg("<MsgType>text</MsgType><Content>QUERY_AUTH_CODE:queryauthcode@@@abc</Content>"),
  ));
  assert.ok(q.MsgType === "text");
  assert.equal(q.Content.slice("QUERY_AUTH_CODE:".length), "queryauthcode@@@abc");
  const spaced = parseMessage(
    msg("<MsgType>text</MsgType><Content><![CDATA[  padded  ]]></Content>"),
  );
  assert.ok(spaced.MsgType === "text" && isKnownMessage(spaced));
  assert.equal(spaced.Content, "  padded  ");
});

Deno.test("parseMessage: image, voice (with Recognition), video, shortvideo, location, link", () => {
  const image = known(parseMessage(
    msg(
      "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>" +
        "<MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId>",
    ),
  ));
  assert.ok(image.MsgType === "image");
  assert.equal(image.PicUrl, "http://mmbiz.qpic.cn/x");
  assert.equal(image.MediaId, "media_id");

  const voice = known(parseMessage(
    msg(
      "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>" +
        "<Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯微信团队]]></Recognition>" +
        "<MsgId>1234567890123456</MsgId>",
    ),
  ));
  assert.ok(voice.MsgType === "voice");
  assert.equal(voice.Format, "amr");
  assert.equal(voice.Recognition, "腾讯微信团队");
  const noRecognition = parseMessage(
    msg("<MsgType>voice</MsgType><MediaId>m</MediaId><Format>speex</Format>"),
  );
  assert.equal("Recognition" in noRecognition, false);

  for (const t of ["video", "shortvideo"] as const) {
    const v = known(parseMessage(
      msg(
        `<MsgType><![CDATA[${t}]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>` +
          "<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId><MsgId>1234567890123456</MsgId>",
      ),
    ));
    assert.ok(v.MsgType === t);
    assert.equal(v.ThumbMediaId, "thumb_media_id");
  }

  const loc = known(parseMessage(
    msg(
      "<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X>" +
        "<Location_Y>113.358803</Location_Y><Scale>20</Scale><Label><![CDATA[位置信息]]></Label>" +
        "<MsgId>1234567890123456</MsgId>",
    ),
  ));
  assert.ok(loc.MsgType === "location");
  assert.equal(loc.Location_X, "23.134521");
  assert.equal(loc.Label, "位置信息");

  const link = known(parseMessage(
    msg(
      "<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[公众平台官网链接]]></Title>" +
        "<Description><![CDATA[公众平台官网链接]]></Description><Url><![CDATA[url]]></Url>" +
        "<MsgId>1234567890123456</MsgId>",
    ),
  ));
  assert.ok(link.MsgType === "link");
  assert.equal(link.Url, "url");
});

Deno.test("parseMessage: subscribe (plain and qrscene), unsubscribe, SCAN", () => {
  const plain = known(parseMessage(ev("subscribe")));
  assert.ok(plain.MsgType === "event" && plain.Event === "subscribe");
  assert.equal(plain.EventKey, undefined);
  const qr = known(parseMessage(
    ev(
      "subscribe",
      "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>",
    ),
  ));
  assert.ok(qr.MsgType === "event" && qr.Event === "subscribe");
  assert.equal(qr.EventKey, "qrscene_123123");
  assert.equal(qr.Ticket, "TICKET");
  const un = known(parseMessage(ev("unsubscribe", "<EventKey><![CDATA[]]></EventKey>")));
  assert.ok(un.MsgType === "event" && un.Event === "unsubscribe");
  assert.equal(un.EventKey, "");
  const scan = known(parseMessage(
    ev("SCAN", "<EventKey><![CDATA[SCENE_VALUE]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"),
  ));
  assert.ok(scan.MsgType === "event" && scan.Event === "SCAN");
  assert.equal(scan.EventKey, "SCENE_VALUE");
});

Deno.test("parseMessage: LOCATION, CLICK, VIEW", () => {
  const l = known(parseMessage(
    ev(
      "LOCATION",
      "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>",
    ),
  ));
  assert.ok(l.MsgType === "event" && l.Event === "LOCATION");
  assert.equal(l.Precision, "119.385040");
  const c = known(parseMessage(ev("CLICK", "<EventKey><![CDATA[EVENTKEY]]></EventKey>")));
  assert.ok(c.MsgType === "event" && c.Event === "CLICK");
  assert.equal(c.EventKey, "EVENTKEY");
  const v = known(parseMessage(
    ev("VIEW", "<EventKey><![CDATA[www.qq.com]]></EventKey><MenuId>MENUID</MenuId>"),
  ));
  assert.ok(v.MsgType === "event" && v.Event === "VIEW");
  assert.equal(v.MenuId, "MENUID");
});

Deno.test("parseMessage: scancode_push / scancode_waitmsg with ScanCodeInfo", () => {
  for (const e of ["scancode_push", "scancode_waitmsg"] as const) {
    const m = known(parseMessage(
      ev(
        e,
        "<EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>" +
          "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
      ),
    ));
    assert.ok(m.MsgType === "event" && m.Event === e);
    assert.deepEqual(m.ScanCodeInfo, { ScanType: "qrcode", ScanResult: "1" });
  }
  formatError(
    () => parseMessage(ev("scancode_push", "<EventKey>6</EventKey>")),
    "missing_field",
    "ScanCodeInfo",
  );
});

Deno.test("parseMessage: pic_* events give SendPicsInfo.PicList.item as an array, one or many", () => {
  const one = known(parseMessage(
    ev(
      "pic_sysphoto",
      "<EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList>" +
        "<item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item>" +
        "</PicList></SendPicsInfo>",
    ),
  ));
  assert.ok(one.MsgType === "event" && one.Event === "pic_sysphoto");
  assert.deepEqual(one.SendPicsInfo.PicList.item, [
    { PicMd5Sum: "1b5f7c23b5bf75682a53e7b6d163e185" },
  ]);
  for (const e of ["pic_photo_or_album", "pic_weixin"] as const) {
    const many = known(parseMessage(
      ev(
        e,
        "<EventKey>6</EventKey><SendPicsInfo><Count>2</Count><PicList>" +
          "<item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>" +
          "</PicList></SendPicsInfo>",
      ),
    ));
    assert.ok(many.MsgType === "event" && many.Event === e);
    assert.equal(many.SendPicsInfo.Count, "2");
    assert.deepEqual(many.SendPicsInfo.PicList.item.map((i) => i.PicMd5Sum), ["a", "b"]);
  }
  const none = known(parseMessage(
    ev(
      "pic_weixin",
      "<EventKey>6</EventKey><SendPicsInfo><Count>0</Count><PicList></PicList></SendPicsInfo>",
    ),
  ));
  assert.ok(none.MsgType === "event" && none.Event === "pic_weixin");
  assert.deepEqual(none.SendPicsInfo.PicList.item, []);
  formatError(
    () =>
      parseMessage(
        ev(
          "pic_weixin",
          "<EventKey>6</EventKey><SendPicsInfo><Count>1</Count><PicList><item><x>1</x></item></PicList></SendPicsInfo>",
        ),
      ),
    "missing_field",
    "PicMd5Sum",
  );
});

Deno.test("parseMessage: location_select with SendLocationInfo", () => {
  const m = known(parseMessage(
    ev(
      "location_select",
      "<EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X>" +
        "<Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale>" +
        "<Label><![CDATA[ 广州市海珠区客村艺苑路 106号]]></Label><Poiname><![CDATA[]]></Poiname>" +
        "</SendLocationInfo>",
    ),
  ));
  assert.ok(m.MsgType === "event" && m.Event === "location_select");
  assert.equal(m.SendLocationInfo.Label, " 广州市海珠区客村艺苑路 106号");
  assert.equal(m.SendLocationInfo.Poiname, "");
});

Deno.test("parseMessage: TEMPLATESENDJOBFINISH and MASSSENDJOBFINISH", () => {
  const t = known(parseMessage(
    ev("TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>"),
  ));
  assert.ok(t.MsgType === "event" && t.Event === "TEMPLATESENDJOBFINISH");
  assert.equal(t.MsgID, "200163836");
  assert.equal(t.Status, "success");
  const m = known(parseMessage(
    ev(
      "MASSSENDJOBFINISH",
      "<MsgID>1988</MsgID><Status><![CDATA[sendsuccess]]></Status><TotalCount>100</TotalCount>" +
        "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>" +
        "<CopyrightCheckResult><Count>2</Count><ResultList><item><ArticleIdx>1</ArticleIdx></item>" +
        "</ResultList><CheckState>2</CheckState></CopyrightCheckResult>",
    ),
  ));
  assert.ok(m.MsgType === "event" && m.Event === "MASSSENDJOBFINISH");
  assert.equal(m.SentCount, "75");
  assert.equal(m.CopyrightCheckResult?.CheckState, "2");
});

Deno.test("parseMessage: mini program audit, nickname audit and tempsession events", () => {
  const ok = known(parseMessage(ev("weapp_audit_success", "<SuccTime>1488856741</SuccTime>")));
  assert.ok(ok.MsgType === "event" && ok.Event === "weapp_audit_success");
  assert.equal(ok.SuccTime, "1488856741");
  const fail = known(parseMessage(
    ev(
      "weapp_audit_fail",
      "<Reason><![CDATA[1:账号信息不符合规范:<br>(1):包含色情因素<br>]]></Reason>" +
        "<FailTime>1488856591</FailTime><ScreenShot>xxx|yyy|zzz</ScreenShot>",
    ),
  ));
  assert.ok(fail.MsgType === "event" && fail.Event === "weapp_audit_fail");
  assert.equal(fail.Reason, "1:账号信息不符合规范:<br>(1):包含色情因素<br>");
  assert.equal(fail.ScreenShot, "xxx|yyy|zzz");
  const delay = known(parseMessage(
    ev(
      "weapp_audit_delay",
      "<Reason><![CDATA[为了更好的服务小程序]]></Reason><DelayTime>1488856591</DelayTime>",
    ),
  ));
  assert.ok(delay.MsgType === "event" && delay.Event === "weapp_audit_delay");
  assert.equal(delay.DelayTime, "1488856591");
  const nick = known(parseMessage(
    ev("wxa_nickname_audit", "<ret>2</ret><nickname>昵称</nickname><reason>驳回原因</reason>"),
  ));
  assert.ok(nick.MsgType === "event" && nick.Event === "wxa_nickname_audit");
  assert.equal(nick.ret, "2");
  assert.equal(nick.reason, "驳回原因");
  const temp = known(parseMessage(
    ev("user_enter_tempsession", "<SessionFrom><![CDATA[sessionFrom]]></SessionFrom>"),
  ));
  assert.ok(temp.MsgType === "event" && temp.Event === "user_enter_tempsession");
  assert.equal(temp.SessionFrom, "sessionFrom");
});

Deno.test("parseMessage: unknown MsgType and unknown Event still parse with raw fields", () => {
  const u = parseMessage(
    msg("<MsgType>miniprogrampage</MsgType><Title>t</Title><AppId>wx1</AppId>"),
  );
  assert.ok(!isKnownMessage(u));
  assert.equal(u.MsgType, "miniprogrampage");
  assert.equal(u.Title, "t");
  const e = parseMessage(
    ev(
      "subscribe_msg_popup_event",
      "<SubscribeMsgPopupEvent><List><TemplateId>x</TemplateId></List></SubscribeMsgPopupEvent>",
    ),
  );
  assert.ok(!isKnownMessage(e));
  assert.equal(e.MsgType, "event");
  assert.equal(e.Event, "subscribe_msg_popup_event");
  assert.deepEqual(e.SubscribeMsgPopupEvent, { List: { TemplateId: "x" } });
});

Deno.test("parseMessage: missing required fields are PushFormatError naming the field", () => {
  formatError(() => parseMessage(`<xml>${HEAD}</xml>`), "missing_field", "MsgType");
  formatError(
    () =>
      parseMessage(
        "<xml><ToUserName>a</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
      ),
    "missing_field",
    "FromUserName",
  );
  formatError(() => parseMessage(msg("<MsgType>text</MsgType>")), "missing_field", "Content");
  formatError(() => parseMessage(msg("<MsgType>event</MsgType>")), "missing_field", "Event");
  formatError(() => parseMessage(ev("CLICK")), "missing_field", "EventKey");
  formatError(
    () => parseMessage(msg("<MsgType>text</MsgType><Content><b>x</b></Content>")),
    "invalid_field",
    "Content",
  );
});

Deno.test("parse functions pass limits through and refuse non-XML arguments", () => {
  assert.throws(
    () => parseComponentEvent(TICKET_DOC, { maxBytes: 50 }),
    (e: unknown) => e instanceof XmlParseError && e.code === "xml_too_large",
  );
  assert.throws(
    () => parseMessage(ev("CLICK", "<EventKey>k</EventKey>"), { maxDepth: 1 }),
    (e: unknown) => e instanceof XmlParseError && e.code === "xml_too_deep",
  );
  assert.throws(() => parseComponentEvent(undefined as unknown as string), TypeError);
  assert.throws(() => parseMessage(null as unknown as string), TypeError);
  assert.throws(() => parseMessage([] as unknown as string), TypeError);
});

// Seeded fuzz over the typed parsers: a server maps exactly these two error classes to 400,
// so nothing else may escape.

Deno.test("fuzz: 400 seeded mutations of real pushes give a typed value, XmlParseError or PushFormatError", () => {
  const pieces = ["<", "</", ">", "<![CDATA[", "]]>", "&", "<info>", "</info>", "<item>", "x", " "];
  const corpus = [
    { xml: TICKET_CAPTURED, parse: parseComponentEvent },
    { xml: AUTHORIZED_CAPTURED, parse: parseComponentEvent },
    { xml: FASTREGISTER_DOC, parse: parseComponentEvent },
    {
      xml: ev(
        "pic_weixin",
        "<EventKey>6</EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum>" +
          "</item><item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo>",
      ),
      parse: parseMessage,
    },
    {
      xml: ev(
        "location_select",
        "<EventKey>6</EventKey><SendLocationInfo><Location_X>23</Location_X><Location_Y>113</Location_Y>" +
          "<Scale>15</Scale><Label>L</Label></SendLocationInfo>",
      ),
      parse: parseMessage,
    },
  ];
  const rnd = prng(20261125);
  const outcomes = { ok: 0, xml: 0, format: 0 };
  for (let i = 0; i < 400; i++) {
    const { xml, parse } = corpus[i % corpus.length];
    let s = xml;
    for (let r = 0; r < 1 + Math.floor(rnd() * 3); r++) {
      const pos = Math.floor(rnd() * (s.length + 1));
      const op = Math.floor(rnd() * 4);
      if (op === 3) {
        // Drop one whole leaf element, so required fields go missing.
        const leaves = [...s.matchAll(/<(\w+)>[^<]*(?:<!\[CDATA\[[^\]]*\]\]>)?<\/\1>/g)];
        const m = leaves[Math.floor(rnd() * leaves.length)];
        if (m) s = s.slice(0, m.index) + s.slice(m.index + m[0].length);
      } else if (op === 0) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 12));
      else if (op === 1) {
        s = s.slice(0, pos) + pieces[Math.floor(rnd() * pieces.length)] + s.slice(pos);
      } else {
        const len = Math.floor(rnd() * 60);
        s = s.slice(0, pos) + s.slice(pos, pos + len) + s.slice(pos);
      }
    }
    try {
      const out = (parse as (x: string) => { [k: string]: unknown })(s);
      assert.equal(typeof out, "object");
      outcomes.ok++;
    } catch (e) {
      if (e instanceof XmlParseError) outcomes.xml++;
      else if (e instanceof PushFormatError) outcomes.format++;
      else throw new Error(`case ${i}: ${e} for ${JSON.stringify(s)}`);
    }
  }
  assert.ok(outcomes.ok > 10 && outcomes.xml > 10 && outcomes.format > 5, JSON.stringify(outcomes));
});

Deno.test("one-kind guards narrow the open unions without casts and reject other kinds", () => {
  const revoked = parseComponentEvent(
    "<xml><AppId>wxb3d033d520d15fe7</AppId><CreateTime>1496461034</CreateTime>" +
      "<InfoType>unauthorized</InfoType><AuthorizerAppid>wxd101a85aa106f53e</AuthorizerAppid></xml>",
  );
  assert.ok(isComponentEvent(revoked, "unauthorized"));
  const appid: string = revoked.AuthorizerAppid; // typed string: no cast needed
  assert.equal(appid, "wxd101a85aa106f53e");
  assert.equal(isComponentEvent(parseComponentEvent(TICKET_DOC), "unauthorized"), false);
  const ticket = parseComponentEvent(TICKET_DOC);
  assert.ok(isComponentEvent(ticket, "component_verify_ticket"));
  assert.equal(ticket.ComponentVerifyTicket, "some_verify_ticket");

  const text = parseMessage(msg("<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId>"));
  assert.ok(isUserMessage(text, "text"));
  const content: string = text.Content;
  assert.equal(content, "hi");
  assert.equal(isUserMessage(text, "image"), false);
  assert.equal(isKnownEventOf(text, "CLICK"), false);

  const scan = parseMessage(
    ev(
      "scancode_push",
      "<EventKey>k</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType>" +
        "<ScanResult>r</ScanResult></ScanCodeInfo>",
    ),
  );
  assert.ok(isKnownEventOf(scan, "scancode_push"));
  const result: string = scan.ScanCodeInfo.ScanResult;
  assert.equal(result, "r");
  assert.equal(isKnownEventOf(scan, "scancode_waitmsg"), false);
  assert.equal(isUserMessage(scan, "text"), false);
  // An event of a kind this module does not type matches no guard.
  assert.equal(isKnownEventOf(parseMessage(ev("brand_new_event")), "CLICK"), false);
});

/**
 * Typed authorizer messages and events: the decrypted XML WeChat pushes to a third-party
 * platform's 消息与事件接收URL on behalf of an authorized Official Account or Mini Program,
 * typed by `MsgType` and, for events, `Event`.
 *
 * Field names are WeChat's own; every value stays the exact string WeChat sent (`CreateTime`,
 * `MsgId`, coordinates…: `MsgId` is a 64-bit id that a JavaScript number would round). Elements
 * not listed on an interface are still on the object as parsed. Nested data is normalised where
 * WeChat's XML is ambiguous: `SendPicsInfo.PicList.item` is always an array.
 *
 * @example Answer the release test's text message
 * ```ts
 * import { isKnownMessage, parseMessage } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><FromUserName><![CDATA[ozy4qt5QUADNXORxCVipKMV9dss0]]></FromUserName>" +
 *     "<CreateTime>1413192760</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
 *     "<Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT]]></Content><MsgId>1234567890123456</MsgId></xml>",
 * );
 * if (isKnownMessage(m) && m.MsgType === "text") console.log(m.Content);
 * ```
 *
 * @module
 */

import { parseXml, type ParseXmlOptions, type XmlElement, type XmlValue } from "../xml/parse.ts";
import {
  checkParsed,
  compact,
  list,
  opt,
  optObject,
  PushFormatError,
  req,
  reqObject,
} from "./_fields.ts";
import { ONBOARD_EVENTS, type OnboardEvent, parseOnboardEvent } from "./onboard_events.ts";

/** Fields every authorizer message and event carries. */
export interface MessageBase {
  /** The receiving account's original id (`gh_…`). */
  ToUserName: string;
  /** The sender's openid. */
  FromUserName: string;
  /** Unix time in seconds, as sent. */
  CreateTime: string;
  /** Message kind. */
  MsgType: string;
}

/** Fields of user messages (not events). */
export interface UserMessageBase extends MessageBase {
  /** 64-bit message id, as sent (absent in some captures). */
  MsgId?: string;
  /** Id of the mass message this one answers, if any. */
  MsgDataId?: string;
  /** Index of the article in that mass message. */
  Idx?: string;
}

/** A text message. */
export interface TextMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "text";
  /** The text. */
  Content: string;
  /** Id of the menu item, when the text came from a menu message. */
  bizmsgmenuid?: string;
}

/** An image message. */
export interface ImageMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "image";
  /** Image URL. */
  PicUrl: string;
  /** Media id, for the media API. */
  MediaId: string;
}

/** A voice message. */
export interface VoiceMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "voice";
  /** Media id. */
  MediaId: string;
  /** Audio format (amr, speex). */
  Format: string;
  /** Speech recognition result, when recognition is on. */
  Recognition?: string;
  /** 16 kHz media id, when offered. */
  MediaId16K?: string;
}

/** A video message. */
export interface VideoMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "video";
  /** Media id. */
  MediaId: string;
  /** Thumbnail media id. */
  ThumbMediaId: string;
}

/** A short-video message. */
export interface ShortVideoMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "shortvideo";
  /** Media id. */
  MediaId: string;
  /** Thumbnail media id. */
  ThumbMediaId: string;
}

/** A location message. */
export interface LocationMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "location";
  /** Latitude. */
  Location_X: string;
  /** Longitude. */
  Location_Y: string;
  /** Map zoom. */
  Scale: string;
  /** Place description. */
  Label: string;
}

/** A link message. */
export interface LinkMessage extends UserMessageBase {
  /** Discriminant. */
  MsgType: "link";
  /** Title. */
  Title: string;
  /** Description. */
  Description: string;
  /** URL. */
  Url: string;
}

/** Fields of every event. */
export interface EventBase extends MessageBase {
  /** Discriminant. */
  MsgType: "event";
  /** Event kind. */
  Event: string;
}

/** `subscribe`: a user followed the account (with `qrscene_…` EventKey and Ticket via a QR code). */
export interface SubscribeEvent extends EventBase {
  /** Discriminant. */
  Event: "subscribe";
  /** `qrscene_` + scene, when subscribed through a parametric QR code. */
  EventKey?: string;
  /** QR code ticket, when subscribed through a parametric QR code. */
  Ticket?: string;
}

/** `unsubscribe`: a user unfollowed the account. */
export interface UnsubscribeEvent extends EventBase {
  /** Discriminant. */
  Event: "unsubscribe";
  /** Usually empty. */
  EventKey?: string;
}

/** `SCAN`: a follower scanned a parametric QR code. */
export interface ScanEvent extends EventBase {
  /** Discriminant. */
  Event: "SCAN";
  /** The scene value. */
  EventKey: string;
  /** QR code ticket. */
  Ticket?: string;
}

/** `LOCATION`: the user's location, reported on entering the conversation or periodically. */
export interface LocationEvent extends EventBase {
  /** Discriminant. */
  Event: "LOCATION";
  /** Latitude. */
  Latitude: string;
  /** Longitude. */
  Longitude: string;
  /** Precision. */
  Precision: string;
}

/** `CLICK`: a click menu item. */
export interface ClickEvent extends EventBase {
  /** Discriminant. */
  Event: "CLICK";
  /** The menu item's key. */
  EventKey: string;
}

/** `VIEW`: a link menu item. */
export interface ViewEvent extends EventBase {
  /** Discriminant. */
  Event: "VIEW";
  /** The URL. */
  EventKey: string;
  /** Menu id (personalised menus). */
  MenuId?: string;
}

/** Scan result of a scancode menu event. */
export interface ScanCodeInfo {
  /** Code type, e.g. `qrcode`. */
  ScanType: string;
  /** Decoded content. */
  ScanResult: string;
}

/** `scancode_push` / `scancode_waitmsg`: a scan menu item. */
export interface ScanCodeEvent extends EventBase {
  /** Discriminant. */
  Event: "scancode_push" | "scancode_waitmsg";
  /** The menu item's key. */
  EventKey: string;
  /** The scan result. */
  ScanCodeInfo: ScanCodeInfo;
}

/** One picture of a picture menu event. */
export interface SendPicItem {
  /** MD5 of the picture. */
  PicMd5Sum: string;
}

/** Pictures of a picture menu event. */
export interface SendPicsInfo {
  /** Number of pictures, as sent. */
  Count: string;
  /** The pictures; `item` is always an array. */
  PicList: { item: SendPicItem[] };
}

/** `pic_sysphoto` / `pic_photo_or_album` / `pic_weixin`: a picture menu item. */
export interface PicEvent extends EventBase {
  /** Discriminant. */
  Event: "pic_sysphoto" | "pic_photo_or_album" | "pic_weixin";
  /** The menu item's key. */
  EventKey: string;
  /** The pictures sent. */
  SendPicsInfo: SendPicsInfo;
}

/** Location sent through a location menu item. */
export interface SendLocationInfo {
  /** Latitude. */
  Location_X: string;
  /** Longitude. */
  Location_Y: string;
  /** Map zoom. */
  Scale: string;
  /** Place description. */
  Label: string;
  /** Point-of-interest name. */
  Poiname?: string;
}

/** `location_select`: a location menu item. */
export interface LocationSelectEvent extends EventBase {
  /** Discriminant. */
  Event: "location_select";
  /** The menu item's key. */
  EventKey: string;
  /** The location sent. */
  SendLocationInfo: SendLocationInfo;
}

/** `TEMPLATESENDJOBFINISH`: delivery result of a template message. */
export interface TemplateSendJobFinishEvent extends EventBase {
  /** Discriminant. */
  Event: "TEMPLATESENDJOBFINISH";
  /** The template message id. */
  MsgID: string;
  /** `success`, `failed:user block`, `failed: system failed`. */
  Status: string;
}

/** `MASSSENDJOBFINISH`: result of a mass message. */
export interface MassSendJobFinishEvent extends EventBase {
  /** Discriminant. */
  Event: "MASSSENDJOBFINISH";
  /** The mass message id. */
  MsgID: string;
  /** `send success`, `send fail`, `err(num)`. */
  Status: string;
  /** Recipients targeted. */
  TotalCount?: string;
  /** Recipients after filtering. */
  FilterCount?: string;
  /** Sent successfully. */
  SentCount?: string;
  /** Failed. */
  ErrorCount?: string;
  /** Originality check result, as parsed. */
  CopyrightCheckResult?: XmlElement;
}

/** `weapp_audit_success`: a Mini Program code submission passed review. */
export interface WeappAuditSuccessEvent extends EventBase {
  /** Discriminant. */
  Event: "weapp_audit_success";
  /** When it passed, Unix seconds. */
  SuccTime: string;
}

/** `weapp_audit_fail`: a Mini Program code submission failed review. */
export interface WeappAuditFailEvent extends EventBase {
  /** Discriminant. */
  Event: "weapp_audit_fail";
  /** Why it failed. */
  Reason: string;
  /** When it failed, Unix seconds. */
  FailTime: string;
  /** Screenshot media ids, `|`-separated. */
  ScreenShot?: string;
}

/** `weapp_audit_delay`: review of a Mini Program submission is delayed. */
export interface WeappAuditDelayEvent extends EventBase {
  /** Discriminant. */
  Event: "weapp_audit_delay";
  /** Why it is delayed. */
  Reason: string;
  /** When it was delayed, Unix seconds. */
  DelayTime: string;
}

/** `wxa_nickname_audit`: result of a Mini Program name review. */
export interface WxaNicknameAuditEvent extends EventBase {
  /** Discriminant. */
  Event: "wxa_nickname_audit";
  /** 2 failed, 3 passed. */
  ret: string;
  /** The name reviewed. */
  nickname: string;
  /** Why it failed, if it did. */
  reason?: string;
}

/** `user_enter_tempsession`: a user opened a Mini Program customer-service conversation. */
export interface UserEnterTempSessionEvent extends EventBase {
  /** Discriminant. */
  Event: "user_enter_tempsession";
  /** The `session-from` set on the contact button. */
  SessionFrom?: string;
}

/** Every user message kind this module types. */
export type UserMessage =
  | TextMessage
  | ImageMessage
  | VoiceMessage
  | VideoMessage
  | ShortVideoMessage
  | LocationMessage
  | LinkMessage;

/** Every event kind this module types. */
export type KnownEvent =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | ScanCodeEvent
  | PicEvent
  | LocationSelectEvent
  | TemplateSendJobFinishEvent
  | MassSendJobFinishEvent
  | WeappAuditSuccessEvent
  | WeappAuditFailEvent
  | WeappAuditDelayEvent
  | WxaNicknameAuditEvent
  | UserEnterTempSessionEvent
  | OnboardEvent;

/** Every message and event kind this module types. */
export type KnownMessage = UserMessage | KnownEvent;

/**
 * A message or event of a kind this module does not type (a new `MsgType`, or an event with a
 * new `Event`): the common fields plus every other element as parsed.
 */
export interface UnknownMessage extends MessageBase {
  /** Event kind, when `MsgType` is `event`. */
  Event?: string;
  /** Any other element, as parsed. */
  [field: string]: XmlValue | undefined;
}

/**
 * A parsed authorizer message or event. Narrow it with {@linkcode isUserMessage} or
 * {@linkcode isKnownEventOf} for one kind, or with {@linkcode isKnownMessage} before a `switch` on
 * `MsgType` and `Event`.
 */
export type AuthorizerMessage = KnownMessage | UnknownMessage;

const KNOWN_MSG_TYPES = new Set([
  "text",
  "image",
  "voice",
  "video",
  "shortvideo",
  "location",
  "link",
]);
const KNOWN_EVENTS = new Set([
  "subscribe",
  "unsubscribe",
  "SCAN",
  "LOCATION",
  "CLICK",
  "VIEW",
  "scancode_push",
  "scancode_waitmsg",
  "pic_sysphoto",
  "pic_photo_or_album",
  "pic_weixin",
  "location_select",
  "TEMPLATESENDJOBFINISH",
  "MASSSENDJOBFINISH",
  "weapp_audit_success",
  "weapp_audit_fail",
  "weapp_audit_delay",
  "wxa_nickname_audit",
  "user_enter_tempsession",
  ...ONBOARD_EVENTS,
]);

/**
 * Whether `message` is one of the kinds this module types, narrowing it to
 * {@linkcode KnownMessage}.
 *
 * @param message a parsed message
 * @returns true for a known `MsgType` (and, for events, a known `Event`)
 *
 * @example Usage
 * ```ts
 * import { isKnownMessage, parseMessage } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" +
 *     "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>",
 * );
 * if (isKnownMessage(m) && m.MsgType === "event" && m.Event === "CLICK") console.log(m.EventKey);
 * ```
 */
export function isKnownMessage(message: AuthorizerMessage): message is KnownMessage {
  return message.MsgType === "event"
    ? typeof message.Event === "string" && KNOWN_EVENTS.has(message.Event)
    : KNOWN_MSG_TYPES.has(message.MsgType);
}

/** The message type of one known user `MsgType`, e.g. `UserMessageOf<"text">`. */
export type UserMessageOf<T extends UserMessage["MsgType"]> = Extract<UserMessage, { MsgType: T }>;

/**
 * The event type of one known `Event`, e.g. `KnownEventOf<"CLICK">` (an event kind that shares
 * its interface with others, like `scancode_push`, gives that interface).
 */
export type KnownEventOf<T extends KnownEvent["Event"]> = KnownEvent extends infer K
  ? K extends { Event: infer E } ? T extends E ? K : never : never
  : never;

/**
 * Whether `message` is a user message of type `msgType`, narrowing it to that type. A direct
 * `message.MsgType === "…"` test cannot narrow {@linkcode AuthorizerMessage}, because its
 * unknown member keeps `MsgType: string`; this guard (or {@linkcode isKnownMessage} before a
 * `switch`) can.
 *
 * @param message a parsed message
 * @param msgType a known user `MsgType` (`text`, `image`, …)
 * @returns true when `message.MsgType` is `msgType`
 *
 * @example Usage
 * ```ts
 * import { isUserMessage, parseMessage } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" +
 *     "<MsgType>text</MsgType><Content>hello</Content><MsgId>1</MsgId></xml>",
 * );
 * if (isUserMessage(m, "text")) {
 *   const content: string = m.Content;
 *   console.log(content);
 * }
 * ```
 */
export function isUserMessage<T extends UserMessage["MsgType"]>(
  message: AuthorizerMessage,
  msgType: T,
): message is UserMessageOf<T> {
  return message.MsgType === msgType;
}

/**
 * Whether `message` is an event of kind `event` (`MsgType` `event`), narrowing it to that
 * event's type.
 *
 * @param message a parsed message
 * @param event a known `Event` (`subscribe`, `CLICK`, `weapp_audit_success`, …)
 * @returns true when `message` is an event and its `Event` is `event`
 *
 * @example Usage
 * ```ts
 * import { isKnownEventOf, parseMessage } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" +
 *     "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>",
 * );
 * if (isKnownEventOf(m, "CLICK")) {
 *   const key: string = m.EventKey;
 *   console.log(key);
 * }
 * ```
 */
export function isKnownEventOf<T extends KnownEvent["Event"]>(
  message: AuthorizerMessage,
  event: T,
): message is KnownEventOf<T> {
  return message.MsgType === "event" && message.Event === event;
}

/**
 * Parse a decrypted authorizer message or event (the plaintext `MessageCrypto.open` returns, or
 * an already parsed `<xml>` document) into a typed object.
 *
 * @param xml the XML text or its parsed children
 * @param options limits for parsing the text (see {@linkcode parseXml})
 * @returns the typed message; unknown kinds still parse, with their raw fields
 * @throws {XmlParseError} when the text is not safe, well-formed XML
 * @throws {PushFormatError} when a field the kind requires is missing or has the wrong shape
 *
 * @example Usage
 * ```ts
 * import { parseMessage } from "@wxopen/component/messages";
 *
 * const m = parseMessage(
 *   "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" +
 *     "<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><Recognition>你好</Recognition></xml>",
 * );
 * if (m.MsgType === "voice") console.log(m.Recognition);
 * ```
 */
export function parseMessage(
  xml: string | XmlElement,
  options?: ParseXmlOptions,
): AuthorizerMessage {
  const f = typeof xml === "string" ? parseXml(xml, options) : checkParsed(xml);
  const MsgType = req(f, "MsgType", "message");
  const kind = MsgType === "event"
    ? `event ${opt(f, "Event", "event") ?? ""}`
    : `MsgType ${MsgType}`;
  const base = {
    ...f,
    ToUserName: req(f, "ToUserName", kind),
    FromUserName: req(f, "FromUserName", kind),
    CreateTime: req(f, "CreateTime", kind),
  };
  const r = (name: string): string => req(f, name, kind);
  const o = (name: string): string | undefined => opt(f, name, kind);
  const msg = (): UserMessageBase =>
    compact({ ...base, MsgType, MsgId: o("MsgId"), MsgDataId: o("MsgDataId"), Idx: o("Idx") });

  switch (MsgType) {
    case "text":
      return compact({ ...msg(), MsgType, Content: r("Content"), bizmsgmenuid: o("bizmsgmenuid") });
    case "image":
      return { ...msg(), MsgType, PicUrl: r("PicUrl"), MediaId: r("MediaId") };
    case "voice":
      return compact({
        ...msg(),
        MsgType,
        MediaId: r("MediaId"),
        Format: r("Format"),
        Recognition: o("Recognition"),
        MediaId16K: o("MediaId16K"),
      });
    case "video":
      return { ...msg(), MsgType, MediaId: r("MediaId"), ThumbMediaId: r("ThumbMediaId") };
    case "shortvideo":
      return { ...msg(), MsgType, MediaId: r("MediaId"), ThumbMediaId: r("ThumbMediaId") };
    case "location":
      return {
        ...msg(),
        MsgType,
        Location_X: r("Location_X"),
        Location_Y: r("Location_Y"),
        Scale: r("Scale"),
        Label: r("Label"),
      };
    case "link":
      return {
        ...msg(),
        MsgType,
        Title: r("Title"),
        Description: r("Description"),
        Url: r("Url"),
      };
    case "event":
      return parseEvent(f, { ...base, MsgType }, r("Event"), kind);
    default:
      return { ...base, MsgType };
  }
}

function parseEvent(
  f: XmlElement,
  base: MessageBase & XmlElement,
  Event: string,
  kind: string,
): AuthorizerMessage {
  const r = (name: string): string => req(f, name, kind);
  const o = (name: string): string | undefined => opt(f, name, kind);
  const ev = { ...base, MsgType: "event" as const };
  switch (Event) {
    case "subscribe":
      return compact({ ...ev, Event, EventKey: o("EventKey"), Ticket: o("Ticket") });
    case "unsubscribe":
      return compact({ ...ev, Event, EventKey: o("EventKey") });
    case "SCAN":
      return compact({ ...ev, Event, EventKey: r("EventKey"), Ticket: o("Ticket") });
    case "LOCATION":
      return {
        ...ev,
        Event,
        Latitude: r("Latitude"),
        Longitude: r("Longitude"),
        Precision: r("Precision"),
      };
    case "CLICK":
      return { ...ev, Event, EventKey: r("EventKey") };
    case "VIEW":
      return compact({ ...ev, Event, EventKey: r("EventKey"), MenuId: o("MenuId") });
    case "scancode_push":
    case "scancode_waitmsg": {
      const info = reqObject(f, "ScanCodeInfo", kind);
      const sk = `${kind} ScanCodeInfo`;
      return {
        ...ev,
        Event,
        EventKey: r("EventKey"),
        ScanCodeInfo: {
          ...info,
          ScanType: req(info, "ScanType", sk),
          ScanResult: req(info, "ScanResult", sk),
        },
      };
    }
    case "pic_sysphoto":
    case "pic_photo_or_album":
    case "pic_weixin": {
      const info = reqObject(f, "SendPicsInfo", kind);
      const sk = `${kind} SendPicsInfo`;
      const picList = optObject(info, "PicList", sk) ?? {};
      const item = list(picList.item).map((it, i) => {
        const entry = it === "" ? {} : it;
        if (typeof entry !== "object" || Array.isArray(entry)) {
          throw new PushFormatError("invalid_field", "PicList.item", kind);
        }
        return { ...entry, PicMd5Sum: req(entry, "PicMd5Sum", `${sk} item ${i}`) };
      });
      return {
        ...ev,
        Event,
        EventKey: r("EventKey"),
        SendPicsInfo: { ...info, Count: req(info, "Count", sk), PicList: { ...picList, item } },
      };
    }
    case "location_select": {
      const info = reqObject(f, "SendLocationInfo", kind);
      const sk = `${kind} SendLocationInfo`;
      return {
        ...ev,
        Event,
        EventKey: r("EventKey"),
        SendLocationInfo: compact({
          ...info,
          Location_X: req(info, "Location_X", sk),
          Location_Y: req(info, "Location_Y", sk),
          Scale: req(info, "Scale", sk),
          Label: req(info, "Label", sk),
          Poiname: opt(info, "Poiname", sk),
        }),
      };
    }
    case "TEMPLATESENDJOBFINISH":
      return { ...ev, Event, MsgID: r("MsgID"), Status: r("Status") };
    case "MASSSENDJOBFINISH":
      return compact({
        ...ev,
        Event,
        MsgID: r("MsgID"),
        Status: r("Status"),
        TotalCount: o("TotalCount"),
        FilterCount: o("FilterCount"),
        SentCount: o("SentCount"),
        ErrorCount: o("ErrorCount"),
        CopyrightCheckResult: optObject(f, "CopyrightCheckResult", kind),
      });
    case "weapp_audit_success":
      return { ...ev, Event, SuccTime: r("SuccTime") };
    case "weapp_audit_fail":
      return compact({
        ...ev,
        Event,
        Reason: r("Reason"),
        FailTime: r("FailTime"),
        ScreenShot: o("ScreenShot"),
      });
    case "weapp_audit_delay":
      return { ...ev, Event, Reason: r("Reason"), DelayTime: r("DelayTime") };
    case "wxa_nickname_audit":
      return compact({
        ...ev,
        Event,
        ret: r("ret"),
        nickname: r("nickname"),
        reason: o("reason"),
      });
    case "user_enter_tempsession":
      return compact({ ...ev, Event, SessionFrom: o("SessionFrom") });
    default:
      return parseOnboardEvent(f, ev, Event, kind) ?? { ...ev, Event };
  }
}

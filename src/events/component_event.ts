/**
 * Typed authorization events: the decrypted XML WeChat pushes to a third-party platform's
 * 授权事件接收URL (`component_verify_ticket`, `authorized`, `updateauthorized`, `unauthorized`,
 * the fast-registration notices, …), keyed by `InfoType`.
 *
 * Field names are WeChat's own. Every value stays the exact string WeChat sent — `CreateTime`
 * and `AuthorizationCodeExpiredTime` included (`Number(event.CreateTime)` is exact for any Unix
 * time); elements WeChat adds later are kept on the object as parsed.
 *
 * @example Store the ticket, react to authorizations
 * ```ts
 * import { isKnownComponentEvent, parseComponentEvent } from "@wxopen/component/messages";
 *
 * const event = parseComponentEvent(
 *   "<xml><AppId><![CDATA[wx6a5c7b3deae109fb]]></AppId><CreateTime>1472650983</CreateTime>" +
 *     "<InfoType><![CDATA[component_verify_ticket]]></InfoType>" +
 *     "<ComponentVerifyTicket><![CDATA[ticket@@@sTomyzl5D]]></ComponentVerifyTicket></xml>",
 * );
 * if (isKnownComponentEvent(event)) {
 *   switch (event.InfoType) {
 *     case "component_verify_ticket":
 *       console.log(event.ComponentVerifyTicket);
 *       break;
 *     case "authorized":
 *     case "updateauthorized":
 *       console.log(event.AuthorizerAppid, event.AuthorizationCode);
 *       break;
 *   }
 * }
 * ```
 *
 * @module
 */

import { parseXml, type ParseXmlOptions, type XmlElement, type XmlValue } from "../xml/parse.ts";
import { checkParsed, compact, opt, optObject, req } from "./_fields.ts";
import { ONBOARD_INFO_TYPES, type OnboardNotice, parseOnboardNotice } from "./onboard_events.ts";

export { PushFormatError, type PushFormatErrorCode } from "./_fields.ts";

/** Fields every authorization event carries. */
export interface ComponentEventBase {
  /** The third-party platform's (component's) appid. */
  AppId: string;
  /** Unix time in seconds, exactly as sent. */
  CreateTime: string;
  /** The event kind. */
  InfoType: string;
}

/** `component_verify_ticket`: pushed every 10 minutes; needed to get a component_access_token. */
export interface ComponentVerifyTicketEvent extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "component_verify_ticket";
  /** The ticket (`ticket@@@…`). */
  ComponentVerifyTicket: string;
}

/** Fields of `authorized` and `updateauthorized`. */
export interface AuthorizationGrantFields {
  /** The authorizer's (Official Account's or Mini Program's) appid. */
  AuthorizerAppid: string;
  /** Authorization code (`queryauthcode@@@…`), to exchange with `api_query_auth`. */
  AuthorizationCode: string;
  /** Expiry of the code, Unix seconds as sent (the doc's sample shows a placeholder). */
  AuthorizationCodeExpiredTime: string;
  /** The pre-auth code the authorization was started with. */
  PreAuthCode: string;
}

/** `authorized`: an account authorized the platform. */
export interface AuthorizedEvent extends ComponentEventBase, AuthorizationGrantFields {
  /** Discriminant. */
  InfoType: "authorized";
}

/** `updateauthorized`: an authorizer changed the permission sets it grants. */
export interface UpdateAuthorizedEvent extends ComponentEventBase, AuthorizationGrantFields {
  /** Discriminant. */
  InfoType: "updateauthorized";
}

/** `unauthorized`: an authorizer withdrew its authorization. */
export interface UnauthorizedEvent extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "unauthorized";
  /** The authorizer's appid. */
  AuthorizerAppid: string;
}

/**
 * The `<info>` of a fast-registration notice: the data the registration was started with.
 * Enterprise registration sends name/code/code_type/legal_persona_*; personal registration sends
 * wxuser/idname; trial (beta) apps send unique_id/name. Unlisted elements are kept too.
 */
export interface FastRegisterInfo {
  /** Enterprise or Mini Program name. */
  name?: string;
  /** Enterprise code. */
  code?: string;
  /** 1 unified social credit code, 2 organization code, 3 business licence number. */
  code_type?: string;
  /** Legal person's WeChat ID. */
  legal_persona_wechat?: string;
  /** Legal person's name. */
  legal_persona_name?: string;
  /** The platform's contact phone. */
  component_phone?: string;
  /** Personal registration: the user's WeChat ID. */
  wxuser?: string;
  /** Personal registration: the user's name. */
  idname?: string;
  /** Trial app registration: the request's unique id. */
  unique_id?: string;
  /** Anything else WeChat sends. */
  [field: string]: XmlValue | undefined;
}

/** Fields shared by the fast-registration notices. */
export interface FastRegisterFields {
  /** Appid of the created Mini Program (empty or absent on failure). */
  appid?: string;
  /** 0 on success, otherwise an error code, as sent. */
  status: string;
  /** WeChat's message (`OK` on success). */
  msg?: string;
  /** What the registration was started with. */
  info: FastRegisterInfo;
}

/** `notify_third_fasteregister`: result of fast registration of an enterprise or personal Mini Program. */
export interface FastRegisterEvent extends ComponentEventBase, FastRegisterFields {
  /** Discriminant. */
  InfoType: "notify_third_fasteregister";
  /** Authorization code for the new Mini Program, to exchange with `api_query_auth`. */
  auth_code?: string;
  /** Registration task id (seen in recent pushes). */
  taskid?: string;
}

/** `notify_third_fastregisterbetaapp`: a trial (beta) Mini Program was created or failed. */
export interface FastRegisterBetaAppEvent extends ComponentEventBase, FastRegisterFields {
  /** Discriminant. */
  InfoType: "notify_third_fastregisterbetaapp";
}

/** `notify_third_fastverifybetaapp`: result of verifying a trial Mini Program. */
export interface FastVerifyBetaAppEvent extends ComponentEventBase, FastRegisterFields {
  /** Discriminant. */
  InfoType: "notify_third_fastverifybetaapp";
}

/** Every authorization event kind this module types. */
export type KnownComponentEvent =
  | ComponentVerifyTicketEvent
  | AuthorizedEvent
  | UpdateAuthorizedEvent
  | UnauthorizedEvent
  | FastRegisterEvent
  | FastRegisterBetaAppEvent
  | FastVerifyBetaAppEvent
  | OnboardNotice;

/**
 * An event with an `InfoType` this module does not type (e.g. a kind WeChat adds later):
 * the common fields plus every other element as parsed.
 */
export interface UnknownComponentEvent extends ComponentEventBase {
  /** Any other element, as parsed. */
  [field: string]: XmlValue;
}

/**
 * A parsed authorization event. Narrow it with {@linkcode isComponentEvent} for one kind, or
 * with {@linkcode isKnownComponentEvent} before a `switch` on `InfoType` (TypeScript cannot
 * narrow a union with an open `string` member by value).
 */
export type ComponentEvent = KnownComponentEvent | UnknownComponentEvent;

/** The `InfoType` values this module types. */
export const KNOWN_INFO_TYPES: readonly KnownComponentEvent["InfoType"][] = [
  "component_verify_ticket",
  "authorized",
  "updateauthorized",
  "unauthorized",
  "notify_third_fasteregister",
  "notify_third_fastregisterbetaapp",
  "notify_third_fastverifybetaapp",
  ...ONBOARD_INFO_TYPES,
];

const KNOWN = new Set<string>(KNOWN_INFO_TYPES);

/**
 * Whether `event` is one of the kinds this module types, narrowing it to
 * {@linkcode KnownComponentEvent}.
 *
 * @param event a parsed event
 * @returns true for a known `InfoType`
 *
 * @example Usage
 * ```ts
 * import { isKnownComponentEvent, parseComponentEvent } from "@wxopen/component/messages";
 *
 * const e = parseComponentEvent("<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>new_kind</InfoType></xml>");
 * isKnownComponentEvent(e); // false
 * ```
 */
export function isKnownComponentEvent(event: ComponentEvent): event is KnownComponentEvent {
  return KNOWN.has(event.InfoType);
}

/** The event type of one known `InfoType`, e.g. `ComponentEventOf<"authorized">`. */
export type ComponentEventOf<T extends KnownComponentEvent["InfoType"]> = Extract<
  KnownComponentEvent,
  { InfoType: T }
>;

/**
 * Whether `event` is of kind `infoType`, narrowing it to that kind's type. A direct
 * `event.InfoType === "…"` test cannot narrow {@linkcode ComponentEvent}, because its unknown
 * member keeps `InfoType: string`; this guard (or {@linkcode isKnownComponentEvent} before a
 * `switch`) can.
 *
 * @param event a parsed event
 * @param infoType a known `InfoType`
 * @returns true when `event.InfoType` is `infoType`
 *
 * @example Usage
 * ```ts
 * import { isComponentEvent, parseComponentEvent } from "@wxopen/component/messages";
 *
 * const e = parseComponentEvent(
 *   "<xml><AppId>wxb3d033d520d15fe7</AppId><CreateTime>1496461034</CreateTime>" +
 *     "<InfoType>unauthorized</InfoType><AuthorizerAppid>wxd101a85aa106f53e</AuthorizerAppid></xml>",
 * );
 * if (isComponentEvent(e, "unauthorized")) {
 *   const appid: string = e.AuthorizerAppid;
 *   console.log(appid);
 * }
 * ```
 */
export function isComponentEvent<T extends KnownComponentEvent["InfoType"]>(
  event: ComponentEvent,
  infoType: T,
): event is ComponentEventOf<T> {
  return event.InfoType === infoType;
}

/**
 * Parse a decrypted authorization event (the plaintext that `MessageCrypto.open` returns, or
 * an already parsed `<xml>` document) into a typed object.
 *
 * @param xml the XML text or its parsed children
 * @param options limits for parsing the text (see {@linkcode parseXml})
 * @returns the typed event; unknown `InfoType`s still parse, with their raw fields
 * @throws {XmlParseError} when the text is not safe, well-formed XML
 * @throws {PushFormatError} when a field the kind requires is missing or not text
 *
 * @example Usage
 * ```ts
 * import { isComponentEvent, parseComponentEvent } from "@wxopen/component/messages";
 *
 * const e = parseComponentEvent(
 *   "<xml><AppId>wxb3d033d520d15fe7</AppId><CreateTime>1496461034</CreateTime>" +
 *     "<InfoType>unauthorized</InfoType><AuthorizerAppid>wxd101a85aa106f53e</AuthorizerAppid></xml>",
 * );
 * if (isComponentEvent(e, "unauthorized")) console.log(e.AuthorizerAppid);
 * ```
 */
export function parseComponentEvent(
  xml: string | XmlElement,
  options?: ParseXmlOptions,
): ComponentEvent {
  const fields = typeof xml === "string" ? parseXml(xml, options) : checkParsed(xml);
  const InfoType = req(fields, "InfoType", "authorization event");
  const kind = `InfoType ${InfoType}`;
  const base = {
    ...fields,
    AppId: req(fields, "AppId", kind),
    CreateTime: req(fields, "CreateTime", kind),
    InfoType,
  };
  switch (InfoType) {
    case "component_verify_ticket":
      return {
        ...base,
        InfoType,
        ComponentVerifyTicket: req(fields, "ComponentVerifyTicket", kind),
      };
    case "authorized":
    case "updateauthorized":
      return {
        ...base,
        InfoType,
        AuthorizerAppid: req(fields, "AuthorizerAppid", kind),
        AuthorizationCode: req(fields, "AuthorizationCode", kind),
        AuthorizationCodeExpiredTime: req(fields, "AuthorizationCodeExpiredTime", kind),
        PreAuthCode: req(fields, "PreAuthCode", kind),
      };
    case "unauthorized":
      return { ...base, InfoType, AuthorizerAppid: req(fields, "AuthorizerAppid", kind) };
    case "notify_third_fasteregister":
      return compact({
        ...fastRegister(fields, base, kind),
        InfoType,
        auth_code: opt(fields, "auth_code", kind),
        taskid: opt(fields, "taskid", kind),
      });
    case "notify_third_fastregisterbetaapp":
      return { ...fastRegister(fields, base, kind), InfoType };
    case "notify_third_fastverifybetaapp":
      return { ...fastRegister(fields, base, kind), InfoType };
    default:
      return parseOnboardNotice(fields, base, InfoType, kind) ?? base;
  }
}

function fastRegister(
  fields: XmlElement,
  base: ComponentEventBase & XmlElement,
  kind: string,
): ComponentEventBase & FastRegisterFields {
  const info = optObject(fields, "info", kind) ?? {};
  return compact({
    ...base,
    appid: opt(fields, "appid", kind),
    status: req(fields, "status", kind),
    msg: opt(fields, "msg", kind),
    info,
  });
}

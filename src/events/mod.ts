/**
 * Pushes and messages: the typed component pushes of the authorization event URL, the typed
 * messages and events of every authorizer, and the passive reply builders.
 *
 * @example Parse an authorizer message and answer it
 * ```ts
 * import { parseMessage, replyTo, textReply } from "@wxopen/component/messages";
 *
 * const message = parseMessage(
 *   "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" +
 *     "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",
 * );
 * const reply = textReply(replyTo(message), "hello");
 * console.log(reply.includes("<Content><![CDATA[hello]]></Content>")); // true
 * ```
 *
 * @module
 */

export * from "./component_event.ts";
export * from "./message.ts";
export {
  type AppealMaterial,
  type ApplyIcpFilingResultNotice,
  type IcpFilingVerifyResultNotice,
  ONBOARD_EVENTS,
  ONBOARD_INFO_TYPES,
  type OnboardEvent,
  type OnboardNotice,
  type PrivacyApplyResult,
  type VerifyDispatchInfo,
  type WxaAppealRecordEvent,
  type WxaAuthAndIcpNotice,
  type WxaAuthNotice,
  type WxaCategoryAuditEvent,
  type WxaIllegalRecordEvent,
  type WxaPrivacyApplyEvent,
  type WxaWxverifyNotice,
  type WxVerifyDispatchEvent,
  type WxVerifyPaySuccEvent,
} from "./onboard_events.ts";
export * from "../reply.ts";

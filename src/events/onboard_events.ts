/**
 * The pushes of Mini Program onboarding and compliance, typed: authorizer events on the
 * 消息与事件接收URL (privacy-interface applications, category reviews, violations and appeals,
 * WeChat verification payment and dispatch) and third-party notices on the 授权事件接收URL
 * (verification, annual verification, ICP filing). `parseMessage` and `parseComponentEvent` give
 * these types; every value stays the string WeChat sent, and elements not listed are kept.
 *
 * @module
 */

import type { XmlElement, XmlValue } from "../xml/parse.ts";
import { list, opt, optObject, PushFormatError, req, reqObject } from "./_fields.ts";
import type { ComponentEventBase } from "./component_event.ts";
import type { EventBase, MessageBase } from "./message.ts";

// ---- authorizer events ----------------------------------------------------------------------

/** `result_info` of `wxa_privacy_apply`. */
export interface PrivacyApplyResult {
  /** The front-end API applied for (`wx.getLocation`…); WeChat's sample quotes the values. */
  api_name?: string;
  /** The application's id (`audit_id` of `apply_privacy_interface`). */
  audit_id?: string;
  /** Unix seconds of the application. */
  apply_time?: string;
  /** Unix seconds of the decision. */
  audit_time?: string;
  /** Why it was refused (empty when granted). */
  reason?: XmlValue;
  /** The decision as pushed (samples: 2 refused, 3 granted; numbered unlike get_privacy_interface). */
  status?: string;
  /** Anything else WeChat sends. */
  [field: string]: XmlValue | undefined;
}

/** `wxa_privacy_apply`: a privacy-interface application was decided. */
export interface WxaPrivacyApplyEvent extends EventBase {
  /** Discriminant. */
  Event: "wxa_privacy_apply";
  /** The decision. */
  result_info: PrivacyApplyResult;
}

/** `wxa_category_audit`: a category the Mini Program added was reviewed. */
export interface WxaCategoryAuditEvent extends EventBase {
  /** Discriminant. */
  Event: "wxa_category_audit";
  /** 2 refused, 3 passed. */
  ret: string;
  /** The first-level category id. */
  first?: string;
  /** The second-level category id. */
  second?: string;
  /** Why it was refused. */
  reason?: string;
}

/** `wxa_illegal_record`: the Mini Program was penalized for a violation. */
export interface WxaIllegalRecordEvent extends EventBase {
  /** Discriminant. */
  Event: "wxa_illegal_record";
  /** The violation record's id (for `wxa/getappealrecords`). */
  illegal_record_id: string;
  /** The Mini Program. */
  appid?: string;
  /** Unix seconds of the penalty. */
  create_time?: string;
  /** Why. */
  illegal_reason?: string;
  /** What was found. */
  illegal_content?: string;
  /** The rule's page. */
  rule_url?: string;
  /** The rule broken. */
  rule_name?: string;
}

/** One `material` of `wxa_appeal_record`: the violation and the appeal's answer to it. */
export interface AppealMaterial {
  /** `content`, `content_url`. */
  illegal_material?: XmlElement;
  /** `reason`, `proof_material_id`. */
  appeal_material?: XmlElement;
  /** Anything else WeChat sends. */
  [field: string]: XmlValue | undefined;
}

/** `wxa_appeal_record`: an appeal against a penalty was filed or decided. */
export interface WxaAppealRecordEvent extends EventBase {
  /** Discriminant. */
  Event: "wxa_appeal_record";
  /** The appeal's id. */
  appeal_record_id: string;
  /** The Mini Program. */
  appid?: string;
  /** Unix seconds of the appeal. */
  appeal_time?: string;
  /** How many times it was appealed. */
  appeal_count?: string;
  /** 0 the user, 1 the platform. */
  appeal_from?: string;
  /** 1 in progress, 2 upheld, 3 refused, 4 withdrawn. */
  appeal_status?: string;
  /** Unix seconds of the decision (not while in progress or withdrawn). */
  audit_time?: string;
  /** The decision's reason. */
  audit_reason?: string;
  /** The penalty's description. */
  punish_description?: string;
  /** The materials, always a list. */
  material: AppealMaterial[];
}

/** `wx_verify_pay_succ`: the WeChat verification fee was paid. */
export interface WxVerifyPaySuccEvent extends EventBase {
  /** Discriminant. */
  Event: "wx_verify_pay_succ";
  /** The verification order. */
  OrderId?: string;
}

/** `wx_verify_dispatch`: the verification was given to a review provider. */
export interface WxVerifyDispatchEvent extends EventBase {
  /** Discriminant. */
  Event: "wx_verify_dispatch";
  /** The provider reviewing it. */
  Provider?: string;
  /** How to reach the provider. */
  Contact?: string;
  /** Unix seconds of the dispatch. */
  DispatchTime?: string;
}

/** The authorizer events this module types. */
export type OnboardEvent =
  | WxaPrivacyApplyEvent
  | WxaCategoryAuditEvent
  | WxaIllegalRecordEvent
  | WxaAppealRecordEvent
  | WxVerifyPaySuccEvent
  | WxVerifyDispatchEvent;

/** A kind's required text field (`""`: none) and its optional text fields, space-separated. */
type Fields = readonly [string, string];

function fieldsOf(table: Readonly<Record<string, Fields>>, name: string): Fields | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * Each kind's required text field (if any) and optional text fields: a table keeps the parser
 * small (the worker's bundle carries it).
 */
const EVENT_FIELDS: Readonly<Record<OnboardEvent["Event"], Fields>> = {
  wxa_privacy_apply: ["", ""],
  wxa_category_audit: ["ret", "first second reason"],
  wxa_illegal_record: [
    "illegal_record_id",
    "appid create_time illegal_reason illegal_content rule_url rule_name",
  ],
  wxa_appeal_record: [
    "appeal_record_id",
    "appid appeal_time appeal_count appeal_from appeal_status audit_time audit_reason " +
    "punish_description",
  ],
  wx_verify_pay_succ: ["", "OrderId"],
  wx_verify_dispatch: ["", "Provider Contact DispatchTime"],
};

/** Their `Event` values. */
export const ONBOARD_EVENTS: readonly OnboardEvent["Event"][] = Object.keys(
  EVENT_FIELDS,
) as OnboardEvent["Event"][];

/** Checks a kind's text fields: the required one present, every listed one text if present. */
function textFields(
  f: XmlElement,
  spec: Fields,
  kind: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (spec[0]) out[spec[0]] = req(f, spec[0], kind);
  for (const name of spec[1].split(" ")) {
    const v = name ? opt(f, name, kind) : undefined;
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Parses one of {@linkcode ONBOARD_EVENTS}; `undefined` for any other `Event`. */
export function parseOnboardEvent(
  f: XmlElement,
  ev: MessageBase & { MsgType: "event" } & XmlElement,
  Event: string,
  kind: string,
): OnboardEvent | undefined {
  const spec = fieldsOf(EVENT_FIELDS, Event);
  if (!spec) return undefined;
  const out: XmlElement = { ...ev, Event, ...textFields(f, spec, kind) };
  if (Event === "wxa_privacy_apply") out.result_info = reqObject(f, "result_info", kind);
  if (Event === "wxa_appeal_record") {
    out.material = list(f.material).map((m) => {
      if (m === "") return {};
      if (typeof m !== "object" || Array.isArray(m)) {
        throw new PushFormatError("invalid_field", "material", kind);
      }
      return m;
    });
  }
  return out as unknown as OnboardEvent;
}

// ---- third-party notices (授权事件接收URL) ---------------------------------------------------

/** `dispatch_info` of `notify_3rd_wxa_auth`. */
export interface VerifyDispatchInfo {
  /** The review provider. */
  provider?: string;
  /** How to reach it. */
  contact?: string;
  /** Unix seconds of the dispatch. */
  dispatch_time?: string;
  /** Anything else WeChat sends. */
  [field: string]: XmlValue | undefined;
}

/** `notify_3rd_wxa_auth`: progress of a Mini Program's WeChat verification (`wxa/sec/wxaauth`). */
export interface WxaAuthNotice extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "notify_3rd_wxa_auth";
  /** The verification task. */
  taskid: string;
  /** The Mini Program. */
  appid?: string;
  /** The task's state (0 created … 12 review created, 14 failed, 15 waiting for payment). */
  task_status?: string;
  /** The review's state (1 to pay, 2 in review, 3 to refill, 4 passed, 5 failed). */
  apply_status?: string;
  /** WeChat's message or the failure's reason. */
  message?: string;
  /** The provider the review went to. */
  dispatch_info?: VerifyDispatchInfo;
}

/** `notify_3rd_wxa_wxverify`: a Mini Program's verification (annual review) is about to expire. */
export interface WxaWxverifyNotice extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "notify_3rd_wxa_wxverify";
  /** The Mini Program. */
  appid?: string;
  /** Unix seconds when the verification expires. */
  expired?: string;
}

/** `notify_icpfiling_verify_result`: result of an ICP filing's face verification task. */
export interface IcpFilingVerifyResultNotice extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "notify_icpfiling_verify_result";
  /** The verification task (`wxa/icp/create_icp_verifytask`). */
  task_id: string;
  /** The Mini Program. */
  verify_appid?: string;
  /** 2 failed, 3 passed (kept as parsed: its shape is not documented beyond that). */
  result?: XmlValue;
  /** With `along_with_auth`: 9 when the verification's SMS check passed too. */
  along_with_auth_result?: string;
}

/** `notify_apply_icpfiling_result`: an ICP filing was refused or approved. */
export interface ApplyIcpFilingResultNotice extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "notify_apply_icpfiling_result";
  /** The Mini Program. */
  authorizer_appid?: string;
  /** The filing's state (as `wxa/icp/get_icp_entrance_info`: 2 … 6 filed, 1024 none). */
  beian_status?: string;
}

/** `notify_3rd_wxa_auth_and_icp`: progress of a combined verification and ICP filing. */
export interface WxaAuthAndIcpNotice extends ComponentEventBase {
  /** Discriminant. */
  InfoType: "notify_3rd_wxa_auth_and_icp";
  /** The combined task (`wxa/sec/query_auth_and_icp`). */
  procedure_id: string;
  /** The Mini Program. */
  appid?: string;
  /** The task's state (15 to pay … 26 done, 27 expired, 28 ended, 29 filing withdrawn). */
  procedure_status?: string;
}

/** The third-party notices this module types. */
export type OnboardNotice =
  | WxaAuthNotice
  | WxaWxverifyNotice
  | IcpFilingVerifyResultNotice
  | ApplyIcpFilingResultNotice
  | WxaAuthAndIcpNotice;

const NOTICE_FIELDS: Readonly<Record<OnboardNotice["InfoType"], Fields>> = {
  notify_3rd_wxa_auth: ["taskid", "appid task_status apply_status message"],
  notify_3rd_wxa_wxverify: ["", "appid expired"],
  notify_icpfiling_verify_result: ["task_id", "verify_appid along_with_auth_result"],
  notify_apply_icpfiling_result: ["", "authorizer_appid beian_status"],
  notify_3rd_wxa_auth_and_icp: ["procedure_id", "appid procedure_status"],
};

/** Their `InfoType` values. */
export const ONBOARD_INFO_TYPES: readonly OnboardNotice["InfoType"][] = Object.keys(
  NOTICE_FIELDS,
) as OnboardNotice["InfoType"][];

/** Parses one of {@linkcode ONBOARD_INFO_TYPES}; `undefined` for any other `InfoType`. */
export function parseOnboardNotice(
  f: XmlElement,
  base: ComponentEventBase & XmlElement,
  InfoType: string,
  kind: string,
): OnboardNotice | undefined {
  const spec = fieldsOf(NOTICE_FIELDS, InfoType);
  if (!spec) return undefined;
  const out: XmlElement = { ...base, InfoType, ...textFields(f, spec, kind) };
  if (InfoType === "notify_3rd_wxa_auth") {
    const info = optObject(f, "dispatch_info", kind);
    if (info) out.dispatch_info = info;
  }
  return out as unknown as OnboardNotice;
}

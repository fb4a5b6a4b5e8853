/**
 * Fast registration of Mini Programs (快速注册): an enterprise's or a person's Mini Program,
 * a trial (beta) Mini Program and its verification, and a Mini Program reusing an Official
 * Account's verified subject. WeChat finishes the first three asynchronously and pushes the
 * result to the 授权事件接收URL (`notify_third_fasteregister`, `notify_third_fastregisterbetaapp`,
 * `notify_third_fastverifybetaapp`); the new Mini Program is then authorized to the platform.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import {
  AccountFastRegisterSchema,
  BetaWeappSchema,
  PersonalWeappSchema,
} from "./_onboard_schemas.ts";
import { OkSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** `action=create` of `cgi-bin/component/fastregisterweapp`: an enterprise's Mini Program. */
export interface FastRegisterWeappCreate {
  /** Start a registration. */
  action: "create";
  /** The enterprise's registered name (个体户: "个体户" + the legal person's name). */
  name: string;
  /** The enterprise's code. */
  code: string;
  /** 1 unified social credit code (18), 2 organization code (9), 3 business licence number (15). */
  code_type: 1 | 2 | 3;
  /** The legal person's WeChat ID: they confirm in WeChat within 24 hours. */
  legal_persona_wechat: string;
  /** The legal person's name (as on their bound bank card). */
  legal_persona_name: string;
  /** The platform's contact phone. */
  component_phone?: string;
}

/** `action=search`: the state of a registration started with these details. */
export interface FastRegisterWeappSearch {
  /** Ask about a registration. */
  action: "search";
  /** The enterprise's name. */
  name: string;
  /** The legal person's WeChat ID. */
  legal_persona_wechat: string;
  /** The legal person's name. */
  legal_persona_name: string;
}

/** Input of `cgi-bin/component/fastregisterweapp`. */
export type FastRegisterWeappInput = FastRegisterWeappCreate | FastRegisterWeappSearch;

/** Input of `wxa/component/fastregisterpersonalweapp`. */
export type FastRegisterPersonalWeappInput =
  | {
    /** Start a registration: the person confirms by face and phone within 24 hours. */
    action: "create";
    /** The person's name. */
    idname: string;
    /** The person's WeChat ID. */
    wxuser: string;
    /** The platform's contact phone. */
    component_phone?: string;
  }
  | {
    /** Ask about a registration. */
    action: "query";
    /** The task id `create` answered. */
    taskid: string;
  };

/** `wxa/component/fastregisterpersonalweapp` response. */
export interface FastRegisterPersonalWeappResponse {
  /** The task id (for `query`). */
  taskid?: string;
  /** The page the person opens in WeChat to confirm (QR code it). */
  authorize_url?: string;
  /** The task's state: 0 created … 12 created the Mini Program, 1001+ a limit or a block. */
  status?: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/component/fastregisterbetaweapp` response. */
export interface FastRegisterBetaWeappResponse {
  /** The request's id, repeated in `notify_third_fastregisterbetaapp`. */
  unique_id: string;
  /** The page the user opens in WeChat to create the trial Mini Program (24 hours). */
  authorize_url: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `verify_info` of `wxa/verifybetaweapp`: the enterprise behind a trial Mini Program. */
export interface BetaVerifyInfo {
  /** The enterprise's name. */
  enterprise_name: string;
  /** The enterprise's code. */
  code: string;
  /** 1, 2 or 3 as for `fastregisterweapp`. */
  code_type: 1 | 2 | 3;
  /** The legal person's WeChat ID. */
  legal_persona_wechat: string;
  /** The legal person's name. */
  legal_persona_name: string;
  /** The legal person's ID card number. */
  legal_persona_idcard?: string;
  /** The platform's contact phone. */
  component_phone?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/account/fastregister` response. */
export interface AccountFastRegisterResponse {
  /** The new Mini Program's appid. */
  appid: string;
  /** Its authorization code, for `api_query_auth` (`queryAuth`). */
  authorization_code: string;
  /** Whether the Official Account's verification was copied. */
  is_wx_verify_succ?: boolean | number;
  /** Whether the Mini Program was linked to the Official Account. */
  is_link_succ?: boolean | number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

const CODE_TYPES: readonly unknown[] = [1, 2, 3];

function codeType(value: unknown): void {
  if (!CODE_TYPES.includes(value)) throw new TypeError("Invalid code_type: expected 1, 2 or 3");
}

function optional(name: string, value: unknown): void {
  if (value !== undefined) nonEmpty(name, value);
}

/** The fast-registration APIs, by the name WeChat's documentation gives them. */
export const registerApis = {
  /** `cgi-bin/component/fastregisterweapp`: an enterprise's Mini Program (`create`, `search`). */
  fastRegisterWeapp: {
    path: "/cgi-bin/component/fastregisterweapp",
    method: "POST",
    auth: "component",
    query: (input) => {
      const action = input?.action;
      if (action !== "create" && action !== "search") {
        throw new TypeError('Invalid action: expected "create" or "search"');
      }
      return { action };
    },
    body: (input) => {
      const { action: _, ...body } = input;
      nonEmpty("name", body.name);
      nonEmpty("legal_persona_wechat", body.legal_persona_wechat);
      nonEmpty("legal_persona_name", body.legal_persona_name);
      if (input.action === "create") {
        nonEmpty("code", input.code);
        codeType(input.code_type);
        optional("component_phone", input.component_phone);
      }
      return body;
    },
    schema: OkSchema,
  } satisfies Endpoint<FastRegisterWeappInput, OkResponse>,

  /** `wxa/component/fastregisterpersonalweapp`: a person's Mini Program (`create`, `query`). */
  fastRegisterPersonalWeapp: {
    path: "/wxa/component/fastregisterpersonalweapp",
    method: "POST",
    auth: "component",
    query: (input) => {
      const action = input?.action;
      if (action !== "create" && action !== "query") {
        throw new TypeError('Invalid action: expected "create" or "query"');
      }
      return { action };
    },
    body: (input) => {
      if (input.action === "query") return { taskid: nonEmpty("taskid", input.taskid) };
      nonEmpty("idname", input.idname);
      nonEmpty("wxuser", input.wxuser);
      optional("component_phone", input.component_phone);
      const { action: _, ...body } = input;
      return body;
    },
    schema: PersonalWeappSchema,
  } satisfies Endpoint<FastRegisterPersonalWeappInput, FastRegisterPersonalWeappResponse>,

  /** `wxa/component/fastregisterbetaweapp`: a trial Mini Program for a WeChat user (openid). */
  fastRegisterBetaWeapp: {
    path: "/wxa/component/fastregisterbetaweapp",
    method: "POST",
    auth: "component",
    body: (input) => {
      const name = nonEmpty("name", input?.name);
      if ([...name].length < 4 || [...name].length > 30) {
        throw new RangeError("Invalid name: expected 4 to 30 characters");
      }
      return { name, openid: nonEmpty("openid", input.openid) };
    },
    schema: BetaWeappSchema,
  } satisfies Endpoint<{ name: string; openid: string }, FastRegisterBetaWeappResponse>,

  /** `wxa/verifybetaweapp`: verifies a trial Mini Program as an enterprise's (its own token). */
  verifyBetaWeapp: {
    path: "/wxa/verifybetaweapp",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      const info = input?.verify_info;
      if (typeof info !== "object" || info === null) {
        throw new TypeError("Invalid verify_info: expected an object");
      }
      nonEmpty("verify_info.enterprise_name", info.enterprise_name);
      nonEmpty("verify_info.code", info.code);
      codeType(info.code_type);
      nonEmpty("verify_info.legal_persona_wechat", info.legal_persona_wechat);
      nonEmpty("verify_info.legal_persona_name", info.legal_persona_name);
      return { verify_info: info };
    },
    schema: OkSchema,
  } satisfies Endpoint<{ verify_info: BetaVerifyInfo }, OkResponse>,

  /** `wxa/setbetaweappnickname`: renames a trial Mini Program (its own token). */
  setBetaWeappNickname: {
    path: "/wxa/setbetaweappnickname",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({ name: nonEmpty("name", input?.name) }),
    schema: OkSchema,
  } satisfies Endpoint<{ name: string }, OkResponse>,

  /**
   * `cgi-bin/account/fastregister`: a Mini Program reusing an Official Account's subject, with
   * the ticket its administrator's confirmation gave (the Official Account's token).
   */
  fastRegister: {
    path: "/cgi-bin/account/fastregister",
    method: "POST",
    auth: "authorizer",
    body: (input) => ({ ticket: nonEmpty("ticket", input?.ticket) }),
    schema: AccountFastRegisterSchema,
  } satisfies Endpoint<{ ticket: string }, AccountFastRegisterResponse>,
} as const;

/**
 * A mini program's testers (体验者): WeChat users allowed to open its experience version.
 * Bound by WeChat id, known afterwards by an opaque `userstr`.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { OkSchema } from "./_schemas.ts";
import { BindTesterSchema, MemberAuthSchema } from "./_testers_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** Input of `wxa/bind_tester`. */
export interface BindTesterInput {
  /** The user's WeChat id (微信号). */
  wechatid: string;
}

/** `wxa/bind_tester` response. */
export interface BindTesterResponse {
  /** The tester's id for this mini program (for `unbindTester`, listed by `memberAuth`). */
  userstr: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `wxa/unbind_tester`: the WeChat id or the `userstr` (one of them). */
export type UnbindTesterInput = { wechatid: string; userstr?: never } | {
  userstr: string;
  wechatid?: never;
};

/** Input of `wxa/memberauth`. */
export interface MemberAuthInput {
  /** The only action WeChat documents: list the testers. */
  action: "get_experiencer";
}

/** `wxa/memberauth` response. */
export interface MemberAuthResponse {
  /** The testers. */
  members: { userstr: string; [key: string]: unknown }[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Invalid ${name} input: expected an object`);
  }
  return value as Record<string, unknown>;
}

/** `wxa/bind_tester`: makes a WeChat user a tester. */
export const bindTester = {
  path: "/wxa/bind_tester",
  method: "POST",
  auth: "authorizer",
  body: (input) => ({ wechatid: nonEmpty("wechatid", object("bindTester", input).wechatid) }),
  schema: BindTesterSchema,
} satisfies Endpoint<BindTesterInput, BindTesterResponse>;

/** `wxa/unbind_tester`: removes a tester, by WeChat id or `userstr`. */
export const unbindTester = {
  path: "/wxa/unbind_tester",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const i = object("unbindTester", input);
    if ((i.wechatid === undefined) === (i.userstr === undefined)) {
      throw new TypeError("Invalid unbindTester input: expected wechatid or userstr");
    }
    return i.wechatid !== undefined
      ? { wechatid: nonEmpty("wechatid", i.wechatid) }
      : { userstr: nonEmpty("userstr", i.userstr) };
  },
  schema: OkSchema,
} satisfies Endpoint<UnbindTesterInput, OkResponse>;

/** `wxa/memberauth`: lists the testers. */
export const memberAuth = {
  path: "/wxa/memberauth",
  method: "POST",
  auth: "authorizer",
  body: (input) => {
    const action = input === undefined ? "get_experiencer" : object("memberAuth", input).action;
    if (action !== "get_experiencer") {
      throw new TypeError('Invalid action: expected "get_experiencer"');
    }
    return { action };
  },
  schema: MemberAuthSchema,
} satisfies Endpoint<MemberAuthInput | undefined, MemberAuthResponse>;

/** The tester APIs, by the client method that calls them. */
export const testerApis = { bindTester, unbindTester, memberAuth } as const;

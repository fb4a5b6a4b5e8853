/**
 * Open Platform accounts (开放平台账号) on an authorizer's behalf: the accounts bound to one
 * share their users' `unionid`. An account created here takes the authorizer's subject, is
 * unverified, and binds only accounts of that subject. All take the authorizer's own token;
 * `appid`, when given, must be the token's account (40013 otherwise).
 *
 * Methods are named by WeChat's documentation names (`createOpenAccount` for `cgi-bin/open/create`…):
 * the paths' last segments alone (`create`, `get`) would not say what they act on.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { HaveOpenSchema, OpenAppIdSchema } from "./_onboard_schemas.ts";
import { OkSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** `cgi-bin/open/create` and `cgi-bin/open/get` response. */
export interface OpenAppIdResponse {
  /** The Open Platform account's appid. */
  open_appid: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/open/have` response. */
export interface HaveOpenResponse {
  /** Whether the account is bound to an Open Platform account. */
  have_open: boolean;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** The optional `appid` of these APIs: the token's own account. */
export interface OwnAppId {
  /** Default: the account whose token is used (if given, it must be that one). */
  appid?: string;
}

function own(input: OwnAppId | undefined | void): OwnAppId {
  const appid = input?.appid;
  return appid === undefined ? {} : { appid: nonEmpty("appid", appid) };
}

function withOpen(input: OwnAppId & { open_appid: string }): Record<string, string> {
  return { ...own(input), open_appid: nonEmpty("open_appid", input?.open_appid) };
}

/** The open-account APIs, by the name WeChat's documentation gives them. */
export const openAccountApis = {
  /** `cgi-bin/open/create`: creates an Open Platform account and binds this account to it. */
  createOpenAccount: {
    path: "/cgi-bin/open/create",
    method: "POST",
    auth: "authorizer",
    body: own,
    schema: OpenAppIdSchema,
  } satisfies Endpoint<OwnAppId | void, OpenAppIdResponse>,

  /** `cgi-bin/open/bind`: binds this account to an Open Platform account (same subject). */
  bindOpenAccount: {
    path: "/cgi-bin/open/bind",
    method: "POST",
    auth: "authorizer",
    body: withOpen,
    schema: OkSchema,
  } satisfies Endpoint<OwnAppId & { open_appid: string }, OkResponse>,

  /** `cgi-bin/open/unbind`: unbinds this account from its Open Platform account. */
  unbindOpenAccount: {
    path: "/cgi-bin/open/unbind",
    method: "POST",
    auth: "authorizer",
    body: withOpen,
    schema: OkSchema,
  } satisfies Endpoint<OwnAppId & { open_appid: string }, OkResponse>,

  /** `cgi-bin/open/get`: the Open Platform account this account is bound to (89002: none). */
  getOpenAccount: {
    path: "/cgi-bin/open/get",
    method: "POST",
    auth: "authorizer",
    body: own,
    schema: OpenAppIdSchema,
  } satisfies Endpoint<OwnAppId | void, OpenAppIdResponse>,

  /** `cgi-bin/open/have`: whether this account is bound to an Open Platform account. */
  haveOpenAccount: {
    path: "/cgi-bin/open/have",
    method: "POST",
    auth: "authorizer",
    body: () => ({}),
    schema: HaveOpenSchema,
  } satisfies Endpoint<void, HaveOpenResponse>,
} as const;

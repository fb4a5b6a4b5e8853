/**
 * A mini program's domains, and the platform's own: the server domains (服务器域名: request,
 * socket, uploadFile, downloadFile, UDP, TCP) and the web-view domains (业务域名) of an
 * authorized mini program, set within the platform's registered domains (`modify_domain`,
 * `setwebviewdomain`) or directly (`…_directly`); the platform's registered domains
 * (`cgi-bin/component/modify_wxa_server_domain`, `modify_wxa_jump_domain`) and the confirm files
 * WeChat checks on a web-view domain.
 *
 * @module
 */

import {
  ConfirmFileSchema,
  ModifyDomainSchema,
  PlatformDomainSchema,
  WebViewDomainSchema,
} from "./_domains_schemas.ts";
import type { Endpoint } from "./endpoint.ts";

/** What a domain API does: add, delete, replace (`set`) or read (`get`). */
export type DomainAction = "add" | "delete" | "set" | "get";

/** The six kinds of a mini program's server domains, by WeChat's field name. */
export interface ServerDomains {
  /** `wx.request` (`https://…`). */
  requestdomain?: string[];
  /** `wx.connectSocket` (`wss://…`). */
  wsrequestdomain?: string[];
  /** `wx.uploadFile` (`https://…`). */
  uploaddomain?: string[];
  /** `wx.downloadFile` (`https://…`). */
  downloaddomain?: string[];
  /** UDP (`udp://…`). */
  udpdomain?: string[];
  /** TCP (`tcp://…`). */
  tcpdomain?: string[];
}

/** Input of `wxa/modify_domain` and `wxa/modify_domain_directly`. */
export interface ModifyDomainInput extends ServerDomains {
  /** `get` needs no domain; `set` replaces all six lists (a list left out becomes empty). */
  action: DomainAction;
}

/** `wxa/modify_domain` response: the lists as they are now, and what was refused. */
export interface ModifyDomainResponse extends ServerDomains {
  /** `invalid_requestdomain` … : domains refused for their form; `no_icp_domain`… */
  [key: string]: unknown;
}

/** Input of `wxa/setwebviewdomain` and `wxa/setwebviewdomain_directly`. */
export interface SetWebViewDomainInput {
  /**
   * Left out on `setwebviewdomain`: every web-view domain the platform registered is set on the
   * mini program (WeChat's rule).
   */
  action?: DomainAction;
  /** `https://…` domains; not needed for `get`. */
  webviewdomain?: string[];
}

/** `wxa/setwebviewdomain` response (`get` lists the domains). */
export interface WebViewDomainResponse {
  /** The web-view domains, on `get`. */
  webviewdomain?: string[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** A confirm file (校验文件) to serve at a web-view domain's root. */
export interface ConfirmFileResponse {
  /** Its name, e.g. `abcdefghij.txt`. */
  file_name: string;
  /** Its content. */
  file_content: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `cgi-bin/component/modify_wxa_server_domain`. */
export interface ModifyWxaServerDomainInput {
  /** What to do with the platform's mini-program server domains. */
  action: DomainAction;
  /** Hosts without scheme or path, `;`-separated (`www.qq.com;wx.qq.com`); up to 1000. */
  wxa_server_domain?: string;
  /** Change the published (全网发布) value too, not only the testing one; default false. */
  is_modify_published_together?: boolean;
}

/** Input of `cgi-bin/component/modify_wxa_jump_domain`. */
export interface ModifyWxaJumpDomainInput {
  /** What to do with the platform's mini-program web-view (业务) domains. */
  action: DomainAction;
  /** Hosts without scheme or path, `;`-separated. */
  wxa_jump_h5_domain?: string;
  /** Change the published (全网发布) value too, not only the testing one; default false. */
  is_modify_published_together?: boolean;
}

/** The platform-domain answers: the testing and published values, `;`-separated. */
export interface PlatformDomainResponse {
  /** `modify_wxa_server_domain`: the published value. */
  published_wxa_server_domain?: string;
  /** `modify_wxa_server_domain`: the testing value. */
  testing_wxa_server_domain?: string;
  /** `modify_wxa_server_domain`: the domains refused, if any. */
  invalid_wxa_server_domain?: string;
  /** `modify_wxa_jump_domain`: the published value. */
  published_wxa_jump_h5_domain?: string;
  /** `modify_wxa_jump_domain`: the testing value. */
  testing_wxa_jump_h5_domain?: string;
  /** `modify_wxa_jump_domain`: the domains refused, if any. */
  invalid_wxa_jump_h5_domain?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

const ACTIONS: readonly string[] = ["add", "delete", "set", "get"];

/** The server-domain fields, in WeChat's order. */
export const SERVER_DOMAIN_FIELDS: readonly (keyof ServerDomains)[] = [
  "requestdomain",
  "wsrequestdomain",
  "uploaddomain",
  "downloaddomain",
  "udpdomain",
  "tcpdomain",
];

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Invalid ${name} input: expected an object`);
  }
  return value as Record<string, unknown>;
}

function action(value: unknown, optional = false): DomainAction | undefined {
  if (optional && value === undefined) return undefined;
  if (typeof value !== "string" || !ACTIONS.includes(value)) {
    throw new TypeError('Invalid action: expected "add", "delete", "set" or "get"');
  }
  return value as DomainAction;
}

function list(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((d) => typeof d !== "string" || d.trim() === "")) {
    throw new TypeError(`Invalid ${name}: expected an array of non-empty strings`);
  }
  return value;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(`Invalid ${name}: expected a string`);
  }
  return value;
}

function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(`Invalid ${name}: expected a boolean`);
  }
  return value;
}

function modifyDomainBody(input: ModifyDomainInput): Record<string, unknown> {
  const i = object("modifyDomain", input);
  const body: Record<string, unknown> = { action: action(i.action) };
  for (const field of SERVER_DOMAIN_FIELDS) body[field] = list(field, i[field]);
  return body;
}

function webViewBody(
  name: string,
  input: SetWebViewDomainInput | undefined,
  optionalAction: boolean,
): Record<string, unknown> {
  const i = input === undefined && optionalAction ? {} : object(name, input);
  return {
    action: action(i.action, optionalAction),
    webviewdomain: list("webviewdomain", i.webviewdomain),
  };
}

/** `wxa/modify_domain`: the server domains, within the platform's registered ones. */
export const modifyDomain = {
  path: "/wxa/modify_domain",
  method: "POST",
  auth: "authorizer",
  body: modifyDomainBody,
  schema: ModifyDomainSchema,
} satisfies Endpoint<ModifyDomainInput, ModifyDomainResponse>;

/** `wxa/modify_domain_directly`: the server domains, any valid ones (ICP-filed). */
export const modifyDomainDirectly = {
  path: "/wxa/modify_domain_directly",
  method: "POST",
  auth: "authorizer",
  body: modifyDomainBody,
  schema: ModifyDomainSchema,
} satisfies Endpoint<ModifyDomainInput, ModifyDomainResponse>;

/** `wxa/setwebviewdomain`: the web-view domains, within the platform's registered ones. */
export const setWebViewDomain = {
  path: "/wxa/setwebviewdomain",
  method: "POST",
  auth: "authorizer",
  body: (input) => webViewBody("setWebViewDomain", input, true),
  schema: WebViewDomainSchema,
} satisfies Endpoint<SetWebViewDomainInput | undefined, WebViewDomainResponse>;

/** `wxa/setwebviewdomain_directly`: the web-view domains, any whose confirm file is served. */
export const setWebViewDomainDirectly = {
  path: "/wxa/setwebviewdomain_directly",
  method: "POST",
  auth: "authorizer",
  body: (input) => webViewBody("setWebViewDomainDirectly", input, false),
  schema: WebViewDomainSchema,
} satisfies Endpoint<SetWebViewDomainInput, WebViewDomainResponse>;

/** `wxa/get_webviewdomain_confirmfile`: the mini program's web-view confirm file. */
export const getWebViewDomainConfirmFile = {
  path: "/wxa/get_webviewdomain_confirmfile",
  method: "POST",
  auth: "authorizer",
  body: () => ({}),
  schema: ConfirmFileSchema,
} satisfies Endpoint<void, ConfirmFileResponse>;

/** `cgi-bin/component/modify_wxa_server_domain`: the platform's mini-program server domains. */
export const modifyWxaServerDomain = {
  path: "/cgi-bin/component/modify_wxa_server_domain",
  method: "POST",
  auth: "component",
  body: (input) => {
    const i = object("modifyWxaServerDomain", input);
    return {
      action: action(i.action),
      wxa_server_domain: optionalString("wxa_server_domain", i.wxa_server_domain),
      is_modify_published_together: optionalBoolean(
        "is_modify_published_together",
        i.is_modify_published_together,
      ),
    };
  },
  schema: PlatformDomainSchema,
} satisfies Endpoint<ModifyWxaServerDomainInput, PlatformDomainResponse>;

/** `cgi-bin/component/get_domain_confirmfile`: the platform's web-view confirm file. */
export const getDomainConfirmFile = {
  path: "/cgi-bin/component/get_domain_confirmfile",
  method: "POST",
  auth: "component",
  body: () => ({}),
  schema: ConfirmFileSchema,
} satisfies Endpoint<void, ConfirmFileResponse>;

/** `cgi-bin/component/modify_wxa_jump_domain`: the platform's mini-program web-view domains. */
export const modifyWxaJumpDomain = {
  path: "/cgi-bin/component/modify_wxa_jump_domain",
  method: "POST",
  auth: "component",
  body: (input) => {
    const i = object("modifyWxaJumpDomain", input);
    return {
      action: action(i.action),
      wxa_jump_h5_domain: optionalString("wxa_jump_h5_domain", i.wxa_jump_h5_domain),
      is_modify_published_together: optionalBoolean(
        "is_modify_published_together",
        i.is_modify_published_together,
      ),
    };
  },
  schema: PlatformDomainSchema,
} satisfies Endpoint<ModifyWxaJumpDomainInput, PlatformDomainResponse>;

/** The domain APIs, by the client method that calls them. */
export const domainApis = {
  modifyDomain,
  modifyDomainDirectly,
  setWebViewDomain,
  setWebViewDomainDirectly,
  getWebViewDomainConfirmFile,
  modifyWxaServerDomain,
  getDomainConfirmFile,
  modifyWxaJumpDomain,
} as const;

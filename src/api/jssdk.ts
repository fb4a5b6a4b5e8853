/**
 * JS-SDK tickets (`cgi-bin/ticket/getticket`) and the `wx.config` object signed with one.
 * The client keeps the tickets like tokens (see `src/tokens/_js_tickets.ts`); these are the
 * descriptor and the public shapes.
 *
 * @module
 */

import { TicketSchema } from "./_jssdk_schemas.ts";
import type { Endpoint } from "./endpoint.ts";

/** The kinds of ticket `cgi-bin/ticket/getticket` issues: JS-SDK, and card (卡券) signatures. */
export type JsTicketType = "jsapi" | "wx_card";

/** `cgi-bin/ticket/getticket` response. */
export interface TicketResponse {
  /** The ticket (a secret of the account: never log it). */
  ticket: string;
  /** Lifetime in seconds (7200). */
  expires_in: number;
  /** Fields WeChat may add (`errcode: 0`, `errmsg: "ok"`). */
  [key: string]: unknown;
}

/** A managed ticket and its expiry. */
export interface JsTicketInfo {
  /** The ticket. */
  ticket: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/**
 * How a caller wants a ticket. With no field set: the stored one, fetched when due.
 *
 * WeChat never says a ticket is invalid to the server: the page's `wx.config` fails with
 * "invalid signature". A backend that hears so reports the ticket it signed with as `invalid`;
 * it is replaced only if it is still the stored one (concurrent reports share one call).
 */
export interface JsTicketRequest {
  /** This ticket was refused: fetch a new one unless another caller already did. */
  invalid?: string;
  /** Fetch a new one now (joining a fetch in progress). */
  force?: boolean;
}

/** Options of `AuthorizerClient.jssdkConfig`. */
export interface JssdkConfigOptions {
  /**
   * The page's URL exactly as the browser has it (`location.href`), http or https; the part
   * from `#` is dropped. It is signed as given, not normalised: WeChat signs the page's own text.
   */
  url: string;
  /** The JS APIs the page asks for; copied into the answer when given. */
  jsApiList?: string[];
}

/** What `wx.config` needs besides `debug`. */
export interface JssdkConfig {
  /** The authorizer's appid (the Official Account's own, not the component's). */
  appId: string;
  /** Unix seconds the signature was made at. */
  timestamp: number;
  /** The random string signed. */
  nonceStr: string;
  /** SHA-1 hex of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`. */
  signature: string;
  /** The APIs asked for, when given. */
  jsApiList?: string[];
}

/** The JS-SDK ticket API. */
export const jssdkApis = {
  /** `cgi-bin/ticket/getticket`: a `jsapi` or `wx_card` ticket (7200 s). */
  getTicket: {
    path: "/cgi-bin/ticket/getticket",
    method: "GET",
    auth: "authorizer",
    query: (input) => {
      if (input?.type !== "jsapi" && input?.type !== "wx_card") {
        throw new TypeError('Invalid type: expected "jsapi" or "wx_card"');
      }
      return { type: input.type };
    },
    schema: TicketSchema,
  } satisfies Endpoint<{ type: JsTicketType }, TicketResponse>,
} as const;

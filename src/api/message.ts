/**
 * Messages an authorizer sends with its own `access_token` (`cgi-bin/message/*`). Inputs use
 * WeChat's field names; until the client types them they are called through
 * `client.authorizer(appid).call(path, body)`.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import { OkSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/**
 * Input of `cgi-bin/message/custom/send`: the user, the message type and the object named by
 * it (`{ touser, msgtype: "text", text: { content } }`), plus `customservice` if any.
 */
export interface CustomMessageInput {
  /** The user's openid (for this account). */
  touser: string;
  /** `text`, `image`, `voice`, `video`, `music`, `news`, `mpnews`, `msgmenu`, `wxcard`… */
  msgtype: string;
  /** The content object named by `msgtype`, and any other field WeChat takes. */
  [field: string]: unknown;
}

/** The message APIs, by the name WeChat's documentation gives them. */
export const messageApis = {
  /** `cgi-bin/message/custom/send`: a customer-service message to a user. */
  sendCustomMessage: {
    path: "/cgi-bin/message/custom/send",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      const msgtype = nonEmpty("msgtype", input.msgtype);
      const content = input[msgtype];
      if (typeof content !== "object" || content === null) {
        throw new TypeError(`Invalid ${msgtype}: expected the ${msgtype} message object`);
      }
      return { ...input, touser: nonEmpty("touser", input.touser), msgtype };
    },
    schema: OkSchema,
  } satisfies Endpoint<CustomMessageInput, OkResponse>,
} as const;

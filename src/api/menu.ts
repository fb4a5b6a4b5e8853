/**
 * An Official Account's menus, read and written with its own `access_token`. Until the client
 * types them they are called through `client.authorizer(appid).call(path)`.
 *
 * @module
 */

import { SelfMenuInfoSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";

/** `cgi-bin/get_current_selfmenu_info` response. */
export interface SelfMenuInfoResponse {
  /** 1 when the menu is on. */
  is_menu_open: number;
  /** The menu as configured (API or the admin console). */
  selfmenu_info?: {
    /** Top-level buttons, in WeChat's shape. */
    button?: Record<string, unknown>[];
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** The menu APIs, by the name WeChat's documentation gives them. */
export const menuApis = {
  /** `cgi-bin/get_current_selfmenu_info`: the current menu (Official Accounts only). */
  getCurrentSelfMenuInfo: {
    path: "/cgi-bin/get_current_selfmenu_info",
    method: "GET",
    auth: "authorizer",
    schema: SelfMenuInfoSchema,
  } satisfies Endpoint<void, SelfMenuInfoResponse>,
} as const;

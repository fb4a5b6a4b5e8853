/**
 * A Mini Program's user privacy protection guide (用户隐私保护指引) and the front-end APIs that
 * need an application (地理位置接口 such as `wx.getLocation`). All five take the Mini Program's
 * own `access_token`, the three under `cgi-bin/component/` too.
 *
 * @module
 */

import { nonEmpty } from "../_check.ts";
import {
  ApplyPrivacyInterfaceSchema,
  PrivacyInterfaceSchema,
  PrivacySettingSchema,
  UploadPrivacyExtFileSchema,
} from "./_onboard_schemas.ts";
import { OkSchema } from "./_schemas.ts";
import type { Endpoint } from "./endpoint.ts";
import type { OkResponse } from "./types.ts";

/** Who collects the information (`owner_setting`): at least one contact, and `notice_method`. */
export interface PrivacyOwnerSetting {
  /** The developer's e-mail address. */
  contact_email?: string;
  /** The developer's phone number. */
  contact_phone?: string;
  /** The developer's QQ number. */
  contact_qq?: string;
  /** The developer's WeChat ID. */
  contact_weixin?: string;
  /** A custom guide uploaded with `uploadPrivacyExtFile` instead of WeChat's template. */
  ext_file_media_id?: string;
  /** How users are told when collection changes (a pop-up, a notice…). */
  notice_method: string;
  /** How long the information is kept (free text; empty: until the account is closed). */
  store_expire_timestamp?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One kind of user information collected and what for. */
export interface PrivacySettingItem {
  /** `UserInfo`, `Location`, `PhoneNumber`, `Album`… (custom keys are accepted too). */
  privacy_key: string;
  /** The purpose, shown as "为了{privacy_text}". */
  privacy_text: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `cgi-bin/component/setprivacysetting`. */
export interface SetPrivacySettingInput {
  /** 1 the released guide (only `owner_setting` changes, no `setting_list`), 2 the draft (default). */
  privacy_ver?: 1 | 2;
  /** Who collects the information. */
  owner_setting: PrivacyOwnerSetting;
  /** What is collected; required for the draft. */
  setting_list?: PrivacySettingItem[];
  /** Information collected by third-party SDKs, in WeChat's shape. */
  sdk_privacy_info_list?: Record<string, unknown>[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `cgi-bin/component/getprivacysetting` response. */
export interface PrivacySettingResponse {
  /** 1 when code was committed recently (then `privacy_list` says what it uses). */
  code_exist?: number;
  /** The privacy keys WeChat found in the committed code. */
  privacy_list?: string[];
  /** What is collected, as configured. */
  setting_list?: PrivacySettingItem[];
  /** Unix seconds of the last change. */
  update_time?: number;
  /** Who collects the information, as configured. */
  owner_setting?: PrivacyOwnerSetting;
  /** The description of every privacy key (`privacy_desc_list`). */
  privacy_desc?: {
    /** `{ privacy_key, privacy_desc }` pairs. */
    privacy_desc_list?: { privacy_key: string; privacy_desc: string; [key: string]: unknown }[];
    /** Fields WeChat may add. */
    [key: string]: unknown;
  };
  /** Fields WeChat may add (`sdk_privacy_info_list`). */
  [key: string]: unknown;
}

/** Input of `cgi-bin/component/uploadprivacyextfile`: a text file of at most 100 KB. */
export interface UploadPrivacyExtFileInput {
  /** The guide's text. */
  file: Blob | Uint8Array | string;
  /** The file name WeChat sees; default `privacy.txt` (WeChat takes only `.txt`). */
  filename?: string;
}

/** `cgi-bin/component/uploadprivacyextfile` response. */
export interface UploadPrivacyExtFileResponse {
  /** Put it in `owner_setting.ext_file_media_id`. */
  ext_file_media_id: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** Input of `wxa/security/apply_privacy_interface`. */
export interface ApplyPrivacyInterfaceInput {
  /** The front-end API, case-sensitive (`wx.getLocation`, `wx.choosePoi`…). */
  api_name: string;
  /** Why it is needed, at most 300 characters. */
  content: string;
  /** Supporting web pages (one of the three lists is required for location APIs). */
  url_list?: string[];
  /** Supporting pictures' URLs, at most 10. */
  pic_list?: string[];
  /** A supporting video's URL (mp4), at most 1. */
  video_list?: string[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/security/apply_privacy_interface` response. */
export interface ApplyPrivacyInterfaceResponse {
  /** The application's id (`wxa_privacy_apply` pushes its result). */
  audit_id: number;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** One API of `wxa/security/get_privacy_interface`. */
export interface PrivacyInterface {
  /** `wx.getLocation`… */
  api_name: string;
  /** Its Chinese name. */
  api_ch_name?: string;
  /** What it does. */
  api_desc?: string;
  /** 1 not applied for, 2 no permission, 3 in review, 4 refused, 5 granted. */
  status?: number;
  /** Unix seconds of the application, once applied. */
  apply_time?: number;
  /** The application's id, once applied. */
  audit_id?: number;
  /** Why it was refused or is not available. */
  fail_reason?: string;
  /** Its documentation. */
  api_link?: string;
  /** Its group (`地理位置`). */
  group_name?: string;
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

/** `wxa/security/get_privacy_interface` response. */
export interface PrivacyInterfaceResponse {
  /** The APIs that need an application, with their state. */
  interface_list: PrivacyInterface[];
  /** Fields WeChat may add. */
  [key: string]: unknown;
}

function stringList(name: string, value: unknown, max: number): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((x) => typeof x !== "string" || x === "")) {
    throw new TypeError(`Invalid ${name}: expected a list of non-empty strings`);
  }
  if (value.length > max) throw new RangeError(`Invalid ${name}: at most ${max} entries`);
}

function privacyVer(value: unknown): 1 | 2 | undefined {
  if (value === undefined || value === 1 || value === 2) return value;
  throw new TypeError("Invalid privacy_ver: expected 1 (released) or 2 (draft)");
}

/** The privacy APIs, by the name WeChat's documentation gives them. */
export const privacyApis = {
  /** `cgi-bin/component/setprivacysetting`: sets the draft (or the released owner_setting). */
  setPrivacySetting: {
    path: "/cgi-bin/component/setprivacysetting",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      const ver = privacyVer(input?.privacy_ver);
      const owner = input?.owner_setting;
      if (typeof owner !== "object" || owner === null || Array.isArray(owner)) {
        throw new TypeError("Invalid owner_setting: expected an object");
      }
      nonEmpty("owner_setting.notice_method", owner.notice_method);
      const list = input.setting_list;
      if (ver === 1 && list !== undefined) {
        throw new TypeError("Invalid setting_list: the released guide (privacy_ver 1) takes none");
      }
      if (ver !== 1) {
        if (!Array.isArray(list)) throw new TypeError("Invalid setting_list: expected a list");
        for (const item of list) {
          nonEmpty("setting_list[].privacy_key", item?.privacy_key);
          nonEmpty("setting_list[].privacy_text", item?.privacy_text);
        }
      }
      return input;
    },
    schema: OkSchema,
  } satisfies Endpoint<SetPrivacySettingInput, OkResponse>,

  /** `cgi-bin/component/getprivacysetting`: the draft (default) or released guide. */
  getPrivacySetting: {
    path: "/cgi-bin/component/getprivacysetting",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      const ver = privacyVer(input?.privacy_ver);
      return ver === undefined ? {} : { privacy_ver: ver };
    },
    schema: PrivacySettingSchema,
  } satisfies Endpoint<{ privacy_ver?: 1 | 2 } | void, PrivacySettingResponse>,

  /** `cgi-bin/component/uploadprivacyextfile`: uploads a custom guide (txt, ≤ 100 KB). */
  uploadPrivacyExtFile: {
    path: "/cgi-bin/component/uploadprivacyextfile",
    method: "POST",
    auth: "authorizer",
    form: (input) => {
      const file = input?.file;
      const blob = typeof file === "string"
        ? new Blob([file], { type: "text/plain" })
        : file instanceof Uint8Array
        ? new Blob([file as Uint8Array<ArrayBuffer>], { type: "text/plain" })
        : file instanceof Blob
        ? file
        : undefined;
      if (blob === undefined) throw new TypeError("Invalid file: expected a Blob, bytes or text");
      const name = input.filename === undefined
        ? "privacy.txt"
        : nonEmpty("filename", input.filename);
      const form = new FormData();
      form.append("file", blob, name);
      return form;
    },
    schema: UploadPrivacyExtFileSchema,
  } satisfies Endpoint<UploadPrivacyExtFileInput, UploadPrivacyExtFileResponse>,

  /** `wxa/security/apply_privacy_interface`: applies for a front-end API (`wx.getLocation`…). */
  applyPrivacyInterface: {
    path: "/wxa/security/apply_privacy_interface",
    method: "POST",
    auth: "authorizer",
    body: (input) => {
      nonEmpty("api_name", input?.api_name);
      const content = nonEmpty("content", input.content);
      if (content.length > 300) throw new RangeError("Invalid content: at most 300 characters");
      stringList("url_list", input.url_list, Infinity);
      stringList("pic_list", input.pic_list, 10);
      stringList("video_list", input.video_list, 1);
      return input;
    },
    schema: ApplyPrivacyInterfaceSchema,
  } satisfies Endpoint<ApplyPrivacyInterfaceInput, ApplyPrivacyInterfaceResponse>,

  /** `wxa/security/get_privacy_interface`: the APIs that need an application, and their state. */
  getPrivacyInterface: {
    path: "/wxa/security/get_privacy_interface",
    method: "GET",
    auth: "authorizer",
    schema: PrivacyInterfaceSchema,
  } satisfies Endpoint<void, PrivacyInterfaceResponse>,
} as const;

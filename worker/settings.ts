/**
 * The worker's settings (vars and secrets), validated with valibot at the first request.
 * A missing or malformed setting becomes a 500 that names it — never a stack trace, never
 * the value.
 *
 * @module
 */

import * as v from "valibot";
import { APPID_PATTERN } from "../src/tokens/keys.ts";
import { HttpError } from "./errors.ts";
import type { Env } from "./env.ts";

/** Validated settings. */
export interface Settings {
  componentAppId: string;
  componentAppSecret: string;
  componentToken: string;
  componentAesKey: string;
  componentAesKeyPrevious?: string;
  apiBase: string;
  adminToken: string;
  /** 32 bytes, decoded from `STORAGE_KEY`. */
  storageKey: Uint8Array;
  /** The base64 text of `STORAGE_KEY`. */
  storageKeyBase64: string;
  forwardUrl?: string;
  forwardSecret?: string;
  resultRedirectUrl?: string;
  /** `OAUTH_REDIRECT_HOSTS`, lowercased: the hosts `/oauth/:appid` may send a user back to. */
  oauthRedirectHosts?: string[];
  /** How long a message waits for a passive reply from a handler or the forward URL, ms. */
  replyBudgetMs: number;
  /** First retry delay of a queued delivery, seconds (doubled per attempt). */
  deliveryRetrySeconds: number;
  /** The name of the dead-letter queue: batches from it are stored as dead letters. */
  deadLetterQueue: string;
}

const AES_KEY = /^[A-Za-z0-9]{43}$/;

function decodeKey(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return null;
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.length === 32 ? out : null;
  } catch {
    return null;
  }
}

/**
 * No setting may contain whitespace: a secret pasted with a trailing newline or a space would
 * never match what WeChat or a caller sends, and fail later as an opaque 401 or 502.
 */
const WHITESPACE = /\s/;

/** A text of at least 16 characters (a shorter one is refused). */
const secret16 = (s: string) => s.length >= 16;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * One rule per setting, checked in this order; the first failure is reported. A value that is
 * not a string is refused by valibot's `string` (its message names the type received); the
 * string is then held to the rule's test, or refused with its message.
 */
const RULES: [name: string, required: boolean, test: (s: string) => boolean, message: string][] = [
  ["COMPONENT_APPID", true, (s) => APPID_PATTERN.test(s), "must look like wx + 16 characters"],
  // Never empty here: an empty value is a missing one.
  ["COMPONENT_APPSECRET", true, (s) => s.length > 0, "must not be empty"],
  [
    "COMPONENT_TOKEN",
    true,
    (s) => /^[A-Za-z0-9]{3,32}$/.test(s),
    "must be 3 to 32 letters or digits",
  ],
  ["COMPONENT_AES_KEY", true, (s) => AES_KEY.test(s), "must be 43 letters or digits"],
  ["COMPONENT_AES_KEY_PREVIOUS", false, (s) => AES_KEY.test(s), "must be 43 letters or digits"],
  ["ADMIN_TOKEN", true, secret16, "must be at least 16 characters"],
  ["STORAGE_KEY", true, (s) => decodeKey(s) !== null, "must be 32 bytes in base64"],
  ["WECHAT_API_BASE", false, isHttpUrl, "must be an http(s) URL"],
  ["FORWARD_URL", false, isHttpUrl, "must be an http(s) URL"],
  ["FORWARD_SECRET", false, secret16, "must be at least 16 characters"],
  ["RESULT_REDIRECT_URL", false, isHttpUrl, "must be an http(s) URL"],
  [
    "OAUTH_REDIRECT_HOSTS",
    false,
    (s) => s.split(",").every((h) => /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(h)),
    "must be host names (optionally with :port), separated by commas",
  ],
  // WeChat waits 5 s for an answer: the budget leaves room for sealing and the network.
  ["FORWARD_REPLY_MS", false, (s) => intIn(s, 100, 4500), "must be 100 to 4500 (ms)"],
  ["DELIVERY_RETRY_SECONDS", false, (s) => intIn(s, 1, 3600), "must be 1 to 3600 (s)"],
  [
    "DELIVERY_DEAD_LETTER_QUEUE",
    false,
    (s) => /^[a-z0-9-]{1,63}$/.test(s),
    "must be a queue name (lowercase letters, digits, -)",
  ],
];

function intIn(s: string, min: number, max: number): boolean {
  return /^\d{1,5}$/.test(s) && Number(s) >= min && Number(s) <= max;
}

const TEXT = v.string();

const cache = new WeakMap<object, Settings>();

/**
 * Validates the settings in `env` (once per env object) and returns them.
 * Throws an {@linkcode HttpError} 500 `missing_setting` or `invalid_setting` naming the setting.
 */
export function loadSettings(env: Env): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const values: Record<string, string | undefined> = {};
  for (const [name, required, test, message] of RULES) {
    const raw = env[name];
    if (raw === undefined || raw === null || raw === "") {
      if (required) throw new HttpError(500, "missing_setting", `${name} is missing`);
      continue;
    }
    if (typeof raw === "string" && WHITESPACE.test(raw)) {
      throw new HttpError(
        500,
        "invalid_setting",
        `${name} must not contain spaces or line breaks (check for a trailing newline)`,
      );
    }
    const result = v.safeParse(TEXT, raw);
    if (!result.success) {
      throw new HttpError(500, "invalid_setting", `${name} ${result.issues[0].message}`);
    }
    if (!test(result.output)) throw new HttpError(500, "invalid_setting", `${name} ${message}`);
    values[name] = result.output;
  }
  if (values.FORWARD_URL && !values.FORWARD_SECRET) {
    throw new HttpError(500, "missing_setting", "FORWARD_SECRET is missing (FORWARD_URL is set)");
  }
  const settings: Settings = {
    componentAppId: values.COMPONENT_APPID!,
    componentAppSecret: values.COMPONENT_APPSECRET!,
    componentToken: values.COMPONENT_TOKEN!,
    componentAesKey: values.COMPONENT_AES_KEY!,
    componentAesKeyPrevious: values.COMPONENT_AES_KEY_PREVIOUS,
    apiBase: (values.WECHAT_API_BASE ?? "https://api.weixin.qq.com").replace(/\/+$/, ""),
    adminToken: values.ADMIN_TOKEN!,
    storageKey: decodeKey(values.STORAGE_KEY!)!,
    storageKeyBase64: values.STORAGE_KEY!,
    forwardUrl: values.FORWARD_URL,
    forwardSecret: values.FORWARD_SECRET,
    resultRedirectUrl: values.RESULT_REDIRECT_URL,
    oauthRedirectHosts: values.OAUTH_REDIRECT_HOSTS?.toLowerCase().split(","),
    replyBudgetMs: Number(values.FORWARD_REPLY_MS ?? 3500),
    deliveryRetrySeconds: Number(values.DELIVERY_RETRY_SECONDS ?? 10),
    deadLetterQueue: values.DELIVERY_DEAD_LETTER_QUEUE ?? "wxopen-dead-letters",
  };
  cache.set(env, settings);
  return settings;
}

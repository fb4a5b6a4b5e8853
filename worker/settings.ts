/**
 * The worker's settings (vars and secrets), validated with valibot at the first request.
 * A missing or malformed setting becomes a 500 that names it — never a stack trace, never
 * the value.
 *
 * @module
 */

import * as v from "valibot";
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
}

const AES_KEY = /^[A-Za-z0-9]{43}$/;
const APPID = /^wx[0-9A-Za-z]{16}$/;

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

/** A secret of at least `min` characters (whitespace is refused for every setting). */
function secret(min: number) {
  return v.pipe(
    v.string(),
    v.minLength(min, min > 1 ? `must be at least ${min} characters` : "must not be empty"),
  );
}

/**
 * No setting may contain whitespace: a secret pasted with a trailing newline or a space would
 * never match what WeChat or a caller sends, and fail later as an opaque 401 or 502.
 */
const WHITESPACE = /\s/;

const httpUrl = v.pipe(
  v.string(),
  v.check((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "https:" || u.protocol === "http:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL"),
);

/** One rule per setting, checked in this order; the first failure is reported. */
const RULES: [name: string, required: boolean, schema: v.GenericSchema<unknown, string>][] = [
  [
    "COMPONENT_APPID",
    true,
    v.pipe(v.string(), v.regex(APPID, "must look like wx + 16 characters")),
  ],
  ["COMPONENT_APPSECRET", true, secret(1)],
  [
    "COMPONENT_TOKEN",
    true,
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9]{3,32}$/, "must be 3 to 32 letters or digits"),
    ),
  ],
  [
    "COMPONENT_AES_KEY",
    true,
    v.pipe(v.string(), v.regex(AES_KEY, "must be 43 letters or digits")),
  ],
  [
    "COMPONENT_AES_KEY_PREVIOUS",
    false,
    v.pipe(v.string(), v.regex(AES_KEY, "must be 43 letters or digits")),
  ],
  ["ADMIN_TOKEN", true, secret(16)],
  [
    "STORAGE_KEY",
    true,
    v.pipe(v.string(), v.check((s) => decodeKey(s) !== null, "must be 32 bytes in base64")),
  ],
  ["WECHAT_API_BASE", false, httpUrl],
  ["FORWARD_URL", false, httpUrl],
  ["FORWARD_SECRET", false, secret(16)],
  ["RESULT_REDIRECT_URL", false, httpUrl],
];

const cache = new WeakMap<object, Settings>();

/**
 * Validates the settings in `env` (once per env object) and returns them.
 * Throws an {@linkcode HttpError} 500 `missing_setting` or `invalid_setting` naming the setting.
 */
export function loadSettings(env: Env): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const values: Record<string, string | undefined> = {};
  for (const [name, required, schema] of RULES) {
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
    const result = v.safeParse(schema, raw);
    if (!result.success) {
      throw new HttpError(500, "invalid_setting", `${name} ${result.issues[0].message}`);
    }
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
  };
  cache.set(env, settings);
  return settings;
}

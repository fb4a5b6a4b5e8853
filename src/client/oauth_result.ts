/**
 * The signed result of a web authorization on behalf of an Official Account, as the worker's
 * `GET /oauth/:appid/callback` hands it to the platform (`wxopen_result=<payload>.<mac>` on the
 * platform's `redirect_uri`): who the user is (openid, unionid, profile), never the user's
 * access token. The platform's backend verifies it with {@linkcode verifyOAuthResult} and the
 * worker's `ADMIN_TOKEN`, which it already holds to call the admin API.
 *
 * Format: base64url of the JSON {@linkcode OAuthResult}, `.`, base64url of its HMAC-SHA-256
 * under a key derived from the admin token (HKDF-SHA-256, info `wxopen oauth result v1`), so
 * the token itself never signs anything.
 *
 * @module
 */

import { decodeBase64, encodeBase64, timingSafeEqual, utf8Decode, utf8Encode } from "../_bytes.ts";
import { WxOpenError } from "../errors.ts";
import type { SnsUserInfoResponse } from "../api/sns.ts";

/** What a signed OAuth result says (times in unix seconds). */
export interface OAuthResult {
  /** Format version: 1. */
  v: 1;
  /** The Official Account the user authorized. */
  appid: string;
  /** The user's openid under that account. */
  openid: string;
  /** The user's unionid, when WeChat gave one. */
  unionid?: string;
  /** The scope granted: `snsapi_base` or `snsapi_userinfo`. */
  scope: string;
  /** The caller's `state`, as it came to `/oauth/:appid`. */
  state?: string;
  /** `sns/userinfo` without `openid`/`unionid` (scope `snsapi_userinfo` only). */
  profile?: Omit<SnsUserInfoResponse, "openid" | "unionid">;
  /** Issued at. */
  iat: number;
  /** Expires at (the worker gives 5 minutes). */
  exp: number;
}

/** Options of {@linkcode verifyOAuthResult}. */
export interface VerifyOAuthResultOptions {
  /** The worker's `ADMIN_TOKEN`. */
  adminToken: string;
  /** The clock, ms since the epoch; default `Date.now()`. */
  now?: number;
  /** Refuse a result for another Official Account. */
  appid?: string;
}

const keys = new Map<string, Promise<CryptoKey>>();

/** An HMAC-SHA-256 key derived from `secret` for one purpose (`info`), cached. */
function derivedKey(secret: string, info: string): Promise<CryptoKey> {
  const name = `${info}\n${secret}`;
  let key = keys.get(name);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey(
        "raw",
        utf8Encode(secret) as BufferSource,
        "HKDF",
        false,
        ["deriveKey"],
      );
      return await crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: utf8Encode(info) as BufferSource,
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    // A deployment has one or two secrets: the map stays tiny.
    if (keys.size > 16) keys.clear();
    keys.set(name, key);
  }
  return key;
}

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes base64url (padding optional); throws TypeError on anything else. */
export function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError("Invalid base64url");
  const b64 = text.replaceAll("-", "+").replaceAll("/", "_".replace("_", "/"));
  return decodeBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/**
 * `<base64url(JSON value)>.<base64url(HMAC)>` under the key derived from `secret` for `info`:
 * the signed tokens of the OAuth flow (its result, and the worker's state cookie).
 */
export async function signToken(value: unknown, secret: string, info: string): Promise<string> {
  const payload = base64url(utf8Encode(JSON.stringify(value)));
  return `${payload}.${await mac(secret, info, payload)}`;
}

/** The value of a {@linkcode signToken} token, or `null` when it is malformed or not ours. */
export async function openToken(
  token: string,
  secret: string,
  info: string,
): Promise<unknown | null> {
  if (typeof token !== "string" || token.length > 8192) return null;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return null;
  const payload = token.slice(0, dot);
  if (!timingSafeEqual(token.slice(dot + 1), await mac(secret, info, payload))) return null;
  try {
    return JSON.parse(utf8Decode(fromBase64url(payload)));
  } catch {
    return null;
  }
}

async function mac(secret: string, info: string, payload: string): Promise<string> {
  const sig = await crypto.subtle.sign(
    "HMAC",
    await derivedKey(secret, info),
    utf8Encode(payload) as BufferSource,
  );
  return base64url(new Uint8Array(sig));
}

const RESULT_INFO = "wxopen oauth result v1";

/** Signs `result` with the key derived from `adminToken` (what the worker's callback does). */
export function signOAuthResult(result: OAuthResult, adminToken: string): Promise<string> {
  return signToken(result, adminToken, RESULT_INFO);
}

function refused(message: string): WxOpenError {
  return new WxOpenError("invalid_signature", `Refused OAuth result: ${message}`);
}

/**
 * Checks a `wxopen_result` the worker put on the platform's `redirect_uri` and returns what it
 * says. Throws a `WxOpenError` `invalid_signature` when it was not signed with `adminToken`'s
 * key, is malformed, has expired (or is issued in the future, beyond 60 s), or is for another
 * `appid` than the one given; TypeError when `adminToken` is empty. The result is short-lived
 * but not single-use: the platform should accept it once (e.g. by `iat` + `openid`).
 *
 * @example Verify on the platform's backend
 * ```ts ignore
 * import { verifyOAuthResult } from "@wxopen/component";
 *
 * const url = new URL(request.url);
 * const user = await verifyOAuthResult(url.searchParams.get("wxopen_result") ?? "", {
 *   adminToken: Deno.env.get("WXOPEN_ADMIN_TOKEN")!,
 * });
 * console.log(user.openid, user.state === url.searchParams.get("state"));
 * ```
 */
export async function verifyOAuthResult(
  result: string,
  options: VerifyOAuthResultOptions,
): Promise<OAuthResult> {
  const adminToken = options?.adminToken;
  if (typeof adminToken !== "string" || adminToken === "") {
    throw new TypeError("Invalid adminToken: expected the worker's ADMIN_TOKEN");
  }
  const parsed = await openToken(result, adminToken, RESULT_INFO) as OAuthResult | null;
  if (parsed === null) throw refused("bad signature or malformed");
  if (
    typeof parsed !== "object" || parsed.v !== 1 ||
    typeof parsed.openid !== "string" || typeof parsed.appid !== "string" ||
    typeof parsed.iat !== "number" || typeof parsed.exp !== "number"
  ) {
    throw refused("malformed");
  }
  const now = (options.now ?? Date.now()) / 1000;
  if (now >= parsed.exp || parsed.iat > now + 60) throw refused("expired");
  if (options.appid !== undefined && parsed.appid !== options.appid) {
    throw refused("for another appid");
  }
  return parsed;
}

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

function resultKey(adminToken: string): Promise<CryptoKey> {
  let key = keys.get(adminToken);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey(
        "raw",
        utf8Encode(adminToken) as BufferSource,
        "HKDF",
        false,
        ["deriveKey"],
      );
      return await crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: utf8Encode("wxopen oauth result v1") as BufferSource,
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    // One admin token per deployment: the map stays at one or two entries.
    if (keys.size > 8) keys.clear();
    keys.set(adminToken, key);
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError("Invalid base64url");
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return decodeBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

async function mac(adminToken: string, payload: string): Promise<string> {
  const sig = await crypto.subtle.sign(
    "HMAC",
    await resultKey(adminToken),
    utf8Encode(payload) as BufferSource,
  );
  return base64url(new Uint8Array(sig));
}

/** Signs `result` with the key derived from `adminToken` (what the worker's callback does). */
export async function signOAuthResult(result: OAuthResult, adminToken: string): Promise<string> {
  const payload = base64url(utf8Encode(JSON.stringify(result)));
  return `${payload}.${await mac(adminToken, payload)}`;
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
  if (typeof result !== "string" || result.length > 8192) throw refused("malformed");
  const dot = result.indexOf(".");
  if (dot <= 0 || dot !== result.lastIndexOf(".")) throw refused("malformed");
  const payload = result.slice(0, dot);
  if (!timingSafeEqual(result.slice(dot + 1), await mac(adminToken, payload))) {
    throw refused("bad signature");
  }
  let parsed: OAuthResult;
  try {
    parsed = JSON.parse(utf8Decode(fromBase64url(payload)));
  } catch {
    throw refused("malformed");
  }
  if (
    typeof parsed !== "object" || parsed === null || parsed.v !== 1 ||
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

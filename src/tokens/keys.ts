/**
 * The versioned storage key schema (v1) of every record the token managers write.
 *
 * See `docs/storage.md` for what each record holds and what its metadata carries.
 *
 * @module
 */

/** The prefix of every key of schema version 1. */
export const STORAGE_PREFIX = "wxopen:v1:";

/** Key builders and list prefixes of the v1 schema. */
export interface StorageKeys {
  /** The last `component_verify_ticket` (no TTL; validity is judged by `receivedAt`). */
  readonly ticket: string;
  /** The managed `component_access_token` (metadata `expiresAt`). */
  readonly componentToken: string;
  /** Prefix of authorizer records (no secrets). */
  readonly authorizerPrefix: string;
  /** Prefix of authorizer refresh tokens (never a TTL). */
  readonly authorizerRefreshPrefix: string;
  /** Prefix of authorizer access tokens (metadata `expiresAt`). */
  readonly authorizerTokenPrefix: string;
  /** Prefix of processed authorization codes (by SHA-256, TTL 2 h). */
  readonly authCodePrefix: string;
  /** Prefix of refresh leases (only on stores with compare-and-set; TTL 60 s). */
  readonly leasePrefix: string;
  /** Prefix of authorizers' JS-SDK tickets (metadata `expiresAt`). */
  readonly authorizerTicketPrefix: string;
  /** The record of `appid`. */
  authorizer(appid: string): string;
  /** The refresh token of `appid`. */
  authorizerRefresh(appid: string): string;
  /** The access token of `appid`. */
  authorizerToken(appid: string): string;
  /** The marker of an authorization code already exchanged, by its SHA-256 hex. */
  authCode(digestHex: string): string;
  /** The refresh lease of the credential stored under `tokenKey` (one of the keys above). */
  lease(tokenKey: string): string;
  /** The `jsapi` or `wx_card` ticket of `appid`. */
  authorizerTicket(appid: string, type: "jsapi" | "wx_card"): string;
}

/**
 * The v1 keys.
 *
 * @example Listing every authorizer access token for an expiry sweep
 * ```ts
 * import { MemoryStore, storageKeys } from "@wxopen/component";
 *
 * const store = new MemoryStore();
 * const page = await store.list({ prefix: storageKeys.authorizerTokenPrefix });
 * for (const key of page.keys) console.log(key.name, key.metadata?.expiresAt);
 * ```
 */
export const storageKeys: StorageKeys = {
  ticket: `${STORAGE_PREFIX}ticket`,
  componentToken: `${STORAGE_PREFIX}component_token`,
  authorizerPrefix: `${STORAGE_PREFIX}authorizer:`,
  authorizerRefreshPrefix: `${STORAGE_PREFIX}authorizer_refresh:`,
  authorizerTokenPrefix: `${STORAGE_PREFIX}authorizer_token:`,
  authCodePrefix: `${STORAGE_PREFIX}auth_code:`,
  leasePrefix: `${STORAGE_PREFIX}lease:`,
  authorizerTicketPrefix: `${STORAGE_PREFIX}authorizer_ticket:`,
  authorizer: (appid) => `${STORAGE_PREFIX}authorizer:${checkAppId(appid)}`,
  authorizerRefresh: (appid) => `${STORAGE_PREFIX}authorizer_refresh:${checkAppId(appid)}`,
  authorizerToken: (appid) => `${STORAGE_PREFIX}authorizer_token:${checkAppId(appid)}`,
  authCode: (digestHex) => `${STORAGE_PREFIX}auth_code:${digestHex}`,
  lease: (tokenKey) =>
    `${STORAGE_PREFIX}lease:${
      tokenKey.startsWith(STORAGE_PREFIX) ? tokenKey.slice(STORAGE_PREFIX.length) : tokenKey
    }`,
  authorizerTicket: (appid, type) =>
    `${STORAGE_PREFIX}authorizer_ticket:${checkAppId(appid)}:${checkTicketType(type)}`,
};

function checkTicketType(type: string): string {
  if (type !== "jsapi" && type !== "wx_card") {
    throw new TypeError('Invalid ticket type: expected "jsapi" or "wx_card"');
  }
  return type;
}

export const APPID_PATTERN = /^wx[0-9A-Za-z]{16}$/;

/**
 * True when `value` has the shape of a WeChat appid: `wx` and 16 letters or digits. The one
 * appid rule of wxopen (client options, storage keys, the worker's routes).
 *
 * @example
 * ```ts
 * import { isAppId } from "@wxopen/component";
 *
 * console.log(isAppId("wxf8b4f85f3a794e77"), isAppId("../etc")); // true false
 * ```
 */
export function isAppId(value: unknown): value is string {
  return typeof value === "string" && APPID_PATTERN.test(value);
}

/** Returns `appid` when {@linkcode isAppId} holds; throws TypeError otherwise. */
export function checkAppId(appid: string): string {
  if (!isAppId(appid)) {
    throw new TypeError("Invalid appid: expected wx and 16 letters or digits");
  }
  return appid;
}

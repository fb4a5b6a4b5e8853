/**
 * The authorization `state`: a random value put in the `redirect_uri` and in a signed,
 * HttpOnly cookie, so the callback only accepts a redirect that comes back to the browser
 * that started it. The cookie also binds (by digest) the `pre_auth_code` the page linked to,
 * so a code WeChat's `authorized` push tied to that `pre_auth_code` is known to be this
 * browser's. The signature key is derived from `STORAGE_KEY`.
 *
 * @module
 */

import { timingSafeEqual, toHex } from "../src/crypto/mod.ts";

/** Name of the state cookie. */
export const STATE_COOKIE = "wxopen_state";
/** Lifetime of a state, seconds (WeChat's pre_auth_code lives at most 30 minutes). */
export const STATE_MAX_AGE = 1800;

const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function macKey(storageKey: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(storageKey);
  if (!key) {
    key = (async () => {
      // A key of its own, derived from STORAGE_KEY, so the cookie MAC never uses the sealing key.
      const base = await crypto.subtle.importKey("raw", storageKey as BufferSource, "HKDF", false, [
        "deriveKey",
      ]);
      return await crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: new TextEncoder().encode("wxopen authorization state v1"),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    keys.set(storageKey, key);
  }
  return key;
}

async function mac(storageKey: Uint8Array, text: string): Promise<string> {
  const sig = await crypto.subtle.sign(
    "HMAC",
    await macKey(storageKey),
    new TextEncoder().encode(text),
  );
  return toHex(new Uint8Array(sig));
}

/** The SHA-256 (hex) of a `pre_auth_code`, as a state cookie and the code's record keep it. */
export async function preAuthDigest(preAuthCode: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(preAuthCode));
  return toHex(new Uint8Array(hash));
}

/**
 * The cookie value binding `state` issued at `issuedAt` (unix seconds), and the
 * `pre_auth_code` its page linked to when given: `state.issuedAt[.preAuthDigest].mac`.
 */
export async function signState(
  storageKey: Uint8Array,
  state: string,
  issuedAt: number,
  preAuthCode?: string,
): Promise<string> {
  const body = preAuthCode === undefined
    ? `${state}.${issuedAt}`
    : `${state}.${issuedAt}.${await preAuthDigest(preAuthCode)}`;
  return `${body}.${await mac(storageKey, body)}`;
}

/** A fresh state and the cookie value that binds it (and `preAuthCode`, when given). */
export async function issueState(
  storageKey: Uint8Array,
  preAuthCode?: string,
): Promise<{ state: string; cookie: string }> {
  const state = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const cookie = await signState(storageKey, state, Math.floor(Date.now() / 1000), preAuthCode);
  return { state, cookie };
}

/** What a valid state cookie binds. */
export interface StateBinding {
  /** The {@linkcode preAuthDigest} of the `pre_auth_code` its page linked to, when bound. */
  preAuthDigest?: string;
}

/**
 * What `cookie` binds, when it was issued by us, is not expired and carries `state`;
 * otherwise `null`.
 */
export async function readState(
  storageKey: Uint8Array,
  state: string,
  cookie: string | undefined,
): Promise<StateBinding | null> {
  if (!cookie) return null;
  const parts = cookie.split(".");
  if (parts.length !== 3 && parts.length !== 4) return null;
  const sig = parts[parts.length - 1];
  const [cookieState, issuedAt] = parts;
  const bound = parts.length === 4 ? parts[2] : undefined;
  if (bound !== undefined && !/^[0-9a-f]{64}$/.test(bound)) return null;
  const expected = await mac(storageKey, parts.slice(0, -1).join("."));
  const age = Date.now() / 1000 - Number(issuedAt);
  const macOk = timingSafeEqual(sig, expected);
  const stateOk = timingSafeEqual(cookieState, state);
  if (!(macOk && stateOk && age >= 0 && age <= STATE_MAX_AGE)) return null;
  return bound === undefined ? {} : { preAuthDigest: bound };
}

/** True when `cookie` was issued by us, is not expired, and carries `state`. */
export async function checkState(
  storageKey: Uint8Array,
  state: string,
  cookie: string | undefined,
): Promise<boolean> {
  return (await readState(storageKey, state, cookie)) !== null;
}

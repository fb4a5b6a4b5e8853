/**
 * The authorization `state`: a random value put in the `redirect_uri` and in a signed,
 * HttpOnly cookie, so the callback only accepts a redirect that comes back to the browser
 * that started it. The signature key is derived from `STORAGE_KEY`.
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

/** The cookie value binding `state` issued at `issuedAt` (unix seconds): `state.issuedAt.mac`. */
export async function signState(
  storageKey: Uint8Array,
  state: string,
  issuedAt: number,
): Promise<string> {
  return `${state}.${issuedAt}.${await mac(storageKey, `${state}.${issuedAt}`)}`;
}

/** A fresh state and the cookie value that binds it (`state.issuedAt.mac`). */
export async function issueState(
  storageKey: Uint8Array,
): Promise<{ state: string; cookie: string }> {
  const state = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const cookie = await signState(storageKey, state, Math.floor(Date.now() / 1000));
  return { state, cookie };
}

/** True when `cookie` was issued by us, is not expired, and carries `state`. */
export async function checkState(
  storageKey: Uint8Array,
  state: string,
  cookie: string | undefined,
): Promise<boolean> {
  if (!cookie) return false;
  const parts = cookie.split(".");
  if (parts.length !== 3) return false;
  const [cookieState, issuedAt, sig] = parts;
  const expected = await mac(storageKey, `${cookieState}.${issuedAt}`);
  const age = Date.now() / 1000 - Number(issuedAt);
  const macOk = timingSafeEqual(sig, expected);
  const stateOk = timingSafeEqual(cookieState, state);
  return macOk && stateOk && age >= 0 && age <= STATE_MAX_AGE;
}

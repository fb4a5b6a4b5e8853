/**
 * Records the worker keeps beside the core's (docs/worker.md lists them): the authorizer's
 * profile from `api_get_authorizer_info` and the fast-registration notices. Like everything in
 * `TOKENS`, they are sealed; none holds a token.
 *
 * @module
 */

import type { AuthorizerInfo, Store } from "../mod.ts";

/** Prefix of the worker's own records. */
export const WORKER_PREFIX = "wxopen-worker:v1:";

/** The fields of `authorizer_info` the admin API shows. */
export interface AuthorizerProfile {
  nick_name?: string;
  head_img?: string;
  user_name?: string;
  principal_name?: string;
  alias?: string;
  service_type_info?: unknown;
  verify_type_info?: unknown;
  qrcode_url?: string;
  signature?: string;
  MiniProgramInfo?: unknown;
  account_status?: unknown;
  updatedAt: number;
}

/** Key of an authorizer's profile. */
export function profileKey(appid: string): string {
  return `${WORKER_PREFIX}authorizer_info:${appid}`;
}

/** Saves the profile part of `info`. */
export async function saveAuthorizerInfo(
  store: Store,
  appid: string,
  info: AuthorizerInfo,
): Promise<void> {
  const src = info as unknown as Record<string, unknown>;
  const profile: Record<string, unknown> = { updatedAt: Date.now() };
  for (
    const field of [
      "nick_name",
      "head_img",
      "user_name",
      "principal_name",
      "alias",
      "service_type_info",
      "verify_type_info",
      "qrcode_url",
      "signature",
      "MiniProgramInfo",
      "account_status",
    ]
  ) {
    if (src[field] !== undefined) profile[field] = src[field];
  }
  await store.put(profileKey(appid), JSON.stringify(profile));
}

/** The saved profile of `appid`, or `null`. */
export async function readAuthorizerInfo(
  store: Store,
  appid: string,
): Promise<AuthorizerProfile | null> {
  const raw = await store.get(profileKey(appid));
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as AuthorizerProfile;
  } catch {
    return null;
  }
}

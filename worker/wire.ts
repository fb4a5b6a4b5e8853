/**
 * The one wire format of every JSON body the worker writes: snake_case names, times as ISO-8601
 * strings, `expires_in` seconds beside an expiry. WeChat's own objects (`authorizer_info`,
 * `func_info`, a forwarded message) pass through as WeChat names them. `docs/worker.md` documents
 * each body once.
 *
 * @module
 */

import type { AccessTokenInfo, AuthorizerRecord } from "../mod.ts";
import type { AuthorizerProfile } from "./records.ts";

/** `ms` (since the epoch) as an ISO-8601 string; `undefined` stays absent. */
export function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

/** Whole seconds from now until `ms` (never negative). */
export function secondsUntil(ms: number, now = Date.now()): number {
  return Math.max(0, Math.floor((ms - now) / 1000));
}

/** A token answer: `access_token`, `expires_at`, `expires_in`, beside the credential's appid. */
export function tokenBody(
  appid: { authorizer_appid: string } | { component_appid: string },
  info: AccessTokenInfo,
): Record<string, unknown> {
  return {
    ...appid,
    access_token: info.token,
    expires_at: iso(info.expiresAt),
    expires_in: secondsUntil(info.expiresAt),
  };
}

/** An authorizer as the admin API shows it (never its refresh token). */
export function authorizerBody(
  record: AuthorizerRecord,
  profile?: AuthorizerProfile | null,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    authorizer_appid: record.authorizerAppId,
    status: record.status,
    authorized_at: iso(record.authorizedAt),
    updated_at: iso(record.updatedAt),
    revoked_at: iso(record.revokedAt),
    reauthorization_required_at: iso(record.reauthorizationRequiredAt),
    reason: record.reason,
    func_info: record.funcInfo,
  };
  if (profile !== undefined) {
    if (profile === null) body.authorizer_info = null;
    else {
      const { updatedAt, ...info } = profile;
      body.authorizer_info = info;
      body.authorizer_info_updated_at = iso(updatedAt);
    }
  }
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}

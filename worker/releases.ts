/**
 * What the worker's fleet releases share: the `RELEASE_POLL_SECONDS` setting, the machine's
 * timing derived from it, the objects' names, the release API over the request-path client,
 * and the hook that hands a `weapp_audit_*` push to its target's object.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { type MachineOptions, type ReleaseApi, releaseApi } from "../src/release/mod.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Production default of `RELEASE_POLL_SECONDS`: WeChat pushes every audit verdict, so polling
 * is the fallback for a lost push; at 300 s, 1,000 targets in audit cost 12,000 calls an hour.
 */
export const DEFAULT_RELEASE_POLL_SECONDS = 300;

/** Name of the object that lists every release. */
export const INDEX_NAME = "_index";

/**
 * The seconds between two polls (`get_auditstatus` of a target with no push, `queryquota` of a
 * release with targets waiting for quota). A malformed value is a 500 that names it.
 */
export function pollSeconds(env: Env): number {
  const raw = env.RELEASE_POLL_SECONDS;
  if (raw === undefined || raw === "") return DEFAULT_RELEASE_POLL_SECONDS;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d{1,5}$/.test(raw) || n < 1 || n > 86_400) {
    throw new HttpError(
      500,
      "invalid_setting",
      "RELEASE_POLL_SECONDS must be a whole number of seconds from 1 to 86400",
    );
  }
  return n;
}

/** The machine's timing: polls every `RELEASE_POLL_SECONDS`, backoff from 2 s (at most 5 min). */
export function machineOptions(env: Env): MachineOptions {
  const poll = pollSeconds(env);
  return {
    pollSeconds: poll,
    backoffBaseMs: Math.min(2_000, poll * 1000),
    backoffMaxMs: Math.min(5 * 60_000, poll * 10_000),
    maxAttempts: 8,
  };
}

/** The release calls over the request-path client (tokens from KV or the authorizer's object). */
export function workerReleaseApi(rt: Runtime): ReleaseApi {
  return releaseApi((appid) => rt.client.authorizer(appid));
}

/** A release's coordinating object (and `_index`, the list of releases). */
export function releaseObject(env: Env, id: string) {
  return env.RELEASES.get(env.RELEASES.idFromName(id));
}

/** A mini program's release object (named by its appid). */
export function releaseTargetObject(env: Env, appid: string) {
  return env.RELEASE_TARGETS.get(env.RELEASE_TARGETS.idFromName(appid));
}

const AUDIT_EVENTS = new Set(["weapp_audit_success", "weapp_audit_fail", "weapp_audit_delay"]);

/**
 * Hands an audit verdict pushed to `appid`'s message URL to its release object, if the message
 * is one (`weapp_audit_*`); a lost hand-over is made up by the target's polling.
 */
export function auditPush(
  env: Env,
  appid: string,
  message: Record<string, unknown>,
): Promise<void> | null {
  if (message.MsgType !== "event" || !AUDIT_EVENTS.has(String(message.Event))) return null;
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  return releaseTargetObject(env, appid).audit(appid, {
    event: message.Event as "weapp_audit_success",
    reason: text(message.Reason),
    screenshot: text(message.ScreenShot),
  }).then(() => {}, (err) => {
    console.warn(`[wxopen] audit push for a release not delivered: ${(err as Error).name}`);
  });
}

/**
 * The simulated routes of diagnostics (`cgi-bin/openapi/rid/get`): every failed answer's rid
 * is remembered with the request behind it for 7 days, and told only to the account whose
 * token made the request, as WeChat does.
 *
 * @module
 */

import { diagnosticsApis } from "../api/diagnostics.ts";
import { ApiFailure, OK } from "./_errors.ts";
import { type Route, serve, str } from "./_route.ts";
import type { Model } from "./_state.ts";

/** WeChat keeps a rid 7 days. */
const RID_LIFETIME_MS = 7 * 86_400_000;
/** Beyond this many remembered rids, the expired ones are forgotten. */
const RID_SWEEP_AT = 10_000;

/** Body fields that carry a secret: masked in what rid/get tells. */
const SECRET_FIELDS = ["component_appsecret", "appsecret", "component_secret", "secret"];

function maskQuery(query: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const [k, value] of query) {
    out.append(k, /token$/.test(k) && value.length > 7 ? value.slice(0, 7) + "xxxx" : value);
  }
  return decodeURIComponent(out.toString());
}

function maskBody(text: string): string {
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return text;
    let masked = false;
    for (const k of SECRET_FIELDS) {
      if (typeof parsed[k] === "string") {
        parsed[k] = "xxxx";
        masked = true;
      }
    }
    return masked ? JSON.stringify(parsed) : text;
  } catch {
    return text;
  }
}

/** Remembers the request behind a failed answer's `rid`. */
export function rememberRid(
  model: Model,
  rid: string,
  r: {
    owner: string | undefined;
    path: string;
    query: URLSearchParams;
    body: string;
    response: string;
  },
): void {
  const now = model.now();
  if (model.rids.size >= RID_SWEEP_AT) {
    for (const [key, rec] of model.rids) if (now - rec.at > RID_LIFETIME_MS) model.rids.delete(key);
  }
  model.rids.set(rid, {
    owner: r.owner,
    at: now,
    path: r.path,
    requestUrl: maskQuery(r.query),
    requestBody: maskBody(r.body),
    responseBody: r.response,
  });
}

/** The routes of this area, in the simulator's table. */
export const diagnosticsRoutes: Route[] = [
  serve(diagnosticsApis.getRidInfo, (ctx) => {
    const rid = str(ctx.body.rid);
    if (rid === undefined || !/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/.test(rid)) {
      throw new ApiFailure(76002);
    }
    const rec = ctx.model.rids.get(rid);
    if (rec === undefined || ctx.model.now() - rec.at > RID_LIFETIME_MS) {
      throw new ApiFailure(76001);
    }
    const caller = ctx.token!.type === "component"
      ? ctx.model.config.componentAppId
      : ctx.token!.appId;
    if (rec.owner !== caller) throw new ApiFailure(76003);
    if (rec.path.startsWith("/sns/") || rec.path.includes("/sns/")) throw new ApiFailure(76022);
    return {
      ...OK,
      request: {
        invoke_time: Math.floor(rec.at / 1000),
        cost_in_ms: 1,
        request_url: rec.requestUrl,
        request_body: rec.requestBody,
        response_body: rec.responseBody,
        client_ip: "127.0.0.1",
      },
    };
  }, { alsoComponentToken: true }),
];

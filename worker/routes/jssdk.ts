/**
 * The admin API's JS-SDK and mini-program login routes (under `/api/v1`, Bearer `ADMIN_TOKEN`):
 *
 * - `GET /authorizers/:appid/jsapi-ticket`: the account's managed `jsapi` ticket;
 * - `GET /authorizers/:appid/jssdk-config?url=`: the signed `wx.config` object for a page;
 * - `POST /authorizers/:appid/jscode2session` `{ "js_code" }`: a mini program's login.
 *
 * Tickets live in the worker's KV (the managed store), so every isolate serves the same one;
 * two isolates that miss at once may each ask WeChat, which answers the same ticket while it
 * is valid. A warm ticket costs one KV read and no upstream call. An unknown authorizer is 404:
 * for tickets through its access token (its object answers 404), for jscode2session (a
 * component-token call WeChat would refuse with 61003) by its record.
 *
 * @module
 */

import type { Hono } from "hono/tiny";
import * as v from "valibot";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { appidParam, limitBody, valid, validJson } from "../validate.ts";
import { iso, secondsUntil } from "../wire.ts";

const TicketQuerySchema = v.looseObject({
  /** A ticket a page's `wx.config` refused: replaced unless another caller already did. */
  invalid_ticket: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(512))),
});

// The URL itself is checked by the core (an absolute http(s) URL): a TypeError becomes 400.
const ConfigQuerySchema = v.looseObject({
  url: v.pipe(v.string(), v.maxLength(4096)),
  js_api_list: v.optional(v.pipe(v.string(), v.maxLength(4096))),
});

const SessionBodySchema = v.looseObject({
  js_code: v.pipe(v.string(), v.minLength(1), v.maxLength(256), v.regex(/^\S+$/)),
});

/** 404 unless the worker knows `appid` (a record or a refresh token): one KV read. */
async function requireKnown(
  c: { get(key: "service"): AppEnv["Variables"]["service"] },
  appid: string,
) {
  if (!(await c.get("service").client.managed.getAuthorizer(appid))) {
    throw new HttpError(404, "not_found", "No such authorizer");
  }
}

/** Adds the routes to the admin API `api`. */
export function addJssdkRoutes(api: Hono<AppEnv>): void {
  api.get("/authorizers/:appid/jsapi-ticket", appidParam(), async (c) => {
    const appid = c.get("appid");
    const q = valid(TicketQuerySchema, c.req.query(), "Query parameter");
    const info = await c.get("service").client.jsTicket(
      appid,
      "jsapi",
      q.invalid_ticket ? { invalid: q.invalid_ticket } : undefined,
    );
    c.header("cache-control", "no-store");
    return c.json({
      authorizer_appid: appid,
      ticket: info.ticket,
      expires_at: iso(info.expiresAt),
      expires_in: secondsUntil(info.expiresAt),
    });
  });

  api.get("/authorizers/:appid/jssdk-config", appidParam(), async (c) => {
    const appid = c.get("appid");
    const q = valid(ConfigQuerySchema, c.req.query(), "Query parameter");
    let config;
    try {
      config = await c.get("service").client.jssdkConfig(appid, {
        url: q.url,
        jsApiList: q.js_api_list?.split(","),
      });
    } catch (err) {
      if (err instanceof TypeError) throw new HttpError(400, "invalid_request", err.message);
      throw err;
    }
    c.header("cache-control", "no-store");
    return c.json(config);
  });

  api.post(
    "/authorizers/:appid/jscode2session",
    appidParam(),
    limitBody(4096),
    async (c) => {
      const appid = c.get("appid");
      const body = await validJson(c.req.raw, SessionBodySchema);
      await requireKnown(c, appid);
      const session = await c.get("service").client.jscode2session(appid, body.js_code);
      c.header("cache-control", "no-store");
      const answer: Record<string, unknown> = {
        authorizer_appid: appid,
        openid: session.openid,
        session_key: session.session_key,
      };
      if (session.unionid !== undefined) answer.unionid = session.unionid;
      return c.json(answer);
    },
  );
}

/**
 * The admin API under `/api/v1` (Bearer `ADMIN_TOKEN`): authorizers, their access tokens, the
 * import of authorizers from another system, the component token, and (`proxy.ts`) WeChat's API
 * on an authorizer's behalf. Every answer is in the wire format of `wire.ts`; no answer ever
 * carries a refresh token.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import * as v from "valibot";
import { APPID_PATTERN } from "../../src/tokens/keys.ts";
import { adminAuth } from "../auth.ts";
import type { AppEnv } from "../context.ts";
import { counters, snapshot } from "../counters.ts";
import { authorizerObject } from "../credentials.ts";
import { HttpError } from "../errors.ts";
import { unwrap } from "../objects/result.ts";
import { readAuthorizerInfo, saveAuthorizerInfo } from "../records.ts";
import { appidParam, limitBody, valid, validJson } from "../validate.ts";
import { authorizerBody, iso, secondsUntil, tokenBody } from "../wire.ts";
import { addJssdkRoutes } from "./jssdk.ts";
import { deliveryRoutes } from "./deliveries.ts";
import { proxyRoutes } from "./proxy.ts";
import { releaseRoutes } from "./releases.ts";

const ADMIN_BODY_LIMIT = 16 * 1024;

const ListQuerySchema = v.looseObject({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/))),
});

const RefreshBodySchema = v.looseObject({
  invalid_token: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
});

const ImportBodySchema = v.looseObject({
  authorizer_appid: v.pipe(v.string(), v.regex(APPID_PATTERN)),
  refresh_token: v.pipe(v.string(), v.regex(/^\S{1,512}$/)),
});

/** The admin API (mounted at `/api/v1`). */
export function adminRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.use("*", adminAuth());
  // How much each call cost, for operators and the tests (never a value).
  api.use("*", async (c, next) => {
    const before = snapshot();
    await next();
    c.res.headers.set("x-wxopen-kv-reads", String(counters.kvReads - before.kvReads));
    c.res.headers.set(
      "x-wxopen-upstream-calls",
      String(counters.upstreamCalls - before.upstreamCalls),
    );
  });

  api.get("/authorizers", async (c) => {
    const q = valid(ListQuerySchema, c.req.query(), "Query parameter");
    const page = await c.get("service").client.managed.listAuthorizers({
      cursor: q.cursor,
      limit: q.limit ? Math.min(1000, Math.max(1, Number(q.limit))) : 100,
    });
    return c.json({
      authorizers: page.authorizers.map((record) => authorizerBody(record)),
      complete: page.complete,
      ...(page.cursor ? { cursor: page.cursor } : {}),
    });
  });

  // Adopt an authorizer from another system: its object proves the refresh token with one
  // refresh before storing anything (a refused token is 422 and changes nothing).
  api.post("/authorizers/import", limitBody(ADMIN_BODY_LIMIT), async (c) => {
    const body = await validJson(c.req.raw, ImportBodySchema);
    const appid = body.authorizer_appid;
    const rt = c.get("service");
    const answer = await unwrap(
      authorizerObject(c.env, appid).importRefreshToken(appid, body.refresh_token),
    );
    // This isolate serves the proven token from now on (not one it cached before the import).
    rt.credentials.adoptAuthorizerToken(appid, {
      token: answer.token,
      expiresAt: answer.expiresAt,
    });
    if (answer.authorizerInfo) {
      await saveAuthorizerInfo(rt.store, appid, JSON.parse(answer.authorizerInfo)).catch((err) => {
        console.warn(`[wxopen] saving authorizer_info failed: ${(err as Error).name}`);
      });
    }
    const [record, info] = await Promise.all([
      rt.client.managed.getAuthorizer(appid),
      readAuthorizerInfo(rt.store, appid).catch(() => null),
    ]);
    if (!record) {
      throw new HttpError(503, "store_unavailable", "The imported record is not readable yet");
    }
    return c.json({
      ...authorizerBody(record, info),
      access_token_expires_at: iso(answer.expiresAt),
      access_token_expires_in: secondsUntil(answer.expiresAt),
    }, 201);
  });

  api.get("/authorizers/:appid", appidParam(), async (c) => {
    const appid = c.get("appid");
    const rt = c.get("service");
    const [record, info] = await Promise.all([
      rt.client.managed.getAuthorizer(appid),
      readAuthorizerInfo(rt.store, appid),
    ]);
    if (!record) throw new HttpError(404, "not_found", "No such authorizer");
    return c.json(authorizerBody(record, info));
  });

  api.get("/authorizers/:appid/access-token", appidParam(), async (c) => {
    const appid = c.get("appid");
    const answer = await c.get("service").client.authorizer(appid).accessToken();
    return c.json(tokenBody({ authorizer_appid: appid }, answer));
  });

  api.post(
    "/authorizers/:appid/access-token/refresh",
    appidParam(),
    limitBody(ADMIN_BODY_LIMIT),
    async (c) => {
      const appid = c.get("appid");
      const body = await validJson(c.req.raw, RefreshBodySchema);
      const answer = await c.get("service").client.authorizer(appid).accessToken({
        invalid: body.invalid_token,
      });
      return c.json(tokenBody({ authorizer_appid: appid }, answer));
    },
  );

  api.route("/authorizers/:appid/wechat", proxyRoutes());
  addJssdkRoutes(api);
  api.route("/deliveries", deliveryRoutes());
  api.route("/releases", releaseRoutes());

  api.get("/component/access-token", async (c) => {
    const answer = await c.get("service").client.credentials.componentToken();
    return c.json(tokenBody({ component_appid: c.get("settings").componentAppId }, answer));
  });

  return api;
}

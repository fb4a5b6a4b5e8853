/**
 * The merchant's authorization flow: `/authorize` shows the link to WeChat's authorization page,
 * `/authorize/callback` completes it. Failures are HTML pages with the error's status (this
 * room's own error handler), never JSON or a stack trace.
 *
 * The `state` is single-use: it is bound to the browser by a signed cookie (with the digest of
 * the `pre_auth_code` its page linked to), and the component's object records the one code it
 * completed, so a second code for the same state is refused. A remembered answer (appid,
 * nickname) is shown only to the browser that started the authorization: the one whose
 * `pre_auth_code` WeChat's `authorized` push named for the code, or, when no push told, the
 * first browser that came back with it.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import * as v from "valibot";
import { APPID_PATTERN } from "../../src/tokens/keys.ts";
import type { AppEnv, AppOptions } from "../context.ts";
import { componentObject } from "../credentials.ts";
import { HttpError, retryAfterSeconds, toHttpError } from "../errors.ts";
import { unwrap } from "../objects/result.ts";
import {
  authorizePage,
  errorMessage,
  errorPage,
  isMobile,
  pickLang,
  resultPage,
} from "../pages.ts";
import { issueState, readState, STATE_COOKIE, STATE_MAX_AGE } from "../state.ts";
import { readCookie, valid } from "../validate.ts";

const AuthorizeQuerySchema = v.looseObject({
  auth_type: v.optional(v.pipe(v.string(), v.regex(/^[1-68]$/))),
  biz_appid: v.optional(v.pipe(v.string(), v.regex(APPID_PATTERN))),
  category_id_list: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}(\|\d{1,6}){0,63}$/))),
});

const CallbackQuerySchema = v.looseObject({
  auth_code: v.pipe(v.string(), v.minLength(1), v.maxLength(512)),
  state: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  expires_in: v.optional(v.string()),
});

/** The authorization routes. */
export function authorizeRoutes(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => {
    const http = toHttpError(err);
    if (http.status >= 500) console.error(`[wxopen] ${http.code}: ${http.message}`);
    c.header("cache-control", "no-store");
    const retryAfter = retryAfterSeconds(http);
    if (retryAfter !== undefined) c.header("retry-after", String(retryAfter));
    const lang = pickLang(c.req.header("accept-language"));
    return c.html(errorPage(lang, errorMessage(lang, http.code, http.message)), http.status);
  });

  app.get("/", async (c) => {
    const rt = c.get("service");
    const q = valid(AuthorizeQuerySchema, c.req.query(), "Query parameter");
    const mobile = isMobile(c.req.header("user-agent"));
    const url = new URL(c.req.url);
    const pre = await rt.client.createPreAuthCode();
    const { state, cookie } = await issueState(rt.settings.storageKey, pre.pre_auth_code);
    const redirectUri = `${url.origin}/authorize/callback?state=${state}`;
    let link = rt.client.authorizationUrl({
      preAuthCode: pre.pre_auth_code,
      redirectUri,
      authType: q.auth_type ? Number(q.auth_type) as 1 : undefined,
      bizAppId: q.biz_appid,
      categoryIdList: q.category_id_list?.split("|"),
      mobile,
    });
    if (options.authorizationLink) link = options.authorizationLink(link, url);
    c.header(
      "set-cookie",
      `${STATE_COOKIE}=${cookie}; Max-Age=${STATE_MAX_AGE}; Path=/authorize; HttpOnly; SameSite=Lax` +
        (url.protocol === "https:" ? "; Secure" : ""),
    );
    c.header("cache-control", "no-store");
    return c.html(authorizePage(pickLang(c.req.header("accept-language")), link, mobile));
  });

  app.get("/callback", async (c) => {
    const rt = c.get("service");
    const lang = pickLang(c.req.header("accept-language"));
    const result = v.safeParse(CallbackQuerySchema, c.req.query());
    if (!result.success) {
      throw new HttpError(400, "invalid_request", "Missing or invalid auth_code or state");
    }
    const { auth_code, state } = result.output;
    const binding = await readState(
      rt.settings.storageKey,
      state,
      readCookie(c.req.header("cookie"), STATE_COOKIE),
    );
    if (!binding) {
      throw new HttpError(
        400,
        "invalid_state",
        "This authorization was not started in this browser, or it expired",
      );
    }
    const exchange = await unwrap(
      componentObject(c.env).completeAuthorization(state, auth_code, binding.preAuthDigest),
    );
    c.header("set-cookie", `${STATE_COOKIE}=; Max-Age=0; Path=/authorize; HttpOnly; SameSite=Lax`);
    c.header("cache-control", "no-store");
    if (rt.settings.resultRedirectUrl) {
      const target = new URL(rt.settings.resultRedirectUrl);
      target.searchParams.set("authorizer_appid", exchange.authorizerAppId);
      return c.redirect(target.toString(), 302);
    }
    return c.html(resultPage(lang, exchange.authorizerAppId, exchange.nickName));
  });

  return app;
}

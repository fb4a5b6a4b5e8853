/**
 * Web authorization on behalf of an Official Account (网页授权, 代公众号发起):
 *
 * - `GET /oauth/:appid?redirect_uri=&scope=&state=` sends the user to WeChat's
 *   `connect/oauth2/authorize` with `component_appid`, our own callback as `redirect_uri` and a
 *   fresh random `state`; what the caller asked for (its `redirect_uri`, `scope`, `state`) rides
 *   in a signed, HttpOnly cookie named after that state, valid 10 minutes;
 * - `GET /oauth/:appid/callback?code=&state=` checks the state against its cookie (this browser
 *   started it, not expired, not used: a used state is marked in KV), exchanges the code
 *   (`sns/oauth2/component/access_token`), reads `sns/userinfo` for `snsapi_userinfo`, and
 *   sends the user back (302) to the caller's `redirect_uri` with `wxopen_result` (see
 *   `src/client/oauth_result.ts`: openid, unionid, scope, profile, signed with a key derived
 *   from `ADMIN_TOKEN`, 5 minutes) and the caller's `state`. The user's access token never
 *   leaves the worker. A user who declined, or a failed exchange, comes back with
 *   `wxopen_error` instead.
 *
 * `redirect_uri` must be http(s) on a host of `OAUTH_REDIRECT_HOSTS` (without it these routes
 * answer 500 naming the setting). Failures before the caller's `redirect_uri` is known are HTML
 * pages, as in the merchant's authorization room.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import { toHex } from "../../src/_bytes.ts";
import {
  type OAuthResult,
  openToken,
  signOAuthResult,
  signToken,
} from "../../src/client/oauth_result.ts";
import { STORAGE_PREFIX } from "../../src/tokens/keys.ts";
import type { AppEnv, AppOptions } from "../context.ts";
import { HttpError, toHttpError } from "../errors.ts";
import { errorPage, pickLang } from "../pages.ts";
import type { Settings } from "../settings.ts";
import { appidParam, readCookie } from "../validate.ts";

/** How long the user has on WeChat's page, seconds. */
const STATE_MAX_AGE = 600;
/** How long a result is accepted, seconds. */
const RESULT_MAX_AGE = 300;
const COOKIE_INFO = "wxopen oauth state v1";
const COOKIE_PREFIX = "wxopen_oauth_";

/** What the state cookie carries. */
interface Pending {
  /** The Official Account. */
  a: string;
  /** The caller's redirect_uri. */
  r: string;
  /** The scope asked for. */
  c: string;
  /** The caller's state, if any. */
  s?: string;
  /** Issued at, unix seconds. */
  t: number;
}

function allowedRedirect(settings: Settings, raw: string | undefined): URL {
  const hosts = settings.oauthRedirectHosts;
  if (!hosts) {
    throw new HttpError(
      500,
      "missing_setting",
      "OAUTH_REDIRECT_HOSTS is missing (the hosts /oauth may send users back to)",
    );
  }
  let url: URL | undefined;
  try {
    if (raw && raw.length <= 2048) url = new URL(raw);
  } catch {
    // refused below
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.username) {
    throw new HttpError(400, "invalid_request", "redirect_uri must be an http(s) URL");
  }
  if (!hosts.includes(url.host) && !hosts.includes(url.hostname)) {
    throw new HttpError(400, "redirect_not_allowed", "redirect_uri's host is not allowed");
  }
  return url;
}

/** The web authorization routes (mounted at `/oauth`). */
export function oauthRoutes(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => {
    const http = toHttpError(err);
    if (http.status >= 500) console.error(`[wxopen] ${http.code}: ${http.message}`);
    c.header("cache-control", "no-store");
    return c.html(errorPage(pickLang(c.req.header("accept-language")), http.message), http.status);
  });

  app.get("/:appid", appidParam(), async (c) => {
    const rt = c.get("service");
    const appid = c.get("appid");
    const q = c.req.query();
    const redirect = allowedRedirect(rt.settings, q.redirect_uri);
    const scope = q.scope ?? "snsapi_base";
    if (scope !== "snsapi_base" && scope !== "snsapi_userinfo") {
      throw new HttpError(400, "invalid_request", "scope must be snsapi_base or snsapi_userinfo");
    }
    if (q.state !== undefined && q.state.length > 512) {
      throw new HttpError(400, "invalid_request", "state must be at most 512 characters");
    }
    const record = await rt.client.managed.getAuthorizer(appid);
    if (!record || record.status === "revoked") {
      throw new HttpError(404, "not_found", "No such authorizer");
    }
    const state = toHex(crypto.getRandomValues(new Uint8Array(16)));
    const pending: Pending = {
      a: appid,
      r: redirect.href,
      c: scope,
      t: Math.floor(Date.now() / 1000),
    };
    if (q.state !== undefined) pending.s = q.state;
    const url = new URL(c.req.url);
    const callback = `${url.origin}/oauth/${appid}/callback`;
    let link = rt.client.oauthUrl({ appId: appid, redirectUri: callback, scope, state });
    if (options.authorizationLink) link = options.authorizationLink(link, url);
    const cookie = await signToken(pending, rt.settings.storageKeyBase64, COOKIE_INFO);
    c.header(
      "set-cookie",
      `${COOKIE_PREFIX}${state}=${cookie}; Max-Age=${STATE_MAX_AGE}; Path=/oauth/${appid}/callback; ` +
        `HttpOnly; SameSite=Lax${url.protocol === "https:" ? "; Secure" : ""}`,
    );
    c.header("cache-control", "no-store");
    return c.redirect(link, 302);
  });

  app.get("/:appid/callback", appidParam(), async (c) => {
    const rt = c.get("service");
    const appid = c.get("appid");
    const state = c.req.query("state") ?? "";
    const name = `${COOKIE_PREFIX}${state}`;
    const raw = /^[0-9a-f]{32}$/.test(state) ? readCookie(c.req.header("cookie"), name) : undefined;
    const pending = raw === undefined
      ? null
      : await openToken(raw, rt.settings.storageKeyBase64, COOKIE_INFO) as Pending | null;
    const age = Date.now() / 1000 - (pending?.t ?? 0);
    if (!pending || pending.a !== appid || !(age >= -60 && age <= STATE_MAX_AGE)) {
      throw new HttpError(
        400,
        "invalid_state",
        "This sign-in was not started in this browser, or it expired",
      );
    }
    // Single use: the cookie goes, and the state is marked for its lifetime (KV is eventually
    // consistent across locations; WeChat's code is single-use as well).
    c.header(
      "set-cookie",
      `${name}=; Max-Age=0; Path=/oauth/${appid}/callback; HttpOnly; SameSite=Lax`,
    );
    c.header("cache-control", "no-store");
    c.header("referrer-policy", "no-referrer");
    const used = `${STORAGE_PREFIX}oauth_state:${state}`;
    if (await rt.store.get(used) !== null) {
      throw new HttpError(400, "state_used", "This sign-in was already completed");
    }
    await rt.store.put(used, "1", { ttlSeconds: STATE_MAX_AGE });
    // Re-checked against the setting: it may have changed since the cookie was issued.
    const target = allowedRedirect(rt.settings, pending.r);
    if (pending.s !== undefined) target.searchParams.set("state", pending.s);
    const code = c.req.query("code");
    if (!code) {
      target.searchParams.set("wxopen_error", "access_denied");
      return c.redirect(target.href, 302);
    }
    try {
      const token = await rt.client.oauthAccessToken(appid, code);
      const iat = Math.floor(Date.now() / 1000);
      const result: OAuthResult = {
        v: 1,
        appid,
        openid: token.openid,
        scope: token.scope ?? pending.c,
        iat,
        exp: iat + RESULT_MAX_AGE,
      };
      if (pending.s !== undefined) result.state = pending.s;
      if (token.unionid) result.unionid = token.unionid;
      if (result.scope.split(",").includes("snsapi_userinfo")) {
        const { openid: _o, unionid, ...profile } = await rt.client.userInfo(
          token.access_token,
          token.openid,
        );
        if (unionid) result.unionid = unionid;
        result.profile = profile;
      }
      target.searchParams.set(
        "wxopen_result",
        await signOAuthResult(result, rt.settings.adminToken),
      );
    } catch (err) {
      const http = toHttpError(err);
      console.error(`[wxopen] oauth callback: ${http.code}: ${http.message}`);
      target.searchParams.set("wxopen_error", http.code);
    }
    return c.redirect(target.href, 302);
  });

  return app;
}

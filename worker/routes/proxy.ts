/**
 * `/api/v1/authorizers/:appid/wechat/*`: any WeChat API path called on the authorizer's behalf,
 * with its access token injected (and refreshed once when WeChat rejects it).
 *
 * @module
 */

import { Hono } from "hono/tiny";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { appidParam, limitBody } from "../validate.ts";

/** A proxied request body larger than this is refused. */
export const PROXY_BODY_LIMIT = 2 * 1024 * 1024;

/** The proxy routes (mounted at `/api/v1/authorizers/:appid/wechat`). */
export function proxyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.all("/*", appidParam(), limitBody(PROXY_BODY_LIMIT), async (c) => {
    const appid = c.get("appid");
    const rt = c.get("service");
    const url = new URL(c.req.url);
    const marker = `/authorizers/${appid}/wechat/`;
    const rest = url.pathname.slice(url.pathname.indexOf(marker) + marker.length);
    if (!rest || rest.startsWith("/") || rest.includes("..")) {
      throw new HttpError(400, "invalid_request", "A WeChat API path is required");
    }
    const method = c.req.method;
    const body = method === "GET" || method === "HEAD"
      ? undefined
      : new Uint8Array(await c.req.arrayBuffer());
    const contentType = c.req.header("content-type");
    // The core's one request path: token injected, refreshed and retried once on
    // 40001/40014/42001; a failed exchange is a NetworkError or TimeoutError.
    const res = await rt.client.authorizer(appid).fetch(`/${rest}${url.search}`, {
      method,
      headers: contentType ? { "content-type": contentType } : {},
      body,
    });
    const headers = new Headers();
    const ct = res.headers.get("content-type");
    if (ct) headers.set("content-type", ct);
    const disposition = res.headers.get("content-disposition");
    if (disposition) headers.set("content-disposition", disposition);
    return new Response(res.body, { status: res.status, headers });
  });
  return app;
}

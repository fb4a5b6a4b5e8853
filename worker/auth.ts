/**
 * Bearer `ADMIN_TOKEN` middleware for the admin API, compared in constant time.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "../src/crypto/mod.ts";
import { HttpError } from "./errors.ts";
import type { AppEnv } from "./context.ts";

/**
 * Rejects a request without `Authorization: Bearer <ADMIN_TOKEN>` with 401 `unauthorized`.
 * The comparison does not exit early, so timing does not reveal a matching prefix.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.get("settings").adminToken;
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    // Compare even when the header is malformed, so both paths take the same time.
    const ok = timingSafeEqual(match ? match[1] : "", expected) && match !== null;
    if (!ok) {
      c.header("WWW-Authenticate", 'Bearer realm="wxopen"');
      throw new HttpError(401, "unauthorized", "A valid Bearer ADMIN_TOKEN is required");
    }
    await next();
  };
}

/**
 * Input checks shared by the routes: one validation helper (valibot, first issue named), one
 * body limit (`hono/body-limit`, answered in the worker's error shape) and one middleware for
 * the `:appid` parameter.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import * as v from "valibot";
import { isAppId } from "../mod.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * `input` checked by `schema`, or a 400 `invalid_request` naming the first invalid field of
 * `what` ("Query parameter", "Body field").
 */
export function valid<T extends v.GenericSchema>(
  schema: T,
  input: unknown,
  what: string,
): v.InferOutput<T> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const where = result.issues[0].path?.map((p) => String(p.key)).join(".");
  throw new HttpError(
    400,
    "invalid_request",
    where ? `${what} ${where} is missing or invalid` : `${what} is invalid`,
  );
}

/** The JSON body checked by `schema` (400 when it is not JSON or does not match). */
export async function validJson<T extends v.GenericSchema>(
  req: Request,
  schema: T,
): Promise<v.InferOutput<T>> {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    throw new HttpError(400, "invalid_request", "The body must be JSON");
  }
  return valid(schema, body, "Body field");
}

/** Refuses a body larger than `maxSize` bytes with 413 `payload_too_large` (streams stay streams). */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HttpError(413, "payload_too_large", `The body is larger than ${maxSize} bytes`);
    },
  });
}

/** The `:appid` route parameter, checked (400) and set as the `appid` variable. */
export function appidParam(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const appid = c.req.param("appid") ?? "";
    if (!isAppId(appid)) {
      throw new HttpError(400, "invalid_request", "The appid must look like wx + 16 characters");
    }
    c.set("appid", appid);
    await next();
  };
}

/** Reads `name` from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Input checks shared by the routes: one validation helper (valibot, first issue named), one
 * body limit (answered in the worker's error shape) and one middleware for the `:appid`
 * parameter.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import { isAppId } from "../mod.ts";
import { concatBytes } from "../src/_bytes.ts";
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

function tooLarge(maxSize: number): HttpError {
  return new HttpError(413, "payload_too_large", `The body is larger than ${maxSize} bytes`);
}

/**
 * The length a request declares (`Content-Length`, without `Transfer-Encoding`), or `null` when
 * it declares none; 413 `payload_too_large` when it is past `maxSize`.
 */
function declaredLength(req: Request, maxSize: number): number | null {
  const length = req.headers.get("content-length");
  if (length === null || req.headers.has("transfer-encoding")) return null;
  if (Number(length) > maxSize) throw tooLarge(maxSize);
  return Number(length);
}

/**
 * Refuses a body larger than `maxSize` bytes with 413 `payload_too_large`. A body with a
 * `Content-Length` stays a stream; one without is read (up to the limit) for the route.
 */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const req = c.req.raw;
    if (declaredLength(req, maxSize) === null && req.body) {
      c.req.raw = new Request(req, { body: await readLimited(req.body, maxSize) });
    }
    await next();
  };
}

/**
 * The whole body of `req`, or 413 `payload_too_large` past `maxSize` bytes (by its
 * `Content-Length`, or while a body sent without one is read). For routes that read the body
 * themselves: {@linkcode limitBody} copies a body sent without a length into a new request
 * (Hono's `bodyLimit` doing so was 6% of the message path's CPU in a profile).
 */
export async function readBody(req: Request, maxSize: number): Promise<Uint8Array> {
  const length = declaredLength(req, maxSize);
  if (!req.body) return new Uint8Array(0);
  if (length === null) return await readLimited(req.body, maxSize);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > maxSize) throw tooLarge(maxSize);
  return bytes;
}

/**
 * Reads `stream` whole, cancelling it and throwing `refuse()` (default: 413
 * `payload_too_large`) as soon as it passes `maxSize` bytes.
 */
export async function readLimited(
  stream: ReadableStream<Uint8Array>,
  maxSize: number,
  refuse: () => HttpError = () => tooLarge(maxSize),
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxSize) {
      await reader.cancel().catch(() => {});
      throw refuse();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
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

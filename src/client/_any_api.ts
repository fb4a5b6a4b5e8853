/**
 * The generic JSON call on an authorizer's behalf, as a descriptor (private to the package).
 *
 * @module
 */

import type { Endpoint } from "../api/endpoint.ts";
import { AnyObjectSchema } from "../api/_schemas.ts";

/**
 * The descriptor of `AuthorizerClient.call` (shared with the worker's lean client): any JSON API
 * with the authorizer's token, POST with `body` as JSON when given, GET otherwise. Throws
 * `TypeError` for a path that is not absolute or carries a query or fragment, and for a query
 * that sets `access_token` itself.
 */
export function anyJsonApi(
  path: string,
  body: unknown,
  query: Record<string, string | number> | undefined,
): Endpoint<undefined, Record<string, unknown>> {
  if (typeof path !== "string" || !path.startsWith("/") || /[?#\s]/.test(path)) {
    throw new TypeError("Invalid path: expected an absolute path without query string");
  }
  const q = query ?? {};
  if ("access_token" in q) {
    throw new TypeError("Invalid query: access_token is injected by the client");
  }
  return {
    path,
    method: body === undefined ? "GET" : "POST",
    auth: "authorizer",
    query: () => q,
    body: () => body,
    schema: AnyObjectSchema,
  };
}

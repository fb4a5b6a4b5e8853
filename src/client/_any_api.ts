/**
 * The generic JSON call on an authorizer's behalf, as a descriptor (private to the package).
 *
 * @module
 */

import type { Endpoint } from "../api/endpoint.ts";
import { AnyObjectSchema } from "../api/_schemas.ts";
import { refuseComponentApi } from "../api/send.ts";

/**
 * The descriptor of `AuthorizerCalls.call` (the worker's lean client uses it too): any JSON API
 * with the authorizer's token, POST with `body` as JSON when given, GET otherwise. Throws
 * `TypeError` for a path that is not absolute or carries a query or fragment, for a query that
 * sets `access_token` itself, and for a component API (`refuseComponentApi`).
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
  const search = new URLSearchParams(
    Object.entries(q).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  refuseComponentApi(search ? `${path}?${search}` : path);
  return {
    path,
    method: body === undefined ? "GET" : "POST",
    auth: "authorizer",
    query: () => q,
    body: () => body,
    schema: AnyObjectSchema,
  };
}

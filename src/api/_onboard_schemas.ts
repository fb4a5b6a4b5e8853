/**
 * Valibot schemas of the privacy, fast-registration, open-account and diagnostics answers
 * (private: the public interfaces live beside their descriptors). Every object is loose, so
 * fields WeChat adds pass through; each schema is built in a `@__PURE__` call so that a bundle
 * that never calls the API drops it. A compile-time check at the end proves each schema's
 * output fits its interface.
 *
 * @module
 */

import * as v from "valibot";
import type { RidInfoResponse } from "./diagnostics.ts";

/** A number that WeChat sometimes sends as a digit string. */
const Numberish = v.union([
  v.number(),
  v.pipe(v.string(), v.regex(/^-?\d+$/), v.transform(Number)),
]);

// ---- diagnostics ------------------------------------------------------------------------------

export const RidInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    request: v.looseObject({
      invoke_time: Numberish,
      cost_in_ms: v.optional(Numberish),
      request_url: v.optional(v.string()),
      request_body: v.optional(v.string()),
      response_body: v.optional(v.string()),
      client_ip: v.optional(v.string()),
    }),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof RidInfoSchema, RidInfoResponse>,
] = [true];
void _fits;

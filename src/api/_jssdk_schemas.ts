/**
 * Valibot schemas of the JS-SDK ticket and `sns/userinfo` answers (private: `jssdk.ts` and
 * `sns.ts` hold the public interfaces). Loose objects: unknown fields pass through. Each schema
 * is built by a `@__PURE__` call so a bundle that never calls the API drops it.
 *
 * @module
 */

import * as v from "valibot";
import type { TicketResponse } from "./jssdk.ts";
import type { SnsUserInfoResponse } from "./sns.ts";

export const TicketSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    ticket: v.pipe(v.string(), v.minLength(1)),
    expires_in: v.pipe(v.number(), v.minValue(0)),
  }))();

export const SnsUserInfoSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    openid: v.pipe(v.string(), v.minLength(1)),
    nickname: v.optional(v.string()),
    sex: v.optional(v.number()),
    province: v.optional(v.string()),
    city: v.optional(v.string()),
    country: v.optional(v.string()),
    headimgurl: v.optional(v.string()),
    privilege: v.optional(v.array(v.string())),
    unionid: v.optional(v.string()),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof TicketSchema, TicketResponse>,
  Fits<typeof SnsUserInfoSchema, SnsUserInfoResponse>,
] = [true, true];
void _fits;

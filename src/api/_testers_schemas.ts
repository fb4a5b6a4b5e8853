/**
 * Valibot schemas of the tester answers (private: `testers.ts` has the public interfaces).
 * Loose objects; each built by a `@__PURE__` call so unused ones tree-shake.
 *
 * @module
 */

import * as v from "valibot";
import type { BindTesterResponse, MemberAuthResponse } from "./testers.ts";

export const BindTesterSchema = /* @__PURE__ */ (() => v.looseObject({ userstr: v.string() }))();

export const MemberAuthSchema =
  /* @__PURE__ */ (() =>
    v.looseObject({ members: v.array(v.looseObject({ userstr: v.string() })) }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof BindTesterSchema, BindTesterResponse>,
  Fits<typeof MemberAuthSchema, MemberAuthResponse>,
] = [true, true];
void _fits;

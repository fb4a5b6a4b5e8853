/**
 * Valibot schemas of the domain answers (private: `domains.ts` has the public interfaces).
 * Loose objects; each built by a `@__PURE__` call so unused ones tree-shake.
 *
 * @module
 */

import * as v from "valibot";
import type {
  ConfirmFileResponse,
  ModifyDomainResponse,
  PlatformDomainResponse,
  WebViewDomainResponse,
} from "./domains.ts";

const List = /* @__PURE__ */ (() => v.optional(v.array(v.string())))();

export const ModifyDomainSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    requestdomain: List,
    wsrequestdomain: List,
    uploaddomain: List,
    downloaddomain: List,
    udpdomain: List,
    tcpdomain: List,
  }))();

export const WebViewDomainSchema = /* @__PURE__ */ (() => v.looseObject({ webviewdomain: List }))();

export const ConfirmFileSchema =
  /* @__PURE__ */ (() => v.looseObject({ file_name: v.string(), file_content: v.string() }))();

export const PlatformDomainSchema = /* @__PURE__ */ (() =>
  v.looseObject({
    published_wxa_server_domain: v.optional(v.string()),
    testing_wxa_server_domain: v.optional(v.string()),
    invalid_wxa_server_domain: v.optional(v.string()),
    published_wxa_jump_h5_domain: v.optional(v.string()),
    testing_wxa_jump_h5_domain: v.optional(v.string()),
    invalid_wxa_jump_h5_domain: v.optional(v.string()),
  }))();

// Compile-time proof that every schema's output fits its public interface.
type Fits<S extends v.GenericSchema, I> = v.InferOutput<S> extends I ? true : never;
const _fits: [
  Fits<typeof ModifyDomainSchema, ModifyDomainResponse>,
  Fits<typeof WebViewDomainSchema, WebViewDomainResponse>,
  Fits<typeof ConfirmFileSchema, ConfirmFileResponse>,
  Fits<typeof PlatformDomainSchema, PlatformDomainResponse>,
] = [true, true, true, true];
void _fits;

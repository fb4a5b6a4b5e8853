/**
 * Private helpers shared by the push parsers: read fields of a parsed `<xml>` document and raise
 * {@linkcode PushFormatError} when a required one is missing or not text.
 *
 * @module
 */

import { type PushFormatErrorCode, WxOpenError } from "../errors.ts";

export type { PushFormatErrorCode };
import type { XmlElement, XmlValue } from "../xml/parse.ts";

/**
 * A push (authorization event or authorizer message) parsed as XML but lacks a field its kind
 * requires, or carries a field in the wrong shape (an element where text belongs). A server
 * answers it with 400.
 *
 * @example Tell a malformed push from a broken document
 * ```ts
 * import { parseComponentEvent, PushFormatError } from "@wxopen/component/messages";
 *
 * try {
 *   parseComponentEvent("<xml><AppId>wx1</AppId><CreateTime>1</CreateTime><InfoType>authorized</InfoType></xml>");
 * } catch (e) {
 *   if (e instanceof PushFormatError) console.log(e.code, e.field); // "missing_field" "AuthorizerAppid"
 * }
 * ```
 */
export class PushFormatError extends WxOpenError<PushFormatErrorCode> {
  /** The element name at fault. */
  readonly field: string;

  /**
   * Create an error.
   *
   * @param code stable reason
   * @param field the element name at fault
   * @param kind the push kind being parsed, for the message (e.g. `InfoType authorized`)
   */
  constructor(code: PushFormatErrorCode, field: string, kind: string) {
    super(
      code,
      code === "missing_field"
        ? `Push ${kind} lacks the required field ${field}`
        : `Push ${kind} has a field ${field} of the wrong shape`,
    );
    this.name = "PushFormatError";
    this.field = field;
  }
}

/** Read a required text field. */
export function req(fields: XmlElement, name: string, kind: string): string {
  const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (v === undefined) throw new PushFormatError("missing_field", name, kind);
  if (typeof v !== "string") throw new PushFormatError("invalid_field", name, kind);
  return v;
}

/** Read an optional text field: undefined when absent, an error when not text. */
export function opt(fields: XmlElement, name: string, kind: string): string | undefined {
  const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new PushFormatError("invalid_field", name, kind);
  return v;
}

/** Read a required element with children; an empty element counts as no children. */
export function reqObject(fields: XmlElement, name: string, kind: string): XmlElement {
  const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (v === undefined) throw new PushFormatError("missing_field", name, kind);
  return asObject(v, name, kind);
}

/** Read an optional element with children. */
export function optObject(
  fields: XmlElement,
  name: string,
  kind: string,
): XmlElement | undefined {
  const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
  return v === undefined ? undefined : asObject(v, name, kind);
}

function asObject(v: XmlValue, name: string, kind: string): XmlElement {
  if (v === "") return {};
  if (typeof v === "string" || Array.isArray(v)) {
    throw new PushFormatError("invalid_field", name, kind);
  }
  return v;
}

/** A value as a list: arrays as they are, one value as a list of one, absent as empty. */
export function list(v: XmlValue | undefined): XmlValue[] {
  if (v === undefined || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

/** Drop keys whose value is `undefined` (absent optional fields stay absent). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k];
  }
  return o;
}

/** Accept an already parsed document; anything else is a caller's mistake. */
export function checkParsed(xml: unknown): XmlElement {
  if (typeof xml !== "object" || xml === null || Array.isArray(xml)) {
    throw new TypeError("Expected XML text or the object parseXml returns");
  }
  return xml as XmlElement;
}

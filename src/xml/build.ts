/**
 * Writing WeChat-style XML: `<xml>` documents whose string fields are CDATA sections and whose
 * numbers are bare text, the way WeChat's own pushes and passive replies look.
 *
 * CDATA is always safe: a value containing `]]>` is split across two CDATA sections, so any
 * string round-trips through {@linkcode parseXml} unchanged.
 *
 * @example Build a push body
 * ```ts
 * import { buildXml } from "@wxopen/component/xml";
 *
 * const xml = buildXml({ AppId: "wx6a5c7b3deae109fb", CreateTime: 1472650983 });
 * // <xml><AppId><![CDATA[wx6a5c7b3deae109fb]]></AppId><CreateTime>1472650983</CreateTime></xml>
 * ```
 *
 * @module
 */

/**
 * A value {@linkcode buildXml} can write: a string (CDATA), a number or bigint (bare text),
 * a nested object (child elements), an array (repeated elements of the same name), or
 * `undefined` (the element is left out).
 */
export type XmlInput =
  | string
  | number
  | bigint
  | undefined
  | XmlInputObject
  | readonly XmlInput[];

/** Child elements, in insertion order, keyed by element name. */
export interface XmlInputObject {
  /** A child element's value, by element name. */
  [name: string]: XmlInput;
}

/** Options for {@linkcode buildXml}. */
export interface BuildXmlOptions {
  /** Name of the root element. Default `"xml"`. */
  root?: string;
  /** Put a newline after each element, as WeChat's samples do. Default `false`. */
  newlines?: boolean;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.\-]*$/;
// Characters XML 1.0 cannot carry at all, not even in CDATA.
// deno-lint-ignore no-control-regex
const INVALID_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Wrap text in a CDATA section; an embedded `]]>` is split across two sections
 * (`]]]]><![CDATA[>`), so the parsed text equals `text` exactly.
 *
 * @param text any string without characters XML forbids (C0 controls other than tab, LF, CR)
 * @returns the CDATA markup
 * @throws {RangeError} if `text` holds a character XML 1.0 cannot represent
 *
 * @example Usage
 * ```ts
 * import { cdata } from "./build.ts";
 *
 * cdata("a]]>b"); // "<![CDATA[a]]]]><![CDATA[>b]]>"
 * ```
 */
export function cdata(text: string): string {
  if (INVALID_CHARS.test(text)) {
    throw new RangeError("Text holds a character that XML cannot represent");
  }
  return "<![CDATA[" + text.replaceAll("]]>", "]]]]><![CDATA[>") + "]]>";
}

/**
 * Escape text for use as bare element content (`&`, `<`, `>`).
 *
 * @param text the text
 * @returns the escaped text
 * @throws {RangeError} if `text` holds a character XML 1.0 cannot represent
 *
 * @example Usage
 * ```ts
 * import { escapeText } from "./build.ts";
 *
 * escapeText("a<b & c"); // "a&lt;b &amp; c"
 * ```
 */
export function escapeText(text: string): string {
  if (INVALID_CHARS.test(text)) {
    throw new RangeError("Text holds a character that XML cannot represent");
  }
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new RangeError(`Invalid XML element name: ${JSON.stringify(name)}`);
}

/**
 * Write one element: `<name>` + content + `</name>`. Strings become CDATA, numbers bare text,
 * objects child elements, arrays repeated elements; `undefined` writes nothing.
 *
 * @param name element name (ASCII XML name)
 * @param value the content
 * @param newlines put a newline after each element
 * @returns the markup
 * @throws {RangeError} for an invalid name, a non-finite number or an unrepresentable character
 *
 * @example Usage
 * ```ts
 * import { element } from "./build.ts";
 *
 * element("Content", "hi"); // "<Content><![CDATA[hi]]></Content>"
 * element("CreateTime", 1700000000); // "<CreateTime>1700000000</CreateTime>"
 * ```
 */
export function element(name: string, value: XmlInput, newlines = false): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value as readonly XmlInput[]) out += element(name, item, newlines);
    return out;
  }
  checkName(name);
  const nl = newlines ? "\n" : "";
  let body: string;
  if (typeof value === "string") body = cdata(value);
  else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`Element ${name} is not a finite number`);
    body = String(value);
  } else if (typeof value === "bigint") body = String(value);
  else if (typeof value === "object" && value !== null) {
    body = nl + children(value as XmlInputObject, newlines);
  } else {
    throw new TypeError(`Element ${name} has an unsupported value type`);
  }
  return `<${name}>${body}</${name}>${nl}`;
}

function children(obj: XmlInputObject, newlines: boolean): string {
  let out = "";
  for (const key of Object.keys(obj)) out += element(key, obj[key], newlines);
  return out;
}

/**
 * Write a whole document: a root element (default `<xml>`) holding `fields` as child elements,
 * in insertion order.
 *
 * @param fields the root's children
 * @param options root name and formatting
 * @returns the XML document (no XML declaration, as WeChat sends it)
 * @throws {RangeError} for an invalid name, a non-finite number or an unrepresentable character
 *
 * @example A passive text reply
 * ```ts
 * import { buildXml } from "@wxopen/component/xml";
 *
 * buildXml({ ToUserName: "o_user", FromUserName: "gh_abc", CreateTime: 1700000000, MsgType: "text", Content: "hi" });
 * ```
 */
export function buildXml(fields: XmlInputObject, options: BuildXmlOptions = {}): string {
  const root = options.root ?? "xml";
  checkName(root);
  const nl = options.newlines ? "\n" : "";
  return `<${root}>${nl}${children(fields, options.newlines ?? false)}</${root}>`;
}

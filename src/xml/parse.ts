/**
 * A small, strict XML parser for the XML that WeChat pushes (`<xml>…</xml>` with flat or shallow
 * children, CDATA or bare text).
 *
 * It is safe by construction: a document type declaration (`<!DOCTYPE`, `<!ENTITY`, …) is
 * rejected, so external entities (XXE) and entity-expansion bombs are impossible; only the five
 * predefined entities and numeric character references are decoded; input size and nesting depth
 * are bounded; and anything malformed throws {@linkcode XmlParseError} with a `code`.
 *
 * @example Parse a component_verify_ticket push
 * ```ts
 * import { parseXml } from "@wxopen/component/xml";
 *
 * const fields = parseXml(
 *   "<xml><AppId><![CDATA[wx6a5c7b3deae109fb]]></AppId><CreateTime>1472650983</CreateTime></xml>",
 * );
 * console.log(fields.AppId, fields.CreateTime); // "wx6a5c7b3deae109fb" "1472650983"
 * ```
 *
 * @module
 */

import { WxOpenError, type XmlParseErrorCode } from "../errors.ts";

export type { XmlParseErrorCode };

/** A parsed XML value: text, an element's children, or repeated sibling elements. */
export type XmlValue = string | XmlElement | XmlValue[];

/**
 * The children of an element, keyed by element name. A text-only child is a string, a child
 * with element children is an {@linkcode XmlElement}, and repeated siblings become an array.
 * Non-whitespace text mixed with child elements is kept under `"#text"`.
 */
export interface XmlElement {
  /** A child element's value, by element name. */
  [name: string]: XmlValue;
}

/**
 * Thrown by {@linkcode parseXml} for input that is too large, too deep, declares a DTD, uses an
 * undefined entity or is not well-formed. `offset` is the UTF-16 index where the problem was found.
 *
 * @example Tell a hostile document from a broken one
 * ```ts
 * import { parseXml, XmlParseError } from "@wxopen/component/xml";
 *
 * try {
 *   parseXml('<!DOCTYPE x [<!ENTITY a "b">]><xml/>');
 * } catch (e) {
 *   if (e instanceof XmlParseError) console.log(e.code); // "xml_doctype"
 * }
 * ```
 */
export class XmlParseError extends WxOpenError<XmlParseErrorCode> {
  /** Position in the input string (UTF-16 code units) where parsing stopped, if known. */
  readonly offset: number | undefined;

  /**
   * Create an error.
   *
   * @param code stable reason
   * @param message human-readable description (sentence case, no trailing period)
   * @param offset position in the input where the problem was found
   */
  constructor(code: XmlParseErrorCode, message: string, offset?: number) {
    super(code, offset === undefined ? message : `${message} (at offset ${offset})`);
    this.name = "XmlParseError";
    this.offset = offset;
  }
}

/** Options for {@linkcode parseXml}. */
export interface ParseXmlOptions {
  /** Largest accepted input, in UTF-8 bytes. Default 1 MiB (1048576). */
  maxBytes?: number;
  /** Deepest accepted element nesting, the root element counting as 1. Default 32. */
  maxDepth?: number;
}

/** Default input limit of {@linkcode parseXml}: 1 MiB. */
export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;
/** Default nesting limit of {@linkcode parseXml}. */
export const DEFAULT_MAX_XML_DEPTH = 32;

interface Frame {
  name: string;
  obj: XmlElement | undefined;
  /** All text, CDATA verbatim and plain text entity-decoded. */
  text: string;
  /** Text without the whitespace-only plain segments. */
  solid: string;
  cdata: boolean;
}

const GT = 62; // >
const SLASH = 47; // /
const BANG = 33; // !
const QMARK = 63; // ?
const EQ = 61; // =

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 ||
    (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0xfffe && c !== 0xffff);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 0xb7;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (!isSpace(s.charCodeAt(i))) return false;
  }
  return true;
}

function utf8Length(s: string, stopAbove: number): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
    if (n > stopAbove) return n;
  }
  return n;
}

function setChild(obj: XmlElement, name: string, value: XmlValue): void {
  if (Object.hasOwn(obj, name)) {
    const prev = obj[name];
    if (Array.isArray(prev)) prev.push(value);
    else defineChild(obj, name, [prev, value]);
  } else defineChild(obj, name, value);
}

function defineChild(obj: XmlElement, name: string, value: XmlValue): void {
  if (name === "__proto__") {
    Object.defineProperty(obj, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else obj[name] = value;
}

const PREDEFINED: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string, base: number): string {
  let amp = s.indexOf("&");
  if (amp < 0) return s;
  let out = "";
  let last = 0;
  while (amp >= 0) {
    const semi = s.indexOf(";", amp + 1);
    if (semi < 0 || semi - amp > 12) {
      throw new XmlParseError("xml_entity", "Unterminated or unknown entity reference", base + amp);
    }
    const ref = s.slice(amp + 1, semi);
    let rep: string | undefined;
    if (ref.charCodeAt(0) === 35) { // #
      const hex = ref.charCodeAt(1) === 120; // x
      const digits = ref.slice(hex ? 2 : 1);
      const ok = digits.length > 0 &&
        (hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits));
      const cp = ok ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (
        !(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
          (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff))
      ) {
        throw new XmlParseError("xml_entity", "Invalid character reference", base + amp);
      }
      rep = String.fromCodePoint(cp);
    } else {
      rep = Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : undefined;
      if (rep === undefined) {
        throw new XmlParseError(
          "xml_entity",
          "Undefined entity reference (only the five predefined entities are allowed)",
          base + amp,
        );
      }
    }
    out += s.slice(last, amp) + rep;
    last = semi + 1;
    amp = s.indexOf("&", last);
  }
  return out + s.slice(last);
}

function malformed(message: string, offset: number): XmlParseError {
  return new XmlParseError("xml_malformed", message, offset);
}

/**
 * Parse one XML document and return the children of its root element (WeChat's `<xml>`).
 *
 * - Text-only elements become strings: CDATA content verbatim, plain text entity-decoded and
 *   otherwise verbatim (numbers stay the exact strings sent). Whitespace-only plain text next
 *   to CDATA (`<MsgType>  <![CDATA[video]]></MsgType>`) is formatting and dropped.
 * - Elements with child elements become {@linkcode XmlElement}s; repeated siblings become arrays.
 * - Empty elements (`<a/>`, `<a></a>`) become `""`. Attributes are checked and ignored.
 * - An XML declaration, processing instructions and comments are skipped.
 *
 * @param xml the document
 * @param options size and depth limits
 * @returns the root element's children
 * @throws {XmlParseError} for anything oversized, too deep, DTD-bearing or malformed
 * @throws {TypeError} if `xml` is not a string
 *
 * @example Nested and repeated elements
 * ```ts
 * import { parseXml } from "@wxopen/component/xml";
 *
 * const m = parseXml(
 *   "<xml><SendPicsInfo><Count>2</Count><PicList>" +
 *     "<item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item>" +
 *     "</PicList></SendPicsInfo></xml>",
 * );
 * // m.SendPicsInfo.PicList.item is an array of two { PicMd5Sum } objects
 * ```
 */
export function parseXml(xml: string, options: ParseXmlOptions = {}): XmlElement {
  if (typeof xml !== "string") throw new TypeError("XML input must be a string");
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  const n = xml.length;
  if (n > maxBytes || (n * 3 > maxBytes && utf8Length(xml, maxBytes) > maxBytes)) {
    throw new XmlParseError("xml_too_large", `XML input exceeds ${maxBytes} bytes`);
  }

  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: Frame[] = [];
  let result: XmlElement | undefined;

  while (i < n) {
    const lt = xml.indexOf("<", i);
    // Text between i and lt (or the end).
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const raw = xml.slice(i, end);
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (top === undefined) {
        if (!isBlank(raw)) {
          throw malformed(
            result === undefined ? "Text before the root element" : "Text after the root element",
            i,
          );
        }
      } else {
        const text = decodeEntities(raw, i);
        top.text += text;
        if (!isBlank(text)) top.solid += text;
      }
    }
    if (lt < 0) break;
    i = lt;
    const c1 = xml.charCodeAt(i + 1);

    if (c1 === SLASH) {
      // Closing tag.
      const top = stack.pop();
      if (top === undefined) throw malformed("Closing tag without an open element", i);
      const nameEnd = i + 2 + top.name.length;
      if (xml.startsWith(top.name, i + 2) && !isNameChar(xml.charCodeAt(nameEnd))) {
        let j = nameEnd;
        while (j < n && isSpace(xml.charCodeAt(j))) j++;
        if (xml.charCodeAt(j) !== GT) throw malformed("Malformed closing tag", i);
        i = j + 1;
      } else {
        throw malformed(`Mismatched closing tag, expected </${top.name}>`, i);
      }
      closeFrame(top);
      continue;
    }

    if (c1 === BANG) {
      if (xml.startsWith("<![CDATA[", i)) {
        const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
        if (top === undefined) throw malformed("CDATA section outside the root element", i);
        const close = xml.indexOf("]]>", i + 9);
        if (close < 0) throw malformed("Unterminated CDATA section", i);
        const text = xml.slice(i + 9, close);
        top.text += text;
        top.solid += text;
        top.cdata = true;
        i = close + 3;
        continue;
      }
      if (xml.startsWith("<!--", i)) {
        const close = xml.indexOf("-->", i + 4);
        if (close < 0) throw malformed("Unterminated comment", i);
        i = close + 3;
        continue;
      }
      const word = xml.slice(i + 2, i + 10).toUpperCase();
      if (
        word.startsWith("DOCTYPE") || word.startsWith("ENTITY") || word.startsWith("ELEMENT") ||
        word.startsWith("ATTLIST") || word.startsWith("NOTATION")
      ) {
        throw new XmlParseError(
          "xml_doctype",
          "Document type declarations are not allowed",
          i,
        );
      }
      throw malformed("Unexpected markup declaration", i);
    }

    if (c1 === QMARK) {
      const close = xml.indexOf("?>", i + 2);
      if (close < 0) throw malformed("Unterminated processing instruction", i);
      i = close + 2;
      continue;
    }

    // Opening tag.
    if (result !== undefined && stack.length === 0) {
      throw malformed("More than one root element", i);
    }
    let j = i + 1;
    if (!isNameStart(xml.charCodeAt(j))) throw malformed("Invalid element name", i);
    j++;
    while (j < n && isNameChar(xml.charCodeAt(j))) j++;
    const name = xml.slice(i + 1, j);
    let selfClosing = false;
    // Attributes (validated, then ignored).
    for (;;) {
      const before = j;
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      const c = xml.charCodeAt(j);
      if (c === GT) {
        j++;
        break;
      }
      if (c === SLASH && xml.charCodeAt(j + 1) === GT) {
        selfClosing = true;
        j += 2;
        break;
      }
      if (j === before || !isNameStart(c)) {
        throw malformed(j >= n ? "Unterminated tag" : "Malformed tag", i);
      }
      j++;
      while (j < n && isNameChar(xml.charCodeAt(j))) j++;
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      if (xml.charCodeAt(j) !== EQ) throw malformed("Malformed attribute", j);
      j++;
      while (j < n && isSpace(xml.charCodeAt(j))) j++;
      const q = xml.charCodeAt(j);
      if (q !== 34 && q !== 39) throw malformed("Unquoted attribute value", j);
      const close = xml.indexOf(q === 34 ? '"' : "'", j + 1);
      if (close < 0) throw malformed("Unterminated attribute value", j);
      const value = xml.slice(j + 1, close);
      if (value.includes("<")) throw malformed("Attribute value contains '<'", j);
      decodeEntities(value, j + 1);
      j = close + 1;
    }
    if (stack.length + 1 > maxDepth) {
      throw new XmlParseError("xml_too_deep", `XML nesting exceeds ${maxDepth} levels`, i);
    }
    const frame: Frame = { name, obj: undefined, text: "", solid: "", cdata: false };
    i = j;
    if (selfClosing) closeFrame(frame);
    else stack.push(frame);
  }

  if (stack.length > 0) {
    throw malformed(`Unclosed element <${stack[stack.length - 1].name}>`, n);
  }
  if (result === undefined) throw malformed("No root element", n);
  return result;

  function closeFrame(frame: Frame): void {
    const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (parent === undefined) {
      const obj = frame.obj ?? {};
      if (frame.solid !== "") setChild(obj, "#text", frame.solid);
      result = obj;
      return;
    }
    let value: XmlValue;
    if (frame.obj !== undefined) {
      value = frame.obj;
      if (frame.solid !== "") setChild(frame.obj, "#text", frame.solid);
    } else {
      value = frame.cdata ? frame.solid : frame.text;
    }
    if (parent.obj === undefined) parent.obj = {};
    setChild(parent.obj, frame.name, value);
  }
}

/**
 * A fast path for reading WeChat's push envelope (`<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>`)
 * without the general XML parser; `MessageCrypto.open` falls back to `parseXml` for any body
 * this does not recognise.
 *
 * @module
 */

import { DEFAULT_MAX_XML_BYTES, type XmlValue } from "../xml/parse.ts";

/** The envelope fields `open` reads. */
export interface EnvelopeFields {
  /** The ciphertext. */
  Encrypt?: XmlValue;
  /** The addressee on the authorization event URL. */
  AppId?: XmlValue;
  /** The addressee on the message URL. */
  ToUserName?: XmlValue;
}

/** Envelopes above this length go to `parseXml`, which enforces its size limit in UTF-8 bytes. */
const SCAN_MAX_LENGTH = (DEFAULT_MAX_XML_BYTES / 3) | 0; // (no call: a bundler can drop it)

/**
 * The envelope fields of the shapes WeChat sends, read without the general parser: `<xml>`,
 * then child elements each holding either one CDATA section or plain text without markup or
 * entity references, separated by XML whitespace, then `</xml>` and optional whitespace. For
 * such a body the result equals what `parseXml` gives for these fields (CDATA verbatim, plain
 * text verbatim). Anything else — a prolog, comments, attributes, nesting, entities, a repeated
 * Encrypt/AppId/ToUserName, a broken tag — returns `undefined`, and the caller parses the body
 * in full, so every rejection keeps its error. `tests/envelope_test.ts` checks the
 * equivalence on seeded mutations of envelopes.
 */
export function scanEnvelope(body: string): EnvelopeFields | undefined {
  const n = body.length;
  if (n > SCAN_MAX_LENGTH || !body.startsWith("<xml>")) return undefined;
  const fields: EnvelopeFields = {};
  let i = 5;
  for (;;) {
    while (i < n && isXmlSpace(body.charCodeAt(i))) i++;
    if (body.charCodeAt(i) !== 60) return undefined; // <
    if (body.charCodeAt(i + 1) === 47) { // </
      if (!body.startsWith("</xml>", i)) return undefined;
      i += 6;
      while (i < n && isXmlSpace(body.charCodeAt(i))) i++;
      return i === n ? fields : undefined;
    }
    // <Name>: an ASCII name, no attributes.
    let j = i + 1;
    if (!isAsciiNameStart(body.charCodeAt(j))) return undefined;
    j++;
    while (isAsciiNameChar(body.charCodeAt(j))) j++;
    if (body.charCodeAt(j) !== 62) return undefined; // >
    const name = body.slice(i + 1, j);
    let k = j + 1;
    let value: string;
    if (body.startsWith("<![CDATA[", k)) {
      const close = body.indexOf("]]>", k + 9);
      if (close < 0) return undefined;
      value = body.slice(k + 9, close);
      k = close + 3;
    } else {
      const lt = body.indexOf("<", k);
      if (lt < 0) return undefined;
      value = body.slice(k, lt);
      if (value.includes("&")) return undefined;
      k = lt;
    }
    // </Name> right after the content.
    if (
      body.charCodeAt(k) !== 60 || body.charCodeAt(k + 1) !== 47 ||
      !body.startsWith(name, k + 2) || body.charCodeAt(k + 2 + name.length) !== 62
    ) {
      return undefined;
    }
    i = k + 3 + name.length;
    if (name === "Encrypt" || name === "AppId" || name === "ToUserName") {
      if (fields[name] !== undefined) return undefined; // repeated: parseXml makes an array
      fields[name] = value;
    }
  }
}

function isXmlSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function isAsciiNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isAsciiNameChar(c: number): boolean {
  return isAsciiNameStart(c) || (c >= 48 && c <= 57);
}

/**
 * The safe XML of WeChat's pushes: a parser that refuses DOCTYPE and entities within size and
 * depth limits and keeps CDATA exactly, and a builder for replies.
 *
 * @example
 * ```ts
 * import { buildXml, parseXml } from "@wxopen/component/xml";
 *
 * const xml = buildXml({ ToUserName: "o1", Content: "a ]]> b" });
 * console.log(parseXml(xml).Content); // "a ]]> b"
 * ```
 *
 * @module
 */

export * from "./parse.ts";
export { buildXml, type BuildXmlOptions, type XmlInput, type XmlInputObject } from "./build.ts";

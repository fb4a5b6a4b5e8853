/**
 * Seeded mutations of XML documents, shared by the XML fuzz test and the XML bench's fuzz
 * comparison: the same seed gives the same inputs in both.
 *
 * @module
 */

const TOKENS = [
  "<",
  ">",
  "</",
  "/>",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?",
  "?>",
  "&",
  "&amp;",
  "&#",
  "&#x",
  ";",
  '"',
  "'",
  "=",
  "<!DOCTYPE",
  "<!ENTITY",
  "<xml>",
  "</xml>",
  "<a>",
  "</a>",
  "\u0000",
  "\uD800",
  "中",
  " ",
  "\n",
];

/** One to four random edits of `src`: truncation, deletion, an XML token, a duplicated slice, a
 * flipped character, or two slices swapped. */
export function mutateXml(src: string, rnd: () => number): string {
  let s = src;
  const rounds = 1 + Math.floor(rnd() * 4);
  for (let r = 0; r < rounds; r++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 6);
    if (op === 0) s = s.slice(0, pos); // truncate
    else if (op === 1) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 8)); // delete
    else if (op === 2) {
      s = s.slice(0, pos) + TOKENS[Math.floor(rnd() * TOKENS.length)] + s.slice(pos);
    } else if (op === 3) { // duplicate a slice
      const len = Math.floor(rnd() * 40);
      s = s.slice(0, pos) + s.slice(pos, pos + len) + s.slice(pos);
    } else if (op === 4) { // flip one character
      s = s.slice(0, pos) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(pos + 1);
    } else { // swap two slices
      const q = Math.floor(rnd() * (s.length + 1));
      const [a, b] = pos < q ? [pos, q] : [q, pos];
      s = s.slice(b) + s.slice(a, b) + s.slice(0, a);
    }
  }
  return s;
}

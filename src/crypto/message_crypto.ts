/**
 * WeChat message crypto (WXBizMsgCrypt): the SHA-1 signatures and the AES-256-CBC encryption
 * that WeChat uses for every push to a third-party platform and for encrypted replies.
 *
 * - `signature` / `msg_signature`: lowercase hex SHA-1 of the sorted token, timestamp, nonce
 *   (and ciphertext), compared in constant time.
 * - Encryption: key = base64(EncodingAESKey + "="), IV = key[0..16), plaintext =
 *   16 random bytes | 4-byte big-endian UTF-8 length | message | appid, PKCS#7-padded to
 *   32-byte blocks, standard base64 out.
 * - Decryption is strict: bad base64, a partial block, bad padding, an impossible length and a
 *   foreign appid each throw their own {@linkcode MessageCryptoError} subclass.
 * - Key rotation: pass `previousEncodingAesKey` and ciphertexts made with either key open.
 *
 * @example Round trip through an envelope
 * ```ts
 * import { MessageCrypto } from "@wxopen/component/crypto";
 *
 * const mc = await MessageCrypto.create({
 *   token: "QDG6eK",
 *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
 *   appId: "wx5823bf96d3bd56c7",
 * });
 * const encrypt = await mc.encrypt("<xml><Content><![CDATA[hi]]></Content></xml>");
 * const body = `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
 * const query = { msg_signature: mc.signature("1700000000", "42", encrypt), timestamp: "1700000000", nonce: "42" };
 * const { plaintext, key } = await mc.openWithKey(body, query);
 * const reply = await mc.seal(plaintext, { nonce: query.nonce, key });
 * ```
 *
 * @module
 */

import { decodeBase64, encodeBase64, randomBytes, timingSafeEqual } from "../_bytes.ts";
import { utf8Decode, utf8Encode } from "../_bytes.ts";
import { parseXml, type XmlElement, XmlParseError } from "../xml/parse.ts";
import { type EnvelopeFields, scanEnvelope } from "./_envelope.ts";
import { backendConfig, createRawCbc, type RawCbc } from "./_aes.ts";
import { sortedSha1Hex } from "./_sha1.ts";
import {
  AppIdMismatchError,
  InvalidBase64Error,
  InvalidBlockLengthError,
  InvalidEnvelopeError,
  InvalidLengthError,
  InvalidPaddingError,
  InvalidSignatureError,
  InvalidUtf8Error,
  MessageCryptoError,
} from "./errors.ts";

/** Options of {@linkcode MessageCrypto.create}. */
export interface MessageCryptoOptions {
  /** The Token configured on the platform (消息校验Token). */
  token: string;
  /** The 43-character EncodingAESKey (消息加解密Key), letters and digits. */
  encodingAesKey: string;
  /**
   * The appid written into and expected at the end of every plaintext. For a third-party
   * platform this is the **component appid**, also for messages of authorized accounts.
   */
  appId: string;
  /**
   * The EncodingAESKey in use before the current one. While WeChat may still use it, ciphertexts
   * made with it still open (and report `key: "previous"`).
   */
  previousEncodingAesKey?: string;
}

/** Which of the configured keys a ciphertext was made with, or should be made with. */
export type KeyChoice = "current" | "previous";

/** Result of {@linkcode MessageCrypto.decryptWithKey} and {@linkcode MessageCrypto.openWithKey}. */
export interface DecryptResult {
  /** The decrypted message. */
  plaintext: string;
  /** The key that opened it. Reply with the same key. */
  key: KeyChoice;
}

/** The query parameters WeChat adds to an encrypted push (`msg_signature`, `timestamp`, `nonce`). */
export interface PushQuery {
  /** The 4-part signature over token, timestamp, nonce and the `<Encrypt>` text. */
  msg_signature: string;
  /** The `timestamp` query parameter. */
  timestamp: string;
  /** The `nonce` query parameter. */
  nonce: string;
}

/** The query parameters of WeChat's plain URL verification (`GET ?signature&timestamp&nonce&echostr`). */
export interface VerifyUrlQuery {
  /** The 3-part signature over token, timestamp and nonce. */
  signature: string;
  /** The `timestamp` query parameter. */
  timestamp: string;
  /** The `nonce` query parameter. */
  nonce: string;
  /** The string to echo back. */
  echostr: string;
}

/** The query parameters of an encrypted URL verification (msg_signature over an encrypted echostr). */
export interface VerifyEncryptedUrlQuery {
  /** The 4-part signature over token, timestamp, nonce and `echostr`. */
  msg_signature: string;
  /** The `timestamp` query parameter. */
  timestamp: string;
  /** The `nonce` query parameter. */
  nonce: string;
  /** The encrypted echostr (base64, already URL-decoded). */
  echostr: string;
}

/** Options of {@linkcode MessageCrypto.seal}. */
export interface SealOptions {
  /** Unix time in seconds for `<TimeStamp>`; default: now. */
  timestamp?: string | number;
  /** `<Nonce>`; default: a random 10-digit number. WeChat's docs suggest echoing the push's nonce. */
  nonce?: string;
  /** 16 bytes to use instead of random ones (for reproducible tests only). */
  random?: Uint8Array;
  /** Which key to encrypt with: the one that opened the push. Default `"current"`. */
  key?: KeyChoice;
}

const KEY_PATTERN = /^[A-Za-z0-9]{43}$/;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Decodes a 43-character EncodingAESKey the way WeChat and its samples do: base64 of key + "=".
 * The last character carries 2 bits beyond the 32 bytes; lenient decoders ignore them (and
 * WeChat accepts any 43 letters and digits), so clear them before the strict decoder.
 */
function decodeEncodingAesKey(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !KEY_PATTERN.test(value)) {
    throw new TypeError(`Option ${name} must be 43 letters and digits`);
  }
  const last = B64.indexOf(value[42]) & ~3;
  const key = decodeBase64(value.slice(0, 42) + B64[last] + "=");
  if (key.length !== 32) throw new TypeError(`Option ${name} must decode to 32 bytes`);
  return key;
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(`Option ${name} must be a non-empty string`);
  }
  return value;
}

interface KeySlot {
  cbc: RawCbc;
  key: KeyChoice;
}

/**
 * WeChat message crypto for one token / EncodingAESKey / appid. Create with
 * {@linkcode MessageCrypto.create}; instances are immutable and safe to share.
 *
 * @example Encrypt and decrypt
 * ```ts
 * import { MessageCrypto } from "@wxopen/component/crypto";
 *
 * const mc = await MessageCrypto.create({
 *   token: "QDG6eK",
 *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
 *   appId: "wx5823bf96d3bd56c7",
 * });
 * const encrypted = await mc.encrypt("<xml>hello</xml>");
 * console.log(await mc.decrypt(encrypted)); // <xml>hello</xml>
 * ```
 */
export class MessageCrypto {
  readonly #token: string;
  readonly #appId: string;
  readonly #appIdBytes: Uint8Array;
  readonly #current: KeySlot;
  readonly #previous: KeySlot | undefined;

  private constructor(
    token: string,
    appId: string,
    current: RawCbc,
    previous: RawCbc | undefined,
  ) {
    this.#token = token;
    this.#appId = appId;
    this.#appIdBytes = utf8Encode(appId);
    this.#current = { cbc: current, key: "current" };
    this.#previous = previous ? { cbc: previous, key: "previous" } : undefined;
  }

  /**
   * Validates the options and prepares the keys. Throws a `TypeError` naming the bad option
   * (never echoing its value).
   *
   * @example Create from settings
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * ```
   */
  static async create(options: MessageCryptoOptions): Promise<MessageCrypto> {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Options must be an object");
    }
    const token = requireText(options.token, "token");
    const appId = requireText(options.appId, "appId");
    const key = decodeEncodingAesKey(options.encodingAesKey, "encodingAesKey");
    const prevKey = options.previousEncodingAesKey === undefined
      ? undefined
      : decodeEncodingAesKey(options.previousEncodingAesKey, "previousEncodingAesKey");
    const [current, previous] = await Promise.all([
      createRawCbc(key, backendConfig.backend),
      prevKey ? createRawCbc(prevKey, backendConfig.backend) : undefined,
    ]);
    return new MessageCrypto(token, appId, current, previous);
  }

  /** The appid this instance writes into and expects in every plaintext. */
  get appId(): string {
    return this.#appId;
  }

  /** Whether a previous EncodingAESKey is configured. */
  get hasPreviousKey(): boolean {
    return this.#previous !== undefined;
  }

  /**
   * The 4-part `msg_signature`: lowercase hex SHA-1 of token, timestamp, nonce and the
   * ciphertext, sorted as plain strings and concatenated.
   *
   * @example Sign a reply
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const sig = mc.signature("1409659813", "1372623149", "c2lnbg==");
   * console.log(sig.length); // 40
   * ```
   */
  signature(timestamp: string, nonce: string, encrypt: string): string {
    return sortedSha1Hex([this.#token, String(timestamp), String(nonce), String(encrypt)]);
  }

  /**
   * The 3-part plain `signature` of the URL: lowercase hex SHA-1 of token, timestamp and nonce,
   * sorted and concatenated.
   *
   * @example Sign a URL
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * console.log(mc.urlSignature("1409659813", "1372623149").length); // 40
   * ```
   */
  urlSignature(timestamp: string, nonce: string): string {
    return sortedSha1Hex([this.#token, String(timestamp), String(nonce)]);
  }

  /**
   * Plain URL verification: returns `echostr` when `signature` matches token, timestamp and
   * nonce; throws {@linkcode InvalidSignatureError} otherwise.
   *
   * @example Answer WeChat's GET
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const echostr = mc.verifyUrl({
   *   signature: mc.urlSignature("1", "2"),
   *   timestamp: "1",
   *   nonce: "2",
   *   echostr: "8163947829406",
   * });
   * console.log(echostr); // 8163947829406
   * ```
   */
  verifyUrl(query: VerifyUrlQuery): string {
    const { signature, timestamp, nonce, echostr } = query;
    const expected = this.urlSignature(timestamp, nonce);
    if (typeof signature !== "string" || !timingSafeEqual(expected, signature.toLowerCase())) {
      throw new InvalidSignatureError("URL signature does not match");
    }
    return echostr;
  }

  /**
   * Encrypted URL verification (WXBizMsgCrypt `VerifyURL`): checks `msg_signature` over the
   * encrypted `echostr`, then returns the decrypted echostr.
   *
   * @example Answer an encrypted verification
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const echostr = await mc.encrypt("1616140317555161061");
   * const plain = await mc.verifyEncryptedUrl({
   *   msg_signature: mc.signature("1", "2", echostr),
   *   timestamp: "1",
   *   nonce: "2",
   *   echostr,
   * });
   * console.log(plain); // 1616140317555161061
   * ```
   */
  verifyEncryptedUrl(query: VerifyEncryptedUrlQuery): Promise<string> {
    return settle(() => {
      const { msg_signature, timestamp, nonce, echostr } = query;
      this.#checkMsgSignature(msg_signature, timestamp, nonce, echostr);
      return then(this.#decrypt(echostr), plaintextOf);
    });
  }

  /**
   * Encrypts `plaintext` for WeChat and returns the base64 ciphertext.
   *
   * @param plaintext the message (UTF-8 is used; its byte length goes into the header)
   * @param random 16 bytes to use instead of fresh random ones (reproducible tests only)
   * @param key which configured key to use; default `"current"`
   *
   * @example Encrypt
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const b64 = await mc.encrypt("hello");
   * console.log(b64.length % 4); // 0
   * ```
   */
  encrypt(
    plaintext: string,
    random?: Uint8Array,
    key: KeyChoice = "current",
  ): Promise<string> {
    return settle(() => this.#encrypt(plaintext, random, key));
  }

  #encrypt(
    plaintext: string,
    random: Uint8Array | undefined,
    key: KeyChoice,
  ): string | Promise<string> {
    if (typeof plaintext !== "string") throw new TypeError("Plaintext must be a string");
    if (random !== undefined && (!(random instanceof Uint8Array) || random.length !== 16)) {
      throw new TypeError("Random prefix must be 16 bytes");
    }
    const slot = this.#slot(key);
    const msg = utf8Encode(plaintext);
    const appId = this.#appIdBytes;
    const n = 20 + msg.length + appId.length;
    const pad = 32 - (n % 32);
    const data = new Uint8Array(n + pad);
    data.set(random ?? randomBytes(16), 0);
    new DataView(data.buffer).setUint32(16, msg.length, false);
    data.set(msg, 20);
    data.set(appId, 20 + msg.length);
    data.fill(pad, n);
    return then(slot.cbc.encrypt(data), encodeBase64);
  }

  /**
   * Decrypts a base64 ciphertext (current key first, then the previous one) and checks that it
   * is addressed to our appid. Throws a {@linkcode MessageCryptoError} subclass on any defect.
   *
   * @example Decrypt
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * console.log(await mc.decrypt(await mc.encrypt("hello"))); // hello
   * ```
   */
  decrypt(encrypt: string): Promise<string> {
    return settle(() => then(this.#decrypt(encrypt), plaintextOf));
  }

  /**
   * Like {@linkcode MessageCrypto.decrypt}, and says which key opened the ciphertext, so that
   * the reply can be sealed with the same key.
   *
   * When neither key opens it, the error of the current key is thrown, except that an
   * {@linkcode AppIdMismatchError} (which means the key was right) wins.
   *
   * @example Which key worked
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const { key } = await mc.decryptWithKey(await mc.encrypt("hello"));
   * console.log(key); // current
   * ```
   */
  decryptWithKey(encrypt: string): Promise<DecryptResult> {
    return settle(() => this.#decrypt(encrypt));
  }

  /**
   * Opens an encrypted push: extracts `<Encrypt>` from the XML envelope, checks
   * `msg_signature` in constant time, then decrypts.
   *
   * The body must be WeChat's envelope: an `<xml>` root with exactly one non-empty `<Encrypt>`;
   * an `<AppId>` (authorization event URL) or `<ToUserName>` (message URL), when present, must
   * be non-empty text. The addressee is not required: it is not covered by the signature, and
   * the envelope {@linkcode MessageCrypto.seal} produces (which opens too) has none.
   *
   * Throws {@linkcode InvalidEnvelopeError} for a malformed body, {@linkcode InvalidSignatureError}
   * for a wrong signature and the decryption errors of {@linkcode MessageCrypto.decrypt}.
   *
   * @example Open a push
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const encrypt = await mc.encrypt("<xml><InfoType><![CDATA[component_verify_ticket]]></InfoType></xml>");
   * const body = `<xml><AppId><![CDATA[wx5823bf96d3bd56c7]]></AppId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
   * const xml = await mc.open(body, {
   *   msg_signature: mc.signature("1700000000", "42", encrypt),
   *   timestamp: "1700000000",
   *   nonce: "42",
   * });
   * ```
   */
  open(body: string, query: PushQuery): Promise<string> {
    return settle(() => then(this.#open(body, query), plaintextOf));
  }

  /**
   * Like {@linkcode MessageCrypto.open}, and says which key opened the push.
   *
   * @example Open and reply with the same key
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const encrypt = await mc.encrypt("<xml/>");
   * const body = `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
   * const { plaintext, key } = await mc.openWithKey(body, {
   *   msg_signature: mc.signature("1", "2", encrypt),
   *   timestamp: "1",
   *   nonce: "2",
   * });
   * const reply = await mc.seal("<xml>reply</xml>", { nonce: "2", key });
   * ```
   */
  openWithKey(body: string, query: PushQuery): Promise<DecryptResult> {
    return settle(() => this.#open(body, query));
  }

  /**
   * Encrypts and signs a passive reply and returns WeChat's reply envelope:
   * `<xml>\n<Encrypt>…</Encrypt>\n<MsgSignature>…</MsgSignature>\n<TimeStamp>…</TimeStamp>\n<Nonce>…</Nonce>\n</xml>`.
   *
   * Plain `success` or an empty reply must not be sealed: send those as they are.
   *
   * @example Seal a text reply
   * ```ts
   * import { MessageCrypto } from "@wxopen/component/crypto";
   *
   * const mc = await MessageCrypto.create({
   *   token: "QDG6eK",
   *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
   *   appId: "wx5823bf96d3bd56c7",
   * });
   * const xml = await mc.seal("<xml><MsgType><![CDATA[text]]></MsgType></xml>", { nonce: "415670741" });
   * console.log(xml.startsWith("<xml>\n<Encrypt><![CDATA[")); // true
   * ```
   */
  seal(plaintext: string, options: SealOptions = {}): Promise<string> {
    return settle(() => this.#seal(plaintext, options));
  }

  #seal(plaintext: string, options: SealOptions): string | Promise<string> {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    if (!/^[0-9]+$/.test(timestamp)) throw new TypeError("Option timestamp must be digits");
    const nonce = options.nonce ?? randomNonce();
    if (typeof nonce !== "string" || nonce.length === 0 || nonce.includes("]]>")) {
      throw new TypeError("Option nonce must be a non-empty string without ]]>");
    }
    return then(
      this.#encrypt(plaintext, options.random, options.key ?? "current"),
      (encrypt) => this.#envelope(encrypt, timestamp, nonce),
    );
  }

  #envelope(encrypt: string, timestamp: string, nonce: string): string {
    const signature = this.signature(timestamp, nonce, encrypt);
    return `<xml>\n<Encrypt><![CDATA[${encrypt}]]></Encrypt>\n` +
      `<MsgSignature><![CDATA[${signature}]]></MsgSignature>\n` +
      `<TimeStamp>${timestamp}</TimeStamp>\n` +
      `<Nonce><![CDATA[${nonce}]]></Nonce>\n</xml>`;
  }

  #slot(key: KeyChoice): KeySlot {
    if (key === "current") return this.#current;
    if (key === "previous") {
      if (!this.#previous) throw new TypeError("No previous EncodingAESKey is configured");
      return this.#previous;
    }
    throw new TypeError('Key must be "current" or "previous"');
  }

  #checkMsgSignature(
    msgSignature: unknown,
    timestamp: unknown,
    nonce: unknown,
    encrypt: string,
  ): void {
    if (
      typeof msgSignature !== "string" || typeof timestamp !== "string" ||
      typeof nonce !== "string"
    ) {
      throw new InvalidSignatureError("Parameters msg_signature, timestamp and nonce are required");
    }
    const expected = this.signature(timestamp, nonce, encrypt);
    if (!timingSafeEqual(expected, msgSignature.toLowerCase())) {
      throw new InvalidSignatureError("Message signature does not match");
    }
  }

  #open(body: string, query: PushQuery): Maybe<DecryptResult> {
    if (typeof query !== "object" || query === null) {
      throw new InvalidSignatureError("Push query parameters are missing");
    }
    const encrypt = extractEncrypt(body);
    this.#checkMsgSignature(query.msg_signature, query.timestamp, query.nonce, encrypt);
    return this.#decrypt(encrypt);
  }

  /** Decrypts with the current key, then the previous one. Synchronous with a sync backend. */
  #decrypt(encrypt: string): Maybe<DecryptResult> {
    const data = decodeCiphertext(encrypt);
    let result: Maybe<DecryptResult>;
    try {
      result = this.#decryptWith(this.#current, data);
    } catch (currentError) {
      return this.#decryptWithPrevious(currentError, data);
    }
    return result instanceof Promise
      ? result.catch((currentError) => this.#decryptWithPrevious(currentError, data))
      : result;
  }

  #decryptWithPrevious(currentError: unknown, data: Uint8Array): Maybe<DecryptResult> {
    if (!this.#previous || !(currentError instanceof MessageCryptoError)) throw currentError;
    const fail = (previousError: unknown): never => {
      if (currentError instanceof AppIdMismatchError) throw currentError;
      if (previousError instanceof AppIdMismatchError) throw previousError;
      throw currentError;
    };
    let result: Maybe<DecryptResult>;
    try {
      result = this.#decryptWith(this.#previous, data);
    } catch (previousError) {
      return fail(previousError);
    }
    return result instanceof Promise ? result.catch(fail) : result;
  }

  #decryptWith(slot: KeySlot, data: Uint8Array): Maybe<DecryptResult> {
    return then(slot.cbc.decrypt(data), (plain) => this.#unframe(slot, plain));
  }

  #unframe(slot: KeySlot, plain: Uint8Array): DecryptResult {
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > 32) throw new InvalidPaddingError(`Pad byte ${pad} is outside 1..32`);
    const end = plain.length - pad;
    for (let i = end; i < plain.length - 1; i++) {
      if (plain[i] !== pad) throw new InvalidPaddingError("Pad bytes are inconsistent");
    }
    if (end < 20) throw new InvalidLengthError("Decrypted data is shorter than its header");
    const msgLen = ((plain[16] << 24) | (plain[17] << 16) | (plain[18] << 8) | plain[19]) >>> 0;
    if (msgLen > end - 20) {
      throw new InvalidLengthError("Message length exceeds the decrypted data");
    }
    const appIdStart = 20 + msgLen;
    const appId = plain.subarray(appIdStart, end);
    if (!bytesEqual(appId, this.#appIdBytes)) {
      throw new AppIdMismatchError(new TextDecoder().decode(appId));
    }
    let plaintext: string;
    try {
      plaintext = utf8Decode(plain.subarray(20, appIdStart));
    } catch (cause) {
      throw new InvalidUtf8Error({ cause });
    }
    return { plaintext, key: slot.key };
  }
}

/** A value, or a promise of it when the AES backend is asynchronous. */
type Maybe<T> = T | Promise<T>;

/** Applies `f` now, or when `value` settles. */
function then<T, U>(value: Maybe<T>, f: (value: T) => U): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** Runs `f` and returns its outcome as a promise, synchronous throws becoming rejections. */
function settle<T>(f: () => Maybe<T>): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (error) {
    return Promise.reject(error);
  }
}

function plaintextOf(result: DecryptResult): string {
  return result.plaintext;
}

function decodeCiphertext(encrypt: string): Uint8Array {
  if (typeof encrypt !== "string") throw new InvalidBase64Error();
  let data: Uint8Array;
  try {
    data = decodeBase64(encrypt);
  } catch (cause) {
    throw new InvalidBase64Error({ cause });
  }
  if (data.length === 0 || data.length % 32 !== 0) {
    throw new InvalidBlockLengthError(data.length);
  }
  return data;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomNonce(): string {
  const [a, b] = crypto.getRandomValues(new Uint32Array(2));
  // 10 digits, no leading zero: 1000000000..9999999999.
  return String(1_000_000_000 + ((a * 4294967296 + b) % 9_000_000_000));
}

function extractEncrypt(body: string): string {
  if (typeof body !== "string" || body.length === 0) {
    throw new InvalidEnvelopeError("Push body is empty");
  }
  // The fast path, unless the build defines `globalThis.__WXOPEN_COMPACT_ENVELOPE__` as `true`
  // (the worker's wrangler.toml: the bundle budget counts more than a few microseconds per
  // push): then the bundler drops `scanEnvelope`, and the general parser, which gives the same
  // fields for every body the scan reads, reads them all.
  const fields: EnvelopeFields =
    ((globalThis as { __WXOPEN_COMPACT_ENVELOPE__?: boolean }).__WXOPEN_COMPACT_ENVELOPE__
      ? undefined
      : scanEnvelope(body)) ?? parseEnvelope(body);
  const encrypt = fields.Encrypt;
  if (typeof encrypt !== "string" || encrypt.length === 0) {
    throw new InvalidEnvelopeError("Push body has no Encrypt element");
  }
  // WeChat addresses every push with AppId (authorization event URL) or ToUserName (message
  // URL). The addressee is not signed, and our own sealed replies have none, so it is not
  // required; when present it must be plain, non-empty text.
  for (const name of ["AppId", "ToUserName"] as const) {
    const to = fields[name];
    if (to !== undefined && (typeof to !== "string" || to.trim() === "")) {
      throw new InvalidEnvelopeError(`Push body's ${name} is not a non-empty text element`);
    }
  }
  return encrypt;
}

/** The envelope's fields by the general parser, which also gives the errors of a broken body. */
function parseEnvelope(body: string): XmlElement {
  let fields;
  try {
    fields = parseXml(body);
  } catch (cause) {
    if (cause instanceof XmlParseError) {
      throw new InvalidEnvelopeError(`Push body is not valid XML: ${cause.code}`, { cause });
    }
    throw cause;
  }
  if (rootName(body) !== "xml") {
    throw new InvalidEnvelopeError("Push body's root element is not <xml>");
  }
  return fields;
}

/** The name of the root element of a document `parseXml` accepted (prolog skipped). */
function rootName(xml: string): string | undefined {
  let i = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) return undefined;
    if (xml.startsWith("<?", lt)) i = xml.indexOf("?>", lt + 2) + 2;
    else if (xml.startsWith("<!--", lt)) i = xml.indexOf("-->", lt + 4) + 3;
    else return /^<([^\s/>]+)/.exec(xml.slice(lt, lt + 64))?.[1];
    if (i < 2) return undefined;
  }
}

/**
 * Errors thrown by {@linkcode MessageCrypto} when a push, an echostr or a ciphertext is rejected.
 *
 * Every error is a {@linkcode MessageCryptoError} with a stable string `code`, and each condition
 * a caller may need to tell apart has its own subclass:
 *
 * | code | class | meaning |
 * |---|---|---|
 * | `invalid_signature` | {@linkcode InvalidSignatureError} | `signature` / `msg_signature` does not match |
 * | `invalid_base64` | {@linkcode InvalidBase64Error} | the ciphertext is not standard, padded base64 |
 * | `invalid_block_length` | {@linkcode InvalidBlockLengthError} | the ciphertext is not a whole number of 32-byte blocks |
 * | `invalid_padding` | {@linkcode InvalidPaddingError} | the PKCS#7 pad byte is outside 1..32 or the pad bytes differ |
 * | `invalid_length` | {@linkcode InvalidLengthError} | the 4-byte message length points beyond the data |
 * | `invalid_utf8` | {@linkcode InvalidUtf8Error} | the message is not valid UTF-8 |
 * | `appid_mismatch` | {@linkcode AppIdMismatchError} | the trailing appid is not ours |
 * | `invalid_envelope` | {@linkcode InvalidEnvelopeError} | the XML envelope is malformed or has no `<Encrypt>` |
 *
 * A signature mismatch means "not from WeChat" (HTTP 401 in the worker); everything else means a
 * malformed request (HTTP 400). Messages never contain the token, the key or the ciphertext.
 *
 * @module
 */

import { type MessageCryptoErrorCode, WxOpenError } from "../errors.ts";

export type { MessageCryptoErrorCode };

/**
 * Base class of every error {@linkcode MessageCrypto} throws for rejected input.
 *
 * @example Telling a forged push from a malformed one
 * ```ts
 * import { MessageCryptoError } from "@wxopen/component/crypto";
 *
 * function statusOf(error: unknown): number {
 *   if (!(error instanceof MessageCryptoError)) return 500;
 *   return error.code === "invalid_signature" ? 401 : 400;
 * }
 * ```
 */
export class MessageCryptoError extends WxOpenError<MessageCryptoErrorCode> {
  /**
   * Creates the error.
   *
   * @param code the condition
   * @param message a human-readable message (never containing a secret)
   * @param options standard error options (`cause`)
   */
  constructor(code: MessageCryptoErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, { cause: options?.cause });
    this.name = "MessageCryptoError";
  }
}

/** The `signature` or `msg_signature` does not match the token, timestamp, nonce (and ciphertext). */
export class InvalidSignatureError extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param message what did not match
   */
  constructor(message = "Signature does not match") {
    super("invalid_signature", message);
    this.name = "InvalidSignatureError";
  }
}

/** The ciphertext is not standard, padded base64. */
export class InvalidBase64Error extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param options standard error options (`cause`)
   */
  constructor(options?: ErrorOptions) {
    super("invalid_base64", "Ciphertext is not valid base64", options);
    this.name = "InvalidBase64Error";
  }
}

/** The decoded ciphertext is empty or not a whole number of 32-byte blocks. */
export class InvalidBlockLengthError extends MessageCryptoError {
  /** The decoded ciphertext length in bytes. */
  readonly byteLength: number;

  /**
   * Creates the error.
   *
   * @param byteLength the decoded ciphertext length in bytes
   */
  constructor(byteLength: number) {
    super(
      "invalid_block_length",
      `Ciphertext is ${byteLength} bytes, not a non-zero multiple of 32`,
    );
    this.name = "InvalidBlockLengthError";
    this.byteLength = byteLength;
  }
}

/** The PKCS#7 pad byte is outside 1..32, or the pad bytes are not all equal to it. */
export class InvalidPaddingError extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param message what is wrong with the padding
   */
  constructor(message = "Decrypted data has invalid padding") {
    super("invalid_padding", message);
    this.name = "InvalidPaddingError";
  }
}

/** The 4-byte big-endian message length points beyond the decrypted data. */
export class InvalidLengthError extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param message what is wrong with the length
   */
  constructor(message = "Message length exceeds the decrypted data") {
    super("invalid_length", message);
    this.name = "InvalidLengthError";
  }
}

/** The decrypted message is not valid UTF-8. */
export class InvalidUtf8Error extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param options standard error options (`cause`)
   */
  constructor(options?: ErrorOptions) {
    super("invalid_utf8", "Decrypted message is not valid UTF-8", options);
    this.name = "InvalidUtf8Error";
  }
}

/**
 * The message decrypted, but the appid at its end is not ours. The foreign appid is public
 * information and is exposed as {@linkcode AppIdMismatchError.prototype.appId}.
 */
export class AppIdMismatchError extends MessageCryptoError {
  /** The appid found at the end of the decrypted data. */
  readonly appId: string;

  /**
   * Creates the error.
   *
   * @param appId the appid found at the end of the decrypted data
   */
  constructor(appId: string) {
    super(
      "appid_mismatch",
      `Message is addressed to another appid: ${JSON.stringify(appId.slice(0, 64))}`,
    );
    this.name = "AppIdMismatchError";
    this.appId = appId;
  }
}

/** The push body is not a well-formed `<xml>` envelope with an `<Encrypt>` element. */
export class InvalidEnvelopeError extends MessageCryptoError {
  /**
   * Creates the error.
   *
   * @param message what is wrong with the envelope
   * @param options standard error options (`cause`)
   */
  constructor(message: string, options?: ErrorOptions) {
    super("invalid_envelope", message, options);
    this.name = "InvalidEnvelopeError";
  }
}

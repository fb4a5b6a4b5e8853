/**
 * The token lifecycle's errors: no usable ticket, an authorizer that must authorize again, and a
 * token asked for from the cache only that the cache does not hold.
 *
 * @module
 */

import { WxOpenError } from "../errors.ts";

/** Options of the lifecycle errors. */
export interface LifecycleErrorOptions {
  /** The underlying cause (never carrying a secret). */
  cause?: unknown;
}

/**
 * No usable `component_verify_ticket`: none was received yet, the last one is older than 12 hours,
 * or WeChat rejected it (61005/61006).
 *
 * @example
 * ```ts
 * import { MissingTicketError } from "@wxopen/component";
 *
 * const error = new MissingTicketError("no ticket has been received");
 * console.log(error.message.includes("startPushTicket()")); // true
 * ```
 */
export class MissingTicketError extends WxOpenError<"ticket_missing"> {
  /** Creates the error; `detail` says why there is no usable ticket. */
  constructor(detail: string, options?: LifecycleErrorOptions) {
    super(
      "ticket_missing",
      `No usable component_verify_ticket (${detail}): wait for WeChat's next push (every 10 minutes) or call startPushTicket()`,
      { cause: options?.cause },
    );
    this.name = "MissingTicketError";
  }
}

/** Why an authorizer needs to authorize the platform again. */
export type ReauthorizationReason =
  | "revoked"
  | "refresh_token_invalid"
  | "not_authorized"
  | "no_refresh_token";

/**
 * The authorizer's tokens cannot be refreshed any more: the merchant must authorize the platform
 * again (a new `authorized` push or a new pass through the authorization page).
 *
 * @example
 * ```ts
 * import { ReauthorizationRequiredError } from "@wxopen/component";
 *
 * const error = new ReauthorizationRequiredError("wx0123456789abcdef", "revoked");
 * console.log(error.authorizerAppId, error.reason);
 * ```
 */
export class ReauthorizationRequiredError extends WxOpenError<"reauthorization_required"> {
  /** The authorizer concerned. */
  readonly authorizerAppId: string;
  /** Why. */
  readonly reason: ReauthorizationReason;

  /** Creates the error. */
  constructor(
    authorizerAppId: string,
    reason: ReauthorizationReason,
    options?: LifecycleErrorOptions,
  ) {
    super(
      "reauthorization_required",
      `Authorizer ${authorizerAppId} must authorize the platform again (${REASON_TEXT[reason]})`,
      { cause: options?.cause },
    );
    this.name = "ReauthorizationRequiredError";
    this.authorizerAppId = authorizerAppId;
    this.reason = reason;
  }
}

const REASON_TEXT: Record<ReauthorizationReason, string> = {
  revoked: "the authorization was revoked",
  refresh_token_invalid: "WeChat rejected the stored authorizer_refresh_token with 61023",
  not_authorized: "WeChat says the account has not authorized this platform (61003)",
  no_refresh_token: "no authorizer_refresh_token is stored for it",
};

/**
 * A token was asked for with `cachedOnly` and the store holds none that is still valid; nothing
 * was asked of WeChat.
 */
export class TokenNotCachedError extends WxOpenError<"token_not_cached"> {
  /** `component`, or the authorizer's appid. */
  readonly credential: string;

  /** Creates the error for `credential` (`component` or an authorizer appid). */
  constructor(credential: string) {
    super("token_not_cached", `No valid access token of ${credential} is cached`);
    this.name = "TokenNotCachedError";
    this.credential = credential;
  }
}

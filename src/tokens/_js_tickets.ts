/**
 * Authorizers' JS-SDK tickets (`jsapi`, `wx_card`), kept like access tokens by the same
 * {@linkcode ManagedTokens} machinery: stored under `authorizer_ticket:<appid>:<type>`, reused
 * until the refresh margin before expiry, one upstream call per ticket for concurrent callers
 * (and a lease across instances on stores with compare-and-set), replaced when a caller
 * reports it refused only if it is still the stored one.
 *
 * Without compare-and-set (Workers KV) two instances may each fetch a ticket: WeChat answers
 * the same ticket while it is valid, so both hold a good one.
 *
 * An `unauthorized` push purges both tickets (`AuthorizerTokens.revoke`); a fetch that was in
 * flight then takes its write back.
 *
 * @module
 */

import type { JsTicketInfo, JsTicketRequest, JsTicketType, TicketResponse } from "../api/jssdk.ts";
import { ReauthorizationRequiredError } from "./errors.ts";
import type { ManagedTokens } from "./_managed.ts";
import { checkAppId, storageKeys } from "./keys.ts";
import type { AccessTokenInfo } from "./types.ts";

/** `cgi-bin/ticket/getticket` on behalf of `appid` (provided by the client). */
export type TicketUpstream = (appid: string, type: JsTicketType) => Promise<TicketResponse>;

/** Every authorizer's JS-SDK tickets over one store. */
export class JsTickets {
  readonly #tokens: ManagedTokens;
  readonly #upstream: TicketUpstream;

  constructor(tokens: ManagedTokens, upstream: TicketUpstream) {
    this.#tokens = tokens;
    this.#upstream = upstream;
  }

  /** The clock the tickets are judged by (ms). */
  now(): number {
    return this.#tokens.now();
  }

  /** The managed ticket of `appid` (see {@linkcode JsTicketRequest}). */
  async get(
    appid: string,
    type: JsTicketType,
    request: JsTicketRequest = {},
  ): Promise<JsTicketInfo> {
    const key = storageKeys.authorizerTicket(checkAppId(appid), type);
    const fetch = () => this.#fetch(appid, type, key);
    const invalid = request?.invalid;
    if (invalid !== undefined && (typeof invalid !== "string" || invalid === "")) {
      throw new TypeError("Invalid invalid: expected the refused ticket");
    }
    const info = invalid !== undefined
      ? await this.#tokens.refreshIfStale(key, invalid, fetch)
      : request?.force
      ? await this.#tokens.refresh(key, fetch)
      : await this.#tokens.get(key, fetch);
    return { ticket: info.token, expiresAt: info.expiresAt };
  }

  async #fetch(appid: string, type: JsTicketType, key: string): Promise<AccessTokenInfo> {
    const startedAt = this.#tokens.now();
    const response = await this.#upstream(appid, type);
    const record = this.#tokens.record(response.ticket, response.expires_in);
    await this.#tokens.writeSuperseding(key, record);
    if (await this.#revokedSince(appid, startedAt)) {
      // The purge may have run before the write: take it back.
      await this.#tokens.store.delete(key).catch(() => {});
      throw new ReauthorizationRequiredError(appid, "revoked");
    }
    return { token: record.token, expiresAt: record.expiresAt };
  }

  async #revokedSince(appid: string, since: number): Promise<boolean> {
    const raw = await this.#tokens.store.get(storageKeys.authorizer(appid)).catch(() => null);
    if (raw === null) return false;
    try {
      const record = JSON.parse(raw) as { status?: string; updatedAt?: number };
      return record.status === "revoked" && (record.updatedAt ?? 0) >= since;
    } catch {
      return false;
    }
  }
}

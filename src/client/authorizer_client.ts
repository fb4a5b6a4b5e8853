/**
 * `AuthorizerClient`: the APIs an authorizer's own `access_token` opens, called on its behalf.
 *
 * @module
 */

import { authorizerApis } from "../api/authorizer.ts";
import { type ApiContext, type RawRequest, send, sendRaw } from "../api/send.ts";
import type { AuthorizerOptionResponse, OkResponse } from "../api/types.ts";
import type { CredentialRequest } from "../tokens/credentials.ts";
import { checkAppId } from "../tokens/keys.ts";
import type { AccessTokenInfo } from "../tokens/types.ts";
import type { Endpoint } from "../api/endpoint.ts";
import { anyJsonApi } from "./_any_api.ts";

/** Options of {@linkcode AuthorizerClient.call}. */
export interface CallOptions {
  /** Query parameters (`access_token` is injected by the client). */
  query?: Record<string, string | number>;
}

/**
 * One authorizer's view of the client: its token, its typed APIs, `call()` for any other JSON
 * API and a raw `fetch` for everything else (media, binary answers). Every request carries the
 * authorizer's `access_token` and is retried once with a fresh one after 40001/40014/42001.
 *
 * @example Customer-service message and a raw menu query
 * ```ts ignore
 * const merchant = client.authorizer("wxf8b4f85f3a794e77");
 * await merchant.call("/cgi-bin/message/custom/send", {
 *   touser: "OPENID",
 *   msgtype: "text",
 *   text: { content: "hello" },
 * });
 * const menu = await merchant.fetch("/cgi-bin/get_current_selfmenu_info");
 * console.log(menu.status, await menu.json());
 * ```
 */
export class AuthorizerClient {
  /** The authorizer's appid. */
  readonly appId: string;
  readonly #api: ApiContext;

  /** Created by `ComponentClient.authorizer(appid)`. */
  constructor(api: ApiContext, authorizerAppId: string) {
    this.appId = checkAppId(authorizerAppId);
    this.#api = api;
  }

  /** The authorizer's access token and its expiry (see {@linkcode CredentialRequest}). */
  accessToken(request?: CredentialRequest): Promise<AccessTokenInfo> {
    return this.#api.credentials.authorizerToken(this.appId, request);
  }

  #send<I, O>(endpoint: Endpoint<I, O>, input: I): Promise<O> {
    return send(this.#api, endpoint, input, this.appId);
  }

  /**
   * Calls any JSON API with the authorizer's token: POST with `body` as JSON when given, GET
   * otherwise. Answers WeChat's JSON object; `errcode ≠ 0` throws `WeChatError`.
   */
  call(path: string, body?: unknown, options: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.#send(anyJsonApi(path, body, options.query), undefined);
  }

  /**
   * Sends any request on the authorizer's behalf and answers WeChat's response as is (any
   * status, JSON or binary); `access_token` is set in the query (a caller's one is replaced).
   */
  fetch(pathAndQuery: string, init: Omit<RawRequest, "pathAndQuery"> = {}): Promise<Response> {
    return sendRaw(this.#api, "authorizer", this.appId, { ...init, pathAndQuery });
  }

  /** `cgi-bin/component/get_authorizer_option`: one of the account's options. */
  getAuthorizerOption(input: { option_name: string }): Promise<AuthorizerOptionResponse> {
    return this.#send(authorizerApis.getAuthorizerOption, input);
  }

  /** `cgi-bin/component/set_authorizer_option`: sets one of the account's options. */
  setAuthorizerOption(input: { option_name: string; option_value: string }): Promise<OkResponse> {
    return this.#send(authorizerApis.setAuthorizerOption, input);
  }

  /** `cgi-bin/clear_quota`: resets the account's API quota. */
  clearQuota(): Promise<OkResponse> {
    return this.#send(authorizerApis.clearQuota, undefined);
  }
}

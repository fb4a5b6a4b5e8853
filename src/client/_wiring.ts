/**
 * How the client's pieces fit: the request path's context, whose credentials are the port the
 * caller gave or the managed ones, and the managed lifecycle, whose WeChat calls go through that
 * same request path.
 *
 * @module
 */

import { authorizerToken, componentToken, getAuthorizerList, queryAuth } from "../api/component.ts";
import { type ApiContext, send } from "../api/send.ts";
import { jssdkApis } from "../api/jssdk.ts";
import { type Credentials, ManagedCredentials } from "../tokens/credentials.ts";
import { JsTickets } from "../tokens/_js_tickets.ts";
import { ManagedTokens } from "../tokens/_managed.ts";
import type { CheckedOptions } from "./_options.ts";

/** Builds the request context and the managed credentials of a client. */
export function wire(o: CheckedOptions): { api: ApiContext; managed: ManagedCredentials } {
  const credentials = {} as { -readonly [K in keyof Credentials]: Credentials[K] };
  const api: ApiContext = {
    http: { fetch: o.fetch, apiBase: o.apiBase, timeoutMs: o.timeoutMs, secrets: [o.appSecret] },
    componentAppId: o.appId,
    appSecret: o.appSecret,
    credentials,
    jsTickets: new JsTickets(
      new ManagedTokens(o.store, o.now, o.refreshMarginSeconds * 1000),
      (appid, type) => send(api, jssdkApis.getTicket, { type }, appid),
    ),
  };
  const managed = new ManagedCredentials({
    componentAppId: o.appId,
    store: o.store,
    now: o.now,
    refreshMarginSeconds: o.refreshMarginSeconds,
    onAuthorizerRefreshToken: o.onAuthorizerRefreshToken,
    componentToken: o.credentials.componentToken,
    upstream: {
      componentToken: (ticket) => send(api, componentToken, { component_verify_ticket: ticket }),
      authorizerToken: (appid, refreshToken) =>
        send(api, authorizerToken, {
          authorizer_appid: appid,
          authorizer_refresh_token: refreshToken,
        }),
      queryAuth: (code) => send(api, queryAuth, { authorization_code: code }),
      authorizerList: (page) => send(api, getAuthorizerList, page),
    },
  });
  credentials.componentToken = (request) => managed.componentToken(request);
  credentials.authorizerToken = o.credentials.authorizerToken ??
    ((appid, request) => managed.authorizerToken(appid, request));
  return { api, managed };
}

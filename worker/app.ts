/**
 * The worker's Hono app: WeChat's push endpoints, the merchant's authorization pages, the admin
 * API and the health check (the HTTP contract in DESIGN.md and docs/worker.md).
 *
 * @module
 */

import { Hono } from "hono/tiny";
import type { Context, MiddlewareHandler } from "hono";
import * as v from "valibot";
import {
  type AccessTokenInfo,
  isAppId,
  retry,
  storageKeys,
  WeChatError,
  WxOpenError,
} from "../mod.ts";
import type { DecryptResult, MessageCrypto } from "../src/crypto/mod.ts";
import {
  type AuthorizerMessage,
  type ComponentEvent,
  parseComponentEvent,
  parseMessage,
  replyTo,
  textReply,
} from "../src/events/mod.ts";
import { adminAuth } from "./auth.ts";
import type { AppEnv } from "./context.ts";
import { counters, snapshot } from "./counters.ts";
import type { Env, ExecutionContext } from "./env.ts";
import { HttpError, onError, toHttpError } from "./errors.ts";
import { forwardMessage } from "./forward.ts";
import { authorizePage, errorPage, isMobile, type Lang, pickLang, resultPage } from "./pages.ts";
import { readAuthorizerInfo } from "./records.ts";
import { authorizerInstance, callCoordinator, COMPONENT, type ExchangeAnswer } from "./rpc.ts";
import { type Runtime, runtimeFor } from "./runtime.ts";
import { checkState, issueState, STATE_COOKIE, STATE_MAX_AGE } from "./state.ts";

/** Options of {@linkcode createApp}. */
export interface AppOptions {
  /** The fetch that reaches WeChat (default: the global fetch). */
  upstreamFetch?: typeof fetch;
  /** Adjusts the environment before use (dev fills in default settings). */
  envTransform?: (env: Env) => Env;
  /** Rewrites the link to WeChat's authorization page (dev points it at the simulator). */
  authorizationLink?: (link: string, requestUrl: URL) => string;
}

/** WeChat's release-test ("全网发布") accounts: event tests are answered only for them. */
const RELEASE_TEST_APPIDS = new Set([
  "wx570bc396a51b8ff8",
  "wxd101a85aa106f53e",
  "wx9252c5e0bb1836fc",
  "wxc39235c15087f6f3",
  "wx8e1097c5bc82cde9",
  "wx7720d01d4b2a4500",
  "wx14550af28c71a144",
  "wx05d483572dcd5d8b",
  "wxa35b9c23cfe664eb",
  "wx5910277cae6fd970",
]);

const PUSH_LIMIT = 64 * 1024;
const ADMIN_BODY_LIMIT = 16 * 1024;
const PROXY_BODY_LIMIT = 2 * 1024 * 1024;

const PushQuerySchema = v.object({
  msg_signature: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/i)),
  timestamp: v.pipe(v.string(), v.regex(/^\d{1,12}$/)),
  nonce: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
});

const AuthorizeQuerySchema = v.object({
  auth_type: v.optional(v.picklist(["1", "2", "3", "4", "5", "6", "8"])),
  biz_appid: v.optional(v.pipe(v.string(), v.check((s: string) => isAppId(s)))),
  category_id_list: v.optional(v.pipe(v.string(), v.regex(/^\d{1,6}(\|\d{1,6}){0,63}$/))),
});

const CallbackQuerySchema = v.object({
  auth_code: v.pipe(v.string(), v.minLength(1), v.maxLength(512)),
  state: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
  expires_in: v.optional(v.string()),
});

const RefreshBodySchema = v.object({
  invalid_token: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
});

const ListQuerySchema = v.object({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/))),
});

/** Rejects a body larger than `max` bytes with 413 before it is read (by Content-Length). */
function limitBody(max: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const length = Number(c.req.header("content-length") ?? "0");
    if (!(length <= max)) {
      throw new HttpError(413, "payload_too_large", `The body is larger than ${max} bytes`);
    }
    await next();
  };
}

/** Reads the body, refusing more than `max` bytes even without a Content-Length. */
async function readLimited(req: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = req.body?.getReader();
  if (!reader) return new Uint8Array(new ArrayBuffer(0));
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new HttpError(413, "payload_too_large", `The body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function parseQuery<T extends v.GenericSchema>(
  schema: T,
  query: Record<string, string>,
  status: 400 | 401 = 400,
): v.InferOutput<T> {
  const result = v.safeParse(schema, query);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join(".") ?? "query";
    throw new HttpError(
      status,
      "invalid_request",
      `Query parameter ${where} is missing or invalid`,
    );
  }
  return result.output;
}

function checkAppIdParam(appid: string): string {
  if (!isAppId(appid)) {
    throw new HttpError(400, "invalid_request", "The appid must look like wx + 16 characters");
  }
  return appid;
}

function tokenJson(appidField: Record<string, string>, answer: AccessTokenInfo) {
  return {
    ...appidField,
    access_token: answer.token,
    expires_at: new Date(answer.expiresAt).toISOString(),
    expires_in: Math.max(0, Math.floor((answer.expiresAt - Date.now()) / 1000)),
  };
}

/** Opens an encrypted push; every failure becomes 400 or 401 before anything is stored. */
async function openPush(
  crypto: MessageCrypto,
  query: Record<string, string>,
  body: string,
): Promise<DecryptResult> {
  const q = parseQuery(PushQuerySchema, query);
  try {
    return await crypto.openWithKey(body, q);
  } catch (err) {
    // bad_signature (401), foreign_appid or malformed_push (400), by the error's code.
    if (err instanceof WxOpenError) throw toHttpError(err);
    throw new HttpError(400, "malformed_push", "The push could not be decrypted");
  }
}

function parseOrReject<T>(parse: () => T): T {
  try {
    return parse();
  } catch {
    throw new HttpError(400, "malformed_push", "The decrypted push is not a valid WeChat message");
  }
}

async function bodyText(req: Request): Promise<string> {
  const bytes = await readLimited(req, PUSH_LIMIT);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "malformed_push", "The body is not valid UTF-8");
  }
}

/** Waits before each retry of a push's authorization exchange, in milliseconds. */
const EXCHANGE_RETRY_MS = [250, 1000, 3000];

/**
 * Exchanges a pushed authorization code, retrying 5xx failures: the push was answered
 * `success`, so WeChat will not deliver it again and a lost exchange loses the authorization.
 */
async function exchangeWithRetries(env: Env, code: string): Promise<void> {
  await retry(() => callCoordinator(env, COMPONENT, "query-auth", { code }), {
    attempts: 1 + EXCHANGE_RETRY_MS.length,
    delayMs: EXCHANGE_RETRY_MS,
    retryIf: (err) => toHttpError(err).status >= 500,
  });
}

/** Sends the release test's customer-service message `<code>_from_api`. */
async function answerQueryAuthCode(
  env: Env,
  rt: Runtime,
  message: AuthorizerMessage,
  code: string,
): Promise<void> {
  const exchange = await callCoordinator<ExchangeAnswer>(env, COMPONENT, "query-auth", { code });
  if (exchange.token && exchange.expiresAt) {
    rt.credentials.adoptAuthorizerToken(exchange.authorizerAppId, {
      token: exchange.token,
      expiresAt: exchange.expiresAt,
    });
  }
  try {
    await rt.client.authorizer(exchange.authorizerAppId).call("/cgi-bin/message/custom/send", {
      touser: message.FromUserName,
      msgtype: "text",
      text: { content: `${code}_from_api` },
    });
  } catch (err) {
    const errcode = err instanceof WeChatError ? err.errcode : undefined;
    if (errcode === undefined) throw err;
    console.warn(`[wxopen] release test custom/send errcode ${errcode}`);
  }
}

/**
 * Counts authorizers by status from KV list metadata (no value is read), at most 5000 keys;
 * names the first 20 that need re-authorization.
 */
async function authorizerStatuses(rt: Runtime): Promise<Record<string, unknown>> {
  const counts: Record<string, number> = {};
  const reauth: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await rt.store.list({ prefix: storageKeys.authorizerPrefix, cursor, limit: 1000 });
    for (const key of page.keys) {
      const status = String(key.metadata?.status ?? "unknown");
      counts[status] = (counts[status] ?? 0) + 1;
      if (status === "reauthorization_required" && reauth.length < 20) {
        reauth.push(key.name.slice(storageKeys.authorizerPrefix.length));
      }
    }
    cursor = page.complete ? undefined : page.cursor;
  } while (cursor && ++pages < 5);
  return { by_status: counts, needing_reauthorization: reauth, complete: cursor === undefined };
}

/** A browser-facing failure: the error page with the error's status, never a stack trace. */
function htmlError(c: Context<AppEnv>, lang: Lang, err: unknown): Response {
  const http = toHttpError(err);
  if (http.status >= 500) console.error(`[wxopen] ${http.code}: ${http.message}`);
  return c.html(errorPage(lang, http.message), http.status);
}

/** Builds the app. */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound((c) => c.json({ error: { code: "not_found", message: "No such route" } }, 404));

  // Settings are validated at the first request; the runtime is built once per isolate.
  app.use("*", async (c, next) => {
    if (options.envTransform) c.env = options.envTransform(c.env);
    const rt = runtimeFor(c.env, options.upstreamFetch);
    c.set("settings", rt.settings);
    c.set("service", rt);
    await next();
  });

  app.get("/healthz", async (c) => {
    const rt = c.get("service");
    const now = Date.now();
    const [ticket, component, statuses] = await Promise.all([
      rt.client.currentTicket(),
      rt.client.cachedComponentAccessToken(),
      authorizerStatuses(rt),
    ]);
    const ticketAge = ticket ? Math.floor((now - ticket.receivedAt) / 1000) : null;
    const ok = ticketAge !== null && ticketAge < 12 * 3600 && component !== null;
    return c.json({
      status: ok ? "ok" : "degraded",
      ticket: { received: ticket !== null, age_seconds: ticketAge },
      component_token: {
        present: component !== null,
        expires_in: component ? Math.floor((component.expiresAt - now) / 1000) : null,
      },
      authorizers: statuses,
    }, ok ? 200 : 503);
  });

  // ------------------------------------------------------------------ WeChat pushes

  app.post(
    "/wechat/component/events",
    limitBody(PUSH_LIMIT),
    async (c) => {
      const rt = c.get("service");
      const { plaintext } = await openPush(
        await rt.crypto,
        c.req.query(),
        await bodyText(c.req.raw),
      );
      const event: ComponentEvent = parseOrReject(() => parseComponentEvent(plaintext));
      if (event.AppId !== undefined && event.AppId !== rt.settings.componentAppId) {
        throw new HttpError(400, "foreign_appid", "The push is addressed to another appid");
      }
      const ctx = c.executionCtx as unknown as ExecutionContext;
      const xml = plaintext;
      switch (event.InfoType) {
        case "component_verify_ticket": {
          const ticket = (event as { ComponentVerifyTicket?: unknown }).ComponentVerifyTicket;
          if (typeof ticket !== "string" || ticket.trim() === "") {
            throw new HttpError(400, "malformed_push", "ComponentVerifyTicket is missing");
          }
          // Stored before answering: a failure answers 5xx and WeChat pushes again.
          await callCoordinator(c.env, COMPONENT, "event", { xml });
          break;
        }
        case "authorized":
        case "updateauthorized": {
          const code = (event as { AuthorizationCode?: string }).AuthorizationCode;
          if (!code) throw new HttpError(400, "malformed_push", "AuthorizationCode is missing");
          const pushed = (event as { AuthorizerAppid?: string }).AuthorizerAppid ?? "";
          const mark = (clear: boolean) =>
            isAppId(pushed)
              ? callCoordinator(c.env, authorizerInstance(pushed), "pending", { clear })
                .then(
                  () => {},
                  (err) => console.warn(`[wxopen] pending mark failed: ${(err as Error).name}`),
                )
              : Promise.resolve();
          // Until the exchange completes, token requests for it answer 503 authorization_pending.
          await mark(false);
          ctx.waitUntil(
            exchangeWithRetries(c.env, code).catch((err) =>
              console.error(`[wxopen] authorization exchange failed: ${(err as Error).message}`)
            ).finally(() => mark(true)),
          );
          break;
        }
        case "unauthorized": {
          const appid = (event as { AuthorizerAppid?: string }).AuthorizerAppid ?? "";
          checkAppIdParam(appid);
          await callCoordinator(c.env, authorizerInstance(appid), "event", { xml });
          // Drop what this isolate cached for it.
          rt.tokenCache.delete(authorizerInstance(appid));
          break;
        }
        default:
          ctx.waitUntil(
            callCoordinator(c.env, COMPONENT, "event", { xml }).catch((err) =>
              console.error(`[wxopen] event ${event.InfoType} failed: ${(err as Error).name}`)
            ),
          );
      }
      return c.text("success");
    },
  );

  app.post(
    "/wechat/authorizers/:appid/callback",
    limitBody(PUSH_LIMIT),
    async (c) => {
      const rt = c.get("service");
      const appid = checkAppIdParam(c.req.param("appid"));
      const crypto = await rt.crypto;
      const query = c.req.query();
      // Reply with the key that opened the push (EncodingAESKey rotation).
      const { plaintext, key } = await openPush(crypto, query, await bodyText(c.req.raw));
      const message: AuthorizerMessage = parseOrReject(() => parseMessage(plaintext));
      const ctx = c.executionCtx as unknown as ExecutionContext;
      const m = message as unknown as Record<string, unknown>;
      const seal = async (content: string) =>
        c.body(
          await crypto.seal(
            // A message without sender or addressee (empty ToUserName) cannot be answered: 400.
            parseOrReject(() => textReply(replyTo(message), content)),
            { nonce: query.nonce, key },
          ),
          200,
          {
            "content-type": "application/xml; charset=utf-8",
          },
        );

      // The release test ("全网发布"), answered with no code from the platform.
      if (message.MsgType === "text" && typeof m.Content === "string") {
        const content = m.Content;
        if (content === "TESTCOMPONENT_MSG_TYPE_TEXT") {
          return await seal("TESTCOMPONENT_MSG_TYPE_TEXT_callback");
        }
        if (content.startsWith("QUERY_AUTH_CODE:")) {
          const code = content.slice("QUERY_AUTH_CODE:".length);
          ctx.waitUntil(
            answerQueryAuthCode(c.env, rt, message, code).catch((err) =>
              console.error(`[wxopen] release test exchange failed: ${(err as Error).name}`)
            ),
          );
          return c.body("", 200);
        }
      }
      if (message.MsgType === "event" && RELEASE_TEST_APPIDS.has(appid)) {
        return await seal(`${String(m.Event)}from_callback`);
      }

      const settings = rt.settings;
      if (settings.forwardUrl && settings.forwardSecret) {
        ctx.waitUntil(forwardMessage(
          { authorizerAppId: appid, receivedAt: Date.now(), message: m },
          {
            url: settings.forwardUrl,
            secret: settings.forwardSecret,
            fetch: (i, init) => fetch(i, init),
          },
        ));
      }
      return c.text("success");
    },
  );

  // ------------------------------------------------------------------ authorization flow

  app.get("/authorize", async (c) => {
    const rt = c.get("service");
    const lang = pickLang(c.req.header("accept-language"));
    const result = v.safeParse(AuthorizeQuerySchema, c.req.query());
    if (!result.success) {
      const field = result.issues[0].path?.map((p) => String(p.key)).join(".") ?? "query";
      return c.html(errorPage(lang, `Invalid ${field}`), 400);
    }
    const q = result.output;
    const mobile = isMobile(c.req.header("user-agent"));
    const url = new URL(c.req.url);
    const { state, cookie } = await issueState(rt.settings.storageKey);
    let pre: { pre_auth_code: string };
    try {
      pre = await rt.client.createPreAuthCode();
    } catch (err) {
      return htmlError(c, lang, err);
    }
    const redirectUri = `${url.origin}/authorize/callback?state=${state}`;
    let link = rt.client.authorizationUrl({
      preAuthCode: pre.pre_auth_code,
      redirectUri,
      authType: q.auth_type ? Number(q.auth_type) as 1 : undefined,
      bizAppId: q.biz_appid,
      categoryIdList: q.category_id_list?.split("|"),
      mobile,
    });
    if (options.authorizationLink) link = options.authorizationLink(link, url);
    c.header(
      "set-cookie",
      `${STATE_COOKIE}=${cookie}; Max-Age=${STATE_MAX_AGE}; Path=/authorize; HttpOnly; SameSite=Lax` +
        (url.protocol === "https:" ? "; Secure" : ""),
    );
    c.header("cache-control", "no-store");
    return c.html(authorizePage(lang, link, mobile));
  });

  app.get("/authorize/callback", async (c) => {
    const rt = c.get("service");
    const lang = pickLang(c.req.header("accept-language"));
    const result = v.safeParse(CallbackQuerySchema, c.req.query());
    if (!result.success) {
      return c.html(errorPage(lang, "Missing or invalid auth_code or state"), 400);
    }
    const { auth_code, state } = result.output;
    const okState = await checkState(
      rt.settings.storageKey,
      state,
      readCookie(c.req.header("cookie"), STATE_COOKIE),
    );
    if (!okState) {
      return c.html(
        errorPage(lang, "This authorization was not started in this browser, or it expired"),
        400,
      );
    }
    let exchange: ExchangeAnswer;
    try {
      exchange = await callCoordinator<ExchangeAnswer>(c.env, COMPONENT, "query-auth", {
        code: auth_code,
      });
    } catch (err) {
      return htmlError(c, lang, err);
    }
    c.header("set-cookie", `${STATE_COOKIE}=; Max-Age=0; Path=/authorize; HttpOnly; SameSite=Lax`);
    c.header("cache-control", "no-store");
    if (rt.settings.resultRedirectUrl) {
      const target = new URL(rt.settings.resultRedirectUrl);
      target.searchParams.set("authorizer_appid", exchange.authorizerAppId);
      return c.redirect(target.toString(), 302);
    }
    return c.html(resultPage(lang, exchange.authorizerAppId, exchange.nickName));
  });

  // ------------------------------------------------------------------ admin API

  const api = new Hono<AppEnv>();
  api.use("*", adminAuth());
  api.use("*", async (c, next) => {
    const before = snapshot();
    await next();
    c.res.headers.set("x-wxopen-kv-reads", String(counters.kvReads - before.kvReads));
    c.res.headers.set(
      "x-wxopen-upstream-calls",
      String(counters.upstreamCalls - before.upstreamCalls),
    );
  });

  api.get("/authorizers", async (c) => {
    const q = parseQuery(ListQuerySchema, c.req.query());
    const page = await c.get("service").client.listAuthorizers({
      cursor: q.cursor,
      limit: q.limit ? Math.min(1000, Math.max(1, Number(q.limit))) : 100,
    });
    return c.json({
      authorizers: page.authorizers,
      complete: page.complete,
      ...(page.cursor ? { cursor: page.cursor } : {}),
    });
  });

  api.get("/authorizers/:appid", async (c) => {
    const appid = checkAppIdParam(c.req.param("appid"));
    const rt = c.get("service");
    const [record, info] = await Promise.all([
      rt.client.getAuthorizer(appid),
      readAuthorizerInfo(rt.store, appid),
    ]);
    if (!record) throw new HttpError(404, "not_found", "No such authorizer");
    return c.json({ ...record, authorizer_info: info });
  });

  api.get("/authorizers/:appid/access-token", async (c) => {
    const appid = checkAppIdParam(c.req.param("appid"));
    const answer = await c.get("service").client.authorizer(appid).accessToken();
    return c.json(tokenJson({ authorizer_appid: appid }, answer));
  });

  api.post(
    "/authorizers/:appid/access-token/refresh",
    limitBody(ADMIN_BODY_LIMIT),
    async (c) => {
      const appid = checkAppIdParam(c.req.param("appid"));
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(await readLimited(c.req.raw, ADMIN_BODY_LIMIT)));
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, "invalid_request", "The body must be JSON");
      }
      const parsed = v.safeParse(RefreshBodySchema, body);
      if (!parsed.success) {
        throw new HttpError(
          400,
          "invalid_request",
          "Body field invalid_token is missing or invalid",
        );
      }
      const answer = await c.get("service").client.authorizer(appid).accessToken({
        invalid: parsed.output.invalid_token,
      });
      return c.json(tokenJson({ authorizer_appid: appid }, answer));
    },
  );

  api.all(
    "/authorizers/:appid/wechat/*",
    limitBody(PROXY_BODY_LIMIT),
    async (c) => {
      const appid = checkAppIdParam(c.req.param("appid"));
      const rt = c.get("service");
      const url = new URL(c.req.url);
      const marker = `/api/authorizers/${appid}/wechat/`;
      const rest = url.pathname.slice(url.pathname.indexOf(marker) + marker.length);
      if (!rest || rest.startsWith("/") || rest.includes("..")) {
        throw new HttpError(400, "invalid_request", "A WeChat API path is required");
      }
      const method = c.req.method;
      const body = method === "GET" || method === "HEAD"
        ? undefined
        : await readLimited(c.req.raw, PROXY_BODY_LIMIT);
      const contentType = c.req.header("content-type");
      // The core's one request path: token injected, refreshed and retried once on
      // 40001/40014/42001; a failed exchange is a NetworkError or TimeoutError (502/504).
      const res = await rt.client.authorizer(appid).fetch(`/${rest}${url.search}`, {
        method,
        headers: contentType ? { "content-type": contentType } : {},
        body,
      });
      const headers = new Headers();
      const ct = res.headers.get("content-type");
      if (ct) headers.set("content-type", ct);
      const disposition = res.headers.get("content-disposition");
      if (disposition) headers.set("content-disposition", disposition);
      return new Response(res.body, { status: res.status, headers });
    },
  );

  api.get("/component/access-token", async (c) => {
    const answer = await c.get("service").client.componentAccessTokenInfo();
    return c.json(tokenJson({ component_appid: c.get("settings").componentAppId }, answer));
  });

  app.route("/api", api);
  return app;
}

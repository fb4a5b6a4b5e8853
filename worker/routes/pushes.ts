/**
 * WeChat's pushes: the authorization event URL (`/wechat/component/events`: tickets and
 * authorization changes) and the message URL (`/wechat/authorizers/:appid/callback`), with the
 * release test ("全网发布") answered without any code from the platform.
 *
 * Every push is checked before anything is stored: signature, decryption, addressee, and its
 * `timestamp` within {@linkcode PUSH_WINDOW_SECONDS} of now (a signed push replayed later is
 * refused).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { Hono } from "hono/tiny";
import * as v from "valibot";
import { isAppId, retry, WeChatError, WxOpenError } from "../../mod.ts";
import type { DecryptResult, MessageCrypto } from "../../src/crypto/mod.ts";
import {
  type AuthorizerMessage,
  type ComponentEvent,
  parseComponentEvent,
  parseMessage,
  replyTo,
  textReply,
} from "../../src/events/mod.ts";
import type { AppEnv } from "../context.ts";
import { authorizerObject, componentObject } from "../credentials.ts";
import type { Env } from "../env.ts";
import { HttpError, toHttpError } from "../errors.ts";
import type { HandlerOptions } from "../handlers.ts";
import { answerMessage, messageKey } from "../messages.ts";
import { claimMessage, recordAnswer } from "../ledger_link.ts";
import { messageCounters } from "../counters.ts";
import { forwardTarget } from "../delivery.ts";
import { deliverPlatformEvent, PLATFORM_EVENTS } from "../platform_events.ts";
import { unwrap } from "../objects/result.ts";
import { auditPush } from "../releases.ts";
import type { Runtime } from "../runtime.ts";
import { appidParam, readBody, valid } from "../validate.ts";

/** WeChat's release-test ("全网发布") accounts: the release test is answered only for them. */
export const RELEASE_TEST_APPIDS: ReadonlySet<string> = new Set([
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

/** A push body larger than this is refused (WeChat's are a few KiB). */
export const PUSH_LIMIT = 64 * 1024;
/**
 * A push whose `timestamp` is further than this from now is refused, stored nowhere. WeChat
 * signs every delivery (and each of its retries, seconds apart) with the time it sends it.
 */
export const PUSH_WINDOW_SECONDS = 600;

const PushQuerySchema = v.looseObject({
  msg_signature: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/i)),
  timestamp: v.pipe(v.string(), v.regex(/^\d{1,12}$/)),
  nonce: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
});

/** Waits before each retry of a push's authorization exchange, in milliseconds. */
const EXCHANGE_RETRY_MS = [250, 1000, 3000];

/** Opens an encrypted push; every failure becomes 400 or 401 before anything is stored. */
async function openPush(
  crypto: MessageCrypto,
  query: Record<string, string>,
  req: Request,
): Promise<DecryptResult> {
  // Read first, whatever the query: a client is not left sending a body nobody reads.
  const bytes = await readBody(req, PUSH_LIMIT);
  const q = valid(PushQuerySchema, query, "Query parameter");
  const skew = Math.abs(Date.now() / 1000 - Number(q.timestamp));
  if (skew > PUSH_WINDOW_SECONDS) {
    throw new HttpError(
      401,
      "stale_push",
      `The push's timestamp is more than ${PUSH_WINDOW_SECONDS} s away from now`,
    );
  }
  let body: string;
  try {
    body = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "malformed_push", "The body is not valid UTF-8");
  }
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

/**
 * Exchanges a pushed authorization code, retrying 5xx failures: the push was answered
 * `success`, so WeChat will not deliver it again and a lost exchange loses the authorization.
 */
async function exchangeWithRetries(env: Env, code: string, preAuthCode?: string): Promise<void> {
  await retry(() => unwrap(componentObject(env).exchange(code, preAuthCode)), {
    attempts: 1 + EXCHANGE_RETRY_MS.length,
    delayMs: EXCHANGE_RETRY_MS,
    retryIf: (err) => toHttpError(err).status >= 500,
  });
}

/**
 * Exchanges a pushed authorization code (an authorization's, or a fast-registered Mini
 * Program's) after the push is answered; until the exchange completes, token requests for the
 * pushed appid answer 503 `authorization_pending`.
 */
async function onboard(
  env: Env,
  ctx: { waitUntil(promise: Promise<unknown>): void },
  pushed: string,
  code: string,
  preAuthCode?: string,
): Promise<void> {
  const mark = (clear: boolean) =>
    isAppId(pushed)
      ? unwrap(authorizerObject(env, pushed).pending(pushed, clear)).then(
        () => {},
        (err) => console.warn(`[wxopen] pending mark failed: ${(err as Error).name}`),
      )
      : Promise.resolve();
  await mark(false);
  ctx.waitUntil(
    exchangeWithRetries(env, code, preAuthCode).catch((err) =>
      console.error(`[wxopen] authorization exchange failed: ${(err as Error).message}`)
    ).finally(() => mark(true)),
  );
}

/** Sends the release test's customer-service message `<code>_from_api`. */
async function answerQueryAuthCode(
  env: Env,
  rt: Runtime,
  message: AuthorizerMessage,
  code: string,
): Promise<void> {
  const exchange = await unwrap(componentObject(env).exchange(code));
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

/** How long this isolate trusts what it read about an authorizer's status. */
const KNOWN_MS = 60_000;
const known = new Map<string, { authorized: boolean; until: number }>();

/**
 * Whether messages for `appid` are taken: only for an authorizer on record that has not
 * revoked (authorized, or needing re-authorization: its users still write to it).
 */
async function isOurAuthorizer(rt: Runtime, appid: string): Promise<boolean> {
  const hit = known.get(appid);
  if (hit && hit.until > Date.now()) return hit.authorized;
  const record = await rt.client.managed.getAuthorizer(appid);
  const authorized = record !== null && record.status !== "revoked";
  if (known.size > 10_000) known.clear();
  known.set(appid, { authorized, until: Date.now() + KNOWN_MS });
  return authorized;
}

/** The push routes. */
export function pushRoutes(handlers: HandlerOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/component/events", async (c) => {
    const receivedAt = Date.now();
    const rt = c.get("service");
    const { plaintext } = await openPush(await rt.crypto, c.req.query(), c.req.raw);
    const event: ComponentEvent = parseOrReject(() => parseComponentEvent(plaintext));
    if (event.AppId !== undefined && event.AppId !== rt.settings.componentAppId) {
      throw new HttpError(400, "foreign_appid", "The push is addressed to another appid");
    }
    const fields = event as unknown as Record<string, string | undefined>;
    switch (event.InfoType) {
      case "component_verify_ticket": {
        if (!fields.ComponentVerifyTicket?.trim()) {
          throw new HttpError(400, "malformed_push", "ComponentVerifyTicket is missing");
        }
        // Stored before answering: a failure answers 5xx and WeChat pushes again.
        await unwrap(componentObject(c.env).event(plaintext));
        break;
      }
      case "authorized":
      case "updateauthorized": {
        const code = fields.AuthorizationCode;
        if (!code) throw new HttpError(400, "malformed_push", "AuthorizationCode is missing");
        await onboard(
          c.env,
          c.executionCtx,
          fields.AuthorizerAppid ?? "",
          code,
          fields.PreAuthCode,
        );
        break;
      }
      case "unauthorized": {
        const appid = fields.AuthorizerAppid ?? "";
        if (!isAppId(appid)) {
          throw new HttpError(400, "malformed_push", "AuthorizerAppid is missing or invalid");
        }
        await unwrap(authorizerObject(c.env, appid).unauthorized(appid, plaintext));
        // Drop what this isolate cached for it.
        rt.tokenCache.delete(`authorizer:${appid}`);
        known.delete(appid);
        break;
      }
      case "notify_third_fasteregister":
        // A created Mini Program (status 0) is authorized to us: its auth_code is exchanged as
        // an authorization's. The notice is kept as every other one is (below).
        if (fields.status?.trim() === "0" && fields.auth_code) {
          await onboard(c.env, c.executionCtx, fields.appid ?? "", fields.auth_code);
        }
      // falls through
      default:
        c.executionCtx.waitUntil(
          unwrap(componentObject(c.env).event(plaintext)).catch((err) =>
            console.error(`[wxopen] event ${event.InfoType} failed: ${(err as Error).name}`)
          ),
        );
    }
    if (PLATFORM_EVENTS.has(event.InfoType)) {
      await deliverPlatformEvent({
        env: c.env,
        ctx: c.executionCtx as ExecutionContext,
        rt,
        handlers,
        event,
        receivedAt,
      });
    }
    return c.text("success");
  });

  app.post("/authorizers/:appid/callback", appidParam(), async (c) => {
    const receivedAt = Date.now();
    const rt = c.get("service");
    const appid = c.get("appid");
    const crypto = await rt.crypto;
    const query = c.req.query();
    // Reply with the key that opened the push (EncodingAESKey rotation).
    const { plaintext, key } = await openPush(crypto, query, c.req.raw);
    const message: AuthorizerMessage = parseOrReject(() => parseMessage(plaintext));
    const m = message as unknown as Record<string, unknown>;
    const sealed = async (xml: string) =>
      c.body(await crypto.seal(xml, { nonce: query.nonce, key }), 200, {
        "content-type": "application/xml; charset=utf-8",
      });
    // A message without sender or addressee (empty ToUserName) cannot be answered: 400.
    const seal = (content: string) =>
      sealed(parseOrReject(() => textReply(replyTo(message), content)));

    if (RELEASE_TEST_APPIDS.has(appid)) {
      if (message.MsgType === "text" && typeof m.Content === "string") {
        const content = m.Content;
        if (content === "TESTCOMPONENT_MSG_TYPE_TEXT") {
          return await seal("TESTCOMPONENT_MSG_TYPE_TEXT_callback");
        }
        if (content.startsWith("QUERY_AUTH_CODE:")) {
          const code = content.slice("QUERY_AUTH_CODE:".length);
          c.executionCtx.waitUntil(
            answerQueryAuthCode(c.env, rt, message, code).catch((err) =>
              console.error(`[wxopen] release test exchange failed: ${(err as Error).name}`)
            ),
          );
          return c.body("", 200);
        }
      }
      if (message.MsgType === "event") return await seal(`${String(m.Event)}from_callback`);
    }

    // Messages for an appid that never authorized us (or revoked) are acknowledged, so WeChat
    // does not retry them, and go nowhere.
    if (!RELEASE_TEST_APPIDS.has(appid) && !(await isOurAuthorizer(rt, appid))) {
      console.warn(`[wxopen] message for an appid that is not an authorizer, dropped`);
      return c.text("success");
    }
    // An audit verdict goes to the mini program's release object too (fleet releases).
    const audit = auditPush(c.env, appid, m);
    if (audit) c.executionCtx.waitUntil(audit);
    if (!handlers.onMessage && !forwardTarget(rt)) return c.text("success");
    // Once per message across isolates: WeChat's retries get the first copy's answer.
    const id = messageKey(message);
    const waitMs = Math.max(0, receivedAt + rt.settings.replyBudgetMs - Date.now());
    const claim = await claimMessage(c.env, appid, id, waitMs);
    if (claim.state !== "new") {
      messageCounters.duplicates++;
      return claim.state === "done" && claim.reply ? await sealed(claim.reply) : c.text("success");
    }
    let reply: string | null;
    try {
      reply = await answerMessage({
        env: c.env,
        ctx: c.executionCtx as ExecutionContext,
        rt,
        handlers,
        appid,
        message,
        receivedAt,
      }, id);
    } catch (err) {
      // Answered 5xx: WeChat's retry must be taken again.
      c.executionCtx.waitUntil(
        unwrap(authorizerObject(c.env, appid).releaseMessage(appid, id)).catch(() => {}),
      );
      throw err;
    }
    recordAnswer(c.env, c.executionCtx as ExecutionContext, appid, id, reply);
    if (reply !== null) return await sealed(reply);
    return c.text("success");
  });

  return app;
}

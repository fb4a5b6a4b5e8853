/**
 * `/api/v1/authorizers/:appid/wechat/*`: any WeChat API path called on the authorizer's behalf,
 * with its access token injected (and refreshed once when WeChat rejects it). Both directions
 * stream: a large upload goes to WeChat as it arrives (with its Content-Length), a download
 * comes back as WeChat sends it; only small bodies and small JSON/text answers are held whole.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { Hono } from "hono/tiny";
import { componentTokenReason } from "../../src/api/send.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { appidParam, readLimited } from "../validate.ts";

const MiB = 1024 * 1024;

/**
 * A proxied request body larger than this is refused (413) before anything is sent. WeChat's
 * largest media are 10 MB (temporary image and video, permanent video); 20 MiB leaves room for
 * multipart framing and the larger variants some pages describe, and stays far below Workers'
 * 100 MB request limit.
 */
export const PROXY_BODY_LIMIT = 20 * MiB;

/**
 * A body up to this size (or one without a Content-Length) is read whole and sent again after an
 * invalid-token answer; a larger one with a Content-Length streams to WeChat once.
 */
export const PROXY_REPLAY_LIMIT = 1 * MiB;

/** Deadline for WeChat's headers and first bytes, and then for each gap in a streamed answer. */
export const PROXY_TIMEOUT_MS = 10_000;

/** The same deadline when a large body streams up first (sending it counts against it). */
export const PROXY_UPLOAD_TIMEOUT_MS = 60_000;

/** Deadline for the whole of a streamed answer after its first bytes. */
export const PROXY_BODY_TIMEOUT_MS = 120_000;

function tooLarge(): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `The body is larger than ${PROXY_BODY_LIMIT} bytes (WeChat's media are at most 10 MB)`,
  );
}

/** The proxy routes (mounted at `/api/v1/authorizers/:appid/wechat`). */
export function proxyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.all("/*", appidParam(), async (c) => {
    const appid = c.get("appid");
    const rt = c.get("service");
    const url = new URL(c.req.url);
    const marker = `/authorizers/${appid}/wechat/`;
    const rest = url.pathname.slice(url.pathname.indexOf(marker) + marker.length);
    if (!rest || rest.startsWith("/") || rest.includes("..")) {
      throw new HttpError(400, "invalid_request", "A WeChat API path is required");
    }
    const pathAndQuery = `/${rest}${url.search}`;
    const refused = componentTokenReason(pathAndQuery);
    if (refused) {
      throw new HttpError(
        400,
        "invalid_request",
        `${refused}. This proxy sends only the authorizer's access_token (and refreshes only ` +
          "that); call component APIs with GET /api/v1/component/access-token",
      );
    }
    const method = c.req.method;
    const incoming = c.req.raw.body;
    let body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | undefined;
    let timeoutMs = PROXY_TIMEOUT_MS;
    if (incoming && method !== "GET" && method !== "HEAD") {
      const declared = c.req.header("content-length");
      const length = declared === undefined ? undefined : Number(declared);
      if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) {
        throw new HttpError(400, "invalid_request", "The Content-Length is invalid");
      }
      if (length !== undefined && length > PROXY_BODY_LIMIT) {
        await incoming.cancel().catch(() => {});
        throw tooLarge();
      }
      if (length !== undefined && length > PROXY_REPLAY_LIMIT) {
        // Streamed once, with its length (a FixedLengthStream makes workerd send Content-Length
        // and fails the upload if the caller sends fewer or more bytes).
        const fixed = new FixedLengthStream(length);
        incoming.pipeTo(fixed.writable).catch(() => {});
        body = fixed.readable as ReadableStream<Uint8Array>;
        timeoutMs = PROXY_UPLOAD_TIMEOUT_MS;
      } else {
        body = await readLimited(incoming, PROXY_BODY_LIMIT, tooLarge);
      }
    }
    const contentType = c.req.header("content-type");
    // The core's one request path: token injected, refreshed on 40001/40014/42001 in a small
    // answer and retried once when the body can be sent again; a failed exchange is a
    // NetworkError (502) or TimeoutError (504).
    const res = await rt.client.authorizer(appid).fetch(pathAndQuery, {
      method,
      headers: contentType ? { "content-type": contentType } : {},
      body,
      timeoutMs,
      bodyTimeoutMs: PROXY_BODY_TIMEOUT_MS,
    });
    const headers = new Headers();
    const ct = res.headers.get("content-type");
    if (ct) headers.set("content-type", ct);
    const disposition = res.headers.get("content-disposition");
    if (disposition) headers.set("content-disposition", disposition);
    let out: ReadableStream | null = res.body;
    const length = Number(res.headers.get("content-length") ?? "");
    if (out && !res.headers.has("content-encoding") && Number.isSafeInteger(length) && length > 0) {
      // A streamed answer keeps WeChat's length (and breaks off, never ends short, if it does).
      const fixed = new FixedLengthStream(length);
      out.pipeTo(fixed.writable).catch(() => {});
      out = fixed.readable;
    }
    return new Response(out, { status: res.status, headers });
  });
  return app;
}

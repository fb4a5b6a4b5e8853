/**
 * The one place the client talks HTTP: deadline, JSON, errcode, schema, redaction.
 *
 * @module
 */

import * as v from "valibot";
import { concatBytes } from "../_bytes.ts";
import {
  HttpStatusError,
  InvalidJsonError,
  NetworkError,
  ResponseSchemaError,
  TimeoutError,
  WeChatError,
} from "./errors.ts";

/** What the HTTP layer needs from the client. */
export interface HttpContext {
  fetch: typeof fetch;
  apiBase: string;
  timeoutMs: number;
  /** Long-lived secrets to redact from every error (the app secret). */
  secrets: readonly string[];
}

/** One request. */
export interface RequestSpec<T> {
  method: "GET" | "POST";
  /** Path starting with `/`, without query string. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A JSON value, or a `FormData` sent as `multipart/form-data`. */
  body?: unknown;
  schema: v.GenericSchema<unknown, T>;
  /** A non-JSON answer is the result, as bytes (see `Endpoint.binary`). */
  binary?: true;
}

const SENSITIVE_KEY = /token|secret|ticket|code|session_key/i;
const EXCERPT_LENGTH = 200;

/** Collects every credential-looking value sent with the request, for redaction. */
function sensitiveValues(
  ctx: HttpContext,
  query: Record<string, string | number | undefined> | undefined,
  body: unknown,
): string[] {
  const out = [...ctx.secrets];
  for (const [k, value] of Object.entries(query ?? {})) {
    if (SENSITIVE_KEY.test(k) && typeof value === "string") out.push(value);
  }
  if (body !== null && typeof body === "object") {
    for (const [k, value] of Object.entries(body as Record<string, unknown>)) {
      if (SENSITIVE_KEY.test(k) && typeof value === "string") out.push(value);
    }
  }
  return out.filter((s) => s.length >= 4);
}

/** Replaces every occurrence of each secret in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  // WeChat's credential shapes (`ticket@@@…`, `refreshtoken@@@…`, `queryauthcode@@@…`).
  let out = text.replace(/\b[a-z]+@@@[A-Za-z0-9_\-+/=]+/g, "[redacted]");
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join("[redacted]");
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join("[redacted]");
  }
  return out;
}

/** A redacted stand-in for a fetch failure (the original often contains the URL with a token). */
function redactedCause(error: unknown, secrets: readonly string[]): Error {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  const copy = new Error(redact(message, secrets));
  copy.name = name;
  return copy;
}

/** Builds the URL of `path` on `apiBase` with `query`. */
export function buildUrl(
  apiBase: string,
  path: string,
  query?: Record<string, string | number | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [k, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(k, String(value));
  }
  const qs = params.toString();
  return apiBase.replace(/\/+$/, "") + path + (qs ? `?${qs}` : "");
}

/** Parses WeChat's errcode, which the documentation sometimes shows as a string. */
function errcodeOf(json: unknown): number | undefined {
  if (json === null || typeof json !== "object" || !("errcode" in json)) return undefined;
  const raw = (json as { errcode: unknown }).errcode;
  if (typeof raw === "number") return raw;
  if (typeof raw === "string" && /^-?\d+$/.test(raw.trim())) return Number(raw);
  return undefined;
}

/** Formats valibot issues as "path: expected X", never echoing the received value. */
function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.slice(0, 5).map((issue) => {
    const path = issue.path?.map((p) => String(p.key)).join(".") || "(root)";
    return `${path}: expected ${issue.expected ?? "a valid value"}`;
  });
}

/**
 * Runs one exchange (fetch and body read) under the context's deadline: it gets an abort signal
 * and races a timer, so even a `fetch` that ignores the signal cannot hang the caller. A timeout
 * (ours, or a `TimeoutError` the fetch rejects with) is a {@linkcode TimeoutError}; any other
 * failure a {@linkcode NetworkError} whose cause is redacted of `secrets`.
 */
async function withDeadline<T>(
  ctx: HttpContext,
  api: string,
  secrets: readonly string[],
  exchange: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      reject(new TimeoutError(api, ctx.timeoutMs));
    }, ctx.timeoutMs);
  });
  try {
    const run = exchange(controller.signal);
    run.catch(() => {}); // settled through the race below
    return await Promise.race([run, deadline]);
  } catch (error) {
    if (error instanceof TimeoutError) throw error;
    // Our deadline, or one the fetch itself gave up at (an `AbortSignal.timeout` of its own).
    if (timedOut || (error instanceof DOMException && error.name === "TimeoutError")) {
      throw new TimeoutError(api, ctx.timeoutMs);
    }
    throw new NetworkError(api, { cause: redactedCause(error, secrets) });
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one request under the deadline and returns the validated JSON body. */
export async function requestJson<T>(ctx: HttpContext, spec: RequestSpec<T>): Promise<T> {
  const secrets = sensitiveValues(ctx, spec.query, spec.body);
  const url = buildUrl(ctx.apiBase, spec.path, spec.query);
  const init: RequestInit = { method: spec.method };
  if (spec.body instanceof FormData) {
    init.body = spec.body;
  } else if (spec.body !== undefined) {
    init.body = JSON.stringify(spec.body);
    init.headers = { "content-type": "application/json; charset=utf-8" };
  }
  const { status, text, bytes } = await withDeadline(ctx, spec.path, secrets, async (signal) => {
    const res = await ctx.fetch(url, { ...init, signal });
    const type = res.headers.get("content-type") ?? "";
    if (spec.binary && res.ok && !/json|text/i.test(type)) {
      return { status: res.status, text: "", bytes: new Uint8Array(await res.arrayBuffer()) };
    }
    return { status: res.status, text: await res.text(), bytes: undefined };
  });
  if (bytes) return bytes as T;
  if (status < 200 || status > 299) {
    throw new HttpStatusError(spec.path, status, redact(text.slice(0, EXCERPT_LENGTH), secrets));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidJsonError(spec.path, redact(text.slice(0, EXCERPT_LENGTH), secrets));
  }
  const errcode = errcodeOf(json);
  if (errcode !== undefined && errcode !== 0) {
    const errmsg = (json as { errmsg?: unknown }).errmsg;
    throw new WeChatError(spec.path, errcode, redact(String(errmsg ?? ""), secrets));
  }
  const parsed = v.safeParse(spec.schema, json);
  if (!parsed.success) throw new ResponseSchemaError(spec.path, describeIssues(parsed.issues));
  return parsed.output;
}

/** Largest JSON or text answer read whole (to look for an errcode); larger ones stream untouched. */
export const SNIFF_LIMIT = 64 * 1024;

const TEXTUAL = /json|^\s*text\//i;

/** A raw exchange, as {@linkcode requestStream} answers it. */
export interface StreamedResponse {
  status: number;
  headers: Headers;
  /** The whole body: a small JSON or text answer (at most {@linkcode SNIFF_LIMIT}), or none. */
  bytes?: Uint8Array<ArrayBuffer>;
  /**
   * Otherwise the body as it arrives (its first chunk already did): every next chunk must come
   * within the deadline, else the stream errors with a {@linkcode TimeoutError}; a broken
   * connection errors it with a {@linkcode NetworkError}.
   */
  body?: ReadableStream<Uint8Array>;
}

/** Deadlines of {@linkcode requestStream}. */
export interface StreamDeadlines {
  /** For the answer's headers and first bytes, then between two chunks; default the context's. */
  timeoutMs?: number;
  /** For the whole streamed body after its first chunk; default none (only the gap deadline). */
  bodyTimeoutMs?: number;
}

/** The rest of a body after `chunks`, each next chunk under the gap and total deadlines. */
function continued(
  api: string,
  secrets: readonly string[],
  chunks: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  gapMs: number,
  totalMs: number | undefined,
): ReadableStream<Uint8Array> {
  const end = totalMs === undefined ? Infinity : Date.now() + totalMs;
  const queued = [...chunks];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = queued.shift();
      if (next) return controller.enqueue(next);
      const wait = Math.max(0, Math.min(gapMs, end - Date.now()));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), wait);
      });
      try {
        const read = await Promise.race([reader.read(), late]);
        if (read === "late") {
          reader.cancel().catch(() => {});
          controller.error(new TimeoutError(api, wait === gapMs ? gapMs : totalMs!));
        } else if (read.done) {
          controller.close();
        } else {
          controller.enqueue(read.value);
        }
      } catch (error) {
        controller.error(new NetworkError(api, { cause: redactedCause(error, secrets) }));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Sends a request as is (for proxying) and answers once WeChat's headers and first bytes are
 * in, all under the deadline: a small JSON or text answer is read whole (`bytes`, so its errcode
 * can be looked at), anything else (media) streams on (`body`) without being buffered. The
 * request body is sent as given: bytes, or a stream (sent once, as it comes).
 */
export async function requestStream(
  ctx: HttpContext,
  spec: {
    api: string;
    url: string;
    method: string;
    headers?: Headers;
    body?: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>;
  },
  secrets: readonly string[],
  deadlines: StreamDeadlines = {},
): Promise<StreamedResponse> {
  const all = [...ctx.secrets, ...secrets];
  const timeoutMs = deadlines.timeoutMs ?? ctx.timeoutMs;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    return await withDeadline({ ...ctx, timeoutMs }, spec.api, all, async (signal) => {
      const init: RequestInit & { duplex?: "half" } = {
        method: spec.method,
        headers: spec.headers,
        body: spec.body as BodyInit | undefined,
        signal,
      };
      // A stream body needs `duplex` in Deno, Node and browsers (workerd ignores it).
      if (spec.body instanceof ReadableStream) init.duplex = "half";
      const res = await ctx.fetch(spec.url, init);
      const headers = new Headers(res.headers);
      const status = res.status;
      if (!res.body) return { status, headers, bytes: new Uint8Array(0) };
      reader = res.body.getReader();
      const declared = Number(headers.get("content-length") ?? "");
      const sniff = TEXTUAL.test(headers.get("content-type") ?? "") && !(declared > SNIFF_LIMIT);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const read = await reader.read();
        if (read.done) return { status, headers, bytes: concatBytes(chunks, size) };
        chunks.push(read.value);
        size += read.value.byteLength;
        if (!sniff || size > SNIFF_LIMIT) {
          const body = continued(spec.api, all, chunks, reader, timeoutMs, deadlines.bodyTimeoutMs);
          return { status, headers, body };
        }
      }
    });
  } catch (error) {
    (reader as ReadableStreamDefaultReader<Uint8Array> | undefined)?.cancel().catch(() => {});
    throw error;
  }
}

/** WeChat's errcode in a JSON body, if the body is a small JSON object with one. */
export function errcodeInBody(bytes: Uint8Array): number | undefined {
  if (bytes.length === 0 || bytes.length > 65536 || bytes[0] !== 0x7b /* { */) return undefined;
  try {
    return errcodeOf(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return undefined;
  }
}

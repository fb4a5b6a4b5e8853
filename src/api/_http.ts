/**
 * The one place the client talks HTTP: deadline, JSON, errcode, schema, redaction.
 *
 * @module
 */

import * as v from "valibot";
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
  body?: unknown;
  schema: v.GenericSchema<unknown, T>;
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
  if (spec.body !== undefined) {
    init.body = JSON.stringify(spec.body);
    init.headers = { "content-type": "application/json; charset=utf-8" };
  }
  const { status, text } = await withDeadline(ctx, spec.path, secrets, async (signal) => {
    const res = await ctx.fetch(url, { ...init, signal });
    return { status: res.status, text: await res.text() };
  });
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

/** A raw exchange: what {@linkcode requestRaw} returns. */
export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Sends a request as is (for proxying) under the same deadline and error rules. */
export function requestRaw(
  ctx: HttpContext,
  spec: {
    api: string;
    url: string;
    method: string;
    headers?: Headers;
    body?: Uint8Array<ArrayBuffer>;
  },
  secrets: readonly string[],
): Promise<RawResponse> {
  return withDeadline(ctx, spec.api, [...ctx.secrets, ...secrets], async (signal) => {
    const res = await ctx.fetch(spec.url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body as BodyInit | undefined,
      signal,
    });
    return {
      status: res.status,
      headers: new Headers(res.headers),
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  });
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

/**
 * What a Durable Object's RPC method answers: a result object, because RPC keeps only the name
 * and message of a thrown error (not its status or code).
 *
 * @module
 */

import { HttpError, toHttpError } from "../errors.ts";

/** A failure as it crosses RPC: the HTTP answer it maps to. */
export interface RpcFailure {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The answer of every RPC method of the worker's objects. */
export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcFailure };

/** Runs `fn` inside an object and turns any error into a failure (logged when it is a 5xx). */
export async function capture<T>(where: string, fn: () => Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const http = toHttpError(err);
    if (http.status >= 500) {
      console.error(
        `[wxopen] ${where} ${http.code}: ${(err as Error).name}: ${(err as Error).message}`,
      );
    }
    return {
      ok: false,
      error: { status: http.status, code: http.code, message: http.message, details: http.details },
    };
  }
}

/**
 * Awaits an RPC call and returns its value, throwing the failure as an {@linkcode HttpError};
 * an object that cannot be reached (reset, overloaded) is a retryable 503.
 */
export async function unwrap<T>(call: Promise<RpcResult<T>>): Promise<T> {
  let result: RpcResult<T>;
  try {
    result = await call;
  } catch (err) {
    throw new HttpError(
      503,
      "credential_unavailable",
      `The credential's Durable Object did not answer (${(err as Error).name}), retry shortly`,
    );
  }
  if (result.ok) return result.value;
  const { status, code, message, details } = result.error;
  throw new HttpError(status as 500, code, message, details);
}

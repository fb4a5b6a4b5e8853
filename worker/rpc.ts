/**
 * The JSON protocol between the worker and its Durable Objects: `POST https://coordinator/<op>`
 * with a JSON body; answers are JSON, errors use the worker's error shape and status.
 *
 * @module
 */

import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";

/** A token and its expiry (ms since the epoch). */
export interface TokenAnswer {
  token: string;
  expiresAt: number;
}

/** The result of exchanging an authorization code. */
export interface ExchangeAnswer {
  authorizerAppId: string;
  token?: string;
  expiresAt?: number;
  funcInfo?: unknown[];
  nickName?: string;
  /** True when this exchange was already done earlier (a retry or the push/redirect pair). */
  duplicate?: boolean;
}

/** Name of the coordinator instance of the component credential. */
export const COMPONENT = "component";

/** Name of the coordinator instance of one authorizer. */
export function authorizerInstance(appid: string): string {
  return `authorizer:${appid}`;
}

/** Calls `op` on the coordinator instance `name` and returns its JSON answer. */
export async function callCoordinator<T>(
  env: Env,
  name: string,
  op: string,
  body: unknown = {},
): Promise<T> {
  const stub = env.COORDINATOR.get(env.COORDINATOR.idFromName(name));
  const res = await stub.fetch(
    new Request(`https://coordinator/${op}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-wxopen-instance": name },
      body: JSON.stringify(body),
    }),
  );
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new HttpError(502, "coordinator_error", `Coordinator answered HTTP ${res.status}`);
  }
  if (!res.ok) {
    const err = (data as { error?: Record<string, unknown> }).error ?? {};
    const { code, message, ...details } = err;
    throw new HttpError(
      res.status as 500,
      String(code ?? "coordinator_error"),
      String(message ?? "Coordinator failed"),
      Object.keys(details).length ? details : undefined,
    );
  }
  return data as T;
}

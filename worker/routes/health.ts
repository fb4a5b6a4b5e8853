/**
 * `/healthz`: is the ticket fresh and the component token present; how many authorizers stand
 * where; what happened to messages in this isolate. No secret, no token value.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import { storageKeys } from "../../mod.ts";
import type { AppEnv } from "../context.ts";
import { messageCounters } from "../counters.ts";
import type { Runtime } from "../runtime.ts";
import { iso, secondsUntil } from "../wire.ts";

/** A ticket older than this makes the worker `degraded` (WeChat pushes one every 10 minutes). */
const TICKET_HEALTHY_SECONDS = 12 * 3600;

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

/** The health route. */
export function healthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const rt = c.get("service");
    const now = Date.now();
    const [ticket, component, statuses] = await Promise.all([
      rt.client.managed.currentTicket(),
      rt.client.cachedComponentToken(),
      authorizerStatuses(rt),
    ]);
    // Age from when WeChat made the ticket (its CreateTime) when known, else from receipt.
    const madeAt = ticket ? Math.min(ticket.createdAt ?? ticket.receivedAt, ticket.receivedAt) : 0;
    const ticketAge = ticket ? Math.max(0, Math.floor((now - madeAt) / 1000)) : null;
    const ok = ticketAge !== null && ticketAge < TICKET_HEALTHY_SECONDS && component !== null;
    // Wire format: a time or countdown that does not exist is absent, never null.
    return c.json({
      status: ok ? "ok" : "degraded",
      ticket: ticket
        ? {
          received: true,
          age_seconds: ticketAge,
          received_at: iso(ticket.receivedAt),
          ...(ticket.createdAt !== undefined ? { created_at: iso(ticket.createdAt) } : {}),
          expires_at: iso(ticket.expiresAt),
        }
        : { received: false },
      component_token: component
        ? {
          present: true,
          expires_at: iso(component.expiresAt),
          expires_in: secondsUntil(component.expiresAt, now),
        }
        : { present: false },
      authorizers: statuses,
      // This isolate's, since it started (each isolate counts its own).
      messages: { ...messageCounters },
    }, ok ? 200 : 503);
  });
  return app;
}

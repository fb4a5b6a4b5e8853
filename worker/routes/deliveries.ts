/**
 * Dead letters of the delivery queue under `/api/v1/deliveries` (admin): list them and replay
 * one to the forward URL (docs/worker.md "Durable delivery"). Mounted by `admin.ts`, behind its
 * Bearer check.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import * as v from "valibot";
import type { AppEnv } from "../context.ts";
import { listDeadLetters, replayDeadLetter } from "../delivery.ts";
import { HttpError } from "../errors.ts";
import { valid } from "../validate.ts";

const ListQuerySchema = v.looseObject({
  cursor: v.optional(v.pipe(v.string(), v.maxLength(1024))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/))),
});

/** A dead letter's id is its delivery id (hex). */
const ID = /^[0-9a-f]{32}$/;

/** The dead-letter routes. */
export function deliveryRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/dead", async (c) => {
    const q = valid(ListQuerySchema, c.req.query(), "Query parameter");
    return c.json(
      await listDeadLetters(c.get("service"), {
        cursor: q.cursor,
        limit: q.limit ? Math.min(1000, Math.max(1, Number(q.limit))) : 100,
      }),
    );
  });

  app.post("/dead/:id/replay", async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id)) throw new HttpError(400, "invalid_request", "The id is not a delivery id");
    const outcome = await replayDeadLetter(c.env, c.get("service"), id);
    if (!outcome) throw new HttpError(404, "not_found", "No such dead letter");
    if (!outcome.delivered) {
      throw new HttpError(
        502,
        "delivery_failed",
        "The forward URL did not accept the delivery; the dead letter is kept",
      );
    }
    return c.json({ id, delivered: true });
  });

  return app;
}

/**
 * The baseline of `worker_bench.ts`: a bare Hono worker that answers the same route with
 * constant JSON (no auth, no KV, no Durable Object).
 *
 * @module
 */

import { Hono } from "hono/tiny";

const app = new Hono();
app.get("/api/authorizers/:appid/access-token", (c) =>
  c.json({
    authorizer_appid: c.req.param("appid"),
    access_token: "constant-token",
    expires_at: "2030-01-01T00:00:00.000Z",
    expires_in: 7200,
  }));

export default app;

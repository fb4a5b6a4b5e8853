/**
 * The baseline of `worker_bench.ts`: a bare Hono worker that answers the same routes with
 * constant answers (no auth, no KV, no Durable Object, no crypto).
 *
 * @module
 */

import { Hono } from "hono/tiny";

const app = new Hono();
app.get("/api/v1/authorizers/:appid/access-token", (c) =>
  c.json({
    authorizer_appid: c.req.param("appid"),
    access_token: "constant-token",
    expires_at: "2030-01-01T00:00:00.000Z",
    expires_in: 7200,
  }));

// The push baseline: reads the body and answers `success`, like the worker for a message it
// neither replies to nor forwards.
app.post("/wechat/authorizers/:appid/callback", async (c) => {
  await c.req.text();
  return c.text("success");
});

export default app;

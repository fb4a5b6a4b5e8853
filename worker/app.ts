/**
 * The worker's Hono app: wires the rooms of the HTTP contract (DESIGN.md, docs/worker.md) —
 * WeChat's pushes, the authorization flow, the admin API under `/api/v1`, and the health check.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import type { AppEnv, AppOptions } from "./context.ts";
import { onError } from "./errors.ts";
import { adminRoutes } from "./routes/admin.ts";
import { authorizeRoutes } from "./routes/authorize.ts";
import { healthRoutes } from "./routes/health.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { pushRoutes } from "./routes/pushes.ts";
import { releasePageRoutes } from "./routes/release_page.ts";
import { runtimeFor } from "./runtime.ts";

export type { AppOptions } from "./context.ts";

/** Builds the app. */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound((c) => c.json({ error: { code: "not_found", message: "No such route" } }, 404));

  // Settings are validated at the first request; the runtime is built once per isolate.
  app.use("*", async (c, next) => {
    if (options.envTransform) c.env = options.envTransform(c.env);
    const rt = runtimeFor(c.env, options.upstreamFetch);
    c.set("settings", rt.settings);
    c.set("service", rt);
    await next();
  });

  app.route("/healthz", healthRoutes());
  app.route("/wechat", pushRoutes(options));
  app.route("/authorize", authorizeRoutes(options));
  app.route("/oauth", oauthRoutes(options));
  app.route("/api/v1", adminRoutes());
  app.route("/releases", releasePageRoutes());
  return app;
}

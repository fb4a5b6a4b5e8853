/**
 * Assembles the worker: the Hono app's `fetch`, the cron `scheduled` handler and the
 * Durable Object classes, all closed over the same options.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { createApp } from "./app.ts";
import type { AppOptions } from "./context.ts";
import { runCron } from "./cron.ts";
import type { Env } from "./env.ts";
import { authorizerCredentialClass } from "./objects/authorizer.ts";
import { componentCredentialClass } from "./objects/component.ts";
import { releaseCoordinatorClass } from "./objects/release.ts";
import { releaseTargetClass } from "./objects/release_target.ts";

/** Options of {@linkcode createWorker}. */
export type WorkerOptions = AppOptions;

/** Builds the worker: its module handlers and its Durable Object classes. */
export function createWorker(options: WorkerOptions = {}) {
  const app = createApp(options);
  return {
    handler: {
      fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
      async scheduled(_controller: ScheduledController, env: Env, _ctx: ExecutionContext) {
        await runCron(
          options.envTransform ? options.envTransform(env) : env,
          options.upstreamFetch,
        );
      },
    } satisfies ExportedHandler<Env>,
    ComponentCredential: componentCredentialClass(options),
    AuthorizerCredential: authorizerCredentialClass(options),
    ReleaseCoordinator: releaseCoordinatorClass(options),
    ReleaseTarget: releaseTargetClass(options),
  };
}

/**
 * Assembles the worker: the Hono app's `fetch`, the cron `scheduled` handler, the delivery
 * queue's consumer and the Durable Object classes, all closed over the same options.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import { createApp } from "./app.ts";
import type { AppOptions } from "./context.ts";
import { runCron } from "./cron.ts";
import { consumeDeliveries } from "./delivery.ts";
import type { Env } from "./env.ts";
import type { WorkerEnv } from "./handlers.ts";
import type { Worker } from "./mod.ts";
import { authorizerCredentialClass } from "./objects/authorizer.ts";
import { componentCredentialClass } from "./objects/component.ts";
import { releaseCoordinatorClass } from "./objects/release.ts";
import { releaseTargetClass } from "./objects/release_target.ts";
import { runtimeFor } from "./runtime.ts";

/**
 * Builds the worker: its module handlers and its Durable Object classes (the public
 * `createWorker` of `worker/mod.ts` is this with the platform's options; dev adds its own).
 */
export function buildWorker(options: AppOptions = {}): Worker {
  const app = createApp(options);
  const envOf = (env: WorkerEnv) =>
    options.envTransform ? options.envTransform(env as Env) : env as Env;
  return {
    handler: {
      fetch: (request: Request, env: WorkerEnv, ctx: ExecutionContext) =>
        app.fetch(request, env as Env, ctx),
      async scheduled(_controller: ScheduledController, env: WorkerEnv, _ctx: ExecutionContext) {
        await runCron(envOf(env), options.upstreamFetch);
      },
      async queue(batch: MessageBatch<unknown>, env: WorkerEnv, _ctx: ExecutionContext) {
        const e = envOf(env);
        await consumeDeliveries(batch, e, runtimeFor(e, options.upstreamFetch));
      },
    },
    ComponentCredential: componentCredentialClass(options),
    AuthorizerCredential: authorizerCredentialClass(options),
    ReleaseCoordinator: releaseCoordinatorClass(options),
    ReleaseTarget: releaseTargetClass(options),
  };
}

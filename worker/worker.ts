/**
 * Assembles the worker: the Hono app's `fetch`, the cron `scheduled` handler and the
 * Durable Object class, all closed over the same options.
 *
 * @module
 */

import { type AppOptions, createApp } from "./app.ts";
import { type CoordinatorClass, createCoordinatorClass } from "./coordinator.ts";
import { runCron } from "./cron.ts";
import type { Env, ExecutionContext, ScheduledController } from "./env.ts";

/** Options of {@linkcode createWorker}. */
export type WorkerOptions = AppOptions;

/** The module-worker handlers and the Durable Object class. */
export interface Worker {
  handler: {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
    scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>;
  };
  Coordinator: CoordinatorClass;
}

/** Builds the worker. */
export function createWorker(options: WorkerOptions = {}): Worker {
  const app = createApp(options);
  return {
    handler: {
      fetch: (request, env, ctx) => app.fetch(request, env, ctx as never),
      async scheduled(_controller, env, _ctx) {
        await runCron(
          options.envTransform ? options.envTransform(env) : env,
          options.upstreamFetch,
        );
      },
    },
    Coordinator: createCoordinatorClass({
      upstreamFetch: options.upstreamFetch,
      envTransform: options.envTransform,
    }),
  };
}

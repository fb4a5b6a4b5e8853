/**
 * The wxopen Worker as a library: build the same worker as `worker/index.ts` with the
 * platform's own handlers for authorizer messages and platform events, in a `worker/index.ts`
 * of your own (wrangler.toml's `main`). Everything else — settings, bindings, routes — is as
 * docs/worker.md describes.
 *
 * @example A keyword auto-reply
 * ```ts ignore
 * import { createWorker } from "@wxopen/component/worker";
 * import { replyTo, textReply } from "@wxopen/component/messages";
 *
 * const worker = createWorker({
 *   onMessage(message) {
 *     if (message.MsgType === "text" && message.Content.includes("hours")) {
 *       return textReply(replyTo(message), "We are open 9:00–18:00.");
 *     }
 *   },
 * });
 * export const { ComponentCredential, AuthorizerCredential, ReleaseCoordinator, ReleaseTarget } =
 *   worker;
 * export default worker.handler;
 * ```
 *
 * @module
 */

import type {
  DurableObjectState,
  ExecutionContext,
  MessageBatch,
  ScheduledController,
} from "cloudflare-types/index.ts";
import type { HandlerOptions, WorkerEnv } from "./handlers.ts";
import { buildWorker } from "./worker.ts";

export type {
  ComponentEventContext,
  ComponentEventHandler,
  HandlerOptions,
  MessageContext,
  MessageHandler,
  MessageReply,
  WorkerEnv,
} from "./handlers.ts";

/**
 * Options of {@linkcode createWorker}: the platform's handlers (`onMessage`,
 * `onComponentEvent`) and, for tests and local development, the fetch that reaches WeChat.
 */
export interface WorkerOptions extends HandlerOptions {
  /** The fetch that reaches WeChat (default: the global fetch; tests pass a simulator's). */
  upstreamFetch?: typeof fetch;
}

/**
 * A Durable Object class, as the entry module exports it (its constructor's `env` is the
 * worker's own).
 */
export type DurableObjectClass = new (ctx: DurableObjectState, env: never) => object;

/** What {@linkcode createWorker} builds: export each part from the worker's entry module. */
export interface Worker {
  /** The module's default export: `fetch`, `scheduled` (cron) and `queue` (deliveries). */
  handler: {
    fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response>;
    scheduled(
      controller: ScheduledController,
      env: WorkerEnv,
      ctx: ExecutionContext,
    ): Promise<void>;
    queue(batch: MessageBatch<unknown>, env: WorkerEnv, ctx: ExecutionContext): Promise<void>;
  };
  /** The component credential's Durable Object class (binding `COMPONENT`). */
  ComponentCredential: DurableObjectClass;
  /** The Durable Object class of each authorizer (binding `AUTHORIZERS`). */
  AuthorizerCredential: DurableObjectClass;
  /** The Durable Object class of each fleet release (binding `RELEASES`). */
  ReleaseCoordinator: DurableObjectClass;
  /** The Durable Object class of each mini program in a release (binding `RELEASE_TARGETS`). */
  ReleaseTarget: DurableObjectClass;
}

/**
 * Builds the worker with the platform's handlers: export its `handler` as the module's default
 * and its two Durable Object classes by name (wrangler.toml's `class_name`s).
 */
export function createWorker(options: WorkerOptions = {}): Worker {
  return buildWorker(options);
}

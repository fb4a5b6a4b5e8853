/**
 * The platform's own code inside the worker (library mode): what a message or platform-event
 * handler receives and may answer. Set with `createWorker({ onMessage, onComponentEvent })`.
 *
 * @module
 */

// Named, not global: the published types must resolve them (a triple-slash reference is not kept).
import type { ExecutionContext } from "cloudflare-types/index.ts";
import type { AuthorizerCalls } from "../src/client/authorizer_client.ts";
import type { AuthorizerMessage, ComponentEvent } from "../src/events/mod.ts";

/**
 * The worker's bindings, vars and secrets as a handler sees them (docs/worker.md "Settings"),
 * your own bindings included: read them by name, typed as your worker declares them.
 */
export interface WorkerEnv {
  /** A binding, var or secret. */
  [name: string]: unknown;
}

/** What a message handler works with besides the message. */
export interface MessageContext {
  /** The authorizer the message was sent to. */
  authorizerAppId: string;
  /**
   * Calls on that authorizer's behalf: its `access_token`, `call()` for any JSON API and a raw
   * `fetch` (the typed methods of `AuthorizerClient` are left out of the worker's bundle).
   */
  authorizer: AuthorizerCalls;
  /** The worker's bindings and settings. */
  env: WorkerEnv;
  /** The request's execution context (`waitUntil` for work after the answer). */
  ctx: ExecutionContext;
  /** Aborted when the passive-reply budget is spent: a reply returned after it is not sent. */
  signal: AbortSignal;
}

/**
 * A passive reply: the plaintext XML of one of the core's reply builders (`textReply`,
 * `newsReply`, …; the worker encrypts it). `undefined`, `null` or `""` answer `success`.
 */
export type MessageReply = string | null | undefined | void;

/**
 * Handles one authorizer message, once per message (WeChat's retries of it are answered with
 * the same reply, without calling the handler again). A reply counts only when it is returned
 * within the reply budget (`FORWARD_REPLY_MS`, default 3500 ms); a handler that overruns it or
 * throws is answered `success` and logged.
 */
export type MessageHandler = (
  message: AuthorizerMessage,
  context: MessageContext,
) => MessageReply | Promise<MessageReply>;

/** What a platform-event handler works with besides the event. */
export interface ComponentEventContext {
  /** The worker's bindings and settings. */
  env: WorkerEnv;
  /** The request's execution context. */
  ctx: ExecutionContext;
}

/**
 * Handles a platform event (`authorized`, `updateauthorized`, `unauthorized`,
 * `notify_third_fasteregister`) after the worker applied it (the exchange of an authorization
 * code may still be running). It runs after `success` was answered (`waitUntil`); its failures
 * are logged.
 */
export type ComponentEventHandler = (
  event: ComponentEvent,
  context: ComponentEventContext,
) => void | Promise<void>;

/** The handlers of a worker. */
export interface HandlerOptions {
  /** Called for every authorizer message outside WeChat's release test. */
  onMessage?: MessageHandler;
  /** Called for the platform events that concern merchants (see {@linkcode ComponentEventHandler}). */
  onComponentEvent?: ComponentEventHandler;
}

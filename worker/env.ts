/**
 * The worker's bindings and the few Cloudflare runtime types it touches, written out by hand
 * so the worker type-checks under Deno without `@cloudflare/workers-types`.
 *
 * @module
 */

/** The subset of a Workers KV namespace the worker uses. */
export interface KVNamespace {
  get(key: string, type?: "text"): Promise<string | null>;
  getWithMetadata<M = unknown>(
    key: string,
    type?: "text",
  ): Promise<{ value: string | null; metadata: M | null }>;
  put(
    key: string,
    value: string,
    options?: { expirationTtl?: number; expiration?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list<M = unknown>(
    options?: { prefix?: string; cursor?: string; limit?: number },
  ): Promise<{
    keys: { name: string; expiration?: number; metadata?: M }[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

/** A Durable Object id. */
export interface DurableObjectId {
  toString(): string;
}

/** A stub that forwards requests to one Durable Object instance. */
export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

/** A Durable Object namespace binding. */
export interface DurableObjectNamespace {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): DurableObjectStub;
}

/** The transactional storage of one Durable Object instance. */
export interface DurableObjectStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/** The state handed to a Durable Object's constructor. */
export interface DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  waitUntil(promise: Promise<unknown>): void;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** The context of one request or cron invocation. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** What the cron trigger hands to `scheduled()`. */
export interface ScheduledController {
  readonly cron: string;
  readonly scheduledTime: number;
}

/** Bindings, vars and secrets of the worker (see `wrangler.toml` and `docs/worker.md`). */
export interface Env {
  /** Tokens, ticket and authorizer records, sealed with `STORAGE_KEY`. */
  TOKENS: KVNamespace;
  /** One instance per credential: `component` and `authorizer:<appid>`. */
  COORDINATOR: DurableObjectNamespace;
  COMPONENT_APPID?: string;
  WECHAT_API_BASE?: string;
  COMPONENT_APPSECRET?: string;
  COMPONENT_TOKEN?: string;
  COMPONENT_AES_KEY?: string;
  COMPONENT_AES_KEY_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  STORAGE_KEY?: string;
  FORWARD_URL?: string;
  FORWARD_SECRET?: string;
  RESULT_REDIRECT_URL?: string;
  [key: string]: unknown;
}

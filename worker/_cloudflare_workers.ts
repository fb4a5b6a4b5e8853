/**
 * Type-checking stand-in for workerd's built-in module `cloudflare:workers` (deno.json maps the
 * specifier here; wrangler leaves the import to workerd, so this file is never bundled). The
 * types are Cloudflare's own, from `@cloudflare/workers-types`.
 *
 * @module
 */

/// <reference types="cloudflare-types" />

/** Base class of Durable Objects called through typed RPC (`this.ctx`, `this.env`). */
export declare const DurableObject: typeof CloudflareWorkersModule.DurableObject;
/** An instance of {@linkcode DurableObject}. */
export type DurableObject<Env = unknown> = CloudflareWorkersModule.DurableObject<Env>;

/**
 * The worker's bindings, vars and secrets (see `wrangler.toml` and `docs/worker.md`), typed with
 * Cloudflare's own declarations (`@cloudflare/workers-types`, imported as `cloudflare-types`).
 *
 * @module
 */

/// <reference types="cloudflare-types" />

import type { AuthorizerCredential } from "./objects/authorizer.ts";
import type { ComponentCredential } from "./objects/component.ts";
import type { ReleaseCoordinator } from "./objects/release.ts";
import type { ReleaseTarget } from "./objects/release_target.ts";

/** Bindings, vars and secrets of the worker. */
export interface Env {
  /** Tokens, ticket and authorizer records, sealed with `STORAGE_KEY` (the hot path's copy). */
  TOKENS: KVNamespace;
  /** The component credential's object (one instance, `component`): ticket, token, exchanges. */
  COMPONENT: DurableObjectNamespace<ComponentCredential>;
  /** One object per authorizer (named by its appid): its tokens and refresh schedule. */
  AUTHORIZERS: DurableObjectNamespace<AuthorizerCredential>;
  /** One object per fleet release (named by its id), and `_index`, the list of releases. */
  RELEASES: DurableObjectNamespace<ReleaseCoordinator>;
  /** One object per mini program in a release (named by its appid): its release steps. */
  RELEASE_TARGETS: DurableObjectNamespace<ReleaseTarget>;
  /** Seconds between audit polls and quota re-checks of releases (default 300). */
  RELEASE_POLL_SECONDS?: string;
  COMPONENT_APPID?: string;
  WECHAT_API_BASE?: string;
  COMPONENT_APPSECRET?: string;
  COMPONENT_TOKEN?: string;
  COMPONENT_AES_KEY?: string;
  COMPONENT_AES_KEY_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  STORAGE_KEY?: string;
  /**
   * Optional: the queue of durable deliveries to `FORWARD_URL` (this worker produces and consumes
   * it; see docs/worker.md "Durable delivery"). Without it, deliveries are best effort.
   */
  DELIVERY?: Queue<unknown>;
  FORWARD_URL?: string;
  FORWARD_SECRET?: string;
  RESULT_REDIRECT_URL?: string;
  /** Hosts `/oauth/:appid` may redirect users back to (comma-separated; needed by `/oauth`). */
  OAUTH_REDIRECT_HOSTS?: string;
  [key: string]: unknown;
}

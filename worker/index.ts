/**
 * The production entry of the wxopen Worker (`main` in wrangler.toml): WeChat is reached with the
 * global fetch at `WECHAT_API_BASE`. The simulator is not imported here (see `worker/dev.ts`).
 *
 * @module
 */

import { createWorker } from "./mod.ts";

const worker = createWorker();

/** The component credential's Durable Object (binding `COMPONENT`). */
export const ComponentCredential = worker.ComponentCredential;
/** One Durable Object per authorizer (binding `AUTHORIZERS`). */
export const AuthorizerCredential = worker.AuthorizerCredential;
/** One Durable Object per fleet release (binding `RELEASES`). */
export const ReleaseCoordinator = worker.ReleaseCoordinator;
/** One Durable Object per mini program in a release (binding `RELEASE_TARGETS`). */
export const ReleaseTarget = worker.ReleaseTarget;

export default worker.handler;

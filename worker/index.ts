/**
 * The production entry of the wxopen Worker (`main` in wrangler.toml): WeChat is reached with the
 * global fetch at `WECHAT_API_BASE`. The simulator is not imported here (see `worker/dev.ts`).
 *
 * @module
 */

import { createWorker } from "./worker.ts";

const worker = createWorker();

/** The per-credential Durable Object (binding `COORDINATOR`). */
export const Coordinator = worker.Coordinator;

export default worker.handler;

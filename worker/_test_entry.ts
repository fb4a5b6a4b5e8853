/**
 * A platform's own worker entry, for tests/worker_delivery_test.ts only (library mode): a
 * keyword handler on top of the package's `createWorker`, bundled by wrangler like
 * `worker/index.ts`. Kept out of `tests/` so that the worker's types (workerd's globals) are not
 * checked with the tests', and out of the published package.
 *
 * - `hours`: a text reply, numbered by how many times the handler ran in this isolate, which it
 *   names;
 * - `slow`: a reply after 6 s (past the reply budget);
 * - `boom`: throws;
 * - anything else: no reply (the forward URL may answer).
 *
 * Platform events are counted in KV (`test:component_event:<InfoType>:<appid>`), where the
 * tests read them.
 *
 * @module
 */

import { replyTo, textReply } from "../src/events/mod.ts";
import { createWorker } from "./mod.ts";

let calls = 0;
/** Which isolate answered (instances of the worker are separate isolates). */
let isolate: string | undefined;

const worker = createWorker({
  async onMessage(message, { authorizerAppId }) {
    if (message.MsgType !== "text") return;
    calls++;
    isolate ??= crypto.randomUUID().slice(0, 8);
    if (message.Content === "hours") {
      return textReply(
        replyTo(message),
        `open 9-18 (${authorizerAppId}, call ${calls} in ${isolate})`,
      );
    }
    if (message.Content === "slow") {
      await new Promise((r) => setTimeout(r, 6000));
      return textReply(replyTo(message), "too late");
    }
    if (message.Content === "boom") throw new Error("handler bug");
  },
  async onComponentEvent(event, { env }) {
    const appid = (event as unknown as Record<string, unknown>).AuthorizerAppid ?? "";
    const kv = env.TOKENS as {
      get(key: string): Promise<string | null>;
      put(key: string, value: string): Promise<void>;
    };
    const key = `test:component_event:${event.InfoType}:${appid}`;
    await kv.put(key, String(Number(await kv.get(key) ?? 0) + 1));
  },
});

/** The component credential's object. */
export const ComponentCredential = worker.ComponentCredential;
/** The authorizers' objects. */
export const AuthorizerCredential = worker.AuthorizerCredential;
/** The fleet releases' objects. */
export const ReleaseCoordinator = worker.ReleaseCoordinator;
/** The mini programs' release objects. */
export const ReleaseTarget = worker.ReleaseTarget;
export default worker.handler;

/**
 * A platform's own worker entry for the delivery tests (library mode): a keyword handler on
 * top of the package's `createWorker`, bundled by wrangler like `worker/index.ts`.
 *
 * - `hours`: a text reply, numbered by how many times the handler ran in this isolate;
 * - `slow`: a reply after 6 s (past the reply budget);
 * - `boom`: throws;
 * - anything else: no reply (the forward URL may answer).
 *
 * @module
 */

import { replyTo, textReply } from "../src/events/mod.ts";
import { createWorker } from "../worker/mod.ts";

let calls = 0;

const worker = createWorker({
  async onMessage(message, { authorizerAppId }) {
    if (message.MsgType !== "text") return;
    calls++;
    if (message.Content === "hours") {
      return textReply(replyTo(message), `open 9-18 (${authorizerAppId}, call ${calls})`);
    }
    if (message.Content === "slow") {
      await new Promise((r) => setTimeout(r, 6000));
      return textReply(replyTo(message), "too late");
    }
    if (message.Content === "boom") throw new Error("handler bug");
  },
});

/** The component credential's object. */
export const ComponentCredential = worker.ComponentCredential;
/** The authorizers' objects. */
export const AuthorizerCredential = worker.AuthorizerCredential;
export default worker.handler;

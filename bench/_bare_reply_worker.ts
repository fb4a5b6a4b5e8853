/**
 * The baseline of `messages.ts`: a bare Hono worker that opens the same encrypted push
 * (signature, decryption, parsing with the core's code) and answers it with the same encrypted
 * text reply — no authorizer check, no ledger, no handler.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseMessage, replyTo, textReply } from "../src/events/mod.ts";

let crypto: Promise<MessageCrypto> | undefined;

const app = new Hono<{ Bindings: Record<string, string> }>();
app.post("/wechat/authorizers/:appid/callback", async (c) => {
  crypto ??= MessageCrypto.create({
    token: c.env.COMPONENT_TOKEN,
    encodingAesKey: c.env.COMPONENT_AES_KEY,
    appId: c.env.COMPONENT_APPID,
  });
  const mc = await crypto;
  const query = c.req.query();
  const { plaintext, key } = await mc.openWithKey(await c.req.text(), {
    msg_signature: query.msg_signature,
    timestamp: query.timestamp,
    nonce: query.nonce,
  });
  const message = parseMessage(plaintext);
  const xml = textReply(replyTo(message), "open 9-18");
  return c.body(await mc.seal(xml, { nonce: query.nonce, key }), 200, {
    "content-type": "application/xml; charset=utf-8",
  });
});

export default app;

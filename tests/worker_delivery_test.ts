/**
 * Messages as a platform builds on them (issue 11), against the bundled worker under Miniflare
 * with a real local queue: the platform's handler and its passive replies, the forward URL's
 * replies, durable delivery with retries and dead letters, and one delivery per message
 * whatever WeChat retries.
 */

import assert from "node:assert/strict";
import { parseXml } from "../src/xml/mod.ts";
import {
  eventually,
  type Harness,
  ORIGIN,
  type StartOptions,
  startWorker,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };
const ENTRY = "tests/_message_worker.ts";
const NO_FORWARD = { FORWARD_URL: undefined, FORWARD_SECRET: undefined };

/** A worker with a ticket and one authorized official account. */
async function platform(
  options: StartOptions,
): Promise<{ h: Harness; appid: string; url: string }> {
  const h = await startWorker(options);
  assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
  const auth = await h.sim.authorizeAccount({ kind: "official_account" });
  await h.sim.settled();
  await eventually(async () =>
    (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
  );
  return { h, appid: auth.appId, url: `${ORIGIN}/wechat/authorizers/${auth.appId}/callback` };
}

/** The same push again (WeChat's retry: same body, same query). */
async function copyOf(push: Request): Promise<() => Request> {
  const body = await push.text();
  return () => new Request(push.url, { method: "POST", body });
}

/** The `Content` of an encrypted text reply. */
async function replyText(h: Harness, res: Response): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const xml = await h.sim.openReply(text);
  const fields = parseXml(xml);
  assert.equal(fields.MsgType, "text", xml);
  return String(fields.Content);
}

Deno.test({
  name: "delivery: a handler's passive reply, the same reply for WeChat's retries, one call",
  ...opts,
  async fn() {
    const { h, appid, url } = await platform({ entry: ENTRY, settings: NO_FORWARD });
    try {
      const push = await copyOf(
        await h.sim.textMessagePush(url, { appId: appid, content: "hours" }),
      );
      const first = await replyText(h, await h.send(push()));
      assert.equal(first, `open 9-18 (${appid}, call 1)`);
      // Three retries, one after the other and then two at once: the first call's reply.
      assert.equal(await replyText(h, await h.send(push())), first);
      const [a, b] = await Promise.all([h.send(push()), h.send(push())]);
      assert.equal(await replyText(h, a), first);
      assert.equal(await replyText(h, b), first);
      // Another message is another call.
      const other = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "hours" }),
      );
      assert.equal(await replyText(h, other), `open 9-18 (${appid}, call 2)`);
      // The release test still passes with a handler installed.
      const release = await h.send(
        await h.sim.releaseTestTextPush(`${ORIGIN}/wechat/authorizers/wx570bc396a51b8ff8/callback`),
      );
      const xml = await h.sim.openReply(await release.text());
      assert.equal(parseXml(xml).Content, "TESTCOMPONENT_MSG_TYPE_TEXT_callback");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: a handler past the reply budget or throwing is answered success in time",
  ...opts,
  async fn() {
    const { h, appid, url } = await platform({ entry: ENTRY, settings: NO_FORWARD });
    try {
      const started = Date.now();
      const slow = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "slow" }),
      );
      assert.equal(await slow.text(), "success");
      const took = Date.now() - started;
      assert.ok(took < 4500, `answered after ${took} ms`);
      assert.ok(took >= 3000, `answered after ${took} ms, before the budget`);
      const boom = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "boom" }),
      );
      assert.equal(boom.status, 200);
      assert.equal(await boom.text(), "success");
      const health = await (await h.fetch("/healthz")).json();
      assert.equal(health.messages.late, 1);
      assert.equal(health.messages.failed, 1);
    } finally {
      await h.dispose();
    }
  },
});

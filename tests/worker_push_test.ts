/**
 * WeChat's pushes against the real bundled worker under Miniflare (defects a black-box test
 * found, one test each):
 *
 * - 2: ticket pushes are applied one at a time in the component's object: the newest
 *   `CreateTime` wins whatever the arrival order, a duplicate is written once, a `CreateTime`
 *   far in the future is refused and pins nothing, and `/healthz` counts a ticket's age from
 *   when WeChat made it.
 * - 10: the message URL takes messages only for authorizers on record (not revoked): others are
 *   acknowledged `success`, so WeChat does not retry them, and go nowhere.
 */

import assert from "node:assert/strict";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { encryptedPush } from "../src/testing/_push.ts";
import { eventually, type Harness, ORIGIN, SETTINGS, startWorker } from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const TICKET_KEY = "wxopen:v1:ticket";
const opts = { sanitizeOps: false, sanitizeResources: false };

const crypto = MessageCrypto.create({
  token: SETTINGS.COMPONENT_TOKEN,
  encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
  appId: SETTINGS.COMPONENT_APPID,
});

/** A correctly signed ticket push of `ticket` made at `createTime` (unix s), sent now. */
async function ticketPush(ticket: string, createTime: number): Promise<Request> {
  return encryptedPush(
    await crypto,
    EVENTS,
    ["AppId", SETTINGS.COMPONENT_APPID],
    {
      AppId: SETTINGS.COMPONENT_APPID,
      CreateTime: createTime,
      InfoType: "component_verify_ticket",
      ComponentVerifyTicket: ticket,
    },
    Date.now(),
  );
}

/** `/healthz`'s ticket section. */
async function ticketHealth(h: Harness): Promise<Record<string, unknown>> {
  return (await (await h.fetch("/healthz")).json()).ticket;
}

Deno.test({
  name:
    "pushes: tickets in flight together — the newest CreateTime wins, a duplicate is written once",
  ...opts,
  async fn() {
    let ticketWrites = 0;
    const h = await startWorker({
      kvFaults: (op, key) => {
        if (op === "put" && key === TICKET_KEY) ticketWrites++;
        return null;
      },
    });
    try {
      const now = Math.floor(Date.now() / 1000);
      for (let round = 0; round < 10; round++) {
        const older = now - 100 + 2 * round;
        const [a, b] = [
          await ticketPush(`ticket@@@old-${round}`, older),
          await ticketPush(`ticket@@@new-${round}`, older + 1),
        ];
        // Both in flight at once, in either order.
        const pair = round % 2 ? [b, a] : [a, b];
        const answers = await Promise.all(pair.map((p) => h.send(p)));
        for (const res of answers) assert.equal(await res.text(), "success");
        const health = await ticketHealth(h);
        assert.equal(
          health.created_at,
          new Date((older + 1) * 1000).toISOString(),
          `round ${round}`,
        );
      }
      // 20 copies of one push (WeChat's retries, a replay) at once: one write.
      const copy = await ticketPush("ticket@@@copies", now);
      const body = await copy.clone().text();
      const before = ticketWrites;
      const copies = await Promise.all(
        Array.from({ length: 20 }, () => h.send(new Request(copy.url, { method: "POST", body }))),
      );
      for (const res of copies) assert.equal(await res.text(), "success");
      assert.equal(ticketWrites - before, 1, "one KV write for 20 copies");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "pushes: a ticket from the future is refused and pins nothing; age counts from CreateTime",
  ...opts,
  async fn() {
    const h = await startWorker();
    try {
      const now = Math.floor(Date.now() / 1000);
      // Two hours old when it arrives: its age says so (not 0).
      assert.equal(
        await (await h.send(await ticketPush("ticket@@@late", now - 7200))).text(),
        "success",
      );
      const late = await ticketHealth(h);
      assert.ok(
        Number(late.age_seconds) >= 7200 && Number(late.age_seconds) < 7300,
        String(late.age_seconds),
      );
      // 30 days ahead: refused, nothing stored, and the next real ticket is taken.
      const future = await h.send(await ticketPush("ticket@@@future", now + 30 * 86400));
      assert.equal(future.status, 400, await future.clone().text());
      assert.equal((await future.json()).error.code, "malformed_push");
      assert.equal((await ticketHealth(h)).created_at, late.created_at);
      assert.equal(await (await h.send(await ticketPush("ticket@@@real", now))).text(), "success");
      assert.equal((await ticketHealth(h)).created_at, new Date(now * 1000).toISOString());
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "pushes: messages for an appid that is not an authorizer are acknowledged and dropped",
  ...opts,
  async fn() {
    const h = await startWorker();
    try {
      assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
      const auth = await h.sim.authorizeAccount({ kind: "official_account" });
      await h.sim.settled();
      await eventually(async () =>
        (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
      );
      const url = (appid: string) => `${ORIGIN}/wechat/authorizers/${appid}/callback`;
      const stranger = "wx00000000000000aa";
      // Platform events (the authorization, the revocation) are forwarded too (issue 11).
      const messages = () => h.forwarded.filter((f) => "message" in JSON.parse(f.body));
      const before = messages().length;
      // Never authorized: answered `success` (no WeChat retries), not forwarded.
      const unknown = await h.send(
        await encryptedPush(await crypto, url(stranger), ["ToUserName", "gh_0123456789ab"], {
          ToUserName: "gh_0123456789ab",
          FromUserName: "o_someone",
          CreateTime: Math.floor(Date.now() / 1000),
          MsgType: "text",
          Content: "hi",
          MsgId: "24000000000000001",
        }, Date.now()),
      );
      assert.equal(unknown.status, 200);
      assert.equal(await unknown.text(), "success");
      // An authorizer: forwarded.
      const ours = await h.send(
        await h.sim.textMessagePush(url(auth.appId), { appId: auth.appId, content: "hello" }),
      );
      assert.equal(await ours.text(), "success");
      const fwd = await eventually(() => messages()[before]);
      assert.equal(JSON.parse(fwd.body).authorizer_appid, auth.appId);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(messages().length, before + 1, "only the authorizer's message was forwarded");
      // Revoked: dropped too (after this isolate's 60 s view of it, or at once when it saw the
      // revocation itself, as here).
      await h.sim.revoke(auth.appId);
      await h.sim.settled();
      const gone = await h.send(
        await h.sim.textMessagePush(url(auth.appId), { appId: auth.appId, content: "bye" }),
      );
      assert.equal(await gone.text(), "success");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(messages().length, before + 1, "no message forwarded after the revocation");
    } finally {
      await h.dispose();
    }
  },
});

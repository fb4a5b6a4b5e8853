/**
 * Messages as a platform builds on them (issue 11), against the bundled worker under Miniflare
 * with a real local queue: the platform's handler and its passive replies, the forward URL's
 * replies, durable delivery with retries and dead letters, and one delivery per message
 * whatever WeChat retries.
 */

import assert from "node:assert/strict";
import type { Authorization } from "../src/testing/mod.ts";
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
const ENTRY = "worker/_test_entry.ts";
const NO_FORWARD = { FORWARD_URL: undefined, FORWARD_SECRET: undefined };

/** A worker with a ticket and one authorized official account. */
async function platform(
  options: StartOptions,
): Promise<{ h: Harness; appid: string; url: string; auth: Authorization }> {
  const h = await startWorker(options);
  assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
  const auth = await h.sim.authorizeAccount({ kind: "official_account" });
  await h.sim.settled();
  await eventually(async () =>
    (await h.snapshot()).has(`wxopen:v1:authorizer_token:${auth.appId}`)
  );
  // With a forward URL, the `authorized` event is delivered too: counted before the test starts.
  if (options.settings?.FORWARD_URL !== undefined || !("FORWARD_URL" in (options.settings ?? {}))) {
    await eventually(() => h.forwardedEvents.length >= 1);
    await eventually(async () => (await counters(h)).delivered >= 1);
  }
  return {
    h,
    appid: auth.appId,
    url: `${ORIGIN}/wechat/authorizers/${auth.appId}/callback`,
    auth,
  };
}

async function counters(h: Harness): Promise<Record<string, number>> {
  return (await (await h.fetch("/healthz")).json()).messages;
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
  name:
    "delivery: a handler's passive reply, the same reply for WeChat's retries on any isolate, one call",
  ...opts,
  async fn() {
    const { h, appid, url } = await platform({ entry: ENTRY, settings: NO_FORWARD, instances: 2 });
    try {
      const push = await copyOf(
        await h.sim.textMessagePush(url, { appId: appid, content: "hours" }),
      );
      const first = await replyText(h, await h.send(push()));
      assert.match(first, new RegExp(`^open 9-18 \\(${appid}, call 1 in [0-9a-f]{8}\\)$`));
      // Retries, one after the other, on another isolate, and two at once: the first reply.
      assert.equal(await replyText(h, await h.send(push())), first);
      assert.equal(await replyText(h, await h.fetchOn(1, push())), first);
      const [a, b] = await Promise.all([h.send(push()), h.fetchOn(1, push())]);
      assert.equal(await replyText(h, a), first);
      assert.equal(await replyText(h, b), first);
      // Another message is another call.
      const other = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "hours" }),
      );
      assert.match(await replyText(h, other), /, call 2 in /);
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

/** Replies of the other types a forward URL may answer with, by the message's content. */
const OTHER_REPLIES: Record<string, unknown> = {
  image: { type: "image", media_id: "m-img" },
  voice: { type: "voice", media_id: "m-voice" },
  video: { type: "video", media_id: "m-video", title: "clip" },
  music: { type: "music", thumb_media_id: "thumb", music_url: "https://example.com/a.mp3" },
  kf: { type: "transfer_customer_service", kf_account: "test1@test" },
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fast queue retries for the tests (1 s, 2 s, 4 s). */
const QUEUED = { DELIVERY_RETRY_SECONDS: "1" };

/** The `message.Content` of each forward in `log`. */
function contents(log: { body: string }[]): string[] {
  return log.map((f) => JSON.parse(f.body).message?.Content);
}

Deno.test({
  name:
    "delivery: the forward URL's JSON reply is the passive reply; 204, {} and bad replies are success",
  ...opts,
  async fn() {
    const { h, appid, url } = await platform({
      queue: {},
      settings: QUEUED,
      forward: async (req) => {
        const body = await req.json();
        const content = body.message.Content;
        if (content === "text") {
          return json({ reply: { type: "text", content: "from the platform" } });
        }
        if (content === "news") {
          return json({
            reply: {
              type: "news",
              articles: [{ title: "Hello", description: "d", url: "https://example.com/a" }],
            },
          });
        }
        if (content in OTHER_REPLIES) return json({ reply: OTHER_REPLIES[content] });
        if (content === "empty") return json({});
        if (content === "none") return new Response(null, { status: 204 });
        return json({ reply: { type: "text" } });
      },
    });
    try {
      const send = async (content: string) =>
        await h.send(await h.sim.textMessagePush(url, { appId: appid, content }));
      assert.equal(await replyText(h, await send("text")), "from the platform");
      const news = parseXml(await h.sim.openReply(await (await send("news")).text()));
      assert.equal(news.MsgType, "news");
      assert.equal(news.ArticleCount, "1");
      const expected: Record<string, [string, string]> = {
        image: ["image", "<Image><MediaId><![CDATA[m-img]]></MediaId></Image>"],
        voice: ["voice", "<Voice><MediaId><![CDATA[m-voice]]></MediaId></Voice>"],
        video: ["video", "<Title><![CDATA[clip]]></Title>"],
        music: ["music", "<ThumbMediaId><![CDATA[thumb]]></ThumbMediaId>"],
        kf: ["transfer_customer_service", "<KfAccount><![CDATA[test1@test]]></KfAccount>"],
      };
      for (const [content, [type, fragment]] of Object.entries(expected)) {
        const xml = await h.sim.openReply(await (await send(content)).text());
        assert.equal(parseXml(xml).MsgType, type, xml);
        assert.ok(xml.includes(fragment), xml);
      }
      for (const quiet of ["empty", "none", "bad"]) {
        const res = await send(quiet);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "success", quiet);
      }
      const first = h.forwardLog[0];
      assert.ok(first.headers.get("x-wxopen-reply-within-ms"), "the reply window is announced");
      assert.match(first.headers.get("x-wxopen-delivery-id") ?? "", /^[0-9a-f]{32}$/);
      await sleep(1500);
      // Each message reached the target once (answered 2xx: nothing queued).
      assert.deepEqual(contents(h.forwardLog), [
        "text",
        "news",
        ...Object.keys(expected),
        "empty",
        "none",
        "bad",
      ]);
      const c = await counters(h);
      assert.equal(c.replied, 7);
      assert.equal(c.bad_replies, 1);
      assert.equal(c.delivered, 10 + 1, "ten messages and the authorized event");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: three WeChat retries of one message — one delivery, the same reply",
  ...opts,
  async fn() {
    let n = 0;
    const { h, appid, url } = await platform({
      queue: {},
      settings: QUEUED,
      forward: () => json({ reply: { type: "text", content: `reply ${++n}` } }),
    });
    try {
      const push = await copyOf(await h.sim.textMessagePush(url, { appId: appid, content: "hi" }));
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) answers.push(await replyText(h, await h.send(push())));
      assert.deepEqual(answers, ["reply 1", "reply 1", "reply 1", "reply 1"]);
      await sleep(1500);
      assert.equal(h.forwardLog.length, 1);
      assert.equal((await counters(h)).duplicates, 3);
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: a slow forward URL — success within 5 s, delivered later, once",
  ...opts,
  async fn() {
    const { h, appid, url } = await platform({
      queue: {},
      settings: QUEUED,
      forward: async () => {
        await sleep(4500);
        return json({ reply: { type: "text", content: "too late" } });
      },
    });
    try {
      const started = Date.now();
      const res = await h.send(await h.sim.textMessagePush(url, { appId: appid, content: "slow" }));
      assert.equal(await res.text(), "success");
      const took = Date.now() - started;
      assert.ok(took < 5000 && took >= 3000, `answered after ${took} ms`);
      await eventually(() => h.forwarded.length === 1);
      // The queued copy behind the late attempt (11 s) finds it delivered and is dropped.
      await eventually(async () => (await counters(h)).duplicates === 1, 20_000);
      assert.equal(h.forwardLog.length, 1);
      const c = await counters(h);
      assert.equal(c.late, 1);
      assert.equal(c.delivered, 1 + 1, "the message and the authorized event");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: a forward URL that fails, then recovers — delivered once by the queue",
  ...opts,
  async fn() {
    let failures = 2;
    const { h, appid, url } = await platform({
      queue: {},
      settings: QUEUED,
      forward: () => failures-- > 0 ? new Response("down", { status: 503 }) : json({}),
    });
    try {
      const res = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "later" }),
      );
      assert.equal(await res.text(), "success");
      await eventually(() => h.forwarded.length === 1, 20_000);
      await sleep(2500);
      assert.deepEqual(contents(h.forwarded), ["later"]);
      assert.deepEqual(h.forwardLog.map((f) => f.headers.get("x-wxopen-attempt")), ["1", "2", "3"]);
      // Only the first attempt could carry a reply.
      assert.equal(h.forwardLog[1].headers.get("x-wxopen-reply-within-ms"), null);
      const c = await counters(h);
      assert.equal(c.retried, 1);
      assert.equal(c.delivered, 1 + 1, "the message and the authorized event");
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: a forward URL that always fails — a dead letter, listed, then replayed",
  ...opts,
  async fn() {
    let up = false;
    const { h, appid, url } = await platform({
      queue: { maxRetries: 2 },
      settings: QUEUED,
      forward: () => up ? json({}) : new Response("down", { status: 500 }),
    });
    try {
      const res = await h.send(
        await h.sim.textMessagePush(url, { appId: appid, content: "lost?" }),
      );
      assert.equal(await res.text(), "success");
      // 1 attempt inline, 3 through the queue (1 + 2 retries), then the dead-letter queue.
      const listed = await eventually(async () => {
        const body = await (await h.admin("/api/v1/deliveries/dead")).json();
        return body.dead_letters.length ? body : null;
      }, 30_000);
      assert.equal(h.forwardLog.length, 4);
      const [letter] = listed.dead_letters;
      assert.equal(letter.kind, "message");
      assert.equal(letter.authorizer_appid, appid);
      assert.equal(letter.type, "text");
      assert.match(letter.dead_at, /Z$/);
      assert.equal((await counters(h)).dead_lettered, 1);
      // The listing never carries the message itself.
      assert.ok(!JSON.stringify(listed).includes("lost?"));
      // Still down: 502, kept.
      const refused = await h.admin(`/api/v1/deliveries/dead/${letter.id}/replay`, {
        method: "POST",
      });
      assert.equal(refused.status, 502);
      assert.equal((await refused.json()).error.code, "delivery_failed");
      up = true;
      const replay = await h.admin(`/api/v1/deliveries/dead/${letter.id}/replay`, {
        method: "POST",
      });
      assert.equal(replay.status, 200, await replay.clone().text());
      assert.deepEqual(await replay.json(), { id: letter.id, delivered: true });
      assert.deepEqual(contents(h.forwarded), ["lost?"]);
      const after = await (await h.admin("/api/v1/deliveries/dead")).json();
      assert.deepEqual(after.dead_letters, []);
      const gone = await h.admin(`/api/v1/deliveries/dead/${letter.id}/replay`, { method: "POST" });
      assert.equal(gone.status, 404);
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: a queue that refuses the delivery — 5xx, and WeChat's retry delivers it",
  ...opts,
  async fn() {
    let queueDown = false;
    let targetDown = true;
    const { h, appid, url } = await platform({
      queue: { failSends: () => queueDown },
      settings: QUEUED,
      forward: () => targetDown ? new Response("down", { status: 503 }) : json({}),
    });
    try {
      queueDown = true;
      const push = await copyOf(
        await h.sim.textMessagePush(url, { appId: appid, content: "keep" }),
      );
      const refused = await h.send(push());
      assert.equal(refused.status, 503, await refused.clone().text());
      assert.equal((await refused.json()).error.code, "delivery_unavailable");
      queueDown = false;
      targetDown = false;
      // WeChat pushes it again: taken again, delivered.
      assert.equal(await (await h.send(push())).text(), "success");
      await eventually(() => h.forwarded.length === 1);
      await sleep(1500);
      assert.deepEqual(contents(h.forwarded), ["keep"]);
    } finally {
      await h.dispose();
    }
  },
});

Deno.test({
  name: "delivery: platform events reach the handler and the forward URL once, without the code",
  ...opts,
  async fn() {
    const { h, appid, auth } = await platform({ entry: ENTRY, queue: {}, settings: QUEUED });
    try {
      const events = () => h.forwardedEvents.map((f) => JSON.parse(f.body));
      await eventually(() => events().length >= 1);
      const [authorized] = events();
      assert.equal(authorized.authorizer_appid, appid);
      assert.equal(authorized.event.InfoType, "authorized");
      assert.equal(authorized.event.AuthorizerAppid, appid);
      assert.equal(authorized.event.AuthorizationCode, undefined, "the exchanged code stays");
      assert.match(authorized.received_at, /Z$/);
      const count = async (type: string) =>
        JSON.parse((await h.snapshot()).get(`test:component_event:${type}:${appid}`) ?? "null")
          ?.value;
      assert.equal(await eventually(() => count("authorized")), "1");
      // WeChat pushes the same authorization again, twice (its retries): no second delivery.
      const again = await copyOf(await h.sim.authorizationPush(EVENTS, auth));
      for (let i = 0; i < 2; i++) assert.equal(await (await h.send(again())).text(), "success");
      // A revocation: delivered too.
      await h.sim.revoke(appid);
      await h.sim.settled();
      await eventually(() => events().some((e) => e.event.InfoType === "unauthorized"));
      assert.equal(await eventually(() => count("unauthorized")), "1");
      await sleep(1500);
      assert.equal(events().length, 2);
      assert.equal(await count("authorized"), "1");
    } finally {
      await h.dispose();
    }
  },
});

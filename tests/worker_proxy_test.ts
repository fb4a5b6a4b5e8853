/**
 * The proxy `ALL /api/v1/authorizers/:appid/wechat/*` under Miniflare (real workerd), with the
 * simulator as WeChat and the harness's outbound hook for what the simulator does not serve
 * (media uploads and downloads) and for connection faults (hang, reset, cut mid-stream).
 * Tests run in order on one worker: the first authorizes an account.
 */

import assert from "node:assert/strict";
import {
  eventually,
  type Harness,
  ORIGIN,
  startWorker,
  type UpstreamFault,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };
const MiB = 1024 * 1024;

let h: Harness;
let appid = "";
/** What the outbound hook does for the current test (default: the simulator answers). */
let upstream: (request: Request) => Promise<UpstreamFault | Response | undefined> = () =>
  Promise.resolve(undefined);

const proxy = (rest: string) => `/api/v1/authorizers/${appid}/wechat/${rest}`;
const refreshes = () => h.sim.calls("/cgi-bin/component/api_authorizer_token");

async function expectError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, `${res.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.error.code, code, text);
  assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+/, "no stack trace");
  return body.error.message;
}

/** `call`, or a failure once `ms` have passed (a hanging answer fails the test, not the run). */
async function within<T>(ms: number, call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; encoding=utf-8" },
  });

/** A multipart body with one file part `media` of `size` bytes, as `curl -F media=@file` sends. */
function multipart(
  size: number,
  filename: string,
  type: string,
): { body: Uint8Array<ArrayBuffer>; ct: string } {
  const boundary = "------------------------wxopenboundary0123456789";
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="${filename}"; ` +
      `filelength=${size}\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + size + tail.length);
  body.set(head);
  for (let i = 0; i < size; i++) body[head.length + i] = i & 0xff;
  body.set(tail, head.length + size);
  return { body, ct: `multipart/form-data; boundary=${boundary}` };
}

interface Upload {
  token: string | null;
  declared: string | null;
  received: number;
}

/** Tokens the tests invalidated (the fake upload answers 40001 for them). */
const stale = new Set<string>();
function invalidate(): void {
  stale.add(h.sim.currentAccessToken(appid)!);
  h.sim.invalidateAccessToken(appid);
}

/** A fake `cgi-bin/media/upload` that checks the token as WeChat does (40001 for a stale one). */
function mediaUpload(uploads: Upload[]) {
  return async (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/cgi-bin/media/upload") return undefined;
    const token = url.searchParams.get("access_token");
    const received = (await request.arrayBuffer()).byteLength;
    uploads.push({ token, declared: request.headers.get("content-length"), received });
    if (token === null || stale.has(token)) {
      return json({ errcode: 40001, errmsg: "invalid credential, access_token is invalid" });
    }
    return json({ type: url.searchParams.get("type"), media_id: "MEDIA_ID", created_at: 1 });
  };
}

Deno.test({
  name: "proxy: setup — a ticket and one authorized official account",
  ...opts,
  async fn() {
    h = await startWorker({ upstream: (request) => upstream(request) });
    assert.equal((await h.send(await h.sim.ticketPush(EVENTS))).status, 200);
    const auth = await h.sim.authorizeAccount({ kind: "official_account" });
    appid = auth.appId;
    assert.equal(
      await (await h.send(await h.sim.authorizationPush(EVENTS, auth))).text(),
      "success",
    );
    await eventually(async () => (await h.snapshot()).has(`wxopen:v1:authorizer_token:${appid}`));
    await h.sim.settled();
    const menu = await h.admin(proxy("cgi-bin/get_current_selfmenu_info"));
    assert.equal(menu.status, 200);
    assert.equal((await menu.json()).is_menu_open, 1);
  },
});

// ---- 4. component-token endpoints -------------------------------------------------------------

Deno.test({
  name: "proxy: component-token endpoints are refused (400) and never refresh the authorizer token",
  ...opts,
  async fn() {
    // WeChat rejects whatever token these calls carry: the authorizer's is not what it reads.
    const fault = h.sim.inject({
      path:
        /^\/(cgi-bin\/component\/api_(get_authorizer_info|create_preauthcode|query_auth)|sns\/)/,
      errcode: 40001,
      times: Infinity,
    });
    try {
      const before = refreshes();
      const info = h.sim.calls("/cgi-bin/component/api_get_authorizer_info");
      for (let i = 0; i < 5; i++) {
        const res = await h.admin(proxy("cgi-bin/component/api_get_authorizer_info"), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ component_appid: "wx1234567890abcdef", authorizer_appid: appid }),
        });
        const message = await expectError(res, 400, "invalid_request");
        assert.match(message, /component_access_token/);
      }
      for (
        const rest of [
          "cgi-bin/component/api_create_preauthcode",
          "cgi-bin/COMPONENT/api_query_auth",
          "sns/component/jscode2session?js_code=x",
          "sns/oauth2/component/access_token?code=x",
          "cgi-bin/get_current_selfmenu_info?component_access_token=caller-token",
        ]
      ) {
        await expectError(
          await h.admin(proxy(rest), { method: "POST", body: "{}" }),
          400,
          "invalid_request",
        );
      }
      assert.equal(refreshes() - before, 0, "no api_authorizer_token for a component endpoint");
      assert.equal(h.sim.calls("/cgi-bin/component/api_get_authorizer_info") - info, 0);
    } finally {
      fault.cancel();
    }
    // The authorizer-token APIs that live under cgi-bin/component/ still pass.
    const option = await h.admin(proxy("cgi-bin/component/get_authorizer_option"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ option_name: "voice_recognize" }),
    });
    assert.equal(option.status, 200);
    assert.equal((await option.json()).errcode ?? 0, 0);
  },
});

// ---- 5. deadline and network failures -------------------------------------------------------

Deno.test({
  name: "proxy: answers 502/504 with Retry-After when its call to WeChat fails",
  ...opts,
  async fn() {
    const menu = "/cgi-bin/get_current_selfmenu_info";
    const failing = (fault: UpstreamFault) => (request: Request) =>
      Promise.resolve(new URL(request.url).pathname === menu ? fault : undefined);
    try {
      upstream = failing("reset");
      let res = await within(20_000, h.admin(proxy(menu.slice(1))));
      await expectError(res.clone(), 502, "upstream_unreachable");
      assert.equal(res.headers.get("retry-after"), "5");

      upstream = failing({ cut: 10 });
      res = await h.admin(proxy(menu.slice(1)));
      assert.equal(res.headers.get("retry-after"), "5");
      await expectError(res, 502, "upstream_unreachable");

      upstream = failing("hang");
      const started = Date.now();
      res = await within(20_000, h.admin(proxy(menu.slice(1))));
      const took = Date.now() - started;
      assert.equal(res.headers.get("retry-after"), "5");
      await expectError(res, 504, "upstream_timeout");
      assert.ok(took >= 9_000 && took < 15_000, `deadline 10 s, took ${took} ms`);
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
  },
});

Deno.test({
  name: "proxy: the same failure outside the proxy answers the same status and code",
  ...opts,
  async fn() {
    const refresh = "/cgi-bin/component/api_authorizer_token";
    const failing = (fault: UpstreamFault) => (request: Request) =>
      Promise.resolve(new URL(request.url).pathname === refresh ? fault : undefined);
    const invalid = async () => {
      const res = await h.admin(`/api/v1/authorizers/${appid}/access-token`);
      const token = (await res.json()).access_token;
      return h.admin(`/api/v1/authorizers/${appid}/access-token/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ invalid_token: token }),
      });
    };
    try {
      upstream = failing("reset");
      let res = await within(20_000, invalid());
      assert.equal(res.headers.get("retry-after"), "5");
      await expectError(res, 502, "upstream_unreachable");
      upstream = failing("hang");
      res = await within(40_000, invalid());
      assert.equal(res.headers.get("retry-after"), "5");
      await expectError(res, 504, "upstream_timeout");
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
    const res = await invalid();
    assert.equal(res.status, 200, await res.clone().text());
  },
});

// ---- 6. streaming and size limits -----------------------------------------------------------

Deno.test({
  name: "proxy: media uploads up to WeChat's limits pass, streamed with their Content-Length",
  ...opts,
  async fn() {
    const uploads: Upload[] = [];
    upstream = mediaUpload(uploads);
    try {
      for (
        const [type, size, name, ct] of [
          ["image", 2 * MiB, "photo.jpg", "image/jpeg"],
          ["voice", 5_000_000, "voice.mp3", "audio/mpeg"],
          ["video", 10 * MiB, "clip.mp4", "video/mp4"],
        ] as const
      ) {
        const { body, ct: contentType } = multipart(size, name, ct);
        const res = await h.admin(proxy(`cgi-bin/media/upload?type=${type}`), {
          method: "POST",
          headers: { "content-type": contentType },
          body,
        });
        const text = await res.text();
        assert.equal(res.status, 200, `${type}: ${text}`);
        assert.equal(JSON.parse(text).media_id, "MEDIA_ID");
        const seen = uploads.at(-1)!;
        assert.equal(seen.received, body.length, `${type}: every byte reached WeChat`);
        assert.equal(seen.declared, String(body.length), `${type}: with its Content-Length`);
      }
      // Beyond the limit: refused by its Content-Length before anything is sent. The worker
      // answers 413 without reading the body; Miniflare's client, still sending it, may see the
      // connection close instead (or never finish): either way nothing reached WeChat.
      const calls = uploads.length;
      const { body, ct } = multipart(21 * MiB, "big.mp4", "video/mp4");
      const res = await within(
        15_000,
        h.admin(proxy("cgi-bin/media/upload?type=video"), {
          method: "POST",
          headers: { "content-type": ct },
          body,
        }),
      ).catch((error: Error) => error);
      if (res instanceof Response) await expectError(res, 413, "payload_too_large");
      else console.log(`21 MiB upload: the client saw ${res.message}`);
      assert.equal(uploads.length, calls);
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
  },
});

Deno.test({
  name:
    "proxy: a small body is resent after 40001; a large one is not (the token is still refreshed)",
  ...opts,
  async fn() {
    const uploads: Upload[] = [];
    upstream = mediaUpload(uploads);
    try {
      invalidate();
      let before = refreshes();
      const small = multipart(100_000, "thumb.jpg", "image/jpeg");
      let res = await h.admin(proxy("cgi-bin/media/upload?type=thumb"), {
        method: "POST",
        headers: { "content-type": small.ct },
        body: small.body,
      });
      assert.equal((await res.json()).media_id, "MEDIA_ID");
      assert.equal(refreshes() - before, 1);
      assert.deepEqual(uploads.map((u) => u.received), [small.body.length, small.body.length]);

      invalidate();
      before = refreshes();
      const large = multipart(3 * MiB, "photo.jpg", "image/jpeg");
      res = await h.admin(proxy("cgi-bin/media/upload?type=image"), {
        method: "POST",
        headers: { "content-type": large.ct },
        body: large.body,
      });
      const answer = await res.text();
      assert.equal(JSON.parse(answer).errcode, 40001, `WeChat's answer, as is: ${answer}`);
      assert.equal(refreshes() - before, 1, "the rejected token is reported");
      assert.equal(uploads.length, 3, "a streamed body is sent once");
      assert.equal(uploads[2].declared, String(large.body.length), "streamed with its length");
      // The caller's own retry goes through with the fresh token.
      res = await h.admin(proxy("cgi-bin/media/upload?type=image"), {
        method: "POST",
        headers: { "content-type": large.ct },
        body: large.body,
      });
      assert.equal((await res.json()).media_id, "MEDIA_ID");
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
  },
});

/** A fake `cgi-bin/media/get`: `chunks` chunks of 64 KiB, `gapMs` apart, with its length. */
function slowDownload(chunks: number, gapMs: number) {
  return (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/cgi-bin/media/get") return Promise.resolve(undefined);
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x5a);
    return Promise.resolve(
      new Response(
        new ReadableStream<Uint8Array>({
          async pull(c) {
            if (sent > 0) await new Promise((r) => setTimeout(r, gapMs));
            if (sent === chunks) return c.close();
            sent++;
            c.enqueue(chunk);
          },
        }),
        {
          headers: {
            "content-type": "image/jpeg",
            "content-disposition": 'attachment; filename="MEDIA_ID.jpg"',
            "content-length": String(chunks * chunk.length),
          },
        },
      ),
    );
  };
}

Deno.test({
  name: "proxy: a slow download streams (first byte long before the last)",
  ...opts,
  async fn() {
    upstream = slowDownload(6, 400);
    try {
      const started = Date.now();
      const res = await h.adminStream(proxy("cgi-bin/media/get?media_id=MEDIA_ID"));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/jpeg");
      assert.match(res.headers.get("content-disposition") ?? "", /MEDIA_ID\.jpg/);
      const reader = res.body!.getReader();
      let first = 0;
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (size === 0) first = Date.now() - started;
        size += value.length;
      }
      const last = Date.now() - started;
      console.log(`slow download: first byte ${first} ms, last byte ${last} ms, ${size} bytes`);
      assert.equal(size, 6 * 64 * 1024);
      assert.ok(last >= 2_000, `last byte after the 5 gaps (${last} ms)`);
      assert.ok(first < 1_000, `first byte ${first} ms, last ${last} ms`);
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
  },
});

/**
 * The fake download, its connection cut after `bytes` (by the harness's network worker: a body
 * erroring in the outbound function itself is, under Miniflare, a read that never ends).
 */
function cutDownload(bytes: number) {
  const download = slowDownload(6, 50);
  return async (request: Request): Promise<UpstreamFault | undefined> => {
    const answer = await download(request);
    return answer && { cut: bytes, answer };
  };
}

Deno.test({
  name: "proxy: a download cut off after its first bytes ends in an error, never a short 200",
  ...opts,
  async fn() {
    // Read by a worker through a service binding: Miniflare's dispatchFetch would show the
    // broken-off body as one that ends cleanly, or never (see Harness.adminRead).
    const full = 6 * 64 * 1024;
    upstream = cutDownload(2 * 64 * 1024);
    try {
      const read = await within(
        20_000,
        h.adminRead(proxy("cgi-bin/media/get?media_id=MEDIA_ID")),
      );
      assert.equal(read.status, 200, "the headers were already sent");
      assert.equal(read.headers.get("content-type"), "image/jpeg");
      assert.ok(read.error, `the read fails, not ends (${read.received} of ${full} bytes)`);
      assert.ok(read.received < full, `${read.received} bytes`);
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
    // A download that breaks before its first byte is a 502.
    upstream = cutDownload(0);
    try {
      const res = await within(20_000, h.admin(proxy("cgi-bin/media/get?media_id=MEDIA_ID")));
      await expectError(res, 502, "upstream_unreachable");
    } finally {
      upstream = () => Promise.resolve(undefined);
    }
  },
});

Deno.test({
  name: "proxy: teardown",
  ...opts,
  async fn() {
    await h.dispose();
  },
});

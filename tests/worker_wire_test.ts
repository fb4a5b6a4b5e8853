/**
 * The worker's wire format (docs/worker.md, "Wire format"), checked on the real bundle under
 * Miniflare with the simulator as WeChat: every JSON body the worker writes — the admin API, its
 * errors, `/healthz` and the body it forwards to `FORWARD_URL` — has snake_case names outside
 * WeChat's own objects, ISO-8601 `*_at` times, whole non-negative `expires_in` seconds, and never
 * a refresh token. Then `POST /api/v1/authorizers/import`: what it stores, what it refuses.
 *
 * One worker serves the whole file; tests run in order and build on each other's state.
 */

import assert from "node:assert/strict";
import {
  eventually,
  forwardSignature,
  type Harness,
  ORIGIN,
  SETTINGS,
  startWorker,
} from "./_worker_harness.ts";

const EVENTS = `${ORIGIN}/wechat/component/events`;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Objects that are WeChat's own: their names are WeChat's, not checked. */
const PASS_THROUGH = new Set(["authorizer_info", "func_info", "message"]);
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let h: Harness;
let appid = "";

/** Every refresh token the simulated WeChat ever gave out for the accounts it knows. */
const refreshTokens = new Set<string>();

function rememberRefreshTokens(): void {
  for (const account of h.sim.accounts()) {
    if (account.refreshToken) refreshTokens.add(account.refreshToken);
  }
}

/** Where in a body a rule was broken, e.g. `authorizers.0.updated_at`. */
function walk(value: unknown, path: string, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}.${i}`, problems));
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!SNAKE.test(key)) problems.push(`${at}: not snake_case`);
    if (PASS_THROUGH.has(key)) continue;
    if (key.endsWith("_at")) {
      if (typeof item !== "string" || !ISO.test(item) || new Date(item).toISOString() !== item) {
        problems.push(`${at}: ${JSON.stringify(item)} is not an ISO-8601 time`);
      }
    }
    if (key === "expires_in" || key.endsWith("_expires_in")) {
      if (typeof item !== "number" || !Number.isInteger(item) || item < 0) {
        problems.push(`${at}: ${JSON.stringify(item)} is not whole non-negative seconds`);
      }
    }
    walk(item, at, problems);
  }
}

/** Asserts that `text` is a JSON body in the wire format and carries no refresh token. */
function assertWire(text: string, where: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${where}: not JSON: ${text.slice(0, 200)}`);
  }
  assert.ok(body !== null && typeof body === "object", `${where}: not an object`);
  const problems: string[] = [];
  walk(body, "", problems);
  assert.deepEqual(problems, [], `${where}: ${text.slice(0, 400)}`);
  rememberRefreshTokens();
  for (const token of refreshTokens) {
    assert.ok(!text.includes(token), `${where}: carries a refresh token`);
  }
  return body as Record<string, unknown>;
}

/** Reads `res` as a wire body with the expected status. */
async function wire(
  res: Response,
  status: number,
  where: string,
): Promise<Record<string, unknown>> {
  const text = await res.text();
  assert.equal(res.status, status, `${where}: ${text.slice(0, 300)}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, where);
  return assertWire(text, where);
}

/** An error answer: the wire format, `{ error: { code, message } }`, the expected code. */
async function wireError(
  res: Response,
  status: number,
  code: string,
  where: string,
): Promise<Record<string, unknown>> {
  const body = await wire(res, status, where);
  const error = body.error as Record<string, unknown>;
  assert.equal(typeof error, "object", where);
  assert.equal(error.code, code, `${where}: ${JSON.stringify(body)}`);
  assert.equal(typeof error.message, "string", where);
  assert.doesNotMatch(JSON.stringify(body), /\bat .*\.(js|ts):\d+/, `${where}: stack trace`);
  return error;
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

/** Authorizes a new account on the simulated WeChat while another system serves its pushes. */
async function authorizeElsewhere(kind: "official_account" | "mini_program"): Promise<string> {
  const send = h.send;
  // The simulator delivers its pushes through `h.send`: here they go to "the old SDK".
  h.send = () => Promise.resolve(new Response("success"));
  try {
    const auth = await h.sim.authorizeAccount({ kind });
    await h.sim.settled();
    return auth.appId;
  } finally {
    h.send = send;
  }
}

Deno.test({
  name: "wire: /healthz before any ticket",
  ...opts,
  async fn() {
    h = await startWorker();
    const body = await wire(await h.fetch("/healthz"), 503, "GET /healthz (no ticket)");
    assert.equal(body.status, "degraded");
  },
});

Deno.test({
  name: "wire: admin API, errors and /healthz — every route",
  ...opts,
  async fn() {
    assert.equal(await (await h.send(await h.sim.ticketPush(EVENTS))).text(), "success");
    const auth = await h.sim.authorizeAccount({ kind: "official_account", nickName: "线上公众号" });
    await h.sim.settled();
    appid = auth.appId;
    await eventually(async () => (await h.snapshot()).has(`wxopen:v1:authorizer_token:${appid}`));

    const health = await wire(await h.fetch("/healthz"), 200, "GET /healthz");
    assert.equal(health.status, "ok");

    const list = await wire(await h.admin("/api/v1/authorizers"), 200, "GET /authorizers");
    const records = list.authorizers as Record<string, unknown>[];
    assert.ok(records.some((a) => a.authorizer_appid === appid));
    assert.equal(list.complete, true);
    await wire(await h.admin("/api/v1/authorizers?limit=1"), 200, "GET /authorizers?limit=1");

    const one = await wire(await h.admin(`/api/v1/authorizers/${appid}`), 200, "GET one");
    assert.equal(one.authorizer_appid, appid);
    assert.equal(one.status, "authorized");
    assert.ok(Array.isArray(one.func_info) && one.func_info.length > 0);
    assert.equal((one.authorizer_info as { nick_name: string }).nick_name, "线上公众号");

    const token = await wire(
      await h.admin(`/api/v1/authorizers/${appid}/access-token`),
      200,
      "GET access-token",
    );
    assert.equal(token.authorizer_appid, appid);
    assert.equal(token.access_token, h.sim.currentAccessToken(appid));
    assert.ok((token.expires_in as number) > 7000);

    h.sim.invalidateAccessToken(appid);
    const refreshed = await wire(
      await h.admin(
        `/api/v1/authorizers/${appid}/access-token/refresh`,
        json({ invalid_token: token.access_token }),
      ),
      200,
      "POST access-token/refresh",
    );
    assert.equal(refreshed.access_token, h.sim.currentAccessToken(appid));
    assert.notEqual(refreshed.access_token, token.access_token);

    const component = await wire(
      await h.admin("/api/v1/component/access-token"),
      200,
      "GET component/access-token",
    );
    assert.equal(component.component_appid, SETTINGS.COMPONENT_APPID);
    assert.equal(component.access_token, h.sim.currentAccessToken());

    // Errors.
    await wireError(await h.fetch("/api/v1/authorizers"), 401, "unauthorized", "no bearer");
    await wireError(await h.admin("/api/v1/nowhere"), 404, "not_found", "unknown route");
    await wireError(await h.admin("/api/authorizers"), 404, "not_found", "unversioned path");
    await wireError(
      await h.admin("/api/v1/authorizers/wx00000000000000ff"),
      404,
      "not_found",
      "unknown authorizer",
    );
    await wireError(
      await h.admin("/api/v1/authorizers/not-an-appid/access-token"),
      400,
      "invalid_request",
      "bad appid",
    );
    await wireError(
      await h.admin("/api/v1/authorizers?limit=lots"),
      400,
      "invalid_request",
      "bad query",
    );
    await wireError(
      await h.admin(`/api/v1/authorizers/${appid}/access-token/refresh`, json({})),
      400,
      "invalid_request",
      "refresh without invalid_token",
    );
    await wireError(
      await h.admin(
        `/api/v1/authorizers/${appid}/access-token/refresh`,
        json({ invalid_token: "x".repeat(20 * 1024) }),
      ),
      413,
      "payload_too_large",
      "oversized refresh",
    );
    // WeChat's own error, relayed with its errcode and errmsg.
    const current = h.sim.currentAccessToken(appid)!;
    h.sim.inject({ path: "api_authorizer_token", errcode: 45009 });
    const wechat = await wireError(
      await h.admin(
        `/api/v1/authorizers/${appid}/access-token/refresh`,
        json({ invalid_token: current }),
      ),
      502,
      "wechat_error",
      "WeChat refuses a refresh",
    );
    assert.equal(wechat.errcode, 45009);
    assert.equal(typeof wechat.errmsg, "string");
  },
});

Deno.test({
  name: "wire: the forward body is snake_case with an ISO received_at, signed over the body",
  ...opts,
  async fn() {
    const url = `${ORIGIN}/wechat/authorizers/${appid}/callback`;
    const before = h.forwarded.length;
    const sentAt = Date.now();
    const res = await h.send(await h.sim.textMessagePush(url, { appId: appid, content: "你好" }));
    assert.equal(await res.text(), "success");
    const fwd = await eventually(() => h.forwarded[before]);
    assert.match(fwd.headers.get("content-type") ?? "", /^application\/json/);
    const body = assertWire(fwd.body, "forward body");
    assert.deepEqual(Object.keys(body).sort(), ["authorizer_appid", "message", "received_at"]);
    assert.equal(body.authorizer_appid, appid);
    const receivedAt = Date.parse(body.received_at as string);
    assert.ok(receivedAt >= sentAt - 1000 && receivedAt <= Date.now() + 1000);
    // The message as WeChat names its fields.
    const message = body.message as Record<string, unknown>;
    assert.equal(message.MsgType, "text");
    assert.equal(message.Content, "你好");
    assert.equal(typeof message.FromUserName, "string");
    // X-Wxopen-Timestamp is the unix second of received_at; the signature covers "<ts>.<body>".
    const ts = fwd.headers.get("x-wxopen-timestamp")!;
    assert.equal(ts, String(Math.floor(receivedAt / 1000)));
    assert.equal(fwd.headers.get("x-wxopen-signature"), await forwardSignature(ts, fwd.body));
    assert.equal(fwd.headers.get("x-wxopen-attempt"), "1");
  },
});

/** Every KV value, and that none holds `secrets` in plaintext. */
async function assertSealed(secrets: string[], where: string): Promise<Map<string, string>> {
  const kv = await h.snapshot();
  for (const [key, value] of kv) {
    for (const secret of secrets) {
      assert.ok(!value.includes(secret), `${where}: ${key} in plaintext`);
    }
  }
  return kv;
}

Deno.test({
  name: "import: a bad body is 400/413 and stores nothing",
  ...opts,
  async fn() {
    const other = await authorizeElsewhere("mini_program");
    const refreshToken = h.sim.account(other)!.refreshToken!;
    const path = "/api/v1/authorizers/import";
    const cases: [string, RequestInit, number, string][] = [
      ["empty object", json({}), 400, "invalid_request"],
      ["no refresh_token", json({ authorizer_appid: other }), 400, "invalid_request"],
      ["no authorizer_appid", json({ refresh_token: refreshToken }), 400, "invalid_request"],
      [
        "not an appid",
        json({ authorizer_appid: "gh_1234567890ab", refresh_token: refreshToken }),
        400,
        "invalid_request",
      ],
      [
        "appid in another case",
        json({ authorizer_appid: other.toUpperCase(), refresh_token: refreshToken }),
        400,
        "invalid_request",
      ],
      [
        "refresh token with a space",
        json({ authorizer_appid: other, refresh_token: `${refreshToken} ` }),
        400,
        "invalid_request",
      ],
      [
        "refresh token with a newline inside",
        json({
          authorizer_appid: other,
          refresh_token: `${refreshToken.slice(0, 9)}\n${refreshToken.slice(9)}`,
        }),
        400,
        "invalid_request",
      ],
      [
        "empty refresh token",
        json({ authorizer_appid: other, refresh_token: "" }),
        400,
        "invalid_request",
      ],
      [
        "refresh token not a string",
        json({ authorizer_appid: other, refresh_token: 12345 }),
        400,
        "invalid_request",
      ],
      ["not JSON", json(`{"authorizer_appid":"${other}",`), 400, "invalid_request"],
      ["a JSON array", json([other, refreshToken]), 400, "invalid_request"],
      ["empty body", { method: "POST" }, 400, "invalid_request"],
      [
        "oversized",
        json({ authorizer_appid: other, refresh_token: refreshToken, pad: "x".repeat(17 * 1024) }),
        413,
        "payload_too_large",
      ],
    ];
    const calls = h.sim.calls();
    for (const [what, init, status, code] of cases) {
      const before = await h.snapshot();
      const error = await wireError(await h.admin(path, init), status, code, `import: ${what}`);
      assert.ok(!JSON.stringify(error).includes(refreshToken));
      assert.deepEqual(await h.snapshot(), before, `import: ${what} changed KV`);
    }
    assert.equal(h.sim.calls(), calls, "a refused body makes no upstream call");
    await wireError(await h.admin(`/api/v1/authorizers/${other}`), 404, "not_found", "not stored");
    // Unauthenticated: refused before the body is read.
    await wireError(
      await h.fetch(path, json({ authorizer_appid: other, refresh_token: refreshToken })),
      401,
      "unauthorized",
      "import without bearer",
    );
  },
});

Deno.test({
  name: "import: a refresh token WeChat refuses (61023) is a 4xx and leaves nothing authorized",
  ...opts,
  async fn() {
    const other = await authorizeElsewhere("official_account");
    const good = h.sim.account(other)!.refreshToken!;
    const wrong = `refreshtoken@@@${"w".repeat(32)}`;
    const before = await h.snapshot();
    const error = await wireError(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: other, refresh_token: wrong }),
      ),
      422,
      "refresh_token_rejected",
      "import: refused token",
    );
    assert.equal(error.errcode, 61023);
    assert.ok(!JSON.stringify(error).includes(wrong));
    assert.deepEqual(await h.snapshot(), before, "a refused import changed KV");
    await wireError(await h.admin(`/api/v1/authorizers/${other}`), 404, "not_found", "not stored");
    await wireError(
      await h.admin(`/api/v1/authorizers/${other}/access-token`),
      404,
      "not_found",
      "no token after a refused import",
    );
    const list = await wire(await h.admin("/api/v1/authorizers"), 200, "list");
    assert.ok(
      !(list.authorizers as { authorizer_appid: string }[]).some((a) =>
        a.authorizer_appid === other
      ),
    );

    // WeChat refuses even the right token once (as after a race with another system).
    h.sim.inject({ path: "api_authorizer_token", errcode: 61023 });
    await wireError(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: other, refresh_token: good }),
      ),
      422,
      "refresh_token_rejected",
      "import: refused once",
    );
    assert.deepEqual(await h.snapshot(), before, "a refused import changed KV");

    // A wrong token for an authorizer this worker already serves changes nothing of it.
    const kept = h.sim.currentAccessToken(appid)!;
    const ownBefore = await h.snapshot();
    await wireError(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: appid, refresh_token: wrong }),
      ),
      422,
      "refresh_token_rejected",
      "import: wrong token over a live authorizer",
    );
    assert.deepEqual(await h.snapshot(), ownBefore, "a refused import changed a live authorizer");
    const still = await wire(await h.admin(`/api/v1/authorizers/${appid}`), 200, "live authorizer");
    assert.equal(still.status, "authorized");
    const token = await wire(
      await h.admin(`/api/v1/authorizers/${appid}/access-token`),
      200,
      "live token",
    );
    assert.equal(token.access_token, kept);
  },
});

Deno.test({
  name: "import: 201 with the record; sealed in KV; twice is fine; its access token works",
  ...opts,
  async fn() {
    const other = await authorizeElsewhere("official_account");
    const refreshToken = h.sim.account(other)!.refreshToken!;
    const calls = h.sim.calls("/cgi-bin/component/api_authorizer_token");
    const created = await wire(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: other, refresh_token: refreshToken }),
      ),
      201,
      "import",
    );
    // One refresh proves the token.
    assert.equal(h.sim.calls("/cgi-bin/component/api_authorizer_token") - calls, 1);
    assert.equal(created.authorizer_appid, other);
    assert.equal(created.status, "authorized");
    assert.equal(typeof created.authorized_at, "string");
    assert.ok((created.access_token_expires_in as number) > 7000);
    assert.ok(Array.isArray(created.func_info) && created.func_info.length > 0, "func_info known");
    assert.equal(typeof (created.authorizer_info as { nick_name?: string }).nick_name, "string");
    assert.ok(!("access_token" in created), "the import does not hand out the access token");

    // Stored sealed, written through to KV.
    const access = h.sim.currentAccessToken(other)!;
    const kv = await assertSealed([refreshToken, access], "after import");
    assert.ok(kv.has(`wxopen:v1:authorizer_refresh:${other}`));
    assert.ok(kv.has(`wxopen:v1:authorizer_token:${other}`));
    assert.match(JSON.parse(kv.get(`wxopen:v1:authorizer_refresh:${other}`)!).value, /^v1:/);

    const one = await wire(await h.admin(`/api/v1/authorizers/${other}`), 200, "GET imported");
    assert.equal(one.status, "authorized");
    const list = await wire(await h.admin("/api/v1/authorizers"), 200, "list");
    assert.ok(
      (list.authorizers as { authorizer_appid: string }[]).some((a) =>
        a.authorizer_appid === other
      ),
    );

    // Its access token works through the admin API and the proxy.
    const token = await wire(
      await h.admin(`/api/v1/authorizers/${other}/access-token`),
      200,
      "imported access-token",
    );
    assert.equal(token.access_token, h.sim.currentAccessToken(other));
    const sent = await h.admin(
      `/api/v1/authorizers/${other}/wechat/cgi-bin/message/custom/send`,
      json({ touser: "o_user", msgtype: "text", text: { content: "imported" } }),
    );
    assert.equal((await sent.json()).errcode, 0);

    // Twice: fine, the record is the same authorizer, the new token is served.
    const again = await wire(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: other, refresh_token: refreshToken }),
      ),
      201,
      "import again",
    );
    assert.equal(again.authorizer_appid, other);
    assert.equal(again.status, "authorized");
    const fresh = h.sim.currentAccessToken(other)!;
    const after = await wire(
      await h.admin(`/api/v1/authorizers/${other}/access-token`),
      200,
      "access-token after the second import",
    );
    assert.equal(after.access_token, fresh);
    await assertSealed([refreshToken, fresh], "after the second import");

    // An authorizer whose current refresh token this worker lost is recovered by importing it.
    h.sim.invalidateRefreshToken(appid);
    const recovered = h.sim.account(appid)!.refreshToken!;
    const own = await wire(
      await h.admin(
        "/api/v1/authorizers/import",
        json({ authorizer_appid: appid, refresh_token: recovered }),
      ),
      201,
      "import over a live authorizer",
    );
    assert.equal(own.status, "authorized");
    assert.equal((own.authorizer_info as { nick_name: string }).nick_name, "线上公众号");
    await assertSealed([recovered], "after re-import");
  },
});

Deno.test({
  name: "wire: /healthz and the list after everything",
  ...opts,
  async fn() {
    const health = await wire(await h.fetch("/healthz"), 200, "GET /healthz at the end");
    assert.ok(
      ((health.authorizers as { by_status: Record<string, number> }).by_status.authorized) >= 2,
    );
    await wire(await h.admin("/api/v1/authorizers"), 200, "list at the end");
    await h.dispose();
  },
});

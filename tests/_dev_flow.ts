/**
 * A mini program authorized on a worker under test, then called through the proxy (`call`).
 * On the dev worker (`deno task dev`'s bundle, its simulator behind `/_sim`), authorized the way
 * a merchant's browser does it over plain HTTP: the /authorize page, the simulated WeChat page's
 * form, the redirect back ({@linkcode devMiniProgram}). On the harness's worker, authorized by
 * the simulator's own push ({@linkcode proxiedMiniProgram}), whose later pushes
 * {@linkcode assertPushForwarded} follows to the forward URL.
 */

import assert from "node:assert/strict";
import {
  eventually,
  type Forwarded,
  freePort,
  type Harness,
  ORIGIN,
  startWorker,
  unescapeAmp,
} from "./_worker_harness.ts";

/** worker/dev.ts's embedded admin token. */
const ADMIN = "dev-admin-token-change-me";

function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/** What {@linkcode devMiniProgram} gives: the worker, the appid, a proxied JSON call. */
export interface DevMiniProgram {
  h: Awaited<ReturnType<typeof startWorker>>;
  appid: string;
  /** Through `/api/v1/authorizers/:appid/wechat/<rest>`: GET without a body, POST with one. */
  // deno-lint-ignore no-explicit-any
  call(rest: string, body?: unknown): Promise<Record<string, any>>;
}

/** Starts the dev worker and authorizes a new mini program on its simulated page. */
export async function devMiniProgram(): Promise<DevMiniProgram> {
  const port = freePort();
  const h = await startWorker({ env: "dev", port });
  try {
    const base = `http://127.0.0.1:${port}`;
    const start = await fetch(`${base}/authorize?auth_type=2`);
    const cookie = cookiesOf(start);
    const link = /id="authorize"[^>]*href="([^"]+)"/.exec(unescapeAmp(await start.text()))?.[1];
    assert.ok(link, "the authorize page links to the simulated WeChat page");
    const page = await (await fetch(link, { headers: { referer: `${base}/authorize` } })).text();
    const fields = new URLSearchParams();
    for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields.set(m[1], unescapeAmp(m[2]));
    }
    fields.set("account", "new:mini_program");
    const consent = await fetch(link, {
      method: "POST",
      body: fields,
      redirect: "manual",
      headers: { referer: link },
    });
    await consent.body?.cancel();
    const callback = consent.headers.get("location");
    assert.ok(callback, `the simulated page redirects back (${consent.status})`);
    const result = await (await fetch(callback, { headers: { cookie } })).text();
    const appid = /id="appid"[^>]*>\s*(wx[0-9a-f]{16})/.exec(result)?.[1];
    assert.ok(appid, "the platform shows the authorized appid");
    const call = async (rest: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1/authorizers/${appid}/wechat/${rest}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.equal(res.status, 200, rest);
      return await res.json();
    };
    return { h, appid, call };
  } catch (err) {
    await h.dispose();
    throw err;
  }
}

/** What {@linkcode proxiedMiniProgram} gives: the appid, the proxy's answer, a JSON call. */
export interface ProxiedMiniProgram {
  appId: string;
  /** Through `/api/v1/authorizers/:appid/wechat/<rest>`: GET without a body, POST with one. */
  proxy(rest: string, body?: unknown): Promise<Response>;
  /** {@linkcode ProxiedMiniProgram.proxy}, asserted 200, its JSON. */
  // deno-lint-ignore no-explicit-any
  call(rest: string, body?: unknown): Promise<Record<string, any>>;
}

/**
 * Sends the component ticket to `h`, authorizes a new mini program on its simulator and waits
 * until the worker holds its token.
 */
export async function proxiedMiniProgram(h: Harness): Promise<ProxiedMiniProgram> {
  const ticket = await h.send(await h.sim.ticketPush(`${ORIGIN}/wechat/component/events`));
  assert.equal(ticket.status, 200);
  const { appId } = await h.sim.authorizeAccount({ kind: "mini_program" });
  await h.sim.settled();
  await eventually(async () => (await h.snapshot()).has(`wxopen:v1:authorizer_token:${appId}`));
  const proxy = (rest: string, body?: unknown) =>
    h.admin(`/api/v1/authorizers/${appId}/wechat/${rest}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const call = async (rest: string, body?: unknown) => {
    const res = await proxy(rest, body);
    assert.equal(res.status, 200, rest);
    return await res.json();
  };
  return { appId, proxy, call };
}

/**
 * Once the simulator settled: its `infoType` push about `appId` was answered `success` by the
 * worker and forwarded (the forward at index `before`, which it answers).
 */
export async function assertPushForwarded(
  h: Harness,
  infoType: string,
  appId: string,
  before: number,
): Promise<Forwarded> {
  await h.sim.settled();
  const delivery = h.sim.deliveries().find((d) => d.infoType === infoType);
  assert.ok(delivery, "the verdict was pushed");
  assert.equal(delivery.appId, appId);
  assert.equal(delivery.status, 200);
  assert.equal(delivery.body, "success");
  const forwarded = await eventually(() => h.forwarded[before]);
  assert.match(forwarded.body, new RegExp(infoType));
  return forwarded;
}

/**
 * The local-development entry (`deno task dev`, wrangler environment `dev`): the same worker,
 * with the core's `WeChatSimulator` standing in for WeChat, so the whole flow runs in a browser
 * with no WeChat account and no secrets:
 *
 * - the simulator is mounted under `/_sim` (API and authorization pages) and is the worker's
 *   upstream fetch; links to WeChat's authorization page point at `/_sim`;
 * - a ticket is pushed to `/wechat/component/events` before the first request and every
 *   10 minutes after, and whenever the worker calls `api_start_push_ticket`;
 * - settings default to fixed development values (any var or secret set in `.dev.vars` wins).
 *
 * Never deployed: `wrangler.toml`'s top level uses `worker/index.ts`, which does not import this.
 *
 * @module
 */

import { WeChatSimulator } from "../src/testing/mod.ts";
/// <reference types="cloudflare-types" />

import type { Env } from "./env.ts";
import { buildWorker } from "./worker.ts";

/** Fixed development settings (not secrets: they only ever talk to the simulator). */
const DEV_SETTINGS: Readonly<Record<string, string>> = {
  COMPONENT_APPID: "wxd0e1c2b3a4958677",
  COMPONENT_APPSECRET: "dev-component-secret",
  COMPONENT_TOKEN: "wxopendevtoken",
  COMPONENT_AES_KEY: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  ADMIN_TOKEN: "dev-admin-token-change-me",
  STORAGE_KEY: "ZGV2LXN0b3JhZ2Uta2V5LTMyLWJ5dGVzLWxvbmchISE=",
  // `/oauth` sends users back only to these hosts: the machine the dev worker runs on.
  OAUTH_REDIRECT_HOSTS: "localhost,127.0.0.1",
};

/** Where the simulator is mounted. */
const SIM_PREFIX = "/_sim";
const TICKET_EVERY_MS = 10 * 60 * 1000;

const envs = new WeakMap<object, Env>();

/** `env` with the development defaults under whatever is set. */
function devEnv(env: Env): Env {
  let merged = envs.get(env);
  if (!merged) {
    merged = { ...DEV_SETTINGS, ...stripEmpty(env) } as Env;
    envs.set(env, merged);
  }
  return merged;
}

function stripEmpty(env: Env): Env {
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(env)) {
    if (value !== "" && value !== undefined) out[k] = value;
  }
  return out as Env;
}

let lastEnv: Env | undefined;
/** The context of the request being served: pushes it triggers keep their work alive with it. */
let lastCtx: ExecutionContext | undefined;
let origin = "http://localhost:8787";

const sim = new WeChatSimulator({
  componentAppId: DEV_SETTINGS.COMPONENT_APPID,
  componentAppSecret: DEV_SETTINGS.COMPONENT_APPSECRET,
  componentToken: DEV_SETTINGS.COMPONENT_TOKEN,
  encodingAesKey: DEV_SETTINGS.COMPONENT_AES_KEY,
  componentName: "wxopen dev platform",
  basePath: SIM_PREFIX,
  // Code audits decide after 10 s (WeChat: days), with the first request after that.
  auditDelayMs: 10_000,
  events: {
    get url() {
      return `${origin}/wechat/component/events`;
    },
    // Audit verdicts and other events the simulator raises reach the authorizer's callback.
    get messageUrl() {
      return `${origin}/wechat/authorizers/$APPID$/callback`;
    },
    fetch: (request) => deliver(request),
  },
});

const worker = buildWorker({
  upstreamFetch: (input, init) => sim.fetch(input, init),
  envTransform: devEnv,
  authorizationLink: (link, requestUrl) => {
    const url = new URL(link);
    return `${requestUrl.origin}${SIM_PREFIX}${url.pathname}${url.search}${url.hash}`;
  },
});

const noCtx = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;

/** Hands a simulated push straight to the worker's own handler (no network). */
async function deliver(request: Request): Promise<Response> {
  if (!lastEnv) throw new TypeError("The dev worker has not served a request yet");
  return await worker.handler.fetch(request, lastEnv, lastCtx ?? noCtx);
}

let lastTicketAt = 0;
let ticketInFlight: Promise<void> | undefined;

function pushTicket(): Promise<void> {
  ticketInFlight ??= (async () => {
    try {
      const res = await deliver(await sim.ticketPush(`${origin}/wechat/component/events`));
      if (res.ok) lastTicketAt = Date.now();
      else console.warn(`[wxopen dev] ticket push answered HTTP ${res.status}`);
    } finally {
      ticketInFlight = undefined;
    }
  })();
  return ticketInFlight;
}

/** The component credential's Durable Object, with the dev settings and the simulator. */
export const ComponentCredential = worker.ComponentCredential;
/** One Durable Object per authorizer (binding `AUTHORIZERS`). */
export const AuthorizerCredential = worker.AuthorizerCredential;
/** One Durable Object per fleet release (binding `RELEASES`). */
export const ReleaseCoordinator = worker.ReleaseCoordinator;
/** One Durable Object per mini program in a release (binding `RELEASE_TARGETS`). */
export const ReleaseTarget = worker.ReleaseTarget;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    lastEnv = env;
    lastCtx = ctx;
    const url = new URL(request.url);
    origin = url.origin;
    if (url.pathname === SIM_PREFIX || url.pathname.startsWith(SIM_PREFIX + "/")) {
      return await sim.handle(request);
    }
    if (lastTicketAt === 0) await pushTicket();
    else if (Date.now() - lastTicketAt > TICKET_EVERY_MS) ctx.waitUntil(pushTicket());
    return await worker.handler.fetch(request, env, ctx);
  },
  async scheduled(
    controller: ScheduledController,
    env: Env,
    ctx: ExecutionContext,
  ): Promise<void> {
    lastEnv = env;
    lastCtx = ctx;
    if (Date.now() - lastTicketAt > TICKET_EVERY_MS) await pushTicket();
    await worker.handler.scheduled(controller, env, ctx);
  },
};

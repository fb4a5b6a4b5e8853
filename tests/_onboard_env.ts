/**
 * A platform (ComponentClient over a MemoryStore) against the WeChatSimulator, with its ticket
 * accepted and the simulator's own pushes decrypted and kept: what the privacy,
 * fast-registration, open-account and diagnostics tests start from.
 */

import { ComponentClient, MemoryStore, WeChatError } from "../mod.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { type AccountKind, WeChatSimulator } from "../src/testing/mod.ts";

export const APPID = "wx3cf0f39249000061";
export const SECRET = "sim-component-secret-onboard";
export const TOKEN = "sim-message-token";
export const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
export const EVENTS_URL = "https://platform.example/wechat/component/events";
export const MESSAGE_URL = "https://platform.example/wechat/authorizers/$APPID$/callback";

/** A decrypted push the simulator sent on its own. */
export interface Pushed {
  /** `component` (授权事件接收URL) or the authorizer's appid (its message URL). */
  to: string;
  /** The plaintext XML. */
  xml: string;
}

/** The simulator, a platform client and what was pushed. */
export interface Env {
  sim: WeChatSimulator;
  client: ComponentClient;
  store: MemoryStore;
  pushed: Pushed[];
  /** Moves the shared clock forward (the simulator runs what came due). */
  advance(ms: number): void;
}

/** Options of {@linkcode platform}. */
export interface PlatformOptions {
  /** The simulator's `reviewDelaySeconds`. */
  reviewDelaySeconds?: number;
  /** Called with each push as it arrives (after it is kept), e.g. to apply it. */
  onPush?: (push: Pushed, env: Env) => Promise<void>;
}

/** A simulator and a client with the ticket accepted. */
export async function platform(options: PlatformOptions = {}): Promise<Env> {
  let t = Date.parse("2026-03-01T08:00:00Z");
  const crypto = await MessageCrypto.create({
    token: TOKEN,
    encodingAesKey: AES_KEY,
    appId: APPID,
  });
  const pushed: Pushed[] = [];
  const holder: { env?: Env } = {};
  const sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => t,
    reviewDelaySeconds: options.reviewDelaySeconds,
    events: {
      url: EVENTS_URL,
      messageUrl: MESSAGE_URL,
      fetch: async (request) => {
        const url = new URL(request.url);
        const xml = await crypto.open(await request.text(), {
          msg_signature: url.searchParams.get("msg_signature")!,
          timestamp: url.searchParams.get("timestamp")!,
          nonce: url.searchParams.get("nonce")!,
        });
        const to = url.pathname === new URL(EVENTS_URL).pathname
          ? "component"
          : url.pathname.split("/")[3];
        const push = { to, xml };
        pushed.push(push);
        await options.onPush?.(push, holder.env!);
        return new Response("success");
      },
    },
  });
  const store = new MemoryStore({ now: () => t });
  const client = new ComponentClient({
    appId: APPID,
    appSecret: SECRET,
    store,
    fetch: sim.fetch,
    now: () => t,
  });
  await client.acceptTicket(sim.issueTicket());
  const env: Env = {
    sim,
    client,
    store,
    pushed,
    advance: (ms) => {
      t += ms;
      sim.advance(0);
    },
  };
  holder.env = env;
  return env;
}

/** Authorizes a new account of `kind` (its `authorized` push applied): its appid. */
export async function authorized(env: Env, kind: AccountKind): Promise<string> {
  const { authCode, appId } = await env.sim.authorizeAccount({ kind });
  await env.client.queryAuth(authCode);
  return appId;
}

/** The errcode a rejected call failed with (and the call must fail). */
export async function errcode(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (e) {
    if (e instanceof WeChatError) return e.errcode;
    throw e;
  }
  throw new Error("Expected the call to fail with a WeChatError");
}

/**
 * A platform (ComponentClient over a MemoryStore) against the WeChatSimulator, with its ticket
 * accepted: what the privacy, fast-registration, open-account and diagnostics tests start from.
 */

import {
  ComponentClient,
  type ComponentClient as Client,
  MemoryStore,
  WeChatError,
} from "../mod.ts";
import {
  type AccountKind,
  type SimulatorEventTarget,
  WeChatSimulator,
} from "../src/testing/mod.ts";

export const APPID = "wx3cf0f39249000061";
export const SECRET = "sim-component-secret-onboard";
export const TOKEN = "sim-message-token";
export const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

/** The simulator, its clock and a platform client. */
export interface Env {
  sim: WeChatSimulator;
  client: Client;
  store: MemoryStore;
  /** Moves both clocks forward. */
  advance(ms: number): void;
}

/** A simulator and a client with the ticket accepted; `events` as the simulator's option. */
export async function platform(
  options: { events?: (sim: () => WeChatSimulator) => SimulatorEventTarget } = {},
): Promise<Env> {
  let t = Date.parse("2026-03-01T08:00:00Z");
  let sim: WeChatSimulator | undefined;
  sim = new WeChatSimulator({
    componentAppId: APPID,
    componentAppSecret: SECRET,
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => t,
    events: options.events?.(() => sim!),
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
  return {
    sim,
    client,
    store,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Authorizes a new account of `kind` and exchanges its code: its appid. */
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

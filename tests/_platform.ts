/**
 * A platform over the simulator, as the area tests start it: a `WeChatSimulator`, a
 * `ComponentClient` on its clock holding a ticket, `authorize()` for a new authorizer, and, when
 * asked, every push the simulator delivers captured and `open()` to decrypt one.
 */

import { ComponentClient, MemoryStore } from "../mod.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { parseMessage } from "../src/events/mod.ts";
import {
  type AuthorizeAccountOptions,
  WeChatSimulator,
  type WeChatSimulatorOptions,
} from "../src/testing/mod.ts";
import { AES_KEY, EVENTS_URL, MESSAGE_URL, TOKEN } from "./_onboard_env.ts";

/** Where the captured component events are addressed (the onboarding tests' address). */
export { EVENTS_URL };

/** How {@linkcode simulatedPlatform} starts. */
export interface PlatformOptions extends Partial<WeChatSimulatorOptions> {
  componentAppId: string;
  componentAppSecret: string;
  /** `authorize()` goes through a fresh `pre_auth_code`, as the merchant's page does. */
  preAuthCode?: boolean;
  /** The simulator delivers its pushes to {@linkcode EVENTS_URL} and {@linkcode MESSAGE_URL}. */
  capturePushes?: boolean;
}

/** A started platform (see {@linkcode simulatedPlatform}). */
export interface Platform {
  sim: WeChatSimulator;
  client: ComponentClient;
  /** Authorizes a new account of `kind` and answers its client. */
  authorize(
    kind: "mini_program" | "official_account",
    options?: Omit<AuthorizeAccountOptions, "kind" | "preAuthCode">,
  ): Promise<ReturnType<ComponentClient["authorizer"]>>;
  /** The pushes delivered so far (with `capturePushes`). */
  pushes: Request[];
  /** A captured push's decrypted XML. */
  open(request: Request): Promise<string>;
  /** Once the simulator settled: the pushes delivered since the last drain, decrypted. */
  drainPushes(): Promise<{ url: URL; xml: string }[]>;
  /** {@linkcode Platform.drainPushes}, only those to authorizers' message URLs, parsed. */
  authorizerEvents(): Promise<{ path: string; message: Record<string, unknown> }[]>;
}

/** Starts a simulator and a client of it (clock, store and ticket shared). */
export async function simulatedPlatform(options: PlatformOptions): Promise<Platform> {
  const { preAuthCode, capturePushes, ...simOptions } = options;
  const pushes: Request[] = [];
  const sim = new WeChatSimulator({
    componentToken: TOKEN,
    encodingAesKey: AES_KEY,
    now: () => Date.parse("2026-03-01T08:00:00Z"),
    ...(capturePushes
      ? {
        events: {
          url: EVENTS_URL,
          messageUrl: MESSAGE_URL,
          fetch: (request: Request) => {
            pushes.push(request);
            return Promise.resolve(new Response("success"));
          },
        },
      }
      : {}),
    ...simOptions,
  });
  const client = new ComponentClient({
    appId: options.componentAppId,
    appSecret: options.componentAppSecret,
    store: new MemoryStore({ now: () => sim.now() }),
    fetch: sim.fetch,
    now: () => sim.now(),
  });
  await client.acceptTicket(sim.issueTicket());
  const crypto = MessageCrypto.create({
    token: simOptions.componentToken ?? TOKEN,
    encodingAesKey: simOptions.encodingAesKey ?? AES_KEY,
    appId: options.componentAppId,
  });
  async function open(request: Request): Promise<string> {
    const url = new URL(request.url);
    return (await crypto).open(await request.text(), {
      msg_signature: url.searchParams.get("msg_signature")!,
      timestamp: url.searchParams.get("timestamp")!,
      nonce: url.searchParams.get("nonce")!,
    });
  }
  async function drainPushes(): Promise<{ url: URL; xml: string }[]> {
    await sim.settled();
    const out = [];
    for (const request of pushes.splice(0)) {
      out.push({ url: new URL(request.url), xml: await open(request) });
    }
    return out;
  }
  return {
    sim,
    client,
    pushes,
    async authorize(kind, more = {}) {
      const pre = preAuthCode ? (await client.createPreAuthCode()).pre_auth_code : undefined;
      const auth = await sim.authorizeAccount({ kind, preAuthCode: pre, ...more });
      await client.queryAuth(auth.authCode);
      return client.authorizer(auth.appId);
    },
    open,
    drainPushes,
    async authorizerEvents() {
      return (await drainPushes())
        .filter(({ url }) => url.pathname.startsWith("/wechat/authorizers/"))
        .map(({ url, xml }) => ({
          path: url.pathname,
          message: parseMessage(xml) as unknown as Record<string, unknown>,
        }));
    },
  };
}

/**
 * `@wxopen/component/testing` — an in-process WeChat for tests and local development:
 * {@linkcode WeChatSimulator} serves the component API, the authorization page and encrypted
 * pushes with WeChat's own rules (credentials, lifetimes, supersession, quotas, errcodes),
 * with fault injection and call counters.
 *
 * @example Use the simulator as the client's fetch
 * ```ts
 * import { WeChatSimulator } from "@wxopen/component/testing";
 *
 * const sim = new WeChatSimulator({
 *   componentAppId: "wx1111111111111111",
 *   componentAppSecret: "secret",
 *   componentToken: "token",
 *   encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
 * });
 * const push = await sim.ticketPush("https://platform.example/wechat/component/events");
 * // hand `push` to the platform's handler; give `sim.fetch` to its API client
 * ```
 *
 * @module
 */

export * from "./simulator.ts";
export * from "./faulty_store.ts";

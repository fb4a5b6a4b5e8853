/**
 * wxopen — run a WeChat Open Platform third-party platform (微信开放平台 第三方平台) on any
 * runtime with `fetch` and Web Crypto: message crypto, push parsing, the component API client,
 * token managers over a pluggable store, and a WeChat simulator for tests (`./testing`).
 *
 * @module
 */

export * from "./src/store/store.ts";
export { timingSafeEqual, toHex } from "./src/_bytes.ts";
export * from "./src/crypto/message_crypto.ts";
export * from "./src/crypto/errors.ts";
export * from "./src/store/errors.ts";
export * from "./src/store/versioned.ts";
export * from "./src/store/memory.ts";
export * from "./src/store/sealed.ts";
export * from "./src/xml/parse.ts";
export * from "./src/xml/build.ts";
export * from "./src/events/component_event.ts";
export * from "./src/events/message.ts";
export * from "./src/reply.ts";
export * from "./src/client/errors.ts";
export * from "./src/client/types.ts";
export * from "./src/client/component_client.ts";
export { SingleFlight } from "./src/tokens/single_flight.ts";
export { STORAGE_PREFIX, type StorageKeys, storageKeys } from "./src/tokens/keys.ts";
export { TICKET_VALIDITY_MS, TicketKeeper } from "./src/tokens/ticket.ts";

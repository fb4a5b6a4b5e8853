/**
 * Store read throughput: what sealing costs on the hot path of a token read.
 *
 * `deno bench -A --unstable-kv bench/store_bench.ts` — each bench reads one existing 512-byte
 * token value per iteration; deno bench reports time per iteration, ops/s = 1e9 / ns.
 */

import { MemoryStore, SealedStore } from "../mod.ts";
import { DenoKvStore } from "../src/store/deno_kv.ts";

const KEY = "authorizer:wx0123456789abcdef:access_token";
const VALUE = "A".repeat(512);

const memory = new MemoryStore();
await memory.put(KEY, VALUE, { metadata: { expiresAt: Date.now() + 7_000_000 } });

const sealedInner = new MemoryStore();
const sealed = new SealedStore(sealedInner, { key: crypto.getRandomValues(new Uint8Array(32)) });
await sealed.put(KEY, VALUE, { metadata: { expiresAt: Date.now() + 7_000_000 } });

const kv = await Deno.openKv(":memory:");
const denoKv = new DenoKvStore(kv);
await denoKv.put(KEY, VALUE);
const sealedDenoKv = new SealedStore(new DenoKvStore(kv, { prefix: ["sealed"] }), {
  key: crypto.getRandomValues(new Uint8Array(32)),
});
await sealedDenoKv.put(KEY, VALUE);

Deno.bench("MemoryStore.get", { group: "get", baseline: true }, async () => {
  if ((await memory.get(KEY)) === null) throw new Error("missing");
});

Deno.bench("SealedStore(MemoryStore).get", { group: "get" }, async () => {
  if ((await sealed.get(KEY)) === null) throw new Error("missing");
});

Deno.bench("DenoKvStore(:memory:).get", { group: "get" }, async () => {
  if ((await denoKv.get(KEY)) === null) throw new Error("missing");
});

Deno.bench("SealedStore(DenoKvStore).get", { group: "get" }, async () => {
  if ((await sealedDenoKv.get(KEY)) === null) throw new Error("missing");
});

Deno.bench("SealedStore(MemoryStore).put", { group: "put" }, async () => {
  await sealed.put(KEY, VALUE);
});

Deno.bench("MemoryStore.put", { group: "put", baseline: true }, async () => {
  await memory.put(KEY, VALUE);
});

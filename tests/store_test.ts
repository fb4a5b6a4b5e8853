/**
 * Store conformance: one suite run against every Store implementation (MemoryStore,
 * SealedStore over MemoryStore, KvStore over a real Miniflare KV namespace, DenoKvStore over
 * an in-memory Deno KV), plus tests specific to sealing, KV and FaultyStore.
 */

import assert from "node:assert/strict";
// @ts-types="./_miniflare.d.ts"
import { Miniflare } from "miniflare";
import {
  MemoryStore,
  SealedStore,
  SealedValueError,
  type Store,
  StoreError,
  StoreRateLimitError,
} from "../mod.ts";
import { isVersionedStore } from "../src/store/versioned.ts";
import { KvStore } from "../src/store/kv.ts";
import type { KvNamespaceLike } from "../src/store/kv.ts";
import { DenoKvStore } from "../src/store/deno_kv.ts";
import { FaultyStore } from "../src/testing/faulty_store.ts";
import { decodeBase64, encodeBase64 } from "../src/_bytes.ts";

/** A store under test, and a way to move its clock when it has one. */
interface Backend {
  store: Store;
  /** Moves the store's clock forward; absent when the backend runs on real time. */
  advance?: (ms: number) => void;
  /** The store's idea of now, in ms. */
  now: () => number;
}

type Case = (b: Backend, p: string) => Promise<void>;

const T0 = Date.parse("2026-03-01T00:00:00Z");

const cases: Record<string, Case> = {
  "absent keys read as null": async ({ store }, p) => {
    assert.equal(await store.get(`${p}missing`), null);
    assert.deepEqual(await store.getWithMetadata(`${p}missing`), { value: null, metadata: null });
  },

  "values round-trip exactly, including unicode and empty strings": async ({ store }, p) => {
    const values = ["plain", "", "授权码 ✓ \u{1F600}", "x".repeat(20_000), ' "quoted" \n\t'];
    for (const [i, value] of values.entries()) {
      await store.put(`${p}k${i}`, value);
      assert.equal(await store.get(`${p}k${i}`), value);
    }
  },

  "put replaces the value and the metadata": async ({ store }, p) => {
    await store.put(`${p}k`, "one", { metadata: { expiresAt: 1, kind: "token", ok: true } });
    assert.deepEqual(await store.getWithMetadata(`${p}k`), {
      value: "one",
      metadata: { expiresAt: 1, kind: "token", ok: true },
    });
    await store.put(`${p}k`, "two");
    assert.deepEqual(await store.getWithMetadata(`${p}k`), { value: "two", metadata: null });
  },

  "metadata is stored by value, not by reference": async ({ store }, p) => {
    const metadata = { expiresAt: 100, note: null as string | null };
    await store.put(`${p}k`, "v", { metadata });
    metadata.expiresAt = 999;
    const read = await store.getWithMetadata(`${p}k`);
    assert.deepEqual(read.metadata, { expiresAt: 100, note: null });
    read.metadata!.expiresAt = 5;
    assert.deepEqual((await store.getWithMetadata(`${p}k`)).metadata, {
      expiresAt: 100,
      note: null,
    });
  },

  "delete removes a key and tolerates absent keys": async ({ store }, p) => {
    await store.put(`${p}k`, "v");
    await store.delete(`${p}k`);
    assert.equal(await store.get(`${p}k`), null);
    await store.delete(`${p}k`);
    await store.delete(`${p}never`);
    assert.deepEqual((await store.list({ prefix: p })).keys, []);
  },

  "list returns only keys with the prefix, in order, with metadata": async ({ store }, p) => {
    await store.put(`${p}b:2`, "v", { metadata: { n: 2 } });
    await store.put(`${p}a`, "v");
    await store.put(`${p}b:1`, "v", { metadata: { n: 1 } });
    await store.put(`${p}b`, "v");
    await store.put(`${p}bb:1`, "v");
    await store.put(`${p}c:1`, "v");
    const page = await store.list({ prefix: `${p}b:` });
    assert.equal(page.complete, true);
    assert.equal(page.cursor, undefined);
    assert.deepEqual(page.keys.map((k) => [k.name, k.metadata]), [
      [`${p}b:1`, { n: 1 }],
      [`${p}b:2`, { n: 2 }],
    ]);
    const all = await store.list({ prefix: p });
    assert.deepEqual(all.keys.map((k) => k.name), [
      `${p}a`,
      `${p}b`,
      `${p}b:1`,
      `${p}b:2`,
      `${p}bb:1`,
      `${p}c:1`,
    ]);
    assert.equal(all.keys[0].expiration, undefined);
    assert.deepEqual((await store.list({ prefix: `${p}zzz` })).keys, []);
  },

  "list pages with cursor and limit cover every key exactly once": async ({ store }, p) => {
    const names = Array.from({ length: 7 }, (_, i) => `${p}item:${String(i).padStart(2, "0")}`);
    for (const name of [...names].reverse()) await store.put(name, "v");
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await store.list({ prefix: `${p}item:`, limit: 3, cursor });
      seen.push(...page.keys.map((k) => k.name));
      sizes.push(page.keys.length);
      if (page.complete) {
        assert.equal(page.cursor, undefined);
        break;
      }
      assert.equal(typeof page.cursor, "string");
      cursor = page.cursor;
    }
    assert.deepEqual(seen, names);
    assert.deepEqual(sizes, [3, 3, 1]);
  },

  "a TTL shows as an absolute expiration in list": async ({ store, now }, p) => {
    await store.put(`${p}ttl`, "v", { ttlSeconds: 3600 });
    await store.put(`${p}forever`, "v");
    const { keys } = await store.list({ prefix: p });
    const ttl = keys.find((k) => k.name === `${p}ttl`)!;
    const expected = now() / 1000 + 3600;
    assert.ok(
      Math.abs(ttl.expiration! - expected) <= 5,
      `expiration ${ttl.expiration} near ${expected}`,
    );
    assert.equal(keys.find((k) => k.name === `${p}forever`)!.expiration, undefined);
    assert.equal(await store.get(`${p}ttl`), "v");
  },

  "records disappear once their TTL has passed": async ({ store, advance }, p) => {
    if (advance === undefined) return; // real-time backends: covered by the expiration check
    await store.put(`${p}short`, "v", { ttlSeconds: 90, metadata: { a: 1 } });
    await store.put(`${p}long`, "v", { ttlSeconds: 7200 });
    await store.put(`${p}forever`, "v");
    advance(89_000);
    assert.equal(await store.get(`${p}short`), "v");
    advance(1_000);
    assert.equal(await store.get(`${p}short`), null);
    assert.deepEqual(await store.getWithMetadata(`${p}short`), { value: null, metadata: null });
    assert.deepEqual((await store.list({ prefix: p })).keys.map((k) => k.name), [
      `${p}forever`,
      `${p}long`,
    ]);
    advance(7200_000);
    assert.equal(await store.get(`${p}long`), null);
    assert.equal(await store.get(`${p}forever`), "v");
  },

  "misuse is refused with TypeError or RangeError": async ({ store }, p) => {
    await assert.rejects(async () => await store.get(""), TypeError);
    await assert.rejects(async () => await store.put(`${p}k`, 42 as unknown as string), TypeError);
    await assert.rejects(async () => await store.put("k".repeat(513), "v"), RangeError);
    for (const ttlSeconds of [0, -1, Number.NaN, Infinity]) {
      await assert.rejects(async () => await store.put(`${p}k`, "v", { ttlSeconds }), RangeError);
    }
    await assert.rejects(
      async () => await store.put(`${p}k`, "v", { metadata: { big: "m".repeat(1100) } }),
      RangeError,
    );
    await assert.rejects(
      async () => await store.put(`${p}k`, "v", { metadata: { nested: {} as unknown as string } }),
      TypeError,
    );
    await assert.rejects(async () => await store.list({ prefix: p, limit: 0 }), RangeError);
    await assert.rejects(async () => await store.list({ prefix: p, limit: 1.5 }), RangeError);
    assert.equal(await store.get(`${p}k`), null, "no refused call wrote anything");
  },

  "list accepts limits above 1000 by capping them": async ({ store }, p) => {
    await store.put(`${p}k`, "v");
    const page = await store.list({ prefix: p, limit: 5000 });
    assert.deepEqual(page.keys.map((k) => k.name), [`${p}k`]);
  },

  "compare-and-set lets exactly one of several writers win": async ({ store }, p) => {
    if (!isVersionedStore(store)) return;
    const key = `${p}cas`;
    const empty = await store.getVersioned(key);
    assert.equal(empty.value, null);
    assert.equal(await store.putIfUnchanged(key, "first", empty.version), true);
    assert.equal(await store.putIfUnchanged(key, "late", empty.version), false);
    assert.equal(await store.get(key), "first");

    const read = await store.getVersioned(key);
    assert.equal(read.value, "first");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.putIfUnchanged(key, `w${i}`, read.version)),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const winner = results.indexOf(true);
    assert.equal(await store.get(key), `w${winner}`);

    const fresh = await store.getVersioned(key);
    assert.notEqual(fresh.version, read.version);
    await store.put(key, "overwritten");
    assert.equal(await store.putIfUnchanged(key, "stale", fresh.version), false);
    assert.equal(await store.get(key), "overwritten");
    const again = await store.getVersioned(key);
    assert.equal(
      await store.putIfUnchanged(key, "next", again.version, { metadata: { v: 2 } }),
      true,
    );
    assert.deepEqual(await store.getWithMetadata(key), { value: "next", metadata: { v: 2 } });
  },
};

async function runSuite(t: Deno.TestContext, make: () => Backend): Promise<void> {
  let i = 0;
  for (const [name, run] of Object.entries(cases)) {
    const prefix = `case${i++}/`;
    await t.step(name, async () => await run(make(), prefix));
  }
}

function clocked(build: (now: () => number) => Store): () => Backend {
  return () => {
    let now = T0;
    return { store: build(() => now), advance: (ms) => (now += ms), now: () => now };
  };
}

const KEY_A = crypto.getRandomValues(new Uint8Array(32));
const KEY_B = crypto.getRandomValues(new Uint8Array(32));

Deno.test("store conformance: MemoryStore", async (t) => {
  await runSuite(t, clocked((now) => new MemoryStore({ now })));
});

Deno.test("store conformance: SealedStore over MemoryStore", async (t) => {
  await runSuite(t, clocked((now) => new SealedStore(new MemoryStore({ now }), { key: KEY_A })));
});

Deno.test("store conformance: FaultyStore over MemoryStore passes calls through", async (t) => {
  await runSuite(t, clocked((now) => new FaultyStore(new MemoryStore({ now }))));
});

Deno.test("store conformance: DenoKvStore over Deno KV", async (t) => {
  const kv = await Deno.openKv(":memory:");
  try {
    await runSuite(t, clocked((now) => new DenoKvStore(kv, { now, prefix: ["conformance"] })));
  } finally {
    kv.close();
  }
});

Deno.test({
  name: "store conformance: KvStore over Miniflare KV, and KV-specific rules",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('') } }",
      kvNamespaces: ["TOKENS"],
    });
    try {
      // Miniflare's declared return type does not resolve under Deno (no workers-types), so
      // the namespace is typed through the structural interface the adapter declares.
      const namespace = await mf.getKVNamespace("TOKENS") as unknown as KvNamespaceLike;
      const store = new KvStore(namespace);
      assert.equal(isVersionedStore(store), false, "KV promises no compare-and-set");
      await runSuite(t, () => ({ store, now: Date.now }));

      await t.step("a TTL below 60 s is raised to KV's floor", async () => {
        await store.put("kv/short", "v", { ttlSeconds: 5 });
        const [key] = (await store.list({ prefix: "kv/short" })).keys;
        assert.ok(key.expiration! >= Date.now() / 1000 + 55, `expiration ${key.expiration}`);
        assert.equal(await store.get("kv/short"), "v");
      });

      await t.step("sealed values in KV hold no plaintext", async () => {
        const sealed = new SealedStore(store, { key: KEY_A });
        await sealed.put("kv/sealed", "REFRESH-TOKEN-123", { metadata: { appid: "wx1" } });
        assert.equal(await sealed.get("kv/sealed"), "REFRESH-TOKEN-123");
        const raw = await namespace.get("kv/sealed", "text");
        assert.ok(raw !== null && !raw.includes("REFRESH-TOKEN-123"));
        assert.match(raw, /^v1:1:/);
      });
    } finally {
      await mf.dispose();
    }
  },
});

/** A KV namespace whose every call fails with `message`, as the KV runtime reports errors. */
function failingNamespace(message: string): KvNamespaceLike {
  const fail = () => Promise.reject(new Error(message));
  return { get: fail, getWithMetadata: fail, put: fail, delete: fail, list: fail };
}

Deno.test("KvStore turns KV 429s into a retryable StoreRateLimitError", async () => {
  for (const message of ["KV PUT failed: 429 Too Many Requests", "too many requests"]) {
    const store = new KvStore(failingNamespace(message));
    for (const call of [() => store.put("k", "v"), () => store.get("k"), () => store.delete("k")]) {
      const error = await call().then(() => undefined, (e) => e);
      assert.ok(error instanceof StoreRateLimitError, String(error));
      assert.equal(error.retryable, true);
    }
    await assert.rejects(store.list({ prefix: "" }), StoreRateLimitError);
  }
});

Deno.test("KvStore reports other KV failures as StoreError, retryable only when transient", async () => {
  const transient = await new KvStore(failingNamespace("KV GET failed: 503 Service Unavailable"))
    .get("k").then(() => undefined, (e) => e);
  assert.ok(transient instanceof StoreError && !(transient instanceof StoreRateLimitError));
  assert.equal(transient.retryable, true);
  const permanent = await new KvStore(failingNamespace("KV PUT failed: 413 Value too large"))
    .put("k", "v").then(() => undefined, (e) => e);
  assert.ok(permanent instanceof StoreError);
  assert.equal(permanent.retryable, false);
  assert.ok(!permanent.message.includes("413 Value"), "the KV message stays in the cause");
  assert.ok(permanent.cause instanceof Error);
});

Deno.test("KvStore and DenoKvStore refuse objects that are not bindings", () => {
  assert.throws(() => new KvStore({} as KvNamespaceLike), TypeError);
  assert.throws(() => new DenoKvStore(null as unknown as Deno.Kv), TypeError);
});

Deno.test("DenoKvStore accepts a real Deno.Kv and hides expired entries Deno KV still holds", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let now = Date.now();
    const store = new DenoKvStore(kv, { now: () => now });
    await store.put("t", "v", { ttlSeconds: 60 });
    const raw = await kv.get(["wxopen", "t"]);
    assert.ok(raw.versionstamp !== null, "stored under the default prefix");
    now += 61_000;
    assert.equal(await store.get("t"), null);
    const versioned = await store.getVersioned("t");
    assert.equal(versioned.value, null);
    assert.equal(await store.putIfUnchanged("t", "new", versioned.version), true);
    assert.equal(await store.get("t"), "new");
  } finally {
    kv.close();
  }
});

// ---- SealedStore specifics ----

Deno.test("SealedStore leaves no plaintext in the wrapped store and uses a fresh IV", async () => {
  const inner = new MemoryStore();
  const store = new SealedStore(inner, { key: KEY_A });
  await store.put("a:refresh", "REFRESH-TOKEN-SECRET", { metadata: { appid: "wx1" } });
  await store.put("b:refresh", "REFRESH-TOKEN-SECRET");
  const a = (await inner.get("a:refresh"))!;
  const b = (await inner.get("b:refresh"))!;
  for (const raw of [a, b]) {
    assert.ok(!raw.includes("REFRESH-TOKEN-SECRET"));
    assert.ok(!raw.includes(encodeBase64(new TextEncoder().encode("REFRESH-TOKEN-SECRET"))));
    assert.match(raw, /^v1:1:[A-Za-z0-9+/]+=*$/);
  }
  assert.notEqual(a.slice(5), b.slice(5));
  // Metadata is documented as plaintext: it is visible underneath.
  assert.deepEqual((await inner.getWithMetadata("a:refresh")).metadata, { appid: "wx1" });
  assert.deepEqual(await store.getWithMetadata("a:refresh"), {
    value: "REFRESH-TOKEN-SECRET",
    metadata: { appid: "wx1" },
  });
});

Deno.test("SealedStore rejects a tampered value", async () => {
  const inner = new MemoryStore();
  const store = new SealedStore(inner, { key: KEY_A });
  await store.put("k", "secret value");
  const raw = (await inner.get("k"))!;
  const [version, id, body] = raw.split(":");
  const bytes = decodeBase64(body);
  for (const index of [0, 12, bytes.length - 1]) {
    const flipped = bytes.slice();
    flipped[index] ^= 1;
    await inner.put("k", `${version}:${id}:${encodeBase64(flipped)}`);
    const error = await store.get("k").then(() => undefined, (e) => e);
    assert.ok(error instanceof SealedValueError, `flip at ${index}`);
    assert.equal(error.retryable, false);
    assert.equal(error.key, "k");
    assert.ok(!error.message.includes("secret"));
  }
  for (
    const broken of [`${version}:${id}:${body.slice(0, 20)}`, "v1:1:%%%%", "plain", "v2:1:AAAA"]
  ) {
    await inner.put("k", broken);
    await assert.rejects(store.get("k"), SealedValueError);
  }
});

Deno.test("SealedStore rejects a value moved to another key", async () => {
  const inner = new MemoryStore();
  const store = new SealedStore(inner, { key: KEY_A });
  await store.put("authorizer:wxA:refresh", "token of A");
  await inner.put("authorizer:wxB:refresh", (await inner.get("authorizer:wxA:refresh"))!);
  await assert.rejects(store.get("authorizer:wxB:refresh"), SealedValueError);
  await assert.rejects(store.getWithMetadata("authorizer:wxB:refresh"), SealedValueError);
  assert.equal(await store.get("authorizer:wxA:refresh"), "token of A");
});

Deno.test("SealedStore's documented format: v1:<keyId>:base64(iv|ciphertext|tag), AAD v1:<keyId>:<key>", async () => {
  const inner = new MemoryStore();
  const store = new SealedStore(inner, { key: KEY_A, keyId: "k2026" });
  await store.put("wxopen:v1:authorizer_refresh:wxA", "refresh-of-A", {
    metadata: { updatedAt: 1 },
  });
  const sealed = (await inner.getWithMetadata("wxopen:v1:authorizer_refresh:wxA"))!;
  const [version, keyId, payload] = sealed.value!.split(":");
  assert.equal(version, "v1");
  assert.equal(keyId, "k2026");
  assert.deepEqual(sealed.metadata, { updatedAt: 1 }); // metadata stays plaintext
  const bytes = decodeBase64(payload);
  const key = await crypto.subtle.importKey("raw", KEY_A, "AES-GCM", false, ["decrypt"]);
  const plain = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: bytes.subarray(0, 12) as BufferSource,
      additionalData: new TextEncoder().encode("v1:k2026:wxopen:v1:authorizer_refresh:wxA"),
    },
    key,
    bytes.subarray(12) as BufferSource,
  );
  assert.equal(new TextDecoder().decode(plain), "refresh-of-A");
  // Relabelled under another configured key id: the AAD no longer matches.
  const both = new SealedStore(inner, { key: KEY_A, keyId: "k2026", previousKeys: { old: KEY_A } });
  await inner.put("wxopen:v1:authorizer_refresh:wxA", `v1:old:${payload}`);
  await assert.rejects(both.get("wxopen:v1:authorizer_refresh:wxA"), SealedValueError);
});

Deno.test("SealedStore rejects the wrong key and unknown key ids", async () => {
  const inner = new MemoryStore();
  await new SealedStore(inner, { key: KEY_A }).put("k", "v");
  await assert.rejects(new SealedStore(inner, { key: KEY_B }).get("k"), SealedValueError);
  await assert.rejects(
    new SealedStore(inner, { key: KEY_A, keyId: "other" }).get("k"),
    /unknown key id 1/,
  );
});

Deno.test("SealedStore rotation: reads with previous keys, writes with the current one", async () => {
  const inner = new MemoryStore();
  const old = new SealedStore(inner, { key: encodeBase64(KEY_A), keyId: "2025" });
  await old.put("r1", "first", { metadata: { expiresAt: 42 } });
  await old.put("r2", "second");

  const current = new SealedStore(inner, {
    key: KEY_B,
    keyId: "2026",
    previousKeys: { "2025": encodeBase64(KEY_A) },
  });
  assert.equal(current.keyId, "2026");
  assert.equal(await current.get("r1"), "first");
  await current.put("r3", "third");
  assert.match((await inner.get("r3"))!, /^v1:2026:/);
  await assert.rejects(old.get("r3"), SealedValueError);

  assert.equal(await current.reseal("r1"), true);
  assert.equal(await current.reseal("r1"), false, "already under the current key");
  assert.equal(await current.reseal("absent"), false);
  assert.match((await inner.get("r1"))!, /^v1:2026:/);
  assert.deepEqual(await current.getWithMetadata("r1"), {
    value: "first",
    metadata: { expiresAt: 42 },
  });

  const newOnly = new SealedStore(inner, { key: KEY_B, keyId: "2026" });
  assert.equal(await newOnly.get("r1"), "first");
  await assert.rejects(newOnly.get("r2"), /unknown key id 2025/);
});

Deno.test("SealedStore resealAll migrates a prefix page by page, keeping TTLs and metadata", async () => {
  let now = T0;
  const inner = new MemoryStore({ now: () => now });
  const old = new SealedStore(inner, { key: KEY_A, keyId: "old" });
  for (let i = 0; i < 5; i++) {
    await old.put(`tok:${i}`, `value ${i}`, { ttlSeconds: 600, metadata: { i } });
  }
  await old.put("other:1", "untouched");
  const store = new SealedStore(inner, {
    key: KEY_B,
    keyId: "new",
    previousKeys: { old: KEY_A },
    now: () => now,
  });
  await store.put("tok:5", "already new");
  now += 100_000;
  let cursor: string | undefined;
  let resealed = 0;
  let pages = 0;
  do {
    const page = await store.resealAll("tok:", { cursor, limit: 2 });
    resealed += page.resealed;
    cursor = page.cursor;
    pages++;
    assert.equal(page.complete, cursor === undefined);
  } while (cursor !== undefined);
  assert.equal(resealed, 5);
  assert.equal(pages, 3);
  const newOnly = new SealedStore(inner, { key: KEY_B, keyId: "new" });
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await newOnly.getWithMetadata(`tok:${i}`), {
      value: `value ${i}`,
      metadata: { i },
    });
  }
  assert.match((await inner.get("other:1"))!, /^v1:old:/);
  const { keys } = await inner.list({ prefix: "tok:0" });
  assert.equal(keys[0].expiration, Math.floor(T0 / 1000) + 600, "TTL carried over, not renewed");
  now += 500_000;
  assert.equal(await newOnly.get("tok:0"), null, "the resealed record still expires on time");
});

Deno.test("SealedStore validates its key material at construction", () => {
  const inner = new MemoryStore();
  assert.throws(() => new SealedStore(inner, { key: new Uint8Array(31) }), RangeError);
  assert.throws(
    () => new SealedStore(inner, { key: encodeBase64(new Uint8Array(16)) }),
    RangeError,
  );
  assert.throws(() => new SealedStore(inner, { key: "not base64!" }), TypeError);
  assert.throws(() => new SealedStore(inner, { key: KEY_A, keyId: "a:b" }), TypeError);
  assert.throws(() => new SealedStore(inner, { key: KEY_A, keyId: "" }), TypeError);
  assert.throws(
    () => new SealedStore(inner, { key: KEY_A, keyId: "x", previousKeys: { x: KEY_B } }),
    TypeError,
  );
  assert.throws(
    () => new SealedStore(inner, { key: KEY_A, previousKeys: { old: new Uint8Array(8) } }),
    RangeError,
  );
  assert.throws(() => new SealedStore(null as unknown as Store, { key: KEY_A }), TypeError);
  const error = (() => {
    try {
      new SealedStore(inner, { key: encodeBase64(new Uint8Array(16).fill(7)) });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.ok(error && !error.message.includes(encodeBase64(new Uint8Array(16).fill(7))));
});

Deno.test("SealedStore offers compare-and-set only when the wrapped store does", async () => {
  const overKv = new SealedStore(new KvStore(failingNamespace("unused")), { key: KEY_A });
  assert.equal(isVersionedStore(overKv), false);
  await assert.rejects(overKv.getVersioned("k"), TypeError);
  const inner = new MemoryStore();
  const overMemory = new SealedStore(inner, { key: KEY_A });
  assert.equal(isVersionedStore(overMemory), true);
  const { version } = await overMemory.getVersioned("k");
  assert.equal(await overMemory.putIfUnchanged("k", "SECRET", version), true);
  assert.ok(!(await inner.get("k"))!.includes("SECRET"));
});

// ---- FaultyStore ----

Deno.test("FaultyStore fails chosen writes and lets the rest through", async () => {
  const store = new FaultyStore(new MemoryStore());
  const handle = store.inject({ ops: "put", key: /refresh$/, skip: 1, times: 2 });
  await store.put("a:refresh", "R1");
  await store.put("a:access", "A1");
  for (const value of ["R2", "R3"]) {
    const error = await store.put("a:refresh", value).then(() => undefined, (e) => e);
    assert.ok(error instanceof StoreError && error.retryable);
  }
  assert.equal(await store.get("a:refresh"), "R1", "failed writes changed nothing");
  await store.put("a:refresh", "R4");
  assert.equal(await store.get("a:refresh"), "R4");
  assert.equal(handle.hits, 2);
  assert.equal(store.count("put"), 5);
  assert.equal(store.count("put", "a:refresh"), 4);
  assert.deepEqual(store.calls.filter((c) => c.outcome !== "ok").map((c) => c.key), [
    "a:refresh",
    "a:refresh",
  ]);
});

Deno.test("FaultyStore injects rate limits, custom errors and ambiguous writes", async () => {
  const store = new FaultyStore(new MemoryStore());
  store.inject({ fault: "rate-limit", ops: ["get", "list"], times: Infinity });
  await assert.rejects(store.get("k"), StoreRateLimitError);
  await assert.rejects(store.list({ prefix: "" }), StoreRateLimitError);
  store.clearFaults();
  assert.equal(await store.get("k"), null);

  store.inject({ ops: "put", when: "after" });
  await assert.rejects(store.put("k", "landed"), StoreError);
  assert.equal(await store.get("k"), "landed", "the write happened despite the error");

  const custom = new Error("disk on fire");
  const handle = store.inject({ fault: custom, key: (k) => k.startsWith("x"), times: Infinity });
  await assert.rejects(store.delete("x1"), (e) => e === custom);
  await store.delete("k");
  handle.remove();
  await store.delete("x1");
  assert.equal(await store.inner.get("k"), null);
});

Deno.test("FaultyStore delays a chosen call without failing it", async () => {
  const store = new FaultyStore(new MemoryStore());
  await store.put("slow", "s");
  await store.put("fast", "f");
  store.inject({ fault: "delay", delayMs: 30, ops: "get", key: "slow" });
  const order: string[] = [];
  await Promise.all([
    store.get("slow").then((v) => order.push(v!)),
    store.get("fast").then((v) => order.push(v!)),
  ]);
  assert.deepEqual(order, ["f", "s"]);
  assert.throws(() => store.inject({ fault: "delay" }), RangeError);
});

Deno.test("FaultyStore reproduces KV's one write per second per key", async () => {
  let now = T0;
  const store = new FaultyStore(new MemoryStore(), { kvWriteRateLimit: true, now: () => now });
  await store.put("k", "1");
  await store.put("other", "x");
  const error = await store.put("k", "2").then(() => undefined, (e) => e);
  assert.ok(error instanceof StoreRateLimitError && error.retryable);
  await assert.rejects(store.delete("k"), StoreRateLimitError);
  assert.equal(await store.get("k"), "1", "a rate-limited write changes nothing");
  now += 999;
  await assert.rejects(store.put("k", "3"), StoreRateLimitError);
  now += 1;
  await store.put("k", "4");
  assert.equal(await store.get("k"), "4");
  assert.equal(store.calls.filter((c) => c.outcome === "rate-limit").length, 3);
});

/**
 * The message ledger of an authorizer's object (worker/objects/ledger.ts) across restarts of
 * the object: what one instance wrote behind is what the next one decides by. The worker-level
 * behaviour (one delivery and the same reply for WeChat's retries) is in
 * worker_delivery_test.ts; here the object's instances are replaced at will.
 */

import assert from "node:assert/strict";
import {
  ABANDONED_MS,
  type LedgerStorage as Storage,
  MESSAGE_KEEP_MS,
  MessageLedger,
} from "../worker/objects/ledger.ts";

/** The part of a Durable Object's storage the ledger uses, over a Map (sorted listing). */
function memoryStorage(): { storage: Storage; data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  const clone = <T>(v: T): T => structuredClone(v);
  const storage = {
    list(options: { prefix?: string } = {}) {
      const keys = [...data.keys()].filter((k) => k.startsWith(options.prefix ?? "")).sort();
      return Promise.resolve(new Map(keys.map((k) => [k, clone(data.get(k))])));
    },
    put(entries: Record<string, unknown>) {
      for (const [k, v] of Object.entries(entries)) data.set(k, clone(v));
      return Promise.resolve();
    },
    delete(keys: string | string[]) {
      for (const k of Array.isArray(keys) ? keys : [keys]) data.delete(k);
      return Promise.resolve(0);
    },
  };
  return { storage: storage as unknown as Storage, data };
}

/** Lets the ledger's write-behind (10 ms) reach storage. */
const written = () => new Promise((r) => setTimeout(r, 30));

Deno.test("ledger: a new instance answers a retry with the reply an earlier one recorded", async () => {
  const { storage } = memoryStorage();
  let now = 1_000_000;
  const first = new MessageLedger(storage, () => now);
  assert.deepEqual(await first.claim("id:1", 0), { state: "new" });
  first.complete("id:1", "<xml>reply</xml>");
  assert.deepEqual(await first.claim("id:2", 0), { state: "new" });
  first.complete("id:2", null);
  await written();
  now += 5_000;
  const next = new MessageLedger(storage, () => now);
  assert.deepEqual(await next.claim("id:1", 0), { state: "done", reply: "<xml>reply</xml>" });
  assert.deepEqual(await next.claim("id:2", 0), { state: "done" });
  assert.deepEqual(await next.claim("id:3", 0), { state: "new" });
});

Deno.test("ledger: a taken message survives a restart, and is taken again once abandoned", async () => {
  const { storage } = memoryStorage();
  let now = 1_000_000;
  const first = new MessageLedger(storage, () => now);
  assert.deepEqual(await first.claim("id:1", 0), { state: "new" });
  await written();
  // The object restarts while the first copy is still being answered: WeChat's retry waits.
  now += 5_000;
  const second = new MessageLedger(storage, () => now);
  assert.deepEqual(await second.claim("id:1", 0), { state: "busy" });
  // Its taker never answered: a later retry takes it (at least once, not lost).
  now += ABANDONED_MS;
  assert.deepEqual(await second.claim("id:1", 0), { state: "new" });
  assert.deepEqual(await second.claim("id:1", 0), { state: "busy" });
});

Deno.test("ledger: a copy waits for the first copy's answer; a released message is taken again", async () => {
  const { storage } = memoryStorage();
  const ledger = new MessageLedger(storage);
  assert.deepEqual(await ledger.claim("id:1", 0), { state: "new" });
  const waiting = ledger.claim("id:1", 2_000);
  ledger.complete("id:1", "<xml>r</xml>");
  assert.deepEqual(await waiting, { state: "done", reply: "<xml>r</xml>" });

  assert.deepEqual(await ledger.claim("id:2", 0), { state: "new" });
  const retry = ledger.claim("id:2", 2_000);
  ledger.release("id:2");
  assert.deepEqual(await retry, { state: "new" });
  // A released take written behind does not make a restarted object think it is busy.
  ledger.release("id:2");
  await written();
  const restarted = new MessageLedger(storage);
  assert.deepEqual(await restarted.claim("id:2", 0), { state: "new" });
});

Deno.test("ledger: entries are written a row per flush and expired rows are deleted", async () => {
  const { storage, data } = memoryStorage();
  let now = 1_000_000;
  const ledger = new MessageLedger(storage, () => now);
  for (let i = 0; i < 50; i++) {
    await ledger.claim(`id:${i}`, 0);
    ledger.complete(`id:${i}`, `<xml>${i}</xml>`);
  }
  ledger.markDelivered("d1");
  await written();
  const rows = [...data.keys()];
  assert.equal(rows.length, 2, `one row of messages, one of deliveries: ${rows.join(", ")}`);
  assert.ok(await ledger.isDelivered("d1"));
  // Past the messages' keep time (a sweep runs at most once a minute, on a claim).
  now += MESSAGE_KEEP_MS + 60_000;
  assert.deepEqual(await ledger.claim("id:0", 0), { state: "new" });
  await written();
  const left = [...data.keys()];
  assert.equal(left.filter((k) => k.startsWith("ledger:r:m:")).length, 1, left.join(", "));
  assert.ok(await ledger.isDelivered("d1"), "deliveries are kept longer");
});

Deno.test("ledger: entries an earlier version stored a key each are still read", async () => {
  const { storage, data } = memoryStorage();
  const now = Date.now();
  data.set("ledger:m:id:old", { at: now - 1_000, done: true, reply: "<xml>old</xml>" });
  data.set("ledger:d:d-old", now - 1_000);
  const ledger = new MessageLedger(storage);
  assert.deepEqual(await ledger.claim("id:old", 0), { state: "done", reply: "<xml>old</xml>" });
  assert.ok(await ledger.isDelivered("d-old"));
});

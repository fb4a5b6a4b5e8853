/**
 * The seeded push fuzzer (tests/_fuzz.ts) in CI: a few hundred cases against the worker under
 * Miniflare, plus checks that the fuzzer itself is reproducible and that its KV comparison sees
 * every kind of change. `FUZZ_SEED=<n> FUZZ_NOW=<t>` rerun a printed run (`FUZZ_CASES` sets the
 * count); `deno task fuzz` is the long run.
 */

import assert from "node:assert/strict";
import {
  formatReport,
  fuzzKeys,
  generateCase,
  kvDiff,
  kvState,
  MUTATION_NAMES,
  runFuzz,
  startFuzzWorker,
} from "./_fuzz.ts";
import { type Harness, ORIGIN, SETTINGS } from "./_worker_harness.ts";
import { MessageCrypto } from "../src/crypto/mod.ts";
import { buildXml } from "../src/xml/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 400);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0]);
const NOW = Number(Deno.env.get("FUZZ_NOW") ?? Math.floor(Date.now() / 1000));

let h: Harness;

Deno.test({
  name: "fuzz: a seed and a case index reproduce the exact request",
  ...opts,
  async fn() {
    const keys = await fuzzKeys();
    const t = { authorizers: [{ appId: "wx1111111111111111", userName: "gh_111111111111" }] };
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const a = await generateCase(7, i, keys, t, 1_764_000_000);
      const b = await generateCase(7, i, keys, t, 1_764_000_000);
      assert.deepEqual(a, b, `case ${i} differs between two generations`);
      seen.add(a.request.url + new TextDecoder().decode(a.request.body ?? new Uint8Array()));
    }
    assert.equal(seen.size, 40, "every case is a different request");
    const other = await generateCase(8, 0, keys, t, 1_764_000_000);
    assert.notDeepEqual(other.request, (await generateCase(7, 0, keys, t, 1_764_000_000)).request);
  },
});

Deno.test({
  name: "fuzz: the KV comparison sees added, changed, re-described and deleted keys",
  ...opts,
  async fn() {
    ({ harness: h } = await startFuzzWorker());
    const kv = await h.mf.getKVNamespace("TOKENS") as unknown as {
      put(k: string, v: string, o?: { metadata?: unknown }): Promise<void>;
      delete(k: string): Promise<void>;
    };
    const start = await kvState(h);
    assert.ok(start.size >= 5, "the setup left tokens and records in KV");
    assert.deepEqual(kvDiff(start, await kvState(h)), []);
    await kv.put("fuzz:probe", "a", { metadata: { n: 1 } });
    const added = await kvState(h);
    assert.deepEqual(kvDiff(start, added), ["added fuzz:probe"]);
    await kv.put("fuzz:probe", "a", { metadata: { n: 2 } });
    assert.deepEqual(kvDiff(added, await kvState(h)), ["changed fuzz:probe"], "metadata only");
    await kv.put("fuzz:probe", "b", { metadata: { n: 1 } });
    assert.deepEqual(kvDiff(added, await kvState(h)), ["changed fuzz:probe"], "value only");
    await kv.delete("fuzz:probe");
    assert.deepEqual(kvDiff(added, await kvState(h)), ["deleted fuzz:probe"]);
  },
});

Deno.test({
  name: "fuzz regressions: signed pushes the worker cannot act on are 400, not 500",
  ...opts,
  async fn() {
    const mc = await MessageCrypto.create({
      token: SETTINGS.COMPONENT_TOKEN,
      encodingAesKey: SETTINGS.COMPONENT_AES_KEY,
      appId: SETTINGS.COMPONENT_APPID,
    });
    const release = `/wechat/authorizers/wx570bc396a51b8ff8/callback`;
    const oa = "gh_3c884a361561";
    const component = { AppId: SETTINGS.COMPONENT_APPID, InfoType: "component_verify_ticket" };
    const cases: [string, Record<string, string>, string][] = [
      // Seed 20261125, case 133: the release test's automatic reply could not be addressed.
      [
        release,
        { ToUserName: "", FromUserName: "o_user", MsgType: "event", Event: "LOCATION" },
        oa,
      ],
      [release, { ToUserName: oa, FromUserName: "", MsgType: "event", Event: "LOCATION" }, oa],
      [release, {
        ToUserName: "",
        FromUserName: "o_user",
        MsgType: "text",
        Content: "TESTCOMPONENT_MSG_TYPE_TEXT",
      }, oa],
      // Seed 20261125, case 3398: an empty ticket made the coordinator throw.
      ["/wechat/component/events", { ...component, ComponentVerifyTicket: "" }, component.AppId],
      ["/wechat/component/events", { ...component, ComponentVerifyTicket: " " }, component.AppId],
      ["/wechat/component/events", component, component.AppId],
    ];
    for (const [path, fields, root] of cases) {
      const before = await kvState(h);
      // Signed now: a push outside the timestamp window is refused before it is looked at.
      const now = Math.floor(Date.now() / 1000);
      const encrypt = await mc.encrypt(buildXml({ CreateTime: now, ...fields }));
      const url = new URL(path, ORIGIN);
      url.searchParams.set("timestamp", String(now));
      url.searchParams.set("nonce", "12345");
      url.searchParams.set("encrypt_type", "aes");
      url.searchParams.set("msg_signature", mc.signature(String(now), "12345", encrypt));
      const tag = "AppId" in fields ? "AppId" : "ToUserName";
      const body = `<xml><${tag}><![CDATA[${root}]]></${tag}>` +
        `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
      const res = await h.send(new Request(url, { method: "POST", body }));
      const text = await res.text();
      assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${text}`);
      assert.equal(JSON.parse(text).error.code, "malformed_push");
      assert.deepEqual(kvDiff(before, await kvState(h)), []);
    }
  },
});

Deno.test({
  name: `fuzz: ${CASES} mutated pushes — no 5xx, no hang, KV unchanged when rejected`,
  ...opts,
  async fn() {
    console.log(
      `fuzz seed ${SEED} (rerun: FUZZ_SEED=${SEED} FUZZ_NOW=${NOW} deno test -A tests/fuzz_test.ts)`,
    );
    try {
      const report = await runFuzz({
        seed: SEED,
        now: NOW,
        cases: CASES,
        harness: h,
        deadlineMs: 15_000,
      });
      console.log(formatReport(report));
      assert.deepEqual(report.violations, [], formatReport(report));
      assert.equal(report.cases, CASES);
      // The run exercised what it claims: valid pushes, every rejection kind, every mutation.
      assert.ok(report.valid > 0);
      assert.ok(report.byStatus["200"] >= report.valid);
      for (const status of ["400", "401", "413"]) {
        assert.ok(report.byStatus[status] > 0, `no case was answered ${status}`);
      }
      if (CASES >= 300) {
        const missing = MUTATION_NAMES.filter((m) => !report.byMutation[m]);
        assert.deepEqual(missing, [], "mutations never drawn");
      }
    } finally {
      await h.dispose();
    }
  },
});

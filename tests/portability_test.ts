/**
 * The core runs outside Deno: `mod.ts` (plus the `./kv` and `./deno-kv` adapters) is bundled to
 * one ESM file and the same smoke script runs on Deno (from source), on Node (the bundle) and in
 * workerd through Miniflare (the bundle, without `nodejs_compat`), giving identical results. The
 * core also type-checks without Deno's types, and no line of code in `src/` names `Deno.`,
 * `node:` modules or `Buffer`.
 */

import assert from "node:assert/strict";
// @ts-types="./_miniflare.d.ts"
import { Miniflare } from "miniflare";
import * as root from "../mod.ts";
import * as cryptoEntry from "../src/crypto/mod.ts";
import * as messages from "../src/events/mod.ts";
import * as xml from "../src/xml/mod.ts";
import * as testing from "../src/testing/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The smoke script, shared by all three runtimes. `m` is the module namespace, `input` data
 * made by Deno. Every check runs only when the core exports what it needs, so the script grows
 * with the core; the test asserts that every check whose exports exist ran and passed.
 */
const SMOKE = String.raw`
export async function smoke(m, input) {
  const results = {};
  async function check(name, needs, fn) {
    const find = (path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), m);
    if (!needs.every((n) => typeof find(n) === "function")) {
      results[name] = { skipped: true };
      return;
    }
    try {
      results[name] = { ok: true, value: JSON.parse(JSON.stringify(await fn())) };
    } catch (e) {
      results[name] = { ok: false, error: String((e && e.stack) || e) };
    }
  }
  const errorName = (p) => p.then(() => "no error", (e) => e.name);

  await check("memoryStore", ["MemoryStore"], async () => {
    let now = 1700000000000;
    const s = new m.MemoryStore({ now: () => now });
    await s.put("a:2", "two");
    await s.put("a:1", "one", { ttlSeconds: 60, metadata: { n: 1 } });
    await s.put("b:1", "three");
    const page = await s.list({ prefix: "a:", limit: 1 });
    const next = await s.list({ prefix: "a:", cursor: page.cursor });
    const before = await s.getWithMetadata("a:1");
    now += 60000;
    return {
      before,
      after: await s.get("a:1"),
      pages: [page.keys, next.keys, next.complete],
      badTtl: await errorName(s.put("x", "v", { ttlSeconds: 0 })),
    };
  });

  await check("sealedStore", ["MemoryStore", "SealedStore"], async () => {
    const inner = new m.MemoryStore();
    const s = new m.SealedStore(inner, { key: input.sealKey, keyId: "deno" });
    await s.put("k", "SECRET-TOKEN", { metadata: { appid: "wx1" } });
    const raw = await inner.get("k");
    await inner.put("moved", raw);
    return {
      value: await s.getWithMetadata("k"),
      rawHasPlaintext: raw.includes("SECRET"),
      rawPrefix: raw.slice(0, 8),
      moved: await errorName(s.get("moved")),
      openedDenoValue: await (async () => {
        await inner.put("interop", input.sealedByDeno);
        return await s.get("interop");
      })(),
    };
  });

  await check("messageCrypto", ["MessageCrypto"], async () => {
    const mc = await m.MessageCrypto.create(input.crypto);
    const random = new Uint8Array(16).fill(0x41);
    const plaintext = "<xml><Content><![CDATA[你好 wxopen]]></Content></xml>";
    const encrypted = await mc.encrypt(plaintext, random);
    const envelope = await mc.seal(plaintext, { timestamp: "1700000000", nonce: "12345", random });
    const sig = /<MsgSignature><!\[CDATA\[([0-9a-f]+)\]\]>/.exec(envelope)[1];
    const opened = await mc.open(envelope, { msg_signature: sig, timestamp: "1700000000", nonce: "12345" });
    return {
      encrypted,
      decrypted: await mc.decrypt(encrypted),
      signature: await mc.signature("1700000000", "12345", encrypted),
      opened,
      forged: await errorName(mc.open(envelope, { msg_signature: "0".repeat(40), timestamp: "1700000000", nonce: "12345" })),
    };
  });

  await check("componentFlow", ["ComponentClient", "testing.WeChatSimulator"], async () => {
    let now = 1700000000000;
    const clock = () => now;
    const sim = new m.testing.WeChatSimulator({
      componentAppId: input.crypto.appId,
      componentAppSecret: "app-secret",
      componentToken: input.crypto.token,
      encodingAesKey: input.crypto.encodingAesKey,
      now: clock,
    });
    const inner = new m.MemoryStore({ now: clock });
    const store = new m.SealedStore(inner, { key: new Uint8Array(32).fill(3) });
    const client = new m.ComponentClient({
      appId: input.crypto.appId,
      appSecret: "app-secret",
      store,
      fetch: sim.fetch,
      now: clock,
    });
    await client.acceptTicket(sim.issueTicket());
    const tokens = await Promise.all([1, 2, 3].map(() => client.componentAccessToken()));
    const { pre_auth_code } = await client.createPreAuthCode();
    const authorization = await sim.authorizeAccount({ kind: "official_account", preAuthCode: pre_auth_code });
    const auth = await client.queryAuth(authorization.authCode);
    const appid = auth.authorization_info.authorizer_appid;
    const at = await client.authorizerAccessToken(appid);
    const raw = [];
    for (const k of (await inner.list({ prefix: "" })).keys) raw.push(await inner.get(k.name));
    return {
      sameToken: tokens.every((t) => t === tokens[0]),
      componentTokenUpstream: sim.calls("api_component_token"),
      authorizerTokenCurrent: at === sim.currentAccessToken(appid),
      refreshTokenSealed: raw.every((v) => !v.includes(sim.account(appid).refreshToken)),
    };
  });

  await check("parseComponentEvent", ["parseComponentEvent"], () => m.parseComponentEvent(input.ticketXml));
  await check("parseMessage", ["parseMessage"], () => m.parseMessage(input.messageXml));
  await check("textReply", ["textReply"], () =>
    m.textReply({ ToUserName: "o1", FromUserName: "gh_1", CreateTime: 1700000000 }, "hi"));
  return results;
}

export async function kvSmoke(m, namespace) {
  const store = new m.SealedStore(new m.KvStore(namespace), { key: new Uint8Array(32).fill(9) });
  await store.put("authorizer:wx1:refresh", "REFRESH", { ttlSeconds: 5, metadata: { n: 1 } });
  const raw = await namespace.get("authorizer:wx1:refresh");
  const page = await store.list({ prefix: "authorizer:" });
  return {
    value: await store.get("authorizer:wx1:refresh"),
    rawHasPlaintext: raw.includes("REFRESH"),
    names: page.keys.map((k) => k.name),
    ttlClamped: page.keys[0].expiration >= Math.floor(Date.now() / 1000) + 55,
  };
}
`;

const INPUT = {
  sealKey: "",
  sealedByDeno: "",
  crypto: {
    token: "QDG6eK",
    encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    appId: "wx5823bf96d3bd56c7",
  },
  ticketXml: "<xml><AppId><![CDATA[wx5823bf96d3bd56c7]]></AppId>" +
    "<CreateTime>1700000000</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType>" +
    "<ComponentVerifyTicket><![CDATA[ticket@@@abc]]></ComponentVerifyTicket></xml>",
  messageXml: "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>" +
    "<FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime>" +
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>" +
    "<MsgId>1234567890123456</MsgId></xml>",
};

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

type Results = Record<string, { skipped?: true; ok?: boolean; value?: unknown; error?: string }>;

Deno.test({
  name: "portability: the bundled core runs the same on Deno, Node 20 and workerd",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "wxopen-portability-" });
    try {
      // Deno-made inputs that the other runtimes must open.
      const sealKey = crypto.getRandomValues(new Uint8Array(32));
      const input = { ...INPUT, sealKey: encode64(sealKey) };
      const inner = new root.MemoryStore();
      await new root.SealedStore(inner, { key: sealKey, keyId: "deno" }).put("interop", "hi 🌏");
      input.sealedByDeno = (await inner.get("interop"))!;

      await Deno.writeTextFile(`${dir}/smoke.mjs`, SMOKE);
      await Deno.writeTextFile(
        `${dir}/entry.ts`,
        `export * from "${ROOT}mod.ts";\n` +
          `export * from "${ROOT}src/crypto/mod.ts";\n` +
          `export * from "${ROOT}src/events/mod.ts";\n` +
          `export * from "${ROOT}src/xml/mod.ts";\n` +
          `export { KvStore } from "${ROOT}src/store/kv.ts";\n` +
          `export { DenoKvStore } from "${ROOT}src/store/deno_kv.ts";\n` +
          `export * as testing from "${ROOT}src/testing/mod.ts";\n`,
      );
      await run(Deno.execPath(), [
        "bundle",
        "--quiet",
        "--config",
        `${ROOT}deno.json`,
        "--platform",
        "browser",
        "-o",
        `${dir}/wxopen.mjs`,
        `${dir}/entry.ts`,
      ], ROOT);
      const bundle = await Deno.readTextFile(`${dir}/wxopen.mjs`);
      assert.doesNotMatch(bundle, /\bDeno\.|from\s*["']node:|require\(/);

      // Reference: the same script on Deno, against the source.
      const { smoke } = await import(`file://${dir}/smoke.mjs`);
      const reference: Record<string, unknown> = {
        ...root,
        ...cryptoEntry,
        ...messages,
        ...xml,
        testing,
      };
      const expected: Results = await smoke(reference, input);
      for (const [name, result] of Object.entries(expected)) {
        assert.ok(result.ok || result.skipped, `${name} failed on Deno: ${result.error}`);
      }
      for (const name of ["memoryStore", "sealedStore"]) assert.ok(expected[name].ok, name);
      const find = (path: string) =>
        path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], reference);
      for (const [name, needs] of Object.entries(CHECK_NEEDS)) {
        if (needs.every((n) => typeof find(n) === "function")) {
          assert.ok(expected[name].ok, `${name} must run when the core exports ${needs}`);
        }
      }
      assertMeaningful(expected, input);

      await t.step("Node 20 runs the bundle with the same results", async () => {
        await Deno.writeTextFile(
          `${dir}/node_main.mjs`,
          `import * as m from "./wxopen.mjs";\nimport { smoke } from "./smoke.mjs";\n` +
            `console.log(JSON.stringify(await smoke(m, ${JSON.stringify(input)})));\n`,
        );
        const stdout = await run("node", ["node_main.mjs"], dir);
        assert.deepEqual(JSON.parse(stdout), expected);
      });

      await t.step(
        "workerd runs the bundle with the same results, KvStore on real KV",
        async () => {
          await Deno.writeTextFile(
            `${dir}/worker.mjs`,
            `import * as m from "./wxopen.mjs";\nimport { smoke, kvSmoke } from "./smoke.mjs";\n` +
              `export default { async fetch(request, env) {\n` +
              `  try {\n` +
              `    return Response.json({ core: await smoke(m, ${JSON.stringify(input)}),\n` +
              `      kv: await kvSmoke(m, env.TOKENS) });\n` +
              `  } catch (e) { return new Response(String(e && e.stack || e), { status: 500 }); }\n` +
              `} };\n`,
          );
          const mf = new Miniflare({
            modules: true,
            scriptPath: `${dir}/worker.mjs`,
            modulesRoot: dir,
            modulesRules: [{ type: "ESModule", include: ["**/*.mjs"] }],
            kvNamespaces: ["TOKENS"],
            compatibilityDate: "2025-08-01",
          });
          try {
            const response = await mf.dispatchFetch("http://localhost/");
            const text = await response.text();
            assert.equal(response.status, 200, text);
            const body = JSON.parse(text);
            assert.deepEqual(body.core, expected);
            assert.deepEqual(body.kv, {
              value: "REFRESH",
              rawHasPlaintext: false,
              names: ["authorizer:wx1:refresh"],
              ttlClamped: true,
            });
          } finally {
            await mf.dispose();
          }
        },
      );

      await t.step("the core type-checks without Deno's types", async () => {
        const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
        await Deno.writeTextFile(
          `${dir}/deno.json`,
          JSON.stringify({
            compilerOptions: { lib: ["es2022", "dom", "dom.iterable"] },
            imports: config.imports,
            nodeModulesDir: "manual",
          }),
        );
        await run(
          Deno.execPath(),
          ["check", "--quiet", "--config", `${dir}/deno.json`, "entry.ts"],
          dir,
        );
        // The same configuration must reject Deno's namespace, or this step proves nothing.
        await Deno.writeTextFile(`${dir}/uses_deno.ts`, `export const v = Deno.env.get("X");\n`);
        await assert.rejects(
          run(
            Deno.execPath(),
            ["check", "--quiet", "--config", `${dir}/deno.json`, "uses_deno.ts"],
            dir,
          ),
          /Cannot find name 'Deno'/,
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Exports each smoke check needs (mirrors the script). */
const CHECK_NEEDS: Record<string, string[]> = {
  memoryStore: ["MemoryStore"],
  sealedStore: ["MemoryStore", "SealedStore"],
  messageCrypto: ["MessageCrypto"],
  parseComponentEvent: ["parseComponentEvent"],
  parseMessage: ["parseMessage"],
  textReply: ["textReply"],
  componentFlow: ["ComponentClient", "testing.WeChatSimulator"],
};

/** The reference results are right, not merely equal everywhere. */
function assertMeaningful(results: Results, input: typeof INPUT): void {
  assert.deepEqual(results.memoryStore.value, {
    before: { value: "one", metadata: { n: 1 } },
    after: null,
    pages: [
      [{ name: "a:1", metadata: { n: 1 }, expiration: 1700000060 }],
      [{ name: "a:2", metadata: null }],
      true,
    ],
    badTtl: "RangeError",
  });
  assert.deepEqual(results.sealedStore.value, {
    value: { value: "SECRET-TOKEN", metadata: { appid: "wx1" } },
    rawHasPlaintext: false,
    rawPrefix: "v1:deno:",
    moved: "SealedValueError",
    openedDenoValue: "hi 🌏",
  });
  if (results.messageCrypto.ok) {
    const v = results.messageCrypto.value as Record<string, string>;
    assert.equal(v.decrypted, "<xml><Content><![CDATA[你好 wxopen]]></Content></xml>");
    assert.equal(v.opened, v.decrypted);
    assert.match(v.signature, /^[0-9a-f]{40}$/);
    assert.notEqual(v.forged, "no error");
  }
  if (results.parseComponentEvent.ok) {
    const v = results.parseComponentEvent.value as Record<string, string>;
    assert.equal(v.InfoType, "component_verify_ticket");
    assert.equal(v.ComponentVerifyTicket, "ticket@@@abc");
  }
  if (results.parseMessage.ok) {
    const v = results.parseMessage.value as Record<string, string>;
    assert.equal(v.MsgType, "text");
    assert.equal(v.Content, "你好");
  }
  if (results.componentFlow.ok) {
    assert.deepEqual(results.componentFlow.value, {
      sameToken: true,
      componentTokenUpstream: 1,
      authorizerTokenCurrent: true,
      refreshTokenSealed: true,
    });
  }
  if (results.textReply.ok) {
    assert.match(results.textReply.value as string, /<Content><!\[CDATA\[hi\]\]><\/Content>/);
  }
  assert.ok(input.sealedByDeno.startsWith("v1:deno:"));
}

function encode64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

Deno.test("portability: no code line in src/ names Deno, node: modules or Buffer", async () => {
  const offenders: string[] = [];
  let files = 0;
  async function scan(path: string): Promise<void> {
    for await (const entry of Deno.readDir(path)) {
      const full = `${path}/${entry.name}`;
      if (entry.isDirectory) await scan(full);
      else if (/\.(ts|js|mjs)$/.test(entry.name)) {
        files++;
        const lines = (await Deno.readTextFile(full)).split("\n");
        lines.forEach((line, i) => {
          const code = line.trim();
          // JSDoc and comments may show Deno usage to readers; code may not use it.
          if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) return;
          if (
            /\bDeno\.|\bfrom\s*["']node:|\bimport\(\s*["']node:|\bBuffer\b|\brequire\(/.test(line)
          ) {
            offenders.push(`${full.slice(ROOT.length)}:${i + 1}: ${code}`);
          }
        });
      }
    }
  }
  await scan(`${ROOT}src`);
  assert.ok(files > 5, "the scan found the source files");
  assert.deepEqual(offenders, []);
});

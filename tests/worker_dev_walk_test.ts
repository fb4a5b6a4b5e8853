/**
 * The curl walk of README.md and docs/worker.md ("Call WeChat through the proxy in
 * development"), run exactly as written (only `localhost:8787` becomes this test's port)
 * against `deno task dev`'s worker under Miniflare: the dev bundle with its own simulator.
 * Every answer is WeChat's JSON (or the worker's 400 for a component API), never a plain-text
 * "Not Found".
 */

import assert from "node:assert/strict";
import { freePort, startWorker } from "./_worker_harness.ts";

const MARK = "<!-- dev-walk: run as written by tests/worker_dev_walk_test.ts -->";

/** The `sh` block after the mark in `file`. */
async function walkOf(file: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
  const at = text.indexOf(MARK);
  assert.ok(at >= 0, `${file} has the dev walk`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block, `${file}: the mark is followed by a sh block`);
  return block[1];
}

async function has(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args: ["--version"], stdout: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "dev walk: README's and docs/worker.md's curl commands work as written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const readme = await walkOf("README.md");
    assert.equal(readme, await walkOf("docs/worker.md"), "README and docs show the same walk");
    if (!(await has("curl")) || !(await has("bash"))) {
      console.warn("dev walk: curl or bash is missing; the commands were not run");
      return;
    }
    const port = freePort();
    const h = await startWorker({ env: "dev", port });
    const dir = await Deno.makeTempDir();
    try {
      const script = readme.replaceAll("localhost:8787", `127.0.0.1:${port}`);
      const run = await new Deno.Command("bash", {
        args: ["-c", script],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(run.stdout).trim().split("\n");
      const err = new TextDecoder().decode(run.stderr);
      assert.ok(run.success, `the walk failed: ${err}`);
      await t.step("every answer is JSON (the QR code line aside)", () => {
        assert.equal(out.length, 10, out.join("\n"));
        for (const [i, line] of out.entries()) {
          if (i === 5) continue;
          assert.doesNotThrow(() => JSON.parse(line), `line ${i + 1}: ${line}`);
        }
      });
      const json = out.map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return line;
        }
      });
      const [ticket, list, info, unknown, commit, qr, domains, refused, proxyTemplates, templates] =
        json;
      assert.equal(ticket.errcode, 0);
      assert.match(ticket.ticket, /^[\w-]{20,}$/);
      assert.deepEqual([list.total, list.count, list.data.openid.length], [3, 3, 3]);
      assert.deepEqual([info.subscribe, info.openid], [1, list.data.openid[0]]);
      assert.equal(unknown.errcode, 40066);
      assert.match(unknown.errmsg, /^invalid url rid: /);
      assert.deepEqual(commit, { errcode: 0, errmsg: "ok" });
      assert.match(qr, /^image\/jpeg [1-9]\d* bytes$/);
      const bytes = await Deno.readFile(`${dir}/qrcode.jpg`);
      assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], "a JPEG was saved");
      assert.equal(domains.errcode, 0);
      assert.ok(Array.isArray(domains.requestdomain));
      assert.equal(refused.errcode, 48001);
      assert.equal(proxyTemplates.error.code, "invalid_request");
      assert.match(proxyTemplates.error.message, /component API/);
      assert.equal(templates.errcode, 0);
      assert.ok(Array.isArray(templates.template_list));
    } finally {
      await h.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

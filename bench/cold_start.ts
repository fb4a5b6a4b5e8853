/**
 * Cold start of the production worker: bundles `worker/index.ts` exactly as `wrangler deploy`
 * would (minified), then measures module evaluation time of that bundle in fresh V8 isolates
 * (one new Deno process per sample), next to a bare Hono worker bundled the same way. Prints
 * the bundle sizes (minified and gzip), both medians and their ratio.
 * Usage: `deno run -A bench/cold_start.ts [samples]`.
 *
 * @module
 */

const SAMPLES = Number(Deno.args[0] ?? 15);
const root = new URL("..", import.meta.url).pathname;

async function wranglerBundle(entry?: string): Promise<string> {
  const outdir = await Deno.makeTempDir({ prefix: "wxopen-cold-" });
  const args = ["run", "-A", "npm:wrangler@4", "deploy", "--dry-run", "--outdir", outdir];
  if (entry) {
    // The baseline gets a config of its own: the project's declares bindings it lacks.
    const config = `${outdir}/wrangler.toml`;
    await Deno.writeTextFile(
      config,
      `name = "bare"\nmain = "${root}${entry}"\ncompatibility_date = "2025-08-01"\nminify = true\n`,
    );
    args.push("--config", config);
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const file = [...Deno.readDirSync(outdir)].find((e) => e.name.endsWith(".js"));
  if (!file) throw new Error("wrangler produced no bundle");
  return `${outdir}/${file.name}`;
}

async function gzipBytes(path: string): Promise<number> {
  const stream = (await Deno.open(path)).readable.pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function evalMs(path: string): Promise<number> {
  const code = `const t0 = performance.now(); await import(${
    JSON.stringify("file://" + path)
  }); console.log(performance.now() - t0);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const worker = await wranglerBundle();
const bare = await wranglerBundle("bench/_bare_worker.ts");
for (const [name, path] of [["wxopen worker", worker], ["bare Hono worker", bare]]) {
  const bytes = (await Deno.stat(path)).size;
  console.log(
    `${name}: ${(bytes / 1024).toFixed(1)} KiB minified, ${
      ((await gzipBytes(path)) / 1024).toFixed(1)
    } KiB gzip`,
  );
}
const ours: number[] = [];
const base: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  ours.push(await evalMs(worker));
  base.push(await evalMs(bare));
}
const a = median(ours);
const b = median(base);
console.log(`module evaluation, median of ${SAMPLES} fresh isolates:`);
console.log(`  wxopen worker    ${a.toFixed(2)} ms`);
console.log(`  bare Hono worker ${b.toFixed(2)} ms`);
console.log(`  ratio ${(a / b).toFixed(2)}x`);

/**
 * The long fuzz run (`deno task fuzz`): ≥ 10,000 seeded cases against the worker under
 * Miniflare, with the counts printed. Flags: `--seed N` (default: random, printed),
 * `--cases N` (default 10000), `--first I` (start at case I; with `--cases 1`, reproduce one),
 * `--now T` (the pushes' clock in unix seconds, printed; with the seed it fixes every byte).
 * Exits 1 when an invariant broke.
 *
 * @module
 */

import { formatReport, runFuzz } from "../tests/_fuzz.ts";

function flag(name: string): number | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : undefined;
}

const seed = flag("seed") ?? crypto.getRandomValues(new Uint32Array(1))[0];
const cases = flag("cases") ?? 10_000;
const first = flag("first") ?? 0;
const now = flag("now") ?? Math.floor(Date.now() / 1000);
console.log(`fuzz: seed ${seed}, now ${now}, cases ${first}..${first + cases - 1}`);
const report = await runFuzz({
  seed,
  cases,
  first,
  now,
  progressEvery: 1000,
  onProgress: (done, r) =>
    console.log(
      `  ${done} cases, ${(r.wallMs / 1000).toFixed(0)} s, ${r.violations.length} violations, ` +
        JSON.stringify(r.byStatus),
    ),
});
console.log(formatReport(report));
console.log(
  `reproduce: deno task fuzz --seed ${seed} --now ${now} --first ${first} --cases ${cases}`,
);
if (report.violations.length > 0) Deno.exit(1);

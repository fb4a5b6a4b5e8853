/**
 * What the browser tests share: Debian's Chromium (apt) driven by playwright-core, launched with
 * the flags this machine needs, and where screenshots go. A test without Chromium is ignored
 * with one line saying why, so the suite still runs where apt cannot install it.
 */

import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed (`.ci/run` installs it when a test imports this module). */
export const hasChromium: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Says once, for `what`, that it is skipped when Chromium is absent. */
export function noticeIfSkipped(what: string): void {
  if (!hasChromium) {
    console.log(`${what} skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`);
  }
}

/** Headless Chromium without sandbox, GPU, QUIC or background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** `tests/output/`, created if missing (screenshots). */
export async function outputDir(): Promise<string> {
  const out = new URL("./output/", import.meta.url).pathname;
  await Deno.mkdir(out, { recursive: true });
  return out;
}

/**
 * What the simulated WeChat remembers of testers (体验者): per mini program, the WeChat ids
 * bound and the `userstr` each got.
 *
 * @module
 */

import { randomBytes, toHex } from "../_bytes.ts";

/** Testers of a verified mini program (an unverified one: {@linkcode UNVERIFIED_TESTER_LIMIT}). */
export const TESTER_LIMIT = 90;
/** Testers of a mini program that is not verified (认证). */
export const UNVERIFIED_TESTER_LIMIT = 15;
/** Mini programs one WeChat user can test. */
export const TESTED_PER_USER_LIMIT = 50;

/** Every mini program's testers. */
export class TesterStore {
  /** appid → wechatid → userstr. */
  readonly #byApp = new Map<string, Map<string, string>>();

  /** The testers of `appId`, wechatid → userstr. */
  of(appId: string): Map<string, string> {
    let testers = this.#byApp.get(appId);
    if (!testers) this.#byApp.set(appId, testers = new Map());
    return testers;
  }

  /** How many mini programs `wechatid` tests. */
  testedBy(wechatid: string): number {
    let n = 0;
    for (const testers of this.#byApp.values()) if (testers.has(wechatid)) n++;
    return n;
  }

  /** A new opaque tester id. */
  static userstr(): string {
    return toHex(randomBytes(32));
  }
}

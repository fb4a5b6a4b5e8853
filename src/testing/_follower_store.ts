/**
 * What the simulated WeChat remembers of an Official Account's followers: their openids in
 * follow order, with the basic information `cgi-bin/user/info` answers.
 *
 * @module
 */

import { encodeBase64, randomBytes } from "../_bytes.ts";

/** How many followers an Official Account has before any is added. */
export const DEFAULT_FOLLOWERS = 3;

/** One simulated follower. */
export interface Follower {
  openid: string;
  language: string;
  /** Unix seconds. */
  subscribe_time: number;
  remark: string;
  tagid_list: number[];
  subscribe_scene: string;
}

/** A new openid in WeChat's shape (28 characters starting with `o`). */
export function newOpenId(): string {
  return "o" + encodeBase64(randomBytes(21)).replace(/[+/=]/g, "_").slice(0, 27);
}

/** Every Official Account's followers. */
export class FollowerStore {
  /** appid → openid → follower, in follow order. */
  readonly #byApp = new Map<string, Map<string, Follower>>();

  /**
   * The followers of `appId`, created on first use: `firstOpenId` (the account's default user,
   * the one OAuth and messages use) and a few more.
   */
  of(appId: string, firstOpenId: string, nowMs: number): Map<string, Follower> {
    let followers = this.#byApp.get(appId);
    if (!followers) {
      this.#byApp.set(appId, followers = new Map());
      const ids = [firstOpenId];
      while (ids.length < DEFAULT_FOLLOWERS) ids.push(newOpenId());
      for (const openid of ids) followers.set(openid, follower(openid, nowMs));
    }
    return followers;
  }
}

/** A follower who followed at `nowMs` by searching for the account. */
export function follower(openid: string, nowMs: number): Follower {
  return {
    openid,
    language: "zh_CN",
    subscribe_time: Math.floor(nowMs / 1000),
    remark: "",
    tagid_list: [],
    subscribe_scene: "ADD_SCENE_SEARCH",
  };
}

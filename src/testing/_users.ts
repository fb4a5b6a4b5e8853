/**
 * The simulated routes of an Official Account's followers (`cgi-bin/user/get`, `user/info`,
 * `user/info/batchget`).
 *
 * WeChat's rules as simulated: only Official Accounts (a mini program's token: 48001); pages of
 * at most 10,000 openids in follow order, `next_openid` the page's last one, and a page after
 * the last answers `count` 0 with `next_openid` ""; an openid that is not a follower of the
 * account 40003 (as `next_openid` too); a missing openid 41009; a `lang` other than zh_CN,
 * zh_TW, en 40097; batchget takes 1 to 100 openids (40097 otherwise).
 *
 * @module
 */

import { BATCHGET_LIMIT, USER_LANGS, USER_PAGE_SIZE, userApis } from "../api/users.ts";
import { ApiFailure } from "./_errors.ts";
import type { Follower } from "./_follower_store.ts";
import type { Ctx, Json, Route } from "./_route.ts";
import { isObject, serve, str } from "./_route.ts";

function followersOf(ctx: Ctx): Map<string, Follower> {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "official_account") throw new ApiFailure(48001);
  return ctx.model.followers.of(account.appId, account.defaultOpenId, ctx.model.now());
}

function info(followers: Map<string, Follower>, openidValue: unknown, lang: unknown): Json {
  const openid = str(openidValue);
  if (openid === undefined) throw new ApiFailure(41009);
  if (lang !== undefined && lang !== null && !USER_LANGS.includes(String(lang))) {
    throw new ApiFailure(40097);
  }
  const f = followers.get(openid);
  if (!f) throw new ApiFailure(40003);
  return { subscribe: 1, ...f, tagid_list: [...f.tagid_list], qr_scene: 0, qr_scene_str: "" };
}

/** The routes of this area, in the simulator's table. */
export const userRoutes: Route[] = [
  serve(userApis.getUserList, (ctx) => {
    const followers = followersOf(ctx);
    const ids = [...followers.keys()];
    const next = str(ctx.query.get("next_openid"));
    let start = 0;
    if (next !== undefined) {
      const at = ids.indexOf(next);
      if (at < 0) throw new ApiFailure(40003);
      start = at + 1;
    }
    const page = ids.slice(start, start + USER_PAGE_SIZE);
    if (page.length === 0) return { total: ids.length, count: 0, next_openid: "" };
    return {
      total: ids.length,
      count: page.length,
      data: { openid: page },
      next_openid: page[page.length - 1],
    };
  }),
  serve(userApis.getUserInfo, (ctx) => {
    const followers = followersOf(ctx);
    return info(followers, ctx.query.get("openid"), ctx.query.get("lang") ?? undefined);
  }),
  serve(userApis.batchGetUserInfo, (ctx) => {
    const followers = followersOf(ctx);
    const list = ctx.body.user_list;
    if (!Array.isArray(list) || list.length === 0 || list.length > BATCHGET_LIMIT) {
      throw new ApiFailure(40097);
    }
    const user_info_list = list.map((entry) => {
      const e: Json = isObject(entry) ? entry : {};
      return info(followers, e.openid, e.lang);
    });
    return { user_info_list };
  }),
];

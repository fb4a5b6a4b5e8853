/**
 * The simulated routes of testers (`wxa/bind_tester`, `unbind_tester`, `memberauth`).
 *
 * WeChat's rules as simulated: only mini programs (48001 otherwise); a WeChat id exists when
 * it is shaped like one (a letter, then 5–19 letters, digits, `_` or `-`), else 85001; binding
 * twice 85004; 90 testers per verified mini program, 15 per unverified one (85002); one
 * WeChat user tests at most 50 mini programs (85003); unbinding someone who is not a tester
 * 85001 (WeChat documents no code for it).
 *
 * @module
 */

import { testerApis } from "../api/testers.ts";
import { ApiFailure, OK } from "./_errors.ts";
import type { Ctx, Route } from "./_route.ts";
import { serve, str } from "./_route.ts";
import {
  TESTED_PER_USER_LIMIT,
  TESTER_LIMIT,
  TesterStore,
  UNVERIFIED_TESTER_LIMIT,
} from "./_tester_store.ts";

const WECHAT_ID = /^[A-Za-z][-_A-Za-z0-9]{5,19}$/;

function testersOf(ctx: Ctx): { testers: Map<string, string>; limit: number } {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program") throw new ApiFailure(48001);
  return {
    testers: ctx.model.testers.of(account.appId),
    limit: account.verifyTypeId === -1 ? UNVERIFIED_TESTER_LIMIT : TESTER_LIMIT,
  };
}

/** The routes of this area, in the simulator's table. */
export const testerRoutes: Route[] = [
  serve(testerApis.bindTester, (ctx) => {
    const { testers, limit } = testersOf(ctx);
    const wechatid = str(ctx.body.wechatid);
    if (wechatid === undefined || !WECHAT_ID.test(wechatid)) throw new ApiFailure(85001);
    if (testers.has(wechatid)) throw new ApiFailure(85004);
    if (testers.size >= limit) throw new ApiFailure(85002);
    if (ctx.model.testers.testedBy(wechatid) >= TESTED_PER_USER_LIMIT) {
      throw new ApiFailure(85003);
    }
    const userstr = TesterStore.userstr();
    testers.set(wechatid, userstr);
    return { ...OK, userstr };
  }),
  serve(testerApis.unbindTester, (ctx) => {
    const { testers } = testersOf(ctx);
    const wechatid = str(ctx.body.wechatid);
    const userstr = str(ctx.body.userstr);
    if (wechatid === undefined && userstr === undefined) throw new ApiFailure(40097);
    for (const [id, u] of testers) {
      if (id === wechatid || u === userstr) {
        testers.delete(id);
        return OK;
      }
    }
    throw new ApiFailure(85001);
  }),
  serve(testerApis.memberAuth, (ctx) => {
    const { testers } = testersOf(ctx);
    if (ctx.body.action !== "get_experiencer") throw new ApiFailure(40097);
    return { ...OK, members: [...testers.values()].map((userstr) => ({ userstr })) };
  }),
];

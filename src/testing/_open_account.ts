/**
 * The simulated routes of open accounts (`cgi-bin/open/*`): an account created through the API
 * takes the creator's subject and is unverified, so it binds only accounts of that subject, at
 * most 5 Mini Programs (100 accounts once verified); an account is bound to one at a time.
 *
 * @module
 */

import { openAccountApis } from "../api/open_account.ts";
import { ApiFailure, OK } from "./_errors.ts";
import { type Ctx, type Route, serve, str } from "./_route.ts";
import { type Account, newAppId, type OpenAccount } from "./_state.ts";

/** Mini Programs an unverified open account may have. */
const UNVERIFIED_MINI_PROGRAMS = 5;
/** Accounts a verified open account may have. */
const VERIFIED_LIMIT = 100;

/** The token's account; a given `appid` must be that one (40013). */
function caller(ctx: Ctx): Account {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  const given = ctx.body.appid;
  if (given !== undefined && given !== account.appId) throw new ApiFailure(40013);
  return account;
}

function openAccount(ctx: Ctx): OpenAccount {
  const id = str(ctx.body.open_appid);
  const open = id === undefined ? undefined : ctx.model.openAccounts.get(id);
  if (!open) throw new ApiFailure(40013);
  return open;
}

/** The routes of this area, in the simulator's table. */
export const openAccountRoutes: Route[] = [
  serve(openAccountApis.createOpenAccount, (ctx) => {
    const account = caller(ctx);
    if (ctx.model.openBindings.has(account.appId)) throw new ApiFailure(89000);
    const open: OpenAccount = {
      openAppId: newAppId(),
      principalName: account.principalName,
      createdByApi: true,
      verified: false,
      apps: new Set([account.appId]),
    };
    ctx.model.openAccounts.set(open.openAppId, open);
    ctx.model.openBindings.set(account.appId, open.openAppId);
    return { ...OK, open_appid: open.openAppId };
  }),
  serve(openAccountApis.bindOpenAccount, (ctx) => {
    const account = caller(ctx);
    const open = openAccount(ctx);
    if (ctx.model.openBindings.has(account.appId)) throw new ApiFailure(89000);
    if (!open.createdByApi && !open.verified) throw new ApiFailure(89036);
    if (account.principalName !== open.principalName) throw new ApiFailure(89001);
    const miniPrograms = [...open.apps].filter((id) =>
      ctx.model.accounts.get(id)?.kind === "mini_program"
    ).length;
    if (
      open.apps.size >= VERIFIED_LIMIT ||
      (!open.verified && account.kind === "mini_program" &&
        miniPrograms >= UNVERIFIED_MINI_PROGRAMS)
    ) {
      throw new ApiFailure(89004);
    }
    open.apps.add(account.appId);
    ctx.model.openBindings.set(account.appId, open.openAppId);
    return OK;
  }),
  serve(openAccountApis.unbindOpenAccount, (ctx) => {
    const account = caller(ctx);
    const open = openAccount(ctx);
    if (!open.createdByApi) throw new ApiFailure(89003);
    if (ctx.model.openBindings.get(account.appId) !== open.openAppId) {
      throw new ApiFailure(89002);
    }
    open.apps.delete(account.appId);
    ctx.model.openBindings.delete(account.appId);
    return OK;
  }),
  serve(openAccountApis.getOpenAccount, (ctx) => {
    const account = caller(ctx);
    const open = ctx.model.openBindings.get(account.appId);
    if (open === undefined) throw new ApiFailure(89002);
    return { ...OK, open_appid: open };
  }),
  serve(openAccountApis.haveOpenAccount, (ctx) => {
    const account = caller(ctx);
    return { ...OK, have_open: ctx.model.openBindings.has(account.appId) };
  }),
];

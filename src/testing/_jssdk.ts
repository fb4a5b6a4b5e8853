/**
 * The simulated routes of JS-SDK tickets (`cgi-bin/ticket/getticket`) and of `sns/userinfo`
 * (the profile a user's web access token reads, after OAuth on behalf of an Official Account).
 *
 * Tickets behave as WeChat's: one per account and type, 7200 s (the token lifetime setting),
 * the same ticket answered again while it is valid, a new one after it expired or was
 * invalidated (`WeChatSimulator.invalidateTicket`).
 *
 * @module
 */

import { jssdkApis } from "../api/jssdk.ts";
import { snsApis } from "../api/sns.ts";
import { ApiFailure } from "./_errors.ts";
import { type Route, serve } from "./_route.ts";
import { type Model, opaque } from "./_state.ts";

const TYPES = ["jsapi", "wx_card"];

/** The current ticket of `appId` and `type`, issued anew when there is none valid. */
export function currentJsTicket(model: Model, appId: string, type: string): {
  ticket: string;
  expiresAt: number;
} {
  const key = `${appId}|${type}`;
  const now = model.now();
  const current = model.jsTickets.get(key);
  if (current && now < current.expiresAt) return current;
  for (const [ticket, rec] of model.issuedJsTickets) {
    if (rec.expiresAt <= now) model.issuedJsTickets.delete(ticket);
  }
  // WeChat's tickets look like `bxLdikRXVbTPdHSM05e5u5sU…` (86 characters).
  const next = { ticket: opaque(64), expiresAt: now + model.config.tokenLifetimeS * 1000 };
  model.jsTickets.set(key, next);
  model.issuedJsTickets.set(next.ticket, { appId, type, expiresAt: next.expiresAt });
  return next;
}

/** The unionid the simulator gives `openid` (the same as `jscode2session`'s). */
function unionIdOf(openid: string): string {
  return "o" + openid.slice(1, 6) + "_union_" + openid.slice(6);
}

/** The routes of this area, in the simulator's table. */
export const jssdkRoutes: Route[] = [
  serve(jssdkApis.getTicket, (ctx) => {
    const account = ctx.model.authorizedAccount(ctx.token!.appId);
    const type = ctx.query.get("type") ?? "";
    if (!TYPES.includes(type)) throw new ApiFailure(40097);
    const { ticket, expiresAt } = currentJsTicket(ctx.model, account.appId, type);
    return {
      errcode: 0,
      errmsg: "ok",
      ticket,
      expires_in: Math.max(0, Math.floor((expiresAt - ctx.model.now()) / 1000)),
    };
  }),
  serve(snsApis.userInfo, (ctx) => {
    const token = ctx.query.get("access_token");
    if (!token) throw new ApiFailure(41001);
    const rec = ctx.model.oauthTokens.get(token);
    if (!rec) throw new ApiFailure(40001);
    if (ctx.model.now() >= rec.expiresAt) throw new ApiFailure(42001);
    const openid = ctx.query.get("openid");
    if (!openid) throw new ApiFailure(41009);
    if (openid !== rec.openid) throw new ApiFailure(40003);
    const lang = ctx.query.get("lang") ?? "zh_CN";
    if (!["zh_CN", "zh_TW", "en"].includes(lang)) throw new ApiFailure(40097);
    if (!(rec.scope ?? "").split(",").includes("snsapi_userinfo")) throw new ApiFailure(48001);
    // Since 2021 WeChat answers a placeholder nickname and no gender or place.
    return {
      openid,
      nickname: "微信用户",
      sex: 0,
      language: "",
      city: "",
      province: "",
      country: "",
      headimgurl: `https://thirdwx.qlogo.cn/mmopen/vi_32/sim_${openid}/132`,
      privilege: [],
      unionid: unionIdOf(openid),
    };
  }),
];

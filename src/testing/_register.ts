/**
 * The simulated routes of fast registration of Mini Programs. A registration waits for the
 * person who must confirm it in WeChat (the legal person, the individual, the trial app's
 * user): the simulator takes that confirmation as given after the review delay, then creates
 * the Mini Program, authorizes it to the platform and pushes the result to the 授权事件接收URL
 * (`notify_third_fasteregister` with an `auth_code` for `api_query_auth`;
 * `notify_third_fastregisterbetaapp` then `authorized` for a trial app), or the failure of the
 * next registration the test asked to fail. `cgi-bin/account/fastregister` answers at once.
 *
 * @module
 */

import { randomBytes, toHex } from "../_bytes.ts";
import { registerApis } from "../api/register.ts";
import type { XmlInputObject } from "../xml/build.ts";
import { ApiFailure, OK } from "./_errors.ts";
import { type Ctx, type Route, serve, str } from "./_route.ts";
import { type Account, type Model, newAppId, opaque, type Registration } from "./_state.ts";

/** Permission sets a fast-registered Mini Program grants the platform. */
const FAST_REGISTER_FUNCS = [17, 18, 19, 25, 30, 31, 36, 37];
/** A WeChat ID: a letter, then 5 to 19 letters, digits, `-` or `_`. */
const WECHAT_ID = /^[A-Za-z][-_A-Za-z0-9]{5,19}$/;

/** Creates a Mini Program authorized to the platform and issues its authorization code. */
function createMiniProgram(
  model: Model,
  details: { nickName: string; principalName: string; verified: boolean },
): { account: Account; authCode: string } {
  const appId = newAppId();
  const account: Account = {
    appId,
    kind: "mini_program",
    userName: "gh_" + toHex(randomBytes(6)),
    nickName: details.nickName,
    principalName: details.principalName,
    alias: "",
    signature: "",
    serviceTypeId: 0,
    // Registered accounts start unverified (-1) since 2023-12, unless verification was copied.
    verifyTypeId: details.verified ? 0 : -1,
    funcIds: [...FAST_REGISTER_FUNCS],
    defaultOpenId: "o" + opaque(21).slice(0, 27),
    options: { location_report: "0", voice_recognize: "0", customer_service: "0" },
    authorized: true,
    authTime: Math.floor(model.now() / 1000),
    refreshToken: "refreshtoken@@@" + opaque(32),
  };
  model.accounts.set(appId, account);
  return { account, authCode: model.issueAuthCode(appId).code };
}

/** Runs `finish` after the review delay (at once when it is 0). */
function later(ctx: Ctx, finish: () => void): void {
  const delay = ctx.model.config.reviewDelayS * 1000;
  if (delay === 0) finish();
  else ctx.model.schedule(ctx.model.now() + delay, finish);
}

/** Starts a registration that ends with `onSuccess`'s push, or the next failure asked for. */
function start(
  ctx: Ctx,
  key: string,
  registration: Registration,
  push: (r: Registration, created?: { account: Account; authCode: string }) => void,
  created: () => { account: Account; authCode: string },
): void {
  ctx.model.registrations.set(key, registration);
  const failure = ctx.model.registrationFailures.shift();
  later(ctx, () => {
    if (failure) {
      registration.state = "failed";
      registration.failure = failure;
      push(registration);
      return;
    }
    const made = created();
    registration.state = "done";
    registration.appId = made.account.appId;
    push(registration, made);
  });
}

function fastRegisterPush(
  r: Registration,
  created: { account: Account; authCode: string } | undefined,
  extra: XmlInputObject = {},
): XmlInputObject {
  return {
    InfoType: "notify_third_fasteregister",
    appid: created?.account.appId ?? "",
    status: r.failure?.status ?? 0,
    auth_code: created?.authCode,
    msg: r.failure?.msg ?? "OK",
    ...extra,
    info: { ...r.info },
  };
}

function required(body: Record<string, unknown>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = str(body[name]);
    if (value === undefined) throw new ApiFailure(89253);
    out[name] = value;
  }
  return out;
}

function miniProgramOf(ctx: Ctx): Account {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program") throw new ApiFailure(48001);
  return account;
}

/** The routes of this area, in the simulator's table. */
export const registerRoutes: Route[] = [
  serve(registerApis.fastRegisterWeapp, (ctx) => {
    const action = ctx.query.get("action");
    if (action !== "create" && action !== "search") throw new ApiFailure(-1);
    const b = ctx.body;
    const who = required(b, ["name", "legal_persona_wechat", "legal_persona_name"]);
    const key = `enterprise|${who.name}|${who.legal_persona_wechat}|${who.legal_persona_name}`;
    const existing = ctx.model.registrations.get(key);
    if (action === "search") {
      if (!existing) throw new ApiFailure(89250);
      if (existing.state === "pending") throw new ApiFailure(89251);
      if (existing.state === "failed") {
        throw new ApiFailure(existing.failure!.status, existing.failure!.msg);
      }
      return OK;
    }
    const info = { ...who, ...required(b, ["code"]) };
    if (![1, 2, 3].includes(b.code_type as number)) throw new ApiFailure(89248);
    const length = ({ 1: 18, 3: 15 } as Record<string, number>)[String(b.code_type)];
    if (length !== undefined && info.code.length !== length) throw new ApiFailure(89255);
    if (!WECHAT_ID.test(who.legal_persona_wechat)) throw new ApiFailure(86004);
    // One task at a time for the same details, until it ends (24 hours at most).
    if (existing?.state === "pending") throw new ApiFailure(89249);
    const phone = str(b.component_phone);
    const registration: Registration = {
      kind: "enterprise",
      state: "pending",
      info: {
        name: info.name,
        code: info.code,
        code_type: String(b.code_type),
        legal_persona_wechat: info.legal_persona_wechat,
        legal_persona_name: info.legal_persona_name,
        ...(phone ? { component_phone: phone } : {}),
      },
    };
    start(
      ctx,
      key,
      registration,
      (r, made) => ctx.hooks.componentPush(fastRegisterPush(r, made)),
      () =>
        createMiniProgram(ctx.model, {
          nickName: "",
          principalName: info.name,
          verified: false,
        }),
    );
    return OK;
  }),
  serve(registerApis.fastRegisterPersonalWeapp, (ctx) => {
    const action = ctx.query.get("action");
    if (action !== "create" && action !== "query") throw new ApiFailure(-1);
    const b = ctx.body;
    if (action === "query") {
      const taskid = str(b.taskid);
      if (taskid === undefined) throw new ApiFailure(89253);
      const r = ctx.model.registrations.get(`personal|${taskid}`);
      if (!r) throw new ApiFailure(89250);
      // 0 task created (waiting for the person), 12 created, 11 creation failed.
      const status = r.state === "pending" ? 0 : r.state === "done" ? 12 : 11;
      return { ...OK, taskid, status };
    }
    const who = required(b, ["idname", "wxuser"]);
    if (!WECHAT_ID.test(who.wxuser)) throw new ApiFailure(86004);
    for (const r of ctx.model.registrations.values()) {
      if (r.kind === "personal" && r.state === "pending" && r.info.wxuser === who.wxuser) {
        throw new ApiFailure(89249);
      }
    }
    const taskid = opaque(24);
    const phone = str(b.component_phone);
    const registration: Registration = {
      kind: "personal",
      state: "pending",
      info: {
        wxuser: who.wxuser,
        idname: who.idname,
        ...(phone ? { component_phone: phone } : {}),
      },
    };
    start(
      ctx,
      `personal|${taskid}`,
      registration,
      (r, made) => ctx.hooks.componentPush(fastRegisterPush(r, made, { taskid })),
      () =>
        createMiniProgram(ctx.model, {
          nickName: "",
          principalName: who.idname,
          verified: false,
        }),
    );
    return {
      ...OK,
      taskid,
      authorize_url: `https://mp.weixin.qq.com/wxawap/fastregisterpersonal?taskid=${taskid}`,
      status: 0,
    };
  }),
  serve(registerApis.fastRegisterBetaWeapp, (ctx) => {
    const name = str(ctx.body.name);
    const openid = str(ctx.body.openid);
    if (name === undefined || openid === undefined) throw new ApiFailure(89253);
    if ([...name].length < 4 || [...name].length > 30) throw new ApiFailure(47001);
    const unique_id = opaque(48);
    const registration: Registration = {
      kind: "beta",
      state: "pending",
      info: { unique_id, name },
    };
    start(
      ctx,
      `beta|${unique_id}`,
      registration,
      (r, made) => {
        ctx.hooks.componentPush({
          InfoType: "notify_third_fastregisterbetaapp",
          appid: made?.account.appId ?? "",
          status: r.failure?.status ?? 0,
          msg: r.failure?.msg ?? "OK",
          info: { ...r.info },
        });
        if (!made) return;
        // The trial app is authorized to the platform as any authorization is.
        const preAuthCode = ctx.model.issuePreAuthCode();
        ctx.model.consumePreAuthCode(preAuthCode);
        ctx.hooks.componentPush({
          InfoType: "authorized",
          AuthorizerAppid: made.account.appId,
          AuthorizationCode: made.authCode,
          AuthorizationCodeExpiredTime: String(made.account.authTime + 3600),
          PreAuthCode: preAuthCode,
        });
      },
      () => {
        const made = createMiniProgram(ctx.model, {
          nickName: `${name}的体验小程序`,
          principalName: "",
          verified: false,
        });
        ctx.model.betaApps.set(made.account.appId, { verified: false, verifying: false });
        return made;
      },
    );
    return {
      ...OK,
      unique_id,
      authorize_url:
        `https://mp.weixin.qq.com/wxawap/fastregistertpbeta?action=show&create_token=${unique_id}`,
    };
  }),
  serve(registerApis.verifyBetaWeapp, (ctx) => {
    const account = miniProgramOf(ctx);
    const beta = ctx.model.betaApps.get(account.appId);
    if (!beta) throw new ApiFailure(48001);
    const info = ctx.body.verify_info;
    if (typeof info !== "object" || info === null) throw new ApiFailure(89253);
    const v = required(info as Record<string, unknown>, [
      "enterprise_name",
      "code",
      "legal_persona_wechat",
      "legal_persona_name",
    ]);
    const codeType = (info as Record<string, unknown>).code_type;
    if (![1, 2, 3].includes(codeType as number)) throw new ApiFailure(89248);
    if (beta.verifying) throw new ApiFailure(89249);
    beta.verifying = true;
    const failure = ctx.model.registrationFailures.shift();
    later(ctx, () => {
      beta.verifying = false;
      if (!failure) {
        beta.verified = true;
        account.principalName = v.enterprise_name;
      }
      ctx.hooks.componentPush({
        InfoType: "notify_third_fastverifybetaapp",
        appid: account.appId,
        status: failure?.status ?? 0,
        msg: failure?.msg ?? "OK",
        info: {
          name: v.enterprise_name,
          code: v.code,
          code_type: String(codeType),
          legal_persona_wechat: v.legal_persona_wechat,
          legal_persona_name: v.legal_persona_name,
        },
      });
    });
    return OK;
  }),
  serve(registerApis.setBetaWeappNickname, (ctx) => {
    const account = miniProgramOf(ctx);
    if (!ctx.model.betaApps.has(account.appId)) throw new ApiFailure(48001);
    const name = str(ctx.body.name);
    if (name === undefined) throw new ApiFailure(89253);
    if ([...name].length < 4 || [...name].length > 30) throw new ApiFailure(47001);
    account.nickName = name;
    return OK;
  }),
  serve(registerApis.fastRegister, (ctx) => {
    const oa = ctx.model.authorizedAccount(ctx.token!.appId);
    if (oa.kind !== "official_account") throw new ApiFailure(48001);
    const ticket = str(ctx.body.ticket);
    const rec = ticket === undefined ? undefined : ctx.model.fastRegisterTickets.get(ticket);
    // WeChat documents no errcode for a bad ticket: "invalid args".
    if (!rec || rec.used || rec.appId !== oa.appId || ctx.model.now() >= rec.expiresAt) {
      throw new ApiFailure(40097);
    }
    rec.used = true;
    const verified = rec.copyWxVerify && oa.verifyTypeId === 0;
    const { account, authCode } = createMiniProgram(ctx.model, {
      nickName: "",
      principalName: oa.principalName,
      verified,
    });
    return {
      ...OK,
      appid: account.appId,
      authorization_code: authCode,
      is_wx_verify_succ: verified,
      is_link_succ: true,
    };
  }),
];

/**
 * The simulated routes of privacy settings and privacy interfaces. A Mini Program's guide has a
 * draft (privacy_ver 2, what `setprivacysetting` writes) and a released version (privacy_ver 1,
 * what `wxa/release` or `WeChatSimulator.releasePrivacySetting` makes of the draft);
 * applications for front-end APIs are decided after the review delay and pushed to the Mini
 * Program's message URL as `wxa_privacy_apply`.
 *
 * @module
 */

import { privacyApis } from "../api/privacy.ts";
import { ApiFailure, OK } from "./_errors.ts";
import { type Ctx, type Json, type Route, serve, str } from "./_route.ts";
import type { Account, PrivacyApplication, PrivacyGuide, PrivacyState } from "./_state.ts";

/** WeChat's descriptions of the privacy keys (`privacy_desc.privacy_desc_list`). */
const PRIVACY_KEYS: Readonly<Record<string, string>> = {
  UserInfo: "用户信息（微信昵称、头像）",
  Location: "位置信息",
  Address: "地址",
  Invoice: "发票信息",
  RunData: "微信运动数据",
  Record: "麦克风",
  Album: "选中的照片或视频信息",
  Camera: "摄像头",
  PhoneNumber: "手机号码",
  Contact: "通讯录（仅写入）权限",
  DeviceInfo: "设备信息",
  EXIDNumber: "身份证号码",
  EXOrderInfo: "订单信息",
  EXUserPublishContent: "发布内容",
  EXUserFollowAcct: "所关注账号",
  EXUserOpLog: "操作日志",
  AlbumWriteOnly: "相册（仅写入）权限",
  LicensePlate: "车牌号",
  BlueTooth: "蓝牙",
  CalendarWriteOnly: "日历（仅写入）权限",
  Email: "邮箱",
  MessageFile: "选中的文件",
  ChooseLocation: "选择的位置信息",
  Accelerometer: "加速传感器",
  Compass: "磁场传感器",
  DeviceMotion: "方向传感器",
  Gyroscope: "陀螺仪传感器",
  Clipboard: "剪切板",
};

/** The front-end APIs that need an application (all in WeChat's 地理位置 group). */
const INTERFACES: readonly { api_name: string; api_ch_name: string; api_desc: string }[] = [
  {
    api_name: "wx.chooseAddress",
    api_ch_name: "获取用户收货地址",
    api_desc: "调起用户编辑收货地址原生界面",
  },
  {
    api_name: "wx.choosePoi",
    api_ch_name: "选择位置，支持模糊定位和精确定位混选",
    api_desc: "选择位置",
  },
  {
    api_name: "wx.getLocation",
    api_ch_name: "获取当前的地理位置、速度",
    api_desc: "获取当前的地理位置",
  },
  {
    api_name: "wx.onLocationChange",
    api_ch_name: "监听实时地理位置变化事件",
    api_desc: "监听实时地理位置变化",
  },
  {
    api_name: "wx.startLocationUpdate",
    api_ch_name: "开启小程序进入前台时接收位置消息",
    api_desc: "前台接收位置消息",
  },
  {
    api_name: "wx.startLocationUpdateBackground",
    api_ch_name: "开启小程序进入前后台时均接收位置消息",
    api_desc: "前后台接收位置消息",
  },
  { api_name: "wx.chooseLocation", api_ch_name: "打开地图选择位置", api_desc: "打开地图选择位置" },
  {
    api_name: "wx.getFuzzyLocation",
    api_ch_name: "获取模糊地理位置",
    api_desc: "获取模糊地理位置",
  },
];

/** A custom guide may be at most 100 KB. */
const EXT_FILE_LIMIT = 100 * 1024;

function miniProgram(ctx: Ctx): Account {
  const account = ctx.model.authorizedAccount(ctx.token!.appId);
  if (account.kind !== "mini_program") throw new ApiFailure(48001);
  return account;
}

function stateOf(ctx: Ctx, appId: string): PrivacyState {
  let state = ctx.model.privacy.get(appId);
  if (!state) {
    state = { extFiles: new Set(), applications: new Map() };
    ctx.model.privacy.set(appId, state);
  }
  return state;
}

function privacyVer(value: unknown): 1 | 2 {
  if (value === undefined) return 2;
  if (value === 1 || value === 2) return value;
  throw new ApiFailure(86071);
}

function ownerSetting(state: PrivacyState, value: unknown): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiFailure(86069);
  }
  const owner = value as Json;
  const contacts = ["contact_email", "contact_phone", "contact_qq", "contact_weixin"];
  if (str(owner.notice_method) === undefined || !contacts.some((k) => str(owner[k]))) {
    throw new ApiFailure(86069);
  }
  const file = str(owner.ext_file_media_id);
  if (file !== undefined && !state.extFiles.has(file)) throw new ApiFailure(40007);
  return { ...owner };
}

function settingList(value: unknown): Json[] {
  if (!Array.isArray(value)) throw new ApiFailure(47001);
  return value.map((item) => {
    if (
      typeof item !== "object" || item === null || str(item.privacy_key) === undefined ||
      str(item.privacy_text) === undefined
    ) {
      throw new ApiFailure(47001);
    }
    return { privacy_key: item.privacy_key, privacy_text: item.privacy_text };
  });
}

function guideAnswer(guide: PrivacyGuide | undefined, codeExists: boolean): Json {
  const keys = Object.entries(PRIVACY_KEYS).map(([privacy_key, privacy_desc]) => ({
    privacy_key,
    privacy_desc,
  }));
  const empty = {
    contact_email: "",
    contact_phone: "",
    contact_qq: "",
    contact_weixin: "",
    ext_file_media_id: "",
    notice_method: "",
    store_expire_timestamp: "",
  };
  return {
    ...OK,
    // The simulator does not scan committed code for the privacy keys it uses.
    code_exist: codeExists ? 1 : 0,
    privacy_list: [],
    setting_list: guide?.setting_list.map((x) => ({ ...x })) ?? [],
    update_time: guide?.update_time ?? 0,
    owner_setting: { ...empty, ...guide?.owner_setting },
    privacy_desc: { privacy_desc_list: keys },
  };
}

/** Copies the draft guide to the released one (what releasing a version does). */
export function releasePrivacyGuide(state: PrivacyState | undefined): boolean {
  if (!state?.draft) return false;
  state.current = structuredClone(state.draft);
  return true;
}

/** The routes of this area, in the simulator's table. */
export const privacyRoutes: Route[] = [
  serve(privacyApis.setPrivacySetting, (ctx) => {
    const account = miniProgram(ctx);
    const state = stateOf(ctx, account.appId);
    const b = ctx.body;
    const ver = privacyVer(b.privacy_ver);
    const owner = ownerSetting(state, b.owner_setting);
    const update_time = Math.floor(ctx.model.now() / 1000);
    if (ver === 1) {
      if (b.setting_list !== undefined) throw new ApiFailure(47001);
      if (!state.current) throw new ApiFailure(86074);
      // Only owner_setting changes on the released guide, and never its custom file.
      const file = state.current.owner_setting.ext_file_media_id;
      state.current = {
        ...state.current,
        owner_setting: { ...owner, ext_file_media_id: file ?? "" },
        update_time,
      };
      return OK;
    }
    const draft: PrivacyGuide = {
      owner_setting: owner,
      setting_list: settingList(b.setting_list),
      update_time,
    };
    if (Array.isArray(b.sdk_privacy_info_list)) {
      draft.sdk_privacy_info_list = structuredClone(b.sdk_privacy_info_list as Json[]);
    }
    state.draft = draft;
    return OK;
  }),
  serve(privacyApis.getPrivacySetting, (ctx) => {
    const account = miniProgram(ctx);
    const state = stateOf(ctx, account.appId);
    const ver = privacyVer(ctx.body.privacy_ver);
    const committed = ctx.model.code.accounts.get(account.appId)?.experience !== undefined;
    return guideAnswer(ver === 1 ? state.current : state.draft, committed);
  }),
  serve(privacyApis.uploadPrivacyExtFile, (ctx) => {
    const account = miniProgram(ctx);
    const file = ctx.form?.get("file");
    if (!(file instanceof File)) throw new ApiFailure(41005);
    if (!file.name.toLowerCase().endsWith(".txt")) throw new ApiFailure(40006);
    if (file.size > EXT_FILE_LIMIT) throw new ApiFailure(40126);
    if (file.size === 0) throw new ApiFailure(41005);
    const id = String(
      2_112_311_471_891_169_280n + BigInt(ctx.model.privacy.size * 1000) +
        BigInt(Math.floor(Math.random() * 1000)),
    );
    stateOf(ctx, account.appId).extFiles.add(id);
    return { ...OK, ext_file_media_id: id };
  }, { form: true }),
  serve(privacyApis.applyPrivacyInterface, (ctx) => {
    const account = miniProgram(ctx);
    const state = stateOf(ctx, account.appId);
    const b = ctx.body;
    const name = str(b.api_name);
    const content = str(b.content);
    if (name === undefined || content === undefined || content.length > 300) {
      throw new ApiFailure(61034);
    }
    if (!INTERFACES.some((i) => i.api_name === name)) throw new ApiFailure(61035);
    const lists = ["url_list", "pic_list", "video_list"].map((k) => b[k]);
    if (lists.some((x) => x !== undefined && !Array.isArray(x))) throw new ApiFailure(61034);
    const [urls, pics, videos] = lists.map((x) => (x ?? []) as unknown[]);
    // Location APIs need supporting material; pictures at most 10, one video.
    if (urls.length + pics.length + videos.length === 0) throw new ApiFailure(61034);
    if (pics.length > 10 || videos.length > 1) throw new ApiFailure(61034);
    if (videos.some((x) => typeof x !== "string" || !/\.mp4(\?|$)/i.test(x))) {
      throw new ApiFailure(61032);
    }
    if (state.applications.get(name)?.status === 3) throw new ApiFailure(61031);
    const audit_id = 420_000_000 + Math.floor(Math.random() * 9_000_000);
    const apply_time = Math.floor(ctx.model.now() / 1000);
    const application: PrivacyApplication = { audit_id, apply_time, status: 3 };
    state.applications.set(name, application);
    const reason = ctx.model.privacyRefusals.shift();
    const decide = () => {
      application.status = reason === undefined ? 5 : 4;
      if (reason !== undefined) application.fail_reason = reason;
      // The push numbers results its own way: 3 granted, 2 refused (as WeChat's samples show).
      ctx.hooks.authorizerPush(account.appId, {
        Event: "wxa_privacy_apply",
        result_info: {
          api_name: name,
          apply_time,
          audit_id,
          audit_time: Math.floor(ctx.model.now() / 1000),
          reason: reason ?? "",
          status: reason === undefined ? 3 : 2,
        },
      });
    };
    const delay = ctx.model.config.reviewDelayS * 1000;
    if (delay === 0) decide();
    else ctx.model.schedule(ctx.model.now() + delay, decide);
    return { ...OK, audit_id };
  }),
  serve(privacyApis.getPrivacyInterface, (ctx) => {
    const account = miniProgram(ctx);
    const state = stateOf(ctx, account.appId);
    return {
      ...OK,
      interface_list: INTERFACES.map((i) => {
        const a = state.applications.get(i.api_name);
        return {
          ...i,
          status: a?.status ?? 1,
          ...(a ? { apply_time: a.apply_time, audit_id: a.audit_id } : {}),
          ...(a?.fail_reason ? { fail_reason: a.fail_reason } : {}),
          api_link:
            `https://developers.weixin.qq.com/miniprogram/dev/api/location/${i.api_name}.html`,
          group_name: "地理位置",
        };
      }),
    };
  }),
];

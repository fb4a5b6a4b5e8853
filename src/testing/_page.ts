/**
 * The simulated browser-facing pages: WeChat's authorization page (`componentloginpage` on
 * mp.weixin.qq.com, the mobile `bindcomponent` links) and the OAuth-on-behalf `authorize`
 * redirect on open.weixin.qq.com. The page posts its form back to its own URL, so it works
 * under any origin or path prefix the simulator is mounted at.
 *
 * @module
 */

import type { AccountKind, Model } from "./_state.ts";

/** What the pages need from the simulator. */
export interface PageHost {
  model: Model;
  componentAppId: string;
  componentName: string;
  /** When set, the page demands a Referer and a redirect_uri on this domain (or a subdomain). */
  authorizationDomain?: string;
  authorize(options: {
    appId?: string;
    kind: AccountKind;
    funcIds?: number[];
    preAuthCode: string;
  }): Promise<{ authCode: string; expiresIn: number; appId: string }>;
}

/** Paths of the authorization page (PC and both mobile links). */
export const AUTH_PAGE_PATHS: readonly string[] = [
  "/cgi-bin/componentloginpage",
  "/safe/bindcomponent",
  "/wxaopen/safe/bindcomponent",
];
const OAUTH_PATH = "/connect/oauth2/authorize";

const KIND_LABEL: Record<AccountKind, string> = {
  official_account: "公众号 / Official Account",
  mini_program: "小程序 / Mini Program",
};

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

function html(title: string, body: string, status = 200): Response {
  const page = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f7f7f7;margin:0;color:#191919}
main{max-width:420px;margin:40px auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 4px #0001}
h1{font-size:20px;margin:0 0 8px}.sim{font-size:12px;color:#888;margin:0 0 16px}
label{display:block;padding:10px;border:1px solid #e5e5e5;border-radius:6px;margin:8px 0;cursor:pointer}
ul{padding-left:20px}button{width:100%;padding:12px;margin-top:16px;border:0;border-radius:6px;background:#07c160;color:#fff;font-size:16px;cursor:pointer}
.error{color:#fa5151}
</style>
</head>
<body><main>
<p class="sim">微信模拟器 · WeChat simulator (not WeChat)</p>
${body}
</main></body>
</html>`;
  return new Response(page, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

function errorPage(message: string): Response {
  return html(
    "授权失败 / Authorization failed",
    `<h1>授权失败 / Authorization failed</h1><p class="error" id="error">${
      escapeHtml(message)
    }</p>`,
    400,
  );
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith("." + domain);
}

interface PageParams {
  componentAppId: string | null;
  preAuthCode: string | null;
  redirectUri: string | null;
  authType: string | null;
  bizAppId: string | null;
  categoryIds: string | null;
}

interface Validated {
  kinds: AccountKind[];
  bizAppId?: string;
  funcIds?: number[];
  redirect: URL;
  preAuthCode: string;
}

function validate(host: PageHost, p: PageParams): Validated | string {
  if (!p.componentAppId) return "缺少 component_appid / component_appid is missing";
  if (p.componentAppId !== host.componentAppId) {
    return "component_appid 无效 / component_appid is not a registered third-party platform";
  }
  const problem = host.model.preAuthCodeProblem(p.preAuthCode);
  if (problem) return problem;
  if (!p.redirectUri) return "缺少 redirect_uri / redirect_uri is missing";
  let redirect: URL;
  try {
    redirect = new URL(p.redirectUri);
  } catch {
    return "redirect_uri 无效 / redirect_uri is not a URL";
  }
  if (redirect.protocol !== "https:" && redirect.protocol !== "http:") {
    return "redirect_uri 无效 / redirect_uri is not an http(s) URL";
  }
  if (host.authorizationDomain && !domainMatches(redirect.hostname, host.authorizationDomain)) {
    return "redirect_uri 的域名与授权发起页域名不一致 / redirect_uri is not on the registered domain";
  }
  let kinds: AccountKind[];
  switch (p.authType ?? "") {
    case "":
    case "3":
    case "6":
      kinds = ["official_account", "mini_program"];
      break;
    case "1":
      kinds = ["official_account"];
      break;
    case "2":
      kinds = ["mini_program"];
      break;
    case "4":
    case "5":
    case "8":
      return "该授权类型未被模拟 / this auth_type (Channels/Promoter accounts) is not simulated";
    default:
      return "auth_type 无效 / auth_type is invalid";
  }
  let bizAppId: string | undefined;
  if (p.bizAppId) {
    const account = host.model.accounts.get(p.bizAppId);
    if (!account) return "biz_appid 无效 / biz_appid is unknown";
    bizAppId = account.appId;
    kinds = [account.kind];
  }
  let funcIds: number[] | undefined;
  if (p.categoryIds) {
    funcIds = p.categoryIds.split("|").map((s) => Number(s));
    if (funcIds.some((n) => !Number.isInteger(n) || n <= 0)) {
      return "category_id_list 无效 / category_id_list is invalid";
    }
  }
  return { kinds, bizAppId, funcIds, redirect, preAuthCode: p.preAuthCode! };
}

function readParams(fields: URLSearchParams): PageParams {
  return {
    componentAppId: fields.get("component_appid"),
    preAuthCode: fields.get("pre_auth_code"),
    redirectUri: fields.get("redirect_uri"),
    authType: fields.get("auth_type"),
    bizAppId: fields.get("biz_appid"),
    categoryIds: fields.get("category_id_list"),
  };
}

function renderForm(host: PageHost, v: Validated, fields: URLSearchParams): Response {
  const hidden = [
    "component_appid",
    "pre_auth_code",
    "redirect_uri",
    "auth_type",
    "biz_appid",
    "category_id_list",
  ]
    .filter((k) => fields.get(k))
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(fields.get(k)!)}">`).join(
      "\n",
    );
  const choices: string[] = [];
  const accounts = [...host.model.accounts.values()].filter((a) =>
    v.bizAppId ? a.appId === v.bizAppId : v.kinds.includes(a.kind)
  );
  for (const a of accounts) {
    choices.push(
      `<label><input type="radio" name="account" value="${escapeHtml(a.appId)}"> ${
        escapeHtml(a.nickName)
      } (${escapeHtml(a.appId)}, ${KIND_LABEL[a.kind]})</label>`,
    );
  }
  if (!v.bizAppId) {
    for (const kind of v.kinds) {
      choices.push(
        `<label><input type="radio" name="account" value="new:${kind}"> 新${
          KIND_LABEL[kind].replace(" / ", "账号 / New ")
        }</label>`,
      );
    }
  }
  // Preselect the first choice so a single click authorizes.
  choices[0] = choices[0].replace('type="radio"', 'type="radio" checked');
  const body = `<h1>授权给 ${escapeHtml(host.componentName)}</h1>
<p>Authorize third-party platform <b>${
    escapeHtml(host.componentAppId)
  }</b> to manage your account.</p>
<p>将获得以下权限 / Permissions: 消息管理、账号服务、素材管理 …</p>
<form method="post" id="authorize-form">
${hidden}
${choices.join("\n")}
<button type="submit" id="authorize">授权 / Authorize</button>
</form>`;
  return html("公众平台账号授权 / Authorize", body);
}

/** Answers a page request, or `null` when `path` is no page of the simulator. */
export async function handlePage(
  host: PageHost,
  request: Request,
  path: string,
  query: URLSearchParams,
): Promise<Response | null> {
  if (path === OAUTH_PATH) return oauthAuthorize(host, request, query);
  if (!AUTH_PAGE_PATHS.includes(path)) return null;
  const fields = new URLSearchParams(query);
  if (request.method === "POST") {
    const form = new URLSearchParams(await request.text());
    for (const [k, val] of form) fields.set(k, val);
  } else if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405 });
  }
  const v = validate(host, readParams(fields));
  if (typeof v === "string") return errorPage(v);
  if (request.method !== "POST") {
    if (host.authorizationDomain) {
      const referer = request.headers.get("referer");
      let refererHost = "";
      try {
        refererHost = referer ? new URL(referer).hostname : "";
      } catch { /* treated as missing */ }
      if (!domainMatches(refererHost, host.authorizationDomain)) {
        return errorPage(
          "请确认授权入口页所在域名与授权发起页域名相同 / the page must be opened from the registered domain",
        );
      }
    }
    return renderForm(host, v, fields);
  }
  const choice = fields.get("account") ??
    (v.bizAppId ?? (v.kinds.length === 1 ? `new:${v.kinds[0]}` : null));
  if (!choice) return errorPage("请选择要授权的账号 / choose an account");
  let appId: string | undefined;
  let kind: AccountKind;
  if (choice.startsWith("new:")) {
    kind = choice.slice(4) as AccountKind;
    if (!v.kinds.includes(kind) || v.bizAppId) return errorPage("账号类型无效 / invalid account");
  } else {
    const account = host.model.accounts.get(choice);
    if (!account || !v.kinds.includes(account.kind) || (v.bizAppId && v.bizAppId !== choice)) {
      return errorPage("账号无效 / invalid account");
    }
    appId = account.appId;
    kind = account.kind;
  }
  const result = await host.authorize({
    appId,
    kind,
    funcIds: v.funcIds,
    preAuthCode: v.preAuthCode,
  });
  const target = new URL(v.redirect);
  target.searchParams.set("auth_code", result.authCode);
  target.searchParams.set("expires_in", String(result.expiresIn));
  return new Response(null, { status: 302, headers: { location: target.href } });
}

function oauthAuthorize(host: PageHost, request: Request, q: URLSearchParams): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405 });
  }
  if (q.get("component_appid") !== host.componentAppId) {
    return errorPage("component_appid 无效 / component_appid is invalid");
  }
  const account = host.model.accounts.get(q.get("appid") ?? "");
  if (!account || !account.authorized || account.kind !== "official_account") {
    return errorPage("appid 无效或未授权 / appid is not an authorized Official Account");
  }
  const scope = q.get("scope") ?? "";
  if (!scope.split(",").every((s) => s === "snsapi_base" || s === "snsapi_userinfo")) {
    return errorPage("scope 参数错误 / scope is invalid");
  }
  if (q.get("response_type") !== "code") {
    return errorPage("response_type 参数错误 / response_type must be code");
  }
  const state = q.get("state");
  if (state !== null && new TextEncoder().encode(state).length > 128) {
    return errorPage("state 参数过长 / state is longer than 128 bytes");
  }
  let target: URL;
  try {
    target = new URL(q.get("redirect_uri") ?? "");
  } catch {
    return errorPage("redirect_uri 参数错误 / redirect_uri is invalid");
  }
  const code = host.model.issueUserCode("oauth", account.appId, account.defaultOpenId, scope);
  target.searchParams.set("code", code);
  if (state !== null) target.searchParams.set("state", state);
  target.searchParams.set("appid", account.appId);
  return new Response(null, { status: 302, headers: { location: target.href } });
}

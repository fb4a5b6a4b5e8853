/**
 * The few HTML pages a merchant sees: the authorization page (a link to WeChat's authorization
 * page, PC or mobile), the result page and the error page. Chinese or English by
 * `Accept-Language`; everything interpolated is escaped.
 *
 * @module
 */

/** Page language. */
export type Lang = "zh" | "en";

/** Picks zh or en from an `Accept-Language` header (first of the two to appear wins; default zh). */
export function pickLang(acceptLanguage: string | undefined): Lang {
  if (!acceptLanguage) return "zh";
  for (const part of acceptLanguage.toLowerCase().split(",")) {
    const tag = part.trim().split(";")[0];
    if (tag.startsWith("zh")) return "zh";
    if (tag.startsWith("en")) return "en";
  }
  return "zh";
}

/** True for a phone or tablet browser, including WeChat's in-app browser. */
export function isMobile(userAgent: string | undefined): boolean {
  return /Mobile|Android|iPhone|iPad|MicroMessenger/i.test(userAgent ?? "");
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const TEXT = {
  zh: {
    title: "授权公众号或小程序",
    lead: "点击下方按钮，使用公众号或小程序管理员的微信确认授权。",
    leadMobile: "点击下方按钮，在微信中确认授权。",
    button: "前往微信授权",
    note: "授权链接 10 分钟内有效，仅可使用一次；过期请刷新本页。",
    okTitle: "授权成功",
    ok: (name: string) => `${name} 已授权本平台。`,
    failTitle: "授权未完成",
  },
  en: {
    title: "Authorize your Official Account or Mini Program",
    lead: "Click the button below, then confirm with the administrator's WeChat.",
    leadMobile: "Tap the button below and confirm in WeChat.",
    button: "Authorize in WeChat",
    note: "The link is valid for 10 minutes and works once; reload this page if it expired.",
    okTitle: "Authorization complete",
    ok: (name: string) => `${name} has authorized this platform.`,
    failTitle: "Authorization not completed",
  },
} as const;

function layout(lang: Lang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="origin">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f7;color:#1f2329}
main{max-width:32rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px}
a.button{display:inline-block;padding:.8rem 1.6rem;background:#07c160;color:#fff;border-radius:8px;text-decoration:none}
.note{color:#646a73;font-size:.85rem}
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

/** The authorization page: one link to WeChat's authorization page. */
export function authorizePage(lang: Lang, link: string, mobile: boolean): string {
  const t = TEXT[lang];
  return layout(
    lang,
    t.title,
    `<h1>${t.title}</h1>
<p>${mobile ? t.leadMobile : t.lead}</p>
<p><a id="authorize" class="button" href="${escapeHtml(link)}">${t.button}</a></p>
<p class="note">${t.note}</p>`,
  );
}

/** The result page after a successful authorization. */
export function resultPage(lang: Lang, appId: string, name: string | undefined): string {
  const t = TEXT[lang];
  return layout(
    lang,
    t.okTitle,
    `<h1 id="result">${t.okTitle}</h1>
<p>${escapeHtml(t.ok(name ?? appId))}</p>
<p>AppID: <code id="appid">${escapeHtml(appId)}</code></p>`,
  );
}

/**
 * What the merchant is told for an error code, in the page's language (`undefined`: the error's
 * own message). These are the failures a merchant can meet and act on.
 */
const MESSAGES: Record<string, [zh: string, en: string, startOver?: true]> = {
  ticket_missing: [
    "平台正在等待微信推送 component_verify_ticket（微信每 10 分钟推送一次），请几分钟后刷新本页重试。",
    "The platform is waiting for WeChat's component_verify_ticket (WeChat pushes one every 10 minutes). Please reload this page in a few minutes.",
  ],
  invalid_state: [
    "本次授权不是在这个浏览器中发起的，或已超过 30 分钟。",
    "This authorization was not started in this browser, or it expired.",
    true,
  ],
  state_used: [
    "本次授权已经完成，不能再次使用。",
    "This authorization was already completed.",
    true,
  ],
  code_used: ["该授权码已被使用。", "This authorization code was already used.", true],
};

/** What ends every message of a step that must be started again. */
const START_OVER: Record<Lang, string> = {
  zh: "请回到授权页重新发起。",
  en: " Please start again from the authorization page.",
};

/** The message shown for an error `code` in `lang`, or `fallback`. */
export function errorMessage(lang: Lang, code: string, fallback: string): string {
  const entry = MESSAGES[code];
  if (!entry) return fallback;
  return entry[lang === "zh" ? 0 : 1] + (entry[2] ? START_OVER[lang] : "");
}

/** A page for a failed step; `message` is shown escaped. */
export function errorPage(lang: Lang, message: string): string {
  const t = TEXT[lang];
  return layout(
    lang,
    t.failTitle,
    `<h1 id="error">${t.failTitle}</h1><p>${escapeHtml(message)}</p>`,
  );
}

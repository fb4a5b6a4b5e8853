/**
 * The releases dashboard, `GET /releases`: one static page and its script (`/releases/app.js`).
 * The page asks for the admin token in a form and keeps it in `sessionStorage` (this tab only,
 * never in a URL or a cookie); the script reads `/api/v1/releases…` with it as a Bearer token
 * and draws every release with a bar per state, and a release's targets with their states,
 * times and reasons. Data is written with `textContent` only, and the CSP allows only this
 * origin's script.
 *
 * @module
 */

import { Hono } from "hono/tiny";
import { TARGET_STATES } from "../../src/release/mod.ts";
import type { AppEnv } from "../context.ts";

const COLORS: Record<string, string> = {
  pending: "#c9cdd4",
  syncing: "#86909c",
  committing: "#4e5969",
  waiting_quota: "#f7ba1e",
  submitting: "#3491fa",
  auditing: "#165dff",
  audited: "#722ed1",
  releasing: "#0fc6c2",
  released: "#00b42a",
  gray_released: "#7be188",
  rejected: "#f53f3f",
  failed: "#cb2634",
  cancelled: "#a9aeb8",
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Releases</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:1rem;color:#1f2329}
.bar{display:flex;height:14px;border-radius:4px;overflow:hidden;background:#f2f3f5;margin:.3rem 0}
.bar span{display:block;height:100%}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border-bottom:1px solid #e5e6eb;padding:.3rem;text-align:left}
.release{padding:.5rem;border:1px solid #e5e6eb;border-radius:6px;margin:.5rem 0;cursor:pointer}
.legend span{display:inline-block;margin-right:.8rem;font-size:.8rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.2rem;vertical-align:middle}
#error{color:#cb2634}
</style></head>
<body><h1>Releases</h1>
<form id="login"><label>Admin token <input id="token" type="password" autocomplete="off" required></label>
<button type="submit">Show releases</button></form>
<p id="error" role="alert"></p>
<div id="app" hidden><p class="legend" id="legend"></p><button id="logout" type="button">Forget token</button>
<div id="releases"></div><section id="detail" hidden><h2 id="detail-title"></h2><div id="detail-bar" class="bar"></div>
<p id="detail-counts"></p><table><thead><tr><th>appid</th><th>state</th><th>updated</th><th>audit id</th>
<th>calls</th><th>reason</th><th>WeChat's audit reason</th></tr></thead><tbody id="targets"></tbody></table></section></div>
<script src="/releases/app.js"></script></body></html>`;

const SCRIPT = `"use strict";
const STATES = ${JSON.stringify(TARGET_STATES)}, COLORS = ${JSON.stringify(COLORS)};
const $ = (id) => document.getElementById(id);
let selected = null, timer = null;
const el = (tag, text, attrs) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v); return e; };
function bar(node, r) { node.replaceChildren(); for (const s of STATES) { const n = r.counts[s]; if (!n) continue;
  const span = el("span", undefined, { title: s + ": " + n, "data-state": s });
  span.style.width = (100 * n / r.total) + "%"; span.style.background = COLORS[s]; node.append(span); } }
const counts = (r) => STATES.filter((s) => r.counts[s]).map((s) => s + " " + r.counts[s]).join(" · ");
async function api(path) {
  const res = await fetch(path, { headers: { authorization: "Bearer " + sessionStorage.getItem("wxopen-admin-token") } });
  if (res.status === 401) { logout(); throw new Error("The admin token was refused"); }
  if (!res.ok) throw new Error("HTTP " + res.status);
  return res.json();
}
async function refresh() {
  try {
    const { releases } = await api("/api/v1/releases");
    const list = $("releases"); list.replaceChildren();
    for (const r of releases) {
      const box = el("div", undefined, { class: "release", "data-id": r.id });
      box.append(el("strong", r.user_version + " (template " + r.template_id + ")"), el("span", " " + r.id + (r.settled ? " · settled" : "")));
      const b = el("div", undefined, { class: "bar" }); bar(b, r); box.append(b, el("small", counts(r)));
      box.onclick = () => { selected = r.id; refresh(); }; list.append(box);
    }
    if (!selected && releases.length) selected = releases[0].id;
    if (selected) {
      const r = await api("/api/v1/releases/" + encodeURIComponent(selected));
      $("detail").hidden = false; $("detail-title").textContent = r.user_version + " · " + r.id;
      bar($("detail-bar"), r); $("detail-counts").textContent = counts(r) + " · " + r.total + " targets · " + r.calls + " calls";
      const body = $("targets"); body.replaceChildren();
      for (const t of r.targets) { const tr = el("tr", undefined, { "data-appid": t.appid });
        for (const v of [t.appid, t.state, t.updated_at, t.auditid ?? "", t.calls, t.reason ?? "", t.audit_reason ?? ""]) tr.append(el("td", v));
        body.append(tr); }
    }
    $("error").textContent = "";
  } catch (e) { $("error").textContent = e.message; }
}
function show() { $("login").hidden = true; $("app").hidden = false; refresh(); timer = setInterval(refresh, 3000); }
function logout() { sessionStorage.removeItem("wxopen-admin-token"); clearInterval(timer); $("app").hidden = true; $("login").hidden = false; }
$("legend").append(...STATES.map((s) => { const x = el("span", s); const i = el("i"); i.style.background = COLORS[s]; x.prepend(i); return x; }));
$("login").onsubmit = (ev) => { ev.preventDefault(); sessionStorage.setItem("wxopen-admin-token", $("token").value); $("token").value = ""; show(); };
$("logout").onclick = logout;
if (sessionStorage.getItem("wxopen-admin-token")) show();
`;

const SECURITY = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The dashboard (mounted at `/releases`). */
export function releasePageRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", (c) => c.html(PAGE, 200, SECURITY));
  app.get(
    "/app.js",
    (c) => c.body(SCRIPT, 200, { ...SECURITY, "content-type": "text/javascript; charset=utf-8" }),
  );
  return app;
}

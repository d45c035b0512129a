// Optiq web UI: one page, views chosen by the URL fragment (#/search,
// #/file?..., #/account, ...). Every element is built with the DOM API
// (never from HTML strings), so names and decrypted code from the server
// or the repo cannot inject markup. Code is decrypted here, in the
// browser, with keys that never leave it (crypto.js).

import * as seal from "./crypto.js";

const API = "/api/v1";
const state = { me: null, csrf: "", ws: "", repos: new Map(), reposWs: "" };

// ---------- DOM helpers ----------

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const main = () => document.getElementById("main");

function show(title, ...content) {
  const m = main();
  m.replaceChildren(...content.filter((c) => c !== null && c !== undefined && c !== false));
  document.title = title ? `${title} · Optiq` : "Optiq";
  for (const a of document.querySelectorAll("#nav a")) {
    const here = location.hash.startsWith(a.getAttribute("href"));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// field builds a labelled input with an error slot the server's messages go to.
let fieldSeq = 0;
function field(label, input, hint) {
  const id = input.id || `f${++fieldSeq}`;
  input.id = id;
  const err = h("p", { class: "err", id: `${id}-err`, "aria-live": "polite" });
  input.setAttribute("aria-describedby", `${id}-err${hint ? ` ${id}-hint` : ""}`);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "muted", id: `${id}-hint` }, hint) : null, err);
}

function clearErrors(form) {
  for (const e of form.querySelectorAll(".err")) e.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

// showError puts a server error next to the field it names (the API's
// problem details name the field first: "email and password are
// required", "invalid workspace role ..."), else under the form.
function showError(form, err) {
  const msg = err.message || String(err);
  const lower = msg.toLowerCase();
  let target = null;
  for (const input of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    const names = [input.name, ...(input.dataset.aliases || "").split(",").filter(Boolean), ...(input.type === "email" ? ["e-mail"] : [])];
    if (names.some((n) => new RegExp(`\\b${n.replace(/_/g, "[ _]")}\\b`).test(lower))) {
      target = input;
      break;
    }
  }
  if (target) {
    target.setAttribute("aria-invalid", "true");
    document.getElementById(`${target.id}-err`).textContent = msg;
    target.focus();
    return;
  }
  const slot = form.querySelector(".form-err");
  if (slot) slot.textContent = msg;
}

// ---------- API ----------

export class APIError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.code = problem.code || "";
    this.status = status;
    this.requestId = problem.request_id || "";
  }
}

async function api(method, path, body, { retry = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const res = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
  });
  if (res.status === 204) return null;
  const ct = res.headers.get("Content-Type") || "";
  const data = ct.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const e = new APIError(typeof data === "object" ? data : { detail: data }, res.status);
    if (e.code === "reauth_required" && retry) {
      await reauthenticate();
      return api(method, path, body, { retry: false });
    }
    if (e.code === "unauthenticated" && !path.includes("auth/")) {
      state.me = null;
      location.hash = "#/signin";
    }
    throw e;
  }
  return data;
}

const wsPath = (rest) => `workspaces/${encodeURIComponent(state.ws)}/${rest}`;

// reauthenticate asks for the password (and code) in a dialog and renews
// the session's sign-in time; it rejects if the user cancels.
function reauthenticate() {
  const dlg = document.getElementById("reauth");
  const form = document.getElementById("reauth-form");
  clearErrors(form);
  form.reset();
  return new Promise((resolve, reject) => {
    const cancel = () => {
      cleanup();
      dlg.close();
      reject(new Error("cancelled: the action needs you to confirm your password"));
    };
    const submit = async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const code = form.code.value.trim();
      try {
        await api("POST", "auth/reauth", { password: form.password.value, ...(code ? { code } : {}) }, { retry: false });
        await refreshCSRF();
        cleanup();
        dlg.close();
        resolve();
      } catch (e) {
        const slot = document.getElementById(/code/i.test(e.message) ? "reauth-code-err" : /password|credential/i.test(e.message) ? "reauth-password-err" : "reauth-err");
        slot.textContent = e.message;
      }
    };
    const cleanup = () => {
      form.removeEventListener("submit", submit);
      document.getElementById("reauth-cancel").removeEventListener("click", cancel);
      dlg.removeEventListener("cancel", cancel);
    };
    form.addEventListener("submit", submit);
    document.getElementById("reauth-cancel").addEventListener("click", cancel);
    dlg.addEventListener("cancel", cancel);
    dlg.showModal();
    form.password.focus();
  });
}

// confirmAction asks before an action that cannot be undone; it resolves
// to true only when the user picks the action's button.
function confirmAction(text, label) {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-yes").textContent = label;
  dlg.returnValue = "";
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "yes"), { once: true });
    dlg.showModal();
  });
}

async function refreshCSRF() {
  const r = await api("GET", "auth/csrf");
  state.csrf = r.csrf_token || "";
}

async function loadMe() {
  const csrf = api("GET", "auth/csrf").catch(() => ({ csrf_token: "" }));
  try {
    state.me = await api("GET", "me");
  } catch (e) {
    if (e.code === "unauthenticated") {
      state.me = null;
      return null;
    }
    throw e;
  }
  state.csrf = (await csrf).csrf_token || "";
  const wss = state.me.workspaces || [];
  const saved = sessionStorage.getItem("optiq.ws");
  if (!wss.some((w) => w.id === state.ws)) {
    state.ws = (wss.find((w) => w.id === saved) || wss.find((w) => w.personal) || wss[0] || {}).id || "";
  }
  chrome();
  return state.me;
}

// chrome fills in the header for the signed-in user.
function chrome() {
  const signedIn = !!state.me;
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  if (!signedIn) return;
  document.querySelector("#nav [data-admin]").hidden = state.me.role !== "admin";
  document.getElementById("who-email").textContent = state.me.email;
  const pick = document.getElementById("ws-picker");
  pick.replaceChildren(...(state.me.workspaces || []).map((w) => h("option", { value: w.id, selected: w.id === state.ws }, w.personal && w.name !== "personal" ? `${w.name} (personal)` : w.name)));
}

// repos lists the workspace's repos, fetched once per workspace (callers
// at the same time share one request) unless forced.
let reposLoading = null;
async function repos(force = false) {
  if (!force && state.reposWs === state.ws) return [...state.repos.values()];
  if (!force && reposLoading && reposLoading.ws === state.ws) return reposLoading.p;
  const ws = state.ws;
  const p = api("GET", wsPath("repos")).then((r) => {
    if (state.ws === ws) {
      state.repos = new Map((r.repos || []).map((x) => [x.id, x]));
      state.reposWs = ws;
    }
    return r.repos || [];
  }).finally(() => {
    if (reposLoading && reposLoading.p === p) reposLoading = null;
  });
  reposLoading = { ws, p };
  return p;
}

// ---------- sign-in ----------

function viewSignIn() {
  const email = h("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { novalidate: true, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Optiq"),
    field("Email", email), field("Password", password),
    h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  // The SSO button only when an SSO connection is enabled.
  fetch(`${API}/ui/config`).then((r) => r.json()).then((cfg) => {
    if (cfg.sso) form.append(h("p", { id: "sso" }, h("a", { href: "/sso/login?next=/", class: "button" }, "Sign in with SSO")));
  }).catch(() => {});
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const res = await api("POST", "auth/login", { email: email.value.trim(), password: password.value, session: true });
      if (res.mfa_required) return viewMFAStep(res);
      await signedIn(res);
    } catch (e) {
      showError(form, e);
    }
  });
  show("Sign in", form);
  email.focus();
}

function viewMFAStep(login) {
  const methods = login.methods && login.methods.length ? login.methods : ["totp"];
  const labels = { totp: "Authenticator app code", sms: "Code sent by SMS", backup: "Backup code" };
  const method = h("select", { name: "method" }, methods.map((m) => h("option", { value: m }, labels[m] || m)));
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const sms = h("button", { type: "button", hidden: !methods.includes("sms") }, "Send me a code by SMS");
  const form = h("form", { novalidate: true, "aria-labelledby": "mfa-title" },
    h("h1", { id: "mfa-title" }, "Two-factor authentication"),
    field("Method", method), field("Code", code),
    h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Verify"), sms));
  sms.addEventListener("click", async () => {
    clearErrors(form);
    try {
      await api("POST", "auth/login/sms", { challenge: login.challenge });
      form.querySelector(".form-err").textContent = "";
      code.focus();
    } catch (e) {
      showError(form, e);
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const res = await api("POST", "auth/login/mfa", { challenge: login.challenge, method: method.value, code: code.value.trim(), session: true });
      await signedIn(res);
    } catch (e) {
      if (e.code === "unauthenticated" && /challenge/i.test(e.message)) {
        showError(form, new Error(`${e.message} Start again from the sign-in page.`));
        return;
      }
      showError(form, e);
    }
  });
  show("Two-factor authentication", form);
  code.focus();
}

async function signedIn(res) {
  state.csrf = res.csrf_token || "";
  await loadMe();
  location.hash = res.enrol_required ? "#/account" : "#/search";
  route();
}

async function logout() {
  try {
    await api("POST", "auth/logout");
  } catch {
    // Signed out already.
  }
  state.me = null;
  state.csrf = "";
  state.reposWs = "";
  chrome();
  location.hash = "#/signin";
}

// ---------- search ----------

const KINDS = ["function", "method", "class", "struct", "interface", "enum", "type", "field", "constant", "variable", "macro", "package", "file"];
const LANGS = ["bash", "c", "cpp", "csharp", "go", "java", "javascript", "kotlin", "lua", "php", "python", "ruby", "rust", "scala", "swift", "tsx", "typescript"];

let searchSeq = 0;

async function viewSearch(params) {
  const q = h("input", { type: "search", name: "q", id: "q", autocomplete: "off", spellcheck: "false", placeholder: "HandleRequest  sym:Render  path:cmd/  lang:go  kind:function  -test", value: params.get("q") || "" });
  const repo = h("select", { name: "repo", id: "f-repo" }, h("option", { value: "" }, "All repos"));
  const lang = h("select", { name: "lang", id: "f-lang" }, h("option", { value: "" }, "Any language"), LANGS.map((l) => h("option", { value: l }, l)));
  const kind = h("select", { name: "kind", id: "f-kind" }, h("option", { value: "" }, "Any kind"), KINDS.map((k) => h("option", { value: k }, k)));
  const status = h("p", { id: "search-status", class: "muted", role: "status", "aria-live": "polite" });
  const list = h("ol", { class: "results", id: "results", "aria-label": "Results" });
  const form = h("form", { role: "search", class: "searchbar", novalidate: true },
    h("label", { for: "q", class: "sr" }, "Search code"), q,
    h("div", { class: "filters" },
      h("div", { class: "field" }, h("label", { for: "f-repo" }, "Repo"), repo),
      h("div", { class: "field" }, h("label", { for: "f-lang" }, "Language"), lang),
      h("div", { class: "field" }, h("label", { for: "f-kind" }, "Kind"), kind)),
    h("p", { class: "err form-err", role: "alert" }));
  const banner = h("div", { id: "key-banner", class: "banner", role: "alert", hidden: true });
  show("Search", h("h1", { class: "sr" }, "Search"), form, status, banner, list);
  for (const [sel, key] of [[repo, "repo"], [lang, "lang"], [kind, "kind"]]) sel.value = params.get(key) || "";
  if (!state.ws) {
    status.textContent = "You are not a member of any workspace yet: create one on the Workspaces page.";
    return;
  }
  repos().then((rs) => {
    for (const r of rs) repo.append(h("option", { value: r.name }, r.name));
    repo.value = params.get("repo") || "";
  }).catch((e) => showError(form, e));

  let timer = 0;
  const run = () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(q.value, repo.value, lang.value, kind.value, status, list, form), 200);
  };
  q.addEventListener("input", run);
  // Keyboard: Down from the box goes to the results, Up and Down move
  // between them, Escape returns to the box; Enter opens (a plain link).
  const links = () => [...list.querySelectorAll("a.name")];
  q.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && links().length) {
      ev.preventDefault();
      links()[0].focus();
    }
  });
  list.addEventListener("keydown", (ev) => {
    const all = links();
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    if (ev.key === "ArrowDown" && i + 1 < all.length) all[i + 1].focus();
    else if (ev.key === "ArrowUp") (i > 0 ? all[i - 1] : q).focus();
    else if (ev.key === "Escape") q.focus();
    else return;
    ev.preventDefault();
  });
  for (const s of [repo, lang, kind]) s.addEventListener("change", run);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    runSearch(q.value, repo.value, lang.value, kind.value, status, list, form);
  });
  q.focus();
  // A search URL (a link, a reload) runs at once, without the typing delay.
  if (q.value || repo.value || lang.value || kind.value) runSearch(q.value, repo.value, lang.value, kind.value, status, list, form);
}

async function runSearch(text, repo, lang, kind, status, list, form) {
  const seq = ++searchSeq;
  const parts = [text.trim()];
  if (lang) parts.push(`lang:${lang}`);
  if (kind) parts.push(`kind:${kind}`);
  const query = parts.filter(Boolean).join(" ");
  const params = new URLSearchParams();
  if (text.trim()) params.set("q", text.trim());
  for (const [k, v] of [["repo", repo], ["lang", lang], ["kind", kind]]) if (v) params.set(k, v);
  history.replaceState(null, "", `#/search${params.toString() ? `?${params}` : ""}`);
  form.querySelector(".form-err").textContent = "";
  if (!query && !repo) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  status.textContent = "Searching…";
  const started = performance.now();
  try {
    const u = new URLSearchParams({ q: query, limit: "50" });
    if (repo) u.set("repo", repo);
    const res = await api("GET", wsPath(`search?${u}`));
    const fetched = performance.now();
    if (seq !== searchSeq) return;
    const results = res.results || [];
    await repos();
    const items = await Promise.all(results.map(renderResult));
    if (seq !== searchSeq) return;
    list.replaceChildren(...items);
    // One message per repo whose key this browser lacks or has wrong.
    const problems = new Map();
    for (const li of items) if (li.dataset.keyProblem) problems.set(li.dataset.repo, li.dataset.keyProblem);
    const banner = document.getElementById("key-banner");
    banner.replaceChildren(...[...problems.values()].map((m) => h("p", {}, m)));
    banner.hidden = problems.size === 0;
    const ms = Math.round(performance.now() - started);
    status.textContent = results.length ? `${results.length} result${results.length === 1 ? "" : "s"} in ${ms} ms` : "No results.";
    status.dataset.apiMs = String(Math.round(fetched - started));
    status.dataset.ms = String(ms);
    performance.mark("optiq:results");
  } catch (e) {
    if (seq !== searchSeq) return;
    list.replaceChildren();
    status.textContent = "";
    form.querySelector(".form-err").textContent = e.message;
  }
}

function fileHref(r, line) {
  const p = new URLSearchParams({ repo: r.repo_id, path: r.path });
  if (line) p.set("line", String(line));
  return `#/file?${p}`;
}

// keyFor returns a repo's content key or throws a KeyError that says what
// to do.
// Keys read from IndexedDB are kept for the life of the page (opening the
// database for every result costs more than decrypting it).
const keyCache = new Map();

async function keyFor(repoId) {
  if (!keyCache.has(repoId)) keyCache.set(repoId, seal.loadKey(repoId));
  const key = await keyCache.get(repoId);
  if (!key) keyCache.delete(repoId);
  if (!key) {
    const name = (state.repos.get(repoId) || {}).name || repoId;
    throw new seal.KeyError(`No key for repo ${name} in this browser: run \`optiq key export ${name}\` and paste the output on the Keys page.`);
  }
  return key;
}

async function renderResult(r) {
  const head = h("div", { class: "head" },
    h("span", { class: "kind" }, r.kind),
    h("a", { href: fileHref(r, r.kind === "file" ? 0 : r.line), class: "name" }, r.container ? `${r.container}.${r.name}` : r.name),
    h("span", { class: "loc" }, `${r.repo} ${r.path}${r.line ? `:${r.line}` : ""}`),
    r.language ? h("span", { class: "muted" }, r.language) : null);
  const li = h("li", {}, head);
  if (!r.signature && !r.doc) return li;
  let key;
  try {
    key = await keyFor(r.repo_id);
    if (r.signature) li.append(h("pre", { class: "sig" }, h("code", {}, await seal.openText(key, r.repo_id, r.path, seal.symbolField("sig", r.name, r.line), r.signature))));
    if (r.doc) li.append(h("p", { class: "doc" }, await seal.openText(key, r.repo_id, r.path, seal.symbolField("doc", r.name, r.line), r.doc)));
  } catch (e) {
    li.dataset.repo = r.repo_id;
    li.dataset.keyProblem = !(e instanceof seal.KeyError) ? `Could not decrypt: ${e.message}`
      : key ? `The key of repo ${r.repo} in this browser does not open its data (a wrong key, or the repo was created again): run \`optiq key export ${r.repo}\` and import the output on the Keys page again.`
        : e.message;
    li.append(h("p", { class: "muted key-err" }, `Signature and doc not shown: no usable key for ${r.repo} in this browser.`));
  }
  return li;
}

// ---------- file view ----------

const HL = { bash: "bash", c: "c", cpp: "cpp", csharp: "csharp", go: "go", java: "java", javascript: "javascript", kotlin: "kotlin", lua: "lua", php: "php", python: "python", ruby: "ruby", rust: "rust", scala: "scala", swift: "swift", typescript: "typescript", tsx: "typescript", json: "json", yaml: "yaml", xml: "xml", css: "css", sql: "sql", markdown: "markdown" };

async function highlighter(language) {
  const name = HL[language];
  if (!name) return null;
  const [{ default: hljs }, { default: grammar }] = await Promise.all([
    import("./vendor/highlight/core.min.js"), import(`./vendor/highlight/languages/${name}.min.js`)]);
  if (!hljs.getLanguage(name)) hljs.registerLanguage(name, grammar);
  return (text) => hljs.highlight(text, { language: name, ignoreIllegals: true }).value;
}

// highlightedLines turns highlight.js output (HTML with span tokens, its
// text escaped by highlight.js) into one DOM fragment per line, closing and
// reopening spans that cross line ends. The HTML is parsed inertly with
// DOMParser, never assigned to a live element.
function highlightedLines(html) {
  const doc = new DOMParser().parseFromString(`<pre>${html}</pre>`, "text/html");
  const lines = [document.createDocumentFragment()];
  const walk = (node, stack) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const pieces = child.data.split("\n");
        pieces.forEach((piece, i) => {
          if (i > 0) lines.push(document.createDocumentFragment());
          if (!piece) return;
          let target = lines[lines.length - 1];
          for (const cls of stack) {
            const span = h("span", { class: cls });
            target.append(span);
            target = span;
          }
          target.append(piece);
        });
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const cls = [...child.classList].filter((c) => /^hljs-[a-z_-]+$|^[a-z_]+_$/.test(c)).join(" ");
        walk(child, [...stack, cls]);
      }
    }
  };
  walk(doc.body.firstChild, []);
  return lines;
}

async function viewFile(params) {
  const repoId = params.get("repo") || "";
  const path = params.get("path") || "";
  const line = Number(params.get("line") || 0);
  const status = h("p", { class: "muted", role: "status" }, "Loading…");
  show(path, h("h1", {}, path), status);
  try {
    const rs = await repos();
    const repo = rs.find((r) => r.id === repoId || r.name === repoId);
    if (!repo) throw new Error(`repo ${repoId} is not in this workspace: pick its workspace in the header`);
    const [file, symbols] = await Promise.all([
      api("GET", wsPath(`repos/${encodeURIComponent(repo.id)}/file?${new URLSearchParams({ path })}`)),
      outline(repo, path),
    ]);
    const key = await keyFor(repo.id);
    const text = await seal.openText(key, repo.id, file.path, "content", file.content);
    const hl = await highlighter(file.language).catch(() => null);
    const frags = hl ? highlightedLines(hl(text)) : text.split("\n").map((l) => document.createTextNode(l));
    if (frags.length > 1 && text.endsWith("\n")) frags.pop();
    const rows = frags.map((frag, i) => h("tr", { id: `L${i + 1}`, class: i + 1 === line ? "hl" : null },
      h("td", { class: "ln" }, h("a", { href: `#/file?${new URLSearchParams({ repo: repo.id, path, line: String(i + 1) })}`, "aria-label": `line ${i + 1}` }, String(i + 1))),
      h("td", { class: "src" }, frag)));
    const code = h("div", { class: "code", id: "code", "data-plaintext-bytes": String(new TextEncoder().encode(text).length) }, h("table", { role: "presentation" }, h("tbody", {}, rows)));
    code.dataset.lines = String(rows.length);
    const nav = h("nav", { class: "outline", "aria-label": "Symbols in this file" }, h("h2", {}, "Outline"),
      symbols.length ? h("ul", {}, symbols.map((s) => h("li", {},
        h("a", { href: `#/file?${new URLSearchParams({ repo: repo.id, path, line: String(s.line) })}` }, `${s.container ? `${s.container}.` : ""}${s.name}`),
        " ", h("span", { class: "kind" }, s.kind)))) : h("p", { class: "muted" }, "No symbols."));
    show(path, h("h1", {}, h("span", { class: "muted" }, `${repo.name} `), path),
      h("p", { class: "muted" }, `${file.language || "text"} · ${file.size} bytes · decrypted in this browser`),
      h("div", { class: "fileview" }, nav, code));
    // Keep the source as text too, for copy and for checks.
    code.plaintext = text;
    if (line) {
      const row = document.getElementById(`L${line}`);
      if (row) row.scrollIntoView({ block: "center" });
    }
  } catch (e) {
    status.className = "banner";
    status.setAttribute("role", "alert");
    status.textContent = e.message;
  }
}

// outline lists the symbols of one file, in line order, from the search
// API (paths are a substring filter there, so the exact path is checked
// here).
async function outline(repo, path) {
  const kinds = KINDS.filter((k) => k !== "file").map((k) => `kind:${k}`).join(" ");
  const q = `path:"${path.replace(/"/g, "")}" ${kinds}`;
  try {
    const res = await api("GET", wsPath(`search?${new URLSearchParams({ q, repo: repo.name, limit: "200" })}`));
    return (res.results || []).filter((r) => r.path === path && r.repo_id === repo.id).sort((a, b) => a.line - b.line);
  } catch {
    return [];
  }
}

// ---------- keys ----------

async function viewKeys() {
  const text = h("textarea", { name: "key", id: "key-text", autocomplete: "off", spellcheck: "false", required: true, placeholder: "optiq-key-v1:…" });
  const note = h("p", { class: "note", role: "status", "aria-live": "polite" });
  const form = h("form", { novalidate: true, id: "key-form" },
    field("Exported key", text, "Run `optiq key export REPO` on a machine that indexed the repo and paste the line it prints. The key is kept in this browser only, and cannot be read back out of it."),
    h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Import key")), note);
  const table = h("table", { class: "grid", id: "key-list" });
  show("Keys", h("h1", {}, "Repository keys"), form, h("h2", {}, "Repos in this workspace"), table);
  const render = async () => {
    const rs = await repos(true);
    const have = new Set((await seal.listKeys()).map((k) => k.repoId));
    table.replaceChildren(h("thead", {}, h("tr", {}, h("th", {}, "Repo"), h("th", {}, "Key in this browser"), h("th", {}, ""))),
      h("tbody", {}, rs.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {}, have.has(r.id) ? h("span", { class: "ok" }, "yes") : h("span", { class: "bad" }, "missing")),
        h("td", {}, have.has(r.id) ? h("button", { type: "button", onclick: async () => { await seal.deleteKey(r.id); keyCache.delete(r.id); render(); } }, "Forget") : null)))));
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    note.textContent = "";
    try {
      const repo = await seal.importExported(text.value, await repos(true));
      keyCache.delete(repo.id);
      text.value = "";
      note.textContent = `Imported the key of ${repo.name}.`;
      render();
    } catch (e) {
      text.setAttribute("aria-invalid", "true");
      document.getElementById("key-text-err").textContent = e.message;
    }
  });
  render().catch((e) => showError(form, e));
}

// ---------- account ----------

const SCOPES = ["search:read", "repos:write", "index:write", "audit:read", "admin", "metrics:read"];

async function viewAccount() {
  const mfa = h("section", { "aria-labelledby": "mfa-h" });
  const keys = h("section", { "aria-labelledby": "keys-h" });
  const sessions = h("section", { "aria-labelledby": "sess-h" });
  const pwSec = h("section", { "aria-labelledby": "pw-h" });
  show("Account", h("h1", {}, "Account"),
    state.me.enrol_required ? h("p", { class: "banner", role: "alert" }, "This server requires two-factor authentication: set up an authenticator app below before anything else.") : null,
    h("p", {}, `Signed in as ${state.me.email} (${state.me.role}).`),
    pwSec, mfa, keys, sessions);
  await renderMFA(mfa);
  // An account that must enrol first may do nothing else.
  if (state.me.enrol_required) return;
  renderPassword(pwSec);
  await renderAPIKeys(keys);
  await renderSessions(sessions);
}

function renderPassword(sec) {
  const current = h("input", { name: "current_password", id: "pw-current", type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { name: "new_password", id: "pw-new", type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const again = h("input", { name: "new_password_again", id: "pw-again", type: "password", autocomplete: "new-password", required: true });
  const note = h("p", { class: "note", role: "status", "aria-live": "polite" });
  const form = h("form", { novalidate: true, id: "pw-form" }, field("Current password", current), field("New password", next, "At least 12 characters."),
    field("New password again", again), h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Change password")), note);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    note.textContent = "";
    if (next.value !== again.value) {
      again.setAttribute("aria-invalid", "true");
      document.getElementById("pw-again-err").textContent = "the two new passwords differ: type the same one twice";
      again.focus();
      return;
    }
    try {
      await api("POST", "me/password", { current_password: current.value, new_password: next.value });
      form.reset();
      await refreshCSRF();
      note.textContent = "Password changed. Your other browser and CLI sessions were signed out; API keys still work.";
    } catch (e) {
      showError(form, e);
    }
  });
  sec.replaceChildren(h("h2", { id: "pw-h" }, "Password"), form);
}

async function renderMFA(sec) {
  const st = await api("GET", "me/mfa");
  const body = [h("h2", { id: "mfa-h" }, "Two-factor authentication")];
  body.push(h("p", {}, st.totp ? "Authenticator app: on." : "Authenticator app: off.", st.sms ? " SMS: on." : "",
    st.backup_codes_left !== undefined ? ` Backup codes left: ${st.backup_codes_left}.` : ""));
  const out = h("div", { id: "mfa-out" });
  const err = h("p", { class: "err", role: "alert" });
  if (!st.totp) {
    body.push(h("button", { type: "button", class: "primary", id: "totp-start", onclick: async () => {
      err.textContent = "";
      try {
        const e = await api("POST", "me/mfa/totp");
        const code = h("input", { name: "code", id: "totp-code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
        const form = h("form", { novalidate: true },
          h("p", {}, "Scan this QR code with your authenticator app, or enter the secret by hand, then type the code it shows."),
          h("img", { src: `data:image/png;base64,${e.qr_png}`, alt: "QR code of the authenticator secret", width: 200, height: 200, id: "totp-qr" }),
          h("p", { class: "secret", id: "totp-secret" }, e.secret),
          field("Code from the app", code), h("p", { class: "err form-err", role: "alert" }),
          h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Turn on")));
        form.addEventListener("submit", async (ev) => {
          ev.preventDefault();
          clearErrors(form);
          try {
            const r = await api("POST", "me/mfa/totp/confirm", { code: code.value.trim() });
            const wasRequired = state.me.enrol_required;
            await loadMe();
            if (wasRequired) {
              await viewAccount();
              showBackupCodes(document.getElementById("mfa-out"), r.backup_codes);
              return;
            }
            showBackupCodes(out, r.backup_codes);
          } catch (e2) {
            showError(form, e2);
          }
        });
        out.replaceChildren(form);
        code.focus();
      } catch (e) {
        err.textContent = e.message;
      }
    } }, "Set up an authenticator app"));
  } else {
    body.push(h("div", { class: "actions" },
      h("button", { type: "button", id: "backup-new", onclick: async () => {
        err.textContent = "";
        try {
          showBackupCodes(out, (await api("POST", "me/mfa/backup-codes")).backup_codes);
        } catch (e) {
          err.textContent = e.message;
        }
      } }, "New backup codes"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmAction("Turn off two-factor authentication? Your account will be protected by the password alone.", "Turn off"))) return;
        try {
          await api("DELETE", "me/mfa");
          renderMFA(sec);
        } catch (e) {
          err.textContent = e.message;
        }
      } }, "Turn off")));
  }
  sec.replaceChildren(...body, err, out);
}

function showBackupCodes(out, codes) {
  out.replaceChildren(h("div", { class: "banner info", role: "status" },
    h("p", {}, "Backup codes: each works once. Keep them somewhere safe; they are shown only now."),
    h("ul", { class: "codes", id: "backup-codes" }, (codes || []).map((c) => h("li", {}, c)))));
}

async function renderAPIKeys(sec) {
  const { api_keys: list = [] } = await api("GET", "apikeys");
  const name = h("input", { name: "name", id: "key-name", required: true, maxlength: 100 });
  const scopes = h("fieldset", {}, h("legend", {}, "Scopes"),
    SCOPES.map((s) => h("label", { class: "field inline" }, h("input", { type: "checkbox", name: "scopes", value: s, checked: s === "search:read" }), s)));
  const ws = h("select", { name: "workspace", id: "key-ws" }, h("option", { value: "" }, "All my workspaces"),
    (state.me.workspaces || []).map((w) => h("option", { value: w.id }, w.name)));
  const exp = h("select", { name: "expires_in", id: "key-exp" }, h("option", { value: "720h" }, "30 days"), h("option", { value: "2160h" }, "90 days"),
    h("option", { value: "8760h" }, "1 year"), h("option", { value: "" }, "Never"));
  const secret = h("div", { id: "key-secret" });
  const form = h("form", { novalidate: true, id: "apikey-form" }, h("h3", {}, "New API key"), field("Name", name), scopes,
    h("p", { class: "err", id: "scopes-err" }), field("Workspace", ws), field("Expires", exp), h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create key")));
  scopes.querySelector("input").dataset.aliases = "scope";
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    secret.replaceChildren();
    const chosen = [...form.querySelectorAll("input[name=scopes]:checked")].map((i) => i.value);
    try {
      const k = await api("POST", "apikeys", { name: name.value.trim(), scopes: chosen, ...(ws.value ? { workspace: ws.value } : {}), ...(exp.value ? { expires_in: exp.value } : {}) });
      await renderAPIKeys(sec);
      sec.querySelector("#key-secret").replaceChildren(h("div", { class: "banner info", role: "status" },
        h("p", {}, `The secret of ${k.name}, shown only now: copy it into your CI or tool.`), h("p", { class: "secret", id: "new-key" }, k.key)));
    } catch (e) {
      if (/scope/i.test(e.message)) document.getElementById("scopes-err").textContent = e.message;
      else showError(form, e);
    }
  });
  const rows = list.map((k) => h("tr", {}, h("td", {}, k.name), h("td", {}, (k.scopes || []).join(", ")), h("td", {}, k.workspace || "all"),
    h("td", {}, k.created_at ? new Date(k.created_at).toLocaleString() : ""), h("td", {}, k.expires_at ? new Date(k.expires_at).toLocaleDateString() : "never"),
    h("td", {}, k.last_used_at ? new Date(k.last_used_at).toLocaleString() : "never"),
    h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `Revoke ${k.name}`, onclick: async () => {
      if (!(await confirmAction(`Revoke the API key ${k.name}? Programs using it stop working.`, "Revoke"))) return;
      await api("DELETE", `apikeys/${encodeURIComponent(k.id)}`);
      renderAPIKeys(sec);
    } }, "Revoke"))));
  sec.replaceChildren(h("h2", { id: "keys-h" }, "API keys"),
    list.length ? h("table", { class: "grid", id: "apikeys" }, h("thead", {}, h("tr", {}, ["Name", "Scopes", "Workspace", "Created", "Expires", "Last used", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows)) : h("p", { class: "muted" }, "No API keys."),
    secret, form);
}

async function renderSessions(sec) {
  const err = h("p", { class: "err", role: "alert" });
  let list = [];
  try {
    list = (await api("GET", "me/sessions")).sessions || [];
  } catch (e) {
    err.textContent = e.message;
  }
  const kinds = { cookie: "browser", session: "CLI (password)", oauth: "CLI (browser sign-in)" };
  const when = (t) => (t ? new Date(t).toLocaleString() : "");
  const rows = list.map((x) => h("tr", { "data-id": x.id }, h("td", {}, kinds[x.kind] || x.kind), h("td", {}, x.name || "", x.current ? " (this one)" : ""),
    h("td", {}, when(x.created_at)), h("td", {}, when(x.last_used_at) || (x.current ? "now" : "never")), h("td", {}, when(x.expires_at)),
    h("td", {}, x.current ? null : h("button", { type: "button", class: "danger", "aria-label": `Sign out ${kinds[x.kind] || x.kind} session ${x.name || x.id}`, onclick: async () => {
      if (!(await confirmAction("Sign out this session? The CLI using it must sign in again.", "Sign out"))) return;
      try {
        await api("DELETE", `me/sessions/${encodeURIComponent(x.id)}`);
        renderSessions(sec);
      } catch (e) {
        err.textContent = e.message;
      }
    } }, "Sign out"))));
  sec.replaceChildren(h("h2", { id: "sess-h" }, "Sessions"),
    h("table", { class: "grid", id: "sessions" }, h("thead", {}, h("tr", {}, ["Kind", "Name", "Signed in", "Last used", "Expires", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    h("p", { class: "muted" }, "Other browsers are not listed one by one: sign out everywhere to end them (API keys stay valid; revoke them above)."),
    h("button", { type: "button", class: "danger", id: "logout-all", onclick: async () => {
      if (!(await confirmAction("Sign out everywhere, including this browser?", "Sign out everywhere"))) return;
      try {
        await api("POST", "auth/logout-all");
        state.me = null;
        chrome();
        location.hash = "#/signin";
      } catch (e) {
        err.textContent = e.message;
      }
    } }, "Sign out everywhere"), err);
}

// ---------- workspaces ----------

const WS_ROLES = ["owner", "admin", "user", "viewer"];

async function viewWorkspaces(params) {
  const id = params.get("id") || state.ws;
  const name = h("input", { name: "name", id: "ws-name", required: true, "data-aliases": "names" });
  const form = h("form", { novalidate: true, id: "ws-form" }, h("h2", {}, "New workspace"), field("Name", name), h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const w = await api("POST", "workspaces", { name: name.value.trim() });
      await loadMe();
      location.hash = `#/workspaces?${new URLSearchParams({ id: w.id })}`;
    } catch (e) {
      showError(form, e);
    }
  });
  const wss = state.me.workspaces || [];
  const list = h("ul", {}, wss.map((w) => h("li", {}, h("a", { href: `#/workspaces?${new URLSearchParams({ id: w.id })}`, "aria-current": w.id === id ? "true" : null }, w.name), ` (${w.role}${w.personal ? ", personal" : ""})`)));
  const detail = h("div", { id: "ws-detail" });
  show("Workspaces", h("h1", {}, "Workspaces"), list, detail, form);
  const w = wss.find((x) => x.id === id);
  if (!w) return;
  if (state.ws !== w.id) selectWorkspace(w.id);
  const members = await api("GET", wsPath("members"));
  const rs = await repos(true);
  const canManage = ["owner", "admin"].includes(w.role);
  const memberRows = (members.members || []).map((m) => {
    const sel = h("select", { name: "role", "aria-label": `Role of ${m.email}`, disabled: !canManage, "data-user": m.user_id }, WS_ROLES.map((r) => h("option", { value: r, selected: r === m.role }, r)));
    const err = h("p", { class: "err", id: `role-${m.user_id}-err`, "aria-live": "polite" });
    sel.addEventListener("change", async () => {
      err.textContent = "";
      try {
        await api("PATCH", wsPath(`members/${encodeURIComponent(m.user_id)}`), { role: sel.value });
        err.textContent = "";
        sel.dataset.saved = sel.value;
      } catch (e) {
        err.textContent = e.message;
        sel.value = m.role;
      }
    });
    return h("tr", {}, h("td", {}, m.email), h("td", {}, sel, err),
      h("td", {}, canManage ? h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmAction(`Remove ${m.email} from ${w.name}?`, "Remove"))) return;
        try {
          await api("DELETE", wsPath(`members/${encodeURIComponent(m.user_id)}`));
          viewWorkspaces(params);
        } catch (e) {
          err.textContent = e.message;
        }
      } }, "Remove") : null));
  });
  const email = h("input", { name: "email", type: "email", id: "member-email", required: true });
  const role = h("select", { name: "role", id: "member-role" }, WS_ROLES.map((r) => h("option", { value: r, selected: r === "user" }, r)));
  const add = h("form", { novalidate: true, id: "member-form" }, h("h3", {}, "Add a member"), field("Email", email), field("Role", role), h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Add")));
  add.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    try {
      await api("POST", wsPath("members"), { email: email.value.trim(), role: role.value });
      viewWorkspaces(params);
    } catch (e) {
      showError(add, e);
    }
  });
  detail.replaceChildren(h("h2", {}, `${w.name}: members`),
    h("table", { class: "grid", id: "members" }, h("thead", {}, h("tr", {}, h("th", {}, "Email"), h("th", {}, "Role"), h("th", {}, ""))), h("tbody", {}, memberRows)),
    canManage ? add : null,
    h("h2", {}, `${w.name}: repos`),
    rs.length ? h("table", { class: "grid", id: "repos" }, h("thead", {}, h("tr", {}, ["Repo", "Files", "Symbols", "Size", "Indexed"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rs.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {}, r.files), h("td", {}, r.symbols), h("td", {}, formatBytes(r.bytes)),
        h("td", {}, r.indexed_at ? new Date(r.indexed_at).toLocaleString() : "not indexed yet")))))
      : h("p", { class: "muted" }, "No repos yet: `optiq repo create NAME` then `optiq index DIR --repo NAME`."));
}

function formatBytes(n) {
  if (!n) return "0 B";
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  const i = Math.min(u.length - 1, Math.floor(Math.log2(n) / 10));
  return `${(n / 2 ** (10 * i)).toFixed(i ? 1 : 0)} ${u[i]}`;
}

function selectWorkspace(id) {
  state.ws = id;
  state.reposWs = "";
  sessionStorage.setItem("optiq.ws", id);
  chrome();
}

// ---------- admin ----------

function adminNav() {
  return h("nav", { class: "subnav", "aria-label": "Admin" },
    [["users", "Users"], ["audit", "Audit log"], ["health", "Health"], ["settings", "Settings"]].map(([p, t]) => h("a", { href: `#/admin/${p}`, "aria-current": location.hash.startsWith(`#/admin/${p}`) ? "page" : null }, t)));
}

async function viewUsers() {
  const { users = [] } = await api("GET", "users");
  const rows = users.map((u) => {
    const err = h("p", { class: "err", id: `user-${u.id}-err`, "aria-live": "polite" });
    const role = h("select", { name: "role", "aria-label": `Instance role of ${u.email}` }, ["admin", "member"].map((r) => h("option", { value: r, selected: r === u.role }, r)));
    role.addEventListener("change", async () => {
      err.textContent = "";
      try {
        await api("PATCH", `users/${encodeURIComponent(u.id)}`, { role: role.value });
        role.dataset.saved = role.value;
      } catch (e) {
        err.textContent = e.message;
        role.value = u.role;
      }
    });
    const self = u.id === state.me.user_id;
    const toggle = h("button", { type: "button", "data-email": u.email, class: u.disabled ? null : "danger", disabled: self, onclick: async () => {
      err.textContent = "";
      if (!u.disabled && !(await confirmAction(`Disable ${u.email}? Their sessions end and their API keys stop working until the account is enabled again.`, "Disable"))) return;
      try {
        await api("PUT", `users/${encodeURIComponent(u.id)}/disabled`, { disabled: !u.disabled });
        viewUsers();
      } catch (e) {
        err.textContent = e.message;
      }
    } }, u.disabled ? "Enable" : "Disable");
    const del = h("button", { type: "button", class: "danger", "aria-label": `Delete ${u.email}`, disabled: self, onclick: async () => {
      err.textContent = "";
      if (!(await confirmAction(`Delete the account ${u.email}? Its sessions and API keys end, and its personal workspace is deleted. This cannot be undone.`, "Delete account"))) return;
      try {
        await api("DELETE", `users/${encodeURIComponent(u.id)}`);
        viewUsers();
      } catch (e) {
        err.textContent = e.message;
      }
    } }, "Delete");
    return h("tr", { "data-email": u.email }, h("td", {}, u.email), h("td", {}, role, err), h("td", { class: "status" }, u.disabled ? "disabled" : "active"),
      h("td", {}, new Date(u.created_at).toLocaleDateString()), h("td", {}, h("div", { class: "actions" }, toggle, del)));
  });
  const email = h("input", { name: "email", type: "email", id: "user-email", required: true, autocomplete: "off" });
  const password = h("input", { name: "password", type: "password", id: "user-password", required: true, autocomplete: "new-password" });
  const role = h("select", { name: "role", id: "user-role" }, h("option", { value: "member" }, "member"), h("option", { value: "admin" }, "admin"));
  const form = h("form", { novalidate: true, id: "user-form" }, h("h2", {}, "New user"), field("Email", email), field("Initial password", password, "Give it to the user over a safe channel."),
    field("Instance role", role), h("p", { class: "err form-err", role: "alert" }), h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create user")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", "users", { email: email.value.trim(), password: password.value, role: role.value });
      viewUsers();
    } catch (e) {
      showError(form, e);
    }
  });
  show("Users", h("h1", {}, "Admin"), adminNav(), h("h2", {}, "Users"),
    h("table", { class: "grid", id: "users" }, h("thead", {}, h("tr", {}, ["Email", "Role", "Status", "Created", ""].map((t) => h("th", {}, t)))), h("tbody", {}, rows)),
    form);
}

async function viewAudit(params) {
  const f = {};
  const inputs = ["actor", "action", "target", "since", "until", "limit"].map((n) => {
    const i = h("input", { name: n, id: `audit-${n}`, value: params.get(n) || (n === "limit" ? "100" : ""), type: n === "since" || n === "until" ? "date" : n === "limit" ? "number" : "text", min: n === "limit" ? 1 : null });
    f[n] = i;
    const labels = { actor: "Actor (e-mail or id)", action: "Action", target: "Target", since: "Since (UTC day)", until: "Until (UTC day, included)", limit: "Limit" };
    return field(labels[n], i);
  });
  const table = h("table", { class: "grid", id: "audit" });
  const form = h("form", { novalidate: true, id: "audit-form" }, h("div", { class: "filters" }, inputs), h("p", { class: "err form-err", role: "alert" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Filter"),
      h("button", { type: "button", id: "export-csv", onclick: () => download("csv") }, "Export CSV"),
      h("button", { type: "button", id: "export-json", onclick: () => download("json") }, "Export JSON")));
  let entries = [];
  // Accounts by id, to show e-mail addresses and to filter by them.
  const byId = new Map();
  try {
    for (const u of (await api("GET", "users")).users || []) byId.set(u.id, u.email);
  } catch {
    // Ids only.
  }
  const who = (id) => (id && byId.has(id) ? h("span", { title: id }, byId.get(id)) : id || "—");
  const load = async () => {
    clearErrors(form);
    const q = new URLSearchParams();
    for (const [k, i] of Object.entries(f)) if (i.value) q.set(k, i.value.trim());
    history.replaceState(null, "", `#/admin/audit?${q}`);
    for (const k of ["actor", "target"]) {
      const v = q.get(k);
      if (v && v.includes("@")) {
        const id = [...byId].find(([, e]) => e === v.toLowerCase());
        if (!id) {
          showError(form, new Error(`${k}: no account with the e-mail address ${v}`));
          return;
        }
        q.set(k, id[0]);
      }
    }
    // The server reads a date as that day's start (UTC): "until" a day
    // includes the whole day.
    if (q.get("until") && /^\d{4}-\d{2}-\d{2}$/.test(q.get("until"))) {
      q.set("until", new Date(Date.parse(`${q.get("until")}T00:00:00Z`) + 86400000).toISOString().replace(".000Z", "Z"));
    }
    try {
      entries = (await api("GET", `audit?${q}`)).entries || [];
    } catch (e) {
      showError(form, e);
      return;
    }
    table.replaceChildren(h("thead", {}, h("tr", {}, ["#", "Time", "Actor", "Action", "Target", "Workspace", "Remote", "Detail"].map((t) => h("th", {}, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {}, h("td", {}, e.seq), h("td", {}, new Date(e.at).toLocaleString()), h("td", {}, who(e.actor)), h("td", {}, e.action),
        h("td", {}, who(e.target)), h("td", {}, e.workspace || ""), h("td", {}, e.remote || ""),
        h("td", {}, Object.entries(e.detail || {}).map(([k, v]) => `${k}=${v}`).join(" "))))));
  };
  const download = (fmt) => {
    let body;
    if (fmt === "json") body = JSON.stringify(entries, null, 2);
    else {
      const cols = ["seq", "at", "actor", "action", "target", "workspace", "remote", "request_id", "detail", "hash"];
      const cell = (v) => {
        const s = v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
        return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
      };
      body = [cols.join(","), ...entries.map((e) => cols.map((c) => cell(e[c])).join(","))].join("\r\n") + "\r\n";
    }
    const url = URL.createObjectURL(new Blob([body], { type: fmt === "json" ? "application/json" : "text/csv" }));
    const a = h("a", { href: url, download: `optiq-audit.${fmt}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  show("Audit log", h("h1", {}, "Admin"), adminNav(), h("h2", {}, "Audit log"), form, table);
  await load();
}

// renderValue shows any JSON value as nested lists, so new fields of
// /readyz and the settings appear without a UI change.
function renderValue(v) {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return h("ul", {}, v.map((x) => h("li", {}, renderValue(x))));
  if (typeof v === "object") return h("dl", {}, Object.entries(v).flatMap(([k, x]) => [h("dt", {}, k), h("dd", {}, renderValue(x))]));
  return String(v);
}

async function viewHealth() {
  const res = await fetch("/readyz", { headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  const checks = body.checks || [];
  const rest = Object.fromEntries(Object.entries(body).filter(([k]) => k !== "checks" && k !== "status"));
  const backupResult = h("p", { id: "backup-result", role: "status" });
  const backupNow = h("button", { type: "button", id: "backup-now", onclick: async () => {
    backupNow.disabled = true;
    backupResult.textContent = "Backing up…";
    try {
      const st = await api("POST", "jobs/backup/run");
      backupResult.textContent = st.ok ? (st.result || "Backup done.") : `Backup failed: ${st.error}`;
    } catch (e) {
      backupResult.textContent = e.message;
    }
    backupNow.disabled = false;
  } }, "Back up now");
  show("Health", h("h1", {}, "Admin"), adminNav(), h("h2", {}, "Instance health"),
    h("p", { id: "ready-status" }, "Status: ", h("span", { class: body.status === "ready" ? "ok" : "bad" }, body.status || `HTTP ${res.status}`)),
    h("p", {}, backupNow), backupResult,
    h("table", { class: "grid", id: "checks" }, h("thead", {}, h("tr", {}, ["Check", "OK", "Error", "Detail"].map((t) => h("th", {}, t)))),
      h("tbody", {}, checks.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, h("span", { class: c.ok ? "ok" : "bad" }, c.ok ? "yes" : "no")), h("td", {}, c.error || ""), h("td", {}, renderValue(c.detail)))))),
    Object.keys(rest).length ? renderValue(rest) : null);
}

async function viewSettings() {
  const st = await api("GET", "settings");
  show("Settings", h("h1", {}, "Admin"), adminNav(), h("h2", {}, "Settings"),
    h("p", { class: "muted" }, "Effective instance settings (change them with `optiq settings` as an admin)."), h("div", { id: "settings" }, renderValue(st)));
}

// ---------- router ----------

const routes = {
  "/signin": () => viewSignIn(),
  "/search": viewSearch,
  "/file": viewFile,
  "/keys": viewKeys,
  "/account": viewAccount,
  "/workspaces": viewWorkspaces,
  "/admin/users": viewUsers,
  "/admin/audit": viewAudit,
  "/admin/health": viewHealth,
  "/admin/settings": viewSettings,
};

async function route() {
  const hash = location.hash.slice(1) || "/search";
  const [path, query = ""] = hash.split("?");
  const params = new URLSearchParams(query);
  if (!state.me && path !== "/signin") {
    if (!(await loadMe())) {
      location.hash = "#/signin";
      return;
    }
  }
  if (state.me && state.me.enrol_required && path !== "/account" && path !== "/signin") {
    location.hash = "#/account";
    return;
  }
  const view = routes[path] || viewSearch;
  try {
    await view(params);
  } catch (e) {
    show("Error", h("h1", {}, "Something went wrong"), h("p", { class: "banner", role: "alert" }, e.message, e.requestId ? ` (request ${e.requestId})` : ""));
  }
}

function start() {
  window.addEventListener("hashchange", route);
  // "/" focuses the search box from anywhere but a text field.
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest("input, textarea, select, [contenteditable]")) return;
    const q = document.getElementById("q");
    if (q) {
      ev.preventDefault();
      q.focus();
    } else if (state.me) {
      ev.preventDefault();
      location.hash = "#/search";
    }
  });
  document.getElementById("logout").addEventListener("click", logout);
  document.getElementById("ws-picker").addEventListener("change", (ev) => {
    selectWorkspace(ev.target.value);
    route();
  });
  route();
}

start();

import * as client from "./api.js";
import { api, problemText } from "./api.js";
import { card, el } from "./dom.js";
import { getLang, setLang, t, when } from "./i18n.js";
import * as outbox from "./outbox.js";

const view = document.getElementById("view");
const ROLE_ORDER = ["school_admin", "dept_admin", "counsellor", "head_teacher", "course_teacher",
  "student_affairs", "teaching_office", "pe_teacher", "student"];
let me = null;
let activeRole = null;

function show(...nodes) {
  const since = client.staleness();  // some of this screen is the data last seen, kept on the device
  const stale = since ? el("p", { class: "tag notice stale", role: "status", "data-testid": "offline-as-of" },
    t("offlineAsOf", { time: when(since) })) : null;
  view.replaceChildren(...[stale, ...nodes].filter(Boolean));
  document.getElementById("title").textContent = t("appName");
  document.getElementById("lang").textContent = t("switchTo");
  document.title = t("appName");
}

function form(title, fields, submitLabel, onSubmit, hint) {
  const message = el("p", { class: "error", role: "alert" });
  const inputs = fields.map(([id, label, type, autocomplete]) =>
    [el("label", { for: id }, label), el("input", { id, name: id, type, autocomplete, required: true })]);
  const button = el("button", { type: "submit", class: "wide" }, submitLabel);
  const node = el("form", {
    class: "card",
    onsubmit: async (event) => {
      event.preventDefault();
      button.disabled = true;
      message.textContent = "";
      try {
        await onSubmit(Object.fromEntries(new FormData(event.target)));
      } catch (error) {
        message.textContent = problemText(error);
      } finally {
        button.disabled = false;
      }
    },
  }, el("h2", {}, title), hint ? el("p", { class: "muted" }, hint) : null, inputs, button, message);
  return node;
}

function showLogin(hint) {
  client.beginScreen();
  show(form(t("loginTitle"), [["username", t("username"), "text", "username"],
    ["password", t("password"), "password", "current-password"]], t("login"), async ({ username, password }) => {
    homes().catch(() => {});  // the home's code comes down while the password is checked
    await client.login(username.trim(), password);
    await start();
  }, hint));
}

// Logging out: the user's queued writes stay on the device, theirs alone, and the data kept
// for them is cleared, so the next person on a shared phone sees and sends nothing of theirs.
async function logOut() {
  const count = await outbox.pendingCount();
  outbox.setUser(null);
  await client.logout();
  me = null;
  showLogin(count ? t("pendingAfterLogout", { count }) : null);
}

function showPasswordChange() {
  show(form(t("changeTitle"), [["current_password", t("currentPassword"), "password", "current-password"],
    ["new_password", t("newPassword"), "password", "new-password"]], t("save"), async (body) => {
    await api("/api/v1/auth/password", { method: "POST", body });
    await start();
  }, t("changeHint")));
}

// A module is fetched the first time it is needed, so the login page loads only the core.
const modules = new Map();
function load(path) {
  if (!modules.has(path)) modules.set(path, import(path).catch((error) => { modules.delete(path); throw error; }));
  return modules.get(path);
}
const homes = () => load("./homes.js");
// A route's screen by module and export; it gets the match and { me, role, route } and returns nodes.
const lazy = (path, name) => async (match, ctx) => (await load(path))[name](match, ctx);
const screen = (path, name) => async (match, ctx) => [await (await load(path))[name](ctx)].flat();
const back = () => el("a", { href: "#/", class: "link" }, `← ${t("back")}`);

// The user's roles, first role first; the active one stays while the user keeps it.
function userRoles() {
  const roles = [...new Set(me.roles.map((g) => g.role))].sort((a, b) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b));
  activeRole = roles.includes(activeRole) ? activeRole : roles[0];
  return roles;
}

async function showHome() {
  const roles = userRoles();
  const { home } = await homes();
  const termLine = el("p", { class: "muted" });
  api("/api/v1/terms/current").then((term) => { termLine.textContent = `${t("term")}：${term.name}`; }).catch(() => {});
  const switcher = roles.length > 1
    ? el("select", { "aria-label": "role", onchange: (e) => { activeRole = e.target.value; showHome(); } },
      roles.map((r) => el("option", { value: r, selected: r === activeRole }, t(`role_${r}`))))
    : el("span", { class: "tag", "data-testid": "role" }, t(`role_${activeRole}`));
  const header = el("div", { "data-testid": `home-${activeRole}`, "aria-busy": "true" },
    el("p", { class: "hello" }, t("hello", { name: me.display_name })), termLine, switcher);
  const { nodes, ready } = home(activeRole, me);
  const footer = [el("p", {}, el("a", { href: "#/settings", class: "link", "data-testid": "settings-link" },
    t("notificationsLink"))), el("button", { type: "button", class: "link", onclick: logOut, "data-testid": "logout" }, t("logout"))];
  show(header, ...nodes, ...footer);
  await ready;
  if (client.staleness() && view.contains(header)) show(header, ...nodes, ...footer);  // says how old the kept data is
  header.setAttribute("aria-busy", "false");
  performance.mark("spiral:home");  // the last card is drawn (bench/phone.py times this)
}

// Screens below the home, reached from links and from notification clicks.
const ROUTES = [
  [/^#\/warnings\/(\d+)$/, async (id) => (await load("./alerts.js")).warningScreen(id, route)],
  [/^#\/warnings$/, screen("./screens.js", "warningsScreen")],
  [/^#\/my-warnings\/(\d+)$/, async (id) => [back(), await (await load("./alerts.js")).myWarnings(id)]],
  [/^#\/my-warnings$/, screen("./screens.js", "myWarningsScreen")],
  [/^#\/(settings|inbox)$/, async () => {
    const alerts = await load("./alerts.js");
    return [back(), await alerts.inboxCard(), await alerts.settingsCard()];
  }],
  [/^#\/plans\/(\d+)$/, async (id, ctx) => (await load("./plans.js")).planScreen(id, ctx.me, route)],
  [/^#\/diagnosis\/(\d+)$/, async (id, ctx) => (await load("./plans.js")).diagnosisScreen(id, ctx.me, route)],
  [/^#\/assessment\/(\d+)$/, async (id, ctx) => (await load("./assessment.js")).questionnaire(Number(id), ctx.me)],
  [/^#\/radar\/(\d+)$/, lazy("./assessment.js", "radarScreen")],
  [/^#\/report\/student\/(\d+)$/, lazy("./growth.js", "studentReport")],
  [/^#\/report\/teacher\/(\d+)$/, lazy("./growth.js", "teacherReport")],
  [/^#\/portfolio$/, async () => (await load("./growth.js")).portfolioScreen(route)],
  [/^#\/class-plans\/(\d+)$/, lazy("./growth.js", "classPlans")],
  [/^#\/dept-teachers\/(\d+)$/, lazy("./growth.js", "departmentTeachers")],
  [/^#\/reports$/, screen("./screens.js", "reportsScreen")],
  [/^#\/classes$/, screen("./screens.js", "classesScreen")],
  [/^#\/sessions$/, screen("./screens.js", "sessionsScreen")],
  [/^#\/my-card$/, screen("./screens.js", "myCardScreen")],
  [/^#\/my-entries$/, screen("./screens.js", "myEntriesScreen")],
  [/^#\/my-leave$/, screen("./screens.js", "myLeaveScreen")],
  [/^#\/my-plans$/, screen("./screens.js", "myPlansScreen")],
  [/^#\/my-points$/, screen("./screens.js", "myPointsScreen")],
  // Interim: the cards these agreed screens grow from, until the screens themselves are merged.
  [/^#\/entry$/, screen("./screens.js", "entryScreen")],
  [/^#\/disputes$/, screen("./screens.js", "disputesScreen")],
  [/^#\/leave$/, screen("./screens.js", "leaveScreen")],
  [/^#\/catalogue$/, screen("./screens.js", "catalogueScreen")],
  [/^#\/roster$/, screen("./screens.js", "rosterScreen")],
];

async function route() {
  if (!me) return;
  client.beginScreen();
  if (me.must_change_password) return showPasswordChange();
  for (const [pattern, handler] of ROUTES) {
    const match = location.hash.match(pattern);
    if (match) {
      return Promise.resolve(handler(match[1], { me, role: activeRole, route }))
        .then((nodes) => show(...[nodes].flat()), (error) => show(card(problemText(error))));
    }
  }
  return showHome();
}

// After login, at app start, or offline with the last data this device kept for its user.
async function start() {
  me = await api("/api/v1/me");
  userRoles();  // a screen opened by its link, before the home, acts as the first role
  await client.setViewer(me.id);
  outbox.setUser(me.id);
  outbox.replay({ now: true });  // this user's writes made offline go out now
  return route();
}

// Back online: a session opened offline gets its token (or ends, if the server ended it);
// a screen showing kept data is fetched again.
async function reconnect() {
  if (!me) return client.endLeftoverSession();
  if (!client.hasToken()) {
    const state = await client.refresh();
    if (state === true) return start();
    if (state === false) { outbox.setUser(null); me = null; showLogin(); }
    return undefined;
  }
  if (client.staleness()) return route();
  return undefined;
}
window.addEventListener("online", () => { reconnect().catch(() => {}); });

window.addEventListener("hashchange", route);
// The service worker asks an open window to show what a clicked notification points to.
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type === "open") location.hash = new URL(event.data.url, location.origin).hash;
});

document.getElementById("lang").addEventListener("click", () => {
  setLang(getLang() === "zh-CN" ? "en" : "zh-CN");
  renderOutbox();
  if (me) route(); else showLogin();
});

window.addEventListener("offline", () => view.prepend(card(t("offline"))));
// The outbox's count in the bar, and notices for writes that need the user's eyes: refused
// by the server (with its reasons) or past the retention limit. They stay until dismissed.
const pending = document.getElementById("pending");
const notices = document.getElementById("notices");
let outboxState = { count: 0, failed: [], expired: [], unowned: [] };

function writeItem(write, reasons) {
  const [key, vars] = write.label || ["label_write", {}];
  return el("li", { class: "stack" }, el("strong", {}, t(key, vars)),
    el("span", { class: "muted" }, t("madeAt", { time: when(write.created) })),
    reasons ? el("span", { class: "reasons" }, reasons) : null);
}

function notice(testid, title, items, ids) {
  return el("section", { class: "card notice", role: "alert", "data-testid": testid }, el("h2", {}, title),
    items.length ? el("ul", { class: "list" }, items) : null,
    el("button", { type: "button", class: "secondary wide", onclick: () => outbox.dismiss(ids) }, t("dismiss")));
}

function renderOutbox() {
  const { count, failed, expired, unowned } = outboxState;
  pending.hidden = count === 0;
  pending.textContent = t("pending", { count });
  notices.replaceChildren(...[
    failed.length && notice("outbox-failed", t("refused"), failed.map((w) => writeItem(w, outbox.refusal(w))), failed.map((w) => w.id)),
    expired.length && notice("outbox-expired", t("expiredTitle", { days: outbox.RETENTION_MS / 86400000 }),
      expired.map((w) => writeItem(w)), expired.map((w) => w.id)),
    unowned.length && notice("outbox-unowned", t("unownedNote", { count: unowned.length }), [], unowned.map((w) => w.id)),
  ].filter(Boolean));
}
window.addEventListener("outbox", (event) => { outboxState = event.detail; renderOutbox(); });

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
setLang(getLang());
// Start: the session the refresh cookie holds; without a connection, the last data the last
// user saw (their session is checked once the network is back); otherwise the login screen.
const resumed = await client.resume();
if (resumed === true || (resumed === null && client.lastViewer())) start().catch(() => showLogin());
else showLogin();

import * as client from "./api.js";
import { api, problemText } from "./api.js";
import { card, el } from "./dom.js";
import { getLang, labelled, setLang, t, when } from "./i18n.js";
import * as outbox from "./outbox.js";

const view = document.getElementById("view");
const ROLE_ORDER = ["school_admin", "dept_admin", "counsellor", "head_teacher", "course_teacher",
  "student_affairs", "teaching_office", "pe_teacher", "student"];
let me = null;
let activeRole = null;
// Status messages (offline, data as of, the outbox) share one polite live region, #notices.
const notices = document.getElementById("notices");
let offlineNote = null;
let staleNote = null;
let outboxNotes = [];

// A new screen: its words in the UI language, the keyboard and screen reader at its heading
// (so they start where the eyes do, not on a button of the screen that went away).
function show(...nodes) {
  const since = client.staleness();  // some of this screen is the data last seen, kept on the device
  staleNote = since ? el("p", { class: "tag notice stale", "data-testid": "offline-as-of" },
    t("offlineAsOf", { time: when(since) })) : null;
  view.replaceChildren(...nodes.filter(Boolean));
  renderNotices();
  document.getElementById("title").textContent = t("appName");
  const lang = document.getElementById("lang");
  lang.textContent = t("switchTo");
  lang.setAttribute("aria-label", t("switchToLabel"));
  document.title = t("appName");
  const heading = view.querySelector("h1, h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
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

let loggedOutScreen = () => showLogin();  // what the language switch redraws before anyone logs in

function showLogin(hint, afterLogout = false) {
  client.beginScreen();
  loggedOutScreen = () => showLogin(hint, afterLogout);
  const casSlot = el("div", { "data-testid": "cas-slot" });  // campus sign-in, when the school has it
  show(casSlot, form(t("loginTitle"), [["username", t("username"), "text", "username"],
    ["password", t("password"), "password", "current-password"]], t("login"), async ({ username, password }) => {
    homes().catch(() => {});  // the home's code comes down while the password is checked
    await client.login(username.trim(), password);
    await start();
  }, hint));
  // Campus sign-in's code comes down only where the school has turned it on: the login stays light.
  fetch("/api/v1/auth/cas").then((r) => (r.ok ? r.json() : {})).then((cas) => cas.enabled
    && load("./cas.js").then((m) => m.casOffer(casSlot, afterLogout, cas))).catch(() => {});
}

// A campus sign-in the server refused (#/cas-error?reason=...): what happened and what to do.
async function showCasError(query) {
  loggedOutScreen = () => showCasError(query);
  const { casError } = await load("./cas.js");
  show(await casError(query, () => { history.replaceState(null, "", "#/"); showLogin(); }));
}

// Logging out: the user's queued writes stay on the device, theirs alone, and the data kept
// for them is cleared, so the next person on a shared phone sees and sends nothing of theirs.
async function logOut() {
  const count = await outbox.pendingCount();
  outbox.setUser(null);
  await client.logout();
  me = null;
  showLogin(count ? t("pendingAfterLogout", { count }) : null, true);
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

async function showHome(current = () => true) {
  const roles = userRoles();
  const { home } = await homes();
  if (!current()) return;
  const termLine = el("p", { class: "muted" });
  api("/api/v1/terms/current").then((term) => { termLine.textContent = labelled(t("term"), getLang() === "en" ? term.name_en : term.name); }).catch(() => {});
  const switcher = roles.length > 1
    ? el("select", { "aria-label": t("roleLabel"), onchange: (e) => { activeRole = e.target.value; showHome(); } },
      roles.map((r) => el("option", { value: r, selected: r === activeRole }, t(`role_${r}`))))
    : el("span", { class: "tag", "data-testid": "role" }, t(`role_${activeRole}`));
  const header = el("div", { "data-testid": `home-${activeRole}`, "aria-busy": "true" },
    el("h2", { class: "hello" }, t("hello", { name: me.display_name })), termLine, switcher);
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
    return [back(), await alerts.inboxCard(), await alerts.settingsCard(),
      el("p", {}, el("a", { href: "#/my-data", class: "link", "data-testid": "my-data-link" }, t("myDataLink")))];
  }],
  [/^#\/my-data$/, async () => [back(), ...(await (await load("./privacy.js")).myDataScreen())]],
  [/^#\/plans\/(\d+)$/, async (id, ctx) => (await load("./plans.js")).planScreen(id, ctx.me, route)],
  [/^#\/diagnosis\/(\d+)$/, async (id, ctx) => (await load("./plans.js")).diagnosisScreen(id, ctx.me, route)],
  [/^#\/assessment\/(\d+)$/, async (id, ctx) => (await load("./assessment.js")).questionnaire(Number(id), ctx.me)],
  [/^#\/radar\/(\d+)$/, lazy("./assessment.js", "radarScreen")],
  [/^#\/report\/student\/(\d+)$/, lazy("./growth.js", "studentReport")],
  [/^#\/report\/teacher\/(\d+)$/, lazy("./growth.js", "teacherReport")],
  [/^#\/portfolio$/, async () => (await load("./growth.js")).portfolioScreen(route)],
  [/^#\/portrait(?:\/(\d+))?$/, lazy("./portrait.js", "portraitScreen")],  // issue 20: the teacher portrait
  [/^#\/class-plans\/(\d+)$/, lazy("./growth.js", "classPlans")],
  [/^#\/dept-teachers\/(\d+)$/, lazy("./growth.js", "departmentTeachers")],
  [/^#\/assessing\/(\d+)$/, async (id) => (await load("./assessing.js")).assessingScreen(id, route)],  // issue 20
  [/^#\/dept-assessing\/(\d+)$/, lazy("./assessing.js", "departmentScreen")],
  [/^#\/teacher-summary$/, async () => [await (await load("./assessing.js")).summaryScreen()].flat()],
  [/^#\/reports$/, screen("./screens.js", "reportsScreen")],
  [/^#\/effect$/, async () => (await load("./effect.js")).effectScreen()],
  [/^#\/classes$/, screen("./screens.js", "classesScreen")],
  [/^#\/sessions$/, screen("./screens.js", "sessionsScreen")],
  [/^#\/my-card$/, screen("./screens.js", "myCardScreen")],
  [/^#\/my-entries$/, screen("./screens.js", "myEntriesScreen")],
  [/^#\/my-leave$/, screen("./screens.js", "myLeaveScreen")],
  [/^#\/my-plans$/, screen("./screens.js", "myPlansScreen")],
  [/^#\/my-points$/, screen("./screens.js", "myPointsScreen")],
  [/^#\/entry$/, async (id, ctx) => (await load("./scoring.js")).entryScreen(ctx.me)],
  [/^#\/students\/(\d+)$/, async (id, ctx) => (await load("./scoring.js")).studentScreen(Number(id), ctx.me)],
  [/^#\/disputes$/, async () => (await load("./scoring.js")).disputesScreen()],
  [/^#\/my-disputes$/, async () => (await load("./scoring.js")).myDisputesScreen()],
  [/^#\/my-attendance$/, async () => (await load("./my_attendance.js")).myAttendanceScreen()],
  [/^#\/roll\/(\d+)$/, lazy("./roll.js", "rollScreen")],
  [/^#\/leave$/, async () => (await load("./attendance.js")).leaveScreen()],
  [/^#\/sessions\/(\d+)$/, lazy("./attendance.js", "sessionScreen")],
  [/^#\/incidents\/(\d+)$/, async (id) => (await load("./incidents.js")).incidentScreen(id, route)],
  [/^#\/incidents$/, async () => (await load("./incidents.js")).incidentList()],
  [/^#\/audit$/, async () => (await load("./admin.js")).auditScreen()],
  [/^#\/catalogue$/, async (id, ctx) => (ctx.me.roles.some((g) => g.role === "school_admin")
    ? (await load("./admin.js")).catalogueScreen() : (await load("./screens.js")).catalogueListScreen())],
  [/^#\/rules$/, async () => (await load("./admin.js")).rulesScreen()],
  [/^#\/roster$/, async (id, ctx) => (await load("./admin.js")).rosterScreen(ctx.me)],
  [/^#\/channels$/, screen("./channels.js", "channelsScreen")],
  [/^#\/cadre-review$/, async (id, ctx) => (await load("./cadres.js")).reviewScreen(ctx.me)],
  [/^#\/classes\/(\d+)\/cadres$/, async (id) => (await load("./cadres.js")).cadresScreen(Number(id))],
  [/^#\/cadre-entry$/, async () => (await load("./cadres.js")).cadreEntryScreen()],
  [/^#\/grades$/, async () => (await load("./cadres.js")).gradesScreen()],
  [/^#\/password-logins$/, async () => (await load("./cas.js")).passwordLoginScreen()],
  [/^#\/org$/, async (id, ctx) => (await load("./org.js")).orgScreen(ctx.me)],
  [/^#\/org\/class\/(\d+)$/, async (id) => (await load("./org.js")).classPeopleScreen(id, route)],
  [/^#\/org\/student\/(\d+)$/, async (id) => (await load("./org.js")).studentStatusScreen(id, route)],
  [/^#\/org\/grants$/, async () => (await load("./org.js")).grantsScreen(route)],
  [/^#\/org\/rollover$/, async () => (await load("./org.js")).rolloverScreen(route)],
  [/^#\/timetable(?:\/(\d+))?$/, async (week) => (await load("./timetable.js")).weekScreen(week)],
  [/^#\/today$/, async () => (await load("./timetable.js")).todayScreen()],
  [/^#\/timetable-admin$/, async () => (await load("./timetable.js")).adminScreen(route)],
  [/^#\/holidays$/, async () => (await load("./timetable.js")).holidaysScreen()],
  [/^#\/course-attendance\/(\d+)$/, async (id) => (await load("./timetable.js")).courseAttendance(id)],
  [/^#\/teacher-standards$/, async () => (await load("./teacher_standards.js")).standardsScreen()],
  [/^#\/course-evaluation$/, async () => (await load("./course_evaluation.js")).evaluationScreen()],
  [/^#\/teacher-warnings\/(\d+)$/, async (id) => (await load("./teacher_warnings.js")).teacherWarningScreen(id, route)],
  [/^#\/teacher-warnings(?:\?status=(\w+))?$/, async (status) => (await load("./teacher_warnings.js")).teacherWarningList(status)],
];

// Each navigation takes a turn; a slow screen the user has already left draws nothing.
let turn = 0;

async function route() {
  if (!me) return;
  const mine = ++turn;
  const current = () => mine === turn;
  client.beginScreen();
  if (me.must_change_password) return showPasswordChange();
  for (const [pattern, handler] of ROUTES) {
    const match = location.hash.match(pattern);
    if (match) {
      return Promise.resolve(handler(match[1], { me, role: activeRole, route }))
        .then((nodes) => current() && show(...[nodes].flat()), (error) => current() && show(card(problemText(error))));
    }
  }
  return showHome(current);
}

// After login, at app start, or offline with the last data this device kept for its user.
async function start() {
  me = await api("/api/v1/me");
  if (me.locale && me.locale !== getLang()) {  // the user's choice follows them to this device
    setLang(me.locale);
    renderOutbox();
  }
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

// The choice is the user's setting too: the server then answers (and pushes) in it, on every device.
document.getElementById("lang").addEventListener("click", () => {
  setLang(getLang() === "zh-CN" ? "en" : "zh-CN");
  renderOutbox();
  if (me) {
    me.locale = getLang();
    api("/api/v1/me", { method: "PATCH", body: { locale: me.locale } }).catch(() => {});  // offline: this device keeps it
    route();
  } else loggedOutScreen();
});

function renderNotices() {
  notices.replaceChildren(...[offlineNote, staleNote, ...outboxNotes].filter(Boolean));
}
window.addEventListener("offline", () => { offlineNote = card(t("offline")); renderNotices(); });
window.addEventListener("online", () => { offlineNote = null; renderNotices(); });
// The outbox's count in the bar, and notices for writes that need the user's eyes: refused
// by the server (with its reasons) or past the retention limit. They stay until dismissed.
const pending = document.getElementById("pending");
let outboxState = { count: 0, failed: [], expired: [], unowned: [] };

function writeItem(write, reasons) {
  const [key, vars] = write.label || ["label_write", {}];
  return el("li", { class: "stack" }, el("strong", {}, t(key, vars)),
    el("span", { class: "muted" }, t("madeAt", { time: when(write.created) })),
    reasons ? el("span", { class: "reasons" }, reasons) : null);
}

function notice(testid, title, items, ids) {
  return el("section", { class: "card notice", "data-testid": testid }, el("h2", {}, title),
    items.length ? el("ul", { class: "list" }, items) : null,
    el("button", { type: "button", class: "secondary wide", onclick: () => outbox.dismiss(ids) }, t("dismiss")));
}

function renderOutbox() {
  const { count, failed, expired, unowned } = outboxState;
  pending.hidden = count === 0;
  pending.textContent = t("pending", { count });
  outboxNotes = [
    failed.length && notice("outbox-failed", t("refused"), failed.map((w) => writeItem(w, outbox.refusal(w))), failed.map((w) => w.id)),
    expired.length && notice("outbox-expired", t("expiredTitle", { days: outbox.RETENTION_MS / 86400000 }),
      expired.map((w) => writeItem(w)), expired.map((w) => w.id)),
    unowned.length && notice("outbox-unowned", t("unownedNote", { count: unowned.length }), [], unowned.map((w) => w.id)),
  ];
  renderNotices();
}
window.addEventListener("outbox", (event) => { outboxState = event.detail; renderOutbox(); });

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
setLang(getLang());
// Start: the session the refresh cookie holds; without a connection, the last data the last
// user saw (their session is checked once the network is back); otherwise the login screen.
// Back from campus sign-in: a new session's cookies are set (#/cas-done), or why not (#/cas-error).
const casReturn = location.hash.match(/^#\/cas-(done|error)\??(.*)$/);
if (casReturn?.[1] === "done") { client.adoptSession(); history.replaceState(null, "", "#/"); }
const resumed = casReturn?.[1] === "error" ? false : await client.resume();
if (casReturn?.[1] === "error") showCasError(new URLSearchParams(casReturn[2])).catch(() => showLogin());
else if (resumed === true || (resumed === null && client.lastViewer())) start().catch(() => showLogin());
else showLogin();

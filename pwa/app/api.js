// The API client. The access token lives only in this module's memory (never in
// localStorage, where any injected script could read it); a page reload gets a
// new one from the HttpOnly refresh cookie, proving the CSRF cookie's value.
//
// The last answer to every GET is kept on the device for the user who saw it (IndexedDB
// "views"), so a screen opened without a connection shows that data and says how old it is.
// Only one user's data is kept: logging out, or another user logging in, clears it.
import { run } from "./db.js";
import { addText, getLang, t } from "./i18n.js";

let accessToken = null;
let viewer = null;        // the user whose data this page shows and keeps
let staleSince = null;    // the oldest kept answer shown since the screen began, if any
let switching = Promise.resolve();  // clearing the previous user's kept data
const VIEWER = "spiral.viewer";       // the last user who used the app here and did not log out
const LOGGED_OUT = "spiral.loggedOut"; // a logout that could not reach the server yet

export class ProblemError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.status = problem.status;
  }
}

// The token was taken for another user than the one a write belongs to: do not send it now.
export class NotThisUser extends Error {}

function cookie(name) {
  const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
}

// The user id an access token was made for (its `sub`).
function userOf(token) {
  try {
    return Number(JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub);
  } catch { return null; }
}

export async function problemOf(response) {
  try { return await response.json(); } catch { return { title: response.statusText, status: response.status }; }
}

export async function login(username, password) {
  let response;
  try {
    response = await fetch("/api/v1/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept-Language": getLang() },
      body: JSON.stringify({ username, password }),
    });
  } catch { throw new ProblemError({ title: t("offlineLogin") }); }
  if (!response.ok) throw new ProblemError(await problemOf(response));
  const body = await response.json();
  accessToken = body.access_token;
  localStorage.removeItem(LOGGED_OUT);  // the new session's cookies replaced the old ones
  return body;
}

// true: a new access token; false: no session (or it ended); null: the server is out of reach.
export async function refresh() {
  const csrf = cookie("csrf_refresh_token");
  if (!csrf) return false;
  let response;
  try {
    response = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "X-CSRF-TOKEN": csrf } });
  } catch { return null; }
  if (!response.ok) return false;
  accessToken = (await response.json()).access_token;
  return true;
}

// A logout made offline left the refresh cookie behind: end that session on the server
// before anyone can resume it. Called at start and when the network comes back.
export async function endLeftoverSession() {
  if (!localStorage.getItem(LOGGED_OUT)) return;
  const state = await refresh();
  if (state === true) await logout();
  else if (state === false) localStorage.removeItem(LOGGED_OUT);
}

// Campus sign-in set a new session's cookies (they replaced any left behind by an offline logout).
export function adoptSession() { localStorage.removeItem(LOGGED_OUT); }

// At app start: the session the refresh cookie holds, unless its user logged out here.
export async function resume() {
  if (localStorage.getItem(LOGGED_OUT)) {
    await endLeftoverSession();
    return false;
  }
  return refresh();
}

// Ends the session. Without a connection the server cannot hear it yet: the device forgets
// the session anyway (token, kept data, who was here) and ends it on the server later.
export async function logout() {
  try {
    if (accessToken) await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${accessToken}` } });
    localStorage.removeItem(LOGGED_OUT);
  } catch {
    localStorage.setItem(LOGGED_OUT, "1");
  }
  accessToken = null;
  viewer = null;
  localStorage.removeItem(VIEWER);
  switching = forgetViews();
  await switching;
}

export const hasToken = () => accessToken !== null;
export const lastViewer = () => Number(localStorage.getItem(VIEWER)) || null;

// The user whose data is shown and kept from now on; another user's kept data is cleared first.
export function setViewer(id) {
  if (viewer === id) return switching;
  const previous = lastViewer();
  viewer = id;
  localStorage.setItem(VIEWER, String(id));
  if (previous !== id) switching = forgetViews();
  return switching;
}

async function forgetViews() {
  try { await run("views", "readwrite", (s) => s.clear()); } catch { /* no IndexedDB: nothing kept */ }
}

// fetch() with the access token; on 401 it refreshes once and retries. With `as`, the
// request goes out only with a token of that user (an outbox write is never sent as another).
export async function authFetch(path, init = {}, retried = false) {
  const { as, ...rest } = init;
  if (as !== undefined && userOf(accessToken) !== as) throw new NotThisUser();
  const headers = { ...(rest.headers || {}), Authorization: `Bearer ${accessToken}`, "Accept-Language": getLang() };
  const response = await fetch(path, { ...rest, headers });
  if (response.status === 401 && !retried && await refresh() === true) return authFetch(path, init, true);
  return response;
}

// Screens call this when they begin; staleness() then says how old the oldest kept data shown is.
export function beginScreen() { staleSince = null; }
export const staleness = () => staleSince;

async function kept(path) {
  const user = viewer ?? lastViewer();
  if (user == null) return undefined;
  try { return await run("views", "readonly", (s) => s.get([user, path])); } catch { return undefined; }
}

// An answer is kept for the user whose token fetched it, if that session is still the one here.
async function keep(user, path, data) {
  if (user == null || userOf(accessToken) !== user) return;
  setViewer(user);
  await switching;
  try { await run("views", "readwrite", (s) => s.put({ user, path, data, at: Date.now() })); } catch { /* full or absent */ }
}

// JSON in, JSON out; a problem document becomes a thrown ProblemError. Every write
// carries a fresh Idempotency-Key, so a retry after a timeout cannot count twice.
// A GET that cannot reach the server answers with the data this user last saw, if any.
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {} };
  if (method !== "GET") init.headers["Idempotency-Key"] = crypto.randomUUID();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const user = userOf(accessToken);
  let response;
  try {
    response = await authFetch(path, init);
  } catch (error) {
    if (method !== "GET") throw new ProblemError({ title: t("offlineWrite") });
    const hit = await kept(path);
    if (!hit) throw new ProblemError({ title: t("offlineNoData") });
    staleSince = Math.min(staleSince ?? hit.at, hit.at);
    return hit.data;
  }
  if (!response.ok) throw new ProblemError(await problemOf(response));
  if (response.status === 204) return null;
  const data = await response.json();
  if (method === "GET") await keep(user, path, data);
  return data;
}

const CJK = /[\u3400-\u9fff]/;

// The UI language's half of a server message written "中文 / English" (until the server answers
// in one language); a text without both halves is kept as it is.
export function oneLanguage(text) {
  const parts = String(text ?? "").split(" / ");
  if (parts.length < 2 || !CJK.test(parts[0]) || CJK.test(parts.at(-1))) return String(text ?? "");
  return getLang() === "en" ? parts.slice(1).join(" / ") : parts[0];
}

addText({
  field_effective_on: "生效日期", field_day: "日期", field_name: "名称", field_weekday: "星期", field_first_period: "起始节次",
  field_last_period: "结束节次", field_periods: "节次", field_weeks: "周次", field_room: "教室", field_teacher_id: "教师",
  field_course_id: "课程", field_class_ids: "班级", field_class_id: "班级", field_user_id: "人员", field_to_term_id: "下一学期",
  field_file: "文件", field_weight: "权重", field_value_type: "值类型", field_kind: "类型", field_action: "学籍变动",
  field_department_id: "系部", field_session_id: "课次", field_occasion_title: "主题", field_value: "分值", field_reason: "原因",
  field_follows_weekday: "按星期几上课", itemN: "第 {n} 项",
}, {
  field_effective_on: "Effective date", field_day: "Date", field_name: "Name", field_weekday: "Weekday",
  field_first_period: "First period", field_last_period: "Last period", field_periods: "Periods", field_weeks: "Weeks",
  field_room: "Room", field_teacher_id: "Teacher", field_course_id: "Course", field_class_ids: "Classes", field_class_id: "Class",
  field_user_id: "Person", field_to_term_id: "Next term", field_file: "File", field_weight: "Weight", field_value_type: "Value type",
  field_kind: "Kind", field_action: "Status change", field_department_id: "Department", field_session_id: "Lesson",
  field_occasion_title: "Theme", field_value: "Value", field_reason: "Reason", field_follows_weekday: "Runs the timetable of",
  itemN: "item {n}",
});

// A field key in the reader's words ("days[1].day" → "日期（第 2 项）"); a key without words stays as it is.
function fieldWords(key) {
  const word = (k) => (t(`field_${k}`) === `field_${k}` ? k : t(`field_${k}`));
  const item = key.match(/^(\w+)\[(\d+)\]\.(\w+)$/);
  if (!item) return word(key);
  const n = t("itemN", { n: Number(item[2]) + 1 });
  return getLang() === "en" ? `${word(item[3])} (${n})` : `${word(item[3])}（${n}）`;
}

// A problem document as one readable message in the UI language: title, then each field's errors.
// `error.field` (set by the outbox) turns a field such as entries[3].value into the student it is
// about. A detail the server gave in English only is left out of a Chinese screen.
export function problemText(error) {
  const problem = error.problem || { title: String(error.message || error) };
  const name = error.field || fieldWords;
  const fields = Object.entries(problem.errors || {}).map(([k, v]) => `${name(k)}: ${[v].flat().map(oneLanguage).join(" ")}`);
  const detail = problem.detail && (getLang() === "en" || CJK.test(problem.detail)) ? oneLanguage(problem.detail) : null;
  return [oneLanguage(problem.title), detail, ...fields].filter(Boolean).join("\n");
}

// A 422's field errors beside the inputs they name (`slots`: field → [input, message node]), labelled
// by the visible label; the first invalid input is scrolled to and focused. Returns the rest as text.
export function showFieldErrors(error, slots, labels = {}) {
  const problem = error.problem || { title: String(error.message || error) };
  const rest = [];
  let first = null;
  for (const [field, texts] of Object.entries(problem.errors || {})) {
    const flat = (m) => (typeof m === "string" ? [oneLanguage(m)] : Object.values(m ?? {}).flatMap(flat));
    const text = flat([texts]).join(" ");
    const key = slots[field] ? field : field.split(/[.[]/)[0];
    if (slots[key]) {
      const [input, node] = slots[key];
      node.textContent = text;
      node.hidden = false;
      input.setAttribute("aria-invalid", "true");
      first ??= input;
    } else rest.push(`${labels[key] || key}: ${text}`);
  }
  if (first) {
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  }
  return [first ? null : oneLanguage(problem.title), ...rest].filter(Boolean).join("\n");
}

// A file from the API saved through a temporary link (the token stays in this module).
export async function download(path, name) {
  const response = await authFetch(path);
  if (!response.ok) throw new ProblemError(await problemOf(response));
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await response.blob()), download: name });
  link.click();
}

// The offline outbox: every write gets an Idempotency-Key made here, on the device.
// A write that cannot reach the server waits in IndexedDB and is replayed on the `online`
// event, at app start and on a backoff timer (Background Sync is not reliable enough to
// count on). The server answers a replay with the first result, so a write sent twice
// still counts once.
//
// Each write belongs to the user who made it: only that user's writes are replayed, and only
// with a token of that user, so on a shared phone one student's queued check-in is never sent
// as the next student's. The queue runs oldest first (an auto-increment id).
//   queued   waits; network errors, 408, 429 and 5xx keep it here and retry with backoff
//            (Retry-After when the server gives one)
//   failed   the server refused it (another 4xx): shown with the server's reasons
//   expired  still unsent after RETENTION: no longer tried, shown to its user
//   unowned  saved before writes recorded their user: shown, never sent
// Nothing leaves the outbox without its user seeing it: sent, or dismissed from a notice.
import { authFetch, NotThisUser, ProblemError, problemOf, problemText } from "./api.js";
import { getAll, run } from "./db.js";
import { addText, t } from "./i18n.js";

export const RETENTION_MS = 7 * 24 * 3600 * 1000;
const BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
let user = null;
let replaying = null;
let timer = null;

const put = (write) => run("outbox", "readwrite", (s) => s.put(write));
const remove = (id) => run("outbox", "readwrite", (s) => s.delete(id));
const retryable = (status) => status === 408 || status === 429 || status >= 500;

// The user whose writes are queued, shown and replayed from now on (null: nobody is logged in).
export function setUser(id) {
  user = id;
  clearTimeout(timer);
  announce();
}

// The current user's writes in one state, oldest first ("unowned" ones have no user).
async function mine(state) {
  if (user == null) return [];
  const owner = state === "unowned" ? null : user;
  try {
    return (await getAll("outbox")).filter((w) => w.user === owner && w.state === state).sort((a, b) => a.id - b.id);
  } catch { return []; }
}

export async function pendingCount() {
  return user == null ? 0 : (await mine("queued")).length;
}

// Tells the page what the current user has waiting, and what needs their eyes.
export async function announce() {
  const [queued, failed, expired, unowned] = await Promise.all(["queued", "failed", "expired", "unowned"].map(mine));
  window.dispatchEvent(new CustomEvent("outbox", { detail: { count: queued.length, failed, expired, unowned } }));
}

function post(write) {
  return authFetch(write.path, {
    method: write.method, as: write.user,
    headers: { "Content-Type": "application/json", "Idempotency-Key": write.key },
    body: JSON.stringify(write.body),
  });
}

// How long to wait before the next try: the server's Retry-After, else an exponential backoff.
function delay(write, response) {
  const header = response?.headers.get("Retry-After");
  let asked = 0;
  if (header) asked = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Math.max(Date.parse(header) - Date.now(), 0) || 0;
  const backoff = Math.min(BACKOFF_MS * 2 ** Math.max(write.attempts - 1, 0), MAX_BACKOFF_MS);
  return Math.max(asked, backoff * (0.8 + Math.random() * 0.4));
}

function schedule(at) {
  clearTimeout(timer);
  timer = setTimeout(() => replay(), Math.max(at - Date.now(), 0));
}

async function retryLater(write, response) {
  write.attempts += 1;
  write.next = Date.now() + delay(write, response);
  write.waitsFor = response ? "server" : "network";
  await put(write);
  schedule(write.next);
}

// Fields people know by a word; a row without a known name is its row number, never entries[3].value.
const FIELD_WORDS = { point: "point", period: "period", value: "value", reason: "reason", entries: "entries" };
addText({ rowN: "第 {n} 行" }, { rowN: "row {n}" });

// A field such as entries[3].value named by the student it is about, where the write knows the name.
function fieldNamer(write) {
  return (field) => {
    const index = field.match(/^entries\[(\d+)\]/);
    const row = index && write.body?.entries?.[Number(index[1])];
    const name = row && write.names?.[row.student_id ?? row.class_id];
    if (index) return name || t("rowN", { n: Number(index[1]) + 1 });
    return FIELD_WORDS[field] ? t(FIELD_WORDS[field]) : field;
  };
}

// Why the server refused a write, as one readable message naming the students it is about.
export function refusal(write) {
  return problemText({ problem: write.problem, field: fieldNamer(write) });
}

// Send a write now; if it cannot get through, keep it for later and say so.
// `label` ([i18n key, vars]) says what the write was in the notices; `names` maps the ids in
// body.entries to the names shown when the server refuses a row.
export async function send(path, { method = "POST", body = {}, label = null, names = null } = {}) {
  if (user == null) throw new ProblemError({ title: t("offlineWrite") });
  const write = { key: crypto.randomUUID(), user, path, method, body, label, names, created: Date.now(),
    attempts: 0, state: "queued" };
  let response;
  try {
    response = await post(write);
  } catch {
    return queue(write, null);
  }
  if (retryable(response.status)) return queue(write, response);
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ProblemError(answer || { title: response.statusText, status: response.status });
    error.field = fieldNamer(write);
    throw error;
  }
  return answer;
}

async function queue(write, response) {
  const problem = response ? await problemOf(response) : null;
  write.id = await put(write);
  await retryLater(write, response);
  announce();
  return { queued: true, problem };
}

// Run a write and tell `status` what became of it: done(answer)'s text once sent,
// "queued" while it waits, or the server's reasons when it is refused.
export async function report(status, write, done) {
  try {
    const answer = await write();
    status.textContent = answer?.queued
      ? [t("queued"), answer.problem && problemText({ problem: answer.problem })].filter(Boolean).join("\n")
      : ((await done(answer)) ?? "");
  } catch (error) {
    status.textContent = problemText(error);
  }
}

// Replay the current user's queue, oldest first. A write past the retention limit is set aside
// as expired; a network failure or a 408/429/5xx keeps the write at the front and retries
// later (`now`: the network just came back, so writes that waited for it go at once);
// a refusal is kept as failed for the user to read; a success leaves the outbox.
export function replay({ now = false } = {}) {
  replaying ||= (async () => {
    clearTimeout(timer);
    const owner = user;
    if (owner == null) return;
    for (const write of await mine("queued")) {
      if (user !== owner) break;  // logged out meanwhile: the rest wait for their user
      if (Date.now() - write.created > RETENTION_MS) {
        await put({ ...write, state: "expired" });
        continue;
      }
      if (write.next > Date.now() && !(now && write.waitsFor === "network")) { schedule(write.next); break; }
      let response;
      try {
        response = await post(write);
      } catch (error) {
        if (!(error instanceof NotThisUser)) await retryLater(write, null);
        break;
      }
      if (retryable(response.status)) { await retryLater(write, response); break; }
      if (response.status === 401) break;  // the session ended: the write waits for its user's next login
      if (response.ok) await remove(write.id);
      else await put({ ...write, state: "failed", problem: await problemOf(response) });
    }
    return owner;
  })().finally(() => { replaying = null; announce(); });
  // Another user logged in while the last replay ran: their queue goes now.
  return replaying.then((owner) => (user != null && user !== owner ? replay({ now }) : undefined));
}

// The user has read a notice: the failed or expired write leaves the device.
export async function dismiss(ids) {
  if (user == null) return;
  const ours = (await getAll("outbox")).filter((w) => ids.includes(w.id) && w.state !== "queued"
    && (w.user === user || w.state === "unowned"));
  for (const write of ours) await remove(write.id);
  announce();
}

window.addEventListener("online", () => replay({ now: true }));

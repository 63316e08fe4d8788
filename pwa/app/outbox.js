// The offline outbox: every write gets an Idempotency-Key made here, on the device.
// A write that cannot reach the server waits in IndexedDB (oldest first) and is
// replayed on the `online` event and at app start (Background Sync is not reliable
// enough to count on). The server answers a replay with the first result, so a
// write sent twice still counts once.
import { authFetch, ProblemError, problemText } from "./api.js";
import { t } from "./i18n.js";

const DB = "spiral-outbox";
const STORE = "writes";
let replaying = null;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result.result);
    tx.onerror = () => reject(tx.error);
  });
}

const all = () => store("readonly", (s) => s.getAll());
const remove = (key) => store("readwrite", (s) => s.delete(key));

export async function pendingCount() {
  return (await store("readonly", (s) => s.count())) || 0;
}

function announce() {
  pendingCount().then((count) => window.dispatchEvent(new CustomEvent("outbox", { detail: { count } })));
}

async function post(write) {
  return authFetch(write.path, {
    method: write.method,
    headers: { "Content-Type": "application/json", "Idempotency-Key": write.key },
    body: JSON.stringify(write.body),
  });
}

async function answer(response) {
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ProblemError(body || { title: response.statusText, status: response.status });
  return body;
}

// Send a write now; if the network is down, keep it for later and say so.
export async function send(path, { method = "POST", body = {} } = {}) {
  const write = { key: crypto.randomUUID(), path, method, body, created: Date.now() };
  let response;
  try {
    response = await post(write);
  } catch {
    await store("readwrite", (s) => s.put(write));
    announce();
    return { queued: true };
  }
  return answer(response);
}

// Run a write and tell `status` what became of it: done(answer)'s text once sent,
// "queued" while it waits offline, or the server's reasons when it is refused.
export async function report(status, write, done) {
  try {
    const answer = await write();
    status.textContent = answer.queued ? t("queued") : ((await done(answer)) ?? "");
  } catch (error) {
    status.textContent = problemText(error);
  }
}

// Replay the queue in order. A network failure stops the replay and keeps the write;
// an answer (success, or a refusal such as 422 that retrying cannot fix) removes it.
export function replay() {
  replaying ||= (async () => {
    const refused = [];
    const writes = (await all()).sort((a, b) => a.created - b.created);
    for (const write of writes) {
      let response;
      try { response = await post(write); } catch { break; }
      if (response.status >= 500 || response.status === 401) break;
      if (!response.ok) refused.push(await response.json().catch(() => ({ title: response.statusText })));
      await remove(write.key);
    }
    announce();
    if (refused.length) window.dispatchEvent(new CustomEvent("outbox-refused", { detail: refused }));
  })().finally(() => { replaying = null; });
  return replaying;
}

window.addEventListener("online", () => replay());

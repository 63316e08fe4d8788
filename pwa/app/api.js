// The API client. The access token lives only in this module's memory (never in
// localStorage, where any injected script could read it); a page reload gets a
// new one from the HttpOnly refresh cookie, proving the CSRF cookie's value.
let accessToken = null;

export class ProblemError extends Error {
  constructor(problem) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.status = problem.status;
  }
}

function cookie(name) {
  const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : null;
}

async function problemOf(response) {
  try { return await response.json(); } catch { return { title: response.statusText, status: response.status }; }
}

export async function login(username, password) {
  const response = await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new ProblemError(await problemOf(response));
  const body = await response.json();
  accessToken = body.access_token;
  return body;
}

export async function refresh() {
  const csrf = cookie("csrf_refresh_token");
  if (!csrf) return false;
  const response = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "X-CSRF-TOKEN": csrf } });
  if (!response.ok) return false;
  accessToken = (await response.json()).access_token;
  return true;
}

export async function logout() {
  if (accessToken) await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${accessToken}` } });
  accessToken = null;
}

// fetch() with the access token; on 401 it refreshes once and retries.
export async function authFetch(path, init = {}, retried = false) {
  const headers = { ...(init.headers || {}), Authorization: `Bearer ${accessToken}` };
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 && !retried && await refresh()) return authFetch(path, init, true);
  return response;
}

// JSON in, JSON out; a problem document becomes a thrown ProblemError. Every write
// carries a fresh Idempotency-Key, so a retry after a timeout cannot count twice.
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {} };
  if (method !== "GET") init.headers["Idempotency-Key"] = crypto.randomUUID();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await authFetch(path, init);
  if (!response.ok) throw new ProblemError(await problemOf(response));
  return response.status === 204 ? null : response.json();
}

// A problem document as one readable message: title, then each field's errors.
export function problemText(error) {
  const problem = error.problem || { title: String(error.message || error) };
  const fields = Object.entries(problem.errors || {}).map(([k, v]) => `${k}: ${[v].flat().join(" ")}`);
  return [problem.title, problem.detail, ...fields].filter(Boolean).join("\n");
}

// A file from the API saved through a temporary link (the token stays in this module).
export async function download(path, name) {
  const response = await authFetch(path);
  if (!response.ok) throw new ProblemError(await problemOf(response));
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await response.blob()), download: name });
  link.click();
}

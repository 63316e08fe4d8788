// Warnings and notifications: the alert inbox, a warning's detail and timeline, the
// student's own warnings, the notification inbox and the push settings of this device.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { interventionOptions, trendCard } from "./effect.js"; // issue 15 "effect": kinds and the trend chart
import { local, t } from "./i18n.js";

const LEVEL_CLASS = { red: "tag danger", orange: "tag orange", yellow: "tag notice" };

function levelTag(level) {
  return el("span", { class: LEVEL_CLASS[level] || "tag", "data-testid": "level" }, t(`level_${level}`));
}

function age(iso) {
  const hours = Math.max(0, Math.round((Date.now() - new Date(iso)) / 3.6e6));
  return hours < 48 ? t("hoursAgo", { n: hours }) : t("daysAgo", { n: Math.round(hours / 24) });
}

// Counsellor: everything they act on; head teacher: their classes' warnings. Worst and oldest first.
export async function alertInbox(title) {
  const warnings = await api("/api/v1/warnings?status=open");
  if (!warnings.length) return card(title, empty(t("alertsEmpty")));
  return card(`${title} (${warnings.length})`, el("ul", { class: "list", "data-testid": "alert-list" }, warnings.map((w) =>
    el("li", { "data-testid": "alert-item" },
      el("a", { href: `#/warnings/${w.id}` }, `${w.student_name} · ${local(w.rule, "name")}`),
      el("span", {}, levelTag(w.level), " ", el("span", { class: "muted" }, `${w.class_name} · ${age(w.raised_at)}`),
        new Date(w.due_at) < new Date() && !["acknowledged", "in_progress"].includes(w.status)
          ? el("span", { class: "tag danger" }, t("overdue")) : null)))));
}

function valuesList(values) {
  return el("ul", { class: "list", "data-testid": "evidence" }, values.map((v) =>
    el("li", {}, el("span", {}, v.name_zh ? local(v, "name") : v.code),
      el("strong", {}, `${v.indicator}`, v.warning_value != null ? el("span", { class: "muted" }, ` / ${t("warning")} ${v.warning_value}`) : null))));
}

function timeline(events) {
  return el("ol", { class: "timeline", "data-testid": "timeline" }, events.map((e) =>
    el("li", {}, el("strong", {}, t(`event_${e.kind}`)), " ",
      el("span", { class: "muted" }, new Date(e.at).toLocaleString()),
      e.text && !["raised", "notified", "escalated", "level"].includes(e.kind) ? el("p", {}, e.text) : null,
      e.follow_up_on ? el("p", { class: "muted" }, `${t("followUp")} ${e.follow_up_on}`) : null)));
}

// One warning: evidence, timeline, and the actions of whoever must act on it.
export async function warningScreen(id, rerender) {
  const trend = trendCard(id); // issue 15 "effect": fetched alongside the warning
  const w = await api(`/api/v1/warnings/${id}`);
  const message = el("p", { class: "error", role: "alert" });
  const act = (path, body) => async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/warnings/${id}/${path}`, { method: "POST", body: body ? body(event.target) : undefined });
      rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
  const open = w.status !== "resolved";
  const form = open ? el("form", { class: "stack", "data-testid": "intervention-form", onsubmit: act("interventions", (f) => ({
    kind: f.kind.value, text: f.text.value, ...(f.follow_up_on.value ? { follow_up_on: f.follow_up_on.value } : {}),
  })) },
  el("label", { for: "kind" }, t("interventionKind")),
  el("select", { id: "kind", name: "kind" }, interventionOptions()), // issue 15 "effect"
  el("label", { for: "text" }, t("interventionText")), el("textarea", { id: "text", name: "text", required: true, rows: 3 }),
  el("label", { for: "follow_up_on" }, t("followUp")), el("input", { id: "follow_up_on", name: "follow_up_on", type: "date" }),
  el("button", { type: "submit", class: "wide" }, t("addIntervention"))) : null;
  const resolve = open ? el("form", { class: "stack", onsubmit: act("resolve", (f) => ({ text: f.resolution.value })) },
    el("label", { for: "resolution" }, t("resolution")), el("input", { id: "resolution", name: "resolution", required: true }),
    el("button", { type: "submit", class: "link" }, t("resolve"))) : null;
  return [
    el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(`${w.student_name} · ${local(w.rule, "name")}`,
      el("p", {}, levelTag(w.level), " ", el("span", { class: "tag", "data-testid": "status" }, t(`status_${w.status}`)),
        " ", el("span", { class: "muted" }, open ? `${w.class_name} · ${t("waitingOn")} ${t(`role_${w.waiting_on}`)}` : w.class_name)),
      el("p", { class: "muted" }, local(w.rule, "explanation")),
      el("h3", {}, t("evidence")), valuesList(w.evidence.values || []),
      (w.evidence.groups || []).length ? el("p", {}, `${t("registered")}: ${w.evidence.groups.map((g) => t(`group_${g}`)).join("、")}`) : null,
      (w.evidence.entries || []).length ? el("details", {}, el("summary", {}, `${t("entries")} (${w.evidence.entries.length})`),
        el("ul", { class: "list" }, w.evidence.entries.map((e) => el("li", {}, el("span", {}, `${e.code} ${e.period}`), el("strong", {}, e.value))))) : null,
      el("h3", {}, t("timeline")), timeline(w.events),
      open && !w.acknowledged_at ? el("button", { type: "button", class: "wide", "data-testid": "acknowledge", onclick: act("acknowledge") }, t("acknowledge")) : null,
      form, resolve, message),
    await trend, // issue 15 "effect": the indicators before and after each intervention
  ];
}

// The student's own warnings (never the need-to-know ones) and what to do next.
export async function myWarnings(openId) {
  const warnings = await api("/api/v1/me/warnings");
  if (!warnings.length) return card(t("warnings"), empty(t("warningsEmpty")));
  return card(t("warnings"), el("div", { "data-testid": "my-warnings" }, warnings.map((w) =>
    el("details", { open: String(w.id) === String(openId), "data-testid": `my-warning-${w.id}` },
      el("summary", {}, levelTag(w.level), " ", local(w.rule, "name")),
      valuesList(w.values), el("p", { class: "advice" }, local(w.rule, "advice"))))));
}

export async function inboxCard() {
  const inbox = await api("/api/v1/notifications");
  const open = async (n) => { await api(`/api/v1/notifications/${n.id}/read`, { method: "POST" }); location.hash = n.url.replace(/^\/?/, "").replace(/^#?/, "#"); };
  return card(`${t("inbox")}${inbox.unread ? ` (${inbox.unread})` : ""}`, inbox.items.length
    ? el("ul", { class: "list", "data-testid": "inbox" }, inbox.items.slice(0, 20).map((n) =>
      el("li", { class: n.read_at ? "" : "unread" },
        el("a", { href: n.url, onclick: (e) => { e.preventDefault(); open(n); } }, n.title),
        el("span", { class: "muted" }, age(n.created_at)))))
    : empty(t("inboxEmpty")));
}

function urlBase64ToUint8Array(base64) {
  const raw = atob((base64 + "=".repeat((4 - (base64.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function thisDevice() {
  const registration = await navigator.serviceWorker?.ready;
  return registration?.pushManager ? registration.pushManager.getSubscription() : null;
}

// Push on or off for this device, the user's other devices, quiet hours and the digest.
export async function settingsCard() {
  const [settings, devices, current] = await Promise.all([api("/api/v1/me/notification-settings"),
    api("/api/v1/push/subscriptions"), thisDevice().catch(() => null)]);
  const message = el("p", { class: "muted", role: "status", "data-testid": "settings-message" });
  const hours = (name, value) => el("select", { id: name, name, "data-testid": name },
    el("option", { value: "", selected: value == null }, "—"),
    Array.from({ length: 24 }, (_, h) => el("option", { value: h, selected: value === h }, `${h}:00`)));
  const togglePush = async () => {
    try {
      if (current) {
        const mine = devices.find((d) => d.endpoint === current.endpoint);
        if (mine) await api(`/api/v1/push/subscriptions/${mine.id}`, { method: "DELETE" });
        await current.unsubscribe();
      } else {
        if (await Notification.requestPermission() !== "granted") throw new Error(t("pushDenied"));
        const { public_key: key } = await api("/api/v1/push/key");
        const registration = await navigator.serviceWorker.ready;
        const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: urlBase64ToUint8Array(key) });
        await api("/api/v1/push/subscriptions", { method: "POST", body: { ...sub.toJSON(), device: navigator.userAgent.slice(0, 120) } });
      }
      location.hash = "#/settings";
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (error) { message.textContent = problemText(error); }
  };
  const save = async (event) => {
    event.preventDefault();
    const f = event.target;
    const hour = (v) => (v === "" ? null : Number(v));
    try {
      await api("/api/v1/me/notification-settings", { method: "PUT", body: {
        quiet_from: hour(f.quiet_from.value), quiet_until: hour(f.quiet_until.value),
        digest: f.digest.checked, digest_hour: Number(f.digest_hour.value || 17) } });
      message.textContent = t("settingsSaved");
    } catch (error) { message.textContent = problemText(error); }
  };
  return card(t("notificationSettings"),
    el("button", { type: "button", class: "wide", "data-testid": "push-toggle", onclick: togglePush },
      current ? t("pushOff") : t("pushOn")),
    devices.length ? el("ul", { class: "list", "data-testid": "devices" }, devices.map((d) =>
      el("li", {}, el("span", {}, d.device || t("device")),
        el("input", { type: "checkbox", checked: d.enabled, "aria-label": t("pushOn"), onchange: (e) =>
          api(`/api/v1/push/subscriptions/${d.id}`, { method: "PATCH", body: { enabled: e.target.checked } }) })))) : null,
    el("form", { class: "stack", onsubmit: save },
      el("label", { for: "quiet_from" }, t("quietFrom")), hours("quiet_from", settings.quiet_from),
      el("label", { for: "quiet_until" }, t("quietUntil")), hours("quiet_until", settings.quiet_until),
      el("label", {}, el("input", { type: "checkbox", name: "digest", checked: settings.digest }), " ", t("digest")),
      el("label", { for: "digest_hour" }, t("digestHour")), hours("digest_hour", settings.digest_hour),
      el("p", { class: "muted" }, t("redAlways")),
      el("button", { type: "submit", class: "wide" }, t("save"))), message);
}

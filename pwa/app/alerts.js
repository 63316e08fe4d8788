// Warnings and notifications: the alert inbox, a warning's detail and timeline, the
// student's own warnings, the notification inbox and the push settings of this device.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { interventionOptions, trendCard } from "./effect.js";
import { addText, labelled, listed, local, t, when } from "./i18n.js";

addText({
  status_withdrawn: "已撤回", event_withdrawn: "已撤回", withdrawnNote: "依据的记录已撤销或更正，本预警已撤回，无需处理。",
  episodeOf: "第{n}次", previousWarning: "上次预警 #{id}", basisSessions: "{sessions} 节课 · {days} 天",
  basisValues: "{values} 个值", basisValue: "1 个值", marks: "考勤记录", entriesBehind: "采分记录", markedBy: "记录人", source_checkin: "学生签到",
  source_teacher: "教师标记", source_close: "结束签到时记为缺课", source_leave: "请假", markStatus_absent: "缺课",
  markStatus_late: "迟到", markStatus_leave: "请假", markStatus_present: "到课", session: "课堂",
}, {
  status_withdrawn: "Withdrawn", event_withdrawn: "Withdrawn",
  withdrawnNote: "The records behind this warning were reversed or corrected; it is withdrawn and needs nothing from you.",
  episodeOf: "Episode {n}", previousWarning: "previous warning #{id}",
  basisSessions: "{sessions} sessions · {days} days", basisValues: "{values} values", basisValue: "1 value", marks: "Attendance marks",
  entriesBehind: "Scoring entries", markedBy: "by", source_checkin: "check-in", source_teacher: "marked by the teacher",
  source_close: "absent when the session closed", source_leave: "leave", markStatus_absent: "Absent",
  markStatus_late: "Late", markStatus_leave: "Leave", markStatus_present: "Present", session: "Session",
});

const CLOSED = ["resolved", "withdrawn"];

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
      el("a", { href: `#/warnings/${w.id}` }, `${w.student_name} · ${local(w.rule, "name")}`,
        w.episode > 1 ? ` · ${t("episodeOf", { n: w.episode })}` : ""),
      el("span", {}, levelTag(w.level), " ", el("span", { class: "muted" }, `${w.class_name} · ${age(w.raised_at)}`),
        new Date(w.due_at) < new Date() && !["acknowledged", "in_progress"].includes(w.status)
          ? el("span", { class: "tag danger" }, t("overdue")) : null)))));
}

function basis(b) {
  if (!b) return null;
  return [el("br"), el("small", { class: "muted", "data-testid": "basis" }, b.sessions != null
    ? t("basisSessions", { sessions: b.sessions, days: b.days }) : t(b.values === 1 ? "basisValue" : "basisValues", { values: b.values }))];
}

// Every value past the line: the student's figure against the warning and standard values, and
// how much lies behind it (sessions over days, or values).
function valuesList(values) {
  return el("ul", { class: "list", "data-testid": "evidence" }, values.map((v) =>
    el("li", {}, el("span", {}, v.name_zh ? local(v, "name") : v.code, v.name_zh ? el("span", { class: "muted" }, ` ${v.code}`) : null),
      el("span", {}, el("strong", {}, `${v.indicator}`),
        v.warning_value != null ? el("span", { class: "muted" }, ` / ${t("warning")} ${v.warning_value}`) : null,
        v.standard_value != null ? el("span", { class: "muted" }, ` / ${t("standard")} ${v.standard_value}`) : null,
        v.condition ? el("span", { class: "muted" }, ` (${v.condition})`) : null, basis(v.basis)))));
}

const day = (iso) => (iso ? iso.slice(0, 10) : "");

// The ledger entries and attendance marks behind the values, with dates and who recorded them.
function behind(evidence) {
  const entries = evidence.entries || [];
  const marks = evidence.marks || [];
  return [
    entries.length ? el("details", { open: true, "data-testid": "evidence-entries" },
      el("summary", {}, `${t("entriesBehind")} (${entries.length})`),
      el("ul", { class: "list" }, entries.map((e) => el("li", { "data-testid": `entry-${e.entry_id}` },
        el("span", {}, `${e.code} · ${e.period_zh ? local(e, "period") : e.period}`, el("br"), el("small", { class: "muted" },
          `${day(e.recorded_at)} · ${t("markedBy")} ${e.recorded_by ?? "—"} · #${e.entry_id}`)),
        el("strong", {}, e.value))))) : null,
    marks.length ? el("details", { open: true, "data-testid": "evidence-marks" },
      el("summary", {}, `${t("marks")} (${marks.length})`),
      el("ul", { class: "list" }, marks.map((m) => el("li", { "data-testid": `mark-${m.session_id}` },
        el("span", {}, `${m.day}${m.course ? ` · ${m.course}` : ""}`, el("br"), el("small", { class: "muted" },
          `${t("session")} #${m.session_id} · ${t("markedBy")} ${m.marked_by ?? "—"} · ${t(`source_${m.source}`)}`)),
        el("strong", {}, t(`markStatus_${m.status}`)))))) : null,
  ];
}

function timeline(events) {
  return el("ol", { class: "timeline", "data-testid": "timeline" }, events.map((e) =>
    el("li", {}, el("strong", {}, t(`event_${e.kind}`)), " ",
      el("span", { class: "muted" }, when(e.at)),
      e.text && !["raised", "notified", "escalated", "level"].includes(e.kind) ? el("p", {}, e.text) : null,
      e.follow_up_on ? el("p", { class: "muted" }, `${t("followUp")} ${e.follow_up_on}`) : null)));
}

// One warning: evidence, timeline, and the actions of whoever must act on it.
export async function warningScreen(id, rerender) {
  const trend = trendCard(id); // fetched alongside the warning
  const w = await api(`/api/v1/warnings/${id}`);
  const message = el("p", { class: "error", role: "alert" });
  const act = (path, body) => async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/warnings/${id}/${path}`, { method: "POST", body: body ? body(event.target) : undefined });
      rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
  const open = !CLOSED.includes(w.status);
  const form = open ? el("form", { class: "stack", "data-testid": "intervention-form", onsubmit: act("interventions", (f) => ({
    kind: f.kind.value, text: f.text.value, ...(f.follow_up_on.value ? { follow_up_on: f.follow_up_on.value } : {}),
  })) },
  el("label", { for: "kind" }, t("interventionKind")),
  el("select", { id: "kind", name: "kind" }, interventionOptions()),
  el("label", { for: "text" }, t("interventionText")), el("textarea", { id: "text", name: "text", required: true, rows: 3 }),
  el("label", { for: "follow_up_on" }, t("followUp")), el("input", { id: "follow_up_on", name: "follow_up_on", type: "date" }),
  el("button", { type: "submit", class: "wide" }, t("addIntervention"))) : null;
  const resolve = open ? el("form", { class: "stack", onsubmit: act("resolve", (f) => ({ text: f.resolution.value })) },
    el("label", { for: "resolution" }, t("resolution")), el("input", { id: "resolution", name: "resolution", required: true }),
    el("button", { type: "submit", class: "link" }, t("resolve"))) : null;
  return [
    el("a", { href: "#/warnings", class: "link", "data-testid": "back" }, `← ${t("back")}`),
    card(`${w.student_name} · ${local(w.rule, "name")}`,
      el("p", {}, levelTag(w.level), " ", el("span", { class: "tag", "data-testid": "status" }, t(`status_${w.status}`)),
        " ", el("span", { class: "muted" }, open ? `${w.class_name} · ${t("waitingOn")} ${t(`role_${w.waiting_on}`)}` : w.class_name)),
      w.episode > 1 ? el("p", { "data-testid": "episode" }, `${t("episodeOf", { n: w.episode })} · `,
        el("a", { href: `#/warnings/${w.previous_id}`, "data-testid": "previous-warning" }, t("previousWarning", { id: w.previous_id }))) : null,
      w.status === "withdrawn" ? el("div", { class: "card notice", role: "status", "data-testid": "withdrawn" },
        el("p", {}, el("strong", {}, t("withdrawnNote"))),
        el("p", { class: "muted" }, `${w.withdrawn_at ? when(w.withdrawn_at) : ""} · ${w.withdrawn_reason || ""}`)) : null,
      el("p", { class: "muted" }, local(w.rule, "explanation")),
      el("h3", {}, t("evidence")), valuesList(w.evidence.values || []),
      (w.evidence.groups || []).length ? el("p", {}, labelled(t("registered"), listed(w.evidence.groups.map((g) => t(`group_${g}`))))) : null,
      behind(w.evidence),
      el("h3", {}, t("timeline")), timeline(w.events),
      open && !w.acknowledged_at ? el("button", { type: "button", class: "wide", "data-testid": "acknowledge", onclick: act("acknowledge") }, t("acknowledge")) : null,
      form, resolve, message),
    await trend, // the indicators before and after each intervention
  ];
}

// The student's own warnings (never the need-to-know ones) and what to do next.
export async function myWarnings(openId) {
  const warnings = await api("/api/v1/me/warnings");
  if (!warnings.length) return card(t("warnings"), empty(t("warningsEmpty")));
  return card(t("warnings"), el("div", { "data-testid": "my-warnings" }, warnings.map((w) =>
    el("details", { open: String(w.id) === String(openId), "data-testid": `my-warning-${w.id}` },
      el("summary", {}, levelTag(w.level), " ", local(w.rule, "name"),
        CLOSED.includes(w.status) ? el("span", { class: "tag" }, " ", t(`status_${w.status}`)) : null),
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

// Issue 20: the teacher-warning screens (teacher_warnings.js) draw levels and timelines the same way.
export { levelTag, timeline };

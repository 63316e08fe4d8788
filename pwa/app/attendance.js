// Class sessions: the teacher's screen with the rotating code and the roster; the
// student's check-in; leave requests and their approval.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, t, when } from "./i18n.js";

addText({
  selectAll: "全选", selectNone: "全不选", selectFirst: "请先勾选要标记的学生",
  marksApplied: "已将 {n} 人标记为“{status}”",
}, {
  selectAll: "Select all", selectNone: "Select none", selectFirst: "Tick the students to mark first",
  marksApplied: "{n} marked “{status}”",
});
import { report, send } from "./outbox.js";

const MARKS = ["present", "late", "absent", "leave"];

// `correcting`: opened from an incident (#/sessions/<id>): marks stay correctable after the close.
function sessionView(session, holder, correcting = false) {
  const code = el("div", { class: "code", "data-testid": "checkin-code" }, session.checkin ? session.checkin.code : "—");
  const left = el("p", { class: "muted", "data-testid": "code-left" });
  const status = el("p", { class: "muted", role: "status" });
  const refresh = async () => {
    const fresh = await api(`/api/v1/sessions/${session.id}`);
    holder.replaceChildren(sessionView(fresh, holder, correcting));
  };
  let timer = null;
  if (session.checkin) {
    let seconds = session.checkin.seconds_left;
    timer = setInterval(async () => {
      if (!document.contains(code)) { clearInterval(timer); return; }
      seconds -= 1;
      left.textContent = t("rotatesIn", { seconds: Math.max(seconds, 0) });
      if (seconds <= 0) {
        const next = await api(`/api/v1/sessions/${session.id}/code`);
        code.textContent = next.code;
        seconds = next.seconds_left;
      }
    }, 1000);
  }
  const statusSelect = el("select", { "aria-label": t("markAs"), "data-testid": "bulk-status" },
    MARKS.map((m) => el("option", { value: m }, t(`mark_${m}`))));
  const boxes = session.students.map((s) => el("input", { type: "checkbox", value: s.student_id, "aria-label": s.name }));
  // The student number tells two students of one name apart.
  const roster = el("ul", { class: "list", "data-testid": "session-roster" }, session.students.map((s, i) =>
    el("li", {}, el("label", { class: "check" }, boxes[i], s.name, el("span", { class: "muted number" }, ` ${s.username}`)),
      el("span", { class: s.status === "absent" ? "tag warn" : "tag", "data-status": s.status || "" },
        s.status ? t(`mark_${s.status}`) : t("unmarked")))));
  const select = (pick) => () => boxes.forEach((b, i) => { b.checked = pick(session.students[i]); });
  const apply = async () => {
    const marks = boxes.filter((b) => b.checked).map((b) => ({ student_id: Number(b.value), status: statusSelect.value }));
    if (!marks.length) { status.textContent = t("selectFirst"); return; }
    const said = t("marksApplied", { n: marks.length, status: t(`mark_${statusSelect.value}`) });
    await report(status, () => send(`/api/v1/sessions/${session.id}/marks`, { method: "PUT", body: { marks },
      label: ["label_marks", { count: marks.length }] }),
      async () => { await refresh(); holder.querySelector("[role=status]").textContent = said; });
  };
  const close = () => report(status, () => send(`/api/v1/sessions/${session.id}/close`, { label: ["label_close", {}] }),
    (answer) => { holder.replaceChildren(sessionView(answer, holder)); });
  const c = session.counts;
  const lesson = [session.class_name, session.course_name, when(session.starts_at)].filter(Boolean).join(" · ");
  const editable = !session.closed || correcting;
  // The marking tools stay at the bottom of the screen while the roster scrolls under them.
  const tools = editable ? el("div", { class: "bulkbar", "data-testid": "bulk-bar" },
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: select(() => true), "data-testid": "select-all" }, t("selectAll")),
      el("button", { type: "button", class: "secondary", onclick: select((s) => !s.status) }, t("selectUnmarked")),
      el("button", { type: "button", class: "secondary", onclick: select(() => false) }, t("selectNone"))),
    el("div", { class: "actions" }, statusSelect,
      el("button", { type: "button", onclick: apply, "data-testid": "bulk-apply" }, t("apply"))),
    status) : status;
  return el("div", { "data-testid": "session" },
    el("p", { "data-testid": "session-lesson" }, el("strong", {}, lesson)),
    session.checkin ? [el("p", { class: "muted" }, t("showCode")), code, left] : el("p", { class: "tag" }, t("closed")),
    el("p", { "data-testid": "session-counts" },
      MARKS.map((m) => `${t(`mark_${m}`)} ${c[m]}`).join(" · ") + ` · ${t("unmarked")} ${c.unmarked}`),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: refresh, "data-testid": "session-refresh" }, t("refresh"))),
    roster,
    session.closed ? null : el("button", { type: "button", class: "wide", onclick: close, "data-testid": "session-close" }, t("closeSession")),
    tools);
}

// A course teacher or head teacher opens a session for one of their classes.
export async function sessionsCard() {
  const classes = await api("/api/v1/classes");
  if (!classes.length) return card(t("sessions"), empty(t("noClasses")));
  const holder = el("div");
  const classSelect = el("select", { "aria-label": t("myClasses"), "data-testid": "session-class" },
    classes.map((c) => el("option", { value: c.id }, c.name)));
  const grace = el("input", { type: "number", value: 10, min: 0, max: 60, "aria-label": t("grace") });
  const message = el("p", { class: "error", role: "alert" });
  const start = async () => {
    try {
      const session = await api("/api/v1/sessions", { method: "POST",
        body: { class_id: Number(classSelect.value), grace_minutes: Number(grace.value) } });
      holder.replaceChildren(sessionView(session, holder));
    } catch (error) { message.textContent = problemText(error); }
  };
  return card(t("sessions"), classSelect, el("label", {}, t("grace")), grace,
    el("button", { type: "button", class: "wide", onclick: start, "data-testid": "session-open" }, t("openSession")),
    message, holder);
}

// The student types the code on the teacher's screen. `count`: the sessions open now, if known.
export async function checkinCard(count) {
  const open = { length: count ?? (await api("/api/v1/me/sessions")).length };
  const code = el("input", { inputmode: "numeric", maxlength: 6, autocomplete: "one-time-code", placeholder: "000000",
    "aria-label": t("checkinCode"), "data-testid": "checkin-input" });
  const result = el("p", { role: "status", "data-testid": "checkin-result" });
  // Through the outbox: a check-in made without a connection waits, as this student's.
  const submit = () => report(result, () => send("/api/v1/checkin", { body: { code: code.value.trim() },
    label: ["label_checkin", {}] }), (answer) => t(`checked_${answer.status}`));
  return card(t("checkin"),
    open.length ? el("p", { class: "muted" }, t("openSessions", { count: open.length })) : empty(t("checkinEmpty")),
    code, el("button", { type: "button", class: "wide", onclick: submit, "data-testid": "checkin-submit" }, t("checkinDo")),
    result);
}

export async function leaveCard() {
  const mine = await api("/api/v1/me/leave-requests");
  const starts = el("input", { type: "datetime-local", "aria-label": t("leaveFrom") });
  const ends = el("input", { type: "datetime-local", "aria-label": t("leaveTo") });
  const reason = el("input", { "aria-label": t("reason"), placeholder: t("reason") });
  const result = el("p", { role: "status" });
  const submit = () => report(result, () => send("/api/v1/leave-requests", { body: {
    starts_at: new Date(starts.value).toISOString(), ends_at: new Date(ends.value).toISOString(), reason: reason.value,
  }, label: ["label_leave", {}] }), () => t("leaveSent"));
  return card(t("leaveApply"), el("label", {}, t("leaveFrom")), starts, el("label", {}, t("leaveTo")), ends, reason,
    el("button", { type: "button", class: "wide", onclick: submit }, t("submit")), result,
    el("ul", { class: "list" }, mine.map((l) => el("li", {},
      el("span", {}, `${new Date(l.starts_at).toLocaleString()} · ${l.reason}`),
      el("span", { class: "tag" }, t(`leave_${l.status}`))))));
}

export async function leaveApprovals() {
  const pending = await api("/api/v1/leave-requests");
  if (!pending.length) return card(t("leave"), empty(t("leaveEmpty")));
  return card(t("leave"), el("ul", { class: "list", "data-testid": "leave-pending" }, pending.map((l) => {
    const comment = el("input", { placeholder: t("comment"), "aria-label": t("comment") });
    const status = el("span", { role: "status" });
    const decide = (approve) => () => report(status,
      () => send(`/api/v1/leave-requests/${l.id}/decision`, { body: { approve, comment: comment.value || null },
        label: ["label_decision", { name: l.student_name }] }),
      (answer) => t(`leave_${answer.status}`));
    return el("li", { class: "stack" },
      el("strong", {}, `${l.student_name} · ${new Date(l.starts_at).toLocaleString()} – ${new Date(l.ends_at).toLocaleString()}`),
      el("span", {}, l.reason), comment,
      el("div", { class: "actions" }, el("button", { type: "button", onclick: decide(true) }, t("approve")),
        el("button", { type: "button", class: "secondary", onclick: decide(false) }, t("reject"))), status);
  })));
}

// The leave requests to decide as a screen of its own (the homes link here; the card stays for them).
export async function leaveScreen() {
  return [el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`), await leaveApprovals()];
}

// One session's marks, to correct them after the close (the route a mass-absence incident opens).
export async function sessionScreen(id) {
  const holder = el("div");
  holder.replaceChildren(sessionView(await api(`/api/v1/sessions/${id}`), holder, true));
  // Back to where the teacher came from (an incident, a timetable), the incidents when opened from a link.
  const back = (event) => { if (history.length > 1) { event.preventDefault(); history.back(); } };
  return [el("a", { href: "#/incidents", class: "link", onclick: back, "data-testid": "back" }, `← ${t("back")}`),
    card(t("sessions"), holder)];
}

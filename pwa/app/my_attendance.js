// A student's every attendance mark of the term, grouped by teaching week (the newest open), each
// with its date, course, status and who set it; a mark can be disputed like an entry (#/my-attendance).
// The teacher's side: open disputes about marks of sessions they run, upheld by correcting the
// mark or rejected with a reason (on #/disputes).
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, labelled, SCHOOL_ZONE, t } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  myAttendance: "我的考勤", myAttendanceHint: "本学期每次课的考勤。如有错误，可在课后 {days} 天内申诉，由任课老师或班主任处理。",
  mark_present: "出勤", mark_late: "迟到", mark_absent: "缺勤", mark_leave: "请假",
  markedBySelf: "本人签到", markedBy: "{name} 记录", noCourse: "课堂", weekSummary: "第{week}周 · {n} 次课",
  weekAbsent: "缺勤 {n}", weekLate: "迟到 {n}", disputeMark: "申诉", disputeMarkWhy: "申诉原因（例如：我在教室，签到码没刷出来）",
  sendMarkDispute: "提交申诉", markDisputed: "已提交申诉", markState_open: "申诉处理中", markState_upheld: "申诉成立",
  markState_rejected: "申诉未采纳", correctedTo: "已更正为「{status}」", markAnswer: "答复：{text}",
  tooOld: "已超过申诉期限", noMarks: "本学期还没有考勤记录。", markDisputes: "考勤申诉", markDisputesEmpty: "没有待处理的考勤申诉。",
  correctTo: "更正为", uphold: "申诉成立并更正", rejectMark: "不予采纳", markWas: "原考勤：{status}",
  markUpheld: "已更正考勤", markRejected: "已驳回", label_mark_dispute: "考勤申诉", label_mark_resolve: "处理考勤申诉",
  markReason: "处理说明（学生可见）", markReasonNeeded: "请填写处理说明（至少 2 个字）。", markStudentReason: "学生的理由", markMyReason: "我的理由",
}, {
  myAttendance: "My attendance",
  myAttendanceHint: "Every session's mark this term. If one is wrong, dispute it within {days} days of the session; the course teacher or head teacher decides.",
  mark_present: "Present", mark_late: "Late", mark_absent: "Absent", mark_leave: "Leave",
  markedBySelf: "Checked in myself", markedBy: "Marked by {name}", noCourse: "Session", weekSummary: "Week {week} · {n} sessions",
  weekAbsent: "absent {n}", weekLate: "late {n}", disputeMark: "Dispute",
  disputeMarkWhy: "Why is this mark wrong? (e.g. I was there, the code did not load)",
  sendMarkDispute: "Send the dispute", markDisputed: "Dispute sent", markState_open: "Dispute open", markState_upheld: "Dispute upheld",
  markState_rejected: "Dispute not upheld", correctedTo: "Corrected to “{status}”", markAnswer: "Answer: {text}",
  tooOld: "Past the time to dispute", noMarks: "No attendance marks this term yet.", markDisputes: "Attendance disputes",
  markDisputesEmpty: "No attendance disputes to resolve.", correctTo: "Correct to", uphold: "Uphold and correct",
  rejectMark: "Reject", markWas: "Mark was: {status}", markUpheld: "Mark corrected", markRejected: "Rejected",
  label_mark_dispute: "Attendance dispute", label_mark_resolve: "Attendance dispute decision",
  markReason: "Your answer (the student sees it)", markReasonNeeded: "Write your answer (at least 2 characters).",
  markStudentReason: "Student's reason", markMyReason: "My reason",
});

const STATUSES = ["present", "late", "absent", "leave"];
const TAG = { present: "tag", late: "tag notice", absent: "tag warn", leave: "tag" };
const back = () => el("a", { href: "#/", class: "link" }, `← ${t("back")}`);
// The school's clock, whatever zone the phone is set to.
const day = (m) => new Date(m.starts_at).toLocaleString(getLang(), { month: "numeric", day: "numeric", weekday: "short",
  hour: "2-digit", minute: "2-digit", hour12: false, timeZone: SCHOOL_ZONE });

function disputeState(d) {
  return el("div", { class: "mark-dispute", "data-testid": "mark-dispute-state" },
    el("span", { class: d.status === "open" ? "tag notice" : "tag" }, t(`markState_${d.status}`)),
    d.corrected_to ? el("span", {}, t("correctedTo", { status: t(`mark_${d.corrected_to}`) })) : null,
    d.resolution ? el("span", { class: "muted" }, t("markAnswer", { text: d.resolution })) : null);
}

function markItem(m, refresh) {
  const status = el("span", { class: "muted", role: "status" });
  const item = el("li", { class: "stack", "data-testid": `mark-${m.session_id}` });
  const open = () => {
    const why = el("textarea", { id: `mark-why-${m.session_id}`, required: true, minlength: 2, maxlength: 500, rows: 2 });
    const form = el("form", { class: "stack", "data-testid": "mark-dispute-form", onsubmit: async (event) => {
      event.preventDefault();
      await report(status, () => send("/api/v1/me/attendance/disputes",
        { body: { session_id: m.session_id, reason: why.value.trim() }, label: ["label_mark_dispute", {}] }),
      (answer) => { if (!answer?.queued) refresh(); return t("markDisputed"); });
    } }, el("label", { for: why.id }, t("disputeMarkWhy")), why, el("button", { type: "submit" }, t("sendMarkDispute")));
    button.replaceWith(form);
    why.focus();
  };
  const button = m.disputable
    ? el("button", { type: "button", class: "secondary", "data-testid": `dispute-mark-${m.session_id}`, onclick: open }, t("disputeMark"))
    : null;
  // A missing part is left out: native append would write "null".
  item.append(...[
    el("span", { class: "mark-row" }, el("span", {}, el("strong", {}, m.course_name || t("noCourse")), ` · ${day(m)}`),
      el("span", { class: TAG[m.status], "data-testid": `mark-status-${m.session_id}` }, t(`mark_${m.status}`))),
    el("span", { class: "muted" }, m.marked_by_self ? t("markedBySelf") : t("markedBy", { name: m.marked_by_name })),
    m.dispute ? disputeState(m.dispute) : null,
    button ?? (m.dispute?.status === "open" ? null : el("span", { class: "muted" }, t("tooOld"))), status].filter(Boolean));
  return item;
}

export async function myAttendanceScreen() {
  const box = el("div", {});
  const refresh = async () => {
    const data = await api("/api/v1/me/attendance");
    if (!data.marks.length) {
      box.replaceChildren(card(t("myAttendance"), empty(t("noMarks"))));
      return;
    }
    const weeks = new Map();
    for (const m of data.marks) (weeks.get(m.week) ?? weeks.set(m.week, []).get(m.week)).push(m);
    const order = [...weeks.keys()].sort((a, b) => b - a); // the newest week first, and open
    box.replaceChildren(card(t("myAttendance"), el("p", { class: "muted" }, t("myAttendanceHint", { days: data.dispute_days })),
      ...order.map((week, i) => {
        const marks = weeks.get(week);
        const count = (s) => marks.filter((m) => m.status === s).length;
        const notes = [count("absent") && t("weekAbsent", { n: count("absent") }), count("late") && t("weekLate", { n: count("late") })]
          .filter(Boolean).join(" · ");
        return el("details", { open: i === 0, "data-testid": `week-${week}` },
          el("summary", {}, t("weekSummary", { week, n: marks.length }), notes ? ` · ${notes}` : ""),
          el("ul", { class: "list" }, [...marks].reverse().map((m) => markItem(m, refresh))));
      })));
  };
  await refresh();
  return [back(), box];
}

// The student's attendance-mark disputes, listed on #/my-disputes beside the entry disputes.
export function myMarkDisputesCard(disputes) {
  return card(t("markDisputes"), el("ul", { class: "list", "data-testid": "my-mark-disputes" }, [...disputes].reverse().map((d) =>
    el("li", { class: "stack", "data-testid": `my-mark-dispute-${d.id}` },
      el("a", { href: "#/my-attendance" }, `${d.course_name || t("noCourse")} · ${day(d)}`),
      el("span", {}, t("markWas", { status: t(`mark_${d.was || d.mark_status}`) })),
      disputeState(d),
      el("span", { class: "muted" }, labelled(t("markMyReason"), d.reason))))));
}

// The teacher's side, shown on #/disputes under the entry disputes. A decided dispute's row shows
// the decision at once, its buttons gone.
export async function markDisputesCard() {
  const disputes = await api("/api/v1/mark-disputes");
  if (!disputes.length) return card(t("markDisputes"), empty(t("markDisputesEmpty")));
  return card(t("markDisputes"), el("ul", { class: "list", "data-testid": "mark-disputes" }, disputes.map((d) => {
    const reasonError = el("p", { class: "error", role: "alert", hidden: true, id: `mark-reason-error-${d.id}`,
      "data-testid": `mark-reason-error-${d.id}` });
    const reason = el("input", { id: `mark-reason-${d.id}`, required: true, minlength: 2, maxlength: 500,
      "aria-describedby": reasonError.id, "data-testid": `mark-reason-${d.id}` });
    const to = el("select", { id: `mark-to-${d.id}`, "data-testid": `mark-to-${d.id}` },
      STATUSES.filter((s) => s !== d.mark_status).map((s) => el("option", { value: s }, t(`mark_${s}`))));
    const status = el("span", { class: "muted", role: "status" });
    const decide = el("div", { class: "stack" }, el("label", { for: reason.id }, t("markReason")), reason, reasonError,
      el("label", { for: to.id }, t("correctTo")), to,
      el("div", { class: "actions" },
        el("button", { type: "button", "data-testid": `uphold-${d.id}`, onclick: () => act("uphold") }, t("uphold")),
        el("button", { type: "button", class: "secondary", "data-testid": `reject-mark-${d.id}`, onclick: () => act("reject") }, t("rejectMark"))));
    const act = (action) => {
      reasonError.hidden = true;
      if (reason.value.trim().length < 2) {
        Object.assign(reasonError, { textContent: t("markReasonNeeded"), hidden: false });
        reason.focus();
        return;
      }
      return report(status, () => send(`/api/v1/mark-disputes/${d.id}/resolve`, {
        body: { action, reason: reason.value.trim(), ...(action === "uphold" ? { status: to.value } : {}) },
        label: ["label_mark_resolve", {}] }), (answer) => {
        const upheld = answer?.status === "upheld" || (answer?.status == null && action === "uphold");
        decide.replaceWith(disputeState({ status: upheld ? "upheld" : "rejected",
          corrected_to: upheld ? (answer?.corrected_to ?? to.value) : null, resolution: reason.value.trim() }));
        return t(upheld ? "markUpheld" : "markRejected");
      });
    };
    return el("li", { class: "stack", "data-testid": `mark-dispute-${d.id}` },
      el("strong", {}, `${d.student_name} · ${d.course_name || t("noCourse")} · ${day(d)}`),
      el("span", {}, t("markWas", { status: t(`mark_${d.mark_status}`) })),
      el("span", {}, labelled(t("markStudentReason"), d.reason)), decide, status);
  })));
}

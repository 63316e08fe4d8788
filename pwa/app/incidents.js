// Mass events (issue 15): one closed session or batch that put most of a class past a line is
// one incident, not a warning per student. The head teacher's list, and one incident: what
// happened, to how many, the one-tap route to the correction, and the decision.
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, local, t } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  incidents: "待核对的批量记录", incidentsEmpty: "没有待核对的批量记录", incidentOf: "{of}人中{n}人",
  incident_open: "待核对", incident_confirmed: "记录无误", incident_corrected: "已更正", incident_expired: "已过期",
  incidentWait: "这些学生的相关预警暂缓发出，等待您的决定；{deadline} 前未处理将按记录发出。",
  incidentReleased: "已处理：相关预警按当前记录评估。", incidentPoints: "涉及采分点", incidentBy: "录入人",
  incidentStudents: "涉及学生（{n}）", incidentFixMarks: "去更正这节课的考勤 →", incidentReverse: "撤销整批记录",
  incidentReason: "撤销原因", incidentReversed: "已撤销 {n} 条记录", incidentConfirm: "记录无误",
  incidentCorrected: "已更正", incidentDecided: "已记录您的决定", incidentNoReverse: "只有该采分点的录入者可以撤销这批记录。",
  label_incident: "批量记录的核对", incidentAll: "全部批量记录",
}, {
  incidents: "Records to check", incidentsEmpty: "No records waiting for a check", incidentOf: "{n} of {of}",
  incident_open: "To check", incident_confirmed: "Records are right", incident_corrected: "Corrected", incident_expired: "Expired",
  incidentWait: "These students' warnings wait for your decision; undecided by {deadline}, they go out as recorded.",
  incidentReleased: "Decided: the warnings follow the records as they stand.", incidentPoints: "Points",
  incidentBy: "Recorded by", incidentStudents: "Students ({n})", incidentFixMarks: "Correct this session's marks →",
  incidentReverse: "Reverse the whole batch", incidentReason: "Why it is reversed", incidentReversed: "{n} entries reversed",
  incidentConfirm: "Records are right", incidentCorrected: "Corrected", incidentDecided: "Your decision is recorded",
  incidentNoReverse: "Only a scorer of this point can reverse the batch.", label_incident: "Check of a batch of records",
  incidentAll: "All records to check",
});

const STATUS_CLASS = { open: "tag warn", confirmed: "tag", corrected: "tag", expired: "tag" };
const statusTag = (status) => el("span", { class: STATUS_CLASS[status] || "tag", "data-testid": "incident-status" },
  t(`incident_${status}`));

// The head teacher's (and scorer's) incidents, open first.
export async function incidentList() {
  const found = await api("/api/v1/incidents?status=all");
  const back = el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
  if (!found.length) return [back, card(t("incidents"), empty(t("incidentsEmpty")))];
  return [back, card(t("incidents"), el("ul", { class: "list", "data-testid": "incident-list" }, found.map((i) =>
    el("li", { "data-testid": "incident-item" },
      el("a", { href: `#/incidents/${i.id}` }, local(i, "title")),
      el("span", {}, statusTag(i.status), " ",
        el("span", { class: "muted" }, new Date(i.created_at).toLocaleString()))))))];
}

function correction(i, rerender) {
  const c = i.correction;
  if (i.status !== "open" && i.status !== "expired") return null;
  if (c.kind === "session") {
    return el("a", { href: `#/sessions/${c.session_id}`, class: "more", "data-testid": "incident-fix" },
      t("incidentFixMarks"));
  }
  if (!c.live) return null;
  if (!c.can_reverse) return el("p", { class: "muted" }, t("incidentNoReverse"));
  const reason = el("input", { id: "reverse-reason", "aria-label": t("incidentReason"), placeholder: t("incidentReason"),
    "data-testid": "incident-reason" });
  const status = el("p", { role: "status" });
  const reverse = () => report(status, () => send(`/api/v1/incidents/${i.id}/reverse-batch`, {
    body: { reason: reason.value.trim() }, label: ["label_incident", {}] }), async (answer) => {
    rerender();
    return t("incidentReversed", { n: answer.reversed });
  });
  return el("div", { class: "stack" }, reason,
    el("button", { type: "button", class: "wide", onclick: reverse, "data-testid": "incident-reverse" },
      t("incidentReverse")), status);
}

// One incident: what happened, how many, where to correct it, and the two answers.
export async function incidentScreen(id, rerender) {
  const i = await api(`/api/v1/incidents/${id}`);
  const status = el("p", { role: "status", "data-testid": "incident-message" });
  const decide = (decision) => () => report(status, () => send(`/api/v1/incidents/${id}/decision`, {
    body: { decision }, label: ["label_incident", {}] }), () => { rerender(); return t("incidentDecided"); });
  const deadline = new Date(i.deadline).toLocaleString();
  return [
    el("a", { href: "#/incidents", class: "link", "data-testid": "back" }, `← ${t("incidentAll")}`),
    el("section", { class: "card", "data-testid": "incident" },
      el("h2", {}, local(i, "title")),
      el("p", {}, statusTag(i.status), " ",
        el("strong", { "data-testid": "incident-count" }, t("incidentOf", { n: i.affected, of: i.class_size }))),
      el("p", { class: "muted" }, i.status === "open" ? t("incidentWait", { deadline }) : t("incidentReleased")),
      el("p", {}, `${t("incidentPoints")}：${i.points.map((p) => local(p, "name")).join("、")}`),
      el("p", { class: "muted" }, `${t("incidentBy")}：${i.recorded_by || "—"} · ${new Date(i.created_at).toLocaleString()}`),
      correction(i, rerender),
      i.can_decide ? el("div", { class: "actions" },
        el("button", { type: "button", onclick: decide("confirmed"), "data-testid": "incident-confirm" }, t("incidentConfirm")),
        el("button", { type: "button", class: "secondary", onclick: decide("corrected"), "data-testid": "incident-corrected" },
          t("incidentCorrected"))) : null,
      status,
      el("details", {}, el("summary", {}, t("incidentStudents", { n: i.affected })),
        el("ul", { class: "list" }, i.students.map((s) => el("li", {}, s.name || String(s.id)))))),
  ];
}

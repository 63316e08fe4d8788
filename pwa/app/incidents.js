// Mass events (issue 15): one closed session or batch that put most of a class past a line is
// one incident, not a warning per student. The head teacher's list, and one incident: what
// happened, to how many, the one-tap route to the correction, and the decision.
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, labelled, listed, local, t, when } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  incidents: "待核对的批量记录", incidentsEmpty: "没有待核对的批量记录", incidentOf: "{of}人中{n}人",
  incident_open: "待核对", incident_confirmed: "记录无误", incident_corrected: "已更正", incident_expired: "已过期",
  incidentWait: "这些学生的相关预警暂缓发出，等待您的决定；{deadline} 前未处理将按记录发出。",
  incidentReleased: "已处理：相关预警按当前记录评估。", incidentPoints: "涉及采分点", incidentBy: "录入人",
  incidentStudents: "涉及学生（{n}）", incidentFixMarks: "去更正这节课的考勤 →", incidentSeeMarks: "查看这节课的考勤 →",
  incidentSure_confirmed: "确认记录无误？{n}名学生的相关预警将按当前记录发出。",
  incidentSure_corrected: "确认已更正完毕？仍按缺勤或原值记录的学生，相关预警将按当前记录发出。",
  incidentSureYes: "确定", incidentSureNo: "取消", incidentReverse: "撤销整批记录",
  incidentReason: "撤销原因", incidentReversed: "已撤销 {n} 条记录", incidentConfirm: "记录无误",
  incidentCorrected: "已更正", incidentDecided: "已记录您的决定", incidentNoReverse: "只有该采分点的录入者可以撤销这批记录。",
  label_incident: "批量记录的核对", incidentAll: "全部批量记录",
}, {
  incidents: "Records to check", incidentsEmpty: "No records waiting for a check", incidentOf: "{n} of {of}",
  incident_open: "To check", incident_confirmed: "Records are right", incident_corrected: "Corrected", incident_expired: "Expired",
  incidentWait: "These students' warnings wait for your decision; undecided by {deadline}, they go out as recorded.",
  incidentReleased: "Decided: the warnings follow the records as they stand.", incidentPoints: "Points",
  incidentBy: "Recorded by", incidentStudents: "Students ({n})", incidentFixMarks: "Correct this session's marks →", incidentSeeMarks: "See this session's marks →",
  incidentSure_confirmed: "The records are right? Warnings for the {n} students go out as recorded.",
  incidentSure_corrected: "Finished correcting? Students still recorded as they were get their warnings as recorded.",
  incidentSureYes: "Yes", incidentSureNo: "Cancel",
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
        el("span", { class: "muted" }, when(i.created_at)))))))];
}

function correction(i, rerender) {
  const c = i.correction;
  const open = i.status === "open" || i.status === "expired";
  if (c.kind === "session") {
    // The marks stay reachable after the decision: a session can still be corrected later.
    return el("a", { href: `#/sessions/${c.session_id}`, class: "more", "data-testid": "incident-fix" },
      t(open ? "incidentFixMarks" : "incidentSeeMarks"));
  }
  if (!open) return null;
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
  const decide = (decision) => report(status, () => send(`/api/v1/incidents/${id}/decision`, {
    body: { decision }, label: ["label_incident", {}] }), () => { rerender(); return t("incidentDecided"); });
  // A decision releases the held warnings for good: one more tap, with what it will do.
  const sure = el("div", { class: "stack", hidden: true, "data-testid": "incident-sure" });
  const ask = (decision) => () => {
    sure.replaceChildren(el("p", { role: "alert" }, t(`incidentSure_${decision}`, { n: i.affected })),
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => decide(decision), "data-testid": "incident-sure-yes" }, t("incidentSureYes")),
        el("button", { type: "button", class: "secondary", onclick: () => { sure.hidden = true; },
          "data-testid": "incident-sure-no" }, t("incidentSureNo"))));
    sure.hidden = false;
  };
  const deadline = when(i.deadline);
  return [
    el("a", { href: "#/incidents", class: "link", "data-testid": "back" }, `← ${t("incidentAll")}`),
    el("section", { class: "card", "data-testid": "incident" },
      el("h2", {}, local(i, "title")),
      el("p", {}, statusTag(i.status), " ",
        el("strong", { "data-testid": "incident-count" }, t("incidentOf", { n: i.affected, of: i.class_size }))),
      el("p", { class: "muted" }, i.status === "open" ? t("incidentWait", { deadline }) : t("incidentReleased")),
      el("p", {}, labelled(t("incidentPoints"), listed(i.points.map((p) => local(p, "name"))))),
      el("p", { class: "muted" }, `${labelled(t("incidentBy"), i.recorded_by || "—")} · ${when(i.created_at)}`),
      correction(i, rerender),
      i.can_decide ? el("div", { class: "actions" },
        el("button", { type: "button", onclick: ask("confirmed"), "data-testid": "incident-confirm" }, t("incidentConfirm")),
        el("button", { type: "button", class: "secondary", onclick: ask("corrected"), "data-testid": "incident-corrected" },
          t("incidentCorrected"))) : null,
      sure,
      status,
      el("details", {}, el("summary", {}, t("incidentStudents", { n: i.affected })),
        el("ul", { class: "list" }, i.students.map((s) => el("li", {}, s.name || String(s.id), s.username ? el("span", { class: "muted number" }, ` ${s.username}`) : null))))),
  ];
}

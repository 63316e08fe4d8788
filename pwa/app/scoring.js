// Scoring from a phone: the entry screen (#/entry), one student's entries with corrections
// (#/students/<id>), disputes to resolve (#/disputes) and a student's own (#/my-disputes).
// Periods are shown in words the server gives (第14周, 2026年11月), never as keys.
import { api, oneLanguage, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, local, t } from "./i18n.js";
import { myMarkDisputesCard } from "./my_attendance.js";
import { report, send } from "./outbox.js";

addText({
  entryRole: "录入身份", sendDispute: "提交申诉", fillBlank: "填入空白 {count} 人", overwriteAll: "全部改为此值",
  confirmOverwrite: "将覆盖已填写的 {count} 人的值，确定吗？", fillFirst: "先在上面填一个值。",
  notSaved: "未保存。{count} 人需要修改：{names}", correct: "更正", correctDuplicate: "更正（撤销并重新录入）",
  newValue: "正确的值", correctionReason: "更正原因（必填）", reasonNeeded: "请填写更正原因。", cancel: "取消",
  correctedTo: "已更正为 {value}", studentEntries: "本学期采分记录", disputeOpen: "申诉中", disputeDone: "已处理",
  myDisputes: "我的申诉", myDisputesEmpty: "还没有申诉。", myDisputeReason: "我的理由：{reason}",
  answer: "答复：{text}", disputeState_open: "处理中", disputeState_reversed: "已更正", disputeState_rejected: "未采纳",
  openDisputes: "查看我的申诉", range: "范围 {min}–{max}", wasValue: "原值 {value}", rightValueOf: "正确的值（{range}）",
  unit_rate: "%", unit_count: "次", unit_score: "分", unit_level: "级", unit_document: "（0 未交，1 已交）",
  label_correction: "更正 {point}", reversedBecause: "已撤销：{reason}", entryLink: "录入采分点",
}, {
  sendDispute: "Send the dispute",
  entryRole: "Entering as", fillBlank: "Fill {count} blank", overwriteAll: "Set all to this value",
  confirmOverwrite: "This replaces the values already typed for {count} students. Go ahead?", fillFirst: "Type a value above first.",
  notSaved: "Nothing saved. {count} to fix: {names}", correct: "Correct", correctDuplicate: "Correct (reverse and re-enter)",
  newValue: "Right value", correctionReason: "Reason for the correction (required)", reasonNeeded: "Give a reason for the correction.",
  cancel: "Cancel", correctedTo: "Corrected to {value}", studentEntries: "Entries this term", disputeOpen: "Disputed",
  disputeDone: "Answered", myDisputes: "My disputes", myDisputesEmpty: "No disputes yet.", myDisputeReason: "My reason: {reason}",
  answer: "Answer: {text}", disputeState_open: "Open", disputeState_reversed: "Corrected", disputeState_rejected: "Not upheld",
  openDisputes: "See my disputes", range: "range {min}–{max}", wasValue: "was {value}", rightValueOf: "Right value ({range})",
  unit_rate: "%", unit_count: "times", unit_score: "points", unit_level: "level", unit_document: "(0 missing, 1 submitted)",
  label_correction: "Correct {point}", reversedBecause: "Reversed: {reason}", entryLink: "Enter scoring points",
});

addText({
  meeting: "课次", noMeetings: "最近两周没有您上的这个班的课：按日期录入。", classMeetings: "班会与政治学习",
  meetingDate: "日期", meetingTitle: "主题（可选）", meetingScore: "得分", classMeetingSaved: "已保存 {class} {date} 的得分",
}, {
  meeting: "Course meeting", noMeetings: "None of your lessons with this class in the last two weeks: record by day.",
  classMeetings: "Class meetings and political study", meetingDate: "Date", meetingTitle: "Theme (optional)",
  meetingScore: "Score", classMeetingSaved: "Saved {class}'s score for {date}",
});

const back = () => el("a", { href: "#/", class: "link" }, `← ${t("back")}`);
const WHOLE = new Set(["count", "level", "document"]);
const names = (list) => list.slice(0, 5).join(getLang() === "en" ? ", " : "、") + (list.length > 5 ? "…" : "");

// A point's range in words, with its unit or, for a level point, what each level means.
function rangeText(rule) {
  const levels = rule.levels?.map((l, i) => `${i} ${getLang() === "en" ? l.en : l.zh}`).join(" · ");
  return levels || `${t("range", { min: rule.min_value, max: rule.max_value })} ${t(`unit_${rule.value_type}`)}`;
}

// An input that carries the point's min, max and step (whole numbers where the point takes them).
function fitInput(input, rule) {
  Object.assign(input, { min: rule.min_value, max: rule.max_value, step: WHOLE.has(rule.value_type) ? 1 : "any" });
  return input;
}
const valueInput = (rule, attrs) => fitInput(el("input", { type: "number", inputmode: "decimal", ...attrs }), rule);

// Reverse an entry and enter the right value, in one request; `done(answer)` once it is through.
export function correctionForm(entryId, rule, { value = "", done, cancel } = {}) {
  const input = valueInput(rule, { value, "aria-label": t("newValue"), "data-testid": "correction-value", required: true });
  const reason = el("input", { maxlength: 500, "aria-label": t("correctionReason"), placeholder: t("correctionReason"),
    "data-testid": "correction-reason" });
  const status = el("p", { class: "error", role: "alert", "data-testid": "correction-status" });
  const save = el("button", { type: "submit", "data-testid": "correction-save" }, t("correct"));
  const submit = async (event) => {
    event.preventDefault();
    if (input.value === "") { status.textContent = t("fillFirst"); return; }
    if (reason.value.trim().length < 2) { status.textContent = t("reasonNeeded"); return; }
    save.disabled = true;
    try {
      const answer = await send(`/api/v1/entries/${entryId}/correction`, {
        body: { reason: reason.value.trim(), value: Number(input.value) }, label: ["label_correction", { point: rule.code }] });
      status.textContent = answer?.queued ? t("queued") : "";
      await done?.(answer);
    } catch (error) {
      status.textContent = problemText(error);
    } finally {
      save.disabled = false;
    }
  };
  return el("form", { class: "stack", novalidate: true, "data-testid": "correction-form", onsubmit: submit },
    el("label", {}, t("rightValueOf", { range: rangeText(rule) }), input),
    el("label", {}, t("reason"), reason),
    el("div", { class: "actions" }, save,
      cancel ? el("button", { type: "button", class: "secondary", onclick: cancel }, t("cancel")) : null), status);
}

// One point for the whole class in one request; works offline through the outbox. A refused batch
// is shown on the rows of the students it concerns; an "already recorded" row offers the correction.
// `source` (cadres.js): a student cadre's granted points, class and classmates, and their route.
export async function entryGrid(role, term, source = null) {
  const [catalogue, classes] = source ? [{ rules: source.rules }, source.classes]
    : await Promise.all([api("/api/v1/catalogue"), api("/api/v1/classes")]);
  const rules = source ? catalogue.rules
    : catalogue.rules.filter((r) => r.level === "individual" && r.source === "entered" && r.scorer_roles.includes(role));
  if (!rules.length || !classes.length || !term) return card(t("entry"), empty(t("entryEmpty")));
  const classSelect = el("select", { "aria-label": t("myClasses"), "data-testid": "grid-class" },
    classes.map((c) => el("option", { value: c.id }, c.name)));
  const pointSelect = el("select", { "aria-label": t("point"), "data-testid": "grid-point" },
    rules.map((r) => el("option", { value: r.code }, `${r.code} ${local(r)}`)));
  const period = el("select", { "aria-label": t("period"), "data-testid": "grid-period" });
  // A per-meeting point (homework, preview) is recorded for one course meeting: my recent sessions of the class.
  const meeting = el("select", { "aria-label": t("meeting"), "data-testid": "grid-meeting" });
  const meetingLabel = el("label", {}, t("meeting"), meeting);
  meetingLabel.style.display = "none";  // CSSOM, which the style-src policy allows (a style attribute it does not)
  let perMeeting = false;
  const periodLabel = el("label", {}, t("period"), period);
  const noMeeting = el("p", { class: "muted", hidden: true, "data-testid": "grid-no-meeting" }, t("noMeetings"));
  const hint = el("p", { class: "muted", "data-testid": "grid-range" });
  const fill = el("input", { type: "number", inputmode: "decimal", placeholder: t("fillAll"), "aria-label": t("fillAll") });
  const fillBlank = el("button", { type: "button", class: "secondary", "data-testid": "fill-blank" });
  const overwrite = el("button", { type: "button", class: "secondary", "data-testid": "fill-all" }, t("overwriteAll"));
  const rows = el("div", { class: "grid", "data-testid": "grid-rows" });
  const result = el("p", { class: "muted", role: "status", "data-testid": "grid-result" });
  const summary = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "grid-summary" });
  const submitButton = el("button", { type: "button", class: "wide", "data-testid": "grid-submit" }, t("submit"));
  const rule = () => rules.find((r) => r.code === pointSelect.value);
  const inputs = () => [...rows.querySelectorAll("input[data-student]")];
  const blanks = () => inputs().filter((i) => i.value === "");
  const counted = () => { fillBlank.textContent = t("fillBlank", { count: blanks().length }); };
  const rowOf = (id) => rows.querySelector(`[data-row="${id}"]`);
  const clearMessages = () => {
    summary.hidden = true;
    rows.querySelectorAll("[data-message]").forEach((m) => { m.hidden = true; m.replaceChildren(); });
  };

  // Only the latest point's answer is drawn: a slower answer for the point chosen before would
  // otherwise redraw the pickers under the teacher's choice (and record for another lesson).
  let asked = 0;
  const loadPeriods = async () => {
    const mine = ++asked;
    const code = encodeURIComponent(pointSelect.value);
    const [offered, meetings] = await Promise.all([api(`/api/v1/points/${code}/periods?term_id=${term.id}`),
      rule().timing === "session" ? api(`/api/v1/classes/${classSelect.value}/meetings?point=${code}&term_id=${term.id}`) : []]);
    if (mine !== asked) return;
    // A choice made while the lists were on their way stays chosen if it is still offered.
    const [chosenPeriod, chosenMeeting] = [period.value, meeting.value];
    period.replaceChildren(...offered.map((p) => el("option", { value: p.key, selected: p.current }, local(p, "label"))));
    meeting.replaceChildren(...meetings.map((m) => el("option", { value: m.id, "data-period": m.period }, local(m, "label"))));
    if (offered.some((p) => p.key === chosenPeriod)) period.value = chosenPeriod;
    // Otherwise the latest lesson that has begun: homework is recorded for a lesson that took place.
    const begun = meetings.find((m) => m.started);
    if (meetings.some((m) => String(m.id) === chosenMeeting)) meeting.value = chosenMeeting;
    else if (begun) meeting.value = String(begun.id);
    // With no meeting of mine to pick, the day stays the occasion (as a scoring sheet records it).
    // Labels are laid out by the style sheet, which the hidden attribute does not override.
    perMeeting = meetings.length > 0;
    meetingLabel.style.display = perMeeting ? "" : "none";
    periodLabel.style.display = perMeeting ? "none" : "";
    noMeeting.hidden = rule().timing !== "session" || !!meetings.length;
  };
  const where = () => (!perMeeting ? { period: period.value }
    : { session_id: Number(meeting.value), period: meeting.selectedOptions[0].dataset.period });
  const fitRule = () => {
    hint.textContent = rangeText(rule());
    fitInput(fill, rule());
    inputs().forEach((i) => fitInput(i, rule()));
  };
  let drawn = 0;
  const load = async () => {
    const mine = ++drawn;
    const students = source ? source.students : await api(`/api/v1/classes/${classSelect.value}/students`);
    if (mine !== drawn) return;  // another class was chosen meanwhile: its roster is the one to draw
    rows.replaceChildren(...students.map((s) => el("div", { "data-row": s.id },
      el("label", { class: "row" }, el("span", {}, s.display_name),
        valueInput(rule(), { "data-student": s.id, "aria-label": s.display_name })),
      el("div", { class: "error", role: "alert", hidden: true, "data-message": s.id, "data-testid": `row-message-${s.id}` }))));
    counted();
  };
  const fillWith = (targets) => {
    if (fill.value === "") { result.textContent = t("fillFirst"); return; }
    targets.forEach((i) => { i.value = fill.value; });
    counted();
  };
  fill.addEventListener("change", () => fillWith(blanks()));
  fillBlank.addEventListener("click", () => fillWith(blanks()));
  overwrite.addEventListener("click", () => {
    const typed = inputs().filter((i) => i.value !== "" && i.value !== fill.value);
    if (typed.length && !window.confirm(t("confirmOverwrite", { count: typed.length }))) return;
    fillWith(inputs());
  });
  rows.addEventListener("input", counted);
  classSelect.addEventListener("change", () => { result.textContent = ""; load(); loadPeriods(); });
  pointSelect.addEventListener("change", () => { fitRule(); clearMessages(); loadPeriods(); });

  // The server's reasons on the rows they are about, named; the rest (a wrong period…) at the top.
  const showRefusal = (error, entries, byId) => {
    const problem = error.problem || {};
    const bad = new Map();
    for (const [field, messages] of Object.entries(problem.errors || {})) {
      const index = field.match(/^entries\[(\d+)\]/)?.[1];
      const row = index != null && entries[Number(index)];
      if (!row) continue;
      const text = [messages].flat().map(oneLanguage);
      bad.set(row.student_id, { index, text: [...(bad.get(row.student_id)?.text || []), ...text] });
    }
    if (!bad.size) { result.textContent = problemText(error); return; }
    const point = rule();
    for (const [id, { index, text }] of bad) {
      const message = rows.querySelector(`[data-message="${id}"]`);
      const recorded = problem.recorded?.[index];
      const corrected = (answer) => {
        if (answer?.queued) return;
        message.replaceChildren(t("correctedTo", { value: answer.value }));
        message.classList.replace("error", "muted");
        rowOf(id).querySelector("input").value = "";
        counted();
      };
      const open = () => {
        const form = correctionForm(recorded, point, { value: entries[Number(index)].value, done: corrected,
          cancel: () => form.replaceWith(offer) });
        offer.replaceWith(form);
        form.querySelector("[data-testid=correction-reason]").focus();
      };
      const offer = recorded && el("button", { type: "button", class: "secondary", "data-testid": `correct-${id}`, onclick: open },
        t("correctDuplicate"));
      message.classList.replace("muted", "error");
      message.replaceChildren(...[el("span", {}, text.join(" ")), offer].filter(Boolean));
      message.hidden = false;
    }
    const named = [...bad.keys()].map((id) => byId[id]);
    result.textContent = summary.textContent = t("notSaved", { count: named.length, names: names(named) });
    summary.hidden = false;
    summary.scrollIntoView({ block: "center" });  // clear of the sticky bar
  };

  const submit = async () => {
    clearMessages();
    const filled = inputs().filter((i) => i.value !== "");
    if (!filled.length) { result.textContent = t("nothingToSend"); return; }
    const entries = filled.map((i) => ({ student_id: Number(i.dataset.student), value: Number(i.value) }));
    const byId = Object.fromEntries(inputs().map((i) => [i.dataset.student, i.getAttribute("aria-label")]));
    submitButton.disabled = true;
    try {
      const answer = await send(source?.path ?? "/api/v1/entries", { body: { point: pointSelect.value, ...where(), term_id: term.id, entries },
        label: ["label_entries", { point: pointSelect.value, count: entries.length }], names: byId });
      // Sent or queued, these rows are on their way: the grid starts empty, so the next batch
      // never carries them a second time.
      inputs().forEach((i) => { i.value = ""; });
      counted();
      result.textContent = answer?.queued
        ? [t("queued"), answer.problem && problemText({ problem: answer.problem })].filter(Boolean).join("\n")
        : t("saved", { count: answer.count });
    } catch (error) {
      showRefusal(error, entries, byId);
    } finally {
      submitButton.disabled = false;
    }
  };
  submitButton.addEventListener("click", submit);
  fitRule();
  await Promise.all([load(), loadPeriods()]);
  return card(t("entry"), classSelect, pointSelect, hint, meetingLabel, periodLabel, noMeeting,
    el("label", {}, t("fillAll"), fill), el("div", { class: "actions" }, fillBlank, overwrite),
    summary, rows, submitButton, result);
}

// The entry screen: the grid for one of the user's scorer roles (a picker when they hold several).
export async function entryScreen(me, term) {
  const [catalogue, current] = await Promise.all([api("/api/v1/catalogue"),
    term === undefined ? api("/api/v1/terms/current").catch(() => null) : term]);
  const roles = [...new Set(me.roles.map((g) => g.role))].filter((role) => catalogue.rules.some((r) =>
    r.level === "individual" && r.source === "entered" && r.scorer_roles.includes(role)));
  if (!roles.length) {
    const meetings = await classMeetingForm(me, catalogue, current);
    return [back(), meetings || card(t("entry"), empty(t("entryEmpty")))];
  }
  const holder = el("div", { "data-testid": "entry-screen" });
  const showGrid = async (role) => holder.replaceChildren(await entryGrid(role, current));
  const picker = roles.length > 1 ? card(t("entryRole"), el("select", { "aria-label": t("entryRole"), "data-testid": "entry-role",
    onchange: (e) => showGrid(e.target.value) }, roles.map((r) => el("option", { value: r }, t(`role_${r}`))))) : null;
  await showGrid(roles[0]);
  return [back(), picker, holder, await classMeetingForm(me, catalogue, current)];
}

// A class meeting's (主题班会) or political study's score, one per class and day; the card's C-P-01/02
// are their means. Shown to whoever scores such a point (student affairs in the seed).
async function classMeetingForm(me, catalogue, term) {
  const held = new Set(me.roles.map((g) => g.role));
  const rules = catalogue.rules.filter((r) => r.timing === "class_meeting" && r.source === "entered"
    && r.scorer_roles.some((role) => held.has(role)));
  if (!rules.length || !term) return null;
  const classes = await api("/api/v1/classes");
  if (!classes.length) return null;
  const classSelect = el("select", { "aria-label": t("myClasses"), "data-testid": "meeting-class" },
    classes.map((c) => el("option", { value: c.id }, c.name)));
  const pointSelect = el("select", { "aria-label": t("point"), "data-testid": "meeting-point" },
    rules.map((r) => el("option", { value: r.code }, local(r))));
  const day = el("input", { type: "date", required: true, min: term.starts_on, max: term.ends_on, "data-testid": "meeting-date" });
  const title = el("input", { type: "text", maxlength: 80, "data-testid": "meeting-title" });
  const value = el("input", { type: "number", inputmode: "decimal", min: 0, max: 100, required: true, "data-testid": "meeting-score" });
  const status = el("p", { class: "muted", role: "status", "data-testid": "meeting-result" });
  const form = el("form", { class: "stack", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const name = classSelect.selectedOptions[0].textContent;
    if (!day.value || value.value === "") { status.textContent = t("fillFirst"); return; }
    try {
      const answer = await send("/api/v1/entries", { body: { point: pointSelect.value, period: `day:${day.value}`,
        occasion_title: title.value.trim() || null, term_id: term.id, entries: [{ class_id: Number(classSelect.value), value: Number(value.value) }] },
      label: ["label_entries", { point: pointSelect.value, count: 1 }], names: { [classSelect.value]: name } });
      status.textContent = answer?.queued ? t("queued") : t("classMeetingSaved", { class: name, date: day.value });
      value.value = "";
    } catch (error) {
      status.textContent = `${name}：${problemText(error)}`;  // the class, never "row 1"
    }
  } }, el("label", {}, t("myClasses"), classSelect), el("label", {}, t("point"), pointSelect),
  el("label", {}, t("meetingDate"), day), el("label", {}, t("meetingTitle"), title),
  el("label", {}, t("meetingScore"), value), el("button", { type: "submit", class: "wide", "data-testid": "meeting-submit" }, t("submit")),
  status);
  return card(t("classMeetings"), form);
}

// When an entry was for: its period, and the course or class meeting when it was scored per meeting.
function when(e) {
  return e.occasion ? local(e.occasion, "label") : local(e, "period");
}

// A value as people read it: a level by its name, otherwise with its unit.
function shown(rule, value) {
  const level = rule?.levels?.[value];
  if (level) return getLang() === "en" ? level.en : level.zh;
  return rule && rule.value_type !== "document" ? `${value} ${t(`unit_${rule.value_type}`)}` : String(value);
}

function figure(label, value, testid) {
  return el("div", { class: "figure", "data-testid": testid }, el("span", { class: "muted" }, label), el("strong", {}, value ?? "—"));
}

// One student's card and entries this term, for a scorer: each entry of a point they score can be corrected.
export async function studentScreen(id, me) {
  const [student, data, catalogue] = await Promise.all([api(`/api/v1/students/${id}`), api(`/api/v1/students/${id}/card`),
    api("/api/v1/catalogue")]);
  const held = new Set(me.roles.map((g) => g.role));
  const rules = Object.fromEntries(catalogue.rules.map((r) => [r.code, r]));
  const mine = (code) => rules[code]?.source === "entered" && rules[code].scorer_roles.some((r) => held.has(r));
  const list = el("ul", { class: "list", "data-testid": "student-entries" });
  const render = async () => {
    const entries = await api(`/api/v1/students/${id}/entries`);
    list.replaceChildren(...(entries.length ? entries.map((e) => {
      const item = el("li", { class: "stack", "data-entry": e.id },
        el("span", {}, el("strong", {}, local(e)), ` · ${when(e)}`),
        e.reversed ? el("span", { class: "muted" }, `${t("wasValue", { value: e.value })} · ${t("reversedBecause", { reason: e.reversal_reason })}`)
          : el("strong", { "data-testid": `entry-value-${e.id}` }, shown(rules[e.point], e.value)),
        el("span", { class: "muted" }, `${e.recorded_by} · ${new Date(e.recorded_at).toLocaleString(getLang())}`));
      if (!e.reversed && mine(e.point)) {
        const open = el("button", { type: "button", class: "secondary", "data-testid": `correct-entry-${e.id}`,
          onclick: () => open.replaceWith(correctionForm(e.id, rules[e.point], { value: e.value, done: (a) => (a?.queued ? null : render()),
            cancel: () => render() })) }, t("correct"));
        item.append(el("div", { class: "actions" }, open));
      }
      return item;
    }) : [el("li", {}, empty(t("cardEmpty")))]));
  };
  await render();
  return [back(),
    card(student.display_name, el("div", { class: "figures" },
      figure(t("total"), data.total, "student-total"), figure(t("classMedian"), data.class_median, "student-median"),
      ...["academic", "personal", "career"].map((d) => figure(t(d), data.subtotals[d]?.score, `student-subtotal-${d}`))),
    el("details", {}, el("summary", {}, t("history")), el("ul", { class: "list", "data-testid": "student-history" },
      data.history.months.map((m) => el("li", {}, el("span", {}, local(m, "label")), el("strong", {}, m.total ?? "—")))))),
    card(t("studentEntries"), list)];
}

// The scorer's side: open disputes about points they score.
export async function disputesToResolve() {
  const disputes = await api("/api/v1/disputes");
  if (!disputes.length) return card(t("disputes"), empty(t("disputesEmpty")));
  const list = el("ul", { class: "list", "data-testid": "disputes" });
  for (const d of disputes) {
    const reason = el("input", { placeholder: t("reason"), "aria-label": t("reason") });
    const value = el("input", { type: "number", step: "any", placeholder: t("rightValue"), "aria-label": t("rightValue") });
    const status = el("span", { class: "muted", role: "status" });
    const act = (action) => () => {
      const body = { action, reason: reason.value, ...(action === "reverse" && value.value ? { value: Number(value.value) } : {}) };
      return report(status, () => send(`/api/v1/disputes/${d.id}/resolve`, { body, label: ["label_resolve", {}] }),
        (answer) => t(`dispute_${answer.status}`));
    };
    list.append(el("li", { class: "stack" },
      el("strong", {}, `${d.student_name} · ${local(d)} · ${local(d, "period")} = ${d.value}`),
      el("a", { href: `#/students/${d.student_id}`, class: "link" }, t("studentEntries")),
      el("span", {}, d.reason), reason, value,
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: act("reverse") }, t("reverse")),
        el("button", { type: "button", class: "secondary", onclick: act("reject") }, t("reject"))), status));
  }
  return card(t("disputes"), list);
}

export async function disputesScreen() {
  return [back(), await disputesToResolve(),
    await (await import("./my_attendance.js")).markDisputesCard()];  // attendance marks (issue 20)
}

// A student's own disputes: what they said, where it stands, the scorer's answer.
// Entry disputes and attendance-mark disputes: "no disputes" only when there are neither.
export async function myDisputesScreen() {
  const [disputes, marks] = await Promise.all([api("/api/v1/me/disputes"),
    api("/api/v1/me/attendance/disputes").catch(() => [])]);
  const markCard = marks.length ? myMarkDisputesCard(marks) : null;
  if (!disputes.length && markCard) return [back(), markCard];
  return [back(), card(t("myDisputes"), disputes.length ? el("ul", { class: "list", "data-testid": "my-disputes" },
    [...disputes].reverse().map((d) => el("li", { class: "stack" },
      el("span", {}, el("strong", {}, local(d)), ` · ${local(d, "period")} · ${d.value ?? ""}`),
      el("span", { class: d.status === "open" ? "tag notice" : "tag" }, t(`disputeState_${d.status}`)),
      el("span", { class: "muted" }, t("myDisputeReason", { reason: d.reason })),
      d.resolution ? el("span", {}, t("answer", { text: d.resolution })) : null))) : empty(t("myDisputesEmpty"))), markCard];
}

// The student's side: every entry about them, each disputable once.
export async function myEntries(me) {
  const entries = await api(`/api/v1/students/${me.id}/entries`);
  if (!entries.length) return card(t("entries"), empty(t("cardEmpty")));
  const state = (dispute) => el("span", { class: dispute === "open" ? "tag notice" : "tag" },
    t(dispute === "open" ? "disputeOpen" : "disputeDone"));
  return card(t("entries"), el("ul", { class: "list", "data-testid": "my-entries" }, entries.map((e) => {
    const status = el("span", { class: "muted", role: "status" });
    // The reason is written on the entry itself, so the student sees what they dispute while writing.
    const dispute = () => {
      const why = el("textarea", { id: `dispute-${e.id}`, required: true, minlength: 2, maxlength: 500, rows: 2 });
      const form = el("form", { class: "stack", "data-testid": "dispute-form", onsubmit: async (event) => {
        event.preventDefault();
        await report(status, () => send(`/api/v1/entries/${e.id}/disputes`,
          { body: { reason: why.value.trim() }, label: ["label_dispute", {}] }),
        () => { form.replaceWith(state("open")); return t("disputed"); });
      } }, el("label", { for: why.id }, t("disputeWhy")), why, el("button", { type: "submit" }, t("sendDispute")));
      button.replaceWith(form);
      why.focus();
    };
    const button = e.dispute ? state(e.dispute)
      : el("button", { type: "button", class: "link", onclick: dispute }, t("dispute"));
    return el("li", { class: "stack" },
      el("span", { "data-testid": `my-entry-${e.id}` }, `${local(e)} · ${when(e)} · ${e.reversed ? t("reversedEntry") : e.value}`),
      el("span", { class: "muted" }, `${e.recorded_by} · ${new Date(e.recorded_at).toLocaleString(getLang())}`),
      e.reversed ? null : button, status);
  })), entries.some((e) => e.dispute) ? el("a", { href: "#/my-disputes", class: "link", "data-testid": "my-disputes-link" },
    t("openDisputes")) : null);
}

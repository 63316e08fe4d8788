// The department's assessing diagnosis (评估诊断) of a teacher's year: the department admin reads the
// teacher's self-diagnosis beside the indicators Spiral computed for them (against the stage's
// standard), writes the assessment and the agreed measures and agrees it (#/assessing/<plan>); the
// teacher sees it on their diagnosis screen once agreed. The department's teachers with their
// statuses (#/dept-assessing/<dept>, names: the department admin's) and the teacher summary
// (#/teacher-summary, counts only, per department).
import { api, oneLanguage, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, labelled, t } from "./i18n.js";
import { partName } from "./plans.js";

addText({
  assessingTitle: "评估诊断", assessingHint: "系部对照教师的自我诊断和数据指标作出评估诊断，商定的措施（填了目标值等的）在确认后成为教师下一年度计划的目标。",
  assessingText: "评估诊断意见", assessingConclusion: "目标达成度", conclusionNone: "—（不作结论）",
  conclusion_target: "达到目标", conclusion_standard: "达到标准", conclusion_below_standard: "未达标准",
  measures: "商定的改进措施", measureAdd: "+ 添加措施", measureRemove: "删除此措施", measureTitle: "措施 / 目标",
  measureIndicator: "关联指标（可选）", measureNoIndicator: "不关联指标", measureValuesHint: "目标值、标准值、预警值一并填写，该措施即成为下一年度计划的目标；都不填则仅为措施。",
  assessingSave: "保存草稿", assessingAgree: "确认评估诊断", assessingAgreed: "已确认", assessingDraft: "草稿",
  assessingNew: "未开始", assessingPending: "待系部评估", measureIsGoal: "已成为下一年度目标", nextYearPlan: "查看下一年度计划",
  teacherIndicators: "数据指标（本学年）", indicatorShort: "未达标准", indicatorMet: "达到标准", indicatorNoData: "暂无数据",
  indicatorNoStandard: "无阶段标准", stdValues: "阶段标准 {target} / {standard} / {warning}", selfDiagnosis: "教师自我诊断",
  deptAssessing: "教师年度评估诊断", deptAssessingEmpty: "本系还没有教师。", assess: "评估", teacherSummary: "教师发展汇总",
  summaryTeachers: "教师 {n} 人", summaryStages: "发展阶段", stage_none: "未定阶段", summaryCycle: "三年规划",
  summaryYear: "年度计划", summaryCounts: "已提交 {submitted} · 已审阅 {reviewed} · 已通过 {approved}",
  summaryDiagnoses: "自我诊断已提交 {n}", summaryAssessing: "评估诊断已确认 {agreed} · 草稿 {drafts}",
  summaryShort: "未达阶段标准（人数）", summaryNoneShort: "没有未达标准的指标。", summaryEmpty: "没有可查看的系部。",
  field_standard: "标准值", field_target: "目标值", field_warning: "预警值", field_point_code: "关联指标", field_part: "部分",
  field_text: "评估诊断意见", field_title: "标题", assessingOpen: "写评估诊断", measureLinked: "关联指标",
}, {
  assessingTitle: "Assessing diagnosis", assessingHint: "The department assesses the teacher's self-diagnosis against the data; agreed measures with values become goals of the teacher's next-year plan.",
  assessingText: "The assessment", assessingConclusion: "Goal achievement", conclusionNone: "— (no conclusion)",
  conclusion_target: "Target met", conclusion_standard: "Standard met", conclusion_below_standard: "Below standard",
  measures: "Agreed measures", measureAdd: "+ Add a measure", measureRemove: "Remove this measure", measureTitle: "Measure / goal",
  measureIndicator: "Linked indicator (optional)", measureNoIndicator: "No indicator", measureValuesHint: "Give target, standard and warning together and the measure becomes a goal of next year's plan; leave them empty for a measure only.",
  assessingSave: "Save draft", assessingAgree: "Agree the assessment", assessingAgreed: "Agreed", assessingDraft: "Draft",
  assessingNew: "Not started", assessingPending: "Awaiting the department", measureIsGoal: "Now a goal of next year", nextYearPlan: "Next year's plan",
  teacherIndicators: "Indicators from data (this year)", indicatorShort: "Below standard", indicatorMet: "Standard met",
  indicatorNoData: "No data", indicatorNoStandard: "No stage standard", stdValues: "Stage standard {target} / {standard} / {warning}",
  selfDiagnosis: "The teacher's self-diagnosis", deptAssessing: "Teachers' yearly assessment", deptAssessingEmpty: "No teachers in this department yet.",
  assess: "Assess", teacherSummary: "Teacher development summary", summaryTeachers: "{n} teachers", summaryStages: "Stages",
  stage_none: "No stage", summaryCycle: "Three-year plans", summaryYear: "Annual plans",
  summaryCounts: "Submitted {submitted} · Reviewed {reviewed} · Approved {approved}", summaryDiagnoses: "Self-diagnoses submitted {n}",
  summaryAssessing: "Assessments agreed {agreed} · Drafts {drafts}", summaryShort: "Short of the stage standard (teachers)",
  summaryNoneShort: "No indicator short of standard.", summaryEmpty: "No department to show.",
  field_standard: "Standard", field_target: "Target", field_warning: "Warning", field_point_code: "Indicator", field_part: "Part",
  field_text: "The assessment", field_title: "Title", assessingOpen: "Write the assessing diagnosis", measureLinked: "Indicator",
});

const STATUS = { new: "assessingNew", draft: "assessingDraft", agreed: "assessingAgreed", pending: "assessingPending" };
const num = (v) => (v == null ? "—" : Number(v.toFixed ? v.toFixed(2) : v).toString());
const withUnit = (v, unit) => (v == null ? "—" : `${num(v)}${unit && unit !== "%" ? ` ${unit}` : unit || ""}`);

function indicatorItem(i) {
  const tag = i.value == null ? ["tag", t("indicatorNoData")] : i.standard == null ? ["tag", t("indicatorNoStandard")]
    : i.short ? ["tag notice", t("indicatorShort")] : ["tag", t("indicatorMet")];
  return el("li", { class: "stack", "data-testid": "indicator", "data-code": i.code },
    el("div", { class: "actions" }, el("strong", {}, `${oneLanguage(i.label)} · ${withUnit(i.value, i.unit)}`),
      el("span", { class: tag[0] }, tag[1])),
    i.standard == null ? null : el("p", { class: "muted" }, t("stdValues", { target: i.target, standard: i.standard, warning: i.warning })),
    el("p", { class: "muted" }, oneLanguage(i.source)));
}

// What needs a word first: short of the standard, then the rest with figures, then those without data.
const rank = (i) => (i.short ? 0 : i.value == null ? 2 : 1);
const ordered = (indicators) => [...indicators].sort((a, b) => rank(a) - rank(b));

function selfDiagnosisCard(review) {
  const sd = review.self_diagnosis;
  return card(`${t("selfDiagnosis")} · ${review.teacher.name} · ${review.year}`,
    review.stage ? el("p", {}, el("span", { class: "tag" }, t(`stage_${review.stage}`))) : null,
    el("ul", { class: "list", "data-testid": "sd-items" }, sd.items.map((item) => el("li", { class: "stack" },
      el("div", { class: "actions" }, el("strong", {}, item.title), el("span", { class: "tag" }, t(`standing_${item.standing}`))),
      el("p", { class: "muted" }, `${t("actual")} ${withUnit(item.actual, item.unit)} · ${t("target")} ${item.target} · `
        + `${t("standard")} ${item.standard} · ${t("warning")} ${item.warning}`),
      item.cause ? el("p", {}, labelled(t("cause"), item.cause)) : null,
      item.measure ? el("p", {}, labelled(t("measure"), item.measure)) : null))),
    el("p", {}, labelled(t("diagnosisSummary"), sd.summary || "—")));
}

function measureLine(m) {
  const values = m.target == null ? "" : ` · ${t("target")} ${m.target} · ${t("standard")} ${m.standard} · ${t("warning")} ${m.warning}`;
  return el("li", { class: "stack", "data-testid": "measure" },
    el("div", { class: "actions" }, el("strong", {}, `${partName("teacher_year", m.part)} · ${m.title}`),
      m.goal_id ? el("span", { class: "tag" }, t("measureIsGoal")) : null),
    m.point_code || values ? el("p", { class: "muted" }, `${m.point_code ? `${t("measureLinked")} ${m.point_code}` : ""}${values}`) : null);
}

// The agreed assessment as anyone allowed to read it sees it.
function agreedBody(a) {
  return [el("p", { "data-testid": "assessing-text" }, a.text),
    a.conclusion ? el("p", {}, labelled(t("assessingConclusion"), ""), el("span", { class: "tag" }, t(`conclusion_${a.conclusion}`))) : null,
    a.measures.length ? [el("h3", {}, t("measures")), el("ul", { class: "list" }, a.measures.map(measureLine))] : null,
    a.carried?.message ? el("p", { class: "advice", "data-testid": "carried-note" }, oneLanguage(a.carried.message)) : null,
    a.next_plan_id ? el("p", {}, el("a", { href: `#/plans/${a.next_plan_id}`, class: "link", "data-testid": "next-year-plan" }, t("nextYearPlan"))) : null];
}

// One measure's fields; `n` keeps ids unique on the page.
function measureFields(m, n, indicators, remove) {
  const id = (k) => `m${n}-${k}`;
  const value = (k) => el("input", { id: id(k), name: k, type: "number", step: "any", inputmode: "decimal", value: m[k] ?? "" });
  return el("fieldset", { class: "stack", "data-testid": "measure-row" },
    el("label", { for: id("part") }, t("part")),
    el("select", { id: id("part"), name: "part" }, ["A", "B"].map((p) => el("option", { value: p, selected: m.part === p }, partName("teacher_year", p)))),
    el("label", { for: id("title") }, t("measureTitle")), el("input", { id: id("title"), name: "title", required: true, value: m.title ?? "" }),
    el("label", { for: id("point") }, t("measureIndicator")),
    el("select", { id: id("point"), name: "point" }, el("option", { value: "" }, t("measureNoIndicator")),
      indicators.map((i) => el("option", { value: i.code, selected: m.point_code === i.code }, `${i.code} ${oneLanguage(i.label)}`))),
    el("label", { for: id("target") }, t("target")), value("target"),
    el("label", { for: id("standard") }, t("standard")), value("standard"),
    el("label", { for: id("warning") }, t("warning")), value("warning"),
    el("button", { type: "button", class: "link", onclick: remove }, t("measureRemove")));
}

function readMeasure(row) {
  const get = (name) => row.querySelector(`[name=${name}]`).value;
  const number = (name) => (get(name) === "" ? null : Number(get(name)));
  return { part: get("part"), title: get("title"), point_code: get("point") || null,
    target: number("target"), standard: number("standard"), warning: number("warning") };
}

export async function assessingScreen(planId, rerender) {
  const a = await api(`/api/v1/plans/${planId}/assessing`);
  const review = a.review;
  const message = el("p", { class: "error", role: "alert" });
  const head = [el("a", { href: `#/diagnosis/${planId}`, class: "link" }, `← ${t("diagnosisTitle")}`), selfDiagnosisCard(review),
    card(t("teacherIndicators"), el("ul", { class: "list", "data-testid": "indicators" }, ordered(review.indicators).map(indicatorItem)))];
  const status = el("span", { class: "tag", "data-testid": "assessing-status" }, t(STATUS[a.status]));
  if (a.status === "agreed") return [...head, card(t("assessingTitle"), el("p", {}, status), agreedBody(a))];

  let n = 0;
  const rows = el("div", { class: "stack", "data-testid": "measures" });
  const add = (m = { part: "A" }) => {
    const row = measureFields(m, n++, review.indicators, () => row.remove());
    rows.append(row);
  };
  a.measures.forEach((m) => add(m));
  const body = (f) => ({ text: f.text.value, conclusion: f.conclusion.value || null,
    measures: [...rows.querySelectorAll("[data-testid=measure-row]")].map(readMeasure) });
  const write = (method, path) => async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      await api(path, { method, body: body(form) });
      await rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
  const form = el("form", { class: "stack", "data-testid": "assessing-form", onsubmit: write("POST", `/api/v1/plans/${planId}/assessing/agree`) },
    el("p", { class: "muted" }, t("assessingHint")),
    el("label", { for: "assessing-text" }, t("assessingText")),
    el("textarea", { id: "assessing-text", name: "text", rows: 4, required: true }, a.text),
    el("label", { for: "assessing-conclusion" }, t("assessingConclusion")),
    el("select", { id: "assessing-conclusion", name: "conclusion" }, el("option", { value: "" }, t("conclusionNone")),
      ["target", "standard", "below_standard"].map((c) => el("option", { value: c, selected: a.conclusion === c }, t(`conclusion_${c}`)))),
    el("h3", {}, t("measures")), el("p", { class: "muted" }, t("measureValuesHint")), rows,
    el("button", { type: "button", class: "secondary", "data-testid": "add-measure", onclick: () => add() }, t("measureAdd")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", "data-testid": "save-assessing",
        onclick: write("PUT", `/api/v1/plans/${planId}/assessing`) }, t("assessingSave")),
      el("button", { type: "submit", "data-testid": "agree-assessing" }, t("assessingAgree"))),
    message);
  return [...head, card(t("assessingTitle"), el("p", {}, status), form)];
}

// Below a submitted self-diagnosis of a teacher's year: to the teacher the agreed assessment (or
// that it is to come), to a department admin the way to write it; nothing to anyone else.
export async function onDiagnosis(planId, owner, me) {
  if (owner) return ownAssessing(planId);
  if (!me.roles.some((g) => g.role === "dept_admin")) return null;
  return el("p", {}, el("a", { href: `#/assessing/${planId}`, class: "link", "data-testid": "assessing-link" }, t("assessingOpen")));
}

async function ownAssessing(planId) {
  const a = await api(`/api/v1/plans/${planId}/assessing`);
  return card(t("assessingTitle"), el("p", {}, el("span", { class: "tag", "data-testid": "assessing-status" }, t(STATUS[a.status]))),
    a.status === "agreed" ? agreedBody(a) : null);
}

function summaryCard(s) {
  const stages = Object.entries(s.stages).filter(([, n]) => n).map(([stage, n]) => `${t(`stage_${stage}`)} ${n}`).join(" · ");
  const short = s.short_of_standard.filter((x) => x.teachers);
  // The academic year as other screens write it (2026-2027); "：" only in Chinese.
  return card(`${s.department} · ${s.year}-${s.year + 1}`,
    el("p", { "data-testid": "summary-teachers" }, `${t("summaryTeachers", { n: s.teachers })} · ${labelled(t("summaryStages"), stages || "—")}`),
    el("p", {}, labelled(t("summaryCycle"), t("summaryCounts", s.cycle_plans))),
    el("p", {}, labelled(t("summaryYear"), t("summaryCounts", s.year_plans))),
    el("p", { "data-testid": "summary-assessing" }, `${t("summaryDiagnoses", { n: s.diagnoses_submitted })} · `
      + `${t("summaryAssessing", { agreed: s.assessing_agreed, drafts: s.assessing_drafts })}`),
    el("h3", {}, t("summaryShort")),
    short.length ? el("ul", { class: "list", "data-testid": "summary-short" }, short.map((x) =>
      el("li", {}, el("span", {}, oneLanguage(x.label)), el("strong", {}, String(x.teachers))))) : empty(t("summaryNoneShort")));
}

// The school admin's (and a department admin's) counts, per department: no names.
export async function summaryScreen() {
  const rows = await api("/api/v1/teacher-summary");
  return [el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    ...(rows.length ? rows.map((s) => summaryCard(s)) : [card(t("teacherSummary"), empty(t("summaryEmpty")))])];
}

// The department admin's list: names, statuses, and the self-diagnoses to assess.
export async function departmentScreen(deptId) {
  const [rows, summaries] = await Promise.all([api(`/api/v1/departments/${deptId}/assessing`), api("/api/v1/teacher-summary")]);
  const mine = summaries.find((s) => String(s.department_id) === String(deptId));
  const status = (s) => (s ? t(`planStatus_${s}`) : "—");
  return [el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(t("deptAssessing"), rows.length ? el("ul", { class: "list", "data-testid": "dept-assessing" }, rows.map((r) =>
      el("li", { class: "stack", "data-testid": "assessing-row" },
        el("div", { class: "actions" }, el("strong", {}, `${r.name}${r.title ? ` · ${r.title}` : ""}`),
          r.assessing ? el("span", { class: "tag" }, t(STATUS[r.assessing])) : null),
        el("span", { class: "muted" }, `${r.stage ? t(`stage_${r.stage}`) : t("stage_none")} · ${t("kind_teacher_year")} ${status(r.year_plan)} · `
          + `${t("diagnosisTitle")} ${status(r.diagnosis)}`),
        r.diagnosis === "submitted" ? el("a", { href: `#/assessing/${r.plan_id}`, class: "link", "data-testid": "assess-link" },
          `${t("assess")} →`) : null)))
      : empty(t("deptAssessingEmpty"))),
    mine ? summaryCard(mine) : null];
}

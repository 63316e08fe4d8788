// Development plans: the owner's list, a plan with its goals (target, standard, warning and the
// actual value), adding goals, progress logs, submit and review; the period-end self-diagnosis.
import { api, problemText, showFieldErrors } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, local, t } from "./i18n.js";

addText({ linkIndicator: "关联教师指标（实际值取自系统数据）", nowValue: "当前", freeTeacherGoal: "自定义目标（自己记录进度）",
  part_year_A: "A 教学、科研与服务任务", part_year_B: "B 培训、学习与成长", planStage: "发展阶段",
  pickStage: "请选择发展阶段", pickStageHint: "三年规划按所选阶段的标准衡量，创建后不能在此更改。", createPlan: "创建",
  fieldNeeded: "请填写{field}。" },
{ linkIndicator: "Link a teacher indicator (actual value from Spiral's data)", nowValue: "now",
  freeTeacherGoal: "Free goal (you log progress)",
  part_year_A: "A Teaching, research and service tasks", part_year_B: "B Training, study and growth", planStage: "Stage",
  pickStage: "Choose your stage", pickStageHint: "The three-year plan is held to the chosen stage's standards.", createPlan: "Create",
  fieldNeeded: "Enter the {field}." });

// A part's name in the plan's words: a teacher's yearly plan has its own A and B.
export function partName(kind, part) {
  return kind === "teacher_year" && ["A", "B"].includes(part) ? t(`part_year_${part}`) : t(`part_${part}`);
}

const half = (text) => { const [zh, en] = String(text ?? "").split(" / "); return getLang() === "en" && en ? en : zh; };

// A teacher's goal links one of their indicators (issue 20): the picker shows each with its value
// now; the stage standard, when there is one, fills in as the floor.
function indicatorPicker(indicators, form) {
  const unit = (i) => (i.unit ? (i.unit === "%" ? "%" : ` ${i.unit}`) : "");
  return [el("label", { for: "goal-point" }, t("linkIndicator")), el("select", { id: "goal-point", name: "point",
    "data-testid": "indicator-picker", onchange: (e) => {
      const found = indicators.find((i) => i.code === e.target.value);
      if (!found) return;
      form().title.value = half(found.label);
      if (found.standard) for (const k of ["target", "standard", "warning"]) form()[k].value = found.standard[k];
    } }, el("option", { value: "" }, t("freeTeacherGoal")),
  indicators.map((i) => el("option", { value: i.code },
    `${half(i.label)} · ${t("nowValue")} ${i.value == null ? "—" : `${i.value}${unit(i)}`}`)))];
}

const STAGES = ["novice", "competent", "mature", "expert"];
const STANDING_CLASS = { target: "tag", standard: "tag", below_standard: "tag notice", past_warning: "tag danger", no_data: "tag" };
const EDITABLE = ["draft", "returned"];

function standingTag(standing) {
  return el("span", { class: STANDING_CLASS[standing], "data-testid": "standing" }, t(`standing_${standing}`));
}

function statusTag(status) {
  return el("span", { class: status === "returned" ? "tag warn" : "tag", "data-testid": "plan-status" }, t(`planStatus_${status}`));
}

function planName(p) {
  return `${t(`kind_${p.kind}`)} · ${p.period.startsWith("term:") ? t("thisPlanTerm") : p.period}`;
}

// A write, then the screen drawn again; a problem shows in `message` and nothing else changes.
function acting(message, rerender) {
  return (write) => async (event) => {
    event?.preventDefault();
    message.textContent = "";
    try {
      await write(event?.target);
      await rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
}

// The home card: the caller's plans and how to start one.
export async function plansCard(me, kinds) {
  const plans = await api("/api/v1/me/plans");
  const message = el("p", { class: "error", role: "alert" });
  const start = (kind) => async () => {
    try {
      const plan = await api("/api/v1/me/plans", { method: "POST", body: { kind } });
      location.hash = `#/plans/${plan.id}`;
    } catch (error) { message.textContent = problemText(error); }
  };
  const have = new Set(plans.map((p) => p.kind));
  // A teacher's three-year plan is held to a stage's standards: the stage is chosen, never defaulted.
  const stageError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "new-stage-error" });
  const stage = el("select", { id: "new-stage", name: "stage", required: true, "data-testid": "new-stage",
    "aria-describedby": "new-stage-hint" },
  el("option", { value: "" }, t("pickStage")), STAGES.map((s) => el("option", { value: s }, t(`stage_${s}`))));
  const cycleForm = el("form", { class: "stack", novalidate: true, hidden: true, "data-testid": "new-teacher_cycle-form",
    onsubmit: async (event) => {
      event.preventDefault();
      stageError.hidden = true;
      message.textContent = "";
      if (!stage.value) {
        Object.assign(stageError, { textContent: t("pickStage"), hidden: false });
        stage.focus();
        return;
      }
      try {
        const plan = await api("/api/v1/me/plans", { method: "POST", body: { kind: "teacher_cycle", stage: stage.value } });
        location.hash = `#/plans/${plan.id}`;
      } catch (error) {
        const rest = showFieldErrors(error, { stage: [stage, stageError] }, { stage: t("planStage") });
        message.textContent = rest;
      }
    } },
  el("label", { for: "new-stage" }, `${t("kind_teacher_cycle")} · ${t("planStage")}`), stage, stageError,
  el("p", { class: "muted", id: "new-stage-hint" }, t("pickStageHint")),
  el("button", { type: "submit", "data-testid": "create-teacher_cycle" }, t("createPlan")));
  const open = () => { cycleForm.hidden = false; stage.focus(); };
  return card(t("myPlans"),
    plans.length ? el("ul", { class: "list", "data-testid": "my-plans" }, plans.map((p) =>
      el("li", {}, el("a", { href: `#/plans/${p.id}` }, planName(p)), statusTag(p.status)))) : empty(t("planEmpty")),
    el("div", { class: "actions" }, kinds.map((kind) => el("button", {
      type: "button", class: "secondary", "data-testid": `new-${kind}`, onclick: kind === "teacher_cycle" ? open : start(kind),
      disabled: kind.endsWith("cycle") && have.has(kind),
    }, `+ ${t(`kind_${kind}`)}`))), kinds.includes("teacher_cycle") && !have.has("teacher_cycle") ? cycleForm : null, message);
}

function goalLine(goal) {
  const unit = goal.unit && goal.unit !== "%" ? ` ${goal.unit}` : goal.unit || "";
  return el("p", { class: "muted" }, `${t("actual")} ${goal.actual == null ? "—" : goal.actual + unit} · ${t("target")} ${goal.target}${unit} · `
    + `${t("standard")} ${goal.standard} · ${t("warning")} ${goal.warning}`);
}

function goalItem(goal, plan, owner, act) {
  const milestones = (goal.milestones || []).map((m, i) => el("label", { class: "check" },
    el("input", { type: "checkbox", checked: m.done, disabled: !owner, onchange: act(() => api(`/api/v1/goals/${goal.id}`, {
      method: "PATCH", body: { milestones: goal.milestones.map((x, j) => (j === i ? { ...x, done: !x.done } : x)) } })) }),
    `${m.title}${m.due_on ? ` (${m.due_on})` : ""}`));
  const log = owner && !goal.point_code ? el("form", { class: "actions", "data-testid": "log-form",
    onsubmit: act((f) => api(`/api/v1/goals/${goal.id}/logs`, { method: "POST",
      body: { value: f.value.value === "" ? null : Number(f.value.value), note: f.note.value } })) },
  el("input", { name: "value", type: "number", step: "any", placeholder: t("value"), "aria-label": t("value") }),
  el("input", { name: "note", placeholder: t("note"), "aria-label": t("note") }),
  el("button", { type: "submit", class: "secondary" }, t("logProgress"))) : null;
  const remove = owner && EDITABLE.includes(plan.status) ? el("button", { type: "button", class: "link",
    onclick: act(() => api(`/api/v1/goals/${goal.id}`, { method: "DELETE" })) }, t("remove")) : null;
  return el("li", { class: "stack", "data-testid": "goal" },
    el("div", { class: "actions" }, el("strong", {}, goal.title), standingTag(goal.standing)),
    goal.point_code ? el("p", { class: "muted" }, `${t("linked")} ${goal.point_code}`) : null,
    goalLine(goal), milestones, log,
    goal.logs.length ? el("p", { class: "muted" }, goal.logs.slice(-3).map((l) => `${l.logged_on} ${l.value ?? ""} ${l.note}`).join(" · ")) : null,
    remove);
}

// A goal form: pick a catalogue point (its college standard and warning values fill in as the
// floor) or write a free goal with a milestone. A refusal shows beside the field it names, not in
// the plan card far above; the first such field is scrolled to.
async function goalForm(plan, rerender) {
  const student = plan.kind.startsWith("student");
  const catalogue = student ? await api(`/api/v1/catalogue${plan.term_id ? `?term_id=${plan.term_id}` : ""}`) : { rules: [] };
  const mine = student ? null : await api(`/api/v1/teachers/${plan.owner.id}/indicators${plan.kind === "teacher_year" ? `?year=${plan.start_year}` : ""}`);
  const points = catalogue.rules.filter((r) => r.level === "individual" && r.value_type !== "document" && !r.sensitive);
  const slots = {};
  const labels = {};
  const slot = (name, input, label) => {
    const node = el("p", { class: "error", role: "alert", hidden: true, id: `goal-error-${name}`, "data-testid": `goal-error-${name}` });
    slots[name] = [input, node];
    labels[name] = label;
    return node;
  };
  const field = (name, label, attrs = {}) => {
    const input = el("input", { id: `goal-${name}`, name, required: true, "aria-describedby": `goal-error-${name}`, ...attrs });
    return [el("label", { for: `goal-${name}` }, label), input, slot(name, input, label)];
  };
  const message = el("p", { class: "error", role: "alert", "data-testid": "goal-message" });
  const submit = async (event) => {
    event.preventDefault();
    const f = event.target;
    message.textContent = "";
    for (const [input, node] of Object.values(slots)) { node.hidden = true; node.textContent = ""; input.removeAttribute("aria-invalid"); }
    const blank = ["title", "target", "standard", "warning"].filter((k) => f[k].value.trim() === "");
    if (blank.length) {
      const errors = Object.fromEntries(blank.map((k) => [k, t("fieldNeeded", { field: labels[k] })]));
      showFieldErrors({ problem: { errors } }, slots, labels);
      return;
    }
    try {
      await api(`/api/v1/plans/${plan.id}/goals`, { method: "POST", body: {
        part: f.part.value, title: f.title.value, target: Number(f.target.value), standard: Number(f.standard.value),
        warning: Number(f.warning.value), ...(f.point.value ? { point_code: f.point.value } : {}),
        ...(f.milestone.value ? { milestones: [{ title: f.milestone.value, due_on: f.due.value || null }] } : {}),
      } });
      await rerender();
    } catch (error) { message.textContent = showFieldErrors(error, slots, labels); }
  };
  const part = el("select", { id: "goal-part", name: "part" }, plan.parts.map((p) => el("option", { value: p }, partName(plan.kind, p))));
  const form = el("form", { class: "stack", novalidate: true, "data-testid": "goal-form", onsubmit: submit },
    el("label", { for: "goal-part" }, t("part")), part, slot("part", part, t("part")),
    student ? [el("label", { for: "goal-point" }, t("linkPoint")), el("select", { id: "goal-point", name: "point", onchange: (e) => {
      const rule = points.find((r) => r.code === e.target.value);
      if (!rule) return;
      form.title.value = local(rule);
      form.standard.value = rule.standard_value;
      form.target.value = rule.direction === "higher_better" ? Math.min(rule.max_value, rule.standard_value) : rule.standard_value;
      form.warning.value = rule.warning_value ?? rule.standard_value;
    } }, el("option", { value: "" }, t("freeGoal")), points.map((r) => el("option", { value: r.code }, `${r.code} ${local(r)}`)))]
      : indicatorPicker(mine.indicators, () => form),
    field("title", t("goalTitle")),
    field("target", t("target"), { type: "number", step: "any" }),
    field("standard", t("standard"), { type: "number", step: "any" }),
    field("warning", t("warning"), { type: "number", step: "any" }),
    el("p", { class: "muted" }, t("goalHint")),
    el("label", { for: "goal-milestone" }, t("milestone")), el("input", { id: "goal-milestone", name: "milestone" }),
    el("input", { name: "due", type: "date", "aria-label": t("dueOn") }),
    el("button", { type: "submit", class: "wide" }, t("addGoal")), message);
  const point = form.querySelector("#goal-point");
  point.after(slot("point_code", point, student ? t("linkPoint") : t("linkIndicator")));
  const milestone = form.querySelector("#goal-milestone");
  milestone.after(slot("milestones", milestone, t("milestone")));
  return form;
}

export async function planScreen(id, me, rerender) {
  const plan = await api(`/api/v1/plans/${id}`);
  const owner = plan.owner.id === me.id;
  const message = el("p", { class: "error", role: "alert" });
  const act = acting(message, rerender);
  const editable = owner && EDITABLE.includes(plan.status);
  const reviewer = !owner && plan.status === "submitted" && me.roles.some((g) => ["head_teacher", "dept_admin"].includes(g.role));
  const parts = plan.parts.map((part) => {
    const goals = plan.goals.filter((g) => g.part === part);
    return [el("h3", {}, partName(plan.kind, part)), goals.length
      ? el("ul", { class: "list" }, goals.map((g) => goalItem(g, plan, owner, act))) : empty(t("noGoals"))];
  });
  const notes = owner ? el("form", { class: "stack", onsubmit: act((f) => api(`/api/v1/plans/${id}`, { method: "PATCH",
    body: editable ? { summary: f.summary.value, private_note: f.private_note.value } : { private_note: f.private_note.value } })) },
  el("label", { for: "summary" }, t("planSummary")),
  el("textarea", { id: "summary", name: "summary", rows: 2, disabled: !editable }, plan.summary),
  el("label", { for: "private_note" }, t("privateNote")),
  el("textarea", { id: "private_note", name: "private_note", rows: 2 }, plan.private_note || ""),
  el("button", { type: "submit", class: "secondary" }, t("save"))) : el("p", {}, plan.summary);
  const review = reviewer ? el("form", { class: "stack", "data-testid": "review-form" },
    el("label", { for: "comment" }, t("reviewComment")), el("textarea", { id: "comment", name: "comment", rows: 2 }),
    el("div", { class: "actions" },
      el("button", { type: "button", "data-testid": "approve", onclick: act(() => api(`/api/v1/plans/${id}/review`, {
        method: "POST", body: { decision: "approve", comment: review.comment.value || null } })) }, t("approve")),
      el("button", { type: "button", class: "secondary", onclick: act(() => api(`/api/v1/plans/${id}/review`, {
        method: "POST", body: { decision: "return", comment: review.comment.value } })) }, t("returnPlan")))) : null;
  // Only the owner writes the self-diagnosis; a reviewer may read it once it is submitted.
  const diagnosable = ["student_term", "teacher_year"].includes(plan.kind) && plan.status !== "draft"
    && (owner || plan.diagnosis?.status === "submitted");
  return [
    el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(`${planName(plan)} · ${plan.owner.name}`,
      el("p", {}, statusTag(plan.status), plan.stage ? [" ", el("span", { class: "tag" }, t(`stage_${plan.stage}`))] : null),
      plan.review_comment ? el("p", { class: "advice" }, `${t("reviewComment")}：${plan.review_comment}`) : null,
      notes, parts,
      editable ? el("button", { type: "button", class: "wide", "data-testid": "submit-plan",
        onclick: act(() => api(`/api/v1/plans/${id}/submit`, { method: "POST" })) }, t("submitPlan")) : null,
      review,
      diagnosable ? el("p", {}, el("a", { href: `#/diagnosis/${id}`, class: "link", "data-testid": "diagnosis-link" },
        plan.diagnosis?.status === "submitted" ? t("seeDiagnosis") : t("writeDiagnosis"))) : null,
      message),
    editable ? card(t("addGoal"), await goalForm(plan, rerender)) : null,
  ];
}

export async function diagnosisScreen(id, me, rerender) {
  const [plan, d] = await Promise.all([api(`/api/v1/plans/${id}`), api(`/api/v1/plans/${id}/diagnosis`)]);
  const owner = plan.owner.id === me.id;
  const draft = owner && d.status === "draft";
  const message = el("p", { class: "error", role: "alert" });
  const act = acting(message, rerender);
  const body = (f) => ({ summary: f.summary.value, items: d.items.map((item, i) => ({
    goal_id: item.goal_id, cause: f[`cause-${i}`].value, measure: f[`measure-${i}`].value })) });
  const items = d.items.map((item, i) => el("li", { class: "stack", "data-testid": "diagnosis-item" },
    el("div", { class: "actions" }, el("strong", {}, item.title), standingTag(item.standing)),
    goalLine(item),
    draft ? [el("label", { for: `cause-${i}` }, t("cause")), el("textarea", { id: `cause-${i}`, name: `cause-${i}`, rows: 2 }, item.cause),
      el("label", { for: `measure-${i}` }, t("measure")), el("textarea", { id: `measure-${i}`, name: `measure-${i}`, rows: 2 }, item.measure)]
      : [item.cause ? el("p", {}, `${t("cause")}：${item.cause}`) : null, item.measure ? el("p", {}, `${t("measure")}：${item.measure}`) : null]));
  const form = el("form", { class: "stack", "data-testid": "diagnosis-form",
    onsubmit: act((f) => api(`/api/v1/plans/${id}/diagnosis/submit`, { method: "POST", body: body(f) })) },
  el("ul", { class: "list" }, items),
  el("label", { for: "summary" }, t("diagnosisSummary")),
  el("textarea", { id: "summary", name: "summary", rows: 3, disabled: !draft }, d.summary),
  draft ? el("div", { class: "actions" },
    el("button", { type: "button", class: "secondary", onclick: act(() => api(`/api/v1/plans/${id}/diagnosis`, { method: "PUT", body: body(form) })) }, t("saveDraft")),
    el("button", { type: "submit", "data-testid": "submit-diagnosis" }, t("submitDiagnosis"))) : null);
  const reviewer = !owner && d.status === "submitted";
  // issue 20: the department's assessing diagnosis of a teacher's year (pwa/app/assessing.js)
  const assessed = plan.kind === "teacher_year" && d.status === "submitted"
    && await (await import("./assessing.js")).onDiagnosis(id, owner, me);
  const comment = reviewer ? el("form", { class: "stack", onsubmit: act((f) => api(`/api/v1/plans/${id}/diagnosis/comment`, {
    method: "POST", body: { comment: f.comment.value } })) },
  el("label", { for: "comment" }, t("reviewComment")), el("textarea", { id: "comment", name: "comment", required: true, rows: 2 }),
  el("button", { type: "submit", class: "secondary" }, t("save"))) : null;
  return [
    el("a", { href: `#/plans/${id}`, class: "link" }, `← ${planName(plan)}`),
    card(t("diagnosisTitle"), el("p", { class: "muted" }, d.status === "submitted" ? t("diagnosisFrozen") : t("diagnosisHint")),
      form, d.comment ? el("p", { class: "advice" }, `${t("reviewComment")}：${d.comment}`) : null, comment,
      d.next_plan_id ? el("p", {}, el("a", { href: `#/plans/${d.next_plan_id}`, class: "link", "data-testid": "next-plan" }, t("nextPlan"))) : null,
      message),
    assessed || null,
  ];
}

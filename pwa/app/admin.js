// The school admin's screens: the audit log, the catalogue, the warning rules, the roster import
// with its initial-password slips, and (with head teachers) a student's password reset.
import { api, authFetch, download, problemOf, ProblemError } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, local, t } from "./i18n.js";

addText({
  obj_student: "学生", obj_class: "班级", obj_class_roll: "综合测评表", obj_class_report: "班级报表", obj_department_report:
  "系部报表", obj_school_report: "学校报表", obj_roster: "名单", obj_initial_passwords: "初始密码", obj_audit_log: "审计日志",
  obj_score_entry: "采分记录", obj_dispute: "申诉", obj_class_session: "课堂", obj_leave_request: "请假", obj_scoring_rule:
  "采分点", obj_special_group: "特殊群体记录", obj_special_group_list: "特殊群体名单", obj_warning: "预警", obj_warning_list: "预警列表",
  obj_warning_rule: "预警规则",
  audit: "审计日志", auditWho: "操作人（账号或姓名）", auditWhat: "操作类型", auditFrom: "开始日期", auditTo: "结束日期",
  auditStudent: "学生学号", auditFilter: "筛选", auditFilters: "筛选条件", auditDetail: "详情", auditCsv: "下载 CSV", auditAll: "全部",
  auditPage: "第 {page} / {pages} 页 · 共 {total} 条", prev: "上一页", next: "下一页", auditEmpty: "没有符合条件的记录。",
  act_catalogue: "修改采分点", act_warning_rule: "修改预警规则", act_roster: "名单导入", act_slips: "下载初始密码",
  act_account: "重置密码", act_audit: "查看审计日志", "act_read.sensitive": "查阅敏感信息", act_leave: "请假审批",
  act_ledger: "冲销更正", act_dispute: "申诉处理", act_special_group: "特殊群体", act_attendance: "考勤更正",
  catalogueHint: "修改只影响本学期（以后的学期沿用）；已录入的值必须仍在取值范围内。", standardValue: "标准值", warningValue: "预警值",
  weight: "权重（0–1）", minValue: "最小值", maxValue: "最大值", rationale: "理由", edit: "修改", saved: "已保存",
  range: "取值范围", field_conversion: "换算", field_rule: "规则", field_levels: "等级",
  rules: "预警规则", rulesHint: "阈值、等级与最少证据：下次预警计算时生效。", enabled: "启用", ackHours: "确认时限（小时）",
  level_yellow: "黄色", level_orange: "橙色", level_red: "红色", percentPast: "超出预警值的百分比 ≥",
  signalsMet: "满足的信号数 ≥", signal: "信号",
  minEvidence: "最少证据", minEvidenceHint: "证据不足时不作为预警依据（学生自己的计划提醒照常）。",
  minSessions: "考勤：至少几节课", minDays: "考勤：跨越至少几天", minValues: "采分：至少几个值",
  rosterResult: "导入结果", rosterClass: "班级", created: "新增", updated: "更新", unchanged: "未变", staffCounts: "教职工",
  rosterErrors: "名单有误，未导入任何数据：", rowAt: "{sheet} 第 {row} 行", slips: "初始密码",
  slipsHint: "初始密码只显示这一次：请在 30 分钟内下载打印，之后无法再取回。", slipsPdf: "下载密码条（PDF）",
  slipsXlsx: "下载名单（XLSX）", slipsGone: "初始密码已过期，请为需要的学生重置密码。",
  reset: "重置学生密码", resetHint: "新密码只显示一次，学生下次登录时须修改。", resetClass: "选择班级",
  resetDo: "重置密码", resetConfirm: "确定重置 {name} 的密码吗？", newInitial: "{name} 的新初始密码", slipPdf: "打印密码条（PDF）",
  onlyAdmin: "只有学校管理员可以导入名单。",
  addPoint: "新增本校采分点", addPointHint: "新采分点加入本学期目录，以后的学期沿用；编号由系统生成。", domain: "领域",
  nameZh: "中文名称", nameEn: "英文名称", valueType: "取值类型", timing: "采分时点", scorer: "采分主体",
  vt_count: "次数", vt_score: "分数", vt_rate: "比率（%）", timing_session: "每节课", timing_weekly: "每周",
  timing_monthly: "每月", timing_semester_end: "学期末", timing_year_start: "学年初", timing_year_end: "学年末",
}, {
  obj_student: "student", obj_class: "class", obj_class_roll: "class roll", obj_class_report: "class report",
  obj_department_report: "department report", obj_school_report: "school report", obj_roster: "roster",
  obj_initial_passwords: "initial passwords", obj_audit_log: "audit log", obj_score_entry: "score entry",
  obj_dispute: "dispute", obj_class_session: "class session", obj_leave_request: "leave request", obj_scoring_rule:
  "scoring point", obj_special_group: "special-group record", obj_special_group_list: "special-group list",
  obj_warning: "warning", obj_warning_list: "warning list", obj_warning_rule: "warning rule",
  audit: "Audit log", auditWho: "Who (login or name)", auditWhat: "Action", auditFrom: "From", auditTo: "To",
  auditStudent: "Student number", auditFilter: "Filter", auditFilters: "Filters", auditDetail: "Details", auditCsv: "Download CSV", auditAll: "All",
  auditPage: "Page {page} of {pages} · {total} events", prev: "Previous", next: "Next", auditEmpty: "No events match.",
  act_catalogue: "Catalogue edit", act_warning_rule: "Warning rule edit", act_roster: "Roster import",
  act_slips: "Initial passwords downloaded", act_account: "Password reset", act_audit: "Audit log read",
  "act_read.sensitive": "Sensitive read", act_leave: "Leave decision", act_ledger: "Reversal", act_dispute: "Dispute",
  act_special_group: "Special group", act_attendance: "Attendance correction",
  catalogueHint: "Edits change this term (and the terms after it); recorded values must stay inside the range.",
  standardValue: "Standard value", warningValue: "Warning value", weight: "Weight (0–1)", minValue: "Minimum",
  maxValue: "Maximum", rationale: "Rationale", edit: "Edit", saved: "Saved", range: "Range", field_conversion: "Conversion",
  field_rule: "Rule", field_levels: "Levels",
  rules: "Warning rules", rulesHint: "Thresholds, levels and minimum evidence: used from the next evaluation.", enabled: "Enabled",
  ackHours: "Acknowledge within (hours)", level_yellow: "Yellow", level_orange: "Orange", level_red: "Red",
  percentPast: "% past the warning value ≥", signalsMet: "signals met ≥", signal: "Signal",
  minEvidence: "Minimum evidence", minEvidenceHint: "Below it a value raises nothing (the student's own plan nudge still comes).",
  minSessions: "Attendance: at least this many sessions", minDays: "Attendance: spread over at least this many days",
  minValues: "Scores: at least this many values",
  rosterResult: "Import result", rosterClass: "Class", created: "New", updated: "Updated", unchanged: "Unchanged",
  staffCounts: "Staff", rosterErrors: "The roster has errors; nothing was imported:", rowAt: "{sheet} row {row}",
  slips: "Initial passwords", slipsHint: "Shown this once: download and print them within 30 minutes; after that they are gone.",
  slipsPdf: "Download slips (PDF)", slipsXlsx: "Download list (XLSX)",
  slipsGone: "The initial passwords have expired; reset the password of any student who needs one.",
  reset: "Reset a student's password", resetHint: "The new password is shown once; the student must change it at next login.",
  addPoint: "Add a college point", addPointHint: "Added to this term's catalogue and inherited by later terms; the code is made for you.",
  domain: "Domain", nameZh: "Name (Chinese)", nameEn: "Name (English)", valueType: "Value type", timing: "When scored",
  scorer: "Scored by", vt_count: "Count", vt_score: "Score", vt_rate: "Rate (%)", timing_session: "Each session",
  timing_weekly: "Weekly", timing_monthly: "Monthly", timing_semester_end: "End of term", timing_year_start: "Start of year",
  timing_year_end: "End of year",
  resetClass: "Choose a class", resetDo: "Reset password", resetConfirm: "Reset the password of {name}?",
  newInitial: "New initial password for {name}", slipPdf: "Print the slip (PDF)", onlyAdmin: "Only the school admin imports the roster.",
});

addText({
  unit: "单位（如 次、分）", direction: "方向", dir_higher_better: "越高越好", dir_lower_better: "越低越好",
  vt_document: "提交与否", timing_class_meeting: "每次班会", rebalance: "调整权重",
  weightsHint: "同一领域的权重合计须为 1：新增采分点时请同时调低其他采分点的权重。", weightsTotal: "合计 {total}（应为 1）",
}, {
  unit: "Unit (e.g. times, points)", direction: "Direction", dir_higher_better: "Higher is better",
  dir_lower_better: "Lower is better", vt_document: "Submitted or not", timing_class_meeting: "Each class meeting",
  rebalance: "Re-balance weights",
  weightsHint: "A domain's weights must add up to 1: lower other points' weights when you add one.",
  weightsTotal: "Total {total} (must be 1)",
});

const ACTIONS = ["catalogue", "warning_rule", "roster", "slips", "account", "audit", "read.sensitive", "leave", "ledger",
  "dispute", "special_group", "attendance"];
// Campus sign-in: refused CAS sign-ins and password-login choices (cas.js, auth/cas.py).
ACTIONS.push("auth");
addText({ act_auth: "登录方式", obj_cas_account: "统一身份认证账号" }, { act_auth: "Sign-in", obj_cas_account: "Campus account" });
addText({ obj_teacher_assessing: "教师评估诊断" }, { obj_teacher_assessing: "teacher's assessing diagnosis" });  // issue 20
addText({ obj_teacher_portrait: "教师画像" }, { obj_teacher_portrait: "teacher portrait" });  // issue 20: a department admin's read
const FIELD_LABELS = { standard_value: "standardValue", warning_value: "warningValue", weight: "weight",
  min_value: "minValue", max_value: "maxValue", rationale: "rationale", ack_hours: "ackHours", conversion: "field_conversion",
  rule: "field_rule", levels: "field_levels" };

function back() {
  return el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
}

// The server writes "中文 / English" until it answers in the user's language: show one half only.
export function inLanguage(text) {
  const [zh, en] = String(text).split(" / ");
  return getLang() === "en" && en ? en : zh;
}

// A problem's field errors next to their inputs (by field name); the rest in the general slot.
function showProblem(error, slots, general) {
  Object.values(slots).forEach((slot) => { slot.textContent = ""; slot.hidden = true; });
  const problem = error.problem || { title: String(error.message || error) };
  const rest = [];
  for (const [field, messages] of Object.entries(problem.errors || {})) {
    const text = [messages].flat().map((m) => (typeof m === "string" ? inLanguage(m) : JSON.stringify(m))).join(" ");
    const key = slots[field] ? field : field.split(".")[0];
    if (slots[key]) Object.assign(slots[key], { textContent: text, hidden: false });
    else rest.push(`${FIELD_LABELS[key] ? t(FIELD_LABELS[key]) : field}: ${text}`);
  }
  general.textContent = [inLanguage(problem.title), ...rest].join("\n");
}

function field(key, label, input) {
  const error = el("p", { class: "error", role: "alert", hidden: true, "data-testid": `error-${key}` });
  return { node: el("div", {}, el("label", { for: input.id }, label), input, error), error };
}

function numberInput(id, value, testid) {
  return el("input", { id, type: "number", inputmode: "decimal", step: "any", value: value ?? "", "data-testid": testid });
}

// ---------------------------------------------------------------- audit log

function when(iso) {
  return new Date(iso).toLocaleString(getLang(), { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
}

// An object type in words where it has a name, as stored where it has none.
const objectLabel = (type) => (t(`obj_${type}`) === `obj_${type}` ? type : t(`obj_${type}`));

function actionLabel(action) {
  const known = ACTIONS.find((a) => action === a || action.startsWith(`${a}.`));
  return known ? `${t(`act_${known}`)} · ${action}` : action;
}

export async function auditScreen() {
  const inputs = {
    actor: el("input", { id: "audit-actor", autocomplete: "off", "data-testid": "audit-actor" }),
    action: el("select", { id: "audit-action", "data-testid": "audit-action" },
      el("option", { value: "" }, t("auditAll")), ACTIONS.map((a) => el("option", { value: a }, t(`act_${a}`)))),
    date_from: el("input", { id: "audit-from", type: "date", "data-testid": "audit-from" }),
    date_to: el("input", { id: "audit-to", type: "date", "data-testid": "audit-to" }),
    student: el("input", { id: "audit-student", inputmode: "numeric", autocomplete: "off", "data-testid": "audit-student" }),
  };
  const labels = { actor: "auditWho", action: "auditWhat", date_from: "auditFrom", date_to: "auditTo", student: "auditStudent" };
  const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, field(k, t(labels[k]), input)]));
  const slots = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.error]));
  const message = el("p", { class: "error", role: "alert" });
  const list = el("ul", { class: "list", "data-testid": "audit-list" });
  const pager = el("div", { class: "actions" });
  let page = 1;
  const query = (extra = {}) => {
    const params = new URLSearchParams();
    for (const [k, input] of Object.entries(inputs)) if (input.value.trim()) params.set(k, input.value.trim());
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return params.toString();
  };
  const load = async () => {
    try {
      const data = await api(`/api/v1/audit?${query({ page, per_page: 20 })}`);
      showProblem({ problem: { title: "" } }, slots, message);
      const pages = Math.max(1, Math.ceil(data.total / data.per_page));
      list.replaceChildren(...(data.items.length ? data.items.map((e) => el("li", { class: "stack", "data-testid": "audit-row" },
        el("strong", {}, actionLabel(e.action)),
        el("span", { class: "muted" }, `${when(e.at)} · ${e.actor_name ?? "—"}${e.actor_username ? ` (${e.actor_username})` : ""}`),
        el("span", { class: "muted" }, `${objectLabel(e.object_type)}${e.object_id ? ` #${e.object_id}` : ""}`),
        e.detail ? el("details", {}, el("summary", {}, t("auditDetail")), el("p", { class: "muted" }, e.detail)) : null))
        : [el("li", {}, empty(t("auditEmpty")))]));
      pager.replaceChildren(
        el("button", { type: "button", class: "secondary", disabled: page <= 1, onclick: () => { page -= 1; load(); } }, t("prev")),
        el("span", { class: "muted", "data-testid": "audit-page" }, t("auditPage", { page, pages, total: data.total })),
        el("button", { type: "button", class: "secondary", disabled: page >= pages, onclick: () => { page += 1; load(); } }, t("next")));
    } catch (error) {
      showProblem(error, slots, message);
    }
  };
  const csv = async () => {
    try { await download(`/api/v1/audit?${query({ format: "csv" })}`, "audit.csv"); } catch (error) { showProblem(error, slots, message); }
  };
  const form = el("form", { onsubmit: (event) => { event.preventDefault(); page = 1; load(); } },
    Object.values(fields).map((f) => f.node),
    el("div", { class: "actions" }, el("button", { type: "submit", "data-testid": "audit-filter" }, t("auditFilter")),
      el("button", { type: "button", class: "secondary", onclick: csv, "data-testid": "audit-csv" }, t("auditCsv"))),
    message);
  await load();
  return [back(), card(t("audit"), el("details", { "data-testid": "audit-filters" },
    el("summary", {}, t("auditFilters")), form), list, pager)];
}

// ---------------------------------------------------------------- catalogue

function ruleEditor(rule, onSaved) {
  const level = rule.value_type === "level" && rule.levels;
  const valueInput = (id, value, testid) => (level
    ? el("select", { id, "data-testid": testid }, rule.levels.map((l, i) =>
      el("option", { value: i, selected: i === value }, getLang() === "en" ? l.en : l.zh)))
    : numberInput(id, value, testid));
  const id = (name) => `${rule.code}-${name}`;
  const inputs = {
    standard_value: valueInput(id("standard"), rule.standard_value, "edit-standard"),
    warning_value: valueInput(id("warning"), rule.warning_value, "edit-warning"),
    weight: numberInput(id("weight"), rule.weight, "edit-weight"),
  };
  if (rule.value_type === "score" || rule.value_type === "count") {
    if (rule.value_type === "score") inputs.min_value = numberInput(id("min"), rule.min_value, "edit-min");
    inputs.max_value = numberInput(id("max"), rule.max_value, "edit-max");
  }
  const labels = { standard_value: "standardValue", warning_value: "warningValue", weight: "weight", min_value: "minValue", max_value: "maxValue" };
  const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, field(k, t(labels[k]), input)]));
  const slots = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.error]));
  const message = el("p", { class: "error", role: "alert", "data-testid": "edit-message" });
  const save = async (event) => {
    event.preventDefault();
    const body = {};
    for (const [k, input] of Object.entries(inputs)) {
      if (input.value === "") continue;
      const value = Number(input.value);
      if (value !== rule[k]) body[k] = value;
    }
    if (!Object.keys(body).length) { showProblem({ problem: { title: "" } }, slots, message); return; }
    try {
      const saved = await api(`/api/v1/catalogue/${encodeURIComponent(rule.code)}`, { method: "PATCH", body });
      Object.assign(rule, saved);
      showProblem({ problem: { title: "" } }, slots, message);
      message.textContent = t("saved");
      onSaved(saved);
    } catch (error) {
      showProblem(error, slots, message);
    }
  };
  return el("form", { class: "stack", "data-testid": `editor-${rule.code}`, onsubmit: save },
    el("p", { class: "muted" }, `${t("range")} ${rule.min_value}–${rule.max_value}`),
    Object.values(fields).map((f) => f.node),
    el("button", { type: "submit", class: "wide", "data-testid": "edit-save" }, t("save")), message);
}

function ruleItem(rule) {
  const summary = el("span", { class: "tag" }, `${rule.standard_value} / ${rule.warning_value ?? "—"}`);
  return el("li", { class: "stack", "data-testid": `point-${rule.code}` },
    el("details", {}, el("summary", {}, `${rule.code} ${local(rule)} `, summary),
      ruleEditor(rule, (saved) => { summary.textContent = `${saved.standard_value} / ${saved.warning_value ?? "—"}`; })));
}

const TIMINGS = ["session", "class_meeting", "weekly", "monthly", "semester_end", "year_start", "year_end"];
const SCORERS = ["head_teacher", "course_teacher", "counsellor", "student_affairs", "teaching_office", "pe_teacher"];

// A college's own point: the server makes its code and adds it to the current term.
// The weights of a domain's points, each editable, with their sum: they must add up to 1. `extra`
// gives the weight of a point being added (counted in the sum, not sent as a weight).
function weightsEditor(rules, extra = () => 0) {
  const inputs = rules.map((r) => el("input", { type: "number", inputmode: "decimal", step: "any", min: 0, max: 1,
    value: r.weight, "data-code": r.code, "aria-label": `${r.code} ${local(r)}`, "data-testid": `weight-${r.code}` }));
  const total = el("p", { class: "muted", role: "status", "data-testid": "weights-total" });
  const sum = () => Math.round((inputs.reduce((a, i) => a + Number(i.value || 0), 0) + Number(extra() || 0)) * 1000) / 1000;
  const show = () => {
    const value = sum();
    total.textContent = t("weightsTotal", { total: value });
    total.className = Math.abs(value - 1) <= 0.001 ? "muted" : "error";
  };
  inputs.forEach((i) => i.addEventListener("input", show));
  show();
  const changed = () => Object.fromEntries(inputs.filter((i, n) => Number(i.value) !== rules[n].weight)
    .map((i) => [i.dataset.code, Number(i.value)]));
  const node = el("div", { class: "stack", "data-testid": "weights" }, el("p", { class: "muted" }, t("weightsHint")),
    rules.map((r, n) => el("label", { class: "row" }, el("span", {}, `${r.code} ${local(r)}`), inputs[n])), total);
  return { node, changed, show };
}

// A domain's weights re-balanced in one request.
function weightsForm(domain, rules) {
  const editor = weightsEditor(rules);
  const message = el("p", { class: "error", role: "alert", "data-testid": `weights-message-${domain}` });
  const submit = async (event) => {
    event.preventDefault();
    try {
      const saved = await api("/api/v1/catalogue/domains/weights", { method: "PUT", body: { domain, weights: editor.changed() } });
      saved.forEach((r) => { const rule = rules.find((x) => x.code === r.code); if (rule) rule.weight = r.weight; });
      message.textContent = t("saved");
    } catch (error) {
      showProblem(error, {}, message);
    }
  };
  return el("details", { "data-testid": `weights-${domain}` }, el("summary", {}, t("rebalance")),
    el("form", { class: "stack", onsubmit: submit }, editor.node,
      el("button", { type: "submit", class: "wide", "data-testid": `weights-save-${domain}` }, t("save")), message));
}

function addPointForm(onAdded, catalogue) {
  const select = (id, options, label) => el("select", { id, "data-testid": `add-${id}` },
    options.map((o) => el("option", { value: o }, label(o))));
  const inputs = {
    domain: select("domain", ["academic", "personal", "career"], (d) => t(d)),
    name_zh: el("input", { id: "name_zh", "data-testid": "add-name_zh" }),
    name_en: el("input", { id: "name_en", "data-testid": "add-name_en" }),
    value_type: select("value_type", ["count", "score", "rate", "document"], (v) => t(`vt_${v}`)),
    unit: el("input", { id: "unit", maxlength: 16, "data-testid": "add-unit" }),
    min_value: numberInput("min_value", "", "add-min"),
    max_value: numberInput("max_value", "", "add-max"),
    timing: select("timing", TIMINGS, (v) => t(`timing_${v}`)),
    scorer_roles: select("scorer_roles", SCORERS, (r) => t(`role_${r}`)),
    direction: select("direction", ["higher_better", "lower_better"], (d) => t(`dir_${d}`)),
    weight: numberInput("weight", 0, "add-weight"),
    standard_value: numberInput("standard_value", "", "add-standard"),
    warning_value: numberInput("warning_value", "", "add-warning"),
    rationale: el("input", { id: "rationale", "data-testid": "add-rationale" }),
  };
  const labels = { domain: "domain", name_zh: "nameZh", name_en: "nameEn", value_type: "valueType", unit: "unit",
    min_value: "minValue", max_value: "maxValue", timing: "timing", scorer_roles: "scorer", direction: "direction",
    weight: "weight", standard_value: "standardValue", warning_value: "warningValue", rationale: "rationale" };
  const fields = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, field(k, t(labels[k]), input)]));
  const slots = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.error]));
  const message = el("p", { class: "error", role: "alert", "data-testid": "add-message" });
  // The domain's other points, re-balanced in the same request so the domain still adds up to 1.
  const balance = el("div", { "data-testid": "add-weights" });
  slots.weights = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "error-weights" });
  let editor;
  const showDomain = () => {
    const rules = catalogue.rules.filter((r) => r.level === "individual" && r.domain === inputs.domain.value);
    editor = weightsEditor(rules, () => inputs.weight.value);
    balance.replaceChildren(editor.node);
  };
  inputs.domain.addEventListener("change", showDomain);
  inputs.weight.addEventListener("input", () => editor.show());
  showDomain();
  const numeric = new Set(["min_value", "max_value", "weight", "standard_value", "warning_value"]);
  const submit = async (event) => {
    event.preventDefault();
    const body = {};
    for (const [k, input] of Object.entries(inputs)) {
      if (input.value.trim() === "") continue;
      body[k] = numeric.has(k) ? Number(input.value) : input.value.trim();
    }
    body.scorer_roles = [inputs.scorer_roles.value];
    body.weights = editor.changed();
    try {
      const added = await api("/api/v1/catalogue", { method: "POST", body });
      showProblem({ problem: { title: "" } }, slots, message);
      message.textContent = `${t("saved")} · ${added.code}`;
      onAdded(added, body.weights);
      showDomain();
    } catch (error) {
      showProblem(error, slots, message);
    }
  };
  return el("details", { "data-testid": "add-point" }, el("summary", {}, t("addPoint")),
    el("form", { class: "stack", onsubmit: submit }, el("p", { class: "muted" }, t("addPointHint")),
      Object.values(fields).map((f) => f.node), balance, slots.weights,
      el("button", { type: "submit", class: "wide", "data-testid": "add-save" }, t("addPoint")), message));
}

export async function catalogueScreen() {
  const catalogue = await api("/api/v1/catalogue");
  const domainWeights = (domain) => weightsForm(domain, catalogue.rules.filter((r) => r.level === "individual" && r.domain === domain));
  // A point added with re-balanced weights: its domain's list and weights show both.
  const added = (rule, weights) => {
    catalogue.rules.forEach((r) => { if (r.code in weights) r.weight = weights[r.code]; });
    catalogue.rules.push(rule);
    lists[rule.domain].append(ruleItem(rule));
    const group = groups.find((g) => g.dataset.testid === `domain-${rule.domain}`);
    group.querySelector(`[data-testid=weights-${rule.domain}]`).replaceWith(domainWeights(rule.domain));
  };
  const groups = ["academic", "personal", "career"].map((domain) => {
    const rules = catalogue.rules.filter((r) => r.domain === domain);
    return el("details", { "data-testid": `domain-${domain}` },
      el("summary", {}, `${t(domain)} · ${rules.length} ${t("points")}`),
      el("ul", { class: "list" }, rules.map(ruleItem)), domainWeights(domain));
  });
  const lists = Object.fromEntries(groups.map((g) => [g.dataset.testid.slice(7), g.querySelector("ul")]));
  return [back(), card(t("catalogue"), el("p", { class: "muted" }, t("catalogueHint")), ...groups,
    addPointForm(added, catalogue))];
}

// ---------------------------------------------------------------- warning rules

function warningRuleEditor(rule) {
  const id = (name) => `${rule.code}-${name}`;
  const unit = rule.kind === "threshold" ? t("percentPast") : t("signalsMet");
  const levels = Object.fromEntries(["yellow", "orange", "red"].filter((l) => l in rule.levels)
    .map((l) => [l, numberInput(id(l), rule.levels[l], `level-${l}`)]));
  const signals = (rule.params.signals || []).map((s, i) => ("value" in s
    ? [i, s, numberInput(id(`signal-${i}`), s.value, `signal-${i}`)] : null)).filter(Boolean);
  const ack = el("input", { id: id("ack"), type: "number", inputmode: "numeric", value: rule.ack_hours, "data-testid": "ack-hours" });
  const enabled = el("input", { id: id("enabled"), type: "checkbox", checked: rule.enabled, "data-testid": "rule-enabled" });
  const levelsError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "error-levels" });
  const paramsError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "error-params" });
  const ackField = field("ack_hours", t("ackHours"), ack);
  const minimum = { ...{ sessions: 6, days: 7, values: 1 }, ...(rule.min_evidence || {}) };
  const evidenceFields = Object.fromEntries([["sessions", "minSessions"], ["days", "minDays"], ["values", "minValues"]]
    .map(([k, label]) => [k, field(`min_evidence.${k}`, t(label), el("input", { id: id(`min-${k}`), type: "number",
      inputmode: "numeric", value: minimum[k], "data-testid": `min-${k}` }))]));
  const evidenceError = el("p", { class: "error", role: "alert", hidden: true, "data-testid": "error-min_evidence" });
  const slots = { levels: levelsError, params: paramsError, ack_hours: ackField.error, min_evidence: evidenceError,
    ...Object.fromEntries(Object.entries(evidenceFields).map(([k, f]) => [`min_evidence.${k}`, f.error])) };
  const message = el("p", { class: "error", role: "alert", "data-testid": "rule-message" });
  const save = async (event) => {
    event.preventDefault();
    const body = { levels: Object.fromEntries(Object.entries(levels).map(([l, input]) => [l, Number(input.value)])),
      ack_hours: Number(ack.value), enabled: enabled.checked };
    const wanted = Object.fromEntries(Object.entries(evidenceFields).map(([k, f]) => [k, Number(f.node.querySelector("input").value)]));
    if (Object.entries(wanted).some(([k, v]) => v !== minimum[k])) body.min_evidence = wanted;
    if (signals.length) {
      const next = structuredClone(rule.params);
      for (const [i, , input] of signals) next.signals[i].value = Number(input.value);
      body.params = next;
    }
    try {
      Object.assign(rule, await api(`/api/v1/warning-rules/${encodeURIComponent(rule.code)}`, { method: "PATCH", body }));
      Object.assign(minimum, rule.min_evidence || {});
      showProblem({ problem: { title: "" } }, slots, message);
      message.textContent = t("saved");
    } catch (error) {
      showProblem(error, slots, message);
    }
  };
  return el("form", { class: "stack", "data-testid": `rule-${rule.code}`, onsubmit: save },
    el("p", { class: "muted" }, local(rule, "explanation")),
    el("label", { class: "check" }, enabled, t("enabled")),
    Object.entries(levels).map(([l, input]) => el("div", {}, el("label", { for: input.id }, `${t(`level_${l}`)} · ${unit}`), input)),
    levelsError,
    signals.map(([, s, input]) => el("div", {}, el("label", { for: input.id }, `${t("signal")} ${s.point} ${s.op}`), input)),
    paramsError, ackField.node,
    el("fieldset", { class: "stack", "data-testid": "min-evidence" }, el("legend", {}, t("minEvidence")),
      el("p", { class: "muted" }, t("minEvidenceHint")), Object.values(evidenceFields).map((f) => f.node), evidenceError),
    el("button", { type: "submit", class: "wide", "data-testid": "rule-save" }, t("save")), message);
}

export async function rulesScreen() {
  const rules = await api("/api/v1/warning-rules");
  return [back(), card(t("rules"), el("p", { class: "muted" }, t("rulesHint")),
    el("ul", { class: "list" }, rules.map((r) => el("li", { class: "stack" },
      el("details", {}, el("summary", { "data-testid": `summary-${r.code}` }, `${local(r)} `,
        el("span", { class: r.enabled ? "tag" : "tag notice" }, r.code)), warningRuleEditor(r))))))];
}

// ---------------------------------------------------------------- roster, slips, password reset

function slipsCard(slipsId) {
  if (!slipsId) return null;
  const message = el("p", { class: "error", role: "alert" });
  const get = (format) => async () => {
    try { await download(`/api/v1/roster/slips/${slipsId}?format=${format}`, `spiral-initial-passwords.${format}`); } catch (error) {
      message.textContent = error.problem?.status === 404 ? t("slipsGone") : inLanguage(error.problem?.title || error);
    }
  };
  return el("section", { class: "card notice", "data-testid": "slips" }, el("h2", {}, t("slips")),
    el("p", { class: "muted" }, t("slipsHint")),
    el("div", { class: "actions" },
      el("button", { type: "button", onclick: get("pdf"), "data-testid": "slips-pdf" }, t("slipsPdf")),
      el("button", { type: "button", class: "secondary", onclick: get("xlsx"), "data-testid": "slips-xlsx" }, t("slipsXlsx"))),
    message);
}

function countsRow(name, c) {
  return el("tr", {}, el("td", {}, name), el("td", {}, c.created), el("td", {}, c.updated), el("td", {}, c.unchanged));
}

function importResult(body) {
  return [el("section", { class: "card", "data-testid": "roster-result" }, el("h2", {}, t("rosterResult")),
    el("p", {}, t("imported", body.students)),
    el("table", { class: "report-table", "data-testid": "roster-classes" },
      el("tr", {}, [t("rosterClass"), t("created"), t("updated"), t("unchanged")].map((h) => el("th", {}, h))),
      (body.classes || []).map((c) => countsRow(c.class_name, c)), countsRow(t("staffCounts"), body.staff))),
  slipsCard(body.slips_id)];
}

// The roster's column names (as the templates write them) in English.
const COLUMNS_EN = { 系部: "department", 专业: "major", 班级: "class", 入学年份: "entry year", 学号: "student number",
  姓名: "name", 性别: "gender", 工号: "staff number", 所属系部: "home department", 角色: "role", 范围: "scope",
  企业微信账号: "WeCom userid", 钉钉账号: "DingTalk userid" };
COLUMNS_EN.密码登录 = "password login";  // campus sign-in (cas.js)

function importErrors(problem) {
  const en = getLang() === "en";
  return el("section", { class: "card", role: "alert", "data-testid": "roster-errors" },
    el("h2", {}, (problem.errors || []).length ? t("rosterErrors") : inLanguage(problem.title || "")),
    el("ul", { class: "list" }, (Array.isArray(problem.errors) ? problem.errors : []).map((e) => el("li", { class: "stack" },
      el("strong", {}, `${t("rowAt", { sheet: e.sheet, row: e.row })}${e.name ? ` · ${e.name}` : ""}`),
      el("span", { class: "error" }, en ? `${COLUMNS_EN[e.column] ?? e.column}: ${e.message_en}` : `${e.column}：${e.message}`)))));
}

async function runImport(file, progress) {
  const form = new FormData();
  form.append("file", file);
  let response = await authFetch("/api/v1/roster/import", { method: "POST", body: form });
  let body = await response.json();
  if (!response.ok) throw new ProblemError(body);
  if (response.status === 202) {
    // A large import runs as a background job: follow its status until it is done.
    while (["queued", "running"].includes(body.status)) {
      progress.textContent = body.progress ? `… ${body.progress.done} / ${body.progress.total}` : "…";
      await new Promise((resolve) => { setTimeout(resolve, 2000); });
      response = await authFetch(body.status_url);
      if (!response.ok) throw new ProblemError(await problemOf(response));
      body = await response.json();
    }
    if (body.status !== "finished") throw new ProblemError(body.problem || {});
    body = body.result;
  }
  return body;
}

function importCard() {
  const out = el("div", { "data-testid": "roster-outcome" });
  const progress = el("p", { class: "muted", role: "status" });
  const file = el("input", { type: "file", accept: ".xlsx,.csv", "aria-label": t("roster"), "data-testid": "roster-file" });
  const template = () => download("/api/v1/roster/template?format=xlsx", "spiral-roster-template.xlsx");
  const upload = async () => {
    if (!file.files.length) return;
    progress.textContent = "…";
    try {
      out.replaceChildren(...importResult(await runImport(file.files[0], progress)).filter(Boolean));
    } catch (error) {
      out.replaceChildren(importErrors(error.problem || { title: String(error) }));
    }
    progress.textContent = "";
  };
  return [card(t("roster"), el("p", { class: "muted" }, t("rosterHint")),
    el("button", { type: "button", class: "link", onclick: template }, t("template")), file,
    el("button", { type: "button", class: "wide", onclick: upload, "data-testid": "roster-upload" }, t("upload")), progress), out];
}

async function resetCard() {
  const classes = await api("/api/v1/classes");
  const students = el("ul", { class: "list", "data-testid": "reset-students" });
  const shown = el("div", { "data-testid": "reset-result" });
  const reset = (s) => async () => {
    if (!window.confirm(t("resetConfirm", { name: s.display_name }))) return;
    try {
      const { slips_id: slipsId } = await api(`/api/v1/students/${s.id}/password-reset`, { method: "POST" });
      const { slips } = await api(`/api/v1/roster/slips/${slipsId}?format=json`);
      shown.replaceChildren(el("section", { class: "card notice", "data-testid": "new-password" },
        el("h2", {}, t("newInitial", { name: s.display_name })),
        el("div", { class: "figure" }, el("strong", { "data-testid": "initial-password" }, slips[0].initial_password)),
        el("p", { class: "muted" }, t("resetHint")),
        el("button", { type: "button", class: "wide", onclick: () => download(`/api/v1/roster/slips/${slipsId}?format=pdf`,
          `spiral-${slips[0].username}.pdf`) }, t("slipPdf"))));
    } catch (error) {
      shown.replaceChildren(card(inLanguage(error.problem?.title || String(error))));
    }
  };
  const pick = async (event) => {
    shown.replaceChildren();
    if (!event.target.value) { students.replaceChildren(); return; }
    const found = await api(`/api/v1/classes/${event.target.value}/students`);
    students.replaceChildren(...found.map((s) => el("li", {}, el("span", {}, `${s.display_name} · ${s.username}`),
      el("button", { type: "button", class: "secondary", onclick: reset(s), "data-testid": `reset-${s.id}` }, t("resetDo")))));
  };
  return card(t("reset"), el("p", { class: "muted" }, t("resetHint")),
    el("select", { "aria-label": t("resetClass"), onchange: pick, "data-testid": "reset-class" },
      el("option", { value: "" }, t("resetClass")), classes.map((c) => el("option", { value: c.id }, c.name))),
    students, shown);
}

export async function rosterScreen(me) {
  const admin = me.roles.some((g) => g.role === "school_admin");
  return [back(), ...(admin ? importCard() : [card(t("roster"), empty(t("onlyAdmin")))]), await resetCard()];
}

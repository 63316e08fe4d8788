// A teacher's stage standards (issue 20): per academic year and stage, each indicator's target,
// standard and warning values. School admins edit (a 422 shows beside the field it names);
// teachers and department admins read. A row's save touches only that row: the list is drawn again
// only when the year or the stage changes, and then `data-ready` names what it shows.
import { api, showFieldErrors } from "./api.js";
import { card, el } from "./dom.js";
import { addText, getLang, t } from "./i18n.js";

addText({
  tstdTitle: "教师阶段标准", tstdHint: "按发展阶段设定每项指标的目标值、标准值和预警值；修改只影响所选学年（以后的学年沿用）。",
  tstdYear: "学年", tstdStage: "阶段", tstdFrom: "沿用 {year} 学年的标准", tstdSeed: "种子默认值（尚未设定）",
  tstdOwn: "本学年的标准", tstdSource: "依据", tstdTarget: "目标值", tstdStandard: "标准值", tstdWarning: "预警值",
  tstdSave: "保存", tstdSaved: "已保存", tstd_higher_better: "越高越好", tstd_lower_better: "越低越好",
  tstdReadHint: "按发展阶段列出每项指标的目标值、标准值和预警值。", tstdEmpty: "请填写{field}。",
}, {
  tstdTitle: "Teacher stage standards", tstdHint: "Per stage, each indicator's target, standard and warning values; an edit changes only the chosen academic year (later years inherit it).",
  tstdYear: "Academic year", tstdStage: "Stage", tstdFrom: "Inherited from {year}", tstdSeed: "Seed defaults (not yet set)",
  tstdOwn: "This year's standards", tstdSource: "Source", tstdTarget: "Target", tstdStandard: "Standard", tstdWarning: "Warning",
  tstdSave: "Save", tstdSaved: "Saved", tstd_higher_better: "higher is better", tstd_lower_better: "lower is better",
  tstdReadHint: "Per stage, each indicator's target, standard and warning values.", tstdEmpty: "Enter the {field} value.",
});

const VALUES = [["target", "tstdTarget"], ["standard", "tstdStandard"], ["warning", "tstdWarning"]];

// Server text is "中文 / English": show the reader's half.
export function half(text) {
  const [zh, en] = String(text ?? "").split(" / ");
  return getLang() === "en" && en ? en : zh;
}

function back() {
  return el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
}

function row(item, indicator, year, canEdit) {
  const unit = indicator.unit ? ` ${indicator.unit}` : "";
  const head = [el("strong", {}, half(item.title)),
    el("p", { class: "muted" }, `${item.indicator_code} · ${t(`tstd_${indicator.direction}`)}${unit ? ` ·${unit}` : ""}`),
    el("p", { class: "muted" }, `${t("tstdSource")}: ${item.source}`)];
  if (!canEdit) {
    return el("li", { class: "stack", "data-testid": `std-${item.indicator_code}` }, ...head,
      el("p", {}, VALUES.map(([k, label]) => `${t(label)} ${item[k]}${unit}`).join(" · ")));
  }
  const id = (k) => `std-${item.indicator_code}-${k}`;
  const errors = {};
  const inputs = VALUES.map(([k, label]) => {
    errors[k] = el("p", { class: "error", role: "alert", hidden: true, "data-testid": `error-${k}` });
    return el("div", {}, el("label", { for: id(k) }, t(label)),
      el("input", { id: id(k), name: k, type: "number", inputmode: "decimal", step: "any", value: item[k], required: true,
        "data-testid": k }),
      errors[k]);
  });
  const message = el("p", { class: "error", role: "alert", "data-testid": "row-message" });
  const save = async (event) => {
    event.preventDefault();
    const form = event.target;
    Object.values(errors).forEach((e) => { e.textContent = ""; e.hidden = true; });
    VALUES.forEach(([k]) => form[k].removeAttribute("aria-invalid"));
    message.textContent = "";
    message.className = "error";
    message.setAttribute("role", "alert");
    // An emptied field is refused here, named beside it (Number("") would send 0).
    const blank = VALUES.filter(([k]) => form[k].value.trim() === "");
    if (blank.length) {
      for (const [k, label] of blank) {
        Object.assign(errors[k], { textContent: t("tstdEmpty", { field: getLang() === "en" ? t(label).toLowerCase() : t(label) }), hidden: false });
      }
      form[blank[0][0]].focus();
      return;
    }
    const body = { stage: item.stage, indicator_code: item.indicator_code,
      ...Object.fromEntries(VALUES.map(([k]) => [k, Number(form[k].value)])) };
    try {
      Object.assign(item, await api(`/api/v1/teacher-standards?year=${year}`, { method: "PUT", body }));
      message.className = "muted";
      message.setAttribute("role", "status");
      message.textContent = t("tstdSaved");
    } catch (error) {
      message.textContent = showFieldErrors(error, Object.fromEntries(VALUES.map(([k]) => [k, [form[k], errors[k]]])));
    }
  };
  return el("li", { class: "stack", "data-testid": `std-${item.indicator_code}` }, ...head,
    el("form", { class: "stack", novalidate: true, onsubmit: save }, el("div", { class: "values3" }, inputs),
      el("button", { type: "submit", class: "secondary", "data-testid": "save" }, t("tstdSave")), message));
}

export async function standardsScreen() {
  const first = await api("/api/v1/teacher-standards");
  const now = first.year;
  const list = el("div", { "data-testid": "standards" });
  const note = el("p", { class: "muted", "data-testid": "version" });
  const yearSelect = el("select", { id: "tstd-year", "data-testid": "year" },
    [now - 1, now, now + 1].map((y) => el("option", { value: y, selected: y === now }, `${y}-${y + 1}`)));
  const stageSelect = el("select", { id: "tstd-stage", "data-testid": "stage" },
    first.stages.map((s) => el("option", { value: s }, t(`stage_${s}`))));
  let turn = 0;
  const draw = async (data) => {
    const mine = ++turn;
    data = data || await api(`/api/v1/teacher-standards?year=${yearSelect.value}`);
    if (mine !== turn) return;  // a later choice is already on its way
    const stage = stageSelect.value;
    const indicators = Object.fromEntries(data.indicators.map((i) => [i.code, i]));
    note.textContent = data.version_year == null ? t("tstdSeed")
      : data.version_year === data.year ? t("tstdOwn") : t("tstdFrom", { year: `${data.version_year}-${data.version_year + 1}` });
    list.replaceChildren(...data.dimensions.map((d) => {
      const items = data.standards.filter((s) => s.stage === stage && s.dimension === d);
      return items.length ? [el("h3", {}, t(`part_${d}`)),
        el("ul", { class: "list" }, items.map((s) => row(s, indicators[s.indicator_code], data.year, data.can_edit)))] : [];
    }).flat());
    list.dataset.ready = `${data.year}:${stage}`;
  };
  yearSelect.addEventListener("change", () => draw());
  stageSelect.addEventListener("change", () => draw());
  await draw(first);
  // The editing hint is for the editor; a reader (teacher, department admin) only reads.
  return [back(), card(t("tstdTitle"), el("p", { class: "muted" }, t(first.can_edit ? "tstdHint" : "tstdReadHint")),
    el("label", { for: "tstd-year" }, t("tstdYear")), yearSelect,
    el("label", { for: "tstd-stage" }, t("tstdStage")), stageSelect, note), el("section", { class: "card" }, list)];
}

// The teacher portrait (教师画像, issue 20): a radar over seed 002 table 13's five dimensions — the
// teacher's year against their stage standard, their own last year and the department median (only
// where five teachers share the stage) — and, per dimension, the indicators with their source.
// The teacher opens #/portrait; their department admin #/portrait/<teacher id> (an audited read).
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, labelled, t } from "./i18n.js";
import { chart } from "./reports.js";

addText({
  portrait: "教师画像", portraitScale: "达成度 0–100：预警值为 0，目标值为 100；没有数据的维度不画点。",
  medianComputed: "院系同阶段中位数计算于 {when}（至少 {n} 位教师）。", noStage: "未填写发展阶段",
  indicatorsOf: "指标", actualValue: "实际", standardValue: "标准", warningValue: "预警", targetValue: "目标",
  lastYearValue: "上学年", sourceLabel: "来源", attainmentLabel: "达成度", noData: "暂无数据", noStandard: "无阶段标准",
  portraitLink: "教师画像", portraitYear: "{y}–{z} 学年", makeCyclePlan: "创建三年发展规划（选择发展阶段）→",
  axis_ethics: "师德师风", axis_teaching: "教学能力", axis_research: "科研与服务", axis_management: "学生管理", axis_career: "职业发展",
}, {
  portrait: "Teacher portrait", portraitScale: "Attainment 0–100: the warning value is 0, the target 100; a dimension without data has no point.",
  medianComputed: "Department median for the stage computed {when} (at least {n} teachers).", noStage: "No stage given",
  indicatorsOf: "Indicators", actualValue: "Actual", standardValue: "Standard", warningValue: "Warning", targetValue: "Target",
  lastYearValue: "Last year", sourceLabel: "Source", attainmentLabel: "Attainment", noData: "No data", noStandard: "No stage standard",
  portraitLink: "Teacher portrait", portraitYear: "Academic year {y}–{z}", makeCyclePlan: "Create the three-year plan (choose the stage) →",
  axis_ethics: "Ethics", axis_teaching: "Teaching", axis_research: "Research", axis_management: "Students", axis_career: "Career",
});

const SERIES = [["this_year", "#0f766e", "rgba(15,118,110,.15)"], ["standard", "#2563eb", "transparent"],
  ["last_year", "#94a3b8", "transparent"], ["department_median", "#ea580c", "transparent"]];
// The server writes "中文 / English"; the English half may itself quote a Chinese term (评教).
const half = (text) => {
  const [zh, ...en] = String(text ?? "").split(" / ");
  return getLang() === "en" && en.length ? en.join(" / ") : zh;
};
const figure = (v, unit) => (v == null ? "—" : `${v}${unit === "%" ? "%" : unit ? ` ${unit}` : ""}`);

function radar(p) {
  const shown = SERIES.filter(([key]) => p.dimensions.some((d) => d[key] != null));
  if (!shown.length) return empty(t("noData"));
  const box = chart("radar", p.dimensions.map((d) => t(`axis_${d.code}`)), shown.map(([key, colour, fill]) => ({
    label: t(`series_${key}`), data: p.dimensions.map((d) => d[key]), borderColor: colour, backgroundColor: fill,
    pointRadius: 2, spanGaps: false,
  })), "portrait-radar", { scales: { r: { min: 0, max: 100, ticks: { stepSize: 25 }, pointLabels: { font: { size: 10 } } } },
    plugins: { legend: { display: true } } });
  box.classList.add("radar");
  return box;
}

function medianLine(m) {
  const text = m.shown
    ? t("medianComputed", { when: new Date(m.computed_at).toLocaleString(getLang() === "en" ? "en-GB" : "zh-CN"), n: m.min_teachers })
    : half(m.why_absent);
  return el("p", { class: "muted", "data-testid": "portrait-median" }, text);
}

function indicatorRow(i) {
  const standing = i.standing === "no_standard" ? t("noStandard") : t(`standing_${i.standing}`);
  return el("li", { class: "stack", "data-testid": `indicator-${i.code}` },
    el("strong", {}, half(i.label)),
    el("span", {}, `${labelled(t("actualValue"), figure(i.actual, i.unit))} · ${labelled(t("standardValue"), figure(i.standard, i.unit))}`
      + ` · ${labelled(t("warningValue"), figure(i.warning, i.unit))}`),
    el("span", { class: "muted" }, `${labelled(t("targetValue"), figure(i.target, i.unit))} · `
      + `${labelled(t("lastYearValue"), figure(i.last_year, i.unit))} · ${standing}`),
    el("small", { class: "muted" }, labelled(t("sourceLabel"), half(i.source))));
}

export async function portraitScreen(match, ctx) {
  const p = await api(match ? `/api/v1/teachers/${match}/portrait` : "/api/v1/me/portrait");
  const dims = p.dimensions.map((d) => el("section", { class: "card", "data-testid": `dimension-${d.code}` },
    el("h2", {}, `${t(`part_${d.code}`)} · ${d.this_year ?? "—"}`),
    el("p", { class: "muted" }, `${t("series_standard")} ${d.standard ?? "—"} · ${t("series_last_year")} ${d.last_year ?? "—"}`
      + (p.median.shown ? ` · ${t("series_department_median")} ${d.department_median ?? "—"}` : "")),
    el("ul", { class: "list" }, p.indicators.filter((i) => i.dimension === d.code).map(indicatorRow))));
  // The department admin came from the teacher list; the teacher from their home or report.
  const own = !match || Number(match) === ctx?.me?.id;
  const backTo = !own && p.department_id ? `#/dept-teachers/${p.department_id}` : "#/";
  // No stage means no three-year plan yet: the teacher is shown where to make one.
  const makePlan = own && !p.stage
    ? el("p", {}, el("a", { href: "#/my-plans", class: "link", "data-testid": "make-cycle-plan" }, t("makeCyclePlan"))) : null;
  return [el("a", { href: backTo, class: "link" }, `← ${t("back")}`),
    card(`${t("portrait")} · ${p.name}`,
      el("p", { class: "muted" }, `${t("portraitYear", { y: p.year, z: p.year + 1 })} · ${p.stage ? t(`stage_${p.stage}`) : t("noStage")}`),
      makePlan, radar(p), el("p", { class: "muted" }, t("portraitScale")), medianLine(p.median)),
    ...dims];
}

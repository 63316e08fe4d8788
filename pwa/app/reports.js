// Class, department and school reports (read from rollups) with Chart.js charts and downloads.
import { api, download } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, local, t } from "./i18n.js";
import { rollLink, rollLinks } from "./roll.js";

// Chart.js (71 KB gzipped) is fetched the first time a chart is drawn, not with the app.
let charts = null;
const chartJs = () => (charts ??= import("./vendor/chart.umd.min.js").then(() => globalThis.Chart));

addText({
  fewStudents: "仅 {n} 人，不作班级结果", pointsCovered: "{scored} / {of} 项有数据", subtotals: "各部分小计",
}, {
  fewStudents: "only {n} students: not a class figure", pointsCovered: "{scored} of {of} points have data",
  subtotals: "Subtotals",
});

const percent = (part, whole) => (part == null || !whole ? "—" : `${Math.round((100 * part) / whole)}%`);

// A radar axis label that fits a phone: words wrapped into lines of about `width` characters
// (a Chinese name by characters), at most `lines` lines, the rest cut with "…".
export function axisLabel(text, width = 12, lines = 2) {
  if (/[\u3400-\u9fff]/.test(text)) {  // Chinese: split by characters into even lines
    const chars = [...text];
    const rows = Math.min(lines, Math.ceil(chars.length / width));
    const size = Math.ceil(chars.length / rows);
    const out = Array.from({ length: rows }, (_, i) => chars.slice(i * size, (i + 1) * size).join(""));
    return chars.length > rows * size ? [...out.slice(0, -1), `${out.at(-1).slice(0, -1)}…`] : out;
  }
  const out = [];
  for (const word of String(text).split(/\s+/)) {
    const last = out.at(-1);
    if (last != null && `${last} ${word}`.length <= width) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  if (out.length > lines) out.splice(lines - 1, out.length, `${out[lines - 1].slice(0, width - 1)}…`);
  return out.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
}

export function chart(type, labels, datasets, testid, options = {}) {
  const canvas = el("canvas", { "data-testid": testid, role: "img", "aria-label": testid });
  const box = el("div", { class: "chart" }, canvas);
  // Drawn once the canvas is in the page, so Chart.js can measure it.
  chartJs().then((Chart) => requestAnimationFrame(() => new Chart(canvas, {
    type, data: { labels, datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1 } }, ...options },
  })));
  return box;
}

function downloads(unit, id) {
  const get = (path, name) => () => download(path, name);
  const base = `/api/v1/reports/${unit}/${id}`;
  return el("div", { class: "actions" },
    el("button", { type: "button", class: "link", "data-testid": "download-xlsx", onclick: get(`${base}/export?format=xlsx`, `${unit}-${id}.xlsx`) }, t("downloadXlsx")),
    el("button", { type: "button", class: "link", onclick: get(`${base}/export?format=csv`, `${unit}-${id}.csv`) }, "CSV"),
    el("button", { type: "button", class: "link", "data-testid": "download-diagnosis", onclick: get(`${base}/diagnosis?format=pdf`, `${unit}-${id}-diagnosis.pdf`) }, t("diagnosisPdf")),
    el("button", { type: "button", class: "link", onclick: get(`${base}/diagnosis?format=xlsx`, `${unit}-${id}-diagnosis.xlsx`) }, t("diagnosisXlsx")));
}

// A class figure always says its n; from fewer than min_group students it is not shown as one.
const few = (m, minGroup) => m.count < minGroup;
const figureOf = (m, field, minGroup) => (!m || few(m, minGroup) ? "—" : m[field]);

function metricList(metrics, minGroup) {
  return el("ul", { class: "list", "data-testid": "report-metrics" }, metrics.filter((m) => m.level !== "summary").map((m) =>
    el("li", {}, el("span", {}, local(m)),
      few(m, minGroup) ? el("span", { class: "tag notice" }, t("fewStudents", { n: m.count }))
        : el("span", { class: m.past_warning ? "tag warn" : "tag" },
          `${m.mean} · n=${m.count} · ${t("pastWarning")} ${percent(m.past_warning, m.count)}`))));
}

// The domain subtotals, each with how many of its points have data and the students behind it.
function subtotalList(report) {
  const rows = report.metrics.filter((m) => m.level === "summary" && m.metric !== "total");
  return el("ul", { class: "list", "data-testid": "report-subtotals" }, rows.map((m) =>
    el("li", { "data-testid": `report-subtotal-${m.metric}` }, el("span", {}, local(m), el("br"),
      el("small", { class: "muted" }, t("pointsCovered", { scored: m.points_scored, of: m.points_of }))),
    el("span", {}, few(m, report.min_group) ? el("span", { class: "tag notice" }, t("fewStudents", { n: m.count }))
      : el("span", { class: "tag" }, `${m.mean} · n=${m.count}`)))));
}

function trendChart(metrics, testid) {
  const weekly = metrics.filter((m) => m.trend.length > 1).slice(0, 4);
  if (!weekly.length) return empty(t("noTrend"));
  const weeks = [...new Set(weekly.flatMap((m) => m.trend.map((p) => p.week)))].sort((a, b) => a - b);
  return chart("line", weeks.map((w) => t("weekN", { n: w })),
    weekly.map((m) => ({ label: local(m), data: weeks.map((w) => m.trend.find((p) => p.week === w)?.mean ?? null) })), testid);
}

function summary(report) {
  const total = report.metrics.find((m) => m.metric === "total");
  const n = total ? el("small", { class: "muted" }, few(total, report.min_group)
    ? t("fewStudents", { n: total.count }) : `n=${total.count}`) : null;
  return el("div", { class: "figures" },
    el("div", { class: "figure" }, el("span", { class: "muted" }, t("students")), el("strong", { "data-testid": "report-students" }, report.students)),
    el("div", { class: "figure", "data-testid": "report-mean" }, el("span", { class: "muted" }, t("totalMean")),
      el("strong", {}, figureOf(total, "mean", report.min_group)), n),
    el("div", { class: "figure", "data-testid": "report-median" }, el("span", { class: "muted" }, t("totalMedian")),
      el("strong", {}, figureOf(total, "median", report.min_group)), n?.cloneNode(true)));
}

async function departmentReport(id) {
  const r = await api(`/api/v1/reports/department/${id}`);
  const totals = r.classes.map((c) => (c.metrics.total && !few(c.metrics.total, r.min_group) ? c.metrics.total.mean : null));
  return card(`${t("deptReport")} · ${r.unit_name}`, summary(r),
    el("h3", {}, t("classesTotal")),
    chart("bar", r.classes.map((c) => `${c.name} (n=${c.metrics.total?.count ?? 0})`), [{ label: t("totalMean"), data: totals }],
      "classes-chart", { indexAxis: "y" }),
    rollLinks(r.classes),
    el("h3", {}, t("slippedWeek", { week: r.week ?? "—" })),
    r.slipped.length ? el("ul", { class: "list", "data-testid": "slipped" }, r.slipped.map((s) =>
      el("li", {}, el("span", {}, `${s.class_name} · ${local(s)}`), el("span", { class: "tag warn" }, `${s.previous_mean} → ${s.mean}`))))
      : empty(t("noneSlipped")),
    el("h3", {}, t("trends")), trendChart(r.metrics, "trend-chart"),
    el("details", {}, el("summary", {}, t("allPoints")), metricList(r.metrics, r.min_group)),
    downloads("department", id));
}

async function classReport(id) {
  const r = await api(`/api/v1/reports/class/${id}`);
  const total = r.metrics.find((m) => m.metric === "total");
  return card(`${t("classReport")} · ${r.unit_name}`, summary(r), rollLink(id),
    el("p", { class: "muted" }, t("rankOf", { position: r.rank.position ?? "—", of: r.rank.of })),
    el("h3", {}, t("subtotals")), subtotalList(r),
    total ? chart("bar", total.buckets.map(([edge]) => `${edge}+`), [{ label: t("students"), data: total.buckets.map(([, n]) => n) }], "distribution-chart") : empty(t("reportsEmpty")),
    el("h3", {}, t("trends")), trendChart(r.metrics, "trend-chart"),
    el("h3", {}, t("underWarning")),
    r.under_warning.length ? el("ul", { class: "list", "data-testid": "under-warning" }, r.under_warning.map((u) =>
      // A point can have many names: they wrap under it, never widen the page.
      el("li", { class: "stack" }, el("span", {}, local(u), " ", el("span", { class: "tag warn" }, u.students.length)),
        el("span", { class: "names", "data-testid": "under-warning-names" }, u.students.map((s) => s.name).join("、")))))
      : empty(t("noneUnderWarning")),
    el("details", {}, el("summary", {}, t("allPoints")), metricList(r.metrics, r.min_group)),
    downloads("class", id));
}

async function schoolReport(id) {
  const r = await api(`/api/v1/reports/school/${id}`);
  return card(`${t("schoolReport")} · ${r.unit_name}`, summary(r),
    chart("bar", r.departments.map((d) => d.name), [{ label: t("totalMean"), data: r.departments.map((d) => d.metrics.total?.mean ?? null) }], "departments-chart", { indexAxis: "y" }),
    el("h3", {}, t("trends")), trendChart(r.metrics, "trend-chart"),
    downloads("school", id));
}

// The report cards of a role's own units, fetched together.
export async function reportCards(role, me) {
  const REPORTS = { department: departmentReport, school: schoolReport, class: classReport };
  const units = me.roles.filter((g) => g.role === role && REPORTS[g.scope_type]);
  const cards = await Promise.all(units.map((g) => REPORTS[g.scope_type](g.scope_id)));
  return cards.length ? cards : [card(t("reports"), empty(t("reportsEmpty")))];
}

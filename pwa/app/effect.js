// Does the help help? (issue 15, point 4.) The intervention kinds offered on a warning, the
// warning's indicators week by week with a marker per intervention (a Chart.js line chart, drawn
// with reports.js's `chart` like the other charts), and the 干预效果 report per department and
// counsellor (#/effect).
import { api, download, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, labelled, listed, local, t } from "./i18n.js";

// The kinds of help, as backend/alerts/interventions.py lists them ("note" is a case note, not help).
export const KINDS = ["talk", "family", "tutoring", "referral", "aid", "other"];

addText({
  event_talk: "谈心谈话", event_family: "联系家长", event_tutoring: "学业帮扶", event_referral: "心理咨询转介",
  event_aid: "资助/勤工助学", event_other: "其他干预",
  trendTitle: "干预前后的指标", trendEmpty: "这条预警的指标还没有按周的数据。", trendLine: "预警线",
  afterWeeks: "干预后{n}周", soFarWeeks: "干预后{n}周（至今）", verdict_improved: "改善", verdict_held: "持平",
  verdict_worsened: "恶化", verdict_too_early: "为时尚早", verdict_no_data: "无数据", trendNoHelp: "还没有记录干预。",
  effectTitle: "干预效果", effectLink: "干预效果", effectHint: "每类干预在干预后4周、8周，预警指标（最差一项越过预警线的幅度，占量程的百分比）变化超过{band}个百分点为改善或恶化，否则为持平；还不满周数的为“为时尚早”。",
  effectDepartments: "按系部", effectCounsellors: "按辅导员", effectEmpty: "本学期还没有记录干预。",
  effectCases: "{n}例", effectCase: "1例", effectWeeks: "{n}周", effectScope_school: "全校", effectScope_department: "本系部",
  effectScope_counsellor: "我负责的班级",
}, {
  event_talk: "Talk", event_family: "Family contact", event_tutoring: "Tutoring", event_referral: "Counselling referral",
  event_aid: "Financial aid / work-study", event_other: "Other help",
  trendTitle: "Indicators before and after the help", trendEmpty: "No weekly figures for this warning's indicators yet.",
  trendLine: "warning line", afterWeeks: "{n} weeks after the help", soFarWeeks: "{n} weeks after the help (so far)",
  verdict_improved: "improved", verdict_held: "held", verdict_worsened: "worsened", verdict_too_early: "too early",
  verdict_no_data: "no data", trendNoHelp: "No help recorded yet.",
  effectTitle: "Does the help help?", effectLink: "Help effect", effectHint: "For each kind of help, 4 and 8 weeks on: the warning's measure (how far its worst indicator is past the line, in % of the scale) moving by more than {band} points is improved or worsened, otherwise held; cases without those weeks yet are \"too early\".",
  effectDepartments: "By department", effectCounsellors: "By counsellor", effectEmpty: "No help recorded this term yet.",
  effectCases: "{n} cases", effectCase: "1 case", effectWeeks: "{n} wk", effectScope_school: "Whole school", effectScope_department: "My department",
  effectScope_counsellor: "My classes",
});

const COLOURS = ["#0f766e", "#b45309", "#1d4ed8", "#7c3aed", "#be123c"];
const MARKER = "#7c3aed";

// The options of the warning screen's kind select: a case note first (the default), then the kinds.
export function interventionOptions() {
  return [el("option", { value: "note" }, t("event_note")), ...KINDS.map((k) => el("option", { value: k }, t(`event_${k}`)))];
}

// A vertical dashed line at each intervention's week (Chart.js plugin, on for charts that pass weeks).
const markers = {
  id: "interventionMarkers",
  afterDatasetsDraw(chart, _args, options) {
    const weeks = options?.weeks || [];
    if (!weeks.length) return;
    const { ctx, chartArea: { top, bottom }, scales: { x } } = chart;
    ctx.save();
    ctx.strokeStyle = MARKER;
    ctx.fillStyle = MARKER;
    ctx.lineWidth = 2;
    ctx.setLineDash([3, 3]);
    for (const index of weeks) {
      const px = x.getPixelForValue(index);
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, bottom); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(px - 5, top); ctx.lineTo(px + 5, top); ctx.lineTo(px, top + 7); ctx.fill();
    }
    ctx.restore();
  },
};
let registered = null;
const chartReady = () => (registered ??= import("./vendor/chart.umd.min.js").then(() => globalThis.Chart.register(markers)));

const value = (v) => (v == null ? "—" : `${Math.round(v * 10) / 10}`);

// "干预后4周：宿舍得分 50→78.6，改善" for one intervention: the longest horizon already reached, else so far.
export function effectText(trend, m) {
  const reached = [...trend.horizons].reverse().find((h) => m.effect[String(h)] !== "too_early");
  const span = reached ?? Math.max(0, trend.current_week - m.week);
  const verdict = reached ? m.effect[String(reached)] : "too_early";
  const at = (s, week) => s.values[Math.min(week, s.values.length) - 1];
  const moves = trend.series.map((s) => `${local(s)} ${value(at(s, m.week))}→${value(at(s, m.week + span))}`).join(getLang() === "en" ? "; " : "，");
  return `${t(`event_${m.kind}`)} · ${labelled(t(reached ? "afterWeeks" : "soFarWeeks", { n: span }), moves)}${getLang() === "en" ? ", " : "，"}${t(`verdict_${verdict}`)}`;
}

// The warning's indicators over the weeks of the term, its line dashed, each intervention marked.
export async function trendCard(id) {
  let trend;
  try { trend = await api(`/api/v1/warnings/${id}/trend`); } catch (error) { return null; }
  if (!trend.series.length || trend.series.every((s) => s.values.every((v) => v == null))) {
    return card(t("trendTitle"), empty(t("trendEmpty")));
  }
  const { chart } = await import("./reports.js");
  await chartReady();
  const datasets = trend.series.flatMap((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    return [
      { label: local(s), data: s.values, borderColor: colour, backgroundColor: colour, spanGaps: true, pointRadius: 2, tension: 0 },
      { label: `${t("trendLine")} ${s.warning_value}`, data: trend.weeks.map(() => s.warning_value), borderColor: colour,
        borderDash: [6, 4], borderWidth: 1, pointRadius: 0 },
    ];
  });
  const texts = trend.interventions.map((m) => effectText(trend, m));
  const box = chart("line", trend.weeks.map((w) => t("weekN", { n: w })), datasets, "trend-chart", {
    plugins: { legend: { display: true, labels: { boxWidth: 12, font: { size: 11 } } },
      interventionMarkers: { weeks: trend.interventions.map((m) => m.week - 1) } },
    scales: { x: { ticks: { maxRotation: 0, autoSkip: true, font: { size: 10 } } }, y: { grace: "10%" } },
  });
  box.querySelector("canvas").setAttribute("aria-label", [t("trendTitle"), ...texts].join("。"));
  return card(t("trendTitle"), box,
    texts.length ? el("ul", { class: "list", "data-testid": "trend-summary" }, texts.map((text) => el("li", {}, text)))
      : el("p", { class: "muted", "data-testid": "trend-summary" }, t("trendNoHelp")));
}

function rowsList(group, horizons) {
  return el("ul", { class: "list" }, group.rows.map((row) => el("li", { class: "stack", "data-testid": `effect-row-${row.kind}` },
    el("strong", {}, `${t(`event_${row.kind}`)} · ${t(row.cases === 1 ? "effectCase" : "effectCases", { n: row.cases })}`),
    horizons.map((h) => {
      const c = row.by_horizon[String(h)];
      return el("span", { class: "muted" }, labelled(t("effectWeeks", { n: h }), ""),
        ["improved", "held", "worsened", "too_early", "no_data"].filter((v) => v !== "no_data" || c[v])
          .map((v) => `${t(`verdict_${v}`)} ${c[v]}`).join(" · "));
    }))));
}

function groups(title, list, horizons, testid) {
  if (!list.length) return null;
  return el("div", { "data-testid": testid }, el("h3", {}, title),
    list.map((g) => el("details", { open: list.length === 1 }, el("summary", {}, g.name ?? "—"), rowsList(g, horizons))));
}

// 干预效果: per department and counsellor, per kind, how many cases improved, held or worsened.
export async function effectScreen() {
  const back = el("a", { href: "#/", class: "link no-print" }, `← ${t("back")}`);
  const report = await api("/api/v1/reports/intervention-effect");
  const message = el("p", { class: "error", role: "alert" });
  const get = (format) => () => download(`/api/v1/reports/intervention-effect/export?format=${format}`,
    `intervention-effect.${format}`).catch((error) => { message.textContent = problemText(error); });
  const any = report.departments.length || report.counsellors.length;
  return [back, card(t("effectTitle"),
    el("p", { class: "muted" }, `${getLang() === "en" ? report.term_en : report.term} · ${t(`effectScope_${report.scope}`)}`),
    el("p", { class: "muted" }, t("effectHint", { band: report.band })),
    any ? [groups(t("effectDepartments"), report.departments, report.horizons, "effect-departments"),
      groups(t("effectCounsellors"), report.counsellors, report.horizons, "effect-counsellors")]
      : empty(t("effectEmpty")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "link", "data-testid": "effect-xlsx", onclick: get("xlsx") }, t("downloadXlsx")),
      el("button", { type: "button", class: "link", onclick: get("csv") }, "CSV")),
    message)];
}

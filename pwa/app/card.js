// The student's development value card, every figure with what it covers and what it is against:
// "3 / 12 项" under a subtotal, "比上学期末 62.1" under value added, the n behind the class median
// (none shown from fewer than the API's min_group classmates).
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, local, t } from "./i18n.js";
import { chart } from "./reports.js";

addText({
  cardCovered: "{scored} / {of} 项有数据", cardAgainstLast: "比上学期末 {total}", cardNoLast: "上学期没有数据",
  cardAgainstWeek: "比第{week}周末 {total}", cardNoStart: "本学期还没有数据", cardMedianN: "全班 {n} 人的中位数",
  cardMedianFew: "有数据的同学不足 {n} 人，不显示", cardSubtotalNone: "还没有数据",
  cardExplain: "小计只按已有数据的采分点计算；数据越多，越能代表这一部分。",
  cardTrends: "每周得分（仅计当周记录）",
  cardTrendsHint: "每个点只按该周记录的数值算出小计或总分，不是累计到该周的总分，所以可能高于或低于上面的本学期总分。",
  cardTrendOf: "{name} · 每周得分（仅计当周记录）",
  cardTrendsNone: "还没有按周的数据。",
}, {
  cardCovered: "{scored} of {of} points have data", cardAgainstLast: "vs. end of last term, {total}",
  cardNoLast: "no data last term", cardAgainstWeek: "vs. end of week {week}, {total}", cardNoStart: "no data this term yet",
  cardMedianN: "median of {n} in the class", cardMedianFew: "fewer than {n} classmates have data: not shown",
  cardSubtotalNone: "no data yet",
  cardExplain: "A subtotal counts only the points that have data; the more points, the more it says about that part.",
  cardTrends: "Score of each week (that week's records only)",
  cardTrendsHint: "Each dot counts only the values recorded that week, not the term so far, so it can be above or below the term total shown above.",
  cardTrendOf: "{name} · each week's score (that week's records only)",
  cardTrendsNone: "No weekly figures yet.",
});

// One small line chart per domain subtotal and the total, week by week (stored by the rollups).
function trendCharts(trends) {
  if (!trends?.weeks.length) return el("p", { class: "muted", "data-testid": "card-trends-empty" }, t("cardTrendsNone"));
  const labels = trends.weeks.map((w) => t("weekN", { n: w }));
  const colours = { academic: "#0f766e", personal: "#2563eb", career: "#ea580c", total: "#334155" };
  return el("details", { open: true, "data-testid": "card-trends" }, el("summary", {}, t("cardTrends")),
    el("p", { class: "muted" }, t("cardTrendsHint")),
    el("div", { class: "trends" }, [...DOMAINS, "total"].map((d) => el("div", {}, el("h3", {}, t("cardTrendOf", { name: t(d) })),
      trends[d].every((v) => v == null) ? el("p", { class: "muted", "data-testid": `trend-${d}-none` }, t("cardSubtotalNone")) : chart("line", labels, [{ label: t(d), data: trends[d], borderColor: colours[d], backgroundColor: colours[d],
        pointRadius: 3, spanGaps: true }], `trend-${d}`,
      { scales: { y: { suggestedMin: 0, suggestedMax: 100, ticks: { maxTicksLimit: 4 } },
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 6 } } } })))));
}

const DOMAINS = ["academic", "personal", "career"];
const signed = (n) => (n == null ? null : (n > 0 ? `+${n}` : `${n}`));

function figure(label, value, note, testid) {
  return el("div", { class: "figure", "data-testid": testid }, el("span", { class: "muted" }, label),
    el("strong", {}, value ?? "—"), el("small", { class: "muted", "data-testid": `${testid}-note` }, note));
}

export async function valueCard(me) {
  const data = await api(`/api/v1/students/${me.id}/card`);
  if (!data.points.length) return card(t("card"), empty(t("cardEmpty")));
  const added = data.value_added;
  const all = data.coverage.all;
  return card(t("card"),
    el("div", { class: "figures" },
      figure(t("total"), data.total, t("cardCovered", all), "card-total"),
      figure(t("valueAdded"), signed(added.previous_term), added.previous_term_total == null ? t("cardNoLast")
        : t("cardAgainstLast", { total: added.previous_term_total }), "card-added"),
      figure(t("sinceStart"), signed(added.term_start), added.term_start_week == null ? t("cardNoStart")
        : t("cardAgainstWeek", { week: added.term_start_week, total: added.term_start_total }), "card-added-term"),
      figure(t("classMedian"), data.class_median, data.class_median == null
        ? t("cardMedianFew", { n: data.min_group }) : t("cardMedianN", { n: data.class_median_n }), "card-median")),
    el("ul", { class: "list" }, DOMAINS.map((d) => {
      const covered = data.coverage[d];
      return el("li", { "data-testid": `subtotal-${d}` }, el("span", {}, t(d)),
        el("span", {}, el("strong", {}, data.subtotals[d].score ?? "—"), " ",
          el("span", { class: covered.scored ? "tag" : "tag notice", "data-testid": `subtotal-${d}-covered` },
            covered.scored ? t("cardCovered", covered) : t("cardSubtotalNone"))));
    })),
    el("p", { class: "muted" }, t("cardExplain")),
    trendCharts(data.trends),
    el("details", {}, el("summary", {}, `${t("entries")} (${data.points.length})`),
      el("ul", { class: "list", "data-testid": "card-points" }, data.points.map((p) =>
        el("li", {}, el("span", {}, local(p)),
          el("span", { class: p.below_warning ? "tag warn" : "tag" }, `${p.indicator} → ${p.points}`))))),
    el("details", {}, el("summary", {}, t("history")),
      el("ul", { class: "list", "data-testid": "card-history" }, data.history.months.map((m) =>
        el("li", {}, el("span", {}, m.month), el("strong", {}, m.total ?? "—"))))));
}

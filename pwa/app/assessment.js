// The self-assessment questionnaire (seed 001): every answer is saved as it is given, so the
// student can stop and come back; the result is a radar against last term, the class median
// and others' view, with suggestions and second-classroom modules.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, listed, t } from "./i18n.js";
import { axisLabel, chart } from "./reports.js";

const name = (item) => (getLang() === "en" ? item.en : item.zh);

addText({
  answeredN: "已答 {n}/{of}", suggestLater: "全部 20 项答完并提交后给出改进建议。", partialCompare: "问卷尚未答完：未答的要素不画（不是 0 分），与上学期、班级和他评只比较已答的 {n} 项。",
  compareOver: "已答 {n} 项的平均：本学期 {mine}，上学期 {previous}，班级中位数 {median}",
  unansweredN: "还有 {n} 题未作答：{items}", notAnswered: "此题未作答", radarSoFar: "查看已答部分的雷达图 →",
}, {
  answeredN: "{n} of {of} answered", suggestLater: "Suggestions come once all 20 are answered and submitted.",
  partialCompare: "Not finished: unanswered elements are left out (not zero); last term, the class and others are compared over the {n} answered only.",
  compareOver: "Mean over the {n} answered: this term {mine}, last term {previous}, class median {median}",
  unansweredN: "{n} questions not answered yet: {items}", notAnswered: "Not answered yet", radarSoFar: "See the radar of the answers so far →",
});

export async function assessmentCard(me) {
  const result = await api(`/api/v1/students/${me.id}/self-assessment/result`);
  const done = result.status === "submitted";
  return card(t("selfAssessment"),
    el("p", { class: "muted", "data-testid": "assessment-status" },
      done ? t("assessmentDone") : t("assessmentProgress", { n: result.answered })),
    el("div", { class: "actions" },
      done ? null : el("a", { href: `#/assessment/${me.id}`, class: "link", "data-testid": "fill-assessment" }, t("fillAssessment")),
      el("a", { href: `#/radar/${me.id}`, class: "link", "data-testid": "see-radar" }, t("seeRadar"))));
}

export async function questionnaire(studentId, me) {
  const [instrument, mine] = await Promise.all([api("/api/v1/self-assessment"),
    api(`/api/v1/students/${studentId}/self-assessment`)]);
  const answers = { ...mine.answers };
  const total = instrument.dimensions.reduce((n, d) => n + d.elements.length, 0);
  const progress = el("p", { class: "muted", "data-testid": "answered" });
  const message = el("p", { class: "error", role: "alert" });
  // Once one answer is saved the radar of the answers so far can be opened.
  const radarLink = studentId === me.id ? el("a", { href: `#/radar/${studentId}`, class: "link", "data-testid": "radar-so-far" },
    t("radarSoFar")) : null;
  const count = () => {
    progress.textContent = t("answeredOf", { n: Object.keys(answers).length, total });
    if (radarLink) radarLink.hidden = !Object.keys(answers).length;
  };
  const save = (code, level) => async () => {
    answers[code] = level;
    document.querySelector(`[data-unanswered="${code}"]`)?.setAttribute("hidden", "");
    count();
    try {
      await api(`/api/v1/students/${studentId}/self-assessment`, { method: "PUT", body: { answers: { [code]: level } } });
      message.textContent = "";
    } catch (error) { message.textContent = problemText(error); }
  };
  const locked = mine.status === "submitted";
  // Each question is its own radio group, named by its legend for screen readers.
  // Questions are numbered 1–20 as shown, so a refusal can name the ones left.
  const numbers = new Map(instrument.dimensions.flatMap((d) => d.elements).map((e, i) => [e.code, i + 1]));
  const titled = (e) => `${numbers.get(e.code)}. ${name(e)}`;
  const dimensions = instrument.dimensions.map((d) => el("section", { class: "card" }, el("h2", {}, name(d)),
    d.elements.map((e) => el("fieldset", { class: "element", id: `q-${e.code}`, "data-testid": `element-${e.code}` },
      el("legend", {}, titled(e)),
      el("p", { class: "error", hidden: true, "data-unanswered": e.code }, t("notAnswered")),
      [1, 2, 3, 4].map((level) => el("label", { class: "check" },
        el("input", { type: "radio", name: e.code, value: level, checked: answers[e.code] === level, disabled: locked,
          onchange: save(e.code, level) }),
        `${level} ${name(instrument.levels[level - 1])}：${(getLang() === "en" ? e.levels_en : e.levels_zh)[level - 1]}`))))));
  const elements = instrument.dimensions.flatMap((d) => d.elements);
  // The questions left, named by number and title, the first scrolled to and focused.
  const unanswered = (codes) => {
    const left = elements.filter((e) => codes.includes(e.code));
    for (const e of left) document.querySelector(`[data-unanswered="${e.code}"]`)?.removeAttribute("hidden");
    message.textContent = t("unansweredN", { n: left.length, items: listed(left.map(titled)) });
    const first = document.getElementById(`q-${left[0].code}`);
    first?.scrollIntoView({ block: "center" });
    first?.querySelector("input")?.focus({ preventScroll: true });
  };
  const submit = async () => {
    const missing = elements.filter((e) => answers[e.code] == null).map((e) => e.code);
    if (missing.length) { unanswered(missing); return; }
    try {
      await api(`/api/v1/students/${studentId}/self-assessment`, { method: "PUT", body: { answers, submit: true } });
      location.hash = studentId === me.id ? `#/radar/${studentId}` : "#/";
    } catch (error) {
      const codes = Object.keys(error.problem?.errors || {}).map((k) => k.replace(/^answers\./, "")).filter((k) => numbers.has(k));
      if (codes.length) unanswered(codes);
      else message.textContent = problemText(error);
    }
  };
  count();
  return [
    el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(studentId === me.id ? t("selfAssessment") : t("othersAssessment"), el("p", { class: "muted" }, t("assessmentHint")), progress,
      radarLink),
    ...dimensions,
    locked ? card(t("assessmentDone")) : el("button", { type: "button", class: "wide", "data-testid": "submit-assessment", onclick: submit }, t("submitAssessment")),
    message,
  ];
}

export async function radarScreen(studentId) {
  const r = await api(`/api/v1/students/${studentId}/self-assessment/result`);
  const back = el("a", { href: "#/", class: "link" }, `← ${t("back")}`);
  const c = r.comparison;
  if (!c.answered) return [back, card(t("radar"), empty(t("radarEmpty")))];
  const codes = r.elements.map((e) => e.code);
  // Drawn as it fills: the answers so far; an unanswered element has no point (null), not a zero, and
  // the other series are drawn over the answered elements only, so the shapes compare like for like.
  const answered = new Set(c.over);
  const of = (key) => (key === "this_term" ? r.so_far : r.series[key]);
  const series = [["this_term", "#0f766e"], ["previous_term", "#94a3b8"], ["class_median", "#2563eb"], ["others", "#ea580c"]]
    .filter(([key]) => of(key))
    .map(([key, colour]) => ({ label: t(`series_${key}`), data: codes.map((code) => (answered.has(code) ? of(key)[code] : null)),
      borderColor: colour, backgroundColor: key === "this_term" ? "rgba(15,118,110,.15)" : "transparent", pointRadius: 2,
      fill: key === "this_term" && !c.partial })); // a partial shape filled to the centre would read as zeros
  const dash = (v) => v ?? "—";
  // Twenty axes on a 360 px phone: each label wrapped and cut short (the tooltip names it in full),
  // small type and a little padding so the left and right labels are not clipped.
  const names = r.elements.map(name);
  const en = getLang() === "en";
  // In English the names are too long for twenty axes: the axes carry the questions' numbers and a key
  // below names them; Chinese names fit, wrapped.
  const radar = chart("radar", names.map((n, i) => (en ? String(i + 1) : axisLabel(n, 6))), series, "radar",
    { layout: { padding: { left: 4, right: 4 } },
      scales: { r: { min: 0, max: 4, ticks: { stepSize: 1, font: { size: 9 } },
        pointLabels: { font: { size: en ? 11 : 10 }, padding: 2 } } },
      plugins: { legend: { display: true, labels: { boxWidth: 12, font: { size: 11 } } },
        tooltip: { callbacks: { title: (items) => names[items[0].dataIndex] } } } });
  radar.classList.add("radar");
  return [back,
    card(t("radar"), el("p", { "data-testid": "radar-answered" }, el("strong", {}, t("answeredN", { n: c.answered, of: c.of }))),
      c.partial ? el("p", { class: "muted", "data-testid": "radar-partial" }, t("partialCompare", { n: c.answered })) : null,
      radar, en ? el("ol", { class: "muted radar-key", "data-testid": "radar-key" }, names.map((n) => el("li", {}, n))) : null,
      el("p", { class: "muted", "data-testid": "radar-compare" }, t("compareOver",
        { n: c.answered, mine: dash(c.this_term), previous: dash(c.previous_term), median: dash(c.class_median) })),
      el("p", { class: "muted" }, t("radarCounts", { n: r.class_count, m: r.others_count }))),
    r.suggestions.length ? null : card(t("suggestions"), el("p", { class: "muted", "data-testid": "suggestions-later" }, t("suggestLater"))),
    !r.suggestions.length ? null : card(t("suggestions"), el("ul", { class: "list", "data-testid": "suggestions" }, r.suggestions.map((s) =>
      el("li", { class: "stack" }, el("strong", {}, `${name(s)} · ${t("levelN", { n: s.level })}`),
        el("p", {}, getLang() === "en" ? s.advice_en : s.advice_zh),
        el("p", { class: "muted" }, `${t("modules")}：${s.modules.map(name).join("、")}`)))))];
}

// The self-assessment questionnaire (seed 001): every answer is saved as it is given, so the
// student can stop and come back; the result is a radar against last term, the class median
// and others' view, with suggestions and second-classroom modules.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { chart } from "./reports.js";

const name = (item) => (getLang() === "en" ? item.en : item.zh);

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
  const count = () => { progress.textContent = t("answeredOf", { n: Object.keys(answers).length, total }); };
  const save = (code, level) => async () => {
    answers[code] = level;
    count();
    try {
      await api(`/api/v1/students/${studentId}/self-assessment`, { method: "PUT", body: { answers: { [code]: level } } });
      message.textContent = "";
    } catch (error) { message.textContent = problemText(error); }
  };
  const locked = mine.status === "submitted";
  // Each question is its own radio group, named by its legend for screen readers.
  const dimensions = instrument.dimensions.map((d) => el("section", { class: "card" }, el("h2", {}, name(d)),
    d.elements.map((e) => el("fieldset", { class: "element", "data-testid": `element-${e.code}` },
      el("legend", {}, name(e)),
      [1, 2, 3, 4].map((level) => el("label", { class: "check" },
        el("input", { type: "radio", name: e.code, value: level, checked: answers[e.code] === level, disabled: locked,
          onchange: save(e.code, level) }),
        `${level} ${name(instrument.levels[level - 1])}：${(getLang() === "en" ? e.levels_en : e.levels_zh)[level - 1]}`))))));
  const submit = async () => {
    try {
      await api(`/api/v1/students/${studentId}/self-assessment`, { method: "PUT", body: { answers, submit: true } });
      location.hash = studentId === me.id ? `#/radar/${studentId}` : "#/";
    } catch (error) { message.textContent = problemText(error); }
  };
  count();
  return [
    el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(studentId === me.id ? t("selfAssessment") : t("othersAssessment"), el("p", { class: "muted" }, t("assessmentHint")), progress),
    ...dimensions,
    locked ? card(t("assessmentDone")) : el("button", { type: "button", class: "wide", "data-testid": "submit-assessment", onclick: submit }, t("submitAssessment")),
    message,
  ];
}

export async function radarScreen(studentId) {
  const r = await api(`/api/v1/students/${studentId}/self-assessment/result`);
  const back = el("a", { href: "#/", class: "link" }, `← ${t("back")}`);
  if (!r.series.this_term) return [back, card(t("radar"), empty(t("radarEmpty")))];
  const codes = r.elements.map((e) => e.code);
  const series = [["this_term", "#0f766e"], ["previous_term", "#94a3b8"], ["class_median", "#2563eb"], ["others", "#ea580c"]]
    .filter(([key]) => r.series[key])
    .map(([key, colour]) => ({ label: t(`series_${key}`), data: codes.map((c) => r.series[key][c]), borderColor: colour,
      backgroundColor: key === "this_term" ? "rgba(15,118,110,.15)" : "transparent", pointRadius: 2 }));
  const radar = chart("radar", r.elements.map(name), series, "radar",
    { scales: { r: { min: 0, max: 4, ticks: { stepSize: 1 }, pointLabels: { font: { size: 10 } } } },
      plugins: { legend: { display: true } } });
  radar.classList.add("radar");
  return [back,
    card(t("radar"), radar, el("p", { class: "muted" }, t("radarCounts", { n: r.class_count, m: r.others_count }))),
    card(t("suggestions"), el("ul", { class: "list", "data-testid": "suggestions" }, r.suggestions.map((s) =>
      el("li", { class: "stack" }, el("strong", {}, `${name(s)} · ${t("levelN", { n: s.level })}`),
        el("p", {}, getLang() === "en" ? s.advice_en : s.advice_zh),
        el("p", { class: "muted" }, `${t("modules")}：${s.modules.map(name).join("、")}`)))))];
}

// A teacher's growth portfolio, the department's teachers, a class's plan summary, and the
// printable development reports (student term report, teacher yearly report).
import { api, authFetch, download, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { getLang, t } from "./i18n.js";
import { chart } from "./reports.js";

const back = () => el("a", { href: "#/", class: "link no-print" }, `← ${t("back")}`);
const KINDS = ["honour", "paper", "project", "certificate", "training", "industry_practice"];

export async function portfolioScreen(rerender) {
  const items = await api("/api/v1/me/portfolio");
  const message = el("p", { class: "error", role: "alert" });
  const upload = (item) => async (event) => {
    const form = new FormData();
    form.append("file", event.target.files[0]);
    const response = await authFetch(`/api/v1/portfolio/${item.id}/attachments`, { method: "POST", body: form });
    if (response.ok) return rerender();
    message.textContent = problemText({ problem: await response.json() });
  };
  const add = async (event) => {
    event.preventDefault();
    const f = event.target;
    try {
      await api("/api/v1/me/portfolio", { method: "POST", body: { kind: f.kind.value, title: f.title.value,
        occurred_on: f.occurred_on.value, hours: f.hours.value ? Number(f.hours.value) : null, detail: f.detail.value } });
      await rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
  return [back(),
    card(t("portfolio"), items.length ? el("ul", { class: "list", "data-testid": "portfolio" }, items.map((item) =>
      el("li", { class: "stack" }, el("strong", {}, `${t(`evidence_${item.kind}`)} · ${item.title}`),
        el("span", { class: "muted" }, `${item.occurred_on}${item.hours ? ` · ${item.hours} h` : ""}`),
        item.attachments.map((a) => el("button", { type: "button", class: "link",
          onclick: () => download(`/api/v1/attachments/${a.id}`, a.filename) }, `📎 ${a.filename}`)),
        el("input", { type: "file", accept: ".pdf,.png,.jpg,.jpeg,.docx,.xlsx", "aria-label": t("attach"), onchange: upload(item) }))))
      : empty(t("portfolioEmpty"))),
    card(t("addEvidence"), el("form", { class: "stack", onsubmit: add },
      el("select", { name: "kind", "aria-label": t("kind") }, KINDS.map((k) => el("option", { value: k }, t(`evidence_${k}`)))),
      el("input", { name: "title", required: true, placeholder: t("goalTitle"), "aria-label": t("goalTitle") }),
      el("input", { name: "occurred_on", type: "date", required: true, "aria-label": t("date") }),
      el("input", { name: "hours", type: "number", step: "any", placeholder: t("hours"), "aria-label": t("hours") }),
      el("textarea", { name: "detail", rows: 2, placeholder: t("note"), "aria-label": t("note") }),
      el("button", { type: "submit", class: "wide" }, t("addEvidence"))), message)];
}

const status = (s) => (s ? t(`planStatus_${s}`) : "—");

// Each plan opens from the list, so one waiting for review (待审阅) is one tap away.
function planLink(r, kind) {
  const id = r[`${kind}_plan_id`], state = r[`${kind}_plan`];
  const text = `${t(`kind_teacher_${kind}`)} ${status(state)}`;
  if (!id) return el("span", { class: "muted" }, text);
  return el("a", { href: `#/plans/${id}`, class: state === "submitted" ? "link tag notice" : "link",
    "data-testid": `${kind}-plan-${r.teacher_id}` }, text);
}

export async function departmentTeachers(deptId) {
  const rows = await api(`/api/v1/departments/${deptId}/teachers`);
  return [back(), card(t("deptTeachers"), rows.length ? el("ul", { class: "list", "data-testid": "dept-teachers" }, rows.map((r) =>
    el("li", { class: "stack" },
      el("a", { href: `#/report/teacher/${r.teacher_id}` }, `${r.name}${r.title ? ` · ${r.title}` : ""}`),
      el("a", { href: `#/portrait/${r.teacher_id}`, class: "link", "data-testid": `portrait-${r.teacher_id}` }, t("portraitLink")),
      el("div", { class: "actions" }, planLink(r, "cycle"), planLink(r, "year")),
      el("span", { class: "muted" }, `${r.stage ? t(`stage_${r.stage}`) : "—"} · `
        + `${t("diagnosisTitle")} ${status(r.diagnosis)} · ${t("portfolio")} ${r.evidence}`))))
    : empty(t("noTeachers")))];
}

export async function classPlans(classId) {
  const rows = await api(`/api/v1/classes/${classId}/plans`);
  return [back(), card(t("classPlans"), el("ul", { class: "list", "data-testid": "class-plans" }, rows.map((r) =>
    el("li", { class: "stack" },
      r.plan_id ? el("a", { href: `#/plans/${r.plan_id}` }, r.name) : el("span", {}, r.name),
      el("span", { class: "muted" }, `${t("kind_student_term")} ${status(r.term_plan)} · ${t("goalsMet", { n: r.goals_at_target, of: r.goals })} · `
        + `${t("selfAssessment")} ${t(`assessment_${r.self_assessment}`)} · ${t("diagnosisTitle")} ${status(r.diagnosis)}`)))))];
}

function table(headers, rows) {
  return el("table", { class: "report-table" }, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c ?? "—"))))));
}

function goalTable(goals) {
  if (!goals.length) return empty(t("noGoals"));
  return table([t("goalTitle"), t("target"), t("standard"), t("actual"), t("standingHead"), t("cause"), t("measure")],
    goals.map((g) => [g.title, g.target, g.standard, g.actual, t(`standing_${g.standing}`), g.cause, g.measure]));
}

function reportButtons(path, title) {
  return el("div", { class: "actions no-print" },
    el("button", { type: "button", "data-testid": "print", onclick: () => window.print() }, t("print")),
    el("button", { type: "button", class: "secondary", onclick: () => download(`${path}?format=pdf`, `${title}.pdf`) }, "PDF"),
    el("button", { type: "button", class: "secondary", onclick: () => download(`${path}?format=xlsx`, `${title}.xlsx`) }, "XLSX"));
}

function diagnosisBlock(d) {
  if (!d) return empty(t("noDiagnosis"));
  return el("div", {}, el("p", {}, d.summary || "—"), d.comment ? el("p", { class: "advice" }, `${t("reviewComment")}：${d.comment}`) : null);
}

// The printable page: what the PDF holds, laid out for paper by the print stylesheet.
export async function studentReport(studentId) {
  const path = `/api/v1/students/${studentId}/development-report`;
  const r = await api(path);
  const radar = r.radar;
  const codes = radar.elements.map((e) => e.code);
  const label = (e) => (getLang() === "en" ? e.en : e.zh);
  const series = ["this_term", "previous_term", "class_median", "others"].filter((k) => radar.series[k])
    .map((k) => ({ label: t(`series_${k}`), data: codes.map((c) => radar.series[k][c]) }));
  return [back(), el("article", { class: "card report", "data-testid": "student-report" },
    el("h2", {}, r.title), reportButtons(path, r.title),
    el("h3", {}, t("card")),
    el("p", {}, `${t("total")} ${r.card.total ?? "—"} · ${t("classMedian")} ${r.card.class_median ?? "—"} · `
      + `${t("valueAdded")} ${r.card.value_added.previous_term ?? "—"}`),
    el("p", {}, ["academic", "personal", "career"].map((d) => `${t(d)} ${r.card.subtotals[d].score ?? "—"}`).join(" · ")),
    el("h3", {}, t("radar")),
    series.length ? chart("radar", radar.elements.map(label), series, "report-radar",
      { scales: { r: { min: 0, max: 4, ticks: { stepSize: 1 } } }, plugins: { legend: { display: true } } }) : empty(t("radarEmpty")),
    el("h3", {}, t("goalAchievement")), goalTable(r.goals),
    el("h3", {}, t("diagnosisTitle")), diagnosisBlock(r.diagnosis),
    el("h3", {}, t("suggestions")),
    r.suggestions.length ? el("ul", {}, r.suggestions.map((s) => el("li", {}, s))) : empty(t("keepGoing")))];
}

export async function teacherReport(teacherId) {
  const path = `/api/v1/teachers/${teacherId}/yearly-report`;
  const r = await api(path);
  return [back(), el("article", { class: "card report", "data-testid": "teacher-report" },
    el("h2", {}, r.title), reportButtons(path, r.title),
    el("p", {}, `${r.stage ? t(`stage_${r.stage}`) : "—"} · ${r.cycle || "—"}`),
    r.cycle_goals.length ? el("ul", {}, r.cycle_goals.map((g) => el("li", {}, `${t(`part_${g.part}`)}：${g.title}`))) : null,
    el("h3", {}, t("goalAchievement")), goalTable(r.goals),
    el("h3", {}, t("portraitLink")),  // issue 20: the portrait's dimensions, as in the PDF (the radar is one tap away)
    table([t("part"), ...["this_year", "standard", "last_year", "department_median"].map((k) => t(`series_${k}`))],
      r.portrait.dimensions.map((d) => [t(`part_${d.code}`), d.this_year, d.standard, d.last_year, d.department_median])),
    el("p", { class: "no-print" }, el("a", { href: `#/portrait/${teacherId}`, class: "link", "data-testid": "report-portrait" }, t("portraitLink"))),
    el("h3", {}, t("portfolio")),
    table([t("kind"), t("goalTitle"), t("date"), t("hours")], r.evidence.map((e) => [t(`evidence_${e.kind}`), e.title, e.occurred_on, e.hours])),
    el("h3", {}, t("diagnosisTitle")), diagnosisBlock(r.diagnosis))];
}

// A home screen per role; everything shown is real data from the API.
import { alertInbox, myWarnings } from "./alerts.js";
import { assessmentCard } from "./assessment.js";
import { api, authFetch, download } from "./api.js";
import { checkinCard, leaveApprovals, leaveCard, sessionsCard } from "./attendance.js";
import { card, el, empty } from "./dom.js";
import { getLang, local, t } from "./i18n.js";
import { plansCard } from "./plans.js";
import { reportCards } from "./reports.js";
import { disputesToResolve, entryGrid, myEntries } from "./scoring.js";


function classList(classes) {
  if (!classes.length) return empty(t("noClasses"));
  return el("ul", { class: "list", "data-testid": "class-list" },
    classes.map((c) => el("li", {}, el("span", {}, c.name), el("span", { class: "tag" }, c.major))));
}

function ruleList(rules) {
  return el("ul", { class: "list" }, rules.map((r) =>
    el("li", {}, el("span", {}, `${r.code} ${local(r)}`),
      el("span", { class: "tag" }, `${t("standard")} ${r.standard_value}`))));
}

async function classesCard(title) {
  return card(title, classList(await api("/api/v1/classes")));
}

// Where each student's plan and self-assessment stand, per class the user works with.
async function classPlansCard() {
  const classes = await api("/api/v1/classes");
  return card(t("classPlans"), classes.length ? el("ul", { class: "list", "data-testid": "class-plan-links" }, classes.map((c) =>
    el("li", {}, el("a", { href: `#/class-plans/${c.id}` }, c.name)))) : empty(t("noClasses")));
}

// A teacher's own development: the plans, the growth portfolio, the yearly report.
async function growthCards(me) {
  return [await plansCard(me, ["teacher_year", "teacher_cycle"]), card(t("growth"), el("div", { class: "actions" },
    el("a", { href: "#/portfolio", class: "link", "data-testid": "portfolio-link" }, t("portfolio")),
    el("a", { href: `#/report/teacher/${me.id}`, class: "link" }, t("yearlyReport"))))];
}

function departmentTeachersCard(me) {
  const depts = me.roles.filter((g) => g.role === "dept_admin" && g.scope_type === "department");
  return card(t("deptTeachers"), el("ul", { class: "list" }, depts.map((g) =>
    el("li", {}, el("a", { href: `#/dept-teachers/${g.scope_id}`, "data-testid": "dept-teachers-link" }, t("deptTeachers"))))));
}

async function myPointsCard(role) {
  const catalogue = await api("/api/v1/catalogue");
  const mine = catalogue.rules.filter((r) => r.scorer_roles.includes(role) && r.source === "entered");
  return card(`${t("myPoints")} (${mine.length})`, ruleList(mine));
}

async function catalogueCard() {
  const catalogue = await api("/api/v1/catalogue");
  const groups = ["academic", "personal", "career"].map((domain) => {
    const rules = catalogue.rules.filter((r) => r.domain === domain);
    return el("details", {}, el("summary", {}, `${t(domain)} · ${rules.length} ${t("points")}`), ruleList(rules));
  });
  return card(t("catalogue"), ...groups);
}

function rosterCard() {
  const result = el("p", { class: "muted", "data-testid": "roster-result" });
  const file = el("input", { type: "file", accept: ".xlsx,.csv", "aria-label": t("roster") });
  const template = () => download("/api/v1/roster/template?format=xlsx", "spiral-roster-template.xlsx");
  const upload = async () => {
    if (!file.files.length) return;
    const form = new FormData();
    form.append("file", file.files[0]);
    let response = await authFetch("/api/v1/roster/import", { method: "POST", body: form });
    let body = await response.json();
    let ok = response.ok;
    if (response.status === 202) {
      // A large import runs as a background job: follow its status until it is done.
      while (ok && ["queued", "running"].includes(body.status)) {
        result.textContent = body.progress ? `… ${body.progress.done} / ${body.progress.total}` : "…";
        await new Promise((resolve) => setTimeout(resolve, 2000));
        response = await authFetch(body.status_url);
        body = await response.json();
        ok = response.ok;
      }
      if (ok && body.status === "finished") body = body.result;
      else if (ok) [ok, body] = [false, body.problem || {}];
    }
    result.textContent = ok ? t("imported", body.students)
      : [body.title, ...(body.errors || []).map((e) => `${e.sheet} ${e.row}: ${e.column} ${getLang() === "en" ? e.message_en : e.message}`)].join("\n");
  };
  return card(t("roster"), el("p", { class: "muted" }, t("rosterHint")),
    el("button", { type: "button", class: "link", onclick: template }, t("template")), file,
    el("button", { type: "button", class: "wide", onclick: upload }, t("upload")), result);
}

function figure(label, value, testid) {
  return el("div", { class: "figure", "data-testid": testid }, el("span", { class: "muted" }, label),
    el("strong", {}, value ?? "—"));
}

async function valueCard(me) {
  const data = await api(`/api/v1/students/${me.id}/card`);
  if (!data.points.length) return card(t("card"), empty(t("cardEmpty")));
  const signed = (n) => (n == null ? null : (n > 0 ? `+${n}` : `${n}`));
  return card(t("card"),
    el("div", { class: "figures" },
      figure(t("total"), data.total, "card-total"),
      figure(t("valueAdded"), signed(data.value_added.previous_term), "card-added"),
      figure(t("sinceStart"), signed(data.value_added.term_start), "card-added-term"),
      figure(t("classMedian"), data.class_median, "card-median")),
    el("ul", { class: "list" }, ["academic", "personal", "career"].map((d) =>
      el("li", { "data-testid": `subtotal-${d}` }, el("span", {}, t(d)), el("strong", {}, data.subtotals[d].score ?? "—")))),
    el("details", {}, el("summary", {}, `${t("entries")} (${data.points.length})`),
      el("ul", { class: "list", "data-testid": "card-points" }, data.points.map((p) =>
        el("li", {}, el("span", {}, local(p)),
          el("span", { class: p.below_warning ? "tag warn" : "tag" }, `${p.indicator} → ${p.points}`))))),
    el("details", {}, el("summary", {}, t("history")),
      el("ul", { class: "list", "data-testid": "card-history" }, data.history.months.map((m) =>
        el("li", {}, el("span", {}, m.month), el("strong", {}, m.total ?? "—"))))));
}

// Each home gets the user and the current term (null between terms).
export const HOMES = {
  student: async (me) => {
    const classes = await api("/api/v1/classes");
    return [
      card(t("myClass"), el("p", { "data-testid": "my-class" }, classes[0] ? `${classes[0].name} · ${classes[0].department}` : t("noClasses"))),
      await checkinCard(),
      await valueCard(me),
      await myEntries(me),
      await leaveCard(),
      await myWarnings(),
      await plansCard(me, ["student_term", "student_cycle"]),
      await assessmentCard(me),
      card(t("termReport"), el("a", { href: `#/report/student/${me.id}`, class: "link", "data-testid": "report-link" }, t("openReport"))),
    ];
  },
  head_teacher: async (me, term) => [await alertInbox(t("classWarnings")), await classesCard(t("myClasses")),
    await entryGrid("head_teacher", term), await leaveApprovals(), await disputesToResolve(), await sessionsCard(),
    await classPlansCard(), ...await reportCards("head_teacher", me), ...await growthCards(me)],
  course_teacher: async (me, term) => [await sessionsCard(), await entryGrid("course_teacher", term),
    await disputesToResolve(), await classesCard(t("myClasses")), ...await growthCards(me)],
  counsellor: async (me, term) => [await alertInbox(t("alerts")), await leaveApprovals(),
    await entryGrid("counsellor", term), await classPlansCard(), ...await reportCards("counsellor", me),
    await classesCard(t("myClasses")), ...await growthCards(me)],
  student_affairs: async (me, term) => [await entryGrid("student_affairs", term), await disputesToResolve(),
    await myPointsCard("student_affairs")],
  teaching_office: async (me, term) => [await entryGrid("teaching_office", term), await disputesToResolve(),
    await myPointsCard("teaching_office")],
  pe_teacher: async (me, term) => [await entryGrid("pe_teacher", term), await myPointsCard("pe_teacher"),
    ...await growthCards(me)],
  dept_admin: async (me) => [await alertInbox(t("alerts")), departmentTeachersCard(me), ...await reportCards("dept_admin", me),
    await classPlansCard()],
  school_admin: async (me) => [...await reportCards("school_admin", me), rosterCard(), await catalogueCard()],
};

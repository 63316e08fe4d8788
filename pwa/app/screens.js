// Screens for what the homes only summarise: the whole warning inbox, the classes, the reports,
// a student's card, entries and leave, a scorer's points, the catalogue, and (until the
// agreed screens of #/entry, #/disputes, #/leave, #/catalogue and #/roster replace them) the
// cards those screens grow from. Each screen returns its nodes, a way back home first.
import { alertInbox, myWarnings } from "./alerts.js";
import { api, authFetch, download } from "./api.js";
import { leaveApprovals, leaveCard, sessionsCard } from "./attendance.js";
import { card, el, empty } from "./dom.js";
import { getLang, local, t } from "./i18n.js";
import { plansCard } from "./plans.js";
import { reportCards } from "./reports.js";
import { disputesToResolve, entryGrid, myEntries } from "./scoring.js";

const back = () => el("a", { href: "#/", class: "link no-print" }, `← ${t("back")}`);
const STAFF_PLANS = ["teacher_year", "teacher_cycle"];

export const warningsScreen = async (ctx) =>
  [back(), await alertInbox(ctx.role === "head_teacher" ? t("classWarnings") : t("alerts"))];
export const myWarningsScreen = async () => [back(), await myWarnings()];
export const reportsScreen = async (ctx) => [back(), ...await reportCards(ctx.role, ctx.me)];
export const sessionsScreen = async () => [back(), await sessionsCard()];
export const myEntriesScreen = async (ctx) => [back(), await myEntries(ctx.me)];
export const myLeaveScreen = async () => [back(), await leaveCard()];
export const myPlansScreen = async (ctx) =>
  [back(), await plansCard(ctx.me, ctx.role === "student" ? ["student_term", "student_cycle"] : STAFF_PLANS)];
export const entryScreen = async (ctx) => [back(), await entryGrid(ctx.role, await api("/api/v1/terms/current").catch(() => null))];
export const disputesScreen = async () => [back(), await disputesToResolve()];
export const leaveScreen = async () => [back(), await leaveApprovals()];

// Every class the user works with, with its roll and its students' plans.
export async function classesScreen() {
  const classes = await api("/api/v1/classes");
  return [back(), card(t("myClasses"), classes.length ? el("ul", { class: "list", "data-testid": "class-list" }, classes.map((c) =>
    el("li", {}, el("a", { href: `#/class-plans/${c.id}` }, c.name), el("a", { href: `#/roll/${c.id}`, class: "tag" }, c.major))))
    : empty(t("noClasses")))];
}

function ruleList(rules) {
  return el("ul", { class: "list" }, rules.map((r) =>
    el("li", {}, el("span", {}, `${r.code} ${local(r)}`),
      el("span", { class: "tag" }, `${t("standard")} ${r.standard_value}`))));
}

export async function myPointsScreen(ctx) {
  const catalogue = await api("/api/v1/catalogue");
  const mine = catalogue.rules.filter((r) => r.scorer_roles.includes(ctx.role) && r.source === "entered");
  return [back(), card(`${t("myPoints")} (${mine.length})`, ruleList(mine))];
}

export async function catalogueScreen() {
  const catalogue = await api("/api/v1/catalogue");
  const groups = ["academic", "personal", "career"].map((domain) => {
    const rules = catalogue.rules.filter((r) => r.domain === domain);
    return el("details", {}, el("summary", {}, `${t(domain)} · ${rules.length} ${t("points")}`), ruleList(rules));
  });
  return [back(), card(t("catalogue"), ...groups)];
}

// A student's whole card: figures, subtotals, every entry and the months.
export async function myCardScreen(ctx) {
  const data = await api(`/api/v1/students/${ctx.me.id}/card`);
  if (!data.points.length) return [back(), card(t("card"), empty(t("cardEmpty")))];
  const signed = (n) => (n == null ? null : (n > 0 ? `+${n}` : `${n}`));
  const figure = (label, value, testid) => el("div", { class: "figure", "data-testid": testid },
    el("span", { class: "muted" }, label), el("strong", {}, value ?? "—"));
  return [back(), card(t("card"),
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
        el("li", {}, el("span", {}, m.month), el("strong", {}, m.total ?? "—"))))))];
}

export function rosterScreen() {
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
  return [back(), card(t("roster"), el("p", { class: "muted" }, t("rosterHint")),
    el("button", { type: "button", class: "link", onclick: template }, t("template")), file,
    el("button", { type: "button", class: "wide", onclick: upload }, t("upload")), result)];
}

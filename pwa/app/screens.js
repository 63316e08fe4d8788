// Screens for what the homes only summarise: the whole warning inbox, the classes, the reports,
// a student's card, entries and leave, a scorer's points and the catalogue (read only; the school
// admin edits it in admin.js). Each screen returns its nodes, a way back home first.
import { alertInbox, myWarnings } from "./alerts.js";
import { api } from "./api.js";
import { leaveCard, sessionsCard } from "./attendance.js";
import { valueCard } from "./card.js";
import { card, el, empty } from "./dom.js";
import { local, t } from "./i18n.js";
import { plansCard } from "./plans.js";
import { reportCards } from "./reports.js";
import { myEntries } from "./scoring.js";

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
export const myCardScreen = async (ctx) => [back(), await valueCard(ctx.me)];

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

export async function catalogueListScreen() {
  const catalogue = await api("/api/v1/catalogue");
  const groups = ["academic", "personal", "career"].map((domain) => {
    const rules = catalogue.rules.filter((r) => r.domain === domain);
    return el("details", {}, el("summary", {}, `${t(domain)} · ${rules.length} ${t("points")}`), ruleList(rules));
  });
  return [back(), card(t("catalogue"), ...groups)];
}

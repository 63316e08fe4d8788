// A home per role: a short dashboard of what needs doing today, each card linking to the screen
// with the rest (screens.js and the agreed routes). Every card fetches what it needs at the same
// time as the others and shows a skeleton until its data is in; the home is ready (aria-busy
// false, performance mark `spiral:home`) when the last card is drawn.
import { api } from "./api.js";
import { checkinCard, sessionsCard } from "./attendance.js";
import * as cadres from "./cadres.js";
import { card, el, empty } from "./dom.js";
import { addText, local, t } from "./i18n.js";

addText({
  todo: "待办", newest: "最新预警", allWarnings: "全部预警 ({count}) →", leaveWaiting: "待审批请假", disputesWaiting: "待处理申诉",
  enterPoints: "录入采分", classSessions: "课堂签到", classesN: "我的班级", rollSheet: "综合测评表", reportsLink: "报表",
  more: "查看全部 →", myEntries: "我的采分记录", myDisputes: "我的申诉", leaveApply: "请假", assessmentN: "自测 {n}/20",
  cardTotal: "储值卡总分", details: "详情 →", rosterLink: "名单导入", rulesLink: "预警规则", auditLink: "审计日志", channelsLink: "企业微信 / 钉钉",
  openWarnings: "未解除预警", plansLink: "发展计划", loadFailed: "加载失败：{error}", moreTitle: "更多",
  incidentsWaiting: "待核对的批量记录", effectLink: "干预效果",
  ttWeek: "课表", ttToday: "今日课程", ttAdmin: "课表管理",
}, {
  todo: "To do", newest: "Newest warnings", allWarnings: "All warnings ({count}) →", leaveWaiting: "Leave to approve",
  disputesWaiting: "Disputes to resolve", enterPoints: "Enter points", classSessions: "Class check-in", classesN: "My classes",
  rollSheet: "Class roll", reportsLink: "Reports", more: "See all →", myEntries: "My entries", myDisputes: "My disputes",
  leaveApply: "Leave", assessmentN: "Self-assessment {n}/20", cardTotal: "Card total", details: "Details →",
  rosterLink: "Roster import", rulesLink: "Warning rules", auditLink: "Audit log", channelsLink: "WeCom / DingTalk", openWarnings: "Open warnings",
  plansLink: "Plans", loadFailed: "Could not load: {error}", moreTitle: "More", incidentsWaiting: "Records to check",
  effectLink: "Help effect",
  ttWeek: "Timetable", ttToday: "Today's classes", ttAdmin: "Timetable",
});
addText({ pwLoginsLink: "账号密码登录" }, { pwLoginsLink: "Password login" });  // campus sign-in (cas.js)
addText({ myAttendanceLink: "我的考勤", markDisputesWaiting: "待处理考勤申诉" },
  { myAttendanceLink: "My attendance", markDisputesWaiting: "Attendance disputes" });  // issue 20

const NEWEST = 3;
const SEVERITY = { red: 0, orange: 1, yellow: 2 };

// One number (or a word) that opens a screen.
function tile(href, label, value, { testid, alert = false } = {}) {
  return el("a", { href, class: alert && value ? "tile alert" : "tile", "data-testid": testid },
    value == null ? null : el("strong", {}, value), el("span", {}, label));
}

const tiles = (title, ...items) => card(title, el("div", { class: "tiles" }, items));

// How many open warnings there are, and the few to look at first: the worst, newest first.
function warningsCard(title, warnings, href, item) {
  const newest = [...warnings].sort((a, b) => (SEVERITY[a.level] ?? 3) - (SEVERITY[b.level] ?? 3)
    || String(b.raised_at ?? "").localeCompare(String(a.raised_at ?? ""))).slice(0, NEWEST);
  return card(`${title} (${warnings.length})`, warnings.length
    ? [el("ul", { class: "list", "data-testid": "alert-list" }, newest.map(item)),
      el("a", { href, class: "more", "data-testid": "all-warnings" }, t("allWarnings", { count: warnings.length }))]
    : empty(t("alertsEmpty")));
}

async function staffWarnings(get, title) {
  const warnings = await get("/api/v1/warnings?status=open");
  return warningsCard(title, warnings, "#/warnings", (w) => el("li", { "data-testid": "alert-item" },
    el("a", { href: `#/warnings/${w.id}` }, `${w.student_name} · ${local(w.rule, "name")}`),
    el("span", { class: `tag ${{ red: "danger", orange: "orange", yellow: "notice" }[w.level] || ""}`, "data-testid": "level" },
      t(`level_${w.level}`))));
}

// The first few classes: for those who follow them, a link to each class's plans (and roll).
async function classesCard(get, { roll = false, plans = true } = {}) {
  const classes = await get("/api/v1/classes");
  if (!classes.length) return card(t("classesN"), empty(t("noClasses")));
  return card(`${t("classesN")} (${classes.length})`, el("ul", { class: "list", "data-testid": "class-list" },
    classes.slice(0, NEWEST).map((c) => el("li", {}, plans ? el("a", { href: `#/class-plans/${c.id}` }, c.name) : el("span", {}, c.name),
      roll ? el("a", { href: `#/roll/${c.id}`, class: "tag" }, t("rollSheet")) : el("span", { class: "tag" }, c.major)))),
  classes.length > NEWEST ? el("a", { href: "#/classes", class: "more" }, t("more")) : null);
}

// What a scorer does today: points to enter, leave and disputes waiting for them.
// `incidents`: mass events (a session closed with nobody checked in, a batch past the line) to check.
async function todoCard(get, { leave = false, disputes = false, sessions = false, incidents = false }) {
  const marksOpen = disputes ? get("/api/v1/mark-disputes") : null;  // attendance marks disputed (issue 20)
  const [pending, open, checks] = await Promise.all([leave ? get("/api/v1/leave-requests") : null,
    disputes ? get("/api/v1/disputes") : null, incidents ? get("/api/v1/incidents?status=open") : null]);
  const marks = await marksOpen;
  return tiles(t("todo"),
    tile("#/entry", t("enterPoints"), null, { testid: "entry-link" }),
    checks && tile("#/incidents", t("incidentsWaiting"), checks.length, { testid: "incidents-count", alert: true }),
    pending && tile("#/leave", t("leaveWaiting"), pending.length, { testid: "leave-count", alert: true }),
    open && tile("#/disputes", t("disputesWaiting"), open.length, { testid: "disputes-count", alert: true }),
    marks?.length ? tile("#/disputes", t("markDisputesWaiting"), marks.length, { testid: "mark-disputes-count", alert: true }) : null,
    sessions && tile("#/sessions", t("classSessions"), null, { testid: "sessions-link" }));
}

// A teacher's own development and the reports of their units.
function moreCard(me, { reports = false, growth = true, effect = false, extra = [] } = {}) {
  return tiles(t("moreTitle"),
    reports && tile("#/reports", t("reportsLink"), null, { testid: "reports-link" }),
    effect && tile("#/effect", t("effectLink"), null, { testid: "effect-link" }),
    growth && [tile("#/my-plans", t("plansLink"), null, { testid: "plans-link" }),
      tile("#/portfolio", t("portfolio"), null, { testid: "portfolio-link" }),
      tile("#/portrait", t("portraitLink"), null, { testid: "portrait-link" }),
      tile(`#/report/teacher/${me.id}`, t("yearlyReport"))],
    tile("#/teacher-standards", t("tstdLink"), null, { testid: "teacher-standards-link" }),
    extra);
}

const signed = (n) => (n == null ? null : (n > 0 ? `+${n}` : `${n}`));

// The student's figures come from one summary answer (api/platform/home.py), not the whole card.
const summary = (get) => get("/api/v1/me/home");

async function studentCard(get) {
  const data = await summary(get);
  return card(t("card"), data.total != null ? el("div", { class: "figures" },
    el("div", { class: "figure", "data-testid": "card-total" }, el("span", { class: "muted" }, t("total")), el("strong", {}, data.total)),
    el("div", { class: "figure" }, el("span", { class: "muted" }, t("valueAdded")), el("strong", {}, signed(data.value_added) ?? "—")))
    : empty(t("cardEmpty")),
  el("a", { href: "#/my-card", class: "more", "data-testid": "card-link" }, t("details")));
}

async function studentWarnings(get) {
  const warnings = await get("/api/v1/me/warnings");
  return warningsCard(t("warnings"), warnings, "#/my-warnings", (w) => el("li", {},
    el("a", { href: `#/my-warnings/${w.id}`, "data-testid": `my-warning-link-${w.id}` }, local(w.rule, "name")),
    el("span", { class: "tag warn" }, t(`level_${w.level}`))));
}

async function studentTodo(get, me) {
  const { assessment_status: status, assessment_answered: answered } = await summary(get);
  // A part-answered questionnaire already has a radar of the answered items: both are reachable.
  return tiles(t("todo"),
    status === "submitted"
      ? tile(`#/radar/${me.id}`, t("seeRadar"), "✓", { testid: "see-radar" })
      : [tile(`#/assessment/${me.id}`, t("fillAssessment"), `${answered}/20`, { testid: "fill-assessment" }),
        answered > 0 ? tile(`#/radar/${me.id}`, t("seeRadar"), null, { testid: "see-radar" }) : null],
    tile("#/my-entries", t("myEntries"), null, { testid: "entries-link" }),
    tile("#/my-disputes", t("myDisputes")),
    tile("#/my-attendance", t("myAttendanceLink"), null, { testid: "my-attendance-link" }),
    tile("#/course-evaluation", t("evalLink"), null, { testid: "course-evaluation-link" }),
    tile("#/my-leave", t("leaveApply"), null, { testid: "leave-link" }),
    tile("#/timetable", t("ttWeek"), null, { testid: "timetable-link" }),
    tile("#/my-plans", t("plansLink"), null, { testid: "plans-link" }),
    tile(`#/report/student/${me.id}`, t("termReport"), null, { testid: "report-link" }));
}

async function myClass(get) {
  const data = await summary(get);
  return el("p", { class: "muted", "data-testid": "my-class" }, data.class_name ? `${data.class_name} · ${data.department}` : t("noClasses"));
}

const deptTeachers = (me) => me.roles.filter((g) => g.role === "dept_admin" && g.scope_type === "department")
  .map((g) => tile(`#/dept-teachers/${g.scope_id}`, t("deptTeachers"), null, { testid: "dept-teachers-link" }));

// issue 20: the department's assessing diagnoses of its teachers (names), the teacher summary (counts)
addText({ deptAssessingLink: "教师评估诊断", teacherSummaryLink: "教师发展汇总" },
  { deptAssessingLink: "Assess teachers' years", teacherSummaryLink: "Teacher summary" });
const deptAssessing = (me) => me.roles.filter((g) => g.role === "dept_admin" && g.scope_type === "department")
  .map((g) => tile(`#/dept-assessing/${g.scope_id}`, t("deptAssessingLink"), null, { testid: "dept-assessing-link" }));
const teacherSummary = () => tiles(t("teacherSummaryLink"), tile("#/teacher-summary", t("teacherSummaryLink"), null, { testid: "teacher-summary-link" }));

addText({ orgLink: "组织机构" }, { orgLink: "Organisation" });
addText({ tstdLink: "教师阶段标准", evalLink: "课程评价" }, { tstdLink: "Teacher stage standards", evalLink: "Rate my courses" });
const orgTile = () => tile("#/org", t("orgLink"), null, { testid: "org-link" });

const adminTiles = (me) => tiles(t("todo"),
  tile("#/reports", t("reportsLink"), null, { testid: "reports-link" }),
  tile("#/roster", t("rosterLink"), null, { testid: "roster-link" }),
  tile("#/catalogue", t("catalogue"), null, { testid: "catalogue-link" }),
  tile("#/rules", t("rulesLink")), tile("#/audit", t("auditLink")),
  tile("#/effect", t("effectLink"), null, { testid: "effect-link" }),
  tile("#/channels", t("channelsLink"), null, { testid: "channels-link" }),
  tile("#/password-logins", t("pwLoginsLink"), null, { testid: "password-logins-link" }), orgTile(),
  tile("#/timetable-admin", t("ttAdmin"), null, { testid: "timetable-admin-link" }),
  tile("#/teacher-standards", t("tstdLink"), null, { testid: "teacher-standards-link" }));

const scorerTiles = (get, role, extra = []) => [todoCard(get, { disputes: role !== "pe_teacher" }),
  tiles(t("catalogue"), tile("#/my-points", t("myPoints"), null, { testid: "my-points-link" }),
    tile("#/catalogue", t("catalogue"), null, { testid: "catalogue-link" }), extra)];

// Each home: the cards, in order; each is a node or a promise of one. `get` fetches a path once per home.
const HOMES = {
  student: (get, me) => [myClass(get), summary(get).then((data) => checkinCard(data.open_sessions)), studentCard(get),
    studentWarnings(get), studentTodo(get, me), cadres.studentTile(get)],
  head_teacher: (get, me) => [staffWarnings(get, t("classWarnings")), todoCard(get, { leave: true, disputes: true, sessions: true, incidents: true }),
    classesCard(get, { roll: true }), moreCard(me, { reports: true }), cadres.headTile(get)],
  course_teacher: (get, me) => [tiles(t("ttToday"), tile("#/today", t("ttToday"), null, { testid: "today-link" }),
    tile("#/timetable", t("ttWeek"), null, { testid: "timetable-link" })), sessionsCard(), todoCard(get, { disputes: true, incidents: true }),
    classesCard(get, { plans: false, roll: true }), moreCard(me), cadres.gradesTile()],
  counsellor: (get, me) => [staffWarnings(get, t("alerts")), todoCard(get, { leave: true, incidents: true }), classesCard(get, { roll: true }),
    moreCard(me, { reports: true, effect: true })],
  student_affairs: (get) => scorerTiles(get, "student_affairs"),
  teaching_office: (get) => [...scorerTiles(get, "teaching_office"), cadres.gradesTile()],
  pe_teacher: (get, me) => [...scorerTiles(get, "pe_teacher"), moreCard(me)],
  dept_admin: (get, me) => [staffWarnings(get, t("alerts")), classesCard(get, { roll: true }),
    moreCard(me, { reports: true, growth: false, effect: true, extra: [...deptTeachers(me), ...deptAssessing(me),
      tile("#/teacher-summary", t("teacherSummaryLink"), null, { testid: "teacher-summary-link" }), orgTile()] })],
  school_admin: (get, me) => [adminTiles(me), cadres.gradesTile(), teacherSummary()],
};

// Issue 20: the department admin's teacher warnings, a link only (reading the list is audited).
addText({ teacherWarnings: "教师预警" }, { teacherWarnings: "Teacher warnings" });
const deptAdminHome = HOMES.dept_admin;
HOMES.dept_admin = (get, me) => [...deptAdminHome(get, me),
  tiles(t("teacherWarnings"), tile("#/teacher-warnings", t("teacherWarnings"), null, { testid: "teacher-warnings-link" }))];

// The home's cards as placeholders now, each replaced by its card when its data is in.
export function home(role, me) {
  const seen = new Map();
  const get = (path) => { if (!seen.has(path)) seen.set(path, api(path)); return seen.get(path); };
  const parts = (HOMES[role] || (() => []))(get, me);
  const nodes = parts.map(() => el("div", { class: "skeleton", "aria-hidden": "true" }));
  const ready = Promise.all(parts.map(async (part, i) => {
    let node;
    try { node = await part; } catch (error) { node = card(t("loadFailed", { error: error.message || error })); }
    nodes[i].replaceWith(node);
    nodes[i] = node;
  }));
  return { nodes, ready };
}

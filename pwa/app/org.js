// The organisation kept current (issue 16): majors, a class's head teacher and counsellor, a
// student's class and status over time, revoking roles, and the term rollover. For the school
// admin (everything) and a department admin (their department's classes, people and students).
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, labelled, schoolToday, t } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  orgLink: "组织机构", orgTitle: "组织机构维护", majors: "专业", majorName: "专业名称", majorDept: "所属系部",
  majorAdd: "新增专业", majorAdded: "已新增专业：{name}", majorRename: "改名", majorRenamed: "已改名为：{name}",
  majorClasses: "{n} 个班", majorClass: "1 个班", orgClasses: "班级", classPeople: "班主任与辅导员", classStudents: "学生",
  headTeacher: "班主任", counsellorRole: "辅导员", nobody: "（无）", assign: "更换", assigned: "已更换为：{name}",
  classGrants: "本班的角色", revoke: "撤销", revoked: "已撤销：{name} 的 {role}", revokeRoles: "撤销角色",
  staffNumber: "工号", findGrants: "查找", noGrants: "没有你可撤销的角色",
  studentStatus: "学籍与转班", currentClass: "当前班级", statusNow: "学籍状态", status_enrolled: "在读",
  status_suspended: "休学", status_withdrawn: "退学", status_graduated: "毕业", loginOff: "（已停用登录）",
  moveTo: "转入班级", effectiveOn: "生效日期", move: "转班", moveConfirm: "确认将 {name} 从 {from} 转到 {to}，自 {date} 起？",
  confirm: "确认", cancel: "取消", moved: "{name} 已从 {from} 转到 {to}（第{week}周起）", history: "班级经历",
  since: "{from} 起", between: "{from} 至 {to}", always: "入学起",
  statusAction: "学籍变动", action_suspend: "休学", action_withdraw: "退学", action_graduate: "毕业", action_resume: "复学",
  statusConfirm: "确认 {name} {action}，自 {date} 起？", statusDone: "{name}：{status}",
  rollover: "学期交替", rolloverFrom: "当前学期", rolloverTo: "下一学期", rolloverPreview: "预览",
  rolloverApply: "确认执行交替", rolloverApplied: "学期交替已完成", change_promote: "升级", change_graduate: "毕业",
  change_stay: "年级不变", yearOf: "{now} 年级 → {next} 年级", students: "{n} 人", plansCarried: "结转的学期计划（草稿）：{n} 份",
  graduatesN: "毕业学生：{n} 人（账号停用）", catalogueFrom: "采分点目录：沿用 {term}（{n} 项）", noNextTerm: "请先新建下一学期",
  label_org: "组织机构变更", revokeConfirm: "确认撤销 {name} 的“{role}”（{scope}）？撤销后立即失去该权限。",
  rolloverConfirm: "确认执行学期交替？{classes} 个班升级或毕业，{graduates} 名毕业生的账号将停用。此操作不能撤回。",
}, {
  orgLink: "Organisation", orgTitle: "Organisation", majors: "Majors", majorName: "Major name", majorDept: "Department",
  majorAdd: "Add major", majorAdded: "Major added: {name}", majorRename: "Rename", majorRenamed: "Renamed to {name}",
  majorClasses: "{n} classes", majorClass: "1 class", orgClasses: "Classes", classPeople: "Head teacher and counsellor", classStudents: "Students",
  headTeacher: "Head teacher", counsellorRole: "Counsellor", nobody: "(none)", assign: "Change", assigned: "Changed to {name}",
  classGrants: "Roles over this class", revoke: "Revoke", revoked: "Revoked: {name}'s {role}", revokeRoles: "Revoke roles",
  staffNumber: "Staff number", findGrants: "Find", noGrants: "No roles you can revoke",
  studentStatus: "Status and class", currentClass: "Class now", statusNow: "Status", status_enrolled: "Enrolled",
  status_suspended: "Suspended", status_withdrawn: "Withdrawn", status_graduated: "Graduated", loginOff: "(login disabled)",
  moveTo: "Move to class", effectiveOn: "From", move: "Move", moveConfirm: "Move {name} from {from} to {to} from {date}?",
  confirm: "Confirm", cancel: "Cancel", moved: "{name} moved from {from} to {to} (from week {week})", history: "Classes",
  since: "since {from}", between: "{from} to {to}", always: "since enrolment",
  statusAction: "Status change", action_suspend: "Suspend", action_withdraw: "Withdraw", action_graduate: "Graduate",
  action_resume: "Resume", statusConfirm: "{action} {name} from {date}?", statusDone: "{name}: {status}",
  rollover: "Term rollover", rolloverFrom: "This term", rolloverTo: "Next term", rolloverPreview: "Preview",
  rolloverApply: "Apply the rollover", rolloverApplied: "The rollover is done", change_promote: "Promoted",
  change_graduate: "Graduates", change_stay: "Same year", yearOf: "Year {now} → {next}", students: "{n} students",
  plansCarried: "Term plans carried over as drafts: {n}", graduatesN: "Graduates: {n} (accounts disabled)",
  catalogueFrom: "Catalogue: as in {term} ({n} points)", noNextTerm: "Create the next term first", label_org: "Organisation change",
  revokeConfirm: "Revoke {name}'s role “{role}” ({scope})? The power is gone at once.",
  rolloverConfirm: "Apply the rollover? {classes} classes are promoted or graduate, and {graduates} graduates' accounts are disabled. This cannot be undone.",
});

const back = (href = "#/org") => el("a", { href, class: "link", "data-testid": "back" }, `← ${t("back")}`);
const isAdmin = (me) => me.roles.some((g) => g.role === "school_admin");
const option = (value, text, selected = false) => el("option", { value, selected }, text);
const write = (path, body, method = "POST") => send(path, { method, body, label: ["label_org", {}] });

// An irreversible step asks once more, naming who and what it is about.
function ask(box, question, go) {
  box.replaceChildren(el("div", { class: "stack", role: "alertdialog", "data-testid": "confirm" },
    el("p", { "data-testid": "confirm-text" }, question),
    el("button", { type: "button", class: "wide", onclick: () => { box.replaceChildren(); go(); }, "data-testid": "confirm-yes" }, t("confirm")),
    el("button", { type: "button", onclick: () => box.replaceChildren(), "data-testid": "confirm-no" }, t("cancel"))));
}

function field(id, labelText, control) {
  control.id = id;
  return [el("label", { for: id }, labelText), control];
}

// The hub: majors, classes (to their people and students), revoking roles, the rollover.
export async function orgScreen(me) {
  const [majors, classes, departments] = await Promise.all([api("/api/v1/majors"), api("/api/v1/classes"),
    api("/api/v1/departments")]);
  const out = [back("#/"), el("h1", {}, t("orgTitle")), majorsCard(majors, departments, me)];
  out.push(card(t("orgClasses"), classes.length ? el("ul", { class: "list", "data-testid": "org-classes" }, classes.map((c) =>
    el("li", {}, el("a", { href: `#/org/class/${c.id}`, "data-testid": "org-class" }, c.name),
      el("span", { class: "muted" }, c.major)))) : empty(t("noClasses"))));
  out.push(card(t("revokeRoles"), el("a", { href: "#/org/grants", class: "more" }, `${t("revokeRoles")} →`)));
  if (isAdmin(me)) out.push(card(t("rollover"), el("a", { href: "#/org/rollover", class: "more", "data-testid": "rollover-link" }, `${t("rollover")} →`)));
  return out;
}

function majorsCard(majors, departments, me) {
  const list = el("ul", { class: "list", "data-testid": "majors" }, majors.map((m) => {
    const name = el("input", { value: m.name, "aria-label": `${t("majorName")} ${m.name}` });
    const status = el("p", { role: "status" });
    const rename = () => report(status, () => write(`/api/v1/majors/${m.id}`, { name: name.value.trim() }, "PATCH"),
      (answer) => t("majorRenamed", { name: answer.name }));
    return el("li", { class: "stack" }, el("span", { class: "muted" }, `${m.department} · ${t(m.classes === 1 ? "majorClass" : "majorClasses", { n: m.classes })}`),
      isAdmin(me) ? [name, el("button", { type: "button", onclick: rename }, t("majorRename")), status] : el("strong", {}, m.name));
  }));
  if (!isAdmin(me)) return card(t("majors"), list);
  const dept = el("select", {}, departments.map((d) => option(d.id, d.name)));
  const name = el("input", { "data-testid": "major-name" });
  const status = el("p", { role: "status", "data-testid": "major-status" });
  const add = () => report(status, () => write("/api/v1/majors", { department_id: Number(dept.value), name: name.value.trim() }),
    (answer) => t("majorAdded", { name: answer.name }));
  return card(t("majors"), list, field("major-dept", t("majorDept"), dept), field("major-new", t("majorName"), name),
    el("button", { type: "button", class: "wide", onclick: add, "data-testid": "major-add" }, t("majorAdd")), status);
}

const personText = (people) => people.length ? people.map((p) => `${p.name}（${p.number}）`).join("、") : t("nobody");

// A class's people: change the head teacher or counsellor, revoke a role over the class; its students.
export async function classPeopleScreen(id, rerender) {
  const [people, students] = await Promise.all([api(`/api/v1/classes/${id}/people`), api(`/api/v1/classes/${id}/students`)]);
  const roleCard = (role, title) => {
    const pick = el("select", { "aria-label": title }, people.candidates.map((c) =>
      option(c.id, `${c.name}（${c.number}）`, people[role].some((p) => p.id === c.id))));
    const status = el("p", { role: "status" });
    const save = () => report(status, () => write(`/api/v1/classes/${id}/people/${role}`, { user_id: Number(pick.value) }, "PUT"),
      (answer) => { rerender(); return t("assigned", { name: personText(answer[role]) }); });
    return el("div", { class: "stack", "data-testid": `people-${role}` }, el("h3", {}, title),
      el("p", {}, personText(people[role])), pick,
      el("button", { type: "button", onclick: save, "data-testid": `assign-${role}` }, t("assign")), status);
  };
  const grants = el("ul", { class: "list" }, people.grants.map((g) => grantItem(g, rerender)));
  return [back(), el("h1", {}, people.class_name),
    card(t("classPeople"), roleCard("head_teacher", t("headTeacher")), roleCard("counsellor", t("counsellorRole"))),
    card(t("classGrants"), people.grants.length ? grants : empty(t("nobody"))),
    card(t("classStudents"), el("ul", { class: "list", "data-testid": "org-students" }, students.map((s) =>
      el("li", {}, el("a", { href: `#/org/student/${s.id}`, "data-testid": "org-student", "data-name": s.display_name },
        `${s.display_name} · ${s.username}`),  // the number inside the link: a two-character name alone is too small a target
        s.status === "enrolled" ? null : el("span", { class: "muted" }, t(`status_${s.status}`))))))];
}

function grantItem(g) {
  const status = el("p", { role: "status" });
  const box = el("div", {});
  const role = t(`role_${g.role}`);
  const item = el("li", { class: "stack", "data-testid": "grant" },
    el("span", {}, `${g.name} · ${g.number} · ${role} · ${g.scope_name}`),
    el("button", { type: "button", onclick: () => ask(box, t("revokeConfirm", { name: g.name, role, scope: g.scope_name }), revoke),
      "data-testid": "revoke" }, t("revoke")), box, status);
  // What was revoked stays said where it was, instead of the row vanishing without a word.
  const revoke = () => report(status, () => write(`/api/v1/grants/${g.id}`, {}, "DELETE"), () => {
    item.querySelector("[data-testid=revoke]").remove();
    item.classList.add("muted");
    return t("revoked", { name: g.name, role });
  });
  return item;
}

// Revoke roles: find a staff member by number, then revoke what the caller may.
export async function grantsScreen(rerender) {
  const number = el("input", { autocomplete: "off", "data-testid": "grant-username" });
  const list = el("div", {});
  const find = async () => {
    const found = await api(`/api/v1/grants?username=${encodeURIComponent(number.value.trim())}`).catch(() => []);
    list.replaceChildren(found.length ? el("ul", { class: "list" }, found.map((g) => grantItem(g))) : empty(t("noGrants")));
  };
  return [back(), card(t("revokeRoles"), field("grant-number", t("staffNumber"), number),
    el("button", { type: "button", class: "wide", onclick: find }, t("findGrants")), list)];
}

const span = (m) => m.starts_on ? (m.ends_on ? t("between", { from: m.starts_on, to: m.ends_on }) : t("since", { from: m.starts_on }))
  : (m.ends_on ? t("between", { from: t("always"), to: m.ends_on }) : t("always"));

// One student: status, classes over time, a move on a date, and a status change; each confirmed
// with the names it is about before it is sent.
export async function studentStatusScreen(id, rerender) {
  const s = await api(`/api/v1/students/${id}/status`);
  const today = schoolToday();
  const clamp = (day) => (day < s.term_starts_on ? s.term_starts_on : day > s.term_ends_on ? s.term_ends_on : day);
  const dateInput = (testid) => el("input", { type: "date", min: s.term_starts_on, max: s.term_ends_on, value: clamp(today),
    "data-testid": testid });

  const target = el("select", { "data-testid": "move-class" }, s.classes.filter((c) => c.id !== s.class_id).map((c) => option(c.id, c.name)));
  const moveOn = dateInput("move-date");
  const moveBox = el("div", {});
  const moveStatus = el("p", { role: "status", "data-testid": "move-status" });
  const move = () => {
    const to = s.classes.find((c) => String(c.id) === target.value);
    ask(moveBox, t("moveConfirm", { name: s.name, from: s.class_name, to: to.name, date: moveOn.value }), () => {
      report(moveStatus, () => write(`/api/v1/students/${id}/move`, { class_id: to.id, effective_on: moveOn.value }),
        (a) => { setTimeout(rerender, 1500); return t("moved", { name: a.name, from: a.from_class.name, to: a.to_class.name, week: a.week }); });
    });
  };

  const actions = s.status === "suspended" ? ["resume"] : s.status === "enrolled" ? ["suspend", "withdraw", "graduate"] : [];
  const action = el("select", { "data-testid": "status-action" }, actions.map((a) => option(a, t(`action_${a}`))));
  const statusOn = dateInput("status-date");
  const statusBox = el("div", {});
  const statusStatus = el("p", { role: "status", "data-testid": "status-status" });
  const change = () => ask(statusBox, t("statusConfirm", { name: s.name, action: t(`action_${action.value}`), date: statusOn.value }), () => {
    report(statusStatus, () => write(`/api/v1/students/${id}/status`, { action: action.value, effective_on: statusOn.value }),
      (a) => { setTimeout(rerender, 1500); return t("statusDone", { name: a.name, status: t(`status_${a.status}`) }); });
  });

  return [back(`#/org/class/${s.class_id}`), el("h1", { class: "name" }, `${s.name} · ${s.number}`),
    card(t("studentStatus"),
      el("p", { "data-testid": "student-class" }, labelled(t("currentClass"), s.class_name)),
      el("p", { "data-testid": "student-status" }, labelled(t("statusNow"), t(`status_${s.status}`)), s.status_on ? ` · ${s.status_on}` : "",
        s.login_enabled ? "" : t("loginOff")),
      el("h3", {}, t("history")),
      el("ul", { class: "list", "data-testid": "history" }, s.history.map((m) => el("li", {}, `${m.class_name} · ${span(m)}`)))),
    s.status === "enrolled" && s.classes.length > 1 ? card(t("move"), field("move-to", t("moveTo"), target),
      field("move-on", t("effectiveOn"), moveOn),
      el("button", { type: "button", class: "wide", onclick: move, "data-testid": "move" }, t("move")), moveBox, moveStatus) : null,
    actions.length ? card(t("statusAction"), field("status-what", t("statusAction"), action), field("status-on", t("effectiveOn"), statusOn),
      el("button", { type: "button", class: "wide", onclick: change, "data-testid": "status-change" }, t("statusAction")),
      statusBox, statusStatus) : null].filter(Boolean);
}

// The rollover: pick the next term, read the preview, apply exactly that.
export async function rolloverScreen(rerender) {
  const [terms, current] = await Promise.all([api("/api/v1/terms"), api("/api/v1/terms/current")]);
  const later = terms.filter((x) => x.starts_on > current.ends_on);
  if (!later.length) return [back(), card(t("rollover"), empty(t("noNextTerm")))];
  const pick = el("select", { "data-testid": "rollover-to" }, later.map((x) => option(x.id, x.name)));
  const shown = el("div", { "data-testid": "rollover-preview" });
  const status = el("p", { role: "status", "data-testid": "rollover-status" });
  const box = el("div", {});
  const apply = () => report(status, () => write(`/api/v1/terms/${current.id}/rollover`, { to_term_id: Number(pick.value) }),
    (answer) => { draw(answer); return t("rolloverApplied"); });
  const draw = (p) => shown.replaceChildren(
    el("p", {}, `${labelled(t("rolloverFrom"), p.from_term.name)} → ${labelled(t("rolloverTo"), p.to_term.name)}`),
    el("ul", { class: "list" }, p.classes.map((c) => el("li", { "data-testid": "rollover-class" },
      el("span", {}, c.class_name), el("span", { class: c.change === "graduate" ? "tag warn" : "tag" }, t(`change_${c.change}`)),
      el("span", { class: "muted" }, `${t("yearOf", { now: c.year_now, next: c.year_next })} · ${t("students", { n: c.students })}`)))),
    el("p", {}, t("graduatesN", { n: p.graduates })), el("p", {}, t("plansCarried", { n: p.plans.length })),
    el("p", {}, t("catalogueFrom", { term: p.catalogue_from || "—", n: p.catalogue_rules ?? "—" })),
    p.applied ? el("p", { class: "tag" }, t("rolloverApplied")) : el("button", { type: "button", class: "wide", "data-testid": "rollover-apply",
      onclick: () => ask(box, t("rolloverConfirm", { classes: p.classes.filter((c) => c.change !== "stay").length,
        graduates: p.graduates }), apply) }, t("rolloverApply")), box);
  const preview = () => report(status, () => api(`/api/v1/terms/${current.id}/rollover?to_term_id=${pick.value}`), (p) => { draw(p); return ""; });
  return [back(), card(t("rollover"), field("rollover-next", t("rolloverTo"), pick),
    el("button", { type: "button", class: "wide", onclick: preview, "data-testid": "rollover-preview-button" }, t("rolloverPreview")),
    shown, status)];
}

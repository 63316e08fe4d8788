// Courses and the timetable (issue 16): a week as a list of days (a 360 px phone has no room for a
// 7-column grid), a course teacher's meetings today with "开始签到" / "记录", the school admin's slot
// editor, the import with its preview, and the holiday calendar.
import { api, authFetch, download, ProblemError, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, t } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  timetable: "课表", weekN: "第{n}周", prevWeek: "上一周", nextWeek: "下一周", noTeachingWeek: "本周无教学日",
  noMeetings: "无课", periodsN: "第{a}-{b}节", todayMeetings: "今日课程", noMeetingsToday: "今天没有课",
  startCheckin: "开始签到", meetingRecord: "记录", openSession: "进入课堂", holiday: "放假", workday: "调休上班",
  runsAs: "按周{d}课表", timetableAdmin: "课表管理", holidays: "节假日", addSlot: "添加时段", weekday: "星期",
  firstPeriod: "开始节次", lastPeriod: "结束节次", weeksLabel: "周次（如 1-16、1-8,10-16(单)）", room: "教室",
  deleteSlot: "删除", saved: "已保存", importTimetable: "导入课表", importHint: "从教务系统导出的课表（.xlsx 或 .csv）：先预览，无误后导入。任一行有误时不导入任何数据。",
  preview: "预览", applyImport: "导入", template: "下载模板", importPreview: "预览：{rows}行，将新建{slots}个时段（{same}个已存在），新建课程{courses}门",
  importDone: "已导入：新建{slots}个时段，{offerings}个开课，{same}个未变", rowN: "第{row}行", dayLabel: "日期",
  kindLabel: "类型", nameLabel: "名称", addDay: "添加", saveHolidays: "保存节假日", teachingWeeks: "教学周：{n}周",
  removeDay: "移除", dayFirst: "请先选日期并填写名称", dayListed: "{day} 已在列表中", deleteSlotSure: "确认删除？",
  attendanceOfCourse: "本课程出勤", sessionsN: "{n}次课", attendanceRate: "出勤率{r}%",
  label_meeting: "从课表开始课堂", label_slot: "添加课表时段", label_holidays: "保存节假日",
  newOffering: "新增开课", courseLabel: "课程", teacherNumber: "教师工号", classesLabel: "上课班级（可多选，合班）",
  label_offering: "新增开课",
}, {
  timetable: "Timetable", weekN: "Week {n}", prevWeek: "Previous week", nextWeek: "Next week", noTeachingWeek: "No teaching this week",
  noMeetings: "No classes", periodsN: "Periods {a}-{b}", todayMeetings: "Today's classes", noMeetingsToday: "No classes today",
  startCheckin: "Start check-in", meetingRecord: "Record", openSession: "Open session", holiday: "Holiday", workday: "Make-up day",
  runsAs: "runs {d}'s timetable", timetableAdmin: "Timetable", holidays: "Holidays", addSlot: "Add a time slot", weekday: "Weekday",
  firstPeriod: "First period", lastPeriod: "Last period", weeksLabel: "Weeks (e.g. 1-16, 1-8,10-16(单))", room: "Room",
  deleteSlot: "Delete", saved: "Saved", importTimetable: "Import timetable", importHint: "The timetable exported from the academic-affairs system (.xlsx or .csv): preview, then import. Any bad row imports nothing.",
  preview: "Preview", applyImport: "Import", template: "Download template", importPreview: "Preview: {rows} rows, {slots} new slots ({same} already there), {courses} new courses",
  importDone: "Imported: {slots} new slots, {offerings} offerings, {same} unchanged", rowN: "Row {row}", dayLabel: "Date",
  kindLabel: "Kind", nameLabel: "Name", addDay: "Add", saveHolidays: "Save holidays", teachingWeeks: "Teaching weeks: {n}",
  removeDay: "Remove", dayFirst: "Choose a date and give it a name first", dayListed: "{day} is already listed",
  deleteSlotSure: "Delete it?", attendanceOfCourse: "Attendance in this course", sessionsN: "{n} sessions", attendanceRate: "{r}% attended",
  label_meeting: "Session from the timetable", label_slot: "Timetable slot", label_holidays: "Holidays",
  newOffering: "New course offering", courseLabel: "Course", teacherNumber: "Teacher's staff number",
  classesLabel: "Classes (several: merged)", label_offering: "New course offering",
});

const WEEKDAYS_ZH = "一二三四五六日";
const WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const dayName = (n) => (getLang() === "en" ? WEEKDAYS_EN[n - 1] : `周${WEEKDAYS_ZH[n - 1]}`);
const backHome = () => el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
const fieldError = (error, field) => {
  const messages = error?.problem?.errors?.[field];
  return messages ? messages.join(" ") : "";
};

function meetingItem(m, extra = null) {
  return el("li", { class: "stack", "data-testid": "meeting" },
    el("strong", {}, m.course),
    el("span", { class: "muted" }, `${m.starts}–${m.ends} · ${t("periodsN", { a: m.first_period, b: m.last_period })}`
      + `${m.room ? ` · ${m.room}` : ""}`),
    el("span", { class: "muted" }, `${m.classes.map((c) => c.name).join("、")} · ${m.teacher}`), extra);
}

// My week (a student's class, a teacher's own meetings): one card per day, holidays marked.
export async function weekScreen(week) {
  const data = await api(`/api/v1/me/timetable${week ? `?week=${week}` : ""}`);
  const nav = el("div", { class: "actions" },
    data.week > 1 ? el("a", { href: `#/timetable/${data.week - 1}`, class: "link", "data-testid": "prev-week" }, `← ${t("prevWeek")}`) : null,
    data.week < data.weeks ? el("a", { href: `#/timetable/${data.week + 1}`, class: "link", "data-testid": "next-week" }, `${t("nextWeek")} →`) : null);
  const days = data.days.filter((d) => d.meetings.length || d.weekday <= 5 || d.holiday).map((d) => card(
    `${dayName(d.weekday)} ${d.day.slice(5)}`,
    d.holiday ? el("p", {}, el("span", { class: d.kind === "holiday" ? "tag warn" : "tag notice" },
      d.kind === "holiday" ? t("holiday") : t("workday")), ` ${d.holiday}`,
    d.kind === "workday" ? el("span", { class: "muted" }, ` · ${t("runsAs", { d: dayName(d.runs_weekday) })}`) : null) : null,
    d.meetings.length ? el("ul", { class: "list" }, d.meetings.map((m) => meetingItem(m))) : empty(t("noMeetings"))));
  return [backHome(), el("h2", { "data-testid": "week-title" }, `${t("timetable")} · ${t("weekN", { n: data.week })}`),
    data.teaching ? null : el("p", { class: "muted" }, t("noTeachingWeek")), nav, ...days];
}

// A course teacher's meetings today: open the session with check-in, or as a plain record.
export async function todayScreen() {
  const data = await api("/api/v1/me/meetings/today");
  const status = el("p", { role: "status", "data-testid": "meeting-status" });
  const open = (m, checkin) => () => report(status, () => send(`/api/v1/meetings/${m.slot_id}/${data.day}/session`, {
    body: { checkin }, label: ["label_meeting", {}] }), (answer) => {
    if (answer?.sessions?.length) location.hash = `#/sessions/${answer.sessions[0].id}`;
    return "";
  });
  const items = data.meetings.map((m) => meetingItem(m, m.sessions.length
    ? el("div", { class: "actions" }, m.sessions.map((s) => el("a", { href: `#/sessions/${s.id}`, class: "link",
      "data-testid": "meeting-session" }, `${t("openSession")} →`)),
    el("a", { href: `#/course-attendance/${m.offering_id}`, class: "link" }, t("attendanceOfCourse")))
    : el("div", { class: "actions" },
      el("button", { type: "button", onclick: open(m, true), "data-testid": "meeting-checkin" }, t("startCheckin")),
      el("button", { type: "button", class: "secondary", onclick: open(m, false), "data-testid": "meeting-record" },
        t("meetingRecord")))));
  return [backHome(), card(`${t("todayMeetings")} · ${data.day}`,
    items.length ? el("ul", { class: "list", "data-testid": "today-meetings" }, items) : empty(t("noMeetingsToday")), status),
  el("a", { href: "#/timetable", class: "more", "data-testid": "week-link" }, `${t("timetable")} →`)];
}

function select(label, options, value) {
  return el("select", { "aria-label": label }, options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
}

function slotForm(offering, rerender) {
  const weekday = select(t("weekday"), [1, 2, 3, 4, 5, 6, 7].map((n) => [String(n), dayName(n)]), "1");
  const periods = [...Array(12).keys()].map((n) => [String(n + 1), String(n + 1)]);
  const first = select(t("firstPeriod"), periods, "1");
  const last = select(t("lastPeriod"), periods, "2");
  const weeks = el("input", { "aria-label": t("weeksLabel"), placeholder: t("weeksLabel"), value: "1-16", "data-testid": "slot-weeks" });
  const room = el("input", { "aria-label": t("room"), placeholder: t("room"), "data-testid": "slot-room" });
  const errors = { periods: el("p", { class: "error" }), weeks: el("p", { class: "error" }), room: el("p", { class: "error" }) };
  const status = el("p", { role: "status" });
  const save = async () => {
    Object.values(errors).forEach((e) => { e.textContent = ""; });
    try {
      await send(`/api/v1/offerings/${offering.id}/slots`, { body: { weekday: Number(weekday.value),
        first_period: Number(first.value), last_period: Number(last.value), weeks: weeks.value.trim(),
        room: room.value.trim() || null }, label: ["label_slot", {}] });
      rerender();
    } catch (error) {
      for (const [field, node] of Object.entries(errors)) node.textContent = fieldError(error, field);
      status.textContent = Object.values(errors).some((n) => n.textContent) ? "" : String(error.message || error);
    }
  };
  return el("details", {}, el("summary", {}, t("addSlot")),
    el("div", { class: "stack" }, weekday, first, last, errors.periods, weeks, errors.weeks, room, errors.room,
      el("button", { type: "button", class: "wide", onclick: save, "data-testid": "slot-save" }, t("addSlot")), status));
}

function importCard(termId, rerender) {
  const file = el("input", { type: "file", accept: ".xlsx,.csv", "aria-label": t("importTimetable"), "data-testid": "tt-file" });
  const out = el("div", { "data-testid": "tt-outcome" });
  const run = (apply) => async () => {
    if (!file.files.length) return;
    const form = new FormData();
    form.append("file", file.files[0]);
    const response = await authFetch(`/api/v1/timetable/import?term_id=${termId}&apply=${apply}`, { method: "POST", body: form });
    const body = await response.json();
    if (!response.ok) {
      const en = getLang() === "en";
      out.replaceChildren(el("section", { class: "card", role: "alert", "data-testid": "tt-errors" },
        el("ul", { class: "list" }, (Array.isArray(body.errors) ? body.errors : []).map((e) => el("li", { class: "stack" },
          el("strong", {}, `${t("rowN", { row: e.row })} · ${e.column}${e.value ? `「${e.value}」` : ""}`),
          el("span", { class: "error" }, en ? e.message_en : e.message))))));
      if (!Array.isArray(body.errors)) out.firstChild.append(el("p", { class: "error" }, new ProblemError(body).message));
      return;
    }
    const vars = { rows: body.rows, slots: body.slots_created, same: body.slots_unchanged,
      courses: body.courses_created.length, offerings: body.offerings_created };
    out.replaceChildren(el("p", { role: "status", "data-testid": "tt-summary" }, t(apply ? "importDone" : "importPreview", vars)));
    if (apply) rerender();
  };
  return card(t("importTimetable"), el("p", { class: "muted" }, t("importHint")),
    el("button", { type: "button", class: "link", onclick: () => download("/api/v1/timetable/template?format=xlsx",
      "spiral-timetable-template.xlsx") }, t("template")), file,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: run(false), "data-testid": "tt-preview" }, t("preview")),
      el("button", { type: "button", onclick: run(true), "data-testid": "tt-apply" }, t("applyImport"))), out);
}

// A new offering: a course, its teacher by staff number, and the class or merged classes it is taught to.
function offeringForm(termId, courses, classes, rerender) {
  const course = select(t("courseLabel"), courses.map((c) => [String(c.id), `${c.code} ${c.name}`]), courses[0] && String(courses[0].id));
  const teacher = el("input", { "aria-label": t("teacherNumber"), placeholder: t("teacherNumber"), "data-testid": "offering-teacher" });
  const boxes = classes.map((c) => el("input", { type: "checkbox", value: String(c.id) }));
  const errors = { teacher_number: el("p", { class: "error" }), class_ids: el("p", { class: "error" }) };
  const status = el("p", { role: "status" });
  const save = async () => {
    Object.values(errors).forEach((e) => { e.textContent = ""; });
    try {
      await send(`/api/v1/terms/${termId}/offerings`, { body: { course_id: Number(course.value),
        teacher_number: teacher.value.trim(), class_ids: boxes.filter((b) => b.checked).map((b) => Number(b.value)) },
      label: ["label_offering", {}] });
      rerender();
    } catch (error) {
      errors.teacher_number.textContent = fieldError(error, "teacher_number");
      errors.class_ids.textContent = Object.entries(error?.problem?.errors || {})
        .filter(([k]) => k.startsWith("class_ids")).map(([, v]) => v.join(" ")).join(" ");
      status.textContent = Object.values(errors).some((n) => n.textContent) ? "" : String(error.message || error);
    }
  };
  return card(t("newOffering"), course, teacher, errors.teacher_number,
    el("details", {}, el("summary", {}, t("classesLabel")),
      el("div", { class: "stack" }, classes.map((c, i) => el("label", { class: "check" }, boxes[i], c.name)))),
    errors.class_ids,
    el("button", { type: "button", class: "wide", onclick: save, "data-testid": "offering-save" }, t("newOffering")), status);
}

// The school admin's offerings and their slots, the import, and a link to the holidays.
export async function adminScreen(rerender) {
  const term = await api("/api/v1/terms/current");
  const [offerings, courses, classes] = await Promise.all([api(`/api/v1/terms/${term.id}/offerings`),
    api("/api/v1/courses"), api("/api/v1/classes")]);
  // A slot goes only after a second tap; a refusal (meetings were held in it) is said beside it.
  const remove = (slot, said) => async (event) => {
    if (event.target.dataset.sure !== "1") {
      Object.assign(event.target.dataset, { sure: "1" });
      event.target.textContent = t("deleteSlotSure");
      return;
    }
    const response = await authFetch(`/api/v1/slots/${slot.id}`, { method: "DELETE" });
    if (response.ok) rerender();
    else said.textContent = problemText(new ProblemError(await response.json().catch(() => ({ title: response.statusText }))));
  };
  const list = offerings.map((o) => card(o.course,
    el("p", { class: "muted" }, `${o.teacher} · ${o.classes.map((c) => c.name).join("、")}`),
    el("ul", { class: "list" }, o.slots.map((s) => {
      const said = el("p", { class: "error", role: "alert" });
      return el("li", { class: "stack" },
        el("span", {}, `${dayName(s.weekday)} ${t("periodsN", { a: s.first_period, b: s.last_period })} · ${s.weeks}`
          + `${s.room ? ` · ${s.room}` : ""}`),
        el("button", { type: "button", class: "link", onclick: remove(s, said), "aria-label": `${t("deleteSlot")} ${o.course}` },
          t("deleteSlot")), said);
    })),
    slotForm(o, rerender)));
  return [el("p", {}, backHome()), el("p", {}, el("a", { href: "#/holidays", class: "more", "data-testid": "holidays-link" }, `${t("holidays")} →`)),
    importCard(term.id, rerender), offeringForm(term.id, courses, classes, rerender), ...list];
}

// The term's holidays and make-up days, edited as one list and saved at once.
export async function holidaysScreen() {
  const term = await api("/api/v1/terms/current");
  const data = await api(`/api/v1/terms/${term.id}/holidays`);
  const days = data.days.map((d) => ({ day: d.day, kind: d.kind, name: d.name, runs_weekday: d.runs_weekday }));
  const list = el("ul", { class: "list", "data-testid": "holiday-list" });
  const errors = el("div", { role: "alert" });
  const status = el("p", { role: "status", "data-testid": "holiday-status" });
  const weeksLine = el("p", { class: "muted" }, t("teachingWeeks", { n: data.teaching_weeks.length }));
  const draw = () => list.replaceChildren(...days.map((d, i) => el("li", { class: "stack" },
    el("span", {}, `${d.day} ${dayName(new Date(`${d.day}T00:00:00`).getDay() || 7)} · ${d.name}`,
      el("span", { class: d.kind === "holiday" ? "tag warn" : "tag notice" }, d.kind === "holiday" ? t("holiday")
        : `${t("workday")} · ${t("runsAs", { d: dayName(d.runs_weekday) })}`)),
    el("button", { type: "button", class: "link", onclick: () => { days.splice(i, 1); draw(); } }, t("removeDay")))));
  draw();
  const day = el("input", { type: "date", "aria-label": t("dayLabel"), min: term.starts_on, max: term.ends_on, "data-testid": "holiday-day" });
  const kind = select(t("kindLabel"), [["holiday", t("holiday")], ["workday", t("workday")]], "holiday");
  const name = el("input", { "aria-label": t("nameLabel"), placeholder: t("nameLabel"), "data-testid": "holiday-name" });
  const runs = select(t("weekday"), [1, 2, 3, 4, 5].map((n) => [String(n), dayName(n)]), "1");
  // Only a make-up working day runs another weekday's timetable (CSSOM: the style sheet lays selects out).
  runs.style.display = "none";
  kind.addEventListener("change", () => { runs.style.display = kind.value === "workday" ? "" : "none"; });
  const add = () => {
    if (!day.value || !name.value.trim()) { status.textContent = t("dayFirst"); return; }
    if (days.some((d) => d.day === day.value)) { status.textContent = t("dayListed", { day: day.value }); return; }
    status.textContent = "";
    days.push({ day: day.value, kind: kind.value, name: name.value.trim(),
      runs_weekday: kind.value === "workday" ? Number(runs.value) : null });
    days.sort((a, b) => a.day.localeCompare(b.day));
    draw();
  };
  const save = () => report(status, () => send(`/api/v1/terms/${term.id}/holidays`, { method: "PUT", body: { days },
    label: ["label_holidays", {}] }), (answer) => {
    errors.replaceChildren();
    if (answer?.teaching_weeks) weeksLine.textContent = t("teachingWeeks", { n: answer.teaching_weeks.length });
    return t("saved");
  }).then(() => {
    const problem = status.textContent;
    if (problem && problem !== t("saved")) errors.replaceChildren(el("p", { class: "error" }, problem));
  });
  return [el("a", { href: "#/timetable-admin", class: "link", "data-testid": "back" }, `← ${t("timetableAdmin")}`),
    card(`${t("holidays")} · ${term.name}`, weeksLine, list,
      el("div", { class: "stack" }, day, kind, name, runs,
        el("button", { type: "button", class: "secondary", onclick: add, "data-testid": "holiday-add" }, t("addDay"))),
      el("button", { type: "button", class: "wide", onclick: save, "data-testid": "holiday-save" }, t("saveHolidays")),
      errors, status)];
}

// A course's attendance, per class of the offering (from the teacher's sessions of it).
export async function courseAttendance(offeringId) {
  const data = await api(`/api/v1/offerings/${offeringId}/attendance`);
  return [backHome(), card(`${t("attendanceOfCourse")} · ${data.course_name}`, el("ul", { class: "list" }, data.classes.map((c) => el("li", {},
    el("span", {}, c.class_name), el("span", { class: "tag" }, `${t("sessionsN", { n: c.sessions })}`
      + `${c.attendance_rate == null ? "" : ` · ${t("attendanceRate", { r: c.attendance_rate })}`}`)))))];
}

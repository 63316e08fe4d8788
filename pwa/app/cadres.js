// Student cadres (班干部) and imported grades: the head teacher names a class's cadres
// (#/classes/<id>/cadres) and confirms or reverses their batches (#/cadre-review); a cadre records
// their granted points with the usual entry grid (#/cadre-entry); the teaching office imports the
// academic-affairs grades with a preview (#/grades). Errors name the student and the course.
import { ProblemError, api, authFetch, download, oneLanguage, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, getLang, labelled, local, t } from "./i18n.js";
import { report, send } from "./outbox.js";

addText({
  cadres: "班干部", cadresOf: "{name} 的班干部", cadresEmpty: "还没有班干部。", cadreGrant: "授权", cadreRevoke: "取消授权",
  cadreStudent: "学生", cadreTitle: "职务（如 学习委员）", cadrePoints: "可录入的采分点", cadreSince: "自 {date} 起",
  cadreReview: "班干部录入待确认", cadreReviewEmpty: "没有待确认的班干部录入。", cadrePending: "待班主任确认",
  cadre_pending: "待班主任确认", cadre_confirmed: "已确认", cadre_reversed: "已撤销", cadreConfirm: "确认无误",
  cadreReverse: "撤销这批记录", cadreReason: "撤销原因（班干部会看到）", cadreBy: "{name} 录入", cadreManage: "管理班干部：{name}",
  cadreEntry: "班干部录入", cadreNoGrant: "你目前没有班干部录入权限。", cadreMine: "我录入的批次", cadreDone: "已处理",
  label_cadre_review: "班干部录入的确认", label_cadre_grant: "班干部授权",
  grades: "成绩导入", gradesHint: "上传教务系统导出的成绩（课程代码、学号、成绩；可含课程名称、姓名、学分、补考成绩）。先预览，确认无误再导入。",
  gradesPreview: "预览", gradesImport: "导入", gradesTemplate: "下载模板", gradesErrors: "成绩有误，未导入任何数据：",
  gradesCounts: "新增 {created} · 更新 {updated} · 未变 {unchanged}",
  gradesTakesOver: "导入后，本学期 {points} 改由成绩计算，不再手工录入（已录入的值保留记录，不再计入）。",
  gradesTookOver: "本学期 {points} 已改由成绩计算。", gradesApplied: "已导入", gradesWouldDo: "预览（尚未导入）",
  gradesChange: "{course}：{was} → {now}", gradesNew: "{course}：{now}", gradeRowAt: "{sheet} 第 {row} 行",
}, {
  cadres: "Class cadres", cadresOf: "Cadres of {name}", cadresEmpty: "No cadres yet.", cadreGrant: "Grant", cadreRevoke: "Revoke",
  cadreStudent: "Student", cadreTitle: "Title (e.g. study monitor)", cadrePoints: "Points they may record", cadreSince: "since {date}",
  cadreReview: "Cadre records to confirm", cadreReviewEmpty: "No cadre records waiting.", cadrePending: "Awaiting the head teacher",
  cadre_pending: "Awaiting the head teacher", cadre_confirmed: "Confirmed", cadre_reversed: "Reversed", cadreConfirm: "Confirm",
  cadreReverse: "Reverse this batch", cadreReason: "Why it is reversed (the cadre reads it)", cadreBy: "by {name}",
  cadreManage: "Cadres of {name}", cadreEntry: "Cadre entry", cadreNoGrant: "You have no cadre points to record now.",
  cadreMine: "My batches", cadreDone: "Done", label_cadre_review: "Review of a cadre's records", label_cadre_grant: "Cadre grant",
  grades: "Grades import", gradesHint: "Upload the grades exported from the academic-affairs system (course code, student number, grade; optionally course name, name, credits, make-up grade). Preview first, then import.",
  gradesPreview: "Preview", gradesImport: "Import", gradesTemplate: "Download the template", gradesErrors: "The grades have errors; nothing was imported:",
  gradesCounts: "New {created} · Updated {updated} · Unchanged {unchanged}",
  gradesTakesOver: "After this import, {points} are computed from grades this term and no longer typed (typed values stay on record, no longer counted).",
  gradesTookOver: "{points} now come from grades this term.", gradesApplied: "Imported", gradesWouldDo: "Preview (not imported yet)",
  gradesChange: "{course}: {was} → {now}", gradesNew: "{course}: {now}", gradeRowAt: "{sheet} row {row}",
});

const back = (href = "#/") => el("a", { href, class: "link", "data-testid": "back" }, `← ${t("back")}`);
const stateTag = (state) => el("span", { class: state === "pending" ? "tag warn" : "tag", "data-testid": "cadre-state" },
  t(`cadre_${state}`));
const headClasses = (me) => me.roles.filter((g) => g.role === "head_teacher" && g.scope_type === "class").map((g) => g.scope_id);

// ---------------------------------------------------------------- homes

// The head teacher's tile: cadre batches waiting for them.
export async function headTile(get) {
  const pending = await get("/api/v1/cadre-batches?state=pending");
  return card(t("cadres"), el("div", { class: "tiles" }, el("a", { href: "#/cadre-review",
    class: pending.length ? "tile alert" : "tile", "data-testid": "cadre-review-count" },
  el("strong", {}, pending.length), el("span", {}, t("cadreReview")))));
}

// A student's tile, only while they hold a grant.
export async function studentTile(get) {
  const mine = await get("/api/v1/cadre/me");
  if (!mine.grants.length && !mine.batches.length) return el("span", { hidden: true });
  const waiting = mine.batches.filter((b) => b.state === "pending").length;
  return card(t("cadres"), el("div", { class: "tiles" },
    el("a", { href: "#/cadre-entry", class: "tile", "data-testid": "cadre-entry-link" },
      el("strong", {}, mine.grants.map((g) => g.title)[0] ?? ""), el("span", {}, t("cadreEntry"))),
    el("a", { href: "#/cadre-entry", class: "tile" }, el("strong", {}, waiting), el("span", {}, t("cadrePending")))));
}

export const gradesTile = () => card(t("grades"), el("div", { class: "tiles" },
  el("a", { href: "#/grades", class: "tile", "data-testid": "grades-link" }, el("span", {}, t("grades")))));

// ---------------------------------------------------------------- head teacher

function batchItem(b, actions) {
  const values = b.entries.map((e) => el("li", { class: e.reversed ? "muted" : "" },
    `${labelled(e.student_name, e.value ?? "—")}${e.reversed ? ` (${t("cadre_reversed")})` : ""}`));
  return el("li", { class: "stack", "data-testid": "cadre-batch" },
    el("strong", {}, `${b.point} ${local(b)} · ${local(b, "period")}`),
    el("span", {}, t("cadreBy", { name: b.cadre_name }), " ", stateTag(b.state)),
    b.reason ? el("span", { class: "muted" }, b.reason) : null,
    el("ul", { class: "list", "data-testid": "cadre-values" }, values), actions);
}

function reviewActions(b, rerender) {
  if (b.state !== "pending") return null;
  const status = el("p", { role: "status", "data-testid": "cadre-review-status" });
  const reason = el("input", { maxlength: 500, "aria-label": t("cadreReason"), placeholder: t("cadreReason"),
    "data-testid": "cadre-reason" });
  const decide = (decision) => report(status, () => send(`/api/v1/cadre-batches/${b.batch_id}/review`, {
    body: { decision, reason: reason.value.trim() || null }, label: ["label_cadre_review", {}] }), async () => {
    await rerender();
    return t("cadreDone");
  });
  return el("div", { class: "stack" },
    el("button", { type: "button", "data-testid": "cadre-confirm", onclick: () => decide("confirmed") }, t("cadreConfirm")),
    reason,
    el("button", { type: "button", class: "secondary", "data-testid": "cadre-reverse", onclick: () => decide("reversed") },
      t("cadreReverse")), status);
}

export async function reviewScreen(me) {
  const holder = el("div", { "data-testid": "cadre-review" });
  const [classes] = await Promise.all([api("/api/v1/classes")]);
  const mine = classes.filter((c) => headClasses(me).includes(c.id));
  const render = async () => {
    const batches = await api("/api/v1/cadre-batches");
    const pending = batches.filter((b) => b.state === "pending");
    holder.replaceChildren(card(`${t("cadreReview")} (${pending.length})`, batches.length
      ? el("ul", { class: "list" }, batches.map((b) => batchItem(b, reviewActions(b, render))))
      : empty(t("cadreReviewEmpty"))));
  };
  await render();
  return [back(), card(t("cadres"), el("div", { class: "tiles" }, mine.map((c) =>
    el("a", { href: `#/classes/${c.id}/cadres`, class: "tile", "data-testid": `cadres-of-${c.id}` },
      el("span", {}, t("cadreManage", { name: c.name })))))), holder];
}

export async function cadresScreen(classId) {
  const holder = el("div", { "data-testid": "cadres-screen" });
  const students = await api(`/api/v1/classes/${classId}/students`);
  const render = async () => {
    const data = await api(`/api/v1/classes/${classId}/cadres`);
    const student = el("select", { "aria-label": t("cadreStudent"), "data-testid": "cadre-student" },
      students.map((s) => el("option", { value: s.id }, s.display_name)));
    const title = el("input", { maxlength: 32, "aria-label": t("cadreTitle"), placeholder: t("cadreTitle"), value: "学习委员",
      "data-testid": "cadre-title" });
    const boxes = data.grantable.map((p) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: p.point, "data-testid": `cadre-point-${p.point}` }), `${p.point} ${local(p)}`));
    const status = el("p", { role: "status", "data-testid": "cadre-status" });
    const grant = () => report(status, () => send(`/api/v1/classes/${classId}/cadres`, {
      body: { student_id: Number(student.value), title: title.value.trim(),
        points: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value) },
      label: ["label_cadre_grant", {}] }), async () => { await render(); return ""; });
    const revoke = (g) => report(status, () => send(`/api/v1/cadre-grants/${g.id}/revoke`, { label: ["label_cadre_grant", {}] }),
      async () => { await render(); return ""; });
    holder.replaceChildren(
      card(t("cadresOf", { name: data.class_name }), data.grants.length
        ? el("ul", { class: "list", "data-testid": "cadre-grants" }, data.grants.map((g) => el("li", {},
          el("span", {}, `${g.student_name} · ${g.title} · ${g.point} ${local(g)} · ${t("cadreSince", { date: g.starts_on })}`),
          el("button", { type: "button", class: "secondary", onclick: () => revoke(g) }, t("cadreRevoke")))))
        : empty(t("cadresEmpty"))),
      card(t("cadreGrant"), el("label", {}, t("cadreStudent"), student), el("label", {}, t("cadreTitle"), title),
        el("fieldset", {}, el("legend", {}, t("cadrePoints")), boxes),
        el("button", { type: "button", class: "wide", "data-testid": "cadre-grant", onclick: grant }, t("cadreGrant")), status));
  };
  await render();
  return [back("#/cadre-review"), holder];
}

// ---------------------------------------------------------------- the cadre

export async function cadreEntryScreen() {
  const [mine, catalogue, term] = await Promise.all([api("/api/v1/cadre/me"), api("/api/v1/catalogue"),
    api("/api/v1/terms/current").catch(() => null)]);
  const codes = new Set(mine.grants.map((g) => g.point));
  const rules = catalogue.rules.filter((r) => codes.has(r.code));
  const batches = card(t("cadreMine"), mine.batches.length
    ? el("ul", { class: "list", "data-testid": "my-cadre-batches" }, mine.batches.map((b) => batchItem(b, null)))
    : empty(t("cadreReviewEmpty")));
  if (!rules.length || !term) return [back(), card(t("cadreEntry"), empty(t("cadreNoGrant"))), batches];
  const { entryGrid } = await import("./scoring.js");
  const grid = await entryGrid("student", term, { rules, classes: [{ id: mine.class_id, name: mine.class_name }],
    students: mine.classmates, path: "/api/v1/cadre/entries" });
  return [back(), el("div", { "data-testid": "cadre-entry" }, grid), batches];
}

// ---------------------------------------------------------------- grades import

const COLUMNS_EN = { 课程代码: "course code", 课程名称: "course name", 学号: "student number", 姓名: "name", 成绩: "grade",
  学分: "credits", 补考成绩: "make-up grade" };

function gradeErrors(problem) {
  const en = getLang() === "en";
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  return el("section", { class: "card", role: "alert", "data-testid": "grades-errors" },
    el("h2", {}, errors.length ? t("gradesErrors") : oneLanguage(problem.title || "")),
    el("ul", { class: "list" }, errors.map((e) => el("li", { class: "stack", "data-testid": "grades-error" },
      el("strong", {}, [e.name || e.number, e.course].filter(Boolean).join(" · ") || t("gradeRowAt", { sheet: e.sheet, row: e.row })),
      el("span", { class: "muted" }, t("gradeRowAt", { sheet: e.sheet, row: e.row })),
      el("span", { class: "error" }, en ? `${COLUMNS_EN[e.column] ?? e.column}: ${e.message_en}` : `${e.column}：${e.message}`)))));
}

function gradeResult(body) {
  return card(body.applied ? t("gradesApplied") : t("gradesWouldDo"),
    el("p", { "data-testid": "grades-counts" }, t("gradesCounts", body)),
    (body.takes_over || []).length ? el("p", { class: "notice", "data-testid": "grades-takes-over" },
      t(body.applied ? "gradesTookOver" : "gradesTakesOver", { points: body.takes_over.join(" / ") })) : null,
    el("ul", { class: "list", "data-testid": "grades-changes" }, body.changes.map((c) => el("li", { class: "stack" },
      el("strong", {}, `${c.student_name} · ${c.number}`),
      el("span", {}, c.was == null ? t("gradesNew", { course: c.course_name, now: c.now })
        : t("gradesChange", { course: c.course_name, was: c.was, now: c.now }))))));
}

export function gradesScreen() {
  const out = el("div", { "data-testid": "grades-outcome" });
  const file = el("input", { type: "file", accept: ".xlsx,.csv", "aria-label": t("grades"), "data-testid": "grades-file" });
  const status = el("p", { class: "muted", role: "status" });
  const run = async (preview) => {
    if (!file.files.length) return;
    status.textContent = "…";
    const form = new FormData();
    form.append("file", file.files[0]);
    try {
      const response = await authFetch(`/api/v1/grades/import${preview ? "?preview=true" : ""}`, { method: "POST", body: form });
      const body = await response.json();
      if (!response.ok) throw new ProblemError(body);
      out.replaceChildren(gradeResult(body));
    } catch (error) {
      out.replaceChildren(error.problem ? gradeErrors(error.problem) : card(problemText(error)));
    }
    status.textContent = "";
  };
  const template = () => download("/api/v1/grades/template?format=xlsx", "spiral-grades-template.xlsx");
  return [back(), card(t("grades"), el("p", { class: "muted" }, t("gradesHint")),
    el("button", { type: "button", class: "link", onclick: template }, t("gradesTemplate")), file,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", "data-testid": "grades-preview", onclick: () => run(true) }, t("gradesPreview")),
      el("button", { type: "button", "data-testid": "grades-import", onclick: () => run(false) }, t("gradesImport"))),
    status), out];
}

// The class roll (综合测评表): every student by every scoring point, with subtotals, total, value
// added and coverage; sortable, the name column frozen while the table scrolls in its own box,
// downloadable as XLSX and printable on A4 landscape. Each row is the student's own card.
import { api, download } from "./api.js";
import { el, empty } from "./dom.js";
import { addText, getLang, local, t } from "./i18n.js";

addText({
  roll: "综合测评表", rollLink: "综合测评表 →", rollLinks: "各班综合测评表", rollName: "姓名",
  rollStudents: "{n} 名学生", rollTotal: "总分", rollCoverage: "已有数据",
  rollAdded: "比上学期末", rollAddedTerm: "比第{week}周末", rollAddedStart: "比本学期初",
  rollMedian: "中位数", rollFew: "不足{n}人", rollSensitive: "不含需知情的采分点（纪律、心理、资助）。",
  rollExplain: "采分点为换算后的得分（0–100）。小计只按已有数据的采分点计算，“2/12”即该部分 12 项中已有 2 项；覆盖为全部采分点中已有数据的项数。",
  rollExplainAdded: "增值“比上学期末”：本学期总分减去上学期（{previous}）期末总分；“{start}”：减去本学期第一个有数据的教学周末的总分。",
  rollExplainMedian: "末行为班级中位数，n 为有数据的人数；不足 {n} 人时不作班级结果。",
  rollLastTerm: "无数据", rollPrint: "打印", rollXlsx: "下载 XLSX", rollSortBy: "排序", rollEmpty: "这个班级还没有学生。",
  rollAsc: "升序", rollDesc: "降序", rollNumber: "学号",
}, {
  roll: "Class roll", rollLink: "Class roll →", rollLinks: "Class rolls", rollName: "Name",
  rollStudents: "{n} students", rollTotal: "Total", rollCoverage: "Covered",
  rollAdded: "vs. last term", rollAddedTerm: "vs. week {week}", rollAddedStart: "vs. start of term",
  rollMedian: "Median", rollFew: "under {n}", rollSensitive: "Need-to-know points (discipline, mental health, aid) left out.",
  rollExplain: "Points are card scores (0–100). A subtotal counts only the points with data: “2/12” means 2 of the part's 12 points; covered counts them over all points.",
  rollExplainAdded: "Value added “vs. last term”: this term's total minus the total at the end of last term ({previous}); “{start}”: minus the total at the end of this term's first week with data.",
  rollExplainMedian: "The last row is the class median; n is how many students have a value. Under {n} students no class figure is shown.",
  rollLastTerm: "no data", rollPrint: "Print", rollXlsx: "Download XLSX", rollSortBy: "Sort by", rollEmpty: "No students in this class yet.",
  rollAsc: "Ascending", rollDesc: "Descending", rollNumber: "Student no.",
});

const DOMAINS = ["academic", "personal", "career"];
const signed = (n) => (n == null ? "—" : n > 0 ? `+${n}` : `${n}`);
const shown = (n) => (n == null ? "—" : `${n}`);

// Sort keys as the API has them (backend/reporting/roll.py SORTS); a missing value sorts last.
const SORTS = {
  number: (r) => r.number, name: (r) => r.name, total: (r) => r.total,
  academic: (r) => r.subtotals.academic.score, personal: (r) => r.subtotals.personal.score,
  career: (r) => r.subtotals.career.score, added: (r) => r.value_added.previous_term,
  added_term: (r) => r.value_added.term_start, coverage: (r) => r.coverage.all.scored,
};

function sorted(rows, by, descending) {
  const key = SORTS[by];
  const compare = (a, b) => {
    const [x, y] = [key(a), key(b)];
    const order = typeof x === "string" ? x.localeCompare(y, getLang()) : x - y;
    return descending ? -order : order;
  };
  return [...rows.filter((r) => key(r) != null).sort(compare), ...rows.filter((r) => key(r) == null)];
}

// The stylesheet of this screen (frozen column, print on A4 landscape), loaded before it draws.
let styles = null;
function loadStyles() {
  styles ??= new Promise((resolve) => {
    const link = el("link", { rel: "stylesheet", href: "/app/roll.css", onload: resolve, onerror: resolve });
    document.head.append(link);
  });
  return styles;
}

function groupCell(group, minGroup) {
  if (!group || group.count === 0) return el("td", { class: "num" }, "—");
  if (group.median == null) {
    return el("td", { class: "num few", title: t("rollFew", { n: minGroup }) }, "—", el("small", {}, `n=${group.count}`));
  }
  return el("td", { class: "num" }, `${group.median}`, el("small", {}, `n=${group.count}`));
}

export async function rollScreen(classId) {
  const [data] = await Promise.all([api(`/api/v1/classes/${classId}/roll`), loadStyles()]);
  const startWeek = data.term_start_weeks.length === 1 ? data.term_start_weeks[0] : null;
  const addedTerm = startWeek ? t("rollAddedTerm", { week: startWeek }) : t("rollAddedStart");
  const state = { by: "number", descending: false };

  // Summary columns first, so a phone shows the figures that matter before any scrolling.
  const columns = [
    { key: "total", label: t("rollTotal"), cell: (r) => shown(r.total), group: data.summary.total },
    ...DOMAINS.map((d) => ({
      key: d, label: t(d), group: data.summary[d],
      cell: (r) => [shown(r.subtotals[d].score), el("small", {}, `${r.coverage[d].scored}/${r.coverage[d].of}`)],
    })),
    { key: "added", label: t("rollAdded"), cell: (r) => signed(r.value_added.previous_term) },
    { key: "added_term", label: addedTerm, cell: (r) => signed(r.value_added.term_start) },
    { key: "coverage", label: t("rollCoverage"), cell: (r) => `${r.coverage.all.scored}/${r.coverage.all.of}` },
    ...data.columns.map((c) => ({
      code: c.code, label: [el("span", { class: "point-code" }, c.code), el("small", {}, local(c))], group: c,
      cell: (r) => el("span", { class: r.below_warning.includes(c.code) ? "warn" : null }, shown(r.points[c.code])),
    })),
  ];

  const sortSelect = el("select", { "aria-label": t("rollSortBy"), "data-testid": "roll-sort",
    onchange: (e) => { state.by = e.target.value; draw(); } },
  [["number", t("rollNumber")], ["name", t("rollName")], ...columns.filter((c) => c.key).map((c) => [c.key, c.label])]
    .map(([value, label]) => el("option", { value }, label)));
  const direction = el("button", { type: "button", class: "secondary", "data-testid": "roll-direction",
    onclick: () => { state.descending = !state.descending; draw(); } });

  const header = (c) => {
    const label = c.label;
    if (!c.key) return el("th", { scope: "col", class: "point" }, label);
    const active = state.by === c.key;
    return el("th", { scope: "col", "aria-sort": active ? (state.descending ? "descending" : "ascending") : "none" },
      el("button", { type: "button", class: "sort", "data-testid": `roll-sort-${c.key}`, onclick: () => {
        state.descending = active ? !state.descending : c.key !== "number" && c.key !== "name";
        state.by = c.key;
        draw();
      } }, label, active ? (state.descending ? " ▼" : " ▲") : ""));
  };

  const box = el("div", { class: "roll-box", "data-testid": "roll-box", tabindex: "0", role: "region",
    "aria-label": t("roll") });
  function draw() {
    sortSelect.value = state.by;
    direction.textContent = state.descending ? t("rollDesc") : t("rollAsc");
    const rows = sorted(data.rows, state.by, state.descending);
    const nameHead = el("th", { scope: "col", class: "name" }, el("button", { type: "button", class: "sort",
      "data-testid": "roll-sort-name", onclick: () => {
        state.descending = state.by === "name" ? !state.descending : false;
        state.by = "name";
        draw();
      } }, t("rollName")));
    box.replaceChildren(el("table", { class: "roll", "data-testid": "roll-table" },
      el("thead", {}, el("tr", {}, nameHead, columns.map(header))),
      el("tbody", {}, rows.map((r) => el("tr", { "data-student": r.student_id },
        el("th", { scope: "row", class: "name" }, el("a", { href: `#/students/${r.student_id}`,
          "data-testid": `roll-student-${r.student_id}` }, el("span", {}, r.name), el("small", {}, r.number))),
        columns.map((c) => el("td", { class: "num" }, c.cell(r)))))),
      el("tfoot", {}, el("tr", {}, el("th", { scope: "row", class: "name" }, t("rollMedian")),
        columns.map((c) => (c.key === "added" || c.key === "added_term" || c.key === "coverage"
          ? el("td", {}) : groupCell(c.group, data.min_group)))))));
  }
  draw();

  const getXlsx = () => download(
    `/api/v1/classes/${classId}/roll?format=xlsx&sort=${state.by}&descending=${state.descending}`,
    `${data.class_name}-${data.term_name}-综合测评表.xlsx`);
  return [
    el("a", { href: "#/", class: "link no-print" }, `← ${t("back")}`),
    el("section", { class: "card roll-card", "data-testid": "roll" },
      el("h2", {}, `${t("roll")} · ${data.class_name}`),
      el("p", { class: "muted" }, `${data.term_name} · ${t("rollStudents", { n: data.students })}`),
      data.sensitive_hidden ? el("p", { class: "muted" }, t("rollSensitive")) : null,
      el("div", { class: "actions no-print roll-controls" },
        el("label", { class: "inline" }, t("rollSortBy"), sortSelect), direction),
      data.rows.length ? box : empty(t("rollEmpty")),
      el("p", { class: "muted", "data-testid": "roll-explain" }, t("rollExplain"), " ",
        t("rollExplainAdded", { previous: data.previous_term_name || t("rollLastTerm"), start: addedTerm }), " ",
        t("rollExplainMedian", { n: data.min_group })),
      el("div", { class: "actions no-print" },
        el("button", { type: "button", "data-testid": "roll-xlsx", onclick: getXlsx }, t("rollXlsx")),
        el("button", { type: "button", class: "secondary", "data-testid": "roll-print", onclick: () => window.print() },
          t("rollPrint")))),
  ];
}

// Links to the rolls of the classes a report lists (reports.js).
export function rollLink(classId) {
  return el("a", { href: `#/roll/${classId}`, class: "link", "data-testid": `roll-link-${classId}` }, t("rollLink"));
}

export function rollLinks(classes) {
  return el("details", { "data-testid": "roll-links" }, el("summary", {}, t("rollLinks")),
    el("ul", { class: "list" }, classes.map((c) => el("li", {}, el("span", {}, c.name), rollLink(c.id)))));
}

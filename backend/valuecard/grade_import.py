"""Course grades from the academic-affairs system's export (教务系统 成绩导出), all or nothing.

The roster import's rules (org/roster.py): the file is read whole, the header is looked for in the
first rows by the names exports use, known extra columns are read past and any other is refused;
every row is checked before anything is written and any error answers one 422 naming each row,
column, student and course; re-importing the same file changes nothing. A preview runs the same
checks and says what an import would create and change, writing nothing.

A grade is a number 0–100 or a grade word (五级制 优/良/中/及格/不及格, 二级制 合格/不合格), mapped to
the numbers below, which are the midpoints of the bands most colleges use. Courses must exist
(an unknown course code is an error, never a new course); students are matched on student number.
"""
import io
import math
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlalchemy import func, insert, select

from backend.auth.policy import valuecard as policy
from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Course, CourseGrade, StudentProfile, Term, User
from backend.org.roster import IGNORED_HEADERS
from backend.platform import audit, changes, clock, sheets, uploads
from backend.platform.sheets import csv_bytes
from backend.platform.uploads import HEADER_SCAN, cell_text, header_key
from backend.valuecard import grades

WORDS = {"优": 95.0, "优秀": 95.0, "良": 85.0, "良好": 85.0, "中": 75.0, "中等": 75.0, "及格": 65.0,
         "不及格": 50.0, "合格": 75.0, "通过": 75.0, "不合格": 50.0, "不通过": 50.0, "缺考": 0.0}
# (key, zh header, en header, required)
COLUMNS = [
    ("course_code", "课程代码", "course code", True), ("course_name", "课程名称", "course name", False),
    ("number", "学号", "student number", True), ("name", "姓名", "name", False),
    ("grade", "成绩", "grade", True), ("credits", "学分", "credits", False),
    ("makeup", "补考成绩", "make-up grade", False),
]
ALIASES = {
    "course_code": ["课程号", "课程编号", "课程编码", "课程代号", "course no", "course id"],
    "course_name": ["课程", "课程名", "course"],
    "number": ["学生学号", "student no", "student id"],
    "name": ["学生姓名", "student name"],
    "grade": ["总评成绩", "总评", "总成绩", "最终成绩", "期末总评", "综合成绩", "score"],
    "credits": ["课程学分", "credit"],
    "makeup": ["补考", "补考分数", "make-up"],
}
# Columns exports carry that the grade points do not use.
EXTRA = {"班级", "班级名称", "行政班", "学年", "学期", "学年学期", "开课学期", "课程性质", "课程类别", "考核方式",
         "考试性质", "任课教师", "教师", "绩点", "成绩绩点", "学时", "总学时", "平时成绩", "期中成绩", "期末成绩",
         "实验成绩", "重修成绩", "专业", "系部", "学院", "性别", "年级"}
MAX_CREDITS = 30
REFUSED = "成绩有误，未导入任何数据 / The grades have errors; nothing was imported"


def _names() -> dict[str, str]:
    names = {}
    for key, zh, en, _ in COLUMNS:
        for name in (zh, en, f"{zh} {en}", f"{zh}{en}", *ALIASES.get(key, ())):
            names[header_key(name)] = key
    return names


HEADER_NAMES = _names()
IGNORED = IGNORED_HEADERS | {header_key(h) for h in EXTRA}


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def err(self, row: dict | None, sheet: str, n: int, column: str, zh: str, en: str) -> None:
        self.errors.append({"sheet": sheet, "row": n, "column": column, "message": zh, "message_en": en,
                            "name": (row or {}).get("name", ""), "number": (row or {}).get("number", ""),
                            "course": (row or {}).get("course_name") or (row or {}).get("course_code", "")})


def _find_header(rows) -> int | None:
    for i, row in enumerate(rows[:HEADER_SCAN]):
        keys = {HEADER_NAMES.get(header_key(c)) for c in row}
        if {"course_code", "number", "grade"} <= keys:
            return i
    return None


def parse(filename: str, data: bytes) -> Parsed:
    parsed = Parsed()
    for sheet in uploads.read_table(filename, data, csv_sheet="成绩"):
        at = _find_header(sheet.rows)
        if at is None:
            if any(cell_text(v) for row in sheet.rows for v in row):
                parsed.err(None, sheet.name, 1, "", f"工作表“{sheet.name}”中找不到含课程代码、学号、成绩的表头（前{HEADER_SCAN}行）",
                           f"Sheet '{sheet.name}' has no header with 课程代码, 学号 and 成绩 in its first {HEADER_SCAN} rows")
            continue
        _read_sheet(sheet.name, sheet.rows, at, parsed)
    if not parsed.rows and not parsed.errors:
        raise Problem(422, "文件中没有成绩 / No grades found",
                      "The file needs a header row with 课程代码, 学号 and 成绩; download the template.")
    return parsed


def _read_sheet(sheet: str, rows, at: int, parsed: Parsed) -> None:
    index: dict[str, int] = {}
    for j, raw in enumerate(rows[at]):
        name = header_key(raw)
        if not name:
            continue
        key = HEADER_NAMES.get(name)
        if key is None and name not in IGNORED:
            parsed.err(None, sheet, at + 1, cell_text(raw), f"未知的列“{cell_text(raw)}”：请删除该列或使用模板中的列名",
                       f"Unknown column '{cell_text(raw)}': remove it or use the template's column names")
        elif key is not None and key in index:
            parsed.err(None, sheet, at + 1, cell_text(raw), f"“{cell_text(raw)}”列重复", f"Column '{cell_text(raw)}' appears twice")
        elif key is not None:
            index[key] = j
    for n, raw in enumerate(rows[at + 1:], start=at + 2):
        record = {key: cell_text(raw[i]) if i < len(raw) else "" for key, i in index.items()}
        if not any(record.values()):
            continue
        record["_sheet"], record["_row"] = sheet, n
        for key, zh, en, required in COLUMNS:
            if required and not record.get(key):
                parsed.err(record, sheet, n, zh, f"“{zh}”不能为空", f"'{en}' is required")
        parsed.rows.append(record)


def _grade(text: str) -> float | None:
    """A grade as a number 0–100, or None when it is neither a number in range nor a grade word."""
    if text in WORDS:
        return WORDS[text]
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= 100 else None


def check(actor: User, term: Term, parsed: Parsed) -> list[dict]:
    """The rows resolved (course, student, numbers), or a 422 naming every bad one; writes nothing."""
    errors = Parsed(errors=list(parsed.errors))
    courses = {c.code.lower(): c for c in db.session.scalars(select(Course))}
    numbers = {r["number"].lower() for r in parsed.rows if r.get("number")}
    students = {u.username.lower(): (u, p) for u, p in db.session.execute(
        select(User, StudentProfile).join(StudentProfile, StudentProfile.user_id == User.id)
        .where(func.lower(User.username).in_(numbers)))} if numbers else {}
    classes = {c.id: c for c in db.session.scalars(select(ClassGroup))}
    seen: dict[tuple, int] = {}
    out = []
    for r in parsed.rows:
        sheet, n = r["_sheet"], r["_row"]
        course = courses.get(r.get("course_code", "").lower())
        found = students.get(r.get("number", "").lower())
        if r.get("course_code") and course is None:
            errors.err(r, sheet, n, "课程代码", f"未知的课程代码“{r['course_code']}”",
                       f"Unknown course code '{r['course_code']}'")
        if r.get("number") and found is None:
            errors.err(r, sheet, n, "学号", f"未知的学号“{r['number']}”", f"Unknown student number '{r['number']}'")
        elif found and r.get("name") and r["name"] != found[0].display_name:
            errors.err(r, sheet, n, "姓名", f"学号{r['number']}是“{found[0].display_name}”，不是“{r['name']}”",
                       f"Student number {r['number']} is {found[0].display_name}, not {r['name']}")
        score = _grade(r.get("grade", ""))
        if r.get("grade") and score is None:
            errors.err(r, sheet, n, "成绩", f"成绩“{r['grade']}”应为0–100的数或优/良/中/及格/不及格",
                       f"Grade '{r['grade']}' must be a number 0–100 or 优/良/中/及格/不及格")
        makeup = _grade(r["makeup"]) if r.get("makeup") else None
        if r.get("makeup") and makeup is None:
            errors.err(r, sheet, n, "补考成绩", f"补考成绩“{r['makeup']}”应为0–100的数或等级",
                       f"Make-up grade '{r['makeup']}' must be a number 0–100 or a grade word")
        credits = None
        if r.get("credits"):
            try:
                credits = float(r["credits"])
                if not (math.isfinite(credits) and 0 < credits <= MAX_CREDITS):
                    raise ValueError
            except ValueError:
                errors.err(r, sheet, n, "学分", f"学分“{r['credits']}”应为0–{MAX_CREDITS}的数",
                           f"Credits '{r['credits']}' must be a number above 0 and at most {MAX_CREDITS}")
        if course is None or found is None:
            continue
        user, profile = found
        key = (course.id, user.id)
        if key in seen:
            errors.err(r, sheet, n, "学号", f"与第{seen[key]}行重复（同一课程同一学生）",
                       f"Duplicate of row {seen[key]} (same course and student)")
            continue
        seen[key] = n
        if not policy.imports_grade_of(actor, classes[profile.class_id], course.id, term.id):
            errors.err(r, sheet, n, "课程代码", "你无权导入该班该课程的成绩",
                       "You do not import this course's grades for this student's class")
            continue
        if score is not None:
            out.append({"course": course, "student": user, "class_id": profile.class_id, "score": score,
                        "mark": r["grade"][:8], "credits": credits, "makeup": makeup, "_row": n})
    if errors.errors:
        raise Problem(422, REFUSED, f"{len(errors.errors)} problem(s) found.",
                      errors=sorted(errors.errors, key=lambda e: (e["sheet"], e["row"], e["column"])))
    return out


def _plan(term: Term, rows: list[dict]) -> tuple[list, list, int]:
    """(new rows, (stored grade, row) pairs that change, unchanged count)."""
    stored = {(g.course_id, g.student_id): g for g in db.session.scalars(
        select(CourseGrade).where(CourseGrade.term_id == term.id,
                                  CourseGrade.student_id.in_({r["student"].id for r in rows})))} if rows else {}
    new, changed, same = [], [], 0
    for r in rows:
        old = stored.get((r["course"].id, r["student"].id))
        if old is None:
            new.append(r)
        elif (old.score, old.mark, old.credits, old.makeup_score) != (r["score"], r["mark"], r["credits"], r["makeup"]):
            changed.append((old, r))
        else:
            same += 1
    return new, changed, same


def _summary(term: Term, new, changed, same) -> dict:
    return {"term_id": term.id, "created": len(new), "updated": len(changed), "unchanged": same,
            "changes": [{"student_name": r["student"].display_name, "number": r["student"].username,
                         "course_code": r["course"].code, "course_name": r["course"].name,
                         "was": old.mark if old else None, "now": r["mark"]}
                        for old, r in [*((None, r) for r in new), *changed][:100]]}


def preview(actor: User, term: Term, filename: str, data: bytes) -> dict:
    """What an import of the file would do, or the 422 it would answer; nothing is written."""
    rows = check(actor, term, parse(filename, data))
    return {**_summary(term, *_plan(term, rows)), "applied": False,
            "takes_over": [r.point.code for r in grades.taken_over(term)]}


def import_grades(actor: User, term: Term, filename: str, data: bytes) -> dict:
    """Write every grade of the file in one transaction (the unique term-course-student constraint
    keeps one grade each), or nothing."""
    rows = check(actor, term, parse(filename, data))
    new, changed, same = _plan(term, rows)
    answer = {**_summary(term, new, changed, same), "applied": True}  # before the stored grades change
    answer["takes_over"] = grades.take_over(term, actor.id)
    now = clock.now()
    if new:  # one multi-row INSERT: a whole term's export is one statement, not one per grade
        db.session.execute(insert(CourseGrade), [
            {"term_id": term.id, "course_id": r["course"].id, "student_id": r["student"].id, "score": r["score"],
             "mark": r["mark"], "credits": r["credits"], "makeup_score": r["makeup"], "imported_by": actor.id,
             "imported_at": now} for r in new])
    for old, r in changed:
        old.score, old.mark, old.credits, old.makeup_score = r["score"], r["mark"], r["credits"], r["makeup"]
        old.imported_by, old.imported_at = actor.id, now
    db.session.flush()
    if new or changed:
        audit.record(actor.id, "grades.import", "term", str(term.id),
                     {"file": filename, "created": len(new), "updated": len(changed)})
        changes.touch("class", term.id, {r["class_id"] for r in [*new, *(r for _, r in changed)]})
    if answer["takes_over"]:  # every class's grade points now come from here
        changes.touch("class", term.id, set(db.session.scalars(select(StudentProfile.class_id).distinct())))
    return answer


EXAMPLE = ["C101", "高等数学", "2025010101", "张三", "86", "4", ""]


def _headers() -> list[str]:
    return [f"{zh} {en}" for _, zh, en, _ in COLUMNS]


def template_xlsx() -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "成绩"
    sheets.write_rows(ws, [_headers(), EXAMPLE])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    return csv_bytes(_headers(), [EXAMPLE])

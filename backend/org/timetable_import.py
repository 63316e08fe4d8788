"""Timetable import from the academic-affairs system's export (教务系统 课表), all or nothing.

The roster import's rules (org/roster.py): the header is found in the first rows by the names such
exports use, every row is checked before anything is written, any error answers one 422 listing
each row, column and value, and nothing is written. An unknown course code with a name is created
(教务 owns the course list; refusing it would make the admin type it twice); an unknown class or
teacher number is an error naming the row and the value: people and classes come from the roster.
Rows are grouped into offerings by (course, teacher); the 班级 cell may list merged classes
(separated by , 、 ; or space). Importing the same file again changes nothing: offerings are
matched on course and teacher, slots on all their fields. A preview (`apply=False`) answers the same
summary without writing.
"""
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import select

from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Course, CourseOffering, OfferingClass, Term, TimetableSlot, User
from backend.org import timetable
from backend.platform import audit, sheets, uploads
from backend.platform.sheets import csv_bytes
from backend.platform.uploads import HEADER_SCAN, cell_text, header_key

# (key, zh header, en header, required)
COLUMNS = [("code", "课程代码", "course code", True), ("course", "课程名称", "course name", False),
           ("classes", "班级", "classes", True), ("teacher", "教师工号", "teacher number", True),
           ("weekday", "星期", "weekday", True), ("periods", "节次", "periods", True),
           ("weeks", "周次", "weeks", True), ("room", "教室", "room", False)]
ALIASES = {"code": ["课程号", "课程编号", "课号"], "course": ["课程", "课程名"],
           "classes": ["上课班级", "教学班", "教学班级", "班级名称", "行政班", "合班"],
           "teacher": ["工号", "教工号", "任课教师工号", "教师编号"], "weekday": ["星期几", "上课星期", "周几"],
           "periods": ["上课节次", "节", "节数"], "weeks": ["上课周次", "起止周", "周"],
           "room": ["上课地点", "地点", "教室名称", "场地"]}
IGNORED = {"序号", "教师姓名", "教师", "任课教师", "学分", "学时", "总学时", "考核方式", "课程性质", "备注", "人数",
           "选课人数", "开课单位", "开课学院", "学年学期", "学期"}
REFUSED = "课表有误，未导入任何数据 / The timetable has errors; nothing was imported"


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str
    message_en: str






NAMES = {header_key(n): key for key, zh, en, _ in COLUMNS for n in (zh, en, *ALIASES.get(key, ()))}


def parse(filename: str, data: bytes) -> tuple[list[dict], list[RowError]]:
    rows: list[dict] = []
    errors: list[RowError] = []
    for sheet in uploads.read_table(filename, data):
        at = next((i for i, r in enumerate(sheet.rows[:HEADER_SCAN])
                   if sum(header_key(c) in NAMES for c in r) >= 3), None)
        if at is None:
            if any(cell_text(v) for r in sheet.rows for v in r):
                errors.append(RowError(1, "", sheet.name, f"工作表“{sheet.name}”中找不到课表表头（课程代码、班级、星期…）",
                                       f"Sheet '{sheet.name}' has no timetable header (课程代码, 班级, 星期, ...)"))
            continue
        index = {}
        for j, raw in enumerate(sheet.rows[at]):
            name = header_key(raw)
            if name and name not in NAMES and name not in IGNORED:
                errors.append(RowError(at + 1, cell_text(raw), cell_text(raw), f"未知的列“{cell_text(raw)}”：请删除该列或使用模板中的列名",
                                       f"Unknown column '{cell_text(raw)}': remove it or use the template's column names"))
            elif name in NAMES:
                index[NAMES[name]] = j
        missing = [(zh, en) for key, zh, en, required in COLUMNS if required and key not in index]
        for zh, en in missing:
            errors.append(RowError(at + 1, zh, "", f"缺少“{zh}”列", f"Missing column '{en}'"))
        if missing:
            continue
        for n, raw in enumerate(sheet.rows[at + 1:], start=at + 2):
            record = {key: cell_text(raw[j]) if j < len(raw) else "" for key, j in index.items()}
            if any(record.values()):
                rows.append({**record, "_row": n})
    if not rows and not errors:
        raise Problem(422, "文件中没有课表 / No timetable found",
                      "The file needs a header row with 课程代码, 班级, 教师工号, 星期, 节次, 周次; download the template.")
    return rows, errors


def _split_classes(text: str) -> list[str]:
    return [c for c in re.split(r"[,，、;；/\s]+", text) if c]


def check(term: Term, rows: list[dict], errors: list[RowError]) -> list[dict]:
    """Resolve every row or collect its errors; reads the database, writes nothing."""
    header = {key: zh for key, zh, _, _ in COLUMNS}
    classes = {n: i for i, n in db.session.execute(select(ClassGroup.id, ClassGroup.name))}
    teachers = {u.lower(): i for i, u in db.session.execute(select(User.id, User.username))}
    courses = {c.lower(): (i, n) for i, c, n in db.session.execute(select(Course.id, Course.code, Course.name))}
    out = []
    for r in rows:
        n, ok = r["_row"], True

        def bad(key, zh, en):
            nonlocal ok
            ok = False
            errors.append(RowError(n, header[key], r.get(key, ""), zh, en))

        for key, zh, en, required in COLUMNS:
            if required and not r.get(key):
                bad(key, f"“{zh}”不能为空", f"'{en}' is required")
        if not ok:
            continue
        if r["code"].lower() not in courses and not r.get("course"):
            bad("code", f"未知的课程代码“{r['code']}”，且没有课程名称可用于新建",
                f"Unknown course code '{r['code']}' and no course name to create it with")
        class_ids = []
        for name in _split_classes(r["classes"]):
            if name in classes:
                class_ids.append(classes[name])
            else:
                bad("classes", f"未知的班级“{name}”", f"Unknown class '{name}'")
        if r["teacher"].lower() not in teachers:
            bad("teacher", f"未知的教师工号“{r['teacher']}”", f"Unknown teacher number '{r['teacher']}'")
        parsed = {}
        for key, parse_ in (("weekday", timetable.parse_weekday), ("periods", timetable.parse_periods)):
            try:
                parsed[key] = parse_(r[key])
            except ValueError as exc:
                zh, _, en = str(exc).partition(" / ")
                bad(key, zh, en)
        try:
            parsed["mask"] = timetable.parse_weeks(r["weeks"], term.weeks)
        except ValueError as exc:
            zh, _, en = str(exc).partition(" / ")
            bad("weeks", zh, en)
        if ok:
            out.append({"row": n, "code": r["code"], "course_name": r.get("course") or courses[r["code"].lower()][1],
                        "course_id": courses.get(r["code"].lower(), (None,))[0], "class_ids": class_ids,
                        "teacher_id": teachers[r["teacher"].lower()], "weekday": parsed["weekday"],
                        "first_period": parsed["periods"][0], "last_period": parsed["periods"][1],
                        "weeks": r["weeks"], "week_mask": parsed["mask"], "room": r.get("room") or None})
    return out


def _refuse(errors: list[RowError]) -> None:
    raise Problem(422, REFUSED, f"{len(errors)} problem(s) found.",
                  errors=[e.__dict__ for e in sorted(errors, key=lambda e: (e.row, e.column))])


def import_timetable(actor: User, term: Term, filename: str, data: bytes, apply: bool) -> dict:
    rows, errors = parse(filename, data)
    checked = check(term, rows, errors)
    if errors:
        _refuse(errors)
    timetable.lock(term.id)
    school_id = term.school_id
    new_courses = {}
    for r in checked:
        if r["course_id"] is None and r["code"].lower() not in new_courses:
            course = Course(school_id=school_id, code=r["code"], name=r["course_name"])
            db.session.add(course)
            db.session.flush()
            new_courses[r["code"].lower()] = course.id
        r["course_id"] = r["course_id"] or new_courses[r["code"].lower()]
    # One offering per course, teacher and set of classes (merged classes are one set).
    # The term's offerings read once, keyed like the rows (one query, not one per row).
    stored = db.session.scalars(select(CourseOffering).where(CourseOffering.term_id == term.id)).all()
    members = timetable.offering_classes([o.id for o in stored])
    offerings: dict[tuple, CourseOffering] = {(o.course_id, o.teacher_id, frozenset(members[o.id])): o for o in stored}
    created_offerings = 0
    for r in checked:
        r["key"] = key = (r["course_id"], r["teacher_id"], frozenset(r["class_ids"]))
        if key not in offerings:
            offering = CourseOffering(term_id=term.id, course_id=key[0], teacher_id=key[1])
            db.session.add(offering)
            db.session.flush()
            db.session.add_all([OfferingClass(offering_id=offering.id, class_id=c) for c in key[2]])
            created_offerings += 1
            offerings[key] = offering
    db.session.flush()
    existing = {(s.offering_id, s.weekday, s.first_period, s.last_period, s.week_mask, s.room)
                for s in db.session.scalars(select(TimetableSlot).where(TimetableSlot.term_id == term.id))}
    new_slots, unchanged = [], 0
    for r in checked:
        oid = offerings[r["key"]].id
        key = (oid, r["weekday"], r["first_period"], r["last_period"], r["week_mask"], r["room"])
        if key in existing:
            unchanged += 1
            continue
        existing.add(key)
        new_slots.append((r, TimetableSlot(offering_id=oid, term_id=term.id, weekday=r["weekday"],
                                           first_period=r["first_period"], last_period=r["last_period"],
                                           room=r["room"], weeks=r["weeks"], week_mask=r["week_mask"])))
    clashes = timetable.overlaps(term, [(f"row{r['row']}", s, s.offering_id) for r, s in new_slots])
    if clashes:
        label = {"periods": "节次", "room": "教室"}
        for where, messages in clashes.items():
            row, field_ = where.removeprefix("row").split(".")
            value = next(r for r, _ in new_slots if r["row"] == int(row))
            for m in messages:
                zh, _, en = m.partition(" / ")
                errors.append(RowError(int(row), label[field_], f"{value['weeks']}" if field_ == "periods"
                                       else value["room"] or "", zh, en))
        _refuse(errors)
    summary = {"rows": len(checked), "courses_created": sorted(new_courses), "offerings_created": created_offerings,
               "slots_created": len(new_slots), "slots_unchanged": unchanged, "applied": apply,
               "preview": [{"row": r["row"], "course": r["course_name"], "classes": r["class_ids"],
                            "weekday": r["weekday"], "first_period": r["first_period"],
                            "last_period": r["last_period"], "weeks": r["weeks"], "room": r["room"]}
                           for r in checked[:200]]}
    if not apply:
        db.session.rollback()
        return summary
    db.session.add_all([s for _, s in new_slots])
    for key in {r["key"] for r in checked}:
        timetable.keep_assignments(actor.id, offerings[key], sorted(key[2]))
    audit.record(actor.id, "timetable.import", "term", str(term.id),
                 {k: v for k, v in summary.items() if k != "preview"} | {"file": filename})
    return summary


def template_rows() -> list[list[str]]:
    return [["GC001", "思想道德与法治", "计算机2401班", "T10005", "1", "1-2", "1-16周", "教学楼A101"],
            ["GC002", "高等数学", "计算机2401班,计算机2402班", "T10006", "3", "3-4", "1-8,10-16(单)", "教学楼B203"]]


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "课表"
    sheets.write_rows(ws, [[zh for _, zh, _, _ in COLUMNS], *template_rows()])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv() -> bytes:
    return csv_bytes([zh for _, zh, _, _ in COLUMNS], template_rows())


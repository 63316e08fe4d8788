"""Excel scoring sheets: download a class's sheet for a point and period with the students
filled in, type the values offline, upload it. The upload goes through the same batch
service as the API (validation, all or nothing); errors name the cell."""
import io
import math
import re

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from backend.errors import Problem
from backend.models import ClassGroup, ScoringRule, Term
from backend.org import directory
from backend.platform import sheets, uploads
from backend.valuecard import catalogue, ledger, occasions

SHEET = "采分表"
META = "meta"
FIRST_ROW = 4  # rows 1–3: title, rule, header
INVALID = "表格有误，未写入任何数据 / The sheet has errors; nothing was written"


def _hint(rule: ScoringRule) -> str:
    if rule.value_type == "level":
        return " / ".join(f"{i}={level['zh']}" for i, level in enumerate(rule.levels))
    if rule.value_type == "document":
        return "1=已提交 submitted, 0=未提交 missing"
    return f"{rule.min_value:g}–{rule.max_value:g}"


def build(cls: ClassGroup, term: Term, code: str, period: str | None, session_id: int | None = None) -> bytes:
    """`session_id`: the course meeting a per-meeting point's sheet is for (its day is the period);
    the upload records the values for that meeting."""
    rule = catalogue.rule(term, code)
    if rule.point.level != "individual" or rule.source != "entered":
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={"point": ["只能为录入型个人采分点生成表格 / Sheets are for entered individual points."]})
    meeting = None
    if session_id is not None:
        meeting = occasions.describe_sessions([session_id]).get(session_id)
        if meeting is None or rule.timing != occasions.COURSE_MEETING:
            raise Problem(422, "请求数据有误 / Invalid request data",
                          errors={"session_id": ["没有这节课，或该采分点不按课次录入 / No such meeting, or the point is not per meeting."]})
        period = f"day:{meeting['day'].isoformat()}"
    key = ledger.check_period(rule, term, period)
    if key is None:
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"period": ["期间不符合该采分点 / Wrong period for this point."]})
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    # Every cell through platform/sheets: a student's name is text, never a formula.
    sheets.write_rows(sheet, [
        [f"{cls.name} · {rule.point.code} {rule.point.name_zh} / {rule.point.name_en} · "
         f"{meeting['label_zh'] if meeting else key} · {term.name}"],
        [f"取值 / Values: {_hint(rule)}"], ["学号 Number", "姓名 Name", "值 Value", "备注 Note"]])
    students = directory.class_students(cls)
    sheets.write_rows(sheet, [[user.username, user.display_name, None, None] for _, user in students])
    low, high = rule.min_value, rule.max_value
    whole = rule.value_type in ("count", "level", "document")
    check = DataValidation(type="whole" if whole else "decimal", operator="between", formula1=f"{low:g}",
                           formula2=f"{high:g}", showErrorMessage=True, error=f"{low:g}–{high:g}")
    sheet.add_data_validation(check)
    check.add(f"C{FIRST_ROW}:C{FIRST_ROW + len(students)}")
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 12
    meta = book.create_sheet(META)
    sheets.write_rows(meta, [["class_id", "term_id", "point", "period", "session_id"],
                             [cls.id, term.id, rule.point.code, key, session_id]])
    meta.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse(cls: ClassGroup, data: bytes) -> tuple[dict, list[int]]:
    """The batch a filled sheet describes and the sheet row of each entry, or a 422 naming each bad cell."""
    # Read through platform/uploads: size, zip, rows and cells are bounded before openpyxl parses
    # (a zip bomb or a sheet declaring A1:XFD1048576 is a 413, never a stuck worker).
    found = {s.name: s.rows for s in uploads.read_xlsx(data)}
    meta = (found.get(META) or [])[1:2]
    if SHEET not in found or not meta or len(meta[0]) < 4:
        raise Problem(422, INVALID, errors={"file": [
            "请上传从本系统下载的采分表 / Upload a sheet downloaded from Spiral."]})
    sheet = found[SHEET]
    class_id, term_id, point, period, session_id = (list(meta[0]) + [None])[:5]  # older sheets have no session
    if class_id != cls.id:
        raise Problem(422, INVALID, errors={"file": ["这是其他班级的采分表 / This sheet is for another class."]})
    usernames = {u.username: p.user_id for p, u in directory.class_students(cls)}
    rows, cells, errors = [], [], {}
    for number, row in enumerate(sheet[FIRST_ROW - 1:], start=FIRST_ROW):
        username, _, value = (list(row) + [None] * 3)[:3]
        if value is None or str(value).strip() == "":
            continue  # a blank value: this student is not scored in this sheet
        student = usernames.get(str(username).strip() if username is not None else "")
        if student is None:
            errors[f"A{number}"] = ["不是本班学生 / Not a student of this class."]
            continue
        try:
            value = float(value)  # a date or a bool cell is a TypeError, "nan" and "inf" are not numbers
            if not math.isfinite(value):
                raise ValueError(value)
        except (TypeError, ValueError):
            errors[f"C{number}"] = ["应为数字 / Must be a number."]
            continue
        rows.append({"student_id": student, "value": value})
        cells.append(number)
    if not rows and not errors:
        errors["C"] = ["表中没有填写任何值 / No values were filled in."]
    if errors:
        raise Problem(422, INVALID, errors=errors)
    batch = {"term_id": term_id, "point": point, "period": period, "entries": rows}
    return {**batch, "session_id": int(session_id)} if isinstance(session_id, (int, float)) else batch, cells


def record(actor, batch: dict, cells: list[int]) -> dict:
    """Record a parsed sheet through the ledger; batch errors come back as cell references."""
    try:
        return ledger.record_batch(actor, directory.term_or_current(batch["term_id"]), batch)
    except Problem as problem:
        if problem.errors:
            problem.errors = {_cell(key, cells): msgs for key, msgs in problem.errors.items()}
        raise


def _cell(key: str, cells: list[int]) -> str:
    m = re.fullmatch(r"entries\[(\d+)\]\.(\w+)", key)
    if not m:
        return key
    return f"{'C' if m[2] == 'value' else 'A'}{cells[int(m[1])]}"

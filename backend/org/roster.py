"""Roster import: the student and staff lists a college exports, all or nothing.

A file is parsed and validated whole before anything is written; any error
answers 422 with every bad row and column and writes nothing. Rows are
matched on student or staff number, so importing the same file twice
changes nothing. Grants are only added: taking a role away is a deliberate
act, not a side effect of a shorter spreadsheet.
"""
import csv
import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from backend.auth import passwords
from backend.auth.roles import ALLOWED_SCOPES, ROLE_NAMES_ZH, Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Department,
    Major,
    RoleGrant,
    School,
    StaffProfile,
    StudentProfile,
    User,
)
from backend.platform import audit, sheets
from backend.platform.sheets import csv_bytes

# (key, zh header, en header, required)
STUDENT_COLUMNS = [
    ("department", "系部", "department", True), ("major", "专业", "major", True),
    ("class", "班级", "class", True), ("entry_year", "入学年份", "entry year", True),
    ("number", "学号", "student number", True), ("name", "姓名", "name", True),
    ("gender", "性别", "gender", False),
]
STAFF_COLUMNS = [
    ("number", "工号", "staff number", True), ("name", "姓名", "name", True),
    ("department", "所属系部", "home department", False), ("role", "角色", "role", True),
    ("scope", "范围", "scope", False),
]
SHEETS = {"students": ("学生", STUDENT_COLUMNS), "staff": ("教职工", STAFF_COLUMNS)}
GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
SCHOOL_WORDS = {"", "学校", "全校", "school"}
NUMBER = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
ROLE_BY_NAME = {**{r.value: r for r in Role}, **{zh: r for r, zh in ROLE_NAMES_ZH.items()}}


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str
    message_en: str


@dataclass
class Parsed:
    students: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# ---------------------------------------------------------------- reading files

def _rows_from_upload(filename: str, data: bytes) -> dict[str, list[list]]:
    """Sheets as lists of rows, keyed students/staff, from an .xlsx or a .csv."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise Problem(422, "无法读取文件 / Cannot read the file", str(exc)) from exc
        sheets = {}
        for ws in book.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            kind = _kind_of(rows[0] if rows else [])
            if kind:
                sheets[kind] = rows
        return sheets
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig", errors="replace")
        rows = [r for r in csv.reader(io.StringIO(text))]
        kind = _kind_of(rows[0] if rows else [])
        return {kind: rows} if kind else {}
    raise Problem(415, "文件类型不支持 / Unsupported file type", "Upload an .xlsx or a .csv file.")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _kind_of(header) -> str | None:
    cells = [_cell(c).lower() for c in header]
    if any("学号" in c or "student number" in c for c in cells):
        return "students"
    if any("工号" in c or "staff number" in c for c in cells):
        return "staff"
    return None


def _map_header(sheet: str, header, columns, errors) -> dict[str, int]:
    cells = [_cell(c).lower() for c in header]
    index = {}
    for key, zh, en, required in columns:
        found = next((i for i, c in enumerate(cells) if zh in c or en in c), None)
        if found is not None:
            index[key] = found
        elif required:
            errors.append(RowError(sheet, 1, zh, f"缺少“{zh}”列", f"Missing column '{en}'"))
    return index


def parse(filename: str, data: bytes) -> Parsed:
    sheets = _rows_from_upload(filename, data)
    if not sheets:
        raise Problem(422, "文件中没有名单 / No roster found",
                      "The file needs a header row with 学号 (students) or 工号 (staff); download the template.")
    parsed = Parsed()
    for kind, rows in sheets.items():
        sheet, columns = SHEETS[kind]
        index = _map_header(sheet, rows[0], columns, parsed.errors)
        if len(index) < sum(1 for c in columns if c[3]):
            continue
        for n, raw in enumerate(rows[1:], start=2):
            record = {key: _cell(raw[i]) if i < len(raw) else "" for key, i in index.items()}
            if not any(record.values()):
                continue
            record["_row"] = n
            for key, zh, en, required in columns:
                if required and not record.get(key):
                    parsed.errors.append(RowError(sheet, n, zh, f"“{zh}”不能为空", f"'{en}' is required"))
            getattr(parsed, kind).append(record)
    return parsed


# ---------------------------------------------------------------- validation

def _validate(parsed: Parsed) -> None:
    err = parsed.errors.append
    classes: dict[str, tuple] = {}
    existing_classes = {c.name: (c.major.department.name, c.major.name, c.entry_year)
                        for c in db.session.scalars(select(ClassGroup))}
    seen: dict[str, int] = {}
    for r in parsed.students:
        row, sheet = r["_row"], "学生"
        if r["number"] and not NUMBER.match(r["number"]):
            err(RowError(sheet, row, "学号", "学号只能包含字母、数字、-、_（3–32位）",
                         "Student number: 3–32 letters, digits, - or _"))
        if r["number"] in seen:
            err(RowError(sheet, row, "学号", f"学号与第{seen[r['number']]}行重复",
                         f"Duplicate student number (also on row {seen[r['number']]})"))
        seen[r["number"]] = row
        try:
            year = int(r["entry_year"])
            if not 2000 <= year <= 2100:
                raise ValueError
            r["entry_year"] = year
        except ValueError:
            if r["entry_year"]:
                err(RowError(sheet, row, "入学年份", "入学年份应为四位年份", "Entry year must be a four-digit year"))
            continue
        gender = r.get("gender", "")
        if gender and gender.lower() not in GENDERS:
            err(RowError(sheet, row, "性别", "性别应为“男”或“女”", "Gender must be 男 or 女 (M/F)"))
        placement = (r["department"], r["major"], r["entry_year"])
        known = classes.setdefault(r["class"], existing_classes.get(r["class"], placement))
        if known != placement:
            err(RowError(sheet, row, "班级", "同一班级的系部、专业或入学年份不一致",
                         "This class appears with another department, major or entry year"))
    staff_numbers = {u for u, in db.session.execute(
        select(User.username).join(StaffProfile, StaffProfile.user_id == User.id))}
    student_numbers = {u for u, in db.session.execute(
        select(User.username).join(StudentProfile, StudentProfile.user_id == User.id))}
    for r in parsed.students:
        if r["number"] in staff_numbers:
            err(RowError("学生", r["_row"], "学号", "该号码已是教职工工号", "This number belongs to a staff member"))
    departments = {d for d, in db.session.execute(select(Department.name))} | {r["department"] for r in parsed.students}
    class_names = set(existing_classes) | set(classes)
    for r in parsed.staff:
        row, sheet = r["_row"], "教职工"
        if r["number"] and not NUMBER.match(r["number"]):
            err(RowError(sheet, row, "工号", "工号只能包含字母、数字、-、_（3–32位）", "Staff number: 3–32 letters, digits, - or _"))
        if r["number"] in student_numbers or r["number"] in seen:
            err(RowError(sheet, row, "工号", "该号码已是学生学号", "This number belongs to a student"))
        if r.get("department") and r["department"] not in departments:
            err(RowError(sheet, row, "所属系部", "系部不存在", "Unknown department"))
        role = ROLE_BY_NAME.get(r["role"])
        if role is None or role == Role.STUDENT:
            err(RowError(sheet, row, "角色", "未知的教职工角色", "Unknown staff role"))
            continue
        scope_text = r.get("scope", "")
        if scope_text.lower() in SCHOOL_WORDS:
            scope = Scope.SCHOOL
        elif scope_text in class_names:
            scope = Scope.CLASS
        elif scope_text in departments:
            scope = Scope.DEPARTMENT
        else:
            err(RowError(sheet, row, "范围", "范围应为班级名、系部名或“学校”", "Scope must be a class, a department or 学校"))
            continue
        if scope not in ALLOWED_SCOPES[role]:
            allowed = "、".join(sorted(ALLOWED_SCOPES[role]))
            err(RowError(sheet, row, "范围", f"该角色的范围只能是：{allowed}", f"This role can only be scoped to: {allowed}"))
        r["role"], r["scope_type"] = role, scope


# ---------------------------------------------------------------- writing

_RANK = {"unchanged": 0, "updated": 1, "created": 2}


def _worst(*outcomes: str) -> str:
    """A person created and then updated in one file was created."""
    return max(outcomes, key=_RANK.__getitem__)


def _count(outcomes) -> dict:
    counts = dict.fromkeys(_RANK, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    return counts


def import_roster(filename: str, data: bytes, actor_id: int) -> dict:
    parsed = parse(filename, data)
    _validate(parsed)
    if parsed.errors:
        raise Problem(422, "名单有误，未导入任何数据 / The roster has errors; nothing was imported",
                      f"{len(parsed.errors)} problem(s) found.",
                      errors=[e.__dict__ for e in sorted(parsed.errors, key=lambda e: (e.sheet, e.row))])
    writer = _Writer()
    result = {"students": writer.students(parsed.students), "staff": writer.staff(parsed.staff),
              "credentials": writer.credentials}
    audit.record(actor_id, "roster.import", "roster", filename,
                 {"students": result["students"], "staff": result["staff"]})
    db.session.commit()
    return result


class _Writer:
    def __init__(self):
        self.school = db.session.scalar(select(School).limit(1))
        if self.school is None:
            self.school = School(code="default", name="本校")
            db.session.add(self.school)
            db.session.flush()
        self.depts = {d.name: d for d in db.session.scalars(select(Department))}
        self.majors = {(m.department_id, m.name): m for m in db.session.scalars(select(Major))}
        self.classes = {c.name: c for c in db.session.scalars(select(ClassGroup))}
        self.credentials: list[dict] = []

    def _dept(self, name: str) -> Department:
        if name not in self.depts:
            self.depts[name] = Department(school_id=self.school.id, name=name)
            db.session.add(self.depts[name])
            db.session.flush()
        return self.depts[name]

    def _class(self, r: dict) -> ClassGroup:
        if r["class"] not in self.classes:
            dept = self._dept(r["department"])
            major = self.majors.get((dept.id, r["major"]))
            if major is None:
                major = self.majors[(dept.id, r["major"])] = Major(department_id=dept.id, name=r["major"])
                db.session.add(major)
                db.session.flush()
            self.classes[r["class"]] = ClassGroup(name=r["class"], major_id=major.id, department_id=dept.id,
                                                  entry_year=r["entry_year"])
            db.session.add(self.classes[r["class"]])
            db.session.flush()
        return self.classes[r["class"]]

    def _user(self, number: str, name: str) -> tuple[User, str]:
        user = db.session.scalar(select(User).where(User.username == number))
        if user is None:
            initial = passwords.random_password()
            user = User(username=number, display_name=name, password_hash=passwords.hash_password(initial),
                        must_change_password=True)
            db.session.add(user)
            db.session.flush()
            self.credentials.append({"username": number, "display_name": name, "initial_password": initial})
            return user, "created"
        if user.display_name != name:
            user.display_name = name
            return user, "updated"
        return user, "unchanged"

    def students(self, rows: list[dict]) -> dict:
        outcomes = []
        for r in rows:
            cls = self._class(r)
            user, outcome = self._user(r["number"], r["name"])
            gender = GENDERS.get(r.get("gender", "").lower())
            profile = db.session.get(StudentProfile, user.id)
            if profile is None:
                db.session.add(StudentProfile(user_id=user.id, class_id=cls.id, gender=gender))
            elif (profile.class_id, profile.gender) != (cls.id, gender):
                profile.class_id, profile.gender = cls.id, gender
                outcome = _worst(outcome, "updated")
            if not any(g.role == Role.STUDENT for g in user.grants):
                user.grants.append(RoleGrant(role=Role.STUDENT, scope_type=Scope.CLASS, scope_id=cls.id))
            outcomes.append(outcome)
        return _count(outcomes)

    def staff(self, rows: list[dict]) -> dict:
        outcomes: dict[str, str] = {}  # one person may have several rows, one per role
        for r in rows:
            user, outcome = self._user(r["number"], r["name"])
            outcome = _worst(outcomes.get(r["number"], outcome), outcome)
            dept_id = self.depts[r["department"]].id if r.get("department") else None
            profile = db.session.get(StaffProfile, user.id)
            if profile is None:
                db.session.add(StaffProfile(user_id=user.id, department_id=dept_id))
                db.session.flush()
            elif dept_id is not None and profile.department_id != dept_id:
                profile.department_id = dept_id
                outcome = _worst(outcome, "updated")
            scope_id = self._scope_id(r["scope_type"], r["scope"])
            if (r["role"], r["scope_type"], scope_id) not in {(g.role, g.scope_type, g.scope_id) for g in user.grants}:
                user.grants.append(RoleGrant(role=r["role"], scope_type=r["scope_type"], scope_id=scope_id))
                outcome = _worst(outcome, "updated")
            if r["role"] == Role.HEAD_TEACHER:
                self.classes[r["scope"]].head_teacher_id = user.id
            outcomes[r["number"]] = outcome
        return _count(outcomes.values())

    def _scope_id(self, scope_type: str, name: str) -> int:
        if scope_type == Scope.SCHOOL:
            return self.school.id
        if scope_type == Scope.DEPARTMENT:
            return self._dept(name).id
        return self.classes[name].id


# ---------------------------------------------------------------- templates

EXAMPLE_STUDENT = ["信息工程系", "软件技术", "软件2501班", 2025, "2025010101", "张三", "男"]
EXAMPLE_STAFF = ["T20010", "李老师", "信息工程系", "班主任", "软件2501班"]


def _headers(columns) -> list[str]:
    return [f"{zh} {en}" for _, zh, en, _ in columns]


def template_xlsx() -> bytes:
    book = Workbook()
    for i, (kind, (sheet, columns)) in enumerate(SHEETS.items()):
        ws = book.active if i == 0 else book.create_sheet()
        ws.title = sheet
        sheets.write_rows(ws, [_headers(columns), EXAMPLE_STUDENT if kind == "students" else EXAMPLE_STAFF])
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(kind: str) -> bytes:
    _, columns = SHEETS[kind]
    return csv_bytes(_headers(columns), [EXAMPLE_STUDENT if kind == "students" else EXAMPLE_STAFF])

"""Roster import: the student and staff lists a college exports, all or nothing.

A file is read whole (platform/uploads.py bounds it first), every sheet is read or refused by
name, and every row is validated before anything is written; any error answers one 422 listing
each bad sheet, row and column, and writes nothing. Real workbooks are messy: a merged title row
or notes above the header, a two-row header, extra columns such as 序号 or 身份证号. So the header
is looked for in the first rows of each sheet by the names the templates write (zh, en or both,
plus common variants); known extra columns are named in IGNORED_HEADERS and not imported; any
other column is refused, never guessed. Rows are matched on student or staff number (case does
not matter), so importing the same file twice changes nothing. Grants are only added: taking a
role away is a deliberate act, not a side effect of a shorter spreadsheet.

New accounts need an Argon2 hash each (about 0.1 s): hashing happens outside any transaction,
and an import with many new accounts runs as a background job (jobs/roster.py).
"""
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from backend.auth import passwords
from backend.auth.roles import ALLOWED_SCOPES, ROLE_NAMES_ZH, Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ChannelAccount,
    ClassGroup,
    Department,
    Major,
    RoleGrant,
    School,
    StaffProfile,
    StudentProfile,
    User,
)
from backend.models.channel import EXTERNAL_ID, ID_PROBLEM, normalise_external_id
from backend.org import membership, onboarding
from backend.platform import audit, sheets, uploads
from backend.platform.sheets import csv_bytes
from backend.platform.uploads import HEADER_SCAN, cell_text, header_key

# (key, zh header, en header, required)
# Optional on both sheets: the person's userid in WeCom / DingTalk, for alerts there (notify/channels).
CHANNEL_COLUMNS = [("wecom", "企业微信账号", "WeCom userid", False), ("dingtalk", "钉钉账号", "DingTalk userid", False)]
CHANNEL_HEADER = {key: zh for key, zh, _, _ in CHANNEL_COLUMNS}
# Optional on both sheets: whether the person may still log in with a password while campus sign-in
# (CAS) is on (auth/password_login.py); a blank cell changes nothing.
PASSWORD_LOGIN_COLUMN = ("password_login", "密码登录", "password login", False)
PASSWORD_LOGIN_VALUES = {"允许": True, "是": True, "allowed": True, "yes": True,
                         "禁止": False, "否": False, "denied": False, "no": False, "默认": None, "default": None}
STUDENT_COLUMNS = [
    ("department", "系部", "department", True), ("major", "专业", "major", True),
    ("class", "班级", "class", True), ("entry_year", "入学年份", "entry year", True),
    ("number", "学号", "student number", True), ("name", "姓名", "name", True),
    ("gender", "性别", "gender", False),
    *CHANNEL_COLUMNS,
    PASSWORD_LOGIN_COLUMN,
]
STAFF_COLUMNS = [
    ("number", "工号", "staff number", True), ("name", "姓名", "name", True),
    ("department", "所属系部", "home department", False), ("role", "角色", "role", True),
    ("scope", "范围", "scope", True),
    *CHANNEL_COLUMNS,
    PASSWORD_LOGIN_COLUMN,
]
SHEETS = {"students": ("学生", STUDENT_COLUMNS), "staff": ("教职工", STAFF_COLUMNS)}
CHANNEL_ALIASES = {"wecom": ["企业微信", "企业微信id", "企业微信userid", "企微账号", "wecom", "wecom id"],
                   "dingtalk": ["钉钉", "钉钉id", "钉钉userid", "dingtalk", "dingtalk id"]}
# Other names colleges' exports give the same columns (compared after _norm).
ALIASES = {
    "students": {
        "department": ["系", "系别", "院系", "学院", "二级学院", "所属系部", "所在系部", "dept"],
        "major": ["专业名称", "所学专业"],
        "class": ["班级名称", "行政班", "行政班级", "所在班级", "班别", "class name"],
        "entry_year": ["年级", "入学年度", "入学年", "grade"],
        "number": ["学生学号", "student no", "student no.", "student id"],
        "name": ["学生姓名", "student name"],
        "gender": ["sex"],
        **CHANNEL_ALIASES,
        "password_login": ["账号密码登录", "允许密码登录"],
    },
    "staff": {
        "number": ["教工号", "职工号", "教职工号", "staff no", "staff no.", "staff id"],
        "name": ["教师姓名", "教职工姓名", "staff name"],
        "department": ["系部", "部门", "所在部门", "所在系部", "department"],
        "role": ["角色名称"],
        "scope": ["管理范围", "负责范围"],
        **CHANNEL_ALIASES,
        "password_login": ["账号密码登录", "允许密码登录"],
    },
}
# Columns real exports carry that Spiral does not import (an ID number is never stored).
IGNORED_HEADERS = {
    "序号", "编号", "no", "no.", "#", "身份证号", "身份证号码", "身份证", "id number", "id card",
    "联系电话", "电话", "手机", "手机号", "手机号码", "phone", "mobile", "备注", "说明", "note", "notes",
    "remark", "remarks", "出生日期", "出生年月", "生日", "birth date", "date of birth", "民族", "ethnicity",
    "政治面貌", "籍贯", "宿舍", "宿舍号", "家庭住址", "家庭地址", "住址", "address", "邮箱", "电子邮箱",
    "email", "e-mail", "学籍号", "职称", "title", "学制", "层次", "培养层次", "生源地", "qq", "微信",
}
GENDERS = {"男": "M", "女": "F", "男性": "M", "女性": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
SCHOOL_WORDS = {"学校", "全校", "本校", "school"}
NUMBER = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
TEXT_MAX = 120  # the database's name columns (user, department, major, class)
ROLE_BY_NAME = {**{r.value: r for r in Role}, **{zh: r for r, zh in ROLE_NAMES_ZH.items()}}
REFUSED = "名单有误，未导入任何数据 / The roster has errors; nothing was imported"


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







def _names(kind: str) -> dict[str, str]:
    names = {}
    for key, zh, en, _ in SHEETS[kind][1]:
        for name in (zh, en, f"{zh} {en}", f"{zh}{en}", *ALIASES[kind].get(key, ())):
            names[header_key(name)] = key
    return names


HEADER_NAMES = {kind: _names(kind) for kind in SHEETS}


def _find_header(rows) -> tuple[str, int] | None:
    """The kind of list and the index of its header row: the first of the first HEADER_SCAN rows
    holding the key column (学号 or 工号) and at least one other known column."""
    for i, row in enumerate(rows[:HEADER_SCAN]):
        cells = [header_key(c) for c in row]
        for kind, names in HEADER_NAMES.items():
            keys = [names.get(c) for c in cells]
            if "number" in keys and sum(k is not None for k in keys) >= 2:
                return kind, i
    return None


def _header(rows, kind: str, at: int) -> tuple[list, int]:
    """The header cells and the index of the first data row. A second header row (labels under a
    merged group heading such as 联系方式 → 电话, 邮箱) fills in the cells it has."""
    header, start = list(rows[at]), at + 1
    names = HEADER_NAMES[kind]
    if start < len(rows):
        below = [(j, header_key(v)) for j, v in enumerate(rows[start]) if cell_text(v)]
        key = next(j for j, v in enumerate(header) if names.get(header_key(v)) == "number")
        if below and all(n in names or n in IGNORED_HEADERS for _, n in below) and \
                not (key < len(rows[start]) and cell_text(rows[start][key])):
            header += [None] * (len(rows[start]) - len(header))
            for j, _ in below:
                header[j] = rows[start][j]
            start += 1
    return header, start


def _bad_text(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _read_sheet(sheet: str, kind: str, rows, at: int, parsed: Parsed) -> None:
    err = parsed.errors.append
    _, columns = SHEETS[kind]
    names = HEADER_NAMES[kind]
    header, start = _header(rows, kind, at)
    header_row = start  # the (last) header row, 1-based
    index: dict[str, int] = {}
    known: set[int] = set()
    for j, raw in enumerate(header):
        name = header_key(raw)
        if not name:
            continue
        known.add(j)
        key = names.get(name)
        if key is None and name not in IGNORED_HEADERS:
            err(RowError(sheet, header_row, cell_text(raw), f"未知的列“{cell_text(raw)}”：请删除该列或使用模板中的列名",
                         f"Unknown column '{cell_text(raw)}': remove it or use the template's column names"))
        elif key is not None and key in index:
            err(RowError(sheet, header_row, cell_text(raw), f"“{cell_text(raw)}”列重复（另见第{get_column_letter(index[key] + 1)}列）",
                         f"Column '{cell_text(raw)}' appears twice (also column {get_column_letter(index[key] + 1)})"))
        elif key is not None:
            index[key] = j
    missing = [(zh, en) for key, zh, en, required in columns if required and key not in index]
    for zh, en in missing:
        err(RowError(sheet, header_row, zh, f"缺少“{zh}”列", f"Missing column '{en}'"))
    headless: set[int] = set()
    for n, raw in enumerate(rows[start:], start=start + 1):
        for j, value in enumerate(raw):
            if j not in known and j not in headless and cell_text(value):
                headless.add(j)
                letter = get_column_letter(j + 1)
                err(RowError(sheet, n, letter, f"第{letter}列有数据但没有列名", f"Column {letter} has values but no header"))
        if missing:
            continue  # rows cannot be judged without their columns
        record = {key: cell_text(raw[i]) if i < len(raw) else "" for key, i in index.items()}
        if not any(record.values()):
            continue  # a blank row, or one with only a 序号
        record["_sheet"], record["_row"] = sheet, n
        for key, zh, en, required in columns:
            value = record.get(key, "")
            if required and not value:
                err(RowError(sheet, n, zh, f"“{zh}”不能为空", f"'{en}' is required"))
            elif _bad_text(value):
                err(RowError(sheet, n, zh, f"“{zh}”含有控制字符", f"'{en}' contains control characters"))
            elif len(value) > TEXT_MAX:
                err(RowError(sheet, n, zh, f"“{zh}”过长（最多{TEXT_MAX}字）", f"'{en}' is too long (at most {TEXT_MAX})"))
        getattr(parsed, kind).append(record)


def parse(filename: str, data: bytes) -> Parsed:
    """Every sheet read or refused by name; the rows of every student and staff sheet found."""
    found = uploads.read_table(filename, data)
    parsed = Parsed()
    for sheet in found:
        located = _find_header(sheet.rows)
        if located is None:
            if any(cell_text(v) for row in sheet.rows for v in row):
                parsed.errors.append(RowError(
                    sheet.name, 1, "", f"工作表“{sheet.name}”中找不到学号或工号的表头（前{HEADER_SCAN}行）：请删除该表或使用模板",
                    f"Sheet '{sheet.name}' has no header with 学号 or 工号 in its first {HEADER_SCAN} rows: "
                    "remove the sheet or use the template"))
            continue  # an empty sheet has nothing to import
        kind, at = located
        name = SHEETS[kind][0] if filename.lower().endswith(".csv") else sheet.name
        _read_sheet(name, kind, sheet.rows, at, parsed)
    if not parsed.students and not parsed.staff and not parsed.errors:
        raise Problem(422, "文件中没有名单 / No roster found",
                      "The file needs a header row with 学号 (students) or 工号 (staff); download the template.")
    return parsed


# ---------------------------------------------------------------- validation

def _entry_year(text: str) -> int:
    year = int(text.removesuffix("级").removesuffix("年"))
    if not 2000 <= year <= 2100:
        raise ValueError(text)
    return year


def check(parsed: Parsed) -> Parsed:
    """The validated rows (copies: roles, scopes and years resolved), or a 422 naming every bad one.
    Reads the database, writes nothing; safe to run again just before writing."""
    checked = Parsed(students=[dict(r) for r in parsed.students], staff=[dict(r) for r in parsed.staff],
                     errors=list(parsed.errors))
    _validate(checked)
    if checked.errors:
        # Each error also names the person on its row, so the importer finds the row by name.
        names = {(r["_sheet"], r["_row"]): r.get("name", "") for r in [*parsed.students, *parsed.staff]}
        raise Problem(422, REFUSED, f"{len(checked.errors)} problem(s) found.",
                      errors=[{**e.__dict__, "name": names.get((e.sheet, e.row), "")}
                              for e in sorted(checked.errors, key=lambda e: (e.sheet, e.row, e.column))])
    return checked


def _validate(parsed: Parsed) -> None:
    err = parsed.errors.append
    classes: dict[str, tuple] = {}
    existing_classes = {c.name: (c.major.department.name, c.major.name, c.entry_year)
                        for c in db.session.scalars(select(ClassGroup))}
    seen: dict[str, tuple[str, int]] = {}  # a number, lower case -> where it first appeared

    def where(place: tuple[str, int], sheet: str) -> tuple[str, str]:
        other, row = place
        return ((f"第{row}行", f"row {row}") if other == sheet else
                (f"“{other}”表第{row}行", f"sheet '{other}' row {row}"))

    for r in parsed.students:
        row, sheet, key = r["_row"], r["_sheet"], r["number"].lower()
        if r["number"] and not NUMBER.match(r["number"]):
            err(RowError(sheet, row, "学号", "学号只能包含字母、数字、-、_（3–32位）",
                         "Student number: 3–32 letters, digits, - or _"))
        if key and key in seen:
            zh, en = where(seen[key], sheet)
            err(RowError(sheet, row, "学号", f"学号与{zh}重复", f"Duplicate student number (also on {en})"))
        elif key:
            seen[key] = (sheet, row)
        try:
            r["entry_year"] = _entry_year(r["entry_year"])
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
    staff_numbers = {u.lower() for u, in db.session.execute(
        select(User.username).join(StaffProfile, StaffProfile.user_id == User.id))}
    student_numbers = {u.lower() for u, in db.session.execute(
        select(User.username).join(StudentProfile, StudentProfile.user_id == User.id))}
    for r in parsed.students:
        if r["number"].lower() in staff_numbers:
            err(RowError(r["_sheet"], r["_row"], "学号", "该号码已是教职工工号", "This number belongs to a staff member"))
    # Login ignores case: a number spelled in another case than an account's or an earlier row's
    # (t10042 beside T10042) is refused, neither merged nor made a second account (one error a cell).
    spelled = {u.lower(): u for u, in db.session.execute(select(User.username))}
    for r in [*parsed.students, *parsed.staff]:
        first, column = spelled.setdefault(r["number"].lower(), r["number"]), "工号" if "role" in r else "学号"
        if first != r["number"] and not any((e.sheet, e.row, e.column) == (r["_sheet"], r["_row"], column)
                                            for e in parsed.errors):
            err(RowError(r["_sheet"], r["_row"], column, f"与“{first}”仅大小写不同，请统一写法",
                         f"Differs from '{first}' only in case; write it the same way"))
    _validate_channel_ids(parsed)
    _validate_password_login(parsed)
    departments = {d for d, in db.session.execute(select(Department.name))} | {r["department"] for r in parsed.students}
    class_names = set(existing_classes) | set(classes)
    people: dict[str, tuple[str, str, int]] = {}  # staff number, lower case -> (name, sheet, row)
    grants: dict[tuple, tuple[str, int]] = {}
    for r in parsed.staff:
        row, sheet, key = r["_row"], r["_sheet"], r["number"].lower()
        if r["number"] and not NUMBER.match(r["number"]):
            err(RowError(sheet, row, "工号", "工号只能包含字母、数字、-、_（3–32位）", "Staff number: 3–32 letters, digits, - or _"))
        if key in student_numbers or key in seen:
            err(RowError(sheet, row, "工号", "该号码已是学生学号", "This number belongs to a student"))
        if key and key in people and people[key][0] != r["name"]:
            zh, en = where(people[key][1:], sheet)
            err(RowError(sheet, row, "姓名", f"同一工号在{zh}的姓名不同", f"This staff number has another name on {en}"))
        elif key:
            people.setdefault(key, (r["name"], sheet, row))
        grant = (key, r["role"], r.get("scope", ""))
        if key and grant in grants:
            zh, en = where(grants[grant], sheet)
            err(RowError(sheet, row, "角色", f"与{zh}重复", f"Duplicate of {en}"))
        grants.setdefault(grant, (sheet, row))
        if r.get("department") and r["department"] not in departments:
            err(RowError(sheet, row, "所属系部", "系部不存在", "Unknown department"))
        role = ROLE_BY_NAME.get(r["role"]) or ROLE_BY_NAME.get(r["role"].lower())
        if role is None or role == Role.STUDENT:
            if r["role"]:
                err(RowError(sheet, row, "角色", "未知的教职工角色", "Unknown staff role"))
            continue
        scope_text = r.get("scope", "")
        if not scope_text:
            continue  # already refused as required: a blank scope is never the whole school
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
            continue
        r["role"], r["scope_type"] = role, scope


def _validate_password_login(parsed: Parsed) -> None:
    for r in [*parsed.students, *parsed.staff]:
        value = r.get("password_login", "")
        if value and value.lower() not in PASSWORD_LOGIN_VALUES:
            parsed.errors.append(RowError(r["_sheet"], r["_row"], "密码登录", "应为“允许”“禁止”或“默认”",
                                          "Must be 允许 (allowed), 禁止 (denied) or 默认 (default)"))


def _validate_channel_ids(parsed: Parsed) -> None:
    """WeCom / DingTalk userids: well formed, one person per id in the file, and not another
    person's already (the database's unique constraint stays the last word)."""
    err = parsed.errors.append
    for channel, column in CHANNEL_HEADER.items():
        linked = {external: owner for external, owner in db.session.execute(
            select(ChannelAccount.external_id, User.username).join(User, User.id == ChannelAccount.user_id)
            .where(ChannelAccount.channel == channel))}
        owners: dict[str, tuple[str, str, int]] = {}  # id -> (number, sheet, row) of its first row
        for r in [*parsed.students, *parsed.staff]:
            value = normalise_external_id(channel, r.get(channel))
            if value is None:
                continue
            if not EXTERNAL_ID.match(value):
                zh, _, en = ID_PROBLEM.partition(" / ")
                err(RowError(r["_sheet"], r["_row"], column, zh, en))
                continue
            number = r["number"].lower()
            first = owners.setdefault(value, (number, r["_sheet"], r["_row"]))
            if first[0] != number:
                other = "本表" if first[1] == r["_sheet"] else f"“{first[1]}”表"
                err(RowError(r["_sheet"], r["_row"], column, f"与{other}第{first[2]}行重复：一个账号只能关联一人",
                             f"Also on row {first[2]} of sheet '{first[1]}': one account, one person"))
            elif linked.get(value, r["number"]).lower() != number:
                err(RowError(r["_sheet"], r["_row"], column, f"该账号已关联到 {linked[value]}",
                             f"Already linked to {linked[value]}"))
            r[channel] = value


# ---------------------------------------------------------------- writing

_RANK = {"unchanged": 0, "updated": 1, "created": 2}
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _worst(*outcomes: str) -> str:
    """A person created and then updated in one file was created."""
    return max(outcomes, key=_RANK.__getitem__)


def _count(outcomes) -> dict:
    counts = dict.fromkeys(_RANK, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    return counts


def new_accounts(checked: Parsed) -> dict[str, str]:
    """The numbers (lower case) of the people the import would create, with their names."""
    existing = {u.lower() for u in db.session.scalars(select(User.username))}
    wanted = {}
    for r in [*checked.students, *checked.staff]:
        if r["number"].lower() not in existing:
            wanted.setdefault(r["number"].lower(), r["name"])
    return wanted


def prepare(filename: str, data: bytes) -> tuple[Parsed, Parsed]:
    """The file read and validated (no hashing, no writes): (as read, as checked), or a 422."""
    parsed = parse(filename, data)
    return parsed, check(parsed)


def import_roster(filename: str, data: bytes, actor_id: int, progress: Progress | None = None,
                  parsed: Parsed | None = None) -> dict:
    """Validate, hash the new accounts' passwords outside any transaction, then validate again and
    write everything in one transaction (a change made meanwhile is seen, never half-applied)."""
    if parsed is None:
        parsed, checked = prepare(filename, data)
    else:
        checked = check(parsed)
    wanted = new_accounts(checked)
    db.session.rollback()  # no transaction (SQLite: no write lock) is held while hashing
    hashes: dict[str, tuple[str, str]] = {}
    for done, number in enumerate(wanted, start=1):
        initial = passwords.random_password()
        hashes[number] = (initial, passwords.hash_password(initial))
        if progress and (done % 10 == 0 or done == len(wanted)):
            progress("hashing", done, len(wanted))
    checked = check(parsed)
    if progress:
        progress("writing", 0, len(checked.students) + len(checked.staff))
    writer = _Writer(hashes)
    result = {"students": writer.students(checked.students), "staff": writer.staff(checked.staff),
              "classes": writer.per_class(), "credentials": writer.credentials}
    audit.record(actor_id, "roster.import", "roster", filename,
                 {"students": result["students"], "staff": result["staff"]})
    db.session.commit()
    result["slips_id"] = onboarding.keep(actor_id, writer.credentials, "import")
    if progress:
        progress("done", len(checked.students) + len(checked.staff), len(checked.students) + len(checked.staff))
    return result


class _Writer:
    def __init__(self, hashes: dict[str, tuple[str, str]] | None = None):
        self.school = db.session.scalar(select(School).limit(1))
        if self.school is None:
            self.school = School(code="default", name="本校")
            db.session.add(self.school)
            db.session.flush()
        self.depts = {d.name: d for d in db.session.scalars(select(Department))}
        self.majors = {(m.department_id, m.name): m for m in db.session.scalars(select(Major))}
        self.classes = {c.name: c for c in db.session.scalars(select(ClassGroup))}
        self.hashes = hashes or {}
        self.credentials: list[dict] = []
        self.class_outcomes: dict[str, list[str]] = {}

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
        user = db.session.scalar(select(User).where(func.lower(User.username) == number.lower()))
        if user is None:
            initial, hashed = self.hashes.pop(number.lower(), None) or _fresh_password()
            user = User(username=number, display_name=name, password_hash=hashed, must_change_password=True)
            db.session.add(user)
            db.session.flush()
            self.credentials.append({"username": number, "display_name": name, "initial_password": initial})
            return user, "created"
        if user.display_name != name:
            user.display_name = name
            return user, "updated"
        return user, "unchanged"

    @staticmethod
    def _channel_ids(user: User, r: dict) -> bool:
        """Link the user to the row's WeCom / DingTalk ids (a blank cell changes nothing); whether anything changed."""
        changed = False
        for channel in CHANNEL_HEADER:
            value = r.get(channel) or None
            if value is None:
                continue
            account = db.session.scalar(select(ChannelAccount).where(ChannelAccount.user_id == user.id,
                                                                     ChannelAccount.channel == channel))
            if account is None:
                db.session.add(ChannelAccount(user_id=user.id, channel=channel, external_id=value))
            elif account.external_id != value:
                account.external_id = value
            else:
                continue
            changed = True
        if changed:
            db.session.flush()
        return changed

    @staticmethod
    def _password_login(user: User, r: dict) -> bool:
        """The row's password-login choice (a blank cell changes nothing); whether it changed."""
        value = r.get("password_login", "")
        if not value or user.password_login is PASSWORD_LOGIN_VALUES[value.lower()]:
            return False
        user.password_login = PASSWORD_LOGIN_VALUES[value.lower()]
        return True

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
                if profile.class_id != cls.id:  # a correction of the class on file, not a move on a date
                    membership.correct(profile.user_id, cls.id)
                profile.class_id, profile.gender = cls.id, gender
                outcome = _worst(outcome, "updated")
            if not any(g.role == Role.STUDENT for g in user.grants):
                user.grants.append(RoleGrant(role=Role.STUDENT, scope_type=Scope.CLASS, scope_id=cls.id))
            if self._channel_ids(user, r):
                outcome = _worst(outcome, "updated")
            if self._password_login(user, r):
                outcome = _worst(outcome, "updated")
            outcomes.append(outcome)
            self.class_outcomes.setdefault(cls.name, []).append(outcome)
        return _count(outcomes)

    def per_class(self) -> list[dict]:
        """What the import did to each class's students, classes in name order."""
        return [{"class_name": name, **_count(found)} for name, found in sorted(self.class_outcomes.items())]

    def staff(self, rows: list[dict]) -> dict:
        outcomes: dict[str, str] = {}  # one person may have several rows, one per role
        for r in rows:
            user, outcome = self._user(r["number"], r["name"])
            outcome = _worst(outcomes.get(r["number"].lower(), outcome), outcome)
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
            if self._channel_ids(user, r):
                outcome = _worst(outcome, "updated")
            if self._password_login(user, r):
                outcome = _worst(outcome, "updated")
            outcomes[r["number"].lower()] = outcome
        return _count(outcomes.values())

    def _scope_id(self, scope_type: str, name: str) -> int:
        if scope_type == Scope.SCHOOL:
            return self.school.id
        if scope_type == Scope.DEPARTMENT:
            return self._dept(name).id
        return self.classes[name].id


def _fresh_password() -> tuple[str, str]:
    initial = passwords.random_password()
    return initial, passwords.hash_password(initial)


# ---------------------------------------------------------------- templates

EXAMPLE_STUDENT = ["信息工程系", "软件技术", "软件2501班", 2025, "2025010101", "张三", "男", "", "", ""]
EXAMPLE_STAFF = ["T20010", "李老师", "信息工程系", "班主任", "软件2501班", "", "", ""]


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

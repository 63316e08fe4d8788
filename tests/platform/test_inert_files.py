"""Every file the app generates is inert (issue 18, must show 3).

Students, a class, a department, a scoring point, goals and an audit entry carry a formula, text
that a spreadsheet reads as a formula, and control characters (written straight to the database:
input refuses control characters now, but rows stored before that remain). Then every download
that shows them is fetched by a role that may: the class scoring sheet, the class, department and
school reports (CSV, XLSX) and their diagnosis analysis (XLSX, PDF), the student's development
report and the teacher's yearly report (XLSX, PDF), the audit log (CSV), the roster templates.
No answer is a 500, no XLSX cell is a formula (text that starts like one is a text cell with
Excel's quote prefix, the text unchanged), no CSV field starts like a formula unless it is a
number (text gets a leading apostrophe), control characters come out as U+FFFD, and file names
travel in an ASCII-only Content-Disposition with an RFC 5987 `filename*`.
"""
import csv
import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend import demo
from backend.extensions import db
from backend.models import Attachment, ClassGroup, Department, PortfolioItem, ScoringPoint, User
from backend.org import directory
from backend.platform import audit, clock, sheets
from backend.reporting import rollups
from tests.helpers import build_college, login, make_plan

FORMULA = '=HYPERLINK("http://x","y")'
ARITHMETIC = "-2+3"
VERTICAL_TAB = "张\x0b三"
VERTICAL_TAB_OUT = "张\ufffd三"
CLASS_NAME = '=1+1 软件"班\x0b'
DEPT_NAME = "@部门\x0c"
POINT_NAME = "+cmd|' /C calc'!A0"
TEACHER_NAME = "+SUM(1,2)老师"
GOAL_TITLE = "=IMPORTXML(\"http://x\",\"//a\")"
AUDIT_FILE = '=HYPERLINK("http://x","名单")\x0b.xlsx'
ATTACHMENT_NAME = '证书"; filename=evil.exe\r\n\x0b/../奖状.pdf'  # stored before uploads were checked

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DISPOSITION = re.compile(r"""attachment; filename="([A-Za-z0-9._-]+)"; filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]+)""")


@pytest.fixture
def poisoned(app, client):
    accounts = build_college(students=150)
    demo.fill_history(clock.school_today())
    term = directory.current_term(clock.school_today())
    rollups.rebuild(term)
    db.session.commit()
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    head_h = login(client, accounts["head_teacher"])
    report = client.get(f"/api/v1/reports/class/{cls.id}", headers=head_h).json
    flagged = max(report["under_warning"], key=lambda u: len(u["students"]))
    assert len(flagged["students"]) >= 3, "the demo history flags students in the head teacher's class"
    students = [db.session.get(User, s["id"]) for s in flagged["students"][:3]]
    for user, name in zip(students, (FORMULA, ARITHMETIC, VERTICAL_TAB), strict=True):
        user.display_name = name
    plan = make_plan(students[0])
    plan.goals[0].title = GOAL_TITLE
    cls.name = CLASS_NAME
    db.session.get(Department, cls.department_id).name = DEPT_NAME
    db.session.scalar(select(ScoringPoint).where(ScoringPoint.code == flagged["metric"])).name_zh = POINT_NAME
    admin = db.session.scalar(select(User).where(User.username == accounts["school_admin"]["username"]))
    audit.record(admin.id, "roster.import", "roster", AUDIT_FILE, {"rows": 3})
    item = PortfolioItem(owner_id=head.id, kind="honour", title="优秀教师", occurred_on=clock.school_today())
    item.attachments.append(Attachment(filename=ATTACHMENT_NAME, content_type="application/pdf", size=5,
                                       sha256="1" * 64, data=b"%PDF-"))
    db.session.add(item)
    db.session.commit()
    # Staff choose their own display name (a student's comes from the roster).
    renamed = client.patch("/api/v1/me", headers=head_h, json={"display_name": TEACHER_NAME})
    assert renamed.status_code == 200, renamed.json
    ids = {"class": cls.id, "dept": cls.department_id, "school": cls.major.department.school_id,
           "students": [s.id for s in students], "head": head.id, "attachment": item.attachments[0].id}
    db.session.rollback()
    return {"accounts": accounts, "ids": ids, "head": head_h, "admin": login(client, accounts["school_admin"]),
            "student": login(client, {"username": students[0].username, "password": accounts["student"]["password"]})}


def fetch(client, url, headers, fmt):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet", "pdf": "application/pdf"}[fmt]
    header = response.headers["Content-Disposition"]
    header.encode("ascii")  # nothing but ASCII in the header itself
    found = DISPOSITION.fullmatch(header)
    assert found, header
    fallback, name = found[1], unquote(found[2])
    assert fallback.endswith(f".{fmt}") and name.endswith(f".{fmt}")
    assert not CONTROL.search(name) and not set('/\\"') & set(name), name
    return response.data, name


def xlsx_texts(data: bytes) -> list[str]:
    """Every text cell of every sheet, after checking that no cell is a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # the stored XML itself: no <f> element in any sheet
        for part in z.namelist():
            if part.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", z.read(part)), part
    texts = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert c.data_type == "s" and not CONTROL.search(c.value), (ws.title, c.coordinate, c.value)
                    if c.value.startswith(TRIGGERS):
                        assert c.quotePrefix, (ws.title, c.coordinate, c.value)
                    texts.append(c.value)
    return texts


def csv_fields(data: bytes) -> list[str]:
    """Every field, after checking that none starts like a formula unless it is a number."""
    fields = [f for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for f in row]
    for f in fields:
        assert not CONTROL.search(f), f
        if f.startswith(TRIGGERS):
            float(f)  # a negative number is a number; text starting so has an apostrophe
    return fields


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def has(texts: list[str], start: str) -> bool:
    return any(t.startswith(start) for t in texts)


def test_every_download_is_inert(client, poisoned):
    ids, head, admin = poisoned["ids"], poisoned["head"], poisoned["admin"]
    student_id = ids["students"][0]

    # The class scoring sheet: names exactly as stored, as text; the title starts with the class name.
    data, name = fetch(client, f"/api/v1/classes/{ids['class']}/scoring-sheet?point=S-A-06&period=day:2026-11-20",
                       head, "xlsx")
    texts = xlsx_texts(data)
    assert {FORMULA, ARITHMETIC, VERTICAL_TAB_OUT} <= set(texts) and has(texts, "=1+1 软件\"班\ufffd")
    assert name.startswith("=1+1 软件_班_")

    # Class, department and school reports, CSV and XLSX, and their diagnosis analysis.
    for unit, headers in (("class", head), ("department", admin), ("school", admin)):
        base = f"/api/v1/reports/{unit}/{ids[unit if unit != 'department' else 'dept']}"
        fields = csv_fields(fetch(client, f"{base}/export?format=csv", headers, "csv")[0])
        assert "'" + POINT_NAME in fields and POINT_NAME not in fields
        texts = xlsx_texts(fetch(client, f"{base}/export?format=xlsx", headers, "xlsx")[0])
        assert POINT_NAME in texts
        texts = xlsx_texts(fetch(client, f"{base}/diagnosis?format=xlsx", headers, "xlsx")[0])
        assert has(texts, POINT_NAME)
        assert POINT_NAME in pdf_text(fetch(client, f"{base}/diagnosis?format=pdf", headers, "pdf")[0])
        if unit == "class":  # the names of students under the warning value: the head teacher's view
            assert has(texts_of_report := xlsx_texts(fetch(client, f"{base}/export?format=xlsx", headers, "xlsx")[0]),
                       FORMULA + "、")
            assert any(ARITHMETIC in t and VERTICAL_TAB_OUT in t for t in texts_of_report)
        if unit == "department":  # classes side by side
            assert has(xlsx_texts(fetch(client, f"{base}/export?format=xlsx", headers, "xlsx")[0]), "=1+1 软件")
        if unit == "school":  # departments side by side
            assert "@部门\ufffd" in xlsx_texts(fetch(client, f"{base}/export?format=xlsx", headers, "xlsx")[0])

    # The student's development report (to the student and the head teacher) and the teacher's yearly one.
    for sid, headers in ((student_id, poisoned["student"]), (ids["students"][2], head)):
        base = f"/api/v1/students/{sid}/development-report"
        texts = xlsx_texts(fetch(client, f"{base}?format=xlsx", headers, "xlsx")[0])
        text = pdf_text(fetch(client, f"{base}?format=pdf", headers, "pdf")[0])
        if sid == student_id:
            assert has(texts, FORMULA + " ") and GOAL_TITLE in texts and FORMULA in text
        else:
            assert has(texts, VERTICAL_TAB_OUT) and "张" in text
    base = f"/api/v1/teachers/{ids['head']}/yearly-report"
    data, name = fetch(client, f"{base}?format=xlsx", head, "xlsx")
    assert has(xlsx_texts(data), TEACHER_NAME) and name.startswith(TEACHER_NAME)
    assert TEACHER_NAME in pdf_text(fetch(client, f"{base}?format=pdf", head, "pdf")[0])

    # The audit log: the stored file name is text; the roster templates have nothing live either.
    fields = csv_fields(fetch(client, "/api/v1/audit?format=csv", admin, "csv")[0])
    assert "'" + AUDIT_FILE.replace("\x0b", "\ufffd") in fields
    xlsx_texts(fetch(client, "/api/v1/roster/template?format=xlsx", admin, "xlsx")[0])
    for kind in ("students", "staff"):
        csv_fields(fetch(client, f"/api/v1/roster/template?format=csv&kind={kind}", admin, "csv")[0])

    # A portfolio attachment keeps its owner's file name, minus what could end the header or be a path.
    assert fetch(client, f"/api/v1/attachments/{ids['attachment']}", head, "pdf")[1] == \
        "证书_; filename=evil.exe_.._奖状.pdf"


def test_the_writer_keeps_numbers_and_neutralises_text():
    """Numbers stay numbers (a negative one is not a formula); a string "-5" is text and is
    prefixed like any text; control characters and lone surrogates become U+FFFD."""
    assert [sheets.inert(v) for v in (-5, 2.5, None, "-5", "=1+1", "@x", "\tx", "\rx", "+1", "a-b", "a\x00b\ud800")] == \
        [-5, 2.5, None, "'-5", "'=1+1", "'@x", "'\tx", "'\rx", "'+1", "a-b", "a\ufffdb\ufffd"]
    data = sheets.csv_bytes(["=h"], [[-5, "-5", "=1+1"]])
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [["'=h"], ["-5", "'-5", "'=1+1"]]
    from openpyxl import Workbook
    book = Workbook()
    sheets.append(book.active, [-5, "-5", "=1+1", "#N/A", "x\x0by"])
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in row] == [
        (-5, "n", False), ("-5", "s", True), ("=1+1", "s", True), ("#N/A", "s", False), ("x\ufffdy", "s", False)]

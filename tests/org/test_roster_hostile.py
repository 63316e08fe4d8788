"""Roster and scoring-sheet uploads as a careless administrator and an attacker make them (issue 18).

Messy real-world workbooks (a merged title row above the header, extra columns, a second sheet)
are mapped or refused whole, naming every bad sheet, row and column; nothing is ever half
imported. Spreadsheets are bounded before they are parsed: a zip bomb or a sheet that declares
A1:XFD1048576 answers quickly in bounded memory. Large imports run as a background job.
"""
import io
import logging
import re
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.auth.passwords import hash_password
from backend.auth.roles import Role, Scope
from backend.extensions import db
from backend.models import ClassGroup, RoleGrant, School, StaffProfile, StudentProfile, User
from tests.helpers import assert_problem, build_college, login, run_worker, upload_roster, writing

HEADER = ["序号", "系部", "专业", "班级", "入学年份", "学号*", "姓名", "性别", "身份证号", "联系电话", "备注"]
STAFF_HEADER = ["工号", "姓名", "所属系部", "角色", "范围"]


def student(i: int, cls: str = "新能源2601班") -> list:
    return [i, "汽车工程系", "新能源汽车技术", cls, 2026, f"20269901{i:02d}", f"学生{i}", "男" if i % 2 else "女",
            f"3301022008010{i:05d}", f"1380000{i:04d}", None]


STAFF = [["T90001", "周老师", "汽车工程系", "班主任", "新能源2601班"],
         ["T90002", "吴老师", "汽车工程系", "辅导员", "汽车工程系"]]


def book_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def messy(students, staff=None, title="学生名单", students_title="2026级新生") -> bytes:
    """A college export: a merged title row and a notes row above the header, ID and phone columns."""
    book = Workbook()
    ws = book.active
    ws.title = students_title
    ws.append([f"汽车工程系 2026 级{title}"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(["制表日期：2026年9月1日", None, None, None, None, None, None, None, None, "单位：人"])
    ws.append(HEADER)
    for row in students:
        ws.append(row)
    if staff is not None:
        ws2 = book.create_sheet("教职工")
        ws2.append(STAFF_HEADER)
        for row in staff:
            ws2.append(row)
    return book_bytes(book)


def simple(header, rows, title="教职工") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    return book_bytes(book)


def counts():
    return (db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(RoleGrant)))


def located(body) -> set:
    return {(e["sheet"], e["row"], e["column"]) for e in body["errors"]}


# ---------------------------------------------------------------- messy workbooks

def test_header_below_a_merged_title_row_is_found_and_mapped(client, admin):
    before = counts()
    response = upload_roster(client, admin, messy([student(i) for i in range(1, 11)], STAFF))
    assert response.status_code == 200, response.json
    assert response.json["students"]["created"] == 10 and response.json["staff"]["created"] == 2
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.name == "新能源2601班"))
    assert cls.entry_year == 2026 and cls.major.name == "新能源汽车技术"
    assert db.session.scalar(select(User.display_name).where(User.username == "2026990103")) == "学生3"
    assert counts()[0] == before[0] + 12


def test_a_bad_row_under_a_title_row_is_named_by_sheet_row_and_column(client, admin):
    rows = [student(i) for i in range(1, 11)]
    rows[4][4] = "二〇二六"   # sheet row 8 (title, notes, header, then data from row 4)
    rows[6][7] = "未知"       # sheet row 10
    before = counts()
    body = assert_problem(upload_roster(client, admin, messy(rows)), 422)
    assert located(body) == {("2026级新生", 8, "入学年份"), ("2026级新生", 10, "性别")}
    assert counts() == before


def test_a_valid_staff_sheet_beside_a_bad_student_sheet_writes_nothing(client, admin):
    """Before: the student sheet (title row above its header) was skipped and the staff imported: 200."""
    rows = [student(i) for i in range(1, 11)]
    rows[2][5] = ""  # a missing student number, sheet row 6
    staff = [["T90001", "周老师", "信息工程系", "辅导员", "信息工程系"]]  # valid on its own
    before = counts()
    body = assert_problem(upload_roster(client, admin, messy(rows, staff)), 422)
    assert located(body) == {("2026级新生", 6, "学号")}
    assert counts() == before
    assert db.session.scalar(select(User).where(User.username == "T90001")) is None


def test_every_sheet_is_read_or_refused_by_name(client, admin):
    book = Workbook()
    book.active.title = "说明"
    book.active.append(["请按模板填写"])
    students = book.create_sheet("学生")
    students.append(HEADER)
    students.append(student(1))
    book.create_sheet("Sheet3")  # empty: ignored
    before = counts()
    body = assert_problem(upload_roster(client, admin, book_bytes(book)), 422)
    assert located(body) == {("说明", 1, "")}
    assert "说明" in body["errors"][0]["message"] and "说明" in body["errors"][0]["message_en"]
    assert counts() == before


def test_students_on_two_sheets_are_both_imported_and_a_duplicate_across_them_is_named(client, admin):
    book = Workbook()
    a = book.active
    a.title = "新能源2601班"
    a.append(HEADER)
    for i in range(1, 4):
        a.append(student(i))
    b = book.create_sheet("新能源2602班")
    b.append(HEADER)
    for i in range(4, 7):
        b.append(student(i, "新能源2602班"))
    b.append(student(2, "新能源2602班"))  # row 5: the number of 新能源2601班 row 3
    before = counts()
    body = assert_problem(upload_roster(client, admin, book_bytes(book)), 422)
    assert located(body) == {("新能源2602班", 5, "学号")}
    assert "新能源2601班" in body["errors"][0]["message"]
    assert counts() == before
    b.delete_rows(5)
    response = upload_roster(client, admin, book_bytes(book))
    assert response.status_code == 200 and response.json["students"]["created"] == 6


def test_a_two_row_header_under_a_merged_group_heading(client, admin):
    book = Workbook()
    ws = book.active
    ws.title = "学生"
    ws.append(["序号", "系部", "专业", "班级", "入学年份", "学号", "姓名", "联系方式", None])
    ws.append([None, None, None, None, None, None, None, "电话", "邮箱"])
    ws.merge_cells("H1:I1")
    for c in "ABCDEFG":
        ws.merge_cells(f"{c}1:{c}2")
    ws.append([1, "汽车工程系", "新能源汽车技术", "新能源2601班", 2026, "2026990101", "学生1", "13800000001", "a@b.cn"])
    response = upload_roster(client, admin, book_bytes(book))
    assert response.status_code == 200, response.json
    assert response.json["students"]["created"] == 1


def test_unknown_columns_and_headless_data_are_refused_by_name(client, admin):
    rows = [student(i) + [None] for i in range(1, 4)]
    rows[1][11] = "多出来的"  # sheet row 5, column L, under no header
    book = Workbook()
    ws = book.active
    ws.title = "学生"
    ws.append(["学生名单"])
    ws.append(HEADER[:8] + ["家长姓名"] + HEADER[9:])  # 家长姓名 is not 姓名, and not imported
    for row in rows:
        ws.append(row)
    before = counts()
    body = assert_problem(upload_roster(client, admin, book_bytes(book)), 422)
    assert located(body) == {("学生", 2, "家长姓名"), ("学生", 4, "L")}
    assert counts() == before


def test_staff_scope_blank_unknown_and_unknown_scope_column_are_422_and_grant_nothing(client, admin):
    before = counts()
    staff = [["T90011", "郑老师", "", "学工办", ""],            # row 2: blank scope, never the whole school
             ["T90012", "王老师", "", "辅导员", "火星系"],        # row 3: unknown scope
             ["T90013", "冯老师", "", "班主任", "新能源9999班"]]  # row 4: unknown class
    body = assert_problem(upload_roster(client, admin, simple(STAFF_HEADER, staff)), 422)
    assert located(body) == {("教职工", 2, "范围"), ("教职工", 3, "范围"), ("教职工", 4, "范围")}
    assert counts() == before
    # A scope split into two columns the template does not have: refused by name, not guessed.
    header = ["工号", "姓名", "所属系部", "角色", "范围类型", "范围"]
    rows = [["T90014", "陈老师", "", "学工办", "学校", "学校"], ["T90015", "褚老师", "", "辅导员", "系部", ""]]
    body = assert_problem(upload_roster(client, admin, simple(header, rows)), 422)
    assert located(body) == {("教职工", 1, "范围类型"), ("教职工", 3, "范围")}
    # And no scope column at all.
    body = assert_problem(upload_roster(client, admin, simple(STAFF_HEADER[:4], [["T90016", "卫老师", "", "学工办"]])), 422)
    assert located(body) == {("教职工", 1, "范围")}
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(StaffProfile).join(
        User, User.id == StaffProfile.user_id).where(User.username.like("T9001%"))) == 0


def test_duplicate_staff_rows_and_numbers_in_another_case(client, admin):
    staff = [["T90001", "周老师", "汽车工程系", "辅导员", "汽车工程系"],
             ["T90001", "周老师", "汽车工程系", "辅导员", "汽车工程系"],   # row 3: the same grant twice
             ["t90001", "赵老师", "汽车工程系", "任课教师", "汽车工程系"]]  # row 4: same number, other name
    body = assert_problem(upload_roster(client, admin, simple(STAFF_HEADER, staff)), 422)
    assert {("教职工", 3, "角色"), ("教职工", 4, "姓名")} <= located(body)


def test_control_characters_and_overlong_names_are_refused(client, admin):
    rows = [student(i) for i in range(1, 4)]
    rows[1][6] = "长" * 121  # past the database's 120: a 500 on PostgreSQL before
    body = assert_problem(upload_roster(client, admin, messy(rows)), 422)
    assert located(body) == {("2026级新生", 5, "姓名")}
    text = "系部,专业,班级,入学年份,学号,姓名\n汽车工程系,新能源汽车技术,新能源2601班,2026,2026990101,张\x0b三\n"
    body = assert_problem(upload_roster(client, admin, text.encode(), "students.csv"), 422)
    assert located(body) == {("学生", 2, "姓名")}


def test_the_held_out_kind_of_workbook_is_mapped_or_refused_whole(client, admin):
    """Title, notes, extra columns, a trailing signature line: the signature row is named, nothing written."""
    book = Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["XX职业技术学院学生花名册"])
    ws.merge_cells("A1:K1")
    ws.append([])
    ws.append(["序号", "学号 student number", "姓名 name", "性别", "系部", "专业名称", "班级名称", "年级", "民族",
               "政治面貌", "备注"])
    for i in range(1, 6):
        ws.append([i, f"2026990{i:03d}", f"学生{i}", "女", "汽车工程系", "新能源汽车技术", "新能源2601班", "2026级",
                   "汉族", "团员", None])
    ws.append([])
    ws.append([None, "制表人：王老师", None, None, None, None, None, None, None, None, "审核：李老师"])
    ws.append(["共5人"])  # only in 序号, a column not imported: nothing to read
    before = counts()
    body = assert_problem(upload_roster(client, admin, book_bytes(book)), 422)
    assert {e["row"] for e in body["errors"]} == {10}
    assert counts() == before
    ws.delete_rows(10)
    response = upload_roster(client, admin, book_bytes(book))
    assert response.status_code == 200, response.json
    assert response.json["students"]["created"] == 5


# ---------------------------------------------------------------- text encodings

@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig", "utf-16"])
def test_csv_encodings_are_detected(client, admin, encoding):
    text = "系部,专业,班级,入学年份,学号,姓名\r\n" + "\r\n".join(
        f"汽车工程系,新能源汽车技术,新能源2601班,2026,20269901{i:02d},张{'三四五'[i - 1]}" for i in range(1, 4))
    response = upload_roster(client, admin, text.encode(encoding), "students.csv")
    assert response.status_code == 200, response.json
    assert db.session.scalar(select(User.display_name).where(User.username == "2026990102")) == "张四"
    assert db.session.scalar(select(ClassGroup.name).where(ClassGroup.name == "新能源2601班")) == "新能源2601班"


def test_undecodable_or_binary_csv_is_a_422(client, admin):
    assert_problem(upload_roster(client, admin, b"\xff\xfe\xfd" * 50 + b"\x81", "students.csv"), 422)
    assert_problem(upload_roster(client, admin, "学号,姓名\n1\x00,2\n".encode(), "students.csv"), 422)


# ---------------------------------------------------------------- hostile files

def _replace_member(data: bytes, name: str, content: bytes | None = None, writer=None) -> bytes:
    """The same xlsx with one member replaced (or streamed by `writer`)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info.filename))
        if writer is not None:
            with target.open(name, "w") as member:
                writer(member)
        else:
            target.writestr(name, content)
    return out.getvalue()


BOMBED = "xl/worksheets/sheet1.xml"


def zip_bomb(data: bytes, megabytes: int = 64) -> bytes:
    """A valid workbook whose first sheet inflates to `megabytes`: one cell of zeros (~1000:1)."""
    def write(member):
        member.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
        chunk = b"0" * (1 << 20)
        for _ in range(megabytes):
            member.write(chunk)
        member.write(b"</t></is></c></row></sheetData></worksheet>")
    return _replace_member(data, BOMBED, writer=write)


def lying_bomb(data: bytes) -> bytes:
    """A bomb whose zip headers declare 1 KB for a member that inflates to 32 MB."""
    bomb = bytearray(zip_bomb(data, 32))
    name = BOMBED.encode()
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = bomb.find(signature)
        while at != -1:
            if bomb[at + name_at:at + name_at + len(name)] == name:
                bomb[at + size_at:at + size_at + 4] = (1024).to_bytes(4, "little")
            at = bomb.find(signature, at + 4)
    return bytes(bomb)


def declared_dimension(data: bytes, sheet: str = "xl/worksheets/sheet1.xml", ref="A1:XFD1048576") -> bytes:
    xml = zipfile.ZipFile(io.BytesIO(data)).read(sheet).decode()
    return _replace_member(data, sheet, re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', xml).encode())


def far_cell(data: bytes, ref: str) -> bytes:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    row = int(re.sub(r"[A-Z]", "", ref))
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    return _replace_member(data, "xl/worksheets/sheet1.xml", xml.replace("</sheetData>", cell + "</sheetData>").encode())


def bounded(call, seconds=5.0, megabytes=80):
    """The response, checked to come within `seconds` and `megabytes` of Python allocations."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = call()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, elapsed
    assert peak < megabytes * (1 << 20), peak
    return response


def test_a_zip_bomb_is_refused_quickly_in_bounded_memory(client, admin):
    bomb = zip_bomb(messy([student(1)]))
    assert len(bomb) < 200_000  # 64 MB inside
    before = counts()
    response = bounded(lambda: upload_roster(client, admin, bomb))
    assert_problem(response, 413)
    response = bounded(lambda: upload_roster(client, admin, lying_bomb(messy([student(1)]))))
    assert_problem(response, 422)  # the member inflates past its declared size: a CRC error, never more
    assert counts() == before


def test_a_huge_declared_dimension_costs_nothing(client, admin):
    """Before: a 5 KB file declaring A1:XFD1048576 drove a worker to 2.8 GB."""
    data = declared_dimension(messy([student(i) for i in range(1, 6)]))
    assert len(data) < 10_000
    response = bounded(lambda: upload_roster(client, admin, data))
    assert response.status_code == 200, response.json  # the dimension is not believed: mapped as it is
    assert response.json["students"]["created"] == 5


def test_real_cells_past_the_limits_are_413(client, admin):
    base = messy([student(i) for i in range(1, 6)])
    assert_problem(bounded(lambda: upload_roster(client, admin, far_cell(base, "XFD9"))), 413)
    assert_problem(bounded(lambda: upload_roster(client, admin, far_cell(base, "A1048576"))), 413)


def test_upload_limits_are_settings(app, client, admin):
    data = messy([student(i) for i in range(1, 11)])
    app.config["UPLOAD_MAX_ROWS"] = 8
    assert_problem(upload_roster(client, admin, data), 413)
    app.config["UPLOAD_MAX_ROWS"], app.config["UPLOAD_MAX_CELLS"] = 20000, 50
    assert_problem(upload_roster(client, admin, data), 413)
    app.config["UPLOAD_MAX_CELLS"], app.config["UPLOAD_MAX_BYTES"] = 400000, len(data) - 1
    assert_problem(upload_roster(client, admin, data), 413)
    app.config["UPLOAD_MAX_BYTES"], app.config["UPLOAD_MAX_UNCOMPRESSED_BYTES"] = 5 << 20, 20_000
    assert_problem(upload_roster(client, admin, data), 413)


# ---------------------------------------------------------------- the scoring sheet upload

@pytest.fixture
def sheet(app, client):
    accounts = build_college(students=30)
    class_id = db.session.scalar(select(StudentProfile.class_id).join(User, User.id == StudentProfile.user_id)
                                 .where(User.username == accounts["student"]["username"]))
    db.session.rollback()
    teacher = login(client, accounts["course_teacher"])
    url = f"/api/v1/classes/{class_id}/scoring-sheet"
    response = client.get(f"{url}?point=S-A-06&period=day:2026-11-20", headers=teacher)
    assert response.status_code == 200
    return {"teacher": teacher, "url": url, "data": response.data}


def upload_sheet(client, sheet, data: bytes):
    return client.post(sheet["url"], headers=writing(sheet["teacher"]),
                       data={"file": (io.BytesIO(data), "sheet.xlsx")}, content_type="multipart/form-data")


def test_scoring_sheet_upload_has_the_same_limits(app, client, sheet):
    assert_problem(bounded(lambda: upload_sheet(client, sheet, zip_bomb(sheet["data"]))), 413)
    assert_problem(bounded(lambda: upload_sheet(client, sheet, lying_bomb(sheet["data"]))), 422)
    assert_problem(bounded(lambda: upload_sheet(client, sheet, far_cell(sheet["data"], "XFD100"))), 413)
    assert_problem(bounded(lambda: upload_sheet(client, sheet, far_cell(sheet["data"], "A1048576"))), 413)
    huge = declared_dimension(sheet["data"])
    body = assert_problem(bounded(lambda: upload_sheet(client, sheet, huge)), 422)
    assert body["errors"] == {"C": ["表中没有填写任何值"]}  # read as it is
    app.config["UPLOAD_MAX_BYTES"] = len(sheet["data"]) - 1
    assert_problem(upload_sheet(client, sheet, sheet["data"]), 413)


# ---------------------------------------------------------------- large imports: a background job

def test_a_large_import_runs_as_a_job_with_progress_and_its_result(app, client, admin, caplog):
    app.config["ROSTER_JOB_ACCOUNTS"] = 5
    before = counts()
    rows = [student(i) for i in range(1, 21)]
    bad = [r[:] for r in rows]
    bad[3][4] = "明年"
    body = assert_problem(upload_roster(client, admin, messy(bad)), 422)  # a bad file is refused at once, no job
    assert located(body) == {("2026级新生", 7, "入学年份")}

    response = upload_roster(client, admin, messy(rows, STAFF))
    assert response.status_code == 202, response.json
    job = response.json
    assert job["status"] == "queued" and response.headers["Location"] == job["status_url"]
    assert job["status_url"] == f"/api/v1/roster/imports/{job['id']}"
    assert counts() == before  # nothing is written before the job runs

    # Only the importing user reads it: another school admin gets 404.
    second = User(username="A99999", display_name="二号管理员", password_hash=hash_password("Admin-2-Pass!"),
                  must_change_password=False)
    db.session.add(second)
    db.session.flush()
    second.grants.append(RoleGrant(role=Role.SCHOOL_ADMIN, scope_type=Scope.SCHOOL,
                                   scope_id=db.session.scalar(select(School.id))))
    db.session.commit()
    other_admin = login(client, {"username": "A99999", "password": "Admin-2-Pass!"})
    assert_problem(client.get(job["status_url"], headers=other_admin), 404)
    assert_problem(client.get("/api/v1/roster/imports/roster-import-nope", headers=admin), 404)

    with caplog.at_level(logging.DEBUG):
        run_worker(app)
    status = client.get(job["status_url"], headers=admin)
    assert status.status_code == 200, status.json
    done = status.json
    assert done["status"] == "finished"
    assert done["progress"] == {"stage": "done", "done": 22, "total": 22}
    assert done["result"]["students"] == {"created": 20, "updated": 0, "unchanged": 0}
    assert done["result"]["staff"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert "credentials" not in done["result"]  # the passwords are in the encrypted slips only
    credentials = client.get(f"/api/v1/roster/slips/{done['result']['slips_id']}?format=json",
                             headers=admin).json["slips"]
    assert len(credentials) == 22 and counts()[0] == before[0] + 23  # and the second admin
    for credential in credentials:
        assert credential["initial_password"] not in caplog.text  # never logged, not even at DEBUG
    first = credentials[0]
    assert login(client, {"username": first["username"], "password": first["initial_password"]})

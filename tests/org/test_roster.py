import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ClassGroup, RoleGrant, User
from tests.helpers import assert_problem, login, upload_roster

STUDENT_HEADER = ["序号", "系部", "专业", "班级", "入学年份", "学号", "姓名", "性别", "身份证号"]
STAFF_HEADER = ["工号", "姓名", "所属系部", "角色", "范围"]


def xlsx(students, staff=None) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "学生"
    ws.append(STUDENT_HEADER)
    for i, row in enumerate(students, start=1):
        ws.append([i, *row, "(not imported)"])
    if staff is not None:
        ws2 = book.create_sheet("教职工")
        ws2.append(STAFF_HEADER)
        for row in staff:
            ws2.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


STUDENTS = [["汽车工程系", "新能源汽车技术", "新能源2601班", 2026, f"20269901{i:02d}", f"学生{i}", "男" if i % 2 else "女"]
            for i in range(1, 41)]
STAFF = [["T90001", "周老师", "汽车工程系", "班主任", "新能源2601班"],
         ["T90002", "吴老师", "汽车工程系", "辅导员", "汽车工程系"],
         ["T90002", "吴老师", "汽车工程系", "任课教师", "新能源2601班"]]


def user_count():
    return db.session.scalar(select(func.count()).select_from(User))


def test_import_creates_then_reimport_changes_nothing(client, admin):
    before = user_count()
    first = upload_roster(client, admin, xlsx(STUDENTS, STAFF))
    assert first.status_code == 200, first.json
    assert first.json["students"] == {"created": 40, "updated": 0, "unchanged": 0}
    assert first.json["staff"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert len(first.json["credentials"]) == 42 and user_count() == before + 42
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.name == "新能源2601班"))
    assert cls.major.name == "新能源汽车技术" and cls.major.department.name == "汽车工程系" and cls.entry_year == 2026
    assert cls.head_teacher_id == db.session.scalar(select(User.id).where(User.username == "T90001"))
    grants = db.session.scalar(select(func.count()).select_from(RoleGrant))

    second = upload_roster(client, admin, xlsx(STUDENTS, STAFF))
    assert second.status_code == 200
    assert second.json["students"] == {"created": 0, "updated": 0, "unchanged": 40}
    assert second.json["staff"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert second.json["credentials"] == []
    assert user_count() == before + 42
    assert db.session.scalar(select(func.count()).select_from(RoleGrant)) == grants


def test_imported_staff_work_in_their_scope_after_changing_password(client, admin):
    credentials = {c["username"]: c for c in upload_roster(client, admin, xlsx(STUDENTS, STAFF)).json["credentials"]}
    head = credentials["T90001"]
    headers = login(client, {"username": "T90001", "password": head["initial_password"]})
    assert_problem(client.get("/api/v1/classes", headers=headers), 403)
    client.post("/api/v1/auth/password", headers=headers,
                json={"current_password": head["initial_password"], "new_password": "Teacher-2026"})
    classes = client.get("/api/v1/classes", headers=headers).json
    assert [c["name"] for c in classes] == ["新能源2601班"]


def test_a_bad_row_rejects_the_whole_file_with_every_error(client, admin):
    before = user_count()
    bad = [row[:] for row in STUDENTS]
    bad[2][4] = ""                 # row 4: missing student number
    bad[5][3] = "二〇二六"          # row 7: entry year not a number
    bad[7][6] = "未知"             # row 9: gender
    bad[9][4] = bad[8][4]          # row 11: duplicate of row 10
    bad[11][1] = "汽车检测与维修"   # row 13: same class, other major
    staff = STAFF + [["T90003", "郑老师", "", "校长", "学校"], ["T90004", "王老师", "", "班主任", "汽车工程系"]]
    body = assert_problem(upload_roster(client, admin, xlsx(bad, staff)), 422)
    found = {(e["sheet"], e["row"], e["column"]) for e in body["errors"]}
    assert found == {("学生", 4, "学号"), ("学生", 7, "入学年份"), ("学生", 9, "性别"), ("学生", 11, "学号"),
                     ("学生", 13, "班级"), ("教职工", 5, "角色"), ("教职工", 6, "范围")}
    for error in body["errors"]:
        assert error["message"] and error["message_en"]
    assert user_count() == before
    assert db.session.scalar(select(ClassGroup).where(ClassGroup.name == "新能源2601班")) is None


def test_csv_import_and_missing_columns(client, admin):
    text = "\ufeff系部,专业,班级,入学年份,学号,姓名\n" + "\n".join(
        ",".join(map(str, r[:6])) for r in STUDENTS[:3])
    response = upload_roster(client, admin, text.encode("utf-8"), "students.csv")
    assert response.status_code == 200 and response.json["students"]["created"] == 3
    body = assert_problem(upload_roster(client, admin, "学号,姓名\n2026000001,某某\n".encode(), "students.csv"), 422)
    assert {e["column"] for e in body["errors"]} == {"系部", "专业", "班级", "入学年份"}
    assert_problem(upload_roster(client, admin, b"hello", "notes.txt"), 415)
    assert_problem(upload_roster(client, admin, b"not a zip", "broken.xlsx"), 422)


def test_templates_download_and_import_as_they_are(client, admin):
    response = client.get("/api/v1/roster/template?format=xlsx", headers=admin)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["学生", "教职工"]
    assert book["学生"]["E1"].value == "学号 student number"
    assert upload_roster(client, admin, response.data).status_code == 200
    csv_template = client.get("/api/v1/roster/template?format=csv&kind=staff", headers=admin)
    assert csv_template.data.decode("utf-8-sig").startswith("工号 staff number")
    assert_problem(client.get("/api/v1/roster/template?format=pdf", headers=admin), 422)

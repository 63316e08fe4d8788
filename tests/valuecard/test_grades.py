"""Course grades from the academic-affairs export: preview, all or nothing, idempotent, and the grade
points S-A-09 (credit-weighted mean) and C-A-05 (failing-course ratio) computed from them."""
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, Course, CourseGrade, StudentProfile, TeachingAssignment, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from backend.valuecard import catalogue
from tests.helpers import assert_problem, build_college, login, run_worker, writing

HEADER = "课程代码,课程名称,学号,姓名,成绩,学分,补考成绩"


def _world(client, size=60):
    accounts = build_college(students=size)
    me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.execute(select(User.username, User.display_name, User.id).join(
        StudentProfile, StudentProfile.user_id == User.id).where(StudentProfile.class_id == me.student.class_id)
        .order_by(User.username)).all()
    taught = db.session.execute(select(Course.code, Course.name, TeachingAssignment.teacher_id).join(
        TeachingAssignment, TeachingAssignment.course_id == Course.id).where(
        TeachingAssignment.class_id == me.student.class_id).order_by(Course.code)).all()
    class_id = me.student.class_id
    db.session.rollback()
    return accounts, roster, taught, class_id


def _csv(lines) -> bytes:
    return ("\ufeff" + "\n".join([HEADER, *lines]) + "\n").encode()


def _upload(client, headers, data, preview=False, name="成绩.csv"):
    return client.post(f"/api/v1/grades/import{'?preview=true' if preview else ''}", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_preview_then_import_feeds_the_grade_points_and_a_reimport_changes_nothing(client, app):
    accounts, roster, taught, class_id = _world(client)
    term = directory.current_term(clock.school_today())
    head = login(client, accounts["head_teacher"])
    me_number, me_name, me_id = next(r for r in roster if r[0] == accounts["student"]["username"])
    typed = client.post("/api/v1/entries", headers=writing(head), json={  # typed until grades are imported
        "point": "S-A-09", "period": "term", "entries": [{"student_id": me_id, "value": 40}]})
    assert typed.status_code == 201, typed.json
    rollups.rebuild(term)
    db.session.commit()
    office = login(client, accounts["teaching_office"])
    (a_code, a_name, _), (b_code, b_name, _) = taught[:2]
    lines = [f"{a_code},{a_name},{me_number},{me_name},90,4,", f"{b_code},{b_name},{me_number},{me_name},良,2,"]
    # Five classmates fail course A (one passes the make-up): 4 of 12 grades fail after make-up.
    for number, name, _ in [r for r in roster if r[0] != me_number][:5]:
        lines.append(f"{a_code},{a_name},{number},{name},45,4,{'70' if number == roster[1][0] else ''}")
    lines.append(f"{b_code},{b_name},{roster[1][0]},{roster[1][1]},优,2,")
    data = _csv(lines)

    preview = _upload(client, office, data, preview=True)
    assert preview.status_code == 200, preview.json
    assert preview.json["applied"] is False and preview.json["created"] == 8 and preview.json["updated"] == 0
    assert {"student_name": me_name, "number": me_number, "course_code": b_code, "course_name": b_name,
            "was": None, "now": "良"} in preview.json["changes"]
    assert db.session.scalar(select(func.count()).select_from(CourseGrade)) == 0  # a preview writes nothing
    assert preview.json["takes_over"] == ["S-A-09", "C-A-05"]  # the screen says the points become computed
    assert {r.point.code: r.source for r in catalogue.rules(term)}["S-A-09"] == "entered"

    applied = _upload(client, office, data)
    assert applied.status_code == 200 and applied.json["applied"] and applied.json["created"] == 8
    assert applied.json["takes_over"] == ["S-A-09", "C-A-05"]
    # From the import on, the grades are the figure (the typed 40 stays in the ledger, no longer counted).
    assert_problem(client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-09", "period": "term", "entries": [{"student_id": me_id, "value": 50}]}), 422)
    card = client.get(f"/api/v1/students/{me_id}/card", headers=login(client, accounts["head_teacher"])).json
    s_a_09 = next(p for p in card["points"] if p["code"] == "S-A-09")
    assert s_a_09["indicator"] == round((90 * 4 + 85 * 2) / 6, 2) and s_a_09["source"] == "grades"
    class_card = client.get(f"/api/v1/classes/{class_id}/card", headers=head).json
    c_a_05 = next(p for p in class_card["points"] if p["code"] == "C-A-05")
    assert c_a_05["indicator"] == round(100 * 4 / 8, 2)
    run_worker(app)
    assert rollups.check(term) == []

    again = _upload(client, office, data)
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 8)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "grades.import")) == 1

    # A corrected grade in a second export: the card and the rollups follow.
    changed = _csv([lines[0].replace(",90,", ",60,")])
    result = _upload(client, office, changed).json
    assert (result["created"], result["updated"]) == (0, 1) and result["changes"][0]["was"] == "90"
    card = client.get(f"/api/v1/students/{me_id}/card", headers=head).json
    assert next(p for p in card["points"] if p["code"] == "S-A-09")["indicator"] == round((60 * 4 + 85 * 2) / 6, 2)
    run_worker(app)
    assert rollups.check(term) == []
    # Fed from grades, the point is no longer typed.
    typed = client.post("/api/v1/entries", headers={**head, "Idempotency-Key": "k-s-a-09"},
                        json={"point": "S-A-09", "period": "term", "entries": [{"student_id": me_id, "value": 80}]})
    assert "point" in assert_problem(typed, 422)["errors"]


def test_any_bad_row_refuses_the_whole_file_naming_student_course_and_value(client, app):
    accounts, roster, taught, _ = _world(client)
    office = login(client, accounts["teaching_office"])
    (code, name, _) = taught[0]
    (n1, s1, _), (n2, s2, _), (n3, s3, _) = roster[:3]
    data = _csv([f"{code},{name},{n1},{s1},88,3,", f"NOPE9,无此课,{n2},{s2},70,,", f"{code},{name},X99999,某人,70,,",
                 f"{code},{name},{n3},{s3},差,,", f"{code},{name},{n1},{s1},80,3,"])
    for preview in (True, False):
        body = assert_problem(_upload(client, office, data, preview=preview), 422)
        assert "未导入任何数据" in body["title"]
        by_row = {(e["row"], e["column"]): e for e in body["errors"]}
        assert "未知的课程代码“NOPE9”" in by_row[(3, "课程代码")]["message"] and by_row[(3, "课程代码")]["name"] == s2
        assert by_row[(3, "课程代码")]["course"] == "无此课"
        assert "未知的学号“X99999”" in by_row[(4, "学号")]["message"]
        assert "成绩“差”" in by_row[(5, "成绩")]["message"] and by_row[(5, "成绩")]["name"] == s3
        assert "与第2行重复" in by_row[(6, "学号")]["message"]
    assert db.session.scalar(select(func.count()).select_from(CourseGrade)) == 0
    unknown_column = assert_problem(_upload(client, office, "课程代码,学号,成绩,备注二\nGC001,1,1,x\n".encode()), 422)
    assert "未知的列“备注二”" in unknown_column["errors"][0]["message"]


def test_a_course_teacher_imports_only_the_courses_they_teach(client, app):
    accounts, roster, taught, _ = _world(client)
    teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    mine = {c for c, _, t in taught if t == teacher.id}
    db.session.rollback()
    assert mine
    own = next(c for c, _, _ in taught if c in mine)
    other = next(c for c, _, _ in taught if c not in mine)
    headers = login(client, accounts["course_teacher"])
    (n1, s1, _) = roster[0]
    refused = assert_problem(_upload(client, headers, _csv([f"{own},,{n1},{s1},77,,", f"{other},,{n1},{s1},66,,"])), 422)
    assert [(e["row"], e["column"]) for e in refused["errors"]] == [(3, "课程代码")]
    assert "无权导入" in refused["errors"][0]["message"]
    assert _upload(client, headers, _csv([f"{own},,{n1},{s1},77,,"])).json["created"] == 1
    # Students and head teachers do not import grades; the template is for importers.
    assert_problem(_upload(client, login(client, accounts["student"]), _csv([])), 403)
    template = client.get("/api/v1/grades/template", headers=login(client, accounts["teaching_office"]))
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]][:3] == [
        "课程代码 course code", "课程名称 course name", "学号 student number"]

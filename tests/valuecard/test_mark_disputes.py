"""A student's own attendance marks, and disputing one as an entry is disputed (issue 20, must-show 6)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, MarkDispute, Notification, StudentProfile, User
from backend.platform import clock
from tests.helpers import assert_problem, build_college, demo_account, login, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    classmate = db.session.scalar(select(User.username).where(User.id == next(s for s in roster if s != student.id)))
    db.session.rollback()
    return {"accounts": accounts, "class_id": class_id, "student": student.id, "roster": roster,
            "teacher": login(client, accounts["course_teacher"]), "head": login(client, accounts["head_teacher"]),
            "me": login(client, accounts["student"]), "classmate": login(client, demo_account(classmate))}


def closed_session(client, school, days_ago=1):
    """A session of the course teacher, closed: everyone unmarked is absent."""
    starts = clock.now() - timedelta(days=days_ago)
    session = client.post("/api/v1/sessions", headers=writing(school["teacher"]), json={
        "class_id": school["class_id"], "grace_minutes": 10, "starts_at": starts.isoformat()}).json
    closed = client.post(f"/api/v1/sessions/{session['id']}/close", headers=writing(school["teacher"]))
    assert closed.status_code == 200, closed.json
    return session


def card_attendance(client, school):
    card = client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json
    return {p["code"]: p["indicator"] for p in card["points"]}.get("S-A-03")


def test_a_student_sees_every_mark_disputes_one_and_the_teacher_upholds_it(client, school):
    first, second = closed_session(client, school, 3), closed_session(client, school, 1)
    mine = client.get("/api/v1/me/attendance", headers=school["me"]).json
    assert [(m["session_id"], m["status"], m["disputable"]) for m in mine["marks"]] == [
        (first["id"], "absent", True), (second["id"], "absent", True)]
    assert mine["dispute_days"] == 14 and mine["marks"][0]["marked_by_name"] and mine["marks"][0]["week"] >= 1
    assert card_attendance(client, school) == 0.0

    key = "6f1c1d2e-0000-4000-8000-000000000001"
    body = {"session_id": first["id"], "reason": "我在教室，签到码没刷出来"}
    dispute = client.post("/api/v1/me/attendance/disputes", json=body, headers=writing(school["me"], key))
    again = client.post("/api/v1/me/attendance/disputes", json=body, headers=writing(school["me"], key))
    assert dispute.status_code == 201 and again.status_code == 201 and again.json == dispute.json  # a retry counts once
    assert db.session.scalar(select(func.count()).select_from(MarkDispute)) == 1
    db.session.rollback()
    assert_problem(client.post("/api/v1/me/attendance/disputes", json=body, headers=writing(school["me"])), 409)

    # It goes to whoever runs the session: its teacher and the class's head teacher, nobody else.
    assert [d["id"] for d in client.get("/api/v1/mark-disputes", headers=school["teacher"]).json] == [dispute.json["id"]]
    assert [d["id"] for d in client.get("/api/v1/mark-disputes", headers=school["head"]).json] == [dispute.json["id"]]
    resolve = f"/api/v1/mark-disputes/{dispute.json['id']}/resolve"
    assert_problem(client.post(resolve, json={"action": "reject", "reason": "不是你的"},
                               headers=writing(school["classmate"])), 404)
    problem = assert_problem(client.post(resolve, json={"action": "uphold", "reason": "核实在场"},
                                         headers=writing(school["teacher"])), 422)
    assert "status" in problem["errors"]
    done = client.post(resolve, json={"action": "uphold", "reason": "核实在场", "status": "present"},
                       headers=writing(school["teacher"]))
    assert done.status_code == 200 and done.json["status"] == "upheld" and done.json["mark_status"] == "present"

    after = client.get("/api/v1/me/attendance", headers=school["me"]).json["marks"][0]
    assert after["status"] == "present" and after["dispute"]["status"] == "upheld" and after["disputable"]
    assert card_attendance(client, school) == 50.0  # the card follows the corrected mark
    assert client.get("/api/v1/me/attendance/disputes", headers=school["me"]).json[0]["corrected_to"] == "present"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "attendance.correct")) == 1  # corrected the ordinary way, audited
    assert db.session.scalar(select(Notification.title).where(Notification.user_id == school["student"]))
    db.session.rollback()
    assert client.get("/api/v1/mark-disputes", headers=school["teacher"]).json == []


def test_a_rejected_dispute_leaves_the_mark_and_says_why(client, school):
    session = closed_session(client, school)
    dispute = client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"], "reason": "我请过假"},
                          headers=writing(school["me"])).json
    rejected = client.post(f"/api/v1/mark-disputes/{dispute['id']}/resolve",
                           json={"action": "reject", "reason": "请假未获批准"}, headers=writing(school["head"]))
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    mark = client.get("/api/v1/me/attendance", headers=school["me"]).json["marks"][0]
    assert mark["status"] == "absent" and mark["dispute"]["resolution"] == "请假未获批准"
    assert_problem(client.post(f"/api/v1/mark-disputes/{dispute['id']}/resolve",
                               json={"action": "reject", "reason": "again"}, headers=writing(school["head"])), 409)
    # Once answered, the student may dispute the mark again (the open one was the only one allowed).
    assert client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"], "reason": "附上假条"},
                       headers=writing(school["me"])).status_code == 201


def test_another_students_mark_is_404_and_an_old_one_names_the_field(client, school):
    session = closed_session(client, school)
    # The classmate disputes the session, but only their own mark: the student's is not reachable.
    assert_problem(client.post("/api/v1/me/attendance/disputes", json={"session_id": 999999, "reason": "不是我"},
                               headers=writing(school["classmate"])), 404)
    staff = client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"], "reason": "教师"},
                        headers=writing(school["teacher"]))
    assert_problem(staff, 404)  # a teacher has no mark there
    assert_problem(client.get("/api/v1/me/attendance", headers=school["teacher"]), 403)
    old = closed_session(client, school, days_ago=15)
    problem = assert_problem(client.post("/api/v1/me/attendance/disputes", json={"session_id": old["id"], "reason": "太久了"},
                                         headers=writing(school["me"])), 422)
    assert "session_id" in problem["errors"] and "14" in problem["errors"]["session_id"][0]
    marks = {m["session_id"]: m["disputable"] for m in client.get("/api/v1/me/attendance", headers=school["me"]).json["marks"]}
    assert marks == {session["id"]: True, old["id"]: False}
    assert_problem(client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"]},
                               headers=writing(school["me"])), 422)


def test_the_database_holds_one_open_dispute_per_mark(client, school):
    session = closed_session(client, school)
    client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"], "reason": "第一次"},
                headers=writing(school["me"]))
    db.session.add(MarkDispute(session_id=session["id"], student_id=school["student"], class_id=school["class_id"],
                               was="absent", reason="绕过检查", status="open"))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_the_students_data_export_holds_their_marks_and_attendance_disputes(client, school):
    session = closed_session(client, school)
    dispute = client.post("/api/v1/me/attendance/disputes", json={"session_id": session["id"], "reason": "我在场"},
                          headers=writing(school["me"])).json
    client.post(f"/api/v1/mark-disputes/{dispute['id']}/resolve", json={"action": "uphold", "reason": "已核实",
                                                                        "status": "late"}, headers=writing(school["head"]))
    data = client.get("/api/v1/me/data", headers=school["me"]).json
    [mark] = data["attendance"]
    assert mark["status"] == "late" and mark["marked_by"]
    assert data["attendance_disputes"] == [{
        "day": mark["day"], "course": mark["course"], "mark_disputed": "absent", "reason": "我在场", "status": "upheld",
        "created_at": data["attendance_disputes"][0]["created_at"], "resolved_at": data["attendance_disputes"][0]["resolved_at"],
        "resolution": "已核实", "corrected_to": "late"}]
    pdf = client.get("/api/v1/me/data?format=pdf", headers=school["me"])
    assert pdf.status_code == 200
    # A classmate's export holds none of it.
    assert client.get("/api/v1/me/data", headers=school["classmate"]).json["attendance_disputes"] == []

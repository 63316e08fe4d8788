"""Class sessions, rotating check-in codes, marks, closing, leave, and attendance on the card."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent, ClassSession, StudentProfile, User
from backend.platform import clock
from backend.valuecard.attendance import code_at
from tests.helpers import CALENDAR, assert_problem, build_college, demo_account, login, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    stranger = db.session.scalar(select(User.username).join(StudentProfile, StudentProfile.user_id == User.id)
                                 .where(StudentProfile.class_id != class_id).limit(1))
    db.session.rollback()
    return {"accounts": accounts, "class_id": class_id, "student": student.id, "roster": roster,
            "teacher": login(client, accounts["course_teacher"]), "me": login(client, accounts["student"]),
            "stranger": login(client, demo_account(stranger))}


def open_session(client, school, minutes_ago=1, grace=10):
    response = client.post("/api/v1/sessions", headers=writing(school["teacher"]), json={
        "class_id": school["class_id"], "grace_minutes": grace,
        "starts_at": (clock.now() - timedelta(minutes=minutes_ago)).isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def check_in(client, headers, code, key=None):
    return client.post("/api/v1/checkin", json={"code": code}, headers=writing(headers, key))


def test_student_checks_in_with_the_code_on_the_teachers_screen(client, school):
    session = open_session(client, school)
    assert session["counts"]["unmarked"] == len(school["roster"]) and len(session["checkin"]["code"]) == 6
    assert [s["id"] for s in client.get("/api/v1/me/sessions", headers=school["me"]).json] == [session["id"]]
    code = client.get(f"/api/v1/sessions/{session['id']}/code", headers=school["teacher"]).json["code"]
    first = check_in(client, school["me"], code)
    assert first.status_code == 200 and first.json["status"] == "present"
    assert check_in(client, school["me"], code).json["status"] == "present"  # twice is still once
    seen = client.get(f"/api/v1/sessions/{session['id']}", headers=school["teacher"]).json
    assert seen["counts"]["present"] == 1
    assert {s["student_id"]: s["status"] for s in seen["students"]}[school["student"]] == "present"


def test_after_the_grace_period_a_check_in_is_late(client, school):
    session = open_session(client, school, minutes_ago=20, grace=10)
    assert check_in(client, school["me"], session["checkin"]["code"]).json["status"] == "late"


def test_wrong_expired_foreign_and_closed_codes_are_refused_clearly(client, school):
    session = open_session(client, school)
    secret_session = db.session.get(ClassSession, session["id"])
    expired = code_at(secret_session, clock.now(), 6)  # three minutes old
    db.session.rollback()
    body = assert_problem(check_in(client, school["me"], expired), 422)
    assert "已过期" in body["title"] and "code" in body["errors"]
    wrong = f"{(int(session['checkin']['code']) + 1) % 1_000_000:06d}"
    assert "签到码不正确" in assert_problem(check_in(client, school["me"], wrong), 422)["title"]
    body = assert_problem(check_in(client, school["stranger"], session["checkin"]["code"]), 403)
    assert "其他班级" in body["title"]
    assert_problem(check_in(client, school["me"], "12ab56"), 422)
    client.post(f"/api/v1/sessions/{session['id']}/close", headers=writing(school["teacher"]))
    code = client.get(f"/api/v1/sessions/{session['id']}/code", headers=school["teacher"]).json["code"]
    assert "已结束" in assert_problem(check_in(client, school["me"], code), 409)["title"]


def test_teacher_marks_in_bulk_corrects_and_closing_marks_the_rest_absent(client, school):
    session = open_session(client, school)
    a, b, c = school["roster"][:3]
    url = f"/api/v1/sessions/{session['id']}/marks"
    marks = [{"student_id": a, "status": "present"}, {"student_id": b, "status": "late"},
             {"student_id": c, "status": "leave"}]
    assert client.put(url, json={"marks": marks}, headers=writing(school["teacher"])).json["marked"] == 3
    fixed = client.put(url, json={"marks": [{"student_id": b, "status": "present"}]}, headers=writing(school["teacher"]))
    assert fixed.json["corrected"] == 1
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "attendance.correct"))
    db.session.rollback()
    stranger_id = db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id != school["class_id"]))
    db.session.rollback()
    bad = client.put(url, json={"marks": [{"student_id": a, "status": "absent"}, {"student_id": stranger_id, "status": "present"}]},
                     headers=writing(school["teacher"]))
    assert list(assert_problem(bad, 422)["errors"]) == ["marks[1].student_id"]
    closed = client.post(f"/api/v1/sessions/{session['id']}/close", headers=writing(school["teacher"])).json
    n = len(school["roster"])
    assert closed["closed"] and closed["checkin"] is None
    assert closed["counts"] == {"present": 2, "late": 0, "leave": 1, "absent": n - 3, "unmarked": 0}


def test_only_teachers_of_the_class_open_and_see_sessions(client, school):
    body = {"class_id": school["class_id"]}
    assert_problem(client.post("/api/v1/sessions", json=body, headers=writing(school["me"])), 403)
    session = open_session(client, school)
    for outsider in ("counsellor", "dept_admin"):
        assert_problem(client.get(f"/api/v1/sessions/{session['id']}",
                                  headers=login(client, school["accounts"][outsider])), 404)
    head = login(client, school["accounts"]["head_teacher"])
    assert client.get(f"/api/v1/sessions/{session['id']}", headers=head).status_code == 200


@pytest.mark.parametrize("today", [CALENDAR["between-terms"]], indirect=True)
def test_no_session_opens_between_terms(client, school, today):
    response = client.post("/api/v1/sessions", headers=writing(school["teacher"]), json={
        "class_id": school["class_id"], "starts_at": clock.now().isoformat()})
    assert assert_problem(response, 422)["errors"] == {"starts_at": ["不在任何学期内"]}


@pytest.mark.parametrize("today", [d for k, d in CALENDAR.items() if k != "between-terms"], indirect=True)
def test_approved_leave_turns_absences_into_leave_and_attendance_feeds_the_card(client, school):
    early = open_session(client, school, minutes_ago=90)   # missed: closed as absent
    ontime = open_session(client, school, minutes_ago=30, grace=45)  # on time
    late = open_session(client, school, minutes_ago=20, grace=5)
    for s in (ontime, late):
        check_in(client, school["me"], s["checkin"]["code"])
    client.post(f"/api/v1/sessions/{early['id']}/close", headers=writing(school["teacher"]))

    def attendance_points():
        card = client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json
        return {p["code"]: p["indicator"] for p in card["points"] if p["source"] == "attendance"}

    third = round(100 * 2 / 3, 2)
    assert attendance_points() == {"S-A-02": 50.0, "S-A-03": third, "S-A-04": third}
    leave = client.post("/api/v1/leave-requests", headers=writing(school["me"]), json={
        "starts_at": (clock.now() - timedelta(hours=2)).isoformat(), "ends_at": (clock.now() - timedelta(minutes=60)).isoformat(),
        "reason": "看病 / doctor"})
    assert leave.status_code == 201 and leave.json["status"] == "pending"
    head = login(client, school["accounts"]["head_teacher"])
    assert [r["id"] for r in client.get("/api/v1/leave-requests", headers=head).json] == [leave.json["id"]]
    decided = client.post(f"/api/v1/leave-requests/{leave.json['id']}/decision", headers=writing(head),
                          json={"approve": True, "comment": "注意身体"})
    assert decided.json["status"] == "approved"
    # Leave is not truancy (full attendance back to 100) but still a missed session (perfect attendance stays).
    assert attendance_points() == {"S-A-02": 50.0, "S-A-03": 100.0, "S-A-04": third}
    again = client.post(f"/api/v1/leave-requests/{leave.json['id']}/decision", headers=writing(head), json={"approve": False})
    assert_problem(again, 409)
    assert client.get("/api/v1/me/leave-requests", headers=school["me"]).json[0]["comment"] == "注意身体"

    klass = client.get(f"/api/v1/classes/{school['class_id']}/card", headers=head).json
    punctuality = {p["code"]: p for p in klass["points"]}["C-A-01"]
    assert punctuality["indicator"] == 50.0 and punctuality["students_with_data"] == 1


def test_leave_is_decided_only_by_the_class_head_teacher_or_counsellor(client, school):
    leave = client.post("/api/v1/leave-requests", headers=writing(school["me"]), json={
        "starts_at": clock.now().isoformat(), "ends_at": (clock.now() + timedelta(days=1)).isoformat(), "reason": "回家"}).json
    for outsider in ("course_teacher", "dept_admin"):
        response = client.post(f"/api/v1/leave-requests/{leave['id']}/decision", json={"approve": True},
                               headers=writing(login(client, school["accounts"][outsider])))
        assert_problem(response, 404)
    backwards = client.post("/api/v1/leave-requests", headers=writing(school["me"]), json={
        "starts_at": clock.now().isoformat(), "ends_at": (clock.now() - timedelta(days=1)).isoformat(), "reason": "回家"})
    assert "ends_at" in assert_problem(backwards, 422)["errors"]


def test_a_replayed_check_in_and_close_count_once(client, school):
    session = open_session(client, school)
    first = check_in(client, school["me"], session["checkin"]["code"], key="checkin-key-1")
    replay = check_in(client, school["me"], session["checkin"]["code"], key="checkin-key-1")
    assert replay.get_data() == first.get_data()
    key = "close-key-0001"
    closed = client.post(f"/api/v1/sessions/{session['id']}/close", headers=writing(school["teacher"], key))
    again = client.post(f"/api/v1/sessions/{session['id']}/close", headers=writing(school["teacher"], key))
    assert again.get_data() == closed.get_data() and closed.json["counts"]["present"] == 1

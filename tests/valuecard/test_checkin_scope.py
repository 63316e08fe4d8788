"""A check-in reads only the student's own class's sessions, however many the school has open."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import AttendanceMark, ClassGroup, ClassSession, StudentProfile, User
from backend.platform import clock
from backend.valuecard.attendance import code_of
from tests.helpers import assert_problem, build_college, login, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    own = student.student.class_id
    other = db.session.scalar(select(StudentProfile.class_id).where(StudentProfile.class_id != own).limit(1))
    classes = db.session.scalars(select(ClassGroup.id).where(ClassGroup.id != own)).all()
    db.session.rollback()
    return {"accounts": accounts, "student": student.id, "own": own, "other": other, "classes": classes,
            "me": login(client, accounts["student"]), "teacher": login(client, accounts["course_teacher"])}


def open_session(client, school, class_id):
    response = client.post("/api/v1/sessions", headers=writing(school["teacher"]), json={
        "class_id": class_id, "grace_minutes": 10, "starts_at": (clock.now() - timedelta(minutes=1)).isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def open_elsewhere(template_id: int, classes: list[int], count: int) -> list[str]:
    """`count` open sessions of other classes, started over the last hours, as a busy day has;
    returns their secrets."""
    t = db.session.get(ClassSession, template_id)
    secrets = [f"{template_id:016x}{i:016x}" for i in range(count)]
    db.session.add_all(ClassSession(
        term_id=t.term_id, class_id=classes[i % len(classes)], course_id=None, teacher_id=t.teacher_id,
        starts_at=clock.now() - timedelta(minutes=i % 600), grace_minutes=10, day=t.day, week=t.week,
        month=t.month, secret=secrets[i]) for i in range(count))
    db.session.commit()
    return secrets


@contextmanager
def sessions_loaded():
    """The class sessions the ORM builds from query rows while the block runs."""
    loaded = []

    def on_load(target, _context):
        loaded.append(target.id)

    event.listen(ClassSession, "load", on_load)
    try:
        yield loaded
    finally:
        event.remove(ClassSession, "load", on_load)


def test_a_check_in_is_matched_only_against_the_students_own_class(client, school):
    mine = open_session(client, school, school["own"])
    theirs = open_elsewhere(mine["id"], [school["other"]], 1)[0]  # same start, same code window
    refused = client.post("/api/v1/checkin", json={"code": code_of(theirs, clock.now())}, headers=writing(school["me"]))
    assert "其他班级" in assert_problem(refused, 403)["title"]
    with sessions_loaded() as loaded:
        done = client.post("/api/v1/checkin", json={"code": mine["checkin"]["code"]}, headers=writing(school["me"]))
    assert done.status_code == 200 and done.json["session_id"] == mine["id"]
    assert set(loaded) == {mine["id"]}
    marks = db.session.execute(select(AttendanceMark.session_id, AttendanceMark.student_id)).all()
    assert marks == [(mine["id"], school["student"])]


def test_what_a_check_in_reads_does_not_grow_with_the_school(client, school):
    mine = open_session(client, school, school["own"])
    seen = {}
    for count in (5, 500):
        open_elsewhere(mine["id"], school["classes"], count if not seen else count - 5)
        with sessions_loaded() as loaded:
            code = client.get(f"/api/v1/sessions/{mine['id']}/code", headers=school["teacher"]).json["code"]
            loaded.clear()  # the teacher's screen reads the session; the check-in is what is measured
            response = client.post("/api/v1/checkin", json={"code": code}, headers=writing(school["me"]))
        assert response.status_code == 200, response.json
        seen[count] = sorted(loaded)
    open_now = db.session.scalar(select(db.func.count()).select_from(ClassSession).where(ClassSession.closed_at.is_(None)))
    assert open_now == 501
    assert seen[5] == seen[500] == [mine["id"]]

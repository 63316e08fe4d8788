"""A teacher's indicators from Spiral's own data (issue 20, must-show 2): real sessions with marks,
entries, disputes, grades, warnings and portfolio items, each indicator's value asserted; a teacher
goal linked to an indicator takes its actual value from it and may not fall below the stage standard."""
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from backend.auth.roles import Role, Scope
from backend.development import teacher_indicators
from backend.extensions import db
from backend.models import (
    AttendanceMark,
    ClassGroup,
    ClassSession,
    Course,
    CourseEvaluation,
    CourseGrade,
    CourseOffering,
    Dispute,
    OfferingClass,
    RoleGrant,
    ScoreEntry,
    ScoringPoint,
    StaffProfile,
    StudentProfile,
    StudentWarning,
    Term,
    User,
    WarningRule,
)
from backend.platform import clock
from tests.helpers import assert_problem, build_college, demo_account, login, writing


@pytest.fixture
def college(app):
    return build_college(students=90)


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _at(day: date, hour: int = 10) -> datetime:
    return clock.school_moment(day, hour)


def _teacher(college) -> tuple[User, ClassGroup]:
    """A new teacher of the dept admin's department, head teacher of one of its classes, with nothing
    recorded yet (the demo's own teachers keep theirs)."""
    dept = db.session.scalar(select(RoleGrant.scope_id).where(
        RoleGrant.user_id == _user(college["dept_admin"]["username"]).id, RoleGrant.role == Role.DEPT_ADMIN))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.department_id == dept).order_by(ClassGroup.id).limit(1))
    teacher = User(username="t_indicators", display_name="指标老师",
                   password_hash=_user(college["student"]["username"]).password_hash, must_change_password=False)
    db.session.add(teacher)
    db.session.flush()
    db.session.add_all([StaffProfile(user_id=teacher.id, department_id=dept, title="讲师"),
                        RoleGrant(user_id=teacher.id, role=Role.HEAD_TEACHER, scope_type=Scope.CLASS, scope_id=cls.id)])
    db.session.flush()
    return teacher, cls


def _terms() -> tuple[Term, Term]:
    autumn, spring = db.session.scalars(select(Term).where(Term.academic_year == "2026-2027").order_by(Term.starts_on)).all()
    return autumn, spring


def _session(teacher, cls, term, day, marks: dict[int, str]) -> ClassSession:
    s = ClassSession(term_id=term.id, class_id=cls.id, teacher_id=teacher.id, starts_at=_at(day, 8), grace_minutes=5,
                     day=day, week=term.week_of(day), month=f"{day:%Y-%m}", secret="x" * 32, closed_at=_at(day, 9))
    db.session.add(s)
    db.session.flush()
    db.session.add_all(AttendanceMark(session_id=s.id, student_id=sid, status=status, source="teacher",
                                      marked_by=teacher.id) for sid, status in marks.items())
    return s


def _entry(teacher, cls, term, student, code, period, value, recorded_on, batch=None, reverses=None) -> ScoreEntry:
    point = db.session.scalar(select(ScoringPoint.id).where(ScoringPoint.code == code))
    e = ScoreEntry(term_id=term.id, point_id=point, student_id=student, class_id=cls.id, period=period, week=10,
                   occasion="", value=value, batch_id=batch or str(uuid.uuid4()), recorded_by=teacher.id,
                   recorded_at=_at(recorded_on), reverses_id=reverses, reason="更正" if reverses else None)
    db.session.add(e)
    db.session.flush()
    return e


def _records(college):
    """Everything behind the expected figures below; the other teacher's records must not count."""
    teacher, cls = _teacher(college)
    autumn, spring = _terms()
    s1, s2, s3 = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)
                                    .order_by(StudentProfile.user_id).limit(3)).all()
    other = _user(college["course_teacher"]["username"])
    # Attendance: autumn 5 present, 2 late, 1 absent, 2 leave; spring 1 present.
    _session(teacher, cls, autumn, date(2026, 11, 9), {s1: "present", s2: "late", s3: "absent"})
    _session(teacher, cls, autumn, date(2026, 11, 10), {s1: "present", s2: "present", s3: "leave"})
    _session(teacher, cls, autumn, date(2026, 11, 11), {s1: "present", s2: "late", s3: "leave"})
    _session(teacher, cls, autumn, date(2026, 11, 12), {s1: "present"})
    _session(teacher, cls, spring, date(2027, 3, 2), {s1: "present"})
    _session(other, cls, autumn, date(2026, 11, 13), {s1: "absent", s2: "absent"})
    # Homework 80 and 100 on the day (0 days late); preview 60, four days late; a homework 0 two days
    # late, reversed after an upheld dispute (its value leaves the mean, its lateness stays).
    batch = str(uuid.uuid4())
    _entry(teacher, cls, autumn, s1, "S-A-06", "day:2026-11-16", 80, date(2026, 11, 16), batch)
    _entry(teacher, cls, autumn, s2, "S-A-06", "day:2026-11-16", 100, date(2026, 11, 16), batch)
    _entry(teacher, cls, autumn, s1, "S-A-05", "day:2026-11-10", 60, date(2026, 11, 14))
    wrong = _entry(teacher, cls, autumn, s3, "S-A-06", "day:2026-11-17", 0, date(2026, 11, 19))
    _entry(teacher, cls, autumn, s3, "S-A-06", "day:2026-11-17", None, date(2026, 11, 20), reverses=wrong.id)
    kept = _entry(teacher, cls, autumn, s2, "S-A-07", "month:2026-10", 4, date(2026, 11, 3))  # 3 days after October
    _entry(other, cls, autumn, s1, "S-A-06", "day:2026-11-02", 10, date(2026, 11, 22))
    db.session.add_all([Dispute(entry_id=wrong.id, student_id=s3, class_id=cls.id, reason="交了", status="reversed"),
                        Dispute(entry_id=kept.id, student_id=s2, class_id=cls.id, reason="不对", status="rejected")])
    # Grades of the teacher's offering: 90 (4.0), 70 (2.0), 50 (0, failing); another course's do not count.
    course, elsewhere = (Course(school_id=cls.major.department.school_id, code=c, name=c) for c in ("T20-A", "T20-B"))
    db.session.add_all([course, elsewhere])
    db.session.flush()
    offering = CourseOffering(term_id=autumn.id, course_id=course.id, teacher_id=teacher.id)
    db.session.add(offering)
    db.session.flush()
    db.session.add(OfferingClass(offering_id=offering.id, class_id=cls.id))
    for sid, score, c in ((s1, 90, course), (s2, 70, course), (s3, 50, course), (s1, 10, elsewhere)):
        db.session.add(CourseGrade(term_id=autumn.id, course_id=c.id, student_id=sid, score=score, mark=str(score),
                                   imported_by=other.id))
    # Warnings in the class: one acknowledged in time, one late, one missed; one not yet due does not count.
    rule = db.session.scalar(select(WarningRule.id).limit(1))
    now = clock.now()
    for n, (due, acked) in enumerate(((now - timedelta(days=3), now - timedelta(days=4)),
                                      (now - timedelta(days=3), now - timedelta(days=2)),
                                      (now - timedelta(days=1), None), (now + timedelta(days=1), None))):
        db.session.add(StudentWarning(student_id=(s1, s2, s3, s1)[n], class_id=cls.id, rule_id=rule, term_id=autumn.id,
                                      category="academic", sensitive=False, level="yellow", status="raised",
                                      evidence={}, due_at=due, acknowledged_at=acked,
                                      acknowledged_by=teacher.id if acked else None, episode=n + 1))
    db.session.commit()
    return teacher, autumn


def test_each_indicator_from_the_records_behind_it(client, college):
    teacher, autumn = _records(college)
    me = login(client, demo_account(teacher.username))
    for kind, title, on, hours in (("training", "国培", "2026-10-20", 40), ("training", "暑期研修", "2027-07-10", 16),
                                   ("industry_practice", "企业实践", "2026-12-01", 30), ("paper", "论文", "2026-12-05", None),
                                   ("project", "课题", "2027-04-01", None), ("training", "去年", "2026-06-01", 99)):
        assert client.post("/api/v1/me/portfolio", headers=writing(me), json={
            "kind": kind, "title": title, "occurred_on": on, **({"hours": hours} if hours else {})}).status_code == 201

    statements = []
    assert teacher.id and autumn.starts_on  # loaded before counting

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    term = teacher_indicators.compute(teacher.id, autumn)
    event.remove(db.engine, "before_cursor_execute", count)
    counted = len(statements)
    assert term == {
        "T-ATTEND": 87.5, "T-PUNCTUAL": 71.4,  # (5 + 2) / 8; 5 / 7
        "T-HOMEWORK": 90.0, "T-PREVIEW": 60.0,
        "T-GPA": 2.0, "T-FAIL": 33.3,
        "T-SATISFY": None,  # Spiral holds no course evaluation
        "T-TIMELY": 2.2,  # batches 0, 4, 2 and 3 days late (the reversal is no batch of scoring): 9 / 4
        "T-DISPUTE": 1.0, "T-ACK": 33.3,
        "T-RESEARCH": 1.0, "T-TRAIN": 40.0, "T-PRACTICE": 30.0,
    }
    assert counted <= 8, statements  # a handful of aggregates, none per session

    other = _user(college["course_teacher"]["username"]).id  # the department's figures in the same statements
    assert teacher_indicators.compute_many([teacher.id, other], autumn) == {
        teacher.id: term, other: teacher_indicators.compute(other, autumn)}

    year = teacher_indicators.for_year(teacher.id, 2026)
    assert (year["T-ATTEND"], year["T-TRAIN"], year["T-RESEARCH"], year["T-GPA"]) == (88.9, 56.0, 2.0, 2.0)

    # The API: the teacher and their department admin; nobody else.
    dept = login(client, college["dept_admin"])
    body = client.get(f"/api/v1/teachers/{teacher.id}/indicators?term_id={autumn.id}", headers=me).json
    by_code = {i["code"]: i for i in body["indicators"]}
    assert by_code["T-ATTEND"]["value"] == 87.5 and by_code["T-ATTEND"]["dimension"] == "teaching"
    assert "S-A-06" in by_code["T-HOMEWORK"]["source"] and body["stage"] is None
    assert body["courses"] == [{"course_id": body["courses"][0]["course_id"], "course": "T20-A", "grades": 3,
                                "T-GPA": 2.0, "T-FAIL": 33.3}]
    assert client.get(f"/api/v1/teachers/{teacher.id}/indicators", headers=dept).json["year"] == 2026
    assert_problem(client.get(f"/api/v1/teachers/{teacher.id}/indicators", headers=login(client, college["student"])), 404)
    assert client.get(f"/api/v1/teachers/{teacher.id}/indicators",
                      headers=login(client, college["course_teacher"])).status_code in (403, 404)


def test_a_teacher_goal_links_an_indicator_and_keeps_to_the_stage_standard(client, college):
    teacher, autumn = _records(college)
    me = login(client, demo_account(teacher.username))
    cycle = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_cycle", "stage": "novice"}).json
    goals = f"/api/v1/plans/{cycle['id']}/goals"

    unknown = assert_problem(client.post(goals, headers=writing(me), json={
        "part": "teaching", "title": "x", "point_code": "T-NOPE", "target": 95, "standard": 90, "warning": 80}), 422)
    assert list(unknown["errors"]) == ["point_code"] and "T-NOPE" in unknown["errors"]["point_code"][0]
    below = assert_problem(client.post(goals, headers=writing(me), json={  # novice standard 90, warning 80
        "part": "teaching", "title": "出勤", "point_code": "T-ATTEND", "target": 95, "standard": 85, "warning": 75}), 422)
    assert set(below["errors"]) == {"standard", "warning"} and "90" in below["errors"]["standard"][0]
    lower = assert_problem(client.post(goals, headers=writing(me), json={  # lower is better: novice standard 15
        "part": "teaching", "title": "不及格", "point_code": "T-FAIL", "target": 10, "standard": 20, "warning": 25}), 422)
    assert "standard" in lower["errors"]

    plan = client.post(goals, headers=writing(me), json={
        "part": "teaching", "title": "提高出勤", "point_code": "T-ATTEND", "target": 98, "standard": 92, "warning": 85,
        "direction": "lower_better"}).json
    goal = plan["goals"][0]
    assert (goal["direction"], goal["unit"], goal["actual"], goal["standing"]) == ("higher_better", "%", 88.9, "below_standard")
    # A percentage cannot pass 100, and one indicator is followed by one goal of a plan.
    over = assert_problem(client.post(goals, headers=writing(me), json={
        "part": "teaching", "title": "出勤", "point_code": "T-PUNCTUAL", "target": 150, "standard": 95, "warning": 90}), 422)
    assert list(over["errors"]) == ["target"] and "100" in over["errors"]["target"][0]
    twice = assert_problem(client.post(goals, headers=writing(me), json={
        "part": "teaching", "title": "出勤再一次", "point_code": "T-ATTEND", "target": 98, "standard": 92, "warning": 85}), 422)
    assert list(twice["errors"]) == ["point_code"] and "T-ATTEND" in twice["errors"]["point_code"][0]
    edited = client.patch(f"/api/v1/goals/{goal['id']}", headers=writing(me), json={"target": 99})
    assert edited.status_code == 200, edited.json  # changing the linked goal itself is not a second link
    annual = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_year"}).json
    trained = assert_problem(client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "B", "title": "培训", "point_code": "T-TRAIN", "target": 30, "standard": 20, "warning": 10}), 422)
    # The annual plan follows the stage of the three-year plan covering its year: novice, standard 72 h.
    assert "72" in trained["errors"]["standard"][0]
    client.post("/api/v1/me/portfolio", headers=writing(me), json={
        "kind": "training", "title": "校本培训", "occurred_on": "2026-10-01", "hours": 24})
    hours = client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "B", "title": "培训", "point_code": "T-TRAIN", "target": 90, "standard": 72, "warning": 48}).json
    assert (hours["goals"][0]["unit"], hours["goals"][0]["actual"]) == ("h", 24.0)
    assert assert_problem(client.post(f"/api/v1/goals/{goal['id']}/logs", headers=writing(me), json={"value": 99}), 422)


def test_students_evaluate_a_course_anonymously_once_and_satisfaction_shows_from_five(client, college):
    teacher, autumn = _records(college)
    offering = db.session.scalar(select(CourseOffering.id).where(CourseOffering.teacher_id == teacher.id))
    cls = db.session.scalar(select(OfferingClass.class_id).where(OfferingClass.offering_id == offering))
    students = db.session.scalars(select(User).join(StudentProfile).where(StudentProfile.class_id == cls)
                                  .order_by(User.id).limit(6)).all()
    logins = [login(client, demo_account(s.username)) for s in students]
    listed = client.get("/api/v1/me/course-evaluations", headers=logins[0]).json
    assert {"offering_id": offering, "course": "T20-A", "teacher": "指标老师", "done": False} in listed
    url = f"/api/v1/offerings/{offering}/evaluation"
    for headers, score in zip(logins[:4], (5, 4, 4, 2), strict=True):
        assert client.post(url, headers=headers, json={"score": score}).status_code == 201
    assert teacher_indicators.compute(teacher.id, autumn)["T-SATISFY"] is None  # four answers would expose too much
    client.post(url, headers=logins[4], json={"score": 5})
    assert teacher_indicators.compute(teacher.id, autumn)["T-SATISFY"] == 80.0  # 4 of 5 gave 4 or 5
    assert_problem(client.post(url, headers=logins[0], json={"score": 1}), 409)
    assert "score" in assert_problem(client.post(url, headers=logins[5], json={"score": 6}), 422)["errors"]
    assert next(e for e in client.get("/api/v1/me/course-evaluations", headers=logins[0]).json
                if e["offering_id"] == offering)["done"] is True
    outsider = db.session.scalar(select(User).join(StudentProfile).where(StudentProfile.class_id != cls).limit(1))
    assert_problem(client.post(url, headers=login(client, demo_account(outsider.username)), json={"score": 3}), 404)
    assert_problem(client.post(url, headers=login(client, demo_account(teacher.username)), json={"score": 5}), 404)  # staff have no offering to evaluate
    # Anonymous: the score's row names no student and no time; who evaluated is kept apart.
    assert {c.name for c in CourseEvaluation.__table__.columns} == {"id", "offering_id", "score"}
    # The student's copy of their data says they evaluated the course, never with which score.
    given = client.get("/api/v1/me/data", headers=logins[0]).json["course_evaluations"]
    assert [(e["course"], e["score"]) for e in given] == [("T20-A", None)]

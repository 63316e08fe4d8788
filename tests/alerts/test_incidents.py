"""Mass events are one incident, not fifty warnings (issue 15, must-show 2).

A session closed with no check-ins, a correction of marks that marks most of a class absent, or a
batch (or scoring sheet) that puts most of a class past a point's warning value is one incident:
one class-level notice to the scorer and the head teacher, and the students' warnings wait for
its decision or its deadline."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend.alerts import incidents
from backend.extensions import db
from backend.jobs import alerts as alert_jobs
from backend.jobs.worker import SCHEDULE
from backend.models import (
    ClassGroup,
    Course,
    Incident,
    Notification,
    ScoreEntry,
    StudentProfile,
    StudentWarning,
    TeachingAssignment,
    User,
    WarningRule,
)
from backend.notify import notifications
from backend.platform import clock, language
from tests.helpers import assert_problem, build_college, demo_account, login, run_worker, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=90)
    users = {role: db.session.scalar(select(User).where(User.username == a["username"])) for role, a in accounts.items()}
    class_id = users["student"].student.class_id
    cls = db.session.get(ClassGroup, class_id)
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    course = db.session.scalar(select(Course).join(TeachingAssignment, TeachingAssignment.course_id == Course.id).where(
        TeachingAssignment.teacher_id == users["course_teacher"].id, TeachingAssignment.class_id == class_id).limit(1))
    other = db.session.scalar(select(ClassGroup).where(ClassGroup.id != class_id).order_by(ClassGroup.id).limit(1))
    found = {"accounts": accounts, "ids": {r: u.id for r, u in users.items()}, "class_id": class_id,
             "class_name": cls.name, "roster": roster, "course_id": course.id, "course_name": course.name,
             "head_id": cls.head_teacher_id, "other_head_id": other.head_teacher_id}
    # These tests are about incidents, not the minimum evidence (tests/alerts/test_evidence.py):
    # one session is evidence enough here, as a school admin may set it, so a released incident's
    # warnings show at once.
    db.session.execute(update(WarningRule).values(min_evidence={"sessions": 1, "days": 1, "values": 1}))
    db.session.commit()
    found["teacher"] = login(client, accounts["course_teacher"])
    found["head"] = login(client, accounts["head_teacher"])
    return found


def open_session(client, school, headers=None):
    response = client.post("/api/v1/sessions", headers=writing(headers or school["teacher"]), json={
        "class_id": school["class_id"], "course_id": school["course_id"],
        "starts_at": (clock.now() - timedelta(minutes=5)).isoformat()})
    assert response.status_code == 201, response.json
    return response.json


def close(client, school, session_id, key=None):
    response = client.post(f"/api/v1/sessions/{session_id}/close", headers=writing(school["teacher"], key))
    assert response.status_code == 200, response.json
    return response.json


def mark(client, headers, session_id, students, status):
    response = client.put(f"/api/v1/sessions/{session_id}/marks", headers=writing(headers),
                          json={"marks": [{"student_id": s, "status": status} for s in students]})
    assert response.status_code == 200, response.json
    return response.json


def the_incidents() -> list[Incident]:
    db.session.expire_all()
    return db.session.scalars(select(Incident).order_by(Incident.id)).all()


def warned(class_id: int) -> set[int]:
    """The students of the class with a student warning."""
    db.session.expire_all()
    return set(db.session.scalars(select(StudentWarning.student_id).where(StudentWarning.class_id == class_id)))


def notices(user_id: int, kind: str = "incident") -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
                              .order_by(Notification.id)).all()


def forgotten_code(app, client, school) -> dict:
    """The demo's morning: the teacher never showed the code, so nobody checked in, and closed."""
    session = open_session(client, school)
    closed = close(client, school, session["id"])
    assert closed["counts"]["absent"] == len(school["roster"])
    run_worker(app)  # the close's commit enqueued the notice and the class's rollups and warnings
    return session


def test_a_session_closed_with_no_check_ins_is_one_incident_one_notice_each_and_no_warnings(app, client, school):
    session = forgotten_code(app, client, school)
    n = len(school["roster"])
    [incident] = the_incidents()
    assert (incident.source_kind, incident.source_id, incident.status) == ("session", str(session["id"]), "open")
    assert sorted(incident.student_ids) == school["roster"] and incident.points == ["S-A-02", "S-A-03", "S-A-04"]
    # Not 46 red warnings and 51 notifications: none, and one notice each for the teacher and the head teacher.
    assert warned(school["class_id"]) == set()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "warning")) == 0
    for user_id in (school["ids"]["course_teacher"], school["head_id"]):
        [notice] = notices(user_id)
        assert notice.url == f"/#/incidents/{incident.id}" and notice.push in ("now", "quiet", "none")
        assert f"{school['course_name']} 周" in notice.title and f"{n}人中{n}人缺勤，是否有误？" in notice.title
        assert f"{n} of {n} marked absent in {school['course_name']}" in notice.title
        # The lock screen never names anyone or anything: a neutral line.
        assert notifications.lock_text(notice) == "有一批记录需要您核对"
    assert notices(school["other_head_id"]) == []

    # The head teacher's inbox says it once, and the screen says what happened and where to correct it.
    inbox = client.get("/api/v1/notifications", headers=school["head"]).json["items"]
    [shown_title] = [i["title"] for i in inbox if i["url"].startswith("/#/incidents/")]
    assert shown_title == language.split(notices(school["head_id"])[0].title)[0]
    assert shown_title.startswith(f"{school['class_name']} {school['course_name']} 周")
    shown = client.get(f"/api/v1/incidents/{incident.id}", headers=school["head"]).json
    assert (shown["affected"], shown["class_size"], shown["status"], shown["can_decide"]) == (n, n, "open", True)
    assert shown["correction"] == {"kind": "session", "session_id": session["id"], "batch_id": None, "live": None,
                                   "can_reverse": False}
    assert "缺勤，是否有误" in shown["title_zh"] and "marked absent" in shown["title_en"]
    assert [i["id"] for i in client.get("/api/v1/incidents", headers=school["head"]).json] == [incident.id]


def test_correcting_the_marks_closes_the_incident_and_no_warnings_appear(app, client, school):
    session = forgotten_code(app, client, school)
    # The head teacher follows the notice to the session and marks the class present (two were really absent).
    mark(client, school["head"], session["id"], school["roster"][2:], "present")
    [incident] = the_incidents()
    assert (incident.status, incident.decided_by) == ("corrected", school["head_id"])
    run_worker(app)
    assert warned(school["class_id"]) <= set(school["roster"][:2])  # only the real absentees, if anyone
    shown = client.get(f"/api/v1/incidents/{incident.id}", headers=school["head"]).json
    assert (shown["status"], shown["can_decide"]) == ("corrected", False)
    # Deciding again the same way changes nothing; the other way is refused.
    again = client.post(f"/api/v1/incidents/{incident.id}/decision", headers=writing(school["head"]),
                        json={"decision": "corrected"})
    assert again.status_code == 200 and again.json["status"] == "corrected"
    assert "已处理" in assert_problem(client.post(f"/api/v1/incidents/{incident.id}/decision",
                                               headers=writing(school["head"]), json={"decision": "confirmed"}), 409)["title"]


def test_all_corrected_leaves_nothing_to_warn_about(app, client, school):
    session = forgotten_code(app, client, school)
    mark(client, school["teacher"], session["id"], school["roster"], "present")
    run_worker(app)
    assert the_incidents()[0].status == "corrected" and warned(school["class_id"]) == set()


def test_confirming_the_records_releases_the_warnings(app, client, school):
    forgotten_code(app, client, school)
    [incident] = the_incidents()
    confirmed = client.post(f"/api/v1/incidents/{incident.id}/decision", headers=writing(school["head"]),
                            json={"decision": "confirmed", "note": "全班确实未到：实习动员会"})
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    assert confirmed.json["decided_by"] and not confirmed.json["can_decide"]
    run_worker(app)  # the decision re-evaluates the class at once
    assert warned(school["class_id"]) == set(school["roster"])


def test_the_deadline_passing_releases_the_warnings(app, client, school):
    # A three-hour deadline keeps the release on the day of the session: the fixture's rules read
    # attendance over a one-day window.
    app.config["INCIDENT_DEADLINE_HOURS"] = 3
    forgotten_code(app, client, school)
    [incident] = the_incidents()
    assert any(p.func is alert_jobs.expire_incidents for p in SCHEDULE)
    app.extensions["clock"].advance(timedelta(hours=2))
    assert alert_jobs.expire_incidents() == {"expired": 0}
    assert incidents.held(incident.term_id, school["class_id"], clock.now())[school["roster"][0]] == \
        {"S-A-02", "S-A-03", "S-A-04"}
    app.extensions["clock"].advance(timedelta(hours=2))  # an hour past the deadline: nobody decided
    assert alert_jobs.expire_incidents() == {"expired": 1}
    assert the_incidents()[0].status == "expired"
    run_worker(app)
    assert warned(school["class_id"]) == set(school["roster"])


def test_a_normal_close_with_three_absentees_is_no_incident(app, client, school):
    session = open_session(client, school)
    mark(client, school["teacher"], session["id"], school["roster"][3:], "present")
    assert close(client, school, session["id"])["counts"]["absent"] == 3
    run_worker(app)
    assert the_incidents() == [] and notices(school["head_id"]) == []
    assert warned(school["class_id"]) == set(school["roster"][:3])  # real absences warn as before


def test_marking_most_of_the_class_absent_by_hand_is_an_incident_too(app, client, school):
    session = open_session(client, school)
    mark(client, school["teacher"], session["id"], school["roster"], "absent")
    [incident] = the_incidents()
    assert (incident.trigger, incident.status, len(incident.student_ids)) == ("marks", "open", len(school["roster"]))
    close(client, school, session["id"])  # nothing left unmarked: the same incident, not a second one
    run_worker(app)
    assert len(the_incidents()) == 1 and warned(school["class_id"]) == set()


def test_a_repeated_close_is_one_incident_and_the_database_refuses_a_second(app, client, school):
    session = open_session(client, school)
    first = close(client, school, session["id"], key="close-key-1")
    assert close(client, school, session["id"], key="close-key-1") == first  # a replay
    close(client, school, session["id"], key="close-key-2")  # a second close with its own key
    run_worker(app)
    [incident] = the_incidents()
    assert len(notices(school["head_id"])) == 1 and len(notices(school["ids"]["course_teacher"])) == 1
    # Whatever a writer's check missed, the database keeps one incident per source and class.
    db.session.add(Incident(term_id=incident.term_id, class_id=incident.class_id, source_kind="session",
                            source_id=incident.source_id, trigger="close", points=[], student_ids=[], class_size=1,
                            recorded_by=incident.recorded_by, deadline=clock.now()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert len(the_incidents()) == 1


def test_a_batch_past_the_line_for_most_of_the_class_is_an_incident_reversed_in_one_step(app, client, school):
    roster = school["roster"]
    # A grade batch typed on the wrong scale: 35 for most of the class (S-A-09 warns under 60).
    response = client.post("/api/v1/entries", headers=writing(school["head"]), json={
        "point": "S-A-09", "period": "term",
        "entries": [{"student_id": s, "value": 35 if i >= 4 else 75} for i, s in enumerate(roster)]})
    assert response.status_code == 201
    run_worker(app)
    [incident] = the_incidents()
    assert (incident.source_kind, incident.source_id) == ("batch", response.json["batch_id"])
    assert sorted(incident.student_ids) == roster[4:] and incident.points == ["S-A-09"]
    assert warned(school["class_id"]) == set()
    [notice] = notices(school["head_id"])  # the scorer is the head teacher: one notice, not two
    assert f"{len(roster)}人中{len(roster) - 4}人超出预警线" in notice.title

    shown = client.get(f"/api/v1/incidents/{incident.id}", headers=school["head"]).json
    assert shown["correction"] | {"kind": "batch", "live": len(roster), "can_reverse": True} == shown["correction"]
    bad = assert_problem(client.post(f"/api/v1/incidents/{incident.id}/reverse-batch", headers=writing(school["head"]),
                                     json={"reason": ""}), 422)
    assert "reason" in bad["errors"]
    key = writing(school["head"])
    reversed_ = client.post(f"/api/v1/incidents/{incident.id}/reverse-batch", headers=key, json={"reason": "分数录错量纲"})
    assert reversed_.json == {"incident_id": incident.id, "reversed": len(roster), "status": "corrected"}
    replay = client.post(f"/api/v1/incidents/{incident.id}/reverse-batch", headers=key, json={"reason": "分数录错量纲"})
    assert replay.get_data() == reversed_.get_data()
    again = client.post(f"/api/v1/incidents/{incident.id}/reverse-batch", headers=writing(school["head"]),
                        json={"reason": "分数录错量纲"})
    assert again.json["reversed"] == 0
    live = db.session.scalar(select(func.count()).select_from(ScoreEntry).where(
        ScoreEntry.batch_id == incident.source_id, ScoreEntry.reverses_id.is_(None)))
    reversals = db.session.scalar(select(func.count()).select_from(ScoreEntry).where(ScoreEntry.reverses_id.is_not(None)))
    assert (live, reversals) == (len(roster), len(roster))  # every entry once, with its reversal
    run_worker(app)
    assert warned(school["class_id"]) == set()


def test_a_batch_that_puts_a_few_past_the_line_warns_as_before(app, client, school):
    roster = school["roster"]
    response = client.post("/api/v1/entries", headers=writing(school["head"]), json={
        "point": "S-A-09", "period": "term",
        "entries": [{"student_id": s, "value": 35 if i < 3 else 80} for i, s in enumerate(roster)]})
    assert response.status_code == 201
    run_worker(app)
    assert the_incidents() == [] and warned(school["class_id"]) == set(roster[:3])


def test_a_scoring_sheet_import_past_the_line_for_most_of_the_class_is_an_incident(app, client, school):
    url = f"/api/v1/classes/{school['class_id']}/scoring-sheet"
    sheet = client.get(f"{url}?point=S-A-06&period=day:2026-11-20", headers=school["teacher"])
    book = load_workbook(io.BytesIO(sheet.data))
    for row in range(4, 4 + len(school["roster"])):
        book["采分表"].cell(row, 3, 20)  # homework completion 20 %: under the line (70) for everyone
    data = io.BytesIO()
    book.save(data)
    response = client.post(url, headers=writing(school["teacher"]), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data.getvalue()), "sheet.xlsx")})
    assert response.status_code == 201, response.json
    run_worker(app)
    [incident] = the_incidents()
    assert (incident.source_id, incident.points, len(incident.student_ids)) == (
        response.json["batch_id"], ["S-A-06"], len(school["roster"]))
    assert warned(school["class_id"]) == set()
    # The confirmation releases them.
    client.post(f"/api/v1/incidents/{incident.id}/decision", headers=writing(school["teacher"]),
                json={"decision": "confirmed"})
    run_worker(app)
    assert warned(school["class_id"]) == set(school["roster"])


def test_a_held_student_keeps_a_real_warning_as_it_was(app, client, school):
    """The hold sets the incident's points back to their values without it: a student already
    under a real warning keeps it, neither raised in level nor cleared by the incident."""
    me = school["roster"][0]
    first = open_session(client, school)
    mark(client, school["teacher"], first["id"], school["roster"][1:], "present")
    close(client, school, first["id"])  # one real absence
    run_worker(app)
    def mine():
        db.session.expire_all()
        return {w.id: (w.level, w.status, [e.kind for e in w.events])
                for w in db.session.scalars(select(StudentWarning).where(StudentWarning.student_id == me))}
    before = mine()
    assert before and warned(school["class_id"]) == {me}
    forgotten_code(app, client, school)
    assert mine() == before and warned(school["class_id"]) == {me}


def test_who_may_see_and_decide_and_bad_input(app, client, school):
    forgotten_code(app, client, school)
    [incident] = the_incidents()
    url = f"/api/v1/incidents/{incident.id}"
    # The head teacher of another class does not see it at all; the counsellor sees it but does not decide.
    other = db.session.get(User, school["other_head_id"])
    other_head = login(client, demo_account(other.username))
    assert_problem(client.get(url, headers=other_head), 404)
    assert client.get("/api/v1/incidents", headers=other_head).json == []
    counsellor = login(client, school["accounts"]["counsellor"])
    assert client.get(url, headers=counsellor).status_code == 200
    assert client.get(url, headers=counsellor).json["can_decide"] is False
    assert_problem(client.post(f"{url}/decision", headers=writing(counsellor), json={"decision": "confirmed"}), 403)
    # A batch reversal of a session incident: nothing to reverse there.
    assert_problem(client.post(f"{url}/reverse-batch", headers=writing(school["head"]), json={"reason": "录错"}), 409)
    # Bad input names the field and writes nothing.
    body = assert_problem(client.post(f"{url}/decision", headers=writing(school["head"]), json={"decision": "maybe"}), 422)
    assert set(body["errors"]) == {"decision"}
    body = assert_problem(client.post(f"{url}/decision", headers=writing(school["head"]),
                                      json={"decision": "confirmed", "class_id": 1}), 422)
    assert "class_id" in body["errors"]
    assert_problem(client.get("/api/v1/incidents?status=closed", headers=school["head"]), 422)
    assert the_incidents()[0].status == "open" and warned(school["class_id"]) == set()

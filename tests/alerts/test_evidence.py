"""Issue 15, must show 1 and 3: enough evidence before a warning; warnings follow their evidence.

A rule states the least evidence it needs (attendance: N sessions over D days; ledger: N values),
edited by the school admin like the thresholds. A warning's evidence is every value past the line
and the entries and marks behind them, kept current on every evaluation. When those records are
reversed or corrected, the warning is re-evaluated at once and, no longer holding, withdrawn (not
resolved) with the reason; its pushes still due are cancelled. A relapse after a resolve opens a
new episode linked to the earlier one.
"""
import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.jobs import alerts
from backend.models import (
    AuditEvent,
    Notification,
    PushDelivery,
    PushSubscription,
    ScoreEntry,
    StudentProfile,
    StudentWarning,
    TeachingAssignment,
    User,
    WarningRule,
)
from backend.notify import notifications
from backend.org import directory
from backend.platform import clock
from tests.helpers import assert_problem, build_college, login, run_worker, writing
from tests.push_endpoint import PushEndpoint

V1 = "/api/v1"


@pytest.fixture
def college(app, client):
    accounts = build_college(students=60)
    me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    course = db.session.scalar(select(TeachingAssignment.course_id).where(
        TeachingAssignment.teacher_id == teacher.id, TeachingAssignment.class_id == me.student.class_id))
    out = {"accounts": accounts, "me": me.id, "class_id": me.student.class_id, "course_id": course,
           "teacher_name": teacher.display_name,
           "head_name": db.session.scalar(select(User.display_name).where(
               User.username == accounts["head_teacher"]["username"])),
           "head": login(client, accounts["head_teacher"]), "teacher": login(client, accounts["course_teacher"]),
           "admin": login(client, accounts["school_admin"])}
    db.session.rollback()
    return out


def session_on(client, college, days_ago: int, status: str, hour_offset: int = 0) -> int:
    """A session of the class `days_ago` days back, the student marked `status` by the course teacher."""
    opened = client.post(f"{V1}/sessions", headers=writing(college["teacher"]), json={
        "class_id": college["class_id"], "course_id": college["course_id"],
        "starts_at": (clock.now() - timedelta(days=days_ago, hours=hour_offset)).isoformat()})
    assert opened.status_code == 201, opened.json
    marked = client.put(f"{V1}/sessions/{opened.json['id']}/marks", headers=writing(college["teacher"]),
                        json={"marks": [{"student_id": college["me"], "status": status}]})
    assert marked.status_code == 200, marked.json
    return opened.json["id"]


def mine(client, college, status: str = "open") -> list[dict]:
    return [w for w in client.get(f"{V1}/warnings?status={status}", headers=college["head"]).json
            if w["student_id"] == college["me"]]


def detail(client, college, warning_id: int) -> dict:
    return client.get(f"{V1}/warnings/{warning_id}", headers=college["head"]).json


def enter(client, headers, point: str, period: str, student_id: int, value: float) -> int:
    response = client.post(f"{V1}/entries", headers=writing(headers), json={
        "point": point, "period": period, "entries": [{"student_id": student_id, "value": value}]})
    assert response.status_code == 201, response.json
    db.session.rollback()
    return db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.batch_id == response.json["batch_id"]))


def academic(client, college, status: str = "open") -> dict | None:
    found = [w for w in mine(client, college, status) if w["rule"]["code"] == "TH-ACADEMIC"]
    return found[0] if found else None


# --- 1. enough evidence before a warning ------------------------------------------------------

def test_one_absence_in_two_sessions_raises_nothing_twelve_sessions_over_two_weeks_do(app, client, college):
    session_on(client, college, 0, "absent")
    session_on(client, college, 0, "present", hour_offset=2)
    run_worker(app)  # each marking enqueued the class's evaluation
    # 50 % attendance used to be red at once; two sessions are not evidence (default: 12 over 14 days).
    assert mine(client, college) == []

    absent = [session_on(client, college, 0, "absent", hour_offset=4)] + \
        [session_on(client, college, d, "absent") for d in (1, 2, 3)]
    for d in (1, 2):
        session_on(client, college, d, "present", hour_offset=2)
    for d in (5, 6, 7, 8):
        session_on(client, college, d, "present")
    run_worker(app)
    assert mine(client, college) == []  # twelve sessions, but inside nine days: still not evidence

    session_on(client, college, 13, "present")  # thirteen sessions over fourteen days: evidence now
    run_worker(app)
    warned = academic(client, college)
    assert warned is not None and warned["level"] == "red"
    evidence = detail(client, college, warned["id"])["evidence"]
    by_code = {v["code"]: v for v in evidence["values"]}
    assert {"S-A-03", "S-A-04"} <= set(by_code)  # every attendance point past the line, not only the worst
    assert by_code["S-A-03"]["basis"] == {"sessions": 13, "days": 14}
    assert by_code["S-A-03"]["indicator"] == round(100 * 8 / 13, 2)
    assert by_code["S-A-03"]["warning_value"] == 90.0 and by_code["S-A-03"]["standard_value"] == 98.0
    marks = evidence["marks"]
    assert len(marks) == 5 and {m["status"] for m in marks} == {"absent"}
    assert set(absent) < {m["session_id"] for m in marks}
    one = next(m for m in marks if m["session_id"] == absent[1])
    assert one["day"] == (clock.school_today() - timedelta(days=1)).isoformat()
    assert (one["marked_by"], one["source"]) == (college["teacher_name"], "teacher")
    assert set(one["codes"]) >= {"S-A-03", "S-A-04"} and one["course"]


def test_attendance_is_judged_over_the_rules_recent_window(app, client, college):
    """A student who stops coming after a good month is warned within days: the rule reads the
    last 14 days' sessions, where the term's mean would take weeks to fall below the line. A single
    absence among them stays a single absence."""
    for d in range(15, 40):
        session_on(client, college, d, "present")
        session_on(client, college, d, "present", hour_offset=2)
    for d in range(5, 14):
        session_on(client, college, d, "present")
    session_on(client, college, 4, "absent")  # one absence in twelve recent sessions: 91.7 %
    for d in (2, 3):
        session_on(client, college, d, "present")
    run_worker(app)
    assert mine(client, college) == []

    for d in (0, 1):  # then he stops coming
        session_on(client, college, d, "absent")
        session_on(client, college, d, "absent", hour_offset=2)
    run_worker(app)
    warned = academic(client, college)
    card = client.get(f"{V1}/students/{college['me']}/card", headers=college["head"]).json
    term_mean = next(p["indicator"] for p in card["points"] if p["code"] == "S-A-03")
    assert term_mean > 90  # the term's figure has not moved past the line yet
    assert warned is not None
    value = next(v for v in detail(client, college, warned["id"])["evidence"]["values"] if v["code"] == "S-A-03")
    assert value["indicator"] == round(100 * 11 / 16, 2) and value["basis"] == {"sessions": 16, "days": 14}


def test_the_minimum_evidence_is_edited_by_the_school_admin_checked_by_field_and_audited(app, client, college):
    rules = client.get(f"{V1}/warning-rules", headers=college["admin"]).json
    assert all(r["min_evidence"] == {"sessions": 12, "days": 14, "values": 1} for r in rules)
    before = [r for r in rules if r["code"] == "TH-ACADEMIC"][0]
    bad = client.patch(f"{V1}/warning-rules/TH-ACADEMIC", headers=college["admin"],
                       json={"min_evidence": {"sessions": 0, "days": "seven", "extra": 1}})
    errors = assert_problem(bad, 422)["errors"]
    assert set(errors) == {"min_evidence.sessions", "min_evidence.days", "min_evidence.values", "min_evidence.extra"}
    assert errors["min_evidence.sessions"][0].startswith("应为 1–200 的整数")
    assert_problem(client.patch(f"{V1}/warning-rules/TH-ACADEMIC", headers=college["admin"],
                                json={"min_evidence": [6, 7]}), 422)
    assert_problem(client.patch(f"{V1}/warning-rules/TH-ACADEMIC", headers=college["head"],
                                json={"min_evidence": {"sessions": 12, "days": 14, "values": 2}}), 403)
    assert [r for r in client.get(f"{V1}/warning-rules", headers=college["admin"]).json
            if r["code"] == "TH-ACADEMIC"][0] == before
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "warning_rule.update")) is None

    edited = client.patch(f"{V1}/warning-rules/TH-ACADEMIC", headers=college["admin"],
                          json={"min_evidence": {"sessions": 12, "days": 14, "values": 2}})
    assert edited.status_code == 200 and edited.json["min_evidence"]["values"] == 2
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "warning_rule.update"))
    assert json.loads(audit.detail) == {"before": {"min_evidence": {"sessions": 12, "days": 14, "values": 1}},
                                        "after": {"min_evidence": {"sessions": 12, "days": 14, "values": 2}}}

    day = clock.school_today() - timedelta(days=3)
    enter(client, college["teacher"], "S-A-06", f"day:{day.isoformat()}", college["me"], 40)
    run_worker(app)
    assert academic(client, college) is None  # one homework value: below the edited minimum of two
    enter(client, college["teacher"], "S-A-06", f"day:{clock.school_today().isoformat()}", college["me"], 30)
    run_worker(app)
    warned = academic(client, college)
    assert warned is not None
    values = detail(client, college, warned["id"])["evidence"]["values"]
    assert [(v["code"], v["basis"]) for v in values] == [("S-A-06", {"values": 2})]


# --- 3. warnings follow their evidence ----------------------------------------------------------

def test_evidence_is_every_value_past_the_line_with_its_entries_kept_current(app, client, college):
    grade = enter(client, college["head"], "S-A-09", "term", college["me"], 35)
    run_worker(app)
    warned = academic(client, college)
    first = detail(client, college, warned["id"])["evidence"]
    assert [v["code"] for v in first["values"]] == ["S-A-09"]

    day = (clock.school_today() - timedelta(days=3)).isoformat()
    homework = enter(client, college["teacher"], "S-A-06", f"day:{day}", college["me"], 30)
    run_worker(app)  # still red: no new level, but the evidence follows the new value past the line
    now = detail(client, college, warned["id"])
    assert now["level"] == "red" and [e["kind"] for e in now["events"]] == ["raised", "notified"]
    assert {v["code"] for v in now["evidence"]["values"]} == {"S-A-09", "S-A-06"}
    entries = {e["entry_id"]: e for e in now["evidence"]["entries"]}
    assert set(entries) == {grade, homework}
    assert (entries[grade]["code"], entries[grade]["value"], entries[grade]["period"]) == ("S-A-09", 35.0, "term")
    assert entries[grade]["recorded_by"] == college["head_name"] and entries[grade]["recorded_at"]
    assert (entries[homework]["code"], entries[homework]["recorded_by"]) == ("S-A-06", college["teacher_name"])


def quiet_now(user_id: int) -> None:
    """The user's quiet hours cover now: their orange alerts wait as due push deliveries."""
    hour = clock.now().astimezone(clock.school_zone()).hour
    notifications.update_preferences(user_id, {"quiet_from": (hour - 1) % 24, "quiet_until": (hour + 2) % 24})


@pytest.fixture
def subscribed(app, runner, college):
    """The head teacher's phone is subscribed; their quiet hours hold an orange alert's push."""
    assert runner.invoke(args=["push", "keys"]).exit_code == 0
    server = PushEndpoint()
    app.config["PUSH_ALLOWED_ORIGINS"] = (server.origin,)
    head = db.session.scalar(select(User).where(User.username == college["accounts"]["head_teacher"]["username"]))
    sub = server.subscription()
    db.session.add(PushSubscription(user_id=head.id, endpoint=sub["endpoint"], p256dh=sub["keys"]["p256dh"],
                                    auth=sub["keys"]["auth"], device="phone"))
    quiet_now(head.id)
    db.session.commit()
    yield {**college, "head_id": head.id, "endpoint": server}
    server.close()
    os.unlink(os.path.join(app.config["INSTANCE_PATH"], "vapid.json"))  # the instance folder outlives the test


@pytest.mark.parametrize("undo", ["reverse", "correct", "dispute"])
def test_reversing_the_records_behind_a_warning_withdraws_it_and_cancels_its_pushes(app, client, subscribed, undo):
    college = subscribed
    entry = enter(client, college["head"], "S-A-09", "term", college["me"], 50)  # 10 % past: orange
    run_worker(app)
    warned = academic(client, college)
    assert warned["level"] == "orange"
    due = db.session.scalars(select(PushDelivery).join(Notification).where(
        Notification.warning_id == warned["id"])).all()
    assert [d.state for d in due] == ["due"]  # held by the head teacher's quiet hours
    pushes_before = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == college["head_id"]))

    if undo == "reverse":
        done = client.post(f"{V1}/entries/{entry}/reverse", headers=writing(college["head"]), json={"reason": "录错学生"})
    elif undo == "correct":
        done = client.post(f"{V1}/entries/{entry}/correction", headers=writing(college["head"]),
                           json={"reason": "录错分数", "value": 78})
    else:
        student = login(client, college["accounts"]["student"])
        disputed = client.post(f"{V1}/entries/{entry}/disputes", headers=writing(student), json={"reason": "成绩录错了"})
        assert disputed.status_code == 201, disputed.json
        done = client.post(f"{V1}/disputes/{disputed.json['id']}/resolve", headers=writing(college["head"]),
                           json={"action": "reverse", "reason": "核实后冲销"})
    assert done.status_code in (200, 201), done.json
    run_worker(app)  # the undo's commit enqueued the class's evaluation: at once, no nightly pass needed

    assert academic(client, college) is None  # gone from the open list
    withdrawn = academic(client, college, "withdrawn")
    assert withdrawn["id"] == warned["id"] and withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_at"]
    assert academic(client, college, "resolved") is None  # withdrawn is not resolved
    shown = detail(client, college, warned["id"])
    assert shown["withdrawn_reason"].startswith("依据的记录已撤销/更正")
    assert f"S-A-09 记录 #{entry}（50）" in shown["withdrawn_reason"] and "The records" not in shown["withdrawn_reason"]
    assert [e["kind"] for e in shown["events"]][-1] == "withdrawn"
    assert shown["events"][-1]["text"] == shown["withdrawn_reason"]
    db.session.expire_all()
    assert [d.state for d in db.session.scalars(select(PushDelivery).where(
        PushDelivery.id.in_([d.id for d in due])))] == ["cancelled"]
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == college["head_id"])) == pushes_before  # nobody is alerted about it
    assert college["endpoint"].received == []
    assert_problem(client.post(f"{V1}/warnings/{warned['id']}/acknowledge", headers=writing(college["head"])), 409)
    own = client.get(f"{V1}/me/warnings", headers=login(client, college["accounts"]["student"])).json
    assert [w["status"] for w in own if w["id"] == warned["id"]] == ["withdrawn"]


def test_values_that_improve_over_time_clear_the_warning_but_do_not_withdraw_it(app, client, college):
    day = clock.school_today() - timedelta(days=3)
    low = enter(client, college["teacher"], "S-A-06", f"day:{day.isoformat()}", college["me"], 40)
    run_worker(app)
    warned = academic(client, college)
    assert warned is not None
    for n in (1, 2, 3):  # better homework since: the mean is back over the warning value
        enter(client, college["teacher"], "S-A-06", f"day:{(day + timedelta(days=n)).isoformat()}", college["me"], 100)
    run_worker(app)
    still = detail(client, college, warned["id"])
    assert still["status"] == "notified" and still["events"][-1]["kind"] == "cleared"
    assert still["withdrawn_reason"] is None and [e["entry_id"] for e in still["evidence"]["entries"]] == [low]
    assert academic(client, college)["id"] == warned["id"]  # its responders still see it, as today


def test_an_attendance_correction_withdraws_the_warning_naming_the_sessions(app, client, college):
    absent = [session_on(client, college, d, "absent") for d in (1, 2, 3)]
    for d in range(4, 15):  # marks over fourteen days, thirteen sessions in the window: evidence
        session_on(client, college, d, "present")
    run_worker(app)
    warned = academic(client, college)
    assert warned is not None
    assert {m["session_id"] for m in detail(client, college, warned["id"])["evidence"]["marks"]} == set(absent)

    for sid in absent:  # the absences were marked on the wrong student: corrected to present
        fixed = client.put(f"{V1}/sessions/{sid}/marks", headers=writing(college["teacher"]),
                           json={"marks": [{"student_id": college["me"], "status": "present"}]})
        assert fixed.status_code == 200
    run_worker(app)
    gone = detail(client, college, warned["id"])
    assert gone["status"] == "withdrawn" and academic(client, college) is None
    day = (clock.school_today() - timedelta(days=1)).isoformat()
    assert f"课堂 #{absent[0]}（{day}）缺勤→出勤" in gone["withdrawn_reason"]


def test_a_relapse_after_a_resolve_opens_episode_2_linked_to_episode_1(app, client, college):
    entry = enter(client, college["head"], "S-A-09", "term", college["me"], 35)
    run_worker(app)
    first = academic(client, college)
    assert (first["episode"], first["previous_id"]) == (1, None)
    resolved = client.post(f"{V1}/warnings/{first['id']}/resolve", headers=writing(college["head"]),
                           json={"text": "补考安排好了"})
    assert resolved.json["status"] == "resolved"
    run_worker(app)
    assert mine(client, college) == []  # resolved while it still holds: no new episode

    # The grade is corrected upwards (values cleared), then a new failing grade: a relapse at the same level.
    client.post(f"{V1}/entries/{entry}/correction", headers=writing(college["head"]), json={"reason": "补考成绩", "value": 75})
    run_worker(app)
    assert mine(client, college) == []
    head_alerts = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.url == f"/#/warnings/{first['id']}"))
    newest = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == college["me"],
                                                           ScoreEntry.value == 75))
    client.post(f"{V1}/entries/{newest}/correction", headers=writing(college["head"]), json={"reason": "重考未过", "value": 35})
    run_worker(app)
    second = academic(client, college)
    assert second["id"] != first["id"] and (second["episode"], second["previous_id"]) == (2, first["id"])
    assert (second["level"], second["status"]) == ("red", "notified")
    assert detail(client, college, first["id"])["status"] == "resolved"  # episode 1 keeps its history
    db.session.rollback()
    # Announced anew: the responders and the student hear of episode 2 with its own link.
    assert {n.kind for n in db.session.scalars(select(Notification).where(Notification.warning_id == second["id"]))} \
        == {"warning", "nudge"}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.url == f"/#/warnings/{first['id']}")) == head_alerts
    run_worker(app)
    term = directory.current_term(clock.school_today())
    assert alerts.evaluate_class(term.id, college["class_id"]) == {"raised": 0, "raised_level": 0}


def test_the_database_refuses_a_second_row_for_the_same_episode(app, college):
    """Two evaluations racing to open the same episode: one insert wins; the other's job fails on
    the unique key and its retry finds the episode there."""
    term = directory.current_term(clock.school_today())
    rule = db.session.scalar(select(WarningRule).where(WarningRule.code == "TH-ACADEMIC"))
    student = db.session.scalar(select(StudentProfile).where(StudentProfile.user_id == college["me"]))
    row = dict(student_id=student.user_id, class_id=student.class_id, rule_id=rule.id, term_id=term.id,
               category="academic", sensitive=False, level="red", status="resolved", evidence={},
               raised_at=clock.now(), due_at=clock.now())
    db.session.add(StudentWarning(**row, episode=1))
    db.session.add(StudentWarning(**row, episode=2))
    db.session.commit()
    db.session.add(StudentWarning(**row, episode=2))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

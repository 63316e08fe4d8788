"""Warnings: rules raise them from the ledger, the chain's roles work them to a close, need-to-know
ones stay with those roles, and the registry and the audit log keep sensitive reads visible."""
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.alerts import warnings
from backend.extensions import db
from backend.jobs import alerts
from backend.models import (
    AuditEvent,
    ClassGroup,
    Notification,
    StudentProfile,
    StudentWarning,
    User,
)
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import (
    assert_problem,
    build_college,
    calendar_dates,
    demo_account,
    login,
    run_worker,
    writing,
)

OFFICE = "T10002"  # the demo's school-wide student-affairs office


@pytest.fixture
def college(app):
    return build_college(students=90)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def student_of(accounts) -> StudentProfile:
    return user(accounts["student"]["username"]).student


def enter(scorer: str, point: str, rows: dict[int, float], period: str = "term") -> None:
    ledger.record_batch(user(scorer), directory.current_term(clock.school_today()), {
        "point": point, "period": period, "entries": [{"student_id": s, "value": v} for s, v in rows.items()]})
    db.session.commit()


def evaluate(class_id: int) -> dict:
    return alerts.evaluate_class(directory.current_term(clock.school_today()).id, class_id)


def the_warning(student_id: int, rule: str) -> StudentWarning | None:
    db.session.expire_all()
    return next((w for w in db.session.scalars(select(StudentWarning).where(StudentWarning.student_id == student_id))
                 if w.rule.code == rule), None)


@calendar_dates
def test_an_entry_batch_raises_a_warning_through_the_worker_with_evidence_and_a_nudge(app, client, college):
    me = student_of(college)
    head = login(client, college["head_teacher"])
    response = client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-09", "period": "term", "entries": [{"student_id": me.user_id, "value": 35}]})
    assert response.status_code == 201
    run_worker(app)  # the batch's commit enqueued the class's evaluation

    listed = client.get("/api/v1/warnings", headers=head).json
    mine = [w for w in listed if w["student_id"] == me.user_id]
    assert [w["rule"]["code"] for w in mine] == ["TH-ACADEMIC"]
    # 25 points under the warning value of 60 on a 0–100 scale: past the 20% red line.
    assert mine[0]["level"] == "red" and mine[0]["status"] == "notified" and mine[0]["waiting_on"] == "head_teacher"
    detail = client.get(f"/api/v1/warnings/{mine[0]['id']}", headers=head).json
    assert detail["evidence"]["values"][0] | {"code": "S-A-09", "indicator": 35.0, "warning_value": 60.0} == \
        detail["evidence"]["values"][0]
    assert [e["value"] for e in detail["evidence"]["entries"]] == [35.0]
    assert [e["kind"] for e in detail["events"]] == ["raised", "notified"]

    student = login(client, college["student"])
    own = client.get("/api/v1/me/warnings", headers=student).json
    assert [w["id"] for w in own] == [mine[0]["id"]] and own[0]["rule"]["advice_zh"]
    inbox = client.get("/api/v1/notifications", headers=student).json
    assert [n["kind"] for n in inbox["items"]] == ["nudge"] and inbox["unread"] == 1
    head_inbox = client.get("/api/v1/notifications", headers=head).json["items"]
    assert head_inbox[0]["url"] == f"/#/warnings/{mine[0]['id']}"

    # Deduplicated per student, rule and term: evaluating again raises nothing new.
    assert evaluate(me.class_id) == {"raised": 0, "raised_level": 0}
    assert len([w for w in client.get("/api/v1/warnings", headers=head).json if w["student_id"] == me.user_id]) == 1
    # A course teacher is not in the rule's chain: the warning does not exist for them.
    teacher = login(client, college["course_teacher"])
    assert client.get("/api/v1/warnings", headers=teacher).json == []
    assert_problem(client.get(f"/api/v1/warnings/{mine[0]['id']}", headers=teacher), 404)


def test_a_warning_worse_after_resolution_opens_a_new_linked_episode(app, client, college):
    """Issue 15: what used to reopen the resolved warning ("worse than when it was closed") now
    opens episode 2, linked to episode 1 and announced anew; episode 1 stays resolved."""
    me = student_of(college)
    head_user = user(college["head_teacher"]["username"])
    enter(college["head_teacher"]["username"], "S-A-09", {me.user_id: 55})
    evaluate(me.class_id)
    w = the_warning(me.user_id, "TH-ACADEMIC")
    assert w.level == "yellow"
    head = login(client, college["head_teacher"])
    resolved = client.post(f"/api/v1/warnings/{w.id}/resolve", headers=writing(head), json={"text": "谈话后已补交"})
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"

    entry = next(e for e in ledger.student_entries(me.user_id, w.term_id, True) if e["point"] == "S-A-09")
    ledger.reverse(head_user, db.session.get(ledger.ScoreEntry, entry["id"]), "录错")
    db.session.commit()
    enter(college["head_teacher"]["username"], "S-A-09", {me.user_id: 45})
    assert evaluate(me.class_id) == {"raised": 1, "raised_level": 0}
    first = the_warning(me.user_id, "TH-ACADEMIC")
    assert (first.id, first.level, first.status, first.episode) == (w.id, "yellow", "resolved", 1)
    assert [e.kind for e in first.events][-1] == "resolved"
    second = db.session.scalar(select(StudentWarning).where(StudentWarning.previous_id == w.id))
    assert (second.level, second.status, second.episode) == ("orange", "notified", 2)
    assert [e.kind for e in second.events] == ["raised", "notified"]
    assert evaluate(me.class_id) == {"raised": 0, "raised_level": 0}


def test_life_of_a_warning_acknowledge_intervene_resolve_with_retries_counted_once(app, client, college):
    me = student_of(college)
    enter(college["head_teacher"]["username"], "S-A-09", {me.user_id: 50})
    evaluate(me.class_id)
    w = the_warning(me.user_id, "TH-ACADEMIC")
    counsellor = login(client, college["counsellor"])
    ack = writing(counsellor)
    first = client.post(f"/api/v1/warnings/{w.id}/acknowledge", headers=ack)
    again = client.post(f"/api/v1/warnings/{w.id}/acknowledge", headers=ack)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert first.json["status"] == "acknowledged"

    bad = client.post(f"/api/v1/warnings/{w.id}/interventions", headers=writing(counsellor),
                      json={"kind": "call", "follow_up_on": "soon"})
    body = assert_problem(bad, 422)
    assert {"kind", "text", "follow_up_on"} <= set(body["errors"])
    follow_up = (clock.school_today() + timedelta(days=7)).isoformat()
    note = client.post(f"/api/v1/warnings/{w.id}/interventions", headers=writing(counsellor),
                       json={"kind": "action", "text": "约谈并安排同伴辅导", "follow_up_on": follow_up})
    assert note.status_code == 201 and note.json["status"] == "in_progress" and note.json["follow_up_on"] == follow_up
    done = client.post(f"/api/v1/warnings/{w.id}/resolve", headers=writing(counsellor), json={"text": "补考通过"})
    assert done.json["status"] == "resolved"
    assert [e["kind"] for e in done.json["events"]] == ["raised", "notified", "acknowledged", "action", "resolved"]
    late = client.post(f"/api/v1/warnings/{w.id}/interventions", headers=writing(counsellor), json={"text": "再次谈话"})
    assert_problem(late, 409)
    assert client.get("/api/v1/warnings?status=resolved", headers=counsellor).json[0]["id"] == w.id


@calendar_dates
def test_an_unacknowledged_warning_escalates_along_its_chain(app, client, college):
    me = student_of(college)
    enter(college["head_teacher"]["username"], "S-A-09", {me.user_id: 50})
    evaluate(me.class_id)
    w = the_warning(me.user_id, "TH-ACADEMIC")
    counsellor, dept_admin = user(college["counsellor"]["username"]), user(college["dept_admin"]["username"])
    later = clock.now() + timedelta(hours=73)
    assert warnings.escalate_overdue(later) == 1
    db.session.commit()
    w = the_warning(me.user_id, "TH-ACADEMIC")
    assert (w.status, w.rule.chain[w.step]) == ("escalated", "counsellor")
    inbox = db.session.scalars(select(Notification).where(Notification.user_id == counsellor.id)).all()
    assert [n.kind for n in inbox if n.warning_id == w.id] == ["escalation"]  # the raise went to the head teacher
    assert warnings.escalate_overdue(later + timedelta(hours=73)) == 1
    assert warnings.escalate_overdue(later + timedelta(hours=146)) == 0  # the department is the last step
    db.session.commit()
    assert db.session.scalar(select(Notification).where(Notification.user_id == dept_admin.id,
                                                        Notification.kind == "escalation")) is not None
    admin = login(client, college["dept_admin"])
    assert client.post(f"/api/v1/warnings/{w.id}/acknowledge", headers=writing(admin)).status_code == 200
    assert warnings.escalate_overdue(later + timedelta(hours=400)) == 0


def test_need_to_know_warnings_stay_with_the_roles_that_act_and_every_read_is_audited(app, client, college):
    me = student_of(college)
    enter(OFFICE, "S-P-13", {me.user_id: 3})
    enter(OFFICE, "S-P-14", {me.user_id: 2})
    evaluate(me.class_id)
    w = the_warning(me.user_id, "RISK-DISCIPLINE")
    assert (w.level, w.sensitive) == ("red", True)
    assert [v["code"] for v in w.evidence["values"]] == ["S-P-13", "S-P-13", "S-P-14"]

    head = login(client, college["head_teacher"])
    assert w.id in [x["id"] for x in client.get("/api/v1/warnings", headers=head).json]
    assert client.get(f"/api/v1/warnings/{w.id}", headers=head).status_code == 200
    reads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "read.sensitive",
                                                        AuditEvent.object_type.in_(("warning", "warning_list")))).all()
    assert {r.object_type for r in reads} == {"warning", "warning_list"}
    student = login(client, college["student"])
    assert w.id not in [x["id"] for x in client.get("/api/v1/me/warnings", headers=student).json]
    assert_problem(client.get(f"/api/v1/warnings/{w.id}", headers=student), 404)
    assert db.session.scalar(select(Notification).where(Notification.user_id == me.user_id,
                                                        Notification.warning_id == w.id)) is None
    # A head teacher of another class holds no role over this student.
    other = db.session.scalar(select(ClassGroup).where(ClassGroup.id != me.class_id))
    stranger = login(client, demo_account(db.session.get(User, other.head_teacher_id).username))
    assert_problem(client.get(f"/api/v1/warnings/{w.id}", headers=stranger), 404)


def test_rules_are_data_a_school_admin_edits_with_clear_errors(app, client, college):
    admin = login(client, college["school_admin"])
    rules = client.get("/api/v1/warning-rules", headers=admin).json
    assert {r["category"] for r in rules} >= {"academic", "discipline", "mental_health", "finance", "employment"}
    assert all(r["explanation_zh"] and r["explanation_en"] for r in rules)
    bad = client.patch("/api/v1/warning-rules/RISK-MENTAL", headers=admin,
                       json={"chain": ["course_teacher"], "levels": {"yellow": 2, "red": 1}})
    assert set(assert_problem(bad, 422)["errors"]) == {"chain", "levels"}
    head = login(client, college["head_teacher"])
    assert_problem(client.patch("/api/v1/warning-rules/TH-ACADEMIC", headers=head, json={"ack_hours": 1}), 403)

    edited = client.patch("/api/v1/warning-rules/TH-ACADEMIC", headers=admin,
                          json={"levels": {"yellow": 0, "orange": 5, "red": 50}, "ack_hours": 24})
    assert edited.status_code == 200 and edited.json["ack_hours"] == 24
    me = student_of(college)
    enter(college["head_teacher"]["username"], "S-A-09", {me.user_id: 35})  # 25% past: now orange, not red
    evaluate(me.class_id)
    w = the_warning(me.user_id, "TH-ACADEMIC")
    assert w.level == "orange" and w.due_at - w.raised_at == timedelta(hours=24)


def test_special_group_registry_is_need_to_know_feeds_the_rules_and_the_audit_log(app, client, college):
    me = student_of(college)
    counsellor = login(client, college["counsellor"])
    counsellor_id = user(college["counsellor"]["username"]).id
    bad = client.post("/api/v1/special-groups", headers=writing(counsellor),
                      json={"student_id": me.user_id, "group": "rich", "reason": "", "responsible_id": counsellor_id})
    assert set(assert_problem(bad, 422)["errors"]) == {"group", "reason"}
    made = client.post("/api/v1/special-groups", headers=writing(counsellor), json={
        "student_id": me.user_id, "group": "psychological", "reason": "情绪低落，主动求助", "responsible_id": counsellor_id})
    assert made.status_code == 201
    head = login(client, college["head_teacher"])
    assert_problem(client.post("/api/v1/special-groups", headers=writing(head), json={
        "student_id": me.user_id, "group": "hardship", "reason": "家庭变故", "responsible_id": counsellor_id}), 403)
    assert client.get("/api/v1/special-groups", headers=head).json == []  # psychological is not theirs to see
    assert [r["id"] for r in client.get("/api/v1/special-groups", headers=counsellor).json] == [made.json["id"]]

    run_worker(app)  # the registration enqueued the class's evaluation
    w = the_warning(me.user_id, "RISK-MENTAL")
    assert (w.level, w.evidence["groups"]) == ("yellow", ["psychological"])
    # The warning goes up its chain, the registration behind it only to those who read the group.
    read = {who: client.get(f"/api/v1/warnings/{w.id}", headers=h).json["evidence"]["groups"]
            for who, h in (("counsellor", counsellor), ("head_teacher", head))}
    assert read == {"counsellor": ["psychological"], "head_teacher": []}

    admin = login(client, college["school_admin"])
    assert_problem(client.get("/api/v1/audit", headers=head), 403)
    exported = client.get("/api/v1/audit?format=csv&action=read.sensitive", headers=admin)
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][2] == "操作 action" and any(r[3] == "special_group_list" for r in rows[1:])


def test_employment_difficulty_warns_only_in_the_final_year(app, college):
    term = directory.current_term(clock.school_today())
    final = next(c for c in db.session.scalars(select(ClassGroup)) if warnings.final_year(c, term))
    first = next(c for c in db.session.scalars(select(ClassGroup)) if not warnings.final_year(c, term))
    pick = {cls.id: db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id))
            for cls in (final, first)}
    office = db.session.scalar(select(User).where(User.display_name.is_not(None), User.username == "T10003"))
    enter(office.username, "S-C-12", {s: 40 for s in pick.values()})
    evaluate(final.id), evaluate(first.id)
    assert the_warning(pick[final.id], "RISK-EMPLOYMENT").level == "yellow"
    assert the_warning(pick[first.id], "RISK-EMPLOYMENT") is None
    assert the_warning(pick[first.id], "TH-CAREER").level == "orange"  # 15% past 55 still warns any year

"""A school admin edits a warning rule's thresholds and levels: validated by field, audited, and
used by the next evaluation."""
import json

import pytest
from sqlalchemy import select

from backend.alerts import warnings
from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, StudentProfile, StudentWarning, User, WarningRule
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import assert_problem, build_college, login

V1 = "/api/v1/warning-rules"


@pytest.fixture
def college(app, client):
    accounts = build_college(students=50)
    return {role: login(client, a) for role, a in accounts.items()}, accounts


def academic_level(accounts) -> str | None:
    """Evaluate the head teacher's class; the level of the first student's academic warning."""
    db.session.rollback()
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    student = db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)
                                .order_by(StudentProfile.user_id))
    term = directory.current_term(clock.school_today())
    if not db.session.scalar(select(StudentWarning.id).where(StudentWarning.student_id == student)):
        ledger.record_batch(head, term, {"point": "S-A-09", "period": "term",
                                         "entries": [{"student_id": student, "value": 35}]})  # 25 % past 60
        db.session.commit()
    warnings.evaluate_class(term, cls)
    db.session.commit()
    rule = db.session.scalar(select(WarningRule.id).where(WarningRule.code == "TH-ACADEMIC"))
    return db.session.scalar(select(StudentWarning.level).where(StudentWarning.student_id == student,
                                                                StudentWarning.rule_id == rule))


def test_the_next_evaluation_uses_the_edited_levels_and_the_edit_is_audited(client, college):
    headers, accounts = college
    admin = headers["school_admin"]
    high = client.patch(f"{V1}/TH-ACADEMIC", headers=admin, json={"levels": {"yellow": 0, "orange": 30, "red": 50}})
    assert high.status_code == 200 and high.json["levels"] == {"yellow": 0, "orange": 30, "red": 50}
    assert academic_level(accounts) == "yellow"
    low = client.patch(f"{V1}/TH-ACADEMIC", headers=admin, json={"levels": {"yellow": 0, "orange": 10, "red": 20},
                                                                  "ack_hours": 12})
    assert low.status_code == 200 and low.json["ack_hours"] == 12
    assert academic_level(accounts) == "red"
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "warning_rule.update")
                                     .order_by(AuditEvent.id)))
    assert [e.object_id for e in events] == ["TH-ACADEMIC", "TH-ACADEMIC"]
    assert json.loads(events[1].detail)["before"] == {"levels": {"yellow": 0, "orange": 30, "red": 50}, "ack_hours": 72}


@pytest.mark.parametrize(("code", "body", "field", "zh"), [
    ("TH-ACADEMIC", {"levels": {"yellow": 0, "orange": 10, "red": 150}}, "levels", "界限是超出预警值的百分比"),
    ("TH-ACADEMIC", {"levels": {"yellow": 20, "orange": 10}}, "levels", "高一级的界限不能低于低一级"),
    ("TH-ACADEMIC", {"levels": {"yellow": -1}}, "levels", "界限应为非负数"),
    ("RISK-MENTAL", {"levels": {"yellow": 1, "orange": 2, "red": 9}}, "levels", "该规则只有"),
    ("TH-ACADEMIC", {"ack_hours": 0}, "ack_hours", None),
    ("TH-ACADEMIC", {"params": {"domain": "nowhere"}}, "params", None),
])
def test_a_bad_edit_names_its_field_and_changes_nothing(client, college, code, body, field, zh):
    headers, _ = college
    admin = headers["school_admin"]
    before = [r for r in client.get(V1, headers=admin).json if r["code"] == code][0]
    errors = assert_problem(client.patch(f"{V1}/{code}", headers=admin, json=body), 422)["errors"]
    assert field in errors and (zh is None or errors[field][0].startswith(zh))
    assert [r for r in client.get(V1, headers=admin).json if r["code"] == code][0] == before
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "warning_rule.update")) is None


def test_only_the_school_admin_edits_rules(client, college):
    headers, _ = college
    for role in ("head_teacher", "counsellor", "dept_admin", "student"):
        assert_problem(client.patch(f"{V1}/TH-ACADEMIC", headers=headers[role], json={"ack_hours": 2}), 403)
    assert_problem(client.patch(f"{V1}/NOPE", headers=headers["school_admin"], json={"ack_hours": 2}), 404)

"""A demo student with a record in every category the export and the purge look at."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import (
    Notification,
    PushSubscription,
    SpecialGroupRecord,
    StudentWarning,
    User,
    WarningEvent,
    WarningRule,
)
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import build_college, login, run_worker, writing

ACADEMIC_NOTE = "家访：父母离异，情绪低落"  # a case note on the student's academic warning
MENTAL_NOTE = "心理老师评估：存在自伤风险，每周跟进"  # a case note on a need-to-know warning
GROUP_REASON = "母亲重病，家庭收入中断"  # why the student is in a special group
ENDPOINT = "https://push.example.com/secret-endpoint-token"


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def sensitive_record(student: User, counsellor: User, text: str = MENTAL_NOTE) -> dict:
    """A mental-health warning with a case note and a notice to the counsellor naming the student,
    and a special-group registration: rows the API makes through the rule engine and the registry,
    made here directly so the test owns their content."""
    term = directory.current_term(clock.school_today())
    rule = db.session.scalar(select(WarningRule).where(WarningRule.code == "RISK-MENTAL"))
    warning = StudentWarning(student_id=student.id, class_id=student.student.class_id, rule_id=rule.id,
                             term_id=term.id, category="mental_health", sensitive=True, level="orange",
                             evidence={"signals": ["S-P-07"]}, due_at=clock.now() + timedelta(hours=24))
    db.session.add(warning)
    db.session.flush()
    db.session.add_all([
        WarningEvent(warning_id=warning.id, kind="raised", actor_id=None),
        WarningEvent(warning_id=warning.id, kind="note", actor_id=counsellor.id, text=text),
        WarningEvent(warning_id=warning.id, kind="referral", actor_id=counsellor.id, text="转介校心理中心"),
        Notification(user_id=counsellor.id, warning_id=warning.id, kind="warning", level="orange",
                     title=f"{student.display_name} · {rule.name_zh}", body="", url="/", push="none"),
        SpecialGroupRecord(student_id=student.id, group="psychological", reason=GROUP_REASON,
                           responsible_id=counsellor.id, registered_by=counsellor.id),
    ])
    db.session.commit()
    return {"warning_id": warning.id}


@pytest.fixture
def college(app, client):
    accounts = build_college(students=90)
    student, head = user(accounts["student"]["username"]), user(accounts["head_teacher"]["username"])
    counsellor = user(accounts["counsellor"]["username"])
    # An academic warning through the real pipeline (an entry past the line, the rules on a worker),
    # with a case note from the head teacher.
    ledger.record_batch(head, directory.current_term(clock.school_today()), {
        "point": "S-A-09", "period": "term", "entries": [{"student_id": student.id, "value": 35}]})
    db.session.commit()
    run_worker(app)
    head_headers = login(client, accounts["head_teacher"])
    warning = next(w for w in client.get("/api/v1/warnings", headers=head_headers).json if w["student_id"] == student.id)
    noted = client.post(f"/api/v1/warnings/{warning['id']}/interventions", headers=writing(head_headers),
                        json={"kind": "note", "text": ACADEMIC_NOTE})
    assert noted.status_code == 201, noted.json
    sensitive_record(student, counsellor)
    db.session.add(PushSubscription(user_id=student.id, endpoint=ENDPOINT, p256dh="k" * 20, auth="a" * 16,
                                    device="小米手机 Chrome"))
    db.session.commit()
    return {"accounts": accounts, "student": student, "head": head, "counsellor": counsellor}

"""Sensitive records end SENSITIVE_RETENTION_DAYS after the student left (issue 19 must-show 7,
PIPL art. 47), on the app's clock, run as the scheduler runs it: the housekeeping job on a real RQ
worker. A student who left N+1 days ago loses them, one who left N-1 days ago and a current student
keep them; every purge is audited without the content; the value card's rollups do not move."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.jobs import housekeeping as housekeeping_jobs
from backend.models import (
    AuditEvent,
    Notification,
    SpecialGroupRecord,
    StudentProfile,
    StudentWarning,
    User,
    WarningEvent,
)
from backend.org import directory
from backend.platform import clock, queue
from backend.privacy import purge
from backend.reporting import rollups
from tests.helpers import build_college, login, run_worker, writing
from tests.privacy.conftest import GROUP_REASON, MENTAL_NOTE, sensitive_record, user

DAY = timedelta(days=1)


def students_of(class_id: int, n: int) -> list[User]:
    return list(db.session.scalars(select(User).join(StudentProfile, StudentProfile.user_id == User.id)
                                   .where(StudentProfile.class_id == class_id).order_by(User.id).limit(n)))


def held(student_id: int) -> dict:
    """What of a student's sensitive records is still readable."""
    db.session.rollback()
    warnings = select(StudentWarning.id).where(StudentWarning.student_id == student_id)
    return {
        "groups": db.session.scalar(select(func.count()).select_from(SpecialGroupRecord)
                                    .where(SpecialGroupRecord.student_id == student_id)),
        "notes": db.session.scalar(select(func.count()).select_from(WarningEvent)
                                   .where(WarningEvent.warning_id.in_(warnings), WarningEvent.text.is_not(None))),
        "warnings": db.session.scalar(select(func.count()).select_from(StudentWarning)
                                      .where(StudentWarning.student_id == student_id)),
        "evidence": [w.evidence for w in db.session.scalars(select(StudentWarning).where(
            StudentWarning.student_id == student_id, StudentWarning.sensitive.is_(True)))],
        "titles": list(db.session.scalars(select(Notification.title).where(Notification.warning_id.in_(warnings)))),
    }


@pytest.fixture
def cohort(app, client):
    accounts = build_college(students=90)
    counsellor = user(accounts["counsellor"]["username"])
    admin = login(client, accounts["school_admin"])
    class_id = user(accounts["student"]["username"]).student.class_id
    gone, leaving, staying = students_of(class_id, 3)
    for s in (gone, leaving, staying):
        sensitive_record(s, counsellor)
    term = directory.current_term(clock.school_today())
    moves = app.extensions["clock"]
    # gone graduates today, leaving withdraws two days later (both through the API: status.py).
    answer = client.post(f"/api/v1/students/{gone.id}/status", headers=writing(admin),
                         json={"action": "graduate", "effective_on": str(clock.school_today())})
    assert answer.status_code == 200, answer.json
    moves.advance(2 * DAY)
    answer = client.post(f"/api/v1/students/{leaving.id}/status", headers=writing(admin),
                         json={"action": "withdraw", "effective_on": str(clock.school_today())})
    assert answer.status_code == 200, answer.json
    run_worker(app)
    assert rollups.check(term) == []
    return {"gone": gone.id, "leaving": leaving.id, "staying": staying.id, "term": term, "moves": moves}


def purge_audit() -> list[tuple[str, dict]]:
    db.session.rollback()
    return [(e.object_id, json.loads(e.detail)) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.purge").order_by(AuditEvent.id))]


def test_records_go_n_plus_one_days_after_leaving_and_stay_before(app, runner, cohort):
    n = app.config["SENSITIVE_RETENTION_DAYS"]
    assert n == 3 * 365  # the default: the limitation period for civil claims
    before = {k: held(cohort[k]) for k in ("gone", "leaving", "staying")}
    # (The rule engine re-evaluated the current student's warning: its evidence is the engine's own.)
    assert [(h["groups"], h["notes"], len(h["evidence"]), {} in h["evidence"]) for h in before.values()] == [(1, 2, 1, False)] * 3
    # gone left n + 1 days ago, leaving n - 1 days ago.
    cohort["moves"].advance((n - 1) * DAY)

    job = queue.enqueue(housekeeping_jobs.prune)
    run_worker(app)

    assert job.get_status() == "finished"
    assert job.return_value()["sensitive"] == {"students": 1, "special_group": 1, "case_note": 2,
                                               "sensitive_warning": 1, "warning_notification": 1}
    after = held(cohort["gone"])
    # Deleted: the special group. Anonymised, the rows kept for the effect report's counts: the
    # warning (no evidence), its case notes (no text), the counsellor's notice (no name).
    assert after == {"groups": 0, "notes": 0, "warnings": 1, "evidence": [{}], "titles": [purge.PURGED_TITLE]}
    assert held(cohort["leaving"]) == before["leaving"] and held(cohort["staying"]) == before["staying"]
    # Nothing of the content survives anywhere, the audit log included.
    dump = json.dumps(purge_audit(), ensure_ascii=False)
    assert MENTAL_NOTE not in dump and GROUP_REASON not in dump
    assert purge_audit() == [(str(cohort["gone"]), {"category": c, "records": r}) for c, r in
                             (("special_group", 1), ("case_note", 2), ("sensitive_warning", 1), ("warning_notification", 1))]
    # The value card is the academic record: untouched, and its rollups agree with a recompute.
    result = runner.invoke(args=["rollups", "check", "--term-id", str(cohort["term"].id)])
    assert result.exit_code == 0, result.output

    # Two days on, the one who withdrew is past too; the first is not purged twice.
    cohort["moves"].advance(2 * DAY)
    assert purge.run()["students"] == 1
    assert held(cohort["leaving"])["groups"] == 0 and held(cohort["staying"]) == before["staying"]
    assert purge.run()["students"] == 0
    assert [object_id for object_id, _ in purge_audit()].count(str(cohort["gone"])) == 4


def test_the_retention_is_configurable(app, cohort):
    app.config["SENSITIVE_RETENTION_DAYS"] = 30
    cohort["moves"].advance(29 * DAY)  # gone left 31 days ago, leaving 29
    assert purge.run()["students"] == 1
    assert held(cohort["gone"])["groups"] == 0 and held(cohort["leaving"])["groups"] == 1

"""The value-card ledger: bulk entry, validation, append-only, reversal, idempotency."""
import itertools
import random
import uuid

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from backend.extensions import db
from backend.models import AuditEvent, ScoreEntry, StudentProfile, User
from tests.helpers import assert_problem, build_college, login


@pytest.fixture
def school(app, client):
    accounts = build_college(students=150)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    other = db.session.scalar(select(StudentProfile.user_id).where(StudentProfile.class_id != class_id))
    db.session.rollback()
    return {"accounts": accounts, "student": student.id, "roster": roster, "other_class_student": other,
            "head": login(client, accounts["head_teacher"])}


def post_batch(client, headers, body, key=None):
    return client.post("/api/v1/entries", json=body,
                       headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def ledger_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ScoreEntry))


def whole_class(roster, value=4):
    return [{"student_id": s, "value": value} for s in roster]


def test_head_teacher_enters_a_point_for_the_whole_class(client, school):
    body = {"point": "S-A-07", "period": "month:2026-10", "entries": whole_class(school["roster"])}
    response = post_batch(client, school["head"], body)
    assert response.status_code == 201, response.json
    assert response.json["count"] == len(school["roster"]) and response.json["period"] == "month:2026-10"
    assert ledger_rows() == len(school["roster"])
    mine = client.get(f"/api/v1/students/{school['student']}/entries",
                      headers=login(client, school["accounts"]["student"])).json
    assert [(e["point"], e["value"], e["reversed"]) for e in mine] == [("S-A-07", 4.0, False)]


def test_a_bad_row_rejects_the_batch_and_names_every_row(client, school):
    rows = whole_class(school["roster"])
    rows[2]["value"] = -1                                   # counts are never negative
    rows[4]["value"] = 2.5                                  # nor fractional
    rows[6] = {"student_id": school["other_class_student"], "value": 3}  # not this teacher's student
    rows[8] = dict(rows[9])                                 # twice in one batch
    rows.append({"student_id": 10**9, "value": 1})          # no such student
    body = assert_problem(post_batch(client, school["head"], {"point": "S-A-07", "period": "month:2026-10",
                                                             "entries": rows}), 422)
    assert set(body["errors"]) == {"entries[2].value", "entries[4].value", "entries[6].student_id",
                                   "entries[9].student_id", f"entries[{len(rows) - 1}].student_id"}
    assert ledger_rows() == 0


@pytest.mark.parametrize("point,period,field", [
    ("S-A-03", "week:3", "point"),          # attendance is computed, never typed
    ("C-A-04", "term", "entries[0].class_id"),  # class points name the class, not students
    ("S-A-07", "week:3", "period"),         # monthly point needs month:YYYY-MM
    ("S-A-07", "month:2030-01", "period"),  # outside the term
    ("NOPE", "term", None),
])
def test_point_and_period_are_checked(client, school, point, period, field):
    response = post_batch(client, school["head"], {"point": point, "period": period,
                                                   "entries": whole_class(school["roster"][:2])})
    if field is None:
        assert_problem(response, 404)
    else:
        assert field in assert_problem(response, 422)["errors"]
    assert ledger_rows() == 0


def test_only_the_catalogue_scorer_role_may_enter_a_point(client, school):
    course_teacher = login(client, school["accounts"]["course_teacher"])
    body = {"point": "S-A-07", "period": "month:2026-10", "entries": whole_class(school["roster"][:3])}
    errors = assert_problem(post_batch(client, course_teacher, body), 422)["errors"]
    assert set(errors) == {"entries[0].student_id", "entries[1].student_id", "entries[2].student_id"}
    homework = {"point": "S-A-06", "period": "day:2026-11-20", "entries": whole_class(school["roster"][:3], 90)}
    assert post_batch(client, course_teacher, homework).status_code == 201


def test_replays_count_once_in_any_order(client, school):
    rng = random.Random(11)
    batches = [({"point": "S-A-07", "period": f"month:2026-{m:02d}", "entries": whole_class(school["roster"], m % 5)},
                str(uuid.uuid4())) for m in (9, 10, 11, 12)]
    sends = list(itertools.chain.from_iterable([b] * rng.randint(1, 5) for b in batches))
    rng.shuffle(sends)
    answers = {}
    for body, key in sends:
        response = post_batch(client, school["head"], body, key)
        assert response.status_code == 201
        answers.setdefault(key, response.json)
        assert response.json == answers[key]  # a replay returns the original result
    assert ledger_rows() == 4 * len(school["roster"])
    changed = dict(batches[0][0], period="month:2026-11")
    body = assert_problem(post_batch(client, school["head"], changed, batches[0][1]), 409)
    assert "Idempotency-Key" in body["detail"]
    assert_problem(client.post("/api/v1/entries", json=batches[0][0], headers=school["head"]), 422)


def test_correction_is_a_reversal_with_a_reason(client, school):
    body = {"point": "S-A-07", "period": "month:2026-10", "entries": whole_class(school["roster"][:1], 1)}
    post_batch(client, school["head"], body)
    again = assert_problem(post_batch(client, school["head"], dict(body, entries=whole_class(school["roster"][:1], 3))), 422)
    assert "更正" in again["errors"]["entries[0].student_id"][0]  # says how to put it right
    entry_id = db.session.scalar(select(ScoreEntry.id))
    db.session.rollback()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    reversed_ = client.post(f"/api/v1/entries/{entry_id}/reverse", json={"reason": "录入错误，实际为3次"},
                            headers={**school["head"], **key})
    assert reversed_.status_code == 201
    assert client.post(f"/api/v1/entries/{entry_id}/reverse", json={"reason": "录入错误，实际为3次"},
                       headers={**school["head"], **key}).json == reversed_.json
    assert_problem(client.post(f"/api/v1/entries/{entry_id}/reverse", json={"reason": "again"},
                               headers={**school["head"], "Idempotency-Key": str(uuid.uuid4())}), 409)
    assert post_batch(client, school["head"], dict(body, entries=whole_class(school["roster"][:1], 3))).status_code == 201
    history = client.get(f"/api/v1/students/{school['roster'][0]}/entries", headers=school["head"]).json
    assert [(e["value"], e["reversed"], e["reversal_reason"]) for e in history] == [
        (3.0, False, None), (1.0, True, "录入错误，实际为3次")]
    assert ledger_rows() == 3  # the original, its reversal, the new value: nothing rewritten


def test_the_database_refuses_update_and_delete(app, client, school):
    post_batch(client, school["head"], {"point": "S-A-07", "period": "month:2026-10",
                                        "entries": whole_class(school["roster"][:2])})
    for statement in ("UPDATE score_entry SET value = 99", "DELETE FROM score_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert ledger_rows() == 2


def test_a_class_batch_is_one_insert(app, client, school):
    inserts = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO SCORE_ENTRY"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        post_batch(client, school["head"], {"point": "S-A-07", "period": "month:2026-10",
                                            "entries": whole_class(school["roster"])})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1


def test_sensitive_entries_are_need_to_know_and_audited(client, school):
    affairs = login(client, school["accounts"]["student_affairs"])
    target = next(s for s in school["roster"] if s != school["student"])
    assert post_batch(client, affairs, {"point": "S-P-13", "entries": [{"student_id": target, "value": 2}]}).status_code == 201
    course_teacher = login(client, school["accounts"]["course_teacher"])
    assert client.get(f"/api/v1/students/{target}/entries", headers=course_teacher).json == []
    counsellor = login(client, school["accounts"]["counsellor"])
    seen = client.get(f"/api/v1/students/{target}/entries", headers=counsellor).json
    assert [e["point"] for e in seen] == ["S-P-13"]
    audited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "read.sensitive")).all()
    assert [a.object_id for a in audited] == [str(target)]
    classmate = login(client, school["accounts"]["student"])
    assert_problem(client.get(f"/api/v1/students/{target}/entries", headers=classmate), 404)

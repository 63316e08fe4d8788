"""A warm batch costs at most three SQL statements, and every cache behind that follows changes."""
import uuid

import pytest
from sqlalchemy import event, select

from backend.extensions import db
from backend.models import StudentProfile, User
from tests.helpers import build_college, login

CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


@pytest.fixture
def school(app, client):
    accounts = build_college(students=120)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == student.student.class_id)
                                .order_by(StudentProfile.user_id)).all()
    db.session.rollback()
    return {"accounts": accounts, "roster": roster, "head": login(client, accounts["head_teacher"])}


def batch(client, headers, roster, month, value=4, point="S-A-07"):
    return client.post("/api/v1/entries", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                       json={"point": point, "period": f"month:2026-{month:02}",
                             "entries": [{"student_id": s, "value": value} for s in roster]})


def statements(app, send) -> list[str]:
    seen = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = send()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.json
    return [s for s in seen if not s.lstrip().upper().startswith(CONTROL)]


def test_a_warm_batch_costs_at_most_three_statements(app, client, school):
    assert batch(client, school["head"], school["roster"], 10).status_code == 201  # warms the caches
    counted = statements(app, lambda: batch(client, school["head"], school["roster"], 11))
    assert len(counted) <= 3, "\n---\n".join(counted)

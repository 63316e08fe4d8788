"""A warm batch costs at most four SQL statements, and every cache behind that follows changes."""
import uuid

import pytest
from sqlalchemy import event, select

from backend import create_app
from backend.extensions import db
from backend.models import RoleGrant, StudentProfile, User
from tests.conftest import FAST_HASHING
from tests.helpers import assert_problem, build_college, login, run_worker

NOT_YOURS = "无权为此对象录入此采分点"  # "You do not score this point for this student"
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
    assert response.status_code in (200, 201), response.json
    return [s for s in seen if not s.lstrip().upper().startswith(CONTROL)]


def test_a_warm_batch_costs_at_most_four_statements(app, client, school):
    assert batch(client, school["head"], school["roster"], 10).status_code == 201  # warms the caches
    counted = statements(app, lambda: batch(client, school["head"], school["roster"], 11))
    # The fourth is the outbox row (one multi-row INSERT) that makes the batch's jobs durable: they
    # are committed with the entries, so a Redis outage or restart cannot lose them.
    assert len(counted) <= 4, "\n---\n".join(counted)
    assert counted[-1].lstrip().upper().startswith("INSERT INTO OUTBOX_JOB"), counted[-1]


def head_teacher_grant(school) -> RoleGrant:
    username = school["accounts"]["head_teacher"]["username"]
    grant = db.session.scalar(select(RoleGrant).join(User, User.id == RoleGrant.user_id).where(
        User.username == username, RoleGrant.role == "head_teacher", RoleGrant.scope_type == "class"))
    db.session.rollback()
    return grant


def revoke(client, admin, grant_id):
    response = client.delete(f"/api/v1/grants/{grant_id}", headers={**admin, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 200, response.json


def test_a_revoked_grant_refuses_the_next_batch(client, school):
    assert batch(client, school["head"], school["roster"], 9).status_code == 201  # the grants are cached now
    revoke(client, login(client, school["accounts"]["school_admin"]), head_teacher_grant(school).id)
    refused = assert_problem(batch(client, school["head"], school["roster"], 10), 422)
    assert NOT_YOURS in refused["errors"]["entries[0].student_id"][0]


def test_a_changed_rule_is_seen_by_the_next_batch(client, school):
    refused = assert_problem(batch(client, school["head"], school["roster"], 9, value=70), 422)  # the rule is cached now
    assert "0–60" in refused["errors"]["entries[0].value"][0]
    admin = login(client, school["accounts"]["school_admin"])
    changed = client.patch("/api/v1/catalogue/S-A-07", headers=admin, json={"max_value": 80})
    assert changed.status_code == 200, changed.json
    assert batch(client, school["head"], school["roster"], 9, value=70).status_code == 201


def test_a_logged_out_token_is_refused_at_once(client, school):
    assert client.get("/api/v1/me", headers=school["head"]).status_code == 200  # the live session is cached now
    assert client.post("/api/v1/auth/logout", headers=school["head"]).status_code == 204
    assert_problem(client.get("/api/v1/me", headers=school["head"]), 401)
    assert_problem(batch(client, school["head"], school["roster"], 9), 401)


def test_changes_made_on_one_worker_reach_another(app, client, school):
    """Two apps on the same database and Redis stand for two gunicorn workers (or hosts): each
    caches for itself, and a change committed on one is seen by the other's next request."""
    other = create_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], TESTING=True,
                       INSTANCE_PATH=app.config["INSTANCE_PATH"], REDIS_URL=app.config["REDIS_URL"],
                       CLOCK_START=app.config["CLOCK_START"], **FAST_HASHING)
    second = other.test_client()
    try:
        reader = login(client, school["accounts"]["school_admin"])
        db.session.rollback()  # the first app's requests share the test's session: end its transaction (SQLite's lock)
        assert batch(second, school["head"], school["roster"], 9).status_code == 201  # cached on the second worker
        assert second.get("/api/v1/me", headers=reader).status_code == 200
        revoke(client, reader, head_teacher_grant(school).id)                        # changed on the first
        db.session.rollback()
        refused = assert_problem(batch(second, school["head"], school["roster"], 10), 422)
        assert NOT_YOURS in refused["errors"]["entries[0].student_id"][0]
        assert client.post("/api/v1/auth/logout", headers=reader).status_code == 204
        db.session.rollback()
        assert_problem(second.get("/api/v1/me", headers=reader), 401)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_warm_card_read_is_the_stored_card_and_what_is_newer(app, client, school):
    """A student opens the card far more than anything else: once the class job has stored the
    cards, a read is one statement: the stored row, the class median, whether marks changed since,
    and the entries newer than it (the user, session, term and rules come from the caches)."""
    assert batch(client, school["head"], school["roster"], 10).status_code == 201
    run_worker(app)  # the class job stores every card of the class
    assert batch(client, school["head"], school["roster"], 11).status_code == 201  # newer than the stored card
    me = login(client, school["accounts"]["student"])
    path = f"/api/v1/students/{client.get('/api/v1/me', headers=me).json['id']}/card"
    first = client.get(path, headers=me)
    assert first.status_code == 200 and first.json["points"]
    counted = statements(app, lambda: client.get(path, headers=me))
    assert len(counted) <= 1, "\n---\n".join(counted)
    assert client.get(path, headers=me).json == first.json

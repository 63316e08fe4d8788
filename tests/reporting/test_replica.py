"""REPORTS_DATABASE_URL: report reads go to a second database (a streaming replica in production).

The second database starts as a copy of the first and then diverges (a marker written only there):
the class and department reports and the export show the second's figures, a statement counter on
each engine shows every rollup read went to the second and none to the first, and writes (a batch,
the audit entry of a sensitive read) still land in the first only."""
import csv
import io
import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, event, func, select, text, update

from backend import database, demo
from backend.extensions import db
from backend.models import AuditEvent, Rollup, ScoreEntry, StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from tests.helpers import build_college, login, writing

MARKER = 12.34  # a class total mean no real class has


def copy_of(app, request, tmp_path) -> tuple[str, callable]:
    """A copy of the app's database as it is now: another SQLite file, or another PostgreSQL database."""
    db.session.remove()
    if app.config["DB_KIND"] == "sqlite":
        target = tmp_path / "replica.db"
        source, copy = sqlite3.connect(db.engine.url.database), sqlite3.connect(target)
        source.backup(copy)
        source.close(), copy.close()
        return f"sqlite:///{target}", lambda: None
    db.engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the source without connections
    pg = request.getfixturevalue("postgres_server")
    name = f"spiral_replica_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {db.engine.url.database}"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return pg.url(name), drop


class Statements:
    def __init__(self, engine):
        self.engine, self.seen = engine, []
        event.listen(engine, "before_cursor_execute", self.record)

    def record(self, _conn, _cursor, statement, *_):
        self.seen.append(" ".join(statement.split()).lower())

    def reading(self, table: str) -> list[str]:
        """SELECTs from `table` (not the joins that load a user with their profile for the auth check)."""
        return [s for s in self.seen if s.startswith("select") and f" from {table} " in s + " "]

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self.record)


@pytest.fixture
def replica(app, request, tmp_path):
    accounts = build_college(students=120)
    demo.fill_history(clock.school_today())
    rollups.rebuild(directory.current_term(clock.school_today()))
    db.session.commit()
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    class_id = next(g.scope_id for g in head.grants if g.role == "head_teacher")
    admin = db.session.scalar(select(User).where(User.username == accounts["dept_admin"]["username"]))
    dept_id = next(g.scope_id for g in admin.grants if g.role == "dept_admin")
    url, drop = copy_of(app, request, tmp_path)
    second = create_engine(url)
    with second.begin() as conn:  # the copy diverges: only the second database holds the marker
        conn.execute(update(Rollup).where(Rollup.unit == "class", Rollup.unit_id == class_id,
                                          Rollup.metric == "total").values(mean=MARKER))
    second.dispose()
    app.config["REPORTS_DATABASE_URL"] = url
    yield {"accounts": accounts, "class_id": class_id, "dept_id": dept_id, "url": url}
    db.session.remove()
    engine = app.extensions.pop("spiral_reports_engine", None)
    if engine is not None:
        engine.dispose()
    drop()


def total(body) -> float:
    return next(m["mean"] for m in body["metrics"] if m["metric"] == "total")


def test_report_reads_go_to_the_reports_database_and_writes_to_the_primary(app, client, replica):
    head = login(client, replica["accounts"]["head_teacher"])
    dept = login(client, replica["accounts"]["dept_admin"])
    with app.test_request_context():
        second = database.reports_engine()
    assert second is not None and str(second.url) != str(db.engine.url)
    primary, reports = Statements(db.engine), Statements(second)
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.rollback()
    try:
        body = client.get(f"/api/v1/reports/class/{replica['class_id']}", headers=head)
        assert body.status_code == 200, body.json
        assert total(body.json) == MARKER
        exported = client.get(f"/api/v1/reports/class/{replica['class_id']}/export?format=csv", headers=head)
        rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
        assert any(str(MARKER) in row for row in rows), rows[:5]
        side = client.get(f"/api/v1/reports/department/{replica['dept_id']}", headers=dept).json
        shown = next(c for c in side["classes"] if c["id"] == replica["class_id"])
        assert shown["metrics"]["total"]["mean"] == MARKER
    finally:
        primary.close(), reports.close()
    assert reports.reading("rollup") and not primary.reading("rollup"), primary.reading("rollup")
    assert reports.reading("student_profile") and not primary.reading("student_profile")
    assert not [s for s in reports.seen if s.startswith(("insert", "update", "delete"))]

    # Writes go to the primary: the sensitive reads' audit entries, and a batch.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > audits
    roster = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == replica["class_id"])).all()
    db.session.rollback()
    posted = client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-07", "period": "month:2026-11", "entries": [{"student_id": s, "value": 3} for s in roster]})
    assert posted.status_code == 201, posted.json
    batch = posted.json["batch_id"]
    assert db.session.scalar(select(func.count()).where(ScoreEntry.batch_id == batch)) == len(roster)
    with create_engine(replica["url"]).connect() as conn:
        assert conn.scalar(select(func.count()).where(ScoreEntry.batch_id == batch)) == 0
        conn.engine.dispose()


def test_without_a_reports_database_reports_read_the_primary(app, client):
    assert app.config["REPORTS_DATABASE_URL"] == ""
    with app.test_request_context():
        assert database.reports_engine() is None
        with database.report_reads() as session:
            assert session is db.session and database.reads() is db.session

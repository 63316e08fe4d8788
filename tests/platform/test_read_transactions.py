"""On SQLite a read request never waits for a writer (a deferred transaction in WAL mode), and a
read that writes (an audited sensitive read) takes the write lock in its own transaction."""
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from flask import has_request_context, request
from sqlalchemy import event, func, select

from backend.extensions import db
from backend.models import AuditEvent, User
from tests.helpers import build_college, login, served, writing


@pytest.fixture
def school(app, client):
    if app.config["DB_KIND"] != "sqlite":
        pytest.skip("PostgreSQL readers never take a write lock")
    accounts = build_college(students=40)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    return {"student": student.id, "me": login(client, accounts["student"]),
            "head": login(client, accounts["head_teacher"])}


@contextmanager
def writer_holding_the_lock(app):
    """A second connection in the middle of a write: BEGIN IMMEDIATE and an insert, not committed."""
    con = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO audit_event (at, action, object_type) VALUES (CURRENT_TIMESTAMP, 'test.write', 'test')")
    try:
        yield con
    finally:
        if con.in_transaction:
            con.rollback()
        con.close()


def audited() -> int:
    found = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "read.sensitive"))
    db.session.rollback()
    return found


def test_a_read_succeeds_while_a_writer_holds_the_lock(app, school):
    with served(app) as base, writer_holding_the_lock(app) as writer:
        me = requests.get(f"{base}/api/v1/me", headers=school["me"], timeout=60)
        assert me.status_code == 200 and me.json()["id"] == school["student"]
        assert writer.in_transaction  # answered while the writer still held the lock


def test_an_audited_read_waits_for_the_writer_then_records_the_read(app, school):
    about_to_write = threading.Event()

    def on_statement(_conn, _cursor, statement, *_):  # the GET's audit write is about to take the lock
        if has_request_context() and request.method == "GET" and statement.startswith(
                ("BEGIN IMMEDIATE", "INSERT INTO audit_event")):
            about_to_write.set()

    event.listen(db.engine, "before_cursor_execute", on_statement)
    before = audited()
    try:
        with served(app) as base, ThreadPoolExecutor(1) as pool:
            with writer_holding_the_lock(app) as writer:
                card = pool.submit(requests.get, f"{base}/api/v1/students/{school['student']}/card",
                                   headers=school["head"], timeout=60)
                assert about_to_write.wait(60)
                writer.commit()  # the writer finishes while the read waits to write its audit row
            assert card.result().status_code == 200, card.result().text
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
    assert audited() == before + 1


def test_parallel_writers_and_audited_readers_all_succeed(app, school):
    before = audited()
    with served(app) as base:
        def read(_):
            return requests.get(f"{base}/api/v1/students/{school['student']}/card", headers=school["head"], timeout=60)

        def write(i):
            return requests.patch(f"{base}/api/v1/me", json={"locale": ("en", "zh-CN")[i % 2]},
                                  headers=writing(school["me"]), timeout=60)

        start = threading.Barrier(16)
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda i: (start.wait(), (read if i % 2 else write)(i))[1], range(16)))
    assert [r.status_code for r in answers] == [200] * 16, [r.text[:200] for r in answers if r.status_code != 200]
    assert audited() == before + 8

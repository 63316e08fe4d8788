"""Factories and helpers shared by the tests."""
import io
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from werkzeug.serving import make_server

from backend import demo
from backend.extensions import db
from backend.jobs.worker import make_worker
from backend.platform import clock

# The date every test runs at unless it asks for another (the `today` fixture): a Monday mid-term.
TODAY = date(2026, 11, 23)
# Dates the calendar-sensitive tests also run at, relative to the demo's terms (autumn: 1 Sep – 17 Jan,
# spring: 23 Feb – 10 Jul): the first week of term, mid-term, the last day of term, between terms,
# and a date in the next calendar year.
CALENDAR = {"first-week": date(2026, 9, 2), "mid-term": TODAY, "last-day": date(2027, 1, 17),
            "between-terms": date(2027, 2, 3), "next-year": date(2027, 3, 16)}
# Runs a test at every date of CALENDAR (through the `today` fixture); the extra dates run on SQLite only,
# since the calendar is the same on both databases and the default date runs on both.
calendar_dates = pytest.mark.parametrize("today", list(CALENDAR.values()), ids=list(CALENDAR), indirect=True)


def build_college(students: int = 200, seed: int = 7) -> dict[str, dict]:
    """The demo college; returns its accounts by role."""
    accounts = demo.build(students, seed, clock.school_today())
    db.session.commit()
    return {a["role"]: a for a in accounts}


def wait_for(condition, seconds: float, what: str):
    """What condition() returns once it is truthy; an AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


def login(client, account: dict) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": account["username"], "password": account["password"]})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def csrf_cookie(client) -> str:
    return client.get_cookie("csrf_refresh_token").value


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"]
    return body


def writing(headers: dict, key: str | None = None) -> dict:
    """Headers for a write from the PWA: every write carries a device-made Idempotency-Key."""
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def run_worker(app) -> None:
    """The outbox relay and a real RQ worker on the real Redis, in this process, until the outbox
    has nothing left to relay and the queues are empty (jobs may write outbox rows of their own)."""
    from backend.platform import outbox

    db.session.rollback()
    outbox.relay_once()
    while True:
        make_worker(app).work(burst=True)
        db.session.rollback()
        if not outbox.relay_once():
            return


def demo_account(username: str) -> dict:
    return {"username": username, "password": demo.DEMO_PASSWORD}


def make_plan(owner, kind: str = "student_term", submit: bool = True, **fields):
    """A plan with one free goal in every part, submitted unless told otherwise."""
    from backend.development import plans
    plan = plans.create(owner, {"kind": kind, **fields})
    for part in plans.PARTS[kind]:
        plans.set_goal(plan, {"part": part, "title": f"{part} 目标", "target": 10, "standard": 8, "warning": 5})
    if submit:
        plans.submit(plan)
    db.session.commit()
    return plan


def upload_roster(client, headers, data: bytes, name: str = "roster.xlsx"):
    return client.post("/api/v1/roster/import", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@contextmanager
def served(app):
    """The test's app behind a real threaded HTTP server, so requests run side by side."""
    db.session.commit()  # nothing of the test's own may hold a lock while the copies run
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()

"""The card's weekly trend of each domain subtotal and of the total, stored by the rollups (issue 20)."""
import uuid

import pytest
from sqlalchemy import select, update

from backend.extensions import db
from backend.models import StoredCard, StudentProfile, Term, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from backend.valuecard import card, catalogue
from backend.valuecard.conversion import to_points
from tests.helpers import build_college, login, run_worker
from tests.valuecard.test_batch_cost import statements


@pytest.fixture
def school(app, client):
    accounts = build_college(students=80)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == student.student.class_id)
                                .order_by(StudentProfile.user_id)).all()
    school = {"accounts": accounts, "roster": roster, "student": student.id, "class_id": student.student.class_id,
              "term_id": directory.current_term(clock.school_today()).id}
    db.session.rollback()
    return {**school, "head": login(client, accounts["head_teacher"]), "me": login(client, accounts["student"])}


def monthly(client, school, month, value, who=None):
    """S-A-07, a monthly academic point the head teacher scores, for the whole class (or `who`)."""
    response = client.post("/api/v1/entries", headers={**school["head"], "Idempotency-Key": str(uuid.uuid4())},
                           json={"point": "S-A-07", "period": f"month:2026-{month:02}",
                                 "entries": [{"student_id": s, "value": value} for s in (who or school["roster"])]})
    assert response.status_code == 201, response.json
    return response


def points_for(value: float) -> float:
    found = to_points(catalogue.rule(directory.current_term(clock.school_today()), "S-A-07"), value)
    db.session.rollback()
    return found


def test_the_rollup_stores_each_weeks_subtotals_and_total_and_a_read_does_not_recompute_them(
        app, client, school, monkeypatch):
    monthly(client, school, 9, 2)
    monthly(client, school, 10, 5)
    run_worker(app)  # the class job stores every card of the class, trends with them
    stored = db.session.get(StoredCard, (school["term_id"], school["student"]))
    assert stored.trends and [r[0] for r in stored.trends["all"]] == [r[0] for r in stored.trends["open"]]
    db.session.rollback()

    path = f"/api/v1/students/{school['student']}/card"
    first = client.get(path, headers=school["me"]).json
    trends = first["trends"]
    assert len(trends["weeks"]) == 2 and trends["weeks"] == sorted(trends["weeks"])
    # Each week's figure is that week's values alone, as a point's weekly trend is: with one academic
    # point, the academic subtotal and the total are that month's value converted to points.
    assert trends["academic"] == [points_for(2), points_for(5)] == trends["total"]
    assert trends["personal"] == [None, None] and trends["career"] == [None, None]

    calls = []
    real = card.weekly_trend
    monkeypatch.setattr(card, "weekly_trend", lambda *a, **k: calls.append(a[-1] if len(a) > 3 else k) or real(*a, **k))
    counted = statements(app, lambda: client.get(path, headers=school["me"]))
    assert len(counted) <= 1, "\n---\n".join(counted)  # one statement, as a warm card read was before
    assert calls == []  # nothing recomputed: the trend is the stored one
    assert client.get(path, headers=school["me"]).json == first

    # An entry newer than the stored card: only its week is recomputed, before its job runs.
    monthly(client, school, 11, 4, who=[school["student"]])
    calls.clear()
    newer = client.get(path, headers=school["me"]).json["trends"]
    assert len(newer["weeks"]) == 3 and newer["academic"][:2] == trends["academic"] and newer["academic"][2] == points_for(4)
    assert len(calls) == 1 and len(calls[0]) == 1  # one week, the new one


def test_rollups_check_covers_the_trends_and_the_job_fills_rows_stored_before_them(app, client, school):
    monthly(client, school, 9, 3)
    run_worker(app)
    term = db.session.get(Term, school["term_id"])
    assert rollups.check(term) == []
    good = db.session.get(StoredCard, (term.id, school["student"])).trends
    db.session.execute(update(StoredCard).where(StoredCard.student_id == school["student"])
                       .values(trends={**good, "all": [[1, 1.0, None, None, 1.0]]}))
    db.session.commit()
    assert any(f"card {school['student']}: trends" in p for p in rollups.check(db.session.get(Term, term.id)))

    # A row stored before migration trend20 has none: the read computes them, the next job stores them.
    db.session.execute(update(StoredCard).values(trends=None))
    db.session.commit()
    path = f"/api/v1/students/{school['student']}/card"
    computed = client.get(path, headers=school["me"]).json["trends"]
    assert computed["weeks"] and computed["academic"] == [points_for(3)]
    rollups.refresh_class(db.session.get(Term, term.id), school["class_id"])
    db.session.commit()
    assert db.session.get(StoredCard, (term.id, school["student"])).trends == good
    assert rollups.check(db.session.get(Term, term.id)) == []
    db.session.rollback()
    assert client.get(path, headers=school["me"]).json["trends"] == computed


def test_a_reader_without_sensitive_points_gets_the_trend_without_them(app, client, school):
    monthly(client, school, 10, 4)
    affairs = login(client, school["accounts"]["student_affairs"])
    response = client.post("/api/v1/entries", headers={**affairs, "Idempotency-Key": str(uuid.uuid4())},
                           json={"point": "S-P-13", "entries": [{"student_id": school["student"], "value": 3}]})
    assert response.status_code == 201, response.json
    run_worker(app)
    stored = db.session.get(StoredCard, (school["term_id"], school["student"])).trends
    db.session.rollback()
    assert stored["all"] != stored["open"]  # the violations point moves the personal subtotal of its week
    mine = client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json
    assert mine["sensitive_hidden"] in (True, False)
    expected = stored["open" if mine["sensitive_hidden"] else "all"]
    assert mine["trends"]["total"] == [r[4] for r in expected]

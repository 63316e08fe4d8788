"""The student's development value card, computed from the ledger."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import StudentProfile, Term, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard.card import previous_term
from tests.helpers import build_college, calendar_dates, login, run_worker


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == student.student.class_id).order_by(StudentProfile.user_id)).all()
    terms = db.session.scalars(select(Term.id).order_by(Term.starts_on)).all()
    db.session.rollback()
    return {"accounts": accounts, "student": student.id, "roster": roster, "terms": terms}


def enter(client, headers, point, rows, period=None, term_id=None):
    body = {"point": point, "entries": [{"student_id": s, "value": v} for s, v in rows]}
    if period:
        body["period"] = period
    if term_id:
        body["term_id"] = term_id
    response = client.post("/api/v1/entries", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.json


def months_so_far(term) -> list[str]:
    """The term's months up to today (or to the term's end, between terms), as period keys."""
    last, day, months = min(clock.school_today(), term.ends_on), term.starts_on.replace(day=1), []
    while day <= last:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


@calendar_dates
def test_card_from_entries_to_total_and_value_added(app, client, school, today):
    head = login(client, school["accounts"]["head_teacher"])
    affairs = login(client, school["accounts"]["student_affairs"])
    me, others = school["student"], [s for s in school["roster"] if s != school["student"]]
    term = directory.current_term(clock.school_today())
    previous = previous_term(term).id
    # Study 8× a month, then 4× (in the first week of term there is one month so far).
    study = list(zip(months_so_far(term)[-2:], (8, 4)))
    enter(client, head, "S-A-09", [(me, 70)], term_id=previous)               # grade score last term
    enter(client, head, "S-A-09", [(me, 85)] + [(s, 60) for s in others])    # this term
    for month, times in study:
        enter(client, head, "S-A-07", [(me, times)], f"month:{month}")
    enter(client, affairs, "S-P-07", [(me, 90)])                              # comprehensive evaluation
    enter(client, affairs, "S-P-13", [(me, 2)])                               # two violations (sensitive)

    student = login(client, school["accounts"]["student"])
    from_ledger = client.get(f"/api/v1/students/{me}/card", headers=student).json
    assert from_ledger["class_median"] is None  # the class's figure comes with its rollup job
    run_worker(app)
    card = client.get(f"/api/v1/students/{me}/card", headers=student).json  # now the stored card
    assert {**from_ledger, "class_median": card["class_median"], "class_median_n": card["class_median_n"]} == card
    points = {p["code"]: p for p in card["points"]}
    assert points["S-A-09"]["indicator"] == 85 and points["S-A-09"]["points"] == 75.0   # (85-40)/60
    mean = sum(times for _, times in study) / len(study)
    assert points["S-A-07"]["indicator"] == mean and points["S-A-07"]["periods"] == len(study)  # mean of the months
    assert points["S-A-07"]["points"] == mean / 8 * 100                                          # of 8 a month
    academic = (75.0 * 0.22 + mean / 8 * 100 * 0.06) / (0.22 + 0.06)
    assert card["subtotals"]["academic"] == {"score": round(academic, 2), "covered_weight": 0.28}
    personal = (90.0 * 0.12 + 30.0 * 0.08) / (0.12 + 0.08)
    assert card["subtotals"]["personal"]["score"] == round(personal, 2)
    assert points["S-P-13"]["below_warning"] is True
    assert card["subtotals"]["career"]["score"] is None
    total = round((round(academic, 2) * 0.4 + round(personal, 2) * 0.3) / 0.7, 2)
    assert card["total"] == total
    last_term = round((70 - 40) / 60 * 100, 2)
    assert card["value_added"]["previous_term"] == round(total - last_term, 2)
    assert card["value_added"]["previous_term_total"] == last_term
    # A month's count belongs to the month's last week, the rest to this week: with two months, the first
    # week with data held only the earlier month's study count (8 a month = 100 points); with one, everything.
    start = 100.0 if len(study) == 2 else total
    assert card["value_added"]["term_start_total"] == start
    assert card["value_added"]["term_start"] == round(total - start, 2)
    weeks = card["history"]["weeks"]
    assert weeks[-1]["total"] == total and len(weeks) == min(max(term.week_of(today), 1), term.weeks)
    assert [m["month"] for m in card["history"]["months"]] == months_so_far(term)
    assert card["class_median"] == round((60 - 40) / 60 * 100, 2)  # everyone else scored only 60
    assert "rank" not in str(card)

    course_teacher = login(client, school["accounts"]["course_teacher"])
    seen = client.get(f"/api/v1/students/{me}/card", headers=course_teacher).json
    assert "S-P-13" not in {p["code"] for p in seen["points"]}  # need-to-know


@calendar_dates
def test_a_reversed_entry_leaves_the_card(client, school):
    head = login(client, school["accounts"]["head_teacher"])
    me = school["student"]
    enter(client, head, "S-A-09", [(me, 50)])
    entry = client.get(f"/api/v1/students/{me}/entries", headers=head).json[0]
    client.post(f"/api/v1/entries/{entry['id']}/reverse", json={"reason": "成绩录错"},
                headers={**head, "Idempotency-Key": str(uuid.uuid4())})
    card = client.get(f"/api/v1/students/{me}/card", headers=head).json
    assert card["points"] == [] and card["total"] is None

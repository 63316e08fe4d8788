"""The student's development value card, computed from the ledger."""
import uuid

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import StudentProfile, Term, User
from tests.helpers import build_college, login


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


def test_card_from_entries_to_total_and_value_added(client, school):
    head = login(client, school["accounts"]["head_teacher"])
    affairs = login(client, school["accounts"]["student_affairs"])
    me, others = school["student"], [s for s in school["roster"] if s != school["student"]]
    previous = school["terms"][0]
    enter(client, head, "S-A-09", [(me, 70)], term_id=previous)               # grade score last term
    enter(client, head, "S-A-09", [(me, 85)] + [(s, 60) for s in others])    # this term
    enter(client, head, "S-A-07", [(me, 8)], "month:2026-10")                # study 8×, then 4× a month
    enter(client, head, "S-A-07", [(me, 4)], "month:2026-11")
    enter(client, affairs, "S-P-07", [(me, 90)])                              # comprehensive evaluation
    enter(client, affairs, "S-P-13", [(me, 2)])                               # two violations (sensitive)

    card = client.get(f"/api/v1/students/{me}/card", headers=login(client, school["accounts"]["student"])).json
    points = {p["code"]: p for p in card["points"]}
    assert points["S-A-09"]["indicator"] == 85 and points["S-A-09"]["points"] == 75.0   # (85-40)/60
    assert points["S-A-07"]["indicator"] == 6 and points["S-A-07"]["periods"] == 2      # mean of the months
    assert points["S-A-07"]["points"] == 75.0                                           # 6 of 8
    academic = (75.0 * 0.22 + 75.0 * 0.06) / (0.22 + 0.06)
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
    # The first week with data held only October's study count (8 a month = 100 points).
    assert card["value_added"]["term_start_total"] == 100.0
    assert card["value_added"]["term_start"] == round(total - 100.0, 2)
    weeks = card["history"]["weeks"]
    assert weeks[-1]["total"] == total and [w["month"] for w in card["history"]["months"]][-2:] == ["2026-10", "2026-11"]
    assert card["class_median"] == round((60 - 40) / 60 * 100, 2)  # everyone else scored only 60
    assert "rank" not in str(card)

    course_teacher = login(client, school["accounts"]["course_teacher"])
    seen = client.get(f"/api/v1/students/{me}/card", headers=course_teacher).json
    assert "S-P-13" not in {p["code"] for p in seen["points"]}  # need-to-know


def test_a_reversed_entry_leaves_the_card(client, school):
    head = login(client, school["accounts"]["head_teacher"])
    me = school["student"]
    enter(client, head, "S-A-09", [(me, 50)])
    entry = client.get(f"/api/v1/students/{me}/entries", headers=head).json[0]
    client.post(f"/api/v1/entries/{entry['id']}/reverse", json={"reason": "成绩录错"},
                headers={**head, "Idempotency-Key": str(uuid.uuid4())})
    card = client.get(f"/api/v1/students/{me}/card", headers=head).json
    assert card["points"] == [] and card["total"] is None

"""The card's figures say what they cover and what they are against (UX: numbers that make sense)."""
import uuid

from sqlalchemy import select

from backend.extensions import db
from backend.models import StudentProfile, User
from tests.helpers import build_college, login, run_worker


def test_coverage_value_added_basis_and_a_median_only_from_enough_classmates(client, app):
    accounts = build_college(students=60)
    me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == me.student.class_id).order_by(StudentProfile.user_id)).all()
    me_id = me.id
    db.session.rollback()
    head = login(client, accounts["head_teacher"])
    student = login(client, accounts["student"])

    def enter(point, students, value):
        response = client.post("/api/v1/entries", headers={**head, "Idempotency-Key": str(uuid.uuid4())},
                               json={"point": point, "entries": [{"student_id": s, "value": value} for s in students]})
        assert response.status_code == 201, response.json

    others = [s for s in roster if s != me_id]
    enter("S-A-09", [me_id, *others[:2]], 85)  # three students with a total
    run_worker(app)  # the class median is read from the class's rollup
    card = client.get(f"/api/v1/students/{me_id}/card", headers=student).json
    assert card["class_median"] is None and card["class_median_n"] == 3 and card["min_group"] == 5
    assert card["coverage"]["academic"]["scored"] == 1 and card["coverage"]["career"]["scored"] == 0
    assert card["coverage"]["all"] == {"scored": 1, "of": sum(card["coverage"][d]["of"] for d in
                                                              ("academic", "personal", "career"))}
    assert card["value_added"]["term_start_week"] is not None
    assert card["value_added"]["term_start_total"] == card["total"]  # everything came in this week

    enter("S-A-09", others[2:4], 55)  # five: now a class figure
    run_worker(app)
    card = client.get(f"/api/v1/students/{me_id}/card", headers=student).json
    assert card["class_median_n"] == 5 and card["class_median"] == 75.0  # 85 85 85 55 55 → (85-40)/60

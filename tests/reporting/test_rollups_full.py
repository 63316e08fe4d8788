"""The full recompute: a pass over an unchanged term writes nothing, a changed row is rewritten
alone, and the stored cards carry last term's totals as a card computes them from the ledger."""
from sqlalchemy import func, select, update

from backend.extensions import db
from backend.models import StoredCard, StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from backend.valuecard import card, ledger
from tests.helpers import build_college

OFFICE = "T10002"  # the demo's school-wide student-affairs office


def test_a_second_full_pass_writes_nothing_and_a_changed_card_is_rewritten_alone(app):
    build_college(students=60)
    term = directory.current_term(clock.school_today())
    rollups.rebuild(term)  # the demo may have rolled up already: this pass makes sure
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StoredCard)) == 60
    nothing = {"inserted": 0, "updated": 0, "deleted": 0}
    assert rollups.rebuild(term) == {**nothing, "cards": nothing}
    db.session.commit()
    student_id = db.session.scalars(select(StoredCard.student_id).order_by(StoredCard.student_id)).first()
    db.session.execute(update(StoredCard).where(StoredCard.student_id == student_id).values(weekly={"0": [[1, 1, 1.0]]}))
    db.session.commit()
    assert rollups.check(term) != []
    assert rollups.rebuild(term) == {**nothing, "cards": {**nothing, "updated": 1}}
    db.session.commit()
    assert rollups.check(term) == []


def test_stored_cards_hold_last_terms_totals_as_the_card_computes_them(app):
    build_college(students=60)
    term = directory.current_term(clock.school_today())
    office = db.session.scalar(select(User).where(User.username == OFFICE))
    students = db.session.scalars(select(StudentProfile.user_id).order_by(StudentProfile.user_id).limit(20)).all()
    for week, value in ((2, 40.5), (3, 55.0)):  # last term: two weeks of one point for 20 students
        ledger.record_batch(office, card.previous_term(term), {"point": "S-P-09", "period": f"week:{week}", "entries": [
            {"student_id": s, "value": value + i} for i, s in enumerate(students)]})
    db.session.commit()
    rollups.rebuild(term)
    db.session.commit()
    expected = card.previous_totals(term)
    stored = dict(db.session.execute(select(StoredCard.student_id, StoredCard.previous)).all())
    assert any(total is not None for total, _ in stored.values())  # the demo scored last term
    assert stored == {s: expected.get(s, card.NO_PREVIOUS) for s in stored}

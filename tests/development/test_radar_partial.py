"""The radar fills as the questionnaire is answered: answered elements plotted, the rest absent (not
zero), "n of 20 answered", and comparisons over the answered elements only (issue 20, must-show 6)."""
from statistics import median

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import card
from tests.development.test_self_assessment import answer, codes
from tests.helpers import build_college, login


@pytest.fixture
def college(app):
    return build_college(students=60)


def test_a_half_answered_questionnaire_shows_its_answered_part_compared_like_for_like(client, college):
    me_user = db.session.scalar(select(User).where(User.username == college["student"]["username"]))
    me = login(client, college["student"])
    elements = codes(client, me)
    before = card.previous_term(directory.current_term(clock.school_today()))
    assert answer(client, me, me_user.id, {c: 4 for c in elements[:5]} | {c: 1 for c in elements[5:]},
                  term_id=before.id).json["status"] == "submitted"
    mate = db.session.scalar(select(StudentProfile).where(StudentProfile.class_id == me_user.student.class_id,
                                                          StudentProfile.user_id != me_user.id).limit(1))
    theirs = login(client, {"username": mate.user.username, "password": college["student"]["password"]})
    assert answer(client, theirs, mate.user_id, {c: 2 for c in elements}).status_code == 200
    path = f"/api/v1/students/{me_user.id}/self-assessment/result"

    empty = client.get(path, headers=me).json
    assert (empty["answered"], empty["of"], empty["comparison"]["this_term"]) == (0, 20, None)
    assert set(empty["so_far"].values()) == {None}

    # Three of the first dimension's five answered: a draft, plotted as it fills.
    assert answer(client, me, me_user.id, {c: 3 for c in elements[:3]}, submit=False).json["status"] == "draft"
    r = client.get(path, headers=me).json
    assert (r["status"], r["answered"], r["of"]) == ("draft", 3, 20)
    assert r["so_far"] == {c: 3 if c in elements[:3] else None for c in elements}  # unanswered: absent, not 0
    assert r["series"]["this_term"] is None  # the submitted series (the report's) is unchanged by a draft
    compared = r["comparison"]
    assert compared["partial"] and compared["over"] == elements[:3]
    # Last term's 4s over the three answered, not its mean over all twenty (1.75).
    assert (compared["this_term"], compared["previous_term"]) == (3, 4)
    class_median = {c: median([2]) for c in elements}  # only the classmate has submitted
    assert compared["class_median"] == class_median[elements[0]] and compared["others"] is None
    first, second = (compared["dimensions"][d] for d in ("A", "C"))
    assert (first["answered"], first["of"], first["this_term"], first["previous_term"]) == (3, 5, 3, 4)
    assert (second["answered"], second["this_term"], second["previous_term"]) == (0, None, None)

    # All twenty answered and submitted: the whole questionnaire, no longer partial.
    assert answer(client, me, me_user.id, {c: 2 for c in elements[3:]}).json["status"] == "submitted"
    done = client.get(path, headers=me).json
    assert done["answered"] == 20 and not done["comparison"]["partial"]
    assert done["comparison"]["previous_term"] == round((5 * 4 + 15 * 1) / 20, 2)
    assert done["series"]["this_term"] == done["so_far"]

"""The self-assessment of seed 001: resumable on the phone, others' assessments, the radar against
last term, the class median and others, suggestions with second-classroom modules, and the drop
signal of the mental-health rule."""
import io
from statistics import median

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from backend.extensions import db
from backend.models import StudentProfile, StudentWarning, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import card
from tests.helpers import assert_problem, build_college, login, run_worker


@pytest.fixture
def college(app):
    return build_college(students=90)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def codes(client, headers) -> list[str]:
    instrument = client.get("/api/v1/self-assessment", headers=headers).json
    return [e["code"] for d in instrument["dimensions"] for e in d["elements"]]


def answer(client, headers, student_id: int, answers: dict, submit: bool = True, term_id: int | None = None):
    return client.put(f"/api/v1/students/{student_id}/self-assessment", headers=headers,
                      json={"answers": answers, "submit": submit, "term_id": term_id})


def test_the_instrument_has_four_dimensions_of_five_elements_with_four_levels_in_two_languages(client, college):
    instrument = client.get("/api/v1/self-assessment", headers=login(client, college["student"])).json
    assert [d["en"] for d in instrument["dimensions"]] == [
        "Academic development", "Career development", "Personal development", "Social-ability development"]
    elements = [e for d in instrument["dimensions"] for e in d["elements"]]
    assert len(elements) == 20 and len({e["code"] for e in elements}) == 20
    assert all(len(e["levels_zh"]) == len(e["levels_en"]) == 4 and e["advice_en"] for e in elements)
    modules = {m["code"] for m in instrument["modules"]}
    assert len(modules) == 7 and all(set(e["modules"]) <= modules for e in elements)


def test_resumable_answers_then_a_radar_against_last_term_the_class_and_others(app, client, college):
    me_user = user(college["student"]["username"])
    me, head = login(client, college["student"]), login(client, college["head_teacher"])
    elements = codes(client, me)
    term = directory.current_term(clock.school_today())
    before = card.previous_term(term)

    last_term = answer(client, me, me_user.id, {c: 4 for c in elements}, term_id=before.id)
    assert last_term.json["status"] == "submitted"
    half = answer(client, me, me_user.id, {c: 3 for c in elements[:10]}, submit=False)
    assert (half.status_code, half.json["status"]) == (200, "draft")
    resumed = client.get(f"/api/v1/students/{me_user.id}/self-assessment", headers=me).json
    assert resumed["answers"] == {c: 3 for c in elements[:10]}
    unanswered = assert_problem(answer(client, me, me_user.id, {}), 422)
    assert set(unanswered["errors"]) == {f"answers.{c}" for c in elements[10:]}
    assert_problem(answer(client, me, me_user.id, {"A1": 5, "Z9": 2}, submit=False), 422)
    mine = {**{c: 3 for c in elements[:10]}, **{c: 2 for c in elements[10:]}, "S3": 1, "P2": 1}
    assert answer(client, me, me_user.id, mine).json["status"] == "submitted"
    assert_problem(answer(client, me, me_user.id, {"A1": 4}), 409)

    classmates = db.session.scalars(select(StudentProfile).where(
        StudentProfile.class_id == me_user.student.class_id, StudentProfile.user_id != me_user.id).limit(2)).all()
    theirs = [{c: 4 for c in elements}, {c: 1 for c in elements}]
    for profile, answers in zip(classmates, theirs, strict=True):
        mate = login(client, {"username": profile.user.username, "password": college["student"]["password"]})
        assert answer(client, mate, profile.user_id, answers).status_code == 200
    classmate_view = login(client, {"username": classmates[0].user.username, "password": college["student"]["password"]})
    assert answer(client, classmate_view, me_user.id, {c: 2 for c in elements}).status_code == 200  # others' assessment
    assert answer(client, head, me_user.id, {c: 3 for c in elements}).status_code == 200
    assert_problem(client.get(f"/api/v1/students/{classmates[0].user_id}/self-assessment/result", headers=me), 404)

    result = client.get(f"/api/v1/students/{me_user.id}/self-assessment/result", headers=head).json
    assert result["series"]["this_term"] == mine
    assert result["series"]["previous_term"] == {c: 4 for c in elements}
    assert result["series"]["class_median"] == {c: median([mine[c], 4, 1]) for c in elements}
    assert result["series"]["others"] == {c: 2.5 for c in elements}
    assert (result["class_count"], result["others_count"]) == (3, 2)
    assert result["dimensions"]["this_term"]["A"] == 3
    weakest = result["suggestions"]
    assert [s["element"] for s in weakest] == ["P2", "S3", "P1"] and weakest[0]["level"] == 1
    assert [m["zh"] for m in weakest[0]["modules"]] == ["文体活动"] and weakest[0]["previous_level"] == 4

    book = load_workbook(io.BytesIO(client.get(
        f"/api/v1/students/{me_user.id}/development-report?format=xlsx", headers=me).data))
    radar = book["二、自测诊断雷达图"]
    assert len(radar._charts) == 1 and radar["B1"].value == "本学期" and radar.max_row == 21

    # The mean level fell from 4 to about 2.4 since last term: a mental-health signal, need-to-know.
    alerts_before = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == me_user.id))
    assert alerts_before is None
    run_worker(app)
    db.session.expire_all()
    warning = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == me_user.id))
    assert warning.rule.code == "RISK-MENTAL" and warning.sensitive
    assert warning.evidence["values"][0]["code"] == "self_assessment_drop"
    assert client.get("/api/v1/me/warnings", headers=me).json == []
    counsellor = login(client, college["counsellor"])
    assert client.get(f"/api/v1/warnings/{warning.id}", headers=counsellor).status_code == 200

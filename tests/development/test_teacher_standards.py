"""Stage standards as data (issue 20, must-show 1): defaults from seed/ with their source and
rationale, versioned per academic year, edited only by a school admin (audited), 422s naming the field."""
import pytest
from sqlalchemy import select

from backend.development import teacher_indicators, teacher_standards
from backend.extensions import db
from backend.models import AuditEvent, TeacherStandard
from tests.helpers import assert_problem, build_college, login

URL = "/api/v1/teacher-standards"


@pytest.fixture
def college(app):
    return build_college(students=90)


def _value(body, stage, code, key="standard"):
    return next(s[key] for s in body["standards"] if (s["stage"], s["indicator_code"]) == (stage, code))


def test_the_seeded_standards_cover_every_stage_and_dimension_with_their_source(client, college):
    body = client.get(URL, headers=login(client, college["head_teacher"])).json
    assert (body["year"], body["version_year"], body["can_edit"]) == (2026, 2026, False)
    assert body["stages"] == ["novice", "competent", "mature", "expert"]
    assert {s["dimension"] for s in body["standards"]} == set(body["dimensions"])
    assert len(body["standards"]) == 4 * len(teacher_indicators.INDICATORS)
    for s in body["standards"]:
        assert s["source"] and s["rationale"] and " / " in s["title"]
        sign = 1 if teacher_indicators.INDICATORS[s["indicator_code"]].direction == "higher_better" else -1
        assert sign * s["target"] >= sign * s["standard"] >= sign * s["warning"], s
    assert "003" in _value(body, "novice", "T-ATTEND", "source")
    assert _value(body, "novice", "T-ATTEND") < _value(body, "expert", "T-ATTEND")  # more is expected with the stage
    assert client.get(URL, headers=login(client, college["dept_admin"])).status_code == 200
    assert_problem(client.get(URL, headers=login(client, college["student"])), 403)
    assert teacher_standards.for_stage("mature", 2026)["T-FAIL"].standard == 10


def test_a_school_admin_edits_a_year_which_copies_forward_and_bad_values_name_the_field(client, college):
    admin, dept, teacher = (login(client, college[r]) for r in ("school_admin", "dept_admin", "head_teacher"))
    change = {"stage": "novice", "indicator_code": "T-ATTEND", "standard": 91}
    assert_problem(client.put(URL, headers=dept, json=change), 403)
    assert_problem(client.put(URL, headers=teacher, json=change), 403)

    below = assert_problem(client.put(URL, headers=admin, json={**change, "standard": 70}), 422)  # warning is 80
    assert set(below["errors"]) == {"standard", "warning"} and "80" in below["errors"]["standard"][0]
    lower = assert_problem(client.put(URL, headers=admin, json={  # T-FAIL: lower is better
        "stage": "novice", "indicator_code": "T-FAIL", "standard": 30, "warning": 25}), 422)
    assert "standard" in lower["errors"] and "warning" in lower["errors"]
    over = assert_problem(client.put(URL, headers=admin, json={**change, "target": 120}), 422)
    assert list(over["errors"]) == ["target"]
    unknown = assert_problem(client.put(URL, headers=admin, json={**change, "indicator_code": "T-NOPE"}), 422)
    assert list(unknown["errors"]) == ["indicator_code"]
    assert "stage" in assert_problem(client.put(URL, headers=admin, json={**change, "stage": "guru"}), 422)["errors"]
    assert "extra" in assert_problem(client.put(URL, headers=admin, json={**change, "extra": 1}), 422)["errors"]
    assert db.session.scalar(select(TeacherStandard.standard).where(
        TeacherStandard.year == 2026, TeacherStandard.stage == "novice", TeacherStandard.indicator_code == "T-ATTEND")) == 90

    # Next year: its first edit copies this year's standards, and this year's never change again.
    done = client.put(f"{URL}?year=2027", headers=admin, json={**change, "rationale": "生源改善"}).json
    assert (done["year"], done["standard"], done["warning"], done["rationale"]) == (2027, 91, 80, "生源改善")
    assert done["updated_by"] is not None
    assert _value(client.get(f"{URL}?year=2026", headers=admin).json, "novice", "T-ATTEND") == 90
    later = client.get(f"{URL}?year=2029", headers=teacher).json
    assert (later["version_year"], _value(later, "novice", "T-ATTEND")) == (2027, 91)
    assert _value(later, "expert", "T-TRAIN") == _value(client.get(URL, headers=admin).json, "expert", "T-TRAIN")
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "teacher_standard.update")) \
        == '{"before": {"standard": 90.0, "rationale": "Students\' own full-attendance standard is 90 % (catalogue S-A-03); ' \
           'a teacher\'s class should meet it, more so with experience."}, "after": {"standard": 91.0, "rationale": "生源改善"}}'
    client.put(URL, headers=admin, json={**change, "standard": 88})
    assert _value(client.get(f"{URL}?year=2027", headers=admin).json, "novice", "T-ATTEND") == 91
    assert client.get(URL, headers=admin).json["can_edit"] is True

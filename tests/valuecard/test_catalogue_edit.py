"""A school admin edits a point's values; a refused edit names its field and changes nothing; the
range must keep every value already recorded; every edit is audited."""
import json

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import assert_problem, build_college, login

V1 = "/api/v1/catalogue"


@pytest.fixture
def college(app, client):
    accounts = build_college(students=50)
    return {role: login(client, a) for role, a in accounts.items()}, accounts


def record(accounts, values: list[float]) -> None:
    """S-A-09 (a 0–100 score the head teacher enters) for the first students of their class."""
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    students = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)).all()
    ledger.record_batch(head, directory.current_term(clock.school_today()), {
        "point": "S-A-09", "period": "term",
        "entries": [{"student_id": s, "value": v} for s, v in zip(students, values, strict=False)]})
    db.session.commit()


def test_edit_is_saved_and_audited_with_before_and_after(client, college):
    headers, _ = college
    changed = client.patch(f"{V1}/S-A-06", headers=headers["school_admin"],
                           json={"standard_value": 92, "warning_value": 75, "unit": "%"})
    assert changed.status_code == 200
    assert (changed.json["standard_value"], changed.json["warning_value"], changed.json["unit"]) == (92, 75, "%")
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "catalogue.update"))
    detail = json.loads(event.detail)
    assert detail["before"] == {"standard_value": 90, "warning_value": 70, "unit": None}
    assert detail["after"] == {"standard_value": 92, "warning_value": 75, "unit": "%"}


def test_refusals_name_the_field_in_chinese_and_change_nothing(client, college):
    headers, _ = college
    admin = headers["school_admin"]
    before = client.get(f"{V1}/S-A-06", headers=admin).json
    errors = assert_problem(client.patch(f"{V1}/S-A-06", headers=admin, json={"warning_value": 95}), 422)["errors"]
    assert list(errors) == ["warning_value"] and errors["warning_value"][0].startswith("预警值应比标准值更差")
    errors = assert_problem(client.patch(f"{V1}/S-A-06", headers=admin, json={"standard_value": 120}), 422)["errors"]
    assert errors["standard_value"][0].startswith("标准值超出取值范围")
    assert "weight" in assert_problem(client.patch(f"{V1}/S-A-06", headers=admin, json={"weight": 2}), 422)["errors"]
    assert "name_zh" in assert_problem(client.patch(f"{V1}/S-A-06", headers=admin, json={"name_zh": "改名"}), 422)["errors"]
    errors = assert_problem(client.patch(f"{V1}/S-A-09", headers=admin, json={"min_value": 50, "max_value": 40}), 422)
    assert "max_value" in errors["errors"]
    assert client.get(f"{V1}/S-A-06", headers=admin).json == before
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "catalogue.update")) is None


def test_the_range_must_keep_every_recorded_value(client, college):
    headers, accounts = college
    admin = headers["school_admin"]
    record(accounts, [35, 75, 88])
    errors = assert_problem(client.patch(f"{V1}/S-A-09", headers=admin, json={"min_value": 40}), 422)["errors"]
    assert list(errors) == ["min_value"] and "35" in errors["min_value"][0] and errors["min_value"][0].startswith("已录入")
    errors = assert_problem(client.patch(f"{V1}/S-A-09", headers=admin, json={"max_value": 80}), 422)["errors"]
    assert list(errors) == ["max_value"] and "88" in errors["max_value"][0]
    ok = client.patch(f"{V1}/S-A-09", headers=admin, json={"min_value": 30, "max_value": 90})
    assert ok.status_code == 200 and (ok.json["min_value"], ok.json["max_value"]) == (30, 90)


def test_only_the_school_admin_edits(client, college):
    headers, _ = college
    for role in ("head_teacher", "dept_admin", "student"):
        assert_problem(client.patch(f"{V1}/S-A-06", headers=headers[role], json={"standard_value": 91}), 403)
    assert_problem(client.patch(f"{V1}/NOPE", headers=headers["school_admin"], json={"weight": 0.1}), 404)


POINT = {"domain": "career", "name_zh": "技能竞赛参与", "name_en": "Skills contests entered", "value_type": "count",
         "max_value": 10, "timing": "semester_end", "scorer_roles": ["head_teacher"], "weight": 0.05,
         "standard_value": 2, "warning_value": 0, "rationale": "本校特色：鼓励参加技能竞赛"}


def test_a_college_point_is_added_to_this_term_only(client, college):
    headers, _ = college
    admin = headers["school_admin"]
    terms = client.get("/api/v1/terms", headers=admin).json
    # Its 0.05 comes from S-C-05 and S-C-07 in the same request, so the domain still adds up to 1.
    added = client.post(V1, headers=admin, json={**POINT, "weights": {"S-C-05": 0.0, "S-C-07": 0.03}})
    assert added.status_code == 201, added.json
    code = added.json["code"]
    assert code.startswith("X-C-") and (added.json["min_value"], added.json["max_value"]) == (0, 10)
    assert code in {r["code"] for r in client.get(V1, headers=admin).json["rules"]}
    previous = client.get(f"{V1}?term_id={terms[0]['id']}", headers=admin).json["rules"]
    assert code not in {r["code"] for r in previous}
    assert assert_problem(client.post(V1, headers=admin, json=POINT), 422)["errors"] == {
        "name_zh": ["该领域已有同名采分点"]}  # in the reader's language only
    score = {**POINT, "name_zh": "竞赛成绩", "value_type": "score", "max_value": None}
    assert "max_value" in assert_problem(client.post(V1, headers=admin, json=score), 422)["errors"]
    worse = {**POINT, "name_zh": "竞赛次数", "warning_value": 5}
    assert "warning_value" in assert_problem(client.post(V1, headers=admin, json=worse), 422)["errors"]
    assert_problem(client.post(V1, headers=headers["head_teacher"], json={**POINT, "name_zh": "别的"}), 403)
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "catalogue.add_point")).all()
    assert len(events) == 1 and events[0].endswith(code)

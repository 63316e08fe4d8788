"""The department's assessing diagnosis (评估诊断) of a teacher's yearly self-diagnosis: written by
the teacher's own department admin after the self-diagnosis is submitted, beside the teacher's
computed indicators; agreed measures become goals of next year's plan, once; the department's
summary counts without names."""
import json

import pytest
from sqlalchemy import func, select

from backend.auth.roles import Role, Scope
from backend.development import plans, teacher_indicators
from backend.extensions import db
from backend.jobs import teachers as teacher_jobs
from backend.models import AuditEvent, Goal, Notification, RoleGrant, StaffProfile, User
from tests.helpers import assert_problem, build_college, demo_account, login, writing


@pytest.fixture
def college(app):
    return build_college(students=90)


def _user(account: dict) -> User:
    return db.session.scalar(select(User).where(User.username == account["username"]))


def _cycle(client, me, dept, stage: str) -> None:
    cycle = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_cycle", "stage": stage}).json
    for part in plans.PARTS["teacher_cycle"]:
        client.post(f"/api/v1/plans/{cycle['id']}/goals", headers=writing(me),
                    json={"part": part, "title": f"{part} 目标", "target": 1, "standard": 1, "warning": 0})
    client.post(f"/api/v1/plans/{cycle['id']}/submit", headers=writing(me))
    assert client.post(f"/api/v1/plans/{cycle['id']}/review", headers=writing(dept),
                       json={"decision": "approve"}).json["status"] == "approved"


def _diagnosed_year(client, me, training_hours: float) -> dict:
    """A submitted annual plan with a training goal, the training in the portfolio, and the
    submitted self-diagnosis (which drafts next year's plan)."""
    year = plans.academic_year_now()
    annual = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_year"}).json
    client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "A", "title": "完成教学工作量", "unit": "课时", "target": 320, "standard": 280, "warning": 240})
    client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "B", "title": "培训学时", "unit": "学时", "target": 72, "standard": 48, "warning": 24})
    assert client.post(f"/api/v1/plans/{annual['id']}/submit", headers=writing(me)).json["status"] == "submitted"
    client.post("/api/v1/me/portfolio", headers=writing(me), json={
        "kind": "training", "title": "国培计划", "occurred_on": f"{year}-10-20", "hours": training_hours})
    return annual


def _submit_diagnosis(client, me, annual) -> dict:
    goals = client.get(f"/api/v1/plans/{annual['id']}", headers=me).json["goals"]
    return client.post(f"/api/v1/plans/{annual['id']}/diagnosis/submit", headers=writing(me), json={
        "summary": "教学任务完成，培训不足", "items": [
            {"goal_id": g["id"], "cause": "课多", "measure": "寒假补足培训"} for g in goals]}).json


MEASURES = [
    {"part": "A", "title": "所授课堂学生出勤率达到 92%", "point_code": "T-ATTEND", "target": 95, "standard": 92, "warning": 85},
    {"part": "B", "title": "暑期参加企业实践", "target": 120, "standard": 80, "warning": 40, "unit": "学时"},
    {"part": "B", "title": "每月听课两次"},  # a measure that is not a goal
]


def test_department_admin_assesses_a_teachers_year_and_measures_become_next_years_goals(client, college):
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    teacher, admin = _user(college["head_teacher"]), _user(college["dept_admin"])
    year = plans.academic_year_now()
    _cycle(client, me, dept, "competent")
    annual = _diagnosed_year(client, me, training_hours=40)
    url = f"/api/v1/plans/{annual['id']}/assessing"

    # Before the self-diagnosis is submitted there is nothing to assess.
    assert_problem(client.get(url, headers=dept), 409)
    assert_problem(client.put(url, headers=dept, json={"text": "早了"}), 409)
    assert_problem(client.post(f"{url}/agree", headers=writing(dept), json={"text": "早了"}), 409)
    done = _submit_diagnosis(client, me, annual)

    # The review: the frozen self-diagnosis beside the teacher's computed indicators and the stage's standard.
    got = client.get(url, headers=dept).json
    assert got["status"] == "new" and got["review"]["stage"] == "competent"
    assert [i["title"] for i in got["review"]["self_diagnosis"]["items"]] == ["完成教学工作量", "培训学时"]
    assert got["review"]["self_diagnosis"]["items"][1]["measure"] == "寒假补足培训"
    shown = {i["code"]: i for i in got["review"]["indicators"]}
    assert set(shown) == set(teacher_indicators.INDICATORS)
    assert (shown["T-TRAIN"]["value"], shown["T-TRAIN"]["standard"], shown["T-TRAIN"]["short"]) == (40, 72, True)
    assert shown["T-TRAIN"]["source"] and shown["T-TRAIN"]["label"].startswith("培训学时")
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_id == admin.id, AuditEvent.object_type == "teacher_assessing",
        AuditEvent.object_id == str(teacher.id)))
    assert audited == 1

    # Bad measures: every bad field named.
    bad = assert_problem(client.put(url, headers=dept, json={"text": "x", "measures": [
        {"part": "A", "title": "不存在的指标", "point_code": "T-NOPE", "target": 1, "standard": 1, "warning": 0},
        {"part": "A", "title": "顺序颠倒", "target": 80, "standard": 90, "warning": 70},
        {"part": "C", "title": "只填了目标", "target": 5}]}), 422)
    assert {"measures[0].point_code", "measures[1].standard", "measures[2].part", "measures[2].standard",
            "measures[2].warning"} <= set(bad["errors"])
    lower = assert_problem(client.put(url, headers=dept, json={"measures": [
        {"part": "A", "title": "不及格率", "point_code": "T-FAIL", "target": 20, "standard": 12, "warning": 6}]}), 422)
    assert set(lower["errors"]) == {"measures[0].standard"}  # T-FAIL is lower-better: 6 ≤ 12 ≤ 20 is backwards
    assert_problem(client.put(url, headers=dept, json={"conclusion": "excellent"}), 422)
    # Held to the stage standard, as the teacher's own linked goals are (competent: attendance 92 / 85).
    floor = assert_problem(client.put(url, headers=dept, json={"measures": [
        {"part": "A", "title": "出勤", "point_code": "T-ATTEND", "target": 95, "standard": 90, "warning": 80}]}), 422)
    assert set(floor["errors"]) == {"measures[0].standard", "measures[0].warning"}
    assert "不得低于阶段标准值 92" in floor["errors"]["measures[0].standard"][0]

    draft = client.put(url, headers=dept, json={"text": "教学任务完成较好，培训学时不足，需加强企业实践。",
                                                "conclusion": "standard", "measures": MEASURES}).json
    assert (draft["status"], draft["conclusion"], len(draft["measures"])) == ("draft", "standard", 3)
    assert draft["measures"][0]["direction"] == "higher_better" and draft["measures"][0]["unit"] == "%"
    # The teacher sees nothing of a draft.
    pending = client.get(url, headers=me).json
    assert pending["status"] == "pending" and pending["text"] == "" and pending["measures"] == []

    key = "agree-once"
    agreed = client.post(f"{url}/agree", headers=writing(dept, key), json={})
    assert agreed.status_code == 200, agreed.json
    agreed = agreed.json
    assert agreed["status"] == "agreed" and agreed["next_plan_id"] == done["next_plan_id"]
    assert agreed["carried"]["goals_added"] == 2 and agreed["carried"]["message"] is None
    nxt = client.get(f"/api/v1/plans/{done['next_plan_id']}", headers=me).json
    assert (nxt["period"], nxt["status"]) == (str(year + 1), "draft")  # the teacher can still change it
    goal = next(g for g in nxt["goals"] if g["title"] == MEASURES[0]["title"])
    assert (goal["part"], goal["point_code"], goal["target"], goal["standard"], goal["warning"]) == ("A", "T-ATTEND", 95, 92, 85)
    assert "每月听课两次" not in {g["title"] for g in nxt["goals"]}
    goals_now = len(nxt["goals"])

    # Agreeing again (a retry with the same key, or a new press) adds nothing twice.
    replay = client.post(f"{url}/agree", headers=writing(dept, key), json={})
    assert replay.json == agreed
    again = client.post(f"{url}/agree", headers=writing(dept), json={}).json
    assert again["status"] == "agreed" and again["carried"]["goals_added"] == 0
    assert len(client.get(f"/api/v1/plans/{done['next_plan_id']}", headers=me).json["goals"]) == goals_now
    assert_problem(client.put(url, headers=dept, json={"text": "改一下"}), 409)

    # The teacher is told, with no one's name, and now reads it.
    told = db.session.scalars(select(Notification).where(Notification.user_id == teacher.id,
                                                         Notification.url == f"/#/diagnosis/{annual['id']}")).all()
    assert len(told) == 1 and admin.display_name not in told[0].title + told[0].body
    mine = client.get(url, headers=me).json
    assert mine["status"] == "agreed" and mine["text"].startswith("教学任务完成较好") and mine["review"] is None
    # It is the teacher's data too: in their copy, with who assessed.
    [copy] = client.get("/api/v1/me/data", headers=me).json["assessing_diagnoses"]
    assert copy["text"] == mine["text"] and copy["assessor"] == admin.display_name and copy["agreed_at"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "teacher_assessing", AuditEvent.actor_id == teacher.id)) == 0


def test_only_the_teachers_own_department_admins_assess(client, college):
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    teacher = _user(college["head_teacher"])
    annual = _diagnosed_year(client, me, training_hours=10)
    _submit_diagnosis(client, me, annual)
    url = f"/api/v1/plans/{annual['id']}/assessing"
    department = db.session.get(StaffProfile, teacher.id).department_id
    other_admin = db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == Role.DEPT_ADMIN, RoleGrant.scope_type == Scope.DEPARTMENT, RoleGrant.scope_id != department))
    colleague = db.session.scalar(select(User).join(StaffProfile, StaffProfile.user_id == User.id).where(
        StaffProfile.department_id == department, User.id != teacher.id, StaffProfile.title == "讲师"))
    for account in (college["student"], college["school_admin"], demo_account(other_admin.username),
                    demo_account(colleague.username)):
        who = login(client, account)
        assert_problem(client.get(url, headers=who), 404)
        assert_problem(client.put(url, headers=who, json={"text": "x"}), 404)
        assert_problem(client.post(f"{url}/agree", headers=writing(who), json={"text": "x"}), 404)
    # The teacher may read their own (pending) but never write it.
    assert client.get(url, headers=me).json["status"] == "pending"
    assert_problem(client.put(url, headers=me, json={"text": "我自己写"}), 404)
    client.post(f"{url}/agree", headers=writing(dept), json={"text": "同意", "measures": []})
    assert_problem(client.put(url, headers=me, json={"text": "我自己写"}), 403)
    # No plan of another kind has one.
    cycle = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_cycle"}).json
    assert_problem(client.get(f"/api/v1/plans/{cycle['id']}/assessing", headers=dept), 404)
    # An agreement needs the assessment itself.
    annual2 = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_year",
                                                                         "start_year": plans.academic_year_now() - 1}).json
    for part in ("A", "B"):
        client.post(f"/api/v1/plans/{annual2['id']}/goals", headers=writing(me),
                    json={"part": part, "title": f"{part}", "target": 1, "standard": 1, "warning": 0})
    client.post(f"/api/v1/plans/{annual2['id']}/submit", headers=writing(me))
    _submit_diagnosis(client, me, annual2)
    empty = assert_problem(client.post(f"/api/v1/plans/{annual2['id']}/assessing/agree", headers=writing(dept),
                                       json={"text": "  "}), 422)
    assert "text" in empty["errors"]


def test_a_submitted_next_plan_gets_no_goals_and_the_answer_says_so(client, college):
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    annual = _diagnosed_year(client, me, training_hours=10)
    done = _submit_diagnosis(client, me, annual)
    assert client.post(f"/api/v1/plans/{done['next_plan_id']}/submit", headers=writing(me)).json["status"] == "submitted"
    agreed = client.post(f"/api/v1/plans/{annual['id']}/assessing/agree", headers=writing(dept),
                         json={"text": "明年加强实践", "measures": MEASURES}).json
    assert agreed["carried"]["goals_added"] == 0 and agreed["carried"]["plan_status"] == "submitted"
    assert "已提交" in agreed["carried"]["message"]
    assert all(m["goal_id"] is None for m in agreed["measures"])
    assert db.session.scalar(select(func.count()).select_from(Goal).where(Goal.title == MEASURES[0]["title"])) == 0


def _short(client, headers) -> dict:
    return {s["code"]: s["teachers"] for s in client.get("/api/v1/teacher-summary", headers=headers).json[0]["short_of_standard"]}


def test_the_department_summary_counts_without_names(client, college):
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    head = _user(college["head_teacher"])
    department = db.session.get(StaffProfile, head.id).department_id
    colleague = db.session.scalar(select(User).join(StaffProfile, StaffProfile.user_id == User.id).where(
        StaffProfile.department_id == department, User.id != head.id, StaffProfile.title == "讲师"))
    other = login(client, demo_account(colleague.username))
    _cycle(client, me, dept, "competent")
    _cycle(client, other, dept, "expert")
    first = _diagnosed_year(client, me, training_hours=40)  # competent: 72 h is the standard → short
    _submit_diagnosis(client, me, first)
    second = _diagnosed_year(client, other, training_hours=60)  # expert: 48 h → not short
    _submit_diagnosis(client, other, second)
    client.post(f"/api/v1/plans/{first['id']}/review", headers=writing(dept), json={"decision": "approve"})
    client.post(f"/api/v1/plans/{first['id']}/assessing/agree", headers=writing(dept), json={"text": "同意"})
    client.put(f"/api/v1/plans/{second['id']}/assessing", headers=dept, json={"text": "草稿"})

    rows = client.get("/api/v1/teacher-summary", headers=dept).json
    assert [r["department_id"] for r in rows] == [department]
    row = rows[0]
    staff = db.session.scalar(select(func.count()).select_from(StaffProfile).where(StaffProfile.department_id == department))
    assert row["teachers"] == staff and sum(row["stages"].values()) == staff
    assert (row["stages"]["competent"], row["stages"]["expert"], row["stages"]["none"]) == (1, 1, staff - 2)
    assert row["cycle_plans"] == {"submitted": 2, "reviewed": 2, "approved": 2}
    assert row["year_plans"] == {"submitted": 2, "reviewed": 1, "approved": 1}
    assert (row["diagnoses_submitted"], row["assessing_agreed"], row["assessing_drafts"]) == (2, 1, 1)
    short = {s["code"]: s["teachers"] for s in row["short_of_standard"]}
    assert set(short) == set(teacher_indicators.INDICATORS)
    assert short["T-TRAIN"] == 1 and short["T-PRACTICE"] == 2  # nobody did industry practice
    assert short["T-SATISFY"] == 0  # no data is never "short"
    assert row["short_computed_at"] is None  # nothing stored yet: computed for this read

    # The job stores the counts; reads take the stored ones (not every teacher's indicators again)
    # until the job runs again.
    teacher_jobs.department_teachers(department, plans.academic_year_now())
    stored = client.get("/api/v1/teacher-summary", headers=dept).json[0]
    assert stored["short_computed_at"] and stored["short_of_standard"] == row["short_of_standard"]
    client.post("/api/v1/me/portfolio", headers=writing(me), json={
        "kind": "training", "title": "企业培训", "occurred_on": f"{plans.academic_year_now()}-11-02", "hours": 40})
    assert _short(client, dept)["T-TRAIN"] == 1
    teacher_jobs.department_teachers(department, plans.academic_year_now())
    assert _short(client, dept)["T-TRAIN"] == 0
    row = client.get("/api/v1/teacher-summary", headers=dept).json[0]

    # The school admin sees every department's counts, with no teacher's name; the names stay with
    # the department admin's list.
    school = login(client, college["school_admin"])
    everyone = client.get("/api/v1/teacher-summary", headers=school).json
    assert len(everyone) > 1 and next(r for r in everyone if r["department_id"] == department) == row
    names = db.session.scalars(select(User.display_name).join(StaffProfile, StaffProfile.user_id == User.id)).all()
    text = json.dumps(everyone, ensure_ascii=False)
    assert not [n for n in names if n in text]
    listed = client.get(f"/api/v1/departments/{department}/assessing", headers=dept).json
    mine = next(r for r in listed if r["teacher_id"] == head.id)
    assert (mine["name"], mine["plan_id"], mine["diagnosis"], mine["assessing"], mine["stage"]) == \
        (head.display_name, first["id"], "submitted", "agreed", "competent")
    assert_problem(client.get(f"/api/v1/departments/{department}/assessing", headers=school), 403)
    assert_problem(client.get(f"/api/v1/departments/{department}/assessing", headers=me), 404)
    assert_problem(client.get("/api/v1/teacher-summary", headers=login(client, college["student"])), 403)
    assert_problem(client.get("/api/v1/teacher-summary", headers=me), 403)


def test_one_assessing_diagnosis_per_self_diagnosis_is_held_by_the_database(client, college):
    """The service finds the one there is; should two writes race past it, the database refuses the second."""
    from sqlalchemy.exc import IntegrityError

    from backend.models import AssessingDiagnosis
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    annual = _diagnosed_year(client, me, training_hours=10)
    _submit_diagnosis(client, me, annual)
    first = client.put(f"/api/v1/plans/{annual['id']}/assessing", headers=dept, json={"text": "一"}).json
    row = db.session.get(AssessingDiagnosis, first["id"])
    db.session.add(AssessingDiagnosis(self_diagnosis_id=row.self_diagnosis_id, plan_id=row.plan_id, teacher_id=row.teacher_id,
                                      year=row.year, assessor_id=row.assessor_id, text="二", measures=[], status="draft"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

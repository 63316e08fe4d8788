"""Development plans: goals held to the college's standards, review that scores the plan points,
the student nudged first, the term self-diagnosis that drafts next term, and the reports."""
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend.extensions import db
from backend.models import Notification, StudentWarning, Term, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import card
from tests.helpers import assert_problem, build_college, login, run_worker, writing

GOOD_LINK = {"part": "A", "title": "作业按时完成", "point_code": "S-A-06", "target": 95, "standard": 92, "warning": 85}


@pytest.fixture
def college(app):
    return build_college(students=90)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def new_plan(client, headers, **body) -> dict:
    response = client.post("/api/v1/me/plans", headers=writing(headers), json={"kind": "student_term", **body})
    assert response.status_code == 201, response.json
    return response.json


def add_goal(client, headers, plan_id: int, goal: dict, status: int = 201) -> dict:
    response = client.post(f"/api/v1/plans/{plan_id}/goals", headers=writing(headers), json=goal)
    assert response.status_code == status, response.json
    return response.json


def full_plan(client, headers) -> dict:
    plan = new_plan(client, headers)
    add_goal(client, headers, plan["id"], GOOD_LINK)
    add_goal(client, headers, plan["id"], {"part": "B", "title": "志愿服务时长", "unit": "小时", "target": 20, "standard": 12,
                                           "warning": 6, "milestones": [{"title": "报名社区服务", "due_on": "2026-12-01"}]})
    return add_goal(client, headers, plan["id"], {"part": "C", "title": "考取职业技能证书", "target": 1, "standard": 1,
                                                  "warning": 0})


def homework(client, teacher_headers, student_id: int, day: str, value: float) -> None:
    response = client.post("/api/v1/entries", headers=writing(teacher_headers), json={
        "point": "S-A-06", "period": f"day:{day}", "entries": [{"student_id": student_id, "value": value}]})
    assert response.status_code == 201, response.json


def test_goals_are_held_to_the_college_standards_and_approval_scores_the_plan_points(client, college):
    me = login(client, college["student"])
    head = login(client, college["head_teacher"])
    student_id = user(college["student"]["username"]).id
    plan = new_plan(client, me, private_note="想转专业")
    assert_problem(client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "student_term"}), 409)

    below = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json={
        **GOOD_LINK, "standard": 88, "warning": 80}), 422)
    assert "90" in below["errors"]["standard"][0]  # the college's standard for homework
    late = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json={
        **GOOD_LINK, "warning": 60}), 422)
    assert "70" in late["errors"]["warning"][0]
    upside_down = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json={
        "part": "B", "title": "读书", "target": 5, "standard": 8, "warning": 2}), 422)
    assert "standard" in upside_down["errors"]
    assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json={
        **GOOD_LINK, "point_code": "S-A-01"}), 422)  # a plan point is not a goal
    assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json={
        **GOOD_LINK, "point_code": "S-P-13", "direction": "lower_better", "target": 0, "standard": 0,
        "warning": 1}), 422)  # discipline is need-to-know: it stays out of plans
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=me).json["goals"] == []

    linked = add_goal(client, me, plan["id"], GOOD_LINK)["goals"][0]
    assert (linked["direction"], linked["unit"], linked["standing"]) == ("higher_better", "%", "no_data")
    incomplete = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me)), 422)
    assert set(incomplete["errors"]) == {"goals.B", "goals.C"}
    add_goal(client, me, plan["id"], {"part": "B", "title": "志愿服务时长", "target": 20, "standard": 12, "warning": 6})
    add_goal(client, me, plan["id"], {"part": "C", "title": "考取证书", "target": 1, "standard": 1, "warning": 0})
    submitted = client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me))
    assert submitted.json["status"] == "submitted"
    assert_problem(client.post(f"/api/v1/plans/{plan['id']}/goals", headers=writing(me), json=GOOD_LINK), 409)
    inbox = client.get("/api/v1/notifications", headers=head).json["items"]
    assert [n["url"] for n in inbox if n["kind"] == "review"] == [f"/#/plans/{plan['id']}"]

    seen = client.get(f"/api/v1/plans/{plan['id']}", headers=head).json
    assert seen["private_note"] is None and len(seen["goals"]) == 3
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=me).json["private_note"] == "想转专业"
    assert_problem(client.post(f"/api/v1/plans/{plan['id']}/review", headers=writing(head),
                               json={"decision": "return"}), 422)
    returned = client.post(f"/api/v1/plans/{plan['id']}/review", headers=writing(head),
                           json={"decision": "return", "comment": "证书写明名称"}).json
    assert (returned["status"], returned["review_comment"]) == ("returned", "证书写明名称")
    client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me))
    key = "approve-plan-0001"
    first = client.post(f"/api/v1/plans/{plan['id']}/review", headers=writing(head, key), json={"decision": "approve"})
    again = client.post(f"/api/v1/plans/{plan['id']}/review", headers=writing(head, key), json={"decision": "approve"})
    assert first.json["status"] == "approved" and again.get_data() == first.get_data()

    points = {p["code"]: p for p in client.get(f"/api/v1/students/{student_id}/card", headers=me).json["points"]}
    assert [points[c]["indicator"] for c in ("S-A-01", "S-P-01")] == [1, 1]
    assert "S-C-01" not in points  # the career plan is scored by the teaching office / student affairs (002)
    entries = client.get(f"/api/v1/students/{student_id}/entries", headers=me).json
    assert sorted(e["point"] for e in entries if e["point"] in ("S-A-01", "S-P-01", "S-C-01")) == \
        ["S-A-01", "S-P-01"]  # once each, the replay wrote nothing

    summary = client.get(f"/api/v1/classes/{user(college['student']['username']).student.class_id}/plans",
                         headers=login(client, college["dept_admin"])).json
    row = next(r for r in summary if r["student_id"] == student_id)
    assert (row["term_plan"], row["goals"]) == ("approved", 3)
    assert row["plan_id"] is None  # no link to a plan the department admin may not open
    assert "作业" not in str(summary) and "想转专业" not in str(summary)


def test_a_linked_goal_past_its_warning_nudges_the_student_before_any_warning(app, client, college):
    me = login(client, college["student"])
    student_id = user(college["student"]["username"]).id
    plan = full_plan(client, me)
    client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me))
    teacher = login(client, college["course_teacher"])

    homework(client, teacher, student_id, "2026-11-20", 80)  # under my warning (85), above the college's (70)
    run_worker(app)
    nudges = db.session.scalars(select(Notification).where(Notification.user_id == student_id,
                                                           Notification.kind == "nudge")).all()
    assert len(nudges) == 1 and "作业" in nudges[0].title and nudges[0].url == f"/#/plans/{plan['id']}"
    assert db.session.scalars(select(StudentWarning).where(StudentWarning.student_id == student_id)).all() == []
    goal = client.get(f"/api/v1/plans/{plan['id']}", headers=me).json["goals"][0]
    assert (goal["actual"], goal["standing"]) == (80, "past_warning")

    homework(client, teacher, student_id, "2026-11-23", 40)  # mean 60: past the college's warning too
    run_worker(app)
    db.session.expire_all()
    warning = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == student_id))
    assert warning.rule.code == "TH-ACADEMIC"
    nudges = db.session.scalars(select(Notification).where(Notification.user_id == student_id,
                                                           Notification.kind == "nudge")).all()
    assert nudges[0].created_at < warning.raised_at  # the student heard first, and once for this goal
    assert sum("作业" in n.title for n in nudges) == 1


def test_term_self_diagnosis_prefills_actuals_is_frozen_and_drafts_next_term(client, college):
    me = login(client, college["student"])
    head = login(client, college["head_teacher"])
    student_id = user(college["student"]["username"]).id
    plan = full_plan(client, me)
    client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me))
    client.post(f"/api/v1/plans/{plan['id']}/review", headers=writing(head), json={"decision": "approve"})
    homework(client, login(client, college["course_teacher"]), student_id, "2026-11-20", 97)
    hours = next(g for g in plan["goals"] if g["part"] == "B")
    logged = client.post(f"/api/v1/goals/{hours['id']}/logs", headers=writing(me), json={"value": 10, "note": "社区服务"})
    assert logged.status_code == 201
    assert_problem(client.post(f"/api/v1/goals/{plan['goals'][0]['id']}/logs", headers=writing(me), json={"value": 3}), 422)

    draft = client.get(f"/api/v1/plans/{plan['id']}/diagnosis", headers=me).json
    assert [(i["title"], i["actual"], i["standing"]) for i in draft["items"]] == [
        ("作业按时完成", 97, "target"), ("志愿服务时长", 10, "below_standard"), ("考取职业技能证书", None, "no_data")]
    saved = client.put(f"/api/v1/plans/{plan['id']}/diagnosis", headers=me, json={
        "summary": "作业稳定，志愿服务不足", "items": [{"goal_id": hours["id"], "cause": "周末打工"}]})
    assert saved.status_code == 200 and saved.json["items"][1]["cause"] == "周末打工"
    missing = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/diagnosis/submit", headers=writing(me), json={}), 422)
    assert set(missing["errors"]) == {"items[1].measure", "items[2].measure"}
    assert client.get(f"/api/v1/plans/{plan['id']}/diagnosis", headers=me).json["status"] == "draft"

    done = client.post(f"/api/v1/plans/{plan['id']}/diagnosis/submit", headers=writing(me), json={"items": [
        {"goal_id": hours["id"], "cause": "周末打工", "measure": "每月两次社区服务"},
        {"goal_id": plan["goals"][2]["id"], "measure": "三月报名考试"}]}).json
    assert done["status"] == "submitted" and done["next_plan_id"]
    assert_problem(client.put(f"/api/v1/plans/{plan['id']}/diagnosis", headers=me, json={"summary": "改"}), 409)

    nxt = client.get(f"/api/v1/plans/{done['next_plan_id']}", headers=me).json
    this_term = directory.current_term(clock.school_today())
    next_term = db.session.scalar(select(Term).where(Term.starts_on > this_term.starts_on).order_by(Term.starts_on))
    assert (nxt["status"], nxt["term_id"]) == ("draft", next_term.id)
    assert [(g["title"], g["target"], g["carried_from_id"]) for g in nxt["goals"]] == [
        ("作业按时完成", 100, plan["goals"][0]["id"]),  # met: raised a tenth of the scale, capped at 100
        ("志愿服务时长", 20, hours["id"]),  # missed: carried over
        ("考取职业技能证书", 1, plan["goals"][2]["id"])]
    assert nxt["goals"][1]["milestones"] == [{"title": "报名社区服务", "due_on": "2026-12-01", "done": False}]

    commented = client.post(f"/api/v1/plans/{plan['id']}/diagnosis/comment", headers=head, json={"comment": "措施具体，继续"})
    assert commented.json["comment"] == "措施具体，继续"
    assert any(n["kind"] == "plan" for n in client.get("/api/v1/notifications", headers=me).json["items"])

    report = client.get(f"/api/v1/students/{student_id}/development-report", headers=head).json
    assert report["diagnosis"]["comment"] == "措施具体，继续"
    assert [g["measure"] for g in report["goals"]][1] == "每月两次社区服务"
    assert report["card"]["total"] == card.cards_for([student_id], this_term)[student_id].total
    pdf = client.get(f"/api/v1/students/{student_id}/development-report?format=pdf", headers=me)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "学生发展报告" in text and "自测诊断雷达图" in text and "三月报名考试" in text
    book = load_workbook(io.BytesIO(client.get(f"/api/v1/students/{student_id}/development-report?format=xlsx",
                                               headers=me).data))
    assert book["目标达成"]["B3"].value == "志愿服务时长" and book["目标达成"]["I3"].value == "每月两次社区服务"


def test_next_term_must_exist_before_a_self_diagnosis_is_submitted(client, college):
    me = login(client, college["student"])
    later = db.session.scalars(select(Term).where(Term.starts_on > clock.school_today())).all()
    plan = full_plan(client, me)
    client.post(f"/api/v1/plans/{plan['id']}/submit", headers=writing(me))
    for term in later:
        db.session.delete(term)
    db.session.commit()
    body = assert_problem(client.post(f"/api/v1/plans/{plan['id']}/diagnosis/submit", headers=writing(me), json={"items": [
        {"goal_id": g["id"], "measure": "继续"} for g in plan["goals"]]}), 409)
    assert "下一学期" in body["title"]
    assert client.get(f"/api/v1/plans/{plan['id']}/diagnosis", headers=me).json["status"] == "draft"

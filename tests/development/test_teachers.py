"""Teachers: a three-year plan with a stage in the dimensions of seed 002 table 13, the annual work
plan, a growth portfolio with evidence files, the yearly self-diagnosis, and the department's view."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backend.development import plans
from backend.extensions import db
from backend.models import StaffProfile, User
from tests.helpers import assert_problem, build_college, login, writing

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def college(app):
    return build_college(students=90)


def test_teacher_plans_portfolio_yearly_diagnosis_and_the_department_view(client, college):
    me, dept = login(client, college["head_teacher"]), login(client, college["dept_admin"])
    teacher = db.session.scalar(select(User).where(User.username == college["head_teacher"]["username"]))
    year = plans.academic_year_now()
    assert_problem(client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "student_term"}), 422)

    cycle = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_cycle", "stage": "competent",
                                                                       "summary": "三年成为双师型骨干教师"}).json
    assert (cycle["period"], cycle["parts"]) == (f"{year}-{year + 2}", ["ethics", "teaching", "research", "management", "career"])
    linked = assert_problem(client.post(f"/api/v1/plans/{cycle['id']}/goals", headers=writing(me), json={
        "part": "teaching", "title": "x", "point_code": "S-A-06", "target": 95, "standard": 90, "warning": 80}), 422)
    assert "point_code" in linked["errors"]
    for part, title in (("ethics", "零师德投诉"), ("teaching", "市级教学能力比赛获奖"), ("research", "主持一项课题"),
                        ("management", "带出一个先进班集体"), ("career", "取得双师资格")):
        client.post(f"/api/v1/plans/{cycle['id']}/goals", headers=writing(me),
                    json={"part": part, "title": title, "target": 1, "standard": 1, "warning": 0})
    assert client.post(f"/api/v1/plans/{cycle['id']}/submit", headers=writing(me)).json["status"] == "submitted"
    approved = client.post(f"/api/v1/plans/{cycle['id']}/review", headers=writing(dept), json={"decision": "approve"}).json
    assert approved["status"] == "approved"

    annual = client.post("/api/v1/me/plans", headers=writing(me), json={"kind": "teacher_year",
                                                                        "private_note": "考虑明年读在职硕士"}).json
    hours = client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "B", "title": "培训学时", "unit": "学时", "target": 72, "standard": 48, "warning": 24}).json["goals"][0]
    client.post(f"/api/v1/plans/{annual['id']}/goals", headers=writing(me), json={
        "part": "A", "title": "完成教学工作量", "unit": "课时", "target": 320, "standard": 280, "warning": 240})
    client.post(f"/api/v1/plans/{annual['id']}/submit", headers=writing(me))
    assert client.get(f"/api/v1/plans/{annual['id']}", headers=dept).json["private_note"] is None
    client.post(f"/api/v1/goals/{hours['id']}/logs", headers=writing(me), json={"value": 40, "note": "暑期培训"})

    item = client.post("/api/v1/me/portfolio", headers=writing(me), json={
        "kind": "training", "title": "国培计划", "occurred_on": f"{year}-10-20", "hours": 40}).json
    sent = client.post(f"/api/v1/portfolio/{item['id']}/attachments", headers=me,
                       data={"file": (io.BytesIO(PDF), "结业证书.pdf")}, content_type="multipart/form-data")
    again = client.post(f"/api/v1/portfolio/{item['id']}/attachments", headers=me,
                        data={"file": (io.BytesIO(PDF), "结业证书.pdf")}, content_type="multipart/form-data")
    assert sent.status_code == 201 and again.json["id"] == sent.json["id"]
    fake = assert_problem(client.post(f"/api/v1/portfolio/{item['id']}/attachments", headers=me, content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(b"MZ\x90\x00"), "证书.pdf")}), 422)
    assert "file" in fake["errors"]
    downloaded = client.get(f"/api/v1/attachments/{sent.json['id']}", headers=dept)
    assert downloaded.data == PDF and downloaded.mimetype == "application/pdf"
    assert_problem(client.get(f"/api/v1/attachments/{sent.json['id']}", headers=login(client, college["student"])), 404)
    assert_problem(client.delete(f"/api/v1/portfolio/{item['id']}", headers=dept), 403)

    goals = client.get(f"/api/v1/plans/{annual['id']}", headers=me).json["goals"]
    draft = client.get(f"/api/v1/plans/{annual['id']}/diagnosis", headers=me).json
    assert [(i["title"], i["actual"], i["standing"]) for i in draft["items"]] == [
        ("培训学时", 40, "below_standard"), ("完成教学工作量", None, "no_data")]
    done = client.post(f"/api/v1/plans/{annual['id']}/diagnosis/submit", headers=writing(me), json={
        "summary": "教学任务完成，培训不足", "items": [
            {"goal_id": g["id"], "cause": "课多", "measure": "寒假补足培训"} for g in goals]}).json
    nxt = client.get(f"/api/v1/plans/{done['next_plan_id']}", headers=me).json
    assert (nxt["kind"], nxt["period"], [g["target"] for g in nxt["goals"]]) == ("teacher_year", str(year + 1), [72, 320])
    assert client.post(f"/api/v1/plans/{annual['id']}/diagnosis/comment", headers=dept,
                       json={"comment": "明年优先参加企业实践"}).status_code == 200

    department = db.session.get(StaffProfile, teacher.id).department_id
    listed = client.get(f"/api/v1/departments/{department}/teachers", headers=dept).json
    row = next(r for r in listed if r["teacher_id"] == teacher.id)
    assert (row["stage"], row["cycle_plan"], row["year_plan"], row["diagnosis"], row["evidence"]) == \
        ("competent", "approved", "submitted", "submitted", 1)
    assert (row["cycle_plan_id"], row["year_plan_id"]) == (cycle["id"], annual["id"])  # the admin opens them to review
    assert "在职硕士" not in str(listed) and "private_note" not in row
    # Names and stages are the department admin's: the school admin reads the teacher summary's counts.
    school = login(client, college["school_admin"])
    assert_problem(client.get(f"/api/v1/departments/{department}/teachers", headers=school), 403)

    report = client.get(f"/api/v1/teachers/{teacher.id}/yearly-report", headers=dept).json
    assert report["stage"] == "competent" and report["evidence_summary"]["training_hours"] == 40
    assert report["diagnosis"]["comment"] == "明年优先参加企业实践"
    pdf = client.get(f"/api/v1/teachers/{teacher.id}/yearly-report?format=pdf", headers=me)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "教师自我诊断报告" in text and "胜任型" in text and "国培计划" in text

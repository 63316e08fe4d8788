"""Reports read from rollups: who sees what, the figures, and the downloads."""
import csv
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend import demo
from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, Department, Rollup, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from tests.helpers import assert_problem, build_college, login


@pytest.fixture
def college(app):
    accounts = build_college(students=300)
    demo.fill_history(clock.school_today())
    rollups.rebuild(directory.current_term(clock.school_today()))
    db.session.commit()
    return accounts


def the_department(accounts):
    admin = db.session.scalar(select(User).where(User.username == accounts["dept_admin"]["username"]))
    return next(g.scope_id for g in admin.grants if g.role == "dept_admin")


def test_department_admin_sees_classes_side_by_side_without_sensitive_points(client, college):
    dept = the_department(college)
    headers = login(client, college["dept_admin"])
    body = client.get(f"/api/v1/reports/department/{dept}", headers=headers).json
    classes = db.session.scalars(select(ClassGroup.id).where(ClassGroup.department_id == dept)).all()
    assert {c["id"] for c in body["classes"]} == set(classes)
    assert sorted(c["rank"] for c in body["classes"]) == list(range(1, len(classes) + 1))
    stored = db.session.scalar(select(Rollup).where(Rollup.unit == "department", Rollup.unit_id == dept,
                                                    Rollup.metric == "S-P-09"))
    shown = next(m for m in body["metrics"] if m["metric"] == "S-P-09")
    assert (shown["mean"], shown["count"], shown["past_warning"]) == (stored.mean, stored.count, stored.past_warning)
    assert [t["week"] for t in shown["trend"]] == list(range(1, body["week"] + 1))
    summary = [m["metric"] for m in body["metrics"] if m["level"] == "summary"]
    assert summary == ["academic", "personal", "total"]  # no career point is scored before the term ends
    assert [m["metric"] for m in body["metrics"][:3]] == summary
    assert body["sensitive_hidden"]
    assert not {"S-P-12", "S-P-13", "S-P-14"} & {m["metric"] for m in body["metrics"]}
    for s in body["slipped"]:  # each slip is a real drop between the last two weeks
        assert s["change"] < 0 and s["class_id"] in classes


def test_class_report_names_students_under_warning_to_the_head_teacher_only(client, college):
    head = db.session.scalar(select(User).where(User.username == college["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    body = client.get(f"/api/v1/reports/class/{cls.id}", headers=login(client, college["head_teacher"])).json
    flagged = db.session.scalar(select(Rollup).where(Rollup.unit == "class", Rollup.unit_id == cls.id,
                                                     Rollup.metric == "S-A-05")).flagged
    named = next((u for u in body["under_warning"] if u["metric"] == "S-A-05"), {"students": []})
    assert [s["id"] for s in named["students"]] == flagged
    assert body["rank"]["of"] >= 1 and not body["sensitive_hidden"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "read.sensitive",
                                                      AuditEvent.object_type == "class_report"))
    # The department admin reads the same class's figures, but no names.
    by_admin = client.get(f"/api/v1/reports/class/{cls.id}", headers=login(client, college["dept_admin"]))
    if cls.department_id == the_department(college):
        assert by_admin.status_code == 200 and by_admin.json["under_warning"] == []
    # Course teachers and students do not read class reports; other classes do not exist for them.
    assert_problem(client.get(f"/api/v1/reports/class/{cls.id}", headers=login(client, college["course_teacher"])), 403)
    assert_problem(client.get("/api/v1/reports/school/1", headers=login(client, college["student"])), 404)
    other = db.session.scalar(select(Department.id).where(Department.id != the_department(college)))
    assert_problem(client.get(f"/api/v1/reports/department/{other}", headers=login(client, college["dept_admin"])), 404)


def test_exports_have_chinese_headers_and_the_reports_figures(client, college):
    dept = the_department(college)
    headers = login(client, college["dept_admin"])
    report = client.get(f"/api/v1/reports/department/{dept}", headers=headers).json
    text = client.get(f"/api/v1/reports/department/{dept}/export?format=csv", headers=headers).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["指标代码", "指标名称", "人数", "平均值"]
    assert [r[0] for r in rows[1:]] == [m["metric"] for m in report["metrics"]]
    book = load_workbook(io.BytesIO(client.get(f"/api/v1/reports/department/{dept}/export?format=xlsx",
                                               headers=headers).data))
    assert book.sheetnames[:3] == ["指标统计", "班级对比", "周趋势"]
    assert [r[0] for r in book["班级对比"].iter_rows(min_row=2, values_only=True)] == [c["name"] for c in report["classes"]]

    analysis = load_workbook(io.BytesIO(client.get(f"/api/v1/reports/department/{dept}/diagnosis?format=xlsx",
                                                   headers=headers).data))
    assert "学生学期诊断分析" in analysis["诊断分析"]["A1"].value
    response = client.get(f"/api/v1/reports/department/{dept}/diagnosis?format=pdf", headers=headers)
    assert response.mimetype == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "学生学期诊断分析" in pdf_text and report["unit_name"] in pdf_text and "四、改进措施" in pdf_text
    assert_problem(client.get(f"/api/v1/reports/department/{dept}/export?format=doc", headers=headers), 422)

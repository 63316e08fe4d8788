"""The class roll (综合测评表): each row is the student's card, for the readers the policy names."""
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from backend import demo
from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, StudentProfile, User
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from tests.helpers import assert_problem, build_college, demo_account, login


@pytest.fixture
def college(app):
    accounts = build_college(students=100)
    demo.fill_history(clock.school_today())
    db.session.commit()
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    other = db.session.scalar(select(ClassGroup).where(ClassGroup.id != cls.id).order_by(ClassGroup.id))
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)
                                .order_by(StudentProfile.user_id)).all()
    other_head = db.session.get(User, other.head_teacher_id).username
    db.session.rollback()
    return {"accounts": accounts, "class": cls.id, "other": other.id, "roster": roster,
            "other_head": demo_account(other_head)}


def enter(client, headers, point, rows):
    response = client.post("/api/v1/entries", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                           json={"point": point, "entries": [{"student_id": s, "value": v} for s, v in rows]})
    assert response.status_code == 201, response.json


def roll(client, headers, class_id, **query):
    response = client.get(f"/api/v1/classes/{class_id}/roll", headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def test_each_row_is_the_students_card(client, college):
    head = login(client, college["accounts"]["head_teacher"])
    roster = college["roster"]
    enter(client, head, "S-A-09", [(s, 85) for s in roster[:3]])        # one point, three students
    affairs = login(client, college["accounts"]["student_affairs"])
    enter(client, affairs, "S-P-13", [(roster[0], 2)])                     # sensitive: two violations
    body = roll(client, head, college["class"])
    assert body["students"] == len(roster) == len(body["rows"])
    assert {r["student_id"] for r in body["rows"]} == set(roster)
    assert [r["number"] for r in body["rows"]] == sorted(r["number"] for r in body["rows"])  # by 学号
    assert "S-P-13" in {c["code"] for c in body["columns"]} and not body["sensitive_hidden"]
    for row in body["rows"]:
        card = client.get(f"/api/v1/students/{row['student_id']}/card", headers=head).json
        assert row["total"] == card["total"] and row["total"] is not None
        assert row["subtotals"] == card["subtotals"]
        assert row["coverage"] == card["coverage"]
        assert row["value_added"] == card["value_added"]
        assert row["points"] == {p["code"]: p["points"] for p in card["points"]}
    first = next(r for r in body["rows"] if r["student_id"] == roster[0])
    assert first["indicators"]["S-P-13"] == 2 and "S-P-13" in first["below_warning"]

    # Coverage: how many of the points shown have a value, per domain and in all.
    shown = len(body["columns"])
    assert first["coverage"]["all"] == {"scored": 6, "of": shown}   # S-A-05/06/07, S-P-09 + S-A-09, S-P-13
    assert sum(first["coverage"][d]["of"] for d in ("academic", "personal", "career")) == shown
    later = next(r for r in body["rows"] if r["student_id"] == roster[-1])
    assert later["coverage"]["all"]["scored"] == 4 and "S-A-09" not in later["points"]
    # A column's n, and no class figure from fewer than min_group students.
    column = {c["code"]: c for c in body["columns"]}
    assert column["S-A-09"]["count"] == 3 and column["S-A-09"]["median"] is None and body["min_group"] == 5
    assert column["S-A-05"]["count"] == len(roster) and column["S-A-05"]["median"] is not None
    assert body["summary"]["total"]["count"] == len(roster)
    assert body["summary"]["career"] == {"count": 0, "median": None, "mean": None}
    assert body["term_start_weeks"] == [1] and body["previous_term_name"]


def test_sorting_changes_the_order_never_the_figures(client, college):
    head = login(client, college["accounts"]["head_teacher"])
    roster = college["roster"]
    enter(client, head, "S-A-09", [(s, 40 + i) for i, s in enumerate(roster[:8])])
    plain = roll(client, head, college["class"])
    by_id = {r["student_id"]: r for r in plain["rows"]}
    for sort in ("total", "academic", "career", "added", "coverage", "name"):
        for descending in (False, True):
            body = roll(client, head, college["class"], sort=sort, descending=str(descending).lower())
            assert {r["student_id"]: r for r in body["rows"]} == by_id
            assert (body["columns"], body["summary"]) == (plain["columns"], plain["summary"])
    ranked = roll(client, head, college["class"], sort="total", descending="true")["rows"]
    totals = [r["total"] for r in ranked]
    assert totals == sorted(totals, reverse=True)
    career = roll(client, head, college["class"], sort="career")["rows"]  # nobody has a career value yet
    assert [r["student_id"] for r in career] == [r["student_id"] for r in plain["rows"]]
    assert client.get(f"/api/v1/classes/{college['class']}/roll?sort=rank", headers=head).status_code == 422


def test_the_spreadsheet_has_the_same_figures_in_the_same_order(client, college):
    head = login(client, college["accounts"]["head_teacher"])
    body = roll(client, head, college["class"], sort="total", descending="true")
    response = client.get(f"/api/v1/classes/{college['class']}/roll?format=xlsx&sort=total&descending=true",
                          headers=head)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["综合测评表"]
    rows = list(sheet.iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert header[:2] == ("学号", "姓名") and "总分" in header and sheet.freeze_panes == "C2"
    at = {name: header.index(name) for name in ("总分", "学业发展小计", "增值(比上学期末)", "已有数据项数")}
    codes = [c["code"] for c in body["columns"]]
    assert len(rows) == len(body["rows"])
    for line, row in zip(rows, body["rows"], strict=True):
        assert (line[0], line[1]) == (row["number"], row["name"])
        assert line[at["总分"]] == row["total"]
        assert line[at["学业发展小计"]] == row["subtotals"]["academic"]["score"]
        assert line[at["增值(比上学期末)"]] == row["value_added"]["previous_term"]
        assert line[at["已有数据项数"]] == row["coverage"]["all"]["scored"]
        assert list(line[2:2 + len(codes)]) == [row["points"].get(c) for c in codes]
    assert {"指标原始值", "说明"} <= set(book.sheetnames)


@pytest.mark.parametrize("role,status,sensitive", [
    ("head_teacher", 200, True), ("counsellor", 200, True), ("course_teacher", 200, False),
    ("dept_admin", 200, False), ("school_admin", 200, True),
    ("student_affairs", 403, None), ("pe_teacher", 403, None), ("student", 403, None)])
def test_who_reads_the_roll_and_every_read_is_audited(client, college, role, status, sensitive):
    headers = login(client, college["accounts"][role])
    response = client.get(f"/api/v1/classes/{college['class']}/roll", headers=headers)
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "class_roll")).all()
    if status != 200:
        assert_problem(response, status)
        assert logged == []  # a refused read is not a read
        return
    assert response.status_code == 200
    assert response.json["sensitive_hidden"] is not sensitive
    assert ("S-P-13" in {c["code"] for c in response.json["columns"]}) is sensitive
    assert [(e.action, e.object_id) for e in logged] == [("read.sensitive", str(college["class"]))]


def test_another_class_and_no_class_are_not_found(client, college):
    other_head = login(client, college["other_head"])
    assert_problem(client.get(f"/api/v1/classes/{college['class']}/roll", headers=other_head), 404)
    assert_problem(client.get("/api/v1/classes/99999/roll", headers=other_head), 404)
    assert roll(client, other_head, college["other"])["class_id"] == college["other"]
    assert db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.object_type == "class_roll")).all() == \
        [str(college["other"])]


def test_a_class_is_read_in_a_fixed_number_of_queries(client, college):
    head = login(client, college["accounts"]["school_admin"])
    roll(client, head, college["other"])  # warms the per-process caches (platform/cached.py): both reads below alike
    sizes = {}
    for class_id in (college["class"], college["other"]):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            body = roll(client, head, class_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        sizes[body["students"]] = len(statements)
    assert len(sizes) == 2, "the two classes should differ in size"
    assert len(set(sizes.values())) == 1, sizes  # no query per student
    assert max(sizes.values()) <= 30, sizes


def test_class_reports_say_how_many_points_and_students_a_figure_covers(client, college):
    rollups.rebuild(directory.current_term(clock.school_today()))
    db.session.commit()
    head = login(client, college["accounts"]["head_teacher"])
    body = client.get(f"/api/v1/reports/class/{college['class']}", headers=head).json
    assert body["min_group"] == 5
    by = {m["metric"]: m for m in body["metrics"]}
    assert (by["academic"]["points_scored"], by["personal"]["points_scored"]) == (3, 1)  # S-A-05/06/07, S-P-09
    assert by["total"]["points_scored"] == 4 and by["S-A-05"]["points_scored"] is None
    columns = roll(client, head, college["class"])["columns"]  # the same points, as the same reader sees them
    assert by["total"]["points_of"] == len(columns)
    assert by["academic"]["points_of"] == sum(c["domain"] == "academic" for c in columns)
    assert by["academic"]["count"] == len(college["roster"])

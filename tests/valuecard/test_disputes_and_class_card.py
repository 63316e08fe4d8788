"""Disputes, the class collective card, and Excel scoring sheets."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ScoreEntry, StudentProfile, User
from tests.helpers import assert_problem, build_college, login, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    class_id = student.student.class_id
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                                .order_by(StudentProfile.user_id)).all()
    db.session.rollback()
    return {"accounts": accounts, "class_id": class_id, "student": student.id, "roster": roster,
            "head": login(client, accounts["head_teacher"]), "me": login(client, accounts["student"])}


def enter(client, headers, point, rows, period=None, key="student_id"):
    body = {"point": point, "entries": [{key: s, "value": v} for s, v in rows]}
    if period:
        body["period"] = period
    response = client.post("/api/v1/entries", json=body, headers=writing(headers))
    assert response.status_code == 201, response.json
    return response


def ledger_rows() -> int:
    count = db.session.scalar(select(func.count()).select_from(ScoreEntry))
    db.session.rollback()
    return count


def test_student_disputes_an_entry_and_the_scorer_reverses_it_with_the_right_value(client, school):
    enter(client, school["head"], "S-A-09", [(school["student"], 50)])
    entry = client.get(f"/api/v1/students/{school['student']}/entries", headers=school["me"]).json[0]
    url = f"/api/v1/entries/{entry['id']}/disputes"
    dispute = client.post(url, json={"reason": "我的学分绩是65"}, headers=writing(school["me"]))
    assert dispute.status_code == 201 and dispute.json["status"] == "open"
    assert_problem(client.post(url, json={"reason": "again"}, headers=writing(school["me"])), 409)

    assert [d["id"] for d in client.get("/api/v1/disputes", headers=school["head"]).json] == [dispute.json["id"]]
    teacher = login(client, school["accounts"]["course_teacher"])
    assert client.get("/api/v1/disputes", headers=teacher).json == []  # not a scorer of S-A-09
    resolve = f"/api/v1/disputes/{dispute.json['id']}/resolve"
    assert_problem(client.post(resolve, json={"action": "reject", "reason": "x1"}, headers=writing(teacher)), 404)
    done = client.post(resolve, json={"action": "reverse", "reason": "录入错误", "value": 65}, headers=writing(school["head"]))
    assert done.status_code == 200 and done.json["status"] == "reversed"
    card = client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json
    assert {p["code"]: p["indicator"] for p in card["points"]}["S-A-09"] == 65
    history = client.get(f"/api/v1/students/{school['student']}/entries", headers=school["me"]).json
    assert [(e["value"], e["reversed"]) for e in history] == [(65, False), (50, True)]
    assert client.get("/api/v1/me/disputes", headers=school["me"]).json[0]["resolution"] == "录入错误"


def test_a_rejected_dispute_leaves_the_entry_and_others_cannot_dispute_it(client, school):
    enter(client, school["head"], "S-A-09", [(school["student"], 80), (school["roster"][1], 70)])
    entries = client.get(f"/api/v1/students/{school['roster'][1]}/entries", headers=school["head"]).json
    assert_problem(client.post(f"/api/v1/entries/{entries[0]['id']}/disputes", json={"reason": "不是我的"},
                               headers=writing(school["me"])), 404)
    mine = client.get(f"/api/v1/students/{school['student']}/entries", headers=school["me"]).json[0]
    dispute = client.post(f"/api/v1/entries/{mine['id']}/disputes", json={"reason": "太低"}, headers=writing(school["me"])).json
    rows = ledger_rows()
    rejected = client.post(f"/api/v1/disputes/{dispute['id']}/resolve", json={"action": "reject", "reason": "已核对成绩单"},
                           headers=writing(school["head"]))
    assert rejected.json["status"] == "rejected" and ledger_rows() == rows


def test_class_card_computes_aggregates_and_takes_class_points_as_entered(client, school):
    affairs = login(client, school["accounts"]["student_affairs"])
    roster = school["roster"]
    enter(client, school["head"], "S-A-09", [(roster[0], 50), (roster[1], 70), (roster[2], 90), (roster[3], 55)])
    enter(client, affairs, "S-P-07", [(roster[0], 80), (roster[1], 90)])
    enter(client, affairs, "S-P-13", [(roster[0], 2), (roster[1], 1)])              # violations (sensitive)
    # Two class meetings' scores (C-P-08, one per meeting): C-P-01 is their mean, computed.
    enter(client, affairs, "C-P-08", [(school["class_id"], 80)], period="day:2026-11-18", key="class_id")
    enter(client, affairs, "C-P-08", [(school["class_id"], 96)], period="day:2026-11-20", key="class_id")
    typed = client.post("/api/v1/entries", headers=writing(school["head"]),
                        json={"point": "C-A-05", "entries": [{"class_id": school["class_id"], "value": 10}]})
    assert "point" in assert_problem(typed, 422)["errors"]                            # aggregates are never typed

    points = {p["code"]: p for p in client.get(f"/api/v1/classes/{school['class_id']}/card", headers=school["head"]).json["points"]}
    assert points["C-A-05"]["indicator"] == 50.0 and points["C-A-05"]["students_with_data"] == 4   # 2 of 4 below 60
    assert points["C-P-05"]["indicator"] == 85.0                                                  # mean of 80, 90
    assert points["C-P-01"]["indicator"] == 88.0 and points["C-P-01"]["source"] == "aggregate"
    assert points["C-P-01"]["students_with_data"] == 2                                           # over 2 meetings
    assert points["C-P-06"]["indicator"] == 3.0 and points["C-P-07"]["indicator"] == round(100 * 2 / 2, 2)
    teacher = login(client, school["accounts"]["course_teacher"])
    seen = {p["code"] for p in client.get(f"/api/v1/classes/{school['class_id']}/card", headers=teacher).json["points"]}
    assert "C-P-06" not in seen and "C-P-01" in seen                                             # need-to-know
    assert_problem(client.get(f"/api/v1/classes/{school['class_id']}/card", headers=school["me"]), 403)


def sheet_values(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data))["采分表"].iter_rows(values_only=True)]


def upload(client, headers, class_id, data: bytes, key=None):
    return client.post(f"/api/v1/classes/{class_id}/scoring-sheet", headers=writing(headers, key),
                       data={"file": (io.BytesIO(data), "sheet.xlsx")}, content_type="multipart/form-data")


def test_excel_scoring_sheet_round_trip_all_or_nothing_and_idempotent(client, school):
    teacher = login(client, school["accounts"]["course_teacher"])
    url = f"/api/v1/classes/{school['class_id']}/scoring-sheet?point=S-A-06&period=day:2026-11-20"
    response = client.get(url, headers=teacher)
    assert response.status_code == 200 and response.mimetype.endswith("sheet")
    rows = sheet_values(response.data)
    assert len(rows) == 3 + len(school["roster"]) and rows[2][:3] == ["学号 Number", "姓名 Name", "值 Value"]

    book = load_workbook(io.BytesIO(response.data))
    sheet = book["采分表"]
    for row in range(4, 4 + len(school["roster"])):
        sheet.cell(row, 3, 90)
    sheet.cell(5, 3, 150)          # out of range
    sheet.cell(6, 1, "nobody")     # not in this class
    bad = io.BytesIO()
    book.save(bad)
    body = assert_problem(upload(client, teacher, school["class_id"], bad.getvalue()), 422)
    assert set(body["errors"]) == {"A6"}   # the sheet's own checks first: unknown student
    sheet.cell(6, 1, rows[5][0])
    bad = io.BytesIO()
    book.save(bad)
    body = assert_problem(upload(client, teacher, school["class_id"], bad.getvalue()), 422)
    assert set(body["errors"]) == {"C5"} and ledger_rows() == 0

    sheet.cell(5, 3, 80)
    good = io.BytesIO()
    book.save(good)
    first = upload(client, teacher, school["class_id"], good.getvalue(), key="sheet-upload-1")
    assert first.status_code == 201 and first.json["count"] == len(school["roster"])
    again = upload(client, teacher, school["class_id"], good.getvalue(), key="sheet-upload-1")
    assert again.get_data() == first.get_data() and ledger_rows() == len(school["roster"])
    assert_problem(upload(client, school["head"], school["class_id"], good.getvalue()), 422)  # not a scorer of S-A-06

"""Corrections in one step (reverse + the right value), dispute outcomes in the inbox, periods in words."""
import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Notification, ScoreEntry, StudentProfile, User
from tests.helpers import assert_problem, build_college, login, writing


@pytest.fixture
def school(app, client):
    accounts = build_college(students=100)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    roster = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == student.student.class_id)
                                .order_by(StudentProfile.user_id)).all()
    db.session.rollback()
    head = login(client, accounts["head_teacher"])
    entered = client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-07", "period": "month:2026-10", "entries": [{"student_id": s, "value": 5} for s in roster[:3]]})
    assert entered.status_code == 201, entered.json
    return {"accounts": accounts, "student": student.id, "roster": roster, "head": head,
            "me": login(client, accounts["student"])}


def entries(client, headers, student_id):
    return client.get(f"/api/v1/students/{student_id}/entries", headers=headers).json


def rows_in_ledger() -> int:
    count = db.session.scalar(select(func.count()).select_from(ScoreEntry))
    db.session.rollback()
    return count


def test_a_scorer_corrects_an_entry_in_one_step_and_a_replay_counts_once(client, school):
    first = entries(client, school["head"], school["student"])[0]
    assert (first["period"], first["period_zh"], first["period_en"]) == ("month:2026-10", "2026年10月", "Oct 2026")
    key = "correction-replay-0001"
    url = f"/api/v1/entries/{first['id']}/correction"
    answer = client.post(url, json={"reason": "多录了一次", "value": 4}, headers=writing(school["head"], key))
    assert answer.status_code == 201, answer.json
    assert answer.json["reversed"] == first["id"] and answer.json["value"] == 4 and answer.json["period_zh"] == "2026年10月"
    rows = rows_in_ledger()
    replay = client.post(url, json={"reason": "多录了一次", "value": 4}, headers=writing(school["head"], key))
    assert (replay.status_code, replay.json) == (201, answer.json) and rows_in_ledger() == rows
    history = entries(client, school["me"], school["student"])
    assert [(e["id"], e["value"], e["reversed"]) for e in history] == [
        (answer.json["entry_id"], 4, False), (first["id"], 5, True)]
    assert history[1]["reversal_reason"] == "多录了一次"
    months = client.get(f"/api/v1/students/{school['student']}/card", headers=school["me"]).json["history"]["months"]
    assert [(m["month"], m["label_zh"]) for m in months][:2] == [("2026-09", "2026年9月"), ("2026-10", "2026年10月")]
    # The reversed entry cannot be corrected a second time.
    assert_problem(client.post(url, json={"reason": "再改", "value": 3}, headers=writing(school["head"])), 409)


def test_a_correction_needs_a_reason_and_a_value_in_range_and_writes_nothing_otherwise(client, school):
    first = entries(client, school["head"], school["student"])[0]
    url = f"/api/v1/entries/{first['id']}/correction"
    rows = rows_in_ledger()
    missing = assert_problem(client.post(url, json={"value": 4}, headers=writing(school["head"])), 422)
    assert "请填写原因" in missing["errors"]["reason"][0]
    short = assert_problem(client.post(url, json={"reason": "", "value": 4}, headers=writing(school["head"])), 422)
    assert list(short["errors"]) == ["reason"]
    out_of_range = assert_problem(client.post(url, json={"reason": "录错了", "value": 61}, headers=writing(school["head"])), 422)
    assert list(out_of_range["errors"]) == ["value"] and "0–60" in out_of_range["errors"]["value"][0]
    fraction = assert_problem(client.post(url, json={"reason": "录错了", "value": 2.5}, headers=writing(school["head"])), 422)
    assert "整数" in fraction["errors"]["value"][0]
    assert rows_in_ledger() == rows
    assert [e["reversed"] for e in entries(client, school["head"], school["student"])] == [False]


def test_only_a_scorer_in_scope_corrects(client, school):
    first = entries(client, school["head"], school["student"])[0]
    url = f"/api/v1/entries/{first['id']}/correction"
    rows = rows_in_ledger()
    for account in ("course_teacher", "student_affairs", "student"):   # not scorers of S-A-07 for this class
        outsider = login(client, school["accounts"][account])
        body = assert_problem(client.post(url, json={"reason": "录错了", "value": 61}, headers=writing(outsider)), 404)
        assert "errors" not in body       # the range is not told to whoever may not correct
    assert_problem(client.post("/api/v1/entries/999999/correction", json={"reason": "录错了", "value": 4},
                               headers=writing(school["head"])), 404)
    assert rows_in_ledger() == rows


def inbox(client, headers):
    return client.get("/api/v1/notifications", headers=headers).json["items"]


def test_the_student_hears_how_a_dispute_ended_and_sees_it_in_their_disputes(client, school):
    first = entries(client, school["me"], school["student"])[0]
    assert first["dispute"] is None
    client.post(f"/api/v1/entries/{first['id']}/disputes", json={"reason": "我只去了4次"}, headers=writing(school["me"]))
    assert entries(client, school["me"], school["student"])[0]["dispute"] == "open"
    dispute = client.get("/api/v1/disputes", headers=school["head"]).json[0]
    assert dispute["period_zh"] == "2026年10月"
    # A correction from the student's screen resolves the open dispute too.
    done = client.post(f"/api/v1/entries/{first['id']}/correction", json={"reason": "核对签到表，改为4次", "value": 4},
                       headers=writing(school["head"]))
    assert done.status_code == 201 and done.json["dispute"]["status"] == "reversed"
    assert client.get("/api/v1/disputes", headers=school["head"]).json == []
    mine = client.get("/api/v1/me/disputes", headers=school["me"]).json
    assert [(d["status"], d["resolution"]) for d in mine] == [("reversed", "核对签到表，改为4次")]
    news = inbox(client, school["me"])
    assert news[0]["url"] == "/#/my-disputes" and news[0]["title"].startswith("您的申诉已更正")
    assert news[0]["body"] == "核对签到表，改为4次"

    # A rejected dispute: the entry stays, the student hears it was not upheld.
    second = entries(client, school["me"], school["student"])[0]
    raised = client.post(f"/api/v1/entries/{second['id']}/disputes", json={"reason": "应为5次"}, headers=writing(school["me"])).json
    client.post(f"/api/v1/disputes/{raised['id']}/resolve", json={"action": "reject", "reason": "签到表为4次"},
                headers=writing(school["head"]))
    assert inbox(client, school["me"])[0]["title"].startswith("您的申诉未采纳")
    assert entries(client, school["me"], school["student"])[0]["dispute"] == "rejected"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "dispute")) == 2


def test_resolving_with_a_value_out_of_range_names_the_value(client, school):
    first = entries(client, school["me"], school["student"])[0]
    raised = client.post(f"/api/v1/entries/{first['id']}/disputes", json={"reason": "不对"}, headers=writing(school["me"])).json
    body = assert_problem(client.post(f"/api/v1/disputes/{raised['id']}/resolve",
                                      json={"action": "reverse", "reason": "录错了", "value": 99}, headers=writing(school["head"])), 422)
    assert list(body["errors"]) == ["value"]
    assert client.get("/api/v1/disputes", headers=school["head"]).json[0]["status"] == "open"


def periods(client, headers, code):
    response = client.get(f"/api/v1/points/{code}/periods", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_the_period_picker_offers_what_the_points_timing_allows_in_words(client, school):
    monthly = periods(client, school["head"], "S-A-07")
    assert [p["key"] for p in monthly] == ["month:2026-11", "month:2026-10", "month:2026-09"]
    assert (monthly[0]["label_zh"], monthly[0]["label_en"], monthly[0]["current"]) == ("本月（2026年11月）", "This month (Nov 2026)", True)
    assert monthly[1]["label_zh"] == "2026年10月" and not monthly[1]["current"]
    assert periods(client, school["head"], "S-A-09") == [
        {"key": "term", "label_zh": "本学期", "label_en": "Whole term", "current": True}]
    weekly = periods(client, school["head"], "S-P-09")
    week = int(weekly[0]["key"].split(":")[1])
    assert [p["key"] for p in weekly] == [f"week:{n}" for n in range(week, 0, -1)]
    assert weekly[0]["label_zh"] == f"本周（第{week}周）" and weekly[1]["label_zh"] == f"第{week - 1}周"
    daily = periods(client, school["head"], "S-A-06")
    assert len(daily) == 14 and daily[0]["key"] == "day:2026-11-23" and daily[0]["label_zh"] == "今天（2026年11月23日）"
    # Every period offered is one the ledger takes.
    entered = client.post("/api/v1/entries", headers=writing(school["head"]), json={
        "point": "S-A-07", "period": monthly[2]["key"], "entries": [{"student_id": school["student"], "value": 2}]})
    assert entered.status_code == 201
    assert_problem(client.get("/api/v1/points/NOPE/periods", headers=school["head"]), 404)


def test_a_duplicate_row_names_the_entry_to_correct(client, school):
    first = entries(client, school["head"], school["student"])[0]
    again = assert_problem(client.post("/api/v1/entries", headers=writing(school["head"]), json={
        "point": "S-A-07", "period": "month:2026-10",
        "entries": [{"student_id": school["roster"][5], "value": 1}, {"student_id": school["student"], "value": 4}]}), 422)
    assert list(again["errors"]) == ["entries[1].student_id"] and "已有记录" in again["errors"]["entries[1].student_id"][0]
    assert again["recorded"] == {"1": first["id"]}

"""Courses, the weekly timetable, its import, the holiday calendar, and sessions from meetings (issue 16)."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    AuditEvent,
    ClassGroup,
    ClassSession,
    Course,
    CourseOffering,
    StaffProfile,
    TimetableSlot,
    User,
)
from backend.org import directory, timetable
from backend.platform import clock
from tests.helpers import assert_problem, build_college, login, writing
from tests.platform.test_exactly_once import at_once, postgres_only, served

V1 = "/api/v1"


@pytest.fixture
def college(app, client):
    accounts = build_college(students=100)
    users = {r: db.session.scalar(select(User).where(User.username == a["username"])) for r, a in accounts.items()}
    student = users["student"]
    own = db.session.get(ClassGroup, student.student.class_id)
    other = db.session.scalar(select(ClassGroup).where(ClassGroup.id != own.id).order_by(ClassGroup.id))
    teachers = db.session.scalars(select(User).join(StaffProfile, StaffProfile.user_id == User.id)
                                  .order_by(User.id.desc()).limit(2)).all()
    term = directory.current_term(clock.school_today())
    course = Course(school_id=term.school_id, code="TT900", name="测试课程")
    course2 = Course(school_id=term.school_id, code="TT901", name="第二门课")
    db.session.add_all([course, course2])
    db.session.commit()
    return {"accounts": accounts, "users": users, "term": term.id, "weeks": term.weeks, "own": own.id,
            "own_name": own.name, "other": other.id, "other_name": other.name,
            "teacher": teachers[0], "teacher2": teachers[1], "course": course.id, "course2": course2.id,
            "admin": login(client, accounts["school_admin"]), "student": login(client, accounts["student"])}


def offering(client, c, classes, course=None, teacher=None):
    r = client.post(f"{V1}/terms/{c['term']}/offerings", headers=writing(c["admin"]), json={
        "course_id": course or c["course"], "teacher_id": (teacher or c["teacher"]).id, "class_ids": classes})
    assert r.status_code == 201, r.json
    return r.json


def slot(client, c, offering_id, **fields):
    body = {"weekday": 6, "first_period": 9, "last_period": 10, "weeks": "1-16", "room": "A101", **fields}
    return client.post(f"{V1}/offerings/{offering_id}/slots", headers=writing(c["admin"]), json=body)


def test_weeks_periods_and_weekdays_read_as_academic_affairs_writes_them():
    assert timetable.week_list(timetable.parse_weeks("1-16周", 20)) == list(range(1, 17))
    assert timetable.week_list(timetable.parse_weeks("1-8,10-16(单)", 20)) == [1, 3, 5, 7, 11, 13, 15]
    assert timetable.week_list(timetable.parse_weeks("2-8双周", 20)) == [2, 4, 6, 8]
    assert timetable.week_list(timetable.parse_weeks("第3周、5周", 20)) == [3, 5]
    assert timetable.parse_periods("第1-2节") == (1, 2) and timetable.parse_periods("5") == (5, 5)
    assert timetable.parse_weekday("星期三") == 3 and timetable.parse_weekday("周日") == 7
    for bad in ("0-3", "1-25", "16-1", "每周", ""):
        with pytest.raises(ValueError):
            timetable.parse_weeks(bad, 20)
    with pytest.raises(ValueError):
        timetable.parse_periods("11-13")


def test_a_merged_offering_makes_its_teacher_a_course_teacher_of_both_classes(client, college):
    c = college
    o = offering(client, c, [c["own"], c["other"]])
    assert {x["name"] for x in o["classes"]} == {c["own_name"], c["other_name"]}
    assert slot(client, c, o["id"]).status_code == 201
    listed = client.get(f"{V1}/terms/{c['term']}/offerings", headers=c["admin"]).json
    mine = next(x for x in listed if x["id"] == o["id"])
    assert mine["slots"][0]["week_list"] == list(range(1, 17))
    teacher = login(client, {"username": c["teacher"].username, "password": c["accounts"]["student"]["password"]})
    # the policy's "course teacher of this class" follows the offering: they may open sessions there
    r = client.post(f"{V1}/sessions", headers=writing(teacher), json={"class_id": c["other"]})
    assert r.status_code == 201, r.json
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "offering.create"))
    # by staff number too; an unknown one is named
    r = client.post(f"{V1}/terms/{c['term']}/offerings", headers=writing(c["admin"]), json={
        "course_id": c["course2"], "teacher_number": c["teacher"].username.lower(), "class_ids": [c["own"]]})
    assert r.status_code == 201 and r.json["teacher_id"] == c["teacher"].id
    body = assert_problem(client.post(f"{V1}/terms/{c['term']}/offerings", headers=writing(c["admin"]), json={
        "course_id": c["course2"], "teacher_number": "T000", "class_ids": [c["own"], 10**6]}), 422)
    assert set(body["errors"]) == {"teacher_number", "class_ids[1]"} and "未知的教师工号" in body["errors"]["teacher_number"][0]
    assert {"TT900", "TT901"} <= {x["code"] for x in client.get(f"{V1}/courses", headers=c["admin"]).json}
    # a student sees a week; they may not edit
    assert_problem(client.post(f"{V1}/terms/{c['term']}/offerings", headers=writing(c["student"]), json={
        "course_id": c["course"], "teacher_id": c["teacher"].id, "class_ids": [c["own"]]}), 403)


def test_an_overlapping_slot_is_a_422_naming_the_field_and_nothing_is_written(client, college):
    c = college
    a = offering(client, c, [c["own"]])
    b = offering(client, c, [c["own"], c["other"]], course=c["course2"], teacher=c["teacher2"])
    assert slot(client, c, a["id"], weeks="1-16(单)").status_code == 201
    # the class already has a meeting on Saturday, period 10, in week 3
    body = assert_problem(slot(client, c, b["id"], first_period=10, last_period=11, weeks="3", room="B2"), 422)
    assert list(body["errors"]) == ["periods"] and "班级与 测试课程" in body["errors"]["periods"][0]
    # even weeks share no week with odd ones: no clash
    assert slot(client, c, b["id"], weeks="2-16(双)", room="B2").status_code == 201
    # the same teacher cannot be in two places; a room cannot hold two classes
    c2 = offering(client, c, [c["other"]], course=c["course2"])
    body = assert_problem(slot(client, c, c2["id"], weeks="1"), 422)
    assert "教师与" in body["errors"]["periods"][0]
    body = assert_problem(client.post(f"{V1}/offerings/{c2['id']}/slots", headers=writing(c["admin"]), json={
        "weekday": 6, "first_period": 10, "last_period": 10, "weeks": "2", "room": "B2"}), 422)
    assert body["errors"]["periods"] or body["errors"]["room"]
    body = assert_problem(slot(client, c, c2["id"], weekday=7, weeks="1-40"), 422)
    assert "weeks" in body["errors"] and "超出本学期" in body["errors"]["weeks"][0]
    assert db.session.scalar(select(func.count()).select_from(TimetableSlot)
                             .where(TimetableSlot.offering_id == c2["id"])) == 0


def test_holidays_and_make_up_days_shape_the_meetings_and_the_weekly_periods(client, college):
    c = college
    term = db.session.get(__import__("backend.models", fromlist=["Term"]).Term, c["term"])
    o = offering(client, c, [c["own"]])
    assert slot(client, c, o["id"], weekday=1, first_period=9, last_period=10, weeks=f"1-{c['weeks']}").status_code == 201
    week3 = [term.starts_on + timedelta(days=14 + n) for n in range(7)]
    monday = next(d for d in week3 if d.isoweekday() == 1)
    saturday = next(d for d in week3 if d.isoweekday() == 6)
    days = [{"day": d.isoformat(), "kind": "holiday", "name": "校庆"} for d in week3 if d.isoweekday() <= 5]
    r = client.put(f"{V1}/terms/{c['term']}/holidays", headers=writing(c["admin"]), json={"days": days})
    assert r.status_code == 200, r.json
    assert 3 not in r.json["teaching_weeks"] and 4 in r.json["teaching_weeks"]
    week = client.get(f"{V1}/me/timetable?week=3", headers=c["student"]).json
    assert not week["teaching"]
    assert all(not d["meetings"] for d in week["days"])
    assert next(d for d in week["days"] if d["day"] == monday.isoformat())["holiday"] == "校庆"
    # a week of holidays only is not offered for a weekly point
    periods = [p["key"] for p in client.get(f"{V1}/points/S-P-09/periods", headers=c["admin"]).json]
    assert "week:3" not in periods and "week:4" in periods
    # a make-up Saturday runs Monday's timetable
    days.append({"day": saturday.isoformat(), "kind": "workday", "name": "调休", "runs_weekday": 1})
    r = client.put(f"{V1}/terms/{c['term']}/holidays", headers=writing(c["admin"]), json={"days": days})
    assert 3 in r.json["teaching_weeks"]
    week = client.get(f"{V1}/me/timetable?week=3", headers=c["student"]).json
    sat = next(d for d in week["days"] if d["day"] == saturday.isoformat())
    mine = [m for m in sat["meetings"] if m["offering_id"] == o["id"]]
    assert [m["course"] for m in mine] == ["测试课程"] and mine[0]["starts"] == "19:00"
    assert len(sat["meetings"]) > 1  # the demo class's own Monday courses too
    # bad input names the field, writes nothing
    body = assert_problem(client.put(f"{V1}/terms/{c['term']}/holidays", headers=writing(c["admin"]), json={"days": [
        {"day": "2031-01-01", "kind": "holiday", "name": "元旦"},
        {"day": saturday.isoformat(), "kind": "workday", "name": "调休"}]}), 422)
    assert set(body["errors"]) == {"days[0].day", "days[1].runs_weekday"} and "不在本学期内" in body["errors"]["days[0].day"][0]
    assert len(client.get(f"{V1}/terms/{c['term']}/holidays", headers=c["student"]).json["days"]) == len(days)


def _sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["2026-2027学年第一学期 课表"])
    ws.append(["序号", "课程代码", "课程名称", "班级", "教师工号", "教师姓名", "星期", "节次", "周次", "教室"])
    for n, r in enumerate(rows, 1):
        ws.append([n, *r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, c, data, apply):
    return client.post(f"{V1}/timetable/import?term_id={c['term']}&apply={'true' if apply else 'false'}",
                       headers=c["admin"], data={"file": (io.BytesIO(data), "课表.xlsx")},
                       content_type="multipart/form-data")


def test_import_previews_refuses_every_bad_row_and_is_idempotent(client, college):
    c = college
    t1, t2 = c["teacher"].username, c["teacher2"].username
    good = [["TT900", "测试课程", c["own_name"], t1, "张老师", "六", "9-10", "1-16周", "A101"],
            ["NEW01", "新开课程", f"{c['own_name']}、{c['other_name']}", t2, "李老师", "星期日", "11-12", "1-8,10-16(单)", "B201"]]
    bad = good + [["NEW02", "", "不存在班", "T999999", "", "八", "13-14", "1-99", ""],
                  ["TT901", "第二门课", c["own_name"], t2, "", "6", "10", "5", "C1"]]  # clashes with row 1 (class)
    before = db.session.scalar(select(func.count()).select_from(TimetableSlot))
    body = assert_problem(_upload(client, c, _sheet(bad), True), 422)
    cells = {(e["row"], e["column"]) for e in body["errors"]}
    assert {(5, "课程代码"), (5, "班级"), (5, "教师工号"), (5, "星期"), (5, "节次"), (5, "周次")} <= cells
    assert any(e["value"] == "不存在班" and "未知的班级" in e["message"] for e in body["errors"])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TimetableSlot)) == before
    assert db.session.scalar(select(Course).where(Course.code == "NEW01")) is None
    # only the clash left: the row is named, nothing written
    body = assert_problem(_upload(client, c, _sheet(good + bad[3:]), True), 422)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(5, "节次")]
    preview = _upload(client, c, _sheet(good), False)
    assert preview.status_code == 200, preview.json
    assert preview.json["slots_created"] == 2 and preview.json["courses_created"] == ["new01"] and not preview.json["applied"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TimetableSlot)) == before
    done = _upload(client, c, _sheet(good), True).json
    assert done["slots_created"] == 2 and done["offerings_created"] == 2 and done["applied"]
    again = _upload(client, c, _sheet(good), True).json
    assert again["slots_created"] == 0 and again["offerings_created"] == 0 and again["slots_unchanged"] == 2
    db.session.rollback()
    merged = db.session.scalar(select(CourseOffering).join(Course, Course.id == CourseOffering.course_id)
                               .where(Course.code == "NEW01"))
    assert sorted(timetable.offering_classes([merged.id])[merged.id]) == sorted([c["own"], c["other"]])
    tpl = client.get(f"{V1}/timetable/template?format=csv", headers=c["admin"])
    assert tpl.status_code == 200 and "课程代码" in tpl.get_data(as_text=True)


def _teacher_with_meeting_today(client, c, classes):
    """An evening meeting today (periods 9-10, which the demo leaves free), moved to start now so check-in is open."""
    now = clock.now().astimezone(clock.school_zone())
    bells = client.application.config["PERIOD_TIMES"].split(",")
    bells[8] = f"{now:%H:%M}-{(now + timedelta(minutes=45)):%H:%M}"
    client.application.config["PERIOD_TIMES"] = ",".join(bells)
    o = offering(client, c, classes)
    today = clock.school_today()
    assert slot(client, c, o["id"], weekday=today.isoweekday(), first_period=9, last_period=10,
                weeks=f"1-{c['weeks']}").status_code == 201
    teacher = login(client, {"username": c["teacher"].username, "password": c["accounts"]["student"]["password"]})
    return o, teacher, today


def test_a_course_teacher_opens_the_session_from_todays_meeting_and_check_in_counts_for_the_course(client, college):
    c = college
    o, teacher, today = _teacher_with_meeting_today(client, c, [c["own"], c["other"]])
    meetings = client.get(f"{V1}/me/meetings/today", headers=teacher).json["meetings"]
    m = next(x for x in meetings if x["offering_id"] == o["id"])
    assert m["sessions"] == [] and m["starts"] == f"{clock.now().astimezone(clock.school_zone()):%H:%M}"
    path = f"{V1}/meetings/{m['slot_id']}/{today.isoformat()}/session"
    first = client.post(path, headers=writing(teacher), json={})
    second = client.post(path, headers=writing(teacher), json={})
    assert first.status_code == second.status_code == 200
    assert first.json["created"] == 2 and second.json["created"] == 0
    assert [s["id"] for s in first.json["sessions"]] == [s["id"] for s in second.json["sessions"]]
    own_session = next(s for s in first.json["sessions"] if s["class_id"] == c["own"])
    session = db.session.get(ClassSession, own_session["id"])
    assert session.slot_id == m["slot_id"] and session.course_id == c["course"]
    assert clock.school_date(session.starts_at) == today
    code = client.get(f"{V1}/sessions/{own_session['id']}/code", headers=teacher).json["code"]
    other_session = next(s for s in first.json["sessions"] if s["class_id"] == c["other"])
    assert client.get(f"{V1}/sessions/{other_session['id']}/code", headers=teacher).json["code"] == code
    r = client.post(f"{V1}/checkin", headers=writing(c["student"]), json={"code": code})
    assert r.status_code == 200, r.json
    assert r.json["session_id"] == own_session["id"]
    figures = client.get(f"{V1}/offerings/{o['id']}/attendance", headers=teacher).json
    own_row = next(x for x in figures["classes"] if x["class_id"] == c["own"])
    assert own_row["sessions"] == 1 and own_row["present"] + own_row["late"] == 1
    assert next(x for x in client.get(f"{V1}/me/meetings/today", headers=teacher).json["meetings"]
                if x["slot_id"] == m["slot_id"])["sessions"]
    # a day it does not meet: 422 naming the day; ad-hoc sessions stay possible
    body = assert_problem(client.post(f"{V1}/meetings/{m['slot_id']}/{(today + timedelta(days=1)).isoformat()}/session",
                                      headers=writing(teacher), json={}), 422)
    assert "没有课" in body["errors"]["day"][0]
    assert client.post(f"{V1}/sessions", headers=writing(teacher), json={"class_id": c["own"]}).status_code == 201
    # only the offering's teacher opens its meetings
    assert_problem(client.post(path, headers=writing(c["admin"]), json={}), 403)
    # a slot whose meetings were held keeps them: it is not deleted
    body = assert_problem(client.delete(f"{V1}/slots/{m['slot_id']}", headers=c["admin"]), 409)
    assert "已有课堂记录" in body["title"]


def test_a_meeting_record_without_check_in_is_closed_to_codes(client, college):
    c = college
    _, teacher, today = _teacher_with_meeting_today(client, c, [c["own"]])
    m = next(x for x in client.get(f"{V1}/me/meetings/today", headers=teacher).json["meetings"] if x["course"] == "测试课程")
    r = client.post(f"{V1}/meetings/{m['slot_id']}/{today}/session", headers=writing(teacher), json={"checkin": False})
    assert r.status_code == 200 and r.json["sessions"][0]["closed"]


def test_two_phones_opening_one_meeting_at_once_open_one_session_per_class(app, client, college):
    postgres_only(app)
    c = college
    o, teacher, today = _teacher_with_meeting_today(client, c, [c["own"], c["other"]])
    slot_id = o and db.session.scalar(select(TimetableSlot.id).where(TimetableSlot.offering_id == o["id"]))
    with served(app) as base:
        answers = at_once(base, f"{V1}/meetings/{slot_id}/{today}/session",
                          [writing(teacher) for _ in range(6)], {})
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert sum(a.json()["created"] for a in answers) == 2
    assert len({tuple(s["id"] for s in a.json()["sessions"]) for a in answers}) == 1
    assert db.session.scalar(select(func.count()).select_from(ClassSession).where(ClassSession.slot_id == slot_id)) == 2


def test_the_demo_term_has_a_real_week(client, college):
    week = client.get(f"{V1}/me/timetable", headers=college["student"]).json
    assert sum(len(d["meetings"]) for d in week["days"]) >= 10
    assert date.fromisoformat(week["days"][0]["day"])

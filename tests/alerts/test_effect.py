"""Does the help help? (issue 15, must show 4.)

Every intervention shows the student's relevant indicators over the weeks before and after it, and a
report per department and per counsellor counts, per intervention kind, the cases that improved,
held or worsened within 4 and 8 weeks. The weeks are set with the app's clock: the warning is raised
and worked in week 3 of the autumn term (and one case in week 10); the report is read in week 12.
"""
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from backend.alerts import interventions
from backend.config import ROOT
from backend.extensions import db
from backend.jobs import alerts
from backend.models import AuditEvent, ClassGroup, StudentProfile, StudentWarning, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import TODAY, assert_problem, build_college, demo_account, login, writing

OFFICE = "T10002"  # the demo's school-wide student-affairs office: scores the weekly dorm score
WEEK_3, WEEK_10 = date(2026, 9, 16), date(2026, 11, 4)  # the autumn term starts on 1 September
# Dorm score (S-P-09, weekly, 0–100, warning value 70): 50 in weeks 1–3 for everyone, then the
# improver gets 100, the holder stays at 50, the one who worsens gets 20.
AFTER = {"improves": 100, "holds": 50, "worsens": 20, "late": 50}


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def at(app, day: date) -> None:
    app.extensions["clock"].set(clock.school_moment(day))


def dorm(week: int, values: dict[int, float]) -> None:
    ledger.record_batch(user(OFFICE), directory.current_term(clock.school_today()), {
        "point": "S-P-09", "period": f"week:{week}", "entries": [{"student_id": s, "value": v} for s, v in values.items()]})
    db.session.commit()


def warning_of(student_id: int, rule: str = "TH-PERSONAL") -> StudentWarning:
    return next(w for w in db.session.scalars(select(StudentWarning).where(StudentWarning.student_id == student_id))
                if w.rule.code == rule)


@pytest.fixture
def worked(app, client):
    """Four students of one class past the dorm-score line in week 3; the counsellor talks with three
    of them that week (and records an older-style "action" for one), and with the fourth in week 10."""
    accounts = build_college(students=90)
    me = user(accounts["student"]["username"]).student
    classmates = db.session.scalars(select(StudentProfile.user_id).where(
        StudentProfile.class_id == me.class_id).order_by(StudentProfile.user_id)).all()
    students = dict(zip(AFTER, classmates[:4]))
    counsellor = login(client, accounts["counsellor"])

    at(app, WEEK_3)
    for week in (1, 2, 3):
        dorm(week, dict.fromkeys(students.values(), 50))
    alerts.evaluate_class(directory.current_term(clock.school_today()).id, me.class_id)
    ids = {name: warning_of(sid).id for name, sid in students.items()}
    for name in ("improves", "holds", "worsens"):
        done = client.post(f"/api/v1/warnings/{ids[name]}/interventions", headers=writing(counsellor),
                           json={"kind": "talk", "text": "谈心谈话，约定每周整理宿舍"})
        assert done.status_code == 201, done.json
    legacy = client.post(f"/api/v1/warnings/{ids['holds']}/interventions", headers=writing(counsellor),
                         json={"kind": "action", "text": "安排宿舍长提醒"})
    assert legacy.status_code == 201 and legacy.json["events"][-1]["kind"] == "action"

    at(app, WEEK_10)
    assert client.post(f"/api/v1/warnings/{ids['late']}/interventions", headers=writing(counsellor),
                       json={"kind": "talk", "text": "谈心谈话"}).status_code == 201

    at(app, TODAY)  # week 12
    for week in range(4, 13):
        dorm(week, {sid: AFTER[name] for name, sid in students.items()})
    return {"accounts": accounts, "ids": ids, "students": students, "class_id": me.class_id,
            "counsellor": counsellor}


def test_the_trend_shows_the_weeks_around_an_intervention_from_the_ledger(client, worked):
    body = client.get(f"/api/v1/warnings/{worked['ids']['improves']}/trend", headers=worked["counsellor"]).json
    assert body["weeks"] == list(range(1, 13)) and body["current_week"] == 12
    [series] = body["series"]
    assert (series["code"], series["name_zh"], series["warning_value"], series["direction"]) == \
        ("S-P-09", "宿舍得分", 70.0, "higher_better")
    # The indicator as the card had it at the end of each week: the mean of the values so far.
    assert series["values"] == [50.0, 50.0, 50.0, 62.5, 70.0, 75.0, 78.57, 81.25, 83.33, 85.0, 86.36, 87.5]
    # Distance past the line, in % of the scale: 20 points below 70 at first, inside it by week 5.
    assert body["measure"][:5] == [20.0, 20.0, 20.0, 7.5, 0.0]
    [talk] = body["interventions"]
    assert (talk["week"], talk["kind"], talk["effect"]) == (3, "talk", {"4": "improved", "8": "improved"})

    held = client.get(f"/api/v1/warnings/{worked['ids']['holds']}/trend", headers=worked["counsellor"]).json
    assert [(m["kind"], m["effect"]["4"]) for m in held["interventions"]] == [("talk", "held"), ("other", "held")]
    late = client.get(f"/api/v1/warnings/{worked['ids']['late']}/trend", headers=worked["counsellor"]).json
    assert late["interventions"][0]["week"] == 10 and late["interventions"][0]["effect"] == \
        {"4": "too_early", "8": "too_early"}


def _row(group: dict, kind: str) -> dict:
    return next(r for r in group["rows"] if r["kind"] == kind)


def test_the_report_counts_improved_held_worsened_and_too_early_per_kind(client, worked):
    body = client.get("/api/v1/reports/intervention-effect", headers=worked["counsellor"]).json
    assert body["scope"] == "counsellor" and body["horizons"] == [4, 8] and body["departments"] == []
    assert [k["code"] for k in body["kinds"]] == ["talk", "family", "tutoring", "referral", "aid", "other"]
    [mine] = body["counsellors"]
    talk = _row(mine, "talk")
    assert talk["cases"] == 4
    assert talk["by_horizon"]["4"] == {"improved": 1, "held": 1, "worsened": 1, "too_early": 1, "no_data": 0}
    assert talk["by_horizon"]["8"] == {"improved": 1, "held": 1, "worsened": 1, "too_early": 1, "no_data": 0}
    other = _row(mine, "other")  # the older "action" counts as "other"
    assert other["cases"] == 1 and other["by_horizon"]["4"]["held"] == 1
    assert [r["kind"] for r in mine["rows"]] == ["talk", "other"]  # kinds nobody used are left out
    text = client.get("/api/v1/reports/intervention-effect", headers=worked["counsellor"]).get_data(as_text=True)
    names = db.session.scalars(select(User.display_name).where(User.id.in_(worked["students"].values()))).all()
    assert not any(name in text for name in names)  # counts only

    dept_admin_id = directory.department_admins(db.session.get(ClassGroup, worked["class_id"]).department_id)[0]
    admin = login(client, demo_account(db.session.get(User, dept_admin_id).username))
    dept = client.get("/api/v1/reports/intervention-effect", headers=admin).json
    assert dept["scope"] == "department"
    [department] = dept["departments"]
    assert _row(department, "talk")["by_horizon"]["4"] == talk["by_horizon"]["4"]
    assert [c["name"] for c in dept["counsellors"]] == [mine["name"]]

    school = login(client, worked["accounts"]["school_admin"])
    everything = client.get("/api/v1/reports/intervention-effect", headers=school).json
    assert everything["scope"] == "school" and _row(everything["departments"][0], "talk")["cases"] == 4

    sheet = client.get("/api/v1/reports/intervention-effect/export?format=xlsx", headers=admin)
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    assert rows[0][:5] == ("范围", "名称", "干预类型", "个案数", "4周改善")
    assert ("系部", department["name"], "谈心谈话", 4, 1, 1, 1, 1, 0) == rows[1][:9]


def test_need_to_know_the_trend_follows_the_warning(client, worked, app):
    accounts = worked["accounts"]
    w = worked["ids"]["improves"]
    # A course teacher cannot see the warning, nor its trend (not found, as for the warning itself),
    # nor the effect report.
    teacher = login(client, accounts["course_teacher"])
    assert_problem(client.get(f"/api/v1/warnings/{w}", headers=teacher), 404)
    assert_problem(client.get(f"/api/v1/warnings/{w}/trend", headers=teacher), 404)
    body = assert_problem(client.get("/api/v1/reports/intervention-effect", headers=teacher), 403)
    assert "无权查看" in body["title"]
    # The student reads their own warning, but not the staff's record of the help and its effect.
    me = db.session.get(User, worked["students"]["improves"])
    student = login(client, demo_account(me.username))
    assert client.get(f"/api/v1/warnings/{w}", headers=student).status_code == 200
    assert_problem(client.get(f"/api/v1/warnings/{w}/trend", headers=student), 403)

    # A need-to-know (discipline) warning's trend is read by its chain only, and every read is audited.
    office = user(OFFICE)
    ledger.record_batch(office, directory.current_term(clock.school_today()), {
        "point": "S-P-13", "period": "term", "entries": [{"student_id": me.id, "value": 2}]})
    db.session.commit()
    alerts.evaluate_class(directory.current_term(clock.school_today()).id, worked["class_id"])
    sensitive = warning_of(me.id, "RISK-DISCIPLINE")
    assert sensitive.sensitive
    before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "read.sensitive", AuditEvent.object_id == str(sensitive.id)))
    trend = client.get(f"/api/v1/warnings/{sensitive.id}/trend", headers=worked["counsellor"])
    assert trend.status_code == 200
    assert [s["code"] for s in trend.json["series"]] == ["S-P-13", "S-P-14"]
    assert trend.json["series"][0]["values"][-1] == 2.0
    reads = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "read.sensitive", AuditEvent.object_id == str(sensitive.id))).all()
    assert len(reads) == before + 1 and reads[-1].object_type == "warning"
    assert_problem(client.get(f"/api/v1/warnings/{sensitive.id}/trend", headers=student), 404)


def test_an_unknown_intervention_kind_is_refused_naming_the_field(client, worked):
    w = worked["ids"]["worsens"]
    before = len(client.get(f"/api/v1/warnings/{w}", headers=worked["counsellor"]).json["events"])
    body = assert_problem(client.post(f"/api/v1/warnings/{w}/interventions", headers=writing(worked["counsellor"]),
                                      json={"kind": "hug", "text": "拥抱"}), 422)
    assert set(body["errors"]) == {"kind"}
    assert len(client.get(f"/api/v1/warnings/{w}", headers=worked["counsellor"]).json["events"]) == before
    kinds = client.get("/api/v1/intervention-kinds", headers=worked["counsellor"]).json
    assert {k["code"]: k["name_zh"] for k in kinds}["referral"] == "心理咨询转介"


def test_the_warning_screen_offers_the_kinds_the_api_accepts():
    """pwa/app/effect.js lists the kinds for the form; they are the backend's list, in its order."""
    listed = re.search(r"export const KINDS = \[([^\]]*)\]", (ROOT / "pwa" / "app" / "effect.js").read_text()).group(1)
    assert re.findall(r'"(\w+)"', listed) == list(interventions.KINDS)
    assert set(interventions.ACCEPTED) == {"note", "action", *interventions.KINDS}

"""The teacher portrait (issue 20, must-show 3): attainment per dimension of seed 002 table 13 on the
stage standard's scale, last year on this year's scale, the department median stored by its job
only where five teachers share the stage, who may read it, and the portrait in the yearly report."""
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend.development import plans, teacher_portrait
from backend.extensions import db
from backend.jobs import teachers as teacher_jobs
from backend.models import AuditEvent, PortfolioItem, PortraitMedian, RoleGrant, StaffProfile, User
from tests.helpers import assert_problem, build_college, login, run_worker


@pytest.fixture
def college(app):
    return build_college(students=40)


def _department(account: dict) -> int:
    user = db.session.scalar(select(User).where(User.username == account["username"]))
    return db.session.scalar(select(RoleGrant.scope_id).where(RoleGrant.user_id == user.id, RoleGrant.role == "dept_admin"))


def _teacher(username: str, department_id: int, stage: str, train: float, practice: float = 0, papers: int = 0,
             last_train: float = 0) -> User:
    """A teacher with no sessions, entries or grants: only the portfolio feeds their indicators."""
    year = plans.academic_year_now()
    password = db.session.scalar(select(User.password_hash).limit(1))  # the demo's shared hash
    user = User(username=username, display_name=f"教师{username}", password_hash=password, must_change_password=False)
    db.session.add(user)
    db.session.flush()
    db.session.add(StaffProfile(user_id=user.id, department_id=department_id, title="讲师"))
    # An honour this year: they keep their portfolio in Spiral, so a kind with no item is 0, not "no data".
    items = [("honour", None, date(year, 9, 10)), ("training", train, date(year, 10, 20)),
             ("industry_practice", practice, date(year, 11, 2)),
             ("training", last_train, date(year, 3, 10))]  # last academic year's spring term
    items += [("paper", None, date(year, 12, 1))] * papers
    db.session.add_all(PortfolioItem(owner_id=user.id, kind=kind, title=f"{kind} {i}", occurred_on=on, hours=hours)
                       for i, (kind, hours, on) in enumerate(items) if hours != 0)
    plans.create(user, {"kind": "teacher_cycle", "stage": stage})
    db.session.commit()
    return user


def _dims(body: dict) -> dict:
    return {d["code"]: d for d in body["dimensions"]}


def test_attainment_last_year_median_and_who_reads_it(client, college, app):
    dept = _department(college["dept_admin"])
    year = plans.academic_year_now()
    me = _teacher("T9001", dept, "competent", train=64, practice=160, papers=1, last_train=56)
    mine = login(client, {"username": "T9001", "password": college["dept_admin"]["password"]})

    body = client.get("/api/v1/me/portrait", headers=mine).json
    assert (body["stage"], body["year"]) == ("competent", year)
    dims = _dims(body)
    # competent: T-TRAIN 80/72/48 → 64 h is 50; T-PRACTICE 160/120/60 → 160 h is 100; a paper of 2/1/0 is 50.
    assert (dims["career"]["this_year"], dims["research"]["this_year"]) == (75.0, 50.0)
    # The standard's line: T-TRAIN 72 → 75, T-PRACTICE 120 → 60; T-RESEARCH 1 → 50.
    assert (dims["career"]["standard"], dims["research"]["standard"]) == (67.5, 50.0)
    # Last year on this year's scale: 56 h of training → 25, no practice → 0; no paper → 0.
    assert (dims["career"]["last_year"], dims["research"]["last_year"]) == (12.5, 0.0)
    # No sessions, grades or warnings: teaching and management have no data — absent, not 0.
    assert dims["teaching"]["this_year"] is None and dims["management"]["this_year"] is None
    train = next(i for i in body["indicators"] if i["code"] == "T-TRAIN")
    assert (train["actual"], train["last_year"], train["target"], train["standard"], train["warning"],
            train["attainment"], train["standing"]) == (64, 56, 80, 72, 48, 50.0, "below_standard")
    assert train["source"] and "/" in train["label"]
    assert body["median"] == {"shown": False, "reason": "not_computed", "min_teachers": 5,
                              "why_absent": teacher_portrait.MEDIAN_ABSENT["not_computed"]}
    assert all(d["department_median"] is None for d in body["dimensions"])

    # Four more competent teachers in the department: five share the stage. The job stores the median.
    for n, hours in enumerate((0, 56, 72, 80)):
        _teacher(f"T900{n + 2}", dept, "competent", train=hours)
    _teacher("T9010", dept, "expert", train=80)  # another stage: not in the competent median
    assert teacher_jobs.department_teachers_all(year) >= 1
    run_worker(app)
    row = db.session.scalar(select(PortraitMedian).where(PortraitMedian.department_id == dept,
                                                         PortraitMedian.stage == "competent", PortraitMedian.year == year))
    # career: 75 (me), and mean(train, no practice) of the others: 0, 12.5, 37.5, 50 → median 37.5.
    assert (row.teachers, row.medians["career"], row.medians["research"]) == (5, 37.5, 0.0)
    expert = db.session.scalar(select(PortraitMedian).where(PortraitMedian.department_id == dept,
                                                            PortraitMedian.stage == "expert"))
    assert (expert.teachers, expert.medians) == (1, None)
    body = client.get("/api/v1/me/portrait", headers=mine).json
    assert body["median"]["shown"] and body["median"]["computed_at"]
    assert _dims(body)["career"]["department_median"] == 37.5
    assert "T9002" not in str(body) and "教师T9003" not in str(body)  # never another teacher's name or figure

    # One of them moves to another stage: four share it; the next run keeps no median and says why.
    other = db.session.scalar(select(User).where(User.username == "T9003"))
    cycle = plans.find(other.id, "teacher_cycle", f"{year}-{year + 2}")
    cycle.stage = "mature"
    db.session.commit()
    # Without waiting for the six-hourly pass: the command a school admin runs after such a change.
    done = app.test_cli_runner().invoke(args=["teachers", "refresh", "--year", str(year)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["departments"][str(dept)]["medians"]["competent"] == 4
    db.session.expire_all()
    assert db.session.get(PortraitMedian, row.id).medians is None
    body = client.get("/api/v1/me/portrait", headers=mine).json
    assert body["median"]["reason"] == "too_few" and "5" in body["median"]["why_absent"]
    assert all(d["department_median"] is None for d in body["dimensions"])

    # Who reads it: the teacher (not audited), their department admin (audited), nobody else.
    def audits():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "teacher_portrait",
                                                           AuditEvent.object_id == str(me.id))).all()
    assert client.get(f"/api/v1/teachers/{me.id}/portrait", headers=mine).status_code == 200
    assert audits() == []
    admin = login(client, college["dept_admin"])
    seen = client.get(f"/api/v1/teachers/{me.id}/portrait", headers=admin)
    assert seen.status_code == 200 and _dims(seen.json)["career"]["this_year"] == 75.0
    db.session.expire_all()
    assert [(a.action, a.actor_id) for a in audits()] == [
        ("read.sensitive", db.session.scalar(select(User.id).where(User.username == college["dept_admin"]["username"])))]
    assert_problem(client.get(f"/api/v1/teachers/{me.id}/portrait", headers=login(client, college["head_teacher"])), 404)
    student = login(client, college["student"])
    assert_problem(client.get(f"/api/v1/teachers/{me.id}/portrait", headers=student), 404)
    assert_problem(client.get("/api/v1/me/portrait", headers=student), 403)
    assert_problem(client.get("/api/v1/me/portrait?year=1900", headers=mine), 422)

    # The yearly report carries the portrait: the dimension table and the indicator table.
    sheet = client.get(f"/api/v1/teachers/{me.id}/yearly-report?format=xlsx", headers=mine)
    book = load_workbook(io.BytesIO(sheet.data))
    dimensions = [[c.value for c in r] for r in book["教师画像"].iter_rows()]
    assert dimensions[0] == ["维度", "本学年", "阶段标准", "上学年（按本学年标准）", "院系同阶段中位数"]
    assert ["职业发展", 75, 67.5, 12.5, None] in dimensions
    assert dimensions[[r[0] for r in dimensions].index("教学能力")][1] is None
    indicators = {r[1].value: [c.value for c in r] for r in book["画像指标"].iter_rows(min_row=2)}
    assert indicators["培训学时"][3:10] == [64, 56, 80, 72, 48, 50, "未达标准"]
    assert "成长档案" in indicators["培训学时"][10]
    assert "五、教师画像" in book.sheetnames  # the radar's values and a native radar chart
    assert len(book["五、教师画像"]._charts) == 1
    pdf = client.get(f"/api/v1/teachers/{me.id}/yearly-report?format=pdf", headers=admin)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "五、教师画像" in text and "六、画像指标" in text and "培训学时" in text and "同一阶段的本院系教师少于" in text
    db.session.expire_all()
    assert len(audits()) == 2  # the department admin's report download is a read of the portrait too


def test_a_teacher_without_a_stage_has_no_standard_and_says_so(client, college):
    dept = _department(college["dept_admin"])
    user = _teacher("T9020", dept, "novice", train=10)
    db.session.delete(plans.find(user.id, "teacher_cycle", f"{plans.academic_year_now()}-{plans.academic_year_now() + 2}"))
    db.session.commit()
    body = client.get("/api/v1/me/portrait", headers=login(client, {"username": "T9020",
                                                                    "password": college["dept_admin"]["password"]})).json
    assert body["stage"] is None and body["median"]["reason"] == "no_stage"
    assert all(d["this_year"] is None and d["standard"] is None for d in body["dimensions"])
    assert next(i for i in body["indicators"] if i["code"] == "T-TRAIN")["standing"] == "no_standard"


def test_score_is_direction_aware_and_clamped():
    from types import SimpleNamespace
    fail = SimpleNamespace(indicator_code="T-FAIL", target=6, standard=12, warning=20)
    assert [teacher_portrait.score(v, fail) for v in (6, 13, 20, 30, 0, None)] == [100.0, 50.0, 0.0, 0.0, 100.0, None]
    flat = SimpleNamespace(indicator_code="T-DISPUTE", target=0, standard=0, warning=0)
    assert (teacher_portrait.score(0, flat), teacher_portrait.score(1, flat)) == (100.0, 0.0)

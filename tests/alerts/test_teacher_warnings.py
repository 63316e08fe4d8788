"""Teachers in the monitor → warn step (issue 20, must-show 4): a teacher's own linked goal nudges
them first; an indicator past the stage standard's warning line for TEACHER_WARNING_AFTER_DAYS tells
the department admin, with evidence and the student warnings' life; nobody else sees it.

The figure is real: T-TRAIN is the training hours in the teacher's portfolio (teacher_indicators),
moved by adding and deleting portfolio items through the API.
"""
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.alerts import teacher_warnings
from backend.auth.roles import Role, Scope
from backend.development import plans
from backend.extensions import db
from backend.jobs import alerts
from backend.models import (
    AuditEvent,
    Goal,
    Notification,
    PortfolioItem,
    PushDelivery,
    PushSubscription,
    RoleGrant,
    StaffProfile,
    TeacherIndicatorWatch,
    TeacherWarning,
    User,
)
from backend.notify import push
from backend.platform import clock, queue
from tests.helpers import assert_problem, build_college, demo_account, login, make_plan, run_worker, writing

YEAR = 2026  # the academic year 2026-2027 of helpers.TODAY
DAYS = 10  # TEACHER_WARNING_AFTER_DAYS in these tests, so the episodes fit inside the autumn term


@pytest.fixture
def college(app):
    app.config["TEACHER_WARNING_AFTER_DAYS"] = DAYS
    return build_college(students=100)  # three classes: two departments


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def people(college):
    """The course teacher (a novice with a three-year plan), their department admin, a colleague in
    the same department, another department's admin, and a student."""
    teacher = user(college["course_teacher"]["username"])
    dept = db.session.get(StaffProfile, teacher.id).department_id
    admin = user_by_id(min(u for u in admins(dept) if u != teacher.id))
    colleague = db.session.scalar(select(User).join(StaffProfile, StaffProfile.user_id == User.id).where(
        StaffProfile.department_id == dept, User.id.not_in([teacher.id, *admins(dept)])).order_by(User.id).limit(1))
    other_admin = user_by_id(db.session.scalar(select(RoleGrant.user_id).where(
        RoleGrant.role == Role.DEPT_ADMIN, RoleGrant.scope_type == Scope.DEPARTMENT, RoleGrant.scope_id != dept)
        .order_by(RoleGrant.user_id).limit(1)))
    plans.create(teacher, {"kind": "teacher_cycle", "stage": "novice", "start_year": YEAR})
    # They keep their portfolio in Spiral (an honour this year), so its 0 training hours are a figure.
    honour = PortfolioItem(owner_id=teacher.id, kind="honour", title="优秀班主任 / Best head teacher",
                           occurred_on=clock.school_today() - timedelta(days=30))
    db.session.add(honour)
    db.session.commit()
    return {"teacher": teacher, "honour": honour.id, "admin": admin, "colleague": colleague, "other_admin": other_admin,
            "student": user(college["student"]["username"]), "dept": dept}


def admins(dept: int) -> list[int]:
    return db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role == Role.DEPT_ADMIN, RoleGrant.scope_type == Scope.DEPARTMENT, RoleGrant.scope_id == dept)).all()


def user_by_id(uid: int) -> User:
    return db.session.get(User, uid)


def as_(client, who: User) -> dict:
    return login(client, demo_account(who.username))


def run(now=None) -> dict:
    counts = teacher_warnings.evaluate(YEAR, now)
    db.session.commit()
    return counts


def advance(app, days: float) -> None:
    app.extensions["clock"].advance(timedelta(days=days))


def training(client, teacher: User, hours: float) -> int:
    response = client.post("/api/v1/me/portfolio", headers=writing(as_(client, teacher)), json={
        "kind": "training", "title": "教学能力培训 / Teaching workshop", "occurred_on": clock.school_today().isoformat(),
        "hours": hours})
    assert response.status_code == 201, response.json
    return response.json["id"]


def forget(client, teacher: User, item_id: int) -> None:
    assert client.delete(f"/api/v1/portfolio/{item_id}", headers=writing(as_(client, teacher))).status_code == 204


def train_warnings(teacher: User) -> list[TeacherWarning]:
    db.session.expire_all()
    return db.session.scalars(select(TeacherWarning).where(
        TeacherWarning.teacher_id == teacher.id, TeacherWarning.indicator_code == "T-TRAIN")
        .order_by(TeacherWarning.episode)).all()


def inbox(who: User, kind: str) -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.user_id == who.id, Notification.kind == kind)
                              .order_by(Notification.id)).all()


def test_a_linked_goal_nudges_the_teacher_once_per_crossing(app, client, people):
    teacher = people["teacher"]
    plan = make_plan(teacher, "teacher_year", submit=False, start_year=YEAR)  # free goals in A and B
    # Linked through the plans service as the goal form does (held to the novice standard: 72 h, warning 48 h).
    goal = plans.set_goal(plan, {"part": "B", "title": "培训学时 / Training hours", "point_code": "T-TRAIN",
                                 "target": 90, "standard": 72, "warning": 50})
    plans.submit(plan)
    db.session.commit()

    # 0 hours this year: past the teacher's own warning value of 50 h taken at the pace of the year.
    assert run()["teacher_nudges"] == 1
    nudges = inbox(teacher, "nudge")
    assert len(nudges) == 1 and nudges[0].url == f"/#/plans/{plan.id}" and "培训学时" in nudges[0].title
    assert "年度预警值 50" in nudges[0].body
    assert run()["teacher_nudges"] == 0 and len(inbox(teacher, "nudge")) == 1  # once per crossing

    item = training(client, teacher, 51)  # back above 50
    run()
    assert db.session.get(Goal, goal.id).nudged_at is None and len(inbox(teacher, "nudge")) == 1
    forget(client, teacher, item)  # past again: a new crossing
    assert run()["teacher_nudges"] == 1 and len(inbox(teacher, "nudge")) == 2
    # A draft plan's goals do not nudge (the plan is not in force).
    assert not inbox(people["admin"], "nudge")


def test_no_department_warning_before_n_days_one_after_idempotent(app, client, people):
    teacher, admin = people["teacher"], people["admin"]
    db.session.add(PushSubscription(user_id=admin.id, endpoint="https://push.example.com/send/teacher-warning",
                                    p256dh="k" * 87, auth="a" * 22))
    db.session.commit()
    start = clock.now()
    run(start)
    watch = db.session.scalar(select(TeacherIndicatorWatch).where(
        TeacherIndicatorWatch.teacher_id == teacher.id, TeacherIndicatorWatch.indicator_code == "T-TRAIN"))
    assert watch.past_since == start and watch.value == 0
    advance(app, DAYS - 1)
    run()
    assert train_warnings(teacher) == [] and not inbox(admin, "warning")
    db.session.expire_all()
    assert db.session.get(TeacherIndicatorWatch, watch.id).past_since == start  # since when: kept over runs

    advance(app, 1)
    run()
    [w] = train_warnings(teacher)
    assert (w.status, w.episode, w.department_id, w.stage) == ("notified", 1, people["dept"], "novice")
    ev = w.evidence
    assert ev["value"] == 0 and ev["warning_value"] == 48 and 0 < ev["line"] < 48  # pro-rated: the year is young
    assert ev["past_since"] == start.isoformat() and ev["days_past"] == DAYS and ev["after_days"] == DAYS
    assert "成长档案" in ev["source"] and ev["standard_source"]
    alerts_ = [n for n in inbox(admin, "warning") if n.url == f"/#/teacher-warnings/{w.id}"]
    assert len(alerts_) == 1 and teacher.display_name in alerts_[0].title  # the app names the teacher ...
    body = push.payload(alerts_[0]).decode()  # ... the lock screen does not
    assert teacher.display_name not in body and "T-TRAIN" not in body and "培训" not in body
    assert json.loads(body)["url"] == f"/#/teacher-warnings/{w.id}"
    # The teacher hears nothing about the department warning, and nobody else does either.
    assert not inbox(teacher, "warning") and not inbox(people["other_admin"], "warning")

    before = len(inbox(admin, "warning"))
    again = run()  # the job run twice: nothing new
    assert again["teacher_raised"] == 0 and len(train_warnings(teacher)) == 1 and len(inbox(admin, "warning")) == before


def pending(w: TeacherWarning) -> list:
    """What this warning still has waiting for a phone: digest lines and due pushes."""
    db.session.expire_all()
    mine = select(Notification.id).where(Notification.url == f"/#/teacher-warnings/{w.id}").scalar_subquery()
    return [*db.session.scalars(select(Notification.id).where(Notification.id.in_(mine), Notification.push == "digest",
                                                              Notification.digest_id.is_(None))),
            *db.session.scalars(select(PushDelivery.id).where(PushDelivery.notification_id.in_(mine),
                                                              PushDelivery.state == "due"))]


def test_withdrawn_when_back_and_a_relapse_is_a_new_episode(app, client, people):
    teacher, admin = people["teacher"], people["admin"]
    db.session.add(PushSubscription(user_id=admin.id, endpoint="https://push.example.com/send/withdrawn",
                                    p256dh="k" * 87, auth="a" * 22))
    db.session.commit()
    run()
    advance(app, DAYS)
    run()
    [first] = train_warnings(teacher)
    assert pending(first)  # a yellow one waits for the admin's digest (the alert budget), or a push is due
    item = training(client, teacher, 40)  # the figure is back (it had been left out, say)
    assert run()["teacher_withdrawn"] >= 1
    [first] = train_warnings(teacher)
    assert first.status == "withdrawn" and "回到预警线内" in first.withdrawn_reason
    assert not pending(first)  # no phone lights up for a warning that no longer stands

    forget(client, teacher, item)
    run()
    assert len(train_warnings(teacher)) == 1  # past again, but the N days start over
    advance(app, DAYS)
    run()
    first, second = train_warnings(teacher)
    assert (second.episode, second.previous_id, second.status) == (2, first.id, "notified")

    # The department admin works it to a close through the API.
    head = as_(client, admin)
    listed = client.get("/api/v1/teacher-warnings", headers=head).json
    assert [w["id"] for w in listed if w["indicator_code"] == "T-TRAIN"] == [second.id]
    assert listed[0]["teacher_name"] == teacher.display_name
    url = f"/api/v1/teacher-warnings/{second.id}"
    assert client.post(f"{url}/acknowledge", headers=writing(head)).json["status"] == "acknowledged"
    noted = client.post(f"{url}/interventions", headers=writing(head), json={
        "kind": "action", "text": "约谈，安排暑期培训 / Talked; summer training booked", "follow_up_on": "2026-12-20"})
    assert noted.status_code == 201 and noted.json["status"] == "in_progress"
    assert_problem(client.post(f"{url}/interventions", headers=writing(head), json={"kind": "call", "text": "x y"}), 422)
    done = client.post(f"{url}/resolve", headers=writing(head), json={"text": "已参加培训 / Training done"})
    assert done.json["status"] == "resolved"
    assert [e["kind"] for e in done.json["events"]] == ["raised", "notified", "acknowledged", "action", "resolved"]
    assert_problem(client.post(f"{url}/acknowledge", headers=writing(head)), 409)

    # Resolved, then back within the line, then past for N days again: episode 3.
    item = training(client, teacher, 40)
    run()
    forget(client, teacher, item)
    run()
    advance(app, DAYS)
    run()
    assert [(w.episode, w.status) for w in train_warnings(teacher)] == [(1, "withdrawn"), (2, "resolved"), (3, "notified")]

    # The teacher's copy of their data holds the warnings about their figures and the timeline,
    # not the department admin's note texts (withheld by default, as case notes are).
    copy = client.get("/api/v1/me/data", headers=as_(client, teacher)).json
    train = [w for w in copy["teacher_warnings"] if w["indicator"] == "T-TRAIN"]
    assert [w["status"] for w in train] == ["withdrawn", "resolved", "notified"]
    assert "action" in [e["kind"] for e in train[1]["events"]] and "暑期培训" not in json.dumps(copy, ensure_ascii=False)
    assert "case_notes" in {w["category"] for w in copy["withheld"]}


def test_only_the_teachers_department_admins_see_it_and_every_read_is_audited(app, client, people):
    teacher = people["teacher"]
    run()
    advance(app, DAYS)
    run()
    [w] = train_warnings(teacher)
    url = f"/api/v1/teacher-warnings/{w.id}"
    for who in ("student", "colleague", "other_admin", "teacher"):
        headers = as_(client, people[who])
        assert_problem(client.get(url, headers=headers), 404)
        assert_problem(client.post(f"{url}/acknowledge", headers=writing(headers)), 404)
        assert client.get("/api/v1/teacher-warnings", headers=headers).json == []
    assert_problem(client.get("/api/v1/teacher-warnings?status=lost", headers=as_(client, people["admin"])), 422)

    reads = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "teacher_warning"))
    detail = client.get(url, headers=as_(client, people["admin"]), environ_base={"HTTP_ACCEPT_LANGUAGE": "en"})
    assert detail.status_code == 200
    assert detail.json["evidence"]["label"] == "Training hours" and detail.json["label"] == "Training hours"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "teacher_warning", AuditEvent.object_id == str(w.id))) == reads + 1


def test_the_periodic_warning_job_runs_it_on_a_real_worker(app, client, people):
    """The scheduler's evaluate_current_term (RQ) nudges and warns teachers after the classes."""
    queue.enqueue(alerts.evaluate_current_term)
    run_worker(app)
    db.session.expire_all()
    watch = db.session.scalar(select(TeacherIndicatorWatch).where(
        TeacherIndicatorWatch.teacher_id == people["teacher"].id, TeacherIndicatorWatch.indicator_code == "T-TRAIN"))
    assert watch is not None and watch.past_since is not None
    advance(app, DAYS)
    queue.enqueue(alerts.evaluate_current_term)
    run_worker(app)
    assert [w.status for w in train_warnings(people["teacher"])] == ["notified"]


def test_the_default_wait_is_four_weeks(app):
    assert app.config["TEACHER_WARNING_AFTER_DAYS"] == 28


def test_hours_are_held_to_the_pace_of_the_year(app, client, people):
    """15 training hours by late November are under the yearly warning value of 48 but ahead of
    the pace (48 × the share of the year gone by): no warning, not even after N days."""
    training(client, people["teacher"], 15)
    run()
    advance(app, DAYS)
    run()
    assert train_warnings(people["teacher"]) == []
    standard = SimpleNamespace(warning=48)
    assert teacher_warnings.line("T-TRAIN", standard, 0.25) == 12 and teacher_warnings.line("T-ATTEND", standard, 0.25) == 48
    # Industry practice and papers come in blocks (a month in the summer, a paper when published):
    # no line during the year, so no teacher is reported in December for the practice they do in July.
    assert teacher_warnings.line("T-PRACTICE", standard, 0.25) is None
    assert not db.session.scalars(select(TeacherWarning).where(
        TeacherWarning.indicator_code.in_(("T-PRACTICE", "T-RESEARCH")))).all()


def test_no_portfolio_kept_is_no_data_not_zero_hours(app, client, people):
    """A teacher with no portfolio item this year has no training figure: nothing is recorded in
    Spiral, which is not the same as no training. Nobody is told (the department would be told about
    every such teacher); their own goal shows no data. Once they keep a portfolio, the hours count."""
    teacher, admin = people["teacher"], people["admin"]
    forget(client, teacher, people["honour"])
    plan = make_plan(teacher, "teacher_year", submit=False, start_year=YEAR)
    goal = plans.set_goal(plan, {"part": "B", "title": "培训学时 / Training hours", "point_code": "T-TRAIN",
                                 "target": 90, "standard": 72, "warning": 50})
    plans.submit(plan)
    db.session.commit()
    assert run()["teacher_nudges"] == 0
    advance(app, DAYS)
    run()
    db.session.expire_all()
    portfolio_codes = ("T-TRAIN", "T-PRACTICE", "T-RESEARCH")
    assert db.session.scalar(select(func.count()).select_from(TeacherWarning).where(
        TeacherWarning.teacher_id == teacher.id, TeacherWarning.indicator_code.in_(portfolio_codes))) == 0
    assert not [n for n in inbox(admin, "warning") if teacher.display_name in n.title]
    shown = next(g for g in client.get(f"/api/v1/plans/{plan.id}", headers=as_(client, teacher)).json["goals"]
                 if g["id"] == goal.id)
    assert shown["actual"] is None

    training(client, teacher, 2)  # now they keep one: 2 h is behind the pace; the teacher first, N days later the department
    assert run()["teacher_nudges"] == 1
    advance(app, DAYS)
    run()
    assert [w.status for w in train_warnings(teacher)] == ["notified"]


def test_the_database_keeps_one_episode_and_one_watch_per_key(app, client, people):
    """Two racing passes cannot open the same episode twice, nor keep two "since when" rows."""
    run()
    advance(app, DAYS)
    run()
    [w] = train_warnings(people["teacher"])
    copy = {c.name: getattr(w, c.name) for c in TeacherWarning.__table__.columns if c.name != "id"}
    db.session.add(TeacherWarning(**copy))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(TeacherIndicatorWatch(teacher_id=w.teacher_id, indicator_code="T-TRAIN", year=YEAR))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

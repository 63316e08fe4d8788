"""The organisation over time (issue 16, must-show 4), through the API as a school admin, a
department admin and the people they change see it: majors, a class's head teacher and counsellor,
revoking roles, a student moving class on a date (the card whole, each class's figures for its
weeks), suspend / withdraw / graduate / resume, and the term rollover previewed and applied once."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    AuditEvent,
    ClassGroup,
    ClassMembership,
    Major,
    Plan,
    RoleGrant,
    Rollup,
    StaffProfile,
    StudentProfile,
    StudentWarning,
    Term,
    User,
)
from backend.org import directory
from backend.platform import clock
from backend.reporting import rollups
from tests.helpers import assert_problem, build_college, demo_account, login, make_plan, run_worker, writing

OFFICE = "T10002"  # the demo's school-wide student-affairs office: scores S-P-09 (dorm, weekly)


@pytest.fixture
def college(app, client):
    accounts = build_college(students=120)
    db.session.rollback()
    return accounts


@pytest.fixture
def admin(client, college):
    return login(client, college["school_admin"])


def term() -> Term:
    return directory.current_term(clock.school_today())


def two_classes_of_one_department():
    by_dept = {}
    for cls in db.session.scalars(select(ClassGroup).order_by(ClassGroup.id)):
        by_dept.setdefault(cls.department_id, []).append(cls)
    a, b = next(c for c in by_dept.values() if len(c) >= 2)[:2]
    return a, b


def roster(class_id) -> list[int]:
    return db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == class_id)
                              .order_by(StudentProfile.user_id)).all()


def audit_actions(object_type: str) -> list[str]:
    db.session.rollback()
    return db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == object_type)).all()


# Majors

def test_majors_are_listed_created_and_renamed_and_a_duplicate_names_the_field(client, admin):
    majors = client.get("/api/v1/majors", headers=admin).json
    assert majors and {"id", "name", "department", "classes"} <= set(majors[0])
    dept = majors[0]["department_id"]
    created = client.post("/api/v1/majors", json={"department_id": dept, "name": "工业机器人技术"}, headers=writing(admin))
    assert created.status_code == 201 and created.json["classes"] == 0
    duplicate = client.post("/api/v1/majors", json={"department_id": dept, "name": majors[0]["name"]},
                            headers=writing(admin))
    assert "已有专业" in assert_problem(duplicate, 422)["errors"]["name"][0]
    renamed = client.patch(f"/api/v1/majors/{created.json['id']}", json={"name": "工业机器人应用"}, headers=writing(admin))
    assert renamed.status_code == 200 and renamed.json["name"] == "工业机器人应用"
    clash = client.patch(f"/api/v1/majors/{created.json['id']}", json={"name": majors[0]["name"]}, headers=writing(admin))
    assert "name" in assert_problem(clash, 422)["errors"]
    assert db.session.get(Major, created.json["id"]).name == "工业机器人应用"
    assert audit_actions("major") == ["major.create", "major.rename"]


def test_only_the_school_admin_creates_majors(client, college):
    head = login(client, college["head_teacher"])
    assert_problem(client.get("/api/v1/majors", headers=head), 403)
    dept_admin = login(client, college["dept_admin"])
    assert client.get("/api/v1/majors", headers=dept_admin).status_code == 200
    assert_problem(client.post("/api/v1/majors", json={"department_id": 1, "name": "x"}, headers=writing(dept_admin)), 403)


# A class's head teacher and counsellor

def test_a_new_head_teacher_takes_over_the_class_and_the_old_one_loses_it(client, admin, college):
    old_head = login(client, college["head_teacher"])
    cls = db.session.get(User, db.session.scalar(select(User.id).where(User.username == college["head_teacher"]["username"])))
    class_id = next(g.scope_id for g in cls.grants if g.role == "head_teacher")
    assert client.get(f"/api/v1/classes/{class_id}/students", headers=old_head).status_code == 200
    people = client.get(f"/api/v1/classes/{class_id}/people", headers=admin).json
    new = next(c for c in people["candidates"] if c["id"] not in {p["id"] for p in people["head_teacher"]})
    answer = client.put(f"/api/v1/classes/{class_id}/people/head_teacher", json={"user_id": new["id"]},
                        headers=writing(admin))
    assert answer.status_code == 200 and [p["id"] for p in answer.json["head_teacher"]] == [new["id"]]
    db.session.rollback()
    assert db.session.get(ClassGroup, class_id).head_teacher_id == new["id"]
    # The old holder's next request no longer has the class (their token is still valid).
    assert_problem(client.get(f"/api/v1/classes/{class_id}/students", headers=old_head), 404)
    new_user = db.session.get(User, new["id"])
    assert directory.responders(db.session.get(ClassGroup, class_id), "head_teacher") == [new_user.id]
    assert "class.head_teacher" in audit_actions("class")


def test_the_counsellor_changes_and_warnings_go_to_the_new_one(client, admin, college):
    class_id = db.session.scalar(select(ClassGroup.id).order_by(ClassGroup.id))
    people = client.get(f"/api/v1/classes/{class_id}/people", headers=admin).json
    old = [p["id"] for p in people["counsellor"]]
    new = next(c for c in people["candidates"] if c["id"] not in old)
    answer = client.put(f"/api/v1/classes/{class_id}/people/counsellor", json={"user_id": new["id"]}, headers=writing(admin))
    assert [p["id"] for p in answer.json["counsellor"]] == [new["id"]]
    db.session.rollback()
    assert directory.responders(db.session.get(ClassGroup, class_id), "counsellor") == [new["id"]]


def test_a_class_role_goes_only_to_active_staff(client, admin):
    class_id = db.session.scalar(select(ClassGroup.id).order_by(ClassGroup.id))
    student = roster(class_id)[0]
    body = assert_problem(client.put(f"/api/v1/classes/{class_id}/people/head_teacher", json={"user_id": student},
                                     headers=writing(admin)), 422)
    assert "教职工" in body["errors"]["user_id"][0]


# Revoking roles

def test_a_revoked_role_is_gone_at_the_next_request_and_audited(client, admin, college):
    dept_admin = login(client, college["dept_admin"])
    dept_id = db.session.scalar(select(RoleGrant.scope_id).join(User).where(
        User.username == college["dept_admin"]["username"], RoleGrant.role == "dept_admin"))
    assert client.get(f"/api/v1/departments/{dept_id}", headers=dept_admin).status_code == 200
    found = client.get("/api/v1/grants", query_string={"username": college["dept_admin"]["username"]}, headers=admin).json
    grant = next(g for g in found if g["role"] == "dept_admin")
    answer = client.delete(f"/api/v1/grants/{grant['id']}", headers=writing(admin))
    assert answer.status_code == 200 and answer.json["role"] == "dept_admin"
    assert_problem(client.get(f"/api/v1/departments/{dept_id}", headers=dept_admin), 404)
    assert "grant.revoke" in audit_actions("user")


def test_the_last_school_admin_cannot_be_revoked(client, admin, college):
    grant_id = db.session.scalar(select(RoleGrant.id).where(RoleGrant.role == "school_admin"))
    body = assert_problem(client.delete(f"/api/v1/grants/{grant_id}", headers=writing(admin)), 422)
    assert "最后一位学校管理员" in body["errors"]["role"][0]
    assert db.session.get(RoleGrant, grant_id) is not None


def test_a_department_admin_revokes_within_their_department_only(client, college):
    dept_admin = login(client, college["dept_admin"])
    mine = db.session.scalar(select(RoleGrant.scope_id).join(User).where(
        User.username == college["dept_admin"]["username"], RoleGrant.role == "dept_admin"))
    inside = db.session.scalar(select(RoleGrant.id).join(ClassGroup, ClassGroup.id == RoleGrant.scope_id).where(
        RoleGrant.role == "course_teacher", RoleGrant.scope_type == "class", ClassGroup.department_id == mine))
    outside = db.session.scalar(select(RoleGrant.id).join(ClassGroup, ClassGroup.id == RoleGrant.scope_id).where(
        RoleGrant.role == "course_teacher", RoleGrant.scope_type == "class", ClassGroup.department_id != mine))
    assert client.delete(f"/api/v1/grants/{inside}", headers=writing(dept_admin)).status_code == 200
    assert_problem(client.delete(f"/api/v1/grants/{outside}", headers=writing(dept_admin)), 404)
    db.session.rollback()
    assert db.session.get(RoleGrant, inside) is None and db.session.get(RoleGrant, outside) is not None


# A student moves class on a date

def week_start(n: int) -> date:
    return term().starts_on + timedelta(days=7 * (n - 1))


def post_weeks(client, headers, rows_by_week):
    for week, rows in rows_by_week.items():
        answer = client.post("/api/v1/entries", json={"point": "S-P-09", "period": f"week:{week}", "entries": rows},
                             headers=writing(headers))
        assert answer.status_code == 201, answer.json


def test_a_student_who_moves_in_week_8_counts_for_a_until_week_7_and_for_b_from_week_8(app, client, admin, runner):
    office = login(client, demo_account(OFFICE))
    class_a, class_b = two_classes_of_one_department()
    a_id, b_id, a_name, b_name = class_a.id, class_b.id, class_a.name, class_b.name
    a, b = roster(a_id), roster(b_id)
    mover = a[0]
    post_weeks(client, office, {w: [{"student_id": s, "value": 60 if s == mover else 80} for s in a] for w in range(1, 8)})
    moved = client.post(f"/api/v1/students/{mover}/move", json={"class_id": b_id, "effective_on": str(week_start(8))},
                        headers=writing(admin))
    assert moved.status_code == 200, moved.json
    assert (moved.json["from_class"]["name"], moved.json["to_class"]["name"], moved.json["week"]) == (a_name, b_name, 8)
    post_weeks(client, office, {w: [{"student_id": s, "value": 90 if s == mover else 70} for s in [*b, mover]]
                                for w in range(8, 11)})
    run_worker(app)

    row_a = db.session.scalar(select(Rollup).where(Rollup.unit == "class", Rollup.unit_id == a_id, Rollup.metric == "S-P-09"))
    row_b = db.session.scalar(select(Rollup).where(Rollup.unit == "class", Rollup.unit_id == b_id, Rollup.metric == "S-P-09"))
    assert row_a.count == len(a) and 60.0 in row_a.values and 90.0 not in row_a.values
    assert sorted(row_a.trend) == [str(w) for w in range(1, 8)]
    assert row_b.count == len(b) + 1 and 90.0 in row_b.values and 60.0 not in row_b.values
    assert sorted(row_b.trend, key=int) == ["8", "9", "10"]
    # The student's own card is whole: seven weeks of 60 and three of 90.
    mover_login = db.session.scalar(select(User.username).where(User.id == mover))
    card = client.get(f"/api/v1/students/{mover}/card", headers=login(client, demo_account(mover_login)))
    point = next(p for p in card.json["points"] if p["code"] == "S-P-09")
    assert point["indicator"] == 69.0 and point["periods"] == 10
    # The rolls: A shows the student with A's weeks, B with B's.
    roll_a = client.get(f"/api/v1/classes/{a_id}/roll", headers=admin).json
    roll_b = client.get(f"/api/v1/classes/{b_id}/roll", headers=admin).json
    assert next(r for r in roll_a["rows"] if r["student_id"] == mover)["indicators"]["S-P-09"] == 60.0
    assert next(r for r in roll_b["rows"] if r["student_id"] == mover)["indicators"]["S-P-09"] == 90.0
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 0 and '"differences": 0' in result.output
    db.session.rollback()
    assert db.session.get(StudentProfile, mover).class_id == b_id
    assert [(m.class_id, m.ends_on) for m in db.session.scalars(select(ClassMembership).where(
        ClassMembership.student_id == mover).order_by(ClassMembership.id))] == [(a_id, week_start(8) - timedelta(days=1)),
                                                                               (b_id, None)]
    assert "student.move" in audit_actions("student")


def test_open_warnings_move_with_the_student(client, admin):
    class_a, class_b = two_classes_of_one_department()
    mover = roster(class_a.id)[0]
    from backend.models import WarningRule
    rule = db.session.scalars(select(WarningRule)).first()
    db.session.add(StudentWarning(student_id=mover, class_id=class_a.id, rule_id=rule.id, term_id=term().id,
                                  category=rule.category, sensitive=False, level="yellow", status="notified",
                                  evidence={}, due_at=clock.now()))
    db.session.commit()
    moved = client.post(f"/api/v1/students/{mover}/move", json={"class_id": class_b.id, "effective_on": str(clock.school_today())},
                        headers=writing(admin))
    assert moved.json["warnings_moved"] == 1
    db.session.rollback()
    assert db.session.scalar(select(StudentWarning.class_id).where(StudentWarning.student_id == mover)) == class_b.id


@pytest.mark.parametrize("offset", [-1, "after"])
def test_a_move_outside_the_term_names_effective_on_and_writes_nothing(client, admin, offset):
    class_a, class_b = two_classes_of_one_department()
    mover = roster(class_a.id)[0]
    day = term().starts_on - timedelta(days=1) if offset == -1 else term().ends_on + timedelta(days=1)
    body = assert_problem(client.post(f"/api/v1/students/{mover}/move", json={"class_id": class_b.id, "effective_on": str(day)},
                                      headers=writing(admin)), 422)
    assert "本学期" in body["errors"]["effective_on"][0]
    db.session.rollback()
    assert db.session.get(StudentProfile, mover).class_id == class_a.id
    assert db.session.scalar(select(func.count()).select_from(ClassMembership)) == 0


def test_a_head_teacher_cannot_move_students(client, college):
    head = login(client, college["head_teacher"])
    class_id = db.session.scalar(select(RoleGrant.scope_id).join(User).where(
        User.username == college["head_teacher"]["username"], RoleGrant.role == "head_teacher"))
    student = roster(class_id)[0]
    assert_problem(client.post(f"/api/v1/students/{student}/move", json={"class_id": class_id, "effective_on": "2026-11-23"},
                               headers=writing(head)), 403)


# Suspend, withdraw, graduate, resume

def test_a_suspended_student_gets_no_new_entries_keeps_history_and_resumes(client, admin):
    office = login(client, demo_account(OFFICE))
    class_a, _ = two_classes_of_one_department()
    students = roster(class_a.id)
    student = students[0]
    name = db.session.get(User, student).display_name
    post_weeks(client, office, {3: [{"student_id": s, "value": 80} for s in students]})
    today_week = term().week_of(clock.school_today())
    answer = client.post(f"/api/v1/students/{student}/status", json={"action": "suspend", "effective_on": str(clock.school_today())},
                         headers=writing(admin))
    assert answer.status_code == 200 and answer.json["status"] == "suspended" and answer.json["login_enabled"]
    refused = client.post("/api/v1/entries", json={"point": "S-P-09", "period": f"week:{today_week}",
                                                    "entries": [{"student_id": s, "value": 80} for s in students]},
                          headers=writing(office))
    body = assert_problem(refused, 422)
    assert body["errors"] == {"entries[0].student_id": [f"{name} 已休学"]}  # the zh half, answered in zh
    # An earlier week, before the suspension, can still be recorded; history is kept and visible.
    late = client.post("/api/v1/entries", json={"point": "S-P-09", "period": "week:4",
                                                 "entries": [{"student_id": student, "value": 75}]}, headers=writing(office))
    assert late.status_code == 201
    card = client.get(f"/api/v1/students/{student}/card", headers=admin)
    assert card.status_code == 200
    resumed = client.post(f"/api/v1/students/{student}/status", json={"action": "resume", "effective_on": str(clock.school_today() + timedelta(days=7))},
                          headers=writing(admin))
    assert resumed.json["status"] == "enrolled"
    assert [a for a in audit_actions("student") if a.startswith("student.")] == ["student.suspend", "student.resume"]


def test_a_withdrawn_student_cannot_log_in_and_leaves_class_figures(app, client, admin):
    office = login(client, demo_account(OFFICE))
    class_a, _ = two_classes_of_one_department()
    students = roster(class_a.id)
    student = students[0]
    number = db.session.get(User, student).username
    student_headers = login(client, demo_account(number))
    post_weeks(client, office, {1: [{"student_id": s, "value": 80} for s in students]})
    answer = client.post(f"/api/v1/students/{student}/status", json={"action": "withdraw", "effective_on": str(week_start(1))},
                         headers=writing(admin))
    assert answer.status_code == 200 and not answer.json["login_enabled"]
    # The right password gets the reason (issue 19): the account is disabled, not mistyped.
    refused = assert_problem(client.post("/api/v1/auth/login", json={"username": number, "password": demo_account(number)["password"]}), 403)
    assert refused["type"].endswith("/problems/account-disabled") and "已停用" in refused["title"]
    assert_problem(client.get("/api/v1/me", headers=student_headers), 401)
    run_worker(app)
    row = db.session.scalar(select(Rollup).where(Rollup.unit == "class", Rollup.unit_id == class_a.id, Rollup.metric == "S-P-09"))
    assert row.count == len(students) - 1
    assert rollups.check(term()) == []


def test_a_second_status_change_of_a_withdrawn_student_names_them(client, admin):
    class_a, _ = two_classes_of_one_department()
    student = roster(class_a.id)[0]
    name = db.session.get(User, student).display_name
    client.post(f"/api/v1/students/{student}/status", json={"action": "graduate", "effective_on": str(clock.school_today())},
                headers=writing(admin))
    body = assert_problem(client.post(f"/api/v1/students/{student}/status", json={"action": "suspend", "effective_on": str(clock.school_today())},
                                      headers=writing(admin)), 422)
    assert body["errors"]["action"] == [f"{name} 已毕业"]


# Term rollover

def test_rollover_is_previewed_then_applied_exactly_once(client, admin, college):
    spring = db.session.scalar(select(Term).where(Term.starts_on > term().ends_on).order_by(Term.starts_on))
    spring_id = spring.id
    created = client.post("/api/v1/terms", json={"academic_year": "2027-2028", "semester": 1, "starts_on": "2027-09-01",
                                                 "ends_on": "2028-01-16"}, headers=admin)
    assert created.status_code == 201
    autumn = created.json["id"]
    student = db.session.get(User, roster(db.session.scalar(select(ClassGroup.id).where(ClassGroup.entry_year == 2025)))[0])
    make_plan(student, term_id=spring_id, submit=False)
    preview = client.get(f"/api/v1/terms/{spring_id}/rollover", query_string={"to_term_id": autumn}, headers=admin)
    assert preview.status_code == 200, preview.json
    changes = {c["change"] for c in preview.json["classes"]}
    assert changes == {"promote", "graduate"}
    graduating = [c for c in preview.json["classes"] if c["change"] == "graduate"]
    assert all(db.session.get(ClassGroup, c["class_id"]).entry_year == 2024 for c in graduating)
    assert [p["student_id"] for p in preview.json["plans"]] == [student.id]
    assert db.session.scalar(select(func.count()).select_from(Plan).where(Plan.term_id == autumn)) == 0  # nothing written

    applied = client.post(f"/api/v1/terms/{spring_id}/rollover", json={"to_term_id": autumn}, headers=writing(admin))
    assert applied.status_code == 200 and applied.json["applied"]
    assert {k: applied.json[k] for k in ("classes", "plans", "graduates")} == \
        {k: preview.json[k] for k in ("classes", "plans", "graduates")}
    db.session.rollback()
    graduate_ids = [s for c in graduating for s in roster(c["class_id"])]
    assert len(graduate_ids) == applied.json["graduates"] > 0
    assert {db.session.get(StudentProfile, s).status for s in graduate_ids} == {"graduated"}
    assert not db.session.get(User, graduate_ids[0]).is_active
    carried = db.session.scalar(select(Plan).where(Plan.owner_id == student.id, Plan.term_id == autumn))
    assert carried.status == "draft" and len(carried.goals) == 3
    again = client.post(f"/api/v1/terms/{spring_id}/rollover", json={"to_term_id": autumn}, headers=writing(admin))
    assert "已完成交替" in assert_problem(again, 409)["title"]
    assert "term.rollover" in audit_actions("term")


def test_a_rollover_to_an_earlier_term_names_to_term_id(client, admin):
    earlier = db.session.scalar(select(Term.id).where(Term.ends_on < term().starts_on))
    body = assert_problem(client.get(f"/api/v1/terms/{term().id}/rollover", query_string={"to_term_id": earlier},
                                     headers=admin), 422)
    assert "to_term_id" in body["errors"]


def test_staff_profile_is_what_makes_a_candidate(client, admin):
    class_id = db.session.scalar(select(ClassGroup.id).order_by(ClassGroup.id))
    people = client.get(f"/api/v1/classes/{class_id}/people", headers=admin).json
    assert all(db.session.get(StaffProfile, c["id"]) for c in people["candidates"])



def test_a_suspended_student_cannot_check_in_and_the_answer_names_them(client, admin):
    class_a, _ = two_classes_of_one_department()
    student = roster(class_a.id)[0]
    user = db.session.get(User, student)
    name, number = user.display_name, user.username
    student_headers = login(client, demo_account(number))
    client.post(f"/api/v1/students/{student}/status", json={"action": "suspend", "effective_on": str(clock.school_today())},
                headers=writing(admin))
    refused = client.post("/api/v1/checkin", json={"code": "123456"}, headers=writing(student_headers))
    assert assert_problem(refused, 403)["title"] == f"{name} 已休学"
    assert client.get("/api/v1/me", headers=student_headers).status_code == 200  # a suspended student keeps their login


def test_a_withdrawn_student_gets_no_new_warning(client, admin, college):
    from backend.alerts import warnings
    head = login(client, college["head_teacher"])
    class_id = db.session.scalar(select(RoleGrant.scope_id).join(User).where(
        User.username == college["head_teacher"]["username"], RoleGrant.role == "head_teacher"))
    student = roster(class_id)[0]
    failing = client.post("/api/v1/entries", json={"point": "S-A-09", "period": "term",
                                                    "entries": [{"student_id": student, "value": 35}]}, headers=writing(head))
    assert failing.status_code == 201
    client.post(f"/api/v1/students/{student}/status", json={"action": "withdraw", "effective_on": str(clock.school_today())},
                headers=writing(admin))
    db.session.rollback()
    warnings.evaluate_class(term(), db.session.get(ClassGroup, class_id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StudentWarning).where(StudentWarning.student_id == student)) == 0

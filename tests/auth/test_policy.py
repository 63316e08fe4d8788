"""The authorization matrix: roles × endpoints × own/foreign objects."""
import pytest
from sqlalchemy import select

from backend.alerts import warnings
from backend.extensions import db
from backend.models import (
    Attachment,
    ClassGroup,
    PortfolioItem,
    StudentProfile,
    StudentWarning,
    User,
)
from backend.org import directory
from backend.platform import clock
from backend.valuecard import ledger
from tests.helpers import assert_problem, build_college, login, make_plan, writing

ROLES = ["student", "head_teacher", "course_teacher", "counsellor", "dept_admin", "school_admin"]


@pytest.fixture
def world(app):
    accounts = build_college(students=200)
    student = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    own_class = db.session.get(ClassGroup, student.student.class_id)
    foreign_class = db.session.scalar(select(ClassGroup).where(ClassGroup.department_id != own_class.department_id))
    classmate = db.session.scalar(select(StudentProfile).where(
        StudentProfile.class_id == own_class.id, StudentProfile.user_id != student.id))
    foreign_student = db.session.scalar(select(StudentProfile).where(StudentProfile.class_id == foreign_class.id))
    ids = {"own_class": own_class.id, "foreign_class": foreign_class.id, "own_student": student.id,
           "classmate": classmate.user_id, "foreign_student": foreign_student.user_id,
           "own_dept": own_class.department_id, "foreign_dept": foreign_class.department_id,
           "school": own_class.major.department.school_id,
           "counsellor": db.session.scalar(select(User.id).where(User.username == accounts["counsellor"]["username"]))}
    ids.update(_warnings(student.id, classmate.user_id, foreign_student.user_id, own_class, foreign_class))
    ids.update(_development(student, classmate, foreign_student, own_class, foreign_class))
    return accounts, ids


def _development(student, classmate, foreign_student, own_class, foreign_class) -> dict:
    """Submitted plans of the student, a classmate and a foreign student; the student's head
    teacher's annual plan and portfolio evidence; a foreign teacher's plan."""
    teacher = db.session.get(User, own_class.head_teacher_id)
    item = PortfolioItem(owner_id=teacher.id, kind="training", title="企业实践培训", occurred_on=clock.school_today(), hours=8)
    item.attachments.append(Attachment(filename="证书.pdf", content_type="application/pdf", size=5, sha256="0" * 64,
                                       data=b"%PDF-"))
    db.session.add(item)
    db.session.commit()
    return {"own_plan": make_plan(student).id, "classmate_plan": make_plan(classmate.user).id,
            "foreign_plan": make_plan(foreign_student.user).id, "teacher": teacher.id,
            "teacher_plan": make_plan(teacher, "teacher_year").id, "attachment": item.attachments[0].id,
            "foreign_teacher_plan": make_plan(db.session.get(User, foreign_class.head_teacher_id), "teacher_year").id}


def _warnings(student_id, classmate_id, foreign_id, own_class, foreign_class) -> dict:
    """A failing grade for the student and a foreign student, violations for the classmate."""
    term = directory.current_term(clock.school_today())
    for cls, sid in ((own_class, student_id), (foreign_class, foreign_id)):
        ledger.record_batch(db.session.get(User, cls.head_teacher_id), term, {
            "point": "S-A-09", "period": "term", "entries": [{"student_id": sid, "value": 35}]})
    office = db.session.scalar(select(User).where(User.username == "T10002"))
    ledger.record_batch(office, term, {"point": "S-P-13", "period": "term", "entries": [{"student_id": classmate_id, "value": 2}]})
    db.session.commit()
    for cls in (own_class, foreign_class):
        warnings.evaluate_class(term, cls)
    db.session.commit()
    found = {w.student_id: w.id for w in db.session.scalars(select(StudentWarning))}
    return {"own_warning": found[student_id], "sensitive_warning": found[classmate_id],
            "foreign_warning": found[foreign_id]}


# (method, path template, body, roles expected to get 2xx)
STAFF_OF_CLASS = {"head_teacher", "course_teacher", "counsellor", "dept_admin", "school_admin"}
REPORT_READERS = STAFF_OF_CLASS - {"course_teacher"}
WARNING_CHAIN = {"head_teacher", "counsellor", "dept_admin"}
MENTORS = {"head_teacher", "counsellor"}  # a student's plans; the department admin gets the class summary only
ENDPOINTS = [
    ("GET", "/api/v1/classes/{own_class}", None, STAFF_OF_CLASS | {"student"}),
    ("GET", "/api/v1/classes/{foreign_class}", None, {"school_admin"}),
    ("GET", "/api/v1/classes/{own_class}/students", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/classes/{foreign_class}/students", None, {"school_admin"}),
    ("GET", "/api/v1/students/{own_student}", None, STAFF_OF_CLASS | {"student"}),
    ("GET", "/api/v1/students/{classmate}", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/students/{foreign_student}", None, {"school_admin"}),
    ("GET", "/api/v1/departments/{own_dept}", None, {"dept_admin", "school_admin"}),
    ("GET", "/api/v1/departments/{foreign_dept}", None, {"school_admin"}),
    ("GET", "/api/v1/catalogue", None, set(ROLES)),
    ("PATCH", "/api/v1/catalogue/S-A-05", {"standard_value": 85}, {"school_admin"}),
    ("POST", "/api/v1/terms", {"academic_year": "2030-2031", "semester": 1,
                               "starts_on": "2030-09-01", "ends_on": "2031-01-15"}, {"school_admin"}),
    ("GET", "/api/v1/roster/template", None, {"school_admin"}),
    ("POST", "/api/v1/roster/import", None, {"school_admin"}),
    ("GET", "/api/v1/students/{own_student}/card", None, STAFF_OF_CLASS | {"student"}),
    ("GET", "/api/v1/students/{classmate}/card", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/students/{foreign_student}/card", None, {"school_admin"}),
    ("GET", "/api/v1/students/{classmate}/entries", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/students/{foreign_student}/entries", None, {"school_admin"}),
    ("GET", "/api/v1/classes/{own_class}/card", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/classes/{foreign_class}/card", None, {"school_admin"}),
    ("GET", "/api/v1/classes/{own_class}/sessions", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/classes/{foreign_class}/sessions", None, {"school_admin"}),
    ("GET", "/api/v1/classes/{own_class}/scoring-sheet?point=S-A-09", None, STAFF_OF_CLASS),
    ("GET", "/api/v1/classes/{foreign_class}/scoring-sheet?point=S-A-09", None, {"school_admin"}),
    ("POST", "/api/v1/sessions", {"class_id": "{own_class}"}, {"head_teacher", "course_teacher"}),
    ("POST", "/api/v1/sessions", {"class_id": "{foreign_class}"}, set()),
    ("POST", "/api/v1/checkin", {"code": "000000"}, {"student"}),
    ("POST", "/api/v1/leave-requests", {"starts_at": "2026-11-23T08:00:00+08:00", "ends_at": "2026-11-23T12:00:00+08:00",
                                        "reason": "病假"}, {"student"}),
    # Lists answer everyone, narrowed to what each may act on.
    ("GET", "/api/v1/leave-requests", None, set(ROLES)),
    ("GET", "/api/v1/disputes", None, set(ROLES)),
    # Reports: the staff who answer for the unit; not course teachers, not students.
    ("GET", "/api/v1/reports/class/{own_class}", None, REPORT_READERS),
    ("GET", "/api/v1/reports/class/{foreign_class}", None, {"school_admin"}),
    ("GET", "/api/v1/reports/class/{own_class}/diagnosis?format=xlsx", None, REPORT_READERS),
    ("GET", "/api/v1/reports/department/{own_dept}", None, {"dept_admin", "school_admin"}),
    ("GET", "/api/v1/reports/department/{foreign_dept}", None, {"school_admin"}),
    ("GET", "/api/v1/reports/department/{own_dept}/export?format=csv", None, {"dept_admin", "school_admin"}),
    ("GET", "/api/v1/reports/school/{school}", None, {"school_admin"}),
    # Warnings: the roles of the rule's chain over the class; the student their own non-sensitive ones.
    ("GET", "/api/v1/warnings/{own_warning}", None, WARNING_CHAIN | {"student"}),
    ("GET", "/api/v1/warnings/{sensitive_warning}", None, WARNING_CHAIN),
    ("GET", "/api/v1/warnings/{foreign_warning}", None, set()),
    ("POST", "/api/v1/warnings/{own_warning}/acknowledge", None, WARNING_CHAIN),
    ("POST", "/api/v1/warnings/{own_warning}/interventions", {"text": "谈话"}, WARNING_CHAIN),
    ("POST", "/api/v1/warnings/{foreign_warning}/resolve", {"text": "已解决"}, set()),
    ("GET", "/api/v1/warnings", None, set(ROLES)),
    ("GET", "/api/v1/me/warnings", None, set(ROLES)),
    ("GET", "/api/v1/warning-rules", None, set(ROLES)),
    ("PATCH", "/api/v1/warning-rules/TH-ACADEMIC", {"ack_hours": 48}, {"school_admin"}),
    ("GET", "/api/v1/special-groups", None, set(ROLES)),
    ("POST", "/api/v1/special-groups", {"student_id": "{own_student}", "group": "psychological", "reason": "主动求助",
                                        "responsible_id": "{counsellor}"}, {"counsellor"}),
    ("GET", "/api/v1/audit", None, {"school_admin"}),
    ("GET", "/api/v1/notifications", None, set(ROLES)),
    ("GET", "/api/v1/me/notification-settings", None, set(ROLES)),
    # Plans and self-diagnosis: the student, their head teacher and counsellor; a teacher's, the
    # teacher and their department admin; reviews by the head teacher and the department admin.
    ("GET", "/api/v1/me/plans", None, set(ROLES)),
    ("GET", "/api/v1/plans/{own_plan}", None, MENTORS | {"student"}),
    ("GET", "/api/v1/plans/{classmate_plan}", None, MENTORS),
    ("GET", "/api/v1/plans/{foreign_plan}", None, set()),
    ("PATCH", "/api/v1/plans/{own_plan}", {"private_note": "只给自己看"}, {"student"}),
    ("POST", "/api/v1/plans/{classmate_plan}/review", {"decision": "return", "comment": "请细化目标"}, {"head_teacher"}),
    ("POST", "/api/v1/plans/{foreign_plan}/review", {"decision": "approve"}, set()),
    ("GET", "/api/v1/plans/{own_plan}/diagnosis", None, MENTORS | {"student"}),
    ("PUT", "/api/v1/plans/{own_plan}/diagnosis", {"summary": "本学期总结"}, {"student"}),
    ("GET", "/api/v1/plans/{foreign_plan}/diagnosis", None, set()),
    ("GET", "/api/v1/classes/{own_class}/plans", None, MENTORS | {"dept_admin", "school_admin"}),
    ("GET", "/api/v1/classes/{foreign_class}/plans", None, {"school_admin"}),
    ("GET", "/api/v1/students/{own_student}/self-assessment/result", None, MENTORS | {"student"}),
    ("GET", "/api/v1/students/{classmate}/self-assessment/result", None, MENTORS),
    ("PUT", "/api/v1/students/{classmate}/self-assessment", {"answers": {"S2": 3}}, {"student", "head_teacher"}),
    ("PUT", "/api/v1/students/{foreign_student}/self-assessment", {"answers": {"S2": 3}}, set()),
    ("GET", "/api/v1/students/{own_student}/development-report", None, MENTORS | {"student"}),
    ("GET", "/api/v1/students/{classmate}/development-report", None, MENTORS),
    ("GET", "/api/v1/plans/{teacher_plan}", None, {"head_teacher", "dept_admin"}),
    ("POST", "/api/v1/plans/{teacher_plan}/review", {"decision": "return", "comment": "补充培训计划"}, {"dept_admin"}),
    ("GET", "/api/v1/plans/{foreign_teacher_plan}", None, set()),
    ("GET", "/api/v1/teachers/{teacher}/portfolio", None, {"head_teacher", "dept_admin"}),
    ("GET", "/api/v1/attachments/{attachment}", None, {"head_teacher", "dept_admin"}),
    ("GET", "/api/v1/teachers/{teacher}/yearly-report", None, {"head_teacher", "dept_admin"}),
    ("GET", "/api/v1/departments/{own_dept}/teachers", None, {"dept_admin", "school_admin"}),
    ("GET", "/api/v1/departments/{foreign_dept}/teachers", None, {"school_admin"}),
]
# Allowed to try, but the probe's body is deliberately incomplete (no file, a wrong code).
PROBES_422 = {"/api/v1/roster/import", "/api/v1/checkin"}


@pytest.mark.parametrize("role", ROLES)
def test_matrix_has_no_unexpected_success(client, world, role):
    accounts, ids = world
    headers = login(client, accounts[role])
    unexpected = []
    for method, template, body, allowed in ENDPOINTS:
        path = template.format(**ids)
        body = {k: int(v.format(**ids)) if k.endswith("_id") else v for k, v in body.items()} if body else body
        response = client.open(path, method=method, json=body, headers=writing(headers))
        ok = 200 <= response.status_code < 300
        if role in allowed:
            expected = {422} if path in PROBES_422 else set(range(200, 300))
            if response.status_code not in expected:
                unexpected.append((method, path, response.status_code))
        elif ok:
            unexpected.append((method, path, response.status_code))
        elif "foreign" in template:
            # Objects outside the user's scope do not reveal that they exist.
            if response.status_code != 404:
                unexpected.append((method, path, response.status_code))
        elif response.status_code not in (403, 404):
            unexpected.append((method, path, response.status_code))
    assert unexpected == []


def test_lists_are_narrowed_to_scope(client, world):
    accounts, ids = world
    for role, expected in (("head_teacher", 1), ("student", 1), ("school_admin", 5)):
        classes = client.get("/api/v1/classes", headers=login(client, accounts[role])).json
        assert len(classes) == expected, role
    dept_admin_classes = client.get("/api/v1/classes", headers=login(client, accounts["dept_admin"])).json
    assert {c["department_id"] for c in dept_admin_classes} == {ids["own_dept"]}
    assert client.get("/api/v1/departments", headers=login(client, accounts["student"])).json == []


@pytest.mark.parametrize("field,value", [("role", "school_admin"), ("class_id", 99), ("points", 100),
                                         ("username", "hijack"), ("must_change_password", False)])
def test_mass_assignment_is_refused_and_changes_nothing(client, world, field, value):
    accounts, _ = world
    headers = login(client, accounts["student"])
    before = client.get("/api/v1/me", headers=headers).json
    body = assert_problem(client.patch("/api/v1/me", headers=headers, json={"display_name": "新名字", field: value}), 422)
    assert field in body["errors"]
    assert client.get("/api/v1/me", headers=headers).json == before


def test_catalogue_patch_refuses_identity_fields(client, world):
    accounts, _ = world
    headers = login(client, accounts["school_admin"])
    body = assert_problem(client.patch("/api/v1/catalogue/S-A-05", headers=headers,
                                       json={"code": "X", "domain": "career"}), 422)
    assert set(body["errors"]) == {"code", "domain"}


def test_unauthenticated_requests_get_401_problem(client, world):
    for path in ("/api/v1/me", "/api/v1/classes", "/api/v1/catalogue"):
        assert_problem(client.get(path), 401)

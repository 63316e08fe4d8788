"""Onboarding: after an import the importer gets the new accounts' initial passwords once, as slips
(PDF) and an XLSX, for a short time; a school admin or a student's head teacher resets a password."""
import io
import logging

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from backend.auth.roles import Role, Scope
from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, RoleGrant, School, StudentProfile, User
from backend.org import onboarding
from backend.platform import queue
from tests.helpers import assert_problem, build_college, login, upload_roster, writing
from tests.org.test_roster import xlsx

A = [["汽车工程系", "新能源汽车技术", "新能源2601班", 2026, f"20268801{i:02d}", f"甲{i}", "男"] for i in range(1, 13)]
B = [["汽车工程系", "新能源汽车技术", "新能源2602班", 2026, f"20268802{i:02d}", f"乙{i}", "女"] for i in range(1, 4)]
STAFF = [["T88001", "钱老师", "汽车工程系", "班主任", "新能源2602班"]]


@pytest.fixture
def college(app, client):
    accounts = build_college(students=60)
    return {role: login(client, account) for role, account in accounts.items()}, accounts


def audited(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def slips(client, headers, slips_id, fmt):
    return client.get(f"/api/v1/roster/slips/{slips_id}?format={fmt}", headers=headers)


def test_import_answers_per_class_and_the_importer_gets_slips_once(client, college, caplog):
    caplog.set_level(logging.DEBUG)
    headers, accounts = college
    admin = headers["school_admin"]
    result = upload_roster(client, admin, xlsx(A + B, STAFF))
    assert result.status_code == 200, result.json
    body = result.json
    assert body["classes"] == [{"class_name": "新能源2601班", "created": 12, "updated": 0, "unchanged": 0},
                               {"class_name": "新能源2602班", "created": 3, "updated": 0, "unchanged": 0}]
    passwords = {c["username"]: c["initial_password"] for c in body["credentials"]}
    assert len(passwords) == 16 and body["slips_id"]

    # The PDF: one class per run of pages, ten slips a page: 12 → 2 pages, 3 → 1, the teacher → 1.
    pdf = slips(client, admin, body["slips_id"], "pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.data)).pages
    assert len(pages) == 4
    first = pages[0].extract_text()
    assert "新能源2601班" in first and "甲1" in first and passwords["2026880101"] in first
    assert "首次登录后须修改密码" in first and "乙1" not in first
    assert "乙1" in pages[2].extract_text() and "钱老师" in pages[3].extract_text()

    # The XLSX: a header, then one row per account, class by class.
    sheet = load_workbook(io.BytesIO(slips(client, admin, body["slips_id"], "xlsx").data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 16 and [r[0] for r in rows[:12]] == ["新能源2601班"] * 12 and rows[12][0] == "新能源2602班"
    assert {r[2]: r[3] for r in rows} == passwords

    # Downloads are audited; another school admin, or anyone else, gets 404; after expiry it is gone.
    assert [e.detail.count('"format"') for e in audited("slips.download")] == [1, 1]
    assert queue.redis_connection().ttl(f"spiral:slips:{body['slips_id']}") <= onboarding.SLIPS_TTL
    other = db.session.scalar(select(User).where(User.username == accounts["dept_admin"]["username"]))
    other.grants.append(RoleGrant(role=Role.SCHOOL_ADMIN, scope_type=Scope.SCHOOL,
                                  scope_id=db.session.scalar(select(School.id))))
    db.session.commit()
    second_admin = login(client, accounts["dept_admin"])
    assert_problem(slips(client, second_admin, body["slips_id"], "pdf"), 404)
    assert_problem(slips(client, headers["head_teacher"], body["slips_id"], "xlsx"), 404)
    queue.redis_connection().delete(f"spiral:slips:{body['slips_id']}")
    assert "过期" in assert_problem(slips(client, admin, body["slips_id"], "pdf"), 404)["title"]
    assert len(audited("slips.download")) == 2  # refused fetches are not reads

    # A re-import creates nobody: no slips.
    again = upload_roster(client, admin, xlsx(A + B, STAFF)).json
    assert again["slips_id"] is None and again["classes"][0]["unchanged"] == 12
    for password in passwords.values():
        assert password not in caplog.text


def test_a_bad_row_is_named_by_person_and_column(client, college):
    headers, _ = college
    bad = [row[:] for row in A[:3]]
    bad[1][3] = "二〇二六"
    errors = assert_problem(upload_roster(client, headers["school_admin"], xlsx(bad)), 422)["errors"]
    assert [(e["row"], e["name"], e["column"]) for e in errors] == [(3, "甲2", "入学年份")]


def test_reset_by_head_teacher_of_the_class_or_school_admin(client, college, caplog):
    caplog.set_level(logging.DEBUG)
    headers, accounts = college
    head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
    own_class = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head.id))
    own = db.session.scalar(select(StudentProfile).where(StudentProfile.class_id == own_class.id)
                            .order_by(StudentProfile.user_id.desc()))
    other = db.session.scalar(select(StudentProfile).where(StudentProfile.class_id != own_class.id))
    student_id, username = own.user_id, own.user.username
    old_hash = own.user.password_hash

    assert_problem(client.post(f"/api/v1/students/{other.user_id}/password-reset",
                               headers=writing(headers["head_teacher"])), 404)  # not their class
    assert_problem(client.post(f"/api/v1/students/{student_id}/password-reset",
                               headers=writing(headers["course_teacher"])), 403)
    assert_problem(client.post(f"/api/v1/students/{student_id}/password-reset",
                               headers=writing(headers["student"])), 404)
    key = writing(headers["head_teacher"])
    reset = client.post(f"/api/v1/students/{student_id}/password-reset", headers=key)
    assert reset.status_code == 200 and set(reset.json) == {"student_id", "slips_id"}  # no password in the answer
    replay = client.post(f"/api/v1/students/{student_id}/password-reset", headers=key)
    assert replay.json == reset.json  # the same key resets once

    shown = slips(client, headers["head_teacher"], reset.json["slips_id"], "json").json
    assert shown["kind"] == "reset" and len(shown["slips"]) == 1
    slip = shown["slips"][0]
    assert slip["username"] == username and slip["class_name"] == own_class.name
    one = PdfReader(io.BytesIO(slips(client, headers["head_teacher"], reset.json["slips_id"], "pdf").data))
    assert len(one.pages) == 1 and slip["initial_password"] in one.pages[0].extract_text()

    db.session.rollback()
    user = db.session.get(User, student_id)
    assert user.password_hash != old_hash and user.must_change_password
    session = login(client, {"username": username, "password": slip["initial_password"]})
    assert_problem(client.get("/api/v1/classes", headers=session), 403)  # must change it first
    events = audited("account.password_reset")
    assert [(e.object_type, e.object_id, e.actor_id) for e in events] == [("student", str(student_id), head.id)]

    by_admin = client.post(f"/api/v1/students/{other.user_id}/password-reset", headers=writing(headers["school_admin"]))
    assert by_admin.status_code == 200
    admin_slip = slips(client, headers["school_admin"], by_admin.json["slips_id"], "json").json["slips"][0]
    assert_problem(slips(client, headers["head_teacher"], by_admin.json["slips_id"], "json"), 404)
    for password in (slip["initial_password"], admin_slip["initial_password"]):
        assert password not in caplog.text

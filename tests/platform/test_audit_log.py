"""The audit log for the school admin: filtered, newest first, paged, CSV; reading it is audited;
nothing can change or delete a row through the API."""
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, LeaveRequest, StudentProfile, User
from backend.platform import clock
from backend.valuecard import leave
from tests.helpers import assert_problem, build_college, login, writing


@pytest.fixture
def log(app, client):
    """Events by two people on three days, two of them about one student (one through a leave request)."""
    accounts = build_college(students=50)
    users = {role: db.session.scalar(select(User).where(User.username == a["username"])) for role, a in accounts.items()}
    student, head, admin = users["student"], users["head_teacher"], users["school_admin"]
    found = leave.apply(student, clock.now() + timedelta(days=1), clock.now() + timedelta(days=1, hours=2), "病假")
    now = clock.now()
    db.session.add_all([
        AuditEvent(at=now - timedelta(days=3), actor_id=admin.id, action="catalogue.update", object_type="scoring_rule",
                   object_id="1:S-A-06", detail='{"after": {"weight": 0.1}}'),
        AuditEvent(at=now - timedelta(days=2), actor_id=head.id, action="read.sensitive", object_type="student",
                   object_id=str(student.id), detail="warning"),
        AuditEvent(at=now - timedelta(days=2), actor_id=head.id, action="leave.approved", object_type="leave_request",
                   object_id=str(found["id"])),
        AuditEvent(at=now - timedelta(days=1), actor_id=admin.id, action="warning_rule.update",
                   object_type="warning_rule", object_id="TH-ACADEMIC"),
    ])
    db.session.commit()
    headers = {role: login(client, accounts[role]) for role in ("school_admin", "head_teacher", "dept_admin")}
    return headers, users


def get(client, headers, query=""):
    return client.get(f"/api/v1/audit?{query}", headers=headers)


def actions(body) -> list[str]:
    return [e["action"] for e in body["items"]]


def test_filters_newest_first_and_paged(client, log):
    headers, users = log
    admin = headers["school_admin"]
    everything = get(client, admin, "per_page=200").json
    assert actions(everything)[:4] == ["audit.read", "warning_rule.update", "leave.approved", "read.sensitive"]
    assert [e["id"] for e in everything["items"]] == sorted((e["id"] for e in everything["items"]), reverse=True)

    head = users["head_teacher"]
    by_who = get(client, admin, f"actor={head.username}").json
    assert actions(by_who) == ["leave.approved", "read.sensitive"] and by_who["items"][0]["actor_name"] == head.display_name
    assert actions(get(client, admin, f"actor={head.display_name[:2]}").json) == ["leave.approved", "read.sensitive"]
    assert actions(get(client, admin, "action=catalogue").json) == ["catalogue.update"]
    assert actions(get(client, admin, "action=leave_request").json) == ["leave.approved"]  # an object type
    about = get(client, admin, f"student={users['student'].username}").json
    assert actions(about) == ["leave.approved", "read.sensitive"]
    assert actions(get(client, admin, f"student_id={users['student'].id}").json) == actions(about)
    today = clock.school_today()
    window = get(client, admin, f"date_from={today - timedelta(days=2)}&date_to={today - timedelta(days=2)}").json
    assert actions(window) == ["leave.approved", "read.sensitive"]

    first = get(client, admin, "actor=" + head.username + "&per_page=1").json
    second = get(client, admin, "actor=" + head.username + "&per_page=1&page=2").json
    assert (first["total"], first["page"], actions(first), actions(second)) == (2, 1, ["leave.approved"], ["read.sensitive"])


def test_csv_of_the_filtered_log_and_every_read_audited(client, log):
    headers, users = log
    admin = headers["school_admin"]
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = get(client, admin, f"format=csv&actor={users['head_teacher'].username}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间 at", "操作人 actor", "操作 action"]
    assert [r[2] for r in rows[1:]] == ["leave.approved", "read.sensitive"]
    db.session.rollback()
    reads = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["audit.read", "audit.export"]))))
    assert [r.action for r in reads] == ["audit.export"] and users["head_teacher"].username in reads[0].detail
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
    get(client, admin, "action=catalogue")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 2


def test_only_the_school_admin_reads_it_and_bad_filters_name_the_field(client, log):
    headers, _ = log
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert_problem(get(client, headers["head_teacher"]), 403)
    assert_problem(get(client, headers["dept_admin"], "format=csv"), 403)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before  # refused: no read
    admin = headers["school_admin"]
    assert "date_to" in assert_problem(get(client, admin, "date_from=2026-11-20&date_to=2026-11-01"), 422)["errors"]
    assert "per_page" in assert_problem(get(client, admin, "per_page=5000"), 422)["errors"]


def test_no_row_can_be_changed_or_deleted_through_the_api(client, log):
    headers, _ = log
    admin = writing(headers["school_admin"])
    row = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id))
    kept = (row.id, row.action, row.detail)
    for method in ("delete", "patch", "put", "post"):
        assert getattr(client, method)("/api/v1/audit", headers=admin, json={}).status_code == 405
        assert getattr(client, method)(f"/api/v1/audit/{row.id}", headers=admin, json={"action": "x"}).status_code in (404, 405)
    db.session.rollback()
    again = db.session.get(AuditEvent, kept[0])
    assert (again.id, again.action, again.detail) == kept
    assert db.session.scalar(select(func.count()).select_from(LeaveRequest)) == 1
    assert db.session.get(StudentProfile, db.session.scalar(select(StudentProfile.user_id)))

"""Graduates' accounts end at the rollover (issue 19 must-show 7): the rollover that takes a final-year
class past its last year disables its students' accounts, ends their live sessions, refuses password
and campus sign-in with a clear reason, and writes one audit entry per account."""
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEvent, ClassGroup, StudentProfile, Term, User
from backend.org import directory
from backend.platform import clock
from tests.cas_server import CasServer
from tests.helpers import assert_problem, build_college, csrf_cookie, demo_account, login, writing

CALLBACK = "http://localhost/api/v1/auth/cas/callback"


@pytest.fixture(scope="module")
def cas_server():
    server = CasServer()
    yield server
    server.close()


def rollover(client, admin) -> dict:
    current = directory.current_term(clock.school_today())
    spring = db.session.scalar(select(Term).where(Term.starts_on > current.ends_on).order_by(Term.starts_on))
    autumn = client.post("/api/v1/terms", headers=admin, json={"academic_year": "2027-2028", "semester": 1,
                                                               "starts_on": "2027-09-01", "ends_on": "2028-01-16"})
    assert autumn.status_code == 201, autumn.json
    applied = client.post(f"/api/v1/terms/{spring.id}/rollover", json={"to_term_id": autumn.json["id"]},
                          headers=writing(admin))
    assert applied.status_code == 200 and applied.json["applied"], applied.json
    return {"spring": spring.id, **applied.json}


def test_a_graduate_is_signed_out_and_refused_with_the_reason(app, client, cas_server):
    accounts = build_college(students=60)
    admin = login(client, accounts["school_admin"])
    final_year = db.session.scalar(select(ClassGroup.id).where(ClassGroup.entry_year == 2024).order_by(ClassGroup.id))
    graduate = db.session.scalar(select(User).join(StudentProfile, StudentProfile.user_id == User.id)
                                 .where(StudentProfile.class_id == final_year).order_by(User.id))
    younger = db.session.scalar(select(User).join(StudentProfile, StudentProfile.user_id == User.id)
                                .join(ClassGroup, ClassGroup.id == StudentProfile.class_id)
                                .where(ClassGroup.entry_year > 2024).order_by(User.id))
    number = graduate.username
    # The graduate is signed in on a phone (an access token and the refresh cookie).
    phone = app.test_client()
    headers = login(phone, demo_account(number))
    assert phone.get("/api/v1/me", headers=headers).status_code == 200

    done = rollover(client, admin)

    db.session.rollback()
    graduates = list(db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.status == "graduated")))
    assert graduate.id in graduates and len(graduates) == done["graduates"]
    assert not db.session.get(User, graduate.id).is_active and db.session.get(User, younger.id).is_active
    # Live sessions ended: the access token and the refresh cookie are refused.
    assert_problem(phone.get("/api/v1/me", headers=headers), 401)
    assert_problem(phone.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_cookie(phone)}), 401)
    # The right password: refused with the reason. A wrong one: the usual 401, nothing disclosed.
    refused = assert_problem(client.post("/api/v1/auth/login", json=demo_account(number)), 403)
    assert refused["type"].endswith("/problems/account-disabled") and "已停用" in refused["title"]
    assert_problem(client.post("/api/v1/auth/login", json={"username": number, "password": "not-it-at-all"}), 401)
    assert login(client, demo_account(younger.username))  # the other years log in as before
    # Campus sign-in: the CAS server knows them, Spiral refuses, and the PWA's error screen says why.
    app.config.update(CAS_ENABLED=True, CAS_SERVER_URL=cas_server.url, CAS_VERSION="3.0",
                      CAS_SERVICE_URL=CALLBACK, CAS_USER_ATTRIBUTE="")
    cas_server.attributes, cas_server.next_user = {}, number
    to_cas = client.get("/api/v1/auth/cas/login").headers["Location"]
    back = urlsplit(requests.get(to_cas, allow_redirects=False, timeout=5).headers["Location"])
    landing = urlsplit(client.get(f"{back.path}?{back.query}").headers["Location"]).fragment
    path, _, query = landing.partition("?")
    assert (path, parse_qs(query)["reason"]) == ("/cas-error", ["inactive"])
    # One audit entry per account, found by the audit log's search for the student.
    db.session.rollback()
    disabled = {e.object_id: json.loads(e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "student.account_disabled"))}
    assert set(disabled) == {str(g) for g in graduates}
    assert disabled[str(graduate.id)] == {"reason": "graduated", "rollover_from_term": done["spring"],
                                          "sessions_revoked": True}
    found = client.get("/api/v1/audit", query_string={"student": number}, headers=admin).json["items"]
    assert "student.account_disabled" in {e["action"] for e in found}

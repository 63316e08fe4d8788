"""Campus sign-in (统一身份认证, CAS) against a CAS server on loopback (tests/cas_server.py): the
browser's round trip is played with the test client on Spiral's side and plain HTTP on the CAS
server's side, redirects followed by hand so each hop can be checked."""
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, AuthSession, LoginFailure, User
from tests.cas_server import CasServer
from tests.helpers import assert_problem, build_college, csrf_cookie, login, upload_roster
from tests.servers import free_port

CALLBACK = "http://localhost/api/v1/auth/cas/callback"


@pytest.fixture(scope="module")
def cas_server():
    server = CasServer()
    yield server
    server.close()


@pytest.fixture
def accounts(app, cas_server):
    app.config.update(CAS_ENABLED=True, CAS_SERVER_URL=cas_server.url, CAS_VERSION="3.0",
                      CAS_SERVICE_URL=CALLBACK, CAS_USER_ATTRIBUTE="")
    cas_server.attributes = {}
    return build_college(students=30)


def _go_to_cas(client) -> str:
    """Spiral's /auth/cas/login: the CAS server's /login URL it redirects to (and the state cookie)."""
    response = client.get("/api/v1/auth/cas/login")
    assert response.status_code == 302
    return response.headers["Location"]


def _cas_login(cas_url: str) -> str:
    """The CAS server signs the user in and sends the browser back: the service URL with a ticket."""
    response = requests.get(cas_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return response.headers["Location"]


def _back(client, url: str):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def _landing(response) -> tuple[str, dict]:
    """Where the callback sends the browser: the PWA route and its query."""
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    route = urlsplit(response.headers["Location"]).fragment
    path, _, query = route.partition("?")
    return path, {k: v[0] for k, v in parse_qs(query).items()}


def _sign_in(client, cas_server, username: str):
    cas_server.next_user = username
    return _back(client, _cas_login(_go_to_cas(client)))


def _session_user(client) -> dict:
    """What the PWA does on #/cas-done: the refresh cookie gives an access token, /me the user."""
    refreshed = client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_cookie(client)})
    assert refreshed.status_code == 200, refreshed.json
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json['access_token']}"}).json


def _password(client, account: dict, password: str | None = None):
    return client.post("/api/v1/auth/login", json={"username": account["username"],
                                                    "password": password or account["password"]})


def _sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(AuthSession))


def _refusals() -> list[dict]:
    return [json.loads(e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.cas_refused").order_by(AuditEvent.id))]


def test_login_screen_settings_say_when_cas_is_on(client, accounts, cas_server):
    body = client.get("/api/v1/auth/cas").json
    assert body["enabled"] is True and body["login_url"] == "/api/v1/auth/cas/login"
    assert body["logout_url"] == f"{cas_server.url}/logout?service=http%3A%2F%2F127.0.0.1%3A5000%2F"
    client.application.config["CAS_ENABLED"] = False
    assert client.get("/api/v1/auth/cas").json == {"enabled": False, "login_url": None, "logout_url": None}


def test_a_student_signs_in_through_cas_3(client, accounts, cas_server):
    student = accounts["student"]
    user = db.session.scalar(select(User).where(User.username == student["username"]))
    user.must_change_password = True  # an imported account's initial password is not what CAS uses
    db.session.commit()
    cas_url = _go_to_cas(client)
    assert cas_url.startswith(f"{cas_server.url}/login?service=")
    service = parse_qs(urlsplit(cas_url).query)["service"][0]
    assert service.startswith(CALLBACK + "?state=")
    cas_server.next_user = student["username"].lower()  # any case: numbers are one account in any case
    route, _ = _landing(_back(client, _cas_login(cas_url)))
    assert route == "/cas-done"
    assert cas_server.validations[-1]["path"] == "/cas/p3/serviceValidate"
    assert cas_server.validations[-1]["service"] == service and cas_server.validations[-1]["code"] == "OK"
    me = _session_user(client)
    assert me["username"] == student["username"] and me["must_change_password"] is False
    assert db.session.scalar(select(AuthSession.method).where(AuthSession.user_id == user.id)) == "cas"
    assert client.get_cookie("spiral_cas_state", path="/api/v1/auth/cas/") is None  # the nonce is spent


def test_a_staff_member_signs_in_through_cas_2(client, accounts, cas_server):
    client.application.config["CAS_VERSION"] = "2.0"
    route, _ = _landing(_sign_in(client, cas_server, accounts["head_teacher"]["username"]))
    assert route == "/cas-done"
    assert cas_server.validations[-1]["path"] == "/cas/serviceValidate"
    assert _session_user(client)["username"] == accounts["head_teacher"]["username"]


def test_the_number_can_come_from_a_cas_attribute(client, accounts, cas_server):
    client.application.config["CAS_USER_ATTRIBUTE"] = "employeeNumber"
    cas_server.attributes = {"employeeNumber": accounts["counsellor"]["username"], "cn": "王老师"}
    route, _ = _landing(_sign_in(client, cas_server, "wang.laoshi"))
    assert route == "/cas-done"
    assert _session_user(client)["username"] == accounts["counsellor"]["username"]
    cas_server.attributes = {"cn": "王老师"}
    route, query = _landing(_sign_in(client, cas_server, "wang.laoshi"))
    assert (route, query) == ("/cas-error", {"reason": "no_number", "account": "wang.laoshi"})


def test_an_invalid_ticket_is_refused_and_audited(client, accounts, cas_server):
    before = _sessions()
    service = parse_qs(urlsplit(_go_to_cas(client)).query)["service"][0]
    route, query = _landing(_back(client, service + "&ticket=ST-made-up"))
    assert (route, query) == ("/cas-error", {"reason": "invalid_ticket"})
    assert cas_server.validations[-1]["code"] == "INVALID_TICKET"
    assert _sessions() == before
    assert _refusals()[-1] == {"reason": "invalid_ticket", "account": None, "code": "INVALID_TICKET"}


def test_a_replayed_ticket_is_refused_by_the_cas_server(client, accounts, cas_server):
    cas_server.next_user = accounts["student"]["username"]
    back = _cas_login(_go_to_cas(client))
    state_cookie = client.get_cookie("spiral_cas_state", path="/api/v1/auth/cas/").value
    assert _landing(_back(client, back))[0] == "/cas-done"
    sessions = _sessions()
    # The same URL again (the back button, a second tab, a copied link) with the same nonce.
    client.set_cookie("spiral_cas_state", state_cookie, path="/api/v1/auth/cas/")
    route, query = _landing(_back(client, back))
    assert (route, query) == ("/cas-error", {"reason": "invalid_ticket"})
    assert cas_server.validations[-1]["code"] == "INVALID_TICKET"
    assert _sessions() == sessions


def test_a_ticket_for_another_service_is_refused(client, accounts, cas_server):
    service = parse_qs(urlsplit(_go_to_cas(client)).query)["service"][0]
    elsewhere = cas_server.issue("https://other-app.example.edu.cn/login", accounts["student"]["username"])
    ticket = parse_qs(urlsplit(elsewhere).query)["ticket"][0]
    route, query = _landing(_back(client, f"{service}&ticket={ticket}"))
    assert (route, query) == ("/cas-error", {"reason": "wrong_service"})
    assert cas_server.validations[-1]["code"] == "INVALID_SERVICE"


def test_a_ticket_brought_to_a_browser_that_did_not_ask_is_not_even_validated(client, accounts, cas_server):
    """Login fixation: an attacker's ticket in a link sent to a victim (whose browser holds no
    nonce, or another one) must not sign the victim in as the attacker."""
    cas_server.next_user = accounts["student"]["username"]
    back = _cas_login(_go_to_cas(app_client := client.application.test_client()))
    assert app_client.get_cookie("spiral_cas_state", path="/api/v1/auth/cas/") is not None
    validations = len(cas_server.validations)
    route, query = _landing(_back(client, back))  # the victim's browser: no nonce
    assert (route, query) == ("/cas-error", {"reason": "state"})
    _go_to_cas(client)  # the victim's own nonce, another one
    assert _landing(_back(client, back)) == ("/cas-error", {"reason": "state"})
    assert len(cas_server.validations) == validations
    assert client.get_cookie("refresh_token_cookie", path="/api/v1/auth/") is None


def test_an_unknown_user_gets_nothing_and_is_audited(client, accounts, cas_server):
    users = db.session.scalar(select(func.count()).select_from(User))
    route, query = _landing(_sign_in(client, cas_server, "S2099999"))
    assert (route, query) == ("/cas-error", {"reason": "unknown_user", "account": "S2099999"})
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert client.get_cookie("refresh_token_cookie", path="/api/v1/auth/") is None
    assert _refusals()[-1] == {"reason": "unknown_user", "account": "S2099999", "code": None}


def test_a_deactivated_account_cannot_sign_in_through_cas(client, accounts, cas_server):
    user = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    user.is_active = False
    db.session.commit()
    route, query = _landing(_sign_in(client, cas_server, user.username))
    assert (route, query) == ("/cas-error", {"reason": "inactive", "account": user.username})


def test_password_login_is_refused_for_a_cas_account_and_kept_for_the_admin(client, accounts):
    student, admin = accounts["student"], accounts["school_admin"]
    refused = assert_problem(_password(client, student), 403)
    assert refused["title"] == "此账号请使用统一身份认证登录"
    english = client.post("/api/v1/auth/login", json={"username": student["username"], "password": "x"},
                          headers={"Accept-Language": "en"}).json
    assert english["title"] == "This account signs in through campus sign-in (统一身份认证)"
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0  # nothing to guess, nothing counted
    headers = login(client, admin)
    # The school admin lets one student keep a password, and takes it from a head teacher.
    student_id = db.session.scalar(select(User.id).where(User.username == student["username"]))
    answer = client.put(f"/api/v1/password-logins/{student_id}", headers=headers, json={"password_login": "allowed"})
    assert answer.status_code == 200 and answer.json["allowed"] is True and answer.json["password_login"] == "allowed"
    assert _password(client, student).status_code == 200
    listed = client.get("/api/v1/password-logins", headers=headers).json
    assert [r["username"] for r in listed] == [student["username"]]  # the exceptions to the default
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.password_login"))
    assert audit.object_id == str(student_id) and '"to": "allowed"' in audit.detail
    bad = assert_problem(client.put(f"/api/v1/password-logins/{student_id}", headers=headers,
                                    json={"password_login": "maybe"}), 422)
    assert "allowed" in bad["errors"]["password_login"][0]
    # With CAS off every account logs in with its password again.
    client.application.config["CAS_ENABLED"] = False
    assert _password(client, accounts["head_teacher"]).status_code == 200


def test_an_admin_denied_a_password_must_use_cas(client, accounts):
    admin = accounts["school_admin"]
    headers = login(client, admin)
    admin_id = db.session.scalar(select(User.id).where(User.username == admin["username"]))
    assert client.put(f"/api/v1/password-logins/{admin_id}", headers=headers,
                      json={"password_login": "denied"}).json["allowed"] is False
    assert_problem(_password(client, admin), 403)


def test_a_wrong_password_for_an_admin_is_still_the_usual_401(client, accounts):
    assert_problem(_password(client, accounts["school_admin"], "nope"), 401)


def test_the_cas_servers_single_logout_ends_the_session_it_began(client, accounts, cas_server):
    assert _landing(_sign_in(client, cas_server, accounts["student"]["username"]))[0] == "/cas-done"
    ticket = cas_server.validations[-1]["ticket"]
    refreshed = client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_cookie(client)})
    access = {"Authorization": f"Bearer {refreshed.json['access_token']}"}
    other = client.application.test_client()
    login(other, accounts["school_admin"])  # a password session is not touched
    # Anyone may post: a ticket not one of ours, or no XML at all, changes nothing and says nothing.
    for junk in (CasServer.logout_request("ST-not-ours"), "<not xml", '<!DOCTYPE x [<!ENTITY a "b">]><x/>'):
        assert client.post("/api/v1/auth/cas/callback", data={"logoutRequest": junk}).status_code == 204
    assert client.get("/api/v1/me", headers=access).status_code == 200
    answer = client.post("/api/v1/auth/cas/callback", data={"logoutRequest": CasServer.logout_request(ticket)})
    assert answer.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=access), 401)
    assert_problem(client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_cookie(client)}), 401)
    assert db.session.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))) == 1


def test_cas_off_sends_the_browser_to_the_error_screen(client, accounts):
    client.application.config["CAS_ENABLED"] = False
    assert _landing(client.get("/api/v1/auth/cas/login")) == ("/cas-error", {"reason": "off"})


def _staff_book(rows_) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "教职工"
    ws.append(["工号", "姓名", "所属系部", "角色", "范围", "密码登录"])
    for r in rows_:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_roster_import_sets_password_login_all_or_nothing(client, accounts):
    admin = login(client, accounts["school_admin"])
    cls = client.get("/api/v1/classes", headers=admin).json[0]["name"]
    bad = upload_roster(client, admin, _staff_book([["T80001", "甲老师", "", "班主任", cls, "允许"],
                                                    ["T80002", "乙老师", "", "班主任", cls, "也许"]]))
    errors = assert_problem(bad, 422)["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "密码登录")]
    assert db.session.scalar(select(User).where(User.username == "T80001")) is None  # nothing imported
    ok = upload_roster(client, admin, _staff_book([["T80001", "甲老师", "", "班主任", cls, "允许"],
                                                   ["T80002", "乙老师", "", "班主任", cls, ""]]))
    assert ok.status_code == 200, ok.json
    chosen = dict(db.session.execute(select(User.username, User.password_login).where(User.username.like("T8000%"))).all())
    assert chosen == {"T80001": True, "T80002": None}
    again = upload_roster(client, admin, _staff_book([["T80001", "甲老师", "", "班主任", cls, "默认"]]))
    assert again.json["staff"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert db.session.scalar(select(User.password_login).where(User.username == "T80001")) is None


def test_a_cas_server_out_of_reach_is_said_so(client, accounts, cas_server):
    service = parse_qs(urlsplit(_go_to_cas(client)).query)["service"][0]
    client.application.config["CAS_SERVER_URL"] = f"http://127.0.0.1:{free_port()}/cas"  # nobody listens
    route, query = _landing(_back(client, service + "&ticket=ST-whatever"))
    assert (route, query) == ("/cas-error", {"reason": "unreachable"})
    assert _refusals()[-1]["reason"] == "unreachable"

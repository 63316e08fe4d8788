import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import LoginFailure, User
from backend.platform import clock
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, csrf_cookie, login


@pytest.fixture
def accounts(app):
    return build_college()


def _login(client, username, password, **kw):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kw)


def test_login_returns_short_lived_access_token_and_refresh_cookie(client, accounts):
    response = _login(client, accounts["student"]["username"], accounts["student"]["password"])
    assert response.status_code == 200
    assert response.json["expires_in"] == 15 * 60
    assert "refresh_token" not in response.json  # the PWA never sees it: HttpOnly cookie only
    cookies = {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}
    refresh = cookies["refresh_token_cookie"]
    assert "HttpOnly" in refresh and "SameSite=Strict" in refresh and "Path=/api/v1/auth/" in refresh
    assert "HttpOnly" not in cookies["csrf_refresh_token"]  # readable by the PWA, echoed as a header


def test_wrong_password_and_unknown_user_look_the_same(client, accounts):
    wrong = assert_problem(_login(client, accounts["student"]["username"], "nope"), 401)
    unknown = assert_problem(_login(client, "nobody", "nope"), 401)
    assert wrong["title"] == unknown["title"]


def test_passwords_are_hashed_with_argon2id(app, accounts):
    user = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    assert user.password_hash.startswith("$argon2id$")


def test_refresh_needs_the_csrf_header_and_rotates(client, accounts):
    login(client, accounts["student"])
    assert_problem(client.post("/api/v1/auth/refresh"), 401)
    old_cookie = client.get_cookie("refresh_token_cookie", path="/api/v1/auth/").value
    response = client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_cookie(client)})
    assert response.status_code == 200
    new_access = response.json["access_token"]
    assert client.get_cookie("refresh_token_cookie", path="/api/v1/auth/").value != old_cookie
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_access}"}).status_code == 200


def test_replayed_refresh_token_ends_the_session(client, accounts):
    """A spent refresh token used again means it was copied: the whole session is revoked."""
    login(client, accounts["student"])
    stolen = client.get_cookie("refresh_token_cookie", path="/api/v1/auth/").value
    stolen_csrf = csrf_cookie(client)
    fresh = client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": stolen_csrf}).json["access_token"]
    client.set_cookie("refresh_token_cookie", stolen, path="/api/v1/auth/")
    client.set_cookie("csrf_refresh_token", stolen_csrf)
    assert_problem(client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": stolen_csrf}), 401)
    assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}), 401)


def test_logout_revokes_both_tokens_across_app_and_redis_restarts(app, client, accounts, redis_server):
    headers = login(client, accounts["student"])
    refresh_cookie = client.get_cookie("refresh_token_cookie", path="/api/v1/auth/").value
    csrf = csrf_cookie(client)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    redis_server.restart()
    restarted = make_app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_PATH"], redis_server.url)
    other = restarted.test_client()
    assert_problem(other.get("/api/v1/me", headers=headers), 401)
    other.set_cookie("refresh_token_cookie", refresh_cookie, path="/api/v1/auth/")
    other.set_cookie("csrf_refresh_token", csrf)
    assert_problem(other.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf}), 401)
    with restarted.app_context():
        db.engine.dispose()


def test_account_throttle_answers_429_with_retry_after(client, accounts):
    username = accounts["student"]["username"]
    for _ in range(app_limit(client)):
        assert_problem(_login(client, username, "wrong"), 401)
    body = assert_problem(_login(client, username, accounts["student"]["password"]), 429)
    retry = int(client.post("/api/v1/auth/login", json={"username": username, "password": "x"}).headers["Retry-After"])
    assert 0 < retry <= 15 * 60 + 1
    assert body["retry_after"] > 0


def app_limit(client):
    return client.application.config["LOGIN_MAX_PER_ACCOUNT"]


def test_attacker_cannot_lock_out_a_user_on_a_known_device(app, accounts):
    """Failures from elsewhere lock the account for unknown clients only."""
    user_device = app.test_client()
    student = accounts["student"]
    login(user_device, student)  # this device is now trusted for this account
    attacker = app.test_client()
    for i in range(app.config["LOGIN_MAX_PER_ACCOUNT"] + 2):
        _login(attacker, student["username"], "guess", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
    assert_problem(_login(attacker, student["username"], student["password"],
                          environ_base={"REMOTE_ADDR": "10.0.1.1"}), 429)
    assert _login(user_device, student["username"], student["password"]).status_code == 200


def test_lockout_ends_when_failures_leave_the_window(app, client, accounts):
    student = accounts["student"]
    for _ in range(app.config["LOGIN_MAX_PER_ACCOUNT"]):
        _login(client, student["username"], "wrong")
    assert_problem(_login(client, student["username"], student["password"]), 429)
    for failure in db.session.scalars(select(LoginFailure)):
        failure.at = clock.now().replace(year=2020)
    db.session.commit()
    assert _login(client, student["username"], student["password"]).status_code == 200


def test_ip_throttle_slows_spraying_many_accounts(app, client, accounts):
    """Over its ceiling an address gets LOGIN_MAX_PER_IP_ACCOUNT guesses per account, a correct password
    included, instead of LOGIN_MAX_PER_ACCOUNT; accounts it did not guess at are not refused (test_throttle)."""
    app.config["LOGIN_MAX_PER_IP"] = 3
    for name in ("a1", "a2", "a3"):
        assert_problem(_login(client, name, "x"), 401)
    student = accounts["student"]
    for _ in range(app.config["LOGIN_MAX_PER_IP_ACCOUNT"]):
        assert_problem(_login(client, student["username"], "x"), 401)
    assert app.config["LOGIN_MAX_PER_IP_ACCOUNT"] < app_limit(client)
    assert_problem(_login(client, student["username"], student["password"]), 429)
    assert_problem(_login(client, "a1", "x"), 401)
    assert_problem(_login(client, "a1", "x"), 429)


def test_imported_user_must_change_initial_password(client, accounts):
    user = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
    user.must_change_password = True
    db.session.commit()
    headers = login(client, accounts["student"])
    body = assert_problem(client.get("/api/v1/classes", headers=headers), 403)
    assert body["type"] == "/problems/password-change-required"
    assert client.get("/api/v1/me", headers=headers).json["must_change_password"] is True
    weak = client.post("/api/v1/auth/password", headers=headers,
                       json={"current_password": accounts["student"]["password"], "new_password": "short"})
    assert "new_password" in assert_problem(weak, 422)["errors"]
    wrong = client.post("/api/v1/auth/password", headers=headers,
                        json={"current_password": "nope", "new_password": "Better-pass-1"})
    assert "current_password" in assert_problem(wrong, 422)["errors"]
    ok = client.post("/api/v1/auth/password", headers=headers,
                     json={"current_password": accounts["student"]["password"], "new_password": "Better-pass-1"})
    assert ok.status_code == 204
    assert client.get("/api/v1/classes", headers=headers).status_code == 200
    assert_problem(_login(client, accounts["student"]["username"], accounts["student"]["password"]), 401)
    assert _login(client, accounts["student"]["username"], "Better-pass-1").status_code == 200

import uuid

import pytest
from alembic import command as alembic
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import ClassGroup, LoginFailure, ScoreEntry, StudentProfile, User
from backend.platform import clock
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, csrf_cookie, login, upload_roster, writing
from tests.org.test_roster import xlsx


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


# --- usernames are one account in any case -------------------------------------------------------

def test_login_ignores_the_case_of_the_username(client, accounts):
    staff = accounts["course_teacher"]
    assert staff["username"] != staff["username"].lower()
    assert _login(client, staff["username"].lower(), staff["password"]).status_code == 200


def test_the_database_refuses_a_username_in_another_case(app, accounts):
    staff = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
    db.session.add(User(username=staff.username.lower(), display_name="冒名", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_roster_number_in_another_case_is_refused_naming_the_row(client, accounts):
    admin = login(client, accounts["school_admin"])
    teacher = accounts["course_teacher"]["username"]
    users = db.session.scalar(select(func.count()).select_from(User))
    # beside an existing account
    rows = [[teacher.lower(), "某老师", "", "学工办", "学校"]]
    body = assert_problem(upload_roster(client, admin, xlsx([], rows)), 422)
    assert {(e["sheet"], e["row"], e["column"]) for e in body["errors"]} == {("教职工", 2, "工号")}
    assert teacher in body["errors"][0]["message"]
    # beside an earlier row of the same file, the same person in both
    rows = [["T10042", "周老师", "", "学工办", "学校"], ["t10042", "周老师", "", "辅导员", "学校"]]
    body = assert_problem(upload_roster(client, admin, xlsx([], rows)), 422)
    assert ("教职工", 3, "工号") in {(e["sheet"], e["row"], e["column"]) for e in body["errors"]}
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def _database_at(revision, database, request, tmp_path, redis_server):
    """A new database migrated to `revision`, and how to drop it."""
    if database["kind"] == "sqlite":
        url, drop = f"sqlite:///{tmp_path}/old.db", lambda: None
    else:
        pg = request.getfixturevalue("postgres_server")
        name = f"spiral_old_{uuid.uuid4().hex[:8]}"
        admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = pg.url(name)

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    old = make_app(url, tmp_path, redis_server.url)
    with old.app_context():
        upgrade(revision=revision)
        db.engine.dispose()
    return old, drop


def test_the_username_migration_refuses_clashes_naming_them(app, database, request, tmp_path, redis_server):
    old, drop = _database_at("c6147b6cb43c", database, request, tmp_path, redis_server)
    add = text('INSERT INTO "user" (username, display_name, password_hash, must_change_password, is_active, locale, '
               "created_at) VALUES (:u, :u, 'x', true, true, 'zh-CN', :at)")
    try:
        with old.app_context():
            for name in ("T10042", "t10042", "T10043"):
                db.session.execute(add, {"u": name, "at": clock.now()})
            db.session.commit()
            with pytest.raises(RuntimeError, match=r"T10042 \(id \d+\), t10042 \(id \d+\)") as refused:
                alembic.upgrade(old.extensions["migrate"].migrate.get_config(), "head")  # the error itself
            assert "T10043" not in str(refused.value)
            db.session.rollback()
            # nothing merged or changed: both accounts are there, and the index is not
            assert sorted(db.session.scalars(text('SELECT username FROM "user"'))) == ["T10042", "T10043", "t10042"]
            db.session.execute(text('UPDATE "user" SET username = \'T10044\' WHERE username = \'t10042\''))
            db.session.commit()
            upgrade()  # the administrator renamed one: now it goes through
            with pytest.raises(IntegrityError):
                db.session.execute(text(add.text.replace(" locale,", "").replace(" 'zh-CN',", "")),
                                   {"u": "t10043", "at": clock.now()})
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()


# --- reversing an entry: 404 to whoever may not, whatever its state -----------------------------

def test_reversal_answers_404_to_whoever_may_not_reverse_whatever_its_state(client, accounts):
    head = login(client, accounts["head_teacher"])
    head_id = db.session.scalar(select(User.id).where(User.username == accounts["head_teacher"]["username"]))
    cls = db.session.scalar(select(ClassGroup).where(ClassGroup.head_teacher_id == head_id))
    pupils = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)
                                .order_by(StudentProfile.user_id).limit(2)).all()
    assert client.post("/api/v1/entries", headers=writing(head), json={
        "point": "S-A-09", "period": "term", "entries": [{"student_id": s, "value": 80} for s in pupils]}).status_code == 201
    live, reversed_ = db.session.scalars(select(ScoreEntry.id).where(ScoreEntry.student_id.in_(pupils))
                                         .order_by(ScoreEntry.id)).all()
    assert client.post(f"/api/v1/entries/{reversed_}/reverse", headers=writing(head),
                       json={"reason": "typo"}).status_code == 201
    reversal = db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.reverses_id == reversed_))
    missing = db.session.scalar(select(func.max(ScoreEntry.id))) + 1000
    entries = db.session.scalar(select(func.count()).select_from(ScoreEntry))
    db.session.rollback()
    for role in ("student", "course_teacher", "counsellor"):
        outsider = login(app_client := client.application.test_client(), accounts[role])
        answers = [app_client.post(f"/api/v1/entries/{entry}/reverse", headers=writing(outsider),
                                   json={"reason": "录入错误"}) for entry in (live, reversed_, reversal, missing)]
        bodies = [assert_problem(answer, 404) for answer in answers]
        assert all(body == bodies[-1] for body in bodies), (role, bodies)
    assert db.session.scalar(select(func.count()).select_from(ScoreEntry)) == entries

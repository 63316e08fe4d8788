"""Login throttling on a hostile campus network: one attacker behind the school's NAT or proxy
cannot lock out everyone else, parallel guesses cannot check more passwords than the limit, and
the client address comes from the configured number of trusted proxies, never from a header
anyone can send."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from backend.auth import passwords
from backend.extensions import db
from backend.models import LoginFailure, StudentProfile, User
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, demo_account, login

CAMPUS = {"REMOTE_ADDR": "10.20.0.1"}  # the school's one public address, as the app sees it
PARALLEL = 24


@pytest.fixture
def accounts(app):
    return build_college(students=40)


def _login(client, username, password, **kw):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kw)


def failures(*where) -> int:
    found = db.session.scalar(select(func.count()).select_from(LoginFailure).where(*where))
    db.session.rollback()
    return found


def other_students(n: int, but: str) -> list[dict]:
    names = db.session.scalars(select(User.username).join(StudentProfile, StudentProfile.user_id == User.id)
                               .where(User.username != but).order_by(User.username).limit(n)).all()
    db.session.rollback()
    return [demo_account(name) for name in names]


# --- parallel guesses: the check and the count are one step --------------------------------------

@pytest.fixture
def verifications(monkeypatch):
    """Every Argon2 verification the app makes (the served app runs in this process)."""
    calls = []
    lock = threading.Lock()
    real = passwords.verify_password

    def counting(password_hash, password):
        with lock:
            calls.append(password)
        return real(password_hash, password)
    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


def test_parallel_wrong_passwords_check_exactly_the_limit(app, accounts, verifications):
    """24 wrong passwords at the same moment on a threaded server: exactly LOGIN_MAX_PER_ACCOUNT are
    checked (answered 401 and counted), the rest are 429 before any Argon2 work."""
    username = accounts["student"]["username"]
    limit = app.config["LOGIN_MAX_PER_ACCOUNT"]
    db.session.commit()
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start = threading.Barrier(PARALLEL)

    def guess(i):
        start.wait()
        return requests.post(f"http://127.0.0.1:{server.port}/api/v1/auth/login", timeout=60,
                             json={"username": username, "password": f"wrong-guess-{i}"}).status_code
    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            codes = list(pool.map(guess, range(PARALLEL)))
    finally:
        server.shutdown()
    assert sorted(codes) == [401] * limit + [429] * (PARALLEL - limit), codes
    assert len(verifications) == limit
    assert failures(LoginFailure.username == username) == limit


# --- an attacker behind the campus address ---------------------------------------------------------

def test_a_trusted_device_gets_in_while_its_address_is_over_the_ceiling(app, accounts):
    student = accounts["student"]
    phone = app.test_client()
    login(phone, student)  # the student's own phone: it now carries the device cookie for this account
    attacker = app.test_client()
    app.config["LOGIN_MAX_PER_IP"] = 6
    victims = other_students(6, but=student["username"]) + [student]
    for victim in victims:  # spraying from the campus address, the student's account included
        assert_problem(_login(attacker, victim["username"], "guess-1", environ_base=CAMPUS), 401)
    for _ in range(app.config["LOGIN_MAX_PER_ACCOUNT"]):  # and the student's account locked for strangers
        _login(attacker, student["username"], "guess-2", environ_base=CAMPUS)
    assert failures(LoginFailure.ip == CAMPUS["REMOTE_ADDR"]) > app.config["LOGIN_MAX_PER_IP"]
    assert_problem(_login(attacker, student["username"], student["password"], environ_base=CAMPUS), 429)
    assert _login(phone, student["username"], student["password"], environ_base=CAMPUS).status_code == 200


def test_accounts_the_address_did_not_attack_are_not_refused(app, accounts):
    """Over the address's ceiling, the accounts it guessed at are slowed; every other account of the
    school behind the same address still logs in from a device it has never used."""
    app.config["LOGIN_MAX_PER_IP"] = 10
    attacked = other_students(10, but=accounts["student"]["username"])
    attacker = app.test_client()
    for victim in attacked:
        assert_problem(_login(attacker, victim["username"], "guess", environ_base=CAMPUS), 401)
    per_account = app.config["LOGIN_MAX_PER_IP_ACCOUNT"]
    for _ in range(per_account - 1):
        assert_problem(_login(attacker, attacked[0]["username"], "guess", environ_base=CAMPUS), 401)
    # the address is over its ceiling: an attacked account gets LOGIN_MAX_PER_IP_ACCOUNT failures here
    assert_problem(_login(attacker, attacked[0]["username"], "guess", environ_base=CAMPUS), 429)
    assert failures(LoginFailure.username == attacked[0]["username"]) == per_account
    # classmates and staff behind the same address, on new devices, are not refused
    for account in (accounts["student"], accounts["course_teacher"], accounts["head_teacher"]):
        assert _login(app.test_client(), account["username"], account["password"],
                      environ_base=CAMPUS).status_code == 200
    # nor is a classmate who mistypes once while the address is under attack
    mistyped = accounts["counsellor"]
    assert_problem(_login(app.test_client(), mistyped["username"], "typo", environ_base=CAMPUS), 401)
    assert _login(app.test_client(), mistyped["username"], mistyped["password"],
                  environ_base=CAMPUS).status_code == 200


def test_under_the_ceiling_an_address_has_only_the_account_limit(app, accounts):
    student = accounts["student"]
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_PER_ACCOUNT"] - 1):
        assert_problem(_login(client, student["username"], "typo", environ_base=CAMPUS), 401)
    assert _login(client, student["username"], student["password"], environ_base=CAMPUS).status_code == 200
    assert failures(LoginFailure.username == student["username"]) == 0  # a correct password forgives


# --- the client address and the proxies in front ---------------------------------------------------

def _address_counted(app_, forwarded: str) -> str:
    client = app_.test_client()
    assert_problem(_login(client, "nobody-here", "guess", environ_base={"REMOTE_ADDR": "10.9.9.9"},
                          headers={"X-Forwarded-For": forwarded}), 401)
    with app_.app_context():
        ip = db.session.scalar(select(LoginFailure.ip).order_by(LoginFailure.id.desc()))
        db.session.rollback()
    return ip


def test_x_forwarded_for_is_honoured_only_with_trusted_proxies(app, redis_server):
    assert _address_counted(app, "203.0.113.7") == "10.9.9.9"  # TRUSTED_PROXIES=0: nobody's header is read
    behind_proxy = make_app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_PATH"], redis_server.url,
                            TRUSTED_PROXIES=1)
    try:
        assert _address_counted(behind_proxy, "203.0.113.7") == "203.0.113.7"
        # what the client wrote before the proxy appended the real address is not believed
        assert _address_counted(behind_proxy, "198.51.100.1, 203.0.113.8") == "203.0.113.8"
    finally:
        with behind_proxy.app_context():
            db.engine.dispose()

"""Argon2id parameters can change: a hash made with the old ones is re-made at the next login."""
from argon2 import PasswordHasher, extract_parameters
from flask import current_app
from sqlalchemy import select

from backend.auth import passwords
from backend.config import Config
from backend.extensions import db
from backend.models import User
from tests.helpers import build_college, login

BEFORE = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)  # the cost until issue 17 (RFC 9106's second)


def current() -> tuple:
    cfg = current_app.config
    return cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"]


def cost(password_hash: str) -> tuple:
    p = extract_parameters(password_hash)
    return p.time_cost, p.memory_cost, p.parallelism


def test_a_password_hashed_with_the_old_parameters_logs_in_and_is_rehashed(app, client):
    account = build_college(students=20)["student"]
    user = db.session.scalar(select(User).where(User.username == account["username"]))
    old = user.password_hash = BEFORE.hash(account["password"])
    db.session.commit()
    login(client, account)
    db.session.expire_all()
    new = db.session.scalar(select(User.password_hash).where(User.username == account["username"]))
    assert new != old and cost(new) == current() != cost(old)
    assert passwords.verify_password(new, account["password"])
    login(client, account)  # already current: left as it is
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == account["username"])) == new


def test_a_wrong_password_leaves_the_old_hash(app, client):
    account = build_college(students=20)["student"]
    user = db.session.scalar(select(User).where(User.username == account["username"]))
    old = user.password_hash = BEFORE.hash(account["password"])
    db.session.commit()
    response = client.post("/api/v1/auth/login", json={"username": account["username"], "password": "not it at all"})
    assert response.status_code == 401
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == account["username"])) == old


def test_an_unknown_user_costs_a_check_with_todays_parameters(app):
    assert cost(passwords.dummy_hash()) == current()
    current_app.config["ARGON2_TIME_COST"] += 1
    assert cost(passwords.dummy_hash()) == current()


def test_the_defaults_are_owasps_minimum_for_argon2id(tmp_path, monkeypatch):
    for name in ("ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)
    cfg = Config(str(tmp_path))
    assert (cfg.ARGON2_MEMORY_KIB, cfg.ARGON2_TIME_COST, cfg.ARGON2_PARALLELISM) == (19456, 2, 1)

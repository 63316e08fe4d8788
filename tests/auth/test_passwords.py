"""Password rules after NIST SP 800-63B: a length counted in characters, any script, no composition
rules; refused when common (a list shipped with the app), one repeated character, or the username."""
import pytest
from sqlalchemy import select

from backend.auth import passwords
from backend.extensions import db
from backend.models import User
from tests.helpers import assert_problem, build_college, login


@pytest.fixture
def student(app, client):
    accounts = build_college(students=20)
    return {**accounts["student"], "headers": login(client, accounts["student"])}


def change(client, student, new):
    return client.post("/api/v1/auth/password", headers=student["headers"],
                       json={"current_password": student["password"], "new_password": new})


def refused(client, student, new) -> list[str]:
    body = assert_problem(change(client, student, new), 422)
    assert set(body["errors"]) == {"new_password"}
    assert all(" / " not in message for message in body["errors"]["new_password"])  # zh-CN only, by default
    return body["errors"]["new_password"]


def test_a_chinese_passphrase_is_a_good_password(client, student):
    assert change(client, student, "春眠不觉晓处处闻啼鸟").status_code == 204
    response = client.post("/api/v1/auth/login", json={"username": student["username"], "password": "春眠不觉晓处处闻啼鸟"})
    assert response.status_code == 200


@pytest.mark.parametrize("new", ["correct horse battery staple", "zhangsanfengxiaolongbao", "2718281828459045"])
def test_no_composition_rules(client, student, new):
    """Letters only, digits only: long and uncommon is enough."""
    assert change(client, student, new).status_code == 204


def test_length_counts_characters_not_bytes(client, student):
    assert len("春天来了".encode()) >= passwords.MIN_LENGTH  # 12 bytes, 4 characters
    assert any("8" in m for m in refused(client, student, "春天来了"))
    assert any("8" in m for m in refused(client, student, "short1!"))


@pytest.mark.parametrize("new", ["password1", "PASSWORD1", "iloveyou", "qwertyuiop", "1qaz2wsx", "abcd1234"])
def test_common_passwords_are_refused(client, student, new):
    assert any("常见" in m for m in refused(client, student, new))


def test_one_repeated_character_is_refused(client, student):
    assert any("同一个字符" in m for m in refused(client, student, "88888888"))


def test_the_username_or_a_password_containing_it_is_refused(client, student):
    assert any("学号" in m for m in refused(client, student, student["username"]))
    assert any("学号" in m for m in refused(client, student, f"my-{student['username']}-pw"))
    user = db.session.scalar(select(User).where(User.username == student["username"]))
    db.session.rollback()
    assert passwords.verify_password(user.password_hash, student["password"])  # nothing was changed


def test_the_common_list_ships_with_the_app_and_names_its_source():
    text = passwords.COMMON_LIST.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("zxcvbn" in line for line in header) and any("MIT License" in line for line in header)
    common = passwords.common_passwords()
    assert 9_000 <= len(common) <= 11_000
    assert all(len(p) >= passwords.MIN_LENGTH and p == p.lower() for p in common)
    assert "password1" in common and "Spiral-demo-2026".lower() not in common

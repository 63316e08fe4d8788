"""Argon2id password hashing (memory-hard, the OWASP first choice) and the rules for a new password.

The rules follow NIST SP 800-63B (5.1.1.2): at least MIN_LENGTH characters (characters, not
bytes: a Chinese passphrase counts one per character), any Unicode, no composition rules
("letters and digits") and no expiry; refused only if it is common (the list shipped in
common_passwords.txt, see its header for the source), one character repeated, or the account's
own number or contains it.
"""
import secrets
import string
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_ALPHABET = string.ascii_letters + string.digits
MIN_LENGTH = 8
MAX_LENGTH = 256
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")

TOO_SHORT = f"密码至少{MIN_LENGTH}个字符 / At least {MIN_LENGTH} characters."
TOO_COMMON = "该密码太常见，容易被猜中，请换一个 / This password is too common and easy to guess; choose another."
REPEATED = "密码不能只由同一个字符组成 / Do not repeat one character."
HAS_USERNAME = "密码不能包含学号或工号 / Do not use your student or staff number in the password."


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def length(password: str) -> int:
    """Characters as a person counts them: composed (NFC), so 'é' typed either way is one."""
    return len(unicodedata.normalize("NFC", password))


def weaknesses(password: str, username: str | None = None) -> list[str]:
    """Why `password` may not be chosen (empty when it may), in 中文 / English."""
    if length(password) < MIN_LENGTH:
        return [TOO_SHORT]
    folded = password.casefold()
    found = []
    if folded in common_passwords():
        found.append(TOO_COMMON)
    if len(set(password)) == 1:
        found.append(REPEATED)
    if username and username.casefold() in folded:
        found.append(HAS_USERNAME)
    return found


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"],
                          parallelism=cfg["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check(user, password: str) -> bool:
    """Verify a login; a hash made with other parameters than today's is replaced by one made with
    them (it commits with the login), so a change of cost reaches every account that logs in."""
    if not verify_password(user.password_hash, password):
        return False
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def random_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


# Hashed once per process and parameters, so that a login attempt for an unknown user costs
# the same time as one for a real user (no user enumeration by timing).
_dummies: dict[tuple, str] = {}


def dummy_hash() -> str:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])
    if key not in _dummies:
        _dummies[key] = hash_password(random_password())
    return _dummies[key]


def burn_time(password: str) -> None:
    verify_password(dummy_hash(), password)

"""Argon2id password hashing (memory-hard, the OWASP first choice)."""
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_ALPHABET = string.ascii_letters + string.digits
MIN_LENGTH = 8


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def random_password(length: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


# Hashed once per process so that a login attempt for an unknown user costs
# the same time as one for a real user (no user enumeration by timing).
_dummy: dict[str, str] = {}


def burn_time(password: str) -> None:
    if "hash" not in _dummy:
        _dummy["hash"] = hash_password(random_password())
    verify_password(_dummy["hash"], password)

"""Idempotent writes: a retried or replayed request counts once (docs/DESIGN.md decision 2).

The device makes a UUID per write and sends it as Idempotency-Key. The first
answer is stored in the same transaction as the write it describes; a replay
gets that answer back and writes nothing; the same key with another body is
refused with 409.
"""
import hashlib
import json
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from backend.errors import Problem
from backend.extensions import db
from backend.models import IdempotencyRecord

KEY_HEADER = "Idempotency-Key"


def _fingerprint(route: str, payload) -> str:
    return hashlib.sha256(json.dumps([route, payload], sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[dict, int]:
    if record.request_hash != fingerprint:
        raise Problem(409, "幂等键已用于其他请求 / Idempotency-Key already used",
                      "This Idempotency-Key was used for a different request; make a new key per write.")
    return record.response, record.status_code


def run_once(user_id: int, key: str | None, route: str, payload, write: Callable[[], tuple[dict, int]]) -> tuple[dict, int]:
    """Run `write` (which must not commit) once per (user, key); replays get the first answer."""
    if not key or not 8 <= len(key) <= 64:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={KEY_HEADER: ["每次写入需带设备生成的幂等键（8–64位）/ Send a device-made key of 8–64 characters."]})
    fingerprint = _fingerprint(route, payload)
    record = db.session.get(IdempotencyRecord, (user_id, key))
    if record is not None:
        return _replay(record, fingerprint)
    body, status = write()
    db.session.add(IdempotencyRecord(user_id=user_id, key=key, request_hash=fingerprint,
                                     status_code=status, response=body))
    try:
        db.session.commit()
    except IntegrityError:
        # The same write arrived twice at once and the other copy committed first:
        # ours rolls back whole, and the caller gets the winner's answer.
        db.session.rollback()
        return _replay(db.session.get(IdempotencyRecord, (user_id, key)), fingerprint)
    return body, status

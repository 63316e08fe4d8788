"""Idempotent writes: a retried or replayed request counts once (docs/DESIGN.md decision 2).

The device makes a UUID per write and sends it as Idempotency-Key. The first
answer is stored in the same transaction as the write it describes; a replay
gets that answer back and writes nothing; the same key with another body is
refused with 409.
"""
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from backend.errors import Problem
from backend.extensions import db
from backend.models import IdempotencyRecord

KEY_HEADER = "Idempotency-Key"
# The route whose write is running inside run_once in this thread (request), if any.
_writing: ContextVar[str | None] = ContextVar("idempotency_writing", default=None)


@event.listens_for(Engine, "commit")
def _refuse_commit_inside_write(_conn) -> None:
    """A write that commits inside run_once would be kept even if the answer is never stored,
    and a retry would then write it again: refuse the COMMIT before it reaches the database."""
    route = _writing.get()
    if route is not None:
        raise RuntimeError(f"the write of {route!r} committed inside run_once; run_once commits the write "
                           "together with its answer, so the service must not commit")


def _fingerprint(route: str, payload) -> str:
    return hashlib.sha256(json.dumps([route, payload], sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[dict, int]:
    if record.request_hash != fingerprint:
        raise Problem(409, "幂等键已用于其他请求 / Idempotency-Key already used",
                      "This Idempotency-Key was used for a different request; make a new key per write.")
    return record.response, record.status_code


def run_once(user_id: int, key: str | None, route: str, payload, write: Callable[[], tuple[dict, int]]) -> tuple[dict, int]:
    """Run `write` (which must not commit) once per (user, key); replays get the first answer.

    The write runs first and its answer is inserted with it, in its transaction: one statement
    for the key where a look, a claim and its answer took three. The record's primary key decides
    between copies: a copy arriving at the same time runs the write too, waits on the key (PostgreSQL;
    SQLite runs one writer at a time) until the first copy commits, fails to insert it, rolls its
    own write back and replays the first answer. A copy that comes later is refused by its own
    write (the ledger's "already recorded", an entry already reversed) or fails on the key the same
    way, and finds the record then. A failed write leaves nothing: no record, no half write.
    """
    if not key or not 8 <= len(key) <= 64:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={KEY_HEADER: ["每次写入需带设备生成的幂等键（8–64位）/ Send a device-made key of 8–64 characters."]})
    fingerprint = _fingerprint(route, payload)
    writing = _writing.set(route)
    try:
        body, status = write()
    except (Problem, IntegrityError) as refused:
        return _replay_or_raise(user_id, key, fingerprint, refused)
    finally:
        _writing.reset(writing)
    db.session.add(IdempotencyRecord(user_id=user_id, key=key, request_hash=fingerprint, status_code=status,
                                     response=body))
    try:
        db.session.commit()
    except IntegrityError as refused:
        return _replay_or_raise(user_id, key, fingerprint, refused)
    return body, status


def _replay_or_raise(user_id: int, key: str, fingerprint: str, refused: Exception) -> tuple[dict, int]:
    """After a refused write: the first answer if a copy of this request was written first (its
    write is what refused ours), else the refusal itself."""
    db.session.rollback()
    record = db.session.get(IdempotencyRecord, (user_id, key))
    if record is None:
        raise refused
    return _replay(record, fingerprint)

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
from dataclasses import dataclass

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

    The key is claimed before the write runs: its record is inserted and flushed, so a copy
    of the request arriving at the same time waits on the record's primary key until the
    first copy commits (write and answer together) and then replays that answer; if the
    first copy fails, nothing of it stays and the waiting copy runs the write itself. A key
    already used fails that insert at once, and the answer is read then: a first write costs
    no look.
    """
    fingerprint = _checked(key, route, payload)
    record = IdempotencyRecord(user_id=user_id, key=key, request_hash=fingerprint, status_code=0, response={})
    replayed = _claim(record)
    if replayed is not None:
        return _replay(replayed, fingerprint)
    body, status = _writing_as(route, write)
    record.status_code, record.response = status, body
    db.session.commit()
    return body, status


@dataclass
class Prepared:
    """A write that knows its answer before it writes (the ledger's batch: its id is made in
    Python): the record goes in with the answer, one statement instead of a claim and an update."""
    body: dict
    status: int
    apply: Callable[[], None]


def run_prepared(user_id: int, key: str | None, route: str, payload, prepare: Callable[[], Prepared]) -> tuple[dict, int]:
    """As run_once, for a write in two steps: `prepare` checks and answers (it may read, not write),
    then the record is claimed with that answer and `apply` writes. A copy arriving at the same
    time waits on the record's key as in run_once. A later copy is usually refused by its own
    checks (a batch's "already recorded"): the record is read then, and its answer replayed."""
    fingerprint = _checked(key, route, payload)
    try:
        prepared = _writing_as(route, prepare)
    except Problem:
        db.session.rollback()
        replayed = db.session.get(IdempotencyRecord, (user_id, key))
        if replayed is None:
            raise
        return _replay(replayed, fingerprint)
    replayed = _claim(IdempotencyRecord(user_id=user_id, key=key, request_hash=fingerprint,
                                        status_code=prepared.status, response=prepared.body))
    if replayed is not None:
        return _replay(replayed, fingerprint)
    _writing_as(route, prepared.apply)
    db.session.commit()
    return prepared.body, prepared.status


def _checked(key: str | None, route: str, payload) -> str:
    if not key or not 8 <= len(key) <= 64:
        raise Problem(422, "请求数据有误 / Invalid request data",
                      errors={KEY_HEADER: ["每次写入需带设备生成的幂等键（8–64位）/ Send a device-made key of 8–64 characters."]})
    return _fingerprint(route, payload)


def _claim(record: IdempotencyRecord) -> IdempotencyRecord | None:
    """Insert the key's record (flushed, not committed); None once it is ours, else the record of
    the copy that claimed the key first (waited for until it committed, on PostgreSQL)."""
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        first = db.session.get(IdempotencyRecord, (record.user_id, record.key))
        if first is None:  # claimed and gone again (the first copy's record deleted since): rare
            raise Problem(409, "请重试 / Try again", "Another copy of this write was in progress; send it again.") from None
        return first
    return None


def _writing_as(route: str, write: Callable):
    writing = _writing.set(route)
    try:
        return write()
    finally:
        _writing.reset(writing)

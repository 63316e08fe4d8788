"""Per-process caches of what rarely changes: a user with their grants and student profile, whether
a session is live, the terms, the catalogue's rules. Without them a 50-row batch request read all of
that again from the database: five statements of the eleven it cost (issue 17).

Valid across gunicorn workers and hosts through version counters in Redis. Every commit that
changed a watched table INCRs its counter once it has committed (session events below, so no
service has to remember to): a rolled-back change bumps nothing, and a process that loaded the old
row just before the commit sees the new counter at its next request. Each request reads the
counters once (one MGET, not an SQL statement) and uses an entry only while its counters are where
they were when it was loaded. A user's rows (user, role_grant, student_profile, auth_session) bump
that user's counter; a bulk UPDATE/DELETE of them bumps everyone's. MAX_AGE bounds what a lost INCR
(a process killed between its commit and the INCR, Redis down at that moment) can leave stale; an
epoch key, made anew when Redis has lost it, voids every entry after a Redis restarted empty.
Raw SQL that bypasses the session (an operator's psql) is not seen: restart the workers after it.

Without Redis nothing is cached: every lookup reads the database, as before the cache, so the
embedded default without Redis pays those statements back (a batch: eight instead of three).

Entries are plain data, never ORM instances: `attach` builds fresh instances in the request's
session from them (merge without a load), so `current_user` and a rule are ordinary attached
objects that lazy-load and flush as any other.
"""
import copy
import logging
import secrets
import time
from collections.abc import Callable

from flask import current_app, has_app_context, has_request_context, request
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from backend.platform import queue

log = logging.getLogger(__name__)
MAX_AGE = 300  # seconds an entry lives at most, whatever the counters say
MAX_ENTRIES = 50_000  # past this the process starts afresh: entries nobody asks for again are never refreshed
REDIS_RETRY = 5  # seconds without asking Redis again after it failed (no Redis: no wait per request)
PREFIX = "spiral:v:"
PEOPLE, TERMS, CATALOGUE, EPOCH = "people", "terms", "catalogue", "epoch"
# Tables whose rows belong to one user (column naming them), and tables with one counter each.
USER_TABLES = {"user": "id", "role_grant": "user_id", "student_profile": "user_id", "auth_session": "user_id"}
KIND_TABLES = {"term": TERMS, "catalogue_version": CATALOGUE, "scoring_rule": CATALOGUE, "scoring_point": CATALOGUE}
_PENDING = "spiral_cache_bumps"  # session.info key: the counters this transaction changes
_SNAPSHOT = "spiral.cache_versions"  # request.environ key: the counters as this request read them


def user_kind(user_id: int) -> str:
    return f"user:{user_id}"


def _state(app) -> dict:
    return app.extensions.setdefault("spiral_cached", {"entries": {}, "redis_down_until": 0.0})


def _counters(kinds: list[str]) -> dict[str, int] | None:
    """The counters of `kinds`, read once per request; None when Redis cannot answer."""
    state = _state(current_app)
    if time.monotonic() < state["redis_down_until"]:
        return None
    snapshot = request.environ.setdefault(_SNAPSHOT, {})
    kinds = [*kinds, EPOCH]
    missing = [k for k in kinds if k not in snapshot]
    if missing:
        # The request's own user and the global counters come along with the first read.
        wanted = sorted((set(missing) | {PEOPLE, TERMS, CATALOGUE, EPOCH}) - snapshot.keys())
        try:
            redis = queue.redis_connection()
            values = dict(zip(wanted, redis.mget([PREFIX + k for k in wanted]), strict=True))
            if values.get(EPOCH) is None and EPOCH in wanted:
                # Counters lost (a Redis restarted empty) start again from 0 and could climb back
                # to a value an entry was stamped with: a new epoch makes every stamp differ.
                redis.set(PREFIX + EPOCH, secrets.token_hex(8), nx=True)
                values[EPOCH] = redis.get(PREFIX + EPOCH)
        except RedisError as exc:
            log.warning("cache counters unreadable (%s): reading the database for %ss", exc, REDIS_RETRY)
            state["redis_down_until"] = time.monotonic() + REDIS_RETRY
            return None
        snapshot.update({k: v if k == EPOCH else int(v or 0) for k, v in values.items()})
    return {k: snapshot[k] for k in kinds}


def lookup(kinds: list[str], key, load: Callable[[], object]):
    """`load()`'s plain-data answer for `key`, from this process's cache while the counters of
    `kinds` have not moved; a None answer is not kept. Outside a request (jobs, commands), or
    without Redis, `load()` every time."""
    if not has_request_context():
        return load()
    versions = _counters(kinds)
    if versions is None:
        return load()
    entries = _state(current_app)["entries"]
    stamp = tuple(versions.items())
    hit = entries.get(key)
    if hit is not None and hit[0] == stamp and time.monotonic() - hit[2] < MAX_AGE:
        return hit[1]
    value = load()
    if value is not None:
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[key] = (stamp, value, time.monotonic())
    return value


def columns(obj) -> dict:
    """An ORM row as plain data (its columns)."""
    return {c.key: getattr(obj, c.key) for c in inspect(obj).mapper.column_attrs}


def attach(obj):
    """A fresh instance built from cached data (the related ones set on it), as a persistent object
    of the request's session, without a query. An instance the session already holds with changes
    of its own wins: the session's pending truth is newer than any cache."""
    from backend.extensions import db

    session = db.session()
    key = inspect(obj).mapper.identity_key_from_primary_key(inspect(obj).mapper.primary_key_from_instance(obj))
    present = session.identity_map.get(key)
    if present is not None and (inspect(present).modified or inspect(present).pending):
        return present
    for related in _graph(obj):
        make_transient_to_detached(related)
    return session.merge(obj, load=False)


def _graph(obj) -> list:
    """The instance and those set on its relationships (one level: what attach builds)."""
    out = [obj]
    for rel in inspect(obj).mapper.relationships:
        value = obj.__dict__.get(rel.key)
        out.extend(value if isinstance(value, list) else [value] if value is not None else [])
    return out


def fresh(data: dict) -> dict:
    """A deep copy of cached data: JSON columns are mutable, and no caller may change the cache."""
    return copy.deepcopy(data)


# Which counters a transaction moves: recorded at flush, INCRed after commit, forgotten on rollback.

def _pending(session: Session) -> set:
    return session.info.setdefault(_PENDING, set())


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in USER_TABLES:
            _pending(session).add(user_kind(getattr(obj, USER_TABLES[table])))
        elif table in KIND_TABLES:
            _pending(session).add(KIND_TABLES[table])


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in USER_TABLES:
        _pending(state.session).add(PEOPLE)
    elif table in KIND_TABLES:
        _pending(state.session).add(KIND_TABLES[table])


@event.listens_for(Session, "after_commit")
def _bump(session: Session) -> None:
    kinds = session.info.pop(_PENDING, None)
    if not kinds or not has_app_context():
        return
    entries = _state(current_app)["entries"]
    # This process forgets at once what it changed (the rest of this request reads it anew).
    for key, (stamp, _, _) in list(entries.items()):
        if kinds & {k for k, _ in stamp}:  # every user's entry carries PEOPLE too
            entries.pop(key, None)
    if has_request_context():
        request.environ.pop(_SNAPSHOT, None)
    try:
        pipe = queue.redis_connection().pipeline(transaction=False)
        for kind in sorted(kinds):
            pipe.incr(PREFIX + kind)
        pipe.execute()
    except RedisError as exc:
        # Other processes keep their entries until MAX_AGE; while Redis is down they do not cache.
        log.warning("cache counters not bumped (%s): %s", exc, sorted(kinds))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)

"""Engine behaviour the rest of the code relies on, per dialect.

SQLite has one writer. A transaction that writes begins IMMEDIATE: it takes the write lock up
front and queues for it on the busy timeout. A deferred transaction that reads and then writes
cannot wait for the lock (SQLITE_BUSY at once, or BUSY_SNAPSHOT once another writer committed).
A read request (GET, HEAD, OPTIONS) begins deferred: in WAL mode it reads its snapshot and never
waits for a writer. A read request that must write (an audited sensitive read, a settings row
made on first sight) does that write in `write_apart()`, its own IMMEDIATE transaction.
"""
import logging
import sqlite3
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.extensions import db

log = logging.getLogger(__name__)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_writing = ContextVar("sqlite_writing", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def reads_only() -> bool:
    """Whether the transaction about to begin belongs to a read request (and not to its write_apart)."""
    return has_request_context() and request.method in READ_METHODS and not _writing.get()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        deferred = reads_only()
        conn.info["deferred"] = deferred
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "before_cursor_execute")
def _write_in_a_read(conn, _cursor, statement, _parameters, _context, _executemany):
    # A write in a read request's deferred transaction works until two requests meet; say where.
    if conn.info.get("deferred") and statement.lstrip().upper().startswith(_WRITES):
        log.error("a read request wrote outside write_apart() (%s %s): %.80s",
                  request.method if has_request_context() else "-",
                  request.path if has_request_context() else "-", statement)


@contextmanager
def write_apart():
    """A write inside a read request, committed when the block ends: the read transaction ends
    first (a read request has nothing pending), the block's changes take the write lock in their own
    IMMEDIATE transaction, and reads after it begin deferred again. In a write request or a job the
    block simply commits with what the transaction holds, as a commit there would."""
    if reads_only():
        db.session.commit()
    token = _writing.set(True)
    try:
        yield
        db.session.commit()
    finally:
        _writing.reset(token)


# ---- Report reads (REPORTS_DATABASE_URL): a second engine, made once per app, for a replica ----
_report_session: ContextVar[Session | None] = ContextVar("report_session", default=None)
_engine_lock = threading.Lock()


def reports_engine() -> Engine | None:
    """The engine report reads use when REPORTS_DATABASE_URL names one (a streaming replica); None
    when reports read the primary."""
    url = current_app.config.get("REPORTS_DATABASE_URL")
    if not url:
        return None
    engine = current_app.extensions.get("spiral_reports_engine")
    if engine is None:
        with _engine_lock:
            engine = current_app.extensions.get("spiral_reports_engine")
            if engine is None:
                # pre_ping: a replica restarted for a failover or a base backup is reconnected, not a 500.
                engine = create_engine(url, pool_pre_ping=True)
                current_app.extensions["spiral_reports_engine"] = engine
    return engine


class _ReadOnlySession(Session):
    def flush(self, objects=None):
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("report reads are read-only: write through db.session (the primary)")


@contextmanager
def report_reads():
    """Report reads inside the block go through `reads()` to the replica, in one read-only
    transaction (one snapshot), ended when the block ends; without a replica, `reads()` is
    db.session and nothing changes."""
    engine = reports_engine()
    if engine is None:
        yield db.session
        return
    with _ReadOnlySession(engine, autoflush=False, expire_on_commit=False) as session:
        token = _report_session.set(session)
        try:
            yield session
        finally:
            _report_session.reset(token)
            session.rollback()


def reads() -> Session:
    """The session a report read goes through: the replica's inside `report_reads()`, else db.session."""
    return _report_session.get() or db.session
def engine_options(config) -> dict:
    """Engine options that make a PostgreSQL outage short and visible (SQLite is a file: none).

    pool_pre_ping: a pooled connection that a restarted server closed is found dead when it is
    checked out and replaced, so the first request after a restart succeeds instead of failing.
    connect_timeout: a server that drops packets fails a connection in DB_CONNECT_TIMEOUT seconds
    (one that refuses does at once); errors.py turns either into a 503 with Retry-After."""
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return {}
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": config["DB_CONNECT_TIMEOUT"]}}


def register(app: Flask) -> None:
    """End each request's session even when the database went away under it. Flask-SQLAlchemy's
    own teardown rolls back, and a ROLLBACK on a connection the server just terminated raises there,
    after the answer was made, where no error handler reaches: the client got a bare 500. This
    teardown runs first (teardowns run in reverse) and drops such a connection instead."""

    @app.teardown_appcontext
    def end_session(_exc):
        try:
            db.session.remove()
        except SQLAlchemyError as exc:
            log.warning("ending the session: %s", getattr(exc, "orig", exc))
            try:
                db.session().invalidate()  # scoped_session does not proxy invalidate()
            except SQLAlchemyError:
                pass
            db.session.registry.clear()

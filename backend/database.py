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
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

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

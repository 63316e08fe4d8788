"""Many new rows of one table at once, in the session's transaction: COPY on PostgreSQL, multi-row
INSERTs of a few thousand rows on SQLite.

A term's full rebuild writes thousands of rollup rows and stored cards, most of their bytes JSON.
Through INSERT each row is a statement's parameters, bound one by one; COPY streams them and
costs the server a parse of each value, a third of what the INSERTs cost here (README "Benchmarks").
"""
import json

from sqlalchemy import JSON, Text, cast, insert, update

from backend.extensions import db

CHUNK = 2000


def insert_rows(model, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys; every column without a server default given)."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(model), rows[start:start + CHUNK])
        return
    table, quote = model.__table__, db.session.get_bind().dialect.identifier_preparer.quote
    names = list(rows[0])
    # A JSON column's None is JSON null, as SQLAlchemy stores it (JSON.none_as_null is off).
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if j else row[n] for n, j in zip(names, as_json, strict=True)])


def update_rows(model, rows: list[dict]) -> None:
    """Update rows by primary key (each dict holds it), a few thousand per statement. Objects
    of these rows already in the session are not refreshed: callers read what they write
    after a commit."""
    for start in range(0, len(rows), CHUNK):
        db.session.execute(update(model), rows[start:start + CHUNK])


def as_text(model, names):
    """The columns `names` as `as_stored` writes them out: JSON as its stored text, undecoded."""
    return [cast(col, Text) if isinstance(col.type, JSON) else col for col in (model.__table__.c[n] for n in names)]


def as_stored(model, row: dict, names) -> tuple:
    """A row's `names` as `as_text` reads them once it is stored: JSON columns as the text
    SQLAlchemy and COPY write (json.dumps), which both databases keep as given."""
    table = model.__table__
    return tuple(json.dumps(row[n]) if isinstance(table.c[n].type, JSON) else row[n] for n in names)

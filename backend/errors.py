"""One error shape for everything: RFC 9457 application/problem+json."""
import logging
import re
from itertools import accumulate

from flask import Flask, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from backend.extensions import db
from backend.models.ledger import LIVE_INDEXES
from backend.platform import language

log = logging.getLogger(__name__)


class Problem(HTTPException):
    """Raise anywhere below the API to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 errors=None, type_: str = "about:blank", headers: dict | None = None, **extra):
        super().__init__(description=detail)
        self.code = status
        self.title = title
        self.errors = errors
        self.type = type_
        self.extra_headers = headers or {}
        self.extra = extra


def problem_body(status: int, title: str, detail=None, errors=None, type_="about:blank", **extra):
    body = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(body: dict, headers: dict | None = None):
    """Every problem document leaves here, in the reader's one language (title, detail and the
    field errors nested in it: platform/language.py)."""
    response = jsonify(language.localise(body))
    response.status_code = body["status"]
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# Werkzeug's own errors (a route that does not exist, a body too large) in both languages.
HTTP_TITLES = {
    400: "请求有误 / Bad Request", 401: "需要登录 / Unauthorized", 403: "无权操作 / Forbidden",
    404: "未找到 / Not Found", 405: "不支持该请求方法 / Method Not Allowed", 409: "与现有数据冲突 / Conflict",
    413: "上传内容过大 / Content Too Large", 415: "不支持的数据格式 / Unsupported Media Type",
    422: "请求数据有误 / Invalid request data", 429: "请求过于频繁 / Too Many Requests",
    500: "服务器内部错误 / Internal Server Error", 503: "服务暂时不可用 / Service Unavailable",
}


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {"field": [...]}}): clients want fields."""
    flat = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def violated_index(exc: IntegrityError) -> str | None:
    """The unique index (or constraint) an IntegrityError broke, by name, on both databases:
    PostgreSQL names it; SQLite names its columns, which the models' indexes are matched on."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name
    found = re.search(r"UNIQUE constraint failed: (\w+)\.(.+)$", str(exc.orig))
    table = found and db.metadata.tables.get(found[1])
    if table is None:
        return None
    columns = [c.strip().rpartition(".")[2] for c in found[2].split(",")]
    for index in [*table.indexes, *table.constraints]:
        if getattr(index, "unique", True) and [c.name for c in index.columns] == columns:
            return index.name
    return None


def _live_value_problem(exc: IntegrityError) -> Problem:
    """A second live ledger value for a slot: the same 422 as the ledger's own check, naming the
    student (or class) when the database says which (PostgreSQL's detail does)."""
    from backend.valuecard.ledger import ALREADY_RECORDED, BATCH_REFUSED
    detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None) or ""
    found = re.search(r"Key \((.+?)\)=\((.+?)\) already exists", detail)
    key = dict(zip(found[1].split(", "), found[2].split(", "), strict=False)) if found else {}
    subject = "student_id" if "student_id" in key else "class_id" if "class_id" in key else None
    if subject is None:
        return Problem(422, BATCH_REFUSED, errors={"entries": [ALREADY_RECORDED]})
    return Problem(422, BATCH_REFUSED, errors={subject: [language.extend(ALREADY_RECORDED, f" ({subject} {key[subject]})")]})


# JSON bodies nest at most this deep (Spiral's own nest 4): Python's parser recurses, so a 50,000-deep
# body was a RecursionError (500), and every layer after it walks the document again.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(data: bytes) -> int:
    """How deep a JSON text nests, without parsing it: brackets outside strings, counted."""
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return 0 if not data.strip() else 1  # cannot nest deeper than the limit
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def refuse_deep_json() -> None:
    """Before any view or parser reads it: a JSON body nested deeper than MAX_JSON_DEPTH is a 400."""
    if request.is_json and json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        raise Problem(400, "请求数据有误 / Invalid request data",
                      f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")


# SQLite's OperationalErrors that pass (a writer held the lock past the busy timeout, the file
# cannot be opened or read); its others ("no such table") are bugs and stay 500.
_SQLITE_PASSING = ("database is locked", "database is busy", "unable to open database file", "disk i/o error")
_PSYCOPG_PASSING = {"OperationalError", "InterfaceError"}
UNAVAILABLE = "数据库暂时不可用 / Database temporarily unavailable"


def database_unavailable(exc: BaseException) -> bool:
    """Whether the database could not be reached or used for a while, rather than a bug: the
    client should retry. PostgreSQL: any OperationalError or InterfaceError (connection refused,
    server closed the connection, shutting down, connection timeout), a connection SQLAlchemy found
    dead, or the pool timing out waiting for a free connection."""
    if isinstance(exc, PoolTimeout):
        return True
    if any(c.__module__.startswith("psycopg") and c.__name__ in _PSYCOPG_PASSING for c in type(exc).__mro__):
        return True  # raised by code on a raw connection, not wrapped by SQLAlchemy
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return str(exc.orig).lower().startswith(_SQLITE_PASSING)
    return True


def unavailable_response(exc: BaseException):
    """503 problem+json with Retry-After: a client (the PWA's outbox) waits and replays the write."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()  # the connection is dead: drop the session, the pool makes a new one
    log.warning("database unavailable (503): %s", getattr(exc, "orig", None) or exc)
    seconds = current_app.config["DB_RETRY_AFTER"]
    # Not "nothing was written": a connection lost during COMMIT leaves that unknown. A retry with
    # the same Idempotency-Key is safe either way (platform/idempotency.py).
    body = problem_body(503, UNAVAILABLE, f"The database cannot be reached. Retry in {seconds} s; "
                        "a write retried with the same Idempotency-Key is counted once.")
    return problem_response(body, {"Retry-After": str(seconds)})


def register_error_handlers(app: Flask) -> None:
    app.before_request(refuse_deep_json)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        if isinstance(exc, Problem):
            body = problem_body(exc.code, exc.title, exc.description, exc.errors, exc.type, **exc.extra)
            return problem_response(body, exc.extra_headers)
        data = getattr(exc, "data", None) or {}
        errors = _flatten_webargs(data["messages"]) if "messages" in data else None
        title = HTTP_TITLES.get(exc.code, exc.name)
        detail = data.get("message") or (None if errors else exc.description)
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After", "WWW-Authenticate")}
        return problem_response(problem_body(exc.code, title, detail, errors), headers)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        db.session.rollback()
        log.info("integrity error: %s", exc.orig)
        if violated_index(exc) in LIVE_INDEXES:
            return http_error(_live_value_problem(exc))
        return problem_response(problem_body(409, "与现有数据冲突 / Conflicts with existing data",
                              "The change conflicts with data that already exists; nothing was written."))

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        if database_unavailable(exc):
            return unavailable_response(exc)
        return unexpected(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if database_unavailable(exc):  # psycopg's own, from a raw connection
            return unavailable_response(exc)
        db.session.rollback()
        log.exception("unhandled error")
        return problem_response(problem_body(500, HTTP_TITLES[500], "An unexpected error occurred; nothing was written."))

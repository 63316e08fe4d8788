"""Log lines an operator can follow: one format for the app, the workers and the scheduler, and a
request id on every line.

- `request_id` holds the id of the request (or, set by platform/queue.py from the job's meta, of
  the request whose write caused the job) this code runs for. A log record factory copies it onto
  every record: a filter on a logger misses its children's records and one on a handler misses the
  other handlers (pytest's, a second sink), the factory reaches them all.
- The id comes from the proxy's X-Request-ID when it is a plain token (nginx's `$request_id` is
  32 hex digits), else it is made here; the answer carries it back in X-Request-ID, so a user's
  screenshot or a proxy log leads to the app's lines.
- One access line per request (but a successful probe of /livez, /readyz, /metrics): method, route (the URL rule, never the path: no ids, no query
  string with its tickets and tokens), status, milliseconds, request id. Bodies are never logged.
- LOG_FORMAT=json writes each record as one JSON object (python-json-logger); text is for people.
"""
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from flask import Flask, g, request

request_id: ContextVar[str | None] = ContextVar("spiral_request_id", default=None)

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # nothing that could forge a log line or a field
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request)s]: %(message)s"
access = logging.getLogger("spiral.access")
QUIET = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


def incoming_id(value: str | None) -> str:
    """The proxy's id when it is a sane token, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "spiral_request_id", False):
        return  # every app made in this process (tests make hundreds) shares the one factory

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    factory.spiral_request_id = True
    logging.setLogRecordFactory(factory)


class TextFormatter(logging.Formatter):
    """One readable line; "-" where no request is being served (a command, a worker between jobs)."""

    def format(self, record: logging.LogRecord) -> str:
        record.request = getattr(record, "request_id", None) or "-"
        return super().format(record)


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    # timestamp=True: ISO 8601 in UTC from the record's creation time; extras (an access line's
    # method, route, status, ms) become fields of their own. ensure_ascii off: Chinese stays readable.
    return JsonFormatter("{levelname}{name}{message}{request_id}", style="{", timestamp=True,
                         rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False)


def configure(app: Flask) -> None:
    """Root logging for this process, in LOG_FORMAT. A handler this module installed before (an
    earlier app in the same process) is replaced; in text mode, handlers someone else installed
    (pytest's, gunicorn's) are left to do their job, as logging.basicConfig would."""
    _install_record_factory()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "spiral", False)]:
        root.removeHandler(handler)
    json_lines = app.config.get("LOG_FORMAT", "text") == "json"
    if json_lines or not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(json_formatter() if json_lines else TextFormatter(TEXT_FORMAT))
        handler.spiral = True
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def route() -> str:
    """The request's URL rule, the label its metrics and access lines carry (never the raw path)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def register(app: Flask) -> None:
    """Register before any other hook, so every line a request logs carries its id."""

    @app.before_request
    def take_request_id():
        g.request_started = time.perf_counter()
        g.request_id = incoming_id(request.headers.get(HEADER))
        g.request_id_token = request_id.set(g.request_id)

    @app.after_request
    def log_request(response):
        # Runs last of the after_request hooks (they run in reverse), so it sees the final status.
        rid = g.get("request_id")
        if rid is None:  # a request that failed before the first hook (a bad method line)
            return response
        response.headers[HEADER] = rid
        if response.status_code == 200 and request.path in QUIET:
            return response  # probes every few seconds from every balancer: counted in metrics, not logged
        ms = round((time.perf_counter() - g.request_started) * 1000, 1)
        access.info("%s %s %s %.1f ms", request.method, route(), response.status_code, ms,
                    extra={"method": request.method, "route": route(), "status": response.status_code, "ms": ms})
        return response

    @app.teardown_request
    def forget_request_id(_exc):
        # A gunicorn thread serves the next request in the same context: the id must not leak into it.
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                request_id.reset(token)
            except ValueError:  # set in another context (cannot happen in a WSGI server's thread)
                request_id.set(None)

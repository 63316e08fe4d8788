"""Log lines as an operator reads them: JSON objects with a request id that is also in the answer's
X-Request-ID, an access line per request without query strings or bodies, and the id following a
write into the jobs it causes."""
import json
import logging
import re

from backend.platform import logs
from tests.conftest import make_app
from tests.helpers import build_college, login, run_worker, writing


def json_lines(records) -> list[dict]:
    """The records as the JSON handler writes them to stderr (journald, a log shipper)."""
    formatter = logs.json_formatter()
    return [json.loads(formatter.format(r)) for r in records]


def test_the_proxy_request_id_is_kept_when_sane_and_made_otherwise(client):
    given = client.get("/livez", headers={"X-Request-ID": "nginx-7f3a9c0d12e4"})
    assert given.headers["X-Request-ID"] == "nginx-7f3a9c0d12e4"
    for forged in ("a" * 65, "x\tINFO forged line", "", "../../etc", "id with spaces", "id\";{"):
        made = client.get("/livez", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), (forged, made)
    ids = {client.get("/livez").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3  # one per request
    assert logs.request_id.get() is None  # nothing leaks out of a request


def test_json_lines_carry_the_request_id_and_an_access_line_without_secrets(app, client, caplog):
    caplog.set_level(logging.INFO)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # readiness logs why it is not ready
    rid = "req-0123456789abcdef"
    answer = client.get("/readyz?access_token=SECRET-TOKEN-42", headers={"X-Request-ID": rid})
    assert answer.headers["X-Request-ID"] == rid
    lines = json_lines(caplog.records)
    mine = [line for line in lines if line["request_id"] == rid]
    access = [line for line in mine if line["logger"] == "spiral.access"]
    assert len(access) == 1
    (line,) = access
    assert {"timestamp", "level", "logger", "message", "request_id"} <= set(line)
    assert line["level"] == "INFO" and line["method"] == "GET" and line["route"] == "/readyz"
    assert line["status"] == answer.status_code and line["ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)", line["timestamp"]), line["timestamp"]
    assert "SECRET-TOKEN-42" not in json.dumps(lines)
    assert len(mine) > 1  # the view's own line (readiness saying Redis is down) carries the id too


def test_log_format_json_puts_one_json_object_a_line_on_stderr(tmp_path, capfd):
    app = make_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, "redis://127.0.0.1:1/0", LOG_FORMAT="json")
    handler = [h for h in logging.getLogger().handlers if getattr(h, "spiral", False)]
    try:
        assert len(handler) == 1
        client = app.test_client()
        client.get("/livez", headers={"X-Request-ID": "probe-1"})  # a successful probe: no access line
        client.get("/api/v1/me", headers={"X-Request-ID": "abc-123"})
        handler[0].flush()
        written = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
        assert "probe-1" not in [w.get("request_id") for w in written]
        assert {"logger": "spiral.access", "request_id": "abc-123", "route": "/api/v1/me", "status": 401}.items() <= \
            next(w for w in written if w.get("logger") == "spiral.access").items()
    finally:
        for h in handler:
            logging.getLogger().removeHandler(h)


def test_a_write_s_request_id_follows_it_into_its_jobs(app, client, caplog):
    """The id of the request that wrote a batch is on the log lines of the rollup jobs it caused
    (platform/queue.py sets it from the job's meta; the job hook logs each job)."""
    from tests.helpers import demo_account
    from tests.reporting.test_rollups import OFFICE, classes_of_one_department

    build_college(students=40)
    run_worker(app)
    office = login(client, demo_account(OFFICE))
    [(_, roster)] = classes_of_one_department(1)
    rid = "write-4711-abcdef"
    answer = client.post("/api/v1/entries", headers={**writing(office), "X-Request-ID": rid}, json={
        "point": "S-P-09", "period": "week:4", "entries": [{"student_id": s, "value": 70} for s in roster]})
    assert answer.status_code == 201 and answer.headers["X-Request-ID"] == rid
    caplog.set_level(logging.INFO)
    caplog.clear()
    run_worker(app)
    jobs = [line for line in json_lines(caplog.records) if line["logger"] == "spiral.jobs"]
    assert any(line["job"] == "rollup_class" and line["request_id"] == rid for line in jobs), jobs

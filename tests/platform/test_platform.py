"""The platform under everything: errors, docs, health, migrations, SQLite concurrency, jobs."""
import json
import logging
import threading
from collections import Counter
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ClassGroup, StudentProfile, User
from backend.platform import queue
from tests.conftest import make_app
from tests.helpers import assert_problem, build_college, login


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_errors_are_problem_json_without_stack_traces(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.delete("/api/v1/me"), 405)
    body = assert_problem(client.get("/boom"), 500)
    assert "secret internals" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_validation_errors_name_each_field(client):
    body = assert_problem(client.post("/api/v1/auth/login", json={"username": "", "extra": 1}), 422)
    assert set(body["errors"]) == {"username", "password", "extra"}
    assert_problem(client.post("/api/v1/auth/login", data="not json", content_type="application/json"), 400)


def test_openapi_document_and_offline_docs(client):
    spec = client.get("/api/openapi.json").json
    login_op = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "LoginIn" in json.dumps(login_op["requestBody"])
    assert {"/api/v1/classes/{class_id}/students", "/api/v1/catalogue/{code}", "/api/v1/roster/import"} <= set(spec["paths"])
    card = spec["paths"]["/api/v1/students/{student_id}/card"]["get"]["responses"]["200"]
    assert "Card" in json.dumps(card)
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_health_reports_database_and_redis(app, client, redis_server):
    body = client.get("/healthz").json  # /readyz under its old name (tests/platform/test_health.py)
    assert (body["database"], body["redis"]) == ("ok", "ok")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    assert client.get("/healthz").json["redis"] == "unreachable"


@queue.job("default", timeout=5)
def record(value):
    Path(value).write_text("ran")
    return value


def test_jobs_go_to_rq_with_redis_and_run_inline_only_without_one_configured(app, redis_server, tmp_path, caplog):
    from redis.exceptions import RedisError
    from rq import Queue

    marker = tmp_path / "marker"
    job = queue.enqueue(record, str(marker))
    assert Queue("default", connection=queue.redis_connection()).job_ids == [job.id]
    assert not marker.exists()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # configured but unreachable: never inline
    with pytest.raises(RedisError):
        queue.enqueue(record, str(marker))
    assert not marker.exists()
    app.config["REDIS_URL"] = ""  # no Redis configured: the embedded default runs jobs inline
    with caplog.at_level(logging.WARNING):
        assert queue.enqueue(record, str(marker)) == str(marker)
    assert marker.read_text() == "ran"
    assert "running job record" in caplog.text


def test_secrets_are_generated_once_into_the_instance_folder(tmp_path, redis_server):
    first = make_app(f"sqlite:///{tmp_path}/a.db", tmp_path, redis_server.url)
    second = make_app(f"sqlite:///{tmp_path}/a.db", tmp_path, redis_server.url)
    secrets_file = tmp_path / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert first.config["JWT_SECRET_KEY"] == second.config["JWT_SECRET_KEY"] == json.loads(secrets_file.read_text())["JWT_SECRET_KEY"]
    assert first.config["SCHOOL_TZ"] == "Asia/Shanghai"


def test_concurrent_writers_never_see_database_locked(app, client):
    """Eight devices writing at once (read-then-write each time) all succeed."""
    accounts = build_college(students=100)
    students = db.session.scalars(select(User).join(StudentProfile).limit(8)).all()
    tokens = []
    for s in students:
        tokens.append(login(client, {"username": s.username, "password": accounts["student"]["password"]}))
    # The test's own session (shared by requests made on this thread) must not hold
    # SQLite's write lock while the writers run; in production each request ends its own.
    db.session.rollback()
    statuses = Counter()

    def write(headers, n):
        c = app.test_client()
        for i in range(15):
            statuses[c.patch("/api/v1/me", headers=headers, json={"locale": ("en", "zh-CN")[i % 2]}).status_code] += 1

    threads = [threading.Thread(target=write, args=(h, n)) for n, h in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == {200: 8 * 15}


def test_demo_college_is_deterministic_and_realistic(app, tmp_path, redis_server):
    accounts = build_college(students=500, seed=3)
    assert sorted(accounts) == sorted(["student", "head_teacher", "course_teacher", "counsellor", "student_affairs",
                                       "teaching_office", "pe_teacher", "dept_admin", "school_admin"])
    sizes = db.session.execute(select(func.count()).select_from(StudentProfile).group_by(StudentProfile.class_id)).scalars().all()
    assert sum(sizes) == 500 and all(40 <= s <= 50 for s in sizes[:-1])
    assert db.session.scalar(select(func.count()).select_from(ClassGroup).where(ClassGroup.head_teacher_id.is_(None))) == 0
    names = db.session.scalars(select(User.display_name).order_by(User.id)).all()
    other = make_app(f"sqlite:///{tmp_path}/other.db", tmp_path, redis_server.url)
    with other.app_context():
        from flask_migrate import upgrade
        upgrade()
        assert build_college(students=500, seed=3) == accounts
        assert db.session.scalars(select(User.display_name).order_by(User.id)).all() == names
        db.engine.dispose()


def test_demo_command_writes_one_login_per_role(runner, tmp_path):
    path = tmp_path / "accounts.json"
    result = runner.invoke(args=["demo", "--students", "120", "--seed", "5", "--accounts-json", str(path)])
    assert result.exit_code == 0, result.output
    accounts = json.loads(path.read_text())
    assert {a["role"] for a in accounts} >= {"student", "head_teacher", "school_admin"}
    assert all(set(a) == {"role", "username", "password"} for a in accounts)
    again = runner.invoke(args=["demo", "--students", "120"])
    assert again.exit_code != 0 and "empty database" in again.output

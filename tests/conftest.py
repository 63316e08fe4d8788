"""One app on a fresh database per test, on SQLite and on PostgreSQL, with a real Redis.

SPIRAL_TEST_DBS (default "sqlite,postgresql") picks the databases.
"""
import itertools
import os
import shutil
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from redis import Redis
from sqlalchemy import create_engine, text

from backend import create_app
from backend.extensions import db
from tests.helpers import TODAY
from tests.servers import PostgresServer, RedisServer

DBS = [d.strip() for d in os.environ.get("SPIRAL_TEST_DBS", "sqlite,postgresql").split(",") if d.strip()]
FAST_HASHING = {"ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1}
NO_REDIS = ""  # REDIS_URL for the embedded default without Redis: jobs run inline after each commit
_counter = itertools.count()
CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download browsers here
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    yield server
    server.close()


def make_app(url: str, instance, redis_url: str, **extra):
    return create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance), REDIS_URL=redis_url,
                      TESTING=True, **FAST_HASHING, **extra)


def migrate(url: str, instance) -> None:
    app = make_app(url, instance, NO_REDIS)
    with app.app_context():
        upgrade()
        db.engine.dispose()


_TEMPLATES: dict[str, dict] = {}


@pytest.fixture(scope="session", params=DBS)
def database(request, tmp_path_factory):
    """A migrated template database; each test gets a copy of it. Made once per test process:
    pytest sets a session fixture up again when its parameter changes between modules (as it
    does when xdist hands a process modules in its own order), and the template is the same."""
    if request.param not in _TEMPLATES:
        _TEMPLATES[request.param] = _template(request, tmp_path_factory)
    return _TEMPLATES[request.param]


def _template(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    if request.param == "sqlite":
        template = instance / "template.db"
        migrate(f"sqlite:///{template}", instance)

        def fresh():
            path = instance / f"test{next(_counter)}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    else:
        pg = request.getfixturevalue("postgres_server")
        # pre-ping: a drill restarts the server (tests/platform/test_drill.py), killing pooled connections.
        admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE spiral_template"))
        migrate(pg.url("spiral_template"), instance)

        def fresh():
            name = f"spiral_test{next(_counter)}"
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name} TEMPLATE spiral_template"))

            def drop():
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            return pg.url(name), drop
    return {"kind": request.param, "fresh": fresh, "instance": instance}


@pytest.fixture
def today(request):
    """The school date the test runs at; calendar tests parametrize it (indirect) over helpers.CALENDAR."""
    return getattr(request, "param", TODAY)


@pytest.fixture
def app(database, redis_server, today):
    if today != TODAY and database["kind"] != "sqlite":
        pytest.skip("calendar dates run on SQLite; the default date runs on both databases")
    Redis.from_url(redis_server.url).flushdb()
    url, drop = database["fresh"]()
    # 10:00 at the school: inside the school day, far from midnight in any zone the tests care about.
    start = datetime.combine(today, time(10), ZoneInfo("Asia/Shanghai"))
    application = make_app(url, database["instance"], redis_server.url, CLOCK_START=start)
    application.config["DB_KIND"] = database["kind"]
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    yield context
    context.close()

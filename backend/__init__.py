"""Spiral: student and teacher self-diagnosis for vocational colleges."""
from datetime import datetime
from pathlib import Path

from flask import Flask

from backend.config import ROOT, Config


def create_app(**overrides) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"),
                static_folder=str(ROOT / "pwa"), static_url_path="/static-unused")
    config = Config(app.instance_path, **overrides)
    app.config.from_object(config)
    app.instance_path = config.INSTANCE_PATH
    from backend.extensions import Int32Converter

    app.url_map.converters["int"] = Int32Converter  # ids beyond the database's INTEGER are 404, not 500
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from backend.platform import logs

    logs.configure(app)  # LOG_FORMAT json or text, a request id on every line (platform/logs.py)
    logs.register(app)  # first of the request hooks: the lines of every later one carry the id

    from backend import (
        database,  # noqa: F401  (engine event listeners)
        jobs,  # noqa: F401  (enqueues rollups after commits)
        models,  # noqa: F401
    )
    from backend.extensions import api, compress, db, jwt, migrate
    from backend.platform.clock import Clock

    start = app.config["CLOCK_START"]
    app.extensions["clock"] = Clock(datetime.fromisoformat(start) if isinstance(start, str) else start)

    if app.config["TRUSTED_PROXIES"]:
        # The client address is the one the nearest TRUSTED_PROXIES proxies appended to
        # X-Forwarded-For (login throttling keys on it); with 0, the header is never read.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**database.engine_options(app.config),
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    db.init_app(app)
    database.register(app)  # after Flask-SQLAlchemy's teardown, so it runs before it
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    jwt.init_app(app)
    api.init_app(app)
    # Brotli, else gzip, for JSON answers and the app's files: a phone on a slow link gets the JS
    # and a home's data in a fifth to an eighth of the bytes. Files are streamed and compressed as
    # they go; their ETags get the algorithm appended, and a matching If-None-Match still gets 304.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "text/javascript", "application/javascript",
                                                 "application/json", "application/problem+json",
                                                 "application/manifest+json", "image/svg+xml", "text/csv"])
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL",
                          ["pwa.assets", "pwa.versioned_assets", "pwa.manifest", "pwa.swagger_assets"])
    compress.init_app(app)

    from backend.api import register_api
    from backend.auth.tokens import register_token_callbacks
    from backend.errors import register_error_handlers

    register_token_callbacks(jwt)
    register_api(app, api)
    register_error_handlers(app)

    from backend.auth import current

    current.register(app)  # the access token before the body is parsed (auth/current.py)

    from backend.platform import headers

    headers.register(app)  # CSP, nosniff, HSTS, no-store (platform/headers.py)

    from backend.platform import metrics

    metrics.register(app)  # request latency per route and status, the job hook (platform/metrics.py)

    from backend.cli import register_cli

    register_cli(app)
    return app

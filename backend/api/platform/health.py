"""Liveness, readiness and metrics: what load balancers, systemd and Prometheus ask.

/livez checks nothing but that this process answers (restart it when it does not); /readyz says
whether the host can do its work and whether the background work is being done (platform/readiness.py);
/healthz is /readyz under its old name, for scripts written before the split.
"""
from flask import Blueprint, Response, jsonify

from backend.platform import metrics, readiness

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """The process answers: nothing else is checked, so a database outage never restarts it."""
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():
    """Database, Redis, the newest worker heartbeat, the oldest unprocessed job, rollup freshness."""
    body, ready = readiness.report()
    return jsonify(body), 200 if ready else 503


@bp.get("/healthz")
def healthz():
    """/readyz under its old name."""
    return readyz()


@bp.get("/metrics")
def prometheus():
    """Prometheus text format; only from METRICS_ALLOW networks or with METRICS_TOKEN, else 404."""
    metrics.guard()
    body, content_type = metrics.scrape()
    return Response(body, content_type=content_type)

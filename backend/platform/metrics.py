"""Prometheus metrics (prometheus_client), for GET /metrics.

Two kinds:
- Counted where things happen, in every process: request latency per route and status, job
  durations and failures (a hook platform/queue.py calls after each job a worker runs), warnings
  raised, deliveries per channel and outcome. With PROMETHEUS_MULTIPROC_DIR set (production:
  gunicorn -w 4 and the RQ workers of a host), each process writes its values to files there and a
  scrape of any web process sums them all. The directory must exist, be shared by every Spiral
  process of the host and be emptied when they all start (`python -m backend.platform.metrics
  reset`), never while some still run: a process's counts stay in its files after it exits, which
  is what counters want. Nothing here is a live gauge, so gunicorn needs no child_exit hook.
- Read at scrape time, by whichever web process is asked: queue depth per queue (Redis), the
  outbox backlog, rollup freshness, the newest worker heartbeat, whether the database and Redis
  answer. These are facts of the whole system, not of a process, so they are not summed.

Labels never carry ids: a request's route is its URL rule ("/api/v1/students/<int:student_id>/card").
"""
import hmac
import ipaddress
import logging
import os
import sys
import time
from pathlib import Path

from flask import Flask, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from backend.platform import logs, queue

log = logging.getLogger("spiral.jobs")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram("spiral_http_request_duration_seconds", "Time to answer a request, by route and status",
                            ["method", "route", "status"])
JOB_SECONDS = Histogram("spiral_job_duration_seconds", "Time a background job ran, by job", ["job"],
                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800))
JOB_FAILURES = Counter("spiral_job_failures", "Background job runs that raised, by job", ["job"])
WARNINGS_RAISED = Counter("spiral_warnings_raised", "Student warnings raised (new episodes), by rule category",
                          ["kind"])
DELIVERIES = Counter("spiral_deliveries", "Notification delivery attempts, by channel and outcome",
                     ["channel", "outcome"])
_OUTCOME = {"sent": "sent", "due": "retry"}  # a delivery row's new state → outcome; anything else failed


def delivered(channel: str, state: str, count: int = 1) -> None:
    """Count a delivery attempt by the state its row was left in (sent, due again, failed)."""
    DELIVERIES.labels(channel, _OUTCOME.get(state, state if state == "gone" else "failed")).inc(count)


def observe_job(name: str, seconds: float, error: BaseException | None) -> None:
    """queue.JOB_OBSERVERS hook: after each job a worker ran (in the job's context, so the line
    carries the request id of the write that caused it)."""
    JOB_SECONDS.labels(name).observe(seconds)
    if error is None:
        log.info("job %s done in %.3f s", name, seconds, extra={"job": name, "seconds": round(seconds, 3)})
    else:
        JOB_FAILURES.labels(name).inc()
        log.warning("job %s failed after %.3f s: %r", name, seconds, error,
                    extra={"job": name, "seconds": round(seconds, 3)})


def install_job_observer() -> None:
    if observe_job not in queue.JOB_OBSERVERS:
        queue.JOB_OBSERVERS.append(observe_job)


class _ScrapeTime:
    """Facts read when /metrics is asked, as a collector generate_latest() can read."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def _gauge(name: str, doc: str, value, labels: dict | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    if value is not None:
        family.add_metric(list((labels or {}).values()), value)
    return family


def scrape_time_families() -> list:
    from rq import Queue

    from backend.platform import readiness

    families = []
    database = readiness.database_ok()
    configured = readiness.redis_configured()
    redis_up = configured and queue.redis_ok()
    families.append(_gauge("spiral_database_up", "1 when the database answers", int(database)))
    families.append(_gauge("spiral_redis_up", "1 when Redis answers", int(redis_up)))
    depth = GaugeMetricFamily("spiral_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
    if redis_up:
        try:
            for name in queue.QUEUES:
                depth.add_metric([name], Queue(name, connection=queue.redis_connection()).count)
        except RedisError as exc:
            log.warning("metrics: queue depth unread: %s", exc)
    families.append(depth)
    age = readiness.worker_heartbeat_age(redis_up) if configured else None
    families.append(_gauge("spiral_worker_heartbeat_age_seconds", "Seconds since the newest RQ worker heartbeat", age))
    backlog, lag = None, None
    if database:
        try:
            backlog = readiness.outbox_backlog()
            lag = readiness.rollups_lag()["lag_seconds"]
        except SQLAlchemyError as exc:
            log.warning("metrics: %s", getattr(exc, "orig", exc))
        finally:
            readiness.end_transaction()
    families.append(_gauge("spiral_outbox_pending", "Jobs written by committed changes and not yet relayed",
                           backlog and backlog[0]))
    families.append(_gauge("spiral_outbox_oldest_age_seconds", "Age of the oldest unprocessed outbox job",
                           backlog and backlog[1]))
    families.append(_gauge("spiral_rollups_lag_seconds",
                           "How long the newest ledger entry has waited for its class rollup (0: rolled up)", lag))
    return families


def _process_registry():
    """This process's counts, or every process's on the host in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def scrape() -> tuple[bytes, str]:
    body = generate_latest(_process_registry()) + generate_latest(_ScrapeTime(scrape_time_families()))
    return body, CONTENT_TYPE_LATEST


def allowed() -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client address inside METRICS_ALLOW. The
    address counts only when it is the client's: a request that came through a proxy the app does
    not trust (X-Forwarded-For present, TRUSTED_PROXIES 0) has the proxy's address, often 127.0.0.1."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    if "X-Forwarded-For" in request.headers and not config.get("TRUSTED_PROXIES"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = [n.strip() for n in config.get("METRICS_ALLOW", "").split(",") if n.strip()]
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def guard() -> None:
    if not allowed():
        abort(404)  # the same answer as a path that does not exist: nothing to probe for


def register(app: Flask) -> None:
    install_job_observer()

    @app.after_request
    def observe_request(response):
        started = g.get("request_started")
        if started is not None:
            REQUEST_SECONDS.labels(request.method, logs.route(), str(response.status_code)).observe(
                time.perf_counter() - started)
        return response


def reset(directory: str | None = None) -> int:
    """Empty the multiprocess directory (before any Spiral process of the host starts); returns
    how many files went."""
    name = directory or os.environ.get(MULTIPROC_ENV)
    if not name:
        raise SystemExit(f"{MULTIPROC_ENV} is not set")
    path = Path(name)
    path.mkdir(parents=True, exist_ok=True)
    files = list(path.glob("*.db"))
    for f in files:
        f.unlink()
    return len(files)


if __name__ == "__main__":  # python -m backend.platform.metrics reset
    if sys.argv[1:] != ["reset"]:
        raise SystemExit("usage: python -m backend.platform.metrics reset")
    print(f"removed {reset()} metric files from {os.environ.get(MULTIPROC_ENV)}")

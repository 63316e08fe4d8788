"""Background jobs on RQ, or inline when no Redis can be reached.

The embedded default must keep working on a laptop without Redis: jobs then
run in the request, and each time that happens a log line says so.
"""
import logging
from functools import cache

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@cache
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)


def redis_connection() -> Redis:
    return _redis(current_app.config["REDIS_URL"])


def redis_ok() -> bool:
    try:
        return bool(redis_connection().ping())
    except RedisError:
        return False


def enqueue(func, *args, queue: str = "default", job_id: str | None = None, **options):
    """Enqueue `func(*args)` on `queue`; run it now if Redis is unreachable."""
    from rq import Queue

    try:
        return Queue(queue, connection=redis_connection()).enqueue(func, *args, job_id=job_id, **options)
    except RedisError as exc:
        log.warning("Redis unreachable (%s): running %s inline", exc, func.__name__)
        return func(*args)

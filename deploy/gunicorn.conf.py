"""gunicorn settings for Spiral (spiral-web.service and scripts/production.sh): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Read from the same environment as the app, so the unit, the script and a shell agree.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # only nginx, on this host, talks to it
# Sync workers: requests are short and wait on the database. Four is what the drills ran on two
# cores; on a larger host, about two per core.
workers = int(os.environ.get("GUNICORN_WORKERS", 4))
# A report export or PDF takes seconds; a worker stuck for longer is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 30  # nginx keeps connections to the upstream open (keepalive 16)
# gunicorn takes X-Forwarded-Proto (https) only from these addresses: nginx on this host.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = None  # nginx logs every request (JSON, with its id); the app logs what it does
errorlog = "-"
# gunicorn 25's control socket defaults to one path per user ($HOME/.gunicorn): two gunicorns of one
# user would fight over it, and the unit's ProtectHome forbids it. systemd reloads with HUP instead.
control_socket_disable = True


def child_exit(server, worker):
    # Prometheus multiprocess mode: a dead worker's live gauges must stop counting (metrics.py).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

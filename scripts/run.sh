#!/usr/bin/env bash
# Sets everything up and runs Spiral with the demo college on the embedded default:
# SQLite in instance/, plus a local Redis started here (jobs run inline without one).
# Environment: PORT (5000), HOST (127.0.0.1), DEMO_STUDENTS (2000), DATABASE_URL, REDIS_URL.
source "$(dirname "$0")/lib.sh"

ensure_venv requirements.lock
export FLASK_APP=wsgi

REDIS_PID=""
JOB_PIDS=()
cleanup() {
  for pid in "${JOB_PIDS[@]}" $REDIS_PID; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

if [ -z "${REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || apt_install redis-server || true
  if command -v redis-server >/dev/null; then
    port="$(free_port)"
    mkdir -p instance/redis
    redis-server --port "$port" --bind 127.0.0.1 --dir "$ROOT/instance/redis" --save 60 1 >instance/redis/redis.log 2>&1 &
    REDIS_PID=$!
    export REDIS_URL="redis://127.0.0.1:$port/0"
    log "Redis on $REDIS_URL"
  else
    log "no redis-server could be installed: background jobs will run inline"
    export REDIS_URL=""  # no Redis configured: the one case where jobs run inline
  fi
fi

.venv/bin/flask db upgrade
.venv/bin/flask seed >/dev/null
.venv/bin/flask push keys >/dev/null  # VAPID keys for Web Push, once per installation
if [ ! -f instance/demo-accounts.json ]; then
  .venv/bin/flask demo --students "${DEMO_STUDENTS:-2000}" --seed 1 --accounts-json instance/demo-accounts.json
else
  log "demo college already built; logins in instance/demo-accounts.json:"
  .venv/bin/python -c 'import json; [print(f"  {a[\"role\"]:16} {a[\"username\"]:14} {a[\"password\"]}") for a in json.load(open("instance/demo-accounts.json"))]'
fi

# PDF reports need a font that covers Chinese.
fc-list :lang=zh 2>/dev/null | grep -q . || apt_install fonts-wqy-microhei || log "no Chinese font: PDF downloads will answer 503"
if [ -n "$REDIS_URL" ]; then
  .venv/bin/flask worker >instance/worker.log 2>&1 &
  JOB_PIDS+=($!)
  .venv/bin/flask scheduler >instance/scheduler.log 2>&1 &
  JOB_PIDS+=($!)
  .venv/bin/flask relay >instance/relay.log 2>&1 &  # moves the job outbox to RQ
  JOB_PIDS+=($!)
  log "RQ worker, scheduler and outbox relay running (logs in instance/worker.log, scheduler.log, relay.log)"
fi

log "Spiral on http://${HOST:-127.0.0.1}:${PORT:-5000}/  (API docs: /api/docs)"
.venv/bin/flask run --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"

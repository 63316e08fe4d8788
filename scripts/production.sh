#!/usr/bin/env bash
# Runs Spiral's production shape on this one machine, as a whole, until Ctrl-C or SIGTERM: nginx
# with TLS (deploy/nginx/spiral.conf, rendered for the ports and directories below) in front of
# gunicorn -w 4, two RQ workers, the scheduler and the outbox relay, on a PostgreSQL and a Redis it
# starts itself. For a trial install and for tests/pwa/test_browser_production.py; a real host
# runs the same pieces as the systemd units in deploy/systemd. Everything stops on exit.
#
# Environment: the app's settings as in deploy/spiral.env.example (TRUSTED_PROXIES=1 and
# COOKIE_SECURE=1 are the defaults here), ENV_FILE to read them from such a file, and:
#   SPIRAL_RUN_DIR   instance/production   databases, logs, certificate, nginx's files (kept between runs)
#   HOST             127.0.0.1             where nginx listens (0.0.0.0 for phones on the network)
#   HTTPS_PORT       8443                  HTTP_PORT (a free one) only redirects to it
#   TLS_CERT, TLS_KEY                      a certificate to serve; unset, a self-signed one for HOST
#   DATABASE_URL, REDIS_URL                use these instead of starting PostgreSQL / Redis here
#   GUNICORN_WORKERS 4, SPIRAL_WORKERS 2   web and RQ worker processes
#   DEMO_STUDENTS    2000                  the demo college, built once into an empty database (0: none)
#   DEMO_HISTORY     1                     0 builds it without this term's scores so far
source "$(dirname "$0")/lib.sh"

if [ -n "${ENV_FILE:-}" ]; then set -a; source "$ENV_FILE"; set +a; fi
RUN="$(mkdir -p "${SPIRAL_RUN_DIR:-$ROOT/instance/production}" && cd "${SPIRAL_RUN_DIR:-$ROOT/instance/production}" && pwd)"
HOST="${HOST:-127.0.0.1}"
HTTPS_PORT="${HTTPS_PORT:-8443}"
mkdir -p "$RUN/log" "$RUN/nginx/tmp" "$RUN/instance"
# PostgreSQL and nginx's workers run as other users: they must reach into the run directory.
chmod 755 "$RUN" "$RUN/nginx"

# --- What is missing ---------------------------------------------------------------------------
# A venv made for the tests (the dev lock, a superset of the runtime one) is used as it is.
if [ -f .venv/.installed-requirements-dev.lock ]; then ensure_venv requirements-dev.lock; else ensure_venv requirements.lock; fi
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
# Brotli at nginx saves 5-8 % over gzip (deploy/nginx/spiral.conf); gzip alone works too.
ls /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so >/dev/null 2>&1 || missing+=(libnginx-mod-http-brotli-filter)
[ -n "${DATABASE_URL:-}" ] || have_postgres || missing+=(postgresql)
[ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null || missing+=(redis-server)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}" || [ -x /usr/sbin/nginx ] || { log "nginx could not be installed"; exit 1; }

# --- Stopping everything, whatever way the script ends ---------------------------------------
declare -A PIDS=()
REDIS_PID=""
PG_CTL=""
STOPPING=0
cleanup() {
  set +e  # a process already gone must not stop the rest from being stopped
  STOPPING=1
  trap - EXIT INT TERM
  [ -f "$RUN/nginx/nginx.pid" ] && kill -QUIT "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null; done
  for _ in $(seq 1 60); do  # RQ's warm shutdown finishes the job in hand
    alive=0
    for name in "${!PIDS[@]}"; do kill -0 "${PIDS[$name]}" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  for name in "${!PIDS[@]}"; do kill -KILL "${PIDS[$name]}" 2>/dev/null; done
  # Redis and PostgreSQL last: a worker's warm shutdown still talks to both.
  [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  [ -n "$PG_CTL" ] && $PG_CTL -m fast -w stop >/dev/null 2>&1
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_postgres=()
[ "$(id -u)" = 0 ] && as_postgres=(runuser -u postgres --)  # PostgreSQL refuses to run as root

# --- PostgreSQL ----------------------------------------------------------------------------------
if [ -z "${DATABASE_URL:-}" ]; then
  bindir="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || command -v initdb)")"
  pgdir="$RUN/postgres"
  pgport="${PG_PORT:-$(free_port)}"
  mkdir -p "$pgdir"
  [ ${#as_postgres[@]} = 0 ] || chown postgres "$pgdir"
  "${as_postgres[@]}" test -x "$pgdir" || { log "the postgres user cannot reach $pgdir: choose a SPIRAL_RUN_DIR under a readable path"; exit 1; }
  if [ ! -f "$RUN/pg-password" ]; then
    (umask 077; openssl rand -hex 24 > "$RUN/pg-password")
  fi
  if [ ! -f "$pgdir/data/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $pgdir/data"
    pwfile="$pgdir/pwfile"
    install -m 600 "$RUN/pg-password" "$pwfile"
    [ ${#as_postgres[@]} = 0 ] || chown postgres "$pwfile"
    "${as_postgres[@]}" "$bindir/initdb" -D "$pgdir/data" -U spiral --pwfile="$pwfile" --auth=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$RUN/log/initdb.log"
    rm -f "$pwfile"
  fi
  PG_CTL="${as_postgres[*]} $bindir/pg_ctl -D $pgdir/data"
  $PG_CTL -l "$pgdir/postgres.log" -o "-p $pgport -h 127.0.0.1 -k $pgdir" -w start >/dev/null
  export PGPASSWORD; PGPASSWORD="$(cat "$RUN/pg-password")"
  "$bindir/psql" -h 127.0.0.1 -p "$pgport" -U spiral -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'spiral'" \
    | grep -q 1 || "$bindir/createdb" -h 127.0.0.1 -p "$pgport" -U spiral spiral
  export DATABASE_URL="postgresql://spiral:$PGPASSWORD@127.0.0.1:$pgport/spiral"
  unset PGPASSWORD
  log "PostgreSQL on 127.0.0.1:$pgport (data in $pgdir/data)"
fi

# --- Redis ---------------------------------------------------------------------------------------
if [ -z "${REDIS_URL:-}" ]; then
  redisport="$(free_port)"
  mkdir -p "$RUN/redis"
  redis-server --port "$redisport" --bind 127.0.0.1 --dir "$RUN/redis" --save 60 1 >"$RUN/log/redis.log" 2>&1 &
  REDIS_PID=$!
  export REDIS_URL="redis://127.0.0.1:$redisport/0"
  for _ in $(seq 1 100); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "Redis on $REDIS_URL"
fi

# --- The app's settings, as the units give them -------------------------------------------------
HTTP_PORT="${HTTP_PORT:-$(free_port)}"
WEB_PORT="${WEB_PORT:-$(free_port)}"
export FLASK_APP=wsgi
export SPIRAL_INSTANCE="${SPIRAL_INSTANCE:-$RUN/instance}"
export TRUSTED_PROXIES="${TRUSTED_PROXIES:-1}"
export COOKIE_SECURE="${COOKIE_SECURE:-1}"
export APP_URL="${APP_URL:-https://$HOST:$HTTPS_PORT}"
export LOG_FORMAT="${LOG_FORMAT:-json}"
export GUNICORN_BIND="127.0.0.1:$WEB_PORT"
export GUNICORN_WORKERS="${GUNICORN_WORKERS:-4}"
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$RUN/prometheus}"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"  # as spiral-web.service does

.venv/bin/flask db upgrade 2>>"$RUN/log/migrate.log"
.venv/bin/flask seed >/dev/null
.venv/bin/flask push keys >/dev/null
if [ "${DEMO_STUDENTS:-2000}" != 0 ] && [ ! -f "$RUN/demo-accounts.json" ]; then
  history=(); [ "${DEMO_HISTORY:-1}" = 1 ] || history=(--no-history)
  .venv/bin/flask demo --students "${DEMO_STUDENTS:-2000}" --seed 1 "${history[@]}" --accounts-json "$RUN/demo-accounts.json"
fi

# --- The app's processes: what deploy/systemd runs, restarted as Restart=always would ----------
run_web() { exec .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app; }
run_worker() { exec .venv/bin/flask worker; }
run_scheduler() { exec .venv/bin/flask scheduler; }
run_relay() { exec .venv/bin/flask relay; }
start() {  # start NAME: runs run_<NAME without its number> with its log in $RUN/log/NAME.log
  "run_${1%%[0-9]*}" >>"$RUN/log/$1.log" 2>&1 &
  PIDS[$1]=$!
}
start web
for i in $(seq 1 "${SPIRAL_WORKERS:-2}"); do start "worker$i"; done
start scheduler
start relay

# --- nginx: the shipped site, rendered for this run ---------------------------------------------
if [ -z "${TLS_CERT:-}" ]; then
  TLS_CERT="$RUN/tls/cert.pem" TLS_KEY="$RUN/tls/key.pem"
  if [ ! -f "$TLS_CERT" ]; then
    mkdir -p "$RUN/tls"
    san="DNS:localhost,IP:127.0.0.1"
    if [[ "$HOST" =~ ^[0-9.]+$ ]]; then san="$san,IP:$HOST"; else san="$san,DNS:$HOST"; fi
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=$HOST" \
      -addext "subjectAltName=$san" -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null
    log "self-signed certificate for $HOST in $RUN/tls (browsers will warn)"
  fi
fi
nginx_user=""
if [ "$(id -u)" = 0 ]; then nginx_user="user $(id -u www-data >/dev/null 2>&1 && echo www-data || echo nobody);"; fi
sed -e "s|server 127.0.0.1:8000;|server 127.0.0.1:$WEB_PORT;|" \
    -e "s|/var/cache/nginx/spiral|$RUN/nginx/cache|" \
    -e "s|/var/log/nginx/spiral\.|$RUN/log/nginx-|" \
    -e "s|/etc/ssl/spiral/fullchain.pem|$TLS_CERT|" \
    -e "s|/etc/ssl/spiral/privkey.pem|$TLS_KEY|" \
    -e "s|/etc/nginx/snippets/|$RUN/nginx/|" \
    -e "s|listen 80;|listen $HOST:$HTTP_PORT;|" \
    -e "s|listen 443 ssl http2;|listen $HOST:$HTTPS_PORT ssl http2;|" \
    -e '/listen \[::\]/d' \
    -e "s|https://\$host\$request_uri|https://\$host:$HTTPS_PORT\$request_uri|" \
    -e "s|spiral.example.edu.cn|$HOST|" \
    deploy/nginx/spiral.conf >"$RUN/nginx/spiral.conf"
if grep -nE '/etc/ssl/spiral|/var/(log|cache)/nginx|127\.0\.0\.1:8000|listen (80|443) ' "$RUN/nginx/spiral.conf"; then
  log "deploy/nginx/spiral.conf changed in a way this script does not render: fix the sed above"; exit 1
fi
rm -f "$RUN/nginx/spiral-brotli.conf"
ls /etc/nginx/modules-enabled/*brotli* >/dev/null 2>&1 && cp deploy/nginx/spiral-brotli.conf "$RUN/nginx/"
cat >"$RUN/nginx/nginx.conf" <<EOF
# Made by scripts/production.sh for this run; the site is deploy/nginx/spiral.conf.
$nginx_user
worker_processes auto;
pid $RUN/nginx/nginx.pid;
error_log $RUN/log/nginx-main-error.log warn;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    access_log off;
    client_body_temp_path $RUN/nginx/tmp/body;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    include $RUN/nginx/spiral.conf;
}
EOF
nginx=(/usr/sbin/nginx -c "$RUN/nginx/nginx.conf" -e "$RUN/log/nginx-main-error.log")
"${nginx[@]}" -t -q || { log "nginx -t failed"; exit 1; }
"${nginx[@]}"   # daemonizes; stopped through its pid file in cleanup

# --- Ready? -------------------------------------------------------------------------------------
URL="https://$HOST:$HTTPS_PORT"
probe="https://127.0.0.1:$HTTPS_PORT/healthz"
[ "$HOST" = 0.0.0.0 ] || probe="$URL/healthz"
# Seven Python processes import the app at once: ~30 s on two idle cores, more on a busy machine.
for _ in $(seq 1 240); do
  curl -ksf -m 10 -o /dev/null "$probe" && break
  sleep 0.5
done
curl -ksf -m 10 -o /dev/null "$probe" || { log "not ready after 2 minutes: see $RUN/log/"; exit 1; }
echo "$URL" >"$RUN/url"
log "Spiral on $URL/  (nginx -> gunicorn -w $GUNICORN_WORKERS, ${SPIRAL_WORKERS:-2} workers, scheduler; logs in $RUN/log/)"
[ -f "$RUN/demo-accounts.json" ] && log "demo logins in $RUN/demo-accounts.json"

# Keep running; a process that exits is started again after 2 s, as systemd's Restart=always does.
while :; do
  sleep 2 & wait $!
  for name in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null && [ $STOPPING = 0 ]; then
      log "$name exited; starting it again (log: $RUN/log/$name.log)"
      start "$name"
    fi
  done
done

#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: SQLite and PostgreSQL, a real Redis,
# real headless Chromium. The tests start their own servers on free ports and stop them.
# Extra arguments go to pytest (e.g. -k roster, -x).
source "$(dirname "$0")/lib.sh"

ensure_venv requirements-dev.lock
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
have_postgres || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Screenshots must show Chinese text as a phone would, not empty boxes.
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
# axe-core (the accessibility checker the browser tests inject) comes from the npm registry.
command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
# Installed exactly as locked, and again only when the lock changes.
if ! cmp -s tests/pwa/package-lock.json tests/pwa/node_modules/.spiral-stamp; then
  npm ci --prefix tests/pwa --no-audit --no-fund --loglevel=error
  cp tests/pwa/package-lock.json tests/pwa/node_modules/.spiral-stamp
fi

mkdir -p test-artifacts
# One test process per core (SPIRAL_TEST_WORKERS=0 for one process); a module's tests stay in one
# process, so a module-scoped server or browser starts once.
exec .venv/bin/python -m pytest tests -q -n "${SPIRAL_TEST_WORKERS:-auto}" --dist loadfile "$@"

# Shared by run.sh and test.sh: install what is missing, nothing more.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"

log() { printf '\033[1;36m[spiral]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

APT_UPDATED=0
apt_install() {  # apt_install PACKAGE... (only called for what is missing)
  command -v apt-get >/dev/null || { log "apt-get not found; install $* yourself"; return 1; }
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq || return 1; APT_UPDATED=1; fi
  log "installing $* (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; }

# The pip every host installs with: hash-checking mode and the lock's format need a recent one,
# and an unpinned "pip install --upgrade pip" would be the one thing not locked.
PIP_VERSION=26.3

ensure_venv() {  # ensure_venv LOCK_FILE (requirements.lock or requirements-dev.lock; see scripts/lock.sh)
  local lock="$1"
  local stamp=".venv/.installed-$(basename "$lock")"
  [ -x .venv/bin/python ] || { log "creating .venv"; "$PY" -m venv .venv; }
  # Reinstall when the lock (or the pip to install it with) changes, nothing otherwise.
  local want; want="$( (cat "$lock"; echo "pip==$PIP_VERSION") | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python packages from $lock"
    .venv/bin/pip install -q --disable-pip-version-check "pip==$PIP_VERSION" >/dev/null
    # Every package, transitive ones included, at the lock's version and with one of its hashes:
    # pip refuses anything else, and fails if the lock misses a dependency.
    .venv/bin/pip install -q --disable-pip-version-check --require-hashes -r "$lock"
    echo "$want" > "$stamp"
  fi
}

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

#!/usr/bin/env bash
# Regenerates requirements.lock and requirements-dev.lock from requirements.in and
# requirements-dev.in: every transitive dependency pinned, with the hashes of every file PyPI has
# for that version (any platform), so `pip install --require-hashes` refuses anything else.
# Runs pip-tools from a throwaway venv, so the lock tool is not itself part of the lock.
# Extra arguments go to both pip-compile runs (e.g. --upgrade, --upgrade-package redis).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check pip-tools==7.6.2
compile() {  # compile IN OUT [ARGS...]
  local in="$1" out="$2"; shift 2
  CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tmp/venv/bin/pip-compile" --quiet --generate-hashes \
    --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --newline=lf \
    --output-file "$out" "$in" "$@"
}
compile requirements.in requirements.lock "$@"
compile requirements-dev.in requirements-dev.lock "$@"  # constrained by requirements.lock
echo "wrote requirements.lock and requirements-dev.lock" >&2

#!/usr/bin/env bash
# Runs the Neptune compatibility suite: the real `neptune-scale` client logs
# to `sextant serve` and the real `neptune-query` reads back.
#
#   tests/neptune/run.sh [pytest args]        e.g. -m "not reads", -k fork, -x -q
#
# The server binary is $SEXTANT_BIN (default build/src/sextant).
# The virtualenv tests/neptune/.venv is (re)built only when it is missing or
# when the requirements files changed (their sha256 is kept in the venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"
REQ="$HERE/requirements.txt"
LOCK="$REPO/bench/peers/requirements/neptune.txt"

hash="$(cat "$REQ" "$LOCK" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$hash" ]]; then
    echo "tests/neptune: building $VENV (requirements changed or venv missing)" >&2
    start=$SECONDS
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ"
    echo "$hash" > "$VENV/.requirements.sha256"
    echo "tests/neptune: venv built in $((SECONDS - start)) s" >&2
fi

cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"

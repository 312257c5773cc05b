#!/usr/bin/env bash
# Runs the MLflow compatibility suite with the real `mlflow` client.
#
#   tests/mlflow/run.sh [pytest args]
#
# Target (env MLFLOW_COMPAT_TARGET):
#   sextant (default)  `sextant serve` from $SEXTANT_BIN (default build/src/sextant)
#   mlflow             a real `mlflow server` from the suite's virtualenv
#
# The virtualenv tests/mlflow/.venv is (re)built only when it is missing or
# when the requirements files changed (their sha256 is kept in the venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"
REQ="$HERE/requirements.txt"
LOCK="$REPO/bench/peers/requirements/mlflow.txt"

hash="$(cat "$REQ" "$LOCK" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$hash" ]]; then
    echo "tests/mlflow: building $VENV (requirements changed or venv missing)" >&2
    start=$SECONDS
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ"
    echo "$hash" > "$VENV/.requirements.sha256"
    echo "tests/mlflow: venv built in $((SECONDS - start)) s" >&2
fi

export MLFLOW_COMPAT_TARGET="${MLFLOW_COMPAT_TARGET:-sextant}"
cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"

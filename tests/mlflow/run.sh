#!/usr/bin/env bash
# Runs the MLflow compatibility suite with the real `mlflow` client.
#
#   tests/mlflow/run.sh [pytest args]
#
# Target (env MLFLOW_COMPAT_TARGET):
#   sextant (default)  `sextant serve` from $SEXTANT_BIN (default build/src/sextant)
#   mlflow             a real `mlflow server` from the suite's virtualenv
#
# The virtualenv (in the cache, linked as tests/mlflow/.venv) is (re)built only when it is missing or
# when its requirements or Python changed (scripts/lib/venv.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$REPO/scripts/lib/venv.sh"
VENV="$(venv_cached tests-mlflow "$HERE/requirements.txt")"
venv_ensure tests/mlflow "$VENV" "$HERE/requirements.txt"
venv_link "$VENV" "$HERE/.venv"  # a stable name for running things by hand

export MLFLOW_COMPAT_TARGET="${MLFLOW_COMPAT_TARGET:-sextant}"
cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"

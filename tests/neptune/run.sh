#!/usr/bin/env bash
# Runs the Neptune compatibility suite: the real `neptune-scale` client logs
# to `sextant serve` and the real `neptune-query` reads back.
#
#   tests/neptune/run.sh [pytest args]        e.g. -m "not reads", -k fork, -x -q
#
# The server binary is $SEXTANT_BIN (default build/src/sextant).
# The virtualenv (in the cache, linked as tests/neptune/.venv) is (re)built only when it is missing or
# when its requirements or Python changed (scripts/lib/venv.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$REPO/scripts/lib/venv.sh"
VENV="$(venv_cached tests-neptune "$HERE/requirements.txt")"
venv_ensure tests/neptune "$VENV" "$HERE/requirements.txt"
venv_link "$VENV" "$HERE/.venv"  # a stable name for running things by hand

cd "$HERE"
exec "$VENV/bin/python" -m pytest "$@"

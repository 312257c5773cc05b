#!/usr/bin/env bash
# Runs the importer and export suite: inputs written by the real tools are
# imported into `sextant serve` with `python -m sextant import …` and read back.
#
#   tests/importers/run.sh [pytest args]        e.g. -k tensorboard -x -q
#
# The server binary is $SEXTANT_BIN (default build/src/sextant). The
# virtualenv (in the cache, linked as tests/importers/.venv) is (re)built only when it is missing or
# when its requirements or Python changed (scripts/lib/venv.sh); the
# package under test is put on PYTHONPATH from the source tree.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
source "$REPO/scripts/lib/venv.sh"
VENV="$(venv_cached tests-importers "$HERE/requirements.txt")"
venv_ensure tests/importers "$VENV" "$HERE/requirements.txt"
venv_link "$VENV" "$HERE/.venv"  # a stable name for running things by hand

cd "$HERE"
export PYTHONPATH="$REPO/clients/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$VENV/bin/python" -m pytest "$@"

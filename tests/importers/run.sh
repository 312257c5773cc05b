#!/usr/bin/env bash
# Runs the importer and export suite: inputs written by the real tools are
# imported into `sextant serve` with `python -m sextant import …` and read back.
#
#   tests/importers/run.sh [pytest args]        e.g. -k tensorboard -x -q
#
# The server binary is $SEXTANT_BIN (default build/src/sextant). The
# virtualenv tests/importers/.venv is (re)built only when it is missing or
# when a requirements file changed (their sha256 is kept in the venv); the
# package under test is put on PYTHONPATH from the source tree.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3}"
REQ="$HERE/requirements.txt"
LOCKS=("$REPO/bench/peers/requirements/mlflow.txt" "$REPO/bench/peers/requirements/tensorboard.txt"
       "$REPO/bench/peers/requirements/wandb.txt")

hash="$(cat "$REQ" "${LOCKS[@]}" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$hash" ]]; then
    echo "tests/importers: building $VENV (requirements changed or venv missing)" >&2
    start=$SECONDS
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQ"
    echo "$hash" > "$VENV/.requirements.sha256"
    echo "tests/importers: venv built in $((SECONDS - start)) s" >&2
fi

cd "$HERE"
export PYTHONPATH="$REPO/clients/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$VENV/bin/python" -m pytest "$@"

#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test: the C++ unit
# tests (ctest) and the end-to-end tests against the real server (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt

echo "== C++ unit tests"
(cd build && ctest --output-on-failure -j2 --timeout 600)

echo "== end-to-end tests"
SEXTANT_BIN="$PWD/build/src/sextant" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

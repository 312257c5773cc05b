#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test: the C++ unit
# tests (ctest), again under ASan + UBSan, a short libFuzzer run of every
# harness, the web UI (Vitest, and playwright-core driving Debian's
# chromium against the real server), the end-to-end and SDK tests (pytest)
# the MLflow compatibility suite (the real mlflow client, tests/mlflow/), the
# Neptune compatibility suite (neptune-scale and neptune-query, tests/neptune/)
# and the importer suite (inputs written by mlflow, tensorboardX, wandb,
# pyarrow; tests/importers/), and the S3-compatible file store against a real
# MinIO (scripts/minio.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each section says how long the run has taken so far, so a slow step shows.
suite_start=$SECONDS
section() { printf '== %s   [at %d min %02d s]\n' "$*" $(((SECONDS - suite_start) / 60)) $(((SECONDS - suite_start) % 60)); }

section "install and build (scripts/bootstrap.sh)"
scripts/bootstrap.sh

# The browser for the UI's end-to-end tests: Debian's chromium, driven by playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# The load balancer in front of several replicas (tests/e2e/test_nginx.py): Debian's nginx.
if [ ! -x /usr/sbin/nginx ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi

# The fuzz build (scripts/fuzz.sh): clang-14 and its libFuzzer runtime.
fuzz_missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || fuzz_missing+=("$p")
done
if ((${#fuzz_missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${fuzz_missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Editable: the SDK's optional C accelerator is built in the source tree,
# which the SDK tests import ahead of any installed copy.
.venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt \
  -r clients/python/tests/requirements.txt -e ./clients/python

section "C++ unit tests"
(cd build && ctest --output-on-failure -j2 --timeout 600)

section "C++ unit tests under AddressSanitizer + UBSan"
scripts/sanitize.sh

FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
section "fuzzing ($FUZZ_SECONDS s per harness)"
scripts/fuzz.sh "$FUZZ_SECONDS"
section "fuzzing the Python importers' decoders ($FUZZ_SECONDS s per harness, atheris)"
scripts/fuzz_python.sh "$FUZZ_SECONDS"

section "web UI unit tests"
npm --prefix web test --silent

section "web UI end-to-end tests (chromium)"
SEXTANT_BIN="$PWD/build/src/sextant" npm --prefix web run test:e2e --silent

section "Python SDK tests (against the real server), with the compiled accelerator"
SEXTANT_REQUIRE_ACCEL=1 SEXTANT_BIN="$PWD/build/src/sextant" .venv/bin/python -m pytest clients/python/tests -q
section "... and on the pure-Python path"
SEXTANT_PURE_PYTHON=1 SEXTANT_BIN="$PWD/build/src/sextant" .venv/bin/python -m pytest clients/python/tests -q

section "MLflow compatibility: the real mlflow client against the server"
SEXTANT_BIN="$PWD/build/src/sextant" tests/mlflow/run.sh -q -p no:cacheprovider

section "... and the same checks against a real mlflow server (the reference)"
MLFLOW_COMPAT_TARGET=mlflow tests/mlflow/run.sh -q -p no:cacheprovider

section "Neptune compatibility: the real neptune-scale and neptune-query clients against the server"
SEXTANT_BIN="$PWD/build/src/sextant" tests/neptune/run.sh -q -p no:cacheprovider

section "the cached-virtualenv helper the peer and importer suites use (offline self-test)"
scripts/lib/venv_test.sh
section "importers and export: inputs written by the real tools (tests/importers/)"
SEXTANT_BIN="$PWD/build/src/sextant" tests/importers/run.sh -q -p no:cacheprovider

section "end-to-end tests"
SEXTANT_BIN="$PWD/build/src/sextant" .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider

section "scale-out configuration: PostgreSQL (Debian's) for runs, MinIO (pinned, built once from the Go module proxy, cached in ~/.cache/sextant/minio/) for files"
minio_dir="$(mktemp -d)"
pg_dir="$(mktemp -d)"
trap 'scripts/minio.sh stop "$minio_dir"; scripts/postgres.sh stop "$pg_dir"' EXIT
# Assigned first, so that a server that fails to start fails the run here.
minio_vars="$(scripts/minio.sh start "$minio_dir")"
eval "$minio_vars"
pg_vars="$(scripts/postgres.sh start "$pg_dir")"
eval "$pg_vars"
: "${SEXTANT_TEST_S3:?scripts/minio.sh did not say where MinIO is}" "${SEXTANT_TEST_POSTGRES:?scripts/postgres.sh did not say where PostgreSQL is}"
echo "   the BlobStore contract over S3"
build/src/blobs_test --gtest_filter='Stores/BlobStoreConformance.*/s3' --gtest_brief=1
echo "   the Backend and access-store contracts over PostgreSQL"
build/src/storage_test --gtest_filter='Backends/*/postgres' --gtest_brief=1
echo "   every end-to-end test with runs in PostgreSQL and files in the bucket"
SEXTANT_TEST_STORE="$SEXTANT_TEST_POSTGRES" SEXTANT_TEST_FILES="$SEXTANT_TEST_S3" SEXTANT_BIN="$PWD/build/src/sextant" \
  .venv/bin/python -m pytest tests/e2e -q -p no:cacheprovider
echo "   the Python SDK tests with runs in PostgreSQL and files in the bucket"
SEXTANT_TEST_STORE="$SEXTANT_TEST_POSTGRES" SEXTANT_TEST_FILES="$SEXTANT_TEST_S3" SEXTANT_BIN="$PWD/build/src/sextant" \
  .venv/bin/python -m pytest clients/python/tests -q -p no:cacheprovider
echo "   the Neptune compatibility tests with runs, accounts and upload records in PostgreSQL"
SEXTANT_TEST_STORE="$SEXTANT_TEST_POSTGRES" SEXTANT_BIN="$PWD/build/src/sextant" \
  tests/neptune/run.sh -q -p no:cacheprovider
scripts/postgres.sh stop "$pg_dir"
scripts/minio.sh stop "$minio_dir"

section "side-by-side benchmark, smoke sizes (every peer's adapter still works)"
SEXTANT_BIN="$PWD/build/src/sextant" python3 bench/peers/run.py --smoke
section "done"

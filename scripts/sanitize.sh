#!/usr/bin/env bash
# Builds the C++ unit tests with AddressSanitizer + UBSan (SEXTANT_SANITIZE;
# gcc, -O0 and line tables only, to build quickly) in build-asan/ and runs
# them with ctest. Any report (an overflow, a use after free, a leak,
# undefined behaviour) fails the test it came from.
# Usage: scripts/sanitize.sh [ctest args...]   (e.g. -R Chunk)
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1" -DSEXTANT_SANITIZE=ON >/dev/null
# Only the unit test binaries (`*_test`), not the server or the benchmarks.
mapfile -t tests < <(ninja -C build-asan -t targets all |
                     sed -n 's/^\([a-z0-9_]*_test\): phony$/\1/p' | grep -v '^cmake_')
if ! ninja -C build-asan "${tests[@]}" >build-asan/build.log 2>&1; then
  grep -v '^\[' build-asan/build.log | tail -n 80
  exit 1
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The benchmark smoke test needs the server binary; it is not a unit test.
(cd build-asan && ctest --output-on-failure -j2 --timeout 900 -LE bench "$@")

#!/usr/bin/env bash
# Builds the libFuzzer harnesses (src/**/*_fuzz.cc, clang-14 with ASan and
# UBSan) in build-fuzz/ and runs each for a bounded time on a copy of its
# seed corpus (fuzz/corpus/<name>/, never grown by this script), with its
# dictionary (fuzz/dict/<name>.dict) if there is one. Exits non-zero if any
# harness crashes, leaks or times out, naming the input that did it.
# Usage: scripts/fuzz.sh [seconds-per-harness] [harness...]   (default 20, all)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DSEXTANT_FUZZ=ON >/dev/null
if ! ninja -C build-fuzz fuzzers >build-fuzz/build.log 2>&1; then
  grep -v '^\[' build-fuzz/build.log | tail -n 80
  exit 1
fi

if (($#)); then
  harnesses=("$@")
else
  mapfile -t harnesses < <(grep -v '^$' build-fuzz/fuzzers.txt)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="$PWD/build-fuzz/artifacts"
failed=0
for name in "${harnesses[@]}"; do
  bin="build-fuzz/fuzz/${name}_fuzz"
  corpus="$work/$name"
  mkdir -p "$corpus" "$artifacts/$name"
  if [ -d "fuzz/corpus/$name" ]; then
    cp -r "fuzz/corpus/$name/." "$corpus/"
  else
    echo "warning: no seed corpus in fuzz/corpus/$name" >&2
  fi
  dict=()
  [ -f "fuzz/dict/$name.dict" ] && dict=(-dict="fuzz/dict/$name.dict")
  log="$work/$name.log"
  start=$SECONDS
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name/" "${dict[@]}" "$corpus" >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    echo "$name: ok, ${runs:-?} inputs in $((SECONDS - start)) s"
  else
    failed=1
    echo "$name: FAILED after $((SECONDS - start)) s; the end of its log:"
    grep -v -e '^#[0-9]' -e 'NEW_FUNC' "$log" | tail -n 60
    # libFuzzer prints "Test unit written to <path>" for the input that failed.
    sed -n 's/.*Test unit written to \(.*\)$/crashing input: \1/p' "$log"
  fi
done
exit "$failed"

#!/usr/bin/env bash
# Runs the atheris harnesses of the Python importers' decoders
# (fuzz/python/*_fuzz.py) for a bounded time each, on a copy of its seed
# corpus (fuzz/python/corpus/<name>/, never grown by this script), with its
# dictionary (fuzz/python/dict/<name>.dict) if there is one, in the
# importer suite's cached venv (tests/importers/requirements.txt pins
# atheris). Exits non-zero if any harness crashes, raises an exception its
# decoder's contract does not allow (fuzz/python/_common.py), runs out of
# memory or hangs, naming the input that did it.
# Usage: scripts/fuzz_python.sh [seconds-per-harness] [harness...]   (default 20, all)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true

source scripts/lib/venv.sh
venv="$(venv_cached tests-importers tests/importers/requirements.txt)"
venv_ensure tests/importers "$venv" tests/importers/requirements.txt
venv_link "$venv" tests/importers/.venv
py="$venv/bin/python"

if (($#)); then
  harnesses=("$@")
else
  harnesses=()
  for f in fuzz/python/*_fuzz.py; do
    n="$(basename "$f" .py)"
    harnesses+=("${n%_fuzz}")
  done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="$PWD/build-fuzz/python-artifacts"
failed=0
for name in "${harnesses[@]}"; do
  script="fuzz/python/${name}_fuzz.py"
  if [ ! -f "$script" ]; then
    echo "$name: no harness $script" >&2
    failed=1
    continue
  fi
  corpus="$work/$name"
  mkdir -p "$corpus" "$artifacts/$name"
  if [ -d "fuzz/python/corpus/$name" ]; then
    cp -r "fuzz/python/corpus/$name/." "$corpus/"
  else
    echo "warning: no seed corpus in fuzz/python/corpus/$name" >&2
  fi
  dict=()
  [ -f "fuzz/python/dict/$name.dict" ] && dict=(-dict="fuzz/python/dict/$name.dict")
  log="$work/$name.log"
  mkdir -p "$work/tmp"
  start=$SECONDS
  # timeout(1) only backs up libFuzzer's own limits (imports take a few seconds).
  if PYTHONPATH="$PWD/clients/python" TMPDIR="$work/tmp" timeout -k 10 $((seconds + 120)) "$py" "$script" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name/" "${dict[@]}" "$corpus" >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
    echo "$name: ok, ${runs:-?} inputs in $((SECONDS - start)) s"
  else
    failed=1
    echo "$name: FAILED after $((SECONDS - start)) s; the end of its log:"
    grep -v -e '^#[0-9]' -e 'NEW_FUNC' -e '^INFO:' "$log" | tail -n 60
    sed -n 's/.*Test unit written to \(.*\)$/crashing input: \1/p' "$log"
  fi
done
exit "$failed"

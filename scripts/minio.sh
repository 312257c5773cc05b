#!/usr/bin/env bash
# A real S3-compatible server for the tests: MinIO, built from the Go module
# proxy at a pinned version and cached under ~/.cache/sextant/minio/<version>/
# ($SEXTANT_CACHE; outside the checkout, so a fresh clone on a warm machine
# skips the build), started on a free loopback port in a
# temporary folder, with one bucket.
#
#   eval "$(scripts/minio.sh start DIR)"   # prints the settings below, and
#                                          # MINIO_PID; logs in DIR/minio.log
#   scripts/minio.sh stop DIR
#
# Prints: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
# SEXTANT_TEST_S3=s3://sextant-test?endpoint=http://127.0.0.1:PORT
set -euo pipefail
cd "$(dirname "$0")/.."

# github.com/minio/minio publishes RELEASE tags, which the module proxy serves
# as this pseudo-version (RELEASE.2026-02-12).
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
source scripts/lib/cache.sh
CACHE="$(sextant_cache_dir)/minio/$MINIO_VERSION"
BIN="$CACHE/minio"
BUCKET="sextant-test"
USER_KEY="sextant-test-key"
SECRET_KEY="sextant-test-secret-$(id -u)"

build() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || { echo "scripts/minio.sh: Go is needed to build MinIO" >&2; exit 1; }
  echo "building MinIO $MINIO_VERSION (once; cached in $CACHE)" >&2
  local tmp="$CACHE.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION" >&2
  mv "$tmp/minio" "$tmp/minio.ok" && mkdir -p "$CACHE" && mv "$tmp/minio.ok" "$BIN" && rm -rf "$tmp"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1"
  build
  mkdir -p "$dir/data"
  local port console
  port="$(free_port)"
  console="$(free_port)"
  MINIO_ROOT_USER="$USER_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" MINIO_BROWSER=off \
    MINIO_UPDATE=off MINIO_CI_CD=1 \
    "$BIN" server "$dir/data" --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" \
    >"$dir/minio.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/minio.pid"
  local url="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$url/minio/health/ready" 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "scripts/minio.sh: MinIO exited during startup:" >&2
      tail -n 30 "$dir/minio.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  # The bucket, made with curl's own AWS signing. MinIO can answer 503
  # (server not initialized) for a while after it says ready on a loaded
  # machine, so this retries for up to a minute.
  local made=0
  for _ in $(seq 1 120); do
    if curl -fsS -o "$dir/bucket.out" -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$USER_KEY:$SECRET_KEY" \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        "$url/$BUCKET" 2>"$dir/bucket.err"; then
      made=1
      break
    fi
    sleep 0.5
  done
  if ((!made)); then
    echo "scripts/minio.sh: could not create the bucket: $(cat "$dir/bucket.err")" >&2
    tail -n 30 "$dir/minio.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  cat <<VARS
export AWS_ACCESS_KEY_ID='$USER_KEY' AWS_SECRET_ACCESS_KEY='$SECRET_KEY' AWS_REGION=us-east-1
export SEXTANT_TEST_S3='s3://$BUCKET?endpoint=$url' MINIO_PID=$pid
VARS
}

stop() {
  local dir="$1"
  [ -f "$dir/minio.pid" ] || return 0
  kill "$(cat "$dir/minio.pid")" 2>/dev/null || true
  rm -f "$dir/minio.pid"
}

case "${1:-}" in
  build) build ;;
  start) start "${2:?usage: scripts/minio.sh start DIR}" ;;
  stop) stop "${2:?usage: scripts/minio.sh stop DIR}" ;;
  *) echo "usage: scripts/minio.sh build | start DIR | stop DIR" >&2; exit 2 ;;
esac

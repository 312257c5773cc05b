#!/usr/bin/env bash
# A real PostgreSQL server for the tests, from Debian's packages (installed
# here when missing): a fresh cluster in a temporary folder, on a free
# loopback port, owned by an unprivileged user (the `postgres` account when
# run as root: PostgreSQL refuses to run as root).
#
#   eval "$(scripts/postgres.sh start DIR)"   # prints the setting below and
#                                             # PG_DIR; logs in DIR/postgres.log
#   scripts/postgres.sh stop DIR
#
# Prints SEXTANT_TEST_POSTGRES=postgresql://sextant@127.0.0.1:PORT/sextant
# (trust authentication on loopback: a throwaway server).
set -euo pipefail

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing PostgreSQL from Debian's packages" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
    d="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  echo "$d"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local dir bin port
  dir="$(realpath -m "$1")"
  bin="$(bindir)"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U sextant --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  port="$(free_port)"
  # Throwaway data: no fsync. Many servers start during the suites, each with
  # a writer and a pool of readers.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=128MB" \
    start >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U sextant sextant
  echo "export SEXTANT_TEST_POSTGRES=postgresql://sextant@127.0.0.1:$port/sextant"
  echo "export PG_DIR=$dir"
}

stop() {
  local dir bin
  dir="$(realpath -m "$1")"
  bin="$(bindir)"
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

case "${1:-}" in
  start) start "${2:?usage: scripts/postgres.sh start DIR}" ;;
  stop) stop "${2:?usage: scripts/postgres.sh stop DIR}" ;;
  *) echo "usage: scripts/postgres.sh start|stop DIR" >&2; exit 2 ;;
esac

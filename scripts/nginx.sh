#!/usr/bin/env bash
# A real load balancer for the tests: Debian's nginx (nginx-light, installed
# here when missing) in front of several `sextant serve` replicas, with a
# config generated in a temporary folder (pid, logs and temporary files all
# inside it; /etc/nginx is not read), on a free loopback port. The settings
# are those docs/deploy.md recommends, without TLS.
#
#   url="$(scripts/nginx.sh start DIR [PORT_FILE] HOST:PORT...)"
#                               # prints http://127.0.0.1:PORT; the port is
#                               # also written to PORT_FILE when given;
#                               # logs in DIR/error.log and DIR/access.log
#   scripts/nginx.sh stop DIR
set -euo pipefail

nginx_bin() {
  local b
  b="$(command -v nginx || true)"
  [ -z "$b" ] && [ -x /usr/sbin/nginx ] && b=/usr/sbin/nginx
  if [ -z "$b" ]; then
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing nginx from Debian's packages" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx-light >&2
    b=/usr/sbin/nginx
  fi
  echo "$b"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The config: one upstream of every replica, one server on 127.0.0.1:$port.
config() {
  local dir="$1" port="$2"
  shift 2
  # As root, nginx would run its workers as `nobody`, who cannot reach a
  # private temporary folder.
  [ "$(id -u)" -eq 0 ] && echo "user root root;"
  cat <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections 1024; }

http {
    log_format upstream '\$remote_addr "\$request" \$status \$body_bytes_sent '
                        'upstream=\$upstream_addr (\$upstream_status) \$request_time s';
    access_log $dir/access.log upstream;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    upstream sextant {
        zone sextant 64k;            # one view of failed replicas for all workers
CONF
  local u
  for u in "$@"; do echo "        server $u;"; done
  cat <<CONF
        keepalive 32;                # idle HTTP/1.1 connections kept to the replicas
    }

    server {
        listen 127.0.0.1:$port;
        client_max_body_size 100g;   # the largest upload: sextant serve --max-file-gb (default 100)
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;  # as the client sent it, port included
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_buffering off;         # live updates (server-sent events)
        proxy_read_timeout 5m;       # an idle event stream sends a comment every 15 s
        proxy_next_upstream error timeout http_502 http_503;
        # Which replica answered, for the tests (not in docs/deploy.md).
        add_header X-Sextant-Upstream \$upstream_addr always;

        location / {
            proxy_pass http://sextant;
        }
        # Creating runs, logging, reading: safe to send again to another
        # replica after one died with the request (see docs/deploy.md).
        location /api/v1/projects/ {
            proxy_pass http://sextant;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            # Uploads go straight through instead of being spooled here first.
            location ~ ^/api/v1/projects/[^/]+/[^/]+/runs/.+/files/ {
                proxy_pass http://sextant;
                proxy_request_buffering off;
            }
        }
    }
}
CONF
}

start() {
  local dir="$1"
  shift
  local port_file=""
  # PORT_FILE: a path without ':', which every HOST:PORT has.
  if [ $# -gt 0 ] && [[ "$1" != *:* ]]; then
    port_file="$1"
    shift
  fi
  [ $# -gt 0 ] || { echo "scripts/nginx.sh: no upstream HOST:PORT given" >&2; exit 2; }
  local u
  for u in "$@"; do
    [[ "$u" =~ ^[^/[:space:]]+:[0-9]+$ ]] || { echo "scripts/nginx.sh: upstream '$u' is not HOST:PORT" >&2; exit 2; }
  done
  local bin port
  bin="$(nginx_bin)"
  dir="$(realpath -m "$dir")"
  mkdir -p "$dir/tmp"
  port="$(free_port)"
  config "$dir" "$port" "$@" >"$dir/nginx.conf"
  # -e: where errors go until the config is read (otherwise a path Debian's
  # build chose, or stderr).
  if ! "$bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/error.log"; then
    echo "scripts/nginx.sh: nginx did not start:" >&2
    tail -n 20 "$dir/error.log" >&2
    exit 1
  fi
  # The master binds the port before it detaches, so it is listening now.
  [ -n "$port_file" ] && echo "$port" >"$port_file"
  echo "http://127.0.0.1:$port"
}

stop() {
  local dir pid
  dir="$(realpath -m "$1")"
  [ -f "$dir/nginx.pid" ] || return 0
  pid="$(cat "$dir/nginx.pid")"
  # TERM: a fast shutdown, which does not wait for open event streams.
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "scripts/nginx.sh: nginx ($pid) still running after 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start "${2:?usage: scripts/nginx.sh start DIR [PORT_FILE] HOST:PORT...}" "${@:3}" ;;
  stop) stop "${2:?usage: scripts/nginx.sh stop DIR}" ;;
  *) echo "usage: scripts/nginx.sh start DIR [PORT_FILE] HOST:PORT... | stop DIR" >&2; exit 2 ;;
esac

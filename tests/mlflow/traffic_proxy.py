"""A tiny logging reverse proxy for looking at what the mlflow client sends.

    python traffic_proxy.py LISTEN_PORT UPSTREAM_PORT LOG.jsonl

Forwards every request to 127.0.0.1:UPSTREAM_PORT and appends one JSON line
per exchange to LOG.jsonl: method, path, query, the request headers that
matter, the request body (JSON parsed, else its size and first bytes), the
response status, Content-Type and body (JSON parsed and truncated, else size).

A request to /__flow__/NAME is not forwarded: it writes a marker line
{"flow": NAME} so that a driving script can label what follows.

The suite itself does not use it; the conftest starts it in front of the
target when MLFLOW_COMPAT_TRAFFIC_LOG=/path/log.jsonl is set. Loopback only.
"""
from __future__ import annotations

import http.client
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEEP_HEADERS = ("content-type", "content-length", "authorization", "transfer-encoding",
                "user-agent", "accept-encoding")
MAX_JSON_CHARS = 6000


def _shorten(obj, depth=0):
    """Lists longer than 5 items keep 3 and a count, strings longer than 300
    chars are cut."""
    if isinstance(obj, dict):
        return {k: _shorten(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list):
        if len(obj) > 5:
            return [_shorten(x, depth + 1) for x in obj[:3]] + [f"... {len(obj) - 3} more"]
        return [_shorten(x, depth + 1) for x in obj]
    if isinstance(obj, str) and len(obj) > 300:
        return obj[:300] + f"...({len(obj)} chars)"
    return obj


def _body_repr(data: bytes, ctype: str | None):
    if not data:
        return None
    try:
        return {"json": _shorten(json.loads(data))}
    except Exception:  # noqa: BLE001
        return {"bytes": len(data), "head": data[:80].decode("latin-1")}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port = 0
    log_path = ""
    lock = threading.Lock()

    def log_message(self, *a):  # silence stderr access log
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _write(self, rec: dict) -> None:
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def _handle(self):
        body = self._read_body()
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/__flow__/"):
            self._write({"flow": urllib.parse.unquote(url.path[len("/__flow__/"):])})
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "connection", "transfer-encoding", "content-length")}
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=600)
        try:
            conn.request(self.command, self.path, body=body if body or self.command in
                         ("POST", "PUT", "PATCH") else None, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            status, rheaders = r.status, r.getheaders()
        finally:
            conn.close()
        self.send_response(status)
        for k, v in rheaders:
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "date",
                                 "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        rct = dict((k.lower(), v) for k, v in rheaders).get("content-type")
        self._write({
            "method": self.command,
            "path": url.path,
            "query": urllib.parse.parse_qs(url.query, keep_blank_values=True) if url.query else None,
            "req_headers": {k: v for k, v in self.headers.items() if k.lower() in KEEP_HEADERS},
            "req_body": _body_repr(body, self.headers.get("Content-Type")),
            "status": status,
            "resp_content_type": rct,
            "resp_body": _body_repr(data, rct),
        })

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


def serve(listen_port: int, upstream_port: int, log_path: str) -> ThreadingHTTPServer:
    handler = type("BoundProxy", (Proxy,), {"upstream_port": upstream_port, "log_path": log_path})
    srv = ThreadingHTTPServer(("127.0.0.1", listen_port), handler)
    srv.daemon_threads = True
    return srv


if __name__ == "__main__":
    listen, upstream, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve(listen, upstream, log).serve_forever()

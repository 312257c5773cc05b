"""Helpers for the end-to-end tests: start/stop the real `sextant` binary and
talk to it over HTTP/1.1 with the standard library only.

Everything here talks to 127.0.0.1 only.
"""
from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))
# s3://bucket?endpoint=…: every server keeps its files there instead of in its
# data folder, each under a prefix of its own (the S3 step of the test command).
FILES = os.environ.get("SEXTANT_TEST_FILES", "")


def files_args() -> list[str]:
    """`--files` for a new server: its own prefix in SEXTANT_TEST_FILES."""
    if not FILES:
        return []
    base, _, query = FILES.partition("?")
    prefix = "srv-" + os.urandom(6).hex()
    return ["--files", f"{base.rstrip('/')}/{prefix}" + (f"?{query}" if query else "")]


# postgresql://…: every server keeps its runs in that database instead of its
# data folder's SQLite file, each in a schema of its own (the PostgreSQL step
# of the test command).
STORE = os.environ.get("SEXTANT_TEST_STORE", "")


def store_args() -> list[str]:
    """`--store` for a new server: its own schema in SEXTANT_TEST_STORE."""
    if not STORE:
        return []
    schema = "srv_" + os.urandom(6).hex()
    sep = "&" if "?" in STORE else "?"
    return ["--store", f"{STORE}{sep}options=-csearch_path%3D{schema}"]


# Data folder -> the `--store` of the server on it: with runs in PostgreSQL
# the accounts live there too, so the account commands need the same store.
_STORES: dict[Path, list[str]] = {}


def cli_store_args(data_dir) -> list[str]:
    """`--store` for a `sextant` account command on a test server's data."""
    return list(_STORES.get(Path(data_dir).resolve(), []))


API = "/api/v1"
HEALTH_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 120.0

_MISSING = object()


# --------------------------------------------------------------------------
# JSON: strict (no bare NaN/Infinity from the server), "-0" keeps its sign.

def _reject_constant(name: str):
    raise ValueError(f"server sent non-standard JSON constant {name!r}")


def _parse_int(s: str):
    return -0.0 if s == "-0" else int(s)


def loads(body: bytes | str, exact: bool = False) -> Any:
    """Parses a response body. With exact=True, non-integral numbers become
    Decimal so that exact printing of steps can be checked."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    kw = {"parse_float": Decimal} if exact else {}
    return json.loads(body, parse_constant=_reject_constant, parse_int=_parse_int, **kw)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=False, separators=(",", ":")).encode("utf-8")


def fval(x: Any) -> float:
    """A float as the API sends it: a number or "NaN"/"Infinity"/"-Infinity"."""
    if isinstance(x, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[x]
    assert isinstance(x, (int, float)) and not isinstance(x, bool), f"not a float value: {x!r}"
    return float(x)


def jfloat(v: float) -> Any:
    """A Python float in the API's JSON form."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def same_float(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def q(s: str, safe: str = "/") -> str:
    return urllib.parse.quote(s, safe=safe)


# --------------------------------------------------------------------------
# HTTP client

class Resp:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        self._json = _MISSING

    @property
    def json(self) -> Any:
        if self._json is _MISSING:
            try:
                self._json = loads(self.body)
            except Exception as e:  # noqa: BLE001
                raise AssertionError(
                    f"response {self.status} is not valid JSON ({e}): {self.body[:500]!r}") from None
        return self._json

    def exact(self) -> Any:
        return loads(self.body, exact=True)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def __repr__(self) -> str:
        return f"<Resp {self.status} {self.body[:300]!r}>"


class Client:
    """A tiny HTTP client. One connection per request unless `conn` is given
    (see `connection()`), which makes it safe to share between threads."""

    def __init__(self, server: "Server", timeout: float = REQUEST_TIMEOUT_S,
                 token: str | None = None):
        self.server = server
        self.timeout = timeout
        self.token = token  # sent as Authorization: Bearer

    def as_token(self, token: str | None) -> "Client":
        """The same server, with another API token (None: anonymous)."""
        return Client(self.server, self.timeout, token)

    @property
    def port(self) -> int:
        return self.server.port

    def connection(self, timeout: float | None = None) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout or self.timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, conn: http.client.HTTPConnection | None = None,
                prefix: bool = True) -> Resp:
        target = (API + path) if prefix else path
        own = conn is None
        c = conn or self.connection()
        try:
            hdrs = dict(headers or {})
            if self.token and "Authorization" not in hdrs:
                hdrs["Authorization"] = f"Bearer {self.token}"
            c.request(method, target, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return Resp(r.status, r.headers, data)
        finally:
            if own:
                c.close()

    def get(self, path: str, headers: dict | None = None, **kw) -> Resp:
        return self.request("GET", path, headers=headers, **kw)

    def post(self, path: str, json: Any = _MISSING, raw: bytes | None = None,
             headers: dict | None = None, **kw) -> Resp:
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        body = raw if raw is not None else (b"" if json is _MISSING else dumps(json))
        return self.request("POST", path, body=body, headers=hdrs, **kw)

    def put(self, path: str, data: bytes, headers: dict | None = None, **kw) -> Resp:
        hdrs = {"Content-Type": "application/octet-stream"}
        hdrs.update(headers or {})
        return self.request("PUT", path, body=data, headers=hdrs, **kw)

    # --- domain helpers ---------------------------------------------------

    def health(self, timeout: float = 5.0) -> Resp:
        c = self.connection(timeout=timeout)
        try:
            return self.request("GET", "/health", conn=c)
        finally:
            c.close()

    def create_run(self, project: str, run_id: str | None = None, expect=(200, 201), **fields) -> dict:
        body = dict(fields)
        if run_id is not None:
            body["run_id"] = run_id
        r = self.post(f"/projects/{project}/runs", body)
        assert r.status in expect, r
        return r.json

    def log(self, project: str, run_id: str, batch: dict, expect: int | None = 200) -> Resp:
        r = self.post(f"/projects/{project}/runs/{q(run_id)}/log", batch)
        if expect is not None:
            assert r.status == expect, r
        return r

    def series(self, project: str, body: dict, expect: int | None = 200) -> Resp:
        r = self.post(f"/projects/{project}/series", body)
        if expect is not None:
            assert r.status == expect, r
        return r

    def read_all(self, project: str, run_id: str, path: str, page: int = 100_000,
                 **extra) -> dict:
        """Every raw point of one series, following next_after_step."""
        steps, values, ts = [], [], []
        after = None
        typ = None
        for _ in range(10_000):
            body = {"runs": [run_id], "path": path, "limit": page, **extra}
            if after is not None:
                body["after_step"] = after
            s = self.series(project, body).json["series"]
            assert len(s) == 1, s
            s = s[0]
            assert s["run_id"] == run_id
            typ = s.get("type", typ)
            steps += s["steps"]
            values += s["values"]
            ts += s.get("timestamps", [])
            after = s.get("next_after_step")
            if after is None:
                break
        return {"type": typ, "steps": steps, "values": values, "timestamps": ts}

    def pages(self, path: str, key: str, limit: int | None = None, max_pages: int = 100_000,
              **params: str) -> list[list]:
        """Every page of a paged list (`key` in each response), following
        next_page_token until it is null. Returns the pages' items."""
        pages: list[list] = []
        token = None
        for _ in range(max_pages):
            query = dict(params)
            if limit is not None:
                query["limit"] = str(limit)
            if token is not None:
                query["page_token"] = token
            target = path + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
                             if query else "")
            r = self.get(target)
            assert r.status == 200, r
            body = r.json
            assert "next_page_token" in body, f"no next_page_token in {body!r:.300}"
            pages.append(body[key])
            token = body["next_page_token"]
            if token is None:
                return pages
            assert isinstance(token, str) and token, body
        raise AssertionError(f"{path}: still a next_page_token after {max_pages} pages")

    def attributes(self, project: str, run_id: str, pattern: str | None = None) -> dict:
        """Every attribute of a run by path (all pages)."""
        extra = {} if pattern is None else {"pattern": pattern}
        pages = self.pages(f"/projects/{project}/runs/{q(run_id)}/attributes", "attributes",
                           limit=10_000, **extra)
        return {a["path"]: a for page in pages for a in page}


# The error codes native.md documents, with their HTTP statuses.
ERROR_CODES = {"invalid_argument": 400, "not_found": 404, "method_not_allowed": 405,
               "request_timeout": 408, "conflict": 409, "payload_too_large": 413,
               "unsupported_media_type": 415, "range_not_satisfiable": 416,
               "headers_too_large": 431, "unavailable": 503, "internal": 500,
               "not_implemented": 501, "http_version_not_supported": 505}


def assert_error(r: Resp, status: int, code: str | Iterable[str] | None = None,
                 documented: bool = True) -> dict:
    """Checks the documented error shape {"error": {"code", "message"}}; the
    code must be one native.md lists (and match the HTTP status)."""
    assert r.status == status, f"expected HTTP {status}, got {r!r}"
    body = r.json
    assert isinstance(body, dict) and set(body) == {"error"}, f"bad error body: {body!r}"
    err = body["error"]
    assert isinstance(err, dict), body
    assert isinstance(err.get("code"), str), body
    if code is None and documented:
        assert err["code"] in ERROR_CODES and ERROR_CODES[err["code"]] == status, \
            f"undocumented error code for HTTP {status}: {err!r}"
    assert isinstance(err.get("message"), str) and err["message"].strip(), body
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert err["code"] in codes, f"expected code {codes}, got {err!r}"
    return err


# --------------------------------------------------------------------------
# Server process

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One `sextant serve` process on a data folder; restartable."""

    def __init__(self, data_dir: Path, log_path: Path, extra_args: Iterable[str] = ()):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.extra_args = list(extra_args)
        self.files_args = files_args() + store_args()  # kept across restarts
        args = self.files_args + self.extra_args  # serve takes the last --store
        stores = [i for i, a in enumerate(args[:-1]) if a == "--store"]
        if stores:
            _STORES[self.data_dir.resolve()] = args[stores[-1]:stores[-1] + 2]
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.client = Client(self)
        self.starts = 0

    def start(self, timeout: float = HEALTH_TIMEOUT_S) -> "Server":
        assert self.proc is None, "already running"
        if not os.path.exists(BIN):
            raise RuntimeError(f"sextant binary not found at {BIN} (set SEXTANT_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts} on port {self.port} =====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", str(self.data_dir), "--host", HOST,
             "--port", str(self.port), *self.files_args, *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"sextant exited with {rc} during startup:\n{self.log_tail()}")
            try:
                r = self.client.health(timeout=2.0)
                if r.status == 200:
                    return self
                last = r
            except OSError as e:
                last = e
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"sextant not healthy after {timeout}s (last: {last!r}):\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int:
        """Sends `sig` and waits; returns the exit code (kills on timeout)."""
        assert self.proc is not None, "not running"
        p = self.proc
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                self.proc = None
                raise AssertionError(f"sextant did not exit {timeout}s after signal {sig}:\n"
                                     f"{self.log_tail()}")
        self.proc = None
        return p.returncode

    def kill(self) -> None:
        """kill -9."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self) -> "Server":
        rc = self.stop()
        assert rc == 0, f"exit code {rc} on SIGTERM:\n{self.log_tail()}"
        return self.start()

    def log_tail(self, n: int = 4000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-n:].decode("utf-8", "replace")


def raw_exchange(port: int, data: bytes, timeout: float = 5.0, read: bool = True,
                 shutdown_write: bool = True) -> bytes:
    """Sends raw bytes on a fresh TCP connection and returns whatever comes
    back before the server closes (or `timeout`). Never raises on resets."""
    out = b""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            try:
                s.sendall(data)
                if shutdown_write:
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if not read:
                return b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, OSError):
                    break
                if not chunk:
                    break
                out += chunk
    except OSError:
        pass
    return out


_STATUS_RE = re.compile(rb"^HTTP/1\.[01] (\d{3})")


def raw_status(resp: bytes) -> int | None:
    m = _STATUS_RE.match(resp)
    return int(m.group(1)) if m else None

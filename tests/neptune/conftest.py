"""Fixtures for the Neptune compatibility suite: the unmodified `neptune-scale`
client logs to `sextant serve` and the unmodified `neptune-query` reads back.

The session starts `$SEXTANT_BIN serve` (default <repo>/build/src/sextant) on a
free port with a fresh data folder. Before it starts, the CLI sets up:

- the owner (`sextant admin init`), whose Sextant API token the tests use to
  read back through the native JSON API (`Native`);
- a Neptune API token for the owner limited to PROJECT (`sextant token create
  --neptune`, which also creates the project): base64 of a JSON object with
  `api_address`, `api_url` (the server URL) and `api_key` (a Sextant token).
  It is exported as NEPTUNE_API_TOKEN with NEPTUNE_PROJECT=PROJECT;
- OTHER_PROJECT, which that token has no access to;
- `viewer`, a user with the viewer role on PROJECT, and `outsider`, a user
  with no role at all, each with a Neptune token for PROJECT.

Runs are opened with `open_run()` and finished with `finish()`, which waits
until the client has every operation confirmed through ingest/check and every
file uploaded. Errors and warnings the client reports through its callbacks
are collected in `NeptuneRun.errors` as (kind, exception) pairs.

Tests that read back through neptune-query carry the `reads` marker
(`run.sh -m "not reads"` runs the write side alone).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HOST = "127.0.0.1"
SEXTANT_BIN = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))
START_TIMEOUT_S = 30.0

WORKSPACE = "compat"
PROJECT = f"{WORKSPACE}/neptune"
OTHER_PROJECT = f"{WORKSPACE}/elsewhere"
PASSWORD = "correct-horse-battery"

# Clients: no stale configuration from the environment; neptune-query gives
# up on a failing endpoint after seconds instead of retrying for an hour.
for _var in ("NEPTUNE_API_TOKEN", "NEPTUNE_PROJECT", "NEPTUNE_MODE", "NEPTUNE_LOG_DIRECTORY",
             "NEPTUNE_VERIFY_SSL", "NEPTUNE_ALLOW_SELF_SIGNED_CERTIFICATE", "NEPTUNE_LOG_FAILURE_ACTION"):
    os.environ.pop(_var, None)
os.environ["NEPTUNE_QUERY_RETRY_SOFT_TIMEOUT"] = "15"
os.environ["NEPTUNE_QUERY_RETRY_HARD_TIMEOUT"] = "45"
os.environ["NEPTUNE_HTTP_REQUEST_TIMEOUT_SECONDS"] = "60"
os.environ["NEPTUNE_DISABLE_COLORS"] = "true"
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")


def pytest_configure(config):
    config.addinivalue_line("markers", "reads: reads back through neptune-query")
    if not os.path.exists(SEXTANT_BIN):
        raise pytest.UsageError(f"sextant binary not found at {SEXTANT_BIN}: build it or set SEXTANT_BIN")


def pytest_report_header(config):
    return f"sextant: {SEXTANT_BIN}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    """A fresh run id / experiment name (valid for Neptune and Sextant)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_neptune_token(url: str, api_key: str) -> str:
    """A Neptune API token as Sextant mints them (for tokens the CLI does not make)."""
    body = {"api_address": url, "api_url": url, "api_key": api_key}
    return base64.b64encode(json.dumps(body).encode()).decode()


def decode_neptune_token(token: str) -> dict:
    return json.loads(base64.b64decode(token))


class Server:
    """`sextant serve` on a fresh data folder, with its accounts and tokens."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.data = workdir / "data"
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: Optional[subprocess.Popen] = None
        self.owner_token = ""        # Sextant API token of the owner (native API)
        self.neptune_token = ""      # Neptune token of the owner, limited to PROJECT
        self.viewer_token = ""       # Neptune token of a viewer of PROJECT
        self.outsider_token = ""     # Neptune token of a user without a role on PROJECT
        self.setup_errors: dict[str, str] = {}
        # SEXTANT_TEST_STORE (postgresql://…): runs, accounts and upload
        # records in a schema of their own there.
        store = os.environ.get("SEXTANT_TEST_STORE", "")
        sep = "&" if "?" in store else "?"
        self.store_args = ["--store", f"{store}{sep}options=-csearch_path%3Dnep_{os.urandom(6).hex()}"] \
            if store else []

    def cli(self, *args: str, stdin: Optional[str] = None) -> str:
        p = subprocess.run([SEXTANT_BIN, *args, "--data", str(self.data), *self.store_args], input=stdin,
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"`sextant {' '.join(args)}` failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p.stdout

    @staticmethod
    def last_line(out: str) -> str:
        return out.strip().splitlines()[-1].strip()

    def create_neptune_token(self, project: str, user: Optional[str] = None) -> str:
        args = ["token", "create", "--neptune", "--project", project, "--url", self.url]
        if user:
            args += ["--user", user]
        return self.last_line(self.cli(*args))

    def setup_accounts(self) -> None:
        out = self.cli("admin", "init", "--name", "owner", "--password-stdin", stdin=PASSWORD + "\n")
        self.owner_token = self.last_line(out)
        self.neptune_token = self.create_neptune_token(PROJECT)
        self.create_neptune_token(OTHER_PROJECT)  # creates the project; this token is not used
        # The other principals matter only to the access tests: a failure
        # here fails those (require()), not the whole session.
        try:
            self.cli("user", "add", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
            self.cli("member", "add", "viewer", PROJECT, "viewer")
            self.viewer_token = self.create_neptune_token(PROJECT, user="viewer")
        except RuntimeError as e:
            self.setup_errors["viewer_token"] = str(e)
        try:
            self.cli("user", "add", "outsider", "--password-stdin", stdin=PASSWORD + "\n")
            self.outsider_token = self.create_neptune_token(PROJECT, user="outsider")
        except RuntimeError as e:
            self.setup_errors["outsider_token"] = str(e)

    def require(self, name: str) -> str:
        """A token made at setup, or the failure that prevented it."""
        value = getattr(self, name)
        if not value:
            pytest.fail(f"{name} could not be made: {self.setup_errors.get(name)}")
        return value

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [SEXTANT_BIN, "serve", "--data", str(self.data), "--host", HOST, "--port", str(self.port),
             *self.store_args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sextant exited with {self.proc.returncode} during startup:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return
                    last = r.status
            except Exception as e:  # noqa: BLE001
                last = e
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sextant not ready after {START_TIMEOUT_S} s (last: {last!r}):\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> Optional[int]:
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"sextant ignored SIGTERM for 30 s:\n{self.log_tail()}")
        return p.returncode

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


@pytest.fixture(scope="session")
def server():
    workdir = Path(tempfile.mkdtemp(prefix="neptune-compat-"))
    s = Server(workdir)
    s.setup_accounts()
    s.start()
    os.environ["NEPTUNE_API_TOKEN"] = s.neptune_token
    os.environ["NEPTUNE_PROJECT"] = PROJECT
    os.environ["NEPTUNE_LOG_DIRECTORY"] = str(workdir / "neptune-logs")
    import neptune_query  # noqa: PLC0415
    from neptune_query.internal import context as nq_context  # noqa: PLC0415

    nq_context.set_context()  # from the environment just set
    yield s
    alive = s.alive()
    rc = s.stop()
    assert alive, f"sextant died during the session:\n{s.log_tail()}"
    assert rc == 0, f"sextant exit code {rc} on SIGTERM:\n{s.log_tail()}"
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def tmp_logs(tmp_path) -> Path:
    """A folder for neptune-scale's local operation logs."""
    p = tmp_path / "neptune-logs"
    p.mkdir()
    return p


# -- the native JSON API, to read back exactly what was stored --------------

class HttpError(Exception):
    def __init__(self, status: int, body: bytes):
        super().__init__(f"HTTP {status}: {body[:500]!r}")
        self.status = status
        self.body = body


class Native:
    """Sextant's native JSON API (docs/api/native.md) with the owner's token."""

    def __init__(self, url: str, token: str, project: str = PROJECT):
        self.url = url
        self.token = token
        self.project = project

    def request(self, method: str, path: str, body: Any = None, headers: Optional[dict] = None,
                data: Optional[bytes] = None, auth: bool = True) -> tuple[int, dict, bytes]:
        h = dict(headers or {})
        if auth and self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers.items()), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers.items()), e.read()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, _, raw = self.request(method, path, body)
        if status // 100 != 2:
            raise HttpError(status, raw)
        return json.loads(raw)

    def _p(self, project: Optional[str]) -> str:
        ws, name = (project or self.project).split("/")
        return f"/api/v1/projects/{urllib.parse.quote(ws)}/{urllib.parse.quote(name)}"

    def run(self, run_id: str, project: Optional[str] = None) -> Optional[dict]:
        """The run object, or None when there is no such run."""
        status, _, raw = self.request("GET", f"{self._p(project)}/runs/{urllib.parse.quote(run_id, safe='')}")
        if status == 404:
            return None
        if status != 200:
            raise HttpError(status, raw)
        return json.loads(raw)

    def runs(self, filter: Optional[str] = None, project: Optional[str] = None) -> list[dict]:
        body: dict = {"limit": 10000}
        if filter:
            body["filter"] = filter
        return self.json("POST", f"{self._p(project)}/runs/query", body)["runs"]

    def run_ids(self, project: Optional[str] = None) -> set[str]:
        return {r["run_id"] for r in self.runs(project=project)}

    def attributes(self, run_id: str, project: Optional[str] = None) -> dict[str, dict]:
        out: dict[str, dict] = {}
        token = None
        while True:
            q = "?limit=10000" + (f"&page_token={urllib.parse.quote(token)}" if token else "")
            page = self.json("GET", f"{self._p(project)}/runs/{urllib.parse.quote(run_id, safe='')}/attributes{q}")
            for a in page["attributes"]:
                out[a["path"]] = a
            token = page.get("next_page_token")
            if token is None:
                return out

    def series(self, run_id: str, path: str, lineage: bool = True, project: Optional[str] = None) -> dict:
        """All raw points of one series: {"type", "steps", "values", "timestamps"}."""
        steps: list = []
        values: list = []
        timestamps: list = []
        typ = None
        after = None
        while True:
            body = {"runs": [run_id], "path": path, "lineage": lineage, "limit": 1000000}
            if after is not None:
                body["after_step"] = after
            s = self.json("POST", f"{self._p(project)}/series", body)["series"][0]
            typ = s.get("type") or typ
            steps += s["steps"]
            values += s["values"]
            timestamps += s.get("timestamps", [])
            after = s.get("next_after_step")
            if after is None:
                return {"type": typ, "steps": steps, "values": values, "timestamps": timestamps}

    def file(self, run_id: str, path: str, step: Any = None, project: Optional[str] = None) -> bytes:
        q = "" if step is None else f"?step={step}"
        status, _, raw = self.request(
            "GET", f"{self._p(project)}/runs/{urllib.parse.quote(run_id, safe='')}/files/"
                   f"{urllib.parse.quote(path, safe='/')}{q}")
        if status != 200:
            raise HttpError(status, raw)
        return raw


@pytest.fixture(scope="session")
def native(server) -> Native:
    return Native(server.url, server.owner_token)


# -- neptune-scale runs --------------------------------------------------------

@dataclass
class NeptuneRun:
    run: Any
    run_id: str
    errors: list = field(default_factory=list)

    def error_types(self) -> list[str]:
        return [type(e).__name__ for _, e in self.errors]


def open_run(run_id: Optional[str] = None, *, log_directory: Optional[Path] = None, **kwargs) -> NeptuneRun:
    """A neptune_scale.Run on the test server (project and token from the
    environment unless given) that records every error and warning."""
    from neptune_scale import Run  # noqa: PLC0415

    run_id = run_id or unique("run")
    nr = NeptuneRun(run=None, run_id=run_id)
    kwargs.setdefault("enable_console_log_capture", False)
    kwargs.setdefault("source_tracking_config", None)
    kwargs.setdefault("on_error_callback", lambda e, ts: nr.errors.append(("error", e)))
    kwargs.setdefault("on_warning_callback", lambda e, ts: nr.errors.append(("warning", e)))
    kwargs.setdefault("on_network_error_callback", lambda e, ts: nr.errors.append(("network", e)))
    if log_directory is not None:
        kwargs["log_directory"] = str(log_directory)
    nr.run = Run(run_id=run_id, **kwargs)
    return nr


def finish(nr: NeptuneRun, timeout: float = 120) -> bool:
    """Waits until every operation is confirmed and every file uploaded, then
    closes the run. True when all was processed."""
    ok = nr.run.wait_for_processing(timeout=timeout, verbose=False)
    nr.run.close(timeout=30)
    return ok


def finish_clean(nr: NeptuneRun, server: Optional[Server] = None, timeout: float = 120) -> None:
    """finish(), and the client saw no error or warning."""
    ok = finish(nr, timeout)
    tail = server.log_tail() if server else ""
    assert ok, f"run {nr.run_id}: not every operation was processed in {timeout} s; " \
               f"client errors: {nr.errors}\n{tail}"
    assert not nr.errors, f"run {nr.run_id}: the client reported {nr.errors}\n{tail}"


def neptune_cli() -> str:
    """The `neptune` console script of this virtualenv."""
    exe = Path(sys.executable).parent / "neptune"
    return str(exe) if exe.exists() else (shutil.which("neptune") or "neptune")


def neptune_sync(db: Path, token: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """`neptune sync <run_operations.sqlite3>` with the given API token."""
    env = dict(os.environ, NEPTUNE_API_TOKEN=token)
    return subprocess.run([neptune_cli(), "sync", str(db), "--timeout", str(timeout)], env=env,
                          capture_output=True, text=True, timeout=timeout + 60)


def operation_logs(folder: Path) -> list[Path]:
    """The local operation logs (run_operations.sqlite3) neptune-scale left in folder."""
    return sorted(folder.glob("*/run_operations.sqlite3"))


# -- neptune-query -------------------------------------------------------------

@pytest.fixture
def nq(server):
    """neptune_query with the owner's token and PROJECT as the context."""
    import neptune_query  # noqa: PLC0415
    from neptune_query.internal import context as nq_context  # noqa: PLC0415

    nq_context.set_context(nq_context.Context(project=PROJECT, api_token=server.neptune_token))
    yield neptune_query
    nq_context.set_context(nq_context.Context(project=PROJECT, api_token=server.neptune_token))


@pytest.fixture
def nq_as(server):
    """Switch neptune_query's token: nq_as(token)."""
    from neptune_query.internal import context as nq_context  # noqa: PLC0415

    def use(token: str):
        nq_context.set_context(nq_context.Context(project=PROJECT, api_token=token))

    yield use
    nq_context.set_context(nq_context.Context(project=PROJECT, api_token=server.neptune_token))


# -- raw protocol --------------------------------------------------------------

class NeptuneHttp:
    """The Neptune endpoints driven by hand, as the client does (write-protocol
    facts: config and oauth-token without a bearer, the rest with the access
    token the exchange returned)."""

    def __init__(self, url: str, api_token: str):
        self.url = url
        self.api_token = api_token
        self._access: Optional[str] = None

    def request(self, method: str, path: str, data: Optional[bytes] = None,
                headers: Optional[dict] = None, bearer: Optional[str] = "auto") -> tuple[int, dict, bytes]:
        h = {"User-Agent": "neptune-compat-tests"}
        h.update(headers or {})
        if bearer == "auto":
            bearer = self.access_token()
        if bearer:
            h["Authorization"] = f"Bearer {bearer}"
        url = path if path.startswith("http") else self.url + path
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def exchange(self, api_token: Optional[str] = None) -> tuple[int, dict, bytes]:
        return self.request("GET", "/api/backend/v1/authorization/oauth-token",
                            headers={"X-Neptune-Api-Token": api_token or self.api_token}, bearer=None)

    def access_token(self) -> str:
        if self._access is None:
            status, _, raw = self.exchange()
            assert status == 200, f"oauth-token: HTTP {status}: {raw[:300]!r}"
            self._access = json.loads(raw)["accessToken"]
        return self._access

    def ingest(self, op, bearer: Optional[str] = "auto") -> tuple[int, dict, bytes]:
        data = op if isinstance(op, bytes) else op.SerializeToString()
        return self.request("POST", "/api/client/v1/ingest", data=data,
                            headers={"Content-Type": "application/x-protobuf"}, bearer=bearer)

    def submit(self, op) -> str:
        """Ingests an operation; returns the request id the client would keep."""
        from neptune_api.proto.neptune_pb.ingest.v1.pub.client_pb2 import SubmitResponse  # noqa: PLC0415

        status, _, raw = self.ingest(op)
        assert status == 200, f"ingest: HTTP {status}: {raw[:300]!r}"
        resp = SubmitResponse.FromString(raw)
        assert resp.request_ids, "SubmitResponse without request_ids"
        return resp.request_ids[-1]

    def check(self, request_ids: list[str], project: str = PROJECT):
        """ingest/check → the BulkRequestStatus."""
        from neptune_api.proto.neptune_pb.ingest.v1.pub.client_pb2 import (  # noqa: PLC0415
            BulkRequestStatus,
            RequestId,
            RequestIdList,
        )

        body = RequestIdList(ids=[RequestId(value=r) for r in request_ids]).SerializeToString()
        status, _, raw = self.request(
            "POST", "/api/client/v1/ingest/check?projectIdentifier=" + urllib.parse.quote(project, safe=""),
            data=body, headers={"Content-Type": "application/x-protobuf"})
        assert status == 200, f"ingest/check: HTTP {status}: {raw[:300]!r}"
        return BulkRequestStatus.FromString(raw)


@pytest.fixture
def nhttp(server) -> NeptuneHttp:
    return NeptuneHttp(server.url, server.neptune_token)


def run_operation_create(run_id: str, project: str = PROJECT, **create):
    """A RunOperation creating a run, as neptune-scale builds it."""
    from google.protobuf.timestamp_pb2 import Timestamp  # noqa: PLC0415
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import Run as CreateRun  # noqa: PLC0415
    from neptune_api.proto.neptune_pb.ingest.v1.pub.ingest_pb2 import RunOperation  # noqa: PLC0415

    ts = Timestamp()
    ts.GetCurrentTime()
    create.setdefault("family", run_id)
    create.setdefault("creation_time", ts)
    create.setdefault("inherit_configs", True)
    return RunOperation(project=project, run_id=run_id, create=CreateRun(**create))


def run_operation_update(run_id: str, snapshots: list, project: str = PROJECT):
    """A RunOperation with update_batch snapshots, as neptune-scale builds it."""
    from neptune_api.proto.neptune_pb.ingest.v1.common_pb2 import UpdateRunSnapshots  # noqa: PLC0415
    from neptune_api.proto.neptune_pb.ingest.v1.pub.ingest_pb2 import RunOperation  # noqa: PLC0415

    return RunOperation(project=project, run_id=run_id, update_batch=UpdateRunSnapshots(snapshots=snapshots))


def step_of(number: float):
    from neptune_scale.sync.metadata_splitter import make_step  # noqa: PLC0415

    return make_step(number)


def timestamp_of(seconds: float):
    from google.protobuf.timestamp_pb2 import Timestamp  # noqa: PLC0415

    return Timestamp(seconds=int(seconds), nanos=int(round((seconds % 1) * 1e9)))


def code_summary(status) -> list[tuple[str, int, str]]:
    """A RequestStatus as [(grpc code name, count, ingest code name)]."""
    from neptune_api.proto.google_rpc.code_pb2 import Code  # noqa: PLC0415
    from neptune_api.proto.neptune_pb.ingest.v1.ingest_pb2 import IngestCode  # noqa: PLC0415

    return [(Code.Name(c.code), c.count, IngestCode.Name(c.detail)) for c in status.code_by_count]


def native_seconds(value: Any) -> float:
    """A native API datetime value (ISO 8601 string) as Unix seconds."""
    from datetime import datetime  # noqa: PLC0415

    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


@pytest.fixture(autouse=True)
def _server_alive(server):
    """Every test runs against a live server (and has the client environment)."""
    assert server.alive(), f"sextant is not running:\n{server.log_tail()}"
    yield

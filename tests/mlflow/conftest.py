"""Fixtures for the MLflow compatibility suite: the unmodified `mlflow` client
against a tracking server.

Target (env MLFLOW_COMPAT_TARGET):
- `sextant` (default): `$SEXTANT_BIN serve` (default <repo>/build/src/sextant)
  on a fresh data folder with accounts: an owner made with `sextant admin init`
  whose API token the client sends (MLFLOW_TRACKING_TOKEN -> Authorization:
  Bearer).
- `mlflow`: a real `mlflow server` (sqlite backend, proxied artifacts) from the
  suite's own virtualenv, no auth. Every test must pass against it: it is the
  reference.

Set MLFLOW_COMPAT_TRAFFIC_LOG=/path/log.jsonl to put traffic_proxy.py in front
of the target and record every exchange the client makes.

Tests that encode Sextant-only behaviour carry the `sextant_only` marker and
are skipped for the mlflow target.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HOST = "127.0.0.1"
TARGET = os.environ.get("MLFLOW_COMPAT_TARGET", "sextant")
SEXTANT_BIN = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))
START_TIMEOUT_S = {"sextant": 30.0, "mlflow": 120.0}

# Fail fast instead of retrying a failing call 7 times with backoff; no
# telemetry; no interactive prompts. Set before any test imports mlflow.
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
for _var in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
             "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
    os.environ.pop(_var, None)


def pytest_configure(config):
    config.addinivalue_line("markers", "sextant_only: Sextant-specific behaviour; skipped "
                                       "for MLFLOW_COMPAT_TARGET=mlflow")
    if TARGET not in ("sextant", "mlflow"):
        raise pytest.UsageError(f"MLFLOW_COMPAT_TARGET must be sextant or mlflow, not {TARGET!r}")
    if TARGET == "sextant" and not os.path.exists(SEXTANT_BIN):
        raise pytest.UsageError(f"sextant binary not found at {SEXTANT_BIN}: build it, set "
                                f"SEXTANT_BIN, or run MLFLOW_COMPAT_TARGET=mlflow for the "
                                f"reference server")


def pytest_collection_modifyitems(config, items):
    if TARGET == "sextant":
        return
    skip = pytest.mark.skip(reason="Sextant-only behaviour (target is a real mlflow server)")
    for item in items:
        if "sextant_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    return f"mlflow compat target: {TARGET}" + (f" ({SEXTANT_BIN})" if TARGET == "sextant" else "")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Target:
    """One running tracking server."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None
        self.log_path = workdir / "server.log"
        self.proxy = None

    # -- start -----------------------------------------------------------

    def start(self) -> None:
        self.port = free_port()
        if self.kind == "sextant":
            cmd, health = self._sextant_cmd()
        else:
            cmd, health = self._mlflow_cmd()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S[self.kind]
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode} "
                                   f"during startup:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}{health}", timeout=2) as r:
                    if r.status == 200:
                        return
                    last = r.status
            except Exception as e:  # noqa: BLE001
                last = e
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server not ready after {START_TIMEOUT_S[self.kind]} s "
                           f"(last: {last!r}):\n{self.log_tail()}")

    def _sextant_cmd(self):
        if not os.path.exists(SEXTANT_BIN):
            raise RuntimeError(f"sextant binary not found at {SEXTANT_BIN} (set SEXTANT_BIN, or "
                               f"MLFLOW_COMPAT_TARGET=mlflow for the reference server)")
        data = self.workdir / "data"
        p = subprocess.run([SEXTANT_BIN, "admin", "init", "--name", "owner", "--password-stdin",
                            "--data", str(data)], input="correct-horse-battery\n",
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"sextant admin init failed ({p.returncode}):\n{p.stderr}")
        self.token = p.stdout.strip().splitlines()[-1]
        return ([SEXTANT_BIN, "serve", "--data", str(data), "--host", HOST, "--port",
                 str(self.port)], "/api/v1/health")

    def _mlflow_cmd(self):
        mlflow_exe = Path(sys.executable).parent / "mlflow"
        if not mlflow_exe.exists():
            mlflow_exe = Path(shutil.which("mlflow") or "mlflow")
        return ([str(mlflow_exe), "server",
                 "--backend-store-uri", f"sqlite:///{self.workdir / 'db.sqlite'}",
                 "--artifacts-destination", str(self.workdir / "artifacts"),
                 "--serve-artifacts", "--host", HOST, "--port", str(self.port),
                 "--workers", "1"], "/health")

    # -- stop ------------------------------------------------------------

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        if p.poll() is None:
            if self.kind == "mlflow":
                # The reference server (uvicorn and its workers, our own
                # session): a short grace, then kill; its exit code is moot.
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(2)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                return p.returncode
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

    # -- proxy -----------------------------------------------------------

    def start_proxy(self, log: str) -> int:
        sys.path.insert(0, str(HERE))
        import traffic_proxy  # noqa: PLC0415

        port = free_port()
        self.proxy = traffic_proxy.serve(port, self.port, log)
        threading.Thread(target=self.proxy.serve_forever, daemon=True).start()
        return port


@pytest.fixture(scope="session")
def target():
    workdir = Path(tempfile.mkdtemp(prefix=f"mlflow-compat-{TARGET}-"))
    t = Target(TARGET, workdir)
    t.start()
    port = t.port
    if os.environ.get("MLFLOW_COMPAT_TRAFFIC_LOG"):
        port = t.start_proxy(os.environ["MLFLOW_COMPAT_TRAFFIC_LOG"])
    t.url = f"http://{HOST}:{port}"
    os.environ["MLFLOW_TRACKING_URI"] = t.url
    if t.token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = t.token
    import mlflow  # noqa: PLC0415

    mlflow.set_tracking_uri(t.url)
    yield t
    if t.proxy is not None:
        t.proxy.shutdown()
    alive = t.alive()
    rc = t.stop()
    if TARGET == "sextant":
        assert alive, f"sextant died during the session:\n{t.log_tail()}"
        assert rc == 0, f"sextant exit code {rc} on SIGTERM:\n{t.log_tail()}"
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fluent_state(target):
    """Every test starts and ends with no active run, and autologging off."""
    import mlflow  # noqa: PLC0415

    assert target.alive(), f"server is not running:\n{target.log_tail()}"
    mlflow.set_tracking_uri(target.url)
    while mlflow.active_run():
        mlflow.end_run()
    yield
    while mlflow.active_run():
        mlflow.end_run()
    try:
        mlflow.autolog(disable=True)
    except Exception:  # noqa: BLE001
        pass


@pytest.fixture
def client(target):
    from mlflow import MlflowClient  # noqa: PLC0415

    return MlflowClient(tracking_uri=target.url)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def exp_name(request) -> str:
    return unique(f"compat-{request.node.name[:60]}")


@pytest.fixture
def experiment_id(client, exp_name) -> str:
    """A new, empty experiment for this test; also the fluent API's current one."""
    import mlflow  # noqa: PLC0415

    eid = client.create_experiment(exp_name)
    mlflow.set_experiment(experiment_id=eid)
    return eid


class Http:
    """Raw HTTP to the target with the client's credentials (requests)."""

    def __init__(self, target: Target):
        import requests  # noqa: PLC0415

        self.base = target.url
        self.s = requests.Session()
        if target.token:
            self.s.headers["Authorization"] = f"Bearer {target.token}"

    def get(self, path: str, **kw):
        return self.s.get(self.base + path, timeout=60, **kw)

    def post(self, path: str, json=None, **kw):
        return self.s.post(self.base + path, json=json, timeout=60, **kw)

    def request(self, method: str, path: str, **kw):
        return self.s.request(method, self.base + path, timeout=60, **kw)


@pytest.fixture
def http(target) -> Http:
    return Http(target)


def assert_mlflow_error(resp, status: int, code: str, message_part: str | None = None) -> dict:
    """The MLflow REST error shape: HTTP status, JSON {"error_code", "message"}."""
    assert resp.status_code == status, f"expected HTTP {status}, got {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body, dict), body
    assert body.get("error_code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    if message_part is not None:
        assert message_part in body["message"], body
    return body

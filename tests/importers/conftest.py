"""Fixtures for the importer and export suite.

- `server`: one real `sextant serve` for the session, requiring
  authentication (the SDK tests' accounts template); tests isolate
  themselves by project (`project` gives a fresh one).
- `sextant(*args)`: runs `python -m sextant …` (this source tree) against
  it as a user would, with SEXTANT_URL / SEXTANT_API_TOKEN set and a private
  resume-state folder; returns the CompletedProcess.
- `client`: a `sextant.Client` to read back what was imported.
- `native(method, path, body)`: a raw native API call, for what the Client
  does not cover.

The binary is $SEXTANT_BIN, default <repo>/build/src/sextant.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))
sys.path.insert(0, str(REPO / "clients" / "python"))
from sxt import Server, auth_template  # noqa: E402

import sextant as sextant_pkg  # noqa: E402

TOKEN = auth_template()["token"]
os.environ["SEXTANT_API_TOKEN"] = TOKEN
# Third-party tools under test: offline, quiet, no telemetry.
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"
os.environ["WANDB_DISABLE_GIT"] = "true"
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
for _v in ("MLFLOW_TRACKING_URI", "SEXTANT_URL", "SEXTANT_PROJECT"):
    os.environ.pop(_v, None)


def pytest_configure(config):
    if not os.path.exists(sextant_bin()):
        raise pytest.UsageError(f"sextant binary not found at {sextant_bin()}: build it or set SEXTANT_BIN")


def sextant_bin() -> str:
    return os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("server")
    srv = Server(base / "data", base / "server.log")
    srv.start()
    yield srv
    alive = srv.alive()
    rc = srv.stop()
    assert alive, f"the server died during the session:\n{srv.log_tail()}"
    assert rc == 0, f"the server exited with {rc}:\n{srv.log_tail()}"


@pytest.fixture
def project() -> str:
    return f"imp/p{uuid.uuid4().hex[:10]}"


@pytest.fixture
def state_dir(tmp_path) -> Path:
    return tmp_path / "import-state"


@pytest.fixture
def sextant(server, state_dir):
    def run(*args: str, timeout: float = 600, check: bool = True,
            env: Optional[dict] = None) -> subprocess.CompletedProcess:
        e = dict(os.environ)
        e["SEXTANT_URL"] = server.url
        e["XDG_STATE_HOME"] = str(state_dir)
        e["PYTHONPATH"] = str(REPO / "clients" / "python")
        if env:
            e.update(env)
        p = subprocess.run([sys.executable, "-m", "sextant", *args], env=e, timeout=timeout,
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"sextant {' '.join(args)} exited {p.returncode}:\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p
    return run


@pytest.fixture
def client(server):
    c = sextant_pkg.Client(url=server.url)
    yield c
    c.close()


@pytest.fixture
def native(server):
    def call(method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(server.url + "/api/v1" + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {TOKEN}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")
    return call

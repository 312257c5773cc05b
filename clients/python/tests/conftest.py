"""Fixtures for the Python SDK tests.

- `server`: one real `sextant serve` for the session (tests isolate
  themselves by project name, see `proj`).
- `make_server`: private servers that can be stopped, killed and restarted
  on the same data folder and port.
- `journal`: a fresh journal folder; the SEXTANT_* environment is cleared
  but for $SEXTANT_API_TOKEN: every server here requires authentication
  (sxt.auth_template), as a team's server does.
- `run_factory`: makes `sextant.Run`s against a server with automatic
  monitoring off unless asked for (quiet and fast), closed at the end.

The binary is $SEXTANT_BIN, default <repo>/build/src/sextant.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # the source tree, ahead of any installed copy
from sxt import Server, auth_template  # noqa: E402

import sextant  # noqa: E402

QUIET = dict(capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
             capture_heartbeat=False, capture_source=False)


# Every server in these tests requires authentication; the SDK finds the
# token where users put it, in $SEXTANT_API_TOKEN.
os.environ["SEXTANT_API_TOKEN"] = auth_template()["token"]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("shared-server")
    srv = Server(base / "data", base / "server.log")
    srv.start()
    yield srv
    alive = srv.alive()
    rc = srv.stop()
    assert alive, f"the shared server died during the session:\n{srv.log_tail()}"
    assert rc == 0, f"the shared server exited with {rc}:\n{srv.log_tail()}"


@pytest.fixture
def make_server(tmp_path):
    servers = []

    def make(name: str = "srv") -> Server:
        srv = Server(tmp_path / f"{name}-data", tmp_path / f"{name}.log")
        servers.append(srv)
        return srv.start()

    yield make
    for srv in servers:
        if srv.alive():
            srv.stop()


@pytest.fixture
def journal(tmp_path, monkeypatch):
    for k in ("SEXTANT_URL", "SEXTANT_PROJECT", "SEXTANT_JOURNAL_DIR"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SEXTANT_API_TOKEN", auth_template()["token"])
    d = tmp_path / "journal"
    d.mkdir()
    return d


_seen: set = set()


@pytest.fixture
def proj(request) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", request.node.name)[:100]
    base, i = name, 1
    while name in _seen:
        i += 1
        name = f"{base}_{i}"
    _seen.add(name)
    return f"py/{name}"


@pytest.fixture
def run_factory(server, journal, proj):
    runs = []

    def make(srv: Server = None, **kw) -> sextant.Run:
        args = dict(QUIET)
        args.update(project=proj, url=(srv or server).url, journal_dir=str(journal))
        args.update(kw)
        run = sextant.Run(**args)
        runs.append(run)
        return run

    yield make
    for r in runs:
        r.close(timeout=5)


@pytest.fixture
def client(server) -> sextant.Client:
    return sextant.Client(url=server.url)

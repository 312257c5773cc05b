"""Fixtures for the end-to-end tests.

- `server`: one `sextant serve` for the whole session (tests isolate themselves
  by project name, see `proj`); stopped with SIGTERM at the end, exit code 0
  asserted.
- `client`: the shared server's HTTP client.
- `make_server`: a factory for private servers (crash, restart, limit tests);
  each can `.restart()` on the same data folder, `.kill()` (-9) and `.start()`.
- `proj`: a project name unique to the test, "e2e/<test name>".

The binary is `$SEXTANT_BIN`, default `<repo>/build/src/sextant`.
"""
from __future__ import annotations

import re
import signal

import pytest

from sextant_e2e import Client, Server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("shared")
    srv = Server(base / "data", base / "server.log")
    srv.start()
    yield srv
    if srv.proc is not None:
        alive = srv.alive()
        rc = srv.stop(signal.SIGTERM)
        assert alive, f"shared server died during the session (rc {rc}):\n{srv.log_tail()}"
        assert rc == 0, f"shared server exit code {rc} on SIGTERM:\n{srv.log_tail()}"


@pytest.fixture
def client(server) -> Client:
    assert server.alive(), f"shared server is not running:\n{server.log_tail()}"
    return server.client


@pytest.fixture
def make_server(tmp_path):
    servers: list[Server] = []

    def make(extra_args=(), name: str = "srv", start: bool = True) -> Server:
        srv = Server(tmp_path / f"{name}-data", tmp_path / f"{name}.log", extra_args)
        servers.append(srv)
        if start:
            srv.start()
        return srv

    yield make
    errors = []
    for srv in servers:
        if srv.proc is not None:
            alive = srv.alive()
            rc = srv.stop(signal.SIGTERM)
            if not alive or rc != 0:
                errors.append(f"{srv.data_dir}: exit code {rc} (alive before stop: {alive}):\n"
                              f"{srv.log_tail()}")
    assert not errors, "\n".join(errors)


_seen_projects: set[str] = set()


@pytest.fixture
def proj(request) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", request.node.name)[:120]
    base, i = name, 1
    while name in _seen_projects:
        i += 1
        name = f"{base[:115]}_{i}"
    _seen_projects.add(name)
    return f"e2e/{name}"

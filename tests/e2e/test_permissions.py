"""The permission matrix, generated from the server's own route table
(GET /api/v1/admin/routes): every route, called by an anonymous caller and by
a principal of each role, gets exactly the answer its declared permission
says. A project the caller has no role on is 404, not 403.
"""
from __future__ import annotations

import http.client
import re

import pytest

from auth_util import make_team
from sextant_e2e import HOST

# What each path parameter is filled with: the project exists (ws/p, run r1);
# other targets do not, so an admitted call changes nothing that matters.
PARAMS = {
    "workspace": "ws", "project": "p", "run_id": "r1", "name": "no-such-thing",
    "principal": "nobody-here", "id": "999999", "path": "files/none.bin",
    # MLflow's routes (their paths name no project: the role is checked in the handler).
    "model_id": "m-0000", "tag_key": "k", "rest": "no/such/endpoint",
}

ROLE_RANK = {"viewer": 1, "writer": 2, "padmin": 3}
NEEDS = {"read": 1, "write": 2, "admin": 3}


def fill(pattern: str) -> str:
    def sub(m):
        key = m.group(1).removesuffix("...")
        return PARAMS[key]
    return re.sub(r"\{([^}]+)\}", sub, pattern)


def call(port: int, method: str, target: str, token: str | None, upload: bool):
    """Status and body; only the head of an event stream is read."""
    c = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = None
    if method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = "application/octet-stream" if upload else "application/json"
        body = b"x" if upload else b"{}"
    try:
        c.request(method, target, body=body, headers=headers)
        r = c.getresponse()
        data = b"" if r.getheader("Content-Type", "").startswith("text/event-stream") else r.read()
        return r.status, data.decode("utf-8", "replace")
    finally:
        c.close()


def expected(route: dict, who: str | None) -> str:
    """'allowed', or the status the access check must answer."""
    perm = route["permission"]
    if perm == "public":
        return "allowed"
    if perm == "signed":
        return "refused by its handler"  # no valid signature in the matrix's calls
    if who is None:
        return "401"
    if who == "owner":
        return "allowed"
    pattern = route["pattern"]
    on_project = "{project}" in pattern
    on_workspace = "{workspace}" in pattern
    if on_project or on_workspace:
        rank = ROLE_RANK.get(who, 0)
        if on_project and rank == 0:
            return "404"  # the project is not revealed
        if on_workspace and not on_project:
            return "403"  # roles above are on the project only, not the workspace
        return "allowed" if rank >= NEEDS[perm] else "403"
    return "403" if perm == "admin" else "allowed"


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    servers = []

    def make(extra_args=(), name="srv", start=True):
        from sextant_e2e import Server as S
        base = tmp_path_factory.mktemp(name)
        s = S(base / "data", base / "server.log", extra_args)
        servers.append(s)
        if start:
            s.start()
        return s

    t = make_team(make)
    yield t
    for s in servers:
        if s.proc is not None:
            assert s.stop() == 0, s.log_tail()


def routes(team):
    r = team.client("owner").get("/admin/routes")
    assert r.status == 200, r
    out = [x for x in r.json["routes"] if x["pattern"] not in ("/", "/{path...}")]
    assert len(out) > 20, out
    return out


@pytest.mark.parametrize("who", [None, "outsider", "viewer", "writer", "padmin", "owner"])
def test_every_route_answers_as_its_permission_says(team, who):
    port = team.server.port
    token = team.tokens.get(who) if who else None
    failures = []
    for route in routes(team):
        want = expected(route, who)
        target = fill(route["pattern"])
        status, body = call(port, route["method"], target, token, route["upload"])
        if want == "refused by its handler":
            if status not in (400, 401, 403, 415):
                failures.append(f"{route['method']} {route['pattern']}: a signed route without a signature "
                                f"must be refused, got {status} {body[:200]}")
        elif want == "allowed":
            denied = status in (401, 403) or (status == 404 and "project 'ws/p' not found" in body)
            if denied:
                failures.append(f"{route['method']} {route['pattern']}: expected to be admitted, got {status} {body[:200]}")
        elif str(status) != want:
            failures.append(f"{route['method']} {route['pattern']}: expected {want}, got {status} {body[:200]}")
        elif want == "401":
            assert "unauthenticated" in body.lower()  # native and MLflow shapes
        elif want == "404":
            assert "not found" in body
    assert not failures, "\n".join(failures)
    # Nothing the matrix did removed the project or its run.
    r = team.client("owner").get("/projects/ws/p/runs/r1")
    assert r.status == 200, r


def test_every_route_declares_a_permission(team):
    for route in routes(team):
        assert route["permission"] in ("public", "read", "write", "admin", "signed"), route
        if route["permission"] == "public":
            assert route["method"] == "GET" or route["pattern"].startswith("/api/v1/auth/"), route

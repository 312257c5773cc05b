"""Accounts, tokens, sessions, CSRF, the Host check and the audit log, against
the real server binary (docs/security.md)."""
from __future__ import annotations

import http.client
import json
import subprocess
import time

import pytest

from auth_util import PASSWORD, last_line, make_team, sextant
from sextant_e2e import BIN, HOST, free_port


def raw(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    c = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def login(port: int, name: str, password: str, headers: dict | None = None):
    h = {"Content-Type": "application/json", **(headers or {})}
    return raw(port, "POST", "/api/v1/auth/login", json.dumps({"name": name, "password": password}).encode(), h)


def cookie_of(headers: dict) -> str:
    set_cookie = headers.get("Set-Cookie", "")
    return set_cookie.split(";", 1)[0]


# --- the loopback default: no accounts, but no web page can touch it --------

def test_cross_origin_and_simple_posts_are_refused(client, proj):
    port = client.port
    body = json.dumps({"run_id": "pwned"}).encode()
    path = f"/api/v1/projects/{proj}/runs"
    # The attack from the issue: a page on another origin posting text/plain.
    st, _, b = raw(port, "POST", path, body, {"Origin": "http://evil.example", "Content-Type": "text/plain"})
    assert st == 403 and b"cross-origin" in b
    st, _, _ = raw(port, "POST", path, body, {"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"})
    assert st == 403
    # Simple request types are refused even without an Origin (old browsers).
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        st, _, b = raw(port, "POST", path, body, {"Content-Type": ctype})
        assert st == 415, (ctype, b)
    st, _, _ = raw(port, "POST", path, body, {})
    assert st == 415
    # Nothing was created.
    r = client.get(f"/projects/{proj}/runs")
    assert r.status in (200, 404)
    if r.status == 200:
        assert r.json["runs"] == []
    # The same request from the server's own origin goes through.
    st, _, b = raw(port, "POST", path, body, {"Origin": f"http://{HOST}:{port}", "Content-Type": "application/json",
                                             "Sec-Fetch-Site": "same-origin"})
    assert st == 201, b


def test_uploads_by_put_take_any_type_but_not_from_another_origin(client, proj):
    # A browser preflights every cross-origin PUT (Sextant allows none), so a
    # PUT labelled text/plain is no CSRF risk: the MLflow client labels .txt
    # and .json artifacts so. Regression: this was refused with 415.
    port = client.port
    st, _, b = raw(port, "POST", f"/api/v1/projects/{proj}/runs", json.dumps({"run_id": "up"}).encode(),
                   {"Content-Type": "application/json"})
    assert st in (200, 201), b
    path = f"/api/v1/projects/{proj}/runs/up/files/notes.txt"
    st, _, b = raw(port, "PUT", path, b"hello", {"Content-Type": "text/plain"})
    assert st in (200, 201), b
    st, _, b = raw(port, "GET", path)
    assert st == 200 and b == b"hello"
    st, _, b = raw(port, "PUT", path, b"evil", {"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert st == 403 and b"cross-origin" in b
    st, _, b = raw(port, "GET", path)
    assert b == b"hello"


def test_a_rebinding_host_is_refused(client):
    port = client.port
    st, _, b = raw(port, "GET", "/api/v1/projects", headers={"Host": f"attacker.example:{port}"})
    assert st == 400 and b"--allowed-host" in b
    st, _, _ = raw(port, "GET", "/", headers={"Host": "attacker.example"})
    assert st == 400
    for ok in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST", "app.localhost"):
        st, _, _ = raw(port, "GET", "/api/v1/health", headers={"Host": ok})
        assert st == 200, ok


def test_allowed_host_option(make_server):
    srv = make_server(["--allowed-host", "sextant.example.org"])
    st, _, _ = raw(srv.port, "GET", "/api/v1/projects", headers={"Host": "sextant.example.org"})
    assert st == 200
    st, _, _ = raw(srv.port, "GET", "/api/v1/projects", headers={"Host": "other.example.org"})
    assert st == 400


def test_open_mode_says_so(client):
    r = client.get("/auth/me")
    assert r.json == {"auth_required": False, "insecure_no_auth": False, "user": None}


# --- accounts --------------------------------------------------------------

@pytest.fixture
def team(make_server):
    return make_team(make_server, extra_args=["--session-seconds", "2"])


def test_projects_list_only_what_the_caller_may_see(team):
    owner = team.client("owner")
    assert owner.post("/projects/other/secret/runs", {"run_id": "x"}).status == 201
    seen = {p["project"] for p in owner.get("/projects").json["projects"]}
    assert seen == {"ws/p", "other/secret"}
    seen = {p["project"] for p in team.client("viewer").get("/projects").json["projects"]}
    assert seen == {"ws/p"}
    assert team.client("outsider").get("/projects").json["projects"] == []
    assert team.client("viewer").get("/projects/other/secret/runs").status == 404
    assert team.client(None).get("/projects").status == 401


def test_an_anonymous_body_is_refused_before_it_is_read(team):
    import socket
    s = socket.create_connection((HOST, team.server.port), timeout=10)
    try:
        # Only the head of a 60 MiB upload: the answer must not wait for it.
        s.sendall(b"POST /api/v1/projects/ws/p/runs/r1/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 62914560\r\n\r\n")
        t = time.monotonic()
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 401"), head[:200]
        assert b"WWW-Authenticate: Bearer" in head
        assert time.monotonic() - t < 5
    finally:
        s.close()


def test_writer_creates_projects_only_where_it_may(team):
    writer = team.client("writer")
    assert writer.post("/projects/ws/p/runs", {"run_id": "w1"}).status == 201
    r = writer.post("/projects/ws/elsewhere/runs", {"run_id": "w1"})
    assert r.status == 404, r
    assert team.client("viewer").post("/projects/ws/p/runs", {"run_id": "v1"}).status == 403


def test_a_revoked_token_is_refused_on_its_next_request(team):
    data = team.server.data_dir
    token = last_line(sextant(data, "token", "create", "--user", "viewer", "--name", "ci"))
    c = team.server.client.as_token(token)
    assert c.get("/projects").status == 200
    tid = next(t["id"] for t in team.client("owner").get("/tokens?all=true").json["tokens"] if t["name"] == "ci")
    # Revoked by the command line while the server runs.
    sextant(data, "token", "revoke", str(tid))
    r = c.get("/projects")
    assert r.status == 401 and "revoked" in r.json["error"]["message"]
    assert r.header("WWW-Authenticate", ) is not None
    # Revoked over the API by its owner.
    made = team.client("viewer").post("/tokens", {"name": "mine", "expires_in_days": 1})
    assert made.status == 201, made
    mine = team.server.client.as_token(made.json["secret"])
    assert mine.get("/projects").status == 200
    assert team.client("viewer").request("DELETE", f"/tokens/{made.json['token']['id']}").status == 204
    assert mine.get("/projects").status == 401
    # Someone else's token is not found, not revocable.
    owner_tokens = team.client("owner").get("/tokens").json["tokens"]
    assert team.client("viewer").request("DELETE", f"/tokens/{owner_tokens[0]['id']}").status == 404


def test_restricted_tokens(team):
    owner = team.client("owner")
    r = owner.post("/tokens", {"name": "ro", "projects": ["ws/p"], "role": "viewer"})
    assert r.status == 201, r
    ro = team.server.client.as_token(r.json["secret"])
    assert ro.get("/projects/ws/p/runs").status == 200
    assert ro.post("/projects/ws/p/runs", {"run_id": "no"}).status == 403
    assert ro.post("/projects/other/q/runs", {"run_id": "no"}).status == 404
    assert ro.get("/admin/users").status == 403  # an owner's restricted token is not an owner
    assert owner.post("/tokens", {"name": "bad", "projects": ["nope"]}).status == 400
    assert owner.post("/tokens", {"name": "bad", "role": "god"}).status == 400


def test_login_session_cookie_and_csrf(team):
    port = team.server.port
    st, h, b = login(port, "writer", PASSWORD)
    assert st == 200, b
    set_cookie = h["Set-Cookie"]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP on loopback
    cookie = cookie_of(h)
    st, _, b = raw(port, "GET", "/api/v1/auth/me", headers={"Cookie": cookie})
    assert json.loads(b)["user"]["name"] == "writer"
    body = json.dumps({"run_id": "from-browser"}).encode()
    path = "/api/v1/projects/ws/p/runs"
    # Without the custom header a cookie-authenticated write is refused.
    st, _, b = raw(port, "POST", path, body, {"Cookie": cookie, "Content-Type": "application/json"})
    assert st == 403 and b"X-Requested-By" in b
    st, _, b = raw(port, "POST", path, body, {"Cookie": cookie, "Content-Type": "application/json",
                                              "X-Requested-By": "sextant"})
    assert st == 201, b
    # Cross-origin with the cookie and the header: still refused.
    st, _, _ = raw(port, "POST", path, body, {"Cookie": cookie, "Content-Type": "application/json",
                                              "X-Requested-By": "sextant", "Origin": "http://evil.example"})
    assert st == 403
    # The session ends (the server runs with --session-seconds 2).
    time.sleep(2.2)
    st, _, b = raw(port, "GET", "/api/v1/projects", headers={"Cookie": cookie})
    assert st == 401 and b"sign in again" in b
    # Logout ends a session at once.
    st, h, _ = login(port, "writer", PASSWORD)
    cookie = cookie_of(h)
    st, h, _ = raw(port, "POST", "/api/v1/auth/logout", b"", {"Cookie": cookie, "X-Requested-By": "sextant"})
    assert st == 204 and "Max-Age=0" in h["Set-Cookie"]
    st, _, _ = raw(port, "GET", "/api/v1/projects", headers={"Cookie": cookie})
    assert st == 401


def test_login_is_rate_limited(team):
    port = team.server.port
    for _ in range(5):
        st, _, b = login(port, "viewer", "wrong-password")
        assert st == 401 and b"wrong user name or password" in b
    st, h, b = login(port, "viewer", PASSWORD)
    assert st == 429, b
    assert 1 <= int(h["Retry-After"]) <= 60
    # Other accounts are not locked out by it.
    st, _, _ = login(port, "writer", PASSWORD)
    assert st == 200
    # An unknown name answers exactly like a wrong password.
    st, _, b = login(port, "no-such-user", "whatever-pass")
    assert st == 401 and b"wrong user name or password" in b


def test_users_and_members_over_the_api(team):
    owner = team.client("owner")
    r = owner.post("/admin/users", {"name": "newbie", "password": "newbie-pass-1"})
    assert r.status == 201 and r.json["user"] == {**r.json["user"], "name": "newbie", "kind": "user", "owner": False}
    assert team.client("padmin").post("/admin/users", {"name": "x"}).status == 403
    # A project admin manages the project's members.
    padmin = team.client("padmin")
    r = padmin.request("PUT", "/projects/ws/p/members/newbie", dumps({"role": "viewer"}),
                       {"Content-Type": "application/json"})
    assert r.status == 200, r
    members = {m["principal"]: m["role"] for m in padmin.get("/projects/ws/p/members").json["members"]}
    assert members["newbie"] == "viewer" and members["padmin"] == "admin"
    assert team.client("writer").request("DELETE", "/projects/ws/p/members/newbie").status == 403
    assert padmin.request("DELETE", "/projects/ws/p/members/newbie").status == 204
    # Disabling ends the account's sessions and tokens.
    st, h, _ = login(team.server.port, "newbie", "newbie-pass-1")
    assert st == 200
    assert owner.post("/admin/users/newbie/disable").status == 200
    st, _, _ = raw(team.server.port, "GET", "/api/v1/auth/me", headers={"Cookie": cookie_of(h)})
    assert st == 401


def dumps(x) -> bytes:
    return json.dumps(x).encode()


def test_audit_log_records_and_keeps_no_secret(team):
    port = team.server.port
    owner = team.client("owner")
    login(port, "writer", PASSWORD)
    login(port, "writer", "wrong-password")
    made = owner.post("/tokens", {"name": "audited", "principal": "writer"})
    secret = made.json["secret"]
    team.server.client.as_token(secret).get("/projects")
    owner.request("DELETE", f"/tokens/{made.json['token']['id']}")
    owner.request("PUT", "/projects/ws/p/views/v1", dumps({"state": {}}), {"Content-Type": "application/json"})
    owner.request("DELETE", "/projects/ws/p/views/v1")
    entries = owner.get("/admin/audit?limit=1000").json["entries"]
    actions = [e["action"] for e in entries]
    for a in ("user.add", "member.put", "token.create", "login.success", "login.failure",
              "token.new_address", "token.revoke", "delete"):
        assert a in actions, (a, actions)
    fail = next(e for e in entries if e["action"] == "login.failure")
    assert fail["address"] == "127.0.0.1" and fail["target"] == "user writer"
    deleted = next(e for e in entries if e["action"] == "delete")
    assert deleted["principal"] == "owner" and deleted["target"].endswith("/views/v1")
    # Filtered and paged.
    only = owner.get("/admin/audit?action=login.success").json["entries"]
    assert only and all(e["action"] == "login.success" for e in only)
    page = owner.get("/admin/audit?limit=2").json
    assert len(page["entries"]) == 2 and page["next_page_token"]
    more = owner.get(f"/admin/audit?limit=2&page_token={page['next_page_token']}").json["entries"]
    assert more[0]["id"] < page["entries"][-1]["id"]
    assert team.client("padmin").get("/admin/audit").status == 403
    # The CLI shows the same log.
    out = sextant(team.server.data_dir, "audit", "--action", "token.revoke").stdout
    assert "token.revoke" in out
    # No password or token in clear: database files, the server's log, the audit log.
    team.server.stop()
    secrets = [PASSWORD, "wrong-password", secret, *team.tokens.values()]
    blobs = [p.read_bytes() for p in team.server.data_dir.iterdir() if p.is_file()]
    blobs.append(team.server.log_path.read_bytes())
    blobs.append(json.dumps(entries).encode())
    for s in secrets:
        for blob in blobs:
            assert s.encode() not in blob
    team.server.start()


# --- modes -----------------------------------------------------------------

def start_and_wait(args, data_dir, timeout=10.0):
    """Runs `sextant serve` and returns (returncode or None if it is serving, output)."""
    p = subprocess.Popen([BIN, "serve", "--data", str(data_dir), "--port", str(free_port()), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    out = ""
    try:
        while time.monotonic() < deadline:
            if p.poll() is not None:
                return p.returncode, out + p.stdout.read()
            line = p.stdout.readline()
            out += line
            if line.startswith("sextant listening on"):
                return None, out
        return None, out
    finally:
        if p.poll() is None:
            p.terminate()
            p.wait(10)


def test_a_non_loopback_address_needs_an_owner(tmp_path):
    rc, out = start_and_wait(["--host", "0.0.0.0"], tmp_path / "d")
    assert rc == 2 and "sextant admin init" in out and "--insecure-no-auth" in out
    rc, out = start_and_wait(["--host", "0.0.0.0", "--insecure-no-auth"], tmp_path / "d")
    assert rc is None and "WARNING" in out and "--insecure-no-auth" in out
    sextant(tmp_path / "d", "admin", "init")
    rc, out = start_and_wait(["--host", "0.0.0.0"], tmp_path / "d")
    assert rc is None, out


def test_insecure_no_auth_is_reported(make_server):
    srv = make_server(["--insecure-no-auth"])
    r = srv.client.get("/auth/me")
    assert r.json["insecure_no_auth"] is True and r.json["auth_required"] is False


def test_admin_init_refuses_a_second_owner(tmp_path):
    sextant(tmp_path, "admin", "init")
    p = sextant(tmp_path, "admin", "init", check=False)
    assert p.returncode == 2 and "owner already" in p.stderr


def test_cli_user_token_member_commands(tmp_path):
    d = tmp_path
    sextant(d, "admin", "init", "--name", "root")
    p = sextant(d, "user", "add", "ci-bot", "--service")
    assert last_line(p).startswith("sxt_")
    p = sextant(d, "user", "add", "alice")
    assert len(last_line(p)) >= 16  # a generated password
    sextant(d, "member", "add", "alice", "vision/*", "writer")
    out = sextant(d, "member", "list", "vision/resnet").stdout
    assert "alice" in out and "vision/*" in out
    p = sextant(d, "token", "create", "--user", "ci-bot", "--project", "vision/resnet", "--role", "writer",
                "--expires", "30")
    assert last_line(p).startswith("sxt_")
    out = sextant(d, "token", "list", "--user", "ci-bot").stdout
    assert "vision/resnet" in out and "writer" in out
    out = sextant(d, "user", "list").stdout
    assert "ci-bot" in out and "service" in out
    sextant(d, "user", "disable", "alice")
    assert "yes" in [line for line in sextant(d, "user", "list").stdout.splitlines() if "alice" in line][0]
    p = sextant(d, "member", "add", "alice", "vision/resnet", "emperor", check=False)
    assert p.returncode == 2 and "viewer, writer or admin" in p.stderr
    p = sextant(d, "user", "add", "bad name", check=False)
    assert p.returncode == 2


def test_a_trusted_proxy_gives_the_client_address(make_server):
    srv = make_server(["--trusted-proxy", "127.0.0.1"], name="proxied", start=False)
    sextant(srv.data_dir, "admin", "init", "--name", "root", "--password-stdin", stdin=PASSWORD + "\n")
    srv.start()
    port = srv.port
    # What nginx sends: the client's address appended to what the client claimed.
    st, h, _ = login(port, "root", "wrong-password", {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})
    assert st == 401
    st, h, _ = login(port, "root", PASSWORD, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert st == 200 and "; Secure" in h["Set-Cookie"]
    token = last_line(sextant(srv.data_dir, "token", "create", "--user", "root"))
    entries = srv.client.as_token(token).get("/admin/audit").json["entries"]
    addresses = {e["action"]: e["address"] for e in entries}
    assert addresses["login.failure"] == "203.0.113.7"
    assert addresses["login.success"] == "203.0.113.7"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(team):
    st, h, _ = login(team.server.port, "writer", PASSWORD, {"X-Forwarded-For": "203.0.113.7",
                                                          "X-Forwarded-Proto": "https"})
    assert st == 200 and "Secure" not in h["Set-Cookie"]
    entries = team.client("owner").get("/admin/audit?action=login.success").json["entries"]
    assert entries[0]["address"] == "127.0.0.1"

"""Several `sextant serve` replicas on one PostgreSQL database behind nginx
(scripts/nginx.sh: the settings docs/deploy.md recommends, without TLS),
skipped unless SEXTANT_TEST_POSTGRES names a server and nginx is installed.
Clients talk only to nginx, which picks a replica per request and sends a
request on to the next replica when one fails: writers lose and duplicate
nothing, also when a replica is killed with SIGKILL mid-write; live updates
reach a stream whichever replica serves it; an account, token or browser
session works on every replica."""
import http.client
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from auth_util import PASSWORD, last_line, sextant
from sextant_e2e import HOST, REPO, Client, Server
from test_replicas import BATCHES, PG, PROJ, WRITERS, batch, check, run_writers, store_url

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else "")
pytestmark = [
    pytest.mark.skipif(not PG, reason="SEXTANT_TEST_POSTGRES does not name a PostgreSQL server"),
    pytest.mark.skipif(not NGINX, reason="nginx is not installed (Debian package nginx-light)"),
]
SCRIPT = REPO / "scripts" / "nginx.sh"
UPSTREAM = "X-Sextant-Upstream"  # set by scripts/nginx.sh's config: the replica(s) tried


class Balancer:
    """nginx in front of `servers`; `client` talks to it as Server.client does."""

    def __init__(self, folder: Path, servers: list[Server]):
        self.folder = folder
        p = subprocess.run([str(SCRIPT), "start", str(folder), *(f"{HOST}:{s.port}" for s in servers)],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, f"scripts/nginx.sh start failed ({p.returncode}):\n{p.stderr}"
        url = p.stdout.strip().splitlines()[-1]
        assert url.startswith(f"http://{HOST}:"), url
        self.port = int(url.rsplit(":", 1)[1])
        self.client = Client(self)

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.folder)], check=True, timeout=60)

    def log_tail(self, n: int = 3000) -> str:
        out = []
        for name in ("error.log", "access.log"):
            try:
                out.append(f"--- nginx {name}:\n" + (self.folder / name).read_text()[-n:])
            except OSError:
                pass
        return "\n".join(out)


def answered_by(tried: str | None) -> int:
    """The port of the replica that answered, from the X-Sextant-Upstream
    header (nginx lists every replica it tried)."""
    assert tried, f"no {UPSTREAM} header: is this nginx with scripts/nginx.sh's config?"
    return int(tried.split(",")[-1].strip().rsplit(":", 1)[1])


class Cluster:
    """n replicas on one store (a schema of their own) behind nginx."""

    def __init__(self, tmp_path: Path, n: int, before_start=None):
        url = store_url()
        self.store = url
        # --trusted-proxy: the replicas believe nginx's X-Forwarded-For/-Proto,
        # as docs/deploy.md says to start them.
        self.servers = [Server(tmp_path / f"r{i}", tmp_path / f"r{i}.log",
                               ["--store", url, "--trusted-proxy", HOST]) for i in range(n)]
        self.nginx: Balancer | None = None
        if before_start:
            before_start(self)
        try:
            for s in self.servers:
                s.start()
            self.nginx = Balancer(tmp_path / "nginx", self.servers)
        except BaseException:
            self.close()
            raise

    @property
    def ports(self) -> set[int]:
        return {s.port for s in self.servers}

    def close(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for s in self.servers:
            if s.alive():
                s.stop()
            else:
                s.kill()  # reaps one killed by the test


@pytest.fixture
def cluster(tmp_path):
    made: list[Cluster] = []

    def make(n: int, before_start=None) -> Cluster:
        c = Cluster(tmp_path, n, before_start)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def write_through(nginx: Balancer, acked: list, answered: list, failures: list, on_batch=None):
    """WRITERS threads log BATCHES batches each through nginx. A failed
    request is recorded and sent again (what the SDK does), so the data
    checks hold either way; the tests then require that there was none."""
    def writer(w: int):
        for b in range(BATCHES):
            if on_batch:
                on_batch(w, b)
            for _ in range(10):
                try:
                    r = nginx.client.log(PROJ, "run", batch(w, b), expect=None)
                except OSError as e:
                    failures.append((w, b, repr(e)))
                    continue
                if r.status == 200:
                    acked.append((w, b))
                    answered.append(answered_by(r.header(UPSTREAM)))
                    break
                failures.append((w, b, r))
            else:
                raise AssertionError(f"batch {w}/{b} never acknowledged")

    run_writers(writer)


def test_writers_through_nginx(cluster):
    c = cluster(3)
    nginx = c.nginx
    nginx.client.create_run(PROJ, "run")
    acked: list = []
    answered: list = []
    failures: list = []
    write_through(nginx, acked, answered, failures)
    assert not failures, f"requests through nginx failed: {failures[:5]}\n{nginx.log_tail()}"
    assert len(acked) == WRITERS * BATCHES
    assert set(answered) == c.ports, f"nginx did not spread the writes: {sorted(answered)}"
    check(nginx, acked)
    for s in c.servers:  # every replica reads everything
        check(s, acked)
    # An upload over nginx's default body limit (1 MiB) goes through. (Read
    # back from the replica that took it: here each keeps files of its own.)
    blob = os.urandom(3 << 20)
    r = nginx.client.put(f"/projects/{PROJ}/runs/run/files/ckpt/model.bin", blob)
    assert r.status == 200, f"{r!r}\n{nginx.log_tail()}"
    took = next(s for s in c.servers if s.port == answered_by(r.header(UPSTREAM)))
    r = took.client.get(f"/projects/{PROJ}/runs/run/files/ckpt/model.bin")
    assert r.status == 200 and r.body == blob, r


def test_kill_one_replica_mid_write_through_nginx(cluster):
    c = cluster(3)
    nginx = c.nginx
    victim = c.servers[1]
    nginx.client.create_run(PROJ, "run")
    acked: list = []
    answered: list = []
    failures: list = []
    killed = threading.Event()

    def maybe_kill(w: int, b: int):
        if b == BATCHES // 2 and not killed.is_set():
            killed.set()
            # Stopped first, so that the other writers' requests pile up on
            # it: the kill then surely cuts requests already sent.
            victim.proc.send_signal(signal.SIGSTOP)
            time.sleep(0.5)
            victim.proc.send_signal(signal.SIGKILL)

    write_through(nginx, acked, answered, failures, on_batch=maybe_kill)
    assert killed.is_set() and not victim.alive()
    # nginx sent every request that met the dead replica on to another one.
    assert not failures, f"writers saw failures through nginx: {failures[:5]}\n{nginx.log_tail()}"
    assert len(acked) == WRITERS * BATCHES
    assert victim.port in answered, "the killed replica never took a write before it died"
    # ... and it was nginx that passed on what met the dead replica.
    access = (nginx.folder / "access.log").read_text()
    assert f"upstream={HOST}:{victim.port}, " in access, nginx.log_tail()
    check(nginx, acked)
    for s in c.servers:
        if s.alive():
            check(s, acked)
    victim.kill()  # reap it; restarted, it reads the same
    victim.start()
    check(victim, acked)


def test_live_update_through_nginx(cluster):
    c = cluster(3)
    nginx = c.nginx
    for i in range(3):
        nginx.client.create_run(PROJ, f"sse-{i}")
    # A stream that stays silent for 5 s fails the read (socket timeout).
    conn = http.client.HTTPConnection(HOST, nginx.port, timeout=5)
    conn.request("GET", f"/api/v1/projects/{PROJ}/events")
    stream = conn.getresponse()
    assert stream.status == 200, stream.read()
    assert stream.getheader("Content-Type", "").startswith("text/event-stream")
    stream_port = answered_by(stream.getheader(UPSTREAM))
    try:
        log_ports = []
        # Three points, each logged through nginx: round robin puts them on
        # the three replicas, so at least two land on another replica than
        # the stream's.
        for i in range(3):
            t0 = time.monotonic()
            r = nginx.client.log(PROJ, f"sse-{i}", {"series": [{"path": "loss", "steps": [i], "values": [0.5]}]})
            log_ports.append(answered_by(r.header(UPSTREAM)))
            want = f'"run_id":"sse-{i}"'.encode()
            while True:
                try:
                    line = stream.readline()
                except TimeoutError:
                    raise AssertionError(f"no event for sse-{i} (logged through replica {log_ports[-1]}) "
                                         f"on the stream of replica {stream_port} within 5 s") from None
                assert line, "the stream ended"
                if b'"type":"log"' in line and want in line:
                    break
            elapsed = time.monotonic() - t0
            assert elapsed < 1.0, (f"the point logged through replica {log_ports[-1]} reached the stream "
                                   f"on replica {stream_port} after {elapsed:.2f} s")
        assert any(p != stream_port for p in log_ports), (stream_port, log_ports)
    finally:
        conn.close()


def test_accounts_shared_across_replicas(cluster):
    """Needs the accounts in the shared PostgreSQL store: with accounts in
    each replica's data folder, only the replica whose folder the commands
    wrote to knows them."""
    tokens: dict[str, str] = {}

    def accounts(c: Cluster):
        # The account commands on the shared store, before any replica starts.
        data = c.servers[0].data_dir
        store = ["--store", c.store]
        tokens["owner"] = last_line(sextant(data, "admin", "init", "--name", "owner", "--password-stdin",
                                            *store, stdin=PASSWORD + "\n"))
        sextant(data, "user", "add", "bob", "--password-stdin", *store, stdin=PASSWORD + "\n")

    c = cluster(3, before_start=accounts)
    nginx, servers = c.nginx, c.servers
    everywhere = [*((f"replica {i}", s.client) for i, s in enumerate(servers)),
                  ("nginx", nginx.client)]

    def me(client: Client, token: str | None = None, cookie: str | None = None):
        headers = {"Cookie": f"sextant_session={cookie}"} if cookie else {}
        return client.as_token(token).get("/auth/me", headers=headers)

    for where, cl in everywhere:
        r = me(cl)
        assert r.status == 200 and r.json["auth_required"] is True, f"{where} needs no sign-in: {r!r}"
        r = me(cl, tokens["owner"])
        assert r.status == 200 and r.json["user"]["name"] == "owner", f"{where}, the owner's token: {r!r}"

    # A token created through one replica authenticates on every replica.
    owner0 = servers[0].client.as_token(tokens["owner"])
    r = owner0.post("/tokens", {"name": "ci", "principal": "bob"})
    assert r.status == 201, r
    bob_token, bob_token_id = r.json["secret"], r.json["token"]["id"]
    for where, cl in everywhere:
        r = me(cl, bob_token)
        assert r.status == 200 and r.json["user"]["name"] == "bob", f"{where}, a token made on replica 0: {r!r}"

    # A browser sign-in through nginx: the session works on the next requests
    # whichever replica answers them (headers as the web UI sends them).
    origin = {"Origin": f"http://{HOST}:{nginx.port}", "Sec-Fetch-Site": "same-origin",
              "X-Requested-By": "sextant"}
    r = nginx.client.post("/auth/login", {"name": "owner", "password": PASSWORD}, headers=origin)
    assert r.status == 200, r
    cookie = r.header("Set-Cookie").split(";")[0].split("=", 1)[1]
    seen = set()
    for i in range(2 * len(servers)):
        r = nginx.client.post(f"/projects/{PROJ}/runs", {"run_id": f"web-{i}"},
                              headers={"Cookie": f"sextant_session={cookie}", **origin})
        assert r.status == 201, f"request {i} with the session, answered by {r.header(UPSTREAM)}: {r!r}"
        seen.add(answered_by(r.header(UPSTREAM)))
    assert seen == c.ports, f"nginx did not spread the requests: {seen}"
    for i, s in enumerate(servers):
        r = me(s.client, cookie=cookie)
        assert r.status == 200 and r.json["user"]["name"] == "owner", f"replica {i}, the session: {r!r}"

    # Revoked through another replica: refused by every replica at once.
    r = servers[-1].client.as_token(tokens["owner"]).request("DELETE", f"/tokens/{bob_token_id}")
    assert r.status == 204, r
    for where, cl in everywhere:
        r = me(cl, bob_token)
        assert r.status == 401, f"{where} still takes the token revoked on the last replica: {r!r}"

    # Signed out through nginx: the session ends on every replica.
    r = nginx.client.post("/auth/logout", headers={"Cookie": f"sextant_session={cookie}", **origin})
    assert r.status == 204, r
    for i, s in enumerate(servers):
        r = me(s.client, cookie=cookie)
        assert r.status == 401 or r.json["user"] is None, f"replica {i} still takes the ended session: {r!r}"

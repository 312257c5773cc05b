"""Garbage in never crashes the server: random bytes, broken HTTP, huge
headers, bad methods, hostile JSON. Afterwards it still answers and the data
is intact."""
from __future__ import annotations

import copy
import signal
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sextant_e2e import HOST, Client, assert_error, dumps, raw_exchange, raw_status

PROJ = "e2e/robust"


def http_req(method: str, target: str, body: bytes = b"", headers: dict | None = None,
             version: str = "HTTP/1.1") -> bytes:
    h = {"Host": "127.0.0.1", "Content-Length": str(len(body)), "Connection": "close"}
    h.update(headers or {})
    lines = [f"{method} {target} {version}"] + [f"{k}: {v}" for k, v in h.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def garbage_requests(rng: random.Random) -> list[bytes]:
    reqs: list[bytes] = []
    # Pure random bytes, with and without an HTTP-looking start.
    for _ in range(60):
        reqs.append(rng.randbytes(rng.randint(1, 4096)))
    for _ in range(20):
        reqs.append(b"POST /api/v1/projects/e2e/robust/runs/keep/log HTTP/1.1\r\n" + rng.randbytes(rng.randint(1, 2000)))
    # Bad methods and versions.
    for m in ("FOO", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "G\x00ET", "get", "X" * 5000):
        reqs.append(http_req(m, "/api/v1/health"))
    for v in ("HTTP/9.9", "HTTP/0.9", "HTTX/1.1", "HTTP/1.1 extra"):
        reqs.append(http_req("GET", "/api/v1/health", version=v))
    reqs += [b"GET /api/v1/health\r\n\r\n", b"\r\n\r\n\r\n", b"GET\r\n\r\n", b" / HTTP/1.1\r\n\r\n"]
    # Huge headers, many headers, huge URL, bad targets.
    reqs.append(http_req("GET", "/api/v1/health", headers={"X-Big": "a" * (1 << 20)}))
    reqs.append(("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"X-H{i}: v\r\n" for i in range(20000)) + "\r\n").encode())
    reqs.append(http_req("GET", "/api/v1/projects/" + "a" * 200_000))
    reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs/keep/attributes?pattern=" + "(" * 5000))
    reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs/keep/attributes?pattern=%ff%fe"))
    reqs.append(http_req("GET", "/api/v1/projects/%zz/%00/runs"))
    reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs?filter=" + "(" * 10000))
    reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs?filter=" + "not%20" * 10000 + "a"))
    reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs?limit=-1&offset=99999999999999999999"))
    reqs.append(http_req("GET", "*"))
    reqs.append(http_req("GET", "http://evil.example/api/v1/health"))
    # Broken Content-Length / Transfer-Encoding.
    log = "/api/v1/projects/e2e/robust/runs/fuzz/log"
    for cl in ("-1", "abc", "99999999999999999999999", "1, 2", " 5", "0x10"):
        reqs.append(f"POST {log} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {cl}\r\n\r\n{{}}".encode())
    reqs.append(f"POST {log} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\n{{}}".encode())
    for chunked in (b"zz\r\n{}\r\n0\r\n\r\n", b"fffffffffffffffff\r\n{}\r\n", b"2\r\n{}", b"-2\r\n{}\r\n0\r\n\r\n"):
        reqs.append(f"POST {log} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    f"Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
    # Short body: Content-Length larger than what is sent, then EOF.
    reqs.append(f"POST {log} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{\"con".encode())
    # Hostile JSON.
    deep = 200_000
    for body in (b"[" * deep + b"]" * deep,
                 b'{"configs":' + b'{"a":' * deep + b"1" + b"}" * deep + b"}",
                 b'{"series":[{"path":"m","steps":[0],"values":[' + b"[" * deep + b"]" * deep + b"]}]}",
                 b'{"configs":{"a":1e999999}}', b'{"configs":{"a":-1e999999}}',
                 b'{"configs":{"a":123456789012345678901234567890}}',
                 b'{"series":[{"path":"m","steps":[1e400],"values":[1]}]}',
                 b'{"configs":{"a":"' + b"\\u0000" * 1000 + b'"}}',
                 b'{"configs":{"' + b"\\ud83d" * 1000 + b'":1}}',
                 b'{"configs":{"a":"\\',
                 b'{"configs":{"a":1},"configs":{"a":"dup"}}',
                 b"\xef\xbb\xbf{}", b"\x00" * 1000, b"{}" * 10000,
                 b'{"series":[' + b'{"path":"m","steps":[],"values":[]},' * 5000 + b'{"path":"m","steps":[],"values":[]}]}'):
        for target in (log, "/api/v1/projects/e2e/robust/runs", "/api/v1/projects/e2e/robust/runs/query",
                       "/api/v1/projects/e2e/robust/series", "/api/v1/projects/e2e/robust/runs/fuzz/finish"):
            reqs.append(http_req("POST", target, body, {"Content-Type": "application/json"}))
    # Random bodies to every endpoint.
    targets = [("POST", log), ("POST", "/api/v1/projects/e2e/robust/runs"),
               ("POST", "/api/v1/projects/e2e/robust/runs/query"), ("POST", "/api/v1/projects/e2e/robust/series"),
               ("POST", "/api/v1/projects/e2e/robust/runs/fuzz/finish"),
               ("PUT", "/api/v1/projects/e2e/robust/runs/fuzz/files/junk"),
               ("GET", "/api/v1/projects/e2e/robust/runs/keep/files/f")]
    for _ in range(60):
        m, t = rng.choice(targets)
        reqs.append(http_req(m, t, rng.randbytes(rng.randint(0, 3000)), {"Content-Type": "application/json"}))
    # Ranges that make no sense.
    for rg in ("bytes=5-1", "bytes=99999999999999999999-", "bytes=-0", "bytes=a-b", "items=0-1",
               "bytes=0-1,2-3,4-5", "bytes=" + "0-1," * 5000 + "0-1"):
        reqs.append(http_req("GET", "/api/v1/projects/e2e/robust/runs/keep/files/f", headers={"Range": rg}))
    # Bad checksum headers.
    for h in ("", "zz", "0" * 1000, "\x7f"):
        reqs.append(http_req("PUT", "/api/v1/projects/e2e/robust/runs/fuzz/files/j2", b"abc",
                             {"X-Sextant-SHA256": h}))
    return reqs


def mutated_batches(rng: random.Random, n: int) -> list:
    base = {"configs": {"lr": 0.1, "e": {"type": "datetime", "value": "2026-11-22T10:00:00Z"},
                        "s": {"type": "string_set", "value": ["a"]}},
            "series": [{"path": "fz/m", "steps": [0, 1], "values": [1.0, 2.0], "timestamps": [1.0, 2.0]},
                       {"path": "fz/h", "type": "histogram", "steps": [0], "values": [{"edges": [0, 1], "counts": [1]}]},
                       {"path": "fz/s", "type": "string", "steps": [0], "values": ["x"]}],
            "add_tags": ["a"], "remove_tags": ["b"], "state": "running"}
    pool = [None, True, False, 0, -1, 2 ** 63, -2 ** 63 - 1, 2 ** 80, 1e308, -1e308, 5e-324, "", "NaN",
            "Infinity", "x" * 300, "\u0000", "\u202e", "a//b", "/", [], [[]], {}, {"type": "float"},
            {"edges": [1, 0], "counts": [1]}, [None], ["NaN"], 1.5, "1.5", 9e12, -0.0]
    out = []
    for _ in range(n):
        b = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            node, key = b, None
            # walk to a random place
            for _ in range(rng.randint(0, 4)):
                if isinstance(node, dict) and node:
                    key = rng.choice(list(node))
                elif isinstance(node, list) and node:
                    key = rng.randrange(len(node))
                else:
                    break
                if rng.random() < 0.5 or not isinstance(node[key], (dict, list)):
                    break
                node = node[key]
                key = None
            if key is None:
                if isinstance(node, dict):
                    node[rng.choice(["sys/x", "", "q", "a" * 2000])] = rng.choice(pool)
                elif isinstance(node, list):
                    node.append(rng.choice(pool))
            else:
                node[key] = copy.deepcopy(rng.choice(pool))
        out.append(b)
    return out


def test_garbage_never_crashes(make_server):
    srv = make_server(name="robust")
    c: Client = srv.client
    c.create_run(PROJ, "keep")
    c.create_run(PROJ, "fuzz")
    rng = random.Random(1234)
    keep_vals = [rng.uniform(-1, 1) for _ in range(500)]
    c.log(PROJ, "keep", {"configs": {"lr": 0.5}, "add_tags": ["t"],
                         "series": [{"path": "m", "steps": list(range(500)), "values": keep_vals}]})
    c.put(f"/projects/{PROJ}/runs/keep/files/f", b"0123456789")
    snapshot = (c.attributes(PROJ, "keep"), c.series(PROJ, {"runs": ["keep"], "path": "m"}).body)

    reqs = garbage_requests(rng)
    server_errors = []

    def send(data: bytes):
        resp = raw_exchange(srv.port, data, timeout=10)
        st = raw_status(resp)
        if st is not None and st >= 500:
            server_errors.append((data[:120], resp[:300]))
        return st

    t0 = time.monotonic()
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(send, reqs))
    assert srv.alive(), f"server died on garbage:\n{srv.log_tail()}"

    r = c.health()
    assert r.status == 200, r

    # Mutated, almost valid batches.
    statuses = {}
    for b in mutated_batches(rng, 300):
        r = c.post(f"/projects/{PROJ}/runs/fuzz/log", raw=dumps(b))
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if r.status >= 500:
            server_errors.append((dumps(b)[:200], r.body[:300]))
        elif r.status != 200:
            assert_error(r, r.status)  # the documented error shape and code
    assert set(statuses) <= {200, 400, 409, 413}, statuses
    assert srv.alive(), f"server died on mutated batches:\n{srv.log_tail()}"
    assert time.monotonic() - t0 < 120

    assert not server_errors, server_errors[:5]
    r = c.health()
    assert r.status == 200 and r.json["status"] == "ok"
    assert (c.attributes(PROJ, "keep"), c.series(PROJ, {"runs": ["keep"], "path": "m"}).body) == snapshot
    assert c.get(f"/projects/{PROJ}/runs/keep/files/f").body == b"0123456789"
    # still writable
    c.log(PROJ, "keep", {"series": [{"path": "m", "steps": [500], "values": [1.0]}]})
    srv.restart()
    assert len(c.read_all(PROJ, "keep", "m")["steps"]) == 501


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_wrong_method_on_known_route(client, proj, method):
    # A known path with a method it does not take is 405 whatever the body.
    client.create_run(proj, "r")
    for body, headers in ((None, {}), (b"{}", {"Content-Type": "application/json"})):
        r = client.request(method, f"/projects/{proj}/runs/r", body, headers)
        assert r.status == 405, r
        assert_error(r, 405, documented=False)
    assert client.get(f"/projects/{proj}/runs/r").status == 200


def _health_within(c: Client, seconds: float) -> float:
    t = time.monotonic()
    r = c.health(timeout=seconds)
    assert r.status == 200, r
    return time.monotonic() - t


def test_idle_keepalive_connections_do_not_starve_new_clients(make_server):
    """Training jobs keep a connection open and log every few seconds; 40 of
    them idling must not lock out a 41st client."""
    srv = make_server(name="idle")
    c = srv.client
    conns = []
    try:
        for i in range(40):
            conn = c.connection(timeout=5)
            conns.append(conn)
            try:
                r = c.get("/health", conn=conn)  # keep-alive: the connection stays open
            except (TimeoutError, OSError) as e:
                raise AssertionError(f"client #{i + 1} got no answer in 5 s while {i} other "
                                     f"keep-alive connections were idle: {e!r}") from None
            assert r.status == 200
        try:
            took = _health_within(c, 5.0)
        except (TimeoutError, OSError) as e:
            raise AssertionError(f"a new client got no answer in 5 s while 40 keep-alive "
                                 f"connections were idle: {e!r}") from None
        assert took < 5.0
        # the idle connections still work
        for conn in conns[:5]:
            assert c.get("/health", conn=conn).status == 200
    except AssertionError:
        srv.kill()  # do not wait for its timeouts at teardown; the failure is reported
        raise
    finally:
        for conn in conns:
            conn.close()


def test_half_open_requests_do_not_block_health(make_server):
    """Clients that die mid-request (headers or body cut off) must not stop
    the server from answering others."""
    srv = make_server(name="halfopen")
    c = srv.client
    c.create_run(PROJ, "r")
    socks = []
    try:
        for i in range(40):
            s = socket.create_connection((HOST, srv.port), timeout=5)
            if i % 2:
                s.sendall(b"POST /api/v1/projects/e2e/robust/runs/r/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"con")
            else:
                s.sendall(b"GET /api/v1/hea")
            socks.append(s)
        try:
            _health_within(c, 5.0)
        except (TimeoutError, OSError) as e:
            srv.kill()  # do not wait for its timeouts at teardown; the failure is reported
            raise AssertionError(f"health got no answer in 5 s with 40 stalled requests open: {e!r}") from None
    finally:
        for s in socks:
            s.close()
    assert c.health().status == 200


def test_sigterm_with_idle_keepalive_connections_exits_promptly(make_server):
    srv = make_server(name="idleterm")
    c = srv.client
    conns = []
    for _ in range(4):
        conn = c.connection(timeout=60)
        assert c.get("/health", conn=conn).status == 200
        conns.append(conn)
    try:
        t = time.monotonic()
        rc = srv.stop(signal.SIGTERM, timeout=10)  # kills and fails after 10 s
        took = time.monotonic() - t
    finally:
        for conn in conns:
            conn.close()
    assert rc == 0
    assert took < 10, f"SIGTERM took {took:.1f} s with idle keep-alive connections open"

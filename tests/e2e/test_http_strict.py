"""The HTTP front door under attack: each attack from the issue that replaced
the thread-per-connection server, as a regression test against the real
binary over real sockets (request desync, thread starvation, amplification,
lenient framing)."""
from __future__ import annotations

import gzip
import hashlib
import re
import socket
import threading
import time
import zlib

import pytest

from sextant_e2e import HOST, Client, assert_error, dumps, raw_exchange, raw_status

VIEW_STATE = {"state": {"columns": ["a"]}}


def views(c: Client, proj: str) -> list[str]:
    r = c.get(f"/projects/{proj}/views")
    assert r.status == 200, r
    return [v["name"] for v in r.json["views"]]


def smuggled_deletes(proj: str, n: int = 20) -> bytes:
    one = (f"DELETE /api/v1/projects/{proj}/views/x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Content-Length: 0\r\n\r\n")
    return (one * n).encode()


def request_bytes(method: str, target: str, body: bytes, headers: dict | None = None) -> bytes:
    h = {"Host": "127.0.0.1", "Content-Length": str(len(body))}
    h.update(headers or {})
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    return head.encode("latin-1") + body


def responses_in(data: bytes) -> int:
    return data.count(b"HTTP/1.1 ")


@pytest.fixture
def small(make_server):
    """A server with a 1 MiB body limit, a 1 GiB file limit (the smallest)."""
    return make_server(["--max-body-mb", "1", "--max-file-gb", "1"], name="small")


# --------------------------------------------------------------------------
# Request desync: a body left unread is never executed as requests.

def test_desync_bodies_of_rejected_requests_execute_nothing(small):
    c = small.client
    proj = "e2e/desync"
    c.create_run(proj, "r")
    assert c.request("PUT", f"/projects/{proj}/views/x", dumps(VIEW_STATE),
                     {"Content-Type": "application/json"}).status == 200
    payload = smuggled_deletes(proj)
    big = payload + b" " * (2 << 20)  # over the 1 MiB body limit
    attacks = [
        # 413: Content-Length over the route's limit.
        ("POST", f"/api/v1/projects/{proj}/runs/r/log", big, {"Content-Type": "text/plain"}, 413),
        # 404: a file PUT to an unknown run is refused before its body.
        ("PUT", f"/api/v1/projects/{proj}/runs/nope/files/f", payload, {}, 404),
        # 400: a bad project name.
        ("POST", "/api/v1/projects/bad%20ws/p/runs", payload, {"Content-Type": "text/plain"}, 400),
        # 404: no such route, with a body.
        ("POST", "/api/v1/no/such/route", payload, {"Content-Type": "text/plain"}, 404),
        # 405: a known path with the wrong method.
        ("PUT", f"/api/v1/projects/{proj}/runs/r", payload, {}, 405),
    ]
    for method, target, body, headers, status in attacks:
        # Content-Length covers only the start: the rest of the packet is the
        # smuggled requests, as a proxy in front would have forwarded them.
        data = request_bytes(method, target, body, headers)
        resp = raw_exchange(small.port, data, timeout=5)
        assert raw_status(resp) == status, (method, target, resp[:300])
        assert responses_in(resp) == 1, f"the unread body was served as requests: {resp[:600]!r}"
        assert views(c, proj) == ["x"], (method, target)
    # The cross-origin text/plain form from the issue: refused (415), the
    # body read and dropped, nothing of it executed.
    data = request_bytes("POST", f"/api/v1/projects/{proj}/runs/r/log", payload,
                         {"Content-Type": "text/plain"})
    resp = raw_exchange(small.port, data, timeout=5)
    assert raw_status(resp) == 415 and responses_in(resp) == 1, resp[:400]
    assert views(c, proj) == ["x"]


def test_chunked_body_over_limit_is_refused_and_closed(small):
    c = small.client
    proj = "e2e/desync_chunked"
    c.create_run(proj, "r")
    c.request("PUT", f"/projects/{proj}/views/x", dumps(VIEW_STATE), {"Content-Type": "application/json"})
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
    data = (f"POST /api/v1/projects/{proj}/runs/r/log HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n").encode()
    resp = raw_exchange(small.port, data + body + smuggled_deletes(proj), timeout=5)
    assert raw_status(resp) == 413 and responses_in(resp) == 1, resp[:300]
    assert views(c, proj) == ["x"]


# --------------------------------------------------------------------------
# Strict framing: 400 (or 431, 501, 505) and a closed connection.

MALFORMED = [
    (b"Content-Length: abc\r\n", 400),
    (b"Content-Length: -1\r\n", 400),
    (b"Content-Length: 2\r\nContent-Length: 2\r\n", 400),
    (b"Content-Length: 2\r\nContent-Length: 7\r\n", 400),
    (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", 400),
    (b"Transfer-Encoding: gzip\r\nContent-Length: 2\r\n", 400),
    (b"X-No-Colon-Here\r\nContent-Length: 2\r\n", 400),
    (b"Bad Name: x\r\nContent-Length: 2\r\n", 400),
]


@pytest.mark.parametrize("fields,status", MALFORMED)
def test_malformed_framing_is_refused_and_closed(client, proj, fields, status):
    client.create_run(proj, "r")
    client.request("PUT", f"/projects/{proj}/views/x", dumps(VIEW_STATE), {"Content-Type": "application/json"})
    data = (f"POST /api/v1/projects/{proj}/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + fields +
            b"\r\n{}" + smuggled_deletes(proj, 3))
    with socket.create_connection((HOST, client.port), timeout=5) as s:
        s.sendall(data)
        got = b""
        while True:  # the server must close by itself (we do not shut down)
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    assert raw_status(got) == status, got[:300]
    assert responses_in(got) == 1, got[:600]
    assert b'"error"' in got
    assert views(client, proj) == ["x"]


def test_missing_or_repeated_host_is_refused(client):
    for head in (b"GET /api/v1/health HTTP/1.1\r\n\r\n",
                 b"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
        assert raw_status(raw_exchange(client.port, head)) == 400
    assert raw_status(raw_exchange(client.port, b"GET /api/v1/health HTTP/1.0\r\n\r\n")) == 200


def test_too_many_header_bytes_or_fields_get_431(client):
    many = ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            "".join(f"X-H{i}: v\r\n" for i in range(200_000)) + "\r\n").encode()
    t0 = time.monotonic()
    resp = raw_exchange(client.port, many, timeout=10)
    assert raw_status(resp) == 431, resp[:200]
    assert time.monotonic() - t0 < 10
    fields = ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
              "".join(f"X{i}: v\r\n" for i in range(300)) + "\r\n").encode()
    assert raw_status(raw_exchange(client.port, fields)) == 431
    big = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    assert raw_status(raw_exchange(client.port, big)) == 431
    assert client.health().status == 200


def test_pipelined_requests_are_answered_in_order(client, proj):
    client.create_run(proj, "r")
    reqs = (request_bytes("GET", "/api/v1/health", b"") +
            request_bytes("POST", f"/api/v1/projects/{proj}/runs/r/log",
                          dumps({"configs": {"lr": 0.5}}), {"Content-Type": "application/json"}) +
            request_bytes("GET", f"/api/v1/projects/{proj}/runs/r", b"", {"Connection": "close"}))
    resp = raw_exchange(client.port, reqs, timeout=5)  # all in one packet
    assert responses_in(resp) == 3, resp
    parts = resp.split(b"HTTP/1.1 ")[1:]
    assert parts[0].startswith(b"200") and b'"status":"ok"' in parts[0]
    assert parts[1].startswith(b"200") and b'"configs":1' in parts[1]
    assert parts[2].startswith(b"200") and b'"run_id":"r"' in parts[2]


def test_query_values_keep_their_equals_signs(client, proj):
    client.create_run(proj, "a")
    client.log(proj, "a", {"configs": {"tag": "x=y"}})
    client.create_run(proj, "b")
    client.log(proj, "b", {"configs": {"tag": "y"}})
    r = client.get(f"/projects/{proj}/runs?filter=tag%20%3D%3D%20%22x=y%22")
    assert r.status == 200, r
    assert [row["run_id"] for row in r.json["runs"]] == ["a"]
    r = client.get(f"/projects/{proj}/runs?filter=%zz")
    assert_error(r, 400)


def test_expect_continue_upload(client, proj):
    client.create_run(proj, "r")
    body = dumps({"configs": {"lr": 0.25}})
    data = request_bytes("POST", f"/api/v1/projects/{proj}/runs/r/log", b"",
                         {"Content-Type": "application/json", "Content-Length": str(len(body)),
                          "Expect": "100-continue", "Connection": "close"})
    with socket.create_connection((HOST, client.port), timeout=5) as s:
        s.sendall(data)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 100 Continue"), first
        s.sendall(body)
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    assert b"HTTP/1.1 200" in got, got


# --------------------------------------------------------------------------
# Amplification: decompression and ranges are bounded.

def test_gzip_bomb_upload_gets_413_and_stores_nothing(small):
    c = small.client
    proj = "e2e/bomb"
    c.create_run(proj, "r")
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = bytes(1 << 20)
    bomb = b"".join(co.compress(zeros) for _ in range(1100)) + co.flush()  # 1.1 GiB > 1 GiB
    assert len(bomb) < 2 << 20
    before = sum(f.stat().st_size for f in small.data_dir.rglob("*") if f.is_file())
    r = c.put(f"/projects/{proj}/runs/r/files/bomb.bin", bomb, {"Content-Encoding": "gzip"})
    assert_error(r, 413)
    assert c.get(f"/projects/{proj}/runs/r/files/bomb.bin").status == 404
    after = sum(f.stat().st_size for f in small.data_dir.rglob("*") if f.is_file())
    assert after - before < 64 << 20, f"the data folder grew by {after - before} bytes"
    # A JSON bomb: 1 MiB limit, 100 MiB of zeros once inflated.
    r = c.post(f"/projects/{proj}/runs/r/log", raw=gzip.compress(b" " * (100 << 20)),
               headers={"Content-Encoding": "gzip"})
    assert_error(r, 413)
    # A real gzip upload within the limit round-trips decoded.
    data = b"checkpoint " * 1000
    r = c.put(f"/projects/{proj}/runs/r/files/ok.bin", gzip.compress(data), {"Content-Encoding": "gzip"})
    assert r.status == 200 and r.json["digest"] == hashlib.sha256(data).hexdigest(), r
    assert c.get(f"/projects/{proj}/runs/r/files/ok.bin").body == data


def test_corrupt_compressed_bodies_get_400(client, proj):
    client.create_run(proj, "r")
    good = gzip.compress(dumps({"configs": {"a": 1}}))
    for enc, body in (("gzip", good[:-6]), ("gzip", b"not gzip at all"), ("br", b"\xff\xff\xff garbage"),
                      ("deflate", b"\x00\x01\x02")):
        r = client.post(f"/projects/{proj}/runs/r/log", raw=body, headers={"Content-Encoding": enc})
        assert_error(r, 400)
    r = client.post(f"/projects/{proj}/runs/r/log", raw=good, headers={"Content-Encoding": "zstd"})
    assert_error(r, 415)
    r = client.post(f"/projects/{proj}/runs/r/log", raw=zlib.compress(dumps({"configs": {"a": 2}})),
                    headers={"Content-Encoding": "deflate"})
    assert r.status == 200, r
    r = client.put(f"/projects/{proj}/runs/r/files/f", b"garbage", {"Content-Encoding": "gzip"})
    assert_error(r, 400)
    assert client.get(f"/projects/{proj}/runs/r/files/f").status == 404


def test_ranges_are_bounded_and_exact(client, proj):
    client.create_run(proj, "r")
    data = bytes(range(256)) * 4096  # 1 MiB
    size = len(data)
    url = f"/projects/{proj}/runs/r/files/f.bin"
    assert client.put(url, data).status == 200
    # 400 overlapping ranges: merged into one part.
    r = client.get(url, headers={"Range": "bytes=" + ",".join(["0-"] * 400)})
    assert r.status == 206 and len(r.body) == size, (r.status, len(r.body))
    r = client.get(url, headers={"Range": "bytes=" + ",".join(f"{i}-{i + 5000}" for i in range(400))})
    assert r.status == 206 and r.body == data[:5400]
    # Many disjoint ranges: the whole file once, never more.
    r = client.get(url, headers={"Range": "bytes=" + ",".join(f"{i * 100}-{i * 100 + 1}" for i in range(400))})
    assert r.status == 200 and r.body == data
    # A few disjoint ranges: multipart/byteranges.
    r = client.get(url, headers={"Range": "bytes=0-1,10-12"})
    assert r.status == 206 and r.header("Content-Type").startswith("multipart/byteranges; boundary=")
    assert b"Content-Range: bytes 0-1/%d" % size in r.body and data[10:13] in r.body
    assert len(r.body) < 1000
    # Suffix ranges (RFC 9110 §14.1.2).
    for spec, (a, b) in (("bytes=-1", (size - 1, size - 1)), (f"bytes=-{size}", (0, size - 1)),
                         (f"bytes=-{size + 10}", (0, size - 1))):
        r = client.get(url, headers={"Range": spec})
        assert r.status == 206 and r.body == data[a:b + 1], spec
        assert r.header("Content-Range") == f"bytes {a}-{b}/{size}", spec
    # Unsatisfiable: 416 with the size.
    for spec in ("bytes=-0", f"bytes={size}-", f"bytes={size + 5}-{size + 10}"):
        r = client.get(url, headers={"Range": spec})
        assert_error(r, 416, documented=False)
        assert r.header("Content-Range") == f"bytes */{size}", spec
    # Not a valid range header: ignored, the whole file.
    for spec in ("bytes=5-1", "items=0-1", "bytes=a-b"):
        r = client.get(url, headers={"Range": spec})
        assert r.status == 200 and r.body == data, spec


# --------------------------------------------------------------------------
# Starvation: open streams and slow clients cost memory, not threads.

def open_sse(port: int, proj: str) -> socket.socket:
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(f"GET /api/v1/projects/{proj}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return s


def test_sse_streams_and_slowloris_do_not_starve_health(make_server):
    srv = make_server(name="starve")
    c = srv.client
    proj = "e2e/starve"
    c.create_run(proj, "r")
    socks: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(300):
            socks.append(open_sse(srv.port, proj))
        for s in socks[:5]:
            assert s.recv(4096).startswith(b"HTTP/1.1 200"), "event stream not opened"
        loris: list[socket.socket] = []
        for _ in range(300):
            s = socket.create_connection((HOST, srv.port), timeout=10)
            s.sendall(b"POST /api/v1/projects/e2e/starve/runs/r/log HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            loris.append(s)
        socks += loris

        def drip():
            while not stop.wait(5):
                for s in loris:
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
        threading.Thread(target=drip, daemon=True).start()
        worst = 0.0
        for _ in range(20):
            t0 = time.monotonic()
            r = c.health(timeout=5)
            worst = max(worst, time.monotonic() - t0)
            assert r.status == 200
            time.sleep(0.05)
        assert worst < 1.0, f"/health took {worst:.2f} s with 300 streams and 300 slow clients"
        # Writes still go through, and reach the open streams.
        c.log(proj, "r", {"configs": {"lr": 1}})
        got = b""
        socks[0].settimeout(5)
        while b"data:" not in got:
            got += socks[0].recv(65536)
        assert b'"r"' in got or b"run" in got, got
    finally:
        stop.set()
        for s in socks:
            s.close()
    assert srv.alive()


def test_slow_header_is_cut_off(make_server):
    srv = make_server(name="slowhead")
    s = socket.create_connection((HOST, srv.port), timeout=30)
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
    t0 = time.monotonic()
    closed_after = None
    try:
        while time.monotonic() - t0 < 25:
            try:
                s.send(b"X")
            except OSError:
                closed_after = time.monotonic() - t0
                break
            s.settimeout(2)
            try:
                if s.recv(4096) == b"":
                    closed_after = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            except OSError:
                closed_after = time.monotonic() - t0
                break
    finally:
        s.close()
    assert closed_after is not None and closed_after < 15, closed_after


# --------------------------------------------------------------------------
# Event ids survive restarts.

def read_events(s: socket.socket, until: bytes, timeout: float = 5) -> bytes:
    s.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while until not in got and time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        got += chunk
    return got


def test_event_ids_grow_across_restarts_and_old_ids_get_reset(make_server):
    srv = make_server(name="sse_restart")
    c = srv.client
    proj = "e2e/sse_restart"
    c.create_run(proj, "r")
    s = open_sse(srv.port, proj)
    read_events(s, b"\r\n\r\n", 2)
    c.log(proj, "r", {"configs": {"a": 1}})
    got = read_events(s, b"data:")
    s.close()
    ids = [int(line.split(b":")[1]) for line in got.split(b"\n") if line.startswith(b"id:")]
    assert ids, got
    before = ids[-1]
    srv.restart()
    # A tab reconnecting with the id from before the restart is told to reload.
    s = socket.create_connection((HOST, srv.port), timeout=10)
    s.sendall(f"GET /api/v1/projects/{proj}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              f"Last-Event-ID: {before}\r\n\r\n".encode())
    got = read_events(s, b"event: reset")
    assert b"event: reset" in got, got
    c.log(proj, "r", {"configs": {"a": 2}})
    got = read_events(s, b"id:")
    s.close()
    after = [int(line.split(b":")[1]) for line in got.split(b"\n") if line.startswith(b"id:")]
    assert after and after[0] > before, (before, got)


def test_events_published_quickly_go_out_together(make_server):
    # A stream writes at most every 200 ms (sse_min_interval): events
    # published meanwhile share one chunk, so thousands of open tabs cost a
    # few writes a second each however fast runs log.
    srv = make_server(name="sse_coalesce")
    c = srv.client
    proj = "e2e/sse_coalesce"
    c.create_run(proj, "r")
    s = open_sse(srv.port, proj)
    try:
        read_events(s, b"\r\n\r\n", 2)  # the response head
        t0 = time.monotonic()
        for i in range(40):
            c.log(proj, "r", {"configs": {"i": i}})
        elapsed = time.monotonic() - t0
        got = read_events(s, b"\0never", 1.5)  # everything until the stream goes quiet
    finally:
        s.close()
    events = got.count(b"data:")
    assert events >= 40, got[-300:]
    # Chunk-size lines: one per write.
    writes = len(re.findall(rb"(?:^|\r\n)[0-9a-f]+\r\n(?:id|data|:)", got))
    assert writes <= elapsed / 0.2 + 3, (writes, elapsed, events)

"""Several `sextant serve` replicas on one PostgreSQL database (skipped
unless SEXTANT_TEST_POSTGRES names a server): writers spread over the
replicas lose nothing and duplicate nothing, also when one replica is killed
with SIGKILL mid-write and its clients retry through another; every replica
reads every acknowledged point."""
import json
import os
import signal
import threading

import pytest

from sextant_e2e import Server

PG = os.environ.get("SEXTANT_TEST_POSTGRES", "")
pytestmark = pytest.mark.skipif(not PG, reason="SEXTANT_TEST_POSTGRES does not name a PostgreSQL server")
PROJ = "rep/p"
WRITERS, BATCHES, PER_BATCH = 4, 15, 400


def store_url() -> str:
    sep = "&" if "?" in PG else "?"
    return f"{PG}{sep}options=-csearch_path%3Drep_{os.urandom(4).hex()}"


def replicas(tmp_path, n: int) -> list[Server]:
    url = store_url()
    out = []
    for i in range(n):
        s = Server(tmp_path / f"r{i}", tmp_path / f"r{i}.log", ["--store", url])
        out.append(s.start())
    return out


def batch(w: int, b: int) -> dict:
    base = (w * BATCHES + b) * PER_BATCH
    steps = list(range(base, base + PER_BATCH))
    return {"series": [{"path": "loss", "steps": steps, "values": [s * 0.5 for s in steps]},
                       {"path": f"w{w}/acc", "steps": steps, "values": [1.0] * PER_BATCH}],
            "configs": {"last_writer": w}}


def write_all(servers: list[Server], acked: list, on_batch=None):
    def writer(w: int):
        for b in range(BATCHES):
            if on_batch:
                on_batch(w, b)
            # Spread over the replicas; on a failure retry through the next
            # one that is alive (what a load balancer does).
            for attempt in range(len(servers) * 3):
                s = servers[(w + b + attempt) % len(servers)]
                if not s.alive():
                    continue
                try:
                    r = s.client.log(PROJ, "run", batch(w, b), expect=None)
                except OSError:
                    continue
                if r.status == 200:
                    acked.append((w, b))
                    break
            else:
                raise AssertionError(f"batch {w}/{b} never acknowledged")

    run_writers(writer)


def run_writers(writer) -> None:
    """Runs writer(w) for every writer w at once and waits for them all."""
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def check(server: Server, acked: list):
    c = server.client
    loss = c.read_all(PROJ, "run", "loss")
    want = sorted(s for (w, b) in acked for s in range((w * BATCHES + b) * PER_BATCH,
                                                        (w * BATCHES + b + 1) * PER_BATCH))
    assert loss["steps"] == want, "lost or duplicated points"
    assert loss["values"] == [s * 0.5 for s in want]
    attrs = c.attributes(PROJ, "run")
    for w in range(WRITERS):
        n = sum(1 for (x, _) in acked if x == w) * PER_BATCH
        assert len(c.read_all(PROJ, "run", f"w{w}/acc")["steps"]) == n


def test_writers_spread_over_replicas(tmp_path):
    servers = replicas(tmp_path, 2)
    try:
        servers[0].client.create_run(PROJ, "run")
        acked: list = []
        write_all(servers, acked)
        assert len(acked) == WRITERS * BATCHES
        for s in servers:  # every replica reads everything, compacted or not
            check(s, acked)
        for s in servers:
            s.client.post("/admin/compact", {})
        check(servers[1], acked)
    finally:
        for s in servers:
            if s.alive():
                s.stop()


def test_kill_one_replica_mid_write(tmp_path):
    servers = replicas(tmp_path, 3)
    try:
        servers[0].client.create_run(PROJ, "run")
        acked: list = []
        killed = threading.Event()

        def maybe_kill(w: int, b: int):
            if b == BATCHES // 2 and not killed.is_set():
                killed.set()
                servers[1].proc.send_signal(signal.SIGKILL)

        write_all(servers, acked, on_batch=maybe_kill)
        assert killed.is_set() and not servers[1].alive()
        assert len(acked) == WRITERS * BATCHES
        check(servers[0], acked)
        servers[1].proc.wait()
        servers[1].proc = None
        servers[1].start()  # a restarted replica reads the same
        check(servers[1], acked)
    finally:
        for s in servers:
            if s.proc is not None and s.alive():
                s.stop()


def test_live_updates_and_runs_table_cross_replicas(tmp_path):
    import socket
    import time
    a, b = replicas(tmp_path, 2)
    try:
        a.client.create_run(PROJ, "seed")  # the project exists on both
        b.client.get(f"/projects/{PROJ}/runs")  # B's runs table is loaded
        s = socket.create_connection(("127.0.0.1", b.port), timeout=10)
        s.sendall(f"GET /api/v1/projects/{PROJ}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        s.settimeout(5)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(65536)
        t0 = time.monotonic()
        a.client.create_run(PROJ, "from-a")
        a.client.log(PROJ, "from-a", {"configs": {"lr": 0.5}, "series": [{"path": "loss", "steps": [7], "values": [0.25]}]})
        got = b""
        while b'"type":"log"' not in got and time.monotonic() - t0 < 5:
            got += s.recv(65536)
        elapsed = time.monotonic() - t0
        s.close()
        assert b'"run_id":"from-a"' in got and b'"type":"log"' in got, got
        assert elapsed < 1.0, f"the point logged through A reached B's stream after {elapsed:.2f} s"
        # B's runs table (its in-memory catalogue) has the run, its config and last value.
        deadline = time.monotonic() + 2
        while True:
            rows = b.client.get(f"/projects/{PROJ}/runs?columns=lr,loss").json["runs"]
            row = next((r for r in rows if r["run_id"] == "from-a"), None)
            if row and row.get("attributes", {}).get("lr") is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert row is not None, rows
        assert json.dumps(row).count("0.5") >= 1 and "0.25" in json.dumps(row), row
    finally:
        for s_ in (a, b):
            if s_.alive():
                s_.stop()

#!/usr/bin/env python3
"""Open connections: many idle keep-alive connections and server-sent event
streams held open while /api/v1/health is probed and a writer ingests.

    python3 bench/connections_bench.py --server build/src/sextant \
        [--idle 10000] [--sse 2000] [--probes 400] [--ingest-seconds 15]

Starts `sextant serve` on a free 127.0.0.1 port with a fresh data folder, then:
1. ingests alone for --ingest-seconds (4 writer threads, 100 series x 1,000
   steps per request, durable on ack) — the baseline rate;
2. opens --idle keep-alive connections (each served one /health request and
   then left idle) and --sse event streams on the project being written;
3. probes /health (--probes requests on one keep-alive connection, 10 ms
   apart) while ingesting again; the events of those writes go to every
   stream.
Prints /health p50/p99/max with the connections held, both ingest rates, and
the server's peak resident memory; one JSON line at the end. A benchmark, not
a test: it never fails on a slow number, only on an HTTP error.
Stdlib only; raises RLIMIT_NOFILE to its hard limit.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
PROJECT = "bench/conn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def status_kib(pid: int, field: str) -> int:
    """A memory field of /proc/<pid>/status in KiB ("VmHWM:" peak, "VmRSS:" now)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def probe(port: int, n: int) -> None:
    """Prints the latencies (ms) of n /health requests, 10 ms apart, as JSON."""
    c = http.client.HTTPConnection(HOST, port, timeout=30)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", "/api/v1/health")
        r = c.getresponse()
        r.read()
        lat.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            raise SystemExit(f"/health answered {r.status}")
        time.sleep(0.01)
    print(json.dumps(lat))


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    c = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def make_bodies() -> list[bytes]:
    """Request bodies built once (encoding JSON in Python would hold the GIL
    and slow the writers and the prober): 100 series x 1,000 steps each. A
    step written again replaces its value, so bodies can repeat."""
    rng = random.Random(7)
    out = []
    for b in range(4):
        steps = list(range(b * 1000, b * 1000 + 1000))
        series = [{"path": f"layer{s}/grad_norm", "steps": steps,
                   "values": [rng.random() for _ in steps]} for s in range(100)]
        out.append(json.dumps({"series": series}).encode())
    return out


BODIES: list[bytes] = []


def ingest(port: int, seconds: float, threads: int = 4) -> float:
    """Points per second acknowledged by 4 writers for `seconds`. Compacts
    first, so that both phases start with no background compaction left."""
    status, body = request(port, "POST", "/api/v1/admin/compact", b"{}")
    if status != 200:
        raise SystemExit(f"compact failed: {status} {body[:200]!r}")
    stop = time.monotonic() + seconds
    totals = [0] * threads
    errors: list[str] = []

    def writer(i: int) -> None:
        rng = random.Random(i)
        run = f"w{i}-{rng.randrange(1 << 30)}"
        c = http.client.HTTPConnection(HOST, port, timeout=120)
        c.request("POST", f"/api/v1/projects/{PROJECT}/runs", body=json.dumps({"run_id": run}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status not in (200, 201):
            errors.append(f"creating run {run}: {r.status} {data[:200]!r}")
            return
        step = 0
        while time.monotonic() < stop:
            body = BODIES[(step // 1000) % len(BODIES)]
            c.request("POST", f"/api/v1/projects/{PROJECT}/runs/{run}/log", body=body,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                errors.append(f"{r.status} {data[:200]!r}")
                return
            totals[i] += 100 * 1000
            step += 1000
        c.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit(f"ingest failed: {errors[0]}")
    return sum(totals) / (time.monotonic() - t0)


def open_many(port: int, n: int, payload: bytes, expect: bytes) -> list[socket.socket]:
    socks: list[socket.socket] = []
    sel = selectors.DefaultSelector()
    for _ in range(n):
        s = socket.create_connection((HOST, port), timeout=30)
        s.sendall(payload)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, b"")
        socks.append(s)
    pending = set(socks)
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = key.data + s.recv(65536)
            except BlockingIOError:
                continue
            sel.modify(s, selectors.EVENT_READ, data)
            if expect in data:
                pending.discard(s)
                sel.unregister(s)
    if pending:
        raise SystemExit(f"{len(pending)} of {n} connections got no answer")
    return socks


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--probe":
        return probe(int(sys.argv[2]), int(sys.argv[3]))
    BODIES.extend(make_bodies())
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default="build/src/sextant")
    ap.add_argument("--idle", type=int, default=10_000)
    ap.add_argument("--sse", type=int, default=2_000)
    ap.add_argument("--probes", type=int, default=400)
    ap.add_argument("--ingest-seconds", type=float, default=15)
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = args.idle + args.sse + 100
    if hard < need:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} < {need} needed")

    data = tempfile.mkdtemp(prefix="sextant-conn-bench-")
    port = free_port()
    proc = subprocess.Popen([args.server, "serve", "--data", data, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        request(port, "POST", f"/api/v1/projects/{PROJECT}/runs", json.dumps({"run_id": "seed"}).encode())

        base = ingest(port, args.ingest_seconds)
        print(f"ingest alone: {base / 1e6:.2f} M points/s", flush=True)

        t0 = time.monotonic()
        idle = open_many(port, args.idle, b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b'"ok"')
        sse = open_many(port, args.sse,
                        f"GET /api/v1/projects/{PROJECT}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
                        b"text/event-stream")
        print(f"opened {len(idle)} idle + {len(sse)} event-stream connections in "
              f"{time.monotonic() - t0:.1f} s", flush=True)

        held_rss = status_kib(proc.pid, "VmRSS:")
        # The prober is its own process, so the writers' GIL does not delay it.
        prober = subprocess.Popen([sys.executable, __file__, "--probe", str(port), str(args.probes)],
                                  stdout=subprocess.PIPE, text=True)
        loaded = ingest(port, args.ingest_seconds)
        out, _ = prober.communicate(timeout=600)
        if prober.returncode != 0:
            raise SystemExit(f"/health failed: {out[-500:]}")
        lat = json.loads(out)
        # Every stream is still open and received events.
        alive = 0
        for s in sse[:50]:
            try:
                if s.recv(65536):
                    alive += 1
            except BlockingIOError:
                pass
        lat.sort()
        p50 = statistics.median(lat)
        p99 = lat[int(len(lat) * 0.99) - 1]
        print(f"with connections held: /health p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms "
              f"({len(lat)} probes); ingest {loaded / 1e6:.2f} M points/s "
              f"({(loaded / base - 1) * 100:+.1f} % vs alone); {alive}/50 sampled streams had events")
        peak = status_kib(proc.pid, "VmHWM:")
        print(f"server RSS with the connections held, before the second ingest: {held_rss / 1024:.0f} MiB; "
              f"peak: {peak / 1024:.0f} MiB", flush=True)
        print(json.dumps({"idle": args.idle, "sse": args.sse, "health_p50_ms": round(p50, 2),
                          "health_p99_ms": round(p99, 2), "health_max_ms": round(lat[-1], 2),
                          "ingest_alone_pps": round(base), "ingest_loaded_pps": round(loaded),
                          "server_rss_held_mib": round(held_rss / 1024),
                          "server_peak_rss_mib": round(peak / 1024)}))
        for s in idle + sse:
            s.close()
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

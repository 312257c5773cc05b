#!/usr/bin/env python3
"""Series aggregates in the runs table: the cost of a runs query that sorts
by min(loss) and shows six aggregates as columns, over R runs of P points
each. Reports the first query (every aggregate computed from the series'
block summaries), a repeat (cached), the same query without aggregates, and
the first query after compaction.

    python3 bench/aggregates_bench.py [--server build/src/sextant] [--runs 1000] [--points 10000]"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import subprocess
import tempfile
import time

PROJECT = "bench/aggregates"
COLUMNS = ",".join(f"{f}(loss)" for f in ("min", "max", "mean", "first", "last", "last_step"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(c: http.client.HTTPConnection, method: str, path: str, body=None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    c.request(method, "/api/v1" + path, body=data, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    out = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {out[:300]!r}")
    return json.loads(out)


def timed(c, path: str) -> float:
    t = time.perf_counter()
    call(c, "GET", path)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="build/src/sextant")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--points", type=int, default=10000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        proc = subprocess.Popen([a.server, "serve", "--data", d, "--port", str(port), "--no-fsync"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for _ in range(200):
                try:
                    call(c, "GET", "/health")
                    break
                except OSError:
                    time.sleep(0.05)
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            steps = list(range(a.points))
            for i in range(a.runs):
                rid = f"r{i:05d}"
                call(c, "POST", f"/projects/{PROJECT}/runs", {"run_id": rid})
                values = [2.0 * math.exp(-s / (1000 + i)) + 0.01 * ((s * 7919 + i) % 13) for s in steps]
                call(c, "POST", f"/projects/{PROJECT}/runs/{rid}/log",
                     {"series": [{"path": "loss", "steps": steps, "values": values}]})
            q = f"/projects/{PROJECT}/runs?limit=50&sort=min(loss)&columns={COLUMNS}"
            plain = f"/projects/{PROJECT}/runs?limit=50&sort=-sys/created_at&columns=loss"
            first = timed(c, q)
            cached = min(timed(c, q) for _ in range(5))
            base = min(timed(c, plain) for _ in range(5))
            call(c, "POST", "/admin/compact", {})
            call(c, "POST", f"/projects/{PROJECT}/runs/r00000/log",
                 {"series": [{"path": "loss", "steps": [a.points], "values": [0.0]}]})
            one_new = timed(c, q)
            print(f"{a.runs} runs x {a.points} points, 6 aggregates, sorted by min(loss):")
            print(f"  first query (all computed)       {first * 1000:8.1f} ms")
            print(f"  repeat (cached)                  {cached * 1000:8.1f} ms")
            print(f"  one run written, after compaction {one_new * 1000:7.1f} ms")
            print(f"  same query without aggregates    {base * 1000:8.1f} ms")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

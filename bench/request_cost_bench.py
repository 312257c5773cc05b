#!/usr/bin/env python3
"""The fixed cost of one small request through the router and access control:
sequential GETs of one run over a keep-alive connection, p50/p99 in µs, in
the open loopback mode (no accounts) and with accounts and an API token.

    python3 bench/request_cost_bench.py [--server build/src/sextant] [--requests 20000]

Compare binaries with --server (e.g. a build of an older commit)."""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(binary: str, n: int, auth: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        headers = {}
        if auth:
            p = subprocess.run([binary, "admin", "init", "--data", d], capture_output=True, text=True, check=True)
            headers["Authorization"] = "Bearer " + p.stdout.strip().splitlines()[-1]
        port = free_port()
        proc = subprocess.Popen([binary, "serve", "--data", d, "--port", str(port), "--no-fsync"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for _ in range(200):
                try:
                    c.request("GET", "/api/v1/health")
                    c.getresponse().read()
                    break
                except OSError:
                    c.close()
                    time.sleep(0.05)
            c.request("POST", "/api/v1/projects/bench/cost/runs", body=json.dumps({"run_id": "r1"}),
                      headers={**headers, "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            assert r.status == 201, r.status
            times = []
            for i in range(n + 500):
                t = time.perf_counter_ns()
                c.request("GET", "/api/v1/projects/bench/cost/runs/r1", headers=headers)
                r = c.getresponse()
                r.read()
                if i >= 500:  # warm-up
                    times.append((time.perf_counter_ns() - t) / 1000)
                assert r.status == 200, r.status
            times.sort()
            return times[len(times) // 2], times[int(len(times) * 0.99)]
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.path.join(os.path.dirname(__file__), "..", "build", "src", "sextant"))
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--modes", default="open,token")
    a = ap.parse_args()
    for mode in a.modes.split(","):
        p50, p99 = measure(a.server, a.requests, mode == "token")
        print(f"{mode:6s} GET one run: p50 {p50:7.1f} µs  p99 {p99:7.1f} µs  ({a.requests} requests)")


if __name__ == "__main__":
    main()

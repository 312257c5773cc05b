#!/usr/bin/env python3
"""Ingest through 1, 2 and 4 `sextant serve` replicas on one PostgreSQL.

    python3 bench/replicas_bench.py --server build/src/sextant \\
        --store postgresql://user@host:port/db [--replicas 1,2,4] [--clients 4] \\
        [--requests 20] [--series 100] [--steps 1000]

For each replica count: starts that many servers on the same database (a
fresh schema per count, its own data folder each, durable on ack), creates
one run per client, then every client thread sends --requests log batches of
--series series x --steps steps (distinct steps per request, bodies built
before the clock starts), spreading its requests over the replicas in turn,
as a load balancer would. Prints points/s, request p50/p99 and the CPU the
replicas used (from /proc), one JSON line at the end. A benchmark, not a
test: it only fails on an HTTP error. Stdlib only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Replica:
    def __init__(self, server: str, store: str, data: str):
        self.port = free_port()
        self.log = open(os.path.join(data, "server.log"), "ab")
        self.proc = subprocess.Popen([server, "serve", "--data", data, "--host", HOST,
                                      "--port", str(self.port), "--store", store],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=2)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"replica on port {self.port} did not start; see {data}/server.log")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def body(client: int, request: int, series: int, steps: int) -> bytes:
    base = request * steps
    step_list = ",".join(str(base + i) for i in range(steps))
    values = ",".join(f"{0.5 + (base + i) * 1e-6 + client * 1e-3:.6f}" for i in range(steps))
    parts = [f'{{"path":"layer{s}/loss","steps":[{step_list}],"values":[{values}]}}' for s in range(series)]
    return ('{"series":[' + ",".join(parts) + "]}").encode()


def run(args, n: int) -> dict:
    sep = "&" if "?" in args.store else "?"
    store = f"{args.store}{sep}options=-csearch_path%3Dbench_{os.urandom(4).hex()}"
    tmp = tempfile.mkdtemp(prefix="sextant-replicas-")
    replicas = []
    try:
        for i in range(n):
            d = os.path.join(tmp, f"r{i}")
            os.makedirs(d)
            replicas.append(Replica(args.server, store, d))
        project = "/api/v1/projects/bench/replicas"
        conns = {}

        def post(client: int, k: int, path: str, data: bytes) -> float:
            r = replicas[(client + k) % n]
            c = conns.setdefault((client, r.port), http.client.HTTPConnection(HOST, r.port, timeout=300))
            t0 = time.perf_counter()
            c.request("POST", project + path, data, {"Content-Type": "application/json"})
            resp = c.getresponse()
            out = resp.read()
            if resp.status not in (200, 201):
                raise SystemExit(f"HTTP {resp.status}: {out[:300]!r}")
            return time.perf_counter() - t0

        for cl in range(args.clients):
            post(cl, 0, "/runs", json.dumps({"run_id": f"c{cl}"}).encode())
        bodies = [[body(cl, k, args.series, args.steps) for k in range(args.requests)]
                  for cl in range(args.clients)]
        latencies: list[float] = []
        lock = threading.Lock()

        def client(cl: int) -> None:
            mine = [post(cl, k, f"/runs/c{cl}/log", bodies[cl][k]) for k in range(args.requests)]
            with lock:
                latencies.extend(mine)

        cpu0 = sum(cpu_seconds(r.proc.pid) for r in replicas)
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(cl,)) for cl in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = sum(cpu_seconds(r.proc.pid) for r in replicas) - cpu0
        points = args.clients * args.requests * args.series * args.steps
        latencies.sort()
        return {"replicas": n, "points": points, "seconds": wall, "points_per_s": points / wall,
                "p50_ms": latencies[len(latencies) // 2] * 1000,
                "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
                "replica_cores": cpu / wall}
    finally:
        for r in replicas:
            r.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", default="build/src/sextant")
    ap.add_argument("--store", required=True, help="postgresql://… (a schema per replica count)")
    ap.add_argument("--replicas", default="1,2,4")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--series", type=int, default=100)
    ap.add_argument("--steps", type=int, default=1000)
    args = ap.parse_args()
    results = []
    for n in (int(x) for x in args.replicas.split(",")):
        r = run(args, n)
        results.append(r)
        print(f"{n} replica(s): {r['points_per_s'] / 1e6:.2f} M points/s, request p50 / p99 "
              f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms, replicas used {r['replica_cores']:.2f} cores",
              flush=True)
    print(json.dumps({"bench": "replicas_bench", "cores": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Python SDK benchmark: what logging costs the training loop, and how many
points per second one process gets into a real server.

    python3 bench/python_sdk_bench.py                 # full sizes, ~1-2 minutes
    python3 bench/python_sdk_bench.py --smoke         # tiny sizes, a few seconds

1. Per-call overhead of `run.log_metrics(d, step=i)` with a dict of 10
   floats: `--calls` calls (default 200,000) timed with time.perf_counter_ns,
   median of `--reps` runs (default 5), in three settings:
   - disabled: mode="disabled", i.e. validation and the queue only;
   - offline:  the background writer journals to disk meanwhile (shares the
     GIL with the loop, as it would in training);
   - async:    the writer and the sender (HTTP to a real server) both run.
   The loop cycles through 1,000 prebuilt dicts; the cost of the bare loop
   is printed too (it is included in the numbers above).
2. Call latency while the sender is busy: `--latency-calls` calls (default
   1,000,000) in async mode, each timed on its own; p50, p99, p99.9 and the
   longest (target: none over 1 ms); the row "control" times an empty
   function the same way (what the machine itself adds).
3. End to end: one process logs `--e2e-points` points (default 5 M) as
   dicts of 10 and of 100 floats into a real server, from the first call
   until close() returns with every point acknowledged (durable on the
   server). Reports points/s, then reads the counts back to check them.

Every part runs on both paths of the SDK (`--paths`, default both that are
available): "accel", the compiled accelerator (sextant._accel), and "pure",
pure Python (what SEXTANT_PURE_PYTHON=1 forces).

The server is `--server` (default $SEXTANT_BIN, else build/src/sextant),
started on a free port with a fresh data folder (removed at the end).
Results print as a table and as one JSON line.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "clients" / "python"))

import sextant  # noqa: E402
from sextant import _fast  # noqa: E402

_ACCEL = _fast.MetricBuffer


def use_path(path: str) -> None:
    """Runs made from now on log through `path` ("accel" or "pure")."""
    _fast.MetricBuffer = _ACCEL if path == "accel" else None

QUIET = dict(capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
             capture_heartbeat=False, capture_source=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, tmp: str):
        self.data = tempfile.mkdtemp(prefix="sextant-pybench-", dir=tmp)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.data, "server.log"), "wb")
        self.proc = subprocess.Popen([binary, "serve", "--data", os.path.join(self.data, "db"),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/v1/health")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                p = f.read().rsplit(")", 1)[1].split()
            return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return float("nan")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def make_dicts(width: int, count: int = 1000):
    rnd = random.Random(1)
    keys = [f"train/metric_{k}" for k in range(width)]
    return [{k: rnd.random() * 10 for k in keys} for _ in range(count)]


def time_calls(run, dicts, calls: int) -> float:
    """µs per log_metrics call over `calls` calls."""
    log = run.log_metrics
    m = len(dicts)
    t0 = time.perf_counter_ns()
    for i in range(calls):
        log(dicts[i % m], step=i)
    return (time.perf_counter_ns() - t0) / calls / 1000


def bare_loop(dicts, calls: int) -> float:
    def noop(d, step=None):
        pass
    m = len(dicts)
    t0 = time.perf_counter_ns()
    for i in range(calls):
        noop(dicts[i % m], step=i)
    return (time.perf_counter_ns() - t0) / calls / 1000


def per_call(args, server, journal) -> dict:
    dicts = make_dicts(10)
    out = {}
    for mode in ("disabled", "offline", "async"):
        samples = []
        for rep in range(args.reps):
            run = sextant.Run(project="bench/percall", run_id=f"{mode}-{rep}-{_fast.accelerated()}", mode=mode,
                              url=server.url, journal_dir=journal, **QUIET)
            samples.append(time_calls(run, dicts, args.calls))
            run.close(timeout=600)
        out[mode] = {"median_us": statistics.median(samples), "min_us": min(samples),
                     "samples_us": [round(s, 3) for s in samples]}
    out["bare_loop_us"] = statistics.median(bare_loop(dicts, args.calls) for _ in range(args.reps))
    return out


def latency(args, server, journal, path: str) -> dict:
    """Each call timed on its own, in async mode (writer and sender busy).
    Path "control" times an empty function the same way: what the machine
    (preemption, the timer) adds without the SDK."""
    from array import array
    dicts = make_dicts(10)
    run = None
    if path == "control":
        def log(d, step=None):
            pass
    else:
        run = sextant.Run(project="bench/latency", run_id=f"lat-{path}", url=server.url,
                          journal_dir=journal, close_timeout=600, **QUIET)
        log = run.log_metrics
    clock = time.perf_counter_ns
    m = len(dicts)
    n = args.latency_calls
    out = array("q", bytes(8 * n))
    t0 = clock()
    for i in range(n):
        a = clock()
        log(dicts[i % m], step=i)
        out[i] = clock() - a
    total = clock() - t0
    ok = run.close(timeout=600) if run is not None else True
    lat = sorted(out)

    def q(f: float) -> float:
        return lat[min(n - 1, int(f * n))] / 1000

    return {"calls": n, "mean_us": total / n / 1000, "p50_us": q(0.5), "p99_us": q(0.99),
            "p999_us": q(0.999), "max_us": lat[-1] / 1000,
            "over_1ms": sum(1 for v in lat if v > 1_000_000), "all_acknowledged": ok}


def end_to_end(args, server, journal, width: int) -> dict:
    dicts = make_dicts(width)
    calls = max(1, args.e2e_points // width)
    run = sextant.Run(project="bench/e2e", run_id=f"w{width}-{_fast.accelerated()}", url=server.url, journal_dir=journal,
                      close_timeout=600, **QUIET)
    cpu0, scpu0 = time.process_time(), server.cpu_seconds()
    t0 = time.perf_counter()
    log = run.log_metrics
    m = len(dicts)
    for i in range(calls):
        log(dicts[i % m], step=i)
    t_logged = time.perf_counter()
    ok = run.close(timeout=600)
    t1 = time.perf_counter()
    points = calls * width
    c = sextant.Client(url=server.url)
    attrs = c.attributes("bench/e2e", f"w{width}-{_fast.accelerated()}")
    counts = {attrs[k]["count"] for k in dicts[0]}
    return {"width": width, "points": points, "seconds": round(t1 - t0, 3),
            "points_per_s": points / (t1 - t0), "logging_loop_s": round(t_logged - t0, 3),
            "client_cpu_s": round(time.process_time() - cpu0, 2),
            "server_cpu_s": round(server.cpu_seconds() - scpu0, 2),
            "all_acknowledged": ok, "readback_ok": counts == {calls}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", default=os.environ.get("SEXTANT_BIN", str(REPO / "build/src/sextant")))
    p.add_argument("--calls", type=int, default=200_000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--e2e-points", type=int, default=5_000_000)
    p.add_argument("--latency-calls", type=int, default=1_000_000)
    p.add_argument("--paths", default="accel,pure" if _ACCEL is not None else "pure",
                   help="comma-separated: accel (the compiled accelerator), pure (pure Python)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes")
    p.add_argument("--tmp", default=None, help="folder for the server data and the journal")
    args = p.parse_args()
    if args.smoke:
        args.calls, args.reps, args.e2e_points, args.latency_calls = 5_000, 1, 50_000, 20_000
    paths = [x for x in args.paths.split(",") if x]
    if "accel" in paths and _ACCEL is None:
        p.error("the accelerator is not built here (pip install ./clients/python with a C compiler)")
    server = Server(args.server, args.tmp or tempfile.gettempdir())
    journal = tempfile.mkdtemp(prefix="sextant-pybench-journal-", dir=args.tmp)
    failures = []
    pcs, lats, e2es = {}, {}, {}
    try:
        lats["control"] = latency(args, server, journal, "control")
        for path in paths:
            use_path(path)
            pcs[path] = per_call(args, server, journal)
            lats[path] = latency(args, server, journal, path)
            e2es[path] = [end_to_end(args, server, journal, w) for w in (10, 100)]
    finally:
        server.stop()
        shutil.rmtree(journal, ignore_errors=True)
    for path in paths:
        for r in e2es[path]:
            if not (r["all_acknowledged"] and r["readback_ok"]):
                failures.append(f"{path}: end-to-end width {r['width']}: not everything arrived")
        if not lats[path]["all_acknowledged"]:
            failures.append(f"{path}: latency run: not everything arrived")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"\nPython SDK benchmark — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average after: {load}")
    print(f"\nlog_metrics, 10 floats, {args.calls:,} calls, median of {args.reps} (target <= 2 us):")
    print("| path | mode | median us/call | min us/call |\n| --- | --- | --- | --- |")
    for path in paths:
        pc = pcs[path]
        for mode in ("disabled", "offline", "async"):
            print(f"| {path} | {mode} | {pc[mode]['median_us']:.3f} | {pc[mode]['min_us']:.3f} |")
        print(f"| {path} | (bare loop, included above) | {pc['bare_loop_us']:.3f} | |")
    print(f"\nCall latency, async (writer and sender busy), {args.latency_calls:,} calls each timed "
          "(target: none over 1 ms):")
    print("| path | mean us | p50 us | p99 us | p99.9 us | max us | calls > 1 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path in ["control"] + paths:
        r = lats[path]
        print(f"| {path} | {r['mean_us']:.2f} | {r['p50_us']:.2f} | {r['p99_us']:.2f} | {r['p999_us']:.2f} "
              f"| {r['max_us']:.0f} | {r['over_1ms']} |")
    print("\nEnd to end into a real server, until close() returns with every point acknowledged "
          "(target >= 1 M points/s):")
    print("| path | floats per call | points | seconds | points/s | logging loop s | client CPU s | server CPU s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in paths:
        for r in e2es[path]:
            print(f"| {path} | {r['width']} | {r['points']:,} | {r['seconds']} | {r['points_per_s'] / 1e6:.2f} M "
                  f"| {r['logging_loop_s']} | {r['client_cpu_s']} | {r['server_cpu_s']} |")
    print(json.dumps({"per_call": pcs, "latency": lats, "end_to_end": e2es, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

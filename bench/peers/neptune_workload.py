"""The Neptune API workload: the `neptune-scale` client's own logging loop,
in online mode against Sextant (tool neptune_sextant) and, as the client-side
reference, in offline mode (tool neptune: the same calls into the local
SQLite queue, nothing sent).

Run by worker.py (workload `neptune_api`) inside the neptune virtualenv (the
file is not called neptune_api.py: that is the name of a package the client
imports).

One run, `series` float series × `steps` steps (the full size: 100 × 100,000
= 10 M points), one `run.log_metrics({100 floats}, step=i)` call per step,
the values from common.Curves (1,000 distinct rows, cycled; built before the
clock starts). Measured:

1. the logging loop: points/s of the calls returning (client-side
   throughput), µs per call, p99 and the longest call;
2. online only: the time from the loop's end until `run.wait_for_processing()`
   says every operation was acknowledged by the server (the client's sync
   process uploads while the loop runs and polls `ingest/check`), and
   then `run.close()`; "acknowledged" = loop + that wait, from the first call;
   how far the server had got when the loop ended (points of the first
   series already stored, read through Sextant's native API);
3. offline: `run.close()` after the loop (every call is already committed
   to the local SQLite file; nothing is sent);
4. CPU seconds of the client (the worker and its sync process) and of the
   server, the server's peak memory, and the readback: first and last series
   counted through Sextant's native API (online).

A loop still running when `budget_s` is spent stops there (measured on what
it did); a wait longer than `ack_budget_s` fails the workload.
"""
from __future__ import annotations

import os
import resource
import time
from array import array
from typing import Any, Dict, List

from common import Curves, PeakRss, cpu_seconds, dir_bytes, series_names

PROJECT = "bench-api"
RUN_ID = "neptune-api"


def own_cpu_s() -> float:
    """CPU seconds of this process and its reaped children (the sync process
    once the run is closed; the server's CLI setup commands, a few ms)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run(a, p: Dict[str, Any]) -> Dict[str, Any]:
    n_series, steps, budget, ack_budget = p["series"], p["steps"], p["budget_s"], p["ack_budget_s"]
    online = bool(a.has_server)
    names = series_names(n_series)
    rows = Curves(n_series).rows(names, 0, min(steps, 1000))
    out: Dict[str, Any] = {"series": n_series, "steps_asked": steps, "online": online,
                           "server_ready_s": p.get("server_ready_s"), "budget_s": budget,
                           "ack_budget_s": ack_budget}
    server = a.server_pids()
    server_cpu0 = sum(cpu_seconds(pid) for pid in server)
    cpu0 = own_cpu_s()
    with PeakRss(lambda: a.server_pids() or [os.getpid()]) as mem, PeakRss(lambda: [os.getpid()]) as client_mem:
        c0 = time.perf_counter()
        run_ = a.open_run(PROJECT, RUN_ID)
        out["open_s"] = time.perf_counter() - c0
        log = a.logger(run_)
        durations = array("q")
        clock = time.perf_counter_ns
        nrows = len(rows)
        t0 = clock()
        deadline = t0 + int(budget * 1e9)
        i = 0
        while i < steps:
            stop = min(steps, i + 1000)
            for s in range(i, stop):
                d0 = clock()
                log(rows[s % nrows], step=s)
                durations.append(clock() - d0)
            i = stop
            if clock() > deadline:
                break
        loop_s = (clock() - t0) / 1e9
        done = i
        points = done * n_series
        if online:  # how far the server had got when the loop returned
            out["stored_at_loop_end"] = a.stored_points(PROJECT, RUN_ID, names[0]) * n_series
        w0 = time.perf_counter()
        ok = True
        if online:
            ok = run_.wait_for_processing(timeout=ack_budget, verbose=False)
        wait_s = time.perf_counter() - w0
        c1 = time.perf_counter()
        run_.close()
        close_s = time.perf_counter() - c1
        if run_ in a.open:
            a.open.remove(run_)
    errors: List[str] = list(getattr(a, "errors", []))
    if errors:
        raise RuntimeError(f"the neptune client reported: {'; '.join(errors[:3])}")
    if not ok:
        raise RuntimeError(f"wait_for_processing: not every operation was acknowledged within {ack_budget} s")
    d = sorted(durations)
    n = len(d)
    out.update({
        "steps": done, "points": points, "complete": done == steps,
        "loop_s": loop_s, "client_points_per_s": points / loop_s, "us_per_call": loop_s / n * 1e6,
        "p50_us": d[n // 2] / 1000, "p99_us": d[min(n - 1, int(n * 0.99))] / 1000, "max_ms": d[-1] / 1e6,
        "calls_over_10ms": sum(1 for x in d if x > 10_000_000),
        "wait_s": wait_s if online else None, "close_s": close_s,
        # from the first logging call until every operation was acknowledged (online) / closed (offline)
        "acked_s": loop_s + wait_s + (0.0 if online else close_s),
        "client_cpu_s": own_cpu_s() - cpu0,
        "client_peak_rss": client_mem.peak,
    })
    out["acked_points_per_s"] = points / out["acked_s"]
    if online:
        out["server_cpu_s"] = sum(cpu_seconds(pid) for pid in server) - server_cpu0
        out["server_peak_rss"] = mem.peak
        got = {k: a.count_points(PROJECT, RUN_ID, k) for k in (names[0], names[-1])}
        if any(v != done for v in got.values()):
            raise RuntimeError(f"readback: {got}, logged {done} steps per series")
        out["readback"] = True
        a.stop()  # a clean shutdown: what is on disk now is what stays
        out["disk_bytes"] = dir_bytes(a.storage_paths())
        out["bytes_per_point"] = out["disk_bytes"] / points if points else None
    return out

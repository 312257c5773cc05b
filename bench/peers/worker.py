"""Runs one workload for one tool and prints one JSON line.

Started by run.py with the tool's own virtualenv's python:

    python worker.py TOOL WORKLOAD '{"param": ...}' WORKDIR

The workdir is fresh and is the only place the tool may write. Timings use
time.perf_counter(); sizes and budgets come from the params.
"""
from __future__ import annotations

import concurrent.futures
import contextvars
import json
import os
import resource
import sys
import threading
import time
import traceback
from array import array
from pathlib import Path
from typing import Any, Dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (Curves, PeakRss, dir_bytes, series_names, table_expected,  # noqa: E402
                    table_run, table_run_name, table_series)
from adapters import load  # noqa: E402
from adapters.base import NotSupported  # noqa: E402

T_PROCESS = time.time()


def percall(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workload 1: log a dict of 10 floats per step; µs per call."""
    names = series_names(10)
    rows = Curves(10).rows(names, 0, 1000)
    run = a.open_run("bench-percall", "percall")
    log = a.logger(run)
    steps, budget = p["steps"], p["budget_s"]
    durations = array("q")
    clock = time.perf_counter_ns
    t0 = clock()
    deadline = t0 + int(budget * 1e9)
    i = 0
    while i < steps:
        stop = min(steps, i + 1000)
        for s in range(i, stop):
            c0 = clock()
            log(rows[s % 1000], step=s)
            durations.append(clock() - c0)
        i = stop
        if clock() > deadline:
            break
    loop_ns = clock() - t0
    try:
        close_s = bounded(lambda: a.close_run(run), p["close_budget_s"])
    except Abandon:
        close_s = None  # reported as "more than close_budget_s"
        ABANDONED.append("percall")
    d = sorted(durations)
    n = len(d)
    return {"calls": n, "complete": n == steps, "us_per_call": loop_ns / n / 1000,
            "p50_us": d[n // 2] / 1000, "p99_us": d[min(n - 1, int(n * 0.99))] / 1000,
            "max_ms": d[-1] / 1e6, "calls_over_10ms": sum(1 for x in d if x > 10_000_000),
            "close_s": close_s, "close_budget_s": p["close_budget_s"]}


ABANDONED: list = []


class Abandon(Exception):
    """A close() that did not return within its budget: the worker reports
    what it has and exits without waiting (the driver kills the leftovers)."""


def bounded(fn, budget: float) -> float:
    """Runs fn in a thread; its duration, or raises Abandon after `budget` s."""
    done = threading.Event()
    err: list = []

    def body() -> None:
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            err.append(e)
        done.set()
    t0 = time.perf_counter()
    ctx = contextvars.copy_context()  # tools that keep "the current run" in a context variable
    threading.Thread(target=lambda: ctx.run(body), daemon=True).start()
    if not done.wait(budget):
        raise Abandon(f"close did not return within {budget:.0f} s")
    if err:
        raise err[0]
    return time.perf_counter() - t0


def ingest(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workload 2 (and 5): runs x series x steps until durable and readable back."""
    n_runs, n_series, steps, budget = p["runs"], p["series"], p["steps"], p["budget_s"]
    names = series_names(n_series)
    curves = Curves(n_series)
    rows = curves.rows(names, 0, steps)   # the same rows for every run; built before timing
    points = 0
    complete = True
    with PeakRss(lambda: a.server_pids() or [os.getpid()]) as mem:
        t0 = time.perf_counter()
        deadline = t0 + budget
        last = None
        for r in range(n_runs):
            run = a.open_run("bench-ingest", f"ingest-{r}")
            log = a.bulk_logger(run)
            done = 0
            for s in range(steps):
                log(rows[s], step=s)
                done += 1
                if s % 100 == 99 and time.perf_counter() > deadline:
                    break
            bounded(lambda: a.close_run(run), p["close_budget_s"])
            points += done * n_series
            last = (f"ingest-{r}", done)
            if done < steps or time.perf_counter() > deadline:
                complete = r == n_runs - 1 and done == steps
                break
        durable_s = time.perf_counter() - t0
        readback = None
        try:
            got = a.count_points("bench-ingest", last[0], names[-1])
            readback = got == last[1]
            if not readback:
                raise RuntimeError(f"readback: {last[0]} {names[-1]} has {got} points, logged {last[1]}")
        except NotSupported as e:
            readback = f"n/a: {e}"
        total_s = time.perf_counter() - t0
    rss_of = "server" if a.server_pids() else "client"
    a.stop()  # a clean shutdown: what is on disk now is what stays
    disk = dir_bytes(a.storage_paths())  # also holds the startup run's one point
    return {"points": points, "complete": complete, "durable_s": durable_s, "total_s": total_s,
            "points_per_s": points / total_s, "readback": readback, "disk_bytes": disk,
            "bytes_per_point": disk / points if points else None,
            "peak_rss": mem.peak, "rss_of": rss_of}


def long_series(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workload 3: one series of n points; full read and chart read."""
    n, reads, budget = p["points"], p["reads"], p["budget_s"]
    curves = Curves(1)
    path = "train/loss"
    run = a.open_run("bench-long", f"long-{n}")
    t0 = time.perf_counter()
    written = a.log_long(run, path, lambda s: curves.value(0, s), n, t0 + budget)
    a.close_run(run)
    write_s = time.perf_counter() - t0
    out: Dict[str, Any] = {"points": written, "complete": written == n, "write_s": write_s}
    for kind, fn in (("full", a.read_full), ("chart", a.read_chart)):
        times, got = [], None
        try:
            for _ in range(reads):
                c0 = time.perf_counter()
                got = fn("bench-long", f"long-{n}", path)
                times.append(time.perf_counter() - c0)
            if kind == "full" and got != written:
                raise RuntimeError(f"full read returned {got} points, wrote {written}")
            out[kind] = {"samples_s": times, "returned": got}
        except NotSupported as e:
            out[kind] = {"na": str(e)}
    return out


def runs_table(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workload 4: create runs with configs and series; filter + sort + first page."""
    n, n_cfg, n_series, steps, queries, page, budget = (
        p["runs"], p["configs"], p["series"], p["steps"], p["queries"], p["page"], p["budget_s"])
    t0 = time.perf_counter()
    created = 0

    def create(i: int) -> None:
        run = a.open_run("bench-table", table_run_name(i), table_run(i, n_cfg))
        log = a.bulk_logger(run)  # setup, not what is measured: the fastest documented path
        for s, row in enumerate(table_series(i, n_series, steps)):
            log(row, step=s)
        a.close_run(run)

    # Client-server tools get runs created from several threads at once, as
    # a sweep's many processes would; in-process stores get them one by one.
    threads = p["threads"] if a.concurrent_runs else 1
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        while created < n and time.perf_counter() - t0 <= budget:
            batch = list(range(created, min(n, created + threads * 4)))
            list(ex.map(create, batch))
            created += len(batch)
    create_s = time.perf_counter() - t0
    out: Dict[str, Any] = {"runs": created, "complete": created == n, "create_s": create_s,
                           "threads": threads}
    expected = table_expected(created, n_series, steps, page)
    try:
        times = []
        for _ in range(queries):
            c0 = time.perf_counter()
            got = a.query_runs("bench-table", page)
            times.append(time.perf_counter() - c0)
        if got != expected:
            raise RuntimeError(f"query returned {got[:5]}..., expected {expected[:5]}...")
        out["query"] = {"samples_s": times, "returned": len(got)}
    except NotSupported as e:
        out["query"] = {"na": str(e)}
    return out


def first_run(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workload 6: a first run logged, timed from the worker's spawn (the
    server was started by main(), and that is timed too)."""
    run = a.open_run("bench-startup", "first")
    a.logger(run)({"train/loss": 1.0}, step=0)
    a.close_run(run)
    return {"first_run_s": time.time() - p["t_spawn"]}


def one_round(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """Workloads 6, 2 (with 5) and 1 in one process, in this order, sharing
    one server: startup, ingest (which measures the disk it adds and stops
    the server cleanly), then per-call overhead (the server restarted)."""
    out: Dict[str, Any] = {"startup": first_run(a, p)}
    out["startup"]["server_ready_s"] = p["server_ready_s"]
    # ingest before percall: a tool whose close() is abandoned in percall
    # (still sending in the background) must not slow the ingest down.
    for name, fn in (("ingest", ingest), ("percall", percall)):
        try:
            if name == "percall":
                a.start()  # ingest stopped the server to measure its disk
            out[name] = fn(a, p[name])
        except NotSupported as e:
            out[name] = {"na": str(e)}
        except Abandon as e:
            out[name] = {"error": str(e)}
            break
    return out


def mlflow_api(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """The MLflow API workload (mlflow_api.py): the mlflow client's own calls,
    for the tools whose client is the mlflow client."""
    if not getattr(a, "mlflow_client", False):
        raise NotSupported("only for the mlflow client (tools mlflow, mlflow_sextant)")
    import mlflow_api as workload  # imports mlflow: only in the mlflow virtualenv
    return workload.run(a, p)


def neptune_api(a, p: Dict[str, Any]) -> Dict[str, Any]:
    """The Neptune API workload (neptune_workload.py): the neptune-scale client's
    logging loop, online against Sextant and offline as the reference."""
    if a.name not in ("neptune", "neptune_sextant"):
        raise NotSupported("only for the neptune-scale client (tools neptune, neptune_sextant)")
    import neptune_workload as workload  # not "neptune_api": that name is a package neptune-scale imports
    return workload.run(a, p)


WORKLOADS = {"round": one_round, "long": long_series, "runs": runs_table, "mlflow_api": mlflow_api,
             "neptune_api": neptune_api}


def main() -> int:
    tool, workload, params, workdir = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
    try:
        a = load(tool, Path(workdir), params.get("options", {}))
        try:
            params["server_ready_s"] = a.start()
            result = WORKLOADS[workload](a, params)
        finally:
            try:
                a.stop()
            except Exception:
                pass
        result["version"] = a.version
        result["notes"] = a.notes
        ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        result["client_peak_rss"] = ru
        print("RESULT " + json.dumps(result), flush=True)
        if ABANDONED:
            os._exit(0)  # a close() is still stuck in a thread: don't wait for it
        return 0
    except Abandon as e:
        print("RESULT " + json.dumps({"error": str(e)}), flush=True)
        sys.stdout.flush()
        os._exit(0)  # don't wait for the stuck close(); the driver kills what is left
    except NotSupported as e:
        print("RESULT " + json.dumps({"na": str(e)}), flush=True)
        return 0
    except Exception as e:  # a real failure: the driver records it
        traceback.print_exc()
        print("RESULT " + json.dumps({"error": f"{type(e).__name__}: {e}"[:500]}), flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())

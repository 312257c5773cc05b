"""The MLflow API workload: the same `mlflow` client code against any server
that speaks MLflow's tracking REST API (MLflow's own `mlflow server`, and
`sextant serve`, docs/mlflow.md).

Run by worker.py (workload `mlflow_api`) inside the mlflow virtualenv, with
an adapter whose `client` is an `MlflowClient` on `url` (adapters/mlflow_*).
Four measurements, each on its own experiment:

1. batch:    `MlflowClient.log_batch`, 1,000 metrics per call (10 series x
             100 steps), `calls` calls one after another; points/s. Then,
             to tell the client's cost from the server's, `raw_calls` POSTs
             of the same 1,000 metrics as JSON with `requests`.
2. history:  one metric of `points` points logged with log_batch in chunks
             of 1,000 (setup), then `get_metric_history` read in full
             through the client (which pages by 25,000), repeated; and once
             with `requests` (the same pages, JSON decoded, no entities).
3. interval: `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?
             max_results=320` on that metric with raw `requests`, the
             request MLflow's UI sends for a chart (MLflow's server serves
             it under /ajax-api only).
4. search:   `runs` runs (3 params, 3 metrics at 2 steps, 1 tag each;
             setup), then `search_runs` with a filter + order_by + first
             page of `page`, checked against the right answer, and a full
             paged scan of every run.

Setup data (the long metric, the runs) is written with the adapter's
`setup_client()`: for MLflow its store in-process (the same calls, without
the HTTP server), for Sextant the server itself. Everything measured goes
through the server under test, over HTTP on 127.0.0.1.
"""
from __future__ import annotations

import concurrent.futures
import json
import random
import statistics
import time
from typing import Any, Dict, List, Tuple

import requests
from mlflow.entities import Metric, Param, RunTag

OPTIMIZERS = ["adam", "sgd", "adamw", "lion"]
FILTER = "metrics.loss < 0.5 and params.opt = 'adam'"
ORDER_BY = ["metrics.loss ASC"]
INTERVAL_PATH = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
HISTORY_PAGE = 25_000  # the page size MlflowClient.get_metric_history asks for


def run(a, p: Dict[str, Any]) -> Dict[str, Any]:
    client = a.client  # an MlflowClient on a.url: what is measured
    setup = a.setup_client()
    threads = a.setup_threads or p["search"]["threads"]
    out: Dict[str, Any] = {"setup_path": a.setup_path, "server_ready_s": p.get("server_ready_s")}
    out["batch"] = batch(client, a.url, p["batch"])
    out["history"], run_id = history(client, setup, a.url, p["history"])
    out["interval"] = interval(a.url, run_id, p["interval"])
    out["search"] = search(client, setup, threads, p["search"])
    return out


# ------------------------------------------------------------ 1. log_batch

def batch(client, url: str, p: Dict[str, Any]) -> Dict[str, Any]:
    calls, n_series, steps, budget = p["calls"], p["series"], p["steps"], p["budget_s"]
    exp = client.create_experiment("api-batch")
    run_id = client.create_run(exp, run_name="batch").info.run_id
    rnd = random.Random(11)
    ts = int(time.time() * 1000)
    names = [f"train/s{j:02d}" for j in range(n_series)]
    bodies = [[Metric(k, rnd.random(), ts, c * steps + s) for k in names for s in range(steps)]
              for c in range(calls)]  # built before the clock starts
    durations: List[float] = []
    t0 = time.perf_counter()
    for body in bodies:
        c0 = time.perf_counter()
        client.log_batch(run_id, metrics=body)
        durations.append(time.perf_counter() - c0)
        if time.perf_counter() - t0 > budget:
            break
    elapsed = time.perf_counter() - t0
    done = len(durations)
    points = done * n_series * steps
    got = len(client.get_metric_history(run_id, names[-1]))
    if got != done * steps:
        raise RuntimeError(f"log_batch readback: {names[-1]} has {got} points, logged {done * steps}")
    out = {"calls": done, "complete": done == calls, "points": points, "seconds": elapsed,
           "points_per_s": points / elapsed, "call_ms_p50": statistics.median(durations) * 1e3,
           "budget_s": budget}

    # The same requests without the client: what the server and HTTP cost.
    raw_id = client.create_run(exp, run_name="batch-raw").info.run_id
    raw = [json.dumps({"run_id": raw_id, "metrics": [{"key": m.key, "value": m.value, "timestamp": m.timestamp,
                                                      "step": m.step} for m in body]})
           for body in bodies[:p["raw_calls"]]]
    durations = []
    with requests.Session() as s:
        for body in raw:
            c0 = time.perf_counter()
            r = s.post(url + "/api/2.0/mlflow/runs/log-batch", data=body,
                       headers={"Content-Type": "application/json"}, timeout=600)
            durations.append(time.perf_counter() - c0)
            if r.status_code != 200:
                raise RuntimeError(f"POST /api/2.0/mlflow/runs/log-batch: HTTP {r.status_code}: {r.text[:500]}")
    out["raw"] = {"calls": len(durations), "call_ms_p50": statistics.median(durations) * 1e3,
                  "points_per_s": len(durations) * n_series * steps / sum(durations)}
    return out


# ------------------------------------------------------------ 2. get_metric_history

def history(client, setup, url: str, p: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
    n, chunk, reads, write_budget, read_budget = (p["points"], p["chunk"], p["reads"], p["write_budget_s"],
                                                  p["read_budget_s"])
    exp = setup.create_experiment("api-history")
    run_id = setup.create_run(exp, run_name="history").info.run_id
    rnd = random.Random(13)
    t0 = time.perf_counter()
    i = 0
    while i < n:
        stop = min(n, i + chunk)
        ts = int(time.time() * 1000)
        setup.log_batch(run_id, metrics=[Metric("loss", rnd.random(), ts, s) for s in range(i, stop)])
        i = stop
        if time.perf_counter() - t0 > write_budget:
            break
    write_s = time.perf_counter() - t0
    out: Dict[str, Any] = {"points": i, "complete": i == n, "write_s": write_s, "write_budget_s": write_budget}
    times: List[float] = []
    r0 = time.perf_counter()
    for k in range(reads):
        c0 = time.perf_counter()
        got = len(client.get_metric_history(run_id, "loss"))
        times.append(time.perf_counter() - c0)
        if got != i:
            raise RuntimeError(f"get_metric_history returned {got} points, logged {i}")
        if time.perf_counter() - r0 > read_budget and k + 1 < reads:
            out["reads_cut"] = f"{k + 1} of {reads} reads: the read budget of {read_budget} s was spent"
            break
    out["full"] = {"samples_s": times, "returned": i}

    # The same pages without the client's entities: what the server, HTTP
    # and JSON decoding cost.
    c0 = time.perf_counter()
    got, token = 0, None
    with requests.Session() as s:
        while True:
            q = {"run_id": run_id, "metric_key": "loss", "max_results": HISTORY_PAGE}
            if token:
                q["page_token"] = token
            r = s.get(url + "/api/2.0/mlflow/metrics/get-history", params=q, timeout=600)
            if r.status_code != 200:
                raise RuntimeError(f"GET /api/2.0/mlflow/metrics/get-history: HTTP {r.status_code}: {r.text[:500]}")
            page = r.json()
            got += len(page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                break
    if got != i:
        raise RuntimeError(f"raw get-history returned {got} points, logged {i}")
    out["raw_read_s"] = time.perf_counter() - c0
    return out, run_id


# ------------------------------------------------------------ 3. get-history-bulk-interval

def interval(url: str, run_id: str, p: Dict[str, Any]) -> Dict[str, Any]:
    params = {"run_ids": run_id, "metric_key": "loss", "max_results": p["max_results"]}
    times, got = [], None
    with requests.Session() as s:
        for _ in range(p["requests"]):
            c0 = time.perf_counter()
            r = s.get(url + INTERVAL_PATH, params=params, timeout=600)
            body = r.content
            times.append(time.perf_counter() - c0)
            if r.status_code != 200:
                raise RuntimeError(f"GET {INTERVAL_PATH}: HTTP {r.status_code}: {body[:500]!r}")
            got = len(r.json().get("metrics", []))
            if got == 0:
                raise RuntimeError(f"GET {INTERVAL_PATH} returned no points")
    return {"samples_s": times, "returned": got, "path": INTERVAL_PATH, "max_results": p["max_results"]}


# ------------------------------------------------------------ 4. search_runs

def table_row(i: int) -> Tuple[str, List[Param], List[Metric], List[RunTag], float]:
    """Run i of the search workload: its name, params, metrics (2 steps; the
    last value is what search sees), tag, and its final loss."""
    rnd = random.Random(7000 + i)
    loss = rnd.random()
    ts = 1_700_000_000_000 + i
    params = [Param("opt", OPTIMIZERS[i % 4]), Param("lr", f"{10 ** rnd.uniform(-5, -1):.6g}"),
              Param("batch", str(2 ** rnd.randint(4, 11)))]
    metrics = [Metric("loss", loss + 0.5, ts, 0), Metric("loss", loss, ts, 1),
               Metric("acc", 1 - loss, ts, 1), Metric("epoch_s", 10 + rnd.random(), ts, 1)]
    tags = [RunTag("sweep", f"s{i % 10}")]
    return f"run-{i:05d}", params, metrics, tags, loss


def expected(n_runs: int, page: int) -> List[str]:
    hits = []
    for i in range(0, n_runs, 4):  # opt = adam
        name, _, _, _, loss = table_row(i)
        if loss < 0.5:
            hits.append((loss, name))
    hits.sort()
    return [name for _, name in hits[:page]]


def search(client, setup, threads: int, p: Dict[str, Any]) -> Dict[str, Any]:
    n, page, budget = p["runs"], p["page"], p["create_budget_s"]
    exp = setup.create_experiment("api-search")

    def create(i: int) -> None:
        name, params, metrics, tags, _ = table_row(i)
        run_id = setup.create_run(exp, run_name=name).info.run_id
        setup.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    t0 = time.perf_counter()
    created = 0
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        while created < n and time.perf_counter() - t0 <= budget:
            todo = list(range(created, min(n, created + threads * 8)))
            list(ex.map(create, todo))
            created += len(todo)
    out: Dict[str, Any] = {"runs": created, "complete": created == n, "create_s": time.perf_counter() - t0,
                           "threads": threads, "create_budget_s": budget, "page": page}

    want = expected(created, page)
    times, got = [], None
    for _ in range(p["queries"]):
        c0 = time.perf_counter()
        res = client.search_runs([exp], filter_string=FILTER, order_by=ORDER_BY, max_results=page)
        times.append(time.perf_counter() - c0)
        got = [r.info.run_name for r in res]
    if got != want:
        raise RuntimeError(f"search_runs returned {len(got)} runs {got[:3]}..., expected {len(want)} {want[:3]}...")
    out["filter"] = {"samples_s": times, "returned": len(got), "checked": True}

    times, pages = [], 0
    for _ in range(p["scans"]):
        c0 = time.perf_counter()
        ids, token, pages = set(), None, 0
        while True:
            res = client.search_runs([exp], max_results=page, page_token=token)
            ids.update(r.info.run_id for r in res)
            pages += 1
            token = res.token
            if not token:
                break
        times.append(time.perf_counter() - c0)
        if len(ids) != created:
            raise RuntimeError(f"paged scan saw {len(ids)} distinct runs, created {created}")
    out["scan"] = {"samples_s": times, "returned": created, "pages": pages}
    return out


"""MLflow: its tracking server (SQLite backend, --serve-artifacts), written to
with the `mlflow` client as its docs show, read with the REST paths its UI uses."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")  # per call, below
import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402

from adapters.base import BaseAdapter  # noqa: E402
from common import free_port, wait_http  # noqa: E402

BATCH = 1000          # MLflow's limit of metrics per log_batch request
UI_CHART_POINTS = 320  # what MLflow's UI asks get-history-bulk-interval for (max_results)


class Adapter(BaseAdapter):
    name = "mlflow"
    version = version("mlflow")
    has_server = True
    concurrent_runs = True
    mlflow_client = True  # runs the MLflow API workload (mlflow_api.py)
    notes = [
        "`mlflow server --backend-store-uri sqlite:///... --serve-artifacts` with its default workers, on 127.0.0.1",
        "per-step writes: `mlflow.log_metrics(dict, step=i, synchronous=False)` on the active run (async logging; the "
        "default, synchronous, costs one HTTP request per call); close: `flush_async_logging()` + `set_terminated()`",
        "ingest and the long series: `MlflowClient.log_batch` with 1,000 metrics per request (MLflow's maximum), "
        "synchronous; runs created from 8 threads",
        "full read: `MlflowClient.get_metric_history`; chart read: `GET /ajax-api/2.0/mlflow/metrics/"
        "get-history-bulk-interval?max_results=320`, the request MLflow's UI sends",
        "runs query: `search_runs(filter_string=..., order_by=[...], max_results=50)`",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.proc: Optional[subprocess.Popen] = None
        self.url = ""
        self.client: Optional[MlflowClient] = None
        self.experiments: Dict[str, str] = {}
        self.runs: Dict[tuple, str] = {}
        self.buffers: Dict[str, list] = {}
        self.lock = threading.Lock()
        self.async_runs: set = set()

    # -------------------------------------------------------- server
    def start(self) -> float:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._log = open(self.workdir / "server.log", "wb")
        exe = str(Path(sys.executable).parent / "mlflow")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [exe, "server", "--backend-store-uri", f"sqlite:///{self.workdir / 'mlflow.db'}",
             "--serve-artifacts", "--artifacts-destination", str(self.workdir / "artifacts"),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(port, "/health", 180, self.proc)
        ready = time.perf_counter() - t0
        self._connect()
        return ready

    def _connect(self) -> None:
        """Points the client at self.url, as MLFLOW_TRACKING_URI would."""
        mlflow.set_tracking_uri(self.url)
        self.client = MlflowClient(self.url)

    # Setup data of the MLflow API workload (mlflow_api.py), which is not
    # what it measures: written with the same client calls (create_run,
    # log_batch) straight into the server's store, MlflowClient on its
    # sqlite:// URI, MLflow's own store code without its HTTP server: about
    # 10x faster here, so that MLflow's store holds the full sizes (1 M
    # points, 10 k runs) in minutes rather than an hour. One thread (SQLite).
    setup_path = "MLflow's store in-process (`MlflowClient(\"sqlite:///<the server's db>\")`), one thread"
    setup_threads = 1

    def setup_client(self) -> MlflowClient:
        return MlflowClient(f"sqlite:///{self.workdir / 'mlflow.db'}")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self._log.close()

    def server_pids(self) -> List[int]:
        return [self.proc.pid] if self.proc else []

    def storage_paths(self) -> List[Path]:
        return [self.workdir / "mlflow.db", self.workdir / "artifacts"]

    # -------------------------------------------------------- writing
    def _experiment(self, project: str) -> str:
        with self.lock:
            if project not in self.experiments:
                self.experiments[project] = self.client.create_experiment(project)
            return self.experiments[project]

    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = self.client.create_run(self._experiment(project), run_name=name)
        self.runs[(project, name)] = run.info.run_id
        if configs:
            self.client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in configs.items()])
        return run

    def logger(self, run: Any):
        # The fluent API logs to this thread's active run. (Passing run_id=
        # instead makes every call fetch the run over HTTP first.)
        self.async_runs.add(run.info.run_id)
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.start_run(run_id=run.info.run_id)
        log = mlflow.log_metrics

        def log_step(values: Dict[str, float], step: int) -> None:
            log(values, step=step, synchronous=False)
        return log_step

    def bulk_logger(self, run: Any):
        # Many points: MlflowClient.log_batch with 1,000 metrics per request,
        # synchronous, so a run is durable when its last batch returns.
        buf = self.buffers.setdefault(run.info.run_id, [])
        run_id = run.info.run_id

        def log_step(values: Dict[str, float], step: int) -> None:
            ts = int(time.time() * 1000)
            buf.extend(Metric(k, v, ts, step) for k, v in values.items())
            while len(buf) >= BATCH:
                self.client.log_batch(run_id, metrics=buf[:BATCH])
                del buf[:BATCH]
        return log_step

    def close_run(self, run: Any) -> None:
        buf = self.buffers.pop(run.info.run_id, None)
        if buf:
            self.client.log_batch(run.info.run_id, metrics=buf)
        if run.info.run_id in self.async_runs:
            self.async_runs.discard(run.info.run_id)
            mlflow.flush_async_logging()
        self.client.set_terminated(run.info.run_id)

    def log_long(self, run, path, values, n, deadline) -> int:
        run_id = run.info.run_id
        i = 0
        while i < n:
            stop = min(n, i + BATCH)
            ts = int(time.time() * 1000)
            self.client.log_batch(run_id, metrics=[Metric(path, values(s), ts, s) for s in range(i, stop)])
            i = stop
            if time.perf_counter() > deadline:
                break
        return i

    # -------------------------------------------------------- reading
    def count_points(self, project: str, name: str, path: str) -> int:
        return len(self.client.get_metric_history(self.runs[(project, name)], path))

    def read_full(self, project: str, name: str, path: str) -> int:
        return len(self.client.get_metric_history(self.runs[(project, name)], path))

    def read_chart(self, project: str, name: str, path: str) -> int:
        q = urllib.parse.urlencode({"run_ids": self.runs[(project, name)], "metric_key": path,
                                    "max_results": UI_CHART_POINTS})
        with urllib.request.urlopen(f"{self.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?{q}") as r:
            return len(json.load(r).get("metrics", []))

    def query_runs(self, project: str, page: int) -> List[str]:
        runs = self.client.search_runs(
            [self._experiment(project)],
            filter_string="params.`cfg/optimizer` = 'adam' and metrics.`metrics/m01` < 0.25",
            order_by=["metrics.`metrics/m00` ASC"], max_results=page)
        return [r.info.run_name for r in runs]

"""Hugging Face trackio in local mode: the client writes a SQLite file per
project under TRACKIO_DIR; the dashboard (trackio show) reads that file.

Reads call the same SQLiteStorage functions the dashboard's server calls
(trackio/server.py), in-process, so no HTTP or browser cost is counted.
"""
from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from adapters.base import BaseAdapter, NotSupported  # noqa: F401

# The Metrics page calls /get_logs_batch with {scalar_only: true} and no
# max_points, so the server's default of 3000 applies (server.py), in
# chunks of at most 64 runs (Metrics.svelte MAX_BATCH_RUNS).
CHART_MAX_POINTS = 3000
BATCH_RUNS = 64


class Adapter(BaseAdapter):
    name = "trackio"
    notes = [
        "local mode (no Space, no server_url): trackio.init(...) / run.log(values, step=i) / trackio.finish()",
        "auto_log_cpu=False, auto_log_gpu=False, embed=False; HF_HUB_OFFLINE=1, no HF token, so nothing reaches Hugging Face",
        "writes are queued in-process and a background thread bulk-inserts them into SQLite every 0.5 s",
        "close_run waits for that thread to end (finish() gives up after 30 s; the adapter keeps waiting)",
        "reads: SQLiteStorage.get_logs (full) and get_logs_batch(max_points=3000, scalar_only=True) as the Metrics page",
        "runs query: no server-side filter/sort; loads run records + configs + Metrics-page logs of every run, filters/sorts in Python as the browser would",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.dir = workdir / "trackio"
        # trackio reads these at import time, so set them before importing.
        os.environ["TRACKIO_DIR"] = str(self.dir)
        os.environ["HF_HOME"] = str(workdir / "hf")
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        os.environ["TRACKIO_STORAGE_MODE"] = "sqlite"  # what "auto" picks on a local disk; pinned
        for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "TRACKIO_SPACE_ID",
                    "TRACKIO_SERVER_URL", "TRACKIO_WEBHOOK_URL"):
            os.environ.pop(var, None)  # local mode only, no remote anything
        import trackio
        from trackio.sqlite_storage import SQLiteStorage
        self.trackio = trackio
        self.storage = SQLiteStorage
        self.version = version("trackio")
        self.run_ids: Dict[tuple, str] = {}  # (project, name) -> run id, as the dashboard knows it

    def storage_paths(self) -> List[Path]:
        return [self.dir]

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = self.trackio.init(project=project, name=name, config=configs,
                                embed=False, auto_log_cpu=False, auto_log_gpu=False)
        self.run_ids[(project, name)] = run.id
        return run

    def logger(self, run: Any):
        return run.log  # log(metrics, step=None)

    def close_run(self, run: Any) -> None:
        self.trackio.finish()  # finishes the current run, which is `run`
        # finish() joins the writer thread with a 30 s timeout and then only
        # warns; wait for the thread so everything logged is in SQLite.
        thread = getattr(run, "_local_sender_thread", None)
        if thread is not None:
            thread.join()

    # -------------------------------------------------------- reading
    def _full(self, project: str, name: str) -> List[dict]:
        # server.py get_logs uses max_points=3000; this is the unsampled read.
        return self.storage.get_logs(project, name, run_id=self.run_ids.get((project, name)))

    def count_points(self, project: str, name: str, path: str) -> int:
        return sum(1 for row in self._full(project, name) if path in row)

    def read_full(self, project: str, name: str, path: str) -> int:
        return sum(1 for row in self._full(project, name) if path in row)

    def read_chart(self, project: str, name: str, path: str) -> int:
        runs = [{"run": name, "run_id": self.run_ids.get((project, name))}]
        out = self.storage.get_logs_batch(project, runs, max_points=CHART_MAX_POINTS,
                                          scalar_only=True)
        return sum(1 for row in out[0]["logs"] if path in row)

    def query_runs(self, project: str, page: int) -> List[str]:
        # What the dashboard loads: /get_runs_for_project, /get_run_configs,
        # then /get_logs_batch for every (by default selected) run.
        records = self.storage.get_run_records(project)
        configs = self.storage.get_all_run_configs(project)  # keyed by run id
        hits = []
        for i in range(0, len(records), BATCH_RUNS):
            chunk = [{"run": r["name"], "run_id": r["id"]} for r in records[i:i + BATCH_RUNS]]
            for entry in self.storage.get_logs_batch(project, chunk, max_points=CHART_MAX_POINTS,
                                                     scalar_only=True):
                cfg = configs.get(entry["run_id"]) or {}
                if cfg.get("cfg/optimizer") != "adam":
                    continue
                last: Dict[str, tuple] = {}  # metric -> (step, value) of its latest point
                for row in entry["logs"]:
                    step = row.get("step")
                    for key in ("metrics/m00", "metrics/m01"):
                        if key in row and (key not in last or step >= last[key][0]):
                            last[key] = (step, row[key])
                if "metrics/m00" in last and "metrics/m01" in last and last["metrics/m01"][1] < 0.25:
                    hits.append((last["metrics/m00"][1], entry["run"]))
        hits.sort()
        return [name for _, name in hits[:page]]

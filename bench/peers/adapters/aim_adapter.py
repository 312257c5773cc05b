"""Aim 3: `aim.Run` writing straight into a local repo (no server), read back
with the SDK and with the function Aim's web server runs for a metric chart."""
from __future__ import annotations

import asyncio
import struct
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from aim import Repo, Run
from aim.sdk.index_manager import RepoIndexManager
from aim.sdk.sequence_collection import QuerySequenceCollection
from aim.sdk.sequences.metric import Metric
from aim.sdk.types import QueryReportMode
from aim.storage.context import Context
from aim.storage.treeutils import decode_tree

from adapters.base import BaseAdapter

# The Aim UI's "points density" setting is sent as `p` to GET /api/runs/search/metric/;
# the UI's default is DensityOptions.Maximum = 500 (aim_ui 3.29 bundle).
UI_CHART_POINTS = 500


class Adapter(BaseAdapter):
    name = "aim"
    version = version("aim")
    notes = [
        "`aim.Run(repo=<dir>, experiment=project, system_tracking_interval=None, capture_terminal_logs=False)` "
        "(no monitoring, like the other tools here); writes go to the run's own RocksDB chunks, no server",
        "configs: `run['hparams'] = {...}` with the `cfg/` prefix stripped (cfg/lr -> run.hparams.lr)",
        "per-step writes: `run.track(values_dict, step=i)` (Aim 3 takes a dict in one call); "
        "metric names with '/' are kept as they are",
        "close: `run.close()`, then the run is indexed with `RepoIndexManager.index(hash)`, the call "
        "`aim up`'s background indexer makes; without it SDK queries do not see the run",
        "stop: closes the repo's RocksDB containers as Aim's atexit cleanup does (flushes the WAL "
        "into table files), so disk use is measured after a clean shutdown",
        "full read: `Run(hash, read_only=True).get_metric(name).data.view('val').numpy()`",
        "chart read: in-process call of the server's `metric_search_result_streamer` "
        f"(GET /api/runs/search/metric/) with p={UI_CHART_POINTS}, the UI's default density, decoded",
        "runs query: `repo.query_runs('run.experiment == ... and run.hparams.optimizer == \"adam\" and "
        "run.metrics[\"metrics/m01\"].last < 0.25')`; Aim QL has no ORDER BY/LIMIT, so sort by last "
        "metrics/m00 and first page are done in Python",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.root = workdir / "repo"
        self.repo: Optional[Repo] = None       # kept so Aim's repo pool reuses one instance
        self.hashes: Dict[tuple, str] = {}     # (project, name) -> run hash
        self.open_runs: Dict[str, Run] = {}

    def storage_paths(self) -> List[Path]:
        return [self.root]

    def stop(self) -> None:
        for run in list(self.open_runs.values()):
            self.close_run(run)
        if self.repo is not None:
            # What Aim's atexit cleanup does: close every RocksDB container the repo has open
            # (flush memtables and WAL, drop the preallocated WAL files, release the locks).
            # Closed runs keep theirs open until the Run object is collected; clearing the
            # pools makes later runs and reads open fresh ones.
            for pool in (self.repo.container_pool, self.repo.persistent_pool):
                for container in list(pool.values()):
                    container.close()
                pool.clear()

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        # No machine monitoring or terminal capture: the other tools don't do
        # it in these workloads either.
        run = Run(repo=str(self.root), experiment=project, system_tracking_interval=None,
                  capture_terminal_logs=False)
        run.name = name
        if configs:
            run["hparams"] = {k[4:] if k.startswith("cfg/") else k: v for k, v in configs.items()}
        self.repo = run.repo
        self.hashes[(project, name)] = run.hash
        self.open_runs[run.hash] = run
        return run

    def logger(self, run: Any):
        return run.track  # track(values_dict, step=i): one call per step, name=None

    def close_run(self, run: Any) -> None:
        run_hash = run.hash
        # close() stops the system-metrics thread, stores end_time and releases the run lock.
        # Every track() call is already a RocksDB write (WAL) so the data is durable here.
        run.close()
        self.open_runs.pop(run_hash, None)
        # Aim 3.29's Run.close() no longer indexes the run; `aim up` does it in a background
        # thread. Index now, so queries and reads see the run as the docs describe.
        RepoIndexManager.get_index_manager(self.repo).index(run_hash)

    # -------------------------------------------------------- reading
    def _repo(self) -> Repo:
        return self.repo or Repo.from_path(str(self.root))

    def _run_hash(self, project: str, name: str) -> str:
        if (project, name) in self.hashes:
            return self.hashes[(project, name)]
        q = f'run.experiment == "{project}" and run.name == "{name}"'
        for coll in self._repo().query_runs(q, report_mode=QueryReportMode.DISABLED).iter_runs():
            return coll.run.hash
        raise KeyError(f"no run {project}/{name}")

    def _metric(self, project: str, name: str, path: str) -> Metric:
        run = Run(self._run_hash(project, name), repo=self._repo(), read_only=True)
        metric = run.get_metric(path, Context({}))
        if metric is None:
            raise KeyError(f"run {name} has no metric {path}")
        return metric

    def count_points(self, project: str, name: str, path: str) -> int:
        return self.read_full(project, name, path)

    def read_full(self, project: str, name: str, path: str) -> int:
        steps, (values,) = self._metric(project, name, path).data.view("val").numpy()
        return len(values)

    def read_chart(self, project: str, name: str, path: str) -> int:
        # What GET /api/runs/search/metric/?q=...&p=500 runs in the server process
        # (aim/web/api/runs/views.py), minus HTTP: the same query collection and streamer.
        from aim.web.api.runs.utils import metric_search_result_streamer

        repo = self._repo()
        q = f'run.hash == "{self._run_hash(project, name)}" and metric.name == "{path}"'
        repo._prepare_runs_cache()
        traces = QuerySequenceCollection(repo=repo, seq_cls=Metric, query=q,
                                         report_mode=QueryReportMode.PROGRESS_TUPLE)

        async def body() -> bytes:
            chunks = metric_search_result_streamer(traces, True, UI_CHART_POINTS, None, False)
            return b"".join([c async for c in chunks])

        tree = decode_tree(_frames(asyncio.run(body())))
        points = 0
        for run_data in tree.values():
            for trace in run_data["traces"]:
                if trace["name"] == path:
                    points += len(trace["values"]["blob"]) // 8  # float64 array
        return points

    def query_runs(self, project: str, page: int) -> List[str]:
        q = (f'run.experiment == "{project}" and run.hparams.optimizer == "adam" '
             f'and run.metrics["metrics/m01"].last < 0.25')
        hits = []
        for coll in self._repo().query_runs(q, report_mode=QueryReportMode.DISABLED).iter_runs():
            run = coll.run
            # the last value as the runs table shows it (trace metadata, not the values array)
            last = next(t["values"]["last"] for t in run.collect_sequence_info("metric")["metric"]
                        if t["name"] == "metrics/m00" and not t["context"])
            hits.append((last, run.name))
        hits.sort()
        return [name for _, name in hits[:page]]


def _frames(buf: bytes):
    """Split the streamer's body: (u32 len, key, u32 len, value) records."""
    i = 0
    while i < len(buf):
        (n,) = struct.unpack_from("I", buf, i)
        key = buf[i + 4:i + 4 + n]
        i += 4 + n
        (n,) = struct.unpack_from("I", buf, i)
        yield key, buf[i + 4:i + 4 + n]
        i += 4 + n

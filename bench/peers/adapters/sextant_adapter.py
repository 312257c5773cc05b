"""Sextant: the real server binary, written to and read with the Python SDK."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from adapters.base import BaseAdapter
from common import sextant_binary, start_sextant, stop_sextant

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "clients" / "python"))  # the SDK from this checkout

import sextant  # noqa: E402

# The other tools don't monitor the machine or capture output in these
# workloads, so neither does Sextant.
QUIET = dict(capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
             capture_heartbeat=False, capture_source=False, capture_traceback=False)


class Adapter(BaseAdapter):
    name = "sextant"
    version = sextant.__version__
    has_server = True
    concurrent_runs = True
    notes = [
        "`sextant serve` (embedded SQLite store, fsync on every commit) on 127.0.0.1",
        "writes: Python SDK `run.log_metrics(dict, step=i)` (async: journal + background sender); "
        "`close()` returns when the server acknowledged every point",
        "chart read: `Client.series(..., buckets=1000)` (min/max/mean per bucket, what the web UI's chart asks for)",
        "runs query: `Client.runs(filter=..., sort=..., limit=50)` (server-side filter, sort and page)",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.binary = sextant_binary(options)
        self.proc: Optional[subprocess.Popen] = None
        self.url = ""
        self.client: Optional[sextant.Client] = None

    # -------------------------------------------------------- server
    def start(self) -> float:
        t0 = time.perf_counter()
        self.proc, self.url = start_sextant(self.binary, self.workdir / "data", self.workdir / "server.log")
        self.client = sextant.Client(url=self.url)
        return time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.client is not None:
            self.client.close()
        proc, self.proc = self.proc, None
        stop_sextant(proc)

    def server_pids(self) -> List[int]:
        return [self.proc.pid] if self.proc else []

    def storage_paths(self) -> List[Path]:
        return [self.workdir / "data"]

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = sextant.Run(project=f"bench/{project}", run_id=name, url=self.url,
                          journal_dir=str(self.workdir / "journal"), close_timeout=3600, **QUIET)
        if configs:
            run.log_configs(configs)
        return run

    def logger(self, run: Any):
        return run.log_metrics

    def close_run(self, run: Any) -> None:
        if not run.close(timeout=3600):
            raise RuntimeError("sextant: close() did not get every point acknowledged")

    # -------------------------------------------------------- reading
    def count_points(self, project: str, name: str, path: str) -> int:
        return self.client.attributes(f"bench/{project}", name, pattern=f"^{path}$")[path]["count"]

    def read_full(self, project: str, name: str, path: str) -> int:
        s = self.client.series(f"bench/{project}", name, path)
        return len(s[0]["steps"])

    def read_chart(self, project: str, name: str, path: str) -> int:
        s = self.client.series(f"bench/{project}", name, path, buckets=1000)
        return len(s[0]["buckets"]["mean"])

    def query_runs(self, project: str, page: int) -> List[str]:
        rows = self.client.runs(f"bench/{project}", filter='cfg/optimizer = "adam" and metrics/m01 < 0.25',
                                sort="metrics/m00", limit=page, columns=["metrics/m00"])
        return [r["run_id"] for r in rows]

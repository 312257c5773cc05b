"""The mlflow client against Sextant: the MLflow adapter unchanged (same
client, same calls, same virtualenv), with `sextant serve` as the tracking
server instead of `mlflow server` (docs/mlflow.md: MLFLOW_TRACKING_URI
pointed at Sextant)."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List

# A server error from Sextant fails the call at once, with the server's own
# message, instead of being retried 7 times with backoff and reported as
# "too many 500 error responses": such an error is a bug to report, not a
# result. (It changes nothing while the server answers 2xx.)
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")

from adapters import mlflow_adapter  # noqa: E402
from common import sextant_binary, start_sextant, stop_sextant  # noqa: E402


class Adapter(mlflow_adapter.Adapter):
    name = "mlflow_sextant"
    notes = [
        "the MLflow adapter's code and the `mlflow` client, unchanged, against `sextant serve` (this checkout's "
        "build, embedded SQLite store, fsync on every commit) on 127.0.0.1, as `MLFLOW_TRACKING_URI` would point it",
        "`MLFLOW_HTTP_REQUEST_MAX_RETRIES=0`: a server error fails at once with its message (none is expected)",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.binary = sextant_binary(options)
        try:
            server = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                    timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            server = "sextant ?"
        self.version = f"mlflow {mlflow_adapter.Adapter.version} client, {server}"

    def start(self) -> float:
        t0 = time.perf_counter()
        self.proc, self.url = start_sextant(self.binary, self.workdir / "data", self.workdir / "server.log")
        ready = time.perf_counter() - t0
        self._connect()
        return ready

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        stop_sextant(proc)

    def storage_paths(self) -> List[Path]:
        return [self.workdir / "data"]

    # The MLflow API workload's setup data goes through the server, as
    # everything else (Sextant has no in-process store to write to).
    setup_path = "the mlflow client over HTTP, runs created from several threads"
    setup_threads = None  # the workload's own thread count

    def setup_client(self):
        return self.client

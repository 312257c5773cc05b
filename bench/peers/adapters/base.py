"""The contract every tool adapter fulfils.

A workload (worker.py) calls these methods; it never touches a tool's API
itself. An adapter uses the tool the way its documentation tells a user to,
and says in `notes` where it had to choose (a sync or async mode, a bulk
path, a sampling setting). Anything a tool cannot do raises NotSupported with
the reason, and the report prints that reason in the table.

Lifecycle, per worker process (one workload, one fresh `workdir`):

    a = Adapter(workdir, options)
    a.start()                       # start the server, if the tool has one
    h = a.open_run(project, name, configs)
    log = a.logger(h)               # log(values_dict, step=i): the training-loop call
    (or a.bulk_logger(h) in the ingest workload)
    ...
    a.close_run(h)                  # returns when the data is durable
    a.read_full(...) / a.read_chart(...) / a.query_runs(...)
    a.stop()                        # stop the server
    a.storage_paths()               # what to count as disk use
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional


class NotSupported(Exception):
    """The tool has no way to do this; the message says why (shown in the report)."""


class BaseAdapter:
    name = "?"
    version = "?"            # the tool's package version, filled by the adapter
    has_server = False        # True when writes go through a server process
    concurrent_runs = False   # True when runs may be created from several threads at once
    no_reads = "no read API"  # why the read methods below are not overridden
    notes: List[str] = []     # one line each: how this adapter uses the tool

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        self.workdir = workdir
        self.options = options
        workdir.mkdir(parents=True, exist_ok=True)

    # -------------------------------------------------------- server
    def start(self) -> float:
        """Start the server if there is one, on the same data as before if it
        is started again after stop(). Returns seconds until it answered."""
        return 0.0

    def stop(self) -> None:
        pass

    def server_pids(self) -> List[int]:
        """Root pids of the server's process tree (for peak memory)."""
        return []

    def storage_paths(self) -> List[Path]:
        """Files and folders holding the tool's stored data (for bytes per point)."""
        return [self.workdir]

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        raise NotImplementedError

    def logger(self, run: Any) -> Callable[..., Any]:
        """The call a training loop makes once per step: f(values, step=i)."""
        raise NotImplementedError

    def bulk_logger(self, run: Any) -> Callable[..., Any]:
        """The ingest workload's call, f(values, step=i): the per-step logger
        unless the tool documents a faster way to write many points (say so
        in `notes`)."""
        return self.logger(run)

    def close_run(self, run: Any) -> None:
        """Finish the run; return only when everything logged is durable."""
        raise NotImplementedError

    def log_long(self, run: Any, path: str, values: Callable[[int], float], n: int,
                 deadline: float) -> int:
        """Write one series of n points (steps 0..n-1). Returns how many were
        written before time.perf_counter() passed `deadline`. The default uses
        the per-step logger; adapters may use the tool's documented bulk path."""
        import time
        log = self.logger(run)
        i = 0
        while i < n:
            stop = min(n, i + 10_000)
            for s in range(i, stop):
                log({path: values(s)}, step=s)
            i = stop
            if time.perf_counter() > deadline:
                break
        return i

    # -------------------------------------------------------- reading
    def count_points(self, project: str, name: str, path: str) -> int:
        """How many points of `path` the store holds (the readback check)."""
        raise NotSupported(self.no_reads)

    def read_full(self, project: str, name: str, path: str) -> int:
        """Read every point of the series; returns the number read."""
        raise NotSupported(self.no_reads)

    def read_chart(self, project: str, name: str, path: str) -> int:
        """Fetch what the tool's own chart fetches for this series; returns
        the number of points (or buckets) it got."""
        raise NotSupported(self.no_reads)

    def query_runs(self, project: str, page: int) -> List[str]:
        """Runs-table query with the tool's own query path: optimizer is "adam"
        and the last metrics/m01 < 0.25, sorted by last metrics/m00 ascending,
        first `page` runs. Returns their names in order."""
        raise NotSupported(self.no_reads)

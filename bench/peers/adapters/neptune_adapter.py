"""neptune-scale in offline mode, client side only.

Run(mode="offline") writes every call, in the calling thread, as serialized
operations into a per-run SQLite file under log_directory; `neptune sync`
would later upload it. There is no sync process and no server, so nothing
can be read back or queried.
"""
from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from adapters.base import BaseAdapter

NO_READS = ("offline mode keeps data client-side as pending operations in a local SQLite file; "
            "there is no local read API, reads need the Neptune backend after `neptune sync`")


class Adapter(BaseAdapter):
    name = "neptune"
    no_reads = NO_READS
    notes = [
        "offline mode: Run(mode=\"offline\", project=\"bench/<project>\", run_id=name, log_directory=workdir) "
        "/ run.log_configs(configs) / run.log_metrics(values, step=i) / run.close()",
        "each call is one committed SQLite transaction (WAL, synchronous=FULL) in the calling thread; no API token, no sync process",
        "disabled where a user can: console capture (enable_console_log_capture=False), git/source tracking (source_tracking_config=None)",
        "no reads or runs query: offline data is only readable by the Neptune backend after `neptune sync`",
        "disk use: the offline run folders (run_operations.sqlite3 and its WAL)",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        self.dir = workdir / "neptune"
        os.environ["NEPTUNE_MODE"] = "offline"
        os.environ["NEPTUNE_LOG_DIRECTORY"] = str(self.dir)  # also passed as log_directory
        os.environ.pop("NEPTUNE_API_TOKEN", None)  # offline needs none; make sure nothing can sync
        import neptune_scale
        self.Run = neptune_scale.Run
        self.version = version("neptune-scale")
        self.open: List[Any] = []

    def stop(self) -> None:
        # Nothing runs in the background in offline mode; close any run a
        # failed workload left open (close() of a closed run is a no-op).
        for run in self.open:
            run.close()
        self.open = []

    def storage_paths(self) -> List[Path]:
        return [self.dir]

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = self.Run(mode="offline", project=f"bench/{project}", run_id=name,
                       log_directory=self.dir, enable_console_log_capture=False,
                       source_tracking_config=None)
        if configs:
            run.log_configs(configs)
        self.open.append(run)
        return run

    def logger(self, run: Any):
        return run.log_metrics  # log_metrics(data, step, *, timestamp=None, ...): f(values, step=i) fits

    def close_run(self, run: Any) -> None:
        run.close()  # offline: every call is already committed; this closes the SQLite file
        if run in self.open:
            self.open.remove(run)

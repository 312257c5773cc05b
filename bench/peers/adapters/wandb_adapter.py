"""Weights & Biases in offline mode, client side only.

wandb.init(mode="offline") starts the wandb-core service (a child process of
this one) which appends every record to a run-<id>.wandb transaction log under
WANDB_DIR; `wandb sync` would later upload it. Nothing here talks to a server,
so there is nothing to read back or query.
"""
from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

from adapters.base import BaseAdapter

NO_READS = ("offline mode keeps data client-side in the .wandb transaction log; "
            "there is no local read API (only the `wandb leet` terminal viewer), "
            "reads need the W&B server after `wandb sync`")


class Adapter(BaseAdapter):
    name = "wandb"
    no_reads = NO_READS
    notes = [
        "offline mode: wandb.init(mode=\"offline\", dir=workdir, config=...) / run.log(values, step=i) / run.finish()",
        "writes go to the wandb-core service process (a child of the client; its memory counts as client)",
        "disabled where a user can: system stats (x_disable_stats), system metadata (x_disable_meta, "
        "x_disable_machine_info), console capture (console=\"off\"), code/git/requirements saving",
        "no reads or runs query: offline data is only readable by the W&B server after `wandb sync`",
        "disk use: the offline run folders (run-<id>.wandb log, files/, logs/)",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)
        # Every place wandb may write goes under workdir; set before import.
        os.environ.update({
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_ERROR_REPORTING": "false",   # no Sentry/telemetry reports
            "WANDB_DIR": str(workdir),
            "WANDB_CONFIG_DIR": str(workdir / "config"),
            "WANDB_CACHE_DIR": str(workdir / "cache"),
            "WANDB_DATA_DIR": str(workdir / "data"),
            "WANDB_ARTIFACT_DIR": str(workdir / "artifacts"),
        })
        import wandb
        self.wandb = wandb
        self.version = version("wandb")
        self.settings = wandb.Settings(
            console="off",
            save_code=False,
            disable_code=True,
            disable_git=True,
            x_save_requirements=False,
            x_disable_stats=True,
            x_disable_meta=True,
            x_disable_machine_info=True,
        )
        self.run_dirs: List[Path] = []

    def stop(self) -> None:
        # Ends the wandb-core service process (otherwise left to an atexit hook).
        # A second call finds nothing to tear down.
        self.wandb.teardown()

    def storage_paths(self) -> List[Path]:
        return list(self.run_dirs)

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        run = self.wandb.init(mode="offline", dir=str(self.workdir), project=project, name=name,
                              config=configs, settings=self.settings)
        self.run_dirs.append(Path(run.settings.sync_dir))
        return run

    def logger(self, run: Any):
        return run.log  # log(data, step=None, commit=None)

    def close_run(self, run: Any) -> None:
        run.finish()  # returns when wandb-core has written the run's .wandb log

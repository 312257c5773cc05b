"""One adapter per tool: how that tool's own client writes, reads and queries.

`load(name, workdir)` imports only the adapter asked for, so each tool's
virtualenv needs nothing but that tool.
"""
from __future__ import annotations

import importlib
from pathlib import Path

TOOLS = ["sextant", "mlflow", "mlflow_sextant", "aim", "tensorboard", "trackio", "wandb", "neptune", "neptune_sextant"]


def load(name: str, workdir: Path, options: dict):
    if name not in TOOLS:
        raise SystemExit(f"unknown tool {name!r}; known: {', '.join(TOOLS)}")
    mod = importlib.import_module(f"adapters.{name}_adapter")
    return mod.Adapter(Path(workdir), options)

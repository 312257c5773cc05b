"""W&B runs read from a W&B server through its public API (`wandb.Api`).

`sextant import wandb wandb://ENTITY/PROJECT --project ws/proj` (or
`ENTITY/PROJECT --api`), with `--base-url` / `--api-key` (default
$WANDB_BASE_URL / $WANDB_API_KEY). For every run of `api.runs(...)`: its
id, name, group, tags, notes, state, created_at, config and summary;
`run.scan_history()` gives every history row (not the sampled
`run.history()`); `run.files()` the run's files (media files become points
of their series, the others `files/<name>`). The values map as for offline
runs (see `wandb`). The server's system metrics and console are not read
from the API (the console is the run's `output.log` file): reported.

`API_FACTORY(api_key, base_url)` makes the Api object; tests replace it.
"""
from __future__ import annotations

import datetime as _dt
import functools
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional

from ._source import SourceError, SourceRun, need, safe_run_id
from ._writer import RunWriter
from .wandb import (History, config_items, put_file, summary_items, timestamp_or_nan, write_configs,
                    write_run_metadata)

PAGE_SIZE = 1000
_STATES = {"finished": "finished", "failed": "failed", "crashed": "failed", "killed": "failed",
           "preempted": "failed", "running": "running", "pending": "running", "preempting": "running"}


def _default_factory(api_key: Optional[str], base_url: Optional[str]) -> Any:
    wandb = need("wandb", "wandb")
    overrides = {"base_url": base_url} if base_url else {}
    return wandb.Api(api_key=api_key, overrides=overrides, timeout=60)


API_FACTORY: Callable[[Optional[str], Optional[str]], Any] = _default_factory


def _entity_project(path: str) -> str:
    p = path[len("wandb://"):] if path.startswith("wandb://") else path
    parts = [x for x in p.split("/") if x]
    if len(parts) != 2:
        raise SourceError(f"{path}: expected wandb://ENTITY/PROJECT")
    return "/".join(parts)


def _created(v: Any) -> Optional[float]:
    if not v:
        return None
    try:
        t = _dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.timestamp()


def open_api(path: str, args: Any, report: Any) -> List[SourceRun]:
    ep = _entity_project(path)
    api = API_FACTORY(getattr(args, "api_key", None) or os.environ.get("WANDB_API_KEY"),
                      getattr(args, "base_url", None) or os.environ.get("WANDB_BASE_URL"))
    out: List[SourceRun] = []
    for run in api.runs(ep, per_page=100):
        summ = dict(run.summary_metrics) if hasattr(run, "summary_metrics") else dict(run.summary)
        state = _STATES.get(str(getattr(run, "state", "")).lower(), "failed")
        src = SourceRun(
            source_id=f"{ep}/{run.id}", run_id=safe_run_id(run.id), write=lambda w: None,
            project=ep, name=run.name or "", experiment_name=getattr(run, "group", None) or "",
            created_at=_created(getattr(run, "created_at", None)), state=state,
            fingerprint=f"{state}|{summ.get('_step')}|{summ.get('_timestamp')}|{getattr(run, 'heartbeat_at', '')}")
        src.write = functools.partial(_write, run=run, summary=summ, ep=ep)
        out.append(src)
    return out


def _write(w: RunWriter, *, run: Any, summary: Dict[str, Any], ep: str) -> None:
    h = History()
    for i, row in enumerate(run.scan_history(page_size=PAGE_SIZE)):
        row = dict(row)
        step = row.pop("_step", None)
        if step is None or isinstance(step, bool) or not isinstance(step, (int, float)):
            step = i
        ts = timestamp_or_nan(row.pop("_timestamp", None))
        h.row(((k, v) for k, v in row.items()), step, ts)
    tmp = tempfile.mkdtemp(prefix="sextant-wandb-")
    try:
        files = {f.name: f for f in run.files()}

        def fetch(rel: str) -> Optional[str]:
            f = files.get(rel)
            if f is None:
                return None
            f.download(root=tmp, replace=True)
            return os.path.join(tmp, *rel.split("/"))

        h.write(w, fetch)
        write_configs(w, config_items(dict(run.config)))
        write_configs(w, summary_items(summary, h), "summary/")
        for (path, why), n in sorted(h.skips.items()):
            w.skip(path, why)
        h.skips.clear()
        entity, project = ep.split("/")
        meta = {"entity": entity, "project": project, "job_type": getattr(run, "job_type", None),
                "host": getattr(run, "host", None), "state": getattr(run, "state", None)}
        write_run_metadata(w, meta, list(getattr(run, "tags", None) or []), getattr(run, "notes", None) or "")
        used = {rel for _p, _s, _t, rel in h.files}
        for name in sorted(files):
            if name in used:
                continue
            local = fetch(name)
            if local is not None:
                put_file(w, f"files/{name}", local, name=os.path.basename(name))
        w.skip("system metrics and console", "not read from the W&B API (the console is files/output.log)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

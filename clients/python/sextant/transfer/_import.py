"""The import driver: lists a source's runs, creates each through the
native API (with its name, experiment, creation time and fork), lets the
source write its data through a RunWriter, finishes it with the source's
state, and records it as done so that a re-run skips it."""
from __future__ import annotations

import argparse
import decimal
import importlib
import os
from typing import Dict, List, Optional

from .._errors import ApiError, SextantError, UnreachableError
from .._http import Http, resolve_token, resolve_url
from ._report import Report
from ._source import SourceError, SourceRun, safe_project
from ._state import ImportState, default_dir
from ._writer import RunWriter, step_json

# `sextant import NAME …` → module (imported lazily).
SOURCES: Dict[str, str] = {
    "neptune": "sextant.transfer.neptune_export",
    "tensorboard": "sextant.transfer.tensorboard",
    "mlflow": "sextant.transfer.mlflow",
    "wandb": "sextant.transfer.wandb",
    "sextant": "sextant.transfer.sextant_format",
}


def source_module(name: str):
    return importlib.import_module(SOURCES[name])


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=None,
                   help="write every run into this Sextant project (ws/proj)")
    p.add_argument("--map", action="append", default=[], metavar="SOURCE=WS/PROJ",
                   help="write the runs of one source project into a Sextant project (repeatable)")
    p.add_argument("--url", default=None, help="server (default $SEXTANT_URL, else http://127.0.0.1:5050)")
    p.add_argument("--token", default=None, help="API token (default $SEXTANT_API_TOKEN)")
    p.add_argument("--dry-run", action="store_true",
                   help="read everything and report what would be imported; send nothing")
    p.add_argument("--state-dir", default=None,
                   help=f"where finished runs are remembered for resuming (default {default_dir()})")
    p.add_argument("--restart", action="store_true",
                   help="forget what earlier attempts finished and import every run again")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors and the summary")


def _target_project(r: SourceRun, args: argparse.Namespace) -> str:
    mapping = dict(m.split("=", 1) for m in args.map if "=" in m)
    if r.project is not None and r.project in mapping:
        return mapping[r.project]
    if args.project:
        return args.project
    if r.project is not None:
        p = safe_project(r.project)
        if p:
            return p
    raise SourceError(f"run {r.source_id}: give --project WS/PROJ (or --map SOURCE=WS/PROJ) "
                      f"to say where it goes" + (f"; its source project is {r.project!r}" if r.project else ""))


def run_import(kind: str, path: str, args: argparse.Namespace) -> int:
    mod = source_module(kind)
    report = Report("imported", quiet=args.quiet)
    dry = args.dry_run
    for m in args.map:
        if "=" not in m:
            raise SourceError(f"--map {m!r}: expected SOURCE=WS/PROJ")
    runs: List[SourceRun] = list(mod.open_source(path, args, report))
    report.runs_total = len(runs)
    hints = [r.points_hint for r in runs]
    if runs and all(h is not None for h in hints):
        report.points_total = sum(hints)  # type: ignore[arg-type]
    url = resolve_url(args.url)
    http: Optional[Http] = None if dry else Http(url, resolve_token(args.token), timeout=300)
    key = (kind, os.path.abspath(path), url, args.project or "", ",".join(sorted(args.map)))
    state = ImportState(None if dry else (args.state_dir or default_dir()), *key)
    if args.restart:
        state.clear()
    failed_ids = set()
    try:
        for r in runs:
            project = _target_project(r, args)
            label = f"{r.source_id} → {project}/{r.run_id}"
            if state.is_done(f"{project}\0{r.run_id}", r.fingerprint):
                report.runs_unchanged += 1
                continue
            if r.fork_run_id and r.fork_run_id in failed_ids:
                report.runs_failed += 1
                failed_ids.add(r.run_id)
                report.skip(label, f"its fork parent {r.fork_run_id} failed to import")
                continue
            report.run_started(label)
            try:
                if not dry:
                    body = {"run_id": r.run_id}
                    if r.name is not None:
                        body["name"] = r.name
                    if r.experiment_name is not None:
                        body["experiment_name"] = r.experiment_name
                    if r.created_at is not None:
                        body["created_at"] = r.created_at
                    if r.fork_run_id:
                        body["fork_run_id"] = r.fork_run_id
                        body["fork_step"] = step_json(r.fork_step if r.fork_step is not None else 0)
                    http.json("POST", f"/projects/{project}/runs", body)  # type: ignore[union-attr]
                w = RunWriter(http, project, r.run_id, report, dry_run=dry)
                if r.fork_run_id:
                    w.fork_step = decimal.Decimal(str(step_json(r.fork_step or 0)))
                if kind != "sextant":
                    w.config("import/source", kind)
                    w.config("import/source_id", r.source_id)
                r.write(w)
                w.finish(r.state, r.ended_at)
                if w.inherited_dropped:
                    report.skip(label, f"{w.inherited_dropped:,} points at or before the fork step "
                                       f"{r.fork_step} (the parent's, read through the fork)")
            except UnreachableError:
                raise
            except (ApiError, SourceError, SextantError, OSError, ValueError) as e:
                report.runs_failed += 1
                failed_ids.add(r.run_id)
                report.skip(label, f"failed: {e}")
                continue
            state.mark_done(f"{project}\0{r.run_id}", r.fingerprint)
            report.run_done(label, f" ({w.points_written:,} points, {w.configs_written:,} values, "
                                   f"{w.files_written} files)")
    finally:
        if http is not None:
            http.close()
    report.current = ""
    report.finish(dry)
    return 1 if report.runs_failed else 0

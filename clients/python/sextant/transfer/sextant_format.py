"""`sextant import sextant DIR`: reads back what `sextant export` wrote
(docs/format/export.md): runs.parquet for the runs (ids, names,
experiments, states, creation times, forks) and runs/<id>.parquet for their
values and points; files from DIR/files. Run ids are kept, so an export
imported into an empty server and exported again gives the same bytes."""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Iterable, List

from ._report import Report
from ._rows import write_table
from ._source import SourceError, SourceRun, need, parents_first
from ._writer import RunWriter

NAME = "sextant"
HELP = "a folder written by `sextant export` (Parquet)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    pass


def _micro_text(d: Any) -> Any:
    """A decimal from Parquet → an int or exact decimal string."""
    if d is None:
        return None
    if d == d.to_integral_value():
        return int(d)
    return format(d.normalize(), "f")


def open_source(path: str, args: argparse.Namespace, report: Report) -> Iterable[SourceRun]:
    pq = need("pyarrow.parquet")
    from .export import FORMAT, VERSION, run_file
    mpath = os.path.join(path, "manifest.json")
    try:
        with open(mpath, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise SourceError(f"{path}: not a Sextant export (manifest.json: {e})") from None
    if manifest.get("format") != FORMAT:
        raise SourceError(f"{path}: manifest.json says format {manifest.get('format')!r}, not {FORMAT!r}")
    if int(manifest.get("version", 0)) > VERSION:
        raise SourceError(f"{path}: export format version {manifest.get('version')} is newer than this "
                          f"package reads ({VERSION}); upgrade the sextant package")
    table = pq.read_table(os.path.join(path, "runs.parquet"))
    runs: List[SourceRun] = []
    for r in table.to_pylist():
        rid = r["run_id"]
        fpath = os.path.join(path, run_file(rid))
        if not os.path.exists(fpath):
            report.skip(rid, f"{run_file(rid)} is missing from the export")
            continue

        def write(w: RunWriter, fpath: str = fpath) -> None:
            f = pq.ParquetFile(fpath)
            for g in range(f.num_row_groups):
                write_table(f.read_row_group(g), w, files_root=path)

        created = r["created_at"]
        st = os.stat(fpath)
        runs.append(SourceRun(
            source_id=rid, run_id=rid, write=write, project=r["project_id"],
            name=r["name"] or "", experiment_name=r["experiment_name"] or "",  # "" is kept as ""
            created_at=None if created is None else created.timestamp(),
            state=r["state"] if r["state"] in ("finished", "failed") else "running",
            fork_run_id=r["fork_run_id"], fork_step=_micro_text(r["fork_step"]),
            points_hint=pq.ParquetFile(fpath).metadata.num_rows,
            fingerprint=f"{st.st_size}:{int(st.st_mtime)}"))
    return parents_first(runs)

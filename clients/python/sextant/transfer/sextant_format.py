"""`sextant import sextant DIR`: reads back what `sextant export` wrote
(docs/format/export.md): runs.parquet for the runs (ids, names,
experiments, states, creation times, forks) and runs/<id>.parquet for their
values and points; files from DIR/files. A file instead of a folder is the
server's streamed export (sextant_stream.py). Run ids are kept, so an export
imported into an empty server and exported again gives the same bytes."""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Iterable, List

from ._report import Report
from ._rows import write_table
from ._source import SourceError, SourceRun, need, parents_first, safe_run_id
from ._writer import RunWriter

NAME = "sextant"
HELP = ("a folder written by `sextant export` (Parquet), or a file saved from the server's "
        "streamed export (GET …/export, NDJSON)")


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
    if os.path.isfile(path):  # the server's streamed export (sextant_stream.py)
        from .sextant_stream import open_stream
        return open_stream(path, args, report)
    pq = need("pyarrow.parquet")
    from .export import FORMAT, VERSION, run_file, runs_schema
    mpath = os.path.join(path, "manifest.json")
    try:
        with open(mpath, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise SourceError(f"{path}: not a Sextant export (manifest.json: {e})") from None
    if not isinstance(manifest, dict):
        raise SourceError(f"{path}: not a Sextant export (manifest.json is not a JSON object)")
    if manifest.get("format") != FORMAT:
        raise SourceError(f"{path}: manifest.json says format {manifest.get('format')!r}, not {FORMAT!r}")
    version = manifest.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise SourceError(f"{path}: manifest.json's version {version!r} is not an integer")
    if version > VERSION:
        raise SourceError(f"{path}: export format version {version} is newer than this "
                          f"package reads ({VERSION}); upgrade the sextant package")
    try:
        table = pq.read_table(os.path.join(path, "runs.parquet"), columns=runs_schema().names)
    except Exception as e:  # missing, not Parquet, other columns: pyarrow raises several kinds
        raise SourceError(f"{path}: runs.parquet cannot be read ({type(e).__name__}: {e})") from None
    runs: List[SourceRun] = []
    for i, r in enumerate(table.to_pylist()):
        rid = r["run_id"]
        if not rid or safe_run_id(rid) != rid:  # a Sextant export holds valid ids only
            report.skip(f"runs.parquet row {i}", f"{rid!r} is not a Sextant run id")
            continue
        fpath = os.path.join(path, run_file(rid))
        try:
            st = os.stat(fpath)
            points = pq.ParquetFile(fpath).metadata.num_rows
        except FileNotFoundError:
            report.skip(rid, f"{run_file(rid)} is missing from the export")
            continue
        except Exception as e:  # unreadable or not Parquet
            report.skip(rid, f"{run_file(rid)} cannot be read ({type(e).__name__}: {e})")
            continue

        def write(w: RunWriter, fpath: str = fpath) -> None:
            f = pq.ParquetFile(fpath)
            for g in range(f.num_row_groups):
                try:
                    t = f.read_row_group(g)
                except Exception as e:  # a damaged row group: pyarrow raises several kinds
                    w.skip(f"{os.path.basename(fpath)} row group {g}",
                           f"unreadable ({type(e).__name__}: {e})")
                    continue
                write_table(t, w, files_root=path)

        created = r["created_at"]
        runs.append(SourceRun(
            source_id=rid, run_id=rid, write=write, project=r["project_id"],
            name=r["name"] or "", experiment_name=r["experiment_name"] or "",  # "" is kept as ""
            created_at=None if created is None else created.timestamp(),
            state=r["state"] if r["state"] in ("finished", "failed") else "running",
            fork_run_id=r["fork_run_id"], fork_step=_micro_text(r["fork_step"]),
            points_hint=points,
            fingerprint=f"{st.st_size}:{int(st.st_mtime)}"))
    return parents_first(runs)

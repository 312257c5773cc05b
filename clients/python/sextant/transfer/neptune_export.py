"""`sextant import neptune DATA [--files FILES]`: the Parquet trees that
neptune-exporter writes (`neptune-exporter export --data-path DATA
--files-path FILES`).

Layout: DATA/<sanitized project>/<sanitized run>_part_<n>.parquet, where a
sanitized name keeps [A-Za-z0-9_-], turns anything else into '_' and ends
with '-' + 16 hex digits of its BLAKE2b hash. A run is complete once its
part_0 exists (it is renamed into place last); runs without it are
reported and skipped. Files live in FILES/<sanitized project>/, and a
file row's `file_value.path` is relative to that folder. Without --files,
DATA/../files is used when it exists.

Each row is one config value or one series point (columns in
sextant/transfer/_rows.py). Run metadata comes from sys/ rows:
sys/custom_run_id (the Sextant run id; else the run_id column),
sys/name (the run's name), sys/experiment/name (else sys/name) as the
experiment, sys/creation_time, sys/failed, and the fork lineage
sys/forking/parent + sys/forking/step; parents are imported before their
forks. sys/tags, sys/group_tags and sys/description are imported as such;
the other sys/ rows are Neptune's bookkeeping and are not.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import decimal
import glob
import math
import os
import re
from typing import Any, Dict, Iterable, List, Optional

from ._report import Report
from ._rows import write_table
from ._source import SourceError, SourceRun, need, parents_first, safe_run_id
from ._writer import RunWriter

NAME = "neptune"
HELP = "a neptune-exporter Parquet export (DATA = its --data-path, or one project folder in it)"

_PART = re.compile(r"^(?P<run>.+)_part_(?P<n>\d+)\.parquet$")
_META = ["sys/custom_run_id", "sys/name", "sys/experiment/name", "sys/forking/parent",
         "sys/forking/step", "sys/creation_time", "sys/failed", "sys/state"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--files", default=None,
                   help="neptune-exporter's --files-path (default: DATA/../files when it exists)")


def _project_dirs(path: str) -> List[str]:
    if glob.glob(os.path.join(path, "*_part_*.parquet")):
        return [path]
    return sorted(d for d in glob.glob(os.path.join(path, "*")) if os.path.isdir(d)
                  and glob.glob(os.path.join(d, "*_part_*.parquet")))


def _parts(project_dir: str) -> Dict[str, List[str]]:
    runs: Dict[str, List[tuple]] = {}
    for f in os.listdir(project_dir):
        m = _PART.match(f)
        if m:
            runs.setdefault(m.group("run"), []).append((int(m.group("n")), os.path.join(project_dir, f)))
    return {k: [p for _, p in sorted(v)] for k, v in runs.items()}


def _value(rows: Any, t: str) -> Any:
    col = {"string": "string_value", "float": "float_value", "int": "int_value", "bool": "bool_value",
           "datetime": "datetime_value"}.get(t)
    if col is None or rows.num_rows == 0:
        return None
    return rows[col][rows.num_rows - 1].as_py()


class _Meta:
    def __init__(self) -> None:
        self.project: Optional[str] = None
        self.source_id: Optional[str] = None
        self.sys: Dict[str, Any] = {}
        self.points = 0


def _read_meta(parts: List[str], report: Report) -> Optional[_Meta]:
    pq = need("pyarrow.parquet")
    pc = need("pyarrow.compute")
    m = _Meta()
    for part in parts:
        try:
            f = pq.ParquetFile(part)
            m.points += f.metadata.num_rows
            t = pq.read_table(part, columns=["project_id", "run_id", "attribute_path", "attribute_type",
                                              "string_value", "float_value", "int_value", "bool_value",
                                              "datetime_value"],
                              filters=[("attribute_path", "in", _META)])
        except Exception as e:  # a corrupt part: pyarrow raises several kinds
            report.skip(os.path.basename(part), f"unreadable Parquet ({type(e).__name__}: {e})")
            return None
        if m.project is None and t.num_rows:
            m.project = t["project_id"][0].as_py()
            m.source_id = t["run_id"][0].as_py()
        for name in _META:
            rows = t.filter(pc.equal(t["attribute_path"], name))
            if rows.num_rows:
                m.sys[name] = _value(rows, rows["attribute_type"][0].as_py())
    if m.source_id is None:  # no sys/ rows: take the ids from any row
        try:
            t = pq.ParquetFile(parts[0]).read_row_group(0, columns=["project_id", "run_id"]) \
                if pq.ParquetFile(parts[0]).num_row_groups else None
        except Exception as e:
            report.skip(os.path.basename(parts[0]), f"unreadable Parquet ({type(e).__name__}: {e})")
            return None
        if t is None or t.num_rows == 0:
            report.skip(os.path.basename(parts[0]), "an empty run (no rows)")
            return None
        m.project, m.source_id = t["project_id"][0].as_py(), t["run_id"][0].as_py()
    return m


def _seconds(v: Any) -> Optional[float]:
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=_dt.timezone.utc)
        return v.timestamp()
    return None


def open_source(path: str, args: argparse.Namespace, report: Report) -> Iterable[SourceRun]:
    need("pyarrow")
    if not os.path.isdir(path):
        raise SourceError(f"{path}: not a folder")
    files_base = args.files
    if files_base is None:
        guess = os.path.join(os.path.dirname(os.path.abspath(path.rstrip("/"))), "files")
        files_base = guess if os.path.isdir(guess) else None
    runs: List[SourceRun] = []
    for pdir in _project_dirs(path):
        fdir = os.path.join(files_base, os.path.basename(pdir)) if files_base else None
        if fdir is not None and not os.path.isdir(fdir):
            fdir = files_base if os.path.basename(pdir) == os.path.basename(files_base.rstrip("/")) else None
        for prefix, parts in sorted(_parts(pdir).items()):
            if not parts or not parts[0].endswith("_part_0.parquet"):
                report.skip(f"{os.path.basename(pdir)}/{prefix}",
                            "incomplete export (no part_0: neptune-exporter writes it last)")
                continue
            meta = _read_meta(parts, report)
            if meta is None:
                continue
            runs.append(_make_run(meta, parts, fdir, report))
    return parents_first(runs, _orphan(report))


def _make_run(meta: _Meta, parts: List[str], files_dir: Optional[str], report: Report) -> SourceRun:
    s = meta.sys
    run_id = safe_run_id(str(s.get("sys/custom_run_id") or meta.source_id))
    stamp = ";".join(f"{os.path.basename(p)}:{os.path.getsize(p)}:{int(os.path.getmtime(p))}" for p in parts)
    failed = s.get("sys/failed") is True or str(s.get("sys/state") or "").lower() == "failed"

    def write(w: RunWriter) -> None:
        pq = need("pyarrow.parquet")
        seen: set = set()
        for part in parts:
            f = pq.ParquetFile(part)
            for g in range(f.num_row_groups):
                try:
                    t = f.read_row_group(g)
                except Exception as e:
                    w.skip(f"{os.path.basename(part)} row group {g}", f"unreadable ({type(e).__name__}: {e})")
                    continue
                write_table(t, w, files_root=files_dir, seen_files=seen)

    parent = s.get("sys/forking/parent")
    fork_step = _step(s.get("sys/forking/step"))
    if parent and fork_step is None:
        report.skip(f"{meta.source_id} fork lineage",
                    f"its fork step {s.get('sys/forking/step')!r} is not a finite number: "
                    f"imported as a run of its own")
        parent = None
    return SourceRun(
        source_id=str(meta.source_id), run_id=run_id, write=write, project=meta.project,
        name=None if s.get("sys/name") is None else str(s["sys/name"]),
        experiment_name=str(s.get("sys/experiment/name") or s.get("sys/name") or "") or None,
        created_at=_seconds(s.get("sys/creation_time")),
        state="failed" if failed else "finished",
        fork_run_id=safe_run_id(str(parent)) if parent else None,
        fork_step=fork_step if parent else None,
        points_hint=meta.points, fingerprint=stamp)


def _step(v: Any) -> Any:
    """The fork step: a number (0 when absent), or None when it is not a finite one."""
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
        return None
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        if v.is_integer():
            return int(v)
    if isinstance(v, decimal.Decimal) and not v.is_finite():
        return None
    return v


def _orphan(report: Report):
    def f(r: SourceRun) -> None:
        report.skip(f"{r.source_id} fork lineage",
                    f"its parent {r.fork_run_id} is not in this export: imported as a run of its own")
        r.fork_run_id, r.fork_step = None, None
    return f

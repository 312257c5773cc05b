"""Tables in the Neptune export layout → RunWriter calls. Shared by the
Neptune export importer and Sextant's own export (which uses the same
columns, see docs/format/export.md):

    attribute_path, attribute_type, step decimal(18,6), timestamp,
    int_value, float_value, string_value, bool_value, datetime_value,
    string_set_value list<string>, file_value struct<path, …>,
    histogram_value struct<type, edges, values>

One row per config value or series point. Rows of a table are grouped by
path with numpy (no Python loop per point for float series), so reading
stays ahead of the server.
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Optional, Set, Tuple

from ._writer import FLOAT, HISTOGRAM, RUN_FLAGS, STRING, RunWriter, iso_utc

CONFIG_TYPES = {"float", "int", "string", "bool", "datetime", "string_set"}
SERIES_KIND = {"float_series": FLOAT, "string_series": STRING, "histogram_series": HISTOGRAM}

# sys/ attributes the server lets a client write; the rest is the server's.
WRITABLE_SYS = {"sys/tags", "sys/name", "sys/description", "sys/group_tags"}


def steps_of(col: Any) -> List[Any]:
    """A decimal step column → ints where whole, exact decimal strings otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        return pc.cast(col, pa.int64()).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = []
        for s in pc.cast(col, pa.string()).to_pylist():
            if s is not None and "." in s:
                s = s.rstrip("0").rstrip(".")
            out.append(s)
        return out


def whole_steps_of(col: Any) -> Any:
    """A decimal step column → numpy int64 when every step is whole, else None."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        return pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def seconds_of(col: Any) -> Any:
    """A timestamp column (any unit) → numpy float64 Unix seconds (NaN where null)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    unit = col.type.unit
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]
    ints = pc.cast(col, pa.int64())
    arr = np.asarray(ints.to_numpy(zero_copy_only=False), dtype="float64") if ints.null_count == 0 else \
        np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype="float64")
    if unit == "us":
        # µs → s in two steps keeps the nearest double to the exact decimal.
        whole = np.floor_divide(arr, 1e6)
        return whole + (arr - whole * 1e6) / 1e6
    return arr / scale


def group_by_path(table: Any) -> List[Tuple[str, Any]]:
    """(path, sub-table) per attribute path, paths in bytewise order, rows
    within a path in their original order."""
    import numpy as np
    import pyarrow.compute as pc
    if table.num_rows == 0:
        return []
    enc = pc.dictionary_encode(table["attribute_path"]).combine_chunks()
    idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False))
    names = enc.dictionary.to_pylist()
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    bounds = [0] + (np.flatnonzero(np.diff(sidx)) + 1).tolist() + [len(sidx)]
    groups = []
    for a, b in zip(bounds, bounds[1:]):
        groups.append((names[sidx[a]], table.take(order[a:b])))
    groups.sort(key=lambda g: g[0].encode("utf-8"))
    return groups


def _hist(h: Dict[str, Any]) -> Dict[str, Any]:
    return {"edges": list(h["edges"]), "counts": list(h["values"])}


def _finite_or_text(x: float) -> Any:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def write_table(table: Any, w: RunWriter, *, files_root: Optional[str],
                seen_files: Optional[Set[Tuple[str, Any]]] = None) -> None:
    """Writes every row of `table` through `w`. sys/ rows the server does not
    let a client write are skipped silently: they are the source's
    bookkeeping, and the run metadata among them was read when listing."""
    import pyarrow.compute as pc
    for path, sub in group_by_path(table):
        types = pc.unique(sub["attribute_type"]).to_pylist()
        for t in types:
            rows = sub if len(types) == 1 else sub.filter(pc.equal(sub["attribute_type"], t))
            if path in RUN_FLAGS and t == "bool":
                w.flag(path, bool(rows["bool_value"][rows.num_rows - 1].as_py()))
                continue
            if path.startswith("sys/") and path not in WRITABLE_SYS:
                continue
            if t in CONFIG_TYPES:
                _configs(path, t, rows, w)
            elif t in SERIES_KIND:
                _series(path, t, rows, w)
            elif t in ("file", "file_series", "file_set"):
                _files(path, t, rows, w, files_root, seen_files)
            else:
                w.skip(path, f"attribute type {t!r} is not one Sextant knows")


def _configs(path: str, t: str, rows: Any, w: RunWriter) -> None:
    # A config has one value; if a table repeats it, the last row wins.
    i = rows.num_rows - 1
    if t == "float":
        v = rows["float_value"][i].as_py()
        w.config(path, {"type": "float", "value": _finite_or_text(float(v))} if v is not None else math.nan)
    elif t == "int":
        v = rows["int_value"][i].as_py()
        if v is None:
            w.skip(path, "an int with no value")
        else:
            w.config(path, {"type": "int", "value": int(v)})
    elif t == "bool":
        v = rows["bool_value"][i].as_py()
        if v is None:
            w.skip(path, "a bool with no value")
        else:
            w.config(path, bool(v))
    elif t == "string":
        v = rows["string_value"][i].as_py()
        w.config(path, "" if v is None else str(v))
    elif t == "datetime":
        v = rows["datetime_value"][i].as_py()
        if v is None:
            w.skip(path, "a datetime with no value")
        else:
            w.config(path, iso_utc(v))
    elif t == "string_set":
        v = rows["string_set_value"][i].as_py() or []
        if path == "sys/tags":  # tags are added, not set
            w.tags(v)
        else:
            w.config(path, {"type": "string_set", "value": sorted(set(v))})


def _series(path: str, t: str, rows: Any, w: RunWriter) -> None:
    import numpy as np
    import pyarrow.compute as pc
    kind = SERIES_KIND[t]
    valid = pc.is_valid(rows["step"])
    if pc.sum(pc.invert(valid)).as_py():
        n = rows.num_rows
        rows = rows.filter(valid)
        w.skip(path, f"{n - rows.num_rows} points without a step")
    if rows.num_rows == 0:
        return
    # Float series: whole steps stay a numpy column (the writer sends it as
    # one); anything else goes by Python ints and decimal text.
    steps = whole_steps_of(rows["step"]) if kind == FLOAT else None
    if steps is None:
        steps = steps_of(rows["step"])
    ts_col = rows["timestamp"]
    ts = None if ts_col.null_count == rows.num_rows else seconds_of(ts_col)
    if ts is not None and ts_col.null_count:
        w.skip(path, f"{ts_col.null_count} points without a timestamp get the import's time")
        ts = None
    if kind == FLOAT:
        col = rows["float_value"]
        if col.null_count:
            col = pc.fill_null(col, float("nan"))
        values = np.asarray(col.to_numpy(zero_copy_only=False), dtype="float64")
        w.points(path, steps, values, ts, kind=FLOAT, steps_exact=True)
    elif kind == STRING:
        values = rows["string_value"].to_pylist()
        values = ["" if v is None else v for v in values]
        w.points(path, steps, values, None if ts is None else ts.tolist(), kind=STRING, steps_exact=True)
    else:
        hs = rows["histogram_value"].to_pylist()
        keep = [i for i, h in enumerate(hs) if h is not None]
        if len(keep) != len(hs):
            w.skip(path, f"{len(hs) - len(keep)} histogram points without a value")
        w.points(path, [steps[i] for i in keep], [_hist(hs[i]) for i in keep],
                 None if ts is None else [float(ts[i]) for i in keep], kind=HISTOGRAM, steps_exact=True)


def _files(path: str, t: str, rows: Any, w: RunWriter, files_root: Optional[str],
           seen: Optional[Set[Tuple[str, Any]]]) -> None:
    fv = rows["file_value"].to_pylist()
    steps = steps_of(rows["step"]) if t == "file_series" else [None] * rows.num_rows
    ts_col = rows["timestamp"]
    ts = seconds_of(ts_col).tolist() if ts_col.null_count < rows.num_rows else [None] * rows.num_rows
    nulls = set(i for i, v in enumerate(ts_col.to_pylist()) if v is None)
    for i, f in enumerate(fv):
        if not f or not f.get("path"):
            w.skip(path, "a file row without a path")
            continue
        if files_root is None:
            w.skip(path, "the export's files folder was not found (give --files)")
            return
        local = os.path.join(files_root, f["path"])
        stamp = None if i in nulls else ts[i]
        if t == "file_series" and steps[i] is None:
            w.skip(path, "a file-series point without a step")
            continue
        if os.path.isdir(local) or t == "file_set":
            if not os.path.isdir(local):
                w.skip(path, f"file set {f['path']!r} is missing from the files folder")
                continue
            for dirpath, _, names in os.walk(local):
                for n in sorted(names):
                    full = os.path.join(dirpath, n)
                    rel = os.path.relpath(full, local).replace(os.sep, "/")
                    w.file(f"{path}/{rel}", full, name=n, timestamp=stamp)
            continue
        if not os.path.isfile(local):
            w.skip(path, f"file {f['path']!r} is missing from the files folder")
            continue
        key = (path, steps[i])
        if seen is not None:
            if key in seen:
                continue
            seen.add(key)
        w.file(path, local, step=steps[i], name=f.get("name") or os.path.basename(local),
               timestamp=stamp)

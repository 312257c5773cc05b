"""Rows of the Neptune export layout (sextant/transfer/_rows.py) from text,
for the Parquet harnesses: mutating Parquet bytes would mostly fuzz
pyarrow's reader, while these lines reach the importers' value decoding.

One row per line, fields separated by tabs (a missing or unreadable field
is null): attribute_path, attribute_type, step (a decimal), timestamp (µs
since 1970), value. The value goes to the column of the row's type:
float, int, bool ("true"/"1"), string, datetime (µs), string_set
("a,b"), histogram ("type;edges;counts", numbers comma-separated), file
(its path). Other types get it as string_value."""
from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any, Dict, List, Optional

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MAX_DECIMAL = decimal.Decimal(10) ** 12  # decimal128(18, 6)


def text_fields(data: bytes) -> List[List[str]]:
    return [line.split("\t") for line in data.decode("utf-8", "replace").split("\n") if line]


def step(s: Optional[str]) -> Optional[decimal.Decimal]:
    try:
        d = decimal.Decimal(s).quantize(decimal.Decimal("0.000001"))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return d if d.is_finite() and abs(d) < MAX_DECIMAL else None


def micros(s: Optional[str]) -> Optional[dt.datetime]:
    try:
        return EPOCH + dt.timedelta(microseconds=int(s))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def number(s: Optional[str]) -> Optional[float]:
    try:
        return float(s)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def integer(s: Optional[str]) -> Optional[int]:
    try:
        v = int(s)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if -(1 << 63) <= v < 1 << 63 else None


def numbers(s: str) -> List[float]:
    out = [number(x) for x in s.split(",") if x]
    return [x if x is not None else math.nan for x in out]


def value_columns(t: Optional[str], v: Optional[str]) -> Dict[str, Any]:
    if v is None:
        return {}
    if t in ("float", "float_series"):
        return {"float_value": number(v)}
    if t == "int":
        return {"int_value": integer(v)}
    if t == "bool":
        return {"bool_value": v in ("true", "1")}
    if t == "datetime":
        return {"datetime_value": micros(v)}
    if t == "string_set":
        return {"string_set_value": v.split(",") if v else []}
    if t == "histogram_series":
        parts = v.split(";") + ["", ""]
        return {"histogram_value": {"type": parts[0], "edges": numbers(parts[1]), "values": numbers(parts[2])}}
    if t in ("file", "file_series", "file_set"):
        return {"file_value": {"path": v}}
    return {"string_value": v}


def rows(data: bytes, project: str, run: str, columns: List[str]) -> List[Dict[str, Any]]:
    out = []
    for f in text_fields(data):
        f = f + [None] * (5 - len(f))  # type: ignore[list-item]
        r: Dict[str, Any] = {c: None for c in columns}
        r.update(project_id=project, run_id=run, attribute_path=f[0], attribute_type=f[1],
                 step=step(f[2]), timestamp=micros(f[3]))
        r.update(value_columns(f[1], f[4]))
        out.append(r)
    return out

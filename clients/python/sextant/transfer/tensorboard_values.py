"""TensorBoard summary values → Sextant values, for `tensorboard.py`:
numeric and string tensors (every dtype, `tensor_content` or typed fields)
and histograms (`HistogramProto` and TF2's `[k, 3]` tensors) turned into
finite, increasing edges with counts. The rules are in `tensorboard.py`'s
module docstring."""
from __future__ import annotations

import math
import struct
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

DBL_MAX = sys.float_info.max


# -- tensors ----------------------------------------------------------------------

_DT_FLOAT, _DT_DOUBLE, _DT_STRING, _DT_BFLOAT16, _DT_HALF = 1, 2, 7, 14, 19
_DT_NAMES = {0: "invalid", 1: "float", 2: "double", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
             7: "string", 8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16",
             18: "complex128", 19: "half", 22: "uint32", 23: "uint64"}
# dtype → (struct code for tensor_content, typed field)
_NUMERIC = {1: ("f", "float_val"), 2: ("d", "double_val"), 3: ("i", "int_val"),
            4: ("B", "int_val"), 5: ("h", "int_val"), 6: ("b", "int_val"), 9: ("q", "int64_val"),
            10: ("?", "bool_val"), 14: ("H", "half_val"), 17: ("H", "int_val"),
            19: ("e", "half_val"), 22: ("I", None), 23: ("Q", None)}


class _Unusable(Exception):
    """A value that cannot be imported; the message says why."""


# The most elements a summary tensor may have when its values are filled in
# by TensorFlow's rule (_fill): a damaged shape must not allocate terabytes.
MAX_ELEMENTS = 1 << 22


def _shape(t: Any) -> List[int]:
    shape = [d.size for d in t.tensor_shape.dim]
    if any(d < 0 for d in shape):
        raise _Unusable(f"a tensor of shape {shape} (a negative dimension)")
    return shape


def _count(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _fill(vals: List[Any], n: int, what: str, zero: Any = 0) -> List[Any]:
    """TensorFlow's rule for typed values: fewer than the shape holds → the
    last is repeated (none → zeros: 0, or b"" for strings)."""
    if len(vals) == n:
        return vals
    if n > MAX_ELEMENTS:
        raise _Unusable(f"a {what} tensor of {n:,} elements (over {MAX_ELEMENTS:,}) with "
                        f"{len(vals)} values given")
    if len(vals) > n:
        raise _Unusable(f"{what} tensor has {len(vals)} values for {n} elements")
    return vals + [vals[-1] if vals else zero] * (n - len(vals))


def tensor_numbers(t: Any) -> Tuple[List[int], List[float]]:
    """The shape and the elements (as floats, exactly) of a numeric tensor."""
    shape = _shape(t)
    n = _count(shape)
    dt = t.dtype
    if dt not in _NUMERIC:
        raise _Unusable(f"a tensor of dtype {_DT_NAMES.get(dt, dt)} is not numeric")
    code, field = _NUMERIC[dt]
    if t.tensor_content:
        size = struct.calcsize(code)
        if len(t.tensor_content) != n * size:
            raise _Unusable(f"tensor_content has {len(t.tensor_content)} bytes for {n} "
                            f"{_DT_NAMES[dt]} elements")
        raw: List[Any] = list(struct.unpack(f"<{n}{code}", t.tensor_content))
        if dt == _DT_BFLOAT16:
            raw = [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in raw]
    else:
        if field is None:
            raise _Unusable(f"a {_DT_NAMES[dt]} tensor without tensor_content")
        raw = _fill(list(getattr(t, field)), n, _DT_NAMES[dt])
        if dt == _DT_HALF:
            raw = [struct.unpack("<e", struct.pack("<H", h & 0xFFFF))[0] for h in raw]
        elif dt == _DT_BFLOAT16:
            raw = [struct.unpack("<f", struct.pack("<I", (h & 0xFFFF) << 16))[0] for h in raw]
    out = []
    for x in raw:
        f = float(x)
        if not isinstance(x, float) and f != x:
            raise _Unusable(f"the integer {x} is not exactly a float64")
        out.append(f)
    return shape, out


def tensor_strings(t: Any) -> Tuple[List[int], List[bytes]]:
    if t.dtype != _DT_STRING:
        raise _Unusable(f"a tensor of dtype {_DT_NAMES.get(t.dtype, t.dtype)}, not string")
    shape = _shape(t)
    return shape, _fill(list(t.string_val), _count(shape), "string", b"")


# -- histograms -------------------------------------------------------------------

def _open(x: float) -> bool:
    return not math.isfinite(x) or abs(x) >= DBL_MAX


def _check_edges(edges: List[float], counts: List[float]) -> Dict[str, List[float]]:
    if not counts:
        raise _Unusable("an empty histogram (no buckets hold values)")
    for i, e in enumerate(edges):
        if not math.isfinite(e) or (i and not e > edges[i - 1]):
            raise _Unusable(f"bucket edges {_short(edges)} are not finite and strictly increasing")
    for c in counts:
        if not (math.isfinite(c) and c >= 0):
            raise _Unusable(f"bucket count {c} is not a finite non-negative number")
    return {"edges": edges, "counts": counts}


def _short(xs: Sequence[float]) -> str:
    s = ", ".join(repr(x) for x in xs[:6])
    return f"[{s}{', …' if len(xs) > 6 else ''}]"


def histogram_from_proto(h: Any) -> Dict[str, List[float]]:
    """Edges and counts from a HistogramProto (rule in the module docstring)."""
    limits, counts = list(h.bucket_limit), list(h.bucket)
    if len(limits) != len(counts):
        raise _Unusable(f"{len(limits)} bucket limits for {len(counts)} buckets")
    i, j = 0, len(counts)
    lo: Optional[float] = None  # left edge of bucket i: open (-DBL_MAX) until known
    while i < j and counts[i] == 0 and (lo is None or _open(lo)):
        lo = limits[i]
        i += 1
    while j > i and counts[j - 1] == 0 and _open(limits[j - 1]):
        j -= 1
    if i == j:
        raise _Unusable("an empty histogram (no buckets hold values)")
    if lo is None or _open(lo):
        if not (math.isfinite(h.min) and h.min < limits[i]):
            raise _Unusable(f"the first bucket is open below and min {h.min!r} is not below "
                            f"its right edge {limits[i]!r}")
        lo = h.min
    edges = [lo] + limits[i:j]
    if _open(edges[-1]):
        if not (math.isfinite(h.max) and h.max > edges[-2]):
            raise _Unusable(f"the last bucket is open above and max {h.max!r} is not above "
                            f"its left edge {edges[-2]!r}")
        edges[-1] = h.max
    return _check_edges(edges, counts[i:j])


def histogram_from_tensor(t: Any) -> Dict[str, List[float]]:
    """Edges and counts from TF2's [k, 3] (left, right, count) tensor."""
    shape, vals = tensor_numbers(t)
    if len(shape) != 2 or shape[1] != 3:
        raise _Unusable(f"a histogram tensor of shape {shape}, not [k, 3]")
    rows = [(vals[r], vals[r + 1], vals[r + 2]) for r in range(0, len(vals), 3)]
    rows = [r for r in rows if not (r[2] == 0 and r[0] == r[1])]
    if len(rows) == 1 and rows[0][0] == rows[0][1] and math.isfinite(rows[0][0]):
        v = rows[0][0]
        return _check_edges([v, math.nextafter(v, math.inf)], [rows[0][2]])
    edges: List[float] = []
    counts: List[float] = []
    for left, right, c in rows:
        if edges and left != edges[-1]:
            if left < edges[-1]:
                raise _Unusable(f"buckets overlap ({edges[-1]!r} > {left!r})")
            counts.append(0.0)
            edges.append(left)
        if not edges:
            edges.append(left)
        edges.append(right)
        counts.append(c)
    return _check_edges(edges, counts)

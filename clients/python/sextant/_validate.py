"""Call-site validation: everything a logging call refuses is refused here,
before it is queued, with the server's own rules (docs/api/native.md).

Numpy and torch values are accepted by duck typing (`.item()`,
`__float__`, `__index__`): this module never imports either library.
"""
from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._errors import ValidationError

MAX_PATH_BYTES = 1024
MAX_STRING_BYTES = 1 << 20  # the server's string limit (1 MiB)
MAX_ABS_STEP = 9e12
STEP_DIGITS = 6               # fractional digits of a step the server keeps
STEP_SNAP_RTOL = 1e-9         # a float this close to a STEP_DIGITS decimal is that decimal
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z, the server's last second
MAX_STRING_SET_ITEMS = 10_000
MAX_HISTOGRAM_BINS = 100_000
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
_RUN_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Config paths under sys/ the server lets clients write (strings).
_WRITABLE_SYS_CONFIGS = frozenset({"sys/name", "sys/description"})

Number = Union[int, float]
Step = Union[int, float]


# --------------------------------------------------------------------------
# Names


def project_name(project: Any) -> str:
    if not isinstance(project, str) or not project:
        raise ValidationError(
            "project is required: pass project='workspace/project' or set SEXTANT_PROJECT")
    parts = project.split("/")
    if len(parts) != 2 or not all(_NAME_RE.match(p) and p not in (".", "..") for p in parts):
        raise ValidationError(
            f"project {project!r} must be 'workspace/project', each part 1-128 characters "
            "of [A-Za-z0-9._-]")
    return project


def run_id(value: Any, what: str = "run_id") -> str:
    if not isinstance(value, str) or not _RUN_ID_RE.match(value) or value in (".", ".."):
        raise ValidationError(f"{what} {value!r} must be 1-128 characters of [A-Za-z0-9._:-]")
    return value


def optional_text(value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}")
    _utf8(value, what)
    return value


# --------------------------------------------------------------------------
# Paths


def path(p: Any, *, series: bool) -> str:
    """Validates an attribute path for writing. REQUIRES: called only for
    paths not seen before (callers cache valid paths)."""
    if not isinstance(p, str):
        raise ValidationError(f"attribute paths must be strings, got {type(p).__name__} {p!r}")
    if not p:
        raise ValidationError("attribute path is empty")
    n = len(_utf8(p, "attribute path"))
    if n > MAX_PATH_BYTES:
        raise ValidationError(f"attribute path is {n} bytes; the limit is {MAX_PATH_BYTES}")
    if _CONTROL_RE.search(p):
        raise ValidationError(f"attribute path {p[:80]!r} contains a control character")
    if p[0] == "/" or p[-1] == "/":
        raise ValidationError(f"attribute path {p[:80]!r} starts or ends with '/'")
    if "//" in p:
        raise ValidationError(f"attribute path {p[:80]!r} has an empty segment")
    if p.startswith("sys/") and (series or p not in _WRITABLE_SYS_CONFIGS):
        raise ValidationError(
            f"attribute path {p[:80]!r} is reserved for the server (sys/...); "
            "use another prefix, e.g. source/ or monitoring/")
    return p


def _utf8(s: str, what: str) -> bytes:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError(f"{what} is not valid Unicode text ({e.reason})") from None


# --------------------------------------------------------------------------
# Numbers


def _scalar(v: Any) -> Any:
    """Unwraps numpy / torch scalars and 0-d arrays / tensors by duck typing."""
    item = getattr(v, "item", None)
    if item is not None and callable(item) and not isinstance(v, (str, bytes)):
        try:
            return item()
        except (ValueError, TypeError, RuntimeError) as e:
            shape = getattr(v, "shape", None)
            raise ValidationError(
                f"expected a scalar, got {type(v).__name__}"
                + (f" of shape {tuple(shape)}" if shape is not None else "")
                + f" ({e}); log one value per path") from None
    return v


def float_value(v: Any, where: str) -> float:
    """A metric value as a Python float (NaN and ±inf allowed)."""
    if type(v) is float:
        return v
    v = _scalar(v)
    if isinstance(v, (float, int)):  # bool is an int: True -> 1.0
        try:
            return float(v)
        except OverflowError:
            raise ValidationError(f"{where}: {v} is too large for a float") from None
    if isinstance(v, (str, bytes, complex)) or v is None:
        raise ValidationError(f"{where}: expected a number, got {type(v).__name__} {v!r:.80}")
    f = getattr(v, "__float__", None)
    if f is not None:
        try:
            out = float(v)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValidationError(f"{where}: cannot convert {type(v).__name__} to float: {e}") from None
        return out
    raise ValidationError(f"{where}: expected a number, got {type(v).__name__} {v!r:.80}")


def step_value(step: Any) -> Step:
    """A step: an int, or a finite float that is a decimal with at most six
    fractional digits, with |step| < 9e12.

    The server refuses a step with more fractional digits rather than
    rounding it. A float within one part in 1e9 of a six-digit decimal is
    taken as that decimal (0.1 + 0.2 == 0.30000000000000004 becomes 0.3):
    the float returned is the nearest to it, whose shortest repr (what JSON
    sends, and what the server reads) is that decimal. Anything farther
    (1e-7, 0.1234567) is refused."""
    if type(step) is int:
        if -MAX_ABS_STEP < step < MAX_ABS_STEP:
            return step
        raise ValidationError(f"step {step} is out of range (|step| < 9e12)")
    if isinstance(step, bool):
        raise ValidationError("step must be a number, got bool")
    step = _scalar(step)
    if isinstance(step, int) and not isinstance(step, bool):
        return step_value(int(step))
    if hasattr(step, "__index__") and not isinstance(step, float):
        return step_value(step.__index__())
    if isinstance(step, float) or (step is not None and hasattr(step, "__float__")
                                   and not isinstance(step, (str, bytes, complex))):
        f = float(step)
        if not math.isfinite(f):
            raise ValidationError(f"step must be finite, got {f}")
        if not -MAX_ABS_STEP < f < MAX_ABS_STEP:
            raise ValidationError(f"step {f} is out of range (|step| < 9e12)")
        if f.is_integer():
            return int(f)
        r = round(f, STEP_DIGITS)
        if r != f and not math.isclose(f, r, rel_tol=STEP_SNAP_RTOL, abs_tol=0.0):
            raise ValidationError(
                f"step {f!r} has more than {STEP_DIGITS} fractional digits; the server keeps "
                f"steps as decimals with at most {STEP_DIGITS} (round it, or use an int)")
        if r.is_integer():
            return int(r)
        if _fraction_digits(r) > STEP_DIGITS:  # cannot happen for |r| < 9e12; kept as a guard
            raise ValidationError(f"step {f!r} cannot be sent with {STEP_DIGITS} fractional digits")
        return r
    raise ValidationError(f"step must be a number, got {type(step).__name__} {step!r:.80}")


def _fraction_digits(f: float) -> int:
    """Fractional digits of the shortest decimal that reads back as `f`."""
    exp = _decimal.Decimal(repr(f)).as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def step_text(step: Step) -> str:
    """A valid step (from `step_value`) as the exact decimal text the
    server's query parameters take: "12", "0.3", "0.00005" (never "5e-05")."""
    if type(step) is int:
        return str(step)
    return format(_decimal.Decimal(repr(step)), "f")


def timestamp_value(ts: Any) -> float:
    """Unix seconds from a number or a datetime (naive = local time)."""
    if isinstance(ts, _dt.datetime):
        ts = ts.timestamp()
    else:
        ts = float_value(ts, "timestamp")
    if not (math.isfinite(ts) and 0 <= ts <= MAX_TIMESTAMP):
        raise ValidationError(f"timestamp must be Unix seconds from 0 to {MAX_TIMESTAMP} "
                              f"(the end of year 9999), got {ts}")
    return ts


def string_value(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise ValidationError(f"{where}: expected a str, got {type(v).__name__} {v!r:.80}")
    if len(v) > MAX_STRING_BYTES // 4:
        n = len(_utf8(v, where))
        if n > MAX_STRING_BYTES:
            raise ValidationError(f"{where}: the string is {n} bytes; the limit is {MAX_STRING_BYTES}")
    else:
        _utf8(v, where)
    return v


# --------------------------------------------------------------------------
# Configs


def flatten(data: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """{"model": {"layers": 24}} -> {"model/layers": 24}."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"expected a dict, got {type(data).__name__}")
    out: Dict[str, Any] = {}
    for k, v in data.items():
        if not isinstance(k, str):
            raise ValidationError(f"config keys must be strings, got {type(k).__name__} {k!r}")
        key = f"{prefix}/{k}" if prefix else k
        if isinstance(v, Mapping):
            if not v:
                continue
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def config_value(v: Any, where: str) -> Tuple[str, Any]:
    """Returns (type name, JSON-ready value) for a config value."""
    if isinstance(v, bool):
        return "bool", v
    if isinstance(v, int):
        if not INT64_MIN <= v <= INT64_MAX:
            raise ValidationError(f"{where}: integer {v} does not fit in 64 bits")
        return "int", int(v)
    if isinstance(v, float):
        v = float(v)
        return "float", v if math.isfinite(v) else {"type": "float", "value": _nonfinite(v)}
    if isinstance(v, str):
        return "string", string_value(v, where)
    if isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            v = v.astimezone()
        iso = v.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return "datetime", {"type": "datetime", "value": iso}
    if isinstance(v, _dt.date):
        return "datetime", {"type": "datetime", "value": v.isoformat()}
    if isinstance(v, (set, frozenset)):
        if len(v) > MAX_STRING_SET_ITEMS:
            raise ValidationError(f"{where}: a string set may have at most {MAX_STRING_SET_ITEMS:,} "
                                  f"items, got {len(v):,}")
        items = []
        for m in v:
            if not isinstance(m, str):
                raise ValidationError(f"{where}: a set is stored as a string set; "
                                      f"members must be str, got {type(m).__name__}")
            items.append(string_value(m, where))
        return "string_set", {"type": "string_set", "value": sorted(items)}
    if isinstance(v, os.PathLike):
        return "string", string_value(os.fspath(v), where)
    if v is None:
        return "string", "None"
    if isinstance(v, (list, tuple)):
        import json
        try:
            text = json.dumps(_plain(v, where), allow_nan=True)
        except (TypeError, ValueError) as e:
            raise ValidationError(f"{where}: cannot store this list: {e}") from None
        return "string", string_value(text, where)
    scalar = _scalar(v)
    if scalar is not v:
        return config_value(scalar, where)
    raise ValidationError(
        f"{where}: unsupported config type {type(v).__name__}; use int, float, bool, str, "
        "datetime, a set of str, a list, or a nested dict (or convert it with str())")


def _plain(v: Any, where: str) -> Any:
    if isinstance(v, (list, tuple)):
        return [_plain(x, where) for x in v]
    if isinstance(v, (str, bool, int, float)) or v is None:
        return v
    s = _scalar(v)
    if s is not v:
        return s
    raise TypeError(f"{type(v).__name__} is not a number, string or list")


def _nonfinite(f: float) -> str:
    if math.isnan(f):
        return "NaN"
    return "Infinity" if f > 0 else "-Infinity"


def tags(value: Any) -> List[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
        raise ValidationError(f"tags must be a list of str, got {type(value).__name__}")
    out = []
    for t in value:
        if not isinstance(t, str):
            raise ValidationError(f"tags must be str, got {type(t).__name__} {t!r:.80}")
        n = len(_utf8(t, "tag"))
        if not 1 <= n <= 1024:
            raise ValidationError(f"a tag must be 1-1024 bytes of UTF-8, got {n} bytes")
        out.append(t)
    return out


# --------------------------------------------------------------------------
# Histograms


def _number_list(values: Any, what: str) -> List[float]:
    tolist = getattr(values, "tolist", None)
    if tolist is not None and callable(tolist):
        values = tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValidationError(f"Histogram {what} must be a sequence of numbers")
    return [float_value(x, f"Histogram {what}") for x in values]


class Histogram:
    """One histogram: `counts[i]` values fell in `[bin_edges[i], bin_edges[i+1])`.

    `bin_edges` has n+1 finite, strictly increasing numbers; `counts` has n
    finite, non-negative numbers (1 <= n <= 100,000). Lists, tuples and
    numpy arrays are accepted; for example, from numpy:
    ``counts, edges = np.histogram(x, bins=64)`` then
    ``sextant.Histogram(bin_edges=edges, counts=counts)``.
    """

    __slots__ = ("bin_edges", "counts")

    bin_edges: Tuple[float, ...]
    counts: Tuple[float, ...]

    def __init__(self, *, bin_edges: Sequence[Number], counts: Sequence[Number]) -> None:
        edges = _number_list(bin_edges, "bin_edges")
        cnts = _number_list(counts, "counts")
        n = len(cnts)
        if n < 1 or len(edges) != n + 1:
            raise ValidationError(
                f"a histogram needs n+1 bin_edges for n counts (n >= 1); got {len(edges)} "
                f"edges and {n} counts")
        if n > MAX_HISTOGRAM_BINS:
            raise ValidationError(f"a histogram may have at most {MAX_HISTOGRAM_BINS} bins, got {n}")
        prev = -math.inf
        for e in edges:
            if not math.isfinite(e):
                raise ValidationError("histogram bin_edges must be finite")
            if not e > prev:
                raise ValidationError("histogram bin_edges must be strictly increasing")
            prev = e
        for c in cnts:
            if not (math.isfinite(c) and c >= 0):
                raise ValidationError("histogram counts must be finite and non-negative")
        object.__setattr__(self, "bin_edges", tuple(edges))
        object.__setattr__(self, "counts", tuple(cnts))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Histogram is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self.bin_edges == other.bin_edges and self.counts == other.counts

    def __hash__(self) -> int:
        return hash((self.bin_edges, self.counts))

    def __repr__(self) -> str:
        return f"Histogram(bin_edges={list(self.bin_edges)!r}, counts={list(self.counts)!r})"

    def to_json(self) -> Dict[str, List[float]]:
        """The API's form: ``{"edges": [...], "counts": [...]}``."""
        return {"edges": list(self.bin_edges), "counts": list(self.counts)}

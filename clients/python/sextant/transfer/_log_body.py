"""The binary log batch (docs/format/log-batch.md, version 1) as the
importers' RunWriter sends it: float series as little-endian columns (whole
steps as a range or int64s, fractional ones as micro-steps, float64 values,
float64 seconds or no timestamps), and each series' JSON form for a server
that does not take the binary one.
"""
from __future__ import annotations

import base64
import decimal
import math
import os
import re
import struct
import sys
from array import array
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .._errors import ValidationError

Step = Union[int, float, str, decimal.Decimal]

# The binary log batch (docs/format/log-batch.md), version 1.
LOG_BATCH_TYPE = "application/vnd.sextant.log-batch"
LOG_BODY_ENV = "SEXTANT_LOG_BODY"  # "binary" (the default) or "json"
_HEADER = b"SXLB\x01\x00\x00\x00"
_STEPS_WHOLE, _STEPS_MICRO, _STEPS_RANGE = 1, 2, 3
_TIMES_NONE, _TIMES_SECONDS = 0, 2
_VALUES_F64 = 1
MICRO = 1_000_000  # micro-steps per step
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_BIG_ENDIAN = sys.byteorder != "little"
# A step as decimal text, by the server's rules for JSON steps (at most six
# fractional digits, no exponent).
_STEP_TEXT = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]{1,6}))?", re.ASCII)


def log_body_mode(value: Optional[str] = None) -> str:
    """"binary" or "json": `value`, else $SEXTANT_LOG_BODY, else binary."""
    v = (os.environ.get(LOG_BODY_ENV, "") if value is None else value).strip().lower()
    if v in ("", "binary"):
        return "binary"
    if v == "json":
        return "json"
    raise ValidationError(f"{LOG_BODY_ENV}={v!r}: expected binary or json")


def step_json(step: Step) -> Union[int, str]:
    """A step as the native API takes it exactly: an int, or a decimal string
    ("12.5"). Floats go through their shortest repr, so 0.1 stays 0.1."""
    if isinstance(step, bool):
        raise ValidationError(f"step must be a number, got {step!r}")
    if isinstance(step, int):
        return step
    if isinstance(step, decimal.Decimal):
        d = step
    elif isinstance(step, float):
        if not math.isfinite(step):
            raise ValidationError(f"step must be finite, got {step}")
        if step.is_integer():
            return int(step)
        d = decimal.Decimal(float.__repr__(step))  # numpy floats too
    elif isinstance(step, str):
        d = decimal.Decimal(step)
    else:
        return step_json(float(step))
    if d == d.to_integral_value():
        return int(d)
    return format(d.normalize(), "f")


def _f64_bytes(values: Any) -> bytes:
    """Little-endian float64s, from a sequence of numbers or a numpy array
    (converted by numpy, no Python loop)."""
    if hasattr(values, "dtype") and hasattr(values, "astype"):
        return values.astype("<f8", copy=False).tobytes()
    try:
        a = array("d", values)
    except TypeError:  # numbers as text ("NaN") or other objects float() takes
        a = array("d", map(float, values))
    if _BIG_ENDIAN:  # pragma: no cover
        a.byteswap()
    return a.tobytes()


def _f64(values: Any) -> str:
    """Base64 of little-endian float64s, from a sequence or a numpy array."""
    return base64.b64encode(_f64_bytes(values)).decode("ascii")


_np: Any = None


def _numpy() -> Any:
    """numpy if it is installed (the importers' extras have it), else None."""
    global _np
    if _np is None:
        try:
            import numpy
            _np = numpy
        except ImportError:  # pragma: no cover
            _np = False
    return _np or None


def _i64_bytes(a: Any) -> bytes:
    if hasattr(a, "dtype"):
        return a.astype("<i8", copy=False).tobytes()
    if _BIG_ENDIAN:  # pragma: no cover
        a = array("q", a)
        a.byteswap()
    return a.tobytes()


def _whole_steps(steps: Sequence[Any]) -> Any:
    """Steps that are all ints in int64, as an int64 array (numpy's or
    array('q')); None when any is not (text, a float, beyond int64)."""
    if hasattr(steps, "dtype"):
        kind = steps.dtype.kind
        if kind == "i":
            return steps.astype("int64", copy=False)
        if kind == "u" and (len(steps) == 0 or int(steps.max()) <= _I64_MAX):
            return steps.astype("int64")
        return None
    if not set(map(type, steps)) <= {int}:
        return None
    try:
        return array("q", steps)
    except OverflowError:
        return None


def _step_range(a: Any) -> Optional[Tuple[int, int]]:
    """(first, stride) when the int64 steps `a` are first, first + stride, …
    with stride ≥ 1 and at least two of them; else None."""
    n = len(a)
    if n < 2:
        return None
    first = int(a[0])
    stride = int(a[1]) - first
    if stride < 1 or int(a[n - 1]) != first + stride * (n - 1):
        return None
    np = _numpy()
    if np is not None:
        v = a if hasattr(a, "dtype") else np.frombuffer(a, dtype=np.int64)
        # With the ends checked in exact integers, a difference that wraps
        # cannot make every difference equal the stride.
        if n > 2 and not bool((np.diff(v) == stride).all()):
            return None
    elif a != array("q", range(first, first + stride * n, stride)):
        return None
    return first, stride


def _micro_step(step: Any) -> Optional[int]:
    """A step as step_json gives it (an int, or decimal text) in micro-steps,
    by the server's rules for steps in JSON; None when those refuse it (more
    than six fractional digits, not a decimal number)."""
    if type(step) is int:
        return step * MICRO
    if isinstance(step, str):
        m = _STEP_TEXT.fullmatch(step)
        if m is None:
            return None
        v = int(m.group(2) + (m.group(3) or "").ljust(6, "0"))
        return -v if m.group(1) == "-" else v
    return None


def _step_column(steps: Sequence[Any], steps_exact: bool) -> Optional[Tuple[int, bytes]]:
    """(step kind, column bytes) of the binary form, or None when a step is
    not a whole number of micro-steps in int64: such a series goes in the
    JSON part as the JSON form sends it, and the server says what is wrong
    exactly as it does for JSON."""
    whole = _whole_steps(steps)
    if whole is not None:
        r = _step_range(whole)
        if r is not None:
            return _STEPS_RANGE, struct.pack("<qq", *r)
        return _STEPS_WHOLE, _i64_bytes(whole)
    micro = array("q")
    try:
        for s in steps:
            if steps_exact:
                # Sent as given in JSON: what is neither an int nor text
                # goes that way, for the server to judge.
                m = _micro_step(s) if type(s) in (int, str) else None
            else:
                m = _micro_step(step_json(s))
            if m is None:
                return None
            micro.append(m)
    except OverflowError:
        return None
    return _STEPS_MICRO, _i64_bytes(micro)


def _step_text(micro: int) -> Union[int, str]:
    """Micro-steps as step_json spells the step: an int, or decimal text."""
    q, r = divmod(abs(micro), MICRO)
    if r == 0:
        return -q if micro < 0 else q
    return ("-" if micro < 0 else "") + f"{q}.{r:06d}".rstrip("0")


class _FloatColumns:
    """One float series of a binary log batch, encoded."""
    __slots__ = ("path", "n", "step_kind", "steps", "ts", "values", "head")

    def __init__(self, path: str, pathb: bytes, n: int, step_kind: int, steps: bytes,
                 ts: Optional[bytes], values: bytes):
        self.path, self.n = path, n
        self.step_kind, self.steps, self.ts, self.values = step_kind, steps, ts, values
        self.head = struct.pack("<H", len(pathb)) + pathb + struct.pack(
            "<BBBBI", step_kind, _TIMES_NONE if ts is None else _TIMES_SECONDS, _VALUES_F64, 0, n)

    def size(self) -> int:
        return len(self.head) + len(self.steps) + len(self.ts or b"") + len(self.values)

    def chunks(self) -> List[bytes]:
        return [self.head, self.steps, self.ts or b"", self.values]

    def as_json(self) -> Dict[str, Any]:
        """The same series in the JSON form (for a server without the binary one)."""
        if self.step_kind == _STEPS_RANGE:
            first, stride = struct.unpack("<qq", self.steps)
            steps: List[Any] = list(range(first, first + stride * self.n, stride))
        else:
            a = array("q")
            a.frombytes(self.steps)
            if _BIG_ENDIAN:  # pragma: no cover
                a.byteswap()
            steps = a.tolist() if self.step_kind == _STEPS_WHOLE else [_step_text(m) for m in a]
        s: Dict[str, Any] = {"path": self.path, "steps": steps,
                             "values_b64": base64.b64encode(self.values).decode("ascii")}
        if self.ts is not None:
            s["timestamps_b64"] = base64.b64encode(self.ts).decode("ascii")
        return s

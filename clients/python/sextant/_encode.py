"""Turns queued logging calls into log-batch request bodies.

Queued operations are tuples whose first element is the kind (see `Op`).
Metric calls are stored as ``(M, step, ts, keys, values)`` where `keys` is an
interned tuple of paths, so calls that log the same keys are transposed into
columns with one `zip` and encoded once per batch.

Server rules this module keeps: one entry per path in `series`, each config
once per batch, at most `MAX_SERIES` series and `MAX_POINTS` points per
request; within a path, points keep call order (the server keeps the last
write of a step).
"""
from __future__ import annotations

import heapq
import json
import math
import re
import zlib
from typing import Any, Dict, List, Optional, Tuple

# Operation kinds (first tuple element).
M, S, H, C, TAG_ADD, TAG_REMOVE, FILE, FINISH, BARRIER = range(9)

MAX_POINTS = 250_000          # per request (server: 1,000,000)
FORMAT_CHUNK = 4096           # values formatted per C call
MAX_SERIES = 10_000           # per request (server: 10,000)
MAX_BYTES = 24 << 20          # approximate JSON bytes per request (server: 64 MiB)
GZIP_LEVEL = 1

_dumps = json.dumps


_NONFINITE = re.compile(r"-?inf|nan")
_TOKENS = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}
_FORMATS: Dict[Tuple[str, int], str] = {}


def _quote_token(m: "re.Match[str]") -> str:
    return _TOKENS[m.group(0)]


def _format(spec: str, n: int) -> str:
    fmt = _FORMATS.get((spec, n))
    if fmt is None:
        if len(_FORMATS) > 256:
            _FORMATS.clear()
        fmt = _FORMATS[(spec, n)] = spec * n
    return fmt


def json_floats(values: Any) -> str:
    """Float values as a JSON array, each printed with 17 significant
    digits (exact for every double; C-level formatting, about twice as fast
    as json.dumps). Ints of any size, bools and numpy scalars become
    doubles; NaN and infinities become the API's strings."""
    n = len(values)
    if n == 0:
        return "[]"
    if type(values) is not tuple:
        values = tuple(values)
    try:
        if n <= FORMAT_CHUNK:
            s = _format("%.17g,", n) % values
        else:  # short C calls: the training thread waits less for the GIL
            fmt = _format("%.17g,", FORMAT_CHUNK)
            parts = [fmt % values[i:i + FORMAT_CHUNK] for i in range(0, n - FORMAT_CHUNK + 1, FORMAT_CHUNK)]
            rest = n % FORMAT_CHUNK
            if rest:
                parts.append(_format("%.17g,", rest) % values[n - rest:])
            s = "".join(parts)
    except TypeError:  # an exotic number that passed the call-site check
        s = _format("%.17g,", n) % tuple(_to_float(v) for v in values)
    if "n" in s:  # nan, inf, -inf
        s = _NONFINITE.sub(_quote_token, s)
    if "-0," in s:  # keep the sign of negative zero ("-0" would parse as an int)
        s = s.replace("-0,", "-0.0,")
    return "[" + s[:-1] + "]"


def json_timestamps(values: List[float]) -> str:
    """Unix seconds with microseconds, the server's precision."""
    if not values:
        return "[]"
    return "[" + (_format("%.6f,", len(values)) % tuple(values))[:-1] + "]"


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


class _Group:
    """Consecutive-or-not metric calls that logged the same key tuple."""

    __slots__ = ("keys", "idx", "steps", "ts", "rows", "_steps_json", "_ts_json", "_cols")

    def __init__(self, keys: Tuple[str, ...]):
        self.keys = keys
        self.idx: List[int] = []
        self.steps: List[Any] = []
        self.ts: List[float] = []
        self.rows: List[Tuple[Any, ...]] = []
        self._steps_json: Optional[str] = None
        self._ts_json: Optional[str] = None
        self._cols: Optional[List[Tuple[Any, ...]]] = None

    def columns(self) -> List[Tuple[Any, ...]]:
        if self._cols is None:
            self._cols = list(zip(*self.rows))
        return self._cols

    def steps_json(self) -> str:
        if self._steps_json is None:
            self._steps_json = _dumps(self.steps)
        return self._steps_json

    def ts_json(self) -> str:
        if self._ts_json is None:
            self._ts_json = json_timestamps(self.ts)
        return self._ts_json


class BatchBuilder:
    """Accumulates operations of one request body. Not thread-safe."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.n_ops = 0
        self.points = 0
        self.bytes = 0
        self.groups: Dict[Tuple[str, ...], _Group] = {}
        self.order: List[_Group] = []
        # path -> (type, [(idx, step, ts, value)])
        self.other: Dict[str, Tuple[str, List[Tuple[int, Any, float, Any]]]] = {}
        self.configs: Dict[str, Any] = {}
        self.tags: Dict[str, bool] = {}

    def empty(self) -> bool:
        return self.n_ops == 0

    def full(self) -> bool:
        return self.points >= MAX_POINTS or self.bytes >= MAX_BYTES

    def add(self, op: Tuple[Any, ...]) -> None:
        kind = op[0]
        i = self.n_ops
        self.n_ops = i + 1
        if kind == M:
            keys = op[3]
            g = self.groups.get(keys)
            if g is None:
                g = self.groups[keys] = _Group(keys)
                self.order.append(g)
            g.idx.append(i)
            g.steps.append(op[1])
            g.ts.append(op[2])
            g.rows.append(op[4])
            n = len(keys)
            self.points += n
            self.bytes += 24 * n + 40
        elif kind == S or kind == H:
            typ = "string" if kind == S else "histogram"
            step, ts = op[1], op[2]
            for path, value in op[3].items():
                entry = self.other.get(path)
                if entry is None:
                    entry = self.other[path] = (typ, [])
                entry[1].append((i, step, ts, value))
                self.points += 1
                self.bytes += (len(value) if kind == S else 24 * len(value["counts"]) + 24) + 48
        elif kind == C:
            for path, value in op[1].items():
                self.configs.pop(path, None)  # keep insertion order = last write
                self.configs[path] = value
                self.bytes += 64 + (len(value) if isinstance(value, str) else 16)
        elif kind == TAG_ADD or kind == TAG_REMOVE:
            for t in op[1]:
                self.tags.pop(t, None)
                self.tags[t] = kind == TAG_ADD
                self.bytes += len(t) + 4
        else:
            raise ValueError(f"BatchBuilder cannot take operation kind {kind}")

    # ------------------------------------------------------------------

    def bodies(self) -> List[Tuple[bytes, int]]:
        """Encodes the accumulated operations as JSON log bodies within the
        server's per-request limits; returns [(json bytes, points)]."""
        series: List[Tuple[str, int, int]] = []  # (json, points, bytes)

        # Float series: each path's points in call order.
        pieces: Dict[str, List[Tuple[_Group, int]]] = {}
        for g in self.order:
            for j, path in enumerate(g.keys):
                lst = pieces.get(path)
                if lst is None:
                    pieces[path] = [(g, j)]
                else:
                    lst.append((g, j))
        for path, lst in pieces.items():
            if len(lst) == 1:
                g, j = lst[0]
                n = len(g.steps)
                body = ('{"path":' + _dumps(path, ensure_ascii=False) + ',"steps":' + g.steps_json() + ',"values":'
                        + json_floats(g.columns()[j]) + ',"timestamps":' + g.ts_json() + "}")
            else:
                merged = list(heapq.merge(*[
                    zip(g.idx, g.steps, g.ts, g.columns()[j]) for g, j in lst]))
                n = len(merged)
                body = ('{"path":' + _dumps(path, ensure_ascii=False) + ',"steps":' + _dumps([m[1] for m in merged])
                        + ',"values":' + json_floats([m[3] for m in merged])
                        + ',"timestamps":' + json_timestamps([m[2] for m in merged]) + "}")
            series.append((body, n, len(body)))

        for path, (typ, pts) in self.other.items():
            values = [p[3] for p in pts]
            body = ('{"path":' + _dumps(path, ensure_ascii=False) + ',"type":"' + typ + '","steps":'
                    + _dumps([p[1] for p in pts]) + ',"values":' + _dumps(values, allow_nan=False, ensure_ascii=False)
                    + ',"timestamps":' + json_timestamps([p[2] for p in pts]) + "}")
            series.append((body, len(pts), len(body)))

        head_parts = []
        if self.configs:
            head_parts.append('"configs":' + _dumps(self.configs, allow_nan=False, ensure_ascii=False))
        add = [t for t, a in self.tags.items() if a]
        rem = [t for t, a in self.tags.items() if not a]
        if add:
            head_parts.append('"add_tags":' + _dumps(add, ensure_ascii=False))
        if rem:
            head_parts.append('"remove_tags":' + _dumps(rem, ensure_ascii=False))

        out: List[Tuple[bytes, int]] = []
        cur: List[str] = []
        cur_points = cur_bytes = 0
        for body, n, nbytes in series:
            if cur and (len(cur) >= MAX_SERIES or cur_points + n > MAX_POINTS * 2
                        or cur_bytes + nbytes > MAX_BYTES * 2):
                out.append((_body(head_parts, cur), cur_points))
                head_parts, cur, cur_points, cur_bytes = [], [], 0, 0
            cur.append(body)
            cur_points += n
            cur_bytes += nbytes
        if cur or head_parts:
            out.append((_body(head_parts, cur), cur_points))
        return out


def _body(head_parts: List[str], series: List[str]) -> bytes:
    parts = list(head_parts)
    if series:
        parts.append('"series":[' + ",".join(series) + "]")
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()

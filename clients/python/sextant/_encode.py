"""Turns queued logging calls into log-batch request bodies.

Queued operations are tuples whose first element is the kind (see `Op`).
Metric calls are stored as ``(M, step, ts, keys, values)`` where `keys` is an
interned tuple of paths, so calls that log the same keys are transposed into
float64 columns per batch and sent as base64 (`values_b64`,
`timestamps_b64`): no decimal printing on this side, no parsing on the
server's.

Server rules this module keeps: one entry per path in `series`, each config
once per batch, at most `MAX_SERIES` series and `MAX_POINTS` points per
request; within a path, points keep call order (the server keeps the last
write of a step).
"""
from __future__ import annotations

import base64
import heapq
import itertools
import json
import math
import struct
import sys
import zlib
from array import array
from typing import Any, Dict, List, Optional, Tuple

# Operation kinds (first tuple element).
M, S, H, C, TAG_ADD, TAG_REMOVE, FILE, FINISH, BARRIER = range(9)

MAX_POINTS = 250_000          # per request (server: 1,000,000)
TRANSPOSE_ROWS = 2048         # metric calls transposed per C call
MAX_SERIES = 10_000           # per request (server: 10,000)
MAX_BYTES = 24 << 20          # approximate JSON bytes per request (server: 64 MiB)
GZIP_LEVEL = 1

_dumps = json.dumps
_chain = itertools.chain.from_iterable
_pack = struct.pack


_FORMATS: Dict[Tuple[str, int], str] = {}


def _format(spec: str, n: int) -> str:
    fmt = _FORMATS.get((spec, n))
    if fmt is None:
        if len(_FORMATS) > 256:
            _FORMATS.clear()
        fmt = _FORMATS[(spec, n)] = spec * n
    return fmt


_BIG_ENDIAN = sys.byteorder == "big"


def b64_floats(values: Any) -> bytes:
    """Float values as base64 of little-endian float64s (the log API's
    `values_b64` and `timestamps_b64`): C-level conversion, about 15 times
    faster than printing decimals, exact, and NaN and infinities need no
    spelling. Ints, bools and numpy scalars become doubles."""
    try:
        a = values if type(values) is array else array("d", values)
    except (TypeError, OverflowError):  # an exotic number that passed the call-site check
        a = array("d", [_to_float(v) for v in values])
    if _BIG_ENDIAN:
        a = array("d", a)
        a.byteswap()
    return b'"' + base64.b64encode(a) + b'"'


def json_timestamps(values: List[float]) -> str:
    """Unix seconds with microseconds, the server's precision."""
    if not values:
        return "[]"
    return "[" + (_format("%.6f,", len(values)) % tuple(values))[:-1] + "]"


def _unb64(quoted: bytes) -> Any:
    """The inverse of b64_floats."""
    a = array("d", base64.b64decode(quoted[1:-1]))
    if _BIG_ENDIAN:
        a.byteswap()
    return a


def _to_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return math.nan


class _Group:
    """Consecutive-or-not metric calls that logged the same key tuple."""

    __slots__ = ("keys", "idx", "steps", "ts", "rows", "_steps_json", "_ts_b64", "_cols", "_cols_b64", "_seq", "_n")

    def __init__(self, keys: Tuple[str, ...]):
        self.keys = keys
        self.idx: List[int] = []
        self.steps: List[Any] = []
        self.ts: List[float] = []
        self.rows: List[Tuple[Any, ...]] = []
        self._steps_json: Optional[str] = None
        self._ts_b64: Optional[bytes] = None
        self._cols: Optional[List[Any]] = None
        # Set when the accelerator encoded this group (add_encoded): its
        # columns as quoted base64; the lists above are then empty until
        # plain() decodes them (only a path split over several groups needs it).
        self._cols_b64: Optional[List[bytes]] = None
        self._seq = b""  # the calls' order (int64s), for idx
        self._n = 0

    @classmethod
    def encoded(cls, keys: Tuple[str, ...], steps_json: bytes, ts_b64: bytes,
                cols_b64: List[bytes], seq: bytes) -> "_Group":
        g = cls(keys)
        g._steps_json = steps_json.decode("ascii")
        g._ts_b64 = ts_b64
        g._cols_b64 = cols_b64
        g._seq = seq
        g._n = len(seq) // 8
        return g

    def plain(self) -> "_Group":
        """Decodes an encoded group into the lists add() fills."""
        if self._cols_b64 is not None:
            self.steps = json.loads(self._steps_json or "[]")
            self.ts = _unb64(self._ts_b64 or b'""').tolist()
            self._cols = [_unb64(c) for c in self._cols_b64]
            self.rows = list(zip(*self._cols)) if self._cols else [() for _ in self.steps]
            self.idx = array("q", self._seq).tolist()
            self._cols_b64 = None
        return self

    def extend(self, other: "_Group") -> None:
        """Appends `other`'s calls (same keys, logged later)."""
        self.plain()
        other.plain()
        self.idx.extend(other.idx)
        self.steps.extend(other.steps)
        self.ts.extend(other.ts)
        self.rows.extend(other.rows)
        self._steps_json = self._ts_b64 = self._cols = None

    def col_b64(self, j: int) -> bytes:
        if self._cols_b64 is not None:
            return self._cols_b64[j]
        return b64_floats(self.columns()[j])

    def __len__(self) -> int:
        return self._n if self._cols_b64 is not None else len(self.idx)

    def columns(self) -> List[Any]:
        """One float64 array per key. Built in slices of TRANSPOSE_ROWS rows:
        a C call holds the GIL throughout, and one zip(*rows) over 25 k
        rows would stall the training thread for ~20 ms."""
        if self._cols is None:
            rows, k = self.rows, len(self.keys)
            flat = array("d")
            for i in range(0, len(rows), TRANSPOSE_ROWS):
                part = rows[i:i + TRANSPOSE_ROWS]
                try:  # struct unboxes floats about twice as fast as array.extend
                    flat.frombytes(_pack(f"{len(part) * k}d", *_chain(part)))
                except (TypeError, OverflowError, struct.error):  # an exotic number that passed the call-site check
                    flat.extend([_to_float(v) for v in _chain(part)])
            self._cols = [flat[j::k] for j in range(k)]
        return self._cols

    def steps_json(self) -> str:
        if self._steps_json is None:
            self._steps_json = _dumps(self.steps)
        return self._steps_json

    def ts_b64(self) -> bytes:
        if self._ts_b64 is None:
            self._ts_b64 = b64_floats(self.ts)
        return self._ts_b64


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

    def add_metric_block(self, keys: Tuple[str, ...], steps: Tuple[Any, ...],
                         ts: Tuple[float, ...], rows: Tuple[Tuple[Any, ...], ...]) -> None:
        """add() of len(steps) consecutive metric calls that logged `keys`."""
        n = len(steps)
        i = self.n_ops
        self.n_ops = i + n
        g = self.groups.get(keys)
        if g is None:
            g = self.groups[keys] = _Group(keys)
            self.order.append(g)
        elif g._cols_b64 is not None:
            g.plain()
        g.idx.extend(range(i, i + n))
        g.steps.extend(steps)
        g.ts.extend(ts)
        g.rows.extend(rows)
        k = len(keys)
        self.points += n * k
        self.bytes += (24 * k + 40) * n

    def add_encoded(self, keys: Tuple[str, ...], n: int, steps_json: bytes, ts_b64: bytes,
                    cols_b64: List[bytes], seq: bytes) -> None:
        """n metric calls that logged `keys`, as the accelerator encoded
        them (MetricBuffer.take()); `seq` orders them among other groups."""
        g = _Group.encoded(keys, steps_json, ts_b64, cols_b64, seq)
        have = self.groups.get(keys)
        if have is None:
            self.groups[keys] = g
            self.order.append(g)
        else:
            have.extend(g)
        self.n_ops += n
        k = len(keys)
        self.points += n * k
        self.bytes += (24 * k + 40) * n

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
            elif g._cols_b64 is not None:
                g.plain()
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
        series: List[Tuple[bytes, int, int]] = []  # (json, points, bytes)

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
                n = len(g)
                body = b"".join((b'{"path":', _dumps(path, ensure_ascii=False).encode(), b',"steps":',
                                 g.steps_json().encode(), b',"values_b64":', g.col_b64(j),
                                 b',"timestamps_b64":', g.ts_b64(), b"}"))
            else:
                merged = list(heapq.merge(*[
                    zip(g.idx, g.steps, g.ts, g.columns()[j]) for g, j in ((g.plain(), j) for g, j in lst)]))
                n = len(merged)
                body = b"".join((b'{"path":', _dumps(path, ensure_ascii=False).encode(), b',"steps":',
                                 _dumps([m[1] for m in merged]).encode(),
                                 b',"values_b64":', b64_floats([m[3] for m in merged]),
                                 b',"timestamps_b64":', b64_floats([m[2] for m in merged]), b"}"))
            series.append((body, n, len(body)))

        for path, (typ, pts) in self.other.items():
            values = [p[3] for p in pts]
            body = ('{"path":' + _dumps(path, ensure_ascii=False) + ',"type":"' + typ + '","steps":'
                    + _dumps([p[1] for p in pts]) + ',"values":' + _dumps(values, allow_nan=False, ensure_ascii=False)
                    + ',"timestamps":' + json_timestamps([p[2] for p in pts]) + "}").encode("utf-8")
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
        cur: List[bytes] = []
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


def _body(head_parts: List[str], series: List[bytes]) -> bytes:
    """One request body, joined once: bodies are megabytes, and every
    concatenation would copy them."""
    pieces = [b"{", ",".join(head_parts).encode("utf-8")]
    if series:
        pieces += [b"," if head_parts else b"", b'"series":[', b",".join(series), b"]"]
    pieces.append(b"}")
    return b"".join(pieces)


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()

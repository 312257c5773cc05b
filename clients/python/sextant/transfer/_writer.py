"""RunWriter: what an importer calls to write one run. It batches points
into the native API's log requests (`POST …/runs/{id}/log`), uploads files
(`PUT …/files/{path}`, checksummed) and counts everything for the summary.
Nothing here knows a source format; the binary body is `_log_body.py`.

A log request is a binary log batch (docs/format/log-batch.md): float
series as little-endian columns, everything else (configs, tags, string and
histogram series) as the JSON batch inside it. A server that answers 415 to
that media type (one older than the binary form) gets the JSON form from
then on, from every writer of the process; SEXTANT_LOG_BODY=json sends the
JSON form from the start.

A writer sends through the same API as the SDK and the UI, so an imported
run is indistinguishable from a logged one; the server validates every value
once, and last-write-wins makes a repeated import harmless.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import hashlib
import math
import os
import struct
from array import array
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Union

from .._errors import ApiError, ValidationError
from .._http import Http, dumps, quote
from .._validate import config_value
from ._log_body import Step
from ._report import Report
from ._log_body import (  # noqa: F401  (step_json and the rest are re-exported)
    LOG_BATCH_TYPE,
    LOG_BODY_ENV,
    MICRO,
    _BIG_ENDIAN,
    _FloatColumns,
    _HEADER,
    _I64_MAX,
    _I64_MIN,
    _STEPS_MICRO,
    _STEPS_RANGE,
    _STEPS_WHOLE,
    _STEP_TEXT,
    _TIMES_NONE,
    _TIMES_SECONDS,
    _VALUES_F64,
    _f64,
    _f64_bytes,
    _i64_bytes,
    _micro_step,
    _numpy,
    _step_column,
    _step_range,
    _step_text,
    _whole_steps,
    log_body_mode,
    step_json)

# One log request: the server takes 1,000,000 points and 10,000 series; a
# smaller batch keeps memory flat and the progress bar moving.
MAX_POINTS_PER_REQUEST = 250_000
MAX_SERIES_PER_REQUEST = 5_000
MAX_CONFIGS_PER_REQUEST = 50_000
MAX_BYTES_PER_REQUEST = 24 << 20

FLOAT, STRING, HISTOGRAM = "float", "string", "histogram"


RUN_FLAGS = {"sys/archived", "sys/trashed"}

# Servers (by URL) that answered 415 to a binary log batch: they get JSON.
_JSON_ONLY: Set[str] = set()

def config_json(path: str, value: Any) -> Any:
    """A config value in the native API's JSON form (explicit type where a
    bare JSON value would be ambiguous)."""
    if isinstance(value, dict) and "type" in value and "value" in value:
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return {"type": "float", "value": value}
    _, v = config_value(value, path)
    return v


class RunWriter:
    """Writes one run. `dry_run` counts without sending. `log_body`:
    "binary" or "json" (default: $SEXTANT_LOG_BODY, else binary)."""

    def __init__(self, http: Optional[Http], project: str, run_id: str, report: Report,
                 *, dry_run: bool = False, log_body: Optional[str] = None):
        self._http = http
        self._binary = log_body_mode(log_body) == "binary" and \
            (http is None or http.url not in _JSON_ONLY)
        self._target = f"/projects/{project}/runs/{quote(run_id)}"
        self.project, self.run_id = project, run_id
        self._report = report
        self._dry = dry_run
        self._configs: Dict[str, Any] = {}
        self._series: List[Dict[str, Any]] = []  # in the JSON form
        self._floats: List[_FloatColumns] = []   # binary float series
        self._series_paths: set = set()  # a path may appear once per request
        self._tags: List[str] = []
        # Run management flags (sys/archived, sys/trashed), set at finish().
        self._flags: Dict[str, bool] = {}
        self._points = 0
        self._bytes = 0
        # A fork's own points come after its fork step; a source that repeats
        # the parent's earlier points (some exports include the lineage) has
        # them dropped here, counted in `inherited_dropped`.
        self.fork_step: Optional[decimal.Decimal] = None
        self.inherited_dropped = 0
        self.points_written = 0
        self.configs_written = 0
        self.files_written = 0

    # -- what importers call ------------------------------------------------

    def config(self, path: str, value: Any) -> None:
        """A single value: int, float (NaN/±Inf fine), bool, str, datetime,
        a set of str (string set), or {"type": T, "value": V}."""
        self._configs[path] = config_json(path, value)
        self._bytes += len(path) + 16 + (len(value) if isinstance(value, str) else 0)
        if len(self._configs) >= MAX_CONFIGS_PER_REQUEST or self._bytes >= MAX_BYTES_PER_REQUEST:
            self.flush()

    def configs(self, values: Mapping[str, Any]) -> None:
        for k, v in values.items():
            self.config(k, v)

    def tags(self, tags: Iterable[str]) -> None:
        self._tags.extend(tags)

    def flag(self, path: str, on: bool) -> None:
        """Archives (`sys/archived`) or trashes (`sys/trashed`) the run once
        it is written: these are the server's, set through run management."""
        if path not in RUN_FLAGS:
            raise ValueError(f"{path!r} is not a run flag ({', '.join(sorted(RUN_FLAGS))})")
        self._flags[path] = bool(on)

    def points(self, path: str, steps: Sequence[Step], values: Sequence[Any],
               timestamps: Optional[Sequence[float]] = None, *, kind: str = FLOAT,
               steps_exact: bool = False) -> None:
        """Points of a series: `kind` float (values are numbers), string
        (str) or histogram ({"edges": [...], "counts": [...]}); timestamps in
        Unix seconds (None: the server's time). Any length: split as needed.
        Float values and timestamps may be numpy arrays, and steps a numpy
        integer array. `steps_exact`: every step is already an int or a
        decimal string (skips converting them)."""
        n = len(steps)
        if len(values) != n or (timestamps is not None and len(timestamps) != n):
            raise ValidationError(f"{path}: steps, values and timestamps differ in length")
        if self.fork_step is not None and n and hasattr(steps, "dtype") and steps.dtype.kind in "iu":
            # Whole steps: after the fork step means after its integer part.
            mask = steps > min(max(math.floor(self.fork_step), _I64_MIN), _I64_MAX)
            kept = int(mask.sum())
            if kept != n:
                self.inherited_dropped += n - kept
                steps = steps[mask]
                values = values[mask] if hasattr(values, "dtype") else \
                    [v for v, k in zip(values, mask.tolist()) if k]
                if timestamps is not None:
                    timestamps = timestamps[mask] if hasattr(timestamps, "dtype") else \
                        [t for t, k in zip(timestamps, mask.tolist()) if k]
                n = kept
        elif self.fork_step is not None and n:
            keep = [k for k in range(n) if decimal.Decimal(str(steps[k])) > self.fork_step]
            if len(keep) != n:
                self.inherited_dropped += n - len(keep)
                steps = [steps[k] for k in keep]
                values = [values[k] for k in keep]
                timestamps = None if timestamps is None else [timestamps[k] for k in keep]
                n = len(keep)
        i = 0
        while i < n:
            room = MAX_POINTS_PER_REQUEST - self._points
            if room <= 0 or len(self._series) + len(self._floats) >= MAX_SERIES_PER_REQUEST \
                    or self._bytes >= MAX_BYTES_PER_REQUEST:
                self.flush()
                continue
            j = min(n, i + room)
            if kind != FLOAT:  # bound the request's size for long strings
                size, k = 0, i
                while k < j and (k == i or self._bytes + size < MAX_BYTES_PER_REQUEST):
                    v = values[k]
                    size += (len(v) if isinstance(v, str) else 64 + 24 * len(v.get("counts", ()))) + 32
                    k += 1
                j = k
                self._bytes += size
            self._add(path, kind, steps[i:j], values[i:j],
                      None if timestamps is None else timestamps[i:j], steps_exact)
            i = j

    def file(self, path: str, source: Union[str, bytes, IO[bytes]], *, step: Optional[Step] = None,
             name: Optional[str] = None, timestamp: Optional[float] = None) -> None:
        """A file attribute (step None) or a point of a file series. `source`
        is a local path, bytes, or a binary file object."""
        self.flush()  # files refer to a run whose configs are already sent
        close = None
        if isinstance(source, (str, os.PathLike)):
            f: IO[bytes] = open(source, "rb")
            close = f
            if name is None:
                name = os.path.basename(os.fspath(source))
        elif isinstance(source, (bytes, bytearray, memoryview)):
            import io
            f = io.BytesIO(bytes(source))
        else:
            f = source
        try:
            h = hashlib.sha256()
            size = 0
            start = f.tell()
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                h.update(b)
                size += len(b)
            f.seek(start)
            q = []
            if step is not None:
                q.append(f"step={quote(str(step_json(step)))}")
            if name is not None:
                q.append(f"name={quote(name)}")
            if timestamp is not None:
                q.append(f"timestamp={timestamp!r}")
            target = f"{self._target}/files/{quote(path, safe='/')}" + ("?" + "&".join(q) if q else "")
            if not self._dry:
                r = self._http.request("PUT", target, f, {  # type: ignore[union-attr]
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(size),
                    "X-Sextant-SHA256": h.hexdigest()})
                if r.status != 200:
                    raise r.error("PUT", target)
            self.files_written += 1
            self._report.add(files=1, file_bytes=size)
        finally:
            if close is not None:
                close.close()

    @property
    def log_body(self) -> str:
        """The form of the next log request: "binary" or "json"."""
        return "binary" if self._binary else "json"

    @property
    def dry_run(self) -> bool:
        """True when nothing is sent (`--dry-run`): for importers that write
        more than the run (an experiment's tags) to count instead."""
        return self._dry

    def skip(self, what: str, why: str) -> None:
        """Something of this run that cannot be imported: said in the summary."""
        self._report.skip(f"{self.run_id}: {what}", why)

    # -- batching -------------------------------------------------------------

    def _add(self, path: str, kind: str, steps: Sequence[Step], values: Any,
             ts: Any, steps_exact: bool) -> None:
        if path in self._series_paths:
            self.flush()
        self._series_paths.add(path)
        n = len(steps)
        if kind == FLOAT and self._binary:
            col = _step_column(steps, steps_exact)
            try:
                pathb = path.encode("utf-8")
            except UnicodeEncodeError:
                col = None
            if col is not None and len(pathb) < 1 << 16:
                f = _FloatColumns(path, pathb, n, col[0], col[1],
                                  None if ts is None else _f64_bytes(ts), _f64_bytes(values))
                if len(f.values) != 8 * n or (f.ts is not None and len(f.ts) != 8 * n):
                    raise ValidationError(f"{path}: steps, values and timestamps differ in length")
                self._floats.append(f)
                self._bytes += f.size()
                self._points += n
                return
            # Not for the binary form (a step beyond six fractional digits or
            # int64, a path that is not UTF-8 or too long): the JSON form, in
            # the JSON part, where the server judges it as it judges JSON.
        if hasattr(steps, "dtype") and steps.dtype.kind in "iu":
            json_steps = steps.tolist()  # numpy ints: Python ints
        else:
            json_steps = list(steps) if steps_exact else [step_json(x) for x in steps]
        s: Dict[str, Any] = {"path": path, "steps": json_steps}
        if kind == FLOAT:
            s["values_b64"] = _f64(values if hasattr(values, "dtype") else [float(v) for v in values])
            if ts is not None:
                s["timestamps_b64"] = _f64(ts)
            self._bytes += 24 * n
        else:
            s["type"] = kind
            s["values"] = list(values)
            if ts is not None:
                s["timestamps"] = list(ts)
        self._series.append(s)
        self._points += len(steps)

    def _body(self) -> Dict[str, Any]:
        """The JSON batch: everything but the binary float series."""
        body: Dict[str, Any] = {}
        if self._configs:
            body["configs"] = self._configs
        if self._series:
            body["series"] = self._series
        if self._tags:
            body["add_tags"] = sorted(set(self._tags))
        return body

    def binary_body(self) -> bytes:
        """The pending batch as a binary log batch (docs/format/log-batch.md):
        the JSON batch, then the float series as columns."""
        body = self._body()
        meta = dumps(body) if body else b""
        parts = [_HEADER, struct.pack("<I", len(meta)), meta, struct.pack("<I", len(self._floats))]
        for f in self._floats:
            parts.extend(f.chunks())
        return b"".join(parts)

    def json_body(self) -> Dict[str, Any]:
        """The pending batch in the JSON form (float series as base64 columns)."""
        body = self._body()
        if self._floats:
            body["series"] = self._series + [f.as_json() for f in self._floats]
        return body

    def _send(self) -> None:
        http = self._http
        assert http is not None
        target = self._target + "/log"
        if self._floats:
            r = http.request("POST", target, self.binary_body(), {"Content-Type": LOG_BATCH_TYPE})
            if r.status in (200, 201):
                return
            if r.status != 415:
                raise r.error("POST", target)
            # A server older than the binary form: JSON from now on, for
            # every writer of this process; this batch again, as JSON.
            _JSON_ONLY.add(http.url)
            self._binary = False
        http.json("POST", target, self.json_body())

    def flush(self) -> None:
        if not (self._configs or self._series or self._floats or self._tags):
            return
        points, configs = self._points, len(self._configs)
        if not self._dry:
            self._send()
        self._configs, self._series, self._floats, self._tags = {}, [], [], []
        self._series_paths = set()
        self._points = self._bytes = 0
        self.points_written += points
        self.configs_written += configs
        self._report.add(points=points, attributes=configs)

    def finish(self, state: Optional[str], ended_at: Optional[float] = None) -> None:
        """Sets the run flags, then the final state, stamped `ended_at` (Unix
        seconds; None: now). Flags first: trashing or archiving is itself a
        change of the run, which would move its end time."""
        self.flush()
        if self._dry:
            return
        http = self._http
        assert http is not None
        if "sys/archived" in self._flags:
            http.json("PATCH", self._target, {"archived": self._flags["sys/archived"]})
        if self._flags.get("sys/trashed"):
            http.json("DELETE", self._target)
        elif "sys/trashed" in self._flags:
            http.json("POST", self._target + "/restore")
        if state not in (None, "running"):
            body: Dict[str, Any] = {"state": state}
            if ended_at is not None:
                body["ended_at"] = ended_at
            http.json("POST", self._target + "/finish", body)


def iso_utc(t: Union[float, _dt.datetime]) -> Dict[str, str]:
    """A datetime config from Unix seconds or a datetime."""
    if not isinstance(t, _dt.datetime):
        t = _dt.datetime.fromtimestamp(float(t), _dt.timezone.utc)
    elif t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return {"type": "datetime",
            "value": t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


__all__ = ["RunWriter", "step_json", "iso_utc", "log_body_mode", "FLOAT", "STRING", "HISTOGRAM",
           "ApiError", "LOG_BATCH_TYPE", "LOG_BODY_ENV"]

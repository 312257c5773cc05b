"""`sextant import sextant FILE.ndjson`: reads back the server's streamed
export (`GET /api/v1/projects/{ws}/{project}/export`, docs/format/export.md,
"The streamed export"). Standard library only: no pyarrow or numpy.

A first pass over the file remembers where each run's lines and each file's
`blob` lines are (the file can be far larger than memory) and refuses a
stream without its `end` line; each run is then written from its own lines,
so the import driver can resume run by run like any other source."""
from __future__ import annotations

import argparse
import base64
import datetime as _dt
import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple

from .._errors import ValidationError
from ._report import Report
from ._rows import CONFIG_TYPES, SERIES_KIND, WRITABLE_SYS
from ._source import SourceError, SourceRun, parents_first, safe_run_id
from ._writer import FLOAT, RUN_FLAGS, RunWriter, iso_utc

FORMAT = "sextant-export-stream"
VERSION = 1
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_STEP_TEXT = re.compile(r"-?[0-9]{1,13}(\.[0-9]{1,6})?\Z")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


@dataclass
class _Run:
    meta: Dict[str, Any]
    start: int              # byte offset of its first line after the `run` line
    end: int = 0            # byte offset past its last line
    first_line: int = 0     # line number of `start` (1-based), for messages


@dataclass
class _Index:
    runs: List[_Run] = field(default_factory=list)
    blobs: Dict[str, List[Tuple[int, int]]] = field(default_factory=dict)  # sha256 → (offset, length)
    missing: set = field(default_factory=set)  # sha256 the server said it could not read


def _kind(line: bytes) -> str:
    """The one key of a line, read from its start (the server writes
    `{"<kind>":`); "" when the line does not start that way."""
    if not line.startswith(b'{"'):
        return ""
    end = line.find(b'"', 2)
    return line[2:end].decode("ascii", "replace") if end > 2 else ""


def _parse(line: bytes, lineno: int, path: str) -> Dict[str, Any]:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as e:
        raise SourceError(f"{path}: line {lineno} is not JSON ({e})") from None
    if not isinstance(obj, dict) or len(obj) != 1 or not isinstance(next(iter(obj.values())), dict):
        raise SourceError(f"{path}: line {lineno} is not an object with one key holding an object")
    return obj


def _scan(path: str, report: Report) -> Tuple[Dict[str, Any], _Index]:
    idx = _Index()
    head: Optional[Dict[str, Any]] = None
    last = ""
    with open(path, "rb") as f:
        offset, lineno = 0, 0
        for line in f:
            lineno += 1
            here, offset = offset, offset + len(line)
            if not line.endswith(b"\n"):
                last = ""  # a cut final line: the `end` line is missing
                break
            kind = _kind(line)
            if lineno == 1:
                obj = _parse(line, lineno, path)
                head = obj.get("export")
                if not isinstance(head, dict):
                    raise SourceError(f"{path}: not a Sextant export stream (its first line is not "
                                      f"an `export` line)")
                if head.get("format") != FORMAT:
                    raise SourceError(f"{path}: the stream says format {head.get('format')!r}, "
                                      f"not {FORMAT!r}")
                version = head.get("version")
                if not isinstance(version, int) or isinstance(version, bool):
                    raise SourceError(f"{path}: the stream's version {version!r} is not an integer")
                if version > VERSION:
                    raise SourceError(f"{path}: export stream version {version} is newer than this "
                                      f"package reads ({VERSION}); upgrade the sextant package")
                last = "export"
                continue
            if idx.runs and not idx.runs[-1].end and kind in ("run", "end"):
                idx.runs[-1].end = here
            if kind == "run":
                meta = _parse(line, lineno, path)["run"]
                idx.runs.append(_Run(meta, offset, first_line=lineno + 1))
            elif kind == "blob":
                b = _parse(line, lineno, path)["blob"]
                sha = b.get("sha256")
                if not isinstance(sha, str):
                    raise SourceError(f"{path}: line {lineno}: a blob line without its sha256")
                idx.blobs.setdefault(sha, []).append((here, len(line)))
            elif kind == "skipped":
                s = _parse(line, lineno, path)["skipped"]
                what = " ".join(str(s[k]) for k in ("run_id", "attribute_path", "sha256") if s.get(k))
                report.skip(what or f"line {lineno}", f"the server could not export it: {s.get('why')}")
                if isinstance(s.get("sha256"), str):
                    idx.missing.add(s["sha256"])
            elif kind == "end":
                _parse(line, lineno, path)
            elif kind not in ("config", "series", "file"):
                raise SourceError(f"{path}: line {lineno} is not a line of an export stream "
                                  f"(it starts {line[:40]!r})")
            last = kind
    if head is None:
        raise SourceError(f"{path}: empty, not a Sextant export stream")
    if last != "end":
        raise SourceError(f"{path}: the stream is incomplete (no `end` line after {len(idx.runs)} "
                          f"runs: the download was cut short); export it again")
    return head, idx


def _step(micros: Any) -> Any:
    """Micro-steps → an int when whole, else exact decimal text."""
    if not isinstance(micros, int) or isinstance(micros, bool):
        raise ValueError(f"step {micros!r} is not a whole number of micro-steps")
    m = micros
    if m % 1_000_000 == 0:
        return m // 1_000_000
    sign = "-" if m < 0 else ""
    q, r = divmod(abs(m), 1_000_000)
    return f"{sign}{q}.{r:06d}".rstrip("0")


def _seconds(us: Any) -> float:
    """µs → Unix seconds, computed as the Parquet reader does (_rows.seconds_of)."""
    a = float(us)
    whole = a // 1e6
    return whole + (a - whole * 1e6) / 1e6


def _float(v: Any) -> float:
    return _SPECIAL[v] if isinstance(v, str) else float(v)


class _Blobs:
    """File contents reassembled from their `blob` lines, verified by sha256."""

    def __init__(self, f: IO[bytes], idx: _Index):
        self.f, self.idx = f, idx

    def open(self, sha: str) -> Tuple[Optional[IO[bytes]], str]:
        parts = self.idx.blobs.get(sha)
        if not parts:
            why = ("its contents are missing on the server" if sha in self.idx.missing
                   else "the stream does not hold its contents (exported with files=false?)")
            return None, why
        out = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        h = hashlib.sha256()
        here = self.f.tell()
        try:
            for off, length in parts:
                self.f.seek(off)
                b = json.loads(self.f.read(length))["blob"]
                if b.get("offset") != out.tell():
                    out.close()
                    return None, f"its blob lines are out of order at offset {b.get('offset')}"
                data = base64.b64decode(b.get("data", ""), validate=True)
                h.update(data)
                out.write(data)
        except (ValueError, KeyError, TypeError) as e:
            out.close()
            return None, f"a blob line of it cannot be read ({e})"
        finally:
            self.f.seek(here)
        if h.hexdigest() != sha:
            out.close()
            return None, "its contents do not match its sha256"
        out.seek(0)
        return out, ""


def _write_run(path: str, run: _Run, idx: _Index, w: RunWriter) -> None:
    with open(path, "rb") as f:
        blobs = _Blobs(f, idx)
        f.seek(run.start)
        lineno = run.first_line - 1
        while f.tell() < run.end:
            line = f.readline()
            lineno += 1
            kind = _kind(line)
            if kind not in ("config", "series", "file"):
                continue  # blob and skipped lines were read in the first pass
            o = _parse(line, lineno, path)[kind]
            try:
                _apply(kind, o, w, blobs)
            except (KeyError, TypeError, ValueError, OverflowError, AttributeError, IndexError,
                    ValidationError) as e:
                w.skip(f"line {lineno}", f"a malformed {kind} line ({type(e).__name__}: {e})")


def _apply(kind: str, o: Dict[str, Any], w: RunWriter, blobs: _Blobs) -> None:
    apath, t = o["attribute_path"], o["attribute_type"]
    if kind == "config":
        if apath in RUN_FLAGS and t == "bool":
            w.flag(apath, bool(o["bool_value"]))
        elif apath.startswith("sys/") and apath not in WRITABLE_SYS:
            pass  # the server's own bookkeeping
        elif t not in CONFIG_TYPES:
            w.skip(apath, f"attribute type {t!r} is not a config type")
        elif t == "float":
            v = _float(o["float_value"])
            w.config(apath, {"type": "float", "value": v if math.isfinite(v) else o["float_value"]})
        elif t == "int":
            w.config(apath, {"type": "int", "value": int(o["int_value"])})
        elif t == "bool":
            w.config(apath, bool(o["bool_value"]))
        elif t == "string":
            w.config(apath, str(o["string_value"]))
        elif t == "datetime":
            w.config(apath, iso_utc(_EPOCH + _dt.timedelta(microseconds=int(o["datetime_value_us"]))))
        elif apath == "sys/tags":
            w.tags(o["string_set_value"])
        else:
            w.config(apath, {"type": "string_set", "value": sorted(set(o["string_set_value"]))})
        return
    if apath.startswith("sys/") and apath not in WRITABLE_SYS:
        return
    if kind == "file":
        _file(apath, o["file_value"], None, None, w, blobs)
        return
    steps = [_step(s) for s in o["step_micros"]]
    ts = [_seconds(u) for u in o["timestamp_us"]]
    if len(ts) != len(steps):
        raise ValueError("step_micros and timestamp_us differ in length")
    if t == "file_series":
        for s, stamp, fv in zip(steps, ts, o["file_value"]):
            _file(apath, fv, s, stamp, w, blobs)
        return
    kind_ = SERIES_KIND.get(t)
    if kind_ is None:
        w.skip(apath, f"attribute type {t!r} is not one Sextant knows")
    elif kind_ == FLOAT:
        w.points(apath, steps, [_float(v) for v in o["float_value"]], ts, kind=FLOAT, steps_exact=True)
    elif t == "string_series":
        w.points(apath, steps, [str(v) for v in o["string_value"]], ts, kind=kind_, steps_exact=True)
    else:
        w.points(apath, steps, [{"edges": [_float(e) for e in h["edges"]],
                                 "counts": [_float(c) for c in h["counts"]]} for h in o["histogram_value"]],
                 ts, kind=kind_, steps_exact=True)


def _file(apath: str, fv: Dict[str, Any], step: Any, stamp: Optional[float], w: RunWriter,
          blobs: _Blobs) -> None:
    rel = fv["path"]
    sha = rel[len("files/"):] if rel.startswith("files/") else ""
    src, why = blobs.open(sha)
    if src is None:
        w.skip(apath if step is None else f"{apath} at step {step}", f"file {rel!r} not imported: {why}")
        return
    with src:
        w.file(apath, src, step=step, name=fv.get("name") or sha, timestamp=stamp)


def open_stream(path: str, args: argparse.Namespace, report: Report) -> List[SourceRun]:
    head, idx = _scan(path, report)
    st = os.stat(path)
    fingerprint = f"{st.st_size}:{int(st.st_mtime)}"
    runs: List[SourceRun] = []
    for r in idx.runs:
        m = r.meta
        rid = m.get("run_id")
        if not isinstance(rid, str) or not rid or safe_run_id(rid) != rid:
            report.skip(f"run {rid!r}", "not a Sextant run id")
            continue
        created = m.get("created_at_us")
        state = m.get("state")
        fork_id, fork_step = m.get("fork_run_id"), m.get("fork_step")
        if fork_id is not None and (not isinstance(fork_id, str) or not isinstance(fork_step, str)
                                    or not _STEP_TEXT.match(fork_step)):
            report.skip(rid, f"its fork ({fork_id!r} at step {fork_step!r}) is not a run id and a "
                             f"decimal step")
            continue
        texts = {k: m.get(k) for k in ("name", "experiment_name", "project_id")}
        if any(v is not None and not isinstance(v, str) for v in texts.values()):
            report.skip(rid, "its name, experiment name or project is not a string")
            continue

        def write(w: RunWriter, r: _Run = r) -> None:
            _write_run(path, r, idx, w)

        runs.append(SourceRun(
            source_id=rid, run_id=rid, write=write, project=m.get("project_id") or head.get("project"),
            name=m.get("name") or "", experiment_name=m.get("experiment_name") or "",
            created_at=None if not isinstance(created, int) else _seconds(created),
            state=state if state in ("finished", "failed") else "running",
            fork_run_id=fork_id, fork_step=fork_step if fork_id is not None else None,
            fingerprint=fingerprint))
    return parents_first(runs)


def lines(path: str) -> Iterator[Dict[str, Any]]:
    """Every line of a stream as a dict (for tests and tools)."""
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            yield _parse(line, n, path)

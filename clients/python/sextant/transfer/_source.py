"""What a source (an importer) hands the import driver: one `SourceRun` per
run, in an order where a fork's parent comes before the fork. Listing runs
must be cheap; reading a run's data happens in `write`, one run at a time.

A source module defines:
    NAME = "tensorboard"                        # `sextant import NAME PATH`
    HELP = "one line for --help"
    def add_arguments(parser) -> None           # its own options (may be empty)
    def open_source(path, args, report) -> Iterable[SourceRun]
and imports its third-party libraries inside functions, so that
`sextant --help` works without the extras installed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ._writer import RunWriter, Step


class SourceError(Exception):
    """The source cannot be read at all (a missing folder, a missing extra):
    the message is shown as is and the import stops."""


@dataclass
class SourceRun:
    source_id: str                      # the run's id in the source, kept as import/source_id
    run_id: str                         # the Sextant run id (see safe_run_id)
    write: Callable[[RunWriter], None]  # writes the run's data through the writer
    project: Optional[str] = None       # the source's own project, mapped by --project / --map
    name: Optional[str] = None          # None: the server names it after its id
    experiment_name: Optional[str] = None
    created_at: Optional[float] = None  # Unix seconds
    state: Optional[str] = "finished"   # finished | failed | running (left running)
    ended_at: Optional[float] = None    # Unix seconds of an ended run's end (None: the import's time)
    fork_run_id: Optional[str] = None   # a Sextant run id written earlier in this import
    fork_step: Optional[Step] = None
    points_hint: Optional[int] = None   # for the ETA
    fingerprint: str = ""               # changes when the source run does (size, mtime)


_RUN_ID_OK = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_RUN_ID_BAD = re.compile(r"[^A-Za-z0-9._:-]+")


def safe_run_id(text: str) -> str:
    """A valid Sextant run id from any source id: kept when valid, otherwise
    its invalid characters become '-' and a short hash keeps it unique."""
    if _RUN_ID_OK.match(text):
        return text
    h = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    base = _RUN_ID_BAD.sub("-", text).strip("-")[:100] or "run"
    return f"{base}-{h}"


_PROJECT_PART = re.compile(r"[^A-Za-z0-9._-]+")


def safe_project(text: str) -> Optional[str]:
    """'ws/proj' from a source project name, or None if it has no two parts."""
    parts = [p for p in text.split("/") if p]
    if len(parts) != 2:
        return None
    parts = [_PROJECT_PART.sub("-", p).strip("-")[:128] or "x" for p in parts]
    return "/".join(parts)


def need(module: str, extra: str = "import") -> Any:
    """Imports an optional dependency or says how to install it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise SourceError(f"this needs the Python package {module.split('.')[0]!r} "
                          f"({e}); install it with: pip install \"sextant[{extra}]\"") from None


def parents_first(runs: "list[SourceRun]",
                  orphan: Optional[Callable[[SourceRun], None]] = None) -> "list[SourceRun]":
    """Runs ordered so that a fork's parent comes before it. A fork whose
    parent is not among `runs` is passed to `orphan` (which may clear its
    fork fields) and kept."""
    by_id = {r.run_id: r for r in runs}
    out: "list[SourceRun]" = []
    done: set = set()
    for start in runs:
        chain = []
        r: Optional[SourceRun] = start
        while r is not None and r.run_id not in done and r not in chain:
            chain.append(r)
            r = by_id.get(r.fork_run_id) if r.fork_run_id else None
        for c in reversed(chain):
            done.add(c.run_id)
            if c.fork_run_id and c.fork_run_id not in by_id and orphan is not None:
                orphan(c)
            out.append(c)
    return out

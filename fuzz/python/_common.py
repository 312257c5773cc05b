"""Shared by the harnesses: a scratch folder for the files a decoder reads,
the import driver's steps in dry-run mode, and the contract.

The contract every harness checks: a decoder given any bytes either
returns (reporting what it skipped) or raises SourceError, the importers'
"this source cannot be read at all" error (sextant/transfer/_source.py).
Any other exception escapes the harness, and atheris reports it as a crash
with the input that caused it."""
from __future__ import annotations

import argparse
import decimal
import os
import shutil
import sys
import tempfile
from typing import Any, Iterable

import atheris

with atheris.instrument_imports(include=["sextant"]):
    from sextant.transfer._report import Report
    from sextant.transfer._source import SourceError, SourceRun, safe_project
    from sextant.transfer._writer import RunWriter, step_json

__all__ = ["Report", "SourceError", "RunWriter", "args", "fuzz", "import_dry", "quiet_report", "scratch",
           "write_file"]


# libFuzzer ends the process without running atexit handlers, so the
# scratch folder is made under $TMPDIR, which scripts/fuzz_python.sh points
# into its own work folder and removes.
_SCRATCH = tempfile.mkdtemp(prefix="sextant-fuzz-")


def split_pieces(data: bytes):
    """Cuts fuzz input into pieces, each a 2-byte little-endian length and
    that many bytes (the last piece takes what is left): how the harnesses
    that build files or records get several of them from one input."""
    i = 0
    while i < len(data):
        if len(data) - i < 2:
            yield data[i:]
            return
        n = int.from_bytes(data[i:i + 2], "little")
        yield data[i + 2:i + 2 + n]
        i += 2 + n


def scratch(name: str = "in") -> str:
    """An empty folder for this input (the previous input's files removed)."""
    d = os.path.join(_SCRATCH, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write_file(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def quiet_report() -> Report:
    return Report(quiet=True, tty=False)


def import_dry(runs: Iterable[SourceRun], report: Report) -> None:
    """What `sextant import --dry-run` does with each listed run
    (_import.run_import, without the error handling that would hide a bug)."""
    for r in runs:
        safe_project(r.project or "")
        w = RunWriter(None, "fuzz/fuzz", r.run_id, report, dry_run=True)
        if r.fork_run_id:
            w.fork_step = decimal.Decimal(str(step_json(r.fork_step if r.fork_step is not None else 0)))
        r.write(w)
        w.finish(r.state)


def args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**kw)


def fuzz(test_one_input) -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()

"""Progress and the final summary of an import or export.

On a terminal, one line redrawn at most 5 times a second (runs, points,
points/s, ETA when the total is known); otherwise a plain line every 10 s
and one per finished run, so logs stay readable.
"""
from __future__ import annotations

import sys
import time
from typing import IO, List, Optional, Tuple


def _count(n: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return f"{n:.0f}"


def _duration(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class Report:
    def __init__(self, verb: str = "imported", *, stream: Optional[IO[str]] = None,
                 quiet: bool = False, tty: Optional[bool] = None):
        self.verb = verb
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self.runs = self.runs_total = self.runs_unchanged = self.runs_failed = 0
        self.points = self.attributes = self.files = self.file_bytes = 0
        self.points_total: Optional[int] = None
        self.skipped: List[Tuple[str, str]] = []
        self.current = ""
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    # counters ------------------------------------------------------------------
    def add(self, *, points: int = 0, attributes: int = 0, files: int = 0, file_bytes: int = 0) -> None:
        self.points += points
        self.attributes += attributes
        self.files += files
        self.file_bytes += file_bytes
        self.tick()

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((what, why))
        self.line(f"skipped {what}: {why}")

    def run_started(self, label: str) -> None:
        self.current = label
        self.tick(force=True)

    def run_done(self, label: str, detail: str = "") -> None:
        self.runs += 1
        if not self.tty:
            self.line(f"{self.verb} {label}{detail}")
        self.tick(force=True)

    # output --------------------------------------------------------------------
    def line(self, text: str) -> None:
        if self.quiet:
            return
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def rate(self) -> float:
        return self.points / max(1e-9, time.monotonic() - self._start)

    def status_text(self) -> str:
        el = time.monotonic() - self._start
        rate = self.rate()
        runs = f"{self.runs}/{self.runs_total}" if self.runs_total else str(self.runs)
        text = f"runs {runs}  points {_count(self.points)}  {_count(rate)} points/s"
        if self.files:
            text += f"  files {self.files}"
        if self.points_total and rate > 0 and self.points_total > self.points:
            text += f"  ETA {_duration((self.points_total - self.points) / rate)}"
        elif self.runs_total and self.runs and self.runs < self.runs_total:
            text += f"  ETA {_duration(el / self.runs * (self.runs_total - self.runs))}"
        return text

    def tick(self, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if force or now - self._last_draw >= 0.2:
                self._last_draw = now
                text = self.status_text()
                if self.current:
                    text += f"  {self.current}"
                width = 118
                self.stream.write("\r\x1b[2K" + text[:width])
                self.stream.flush()
                self._drawn = True
        elif now - self._last_draw >= 10 and self.points:
            self._last_draw = now
            self.line(self.status_text())

    def summary(self, dry_run: bool = False) -> str:
        el = time.monotonic() - self._start
        verb = f"would be {self.verb}" if dry_run else self.verb
        parts = [f"{self.runs} runs {verb}",
                 f"{self.attributes:,} values", f"{self.points:,} points",
                 f"{self.files:,} files ({_count(self.file_bytes)}B)"]
        out = ", ".join(parts) + f" in {el:.1f} s ({_count(self.rate())} points/s)"
        if self.runs_unchanged:
            out += f"; {self.runs_unchanged} runs were already {self.verb} and were left as they are"
        if self.runs_failed:
            out += f"; {self.runs_failed} runs failed (run again to retry them)"
        lines = [out]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}:")
            for what, why in self.skipped[:200]:
                lines.append(f"  {what}: {why}")
            if len(self.skipped) > 200:
                lines.append(f"  … and {len(self.skipped) - 200} more")
        return "\n".join(lines)

    def finish(self, dry_run: bool = False) -> None:
        if self.quiet:
            return
        self.line(self.summary(dry_run))

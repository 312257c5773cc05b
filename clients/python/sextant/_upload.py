"""Uploads one journal session folder, record by record, in order, moving
the ack marker after each server acknowledgement. The live sender thread of
a run and `sextant sync` both use it, so a crashed or offline run is sent
exactly the way a live one would have been.

Re-sending is safe: the server keeps the last write per (series, step), run
creation is idempotent on run_id, and files are content-addressed.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import random
import shutil
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from . import _journal as J
from . import _validate as V
from ._errors import ApiError, UnreachableError
from ._http import RETRYABLE_STATUSES, Http, dumps, quote

DONE, TIMEOUT, FATAL, WAITING = "done", "timeout", "fatal", "waiting"

# A log record up to this size (gzipped) is sent together with the finish
# record that follows it.
FOLD_FINISH_BYTES = 256 << 10

Warn = Callable[[str], None]
# Told about the server being away: the reason after each failed attempt
# (without the URL), None at the first success after failures.
Notify = Callable[[Optional[str]], None]


class _Retry(Exception):
    """A transient failure: wait and send the same record again. `outage`:
    the server is away or overloaded (not a run to create again)."""

    def __init__(self, why: str, outage: bool = True):
        super().__init__(why)
        self.why = why
        self.outage = outage


class Uploader:
    """REQUIRES: the caller holds the folder's sender.lock (or knows no one
    else uploads it). Not thread-safe: one thread drives it."""

    def __init__(self, folder: str, meta: Dict[str, Any], http: Http, warn: Warn, *,
                 wake: Optional[threading.Event] = None, backoff_max: float = 10.0,
                 ack_thread: bool = False, notify: Optional[Notify] = None):
        self.folder = folder
        self.project: str = meta["project"]
        self.run_id: str = meta["run_id"]
        self.create_body: Dict[str, Any] = meta["create"]
        self.http = http
        self.warn = warn
        self.notify = notify
        self.wake = wake or threading.Event()
        self.backoff_max = backoff_max
        self.deadline: Optional[float] = None
        self.reader = J.JournalReader(folder)
        segs = J.list_segments(folder)
        ack = J.read_ack(folder)
        self.pos: J.Pos = ack if ack is not None else ((segs[0] if segs else 1), 0)
        self._created = False
        self.fatal: Optional[str] = None
        self.last_error: Optional[str] = None
        self.failures = 0          # consecutive transient failures
        self._outage = False       # notify was told of a failure, not yet of the recovery
        self.records_sent = 0
        self.points_sent = 0
        self.finished_sent = False
        self._torn_warned: set = set()
        self._rejected = 0
        base = f"/projects/{self.project}/runs/{quote(self.run_id)}"
        self._run_path = base
        self._ack_written: Optional[J.Pos] = ack
        self._ack_stop = False
        self._ack_lock = threading.Lock()
        self._ack_wake = threading.Event()
        self._ack_writer: Optional[threading.Thread] = None
        if ack_thread:
            self._ack_writer = threading.Thread(target=self._ack_loop, daemon=True,
                                                name=f"sextant-ack-{self.run_id}")
            self._ack_writer.start()

    def close(self) -> None:
        """Writes the last ack marker; closes files."""
        if self._ack_writer is not None:
            self._ack_stop = True
            self._ack_wake.set()
            self._ack_writer.join()
            self._ack_writer = None
        self._write_ack()
        self.reader.close()

    # ------------------------------------------------------------------
    # Driving

    def run(self, limit: Optional[J.Pos] = None,
            writer_alive: Callable[[], bool] = lambda: False) -> str:
        """Sends every record before `limit` (everything readable when None).
        Transient failures are retried until `self.deadline` (monotonic
        seconds; None: forever; it may be set from another thread).
        Returns DONE, TIMEOUT (deadline passed while retrying), FATAL (the
        server refused the run itself), or WAITING (the last segment ends on
        a record still being written by a live writer)."""
        if self.fatal:
            return FATAL
        while True:
            if limit is not None and self.pos >= limit:
                return DONE
            res = self.reader.read(self.pos, limit)
            recs = res.records
            i = 0
            while i < len(recs):
                rec = recs[i]
                # A small last batch and the finish go as one request: one
                # durable commit on the server instead of two.
                finish = recs[i + 1] if (
                    rec.type == J.LOG and i + 1 < len(recs) and recs[i + 1].type == J.FINISH
                    and len(rec.payload) <= FOLD_FINISH_BYTES) else None
                status = self._deliver(rec, finish)
                if status != DONE:
                    return status
                if finish is not None:
                    i += 1
                    rec = finish
                self._ack((rec.segment, rec.end))
                i += 1
            if res.records and not res.torn:
                continue
            # The end of what this segment holds now.
            segs = J.list_segments(self.folder)
            later = [s for s in segs if s > self.pos[0]]
            if res.torn:
                if not later and writer_alive():
                    return WAITING  # the writer is mid-record
                if self.pos not in self._torn_warned:
                    self._torn_warned.add(self.pos)
                    self.warn(f"skipping a damaged or cut-short record at "
                              f"{J.segment_name(self.pos[0])}:{self.pos[1]} in {self.folder} "
                              "(a crash while writing it)")
            if later and (limit is None or limit[0] > self.pos[0] or res.torn):
                old = self.pos[0]
                self.pos = (later[0], 0)
                self._write_ack()  # the marker leaves the segment before it goes
                self._remove_segment(old)
                continue
            return DONE

    def _ack(self, pos: J.Pos) -> None:
        self.pos = pos
        if self._ack_writer is None:
            self._write_ack()
        else:
            self._ack_wake.set()

    def _write_ack(self) -> None:
        with self._ack_lock:
            pos = self.pos
            if pos != self._ack_written:
                J.write_ack(self.folder, pos, {"records": self.records_sent, "points": self.points_sent})
                self._ack_written = pos

    def _ack_loop(self) -> None:
        # Writes the marker after each acknowledgement, off the sending path
        # (when acks come faster than marker writes, the newest one wins).
        while not self._ack_stop:
            self._ack_wake.wait()
            self._ack_wake.clear()
            self._write_ack()

    def _remove_segment(self, index: int) -> None:
        self.reader.close()
        try:
            os.remove(os.path.join(self.folder, J.segment_name(index)))
        except OSError:
            pass

    def _deliver(self, rec: J.Record, finish: Optional[J.Record] = None) -> str:
        """Sends one record (a log record with the finish record after it
        when `finish` is given), retrying transient failures until the
        deadline."""
        while True:
            try:
                self._ensure_created()
                if finish is None:
                    self._send(rec)
                else:
                    self._send_log_and_finish(rec, finish)
                self.failures = 0
                self.last_error = None
                self.records_sent += 1 if finish is None else 2
                if self._outage and self.notify is not None:
                    self._outage = False
                    self.notify(None)
                return DONE
            except _Fatal as e:
                self.fatal = str(e)
                return FATAL
            except _Retry as e:
                self.last_error = reason = e.why
                outage = e.outage
            except UnreachableError as e:
                self.last_error = str(e)
                reason, outage = f"no connection ({e.cause})", True
            self.failures += 1
            if outage and self.notify is not None:
                self._outage = True
                self.notify(reason)
            if not self._backoff():
                return TIMEOUT

    def _backoff(self) -> bool:
        """Exponential backoff with jitter; False when the deadline passed."""
        deadline = self.deadline
        delay = min(self.backoff_max, 0.1 * (2 ** min(self.failures, 16)))
        delay *= 0.5 + random.random() / 2
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            delay = min(delay, left)
        if self.wake.wait(delay):
            self.wake.clear()
        deadline = self.deadline
        return deadline is None or time.monotonic() < deadline

    # ------------------------------------------------------------------
    # Requests

    def _ensure_created(self) -> None:
        if self._created:
            return
        r = self.http.request("POST", f"/projects/{self.project}/runs", dumps(self.create_body),
                              {"Content-Type": "application/json"})
        if r.status in (200, 201):
            self._created = True
            return
        if r.status in RETRYABLE_STATUSES:
            raise _Retry(str(r.error("POST", "runs")))
        if r.status in (401, 403):
            raise _Fatal(f"the server refused the credentials (HTTP {r.status}: {r.error().message}); "
                         "set SEXTANT_API_TOKEN (or token=) and run `sextant sync`")
        err = r.error()
        hint = ("" if err.code != "http_error" else
                f"; that is not a Sextant server's answer: is {self.http.url} the right URL?")
        raise _Fatal(f"the server at {self.http.url} refused to create run {self.run_id!r} in "
                     f"{self.project} (HTTP {r.status} {err.code}: {err.message}){hint}")

    def _send(self, rec: J.Record) -> None:
        if rec.type == J.CREATE:
            return  # _ensure_created sent it
        if rec.type == J.LOG:
            points, body = J.split_log_payload(rec.payload)
            self._post_log(body, gzipped=J.is_gzip(body))
            self.points_sent += points
        elif rec.type == J.FILE:
            self._put_file(json.loads(rec.payload))
        elif rec.type == J.FINISH:
            r = self.http.request("POST", self._run_path + "/finish", rec.payload,
                                  {"Content-Type": "application/json"})
            self._check(r, "finish", json.loads(rec.payload))
            self.finished_sent = True
        else:
            self.warn(f"unknown journal record type {rec.type} in {self.folder}; skipped")

    def _send_log_and_finish(self, rec: J.Record, finish: J.Record) -> None:
        points, body = J.split_log_payload(rec.payload)
        gzipped = J.is_gzip(body)
        batch = json.loads(gzip.decompress(body) if gzipped else body)
        batch["state"] = json.loads(finish.payload).get("state", "finished")
        body = dumps(batch)
        self._post_log(gzip.compress(body, compresslevel=1) if gzipped else body, gzipped=gzipped)
        self.points_sent += points
        self.finished_sent = True

    def _check(self, r: Any, what: str, body: Any) -> bool:
        """True on success; raises _Retry for transient errors; records a
        final refusal and returns False."""
        if 200 <= r.status < 300:
            return True
        self._raise_unless_final(r, what)
        self._reject(what, r.error(), body)
        return False

    def _raise_unless_final(self, r: Any, what: str) -> None:
        """Raises for answers that say nothing about the data itself."""
        if r.status in RETRYABLE_STATUSES:
            raise _Retry(str(r.error("POST", what)))
        if r.status in (401, 403):
            raise _Fatal(f"the server refused the credentials (HTTP {r.status}: {r.error().message}); "
                         "set SEXTANT_API_TOKEN (or token=) and run `sextant sync`")
        if r.status == 404:
            # The run is gone (or never made it): create it, then retry. If
            # the route itself is missing, creating the run fails for good.
            self._created = False
            raise _Retry(f"{what}: {r.error().message}", outage=False)

    def _post_log(self, body: bytes, gzipped: bool) -> None:
        hdrs = {"Content-Type": "application/json"}
        if gzipped:
            hdrs["Content-Encoding"] = "gzip"
        r = self.http.request("POST", self._run_path + "/log", body, hdrs)
        if 200 <= r.status < 300:
            return
        self._raise_unless_final(r, "log")
        # Refused for good: send what can be sent, piece by piece.
        batch = json.loads(gzip.decompress(body) if gzipped else body)
        self._salvage(batch, r.error())

    def _salvage(self, batch: Dict[str, Any], err: ApiError) -> None:
        units = split_batch(batch)
        if len(units) <= 1:
            self._reject("log", err, batch)
            return
        for unit in units:
            r = self.http.request("POST", self._run_path + "/log", dumps(unit),
                                  {"Content-Type": "application/json"})
            if 200 <= r.status < 300:
                continue
            # On a transient answer the whole record is sent again later:
            # safe, the server keeps the last write of each step.
            self._raise_unless_final(r, "log")
            self._salvage(unit, r.error())

    def _put_file(self, meta: Dict[str, Any]) -> None:
        blob = os.path.join(self.folder, meta["blob"])
        query = []
        if meta.get("step") is not None:
            query.append("step=" + quote(V.step_text(meta["step"])))
        if meta.get("name"):
            query.append("name=" + quote(meta["name"]))
        target = f"{self._run_path}/files/{quote(meta['path'], safe='/')}"
        if query:
            target += "?" + "&".join(query)
        try:
            f = open(blob, "rb")
        except FileNotFoundError:
            if meta.get("uploaded"):
                return
            self.warn(f"file {meta['path']!r}: its copy {blob} is missing; not uploaded")
            return
        with f:
            r = self.http.request("PUT", target, f, {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(os.fstat(f.fileno()).st_size),
                "X-Sextant-SHA256": meta["sha256"]})
        if self._check(r, "file " + meta["path"], {k: meta[k] for k in ("path", "step", "name")}):
            try:
                os.remove(blob)
            except OSError:
                pass

    def _reject(self, what: str, err: ApiError, body: Any) -> None:
        self._rejected += 1
        line = {"time": time.time(), "what": what, "status": err.status, "code": err.code,
                "message": err.message, "body": body}
        path = os.path.join(self.folder, "rejected.jsonl")
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
        if self._rejected <= 5:
            self.warn(f"the server refused part of run {self.run_id!r} ({what}): "
                      f"{err.code}: {err.message} — kept in {path}")
        elif self._rejected == 6:
            self.warn(f"more refusals for run {self.run_id!r}; see {path}")


class _Fatal(Exception):
    pass


_B64_COLUMNS = ("values_b64", "timestamps_b64")


def _halve_series(s: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
    """The two halves of one series write, or None when its binary columns
    are not valid base64 (then it cannot be split, and is refused whole)."""
    n = len(s["steps"])
    h = n // 2
    cols = {}
    for key in _B64_COLUMNS:
        if key in s:
            try:
                cols[key] = base64.b64decode(s[key], validate=True)
            except (binascii.Error, TypeError, ValueError):
                return None
    parts = []
    for lo, hi in ((0, h), (h, n)):
        part = dict(s)
        for key in ("steps", "values", "timestamps"):
            if key in s:
                part[key] = s[key][lo:hi]
        for key, raw in cols.items():
            part[key] = base64.b64encode(raw[8 * lo:8 * hi]).decode("ascii")
        parts.append(part)
    return parts


def split_batch(batch: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Splits a log batch into smaller ones that the server judges
    independently: configs one by one, tags, each series (halved when it
    has many points)."""
    units: List[Dict[str, Any]] = []
    configs = batch.get("configs") or {}
    if len(configs) > 1 or (configs and len(batch) > 1):
        units += [{"configs": {k: v}} for k, v in configs.items()]
    elif configs:
        units.append({"configs": configs})
    tags = {k: batch[k] for k in ("add_tags", "remove_tags") if batch.get(k)}
    if tags:
        units.append(tags)
    series = batch.get("series") or []
    if len(series) > 1:
        units += [{"series": [s]} for s in series]
    elif len(series) == 1:
        s = series[0]
        n = len(s["steps"])
        halves = _halve_series(s) if n > 1 and len(batch) == 1 else None
        if halves:
            units += [{"series": [part]} for part in halves]
        else:
            units.append({"series": series})
    if batch.get("state"):
        units.append({"state": batch["state"]})
    return units


def remove_session(folder: str, root: Optional[str] = None, levels: int = 1) -> None:
    """Deletes a fully sent session folder and up to `levels` empty folders
    above it (the run's; the workspace and project folders stay, because
    removing and making them again for every run is what made short runs
    slow), never `root` or above."""
    shutil.rmtree(folder, ignore_errors=True)
    parent = os.path.dirname(os.path.abspath(folder))
    stop = os.path.abspath(root) if root else None
    for _ in range(levels):
        if stop is not None and (parent == stop or not parent.startswith(stop)):
            break
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = os.path.dirname(parent)

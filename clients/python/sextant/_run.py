"""`Run`: the logging side of the SDK.

A logging call validates its arguments and appends one tuple to an
in-memory queue; that is all the training thread does. Background threads:

- writer: every `flush_interval` seconds (sooner when the queue is long)
  turns queued calls into log batches, gzips them and appends them to the
  journal (`_journal.py`);
- sender (mode "async"): uploads journal records in order and moves the ack
  marker (`_upload.py`); retries with backoff while the server is away;
- files: copies logged files into the journal folder (hashing them);
- monitor: system metrics, heartbeat, source context.

Thread-safety: every public method may be called from any thread.
"""
from __future__ import annotations

import atexit
import hashlib
import io
import ipaddress
import os
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import weakref
from collections import deque
from typing import Any, Deque, Dict, List, Mapping, Optional, Tuple, Union

from . import _encode as E
from . import _fast
from . import _journal as J
from . import _monitor
from . import _validate as V
from ._errors import RunClosedError, SextantError, TypeConflictError, ValidationError
from ._http import Http, resolve_token, resolve_url
from ._media import in_memory, name_for
from ._upload import DONE, FATAL, Uploader, remove_session
from ._version import __version__

PathLike = Union[str, "os.PathLike[str]"]
# A path, bytes, a binary stream, or a matplotlib Figure / PIL Image (_media.py).
FileValue = Union[PathLike, bytes, Any]
MODES = ("async", "offline", "disabled")

_float = float
_int = int
_tuple = tuple
_sum = sum
_time = time.time

DEFAULT_JOURNAL_DIR = ".sextant"
KICK_AT = 2_000            # queued calls that wake the writer early
MAX_QUEUE = 200_000        # queued calls past which the caller writes the journal itself
DRAIN_BLOCK = 4_096        # queued calls the writer takes at a time
MAX_KEY_SETS = 10_000      # cached validated key tuples of log_metrics
MONITOR_JOIN_S = 10.0      # close() waits this long for the source context
JOURNAL_QUEUE_BYTES = 64 << 20  # encoded bodies waiting for gzip and the journal
JOURNAL_GIVE_UP_S = 30.0   # a closing run stops retrying an unwritable journal after this


def _warn(msg: str) -> None:
    stream: Any = _monitor.real_stream(sys.stderr) or sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(f"sextant: {msg}\n")
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _is_loopback(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _session_name() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"


def new_run_id() -> str:
    """A sortable, unique run id, made client-side so that an offline
    journal names its run before the server has seen it."""
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"


def run_folder(journal_dir: str, project: str, run_id: str) -> str:
    ws, name = project.split("/")
    return os.path.join(journal_dir, ws, name, run_id.replace(":", "%3A"))


class _MonoClock:
    """Strictly increasing Unix micro-seconds, formatted as a decimal step:
    steps of monitoring/ series, so that a resumed run appends to them."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def step(self) -> Tuple[str, float]:
        now = time.time()
        with self._lock:
            us = max(int(now * 1e6), self._last + 1)
            self._last = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}", now


class Run:
    """One run: log to it, then close it (or use ``with``).

    >>> with sextant.Run(project="team/llm", mode="offline") as run:  # doctest: +SKIP
    ...     run.log_configs({"lr": 3e-4})
    ...     run.log_metrics({"train/loss": 0.5}, step=0)

    Arguments (all keyword-only):

    - project: "workspace/project" (default: $SEXTANT_PROJECT).
    - run_id: resume or name the run; generated when None.
    - name, experiment_name: shown in the runs table.
    - fork_run_id, fork_step: start as a fork of another run at a step;
      this run's own steps must then be greater than fork_step.
    - mode: "async" (journal, then send in the background), "offline"
      (journal only; upload later with `sextant sync`) or "disabled"
      (validate, keep nothing).
    - url, token: the server (default $SEXTANT_URL, else
      http://127.0.0.1:5050) and bearer token (default $SEXTANT_API_TOKEN).
    - journal_dir: where journals go (default $SEXTANT_JOURNAL_DIR, else
      ./.sextant).
    - capture_stdout, capture_stderr, capture_system_metrics,
      capture_heartbeat, capture_source, capture_traceback: automatic
      monitoring, each on by default; monitoring_interval in seconds.
    - flush_interval: how long calls may wait in memory before the writer
      journals them (seconds).
    - close_timeout: how long close() waits for the upload (seconds).
    - keep_journal: keep the journal folder after everything is uploaded.
    """

    def __init__(
        self,
        *,
        project: Optional[str] = None,
        run_id: Optional[str] = None,
        name: Optional[str] = None,
        experiment_name: Optional[str] = None,
        fork_run_id: Optional[str] = None,
        fork_step: Optional[Union[int, float]] = None,
        mode: str = "async",
        url: Optional[str] = None,
        token: Optional[str] = None,
        journal_dir: Optional[PathLike] = None,
        capture_stdout: bool = True,
        capture_stderr: bool = True,
        capture_system_metrics: bool = True,
        capture_heartbeat: bool = True,
        capture_source: bool = True,
        capture_traceback: bool = True,
        monitoring_interval: float = 5.0,
        flush_interval: float = 0.2,
        close_timeout: float = 60.0,
        keep_journal: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValidationError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        self._project = V.project_name(project or os.environ.get("SEXTANT_PROJECT"))
        self._run_id = V.run_id(run_id) if run_id is not None else new_run_id()
        name = V.optional_text(name, "name")
        experiment_name = V.optional_text(experiment_name, "experiment_name")
        if (fork_run_id is None) != (fork_step is None):
            raise ValidationError("fork_run_id and fork_step go together")
        self._fork_step: Optional[Union[int, float]] = None
        if fork_run_id is not None:
            V.run_id(fork_run_id, "fork_run_id")
            self._fork_step = V.step_value(fork_step)
        for what, v in (("monitoring_interval", monitoring_interval), ("flush_interval", flush_interval),
                        ("close_timeout", close_timeout)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not v > 0:
                raise ValidationError(f"{what} must be a positive number of seconds")
        self._mode = mode
        self._url = resolve_url(url)
        self._token = resolve_token(token)
        self._flush_interval = float(flush_interval)
        # Bodies to a server on this machine go uncompressed: float columns
        # compress about 2:1 at ~40 MB/s, a cost the loopback link does not
        # repay. To any other host they are gzipped (level 1).
        self._compress = not _is_loopback(self._url)
        self._close_timeout = float(close_timeout)
        self._keep_journal = keep_journal
        self._capture_traceback = capture_traceback

        # Call-site state (see log_metrics).
        self._q: Deque[Tuple[Any, ...]] = deque()
        self._metric_keys: Dict[Tuple[Any, ...], Tuple[str, ...]] = {}
        self._types: Dict[str, str] = {}
        self._next_step: Union[int, float] = 0
        lo = -V.MAX_ABS_STEP if self._fork_step is None else self._fork_step
        self._step_lo, self._step_hi = lo, V.MAX_ABS_STEP
        self._closed = False
        self._pid = os.getpid()
        self._kick_at = KICK_AT
        self._behind_warned = False
        self._clock = _MonoClock()
        # The compiled accelerator (_fast.py) keeps this run's metric calls
        # instead of the queue; a disabled run keeps nothing, so it stays pure.
        self._acc: Any = None
        if mode != "disabled" and _fast.MetricBuffer is not None:
            self._acc = _fast.MetricBuffer(KICK_AT, float(lo), float(self._step_hi))
            self._acc_log = self._acc.log
            self.log_metrics = self._log_metrics_acc  # type: ignore[method-assign]

        create: Dict[str, Any] = {"run_id": self._run_id, "created_at": round(time.time(), 6)}
        if name is not None:
            create["name"] = name
        if experiment_name is not None:
            create["experiment_name"] = experiment_name
        if fork_run_id is not None:
            create["fork_run_id"] = fork_run_id
            create["fork_step"] = self._fork_step
        self._create_body = create

        self._session_dir: Optional[str] = None
        self._journal_root: Optional[str] = None
        self._threads: List[threading.Thread] = []
        self._tees: List[Tuple[str, _monitor.Tee]] = []
        if mode == "disabled":
            return

        self._journal_root = os.path.abspath(os.fspath(
            journal_dir or os.environ.get("SEXTANT_JOURNAL_DIR") or DEFAULT_JOURNAL_DIR))
        self._session_dir = os.path.join(run_folder(self._journal_root, self._project, self._run_id),
                                         _session_name())
        try:
            for attempt in range(10):
                try:
                    os.makedirs(self._session_dir, exist_ok=True)
                    break
                except FileNotFoundError:
                    # Another run of this process finished and removed the
                    # empty parent folders we were creating under: again.
                    if attempt == 9:
                        raise
        except OSError as e:
            raise SextantError(f"cannot create the journal folder {self._session_dir}: {e}; pass "
                               "journal_dir= or set SEXTANT_JOURNAL_DIR to a writable folder") from None
        meta = {"format": J.VERSION, "project": self._project, "run_id": self._run_id,
                "url": self._url, "mode": mode, "pid": os.getpid(), "sdk": __version__,
                "created_at": create["created_at"], "create": create}
        J.write_json_atomic(os.path.join(self._session_dir, "session.json"), meta, fsync=True)
        self._meta = meta
        self._writer_lock = J.FileLock(os.path.join(self._session_dir, "writer.lock"))
        self._writer_lock.try_acquire()
        self._sender_lock: Optional[J.FileLock] = None
        if mode == "async":
            self._sender_lock = J.FileLock(os.path.join(self._session_dir, "sender.lock"))
            self._sender_lock.try_acquire()
        self._journal = J.JournalWriter(self._session_dir)
        self._journal.append(J.CREATE, E._dumps(create).encode("utf-8"))
        self._journal.flush(fsync=False)

        self._drain_lock = threading.RLock()
        self._builder = E.BatchBuilder()
        self._writer_wake = threading.Event()
        self._stopping = False
        self._written: J.Pos = self._journal.position
        self._points_journaled = 0
        self._ack_cond = threading.Condition()
        self._acked: J.Pos = (0, 0)
        self._points_acked = 0
        self._sender_done = threading.Event()
        self._uploader: Optional[Uploader] = None
        self._away_warned = False
        self._back_said = False
        self._fatal_warned = False
        self._sender_wake = threading.Event()
        self._file_q: Deque[Tuple[Any, ...]] = deque()
        self._file_wake = threading.Event()
        self._files_idle = threading.Event()
        self._files_idle.set()

        self._jq: Deque[Tuple[Any, ...]] = deque()
        self._jq_bytes = 0
        self._jq_cond = threading.Condition()
        self._journal_error: Optional[str] = None
        self._start_thread(self._journal_loop, "journal")
        self._journal_thread = self._threads[-1]
        self._start_thread(self._writer_loop, "writer")
        self._files_started = False  # the files thread starts with the first file
        self._files_start_lock = threading.Lock()
        if mode == "async":
            self._start_thread(self._sender_loop, "sender")
        else:
            self._sender_done.set()

        # Monitoring.
        for stream_name, on in (("stdout", capture_stdout), ("stderr", capture_stderr)):
            if on:
                self._capture(stream_name)
        self._monitor_stop = threading.Event()
        self._monitor_thread: Optional[threading.Thread] = None
        if capture_system_metrics or capture_heartbeat or capture_source:
            self._start_thread(lambda: self._monitor_loop(
                capture_system_metrics, capture_heartbeat, capture_source,
                float(monitoring_interval)), "monitor")
            self._monitor_thread = self._threads[-1]
        _register(self)

    # ------------------------------------------------------------------
    # Properties

    @property
    def project(self) -> str:
        return self._project

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def url(self) -> str:
        """The server this run sends to."""
        return self._url

    @property
    def journal_path(self) -> Optional[str]:
        """This process's journal folder for the run (None when disabled)."""
        return self._session_dir

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"<sextant.Run {self._project}/{self._run_id} mode={self._mode}{' closed' if self._closed else ''}>"

    # ------------------------------------------------------------------
    # Logging calls

    def log_metrics(self, data: Mapping[str, Any], *, step: Optional[Union[int, float]] = None,
                    timestamp: Optional[Union[float, Any]] = None) -> None:
        """Appends one point to each float series in `data` ({path: number}).

        `step` defaults to one more than the previous step logged through
        this Run (0 at first); `timestamp` (Unix seconds or datetime)
        defaults to now. Numbers may be int, float, or numpy/torch scalars.
        """
        # The fast path: a key tuple validated before, exact floats (or ints:
        # sum() stays a float), an int step in range. Anything else takes
        # the slow path, which validates, converts or raises.
        try:
            keys = self._metric_keys[_tuple(data)]
            values = _tuple(data.values())
            if type(_sum(values, 0.0)) is not _float:
                raise TypeError
        except (KeyError, TypeError, AttributeError, OverflowError):
            keys = None
        if keys is None:  # outside the except: its errors must not chain the KeyError
            keys, values = self._metrics_slow(data)
            if not keys:
                return
        if step is None:
            step = self._next_step
            if type(step) is not _int:  # one more than a float step: re-snap to six digits
                step = self._step_slow(step)
        elif type(step) is not _int or not self._step_lo < step < self._step_hi:
            step = self._step_slow(step)
        self._next_step = step + 1
        if self._closed:
            raise RunClosedError(f"run {self._run_id} is closed")
        q = self._q
        q.append((0, step, _time() if timestamp is None else V.timestamp_value(timestamp), keys, values))
        if len(q) >= self._kick_at:
            self._kick()

    def _log_metrics_acc(self, data: Mapping[str, Any], *, step: Optional[Union[int, float]] = None,
                         timestamp: Optional[Union[float, Any]] = None) -> None:
        # log_metrics with the accelerator (bound per run in __init__; the
        # docstring is log_metrics'): it keeps plain calls itself (False:
        # kept; True: kept, wake the writer); None sends the call through
        # the same checks as the pure-Python log_metrics.
        r = self._acc_log(data, step, timestamp)
        if r is False:
            return
        if r is None:
            r = self._log_metrics_checked(data, step, timestamp)
        if r:
            self._kick()

    def _log_metrics_checked(self, data: Any, step: Any, timestamp: Any) -> bool:
        """log_metrics' checks, in its order, then the accelerator keeps the call."""
        try:
            keys = self._metric_keys[_tuple(data)]
            values = _tuple(data.values())
            if type(_sum(values, 0.0)) is not _float:
                raise TypeError
        except (KeyError, TypeError, AttributeError, OverflowError):
            keys = None
        if keys is None:
            keys, values = self._metrics_slow(data)
            if not keys:
                return False
        acc = self._acc
        if step is None:
            step = acc.next_step
            if type(step) is not _int:
                step = self._step_slow(step)
        elif type(step) is not _int or not self._step_lo < step < self._step_hi:
            step = self._step_slow(step)
        acc.next_step = step + 1
        if self._closed:
            raise RunClosedError(f"run {self._run_id} is closed")
        return acc.append(keys, values, step, _time() if timestamp is None else V.timestamp_value(timestamp))

    def _metrics_slow(self, data: Any) -> Tuple[Tuple[str, ...], Tuple[float, ...]]:
        if not isinstance(data, Mapping):
            raise ValidationError(f"log_metrics takes a dict of {{path: number}}, got {type(data).__name__}")
        keys: List[str] = []
        values: List[float] = []
        for k, v in data.items():
            self._check_kind(k, "float_series")
            keys.append(k)
            values.append(V.float_value(v, f"metric {k!r}"))
        for k in keys:  # only once the whole call is valid
            self._types[k] = "float_series"
        kt = tuple(keys)
        if kt:
            if len(self._metric_keys) >= MAX_KEY_SETS:
                self._metric_keys.clear()
            self._metric_keys[kt] = kt
        return kt, tuple(values)

    def _step_slow(self, step: Any) -> Union[int, float]:
        s = V.step_value(step)
        if self._fork_step is not None and s <= self._fork_step:
            raise ValidationError(f"this run is forked at step {self._fork_step}; "
                                  f"its own steps must be greater, got {s}")
        return s

    def _auto_step(self) -> Union[int, float]:
        """The step a call without one gets (the accelerator keeps it when on)."""
        return self._next_step if self._acc is None else self._acc.next_step

    def _step_ts(self, step: Any, timestamp: Any) -> Tuple[Union[int, float], float]:
        step = self._step_slow(self._auto_step() if step is None else step)
        if self._acc is None:
            self._next_step = step + 1
        else:
            self._acc.next_step = step + 1
        return step, (_time() if timestamp is None else V.timestamp_value(timestamp))

    def _check_kind(self, path: Any, kind: str) -> None:
        have = self._types.get(path)
        if have == kind:
            return
        if have is not None:
            raise TypeConflictError(path, have, kind)
        V.path(path, series=kind.endswith("_series"))

    def _register(self, path: Any, kind: str) -> None:
        self._check_kind(path, kind)
        self._types[path] = kind

    def log_string_series(self, data: Mapping[str, str], *, step: Optional[Union[int, float]] = None,
                          timestamp: Optional[Union[float, Any]] = None) -> None:
        """Appends one text point to each string series ({path: str})."""
        items = self._check_mapping(data, "log_string_series")
        out = {}
        for k, v in items:
            self._check_kind(k, "string_series")
            out[k] = V.string_value(v, f"string series {k!r}")
        step, ts = self._step_ts(step, timestamp)
        for k in out:
            self._types[k] = "string_series"
        if out:
            self._put((E.S, step, ts, out))

    def log_histograms(self, data: Mapping[str, V.Histogram], *,
                       step: Optional[Union[int, float]] = None,
                       timestamp: Optional[Union[float, Any]] = None) -> None:
        """Appends one histogram to each histogram series ({path: sextant.Histogram})."""
        items = self._check_mapping(data, "log_histograms")
        out = {}
        for k, v in items:
            self._check_kind(k, "histogram_series")
            if not isinstance(v, V.Histogram):
                raise ValidationError(f"histogram {k!r}: expected sextant.Histogram, got {type(v).__name__}")
            out[k] = v.to_json()
        step, ts = self._step_ts(step, timestamp)
        for k in out:
            self._types[k] = "histogram_series"
        if out:
            self._put((E.H, step, ts, out))

    def log_configs(self, data: Mapping[str, Any]) -> None:
        """Sets configs (one value per path, last write wins). Nested dicts
        flatten to paths: {"model": {"layers": 24}} sets model/layers.
        Values: int, float, bool, str, datetime, a set of str (string set);
        lists and None are stored as text."""
        flat = V.flatten(data)
        out = {}
        kinds: Dict[str, str] = {}
        for k, v in flat.items():
            typ, value = V.config_value(v, f"config {k!r}")
            have = self._types.get(k)
            if have == "float" and typ == "int":  # lr=1 after lr=0.5 stays a float
                typ, value = "float", float(value)
            self._check_kind(k, typ)
            out[k] = value
            kinds[k] = typ
        self._types.update(kinds)
        if out:
            self._put((E.C, out))

    def add_tags(self, tags: Union[str, List[str]]) -> None:
        """Adds tags to the run (sys/tags)."""
        t = V.tags(tags)
        if t:
            self._put((E.TAG_ADD, t))

    def remove_tags(self, tags: Union[str, List[str]]) -> None:
        """Removes tags from the run."""
        t = V.tags(tags)
        if t:
            self._put((E.TAG_REMOVE, t))

    def assign_files(self, data: Mapping[str, FileValue], *,
                     name: Union[str, Mapping[str, str], None] = None) -> None:
        """Sets file attributes ({path: file}). A file is a local path, bytes,
        io.BytesIO, a binary file object, a matplotlib Figure or a PIL Image
        (stored as PNG). `name` is the file name to store (a str for a single
        file, or {path: name}); by default the file's own name, or for
        in-memory content the path's last segment with an extension read from
        the content. A path is copied into the journal in the background,
        shortly after the call; in-memory content is taken at the call."""
        items = self._check_mapping(data, "assign_files")
        names = self._file_names(name, items, "assign_files")
        for k, v in items:
            src, n = self._file_source(k, v, "file", names.get(k))
            self._put_file((E.FILE, k, None, src, n))

    def log_files(self, data: Mapping[str, FileValue], *,
                  step: Optional[Union[int, float]] = None,
                  name: Union[str, Mapping[str, str], None] = None) -> None:
        """Appends one file to each file series ({path: file}); files and
        `name` as for assign_files."""
        items = self._check_mapping(data, "log_files")
        names = self._file_names(name, items, "log_files")
        checked = [(k,) + self._file_source(k, v, "file_series", names.get(k)) for k, v in items]
        step, _ = self._step_ts(step, None)
        for k, src, n in checked:
            self._put_file((E.FILE, k, step, src, n))

    @staticmethod
    def _file_names(name: Any, items: List[Tuple[str, Any]], what: str) -> Dict[str, str]:
        if name is None:
            return {}
        if isinstance(name, str):
            if len(items) != 1:
                raise ValidationError(f"{what}: name={name!r} names one file but {len(items)} were "
                                      "given; pass name={path: name} instead")
            name = {items[0][0]: name}
        if not isinstance(name, Mapping):
            raise ValidationError(f"{what}: name must be a str or a dict {{path: name}}, "
                                  f"got {type(name).__name__}")
        paths = {k for k, _ in items}
        for k, n in name.items():
            if k not in paths:
                raise ValidationError(f"{what}: name given for {k!r}, which is not among the files")
            if not isinstance(n, str) or not n:
                raise ValidationError(f"{what}: the name for {k!r} must be a non-empty str, got {n!r}")
            V.optional_text(n, f"the file name for {k!r}")
        return dict(name)

    def _file_source(self, path: str, v: Any, kind: str,
                     name: Optional[str] = None) -> Tuple[Union[str, bytes], str]:
        self._register(path, kind)
        if isinstance(v, (str, os.PathLike)):
            p = os.path.abspath(os.fspath(v))
            if not os.path.isfile(p):
                raise ValidationError(f"file {path!r}: {os.fspath(v)!r} is not a readable file")
            return p, name or os.path.basename(p)
        got = in_memory(v, path)
        if got is None:
            raise ValidationError(
                f"file {path!r}: expected a file path, bytes, io.BytesIO, a binary file object, "
                f"a matplotlib Figure or a PIL Image, got {type(v).__name__}")
        content, ext = got
        own = getattr(v, "name", None)  # a file opened with open(p, "rb") has one
        if not name and isinstance(own, str) and not isinstance(v, io.BytesIO) and own:
            name = os.path.basename(own)
        return content, name or name_for(path.rsplit("/", 1)[-1], ext)

    def _check_mapping(self, data: Any, what: str) -> List[Tuple[str, Any]]:
        if self._closed:
            raise RunClosedError(f"run {self._run_id} is closed")
        if not isinstance(data, Mapping):
            raise ValidationError(f"{what} takes a dict, got {type(data).__name__}")
        return list(data.items())

    def _put(self, op: Tuple[Any, ...]) -> None:
        if self._closed:
            raise RunClosedError(f"run {self._run_id} is closed")
        q = self._q
        q.append(op)
        if len(q) >= self._kick_at:
            self._kick()

    def _put_file(self, op: Tuple[Any, ...]) -> None:
        if self._closed:
            raise RunClosedError(f"run {self._run_id} is closed")
        if self._mode == "disabled":
            return
        self._files_idle.clear()
        self._file_q.append(op)
        if not self._files_started:
            with self._files_start_lock:
                if not self._files_started:
                    self._start_thread(self._files_loop, "files")
                    self._files_started = True
        self._file_wake.set()

    def _kick(self) -> None:
        """The queue is long: wake the writer; past MAX_QUEUE, journal from
        this thread (memory stays bounded, nothing is dropped)."""
        if self._mode == "disabled":
            self._q.clear()
            return
        if not self._writer_wake.is_set():
            self._writer_wake.set()
        queued = len(self._q) + (0 if self._acc is None else len(self._acc))
        if queued >= MAX_QUEUE and self._journal_error is None:
            if not self._behind_warned:
                self._behind_warned = True
                _warn(f"run {self._run_id}: logging is outpacing the background writer "
                      f"({queued} calls queued); the logging thread now writes them to the "
                      "journal itself until it catches up. Nothing is dropped.")
            self._drain()

    # ------------------------------------------------------------------
    # Writer

    def _start_thread(self, target: Any, what: str) -> None:
        t = threading.Thread(target=self._guard(target, what), name=f"sextant-{what}-{self._run_id}",
                             daemon=True)
        self._threads.append(t)
        t.start()

    def _guard(self, target: Any, what: str) -> Any:
        def run() -> None:
            try:
                target()
            except BaseException:  # noqa: BLE001 - say why a background thread died
                _warn(f"run {self._run_id}: the {what} thread failed:\n{traceback.format_exc()}")
                if what == "sender":
                    self._sender_done.set()
        return run

    def _writer_loop(self) -> None:
        while True:
            self._writer_wake.wait(self._flush_interval)
            self._writer_wake.clear()
            self._drain()
            if self._stopping and not self._q:
                break
        self._jput(("close",))

    def _drain(self) -> None:
        """Encodes everything queued so far into log bodies for the journal
        thread. Any thread (the writer, or a caller past MAX_QUEUE); serialized."""
        with self._drain_lock:
            q = self._q
            acc = self._acc
            builder = self._builder
            add = builder.add
            popleft = q.popleft
            max_points, max_bytes = E.MAX_POINTS, E.MAX_BYTES
            while True:
                n = min(len(q), DRAIN_BLOCK)
                block = [popleft() for _ in range(n)]
                if acc is not None and len(acc):
                    # Taken after the block: every metric call logged before
                    # a barrier or the finish record in it comes before it.
                    for g in acc.take():
                        builder.add_encoded(*g)
                    if builder.points >= max_points or builder.bytes >= max_bytes:
                        self._emit()
                if not n:
                    break
                # The common case, a block of metric calls that all logged the
                # same keys, is transposed by one zip and added in bulk: the
                # per-call Python work here is what the training thread waits
                # for when it wants the GIL back.
                cols = list(zip(*block))
                if len(cols) == 5 and cols[0].count(E.M) == n and cols[3].count(cols[3][0]) == n:
                    builder.add_metric_block(cols[3][0], cols[1], cols[2], cols[4])
                    if builder.points >= max_points or builder.bytes >= max_bytes:
                        self._emit()
                    continue
                for op in block:
                    kind = op[0]
                    if kind <= E.TAG_REMOVE:
                        add(op)
                        if builder.points >= max_points or builder.bytes >= max_bytes:
                            self._emit()
                    elif kind == E.BARRIER:
                        self._emit()
                        self._jput(("barrier", op[1], op[2]))
                    elif kind == E.FINISH:
                        self._emit()
                        self._jput(("rec", J.FINISH, E._dumps({"state": op[1]}).encode()))
            self._emit()

    def _emit(self) -> None:
        b = self._builder
        if b.empty():
            return
        for body, points in b.bodies():
            self._points_journaled += points
            self._jput(("log", body, points), len(body))
        b.reset()

    # The journal thread owns the JournalWriter: it gzips log bodies (zlib
    # releases the GIL, so this overlaps with encoding and with training),
    # appends records in the order they were handed over, flushes, and
    # wakes the sender.

    def _jput(self, item: Tuple[Any, ...], nbytes: int = 0) -> None:
        with self._jq_cond:
            # Bound the memory held between the encoder and the journal.
            while (self._jq_bytes > JOURNAL_QUEUE_BYTES and self._journal_error is None
                   and self._journal_thread.is_alive()):
                self._jq_cond.wait(0.5)
            self._jq.append(item)
            self._jq_bytes += nbytes
            self._jq_cond.notify_all()

    def _journal_loop(self) -> None:
        journal = self._journal
        closing = False
        while not closing:
            with self._jq_cond:
                if not self._jq:
                    self._jq_cond.wait(1.0)
                items = list(self._jq)
                self._jq.clear()
            barriers: List[threading.Event] = []
            for item in items:
                if item[0] == "close":
                    closing = True
                    continue
                self._journal_item(journal, item, barriers)
            if closing:
                try:
                    journal.close()
                except OSError as e:
                    _warn(f"run {self._run_id}: closing the journal failed: {e}")
            else:
                try:
                    journal.flush()  # fsyncs once a second while there is news
                except OSError:
                    pass
            if items or closing:
                self._written = journal.position
                self._sender_wake.set()
            for ev in barriers:
                ev.set()

    def _journal_item(self, journal: J.JournalWriter, item: Tuple[Any, ...],
                      barriers: List[threading.Event]) -> None:
        """Appends one item and hands it to the OS. On a write error (disk
        full) it warns, waits and retries in a new segment, holding the data
        in memory meanwhile; only a run that is closing gives up, after
        JOURNAL_GIVE_UP_S."""
        what = item[0]
        failing_since = None
        while True:
            try:
                if what == "log":
                    body = E.gzip_bytes(item[1]) if self._compress else item[1]
                    journal.append(J.LOG, J.log_payload(item[2], body))
                elif what == "rec":
                    journal.append(item[1], item[2])
                journal.flush(fsync=False)
                if what == "barrier":
                    item[2].append(journal.position)
                    barriers.append(item[1])
                break
            except OSError as e:
                now = time.monotonic()
                if failing_since is None:
                    failing_since = now
                if self._journal_error is None:
                    _warn(f"run {self._run_id}: cannot write the journal in {self._session_dir}: {e}. "
                          "Logging goes on; data waits in memory until the disk works again.")
                self._journal_error = str(e)
                if self._stopping and now - failing_since > JOURNAL_GIVE_UP_S:
                    _warn(f"run {self._run_id}: giving up on the journal ({e}); "
                          f"{item[2] if what == 'log' else 1} queued points or records are lost")
                    break
                time.sleep(1.0)
                journal.abandon_segment()
        if self._journal_error is not None and failing_since is not None:
            self._journal_error = None
            _warn(f"run {self._run_id}: the journal is writable again")
        if what == "log":
            with self._jq_cond:
                self._jq_bytes -= len(item[1])
                self._jq_cond.notify_all()

    def _files_loop(self) -> None:
        while True:
            self._file_wake.wait(1.0)
            self._file_wake.clear()
            while self._file_q:
                op = self._file_q[0]
                try:
                    self._copy_file(op)
                except OSError as e:
                    _warn(f"run {self._run_id}: could not copy file for {op[1]!r}: {e}; not logged")
                self._file_q.popleft()
            self._files_idle.set()
            if self._stopping and not self._file_q:
                return

    def _copy_file(self, op: Tuple[Any, ...]) -> None:
        _, path, step, src, name = op
        assert self._session_dir is not None
        rel = f"blobs/{uuid.uuid4().hex}"
        dst = os.path.join(self._session_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)  # made with the first file
        h = hashlib.sha256()
        size = 0
        with open(dst, "wb") as out:
            if isinstance(src, bytes):
                h.update(src)
                out.write(src)
                size = len(src)
            else:
                with open(src, "rb") as f:
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk:
                            break
                        h.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        rec = {"path": path, "step": step, "name": name, "blob": rel, "sha256": h.hexdigest(),
               "size": size}
        self._jput(("rec", J.FILE, E._dumps(rec).encode()))

    # ------------------------------------------------------------------
    # Sender

    def _sender_loop(self) -> None:
        assert self._session_dir is not None
        http = Http(self._url, self._token)
        up = Uploader(self._session_dir, self._meta, http, _warn, wake=self._sender_wake,
                      ack_thread=True, notify=self._on_send_trouble)
        self._uploader = up
        try:
            while True:
                limit = self._written
                status = up.run(limit)
                with self._ack_cond:
                    self._acked = up.pos
                    self._points_acked = up.points_sent
                    self._ack_cond.notify_all()
                if status == FATAL:
                    if not self._stopping:  # else close() says it
                        self._fatal_warned = True
                        _warn(f"run {self._project}/{self._run_id}: {up.fatal}. Nothing more is sent; "
                              f"the journal keeps everything in {self._session_dir}")
                    return
                if status == DONE and self._stopping and not self._writer_alive() \
                        and up.pos >= self._written:
                    return
                if status != DONE:  # TIMEOUT: close() gave up
                    return
                self._sender_wake.wait(1.0)
                self._sender_wake.clear()
        finally:
            up.close()
            http.close()
            self._sender_done.set()
            with self._ack_cond:
                self._ack_cond.notify_all()

    def _on_send_trouble(self, why: Optional[str]) -> None:
        """Says once that the server is away (the sender retries quietly
        after that), and once that it is back."""
        if self._stopping:
            return  # close() shows the upload's progress and its errors itself
        if why is not None and not self._away_warned:
            self._away_warned = True
            _warn(f"run {self._project}/{self._run_id}: cannot send to {self._url}: {why}. "
                  f"Logging goes on: the data is safe in the local journal ({self._session_dir}) "
                  "and will be sent when the server answers; retrying in the background.")
        elif why is None and self._away_warned and not self._back_said:
            self._back_said = True
            _warn(f"run {self._project}/{self._run_id}: the server answers again; sending the journal")

    def _writer_alive(self) -> bool:
        return self._journal_thread.is_alive()

    # ------------------------------------------------------------------
    # Monitoring

    def _capture(self, stream_name: str) -> None:
        path = f"monitoring/{stream_name}"
        self._types[path] = "string_series"

        def on_line(line: str, path: str = path) -> None:
            if self._closed:
                return
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                line = line.encode("utf-8", "replace").decode("utf-8")
            step, ts = self._clock.step()
            self._q.append((E.S, step, ts, {path: line}))

        tee = _monitor.Tee(getattr(sys, stream_name), on_line)
        setattr(sys, stream_name, tee)
        self._tees.append((stream_name, tee))

    def _uncapture(self) -> None:
        for stream_name, tee in reversed(self._tees):
            tee.detach()
            if getattr(sys, stream_name) is tee:
                setattr(sys, stream_name, tee._sextant_original)
        self._tees = []

    def _monitor_loop(self, system: bool, heartbeat: bool, source: bool, interval: float) -> None:
        start = time.monotonic()
        sampler = _monitor.SystemSampler() if system else None
        if heartbeat:
            self._log_monitoring({"monitoring/heartbeat": 0.0})
        if source:
            try:
                ctx = _monitor.source_context()
                if not self._closed:
                    self.log_configs(ctx)
            except RunClosedError:
                pass
            except Exception as e:  # noqa: BLE001 - monitoring never stops a run
                _warn(f"run {self._run_id}: could not read the source context: {e}")
        while not self._monitor_stop.wait(interval):
            values: Dict[str, float] = {}
            if sampler is not None:
                try:
                    values.update(sampler.sample())
                except Exception:  # noqa: BLE001
                    sampler = None
            if heartbeat:
                values["monitoring/heartbeat"] = round(time.monotonic() - start, 3)
            if values and not self._closed:
                self._log_monitoring(values)

    def _log_monitoring(self, values: Dict[str, float]) -> None:
        keys = tuple(values)
        for k in keys:
            if self._types.get(k) is None:
                self._types[k] = "float_series"
        step, ts = self._clock.step()
        self._q.append((0, step, ts, keys, tuple(values.values())))

    # ------------------------------------------------------------------
    # Flush and close

    def flush(self, *, timeout: Optional[float] = None) -> bool:
        """Waits until everything logged before this call is in the journal
        and, in async mode, acknowledged by the server. Returns False on
        timeout (nothing is lost: the journal keeps it)."""
        if self._mode == "disabled":
            return True
        if self._closed:
            return self._mode == "offline" or self._uploaded()
        deadline = None if timeout is None else time.monotonic() + timeout
        ev = threading.Event()
        holder: List[J.Pos] = []
        self._q.append((E.BARRIER, ev, holder))
        self._writer_wake.set()
        while self._file_q and not self._files_idle.wait(0.05):
            if deadline is not None and time.monotonic() > deadline:
                return False
        if not ev.wait(None if deadline is None else max(0.0, deadline - time.monotonic())):
            return False
        if self._mode != "async":
            return True
        target = max(holder[0], self._written)
        self._sender_wake.set()
        with self._ack_cond:
            while self._acked < target and not self._sender_done.is_set():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._ack_cond.wait(left if left is not None else 1.0)
            return self._acked >= target

    def _uploaded(self) -> bool:
        return self._mode == "async" and self._acked >= self._written

    def close(self, *, state: str = "finished", timeout: Optional[float] = None) -> bool:
        """Finishes the run: sets its state ("finished" or "failed"), writes
        what is queued to the journal and, in async mode, waits up to
        `timeout` seconds (default close_timeout) for the upload, printing
        progress on stderr. Returns True when everything is uploaded (async)
        or journaled (offline). Idempotent."""
        if state not in ("finished", "failed"):
            raise ValidationError(f"state must be 'finished' or 'failed', got {state!r}")
        if self._pid != os.getpid():
            return False  # a forked child: the parent owns the run and its threads
        if self._closed:
            return self._mode == "disabled" or self._mode == "offline" or self._uploaded()
        _unregister(self)
        self._uncapture()
        if self._mode == "disabled":
            self._closed = True
            self._q.clear()
            return True
        timeout = self._close_timeout if timeout is None else float(timeout)
        self._monitor_stop.set()
        if self._monitor_thread is not None:
            # It may still be reading the source context (git, packages).
            self._monitor_thread.join(MONITOR_JOIN_S)
        # Files first, so that the finish record comes after them.
        self._file_wake.set()
        while self._file_q and not self._files_idle.wait(0.1):
            pass
        if self._acc is not None:
            self._acc.closed = True  # no metric call may land behind the finish record
        self._closed = True
        self._q.append((E.FINISH, state))
        self._stopping = True
        self._writer_wake.set()
        self._file_wake.set()
        for t in self._threads:
            if t.name.startswith(("sextant-writer", "sextant-files", "sextant-journal")):
                t.join()
        ok = True
        if self._mode == "async":
            try:
                ok = self._wait_upload(timeout)
            except KeyboardInterrupt:
                _warn(f"run {self._project}/{self._run_id}: upload interrupted; everything is kept "
                      f"in {self._session_dir}: run `sextant sync` to upload it")
                raise
        else:
            _warn(f"offline run {self._project}/{self._run_id} saved in {self._session_dir}; "
                  "upload it with `sextant sync`")
        if self._sender_lock is not None:
            self._sender_lock.release()
        self._writer_lock.release()
        if ok and self._mode == "async" and not self._keep_journal:
            assert self._session_dir is not None
            remove_session(self._session_dir, self._journal_root)
        return ok

    def _wait_upload(self, timeout: float) -> bool:
        start = time.monotonic()
        deadline = start + timeout
        up = self._uploader
        if up is not None:
            up.deadline = deadline
        self._sender_wake.set()
        stream = _monitor.real_stream(sys.stderr)
        tty = bool(getattr(stream, "isatty", lambda: False)())
        shown = False
        last_line = 0.0
        while not self._sender_done.wait(0.25):
            if up is None and self._uploader is not None:
                # close() came right after the run started, before the sender
                # thread had built its uploader: give that one the deadline.
                up = self._uploader
                up.deadline = deadline
            now = time.monotonic()
            if now > deadline + 2.0:
                break  # the sender is stuck in a request to a stalled server: stop waiting
            if now - start < 1.0 or (not tty and now - last_line < 5.0):
                continue
            total = max(self._points_journaled, 1)
            acked = self._points_acked
            err = up.last_error if up is not None else None
            line = (f"sextant: uploading run {self._run_id}: {acked:,}/{self._points_journaled:,} "
                    f"points ({100.0 * acked / total:.0f}%), {deadline - now:.0f}s left"
                    + (f" — retrying: {err}" if err else ""))
            try:
                stream.write(("\r" + line[:200].ljust(100)) if tty else line + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass
            shown = True
            last_line = now
        if shown and tty:
            try:
                stream.write("\n")
            except (OSError, ValueError):
                pass
        up = self._uploader
        done = self._acked >= self._written and up is not None and not up.fatal
        if not done:
            elapsed = time.monotonic() - start
            keep = (f"Nothing is lost: it is kept in {self._session_dir}. Run `sextant sync` "
                    "(or `python -m sextant sync`) to upload it")
            run = f"run {self._project}/{self._run_id}"
            if up is not None and up.fatal:
                # Refused, not timed out: say so, and when (often at once).
                why = "see above" if self._fatal_warned else up.fatal
                _warn(f"{run}: not uploaded, the server refused it after {elapsed:.1f}s ({why}). "
                      f"{keep} once that is fixed.")
            else:
                why = up.last_error if up is not None else "the sender stopped"
                _warn(f"{run}: could not upload everything in {elapsed:.0f}s ({why}). {keep}.")
        return done

    def _fail(self, exc: BaseException) -> None:
        """Records an uncaught exception and closes the run as failed."""
        if self._closed:
            return
        if self._capture_traceback:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            try:
                self.log_configs({"monitoring/traceback": _monitor._truncate_utf8(text, 512 << 10)})
            except Exception:  # noqa: BLE001
                pass
        self.close(state="failed")

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            self._fail(exc)
        else:
            self.close()


Run._log_metrics_acc.__doc__ = Run.log_metrics.__doc__


# --------------------------------------------------------------------------
# Process-wide: close open runs at exit, mark them failed on a crash.

_open_runs: "weakref.WeakSet[Run]" = weakref.WeakSet()
_hooks_installed = False
_prev_excepthook = None


def _register(run: Run) -> None:
    global _hooks_installed, _prev_excepthook
    _open_runs.add(run)
    if not _hooks_installed:
        _hooks_installed = True
        _prev_excepthook = sys.excepthook
        sys.excepthook = _excepthook
        atexit.register(_close_all)


def _unregister(run: Run) -> None:
    _open_runs.discard(run)


def _excepthook(exc_type: Any, exc: BaseException, tb: Any) -> None:
    if _prev_excepthook is not None:
        _prev_excepthook(exc_type, exc, tb)
    for run in list(_open_runs):
        try:
            run._fail(exc)
        except Exception:  # noqa: BLE001
            pass


def _after_fork_in_child() -> None:
    # Threads do not survive fork: in a child (e.g. a DataLoader worker)
    # logging calls still validate but keep nothing, and the console is
    # given back; the parent's run is untouched.
    for run in list(_open_runs):
        run._q = deque(maxlen=0)
        run._file_q = deque(maxlen=0)
        if run._acc is not None:
            run._acc.discard = True
        for stream_name, tee in run._tees:
            tee._active = False
            if getattr(sys, stream_name) is tee:
                setattr(sys, stream_name, tee._sextant_original)
        run._tees = []
    _open_runs.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _close_all() -> None:
    for run in list(_open_runs):
        try:
            run.close()
        except Exception:  # noqa: BLE001
            pass

"""Neptune 1.x scripts on Sextant: change only the import line.

    from sextant import neptune          # was: import neptune

    with neptune.init_run(project="team/llm", name="baseline", tags=["a"]) as run:
        run["params"] = {"lr": 0.1, "opt": {"name": "adam"}}
        for step in range(100):
            run["train/loss"].append(1 / (step + 1), step=step)
        run["model"].upload("model.pt")
        print(run["params/lr"].fetch())

Each call maps onto `sextant.Run` (writing) and `sextant.Client` (reading).
Server and token come from Sextant's settings ($SEXTANT_URL,
$SEXTANT_API_TOKEN, $SEXTANT_PROJECT); $NEPTUNE_PROJECT, $NEPTUNE_API_TOKEN,
$NEPTUNE_MODE and $NEPTUNE_CUSTOM_RUN_ID are read too. A Neptune-style token
(base64 JSON with ``api_url`` and ``api_key``, as `sextant token create
--neptune` prints) gives the server URL and the Sextant token. Calls with no
Sextant equivalent raise NotImplementedError naming what to use instead.
See docs/python.md, "Neptune 1.x scripts".
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import glob
import io
import json
import os
import pickle
import re
import sys
import threading
import types as _types
import urllib.parse
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _encode as E
from ._client import Client
from ._errors import ApiError, SextantError, UnreachableError
from ._run import Run as _SextantRun
from ._validate import Histogram

__all__ = ["init_run", "Run", "File", "stringify_unsupported", "ANONYMOUS_API_TOKEN",
           "MissingFieldException", "types", "utils", "exceptions"]

ANONYMOUS_API_TOKEN = "ANONYMOUS"
# Neptune's modes -> Sextant's ("sync" also waits for the server after each call).
_MODES = {"async": "async", "sync": "async", "offline": "offline", "debug": "disabled",
          "read-only": None}
_SERIES_KINDS = ("float_series", "string_series", "histogram_series", "file_series")


def _unsupported(call: str, instead: str) -> NotImplementedError:
    return NotImplementedError(f"sextant.neptune: {call} is not supported; {instead}")


class MissingFieldException(SextantError, AttributeError, KeyError):
    """The run has no field (attribute or namespace) at this path."""

    def __init__(self, path: str, message: Optional[str] = None):
        super().__init__(message or f"the run has no field {path!r}")


# --------------------------------------------------------------------------
# Values: File, stringify_unsupported


class StringifyValue:
    """A value `stringify_unsupported` wrapped: stored as is when Sextant
    supports its type, else as str(value)."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def stringify_unsupported(value: Any, expand: bool = False) -> Any:
    """Neptune's helper: dicts stay dicts (keys made str), other values are
    wrapped so that unsupported ones are stored as text; with `expand`,
    lists, tuples and sets become {"0": ..., "1": ...}."""
    if isinstance(value, dict):
        return {str(k): stringify_unsupported(v, expand) for k, v in value.items()}
    if expand and isinstance(value, (list, tuple, set)):
        return {str(i): stringify_unsupported(v, True) for i, v in enumerate(value)}
    return StringifyValue(value)


class File:
    """A file to upload: `File("model.pt")`, or made by `from_path`,
    `from_content`, `from_stream`, `as_image`, `as_html` or `as_pickle`."""

    def __init__(self, path: Optional[str] = None, *, content: Optional[bytes] = None,
                 extension: Optional[str] = None):
        if (path is None) == (content is None):
            raise ValueError("File needs a path or content (one of them)")
        self.path = None if path is None else os.fspath(path)
        self.content = content
        ext = extension or (os.path.splitext(self.path)[1][1:] if self.path else "bin")
        self.extension = ext

    @staticmethod
    def from_path(path: str, *, extension: Optional[str] = None) -> "File":
        return File(path, extension=extension)

    @staticmethod
    def from_content(content: Any, *, extension: Optional[str] = None) -> "File":
        if isinstance(content, str):
            return File(content=content.encode("utf-8"), extension=extension or "txt")
        return File(content=bytes(content), extension=extension or "bin")

    @staticmethod
    def from_stream(stream: Any, *, seek: Optional[int] = 0, extension: Optional[str] = None) -> "File":
        if seek is not None:
            stream.seek(seek)
        return File.from_content(stream.read(), extension=extension)

    @staticmethod
    def as_image(image: Any, autoscale: bool = True) -> "File":
        """PIL images and matplotlib figures; numpy arrays and tensors
        (values in [0, 1] or [0, 255]) when Pillow is installed."""
        buf = io.BytesIO()
        if hasattr(image, "savefig"):
            image.savefig(buf, format="png", bbox_inches="tight")
        else:
            if not (hasattr(image, "save") and hasattr(image, "mode")):
                image = _array_to_pil(image, autoscale)
            image.save(buf, format="PNG")
        return File(content=buf.getvalue(), extension="png")

    @staticmethod
    def as_html(chart: Any, **kwargs: Any) -> "File":
        """Objects with `to_html()` (pandas DataFrames, plotly figures)."""
        if not hasattr(chart, "to_html"):
            raise _unsupported(f"File.as_html({type(chart).__name__})",
                               "write the HTML yourself and upload File.from_content(html, extension='html')")
        return File.from_content(chart.to_html(**kwargs), extension="html")

    @staticmethod
    def as_pickle(obj: Any) -> "File":
        return File(content=pickle.dumps(obj), extension="pkl")

    @staticmethod
    def create_from(value: Any) -> "File":
        if isinstance(value, File):
            return value
        if isinstance(value, (str, os.PathLike)):
            return File(os.fspath(value))
        if _is_image(value):
            return File.as_image(value)
        raise TypeError(f"cannot upload a {type(value).__name__}: pass a file path or a neptune File")

    def _name(self, path: str) -> str:
        """The stored file name: the file's own, or the field's with the extension."""
        if self.path is not None:
            return os.path.basename(self.path)
        return f"{path.rsplit('/', 1)[-1]}.{self.extension}"


def _is_image(v: Any) -> bool:
    return hasattr(v, "savefig") or (hasattr(v, "save") and hasattr(v, "mode"))


def _array_to_pil(image: Any, autoscale: bool) -> Any:
    try:
        import numpy as np  # noqa: PLC0415 - optional
        from PIL import Image  # noqa: PLC0415 - optional
    except ImportError:
        raise _unsupported(f"File.as_image({type(image).__name__}) without numpy and Pillow",
                           "save the image to a file and upload its path") from None
    if hasattr(image, "detach"):  # a torch tensor
        image = image.detach().cpu().numpy()
    arr = np.asarray(image)
    if autoscale and arr.dtype.kind == "f" and arr.size and arr.max() <= 1.0:
        arr = arr * 255.0
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(arr)


def _series_kind(v: Any) -> Optional[str]:
    """What `append` makes of a value, as Neptune decides it from the first one."""
    if isinstance(v, StringifyValue):
        return _series_kind(v.value) or "string_series"
    if isinstance(v, str):
        return "string_series"
    if isinstance(v, (File,)) or _is_image(v):
        return "file_series"
    if isinstance(v, Histogram):
        return "histogram_series"
    try:
        float(v)
        return "float_series"
    except (TypeError, ValueError):
        return None


def _warn_unsupported(path: str, v: Any) -> None:
    warnings.warn(f"sextant.neptune: {path!r}: a {type(v).__name__} is not a supported value; "
                  "nothing was logged (convert it, or wrap it in stringify_unsupported())",
                  stacklevel=4)


def _leaves(prefix: str, value: Any) -> Iterator[Tuple[str, Any]]:
    """(path, value) of every non-dict leaf; argparse.Namespace counts as a dict."""
    if hasattr(value, "_get_kwargs") and not isinstance(value, dict):
        value = vars(value)
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(f"{prefix}/{k}" if prefix else str(k), v)
    else:
        yield prefix, value


# --------------------------------------------------------------------------
# Settings


def _decode_token(token: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """(server URL or None, Sextant token or None) from an api_token."""
    if not token or token == ANONYMOUS_API_TOKEN:
        return None, None
    t = token.strip().replace("-", "+").replace("_", "/")
    try:
        data = json.loads(base64.b64decode(t + "=" * (-len(t) % 4), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None, token  # a plain Sextant token
    if not isinstance(data, dict) or not isinstance(data.get("api_key"), str):
        return None, token
    url = data.get("api_url") or data.get("api_address")
    return (url if isinstance(url, str) and url else None), data["api_key"] or None


# --------------------------------------------------------------------------
# Run and Handler


class Run:
    """A Neptune 1.x run backed by a `sextant.Run` (`init_run` is this class).

    `with_id` and `custom_run_id` both name the Sextant run id (resume);
    monitoring options map onto Sextant's capture flags; options that only
    tune Neptune's client (proxies, callbacks, monitoring_namespace, ...)
    are accepted and ignored.
    """

    def __init__(self, with_id: Optional[str] = None, *, project: Optional[str] = None,
                 api_token: Optional[str] = None, custom_run_id: Optional[str] = None,
                 mode: Optional[str] = None, name: Optional[str] = None,
                 description: Optional[str] = None, tags: Any = None,
                 capture_stdout: Optional[bool] = None, capture_stderr: Optional[bool] = None,
                 capture_hardware_metrics: Optional[bool] = None, capture_traceback: bool = True,
                 flush_period: Optional[float] = None, git_ref: Any = None,
                 source_files: Any = None, fail_on_exception: bool = True,
                 monitoring_namespace: Optional[str] = None, proxies: Optional[dict] = None,
                 dependencies: Any = None, async_lag_callback: Any = None,
                 async_lag_threshold: Optional[float] = None, async_no_progress_callback: Any = None,
                 async_no_progress_threshold: Optional[float] = None):
        if with_id is not None and custom_run_id is not None:
            raise ValueError("init_run: give with_id (resume) or custom_run_id, not both")
        mode = mode or os.environ.get("NEPTUNE_MODE") or "async"
        if mode not in _MODES:
            raise ValueError(f"init_run: mode must be one of {', '.join(_MODES)}; got {mode!r}")
        self._mode = mode
        run_id = with_id or custom_run_id or os.environ.get("NEPTUNE_CUSTOM_RUN_ID") or None
        url, token = _decode_token(api_token if api_token is not None else (
            os.environ.get("SEXTANT_API_TOKEN") or os.environ.get("NEPTUNE_API_TOKEN")))
        self._url = os.environ.get("SEXTANT_URL") or url
        self._token = token
        project = project or os.environ.get("SEXTANT_PROJECT") or os.environ.get("NEPTUNE_PROJECT")
        self._lock = threading.Lock()
        self._last_step: Dict[str, float] = {}   # per series: implicit steps count from here
        self._sets: Dict[str, set] = {}          # string sets other than sys/tags
        self._client: Optional[Client] = None
        self._run: Optional[_SextantRun] = None
        if mode == "read-only":
            if run_id is None:
                raise ValueError("init_run: mode='read-only' needs with_id (an existing run id)")
            self._project, self._run_id = project or "", run_id
            self._client_().run(self._project, run_id)  # raises when it does not exist
            return
        stored = self._stored(project, run_id, with_id is not None) \
            if run_id is not None and mode in ("async", "sync") else {}
        capture = {k: True if v is None else v for k, v in (
            ("capture_stdout", capture_stdout), ("capture_stderr", capture_stderr),
            ("capture_system_metrics", capture_hardware_metrics))}
        self._run = _SextantRun(project=project, run_id=run_id, name=name, mode=_MODES[mode],
                                url=self._url, token=token, capture_source=git_ref is not False,
                                capture_traceback=capture_traceback,
                                **({"flush_interval": flush_period} if flush_period else {}), **capture)
        self._project, self._run_id, self._url = self._run.project, self._run.run_id, self._run.url
        for path, a in stored.items():  # resuming: implicit steps go on where the run left off
            if a.get("type") in _SERIES_KINDS and a.get("last_step") is not None:
                self._last_step[path] = a["last_step"]
            elif a.get("type") == "string_set" and path != "sys/tags":
                self._sets[path] = set(a.get("value") or [])
        if description is not None:
            self._run.log_configs({"sys/description": description})
        if tags:
            self._run.add_tags(tags)

    def _stored(self, project: Optional[str], run_id: str, must_exist: bool) -> Dict[str, Any]:
        """The stored attributes of a run being resumed ({} for a new one).
        `with_id` must name an existing run, as in Neptune."""
        try:
            return self._client_().attributes(project or "", run_id)
        except ApiError as e:
            if e.status == 404 and must_exist:
                raise MissingFieldException("sys/id", f"no run {run_id!r} in {project} to resume "
                                            "(with_id must name an existing run)") from None
            if e.status != 404:
                raise
        except UnreachableError as e:
            warnings.warn(f"sextant.neptune: cannot read run {run_id} to resume it ({e}); "
                          "series without explicit steps start again at step 0", stacklevel=3)
        return {}

    # -- plumbing ---------------------------------------------------------

    def _client_(self) -> Client:
        if self._client is None:
            self._client = Client(url=self._url, token=self._token)
        return self._client

    def _writer(self) -> _SextantRun:
        if self._run is None:
            raise SextantError(f"run {self._run_id} was opened with mode='read-only'")
        return self._run

    def _done(self, wait: bool) -> None:
        if wait or self._mode == "sync":
            self._writer().flush()

    def _step(self, path: str, step: Any) -> Any:
        """The step to log at: `step`, or one more than the series' highest so far."""
        with self._lock:
            last = self._last_step.get(path)
            if step is None:
                step = 0 if last is None else last + 1
            if last is None or step > last:
                self._last_step[path] = step
            return step

    def _reader(self) -> Client:
        if self._mode in ("offline", "debug"):
            raise SextantError(f"fetching needs the server; this run's mode is {self._mode!r}")
        if self._run is not None and not self._run.closed:
            self._run.flush(timeout=60)  # read what this script wrote
        return self._client_()

    # -- Neptune's container API ------------------------------------------

    @property
    def sextant_run(self) -> Optional[_SextantRun]:
        """The underlying `sextant.Run` (None in read-only mode)."""
        return self._run

    def __getitem__(self, path: str) -> "Handler":
        return Handler(self, path)

    def __setitem__(self, path: str, value: Any) -> None:
        Handler(self, path).assign(value)

    def __delitem__(self, path: str) -> None:
        self.pop(path)

    def assign(self, value: Any, *, wait: bool = False) -> None:
        Handler(self, "").assign(value, wait=wait)

    def fetch(self) -> dict:
        return Handler(self, "").fetch()

    def exists(self, path: str) -> bool:
        try:
            Handler(self, path)._attributes()
            return True
        except MissingFieldException:
            return False

    def wait(self, *, disk_only: bool = False) -> None:
        if self._run is not None and not self._run.closed:
            self._run.flush()

    def sync(self, *, wait: bool = True) -> None:
        self.wait()

    def stop(self, *, seconds: Optional[float] = None) -> None:
        if self._run is not None:
            self._run.close(timeout=seconds)
        if self._client is not None:
            self._client.close()

    def get_state(self) -> str:
        return "stopped" if self._run is None or self._run.closed else "started"

    def get_url(self) -> str:
        return f"{self._url}/#/p/{self._project}/r/{urllib.parse.quote(self._run_id, safe='')}"

    get_run_url = get_url

    def pop(self, path: str, *, wait: bool = False) -> None:
        raise _unsupported(f"deleting a field (pop/del {path!r})", "Sextant keeps every field; "
                           "write new values under another path")

    def get_structure(self) -> Dict[str, Any]:
        raise _unsupported("get_structure()", "list the run's fields with "
                           "sextant.Client().attributes(project, run_id)")

    print_structure = get_structure

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._run is not None:
            self._run.__exit__(exc_type, exc, tb)  # failed (with its traceback) on an exception

    def __repr__(self) -> str:
        return f"<sextant.neptune.Run {self._project}/{self._run_id} mode={self._mode}>"


init_run = Run

# Field methods of Neptune with no Sextant equivalent: name -> what to do instead.
_UNSUPPORTED_FIELD_CALLS = {
    "pop": "Sextant keeps every field",
    "track_files": "upload the files (upload / upload_files) or log their paths as strings",
    "delete_files": "Sextant keeps every file",
    "list_fileset_files": "use sextant.Client().attributes(project, run_id, pattern='^path/')",
    "fetch_files_list": "use sextant.Client().attributes(project, run_id)",
    "fetch_hash": "use sextant.Client().attributes(project, run_id)[path]['digest']",
}


class Handler:
    """`run["some/path"]`: a field or a namespace."""

    def __init__(self, run: Run, path: str):
        self._r = run
        self._path = path.strip("/")

    def __getitem__(self, path: str) -> "Handler":
        return Handler(self._r, self._join(path))

    def __setitem__(self, path: str, value: Any) -> None:
        Handler(self._r, self._join(path)).assign(value)

    def __getattr__(self, name: str) -> Any:
        if name in _UNSUPPORTED_FIELD_CALLS:
            raise _unsupported(f"{name}() on {self._path!r}", _UNSUPPORTED_FIELD_CALLS[name])
        raise AttributeError(f"neptune field {self._path!r} has no method {name!r}")

    def _join(self, sub: str) -> str:
        return f"{self._path}/{sub.strip('/')}" if self._path else sub.strip("/")

    def __repr__(self) -> str:
        return f"<sextant.neptune field {self._path!r}>"

    # -- writing ------------------------------------------------------------

    def assign(self, value: Any, *, wait: bool = False) -> None:
        """Configs; dicts (and argparse namespaces) become nested paths; a
        `File` (or image) is uploaded."""
        run = self._r._writer()
        configs: Dict[str, Any] = {}
        for path, v in _leaves(self._path, value):
            if isinstance(v, StringifyValue):
                v = v.value if isinstance(v.value, (bool, int, float, str, _dt.datetime)) else str(v.value)
            if isinstance(v, File) or _is_image(v):
                self._upload(run, path, File.create_from(v), None)
            elif isinstance(v, (bool, int, float, str, _dt.datetime)):
                configs[path] = v
            elif isinstance(v, Handler):
                raise _unsupported("copying a field (run['a'] = run['b'])", "assign run['b'].fetch()")
            elif _series_kind(v) == "float_series":
                configs[path] = float(v)  # numpy / torch scalars
            else:
                _warn_unsupported(path, v)
        if configs:
            run.log_configs(configs)
        self._r._done(wait)

    def upload(self, value: Any, *, wait: bool = False, **kwargs: Any) -> None:
        self._upload(self._r._writer(), self._path, File.create_from(value), None)
        self._r._done(wait)

    def upload_files(self, value: Any, *, wait: bool = False) -> None:
        """Each file (globs and folders expanded) becomes a file field
        `<path>/<relative path>`: Sextant has no file sets."""
        run = self._r._writer()
        for pattern in [value] if isinstance(value, str) else value:
            for hit in sorted(glob.glob(pattern, recursive=True)):
                base = os.path.dirname(os.path.abspath(hit).rstrip(os.sep))
                files = [hit] if os.path.isfile(hit) else [
                    os.path.join(d, f) for d, _, fs in os.walk(hit) for f in sorted(fs)]
                for f in files:
                    rel = os.path.relpath(os.path.abspath(f), base).replace(os.sep, "/")
                    self._upload(run, f"{self._path}/{rel}", File(f), None)
        self._r._done(wait)

    @staticmethod
    def _upload(run: _SextantRun, path: str, f: File, step: Any) -> None:
        # The public assign_files / log_files name in-memory files after the
        # path's last segment; Neptune adds the extension, so set the name here.
        src, name = run._file_source(path, f.content if f.content is not None else f.path,
                                     "file" if step is None else "file_series")
        if f.content is not None:
            name = f._name(path)
        run._put_file((E.FILE, path, None if step is None else run._step_slow(step), src, name))

    def append(self, value: Any, *, step: Optional[float] = None, timestamp: Optional[float] = None,
               wait: bool = False, **kwargs: Any) -> None:
        """One point per series; a dict appends to each of its leaves."""
        if type(value) is float or type(value) is int:  # the common case, kept short
            self._r._writer().log_metrics({self._path: value}, step=self._r._step(self._path, step),
                                          timestamp=timestamp)
            return self._r._done(wait)
        for path, v in _leaves(self._path, value):
            self._log(path, [v], None if step is None else [step],
                      None if timestamp is None else [timestamp])
        self._r._done(wait)

    def extend(self, values: Any, *, steps: Any = None, timestamps: Any = None,
               wait: bool = False, **kwargs: Any) -> None:
        for path, vs in _leaves(self._path, values):
            self._log(path, list(vs.value if isinstance(vs, StringifyValue) else vs), steps, timestamps)
        self._r._done(wait)

    def log(self, value: Any, *, step: Optional[float] = None, timestamp: Optional[float] = None,
            wait: bool = False, **kwargs: Any) -> None:
        """Neptune's older `append`: a list or tuple logs each item."""
        if isinstance(value, (list, tuple, set)):
            if step is not None and len(value) > 1:
                raise ValueError("log(): a list of values cannot share one explicit step")
            self.extend(list(value), steps=None if step is None else [step],
                        timestamps=None if timestamp is None else [timestamp] * len(value), wait=wait)
        else:
            self.append(value, step=step, timestamp=timestamp, wait=wait)

    def _log(self, path: str, values: List[Any], steps: Any, timestamps: Any) -> None:
        steps = None if steps is None else list(steps)  # numpy arrays, pandas Series
        timestamps = None if timestamps is None else list(timestamps)
        for what, xs in (("steps", steps), ("timestamps", timestamps)):
            if xs is not None and len(xs) != len(values):
                raise ValueError(f"the number of {what} ({len(xs)}) must equal the number of values "
                                 f"({len(values)})")
        if not values:
            return
        kind = _series_kind(values[0])
        if kind is None:
            return _warn_unsupported(path, values[0])
        run = self._r._writer()
        for i, v in enumerate(values):
            if isinstance(v, StringifyValue):
                v = v.value if _series_kind(v.value) == kind else str(v.value)
            step = self._r._step(path, None if steps is None else steps[i])
            ts = None if timestamps is None else timestamps[i]
            if kind == "float_series":
                run.log_metrics({path: v}, step=step, timestamp=ts)
            elif kind == "string_series":
                run.log_string_series({path: v}, step=step, timestamp=ts)
            elif kind == "histogram_series":
                run.log_histograms({path: v}, step=step, timestamp=ts)
            else:
                self._upload(run, path, File.create_from(v), step)

    def add(self, values: Any, *, wait: bool = False) -> None:
        """String sets: sys/tags, or any other path (kept whole on each change)."""
        self._set_change(values, add=True)
        self._r._done(wait)

    def remove(self, values: Any, *, wait: bool = False) -> None:
        self._set_change(values, add=False)
        self._r._done(wait)

    def clear(self, *, wait: bool = False) -> None:
        if self._path != "sys/tags" and self._path not in self._r._sets:
            raise _unsupported(f"clear() on {self._path!r}", "Sextant series cannot be emptied; "
                               "log to a new path")
        current = self.fetch() if self._path == "sys/tags" else set(self._r._sets[self._path])
        self.remove(sorted(current), wait=wait)

    def _set_change(self, values: Any, add: bool) -> None:
        items = [values] if isinstance(values, str) else list(values)
        run = self._r._writer()
        if self._path == "sys/tags":
            return run.add_tags(items) if add else run.remove_tags(items)
        with self._r._lock:
            s = self._r._sets.setdefault(self._path, set())
            s.update(items) if add else s.difference_update(items)
            snapshot = set(s)
        run.log_configs({self._path: snapshot})

    # -- reading ------------------------------------------------------------

    def _attributes(self) -> Dict[str, Dict[str, Any]]:
        """The stored attributes at this path and under it (MissingFieldException if none)."""
        r = self._r
        pattern = "" if not self._path else f"^{re.escape(self._path)}(/|$)"
        attrs = r._reader().attributes(r._project, r._run_id, pattern=pattern or None)
        if not attrs and self._path:
            raise MissingFieldException(self._path)
        return attrs

    def fetch(self) -> Any:
        """A field's value, or a namespace's atom values as a nested dict."""
        r = self._r
        if self._path in ("sys/id", "sys/custom_run_id"):
            return r._run_id
        if self._path in ("sys/name", "sys/state"):
            info = r._reader().run(r._project, r._run_id)
            if self._path == "sys/name":
                return info.get("name") or ""
            return "Active" if info.get("state") == "running" else "Inactive"
        if self._path == "sys/tags":
            a = r._reader().attributes(r._project, r._run_id, pattern="^sys/tags$").get("sys/tags")
            return set(a["value"]) if a else set()
        attrs = self._attributes()
        if self._path in attrs:
            a = attrs[self._path]
            if a["type"] in _SERIES_KINDS or a["type"] == "file":
                raise _unsupported(f"fetch() on the {a['type']} {self._path!r}",
                                   "use fetch_last() or fetch_values() (series), download() (files)")
            return _atom(a)
        out: Dict[str, Any] = {}
        skip = len(self._path) + 1 if self._path else 0
        for path, a in sorted(attrs.items()):
            if a["type"] in _SERIES_KINDS or a["type"] == "file":
                continue
            *parents, leaf = path[skip:].split("/")
            node: Any = out
            for p in parents:
                node = node.setdefault(p, {}) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node[leaf] = _atom(a)
        return out

    def _series_attr(self) -> Dict[str, Any]:
        a = self._attributes().get(self._path)
        if a is None or a["type"] not in _SERIES_KINDS:
            raise MissingFieldException(self._path, f"{self._path!r} is not a series of this run")
        return a

    def fetch_last(self) -> Any:
        return self._series_attr().get("last_value")

    def fetch_values(self, *, include_timestamp: bool = True, progress_bar: Any = None) -> Any:
        """step, value[, timestamp] rows: a pandas DataFrame when pandas is
        installed, else a list of dicts."""
        self._series_attr()
        r = self._r
        s = r._client_().series(r._project, r._run_id, self._path)[0]
        rows: List[Dict[str, Any]] = []
        for step, value, ts in zip(s["steps"], s["values"], s["timestamps"]):
            row = {"step": step, "value": value}
            if include_timestamp:
                row["timestamp"] = _dt.datetime.fromtimestamp(ts)
            rows.append(row)
        try:
            import pandas as pd  # noqa: PLC0415 - optional
        except ImportError:
            return rows
        return pd.DataFrame(rows, columns=["step", "value"] + (["timestamp"] if include_timestamp else []))

    def download(self, destination: Optional[str] = None, progress_bar: Any = None) -> str:
        a = self._attributes().get(self._path)
        if a is None or a["type"] != "file":
            raise _unsupported(f"download() on {self._path!r} (not a file field)",
                               "download_last() for a file series, or "
                               "sextant.Client().download(project, run_id, path, step=...)")
        r = self._r
        return r._client_().download(r._project, r._run_id, self._path, destination or ".")

    def download_last(self, destination: Optional[str] = None) -> str:
        a = self._series_attr()
        r = self._r
        return r._client_().download(r._project, r._run_id, self._path, destination or ".",
                                     step=a["last_step"])


def _atom(a: Dict[str, Any]) -> Any:
    t, v = a["type"], a.get("value")
    if t == "datetime" and isinstance(v, str):
        return _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if t == "string_set":
        return set(v or [])
    return v


# --------------------------------------------------------------------------
# Neptune's other entry points and submodules


def stop_synchronization_callback(neptune_object: Any) -> None:
    """Neptune's callback for lagging uploads; Sextant journals instead, so it does nothing."""


def _no_equivalent(name: str, instead: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise _unsupported(f"neptune.{name}()", instead)
    call.__name__ = name
    return call


init_project = _no_equivalent("init_project", "read runs with sextant.Client().runs(project); "
                              "Sextant has no project-level fields")
init_model = Model = _no_equivalent("init_model", "log the model to a run (upload) and tag it")
init_model_version = ModelVersion = _no_equivalent(
    "init_model_version", "log each model version as a run, or as files of one run")


def _submodule(name: str, **attrs: Any) -> _types.ModuleType:
    """`sextant.neptune.types` and friends, for `from sextant.neptune.types import File`."""
    m = _types.ModuleType(f"{__name__}.{name}")
    m.__dict__.update(attrs)
    sys.modules[m.__name__] = m
    return m


types = _submodule("types", File=File)
utils = _submodule("utils", stringify_unsupported=stringify_unsupported,
                   stop_synchronization_callback=stop_synchronization_callback)
exceptions = _submodule("exceptions", NeptuneException=SextantError,
                        MissingFieldException=MissingFieldException)

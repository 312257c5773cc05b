"""`sextant import mlflow PATH_OR_URL`: MLflow runs, from one of three
inputs, told apart by PATH_OR_URL:

- ``http(s)://…``: a running tracking server, read through its REST API 2.0
  (experiments/search, runs/search, metrics/get-history, artifacts/list,
  get-artifact); credentials as the mlflow client takes them
  (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and _PASSWORD). See
  mlflow_rest.py.
- a folder holding ``experiment.json`` (or ``experiments.json``, or a single
  ``run.json``): the output of mlflow-export-import. See mlflow_files.py.
- any other folder: MLflow's file store (``mlruns/``, what
  ``file:`` tracking URIs write). See mlflow_files.py.

Every MLflow run becomes one Sextant run and looks exactly as if it had
been logged through Sextant's MLflow endpoint (docs/mlflow.md):

| MLflow | Sextant |
| --- | --- |
| run id (32 hex) | the run id (kept as is; safe_run_id otherwise) |
| run name (``mlflow.runName``) | the run's name |
| experiment name | the run's experiment name, and its source project for ``--map NAME=WS/PROJ`` |
| experiment tags | the tags of the Sextant project's experiment on the MLflow endpoint (project properties ``mlflow.tag.<key>``), see mlflow_experiment_tags.py |
| start_time (ms) | the run's creation time |
| end_time (ms) of an ended run | the run's end (its final state change: MLflow's end_time on Sextant's endpoint), also kept as the datetime config ``import/end_time`` |
| status | FINISHED → finished, FAILED → failed, KILLED → failed plus the config ``tags/mlflow.sextant.killed`` = "true", RUNNING / SCHEDULED → left running |
| param ``K`` | string config ``params/K`` |
| tag ``K`` (``mlflow.user``, ``mlflow.note.content``, ``mlflow.parentRunId`` …) | string config ``tags/K``; a run without an ``mlflow.user`` tag gets its ``user_id`` there, as the endpoint does at creation. A parent run is only this tag, never a fork |
| metric ``K`` | float series ``K``: step = MLflow's step, timestamp = its milliseconds / 1000 |
| dataset input | string config ``datasets/<FNV-1a of name and digest>`` holding the DatasetInput JSON the endpoint stores |
| artifact ``a/b.txt`` | the file ``artifacts/a/b.txt`` (file name ``b.txt``) |
| MLflow 3 logged model ``m-…`` | a run of the same id, as Sextant's MLflow endpoint keeps one: its name, ``mlflow-model`` in ``sys/tags``, configs ``model/status`` (``LOGGED_MODEL_READY`` …), ``model/source_run_id`` and ``model/model_type``, its params, tags and metrics as a run's, its artifacts as ``artifacts/…``; READY is a finished run, UPLOAD_FAILED a failed one, PENDING a running one |

What cannot be represented is reported, never dropped silently: MLflow keeps
every value logged at one step, Sextant one per step, so the last by
timestamp is kept (ties: the one logged last) and the count of the others is
reported per metric; steps at or beyond ±9e12 and timestamps outside years
1970–9999 are reported and skipped; keys that are no valid Sextant paths
(``a//b``, ``/a``, metrics under ``sys/``) are reported and skipped.
Deleted runs (only imported with ``--include-deleted``) go to Sextant's
trash. Logged models are imported from the file store and from a tracking
server; mlflow-export-import's output has none.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
from collections import Counter
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .._errors import UnreachableError, ValidationError
from .._http import resolve_token, resolve_url
from .._validate import path as _check_path
from ._report import Report
from ._source import SourceError, SourceRun, safe_run_id
from ._writer import RunWriter, iso_utc
from .mlflow_experiment_tags import ExperimentTags

NAME = "mlflow"
HELP = "MLflow runs: a tracking server (http://…), an mlruns/ folder, or mlflow-export-import output"

STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
STATES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "failed",
          "RUNNING": "running", "SCHEDULED": "running"}
KILLED_TAG = "tags/mlflow.sextant.killed"
END_TIME = "import/end_time"
RUN_NAME_TAG = "mlflow.runName"
MAX_STEP = 9e12
MAX_TS_MS = 253402300799 * 1000
MODEL_TAG = "mlflow-model"
# A logged model's status (the file store's number or the REST name) → the
# name Sextant's endpoint keeps, and the run status it stands for.
MODEL_STATUS = {1: "LOGGED_MODEL_PENDING", 2: "LOGGED_MODEL_READY", 3: "LOGGED_MODEL_UPLOAD_FAILED"}
MODEL_RUN_STATUS = {"LOGGED_MODEL_PENDING": "RUNNING", "LOGGED_MODEL_READY": "FINISHED",
                    "LOGGED_MODEL_UPLOAD_FAILED": "FAILED"}

# One metric: (timestamps in ms, values, steps) in logging order.
Rows = Tuple[List[int], List[float], List[int]]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--experiment", action="append", default=[], metavar="NAME_OR_ID",
                   help="import only this experiment (by name or id; repeatable)")
    p.add_argument("--include-deleted", action="store_true",
                   help="also import deleted runs (MLflow's lifecycle_stage 'deleted'); "
                        "they come in as active runs")


class RunInfo:
    """What listing a run gives; the rest is read by `load` in write()."""
    __slots__ = ("run_id", "experiment_id", "experiment_name", "name", "start_time", "end_time",
                 "status", "lifecycle", "user_id", "fingerprint", "points_hint", "experiment_tags")

    def __init__(self, run_id: str, experiment_id: str, experiment_name: str, *, name: str = "",
                 start_time: Optional[int] = None, end_time: Optional[int] = None,
                 status: str = "FINISHED", lifecycle: str = "active", user_id: str = "",
                 fingerprint: str = "", points_hint: Optional[int] = None,
                 experiment_tags: Optional[Dict[str, str]] = None):
        self.run_id, self.experiment_id, self.experiment_name = run_id, experiment_id, experiment_name
        self.name, self.start_time, self.end_time = name, start_time, end_time
        self.status, self.lifecycle, self.user_id = status, lifecycle, user_id
        self.fingerprint, self.points_hint = fingerprint, points_hint
        # Shared by the runs of one experiment.
        self.experiment_tags = experiment_tags or {}


class RunData:
    """A run's contents, read when it is written. Sources override these."""

    def params(self, skip) -> Dict[str, str]:
        return {}

    def tags(self, skip) -> Dict[str, str]:
        return {}

    def metrics(self, skip) -> Iterator[Tuple[str, Rows]]:
        """(key, rows) per metric; corrupt rows are reported through skip."""
        return iter(())

    def datasets(self, skip) -> List[Tuple[List[Tuple[str, str]], Dict[str, Any]]]:
        """Dataset inputs: (tags, dataset fields)."""
        return []

    def artifacts(self, skip) -> Iterator[Tuple[str, Any]]:
        """(relative path, local path or binary file object) per artifact."""
        return iter(())

    def model_fields(self) -> Optional[Dict[str, str]]:
        """For an MLflow 3 logged model, its status, source_run_id and
        model_type (the configs model/<field>); None for a run."""
        return None


def model_status(v: Any) -> str:
    """A logged model's status as Sextant's endpoint names it."""
    if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
        return MODEL_STATUS.get(int(v), "LOGGED_MODEL_PENDING")
    s = str(v or "").upper()
    return s if s in MODEL_RUN_STATUS else "LOGGED_MODEL_PENDING"


def wanted(selectors: Sequence[str], exp_id: str, exp_name: str) -> bool:
    return not selectors or exp_id in selectors or exp_name in selectors


def open_source(path: str, args: argparse.Namespace, report: Report) -> Iterable[SourceRun]:
    from . import mlflow_files
    selectors = list(args.experiment or [])
    include_deleted = bool(args.include_deleted)
    if path.startswith(("http://", "https://")):
        from . import mlflow_rest
        listed = mlflow_rest.list_runs(path, selectors, include_deleted, report)
    else:
        listed = mlflow_files.list_runs(path, selectors, include_deleted, report)
    tags = ExperimentTags(resolve_url(getattr(args, "url", None)),
                          resolve_token(getattr(args, "token", None)), report)
    out = [source_run(info, data, tags) for info, data in listed]
    if not out and selectors:
        raise SourceError(f"{path}: no run in the experiments {', '.join(selectors)}")
    return out


def end_time(info: RunInfo) -> Optional[_dt.datetime]:
    """An ended run's end time (MLflow keeps none while a run is running)."""
    ms = info.end_time
    if ms is None or STATES.get(info.status) == "running" or not 0 < ms <= MAX_TS_MS:
        return None
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(milliseconds=ms)


def source_run(info: RunInfo, data: RunData, tags: ExperimentTags) -> SourceRun:
    state = STATES.get(info.status, "finished")
    created = info.start_time / 1000 if info.start_time and 0 < info.start_time <= MAX_TS_MS else None
    ended = end_time(info)
    return SourceRun(
        source_id=info.run_id, run_id=safe_run_id(info.run_id),
        write=lambda w: write_run(w, info, data, tags),
        project=info.experiment_name or None, name=info.name,
        experiment_name=info.experiment_name, created_at=created, state=state,
        ended_at=ended.timestamp() if ended is not None else None,
        points_hint=info.points_hint, fingerprint=info.fingerprint)


# -- writing one run ----------------------------------------------------------------


def _valid(w: RunWriter, path: str, what: str, *, series: bool = False) -> bool:
    try:
        _check_path(path, series=series)
        return True
    except ValidationError as e:
        w.skip(what, f"not a valid Sextant path: {e}")
        return False


def write_run(w: RunWriter, info: RunInfo, data: RunData, tags: Optional[ExperimentTags] = None) -> None:
    if tags is not None:
        tags.apply(w, info.experiment_id, info.experiment_name, info.experiment_tags)
    ended = end_time(info)
    if ended is not None:
        w.config(END_TIME, iso_utc(ended))
    for k, v in data.params(w.skip).items():
        if _valid(w, "params/" + k, f"param {k!r}"):
            w.config("params/" + k, v)
    run_tags = dict(data.tags(w.skip))
    if info.user_id and "mlflow.user" not in run_tags:
        run_tags["mlflow.user"] = info.user_id
    for k, v in run_tags.items():
        if k == RUN_NAME_TAG:
            continue  # the run's name
        if _valid(w, "tags/" + k, f"tag {k!r}"):
            w.config("tags/" + k, v)
    if info.status == "KILLED":
        w.config(KILLED_TAG, "true")
    fields = data.model_fields()
    if fields is not None:
        w.tags([MODEL_TAG])
        for k, v in fields.items():
            if v:
                w.config("model/" + k, v)
    for ds_tags, ds in data.datasets(w.skip):
        key, text = dataset_config(ds_tags, ds)
        if key is None:
            w.skip(f"dataset input {ds.get('name')!r}", "it has no name or no digest")
        else:
            w.config(key, text)
    for key, rows in data.metrics(w.skip):
        write_metric(w, key, rows)
    for rel, source in data.artifacts(w.skip):
        path = "artifacts/" + rel
        if _valid(w, path, f"artifact {rel!r}"):
            try:
                w.file(path, source, name=rel.rsplit("/", 1)[-1])
            except UnreachableError:
                raise
            except OSError as e:  # the local file (a dangling link, no permission)
                w.skip(f"artifact {rel!r}", f"unreadable: {e}")
    if info.lifecycle == "deleted":  # into Sextant's trash, as it was in MLflow's
        w.flag("sys/trashed", True)


def write_metric(w: RunWriter, key: str, rows: Rows) -> None:
    ts, vals, steps = rows
    if not steps or not _valid(w, key, f"metric {key!r}", series=True):
        return
    n = len(steps)
    increasing = all(steps[i] < steps[i + 1] for i in range(n - 1))
    if not increasing:
        best: Dict[int, int] = {}
        for i, s in enumerate(steps):
            j = best.get(s)
            if j is None or ts[i] >= ts[j]:
                best[s] = i
        order = [best[s] for s in sorted(best)]
        collapsed = n - len(order)
        if collapsed:
            at = sum(1 for c in Counter(steps).values() if c > 1)
            w.skip(f"metric {key!r}", f"{collapsed} of its {n} values were logged at a step "
                   f"that has another value ({at} steps): Sextant keeps one value per step, "
                   f"the last by timestamp")
        ts = [ts[i] for i in order]
        vals = [vals[i] for i in order]
        steps = [steps[i] for i in order]
    bad = [i for i in range(len(steps))
           if not -MAX_STEP < steps[i] < MAX_STEP or not 0 <= ts[i] <= MAX_TS_MS]
    if bad:
        w.skip(f"metric {key!r}", f"{len(bad)} values with a step at or beyond ±9e12 or a timestamp "
               f"outside 1970–9999 (first: step {steps[bad[0]]}, timestamp {ts[bad[0]]} ms)")
        drop = set(bad)
        keep = [i for i in range(len(steps)) if i not in drop]
        ts = [ts[i] for i in keep]
        vals = [vals[i] for i in keep]
        steps = [steps[i] for i in keep]
    if steps:
        w.points(key, steps, vals, [t / 1000 for t in ts])


# -- dataset inputs, as the MLflow endpoint stores them ---------------------------------

_DATASET_FIELDS = ("name", "digest", "source_type", "source", "schema", "profile")


def _json_string(s: str) -> str:
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c < 0x20:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dataset_config(tags: List[Tuple[str, str]], ds: Dict[str, Any]) -> Tuple[Optional[str], str]:
    """(config path, JSON) of a dataset input, byte for byte what the
    endpoint's log-inputs stores; path None without a name or digest."""
    parts = ['{"tags":[']
    parts.append(",".join('{"key":%s,"value":%s}' % (_json_string(str(k)), _json_string(str(v)))
                          for k, v in tags))
    parts.append('],"dataset":{')
    fields = [f"{_json_string(f)}:{_json_string(str(ds[f]))}"
              for f in _DATASET_FIELDS if ds.get(f) is not None]
    parts.append(",".join(fields) + "}}")
    name, digest = ds.get("name"), ds.get("digest")
    if not name or not digest:
        return None, ""
    h = 1469598103934665603
    for b in (str(name) + "\0" + str(digest)).encode("utf-8"):
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"datasets/{h:016x}", "".join(parts)


# -- helpers shared by the readers -------------------------------------------------------


def digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:32]

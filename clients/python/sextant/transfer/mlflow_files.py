"""MLflow runs from folders (see mlflow.py for the mapping).

The file store (``mlruns/``, what ``file:`` tracking URIs write)::

    <exp_id>/meta.yaml                 experiment_id, name, lifecycle_stage, …
    <exp_id>/tags/<key>                experiment tags: the file's content is the value
    <exp_id>/datasets/<id>/meta.yaml   name, digest, source_type, source, schema, profile
    <exp_id>/models/<model_id>/        MLflow 3 logged models: meta.yaml (model_id, name,
                                       source_run_id, model_type, status 1..3,
                                       creation_timestamp, last_updated_timestamp,
                                       artifact_location), params/, tags/, artifacts/, and
                                       metrics/ whose lines end with the run id
    <exp_id>/<run_id>/meta.yaml        run_id, run_name, start_time / end_time (ms),
                                       status 1..5 (RUNNING, SCHEDULED, FINISHED, FAILED,
                                       KILLED), lifecycle_stage, user_id, artifact_uri
    <exp_id>/<run_id>/metrics/<key>    one line per value: "<timestamp ms> <value> <step>"
                                       (older files: no step, meaning 0); a key with '/'
                                       is a nested folder
    <exp_id>/<run_id>/params/<key>     the file's content is the value
    <exp_id>/<run_id>/tags/<key>       likewise (mlflow.runName, mlflow.note.content, …)
    <exp_id>/<run_id>/inputs/<id>/meta.yaml   source_type DATASET, source_id, tags
    <exp_id>/<run_id>/artifacts/…      the artifacts (else artifact_uri, when local)
    .trash/<exp_id>/…                  deleted experiments

mlflow-export-import's output::

    experiment.json          {"mlflow": {"experiment": {experiment_id, name, tags, …},
                              "runs": [run ids]}}  (older releases: no "mlflow" level)
    [runs/]<run_id>/run.json {"mlflow": {"info": {run_id, run_name, status, start_time,
                              end_time, lifecycle_stage, user_id, …}, "params": {k: v},
                              "metrics": {k: [{"value", "timestamp", "step"}, …]},
                              "tags": {k: v}, "inputs": …}}
    [runs/]<run_id>/artifacts/…
  (``export-experiments`` writes one such folder per experiment under PATH.)
"""
from __future__ import annotations

import json
import os
import urllib.parse
from itertools import repeat
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ._report import Report
from ._source import SourceError, need
from .mlflow import MODEL_RUN_STATUS, STATUS_NAMES, RunData, RunInfo, Rows, digest, model_status, wanted

# -- shared -------------------------------------------------------------------------------


def _tree_stats(root: Path) -> List[Tuple[str, int, int]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            out.append((os.path.relpath(p, root), st.st_size, st.st_mtime_ns))
    return out


def _walk_files(root: Path) -> Iterator[Tuple[str, Path]]:
    """(key with '/', path) of every file under root, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            p = Path(dirpath) / f
            yield p.relative_to(root).as_posix(), p


def _artifacts(root: Path) -> Iterator[Tuple[str, Any]]:
    if root.is_dir():
        for rel, p in _walk_files(root):
            yield rel, str(p)


def _status(v: Any) -> str:
    if isinstance(v, int):
        return STATUS_NAMES.get(v, "FINISHED")
    s = str(v or "FINISHED").upper()
    return s if s in STATUS_NAMES.values() else "FINISHED"


def _int(v: Any) -> Optional[int]:
    try:
        return None if v is None or v == "" else int(v)
    except (TypeError, ValueError):
        return None


def _local_path(uri: str) -> Optional[Path]:
    if uri.startswith("file:"):
        return Path(urllib.parse.unquote(urllib.parse.urlsplit(uri).path))
    if uri and "://" not in uri and ":" not in uri.split("/", 1)[0]:
        return Path(uri)
    return None


def _deleted_note(report: Report, n: int) -> None:
    if n:
        report.skip(f"{n} deleted runs", "not imported (give --include-deleted to import them)")


def list_runs(path: str, selectors: List[str], include_deleted: bool,
              report: Report) -> List[Tuple[RunInfo, RunData]]:
    root = _local_path(path) or Path(path)
    if not root.is_dir():
        raise SourceError(f"{path}: no such folder (give an mlruns/ folder, mlflow-export-import "
                          f"output, or a tracking server's http:// URL)")
    exports = _export_folders(root)
    if exports:
        return _list_export(root, exports, selectors, include_deleted, report)
    return _list_file_store(root, selectors, include_deleted, report)


# -- the file store ----------------------------------------------------------------------


def _yaml(p: Path) -> Dict[str, Any]:
    yaml = need("yaml", "import")
    with open(p, "rb") as f:
        d = yaml.safe_load(f)
    if not isinstance(d, dict):
        raise ValueError("not a YAML mapping")
    return d


def _list_file_store(root: Path, selectors: List[str], include_deleted: bool,
                     report: Report) -> List[Tuple[RunInfo, RunData]]:
    if (root / "meta.yaml").is_file() and not (root / "0").is_dir():
        exp_dirs = [(root, False)]  # one experiment's folder
    else:
        exp_dirs = [(d, False) for d in sorted(root.iterdir()) if d.is_dir() and d.name != ".trash"]
        trash = root / ".trash"
        if include_deleted and trash.is_dir():
            exp_dirs += [(d, True) for d in sorted(trash.iterdir()) if d.is_dir()]
    out: List[Tuple[RunInfo, RunData]] = []
    deleted = 0
    found_any = False
    for d, trashed in exp_dirs:
        meta_path = d / "meta.yaml"
        if not meta_path.is_file():
            continue
        try:
            meta = _yaml(meta_path)
        except Exception as e:  # noqa: BLE001 - corrupt YAML of any kind
            report.skip(f"experiment folder {d}", f"unreadable meta.yaml: {e}")
            continue
        if "experiment_id" not in meta:
            continue
        found_any = True
        exp_id, name = str(meta.get("experiment_id")), str(meta.get("name") or "")
        if not wanted(selectors, exp_id, name):
            continue
        exp_deleted = trashed or meta.get("lifecycle_stage") == "deleted"
        exp_tags = _experiment_tags(d / "tags", name, report)
        for md in sorted((d / "models").iterdir()) if (d / "models").is_dir() else ():
            model = _logged_model(md, d, exp_id, name, exp_deleted, exp_tags, report)
            if model is None:
                continue
            if model[0].lifecycle == "deleted" and not include_deleted:
                deleted += 1
                continue
            out.append(model)
        for rd in sorted(d.iterdir()):
            rmeta_path = rd / "meta.yaml"
            if rd.name in ("tags", "datasets", "models", "traces") or not rmeta_path.is_file():
                continue
            try:
                rm = _yaml(rmeta_path)
                run_id = str(rm.get("run_id") or rm.get("run_uuid") or rd.name)
            except Exception as e:  # noqa: BLE001
                report.skip(f"run folder {rd}", f"unreadable meta.yaml: {e}")
                continue
            lifecycle = "deleted" if exp_deleted else str(rm.get("lifecycle_stage") or "active")
            if lifecycle == "deleted" and not include_deleted:
                deleted += 1
                continue
            name_tag = rd / "tags" / "mlflow.runName"
            run_name = str(rm.get("run_name") or "")
            if not run_name and name_tag.is_file():
                run_name = name_tag.read_text("utf-8", "replace")
            info = RunInfo(run_id, exp_id, name, name=run_name,
                           start_time=_int(rm.get("start_time")), end_time=_int(rm.get("end_time")),
                           status=_status(rm.get("status")), lifecycle=lifecycle,
                           user_id=str(rm.get("user_id") or ""),
                           fingerprint=digest(name, lifecycle, _tree_stats(rd)),
                           experiment_tags=exp_tags)
            out.append((info, FileStoreRun(rd, d, str(rm.get("artifact_uri") or ""))))
    if not found_any:
        raise SourceError(f"{root}: no MLflow experiment here (expected <id>/meta.yaml of an mlruns/ "
                          f"folder, or mlflow-export-import's experiment.json)")
    _deleted_note(report, deleted)
    return out


def _logged_model(md: Path, exp_dir: Path, exp_id: str, exp_name: str, exp_deleted: bool,
                  exp_tags: Dict[str, str], report: Report) -> Optional[Tuple[RunInfo, RunData]]:
    """An MLflow 3 logged model's folder as a run to import, or None (reported)."""
    try:
        m = _yaml(md / "meta.yaml")
    except Exception as e:  # noqa: BLE001 - a missing or corrupt meta.yaml of any kind
        report.skip(f"logged model folder {md}", f"unreadable meta.yaml: {e}")
        return None
    status = model_status(m.get("status"))
    lifecycle = "deleted" if exp_deleted or m.get("lifecycle_stage") == "deleted" else "active"
    info = RunInfo(str(m.get("model_id") or md.name), exp_id, exp_name,
                   name=str(m.get("name") or "model"),
                   start_time=_int(m.get("creation_timestamp")),
                   end_time=_int(m.get("last_updated_timestamp")),
                   status=MODEL_RUN_STATUS[status], lifecycle=lifecycle,
                   fingerprint=digest(exp_name, lifecycle, _tree_stats(md)),
                   experiment_tags=exp_tags)
    fields = {"status": status, "source_run_id": str(m.get("source_run_id") or ""),
              "model_type": str(m.get("model_type") or "")}
    return info, FileStoreModel(md, exp_dir, str(m.get("artifact_location") or ""), fields)


def _experiment_tags(base: Path, exp_name: str, report: Report) -> Dict[str, str]:
    out: Dict[str, str] = {}
    if base.is_dir():
        for key, p in _walk_files(base):
            v = _text(p, f"experiment {exp_name!r} tag {key!r}", report.skip)
            if v is not None:
                out[key] = v
    return out


def read_metric(p: Path, key: str, skip) -> Rows:
    ts: List[int] = []
    vals: List[float] = []
    steps: List[int] = []
    bad: List[str] = []
    with open(p, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    # Fast path: every line has exactly two spaces, so at most three tokens;
    # 3 tokens per line in all means exactly three on each.
    # A logged model's metric lines end with the run they were logged in:
    # four tokens, the same way.
    tokens = data.split()
    spaces = 2
    if len(tokens) == 4 * len(lines) and len(lines):
        spaces = 3
        del tokens[3::4]
    if len(tokens) == 3 * len(lines) and all(c == spaces for c in map(bytes.count, lines, repeat(b" "))):
        try:
            return (list(map(int, tokens[0::3])), list(map(float, tokens[1::3])),
                    list(map(int, tokens[2::3])))
        except ValueError:
            pass  # the careful way below says which lines
    for ln, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) in (3, 4):  # 4: a logged model's, with the run id last
                t, v, s = int(parts[0]), float(parts[1]), int(parts[2])
            elif len(parts) == 2:  # written before MLflow had steps
                t, v, s = int(parts[0]), float(parts[1]), 0
            else:
                raise ValueError
        except ValueError:
            bad.append(f"line {ln}: {line[:60].decode('utf-8', 'replace')!r}")
            continue
        ts.append(t)
        vals.append(v)
        steps.append(s)
    if bad:
        skip(f"metric {key!r}", f"{len(bad)} corrupt lines skipped ({'; '.join(bad[:3])}"
                                f"{' …' if len(bad) > 3 else ''}); the other {len(steps)} imported")
    return ts, vals, steps


def _text(p: Path, what: str, skip) -> Optional[str]:
    try:
        return p.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        skip(what, f"unreadable: {e}")
        return None


class FileStoreRun(RunData):
    def __init__(self, run_dir: Path, exp_dir: Path, artifact_uri: str):
        self.dir, self.exp_dir, self.artifact_uri = run_dir, exp_dir, artifact_uri

    def _kv(self, sub: str, what: str, skip) -> Dict[str, str]:
        out: Dict[str, str] = {}
        base = self.dir / sub
        if base.is_dir():
            for key, p in _walk_files(base):
                v = _text(p, f"{what} {key!r}", skip)
                if v is not None:
                    out[key] = v
        return out

    def params(self, skip) -> Dict[str, str]:
        return self._kv("params", "param", skip)

    def tags(self, skip) -> Dict[str, str]:
        return self._kv("tags", "tag", skip)

    def metrics(self, skip) -> Iterator[Tuple[str, Rows]]:
        base = self.dir / "metrics"
        if base.is_dir():
            for key, p in _walk_files(base):
                yield key, read_metric(p, key, skip)

    def datasets(self, skip) -> List[Tuple[List[Tuple[str, str]], Dict[str, Any]]]:
        out = []
        base = self.dir / "inputs"
        if not base.is_dir():
            return out
        for d in sorted(base.iterdir()):
            try:
                m = _yaml(d / "meta.yaml")
                if m.get("source_type") != "DATASET":
                    skip(f"input {d.name}", f"an input of type {m.get('source_type')!r} is not imported")
                    continue
                ds = _yaml(self.exp_dir / "datasets" / str(m.get("source_id")) / "meta.yaml")
            except Exception as e:  # noqa: BLE001
                skip(f"input {d.name}", f"unreadable: {e}")
                continue
            tags = [(str(k), str(v)) for k, v in (m.get("tags") or {}).items()]
            out.append((tags, ds))
        return out

    def artifacts(self, skip) -> Iterator[Tuple[str, Any]]:
        local = self.dir / "artifacts"
        if not local.is_dir():
            p = _local_path(self.artifact_uri)
            if p is not None and p.is_dir():
                local = p
            elif self.artifact_uri and p is None:
                skip("artifacts", f"stored at {self.artifact_uri}, not in this folder: import "
                                  f"from the tracking server's URL to get them")
                return
        yield from _artifacts(local)
        if (self.dir / "outputs").is_dir():
            skip("outputs", "the run's output links are not imported (each logged model it "
                            "produced keeps this run in model/source_run_id)")


class FileStoreModel(FileStoreRun):
    """A logged model's folder: laid out as a run's, plus its model fields."""

    def __init__(self, model_dir: Path, exp_dir: Path, artifact_uri: str, fields: Dict[str, str]):
        super().__init__(model_dir, exp_dir, artifact_uri)
        self.fields = fields

    def model_fields(self) -> Optional[Dict[str, str]]:
        return self.fields


# -- mlflow-export-import -----------------------------------------------------------------


def _export_folders(root: Path) -> List[Path]:
    """Folders holding experiment.json (or run.json, for export-run)."""
    if (root / "experiment.json").is_file() or (root / "run.json").is_file():
        return [root]
    found = sorted(p.parent for p in root.glob("*/experiment.json"))
    found += sorted(p.parent for p in root.glob("experiments/*/experiment.json"))
    return found


def _load_json(p: Path) -> Dict[str, Any]:
    with open(p, "rb") as f:
        d = json.load(f)
    if not isinstance(d, dict):
        raise ValueError("not a JSON object")
    return d


def _pairs(v: Any) -> Dict[str, str]:
    """{k: v} from a dict or a list of {"key", "value"}."""
    if isinstance(v, dict):
        return {str(k): "" if x is None else str(x) for k, x in v.items()}
    out: Dict[str, str] = {}
    for e in v or []:
        if isinstance(e, dict) and "key" in e:
            out[str(e["key"])] = "" if e.get("value") is None else str(e["value"])
    return out


def _list_export(root: Path, folders: List[Path], selectors: List[str], include_deleted: bool,
                 report: Report) -> List[Tuple[RunInfo, RunData]]:
    out: List[Tuple[RunInfo, RunData]] = []
    deleted = 0
    for folder in folders:
        exp: Dict[str, Any] = {}
        run_dirs: List[Path] = []
        if (folder / "experiment.json").is_file():
            try:
                d = _load_json(folder / "experiment.json")
                exp = (d.get("mlflow") or d).get("experiment") or {}
            except (OSError, ValueError) as e:
                report.skip(f"{folder / 'experiment.json'}", f"unreadable: {e}")
                continue
            run_dirs = sorted({p.parent for p in folder.glob("*/run.json")} |
                              {p.parent for p in folder.glob("runs/*/run.json")})
        else:
            run_dirs = [folder]
        exp_id, exp_name = str(exp.get("experiment_id") or ""), str(exp.get("name") or "")
        if exp and not wanted(selectors, exp_id, exp_name):
            continue
        exp_tags = _pairs(exp.get("tags"))
        for rd in run_dirs:
            try:
                d = _load_json(rd / "run.json")
                m = d.get("mlflow") or d
                info = m.get("info") or {}
                run_id = str(info.get("run_id") or info.get("run_uuid") or rd.name)
            except (OSError, ValueError, AttributeError) as e:
                report.skip(f"{rd / 'run.json'}", f"unreadable: {e}")
                continue
            rid_exp = str(info.get("experiment_id") or exp_id)
            if not exp and not wanted(selectors, rid_exp, exp_name):
                continue
            lifecycle = "deleted" if exp.get("lifecycle_stage") == "deleted" else \
                str(info.get("lifecycle_stage") or "active")
            if lifecycle == "deleted" and not include_deleted:
                deleted += 1
                continue
            tags = _pairs(m.get("tags"))
            ri = RunInfo(run_id, rid_exp, exp_name,
                         name=str(info.get("run_name") or tags.get("mlflow.runName") or ""),
                         start_time=_int(info.get("start_time")), end_time=_int(info.get("end_time")),
                         status=_status(info.get("status")), lifecycle=lifecycle,
                         user_id=str(info.get("user_id") or ""),
                         fingerprint=digest(exp_name, lifecycle, _tree_stats(rd)),
                         experiment_tags=exp_tags)
            out.append((ri, ExportRun(rd, m)))
    _deleted_note(report, deleted)
    return out


class ExportRun(RunData):
    def __init__(self, run_dir: Path, m: Dict[str, Any]):
        self.dir, self.m = run_dir, m

    def params(self, skip) -> Dict[str, str]:
        return _pairs(self.m.get("params"))

    def tags(self, skip) -> Dict[str, str]:
        return _pairs(self.m.get("tags"))

    def metrics(self, skip) -> Iterator[Tuple[str, Rows]]:
        metrics = self.m.get("metrics") or {}
        if isinstance(metrics, list):  # [{"key", "value", "timestamp", "step"}]: last values only
            grouped: Dict[str, List[Any]] = {}
            for e in metrics:
                if isinstance(e, dict) and "key" in e:
                    grouped.setdefault(str(e["key"]), []).append(e)
            metrics = grouped
        for key, hist in metrics.items():
            yield str(key), history_rows(str(key), hist, skip)

    def datasets(self, skip) -> List[Tuple[List[Tuple[str, str]], Dict[str, Any]]]:
        return dataset_inputs(self.m.get("inputs"))

    def artifacts(self, skip) -> Iterator[Tuple[str, Any]]:
        return _artifacts(self.dir / "artifacts")


def history_rows(key: str, hist: Any, skip) -> Rows:
    """A metric's history from JSON: [{"value", "timestamp", "step"}, …]."""
    ts: List[int] = []
    vals: List[float] = []
    steps: List[int] = []
    bad: List[str] = []
    if not isinstance(hist, list):
        hist = [{"value": hist, "timestamp": None, "step": 0}]
    for i, e in enumerate(hist):
        try:
            v = float(e["value"])
            t = int(e["timestamp"]) if e.get("timestamp") is not None else 0
            s = int(e.get("step") or 0)
        except (KeyError, TypeError, ValueError, AttributeError):
            bad.append(f"#{i}: {str(e)[:60]!r}")
            continue
        ts.append(t)
        vals.append(v)
        steps.append(s)
    if bad:
        skip(f"metric {key!r}", f"{len(bad)} corrupt values skipped ({'; '.join(bad[:3])}"
                                f"{' …' if len(bad) > 3 else ''}); the other {len(steps)} imported")
    return ts, vals, steps


def dataset_inputs(inputs: Any) -> List[Tuple[List[Tuple[str, str]], Dict[str, Any]]]:
    """Dataset inputs from the REST API's RunInputs JSON."""
    out = []
    if isinstance(inputs, dict):
        for di in inputs.get("dataset_inputs") or []:
            if not isinstance(di, dict) or not isinstance(di.get("dataset"), dict):
                continue
            tags = [(str(t.get("key")), str(t.get("value") or "")) for t in di.get("tags") or []
                    if isinstance(t, dict)]
            out.append((tags, di["dataset"]))
    return out

"""MLflow runs from a running tracking server, through its REST API 2.0
with the standard library only (see mlflow.py for the mapping):

- ``POST experiments/search`` (paged; ``view_type`` ALL with --include-deleted):
  each experiment's id, name and tags
- ``POST runs/search`` per experiment (paged): each run's info, params, tags,
  the latest metric values (their keys) and dataset inputs
- ``GET metrics/get-history`` per metric (paged with ``max_results`` and
  ``page_token``): every logged value, with its timestamp and step
- ``GET artifacts/list`` (recursive, paged) and ``GET /get-artifact?path=&run_uuid=``;
  servers without that route (proxied ``mlflow-artifacts:`` roots) are read
  through ``/api/2.0/mlflow-artifacts/artifacts/<root>/<path>``.
- MLflow 3 logged models: ``POST logged-models/search`` per experiment
  (paged; each model's info, params and metrics), ``GET
  logged-models/<id>/artifacts/directories`` (per folder) and ``GET
  /ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files`` for their
  artifacts. A server older than MLflow 3 (no such route) has none.

Credentials as the mlflow client takes them: MLFLOW_TRACKING_TOKEN (bearer),
or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (basic);
MLFLOW_TRACKING_INSECURE_TLS=true skips certificate checks and
MLFLOW_TRACKING_SERVER_CERT_PATH names a CA bundle.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple

from ._report import Report
from ._source import SourceError
from .mlflow import MODEL_RUN_STATUS, STATUS_NAMES, RunData, RunInfo, Rows, digest, model_status, wanted
from .mlflow_files import dataset_inputs, history_rows

PAGE = 1000
MODEL_PAGE = 100
HISTORY_PAGE = 25_000
RETRIES = 4


class MlflowHttpError(SourceError):
    """An error answer; while a run is written it fails that run (the next
    import retries it)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code = status, code


class Rest:
    def __init__(self, url: str):
        self.base = url.rstrip("/")
        self.headers = {"User-Agent": "sextant-import"}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user, pw = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif user is not None and pw is not None:
            cred = base64.b64encode(f"{user}:{pw}".encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = f"Basic {cred}"
        self.ctx: Optional[ssl.SSLContext] = None
        if self.base.startswith("https:"):
            if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
                self.ctx = ssl._create_unverified_context()  # noqa: S323 - the user asked for it
            else:
                self.ctx = ssl.create_default_context(cafile=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH"))

    def _open(self, method: str, target: str, body: Optional[bytes] = None) -> Any:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        delay = 0.5
        for attempt in range(RETRIES + 1):
            req = urllib.request.Request(self.base + target, data=body, method=method, headers=headers)
            try:
                return urllib.request.urlopen(req, timeout=300, context=self.ctx)
            except urllib.error.HTTPError as e:
                raw = e.read()
                if e.code in (429, 500, 502, 503, 504) and attempt < RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                code, msg = "", raw[:300].decode("utf-8", "replace")
                try:
                    j = json.loads(raw)
                    code, msg = str(j.get("error_code", "")), str(j.get("message", msg))
                except (ValueError, AttributeError):
                    pass
                raise MlflowHttpError(e.code, code, msg) from None
            except (urllib.error.URLError, OSError) as e:
                if attempt < RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise SourceError(f"{self.base}: cannot reach the tracking server ({e})") from None
        raise AssertionError("unreachable")

    def call(self, method: str, endpoint: str, args: Dict[str, Any]) -> Dict[str, Any]:
        target = "/api/2.0/mlflow/" + endpoint
        if method == "GET":
            q = urllib.parse.urlencode({k: v for k, v in args.items() if v is not None})
            resp = self._open("GET", target + ("?" + q if q else ""))
        else:
            resp = self._open(method, target, json.dumps(args).encode("utf-8"))
        with resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}

    def download(self, target: str) -> IO[bytes]:
        f = tempfile.SpooledTemporaryFile(max_size=32 << 20)
        with self._open("GET", target) as resp:
            shutil.copyfileobj(resp, f, 1 << 20)
        f.seek(0)
        return f


def _paged(rest: Rest, method: str, endpoint: str, args: Dict[str, Any], key: str) -> Iterator[Dict[str, Any]]:
    token = None
    while True:
        a = dict(args)
        if token:
            a["page_token"] = token
        r = rest.call(method, endpoint, a)
        yield from r.get(key) or []
        token = r.get("next_page_token")
        if not token:
            return


def list_runs(url: str, selectors: List[str], include_deleted: bool,
              report: Report) -> List[Tuple[RunInfo, RunData]]:
    rest = Rest(url)
    view = "ALL" if include_deleted else "ACTIVE_ONLY"
    try:
        exps = list(_paged(rest, "POST", "experiments/search", {"max_results": PAGE, "view_type": view},
                           "experiments"))
    except MlflowHttpError as e:
        raise SourceError(f"{url}: experiments/search failed: {e}") from None
    out: List[Tuple[RunInfo, RunData]] = []
    deleted = 0
    for exp in exps:
        exp_id, name = str(exp.get("experiment_id", "")), str(exp.get("name", ""))
        if not wanted(selectors, exp_id, name):
            continue
        exp_tags = _pairs(exp.get("tags"))
        exp_deleted = exp.get("lifecycle_stage") == "deleted"
        try:
            runs = list(_paged(rest, "POST", "runs/search",
                               {"experiment_ids": [exp_id], "max_results": PAGE, "run_view_type": "ALL"},
                               "runs"))
        except MlflowHttpError as e:
            report.skip(f"experiment {name!r}", f"runs/search failed: {e}")
            continue
        for run in runs:
            info = run.get("info") or {}
            run_id = str(info.get("run_id") or info.get("run_uuid") or "")
            if not run_id:
                report.skip(f"a run of experiment {name!r}", "it has no run_id")
                continue
            lifecycle = "deleted" if exp_deleted else str(info.get("lifecycle_stage") or "active")
            if lifecycle == "deleted" and not include_deleted:
                deleted += 1
                continue
            status = info.get("status", "FINISHED")
            if isinstance(status, int):
                status = STATUS_NAMES.get(status, "FINISHED")
            ri = RunInfo(run_id, exp_id, name, name=str(info.get("run_name") or ""),
                         start_time=_int(info.get("start_time")), end_time=_int(info.get("end_time")),
                         status=str(status), lifecycle=lifecycle, user_id=str(info.get("user_id") or ""),
                         fingerprint=digest(name, json.dumps(run, sort_keys=True)),
                         experiment_tags=exp_tags)
            out.append((ri, RestRun(rest, run_id, str(info.get("artifact_uri") or ""), run)))
        out += _list_models(rest, exp_id, name, exp_tags, report)
    if deleted:
        report.skip(f"{deleted} deleted runs", "not imported (give --include-deleted to import them)")
    return out


def _list_models(rest: Rest, exp_id: str, exp_name: str, exp_tags: Dict[str, str],
                 report: Report) -> List[Tuple[RunInfo, RunData]]:
    """The experiment's logged models as runs to import (none before MLflow 3)."""
    try:
        models = list(_paged(rest, "POST", "logged-models/search",
                             {"experiment_ids": [exp_id], "max_results": MODEL_PAGE}, "models"))
    except MlflowHttpError as e:
        if e.status in (404, 405) or e.code == "ENDPOINT_NOT_FOUND":
            return []  # an MLflow 2 server: no logged models
        report.skip(f"experiment {exp_name!r}: logged models", f"logged-models/search failed: {e}")
        return []
    out: List[Tuple[RunInfo, RunData]] = []
    for m in models:
        info = m.get("info") or {}
        model_id = str(info.get("model_id") or "")
        if not model_id:
            report.skip(f"a logged model of experiment {exp_name!r}", "it has no model_id")
            continue
        status = model_status(info.get("status"))
        ri = RunInfo(model_id, exp_id, exp_name, name=str(info.get("name") or "model"),
                     start_time=_int(info.get("creation_timestamp_ms")),
                     end_time=_int(info.get("last_updated_timestamp_ms")),
                     status=MODEL_RUN_STATUS[status],
                     fingerprint=digest(exp_name, json.dumps(m, sort_keys=True)),
                     experiment_tags=exp_tags)
        fields = {"status": status, "source_run_id": str(info.get("source_run_id") or ""),
                  "model_type": str(info.get("model_type") or "")}
        out.append((ri, RestModel(rest, model_id, m, fields)))
    return out


def _int(v: Any) -> Optional[int]:
    try:
        return None if v is None or v == "" else int(v)
    except (TypeError, ValueError):
        return None


def _pairs(v: Any) -> Dict[str, str]:
    return {str(e["key"]): str(e.get("value") or "") for e in v or [] if isinstance(e, dict) and "key" in e}


class RestRun(RunData):
    def __init__(self, rest: Rest, run_id: str, artifact_uri: str, run: Dict[str, Any]):
        self.rest, self.run_id, self.artifact_uri, self.run = rest, run_id, artifact_uri, run
        self._proxy = False

    def params(self, skip) -> Dict[str, str]:
        return _pairs((self.run.get("data") or {}).get("params"))

    def tags(self, skip) -> Dict[str, str]:
        return _pairs((self.run.get("data") or {}).get("tags"))

    def metrics(self, skip) -> Iterator[Tuple[str, Rows]]:
        keys = sorted({str(m["key"]) for m in (self.run.get("data") or {}).get("metrics") or []
                       if isinstance(m, dict) and "key" in m})
        for key in keys:
            hist = list(_paged(self.rest, "GET", "metrics/get-history",
                               {"run_id": self.run_id, "metric_key": key, "max_results": HISTORY_PAGE},
                               "metrics"))
            yield key, history_rows(key, hist, skip)

    def datasets(self, skip) -> List[Tuple[List[Tuple[str, str]], Dict[str, Any]]]:
        return dataset_inputs(self.run.get("inputs"))

    def _list(self, path: str) -> Iterator[Dict[str, Any]]:
        args: Dict[str, Any] = {"run_id": self.run_id}
        if path:
            args["path"] = path
        for f in _paged(self.rest, "GET", "artifacts/list", args, "files"):
            if f.get("is_dir"):
                yield from self._list(str(f["path"]))
            else:
                yield f

    def _proxy_target(self, rel: str) -> str:
        root = urllib.parse.urlsplit(self.artifact_uri).path.strip("/")
        return "/api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(f"{root}/{rel}")

    def _proxy_list(self, rel: str) -> Iterator[Dict[str, Any]]:
        root = urllib.parse.urlsplit(self.artifact_uri).path.strip("/")
        q = urllib.parse.urlencode({"path": f"{root}/{rel}".rstrip("/")})
        with self.rest._open("GET", f"/api/2.0/mlflow-artifacts/artifacts?{q}") as resp:
            files = (json.loads(resp.read() or b"{}")).get("files") or []
        for f in files:
            p = f"{rel}/{f['path']}" if rel else str(f["path"])
            if f.get("is_dir"):
                yield from self._proxy_list(p)
            else:
                yield {"path": p, "file_size": f.get("file_size")}

    def artifacts(self, skip) -> Iterator[Tuple[str, Any]]:
        try:
            files = list(self._list(""))
        except MlflowHttpError as e:
            if not (self.artifact_uri.startswith("mlflow-artifacts:") and e.status in (404, 405)):
                raise
            self._proxy = True
            files = list(self._proxy_list(""))
        for entry in files:
            rel = str(entry["path"])
            f = self._fetch(rel)
            try:
                yield rel, f
            finally:
                f.close()

    def _fetch(self, rel: str) -> IO[bytes]:
        if not self._proxy:
            q = urllib.parse.urlencode({"path": rel, "run_uuid": self.run_id})
            try:
                return self.rest.download(f"/get-artifact?{q}")
            except MlflowHttpError as e:
                if not (self.artifact_uri.startswith("mlflow-artifacts:") and e.status in (404, 405)):
                    raise
                self._proxy = True
        return self.rest.download(self._proxy_target(rel))


class RestModel(RunData):
    """A logged model read through the REST API: tags in its info, params
    and every metric value in its data, artifacts through its own routes."""

    def __init__(self, rest: Rest, model_id: str, model: Dict[str, Any], fields: Dict[str, str]):
        self.rest, self.model_id, self.model, self.fields = rest, model_id, model, fields

    def model_fields(self) -> Optional[Dict[str, str]]:
        return self.fields

    def params(self, skip) -> Dict[str, str]:
        return _pairs((self.model.get("data") or {}).get("params"))

    def tags(self, skip) -> Dict[str, str]:
        return _pairs((self.model.get("info") or {}).get("tags"))

    def metrics(self, skip) -> Iterator[Tuple[str, Rows]]:
        by_key: Dict[str, List[Dict[str, Any]]] = {}
        for m in (self.model.get("data") or {}).get("metrics") or []:
            if isinstance(m, dict) and "key" in m:
                by_key.setdefault(str(m["key"]), []).append(m)
        for key in sorted(by_key):
            yield key, history_rows(key, by_key[key], skip)

    def _list(self, path: str) -> Iterator[Dict[str, Any]]:
        q = urllib.parse.urlencode({"artifact_directory_path": path} if path else {})
        target = f"logged-models/{urllib.parse.quote(self.model_id)}/artifacts/directories"
        with self.rest._open("GET", f"/api/2.0/mlflow/{target}" + (f"?{q}" if q else "")) as resp:
            files = (json.loads(resp.read() or b"{}")).get("files") or []
        for f in files:
            if f.get("is_dir"):
                yield from self._list(str(f["path"]))
            else:
                yield f

    def artifacts(self, skip) -> Iterator[Tuple[str, Any]]:
        try:
            files = list(self._list(""))
        except MlflowHttpError as e:
            skip(f"logged model {self.model_id!r} artifacts", f"cannot be listed: {e}")
            return
        for entry in files:
            rel = str(entry["path"])
            q = urllib.parse.urlencode({"artifact_file_path": rel})
            f = self.rest.download(f"/ajax-api/2.0/mlflow/logged-models/"
                                   f"{urllib.parse.quote(self.model_id)}/artifacts/files?{q}")
            try:
                yield rel, f
            finally:
                f.close()

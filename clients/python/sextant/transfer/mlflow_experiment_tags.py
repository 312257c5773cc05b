"""An MLflow experiment's tags, set on the Sextant project its runs are
imported into, where Sextant's MLflow endpoint keeps them (the project
properties ``mlflow.tag.<key>``), so that ``get_experiment_by_name`` on
Sextant returns them.

The native API writes no project properties, so this goes through that
endpoint's ``experiments/set-experiment-tag`` (the same core call the
endpoint's own tag writes make), on the Sextant server and with the token
of the import. Once per experiment and target project, with the first run
of it written; only tags whose value differs are set, since every set
bumps the experiment's last_update_time: a re-import changes nothing.

Finding the project's experiment id: ``runs/get`` of the run just written
(exact, unless the same run id was imported into several projects), else
the names the endpoint gives the project (``ws/proj``, or ``proj`` in its
MLflow workspace), each checked to hold that run.
"""
from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, Optional, Set, Tuple

from .._errors import ApiError
from .._http import Http
from ._report import Report
from ._writer import RunWriter

ENDPOINT = "/api/2.0/mlflow/"


class _Endpoint(Http):
    """Sextant's Http (connection reuse, UnreachableError), under the MLflow
    endpoint's prefix instead of the native API's."""

    def __init__(self, url: str, token: Optional[str]):
        super().__init__(url, token, timeout=300)
        self._prefix = urllib.parse.urlsplit(url).path.rstrip("/") + ENDPOINT.rstrip("/")

    def call(self, method: str, endpoint: str, args: Dict[str, Any]) -> Dict[str, Any]:
        if method == "GET":
            path = "/" + endpoint + "?" + urllib.parse.urlencode(args)
            r = self.request("GET", path)
        else:
            path = "/" + endpoint
            r = self.request(method, path, json.dumps(args).encode("utf-8"),
                             {"Content-Type": "application/json"})
        if r.status != 200:
            try:  # the endpoint answers errors in MLflow's form
                j = json.loads(r.body)
                code, message = str(j["error_code"]), str(j["message"])
            except (ValueError, KeyError, TypeError):
                raise r.error(method, ENDPOINT + endpoint) from None
            raise ApiError(r.status, code, message, method=method, target=ENDPOINT + endpoint)
        return json.loads(r.body) if r.body else {}


def _pairs(v: Any) -> Dict[str, str]:
    return {str(e["key"]): str(e.get("value") or "") for e in v or [] if isinstance(e, dict) and "key" in e}


class ExperimentTags:
    """Sets experiment tags as runs are written; a dry-run writer's are
    counted, not sent."""

    def __init__(self, url: str, token: Optional[str], report: Report):
        self._url, self._token = url, token
        self._http: Optional[_Endpoint] = None  # connected on the first tags sent
        self._report = report
        self._done: Set[Tuple[str, str]] = set()  # (project, experiment id)
        # Per project, the tags set in this import: key → (value, experiment name).
        self._set: Dict[str, Dict[str, Tuple[str, str]]] = {}

    def apply(self, w: RunWriter, exp_id: str, exp_name: str, tags: Dict[str, str]) -> None:
        if not tags or (w.project, exp_id) in self._done:
            return
        mine = self._set.setdefault(w.project, {})
        want: Dict[str, str] = {}
        for k, v in tags.items():
            prev = mine.get(k)
            if prev is not None and prev[0] != v:
                # Several experiments into one project: the first one's value stays.
                self._report.skip(f"experiment {exp_name!r} tag {k!r}",
                                  f"{w.project} already has it from experiment {prev[1]!r} "
                                  f"with another value ({prev[0]!r})")
            else:
                want[k] = v
                mine[k] = (v, exp_name)
        what = f"experiment {exp_name!r} → {w.project}"
        if w.dry_run:
            self._done.add((w.project, exp_id))
            self._report.add(attributes=len(want))
            self._report.line(f"{what}: {len(want)} tags would be set")
            return
        if self._http is None:
            self._http = _Endpoint(self._url, self._token)
        try:
            exp = self._experiment(w.project, w.run_id)
        except ApiError as e:
            if e.status != 404:
                raise
            # The run was just written: the endpoint's routes are not there
            # (a proxy that forwards only the native API).
            self._done.add((w.project, exp_id))
            self._report.skip(f"{what}: {len(want)} tags", f"Sextant's MLflow endpoint did not answer: {e}")
            return
        if exp is None:
            self._done.add((w.project, exp_id))
            self._report.skip(f"{what}: {len(want)} tags", "no experiment of Sextant's MLflow endpoint "
                              "holds the run just written, to set them on")
            return
        have = _pairs(exp.get("tags"))
        changed = same = 0
        for k, v in want.items():
            if have.get(k) == v:
                same += 1
                continue
            try:
                self._http.call("POST", "experiments/set-experiment-tag",
                                {"experiment_id": exp["experiment_id"], "key": k, "value": v})
                changed += 1
            except ApiError as e:
                if e.status != 400:
                    raise  # fails the run, so the next run (or import) tries again
                self._report.skip(f"{what}: tag {k!r}", f"not set: {e.message}")
        self._done.add((w.project, exp_id))
        self._report.add(attributes=changed)
        self._report.line(f"{what}: {changed} tags set" + (f", {same} already so" if same else ""))

    def _experiment(self, project: str, run_id: str) -> Optional[Dict[str, Any]]:
        """The endpoint's experiment of `project`, with its tags."""
        assert self._http is not None
        try:
            run = self._http.call("GET", "runs/get", {"run_id": run_id})
            exp_id = str(run["run"]["info"]["experiment_id"])
            return self._http.call("GET", "experiments/get", {"experiment_id": exp_id})["experiment"]
        except ApiError as e:
            if e.status != 400:  # 400: the run id names runs in several projects
                raise
        for candidate in (project, project.split("/", 1)[1]):
            try:
                exp = self._http.call("GET", "experiments/get-by-name", {"experiment_name": candidate})
            except ApiError as e:
                if e.status == 404:
                    continue
                raise
            exp = exp["experiment"]
            found = self._http.call("POST", "runs/search", {
                "experiment_ids": [str(exp["experiment_id"])], "max_results": 1,
                "run_view_type": "ALL", "filter": f"attributes.run_id = '{run_id}'"})
            if found.get("runs"):
                return exp
        return None

"""One write path: what the mlflow client logs is a Sextant run like any
other, read through Sextant's own API, and a run logged with Sextant's API
is visible to MlflowClient.search_runs. Sextant-only."""
from __future__ import annotations

import json
import time
import urllib.request

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag

from conftest import unique

pytestmark = pytest.mark.sextant_only


def native(target, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{target.url}/api/v1{path}", data=data, method=method,
                                 headers={"Authorization": f"Bearer {target.token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def test_mlflow_run_through_the_native_api(target, client):
    name = unique("native-view")
    exp = client.create_experiment(name)
    run = client.create_run(exp, run_name="from-mlflow", tags={"team": "vision"})
    rid = run.info.run_id
    client.log_batch(rid, metrics=[Metric("train/loss", 1.0 / (s + 1), 1_700_000_000_000 + s, s)
                                   for s in range(100)],
                     params=[Param("lr", "0.001")], tags=[RunTag("stage", "dev")])
    client.set_terminated(rid, "FINISHED")

    project = f"mlflow/{name}"  # an experiment made through MLflow is a project of the mlflow workspace
    got = native(target, "GET", f"/projects/{project}/runs/{rid}")
    assert got["name"] == "from-mlflow" and got["state"] == "finished"
    attrs = {a["path"]: a for a in native(target, "GET", f"/projects/{project}/runs/{rid}/attributes")["attributes"]}
    assert attrs["params/lr"]["type"] == "string" and attrs["params/lr"]["value"] == "0.001"
    assert attrs["tags/stage"]["value"] == "dev" and attrs["tags/team"]["value"] == "vision"
    assert attrs["train/loss"]["type"] == "float_series"
    assert attrs["train/loss"]["last_step"] == 99 and attrs["train/loss"]["count"] == 100
    series = native(target, "POST", f"/projects/{project}/series",
                    {"runs": [rid], "path": "train/loss", "limit": 1000})["series"][0]
    assert series["steps"] == list(range(100))
    assert series["values"][3] == 0.25
    # The runs table filters on what MLflow logged, in Sextant's language.
    table = native(target, "POST", f"/projects/{project}/runs/query",
                   {"filter": 'params/lr = "0.001" and train/loss < 0.02'})
    assert [r["run_id"] for r in table["runs"]] == [rid]


def test_native_run_is_visible_to_search_runs(target, client):
    project = f"team/{unique('p')}"
    native(target, "POST", f"/projects/{project}/runs", {"run_id": "native-1", "name": "sdk run"})
    native(target, "POST", f"/projects/{project}/runs/native-1/log", {
        "configs": {"params/opt": "adam", "tags/owner": "kim"},
        "series": [{"path": "eval/acc", "steps": [0, 1, 2], "values": [0.5, 0.7, 0.9]}]})
    exp = client.get_experiment_by_name(project)  # other workspaces: "ws/project"
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], "metrics.`eval/acc` > 0.8 and params.opt = 'adam'")
    assert [r.info.run_id for r in runs] == ["native-1"]
    r = runs[0]
    assert r.info.run_name == "sdk run" and r.info.status == "RUNNING"
    assert r.data.params == {"opt": "adam"} and r.data.tags["owner"] == "kim"
    assert r.data.metrics == {"eval/acc": 0.9}
    assert [m.value for m in client.get_metric_history("native-1", "eval/acc")] == [0.5, 0.7, 0.9]

"""Raw REST checks with `requests`: the JSON shapes the mlflow client relies on
and MLflow's error shape {"error_code", "message"} with its HTTP statuses.
A couple of tests pin Sextant-only behaviour (marked sextant_only)."""
from __future__ import annotations

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from conftest import assert_mlflow_error

API = "/api/2.0/mlflow"
T0 = 1_700_000_000_000


@pytest.fixture
def run(client, experiment_id):
    r = client.create_run(experiment_id, run_name="raw", start_time=T0, tags={"k": "v"})
    return r


def test_runs_get_layout(http, run, experiment_id):
    rid = run.info.run_id
    r = http.post(f"{API}/runs/log-metric", {"run_id": rid, "key": "m", "value": 0.5,
                                              "timestamp": T0, "step": 3})
    assert r.status_code == 200 and r.json() == {}
    r = http.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "p", "value": "1"})
    assert r.status_code == 200 and r.json() == {}
    r = http.get(f"{API}/runs/get", params={"run_id": rid})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"run"}
    run_json = body["run"]
    assert {"info", "data"} <= set(run_json)
    info = run_json["info"]
    assert info["run_id"] == rid and info["run_uuid"] == rid
    assert info["experiment_id"] == experiment_id
    assert info["run_name"] == "raw"
    assert info["status"] == "RUNNING"
    assert info["start_time"] == T0 and isinstance(info["start_time"], int)
    assert info["lifecycle_stage"] == "active"
    assert isinstance(info["artifact_uri"], str) and info["artifact_uri"]
    data = run_json["data"]
    assert data["metrics"] == [{"key": "m", "value": 0.5, "timestamp": T0, "step": 3}]
    assert data["params"] == [{"key": "p", "value": "1"}]
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert tags["k"] == "v" and tags["mlflow.runName"] == "raw"


def test_run_uuid_alone_is_accepted(http, run):
    """Old clients send only run_uuid; the current one sends both."""
    rid = run.info.run_id
    r = http.post(f"{API}/runs/log-metric", {"run_uuid": rid, "key": "u", "value": 1.0,
                                              "timestamp": T0, "step": 0})
    assert r.status_code == 200, r.text
    r = http.get(f"{API}/runs/get", params={"run_uuid": rid})
    assert r.status_code == 200, r.text
    assert r.json()["run"]["info"]["run_id"] == rid


def test_error_shapes(http, run, exp_name, client):
    assert_mlflow_error(http.get(f"{API}/runs/get", params={"run_id": "nope"}),
                        404, "RESOURCE_DOES_NOT_EXIST")
    assert_mlflow_error(http.get(f"{API}/experiments/get-by-name",
                                 params={"experiment_name": exp_name + "-missing"}),
                        404, "RESOURCE_DOES_NOT_EXIST")
    assert_mlflow_error(http.get(f"{API}/experiments/get", params={"experiment_id": "987654321"}),
                        404, "RESOURCE_DOES_NOT_EXIST")
    client.create_experiment(exp_name + "-dup")
    assert_mlflow_error(http.post(f"{API}/experiments/create", {"name": exp_name + "-dup"}),
                        400, "RESOURCE_ALREADY_EXISTS", exp_name + "-dup")
    assert_mlflow_error(http.post(f"{API}/runs/search", {"experiment_ids": ["0"],
                                                         "filter": "metrics.x >>> 1"}),
                        400, "INVALID_PARAMETER_VALUE")
    # A required field missing.
    assert_mlflow_error(http.post(f"{API}/experiments/create", {}), 400, "INVALID_PARAMETER_VALUE")
    assert_mlflow_error(http.post(f"{API}/runs/log-metric", {"run_id": run.info.run_id, "key": "m"}),
                        400, "INVALID_PARAMETER_VALUE")
    # A wrong type.
    assert_mlflow_error(http.post(f"{API}/runs/log-metric", {"run_id": run.info.run_id, "key": "m",
                                                             "value": "abc", "timestamp": T0}),
                        400, "INVALID_PARAMETER_VALUE")


def test_json_content_type_required(http, experiment_id):
    r = http.request("POST", f"{API}/runs/create", data='{"experiment_id": "%s"}' % experiment_id,
                     headers={"Content-Type": "text/plain"})
    assert_mlflow_error(r, 400, "INVALID_PARAMETER_VALUE", "Content-Type")


def test_server_info(http):
    r = http.get("/api/3.0/mlflow/server-info")
    assert r.status_code == 200, r.text
    info = r.json()
    assert isinstance(info, dict)
    # The client only does proxied multipart transfers when these are true.
    assert info.get("multipart_uploads_enabled", False) is False
    assert info.get("multipart_downloads_enabled", False) is False


def test_artifact_endpoints(http, run, client):
    uri = run.info.artifact_uri
    assert uri.startswith("mlflow-artifacts:/"), uri
    base = uri[len("mlflow-artifacts:"):].lstrip("/")
    url = f"/api/2.0/mlflow-artifacts/artifacts/{base}"
    r = http.request("PUT", f"{url}/dir/x.bin", data=b"\x00\x01abc",
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    r = http.request("PUT", f"{url}/top.txt", data=b"top", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    r = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": base})
    assert r.status_code == 200, r.text
    assert sorted(r.json()["files"], key=lambda f: f["path"]) == [
        {"path": "dir", "is_dir": True}, {"path": "top.txt", "is_dir": False, "file_size": 3}]
    r = http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{base}/dir"})
    assert r.json() == {"files": [{"path": "x.bin", "is_dir": False, "file_size": 5}]}
    r = http.get(f"{url}/dir/x.bin")
    assert r.status_code == 200 and r.content == b"\x00\x01abc"
    # Listing a file or a missing folder: an empty object.
    assert http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{base}/top.txt"}).json() == {}
    assert http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{base}/nope"}).json() == {}
    assert_mlflow_error(http.get(f"{url}/nope.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
    # The client sees the same thing.
    assert sorted((f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run.info.run_id)) == \
        [("dir", True, None), ("top.txt", False, 3)]


def test_search_empty_results_shape(http, experiment_id):
    r = http.post(f"{API}/runs/search", {"experiment_ids": [experiment_id], "filter": "",
                                         "max_results": 10, "run_view_type": "ACTIVE_ONLY"})
    assert r.status_code == 200
    assert r.json().get("runs", []) == [] and not r.json().get("next_page_token")
    r = http.post(f"{API}/logged-models/search", {"experiment_ids": [experiment_id]})
    assert r.status_code == 200
    assert r.json().get("models", []) == []


# --------------------------------------------------------------------------
# Sextant-only: what mlflow implements and Sextant deliberately does not, and
# Sextant's access control. Real mlflow answers these with data (or has no
# auth), so they are skipped for MLFLOW_COMPAT_TARGET=mlflow.

UNIMPLEMENTED = [
    ("GET", f"{API}/registered-models/search", None),
    ("POST", f"{API}/registered-models/create", {"name": "x"}),
    ("GET", "/api/2.0/mlflow/traces", None),
]


@pytest.mark.sextant_only
@pytest.mark.parametrize("method,path,body", UNIMPLEMENTED, ids=[p for _, p, _ in UNIMPLEMENTED])
def test_unimplemented_endpoint_is_a_clean_json_error(http, method, path, body):
    r = http.request(method, path, json=body)
    assert r.status_code in (404, 501), r.text
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    err = r.json()
    assert err.get("error_code") in ("ENDPOINT_NOT_FOUND", "NOT_IMPLEMENTED"), err
    assert isinstance(err.get("message"), str) and err["message"]


@pytest.mark.sextant_only
def test_registry_call_fails_fast_through_the_client(client):
    with pytest.raises(MlflowException) as ei:
        client.search_registered_models()
    assert ei.value.error_code in ("ENDPOINT_NOT_FOUND", "NOT_IMPLEMENTED")


@pytest.mark.sextant_only
def test_token_is_required(target, experiment_id):
    url = f"{target.url}{API}/experiments/get"
    r = requests.get(url, params={"experiment_id": experiment_id}, timeout=30)
    assert r.status_code == 401, r.text
    r = requests.get(url, params={"experiment_id": experiment_id}, timeout=30,
                     headers={"Authorization": "Bearer not-a-real-token"})
    assert r.status_code == 401, r.text
    r = requests.get(url, params={"experiment_id": experiment_id}, timeout=30,
                     headers={"Authorization": f"Bearer {target.token}"})
    assert r.status_code == 200, r.text
    # Through the client: a bad token is an MlflowException, not a retry loop.
    import os

    saved = os.environ["MLFLOW_TRACKING_TOKEN"]
    os.environ["MLFLOW_TRACKING_TOKEN"] = "not-a-real-token"
    try:
        with pytest.raises(MlflowException):
            MlflowClient(tracking_uri=target.url).get_experiment(experiment_id)
    finally:
        os.environ["MLFLOW_TRACKING_TOKEN"] = saved

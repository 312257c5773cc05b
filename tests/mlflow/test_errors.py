"""Limits and errors, with MLflow's error codes and messages, through the
client (MlflowException.error_code) and through its REST layer."""
from __future__ import annotations

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from conftest import assert_mlflow_error

T0 = 1_700_000_000_000


@pytest.fixture
def run_id(client, experiment_id) -> str:
    return client.create_run(experiment_id).info.run_id


def store(client):
    """The client's own REST store: log_batch without the client's splitting."""
    return client._tracking_client.store


def test_client_splits_big_batches(client, run_id):
    """MlflowClient.log_batch splits >1000 metrics / >100 params / >100 tags
    into several requests itself: the call succeeds and everything lands."""
    client.log_batch(run_id, metrics=[Metric("m", float(i), T0 + i, i) for i in range(1001)],
                     params=[Param(f"p{i}", str(i)) for i in range(101)],
                     tags=[RunTag(f"t{i}", str(i)) for i in range(101)])
    hist = client.get_metric_history(run_id, "m")
    assert sorted(m.step for m in hist) == list(range(1001))
    r = client.get_run(run_id)
    assert r.data.params == {f"p{i}": str(i) for i in range(101)}
    assert {k: v for k, v in r.data.tags.items() if k.startswith("t")} == {f"t{i}": str(i) for i in range(101)}


@pytest.mark.parametrize("what,n,msg", [
    ("metrics", 1001, "A batch logging request can contain at most 1000 metrics. Got 1001 metrics."),
    ("params", 101, "A batch logging request can contain at most 100 params. Got 101 params."),
    ("tags", 101, "A batch logging request can contain at most 100 tags. Got 101 tags."),
])
def test_batch_limits(client, http, run_id, what, n, msg):
    items = {
        "metrics": [Metric("m", 1.0, T0, i) for i in range(n)],
        "params": [Param(f"p{i}", "v") for i in range(n)],
        "tags": [RunTag(f"t{i}", "v") for i in range(n)],
    }[what]
    kw = {"metrics": [], "params": [], "tags": []}
    kw[what] = items
    with pytest.raises(MlflowException) as ei:
        store(client).log_batch(run_id, **kw)
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert msg in ei.value.message

    body = {"run_id": run_id, what: [
        {"key": f"k{i}", "value": 1.0 if what == "metrics" else "v", "timestamp": T0, "step": i}
        if what == "metrics" else {"key": f"k{i}", "value": "v"} for i in range(n)]}
    assert_mlflow_error(http.post("/api/2.0/mlflow/runs/log-batch", body), 400,
                        "INVALID_PARAMETER_VALUE", msg)
    r = client.get_run(run_id)
    assert not r.data.metrics and not r.data.params  # nothing of a refused batch is kept
    assert not [k for k in r.data.tags if not k.startswith("mlflow.")]


def test_batch_at_the_limits_is_accepted(client, http, run_id):
    store(client).log_batch(run_id, metrics=[Metric("m", 1.0, T0, i) for i in range(1000)],
                            params=[], tags=[])
    store(client).log_batch(run_id, metrics=[], params=[Param(f"p{i}", "v") for i in range(100)],
                            tags=[RunTag(f"t{i}", "v") for i in range(100)])
    r = client.get_run(run_id)
    assert len(r.data.params) == 100
    assert len(client.get_metric_history(run_id, "m")) == 1000


def test_param_value_change_is_refused(client, http, experiment_id):
    with mlflow.start_run() as run:
        mlflow.log_param("depth", 3)
        mlflow.log_param("depth", 3)  # same value: fine
        with pytest.raises(MlflowException) as ei:
            mlflow.log_param("depth", 5)
    rid = run.info.run_id
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in ei.value.message
    assert "depth" in ei.value.message

    with pytest.raises(MlflowException) as ei:
        client.log_batch(rid, params=[Param("depth", "7")])
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Changing param values is not allowed" in ei.value.message
    assert_mlflow_error(http.post("/api/2.0/mlflow/runs/log-parameter",
                                  {"run_id": rid, "key": "depth", "value": "9"}),
                        400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
    assert client.get_run(rid).data.params == {"depth": "3"}


@pytest.mark.parametrize("kind", ["param", "metric", "tag"])
def test_key_longer_than_250(client, http, run_id, kind):
    long_key = "k" * 251
    ok_key = "k" * 250
    call = {"param": lambda k: client.log_param(run_id, k, "v"),
            "metric": lambda k: client.log_metric(run_id, k, 1.0),
            "tag": lambda k: client.set_tag(run_id, k, "v")}[kind]
    call(ok_key)  # 250 is fine
    with pytest.raises(MlflowException) as ei:
        call(long_key)
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "250" in ei.value.message
    body = {"run_id": run_id, kind + "s": [
        {"key": long_key, "value": 1.0, "timestamp": T0, "step": 0} if kind == "metric"
        else {"key": long_key, "value": "v"}]}
    assert_mlflow_error(http.post("/api/2.0/mlflow/runs/log-batch", body), 400,
                        "INVALID_PARAMETER_VALUE", "exceeds the maximum length of 250")


def test_long_values_are_truncated(client, http, run_id):
    """mlflow (client and server, MLFLOW_TRUNCATE_LONG_VALUES on by default)
    keeps the first 6,000 chars of a param value and 8,000 of a tag value."""
    client.log_param(run_id, "p_client", "a" * 6001)
    client.set_tag(run_id, "t_client", "b" * 8001)
    r = http.post("/api/2.0/mlflow/runs/log-batch",
                  {"run_id": run_id, "params": [{"key": "p_raw", "value": "c" * 6000 + "XYZ"}],
                   "tags": [{"key": "t_raw", "value": "d" * 8000 + "XYZ"}]})
    assert r.status_code == 200, r.text
    r = http.post("/api/2.0/mlflow/runs/log-parameter",
                  {"run_id": run_id, "key": "p_raw2", "value": "e" * 6005})
    assert r.status_code == 200, r.text
    r = http.post("/api/2.0/mlflow/runs/set-tag", {"run_id": run_id, "key": "t_raw2", "value": "f" * 8005})
    assert r.status_code == 200, r.text
    d = client.get_run(run_id).data
    assert d.params["p_client"] == "a" * 6000
    assert d.params["p_raw"] == "c" * 6000
    assert d.params["p_raw2"] == "e" * 6000
    assert d.tags["t_client"] == "b" * 8000
    assert d.tags["t_raw"] == "d" * 8000
    assert d.tags["t_raw2"] == "f" * 8000


def test_unknown_run(client, http):
    missing = "0123456789abcdef0123456789abcdef"
    with pytest.raises(MlflowException) as ei:
        client.get_run(missing)
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert missing in ei.value.message
    for call in (lambda: client.log_metric(missing, "m", 1.0),
                 lambda: client.log_param(missing, "p", "v"),
                 lambda: client.set_tag(missing, "t", "v"),
                 lambda: client.log_batch(missing, metrics=[Metric("m", 1.0, T0, 0)]),
                 lambda: client.delete_run(missing),
                 lambda: client.set_terminated(missing)):
        with pytest.raises(MlflowException) as ei:
            call()
        assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST", ei.value
    assert_mlflow_error(http.get("/api/2.0/mlflow/runs/get", params={"run_id": missing}),
                        404, "RESOURCE_DOES_NOT_EXIST", missing)


def test_logging_to_deleted_run_is_refused(client, run_id):
    client.delete_run(run_id)
    with pytest.raises(MlflowException) as ei:
        client.log_metric(run_id, "m", 1.0)
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "must be in the 'active' state" in ei.value.message
    with pytest.raises(MlflowException) as ei:
        client.log_param(run_id, "p", "v")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"
    client.restore_run(run_id)
    client.log_metric(run_id, "m", 1.0)
    assert client.get_run(run_id).data.metrics == {"m": 1.0}


def test_create_run_in_unknown_experiment(client):
    with pytest.raises(MlflowException) as ei:
        client.create_run("987654321")
    assert ei.value.error_code == "RESOURCE_DOES_NOT_EXIST"

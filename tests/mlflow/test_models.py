"""scikit-learn autologging and MLflow 3 logged models end to end: what
autolog records, the LoggedModel entities, and loading the model back with
pyfunc for identical predictions."""
from __future__ import annotations

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

# Explicit pins skip the client's slow requirement inference (a subprocess
# that loads the model); it makes no difference to what the server sees.
PIP = [f"scikit-learn=={sklearn.__version__}"]


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_sklearn_autolog(client, experiment_id, iris):
    X, y = iris
    mlflow.sklearn.autolog(log_input_examples=False, silent=True)
    try:
        with mlflow.start_run() as run:
            model = LogisticRegression(max_iter=300, C=0.5).fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    rid = run.info.run_id

    r = client.get_run(rid)
    assert r.info.status == "FINISHED"
    p = r.data.params
    assert p["C"] == "0.5" and p["max_iter"] == "300"
    assert p["solver"] == str(model.get_params()["solver"])
    m = r.data.metrics
    assert m["training_accuracy_score"] == pytest.approx(model.score(X, y))
    assert m["training_score"] == pytest.approx(model.score(X, y))
    for k in ("training_precision_score", "training_recall_score", "training_f1_score",
              "training_log_loss", "training_roc_auc"):
        assert k in m and 0 <= m[k] <= 10, (k, m)
    assert r.data.tags["estimator_name"] == "LogisticRegression"
    assert r.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"

    # Inputs (the training dataset) and outputs (the logged model) of the run.
    ds = r.inputs.dataset_inputs
    assert len(ds) == 1
    assert ds[0].dataset.digest and ds[0].dataset.name
    assert {t.key: t.value for t in ds[0].tags}.get("mlflow.data.context") == "train"
    outs = r.outputs.model_outputs
    assert len(outs) == 1

    lm = mlflow.last_logged_model()
    assert lm.model_id == outs[0].model_id
    assert lm.source_run_id == rid
    assert lm.experiment_id == experiment_id
    assert lm.name == "model"
    assert str(lm.status) in ("READY", "LoggedModelStatus.READY")
    assert lm.params["C"] == "0.5"
    assert lm.model_uri == f"models:/{lm.model_id}"

    found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    assert [f.model_id for f in found] == [lm.model_id]
    found = mlflow.search_logged_models(experiment_ids=[experiment_id],
                                        filter_string="name = 'model'", output_format="list")
    assert [f.model_id for f in found] == [lm.model_id]
    assert mlflow.search_logged_models(experiment_ids=[experiment_id],
                                       filter_string="name = 'nope'", output_format="list") == []
    got = client.get_logged_model(lm.model_id)
    assert got.model_id == lm.model_id and got.source_run_id == rid
    # The training metrics are linked to the model.
    assert {mm.key for mm in got.metrics} >= {"training_accuracy_score", "training_score"}

    root = {f.path for f in client.list_artifacts(rid)}
    assert {"estimator.html", "training_confusion_matrix.png"} <= root

    loaded = mlflow.pyfunc.load_model(lm.model_uri)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    sk = mlflow.sklearn.load_model(lm.model_uri)
    np.testing.assert_array_equal(sk.predict_proba(X), model.predict_proba(X))


def test_log_model_explicitly_and_load(client, experiment_id, iris, tmp_path):
    X, y = iris
    model = LogisticRegression(max_iter=300).fit(X, y)
    with mlflow.start_run() as run:
        mlflow.log_param("kind", "explicit")
        info = mlflow.sklearn.log_model(model, name="m", input_example=X[:3], pip_requirements=PIP)
    rid = run.info.run_id
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.run_id == rid
    assert info.signature is not None

    lm = client.get_logged_model(info.model_id)
    assert lm.name == "m"
    assert lm.source_run_id == rid
    assert str(lm.status) in ("READY", "LoggedModelStatus.READY")
    assert client.get_run(rid).outputs.model_outputs[0].model_id == info.model_id

    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "requirements.txt", "python_env.yaml", "conda.yaml"} <= files

    expected = model.predict(X)
    for uri in (info.model_uri, f"runs:/{rid}/m"):
        loaded = mlflow.pyfunc.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), expected, err_msg=uri)
        assert loaded.metadata.model_id == info.model_id

    # runs:/<run>/m also lists the model's files (MLflow 3 resolves the name).
    listed = {f.path for f in client.list_artifacts(rid, "m")}
    assert "m/MLmodel" in listed

    local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path))
    text = open(f"{local}/MLmodel").read()
    assert "sklearn" in text and info.model_id in text


def test_two_models_in_one_run(client, experiment_id, iris):
    X, y = iris
    a = LogisticRegression(max_iter=300, C=1.0).fit(X, y)
    b = LogisticRegression(max_iter=300, C=0.01).fit(X, y)
    with mlflow.start_run() as run:
        ia = mlflow.sklearn.log_model(a, name="a", pip_requirements=PIP)
        ib = mlflow.sklearn.log_model(b, name="b", pip_requirements=PIP)
    outs = {o.model_id for o in client.get_run(run.info.run_id).outputs.model_outputs}
    assert outs == {ia.model_id, ib.model_id}
    found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
    assert {f.name for f in found} == {"a", "b"}
    pa = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/a").predict(X)
    pb = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/b").predict(X)
    np.testing.assert_array_equal(pa, a.predict(X))
    np.testing.assert_array_equal(pb, b.predict(X))


def test_model_metrics_list_every_value(client, experiment_id):
    """A metric logged to a model several times: get_logged_model and
    search_logged_models list every value, as MLflow's server does."""
    with mlflow.start_run() as run:
        pass
    rid = run.info.run_id
    m = client.create_logged_model(experiment_id, name="scored", source_run_id=rid)
    logged = [(1, 0.5), (2, 0.75), (3, 0.625)]
    for step, v in logged:
        client.log_metric(rid, "val/acc", v, step=step, timestamp=1_700_000_000_000 + step,
                          model_id=m.model_id)
    client.log_metric(rid, "val/loss", 0.25, step=3, timestamp=1_700_000_000_003, model_id=m.model_id)

    def values(model):
        return sorted((x.key, x.step, x.value, x.timestamp) for x in model.metrics)
    want = sorted([("val/acc", s, v, 1_700_000_000_000 + s) for s, v in logged]
                  + [("val/loss", 3, 0.25, 1_700_000_000_003)])
    assert values(client.get_logged_model(m.model_id)) == want
    found = client.search_logged_models([experiment_id], filter_string="name = 'scored'")
    assert [f.model_id for f in found] == [m.model_id]
    assert values(found[0]) == want
    # The run has them too, as its own metric history.
    assert [(h.step, h.value) for h in client.get_metric_history(rid, "val/acc")] == logged

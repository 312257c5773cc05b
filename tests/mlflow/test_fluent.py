"""The fluent API (mlflow.start_run / log_* / end_run) end to end, read back
with MlflowClient exactly as a user would."""
from __future__ import annotations

import getpass
import json
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from mlflow.entities import RunStatus  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import TARGET  # noqa: E402

T0 = 1_700_000_000_000  # ms


def now_ms() -> int:
    return int(time.time() * 1000)


def files_of(infos):
    return sorted((f.path, f.is_dir, f.file_size) for f in infos)


def test_set_experiment_creates_then_reuses(client, exp_name):
    exp = mlflow.set_experiment(exp_name)
    assert exp.name == exp_name
    assert exp.lifecycle_stage == "active"
    assert isinstance(exp.experiment_id, str) and exp.experiment_id
    again = mlflow.set_experiment(exp_name)
    assert again.experiment_id == exp.experiment_id
    assert client.get_experiment_by_name(exp_name).experiment_id == exp.experiment_id
    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    assert by_id.name == exp_name


def test_fluent_run_params_metrics_tags(client, experiment_id):
    before = now_ms()
    with mlflow.start_run(run_name="parent") as run:
        rid = run.info.run_id
        assert run.info.run_name == "parent"
        assert run.info.experiment_id == experiment_id
        assert run.info.status == "RUNNING"
        assert mlflow.active_run().info.run_id == rid

        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 3, "act": "relu", "empty": ""})
        mlflow.log_param("lr", 0.01)  # same value again: allowed

        mlflow.log_metric("loss", 0.9, step=1, timestamp=T0 + 1)
        mlflow.log_metric("loss", 0.5, step=3, timestamp=T0 + 3)
        mlflow.log_metric("loss", 0.25, step=5, timestamp=T0 + 2)  # later step, earlier time
        mlflow.log_metrics({"m1": 1.0, "m2": -2.5}, step=4)
        mlflow.log_metric("neg_zero_step", 7.0)  # default step 0
        mlflow.log_metric("big", 1e300, step=0)
        mlflow.log_metric("tiny", 5e-324, step=0)
        mlflow.log_metric("ones", 1, step=2, timestamp=T0)
        mlflow.log_metric("ones", 2, step=2, timestamp=T0 + 10)  # same step, later time wins

        mlflow.set_tag("t1", "v1")
        mlflow.set_tags({"t2": "v2", "t3": "unicode ✓ ünï"})
        mlflow.set_tag("to_delete", "x")
    after = now_ms()
    client.delete_tag(rid, "to_delete")

    r = client.get_run(rid)
    assert r.info.run_id == rid
    assert r.info.experiment_id == experiment_id
    assert r.info.run_name == "parent"
    assert r.info.status == "FINISHED"
    assert r.info.lifecycle_stage == "active"
    assert before - 5_000 <= r.info.start_time <= r.info.end_time <= after + 5_000
    assert r.info.user_id == getpass.getuser()
    assert r.info.artifact_uri

    assert r.data.params == {"lr": "0.01", "layers": "3", "act": "relu", "empty": ""}
    assert r.data.metrics == {"loss": 0.25, "m1": 1.0, "m2": -2.5, "neg_zero_step": 7.0,
                              "big": 1e300, "tiny": 5e-324, "ones": 2.0}
    tags = r.data.tags
    assert tags["t1"] == "v1" and tags["t2"] == "v2" and tags["t3"] == "unicode ✓ ünï"
    assert "to_delete" not in tags
    assert tags["mlflow.runName"] == "parent"
    assert tags["mlflow.user"] == getpass.getuser()
    assert tags["mlflow.source.type"] == "LOCAL"
    assert "mlflow.source.name" in tags

    # mlflow returns history ordered by (timestamp, step, value); the client
    # does not sort, and users sort by step themselves: compare as a set.
    hist = client.get_metric_history(rid, "loss")
    assert sorted((m.step, m.value, m.timestamp) for m in hist) == \
        [(1, 0.9, T0 + 1), (3, 0.5, T0 + 3), (5, 0.25, T0 + 2)]
    assert all(m.key == "loss" for m in hist)
    ones = sorted((m.timestamp, m.value) for m in client.get_metric_history(rid, "ones"))
    if TARGET == "mlflow":
        assert ones == [(T0, 1.0), (T0 + 10, 2.0)]  # mlflow keeps every row
    else:
        # Sextant keeps one value per step, the last written (docs/mlflow.md).
        assert ones == [(T0 + 10, 2.0)]
    m1 = client.get_metric_history(rid, "m1")
    assert len(m1) == 1 and m1[0].step == 4 and m1[0].value == 1.0
    assert before - 5_000 <= m1[0].timestamp <= after + 5_000
    assert client.get_metric_history(rid, "never-logged") == []


def test_nested_runs(client, experiment_id):
    with mlflow.start_run(run_name="outer") as outer:
        with mlflow.start_run(run_name="inner", nested=True) as inner:
            assert mlflow.active_run().info.run_id == inner.info.run_id
            mlflow.log_metric("x", 1.0)
            with mlflow.start_run(nested=True) as innermost:
                pass
        assert mlflow.active_run().info.run_id == outer.info.run_id
        with pytest.raises(Exception, match="already active"):
            mlflow.start_run()  # a second top-level run while one is active
    r_in = client.get_run(inner.info.run_id)
    assert r_in.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert r_in.info.run_name == "inner"
    assert r_in.info.status == "FINISHED"
    r_most = client.get_run(innermost.info.run_id)
    assert r_most.data.tags["mlflow.parentRunId"] == inner.info.run_id
    assert r_most.info.run_name  # the server (or client) names it
    assert r_most.data.tags["mlflow.runName"] == r_most.info.run_name
    assert "mlflow.parentRunId" not in client.get_run(outer.info.run_id).data.tags
    children = client.search_runs([experiment_id],
                                  f"tags.mlflow.parentRunId = '{outer.info.run_id}'")
    assert [c.info.run_id for c in children] == [inner.info.run_id]


def test_async_logging(client, experiment_id):
    with mlflow.start_run() as run:
        ops = [mlflow.log_metric("am", float(i), step=i, synchronous=False) for i in range(20)]
        ops.append(mlflow.log_params({"ap": "1", "aq": "2"}, synchronous=False))
        ops.append(mlflow.set_tags({"at": "x"}, synchronous=False))
        ops.append(mlflow.log_metrics({"bm": 3.5}, step=7, synchronous=False))
        for op in ops:
            op.wait()
    # end_run flushes the async queue too; everything must be there.
    r = client.get_run(run.info.run_id)
    assert r.data.metrics["am"] == 19.0
    assert r.data.metrics["bm"] == 3.5
    assert r.data.params["ap"] == "1" and r.data.params["aq"] == "2"
    assert r.data.tags["at"] == "x"
    hist = client.get_metric_history(run.info.run_id, "am")
    assert sorted((m.step, m.value) for m in hist) == [(i, float(i)) for i in range(20)]


def test_artifacts_roundtrip(client, experiment_id, tmp_path):
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_text("hello")
    payload = os.urandom(200_000) + b"\x00\xff" * 10
    (src / "sub" / "b.bin").write_bytes(payload)
    (src / "sub" / "deeper" / "c.csv").write_text("x,y\n1,2\n")
    (src / "space name.txt").write_text("spaces ok")
    single = tmp_path / "single.json"
    single.write_text('{"a": 1}')

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [3, 1, 2])
    image = (np.arange(8 * 6 * 3) % 256).astype(np.uint8).reshape(8, 6, 3)

    with mlflow.start_run() as run:
        rid = run.info.run_id
        mlflow.log_artifact(str(single))
        mlflow.log_artifact(str(single), artifact_path="docs")
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_text("some text ✓\n", "notes/n.txt")
        mlflow.log_dict({"k": [1, 2], "s": "v"}, "cfg.json")
        mlflow.log_dict({"y": 1}, "cfg.yaml")
        mlflow.log_figure(fig, "plots/fig.png")
        mlflow.log_image(image, "img.png")
    plt.close(fig)

    root = client.list_artifacts(rid)
    root_files = {f.path: f for f in root}
    assert set(root_files) == {"single.json", "docs", "tree", "notes", "cfg.json", "cfg.yaml",
                               "plots", "img.png"}
    assert root_files["single.json"].is_dir is False and root_files["single.json"].file_size == 8
    for d in ("docs", "tree", "notes", "plots"):
        assert root_files[d].is_dir is True and root_files[d].file_size is None

    assert files_of(client.list_artifacts(rid, "tree")) == [
        ("tree/a.txt", False, 5), ("tree/space name.txt", False, 9), ("tree/sub", True, None)]
    assert files_of(client.list_artifacts(rid, "tree/sub")) == [
        ("tree/sub/b.bin", False, len(payload)), ("tree/sub/deeper", True, None)]
    assert files_of(client.list_artifacts(rid, "tree/sub/deeper")) == [
        ("tree/sub/deeper/c.csv", False, 8)]
    assert files_of(client.list_artifacts(rid, "docs")) == [("docs/single.json", False, 8)]
    # A file, or a path that does not exist, lists as empty.
    assert client.list_artifacts(rid, "tree/a.txt") == []
    assert client.list_artifacts(rid, "no/such/dir") == []

    dst = tmp_path / "dl"
    dst.mkdir()
    local = client.download_artifacts(rid, "tree", str(dst))
    assert os.path.isdir(local)
    assert (dst / "tree" / "a.txt").read_text() == "hello"
    assert (dst / "tree" / "sub" / "b.bin").read_bytes() == payload
    assert (dst / "tree" / "sub" / "deeper" / "c.csv").read_text() == "x,y\n1,2\n"
    assert (dst / "tree" / "space name.txt").read_text() == "spaces ok"

    one = tmp_path / "one"
    one.mkdir()
    p = client.download_artifacts(rid, "tree/sub/b.bin", str(one))
    assert open(p, "rb").read() == payload

    everything = mlflow.artifacts.download_artifacts(run_id=rid, dst_path=str(tmp_path / "all"))
    assert open(os.path.join(everything, "docs", "single.json")).read() == '{"a": 1}'
    assert open(os.path.join(everything, "notes", "n.txt"), encoding="utf-8").read() == "some text ✓\n"

    assert mlflow.artifacts.load_text(f"runs:/{rid}/notes/n.txt") == "some text ✓\n"
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/cfg.json") == {"k": [1, 2], "s": "v"}
    assert mlflow.artifacts.load_text(f"runs:/{rid}/cfg.yaml") == "y: 1\n"

    fig_path = mlflow.artifacts.download_artifacts(f"runs:/{rid}/plots/fig.png",
                                                   dst_path=str(tmp_path / "fig"))
    assert open(fig_path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    img_path = mlflow.artifacts.download_artifacts(f"runs:/{rid}/img.png",
                                                   dst_path=str(tmp_path / "img"))
    assert np.array_equal(np.asarray(Image.open(img_path)), image)

    with pytest.raises(Exception):
        client.download_artifacts(rid, "no-such-file.txt", str(tmp_path))


def test_log_artifact_to_finished_run_via_client(client, experiment_id, tmp_path):
    run = client.create_run(experiment_id)
    client.set_terminated(run.info.run_id)
    f = tmp_path / "late.txt"
    f.write_bytes(b"late")
    client.log_artifact(run.info.run_id, str(f), artifact_path="x/y")
    client.log_text(run.info.run_id, "t", "x/t.txt")
    assert files_of(client.list_artifacts(run.info.run_id, "x")) == [
        ("x/t.txt", False, 1), ("x/y", True, None)]
    assert files_of(client.list_artifacts(run.info.run_id, "x/y")) == [("x/y/late.txt", False, 4)]


@pytest.mark.parametrize("status", ["FAILED", "KILLED", "FINISHED"])
def test_set_terminated(client, experiment_id, status):
    run = client.create_run(experiment_id, run_name="term")
    assert run.info.status == "RUNNING"
    assert run.info.end_time is None
    t = now_ms()
    client.set_terminated(run.info.run_id, status)
    r = client.get_run(run.info.run_id)
    assert r.info.status == status
    assert r.info.end_time is not None and abs(r.info.end_time - t) < 60_000
    assert r.info.run_name == "term"
    # Terminal states may be overwritten; explicit end_time is kept as given.
    client.set_terminated(run.info.run_id, "KILLED", end_time=T0)
    r = client.get_run(run.info.run_id)
    assert r.info.status == "KILLED" and r.info.end_time == T0


def test_failed_run_from_exception_and_resume(client, experiment_id):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            mlflow.log_metric("before", 1.0)
            1 / 0
    r = client.get_run(run.info.run_id)
    assert r.info.status == "FAILED"
    assert r.data.metrics == {"before": 1.0}

    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_metric("after", 2.0)
    r = client.get_run(run.info.run_id)
    assert r.info.status == "FINISHED"
    assert r.data.metrics == {"before": 1.0, "after": 2.0}

    mlflow.start_run(run_id=run.info.run_id)
    mlflow.end_run(status=RunStatus.to_string(RunStatus.KILLED))
    assert client.get_run(run.info.run_id).info.status == "KILLED"


def test_client_create_run_fields_and_rename(client, experiment_id):
    run = client.create_run(experiment_id, start_time=T0, tags={"k": "v"}, run_name="first")
    rid = run.info.run_id
    assert run.info.start_time == T0
    assert run.info.run_name == "first"
    assert run.data.tags["k"] == "v"
    assert run.data.tags["mlflow.runName"] == "first"
    client.update_run(rid, name="second")
    r = client.get_run(rid)
    assert r.info.run_name == "second"
    assert r.data.tags["mlflow.runName"] == "second"
    assert r.info.status == "RUNNING"
    client.update_run(rid, status="FINISHED")
    assert client.get_run(rid).info.status == "FINISHED"

    unnamed = client.create_run(experiment_id)
    assert unnamed.info.run_name  # the server picks a name
    assert client.get_run(unnamed.info.run_id).data.tags["mlflow.runName"] == unnamed.info.run_name


def test_log_batch_and_special_values(client, experiment_id):
    from mlflow.entities import Metric, Param, RunTag

    run = client.create_run(experiment_id)
    rid = run.info.run_id
    client.log_batch(rid,
                     metrics=[Metric("nan", float("nan"), T0, 0), Metric("inf", float("inf"), T0, 0),
                              Metric("ninf", float("-inf"), T0, 0), Metric("int", 3, T0, 0),
                              Metric("negstep", 1.5, T0, -5)],
                     params=[Param("p", "v" * 500)],
                     tags=[RunTag("multi line/x.y-z_w", "a\nb")])
    r = client.get_run(rid)
    assert np.isnan(r.data.metrics["nan"])
    # mlflow's SQL store clamps +-inf to +-DBL_MAX; a store may keep them as
    # they are.
    assert r.data.metrics["inf"] in (float("inf"), sys.float_info.max)
    assert r.data.metrics["ninf"] in (float("-inf"), -sys.float_info.max)
    assert r.data.metrics["int"] == 3.0
    assert r.data.metrics["negstep"] == 1.5
    assert client.get_metric_history(rid, "negstep")[0].step == -5
    assert r.data.params["p"] == "v" * 500
    assert r.data.tags["multi line/x.y-z_w"] == "a\nb"
    assert json.loads(json.dumps(r.to_dictionary(), default=str))  # client can serialise it

"""`sextant import mlflow`: runs written by the real mlflow client into a
file store (mlruns/), into a real `mlflow server`, and exported by
mlflow-export-import, imported and compared value by value with what MLflow
itself reads back (MlflowClient): params, tags, every metric point (step,
value, timestamp; the last value by timestamp where one step has several),
dataset inputs, artifacts' bytes, names, states, start and end times, and
the experiment tags that Sextant's MLflow endpoint returns afterwards."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import TOKEN

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["DO_NOT_TRACK"] = "true"
for _v in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
    os.environ.pop(_v, None)

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric  # noqa: E402

EXP = "exp one"


def log_runs(uri: str, tmp: Path) -> Dict[str, str]:
    """Writes the test runs with the real client; returns {label: run_id}."""
    c = MlflowClient(uri)
    exp_id = c.create_experiment(EXP)
    c.set_experiment_tag(exp_id, "owner", "team-a")
    ids: Dict[str, str] = {}
    r = c.create_run(exp_id, run_name="main run", start_time=1_700_000_000_123,
                     tags={"mlflow.note.content": "a note\nwith two lines", "team": "a",
                           "mlflow.user": "alice"})
    rid = ids["main"] = r.info.run_id
    c.log_param(rid, "lr", "0.001")
    c.log_param(rid, "model/layers", "24")
    c.log_param(rid, "spaces and.dots", "x y")
    c.set_tag(rid, "mlflow.parentRunId", "0" * 32)
    t0 = 1_700_000_001_000
    metrics: List[Metric] = []
    for s in range(50):
        metrics.append(Metric("train/loss", 1.0 / (s + 1), t0 + s, s))
    metrics += [Metric("weird", float("nan"), t0, 0), Metric("weird", float("inf"), t0 + 1, 1),
                Metric("weird", float("-inf"), t0 + 2, 2), Metric("weird", -0.0, t0 + 3, 3),
                Metric("weird", 1e308, t0 + 4, 4)]
    # Repeated steps: two at step 5 (the later timestamp wins even though
    # logged first) and three at step 6 (the last logged wins).
    metrics += [Metric("rep", 9.0, t0 + 50, 5), Metric("rep", 1.0, t0 + 10, 5),
                Metric("rep", 2.0, t0 + 20, 6), Metric("rep", 3.0, t0 + 20, 6),
                Metric("rep", 4.0, t0 + 30, 6), Metric("rep", 0.5, t0, 4)]
    metrics.append(Metric("big_step", 7.0, t0, 2_000_000_000_000))
    c.log_batch(rid, metrics=metrics)
    art = tmp / "art"
    (art / "deep" / "er").mkdir(parents=True, exist_ok=True)
    (art / "deep" / "er" / "b.bin").write_bytes(bytes(range(256)) * 7)
    (art / "top.txt").write_text("hello artifact")
    c.log_artifact(rid, str(art / "top.txt"))
    c.log_artifacts(rid, str(art / "deep"), artifact_path="sub")
    import pandas as pd
    from mlflow.entities import DatasetInput, InputTag
    ds = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="train-set")
    c.log_inputs(rid, [DatasetInput(ds._to_mlflow_entity(), [InputTag("mlflow.data.context", "training")])])
    c.set_terminated(rid, "FINISHED", end_time=1_700_000_009_000)

    r = c.create_run(exp_id, run_name="failed run")
    ids["failed"] = r.info.run_id
    c.log_metric(r.info.run_id, "x", 1.5, step=3)
    c.set_terminated(r.info.run_id, "FAILED")
    r = c.create_run(exp_id, run_name="killed run")
    ids["killed"] = r.info.run_id
    c.log_param(r.info.run_id, "p", "v")
    c.set_terminated(r.info.run_id, "KILLED")
    r = c.create_run(exp_id, run_name="still running")
    ids["running"] = r.info.run_id
    r = c.create_run(exp_id, run_name="deleted run")
    ids["deleted"] = r.info.run_id
    c.set_terminated(r.info.run_id)
    c.delete_run(r.info.run_id)
    other = c.create_experiment("other")
    c.set_experiment_tag(other, "kind", "scratch")
    r = c.create_run(other, run_name="elsewhere")
    ids["other"] = r.info.run_id
    c.set_terminated(r.info.run_id)
    return ids


def last_by_timestamp(hist) -> Dict[int, Any]:
    """MLflow's history as Sextant keeps it: one value per step, the last by
    timestamp (ties: the one logged last)."""
    best: Dict[int, Any] = {}
    for m in hist:
        if m.step not in best or m.timestamp >= best[m.step].timestamp:
            best[m.step] = m
    return best


def same_float(a: float, b: float) -> bool:
    if math.isnan(a):
        return math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def check_run(client, project: str, c: MlflowClient, run_id: str, tmp: Path,
              exp_name: str = EXP) -> None:
    """Every value of MLflow run `run_id` (as MlflowClient reads it) is in
    the Sextant run of the same id."""
    src = c.get_run(run_id)
    got = client.run(project, run_id)
    assert got["name"] == src.info.run_name
    assert got["experiment_name"] == exp_name
    state = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "failed", "RUNNING": "running"}
    assert got["state"] == state[src.info.status]
    assert round(got["created_at"] * 1000) == src.info.start_time
    attrs = client.attributes(project, run_id)
    if src.info.status == "RUNNING":
        assert src.info.end_time is None and "import/end_time" not in attrs
    else:
        ended = dt.datetime.fromtimestamp(0, dt.timezone.utc) + dt.timedelta(milliseconds=src.info.end_time)
        assert attrs["import/end_time"]["type"] == "datetime"
        assert dt.datetime.fromisoformat(attrs["import/end_time"]["value"]) == ended
        # The run ended when it ended in MLflow (its final state change, what
        # Sextant's MLflow endpoint answers as end_time), not at the import.
        assert round(got["updated_at"] * 1000) == src.info.end_time
    want: Dict[str, Any] = {f"params/{k}": v for k, v in src.data.params.items()}
    for k, v in src.data.tags.items():
        if k != "mlflow.runName":
            want[f"tags/{k}"] = v
    if "mlflow.user" not in src.data.tags and src.info.user_id:
        want["tags/mlflow.user"] = src.info.user_id
    if src.info.status == "KILLED":
        want["tags/mlflow.sextant.killed"] = "true"
    for di in src.inputs.dataset_inputs:
        ds = di.dataset
        h = 1469598103934665603
        for b in (ds.name + "\0" + ds.digest).encode():
            h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        fields = {f: getattr(ds, f) for f in ("name", "digest", "source_type", "source", "schema", "profile")
                  if getattr(ds, f) is not None}
        want[f"datasets/{h:016x}"] = json.dumps(
            {"tags": [{"key": t.key, "value": t.value} for t in di.tags], "dataset": fields},
            separators=(",", ":"), ensure_ascii=False)
    configs = {p: a["value"] for p, a in attrs.items()
               if a["type"] == "string" and not p.startswith("import/")}
    assert configs == want
    assert attrs["import/source"]["value"] == "mlflow"
    assert attrs["import/source_id"]["value"] == run_id
    series = sorted(p for p, a in attrs.items() if a["type"] == "float_series")
    assert series == sorted(src.data.metrics)
    for key in series:
        best = last_by_timestamp(c.get_metric_history(run_id, key))
        s = client.series(project, run_id, key)[0]
        assert s["steps"] == sorted(best), key
        for step, v, ts in zip(s["steps"], s["values"], s["timestamps"]):
            m = best[int(step)]
            assert same_float(v, m.value), (key, step, v, m.value)
            assert round(ts * 1000) == m.timestamp, (key, step)
    files = sorted(p for p, a in attrs.items() if a["type"] == "file")
    arts = []

    def walk(path=None):
        for f in c.list_artifacts(run_id, path):
            if f.is_dir:
                walk(f.path)
            else:
                arts.append(f.path)
    walk()
    assert files == sorted(f"artifacts/{a}" for a in arts)
    for a in arts:
        local = c.download_artifacts(run_id, a, str(tmp / "dl-src" / run_id))
        dest = tmp / "dl" / run_id / a
        dest.parent.mkdir(parents=True, exist_ok=True)
        client.download(project, run_id, f"artifacts/{a}", dest)
        assert dest.read_bytes() == Path(local).read_bytes(), a


def sextant_experiment(server, name: str):
    """The experiment `name` as the mlflow client reads it from Sextant's
    MLflow endpoint."""
    os.environ["MLFLOW_TRACKING_TOKEN"] = TOKEN
    try:
        return MlflowClient(server.url).get_experiment_by_name(name)
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]


def imported_ids(client, project: str) -> List[str]:
    return sorted(r["run_id"] for r in client.runs(project))


# -- the file store -------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlflow-files")
    uri = "file:" + str(tmp / "mlruns")
    ids = log_runs(uri, tmp)
    return tmp / "mlruns", uri, ids


def experiment_tags(c: MlflowClient, *names: str) -> Dict[str, str]:
    """The tags of MLflow experiments `names` together."""
    out: Dict[str, str] = {}
    for n in names:
        out.update(c.get_experiment_by_name(n).tags)
    return out


def test_mlflow_file_store(sextant, server, client, project, file_store, tmp_path):
    root, uri, ids = file_store
    c = MlflowClient(uri)
    p = sextant("import", "mlflow", str(root), "--project", project)
    want = sorted(v for k, v in ids.items() if k != "deleted")
    assert imported_ids(client, project) == want
    for k in ("main", "failed", "killed", "running", "other"):
        check_run(client, project, c, ids[k], tmp_path, "other" if k == "other" else EXP)
    assert "rep': 3 of its 6 values were logged at a step that has another value (2 steps)" in p.stderr
    assert "1 deleted runs: not imported" in p.stderr
    assert "end_time of" not in p.stderr  # imported, not reported as lost
    assert client.run(project, ids["running"])["state"] == "running"
    # Both experiments went into one project: its experiment has the tags of both.
    tags = experiment_tags(c, EXP, "other")
    assert sextant_experiment(server, project).tags == tags
    n = len(c.get_experiment_by_name(EXP).tags)
    assert f"experiment 'exp one' → {project}: {n} tags set\n" in p.stderr
    assert f"experiment 'other' → {project}: 1 tags set\n" in p.stderr

    again = sextant("import", "mlflow", str(root), "--project", project)
    assert "5 runs were already imported" in again.stderr
    assert "0 runs imported" in again.stderr
    for k in ("main", "killed"):
        check_run(client, project, c, ids[k], tmp_path)
    # Every run written again: the tags are there already, and setting
    # none of them leaves the experiment as it was.
    before = sextant_experiment(server, project)
    third = sextant("import", "mlflow", str(root), "--project", project, "--restart")
    assert f"experiment 'exp one' → {project}: 0 tags set, {n} already so" in third.stderr
    after = sextant_experiment(server, project)
    assert after.tags == tags and after.last_update_time == before.last_update_time


def test_mlflow_file_store_options(sextant, client, project, file_store, tmp_path, native):
    root, uri, ids = file_store
    c = MlflowClient(uri)
    dry = sextant("import", "mlflow", str(root), "--project", project, "--dry-run")
    assert "5 runs would be imported" in dry.stderr
    n = len(c.get_experiment_by_name(EXP).tags)
    assert f"experiment 'exp one' → {project}: {n} tags would be set" in dry.stderr
    assert f"experiment 'other' → {project}: 1 tags would be set" in dry.stderr
    with pytest.raises(urllib.error.HTTPError):
        native("GET", f"/projects/{project}/runs/{ids['main']}")
    sextant("import", "mlflow", str(root), "--project", project, "--experiment", "other")
    assert imported_ids(client, project) == [ids["other"]]
    p = sextant("import", "mlflow", "file:" + str(root), "--project", project, "--include-deleted",
                "--experiment", EXP)
    check_run(client, project, c, ids["deleted"], tmp_path)
    # Deleted in MLflow: in Sextant's trash.
    assert [r["run_id"] for r in client.runs(project, trashed="only")] == [ids["deleted"]]


def test_mlflow_file_store_corrupt(sextant, client, project, file_store, tmp_path):
    root, uri, ids = file_store
    copy = tmp_path / "mlruns"
    shutil.copytree(root, copy)
    exp_dir = next(d for d in copy.iterdir() if (d / ids["main"]).is_dir())
    loss = exp_dir / ids["main"] / "metrics" / "train" / "loss"
    lines = loss.read_bytes().splitlines()
    lines.insert(10, b"garbage line here too")
    lines.insert(20, b"1700000001000 not-a-number 3")
    loss.write_bytes(b"\n".join(lines[:-1]) + b"\n" + lines[-1][:5])  # truncated last line
    (exp_dir / ids["failed"] / "meta.yaml").write_text("run_id: [unclosed\n")
    p = sextant("import", "mlflow", str(copy), "--project", project)
    assert "train/loss': 3 corrupt lines skipped (line 11: 'garbage line here too'" in p.stderr
    assert "the other 49 imported" in p.stderr
    assert f"run folder {exp_dir / ids['failed']}: unreadable meta.yaml" in p.stderr
    s = client.series(project, ids["main"], "train/loss")[0]
    assert s["steps"] == list(range(49)) and s["values"] == [1.0 / (i + 1) for i in range(49)]
    assert ids["failed"] not in imported_ids(client, project)


# What log_models logs to its READY model: (step, value, timestamp ms).
MODEL_METRICS = {"val/acc": [(1, 0.75, 1_700_000_001_000), (2, 0.875, 1_700_000_002_000)]}


def log_models(uri: str, tmp: Path) -> Dict[str, str]:
    """MLflow 3 logged models written by the real client: a READY one with
    params, tags, a metric and artifacts from a run, a FAILED one, and a
    PENDING one without a source run; returns {label: model_id}."""
    c = MlflowClient(uri)
    exp_id = c.create_experiment("models")
    run = c.create_run(exp_id, run_name="trainer", start_time=1_700_000_000_000)
    rid = run.info.run_id
    ready = c.create_logged_model(exp_id, name="my-model", source_run_id=rid, model_type="sklearn",
                                  params={"alpha": "0.5", "depth": "3"}, tags={"stage": "candidate"})
    art = tmp / "model-art"
    (art / "sub").mkdir(parents=True, exist_ok=True)
    (art / "MLmodel").write_text("flavors: {}\n")
    (art / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 33)
    c.log_model_artifacts(ready.model_id, str(art))
    for key, points in MODEL_METRICS.items():
        for step, value, ts in points:
            c.log_metric(rid, key, value, step=step, timestamp=ts, model_id=ready.model_id)
    c.finalize_logged_model(ready.model_id, "READY")
    failed = c.create_logged_model(exp_id, name="broken", source_run_id=rid)
    c.finalize_logged_model(failed.model_id, "FAILED")
    pending = c.create_logged_model(exp_id, name="loose")
    c.set_terminated(rid)
    return {"run": rid, "ready": ready.model_id, "failed": failed.model_id, "pending": pending.model_id}


def check_model(server, client, project: str, c: MlflowClient, model_id: str, tmp: Path,
                served_from: Path = None) -> None:
    """The logged model as Sextant's MLflow endpoint answers it equals the
    source's, field by field; its artifacts have the same bytes."""
    src = c.get_logged_model(model_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = TOKEN
    try:
        got = MlflowClient(server.url).get_logged_model(model_id)
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    for f in ("name", "model_type", "source_run_id", "status", "params", "tags",
              "creation_timestamp"):
        # Over REST an unset string reads as "", from the file store as None.
        assert (getattr(got, f) or None) == (getattr(src, f) or None), f
    # The model's metric values, as logged (MLflow's server lists every value,
    # its file store the last of each key): the points of its series.
    want = MODEL_METRICS if src.metrics else {}
    got_series = {p: a for p, a in client.attributes(project, model_id).items() if a["type"] == "float_series"}
    assert sorted(got_series) == sorted(want)
    for key, points in want.items():
        s = client.series(project, model_id, key)[0]
        assert [(int(st), v, round(ts * 1000)) for st, v, ts in zip(s["steps"], s["values"], s["timestamps"])] == points
    for m in src.metrics or []:
        assert (m.step, m.value, m.timestamp) in want[m.key]
    # Sextant's endpoint lists every value, as MLflow's server does.
    assert sorted((m.key, m.step, m.value, m.timestamp) for m in got.metrics or []) == sorted(
        (k, st, v, ts) for k, pts in want.items() for st, v, ts in pts)
    run = client.run(project, model_id)
    assert run["name"] == src.name and run["experiment_name"] == "models"
    assert "mlflow-model" in client.attributes(project, model_id)["sys/tags"]["value"]
    assert run["state"] == {"READY": "finished", "FAILED": "failed", "PENDING": "running"}[src.status.name]
    # The artifacts, read from where MLflow put them: the file store's
    # folder, or the tracking server's --artifacts-destination.
    if src.artifact_location.startswith("mlflow-artifacts:"):
        root = served_from / urllib.parse.urlsplit(src.artifact_location).path.lstrip("/")
    else:
        root = Path(urllib.parse.unquote(urllib.parse.urlsplit(src.artifact_location).path))
    arts = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    files = sorted(p for p, a in client.attributes(project, model_id).items() if a["type"] == "file")
    assert files == [f"artifacts/{a}" for a in arts]
    for a in arts:
        dest = tmp / "dl-model" / model_id / a
        dest.parent.mkdir(parents=True, exist_ok=True)
        client.download(project, model_id, f"artifacts/{a}", dest)
        assert dest.read_bytes() == (root / a).read_bytes(), a


def test_mlflow_file_store_logged_models(sextant, server, client, project, tmp_path):
    uri = "file:" + str(tmp_path / "mlruns")
    ids = log_models(uri, tmp_path)
    c = MlflowClient(uri)
    p = sextant("import", "mlflow", str(tmp_path / "mlruns"), "--project", project)
    assert "4 runs imported" in p.stderr, p.stderr
    assert imported_ids(client, project) == sorted(ids.values())
    for k in ("ready", "failed", "pending"):
        check_model(server, client, project, c, ids[k], tmp_path)
    # The run the model came from has the metric too, as MLflow keeps it.
    assert client.series(project, ids["run"], "val/acc")[0]["values"] == [0.75, 0.875]
    again = sextant("import", "mlflow", str(tmp_path / "mlruns"), "--project", project)
    assert "4 runs were already imported" in again.stderr


def test_mlflow_experiment_tag_conflict(sextant, server, project, file_store, tmp_path):
    """Two experiments into one project with one tag key but other values:
    the first experiment's value stays, the other is reported."""
    root, uri, ids = file_store
    copy = tmp_path / "mlruns"
    shutil.copytree(root, copy)
    by_name = {}
    for d in copy.iterdir():
        if (d / "meta.yaml").is_file() and d.name != "0":
            by_name["other" if (d / ids["other"]).is_dir() else EXP] = d
    (by_name["other"] / "tags" / "owner").write_text("team-b")
    first, second = sorted(by_name, key=lambda n: by_name[n].name)  # the order they are read in
    values = {EXP: "team-a", "other": "team-b"}
    p = sextant("import", "mlflow", str(copy), "--project", project)
    assert (f"experiment {second!r} tag 'owner': {project} already has it from experiment {first!r} "
            f"with another value ({values[first]!r})") in p.stderr
    assert sextant_experiment(server, project).tags["owner"] == values[first]


def test_mlflow_experiment_tags_renamed_target(sextant, server, tmp_path):
    """The target project's experiment has a name of its own (made through
    Sextant's endpoint with a name that is no project name): it is found
    through the imported run."""
    import uuid
    name = f"Tabular runs {uuid.uuid4().hex[:8]}"
    os.environ["MLFLOW_TRACKING_TOKEN"] = TOKEN
    try:
        MlflowClient(server.url).create_experiment(name)
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    c = MlflowClient("file:" + str(tmp_path / "mlruns"))
    exp = c.create_experiment("source")
    c.set_experiment_tag(exp, "stage", "prod")
    run = c.create_run(exp, run_name="one")
    c.set_terminated(run.info.run_id, end_time=1_700_000_100_000)
    sextant("import", "mlflow", str(tmp_path / "mlruns"), "--project", "mlflow/" + name.replace(" ", "-"))
    assert sextant_experiment(server, name).tags == {"stage": "prod"}


# -- a tracking server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_mlflow_server(tmp: Path):
    """A real `mlflow server` (SQLite backend, artifacts served from
    tmp/artifacts); yields its URL."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    exe = Path(sys.executable).parent / "mlflow"
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([str(exe), "server", "--backend-store-uri", f"sqlite:///{tmp / 'db.sqlite'}",
                             "--artifacts-destination", str(tmp / "artifacts"), "--serve-artifacts",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=tmp, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((tmp / "server.log").read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mlflow-server")
    with running_mlflow_server(tmp) as url:
        yield url, log_runs(url, tmp)


def test_mlflow_server_logged_models(sextant, server, client, project, tmp_path):
    with running_mlflow_server(tmp_path / "mlflow") as url:
        ids = log_models(url, tmp_path)
        c = MlflowClient(url)
        p = sextant("import", "mlflow", url, "--project", project)
        assert "4 runs imported" in p.stderr, p.stderr
        assert imported_ids(client, project) == sorted(ids.values())
        for k in ("ready", "failed", "pending"):
            check_model(server, client, project, c, ids[k], tmp_path, tmp_path / "mlflow" / "artifacts")
        again = sextant("import", "mlflow", url, "--project", project)
        assert "4 runs were already imported" in again.stderr


def test_mlflow_server(sextant, server, client, project, mlflow_server, tmp_path):
    url, ids = mlflow_server
    c = MlflowClient(url)
    p = sextant("import", "mlflow", url, "--project", project)
    assert imported_ids(client, project) == sorted(v for k, v in ids.items() if k != "deleted")
    for k in ("main", "failed", "killed", "running", "other"):
        check_run(client, project, c, ids[k], tmp_path, "other" if k == "other" else EXP)
    assert "rep': 3 of its 6 values" in p.stderr
    assert sextant_experiment(server, project).tags == experiment_tags(c, EXP, "other")
    again = sextant("import", "mlflow", url, "--project", project)
    assert "0 runs imported" in again.stderr and "5 runs were already imported" in again.stderr
    # A new point changes the run: only it is imported again.
    c.log_metric(ids["failed"], "x", 2.5, step=4)
    third = sextant("import", "mlflow", url, "--project", project)
    assert "1 runs imported" in third.stderr
    check_run(client, project, c, ids["failed"], tmp_path)


def test_mlflow_server_options(sextant, client, project, mlflow_server, tmp_path, native):
    url, ids = mlflow_server
    dry = sextant("import", "mlflow", url, "--project", project, "--dry-run", "--experiment", EXP)
    assert "4 runs would be imported" in dry.stderr
    assert project not in [x["project"] for x in client.projects()]
    p = sextant("import", "mlflow", url, "--project", project, "--include-deleted", "--experiment", EXP)
    check_run(client, project, MlflowClient(url), ids["deleted"], tmp_path)
    assert [r["run_id"] for r in client.runs(project, trashed="only")] == [ids["deleted"]]
    bad = sextant("import", "mlflow", "http://127.0.0.1:1", "--project", project, check=False)
    assert bad.returncode != 0 and "cannot reach the tracking server" in bad.stderr


# -- mlflow-export-import ------------------------------------------------------------------


def export_experiment(uri: str, exp_name: str, out: Path) -> str:
    """mlflow-export-import's export-experiment when it is installed; else
    the same files as its 1.2.0 release writes them (experiment.json and
    <run_id>/run.json with each metric's full history, <run_id>/artifacts/),
    from the mlflow client."""
    try:
        import mlflow_export_import  # noqa: F401
        env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
        subprocess.run([sys.executable, "-m", "mlflow_export_import.experiment.export_experiment",
                        "--experiment", exp_name, "--output-dir", str(out)], env=env, check=True,
                       capture_output=True, timeout=300)
        return "tool"
    except ImportError:
        pass
    c = MlflowClient(uri)
    exp = c.get_experiment_by_name(exp_name)
    runs = c.search_runs([exp.experiment_id])
    out.mkdir(parents=True)
    system = {"package_version": "1.2.0", "script": "export_experiment.py"}
    (out / "experiment.json").write_text(json.dumps({
        "system": system, "info": {"num_total_runs": len(runs), "num_ok_runs": len(runs)},
        "mlflow": {"experiment": {"experiment_id": exp.experiment_id, "name": exp.name,
                                  "lifecycle_stage": exp.lifecycle_stage, "tags": exp.tags,
                                  "creation_time": exp.creation_time},
                   "runs": [r.info.run_id for r in runs]}}, indent=2))
    for r in runs:
        d = out / r.info.run_id
        d.mkdir()
        info = {k: getattr(r.info, k) for k in ("run_id", "experiment_id", "user_id", "status",
                                                "start_time", "end_time", "lifecycle_stage",
                                                "artifact_uri", "run_name")}
        metrics = {k: [{"value": m.value, "timestamp": m.timestamp, "step": m.step, "run_id": m.run_id}
                       for m in c.get_metric_history(r.info.run_id, k)] for k in r.data.metrics}
        (d / "run.json").write_text(json.dumps({"system": system, "mlflow": {
            "info": info, "params": r.data.params, "metrics": metrics, "tags": r.data.tags}}, indent=2))
        if c.list_artifacts(r.info.run_id):
            (d / "artifacts").mkdir()
            c.download_artifacts(r.info.run_id, "", str(d / "artifacts"))
    return "schema"


def test_mlflow_export_import(sextant, server, client, project, file_store, tmp_path):
    root, uri, ids = file_store
    c = MlflowClient(uri)
    out = tmp_path / "export"
    export_experiment(uri, EXP, out)
    p = sextant("import", "mlflow", str(out), "--project", project)
    assert imported_ids(client, project) == sorted(ids[k] for k in ("main", "failed", "killed", "running"))
    for k in ("failed", "killed", "running"):
        check_run(client, project, c, ids[k], tmp_path)
    assert sextant_experiment(server, project).tags == experiment_tags(c, EXP)
    # The export has no dataset inputs: everything else of the main run.
    run = json.loads((out / ids["main"] / "run.json").read_text())
    assert "inputs" not in run["mlflow"]
    attrs = client.attributes(project, ids["main"])
    assert not any(k.startswith("datasets/") for k in attrs)
    src = c.get_run(ids["main"])
    assert {k[7:]: a["value"] for k, a in attrs.items() if k.startswith("params/")} == src.data.params
    best = last_by_timestamp(c.get_metric_history(ids["main"], "rep"))
    s = client.series(project, ids["main"], "rep")[0]
    assert s["values"] == [best[k].value for k in sorted(best)]
    assert client.run(project, ids["main"])["name"] == "main run"
    dest = tmp_path / "b.bin"
    client.download(project, ids["main"], "artifacts/sub/er/b.bin", dest)
    assert dest.read_bytes() == bytes(range(256)) * 7
    assert "rep': 3 of its 6 values" in p.stderr
    again = sextant("import", "mlflow", str(out), "--project", project)
    assert "4 runs were already imported" in again.stderr

    # A corrupt run.json and a corrupt metric value: reported, the rest imported.
    bad = tmp_path / "export-bad"
    shutil.copytree(out, bad)
    (bad / ids["running"] / "run.json").write_text('{"mlflow": {"info": ')
    run["mlflow"]["metrics"]["train/loss"][3]["value"] = "oops"
    (bad / ids["main"] / "run.json").write_text(json.dumps(run))
    project2 = project + "x"
    p = sextant("import", "mlflow", str(bad), "--project", project2)
    assert f"{bad / ids['running'] / 'run.json'}: unreadable" in p.stderr
    assert "train/loss': 1 corrupt values skipped" in p.stderr
    s = client.series(project2, ids["main"], "train/loss")[0]
    assert s["steps"] == [x for x in range(50) if x != 3]
    # Its run ids are in two projects now: the experiment is found by name.
    assert sextant_experiment(server, project2).tags == experiment_tags(c, EXP)

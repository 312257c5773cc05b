"""Every logging call round-trips through the real server, and the Client
reads it back."""
from __future__ import annotations

import datetime as dt
import math

import pytest

import sextant
import sextant._client as client_mod


def test_metrics_round_trip(run_factory, client, proj):
    run = run_factory(name="metrics", experiment_name="exp")
    values = [0.5, -0.0, 1e-300, 1e300, math.nan, math.inf, -math.inf, 3]
    for i, v in enumerate(values):
        run.log_metrics({"train/loss": v, "train/acc": i / 10}, step=i, timestamp=1_700_000_000 + i)
    run.log_metrics({"half": 1.0}, step=0.5)
    assert run.flush(timeout=30)
    s = client.series(proj, run.run_id, "train/loss")[0]
    assert s["type"] == "float_series"
    assert s["steps"] == list(range(len(values)))
    for got, want in zip(s["values"], values):
        assert (math.isnan(got) and math.isnan(want)) or (got == want and math.copysign(1, got) == math.copysign(1, want))
    assert s["timestamps"] == [1_700_000_000 + i for i in range(len(values))]
    assert client.series(proj, run.run_id, "half")[0]["steps"] == [0.5]
    assert run.close(timeout=30)
    info = client.run(proj, run.run_id)
    assert info["state"] == "finished" and info["name"] == "metrics" and info["experiment_name"] == "exp"


def test_last_write_wins_and_order(run_factory, client, proj):
    run = run_factory()
    run.log_metrics({"a": 1.0, "b": 1.0}, step=1)
    run.log_metrics({"a": 2.0}, step=1)
    run.log_metrics({"a": 3.0, "b": 3.0}, step=1)
    run.log_metrics({"a": 4.0}, step=1)
    run.close(timeout=30)
    assert client.series(proj, run.run_id, "a")[0]["values"] == [4.0]
    assert client.series(proj, run.run_id, "b")[0]["values"] == [3.0]


def test_strings_histograms_configs_tags(run_factory, client, proj):
    run = run_factory()
    run.log_string_series({"eval/sample": "héllo ✓ \"quoted\"\n"}, step=3)
    run.log_string_series({"eval/sample": "second"}, step=4)
    h = sextant.Histogram(bin_edges=[0, 0.5, 1.0], counts=[3, 4])
    run.log_histograms({"grad/layer0": h}, step=3)
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    run.log_configs({"lr": 3e-4, "model": {"layers": 24, "name": "gpt", "deep": {"x": True}},
                     "started": when, "datasets": {"b", "a"}, "nan": math.nan, "betas": (0.9, 0.99),
                     "nothing": None})
    run.add_tags(["baseline", "tmp"])
    run.remove_tags(["tmp"])
    run.close(timeout=30)
    a = client.attributes(proj, run.run_id)
    assert a["lr"]["type"] == "float" and a["lr"]["value"] == 3e-4
    assert a["model/layers"] == {"path": "model/layers", "type": "int", "value": 24}
    assert a["model/name"]["value"] == "gpt"
    assert a["model/deep/x"]["type"] == "bool" and a["model/deep/x"]["value"] is True
    assert a["started"]["type"] == "datetime"
    assert a["datasets"]["type"] == "string_set" and a["datasets"]["value"] == ["a", "b"]
    assert math.isnan(a["nan"]["value"])
    assert a["betas"]["value"] == "[0.9, 0.99]" and a["nothing"]["value"] == "None"
    assert a["sys/tags"]["value"] == ["baseline"]
    s = client.series(proj, run.run_id, "eval/sample")[0]
    assert s["type"] == "string_series" and s["values"] == ["héllo ✓ \"quoted\"\n", "second"]
    hs = client.series(proj, run.run_id, "grad/layer0")[0]
    assert hs["type"] == "histogram_series"
    assert hs["values"] == [{"edges": [0, 0.5, 1.0], "counts": [3, 4]}]
    assert client.attributes(proj, run.run_id, pattern="^model/")


def test_files_round_trip(run_factory, client, proj, tmp_path):
    run = run_factory()
    cfg = tmp_path / "config.yaml"
    cfg.write_text("layers: 24\n")
    big = tmp_path / "cm.png"
    payload = bytes(range(256)) * 4096  # 1 MiB
    big.write_bytes(payload)
    run.assign_files({"model/config": str(cfg)})
    run.log_files({"eval/confusion": big}, step=1)
    run.log_files({"eval/confusion": b"second"}, step=2)
    run.close(timeout=30)
    out = tmp_path / "out"
    out.mkdir()
    p = client.download(proj, run.run_id, "model/config", out)
    assert p.endswith("config.yaml") and open(p).read() == "layers: 24\n"
    p1 = client.download(proj, run.run_id, "eval/confusion", out / "one.png", step=1)
    assert open(p1, "rb").read() == payload
    p2 = client.download(proj, run.run_id, "eval/confusion", out / "two.bin", step=2)
    assert open(p2, "rb").read() == b"second"
    with pytest.raises(sextant.ApiError) as e:
        client.download(proj, run.run_id, "missing", out / "x")
    assert e.value.status == 404
    assert sorted(x.name for x in out.iterdir()) == ["config.yaml", "one.png", "two.bin"]


def test_float_steps_arrive_as_six_digit_decimals(run_factory, client, proj, tmp_path):
    run = run_factory()
    run.log_metrics({"m": 1.0}, step=0.1 + 0.2)        # 0.30000000000000004: sent as 0.3
    run.log_metrics({"m": 2.0}, step=0.00005)          # repr "5e-05": still exact
    run.log_metrics({"m": 3.0}, step=1234.000001)
    run.log_metrics({"m": 4.0})                        # one more than 1234.000001
    run.log_files({"f": b"tiny"}, step=0.00005)
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"m": 5.0}, step=1e-7)
    assert run.close(timeout=30)
    assert client.series(proj, run.run_id, "m")[0]["steps"] == [0.00005, 0.3, 1234.000001, 1235.000001]
    p = client.download(proj, run.run_id, "f", tmp_path / "f.bin", step=0.00005)
    assert open(p, "rb").read() == b"tiny"


def test_fork_lineage(run_factory, client, proj):
    parent = run_factory(run_id="parent")
    for s in range(10):
        parent.log_metrics({"loss": float(s)}, step=s)
    parent.close(timeout=30)
    child = run_factory(run_id="child", fork_run_id="parent", fork_step=5)
    for s in range(6, 9):
        child.log_metrics({"loss": 100.0 + s}, step=s)
    child.close(timeout=30)
    s = client.series(proj, "child", "loss")[0]
    assert s["steps"] == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert s["values"][-3:] == [106.0, 107.0, 108.0]
    own = client.series(proj, "child", "loss", lineage=False)[0]
    assert own["steps"] == [6, 7, 8]
    assert client.run(proj, "child")["fork_run_id"] == "parent"


def test_runs_table_and_series_reads(run_factory, client, proj, monkeypatch):
    for i, lr in enumerate((1e-4, 1e-3, 1e-2)):
        r = run_factory(run_id=f"r{i}", name=f"sweep-{i}")
        r.log_configs({"lr": lr})
        for s in range(250):
            r.log_metrics({"train/loss": lr * 1000 + s / 1000}, step=s)
        if i == 0:
            r.add_tags("best")
        r.close(timeout=30)
    assert any(p["project"] == proj and p["runs"] == 3 for p in client.projects())
    runs = client.runs(proj, filter="lr < 5e-3", sort="-train/loss", columns=["lr", "train/loss"])
    assert [r["run_id"] for r in runs] == ["r1", "r0"] and runs.total == 2
    assert set(runs[0]["attributes"]) == {"lr", "train/loss"}
    assert [r["run_id"] for r in client.runs(proj, sort="lr", limit=2)] == ["r0", "r1"]
    assert [r["run_id"] for r in client.runs(proj, filter='sys/tags contains "best"')] == ["r0"]
    with pytest.raises(sextant.ApiError) as e:
        client.runs(proj, filter="lr <")
    assert e.value.status == 400 and "column" in e.value.message
    # Raw points page automatically (a small page forces several requests).
    monkeypatch.setattr(client_mod, "_SERIES_PAGE", 60)
    ss = client.series(proj, ["r0", "r2"], "train/loss", step_range=(10, 209))
    assert [s["run_id"] for s in ss] == ["r0", "r2"]
    assert all(s["steps"] == list(range(10, 210)) for s in ss)
    b = client.series(proj, "r1", "train/loss", buckets=5, exact_buckets=True)[0]["buckets"]
    assert b["count"] == [50] * 5 and b["min"][0] == 1.0 and b["max"][-1] == pytest.approx(1.249)
    # By default edges are snapped to stored 128-point blocks: same points and extremes.
    b = client.series(proj, "r1", "train/loss", buckets=5)[0]["buckets"]
    assert sum(b["count"]) == 250 and min(b["min"]) == 1.0 and max(b["max"]) == pytest.approx(1.249)
    assert b["first_step"][0] == 0 and b["last_step"][-1] == 249


def test_to_pandas(run_factory, client, proj):
    pytest.importorskip("pandas")
    r = run_factory(run_id="p")
    r.log_configs({"lr": 0.1})
    for s in range(5):
        r.log_metrics({"loss": float(s)}, step=s)
    r.close(timeout=30)
    df = client.series(proj, "p", "loss").to_pandas()
    assert list(df.columns) == ["run_id", "step", "value", "timestamp"] and len(df) == 5
    assert len(client.series(proj, "p", "loss", buckets=2, exact_buckets=True).to_pandas()) == 2
    runs = client.runs(proj).to_pandas()
    assert runs.loc[0, "lr"] == 0.1 and runs.loc[0, "loss"] == 4.0
    assert "loss" in set(client.attributes(proj, "p").to_pandas()["path"])


def test_quick_api(server, journal, proj, client):
    run = sextant.init(project=proj, url=server.url, journal_dir=str(journal), capture_stdout=False,
                       capture_stderr=False, capture_system_metrics=False, capture_source=False)
    for i in range(5):
        sextant.log({"loss": 1.0 / (i + 1), "note": f"step {i}"})
    sextant.log({"loss": 0.0}, step=100)
    sextant.log({"hist": sextant.Histogram(bin_edges=[0, 1], counts=[2])})
    assert sextant.finish(timeout=30)
    with pytest.raises(sextant.SextantError):
        sextant.log({"loss": 1.0})
    s = client.series(proj, run.run_id, "loss")[0]
    assert s["steps"] == [0, 1, 2, 3, 4, 100]
    assert client.series(proj, run.run_id, "note")[0]["values"][-1] == "step 4"
    assert client.series(proj, run.run_id, "hist")[0]["steps"] == [101]


def test_env_configuration(server, journal, proj, client, monkeypatch):
    monkeypatch.setenv("SEXTANT_URL", server.url)
    monkeypatch.setenv("SEXTANT_PROJECT", proj)
    monkeypatch.setenv("SEXTANT_JOURNAL_DIR", str(journal))
    with sextant.Run(run_id="from-env", capture_stdout=False, capture_stderr=False,
                     capture_system_metrics=False, capture_source=False) as run:
        run.log_metrics({"x": 1.0}, step=0)
    assert run.url == server.url and run.project == proj
    assert client.series(proj, "from-env", "x")[0]["values"] == [1.0]
    assert sextant.Client().projects()  # the URL from the environment


def test_exception_marks_failed(run_factory, client, proj):
    with pytest.raises(RuntimeError):
        with run_factory(run_id="boom", capture_traceback=True) as run:
            run.log_metrics({"x": 1.0}, step=0)
            raise RuntimeError("diverged")
    info = client.run(proj, "boom")
    assert info["state"] == "failed"
    tb = client.attributes(proj, "boom")["monitoring/traceback"]["value"]
    assert "RuntimeError: diverged" in tb and "Traceback" in tb


def test_resume_same_run_id(run_factory, client, proj):
    r1 = run_factory(run_id="resumed")
    r1.log_metrics({"x": 1.0}, step=0)
    r1.close(timeout=30)
    r2 = run_factory(run_id="resumed")
    r2.log_metrics({"x": 2.0}, step=1)
    r2.close(timeout=30)
    assert client.series(proj, "resumed", "x")[0]["values"] == [1.0, 2.0]
    assert client.run(proj, "resumed")["state"] == "finished"

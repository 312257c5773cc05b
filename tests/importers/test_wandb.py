"""`sextant import wandb`: runs written by the real wandb client in offline
mode (each in its own process), imported and read back value by value; a
re-run that changes nothing; --dry-run; a flipped byte and a truncated
.wandb file (reported, the rest imported). The W&B API source is covered by
a unit test of its mapping with a fake `wandb.Api` (no W&B server here)."""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

GEN = r'''
import json, math, sys, time
import numpy as np
import wandb

out, kind = sys.argv[1], sys.argv[2]
rows = []

def log(d, **kw):
    t0 = time.time()
    run.log(d, **kw)
    rows.append({"t0": t0, "t1": time.time(), "step": kw.get("step")})

if kind == "main":
    run = wandb.init(dir=out, project="proj1", name="main run", group="grp", job_type="train",
                     tags=["a", "b"], notes="some notes",
                     config={"lr": 0.001, "model": {"layers": 4, "name": "gpt"}, "flag": True,
                             "betas": [0.9, 0.999], "nothing": None},
                     settings=wandb.Settings(x_stats_sampling_interval=0.2))
    for i in range(20):
        v = {3: float("nan"), 4: float("inf"), 5: float("-inf")}.get(i, 1.0 / (i + 1))
        log({"loss": v, "train/acc": i * 0.1, "nested": {"x": i, "y": {"z": -i}}, "txt": f"s{i}",
             "ok": i % 2 == 0})
    log({"loss": 0.01, "late": 7}, step=100)
    log({"hist": wandb.Histogram(np.arange(100) % 7)}, step=101)
    log({"hist": wandb.Histogram(np_histogram=([1, 2, 3], [0.0, 0.5, 2.0, 3.0]))}, step=102)
    img = np.zeros((8, 8, 3), dtype=np.uint8)
    img[2:4] = 255
    log({"img": wandb.Image(img, caption="white band")}, step=103)
    log({"tbl": wandb.Table(columns=["a"], data=[[1]]), "lst": [1, 2], "none": None}, step=104)
    print("hello stdout")
    print("hello stderr", file=sys.stderr)
    time.sleep(1.0)
    run.summary["best"] = 0.5
    run.summary["loss"] = 0.123
    run.finish()
elif kind == "failed":
    run = wandb.init(dir=out, project="proj1", config={"x": 1}, settings=wandb.Settings(x_disable_stats=True))
    for i in range(3):
        log({"m": float(i)})
    run.finish(exit_code=1)
elif kind == "long":
    run = wandb.init(dir=out, project="proj1", settings=wandb.Settings(x_disable_stats=True, console="off"))
    for i in range(3000):
        log({"a": i * 0.5, "b": float(i), "name": "x" * 20})
    run.finish()
print(json.dumps({"id": run.id, "rows": rows}))
'''


def _gen(tmp: Path, kind: str) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    script = tmp / "gen.py"
    script.write_text(GEN)
    p = subprocess.run([sys.executable, str(script), str(tmp), kind], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true"))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("wandb")
    return {"dir": base / "wandb", "main": _gen(base, "main"), "failed": _gen(base, "failed")}


def _run_dir(runs: dict, kind: str) -> Path:
    return Path(glob.glob(str(runs["dir"] / f"offline-run-*-{runs[kind]['id']}"))[0])


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _series(client, project, rid, path):
    return client.series(project, rid, path)[0]


def test_wandb_offline_every_value(runs, sextant, client, project, tmp_path):
    out = sextant("import", "wandb", str(runs["dir"]), "--project", project)
    main, failed = runs["main"], runs["failed"]
    rid = main["id"]
    r = client.run(project, rid)
    assert r["name"] == "main run" and r["experiment_name"] == "grp" and r["state"] == "finished"
    assert client.run(project, failed["id"])["state"] == "failed"
    a = client.attributes(project, rid)
    cfg = {p: x.get("value") for p, x in a.items() if "value" in x}
    assert cfg["lr"] == 0.001 and cfg["model/layers"] == 4 and cfg["model/name"] == "gpt"
    assert cfg["flag"] is True and cfg["betas"] == "[0.9, 0.999]" and cfg["nothing"] == "None"
    assert cfg["sys/description"] == "some notes"
    assert sorted(cfg["sys/tags"]) == ["a", "b"]
    assert cfg["summary/loss"] == 0.123 and cfg["summary/best"] == 0.5
    assert not any(p.startswith("summary/") for p in cfg if p not in ("summary/loss", "summary/best"))
    assert cfg["wandb/project"] == "proj1" and cfg["wandb/job_type"] == "train"
    assert cfg["wandb/exit_code"] == 0 and cfg["import/source"] == "wandb"
    assert cfg["import/source_id"] == f"proj1/{rid}"
    fcfg = {p: x.get("value") for p, x in client.attributes(project, failed["id"]).items() if "value" in x}
    assert fcfg["x"] == 1 and fcfg["wandb/exit_code"] == 1

    rows = main["rows"]
    steps = list(range(20))

    def check(path, want_steps, want, kind=float):
        s = _series(client, project, rid, path)
        assert s["steps"] == want_steps, path
        if kind is float:
            assert all(_same(x, y) for x, y in zip(s["values"], want)) and len(s["values"]) == len(want), path
        else:
            assert s["values"] == want, path
        for st, ts in zip(s["steps"], s["timestamps"]):  # _timestamp falls inside its log call
            row = rows[st] if st < 20 else next(x for x in rows if x["step"] == st)
            assert row["t0"] - 1e-3 <= ts <= row["t1"] + 1e-3, (path, st, ts, row)
        return s

    loss = [{3: math.nan, 4: math.inf, 5: -math.inf}.get(i, 1.0 / (i + 1)) for i in steps]
    check("loss", steps + [100], loss + [0.01])
    check("train/acc", steps, [i * 0.1 for i in steps])
    check("nested/x", steps, [float(i) for i in steps])
    check("nested/y/z", steps, [float(-i) for i in steps])
    check("txt", steps, [f"s{i}" for i in steps], str)
    check("ok", steps, [1.0 if i % 2 == 0 else 0.0 for i in steps])
    check("late", [100], [7.0])
    assert len(_series(client, project, rid, "_runtime")["steps"]) == 25
    import numpy as np
    counts, edges = np.histogram(np.arange(100) % 7, bins=64)
    h = _series(client, project, rid, "hist")
    assert h["steps"] == [101, 102]
    assert h["values"][0] == {"edges": [float(x) for x in edges], "counts": [float(x) for x in counts]}
    assert h["values"][1] == {"edges": [0.0, 0.5, 2.0, 3.0], "counts": [1.0, 2.0, 3.0]}
    check("img/caption", [103], ["white band"], str)
    png = glob.glob(str(_run_dir(runs, "main") / "files" / "media" / "images" / "img_*.png"))[0]
    got = client.download(project, rid, "img", tmp_path / "img.png", step=103)
    assert Path(got).read_bytes() == Path(png).read_bytes()
    log = _run_dir(runs, "main") / "files" / "output.log"
    got = client.download(project, rid, "files/output.log", tmp_path / "output.log")
    assert Path(got).read_bytes() == log.read_bytes()
    assert "hello stdout" in _series(client, project, rid, "monitoring/stdout")["values"]
    assert "hello stderr" in _series(client, project, rid, "monitoring/stderr")["values"]
    mem = _series(client, project, rid, "monitoring/memory_percent")
    assert len(mem["steps"]) >= 2 and all(0 < v <= 100 for v in mem["values"])
    assert all(rows[0]["t0"] - 60 < t < time.time() for t in mem["timestamps"])
    for what in ("tbl: a W&B table", "lst: a list", "none: None", "artifacts logged"):
        assert what in out.stderr, what
    assert "tbl" not in a and "lst" not in a
    assert any(p.startswith("files/media/table/") for p in a)

    again = sextant("import", "wandb", str(runs["dir"]), "--project", project)
    assert "2 runs were already imported" in again.stderr
    assert client.attributes(project, rid) == a
    assert _series(client, project, rid, "loss")["steps"] == steps + [100]


def test_wandb_dry_run(runs, sextant, client, project):
    out = sextant("import", "wandb", str(_run_dir(runs, "main")), "--project", project, "--dry-run")
    assert "1 runs would be imported" in out.stderr
    assert project not in {p["project"] for p in client.projects()}


def _long(tmp_path_factory, cache={}):  # noqa: B006 - one generated run per session
    if "long" not in cache:
        base = tmp_path_factory.mktemp("wandb-long")
        info = _gen(base, "long")
        f = glob.glob(str(base / "wandb" / f"offline-run-*-{info['id']}" / f"run-{info['id']}.wandb"))[0]
        cache["long"] = (info, Path(f))
    return cache["long"]


def _copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src.parent, dst / src.parent.name)
    return dst / src.parent.name / src.name


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_wandb_corrupt_file(damage, tmp_path_factory, tmp_path, sextant, client, project):
    info, f = _long(tmp_path_factory)
    g = _copy_run(f, tmp_path)
    data = bytearray(g.read_bytes())
    assert len(data) > 4 * 32768
    if damage == "flip":
        data[32768 + 5000] ^= 0x40  # inside the second block
    else:
        data = data[:len(data) * 2 // 3 + 3]
    g.write_bytes(bytes(data))
    out = sextant("import", "wandb", str(g.parent), "--project", project)
    assert ("corrupt chunk" if damage == "flip" else "truncated") in out.stderr
    s = _series(client, project, info["id"], "b")
    n = len(s["steps"])
    assert 1000 < n < 3000
    assert s["values"] == [float(x) for x in s["steps"]]
    a = _series(client, project, info["id"], "a")
    assert a["values"] == [x * 0.5 for x in a["steps"]]
    if damage == "flip":  # points after the damaged block are there
        assert s["steps"][0] == 0 and s["steps"][-1] == 2999
        assert client.run(project, info["id"])["state"] == "finished"
    else:
        assert s["steps"] == list(range(n))
        assert client.run(project, info["id"])["state"] == "failed"  # no exit record


# ---------------------------------------------------------------------------
# The W&B API source: a unit test of the mapping with a fake Api (no W&B
# server can be reached from the test suite).


class _FakeFile:
    def __init__(self, name: str, data: bytes):
        self.name, self.data = name, data

    def download(self, root: str = ".", replace: bool = False):
        p = Path(root, self.name)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(self.data)
        return p.open("rb")


class _FakeRun:
    id, name, group, job_type, notes, state = "r1", "api run", "g", "eval", "n", "crashed"
    tags = ["t"]
    created_at = "2026-01-02T03:04:05Z"
    config = {"lr": 0.1, "opt": {"name": "adam"}}
    summary_metrics = {"loss": 0.5, "best": 9, "_step": 2, "_runtime": 3, "_wandb": {"runtime": 3}}

    def scan_history(self, page_size: int = 1000):
        yield {"_step": 0, "_timestamp": 1767322000.5, "loss": 1.0, "enc": {"w": 3}}
        yield {"_step": 1, "_timestamp": 1767322001.5, "loss": None, "msg": "hi",
               "pic": {"_type": "image-file", "path": "media/images/p.png"}}
        yield {"_step": 2, "_timestamp": 1767322002.5, "loss": 0.5,
               "h": {"_type": "histogram", "packedBins": {"min": 0, "size": 0.5, "count": 2}, "values": [1, 2]}}

    def files(self):
        return [_FakeFile("media/images/p.png", b"PNG"), _FakeFile("output.log", b"log\n")]


class _FakeApi:
    def runs(self, path, per_page=50):
        assert path == "ent/proj"
        return [_FakeRun()]


def test_wandb_api_mapping_with_fake_api(server, client, project, tmp_path, monkeypatch):
    from sextant.transfer import _import, wandb as wb, wandb_api
    monkeypatch.setattr(wandb_api, "API_FACTORY", lambda key, url: _FakeApi())
    p = argparse.ArgumentParser()
    _import.add_common_arguments(p)
    wb.add_arguments(p)
    args = p.parse_args(["--project", project, "--url", server.url, "--state-dir", str(tmp_path), "-q"])
    assert _import.run_import("wandb", "wandb://ent/proj", args) == 0
    r = client.run(project, "r1")
    assert (r["name"], r["experiment_name"], r["state"]) == ("api run", "g", "failed")
    assert r["created_at"] == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc).timestamp()
    a = client.attributes(project, "r1")
    cfg = {k: v.get("value") for k, v in a.items() if "value" in v}
    assert cfg["lr"] == 0.1 and cfg["opt/name"] == "adam" and cfg["summary/best"] == 9
    assert "summary/loss" not in cfg and cfg["sys/description"] == "n" and cfg["sys/tags"] == ["t"]
    loss = client.series(project, "r1", "loss")[0]
    assert loss["steps"] == [0, 2] and loss["values"] == [1.0, 0.5]
    assert loss["timestamps"] == [1767322000.5, 1767322002.5]
    assert client.series(project, "r1", "enc/w")[0]["values"] == [3.0]
    assert client.series(project, "r1", "msg")[0]["values"] == ["hi"]
    assert client.series(project, "r1", "h")[0]["values"] == [{"edges": [0.0, 0.5, 1.0], "counts": [1.0, 2.0]}]
    assert Path(client.download(project, "r1", "pic", tmp_path / "p", step=1)).read_bytes() == b"PNG"
    assert Path(client.download(project, "r1", "files/output.log", tmp_path / "o")).read_bytes() == b"log\n"

"""`sextant export` → `sextant import sextant` into an empty server →
`sextant export` again gives the same bytes: every attribute type,
NaN/±Inf, fractional steps, files and file series, states and forks. Also
the export read back with pyarrow against docs/format/export.md, and the
CSV runs table."""
from __future__ import annotations

import csv
import filecmp
import json
import math
import os
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sxt import Server

from conftest import TOKEN


def put_file(url: str, project: str, run: str, path: str, data: bytes, **q: str) -> None:
    qs = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in q.items())
    req = urllib.request.Request(f"{url}/api/v1/projects/{project}/runs/{run}/files/{path}?{qs}",
                                 data=data, method="PUT")
    req.add_header("Authorization", f"Bearer {TOKEN}")
    req.add_header("Content-Type", "application/octet-stream")
    urllib.request.urlopen(req, timeout=60).read()


def seed(native, url: str, project: str) -> None:
    runs = f"/projects/{project}/runs"
    native("POST", runs, {"run_id": "base", "name": "baseline", "experiment_name": "exp",
                          "created_at": 1763812345.123456})
    native("POST", f"{runs}/base/log", {
        "configs": {"lr": 0.0003, "layers": 24, "amp": True, "name": "ünï 文件 \"q\"",
                    "nan": {"type": "float", "value": "NaN"}, "inf": {"type": "float", "value": "-Infinity"},
                    "one": {"type": "float", "value": 1},
                    "started": {"type": "datetime", "value": "2026-11-22T10:00:00.123456Z"},
                    "datasets": {"type": "string_set", "value": ["b", "a"]},
                    "sys/description": "notes", "sys/group_tags": {"type": "string_set", "value": ["g"]}},
        "series": [
            {"path": "train/loss", "steps": [0, "0.5", "1.000001", 2, 3],
             "values": [2.5, "NaN", "Infinity", "-Infinity", 1e-300],
             "timestamps": [1763812345.000001, 1763812346.5, 1763812347, 1763812348, 1763812349.999999]},
            {"path": "eval/text", "type": "string", "steps": [1, 2], "values": ["hello", "wörld\nline"],
             "timestamps": [1763812350, 1763812351]},
            {"path": "grad/h", "type": "histogram", "steps": [0],
             "values": [{"edges": [-1, 0, 1.5], "counts": [3, 4]}], "timestamps": [1763812352]},
        ],
        "add_tags": ["t1", "t2"], "state": "finished"})
    put_file(url, project, "base", "model/ckpt", b"\x00\x01weights" * 1000, name="ckpt.bin")
    put_file(url, project, "base", "samples", b"\x89PNG\r\n\x1a\n0", step="1", name="s1.png", timestamp="1763812360.25")
    put_file(url, project, "base", "samples", b"\x89PNG\r\n\x1a\n1", step="2.5", name="s2.png", timestamp="1763812361")
    native("POST", runs, {"run_id": "fork:1", "name": "fork", "fork_run_id": "base", "fork_step": "1.000001"})
    native("POST", f"{runs}/fork:1/log", {
        "series": [{"path": "train/loss", "steps": [2, 3], "values": [0.5, 0.25], "timestamps": [1763812400, 1763812401]}],
        "state": "failed"})
    native("POST", runs, {"run_id": "live", "created_at": 1763812500})
    native("POST", f"{runs}/live/log", {"series": [{"path": "m", "steps": list(range(5000)),
                                                    "values": [i * 0.5 for i in range(5000)],
                                                    "timestamps": [1763812500 + i for i in range(5000)]}]})
    # Run management survives the trip: an archived run and one in the trash.
    native("PATCH", f"{runs}/live", {"archived": True})
    native("POST", runs, {"run_id": "gone", "created_at": 1763812600})
    native("POST", f"{runs}/gone/log", {"configs": {"why": "diverged"}})
    native("DELETE", f"{runs}/gone")


def listed(url: str, project: str, **q: str) -> list:
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    req = urllib.request.Request(f"{url}/api/v1/projects/{project}/runs?limit=100&{qs}")
    req.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(req, timeout=60) as r:
        return sorted(x["run_id"] for x in json.loads(r.read())["runs"])


def data_files(d: Path):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and p.name != "manifest.json")


def import_into_empty_server(tmp_path: Path, sextant, source: Path, project: str) -> Path:
    """Imports the seeded project from `source` (an export folder or stream)
    into a new, empty server, twice (the second imports nothing), checks the
    runs' flags there and returns that server's Parquet export."""
    other = Server(tmp_path / "other-data", tmp_path / "other.log").start()
    env = {"SEXTANT_URL": other.url}
    try:
        p = sextant("import", "sextant", str(source), "--project", project, env=env)
        assert "4 runs imported" in p.stderr, p.stderr
        second = tmp_path / "second"
        sextant("export", project, str(second), env=env)
        p = sextant("import", "sextant", str(source), "--project", project, env=env)
        assert "4 runs were already imported" in p.stderr, p.stderr
        # Hidden as they were: the trashed run in the trash, the archived one archived.
        assert listed(other.url, project) == ["base", "fork:1"]
        assert listed(other.url, project, trashed="only") == ["gone"]
        assert listed(other.url, project, archived="only") == ["live"]
    finally:
        other.stop()
    return second


def assert_same_data(first: Path, second: Path) -> None:
    names = data_files(first)
    assert names == data_files(second)
    assert "runs.parquet" in names and "runs/base.parquet" in names and "runs/fork%3A1.parquet" in names
    for n in names:
        assert filecmp.cmp(first / n, second / n, shallow=False), f"{n} differs"


def test_export_import_export_identical(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    first = tmp_path / "first"
    sextant("export", project, str(first))
    second = import_into_empty_server(tmp_path, sextant, first, project)
    assert_same_data(first, second)
    m1 = json.loads((first / "manifest.json").read_text())
    assert m1["format"] == "sextant-export" and m1["version"] == 1 and m1["runs"] == 4
    assert m1["points"] == 5 + 2 + 1 + 2 + 2 + 5000


def test_export_schema_and_values(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    out = tmp_path / "exp"
    sextant("export", project, str(out))
    runs = {r["run_id"]: r for r in pq.read_table(out / "runs.parquet").to_pylist()}
    assert set(runs) == {"base", "fork:1", "live", "gone"}
    assert runs["fork:1"]["fork_run_id"] == "base" and str(runs["fork:1"]["fork_step"]) == "1.000001"
    assert runs["base"]["state"] == "finished" and runs["fork:1"]["state"] == "failed"
    assert runs["live"]["state"] == "running"
    assert runs["base"]["created_at"].timestamp() == pytest.approx(1763812345.123456, abs=1e-7)

    t = pq.read_table(out / "runs" / "base.parquet")
    rows = t.to_pylist()
    by = {}
    for r in rows:
        by.setdefault(r["attribute_path"], []).append(r)
    loss = by["train/loss"]
    assert [str(r["step"]) for r in loss] == ["0.000000", "0.500000", "1.000001", "2.000000", "3.000000"]
    v = [r["float_value"] for r in loss]
    assert v[0] == 2.5 and math.isnan(v[1]) and v[2] == math.inf and v[3] == -math.inf and v[4] == 1e-300
    assert loss[0]["timestamp"].timestamp() == pytest.approx(1763812345.0, abs=1e-7)  # logged .000001: kept to the ms
    assert by["lr"][0]["attribute_type"] == "float" and by["lr"][0]["float_value"] == 0.0003
    assert by["one"][0]["attribute_type"] == "float" and by["one"][0]["float_value"] == 1.0
    assert by["layers"][0]["int_value"] == 24 and by["amp"][0]["bool_value"] is True
    assert math.isnan(by["nan"][0]["float_value"]) and by["inf"][0]["float_value"] == -math.inf
    assert by["name"][0]["string_value"] == "ünï 文件 \"q\""
    assert by["datasets"][0]["string_set_value"] == ["a", "b"]
    assert by["sys/tags"][0]["string_set_value"] == ["t1", "t2"]
    assert by["started"][0]["datetime_value"].isoformat() == "2026-11-22T10:00:00.123456+00:00"
    assert [r["string_value"] for r in by["eval/text"]] == ["hello", "wörld\nline"]
    assert by["grad/h"][0]["histogram_value"]["edges"] == [-1.0, 0.0, 1.5]
    assert by["grad/h"][0]["histogram_value"]["values"] == [3.0, 4.0]
    ck = by["model/ckpt"][0]["file_value"]
    assert ck["name"] == "ckpt.bin" and ck["size"] == 9000
    assert (out / ck["path"]).read_bytes() == b"\x00\x01weights" * 1000
    s = by["samples"]
    assert [str(r["step"]) for r in s] == ["1.000000", "2.500000"]
    assert [r["file_value"]["name"] for r in s] == ["s1.png", "s2.png"]
    assert s[0]["timestamp"].timestamp() == 1763812360.25
    assert (out / s[1]["file_value"]["path"]).read_bytes() == b"\x89PNG\r\n\x1a\n1"
    flags = lambda run: {r["attribute_path"]: r["bool_value"]  # noqa: E731
                         for r in pq.read_table(out / "runs" / f"{run}.parquet").to_pylist()
                         if r["attribute_path"] in ("sys/archived", "sys/trashed")}
    assert flags("live") == {"sys/archived": True} and flags("gone") == {"sys/trashed": True}
    fork = pq.read_table(out / "runs" / "fork%3A1.parquet").to_pylist()
    assert [(str(r["step"]), r["float_value"]) for r in fork if r["attribute_path"] == "train/loss"] == \
        [("2.000000", 0.5), ("3.000000", 0.25)]


def test_csv_runs_table(tmp_path, server, sextant, native, project):
    seed(native, server.url, project)
    native("POST", f"/projects/{project}/runs", {"run_id": "evil"})
    native("POST", f"/projects/{project}/runs/evil/log", {"configs": {"name": "=cmd|' /C calc'!A0", "neg": -1}})
    out = tmp_path / "csv"
    sextant("export", project, str(out), "--format", "csv")
    raw = (out / "runs.csv").read_bytes()
    # header + 3 runs, CRLF: the runs table as shown, without the archived
    # run and the trash.
    assert raw.count(b"\r\n") == 4
    rows = list(csv.DictReader(open(out / "runs.csv", encoding="utf-8", newline="")))
    by = {r["run_id"]: r for r in rows}
    assert sorted(by) == ["base", "evil", "fork:1"]
    assert by["base"]["lr"] == "0.0003" and by["base"]["nan"] == "NaN" and by["base"]["inf"] == "-Infinity"
    assert by["base"]["train/loss"] == "1e-300"  # a series gives its last value
    assert by["base"]["datasets"] == "a;b"
    assert by["base"]["created_at"] == "2025-11-22T11:52:25.123456Z"
    assert by["evil"]["name"] == "'=cmd|' /C calc'!A0"  # no formula
    assert by["evil"]["neg"] == "-1"                     # numbers stay numbers
    assert by["fork:1"]["fork_run_id"] == "base"

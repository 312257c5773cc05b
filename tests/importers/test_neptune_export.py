"""`sextant import neptune`: Parquet trees in neptune-exporter's layout,
written here with pyarrow to its schema (project folders and file names
sanitized as it does, part_0 last, ms timestamps, decimal(18,6) steps),
imported into the server and compared value by value."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sextant as sextant_pkg

SCHEMA = pa.schema([
    ("project_id", pa.string()), ("run_id", pa.string()),
    ("attribute_path", pa.string()), ("attribute_type", pa.string()),
    ("step", pa.decimal128(18, 6)), ("timestamp", pa.timestamp("ms", tz="UTC")),
    ("int_value", pa.int64()), ("float_value", pa.float64()), ("string_value", pa.string()),
    ("bool_value", pa.bool_()), ("datetime_value", pa.timestamp("ms", tz="UTC")),
    ("string_set_value", pa.list_(pa.string())),
    ("file_value", pa.struct([("path", pa.string())])),
    ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())),
                                   ("values", pa.list_(pa.float64()))])),
])
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
SRC_PROJECT = "acme/vision"


def sanitize(part: str) -> str:
    """neptune-exporter's folder and file naming."""
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in part) + \
        "-" + hashlib.blake2b(part.encode(), digest_size=8).hexdigest()


def row(run, path, typ, **kw):
    r = {f.name: None for f in SCHEMA}
    r.update(project_id=SRC_PROJECT, run_id=run, attribute_path=path, attribute_type=typ)
    r.update(kw)
    return r


def write_run(data: Path, run: str, rows_by_part):
    pdir = data / sanitize(SRC_PROJECT)
    pdir.mkdir(parents=True, exist_ok=True)
    # Parts other than 0 first, part_0 last: a run is complete once part_0 exists.
    for n in sorted(range(len(rows_by_part)), reverse=True):
        t = pa.Table.from_pylist(rows_by_part[n], schema=SCHEMA)
        pq.write_table(t, pdir / f"{sanitize(run)}_part_{n}.parquet", compression="snappy")


def build_export(tmp: Path):
    data, files = tmp / "data", tmp / "files"
    fdir = files / sanitize(SRC_PROJECT)
    (fdir / "RUN-1" / "ckpt").mkdir(parents=True)
    (fdir / "RUN-1" / "ckpt" / "model.bin").write_bytes(b"\x00weights\xff" * 100)
    (fdir / "RUN-1" / "img").mkdir()
    for s in (0, 1):
        (fdir / "RUN-1" / "img" / f"{s}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([s]) * 20)

    ms = lambda i: T0 + dt.timedelta(milliseconds=i)  # noqa: E731
    p0 = [
        row("RUN-1", "sys/custom_run_id", "string", string_value="baseline-1"),
        row("RUN-1", "sys/name", "string", string_value="baseline"),
        row("RUN-1", "sys/experiment/name", "string", string_value="exp-a"),
        row("RUN-1", "sys/creation_time", "datetime", datetime_value=T0),
        row("RUN-1", "sys/modification_time", "datetime", datetime_value=T0),
        row("RUN-1", "sys/tags", "string_set", string_set_value=["b", "a"]),
        row("RUN-1", "sys/group_tags", "string_set", string_set_value=["g1"]),
        row("RUN-1", "sys/description", "string", string_value="first try"),
        row("RUN-1", "config/lr", "float", float_value=3e-4),
        row("RUN-1", "config/nan", "float", float_value=math.nan),
        row("RUN-1", "config/layers", "int", int_value=24),
        row("RUN-1", "config/amp", "bool", bool_value=True),
        row("RUN-1", "config/name", "string", string_value="ünï 文件"),
        row("RUN-1", "config/started", "datetime", datetime_value=ms(1500)),
        row("RUN-1", "config/datasets", "string_set", string_set_value=["x", "y"]),
        row("RUN-1", "ckpt", "file", file_value={"path": "RUN-1/ckpt/model.bin"}),
    ]
    steps = [Decimal(i) / 2 for i in range(10)]  # fractional steps
    vals = [1.0 / (i + 1) for i in range(10)]
    vals[3], vals[4], vals[5] = math.nan, math.inf, -math.inf
    p0 += [row("RUN-1", "train/loss", "float_series", step=s, timestamp=ms(i), float_value=v)
           for i, (s, v) in enumerate(zip(steps, vals))]
    p1 = [row("RUN-1", "train/text", "string_series", step=Decimal(i), timestamp=ms(i), string_value=f"line {i}")
          for i in range(3)]
    p1 += [row("RUN-1", "grad/hist", "histogram_series", step=Decimal(i), timestamp=ms(i),
               histogram_value={"type": "COUNTING", "edges": [0.0, 1.0, 2.0], "values": [float(i), 2.0]})
           for i in range(2)]
    p1 += [row("RUN-1", "img", "file_series", step=Decimal(s), timestamp=ms(100 + s),
               file_value={"path": f"RUN-1/img/{s}.png"}) for s in (0, 1)]
    write_run(data, "RUN-1", [p0, p1])

    # A fork of RUN-1 at step 2, whose export repeats the parent's points up to the fork.
    f0 = [
        row("RUN-2", "sys/custom_run_id", "string", string_value="baseline-1-fork"),
        row("RUN-2", "sys/name", "string", string_value="fork"),
        row("RUN-2", "sys/forking/parent", "string", string_value="baseline-1"),
        row("RUN-2", "sys/forking/step", "float", float_value=2.0),
        row("RUN-2", "sys/creation_time", "datetime", datetime_value=T0 + dt.timedelta(hours=1)),
    ]
    f0 += [row("RUN-2", "train/loss", "float_series", step=Decimal(s), timestamp=ms(1000 + s), float_value=float(s))
           for s in range(6)]
    write_run(data, "RUN-2", [f0])

    # Incomplete: no part_0 (the exporter was killed before renaming it).
    pdir = data / sanitize(SRC_PROJECT)
    pq.write_table(pa.Table.from_pylist([row("RUN-3", "x", "int", int_value=1)], schema=SCHEMA),
                   pdir / f"{sanitize('RUN-3')}_part_1.parquet")
    # Corrupt: not Parquet at all.
    (pdir / f"{sanitize('RUN-4')}_part_0.parquet").write_bytes(b"PAR1 this is not parquet")
    return data, files


def test_import_neptune_export(tmp_path, sextant, client, project):
    data, files = build_export(tmp_path)
    p = sextant("import", "neptune", str(data), "--project", project, check=False)
    assert p.returncode == 0, p.stderr
    err = p.stderr
    assert "2 runs imported" in err, err
    assert "no part_0" in err and "unreadable Parquet" in err, err
    assert "6 points at or before the fork step" not in err  # only 3: steps 0, 1, 2
    assert "3 points at or before the fork step" in err, err

    run = client.run(project, "baseline-1")
    assert run["name"] == "baseline" and run["experiment_name"] == "exp-a"
    assert run["state"] == "finished"
    assert run["created_at"] == pytest.approx(T0.timestamp(), abs=1e-6)
    a = client.attributes(project, "baseline-1")
    assert a["config/lr"]["value"] == 3e-4 and a["config/lr"]["type"] == "float"
    assert math.isnan(a["config/nan"]["value"])
    assert a["config/layers"]["value"] == 24 and a["config/layers"]["type"] == "int"
    assert a["config/amp"]["value"] is True
    assert a["config/name"]["value"] == "ünï 文件"
    assert a["config/started"]["type"] == "datetime"
    assert sorted(a["config/datasets"]["value"]) == ["x", "y"]
    assert sorted(a["sys/tags"]["value"]) == ["a", "b"]
    assert a["sys/group_tags"]["value"] == ["g1"]
    assert a["sys/description"]["value"] == "first try"
    assert a["import/source"]["value"] == "neptune" and a["import/source_id"]["value"] == "RUN-1"
    assert "sys/modification_time" not in a and "sys/custom_run_id" not in a

    got = client.series(project, "baseline-1", "train/loss").by_run()["baseline-1"]
    steps, values, ts = got["steps"], got["values"], got["timestamps"]
    assert steps == [i / 2 for i in range(10)]
    for i in (0, 1, 2, 6, 7, 8, 9):
        assert values[i] == 1.0 / (i + 1)
    assert math.isnan(values[3]) and values[4] == math.inf and values[5] == -math.inf
    assert values[0] == 1.0 and values[9] == 0.1
    assert ts[0] == pytest.approx(T0.timestamp(), abs=1e-6)
    assert ts[9] == pytest.approx(T0.timestamp() + 0.009, abs=1e-6)

    text = client.series(project, "baseline-1", "train/text").by_run()["baseline-1"]
    assert text["values"] == ["line 0", "line 1", "line 2"]
    hist = client.series(project, "baseline-1", "grad/hist").by_run()["baseline-1"]
    assert [h["counts"] for h in hist["values"]] == [[0, 2], [1, 2]]
    assert hist["values"][0]["edges"] == [0, 1, 2]

    dest = tmp_path / "dl"
    dest.mkdir()
    got = client.download(project, "baseline-1", "ckpt", dest)
    assert Path(got).read_bytes() == b"\x00weights\xff" * 100 and Path(got).name == "model.bin"
    got = client.download(project, "baseline-1", "img", dest / "1.png", step=1)
    assert Path(got).read_bytes() == b"\x89PNG\r\n\x1a\n" + bytes([1]) * 20

    fork = client.run(project, "baseline-1-fork")
    assert fork["fork_run_id"] == "baseline-1" and fork["fork_step"] == 2
    own = client.series(project, "baseline-1-fork", "train/loss", lineage=False).by_run()["baseline-1-fork"]
    assert own["steps"] == [3, 4, 5] and own["values"] == [3.0, 4.0, 5.0]

    # Again: nothing is imported twice.
    p2 = sextant("import", "neptune", str(data), "--project", project, check=False)
    assert "2 runs were already imported" in p2.stderr, p2.stderr
    assert client.series(project, "baseline-1", "train/loss").by_run()["baseline-1"]["steps"] == steps


def test_dry_run_sends_nothing(tmp_path, sextant, client, project):
    data, _ = build_export(tmp_path)
    p = sextant("import", "neptune", str(data), "--project", project, "--dry-run", check=False)
    assert "2 runs would be imported" in p.stderr, p.stderr
    with pytest.raises(sextant_pkg.ApiError) as e:
        client.runs(project)
    assert e.value.status == 404  # not even the project was created

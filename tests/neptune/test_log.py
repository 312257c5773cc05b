"""Everything one neptune_scale.Run can log, read back exactly: through
Sextant's native JSON API, and (marker `reads`) through neptune-query.

One run logs it all (module fixture `logged`); each test checks one kind.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import finish, native_seconds, open_run, unique

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))

CONFIGS = {
    "cfg/float": 0.5,
    "cfg/float_big": 1.0e300,
    "cfg/int": 7,
    "cfg/int_negative": -3,
    "cfg/int_big": 2**53 + 1,
    "cfg/bool": True,
    "cfg/bool_false": False,
    "cfg/str": "hello ünïcode ✓",
    "cfg/str_empty": "",
    "cfg/datetime": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc),
    "cfg/set": ["b", "a", "c"],
    "cfg/set_empty": [],
}

# step → (value, timestamp); fractional steps are exact decimals of the wire's Step{whole, micro}
LOSS = {0.5: (1.0, T0), 1.25: (0.75, T0 + timedelta(seconds=1)), 2: (0.5, T0 + timedelta(seconds=2.5)),
        3.000001: (0.25, T0 + timedelta(seconds=3)), 1000000: (0.125, T0 + timedelta(seconds=4))}
ACC = {0: 1, 1: 2}  # ints logged as metrics are floats
STRINGS = {1: "line one", 2: "line two", 3: "ünïcode ✓ \n tab\t"}
HIST_COUNTS = {1: ([0.0, 1.0, 2.0, 4.0], [3, 4, 5]), 2: ([-1.5, 0.0, 1.5], [0, 10])}
HIST_DENSITIES = {1: ([0.0, 0.5, 1.0], [0.25, 0.75])}
FILE_SERIES = {1: PNG + b"one", 2: PNG + b"two", 2.5: PNG + b"two and a half"}


@pytest.fixture(scope="module")
def logged(server, tmp_path_factory):
    from neptune_scale.types import File, Histogram

    workdir = tmp_path_factory.mktemp("log-files")
    text_file = workdir / "notes.txt"
    text_file.write_text("some notes\nsecond line\n", encoding="utf-8")
    big = os.urandom(12 * 1024 * 1024 + 7)  # above S3's 5 MiB part: multipart if the server offers it
    files = {
        "f/bytes": b"hello bytes\x00\xff\xfe",
        "f/text": str(text_file),
        "f/json": File(source=b'{"a": 1}', mime_type="application/json"),
        "f/big": big,
        "f/empty": b"",
    }
    expected_files = {
        "f/bytes": b"hello bytes\x00\xff\xfe",
        "f/text": text_file.read_bytes(),
        "f/json": b'{"a": 1}',
        "f/big": big,
        "f/empty": b"",
    }

    exp = unique("exp-log")
    nr = open_run(experiment_name=exp)
    run = nr.run
    run.log_configs(CONFIGS)
    for step, (value, ts) in LOSS.items():
        run.log_metrics({"m/loss": value}, step=step, timestamp=ts)
    for step, value in ACC.items():
        run.log_metrics({"m/acc": value}, step=step)
    for step, value in STRINGS.items():
        run.log_string_series({"s/log": value}, step=step)
    for step, (edges, counts) in HIST_COUNTS.items():
        run.log_histograms({"h/counts": Histogram(bin_edges=edges, counts=counts)}, step=step)
    for step, (edges, densities) in HIST_DENSITIES.items():
        run.log_histograms({"h/densities": Histogram(bin_edges=edges, densities=densities)}, step=step)
    run.add_tags(["t1", "t2", "t3"])
    run.remove_tags(["t2"])
    run.add_tags(["g1", "g2"], group_tags=True)
    run.remove_tags(["g1"], group_tags=True)
    run.assign_files(files)
    for step, content in FILE_SERIES.items():
        run.log_files({"fs/img": content}, step=step)
    ok = finish(nr)
    return {"run_id": nr.run_id, "experiment": exp, "files": expected_files, "workdir": workdir, "ok": ok,
            "errors": nr.errors}


def as_float(v):
    return float(v) if not isinstance(v, str) else float(v.replace("Infinity", "inf"))


# -- native API ------------------------------------------------------------------

def test_everything_confirmed_without_errors(logged, server):
    assert logged["ok"], f"not every operation or file was confirmed: {logged['errors']}\n{server.log_tail()}"
    assert not logged["errors"], logged["errors"]


def test_run_created_with_experiment(logged, native):
    run = native.run(logged["run_id"])
    assert run is not None, f"run {logged['run_id']} not found"
    assert run["run_id"] == logged["run_id"]
    assert run["experiment_name"] == logged["experiment"]
    assert run["fork_run_id"] is None and run["fork_step"] is None


def test_configs_of_every_type(logged, native):
    attrs = native.attributes(logged["run_id"])
    want_types = {
        "cfg/float": "float", "cfg/float_big": "float", "cfg/int": "int", "cfg/int_negative": "int",
        "cfg/int_big": "int", "cfg/bool": "bool", "cfg/bool_false": "bool", "cfg/str": "string",
        "cfg/str_empty": "string", "cfg/datetime": "datetime", "cfg/set": "string_set",
        "cfg/set_empty": "string_set",
    }
    for path, typ in want_types.items():
        assert path in attrs, f"{path} missing; have {sorted(attrs)}"
        assert attrs[path]["type"] == typ, attrs[path]
    assert attrs["cfg/float"]["value"] == 0.5
    assert attrs["cfg/float_big"]["value"] == 1.0e300
    assert attrs["cfg/int"]["value"] == 7 and isinstance(attrs["cfg/int"]["value"], int)
    assert attrs["cfg/int_negative"]["value"] == -3
    assert attrs["cfg/int_big"]["value"] == 2**53 + 1
    assert attrs["cfg/bool"]["value"] is True
    assert attrs["cfg/bool_false"]["value"] is False
    assert attrs["cfg/str"]["value"] == "hello ünïcode ✓"
    assert attrs["cfg/str_empty"]["value"] == ""
    assert abs(native_seconds(attrs["cfg/datetime"]["value"]) - CONFIGS["cfg/datetime"].timestamp()) < 1e-6
    assert attrs["cfg/set"]["value"] == ["a", "b", "c"]
    assert attrs["cfg/set_empty"]["value"] == []


def test_metrics_fractional_steps_and_timestamps(logged, native):
    s = native.series(logged["run_id"], "m/loss")
    assert s["steps"] == [0.5, 1.25, 2, 3.000001, 1000000]
    assert [as_float(v) for v in s["values"]] == [v for v, _ in LOSS.values()]
    assert len(s["timestamps"]) == len(LOSS)
    for got, (_, ts) in zip(s["timestamps"], LOSS.values()):
        us = (ts - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
        assert abs(got - (us - us % 1000) / 1e6) < 1e-6, (got, ts)  # the server keeps ms
    attrs = native.attributes(logged["run_id"])
    assert attrs["m/loss"]["type"] == "float_series"
    assert attrs["m/loss"]["last_step"] == 1000000 and attrs["m/loss"]["last_value"] == 0.125
    assert attrs["m/loss"]["count"] == len(LOSS)


def test_int_metrics_are_floats(logged, native):
    s = native.series(logged["run_id"], "m/acc")
    assert s["steps"] == [0, 1]
    assert s["values"] == [1.0, 2.0]
    assert native.attributes(logged["run_id"])["m/acc"]["type"] == "float_series"


def test_string_series(logged, native):
    s = native.series(logged["run_id"], "s/log")
    assert s["steps"] == list(STRINGS)
    assert s["values"] == list(STRINGS.values())
    assert native.attributes(logged["run_id"])["s/log"]["type"] == "string_series"


def test_histograms(logged, native):
    s = native.series(logged["run_id"], "h/counts")
    assert s["steps"] == list(HIST_COUNTS)
    assert [v["edges"] for v in s["values"]] == [e for e, _ in HIST_COUNTS.values()]
    assert [[float(c) for c in v["counts"]] for v in s["values"]] == \
        [[float(c) for c in cs] for _, cs in HIST_COUNTS.values()]
    d = native.series(logged["run_id"], "h/densities")
    assert d["steps"] == [1]
    assert d["values"][0]["edges"] == [0.0, 0.5, 1.0]
    assert d["values"][0]["counts"] == [0.25, 0.75]
    assert native.attributes(logged["run_id"])["h/counts"]["type"] == "histogram_series"


def test_tags_and_group_tags(logged, native):
    attrs = native.attributes(logged["run_id"])
    assert attrs["sys/tags"]["value"] == ["t1", "t3"]
    assert attrs["sys/group_tags"]["value"] == ["g2"]


def test_files_byte_for_byte(logged, native):
    attrs = native.attributes(logged["run_id"])
    for path, content in logged["files"].items():
        assert attrs[path]["type"] == "file", attrs.get(path)
        assert attrs[path]["size"] == len(content), attrs[path]
        assert native.file(logged["run_id"], path) == content, path


def test_file_series_byte_for_byte(logged, native):
    attrs = native.attributes(logged["run_id"])
    assert attrs["fs/img"]["type"] == "file_series"
    assert attrs["fs/img"]["count"] == len(FILE_SERIES)
    assert attrs["fs/img"]["last_step"] == 2.5
    for step, content in FILE_SERIES.items():
        assert native.file(logged["run_id"], "fs/img", step=step) == content, step
    assert native.file(logged["run_id"], "fs/img") == FILE_SERIES[2.5]  # the latest


# -- neptune-query -----------------------------------------------------------------

@pytest.mark.reads
def test_query_configs(logged, nq):
    df = nq.fetch_experiments_table(experiments=[logged["experiment"]], attributes=list(CONFIGS))
    assert list(df.index) == [logged["experiment"]]
    row = df.loc[logged["experiment"]]
    assert row["cfg/float"] == 0.5
    assert row["cfg/float_big"] == 1.0e300
    assert row["cfg/int"] == 7
    assert row["cfg/int_negative"] == -3
    assert row["cfg/int_big"] == 2**53 + 1
    assert row["cfg/bool"] is True or row["cfg/bool"] == True  # noqa: E712 (numpy bool)
    assert row["cfg/bool_false"] == False  # noqa: E712
    assert row["cfg/str"] == "hello ünïcode ✓"
    assert row["cfg/str_empty"] == ""
    # the client sends float seconds (…05.677999973) and neptune-query reads milliseconds
    assert abs(row["cfg/datetime"].timestamp() - CONFIGS["cfg/datetime"].timestamp()) < 0.001
    assert row["cfg/datetime"].tzinfo is not None
    assert row["cfg/set"] == {"a", "b", "c"}
    assert row["cfg/set_empty"] == set()


@pytest.mark.reads
def test_query_table_series_last_values(logged, nq):
    df = nq.fetch_experiments_table(experiments=[logged["experiment"]],
                                    attributes=["m/loss", "m/acc", "s/log"])
    row = df.loc[logged["experiment"]]
    assert row["m/loss"] == 0.125
    assert row["m/acc"] == 2.0
    assert row["s/log"] == STRINGS[3]


@pytest.mark.reads
def test_query_metrics(logged, nq):
    df = nq.fetch_metrics(experiments=[logged["experiment"]], attributes=["m/loss"], include_time="absolute")
    exp = logged["experiment"]
    steps = [s for (e, s) in df.index if e == exp]
    assert steps == [0.5, 1.25, 2.0, 3.000001, 1000000.0]
    values = list(df[("m/loss", "value")])
    assert values == [v for v, _ in LOSS.values()]
    times = list(df[("m/loss", "absolute_time")])
    for got, (_, ts) in zip(times, LOSS.values()):
        assert abs(got.timestamp() - ts.timestamp()) < 0.001, (got, ts)


@pytest.mark.reads
def test_query_metrics_step_range_and_tail(logged, nq):
    df = nq.fetch_metrics(experiments=[logged["experiment"]], attributes=["m/loss"], step_range=(1.0, 3.5))
    assert [s for _, s in df.index] == [1.25, 2.0, 3.000001]
    df = nq.fetch_metrics(experiments=[logged["experiment"]], attributes=["m/loss"], tail_limit=2)
    assert [s for _, s in df.index] == [3.000001, 1000000.0]
    assert list(df["m/loss"]) == [0.25, 0.125]


@pytest.mark.reads
def test_query_string_series(logged, nq):
    df = nq.fetch_series(experiments=[logged["experiment"]], attributes=["s/log"])
    assert [s for _, s in df.index] == [1.0, 2.0, 3.0]
    assert list(df["s/log"]) == list(STRINGS.values())


@pytest.mark.reads
def test_query_histograms(logged, nq):
    df = nq.fetch_series(experiments=[logged["experiment"]], attributes=["h/counts", "h/densities"])
    counts = df["h/counts"].dropna()
    assert [s for _, s in counts.index] == [1.0, 2.0]
    for h, (edges, values) in zip(counts, HIST_COUNTS.values()):
        assert list(h.edges) == edges
        assert [float(v) for v in h.values] == [float(v) for v in values]
    dens = df["h/densities"].dropna()
    assert [s for _, s in dens.index] == [1.0]
    assert list(dens.iloc[0].edges) == [0.0, 0.5, 1.0]
    assert list(dens.iloc[0].values) == [0.25, 0.75]


@pytest.mark.reads
def test_query_tags(logged, nq):
    df = nq.fetch_experiments_table(experiments=[logged["experiment"]], attributes=["sys/tags", "sys/group_tags"])
    row = df.loc[logged["experiment"]]
    assert row["sys/tags"] == {"t1", "t3"}
    assert row["sys/group_tags"] == {"g2"}


@pytest.mark.reads
def test_query_download_files(logged, nq, tmp_path):
    paths = list(logged["files"])
    df = nq.fetch_experiments_table(experiments=[logged["experiment"]], attributes=paths)
    for p in paths:
        f = df.loc[logged["experiment"], p]
        assert f.size_bytes == len(logged["files"][p]), (p, f)
    out = nq.download_files(files=df, destination=tmp_path)
    for p in paths:
        local = out[p].dropna()
        assert len(local) == 1, (p, out)
        assert Path(local.iloc[0]).read_bytes() == logged["files"][p], p


@pytest.mark.reads
def test_query_file_series_download(logged, nq, tmp_path):
    df = nq.fetch_series(experiments=[logged["experiment"]], attributes=["fs/img"])
    assert [s for _, s in df.index] == list(map(float, FILE_SERIES))
    out = nq.download_files(files=df, destination=tmp_path)
    got = {step: Path(path).read_bytes() for (_, step), path in out["fs/img"].items()}
    assert got == {float(k): v for k, v in FILE_SERIES.items()}


@pytest.mark.reads
def test_query_list_attributes(logged, nq):
    names = set(nq.list_attributes(experiments=[logged["experiment"]]))
    want = set(CONFIGS) | {"m/loss", "m/acc", "s/log", "h/counts", "h/densities", "fs/img"} | set(logged["files"])
    assert want <= names, want - names


@pytest.mark.reads
def test_query_runs_api(logged, nq, tmp_path):
    """neptune_query.runs: runs by their custom run id."""
    import neptune_query.runs as nqr

    rid = logged["run_id"]
    assert rid in nqr.list_runs(runs=[rid])
    table = nqr.fetch_runs_table(runs=[rid], attributes=["cfg/int", "m/loss", "sys/tags"])
    assert list(table.index) == [rid]
    assert table.loc[rid, "cfg/int"] == 7
    assert table.loc[rid, "m/loss"] == 0.125
    assert table.loc[rid, "sys/tags"] == {"t1", "t3"}
    metrics = nqr.fetch_metrics(runs=[rid], attributes=["m/loss"])
    assert [s for _, s in metrics.index] == [0.5, 1.25, 2.0, 3.000001, 1000000.0]
    series = nqr.fetch_series(runs=[rid], attributes=["s/log", "fs/img"])
    assert list(series["s/log"].dropna()) == list(STRINGS.values())
    out = nqr.download_files(files=series[["fs/img"]], destination=tmp_path)
    got = {step: Path(path).read_bytes() for (_, step), path in out["fs/img"].items()}
    assert got == {float(k): v for k, v in FILE_SERIES.items()}
    assert "m/loss" in set(nqr.list_attributes(runs=[rid]))


DEFAULTS_SCRIPT = """
import sys
from neptune_scale import Run

if __name__ == "__main__":
    run = Run(run_id=sys.argv[1], experiment_name=sys.argv[2])
    print("hello from stdout", flush=True)
    print("hello from stderr", file=sys.stderr, flush=True)
    run.log_metrics({"m/default": 1.0}, step=1)
    run.close()
"""


def test_script_with_default_options(server, native, tmp_path):
    """A script as users write it, with Run's defaults: console capture
    (runtime/stdout, runtime/stderr at micro-steps) and source tracking
    (source_code/... configs, the repository being the working directory)."""
    import subprocess
    import sys

    from conftest import REPO

    script = tmp_path / "train.py"
    script.write_text(DEFAULTS_SCRIPT)
    run_id, exp = unique("defaults"), unique("exp-defaults")
    p = subprocess.run([sys.executable, str(script), run_id, exp], cwd=REPO, capture_output=True, text=True,
                       timeout=180, env=dict(os.environ, NEPTUNE_LOG_DIRECTORY=str(tmp_path / "logs")))
    assert p.returncode == 0, p.stderr[-3000:]
    assert "ERROR" not in p.stderr, p.stderr[-3000:]
    attrs = native.attributes(run_id)
    assert native.series(run_id, "m/default")["values"] == [1.0]
    assert "hello from stdout" in native.series(run_id, "runtime/stdout")["values"]
    assert "hello from stderr" in native.series(run_id, "runtime/stderr")["values"]
    assert attrs["runtime/stdout"]["type"] == "string_series"
    import shutil

    if shutil.which("git") is None or not (REPO / ".git").exists():
        return  # no repository to describe
    assert attrs["source_code/commit/commit_id"]["type"] == "string"
    assert len(attrs["source_code/commit/commit_id"]["value"]) == 40
    assert attrs["source_code/commit/commit_date"]["type"] == "datetime"
    assert attrs["source_code/dirty"]["type"] == "bool"
    assert attrs["source_code/run_command"]["value"].endswith(f"train.py {run_id} {exp}")

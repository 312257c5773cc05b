"""Units of sextant.transfer that need no server and no extras: step and
config encoding, run ids and project names from foreign sources, fork
ordering, fork-step filtering, the resume state and the summary."""
from __future__ import annotations

import base64
import decimal
import io
import math
import struct

import pytest

from sextant.transfer._report import Report
from sextant.transfer._source import SourceRun, parents_first, safe_project, safe_run_id
from sextant.transfer._state import ImportState
from sextant.transfer._writer import RunWriter, _f64, config_json, step_json


def test_step_json_is_exact():
    assert step_json(3) == 3 and step_json(3.0) == 3 and step_json("4.500000") == "4.5"
    assert step_json(0.1) == "0.1" and step_json(decimal.Decimal("1.000001")) == "1.000001"
    assert step_json(-2.5) == "-2.5" and step_json("12") == 12
    with pytest.raises(ValueError):
        step_json(float("nan"))
    with pytest.raises(ValueError):
        step_json(True)


def test_config_json_types():
    assert config_json("a", 1.0) == {"type": "float", "value": 1.0}   # stays a float
    assert config_json("a", 1) == 1
    assert config_json("a", math.inf) == {"type": "float", "value": "Infinity"}
    assert config_json("a", {"x", "y"}) == {"type": "string_set", "value": ["x", "y"]}
    typed = {"type": "int", "value": 5}
    assert config_json("a", typed) is typed


def test_f64_is_little_endian_for_any_values():
    vals = [0.5, math.nan, -math.inf, 1e-300]
    raw = base64.b64decode(_f64(vals))
    got = struct.unpack("<4d", raw)
    assert got[0] == 0.5 and math.isnan(got[1]) and got[2] == -math.inf and got[3] == 1e-300


def test_safe_ids():
    assert safe_run_id("RUN-12") == "RUN-12"
    a, b = safe_run_id("train/lr=0.1 run"), safe_run_id("train/lr=0.1_run")
    assert a != b and a.startswith("train-lr-0.1-run-")
    assert len(safe_run_id("x" * 500)) <= 128
    assert safe_project("acme/vision") == "acme/vision"
    assert safe_project("my org/my proj!") == "my-org/my-proj"
    assert safe_project("single") is None


def test_parents_first_and_orphans():
    def run(rid, parent=None):
        return SourceRun(source_id=rid, run_id=rid, write=lambda w: None, fork_run_id=parent, fork_step=1)
    runs = [run("c", "b"), run("b", "a"), run("a"), run("o", "missing")]
    orphans = []
    order = [r.run_id for r in parents_first(runs, orphans.append)]
    assert order.index("a") < order.index("b") < order.index("c")
    assert [r.run_id for r in orphans] == ["o"] and sorted(order) == ["a", "b", "c", "o"]
    # A cycle (a corrupt source) does not loop for ever.
    cyc = [run("x", "y"), run("y", "x")]
    assert sorted(r.run_id for r in parents_first(cyc)) == ["x", "y"]


@pytest.mark.parametrize("log_body", ["json", "binary"])
def test_fork_points_at_or_before_the_fork_are_dropped(log_body):
    w = RunWriter(None, "a/b", "r", Report(quiet=True), dry_run=True, log_body=log_body)
    w.fork_step = decimal.Decimal("2")
    w.points("m", [0, 1, 2, "2.5", 3], [1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 11.0, 12.0, 13.0, 14.0])
    assert w.log_body == log_body
    s = w.json_body()["series"][0]  # the JSON form of the pending batch, either way
    assert s["steps"] == ["2.5", 3] and w.inherited_dropped == 3
    assert struct.unpack("<2d", base64.b64decode(s["values_b64"])) == (4.0, 5.0)
    assert struct.unpack("<2d", base64.b64decode(s["timestamps_b64"])) == (13.0, 14.0)


def test_writer_splits_large_batches():
    w = RunWriter(None, "a/b", "r", Report(quiet=True), dry_run=True)
    n = 600_000
    w.points("m", list(range(n)), [0.0] * n)
    w.flush()
    assert w.points_written == n


def test_state_survives_and_restarts(tmp_path):
    s = ImportState(str(tmp_path), "kind", "/src", "http://x", "p")
    s.mark_done("p\0r1", "fp1")
    again = ImportState(str(tmp_path), "kind", "/src", "http://x", "p")
    assert again.is_done("p\0r1", "fp1") and not again.is_done("p\0r1", "changed")
    assert not ImportState(str(tmp_path), "kind", "/other", "http://x", "p").is_done("p\0r1", "fp1")
    again.clear()
    assert not ImportState(str(tmp_path), "kind", "/src", "http://x", "p").is_done("p\0r1", "fp1")


def test_report_lines_when_not_a_terminal():
    buf = io.StringIO()
    r = Report("imported", stream=buf, tty=False)
    r.runs_total = 2
    r.add(points=10, attributes=2)
    r.run_done("a → x/y/a")
    r.skip("b", "unreadable")
    r.finish()
    out = buf.getvalue()
    assert "imported a → x/y/a" in out and "\r" not in out
    assert "1 runs imported, 2 values, 10 points" in out and "b: unreadable" in out

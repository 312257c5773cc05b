"""Inputs the Python decoders' fuzz harnesses (fuzz/python/) found to break
an importer, each reduced to its cause. The contract: bad input is reported
and skipped, the rest of the run imported; no exception escapes."""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import zlib
from pathlib import Path

import pyarrow as pa
import pytest

from sextant.transfer import mlflow, wandb
from sextant.transfer._report import Report
from sextant.transfer._rows import write_table
from sextant.transfer._writer import RunWriter
from sextant.transfer.export import schema
from sextant.transfer.wandb_log import BLOCK, CHUNK, FULL, HEADER, IDENT, MAGIC, VERSION


def dry_import(runs, report: Report) -> RunWriter:
    w = None
    for r in runs:
        w = RunWriter(None, "fuzz/fuzz", r.run_id, report, dry_run=True)
        r.write(w)
        w.finish(r.state)
    assert w is not None, "no run listed"
    return w


def skipped(report: Report) -> str:
    return "\n".join(f"{what}: {why}" for what, why in report.skipped)


def test_neptune_int_and_bool_without_value_are_skipped():
    # A row of type int (or bool) whose value column is null: int(None)
    # raised TypeError and failed the whole run.
    sch = schema()
    rows = []
    for path, typ, col, v in (("a/int", "int", "int_value", None), ("a/bool", "bool", "bool_value", None),
                              ("a/ok", "int", "int_value", 3)):
        r = {f.name: None for f in sch}
        r.update(project_id="ws/p", run_id="r", attribute_path=path, attribute_type=typ)
        r[col] = v
        rows.append(r)
    report = Report(quiet=True, tty=False)
    w = RunWriter(None, "fuzz/fuzz", "r", report, dry_run=True)
    write_table(pa.Table.from_pylist(rows, schema=sch), w, files_root=None)
    w.finish("finished")
    assert w.configs_written == 1
    assert "a/int: an int with no value" in skipped(report)
    assert "a/bool: a bool with no value" in skipped(report)


def _wandb_file(path: Path, records) -> None:
    """A .wandb file as wandb-core writes it (every record fits one chunk here)."""
    out = bytearray(HEADER.pack(IDENT, MAGIC, VERSION))
    for rec in records:
        assert len(out) % BLOCK + CHUNK.size + len(rec) <= BLOCK
        out += CHUNK.pack(zlib.crc32(rec, zlib.crc32(bytes([FULL]))), len(rec), FULL) + rec
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def test_wandb_history_value_that_is_not_json_is_skipped(tmp_path):
    # A history item whose value_json does not parse raised JSONDecodeError
    # out of the run's import; now that value is reported, the row's other
    # values imported.
    from wandb.proto import wandb_internal_pb2 as pb
    run = pb.Record()
    run.run.run_id = "r1"
    run.run.project = "p"
    hist = pb.Record()
    for key, text in (("_step", "0"), ("bad", '{"a": 1'), ("good", "1.5")):
        it = hist.history.item.add()
        it.key, it.value_json = key, text
    _wandb_file(tmp_path / "wandb" / "offline-run-1-r1" / "run-r1.wandb",
                [run.SerializeToString(), hist.SerializeToString()])
    report = Report(quiet=True, tty=False)
    w = dry_import(wandb.open_source(str(tmp_path / "wandb"), argparse.Namespace(api=False), report), report)
    assert w.points_written == 1
    assert "bad: a history value that is not JSON" in skipped(report)


def test_wandb_json_nested_too_deeply_is_bad_input():
    # json.loads raises RecursionError, not ValueError, on deep nesting;
    # every caller reports ValueError as a value that is not JSON.
    with pytest.raises(ValueError, match="nested too deeply"):
        wandb.parse_json("[" * 200_000)


def test_mlflow_unreadable_artifact_is_skipped(tmp_path):
    # An artifact that cannot be read (here a dangling link) raised OSError
    # and failed the run; now it is reported and the other artifacts imported.
    exp = tmp_path / "mlruns" / "1"
    (exp / "r1" / "artifacts").mkdir(parents=True)
    (exp / "meta.yaml").write_text("experiment_id: '1'\nname: e\nlifecycle_stage: active\n")
    (exp / "r1" / "meta.yaml").write_text("run_id: r1\nrun_name: r\nstatus: 3\nlifecycle_stage: active\n")
    (exp / "r1" / "artifacts" / "ok.txt").write_text("fine")
    os.symlink(tmp_path / "nowhere", exp / "r1" / "artifacts" / "gone.txt")
    report = Report(quiet=True, tty=False)
    args = argparse.Namespace(experiment=[], include_deleted=False)
    w = dry_import(mlflow.open_source(str(tmp_path / "mlruns"), args, report), report)
    assert w.files_written == 1
    assert "artifact 'gone.txt': unreadable" in skipped(report)


@pytest.mark.parametrize("dims, values, why", [
    ([10 ** 12], [], "1,000,000,000,000 elements"),  # was MemoryError: TensorFlow's fill rule
    ([1 << 40, 1 << 40], [1.0], r"elements \(over"),  # was OverflowError
    ([-1, -1], [], "negative dimension"),            # was read as one element
])
def test_tensorboard_tensor_shapes_that_cannot_be(dims, values, why):
    from tensorboardX.proto import tensor_pb2, tensor_shape_pb2
    from sextant.transfer.tensorboard_values import _Unusable, tensor_numbers, tensor_strings
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])
    with pytest.raises(_Unusable, match=why):
        tensor_numbers(tensor_pb2.TensorProto(dtype=2, tensor_shape=shape, double_val=values))
    with pytest.raises(_Unusable, match=why):
        tensor_strings(tensor_pb2.TensorProto(dtype=7, tensor_shape=shape))


def _sextant_export(tmp_path: Path, manifest: str) -> Path:
    (tmp_path / "manifest.json").write_text(manifest)
    return tmp_path


@pytest.mark.parametrize("manifest, why", [
    ("[]", "manifest.json is not a JSON object"),                        # was AttributeError
    ('{"format": "sextant-export", "version": "x"}', "is not an integer"),  # was ValueError
    ('{"format": "sextant-export", "version": null}', "is not an integer"),  # was TypeError
    ('{"format": "sextant-export", "version": 1}', "runs.parquet cannot be read"),  # was FileNotFoundError
])
def test_sextant_export_that_cannot_be_read_is_a_source_error(tmp_path, manifest, why):
    from sextant.transfer import sextant_format
    from sextant.transfer._source import SourceError
    with pytest.raises(SourceError, match=why):
        sextant_format.open_source(str(_sextant_export(tmp_path, manifest)), argparse.Namespace(),
                                   Report(quiet=True, tty=False))


def test_sextant_export_run_file_that_is_not_parquet_is_skipped(tmp_path):
    # Listing read every run file's Parquet footer unguarded: one damaged
    # file stopped the import with pyarrow's error.
    import pyarrow.parquet as pq
    from sextant.transfer import sextant_format
    from sextant.transfer.export import runs_schema
    root = _sextant_export(tmp_path, '{"format": "sextant-export", "version": 1}')
    rows = [dict(project_id="ws/p", run_id=r, name=None, experiment_name=None, state="finished",
                 created_at=None, fork_run_id=None, fork_step=None) for r in ("bad", "ok", "a/../b")]
    pq.write_table(pa.Table.from_pylist(rows, schema=runs_schema()), root / "runs.parquet")
    (root / "runs").mkdir()
    (root / "runs" / "bad.parquet").write_bytes(b"PAR1 not parquet")
    pq.write_table(pa.Table.from_pylist([], schema=schema()), root / "runs" / "ok.parquet")
    report = Report(quiet=True, tty=False)
    runs = sextant_format.open_source(str(root), argparse.Namespace(), report)
    assert [r.run_id for r in runs] == ["ok"]
    assert "bad: runs/bad.parquet cannot be read" in skipped(report)
    assert "runs.parquet row 2: 'a/../b' is not a Sextant run id" in skipped(report)


@pytest.mark.parametrize("step_row", [
    {"attribute_type": "string", "string_value": "abc"},     # was decimal.InvalidOperation
    {"attribute_type": "float", "float_value": math.nan},    # was ValidationError (the run failed)
    {"attribute_type": "bool", "bool_value": True},          # was ValidationError
    {"attribute_type": "datetime", "datetime_value": dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)},  # TypeError
])
def test_neptune_fork_step_that_is_no_number_imports_a_plain_run(tmp_path, step_row):
    import pyarrow.parquet as pq
    from sextant.transfer import neptune_export
    sch = schema()
    pdir = tmp_path / "data" / "acme_p-0123456789abcdef"
    pdir.mkdir(parents=True)

    def part(run, rows):
        full = []
        for r in rows:
            row = {f.name: None for f in sch}
            row.update(project_id="acme/p", run_id=run, **r)
            full.append(row)
        pq.write_table(pa.Table.from_pylist(full, schema=sch), pdir / f"{run}-0123456789abcdef_part_0.parquet")
    part("A", [dict(attribute_path="sys/custom_run_id", attribute_type="string", string_value="base")])
    part("B", [dict(attribute_path="sys/custom_run_id", attribute_type="string", string_value="fork"),
               dict(attribute_path="sys/forking/parent", attribute_type="string", string_value="base"),
               dict(attribute_path="sys/forking/step", **step_row)])
    report = Report(quiet=True, tty=False)
    runs = {r.run_id: r for r in neptune_export.open_source(str(tmp_path / "data"), argparse.Namespace(files=None),
                                                            report)}
    assert runs["fork"].fork_run_id is None and runs["fork"].fork_step is None
    assert "is not a finite number: imported as a run of its own" in skipped(report)


def test_wandb_fork_at_a_step_that_is_not_finite_imports_a_plain_run(tmp_path):
    from wandb.proto import wandb_internal_pb2 as pb
    for rid, parent in (("p1", None), ("f1", "p1")):
        run = pb.Record()
        run.run.run_id, run.run.project = rid, "p"
        if parent:
            run.run.forked = True
            run.run.branch_point.run, run.run.branch_point.value = parent, math.inf
        _wandb_file(tmp_path / "wandb" / f"offline-run-1-{rid}" / f"run-{rid}.wandb", [run.SerializeToString()])
    report = Report(quiet=True, tty=False)
    runs = {r.run_id: r for r in wandb.open_source(str(tmp_path / "wandb"), argparse.Namespace(api=False), report)}
    assert runs["f1"].fork_run_id is None and runs["f1"].fork_step is None
    assert "which is not a finite number; imported as a plain run" in skipped(report)


def test_tensorboard_string_tensor_without_values_is_empty_strings():
    # TensorFlow fills a string tensor given fewer values than its shape with
    # empty strings; this filled it with the integer 0, and the text
    # plugin's decode raised AttributeError.
    from tensorboardX.proto import tensor_pb2, tensor_shape_pb2
    from sextant.transfer.tensorboard_values import tensor_strings
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=2)])
    assert tensor_strings(tensor_pb2.TensorProto(dtype=7, tensor_shape=shape)) == ([2], [b"", b""])


def test_wandb_environment_with_a_time_no_datetime_holds_is_skipped(tmp_path):
    # An environment record's started_at in the year 917329 raised ValueError
    # from datetime and failed the run; now that record is reported and the
    # rest of the run imported.
    from wandb.proto import wandb_internal_pb2 as pb
    run = pb.Record()
    run.run.run_id, run.run.project = "r1", "p"
    env = pb.Record()
    env.environment.os = "Linux"
    env.environment.started_at.seconds = 28_886_000_000_000
    hist = pb.Record()
    it = hist.history.item.add()
    it.key, it.value_json = "loss", "0.5"
    _wandb_file(tmp_path / "wandb" / "offline-run-1-r1" / "run-r1.wandb",
                [run.SerializeToString(), env.SerializeToString(), hist.SerializeToString()])
    report = Report(quiet=True, tty=False)
    w = dry_import(wandb.open_source(str(tmp_path / "wandb"), argparse.Namespace(api=False), report), report)
    assert w.points_written == 1
    assert "an environment record that does not decode (started_at:" in skipped(report)

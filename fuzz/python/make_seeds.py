"""Writes the seed corpora (corpus/<harness>/) from inputs made by the real
tools where the importer suite uses them (tensorboardX, wandb offline, the
mlflow client) and small hand-made valid inputs elsewhere. Run it in the
importer suite's venv after a harness's input layout changes:

    PYTHONPATH=clients/python tests/importers/.venv/bin/python fuzz/python/make_seeds.py
"""
from __future__ import annotations

import glob
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(harness: str, name: str, data: bytes) -> None:
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pieces(*parts: bytes) -> bytes:
    """The 2-byte length-prefixed layout of the record and file harnesses."""
    return b"".join(struct.pack("<H", len(p)) + p for p in parts)


def tfrecords(path: str):
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i + 12 <= len(data):
        n = struct.unpack_from("<Q", data, i)[0]
        yield data[i + 12:i + 12 + n]
        i += 16 + n


def tensorboard(tmp: str) -> None:
    import numpy as np
    from tensorboardX import SummaryWriter
    w = SummaryWriter(os.path.join(tmp, "tb"))
    for i in range(3):
        w.add_scalar("train/loss", 1.0 / (i + 1), i, walltime=1.7e9 + i)
    w.add_histogram("w", np.arange(10.0), 0, bins=4, walltime=1.7e9 + 5)
    w.add_histogram_raw("raw", min=-0.5, max=2.5, num=6, sum=4.0, sum_squares=9.0,
                        bucket_limits=[-1.0, 0.0, 1.0, 3.0, sys.float_info.max],
                        bucket_counts=[0, 2, 3, 1, 0], global_step=1, walltime=1.7e9 + 6)
    w.add_text("notes", "hello", 1, walltime=1.7e9 + 7)
    w.add_image("img", np.zeros((3, 2, 2), dtype=np.uint8), 1, walltime=1.7e9 + 8)
    w.add_hparams({"lr": 0.1, "opt": "adam", "nesterov": True}, {"hparam/acc": 0.5}, name="hp")
    w.close()
    files = sorted(glob.glob(os.path.join(tmp, "tb", "**", "*tfevents*"), recursive=True))
    for n, path in enumerate(files):
        with open(path, "rb") as f:
            raw = f.read()
        if len(raw) <= 8192:
            put("tensorboard_records", f"tensorboardx_{n}", raw)
        put("tensorboard_events", f"tensorboardx_{n}", pieces(*tfrecords(path)))
    # TF2-style tensor summaries, built with tensorboardX's own protobufs.
    from tensorboardX.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    def tensor_event(tag, plugin, tensor, step=1):
        v = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
        v.metadata.plugin_data.plugin_name = plugin
        return event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=[v])).SerializeToString()
    dims = lambda *ds: tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in ds])  # noqa: E731
    put("tensorboard_events", "tf2_tensors", pieces(
        tensor_event("s", "scalars", tensor_pb2.TensorProto(dtype=2, tensor_shape=dims(), double_val=[0.5])),
        tensor_event("h", "histograms", tensor_pb2.TensorProto(
            dtype=1, tensor_shape=dims(2, 3), tensor_content=struct.pack("<6f", 0, 1, 2, 1, 2, 3))),
        tensor_event("t", "text", tensor_pb2.TensorProto(dtype=7, tensor_shape=dims(1), string_val=[b"x"])),
        tensor_event("a", "audio", tensor_pb2.TensorProto(dtype=7, tensor_shape=dims(1, 2),
                                                          string_val=[b"RIFF", b""]))))


WANDB_GEN = r'''
import sys, wandb
run = wandb.init(dir=sys.argv[1], project="proj", name="seed", config={"lr": 0.1, "m": {"n": 2}},
                 tags=["a"], settings=wandb.Settings(x_disable_stats=True))
for i in range(3):
    run.log({"loss": 1.0 / (i + 1), "txt": f"s{i}", "nested": {"x": i}})
run.log({"hist": wandb.Histogram([1, 2, 2, 3])}, step=5)
print("out")
run.summary["best"] = 0.5
run.finish()
'''


def _scrub(data: bytes, tmp: str) -> bytes:
    """A record with this machine's paths (the run folder, the Python
    executable) replaced, so seeds say nothing about where they were made."""
    from wandb.proto import wandb_internal_pb2
    r = wandb_internal_pb2.Record.FromString(data)
    prefixes = sorted({tmp, os.path.realpath(tmp), sys.prefix, os.path.dirname(HERE)}, key=len, reverse=True)

    def walk(m):
        for f, v in m.ListFields():
            rep = getattr(f, "is_repeated", None)
            rep = rep if isinstance(rep, bool) else f.label == 3
            if f.message_type is not None:
                if f.message_type.GetOptions().map_entry:
                    continue
                for x in (v if rep else [v]):
                    walk(x)
            elif isinstance(v, str):
                setattr(m, f.name, clean(v))
            elif rep and v and isinstance(v[0], str):
                cleaned = [clean(x) for x in v]
                del v[:]
                v.extend(cleaned)

    def clean(v: str) -> str:
        for p in prefixes:
            v = v.replace(p, "/x")
        return v
    walk(r)
    return r.SerializeToString()


def wandb(tmp: str) -> None:
    from sextant.transfer.wandb_log import records
    script = os.path.join(tmp, "gen.py")
    with open(script, "w") as f:
        f.write(WANDB_GEN)
    subprocess.run([sys.executable, script, tmp], check=True, capture_output=True, timeout=300,
                   env=dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DISABLE_GIT="true"))
    path = glob.glob(os.path.join(tmp, "wandb", "offline-run-*", "run-*.wandb"))[0]
    recs = [_scrub(r, tmp) for r in records(path, lambda m: None)]
    put("wandb_offline", "offline_run", pieces(*recs))
    from wandb_offline_fuzz import frame
    put("wandb_log", "offline_run_head", frame(recs)[:8192])
    # A record cut across two 32 KiB blocks (FIRST, LAST chunks).
    put("wandb_log", "two_blocks", frame([b"x" * 40000, b"y" * 10]))


def mlflow(tmp: str) -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # mlruns/ is what the importer reads
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    store = os.path.join(tmp, "mlruns")
    c = MlflowClient("file:" + store)
    exp = c.create_experiment("seed")
    r = c.create_run(exp, run_name="seed run", start_time=1_700_000_000_000)
    rid = r.info.run_id
    c.log_param(rid, "lr", "0.1")
    c.log_batch(rid, metrics=[Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + s, s) for s in range(3)]
                + [Metric("a/b", 2.0, 1_700_000_000_000, 0)])
    c.set_terminated(rid, "FINISHED")
    base = os.path.join(store, exp)

    def read(*p):
        with open(os.path.join(base, *p), "rb") as f:
            return f.read().replace(tmp.encode(), b"/x")
    put("mlflow_files", "file_store", b"\0" + pieces(
        read("meta.yaml"), read(rid, "meta.yaml"), read(rid, "metrics", "loss"),
        read(rid, "metrics", "a", "b"), read(rid, "params", "lr"), read(rid, "tags", "mlflow.runName"),
        b"source_type: DATASET\nsource_id: d1\ntags: {mlflow.data.context: training}\n",
        b"name: train\ndigest: abc123\nsource_type: local\nsource: '{}'\n"))
    put("mlflow_files", "metric_without_steps", b"\0" + pieces(
        read("meta.yaml"), read(rid, "meta.yaml"), b"1700000000000 0.5\n1700000000001 0.25\n"))
    run_json = {"mlflow": {"info": {"run_id": rid, "run_name": "seed run", "status": "FINISHED",
                                    "start_time": 1_700_000_000_000, "lifecycle_stage": "active"},
                           "params": {"lr": "0.1"}, "tags": {"mlflow.runName": "seed run"},
                           "metrics": {"loss": [{"value": 0.5, "timestamp": 1_700_000_000_000, "step": 1}]}}}
    put("mlflow_files", "export", b"\1" + pieces(
        json.dumps({"mlflow": {"experiment": {"experiment_id": exp, "name": "seed"}, "runs": [rid]}}).encode(),
        json.dumps(run_json).encode()))


def mlflow_model(tmp: str) -> None:
    """A run and an MLflow 3 logged model in the file store, laid out as
    mlflow_files_fuzz.py reads them."""
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow import MlflowClient
    store = os.path.join(tmp, "mlruns-model")
    c = MlflowClient("file:" + store)
    exp = c.create_experiment("seed")
    rid = c.create_run(exp, run_name="trainer", start_time=1_700_000_000_000).info.run_id
    m = c.create_logged_model(exp, name="seed-model", source_run_id=rid, model_type="sklearn",
                              params={"alpha": "0.5"}, tags={"t": "v"})
    c.log_metric(rid, "acc", 0.5, step=1, timestamp=1_700_000_001_000, model_id=m.model_id)
    c.log_metric(rid, "acc", 0.75, step=2, timestamp=1_700_000_002_000, model_id=m.model_id)
    c.finalize_logged_model(m.model_id, "READY")
    c.set_terminated(rid, "FINISHED")
    base = os.path.join(store, exp)

    def read(*p):
        with open(os.path.join(base, *p), "rb") as f:
            return f.read().replace(tmp.encode(), b"/x")
    model = ("models", m.model_id)
    put("mlflow_files", "logged_model", b"\0" + pieces(
        read("meta.yaml"), read(rid, "meta.yaml"), b"", b"", b"", read(rid, "tags", "mlflow.runName"),
        b"", b"", read(*model, "meta.yaml"), read(*model, "metrics", "acc"),
        read(*model, "params", "alpha"), read(*model, "tags", "t")))


NEPTUNE_RUN = "\n".join([
    "sys/custom_run_id\tstring\t\t\tbaseline-1",
    "sys/name\tstring\t\t\tbaseline",
    "sys/experiment/name\tstring\t\t\texp-a",
    "sys/creation_time\tdatetime\t\t\t1740830400000000",
    "sys/tags\tstring_set\t\t\ta,b",
    "sys/failed\tbool\t\t\tfalse",
    "config/lr\tfloat\t\t\t0.0003",
    "config/layers\tint\t\t\t24",
    "config/amp\tbool\t\t\ttrue",
    "config/started\tdatetime\t\t\t1740830401500000",
    "ckpt\tfile\t\t\tf.bin",
    "train/loss\tfloat_series\t0.5\t1740830400000000\t0.25",
    "train/loss\tfloat_series\t1\t1740830400001000\tnan",
    "train/text\tstring_series\t0\t1740830400000000\tline",
    "grad/hist\thistogram_series\t0\t1740830400000000\tCOUNTING;0,1,2;1,2",
    "img\tfile_series\t1\t1740830400000000\tf.bin",
    "set\tfile_set\t\t\tset",
]).encode()


def hand_made() -> None:
    put("neptune_export", "run", NEPTUNE_RUN)
    put("neptune_export", "two_parts", NEPTUNE_RUN + b"\n=\nmore/x\tfloat_series\t2\t1740830400002000\t1.5\n")
    put("neptune_export", "fork", b"sys/custom_run_id\tstring\t\t\tfork\nsys/forking/parent\tstring\t\t\tbase\n"
                                  b"sys/forking/step\tfloat\t\t\t2\nx\tfloat_series\t3\t\t1\n")
    manifest = json.dumps({"format": "sextant-export", "version": 1, "project": "ws/proj"}).encode()
    put("sextant_export", "two_runs", manifest + b"\n=\n"
        b"r1\tfirst\texp\tfinished\t1740830400000000\t\t\n"
        b"r2\tfork\texp\tfailed\t1740830400000000\tr1\t2.5\n=\n" + NEPTUNE_RUN.split(b"\nckpt")[0]
        + b"\nckpt\tfile\t\t\tf.bin\ntrain/loss\tfloat_series\t3\t1740830400000000\t1\n")

    blob = base64.b64encode(b"\0\1\2").decode()
    sha = hashlib.sha256(b"\0\1\2").hexdigest()
    put("sextant_stream", "two_runs", "\n".join(json.dumps(o) for o in (
        {"export": {"format": "sextant-export-stream", "version": 1, "project": "ws/proj", "runs": 2}},
        {"run": {"project_id": "ws/proj", "run_id": "r1", "name": "first", "experiment_name": "exp",
                 "state": "finished", "created_at_us": 1740830400000000, "fork_run_id": None, "fork_step": None}},
        {"config": {"run_id": "r1", "attribute_path": "lr", "attribute_type": "float", "float_value": "NaN"}},
        {"config": {"run_id": "r1", "attribute_path": "when", "attribute_type": "datetime",
                    "datetime_value_us": 1740830400000001}},
        {"config": {"run_id": "r1", "attribute_path": "sys/tags", "attribute_type": "string_set",
                    "string_set_value": ["a"]}},
        {"config": {"run_id": "r1", "attribute_path": "sys/archived", "attribute_type": "bool", "bool_value": True}},
        {"series": {"run_id": "r1", "attribute_path": "loss", "attribute_type": "float_series",
                    "step_micros": [0, 2500000], "timestamp_us": [1740830400000000, 1740830400000001],
                    "float_value": [1.5, "-Infinity"]}},
        {"series": {"run_id": "r1", "attribute_path": "h", "attribute_type": "histogram_series",
                    "step_micros": [0], "timestamp_us": [1], "histogram_value": [{"edges": [0, 1], "counts": [2]}]}},
        {"blob": {"sha256": sha, "size": 3, "offset": 0, "data": blob}},
        {"file": {"run_id": "r1", "attribute_path": "ckpt", "attribute_type": "file",
                  "file_value": {"path": "files/" + sha, "name": "c.bin", "size": 3}}},
        {"series": {"run_id": "r1", "attribute_path": "img", "attribute_type": "file_series",
                    "step_micros": [1000000], "timestamp_us": [5],
                    "file_value": [{"path": "files/" + sha, "name": "i.png", "size": 3}]}},
        {"run": {"project_id": "ws/proj", "run_id": "r2", "name": "", "experiment_name": "",
                 "state": "failed", "created_at_us": 1, "fork_run_id": "r1", "fork_step": "2.5"}},
        {"series": {"run_id": "r2", "attribute_path": "text", "attribute_type": "string_series",
                    "step_micros": [3000000], "timestamp_us": [7], "string_value": ["x"]}},
        {"end": {"runs": 2}})).encode() + b"\n")


def main() -> None:
    sys.path.insert(0, HERE)
    shutil.rmtree(CORPUS, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        tensorboard(tmp)
        mlflow(tmp)
        mlflow_model(tmp)
        wandb(tmp)
    hand_made()
    for d in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, d))
        size = sum(os.path.getsize(os.path.join(CORPUS, d, f)) for f in files)
        print(f"{d}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()

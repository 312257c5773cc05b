"""`sextant import tensorboard`: log directories written by tensorboardX's
SummaryWriter, by the tensorboard package's own writers (TF2's tensor
summaries: tensorboard.summary.Writer, the plugins' *_pb helpers and
EventFileWriter, which need no TensorFlow; forms those helpers do not make,
such as tensor_content scalars of other dtypes and image tensors, are built
with tensorboard's protos), and by torch.utils.tensorboard when torch is
installed; then imported into the server and compared value by value."""
from __future__ import annotations

import math
import struct
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import sextant as sextant_pkg

T0 = 1_700_000_000.0
DBL_MAX = sys.float_info.max


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def series(client, project: str, run_id: str, path: str) -> Dict[str, Any]:
    return client.series(project, run_id, path).by_run()[run_id]


def same_floats(got: List[float], want: List[float]) -> bool:
    return len(got) == len(want) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want))


def hist_from_numpy(values: np.ndarray, bins: Any) -> Dict[str, List[float]]:
    """The histogram tensorboardX logs, as the importer documents it: numpy's
    bins from the first to the last non-empty one."""
    counts, edges = np.histogram(values, bins=bins)
    nz = np.nonzero(counts)[0]
    s, t = int(nz[0]), int(nz[-1])
    return {"edges": [float(e) for e in edges[s:t + 2]], "counts": [float(c) for c in counts[s:t + 1]]}


def first_wall_time(event_dir: Path) -> float:
    """The wall time of the first event (file_version: when the writer
    started), read with tensorboard's own loader."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import event_pb2
    f = sorted(event_dir.glob("*tfevents*"))[0]
    return event_pb2.Event.FromString(next(iter(RawEventFileLoader(str(f)).Load()))).wall_time


def run_ids(client, project: str) -> Dict[str, Dict[str, Any]]:
    return {r["run_id"]: r for r in client.runs(project)}


def images_of(event_dir: Path) -> Dict[Tuple[str, int], bytes]:
    """(tag, step) → the encoded image, read with tensorboard's own loader."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import event_pb2
    out = {}
    for f in sorted(event_dir.glob("*tfevents*")):
        for raw in RawEventFileLoader(str(f)).Load():
            ev = event_pb2.Event.FromString(raw)
            for v in ev.summary.value:
                if v.HasField("image"):
                    out[(v.tag, ev.step)] = v.image.encoded_image_string
    return out


# -- tensorboardX ---------------------------------------------------------------

LOSS = [2.5, 1.25, math.nan, math.inf, -math.inf, 0.1, -0.0, 1e-30, 3.4e38, 0.7]


def write_tensorboardx(logdir: Path) -> Dict[str, Any]:
    from tensorboardX import SummaryWriter
    exp = logdir / "exp1"
    w = SummaryWriter(str(exp))
    for i, v in enumerate(LOSS):
        w.add_scalar("train/loss", v, i, walltime=T0 + i * 0.25)
    w.add_scalar("train/loss", 7.5, 2, walltime=T0 + 100)  # the same step again: last wins
    for i in range(3):
        w.add_scalars("metrics", {"acc": 0.5 + i / 10, "f1": 0.25 * i}, i, walltime=T0 + 10 + i)
    rng = np.random.default_rng(7)
    hists = {}
    for s in range(3):
        vals = rng.normal(size=1000) * (s + 1)
        w.add_histogram("weights/l0", vals, s, walltime=T0 + 20 + s)
        hists[("weights/l0", s)] = hist_from_numpy(vals, w.default_bins)
        w.add_histogram("weights/auto", vals, s, bins="auto", walltime=T0 + 30 + s)
        hists[("weights/auto", s)] = hist_from_numpy(vals, "auto")
    w.add_histogram("bias", np.zeros(16), 0, bins="auto", walltime=T0 + 40)
    hists[("bias", 0)] = hist_from_numpy(np.zeros(16), "auto")
    # TF1-style: an empty run to +DBL_MAX at the end; and an open first bucket.
    w.add_histogram_raw("raw/tf1", min=-0.5, max=2.5, num=6, sum=4.0, sum_squares=9.0,
                        bucket_limits=[-1.0, 0.0, 1.0, 3.0, DBL_MAX], bucket_counts=[0, 2, 3, 1, 0],
                        global_step=5, walltime=T0 + 41)
    hists[("raw/tf1", 5)] = {"edges": [-1.0, 0.0, 1.0, 3.0], "counts": [2.0, 3.0, 1.0]}
    w.add_histogram_raw("raw/open", min=-2.0, max=5.0, num=4, sum=4.0, sum_squares=30.0,
                        bucket_limits=[0.0, 1.0, DBL_MAX], bucket_counts=[1, 2, 1],
                        global_step=6, walltime=T0 + 42)
    hists[("raw/open", 6)] = {"edges": [-2.0, 0.0, 1.0, 5.0], "counts": [1.0, 2.0, 1.0]}
    w.add_text("notes/md", "héllo **wörld** 🚀", 1, walltime=T0 + 50)
    w.add_text("notes/md", "second", 2, walltime=T0 + 51)
    img = np.arange(3 * 8 * 6, dtype=np.uint8).reshape(3, 8, 6)
    w.add_image("samples/img", img, 4, walltime=T0 + 60)
    w.add_image("samples/img", 255 - img, 5, walltime=T0 + 61)
    w.add_hparams({"lr": 0.1, "batch": 32, "opt": "adam", "nesterov": True},
                  {"hparam/acc": 0.875}, name="hp")
    w.close()
    # A second event file in the same run directory: merged, later file wins.
    w2 = SummaryWriter(str(exp), filename_suffix=".zz")
    w2.add_scalar("train/loss", 9.25, 9, walltime=T0 + 200)
    w2.add_scalar("second/val", 3.0, 0, walltime=T0 + 201)
    w2.close()
    return {"hists": hists, "images": images_of(exp), "created": first_wall_time(exp)}


def check_tensorboardx(client, project: str, expect: Dict[str, Any], tmp_path: Path) -> None:
    runs = run_ids(client, project)
    assert set(runs) == {"exp1", "exp1-hp-" + runs_hash(runs, "exp1-hp-"),
                         "exp1-metrics-acc-" + runs_hash(runs, "exp1-metrics-acc-"),
                         "exp1-metrics-f1-" + runs_hash(runs, "exp1-metrics-f1-")}
    r = client.run(project, "exp1")
    assert r["name"] == "exp1" and r["state"] == "finished"
    assert r["created_at"] == pytest.approx(expect["created"], abs=1e-6)  # the first event's

    a = client.attributes(project, "exp1")
    assert set(a) == {"import/source", "import/source_id", "train/loss", "weights/l0", "weights/auto",
                      "bias", "raw/tf1", "raw/open", "notes/md/text_summary", "samples/img",
                      "second/val"}  # tensorboardX names its text tags <tag>/text_summary
    assert a["import/source"]["value"] == "tensorboard" and a["import/source_id"]["value"] == "exp1"

    loss = series(client, project, "exp1", "train/loss")
    want = [f32(v) for v in LOSS]
    want[2] = 7.5
    assert loss["steps"] == list(range(10))
    assert same_floats(loss["values"], want[:9] + [9.25])
    ts = [T0 + i * 0.25 for i in range(10)]
    ts[2], ts[9] = T0 + 100, T0 + 200
    assert loss["timestamps"] == pytest.approx(ts, abs=1e-6)
    sv = series(client, project, "exp1", "second/val")
    assert sv["steps"] == [0] and sv["values"] == [3.0]

    for (tag, step), h in expect["hists"].items():
        got = series(client, project, "exp1", tag)
        i = got["steps"].index(step)
        assert got["values"][i]["edges"] == h["edges"], tag
        assert got["values"][i]["counts"] == h["counts"], tag
    hl = series(client, project, "exp1", "weights/l0")
    assert hl["steps"] == [0, 1, 2]
    assert hl["timestamps"] == pytest.approx([T0 + 20, T0 + 21, T0 + 22], abs=1e-6)

    text = series(client, project, "exp1", "notes/md/text_summary")
    assert text["steps"] == [1, 2] and text["values"] == ["héllo **wörld** 🚀", "second"]
    assert text["timestamps"] == pytest.approx([T0 + 50, T0 + 51], abs=1e-6)

    dest = tmp_path / "dl"
    dest.mkdir(exist_ok=True)
    assert len(expect["images"]) == 2
    for (tag, step), png in expect["images"].items():
        got = client.download(project, "exp1", tag, dest / f"{step}.png", step=step)
        assert Path(got).read_bytes() == png

    hp = [k for k in runs if k.startswith("exp1-hp-")][0]
    assert runs[hp]["name"] == "exp1/hp"
    ha = client.attributes(project, hp)
    assert ha["hparams/lr"]["value"] == 0.1 and ha["hparams/lr"]["type"] == "float"
    assert ha["hparams/batch"]["value"] == 32.0 and ha["hparams/batch"]["type"] == "float"
    assert ha["hparams/opt"]["value"] == "adam"
    assert ha["hparams/nesterov"]["value"] is True
    acc = series(client, project, hp, "hparam/acc")
    assert acc["steps"] == [0] and acc["values"] == [0.875]

    for sub, vals in (("acc", [f32(0.5 + i / 10) for i in range(3)]), ("f1", [0.0, 0.25, 0.5])):
        rid = [k for k in runs if k.startswith(f"exp1-metrics-{sub}-")][0]
        assert runs[rid]["name"] == f"exp1/metrics/{sub}"
        m = series(client, project, rid, "metrics")
        assert m["steps"] == [0, 1, 2] and m["values"] == vals
        assert m["timestamps"] == pytest.approx([T0 + 10, T0 + 11, T0 + 12], abs=1e-6)


def runs_hash(runs: Dict[str, Any], prefix: str) -> str:
    hits = [k[len(prefix):] for k in runs if k.startswith(prefix)]
    assert len(hits) == 1, (prefix, list(runs))
    return hits[0]


def test_tensorboardx_import_resume(tmp_path, sextant, client, project):
    logdir = tmp_path / "logs"
    expect = write_tensorboardx(logdir)
    p = sextant("import", "tensorboard", str(logdir), "--project", project)
    assert "4 runs imported" in p.stderr, p.stderr
    assert "hparams experiment" in p.stderr  # reported, not silently dropped
    check_tensorboardx(client, project, expect, tmp_path)

    # Again: nothing is imported twice, nothing changes.
    p2 = sextant("import", "tensorboard", str(logdir), "--project", project)
    assert "4 runs were already imported" in p2.stderr, p2.stderr
    assert "0 runs imported" in p2.stderr, p2.stderr
    check_tensorboardx(client, project, expect, tmp_path)

    # A run that changes (a new event file) is imported again; the others are not.
    from tensorboardX import SummaryWriter
    w = SummaryWriter(str(logdir / "exp1"), filename_suffix=".zzz")
    w.add_scalar("train/loss", 11.0, 10, walltime=T0 + 300)
    w.close()
    p3 = sextant("import", "tensorboard", str(logdir), "--project", project)
    assert "1 runs imported" in p3.stderr and "3 runs were already imported" in p3.stderr, p3.stderr
    loss = series(client, project, "exp1", "train/loss")
    assert loss["steps"] == list(range(11)) and loss["values"][10] == 11.0


def test_dry_run_sends_nothing(tmp_path, sextant, client, project):
    logdir = tmp_path / "logs"
    write_tensorboardx(logdir)
    p = sextant("import", "tensorboard", str(logdir), "--project", project, "--dry-run")
    assert "4 runs would be imported" in p.stderr, p.stderr
    with pytest.raises(sextant_pkg.ApiError) as e:
        client.runs(project)
    assert e.value.status == 404


def test_not_a_logdir(tmp_path, sextant, project):
    (tmp_path / "empty").mkdir()
    p = sextant("import", "tensorboard", str(tmp_path / "empty"), "--project", project, check=False)
    assert p.returncode != 0 and "no TensorBoard event files" in p.stderr, p.stderr


# -- TF2 tensor summaries (the tensorboard package's own writers and protos) -----

def test_tf2_tensor_summaries(tmp_path, sextant, client, project):
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.plugins.hparams import summary_v2 as hp_v2
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.plugins.text.summary_v2 import text_pb
    from tensorboard.summary import Writer
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    logdir = tmp_path / "tf2"
    # tensorboard.summary.Writer: TF2 scalar tensors, as TensorBoard writes them itself.
    tw = Writer(str(logdir / "writer"))
    for i in range(5):
        tw.add_scalar("epoch_loss", 1.0 / (i + 1), step=i, wall_time=T0 + i)
    tw.close()

    run = logdir / "keras" / "train"
    ew = EventFileWriter(str(run))

    def emit(step: int, summary, wall: float) -> None:
        ew.add_event(event_pb2.Event(step=step, wall_time=wall, summary=summary))

    def scalar_meta() -> summary_pb2.SummaryMetadata:
        return summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))

    # scalar_pb, with the metadata only on the first event of the tag (as TF2 writes).
    for i in range(4):
        s = scalar_pb("epoch_accuracy", 0.5 + i / 8)
        if i:
            s.value[0].ClearField("metadata")
        emit(i, s, T0 + 100 + i)
    # TF2's C++ writer: scalars as tensor_content, of several dtypes.
    forms = [(tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", 0.3)), f32(0.3)),
             (tensor_pb2.TensorProto(dtype=2, tensor_content=struct.pack("<d", 0.1)), 0.1),
             (tensor_pb2.TensorProto(dtype=19, tensor_content=struct.pack("<e", 0.333)),
              struct.unpack("<e", struct.pack("<e", 0.333))[0]),
             (tensor_pb2.TensorProto(dtype=14, tensor_content=struct.pack("<H", 0x3FC0)), 1.5),
             (tensor_pb2.TensorProto(dtype=9, int64_val=[42]), 42.0),
             (tensor_pb2.TensorProto(dtype=19, half_val=[0x3C00]), 1.0),
             (tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", math.nan)), math.nan)]
    for i, (t, _) in enumerate(forms):
        v = summary_pb2.Summary.Value(tag="lr", tensor=t)
        if i == 0:
            v.metadata.CopyFrom(scalar_meta())
        emit(i, summary_pb2.Summary(value=[v]), T0 + 200 + i)
    # Histograms (histogram_pb: [k, 3] float64 tensors), incl. constant and empty data.
    data = np.linspace(-1.0, 2.0, 50)
    emit(0, histogram_pb("dense/kernel", data, buckets=5), T0 + 300)
    emit(1, histogram_pb("dense/kernel", np.full(7, 0.25), buckets=4), T0 + 301)
    emit(2, histogram_pb("dense/kernel", np.array([]), buckets=4), T0 + 302)
    # Text; hparams (session start + the experiment definition).
    emit(0, text_pb("notes", "ünï 文件"), T0 + 400)
    emit(0, hp_v2.hparams_pb({"lr": 0.01, "layers": 3, "act": "relu", "dropout_on": False},
                             trial_id="t1", start_time_secs=T0), T0 + 401)
    emit(0, hp_v2.hparams_config_pb([], []), T0 + 402)
    # An image tensor [w, h, png, png]; the bytes are taken as they are.
    png1, png2 = b"\x89PNG\r\n\x1a\n" + b"one" * 10, b"\x89PNG\r\n\x1a\n" + b"two" * 10
    img = tensor_pb2.TensorProto(dtype=7, string_val=[b"8", b"8", png1, png2],
                                 tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                     dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=4)]))
    iv = summary_pb2.Summary.Value(tag="inputs", tensor=img)
    iv.metadata.plugin_data.plugin_name = "images"
    emit(3, summary_pb2.Summary(value=[iv]), T0 + 500)
    # Tags that are not attribute paths; a tag used for two kinds of data.
    for tag, val in (("/lead//x/", 1.0), ("sys/tags", 2.0), ("ctl\x01x", 3.0), ("a/b", 4.0),
                     ("a//b", 5.0), ("L" * 1100, 6.0)):
        emit(0, summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=val)]),
             T0 + 600)
    emit(1, text_pb("a/b", "text under a scalar's tag"), T0 + 601)
    # Things that are not imported: a graph, another plugin's tensor, a step out of range.
    ew.add_event(event_pb2.Event(step=0, wall_time=T0 + 700, graph_def=b"\x0a\x00"))
    pr = summary_pb2.Summary.Value(tag="pr", tensor=tensor_pb2.TensorProto(dtype=1, float_val=[1.0]))
    pr.metadata.plugin_data.plugin_name = "pr_curves"
    emit(0, summary_pb2.Summary(value=[pr]), T0 + 701)
    emit(10**13, summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="far", simple_value=1.0)]),
         T0 + 702)
    ew.close()

    p = sextant("import", "tensorboard", str(logdir), "--project", project)
    err = p.stderr
    assert "2 runs imported" in err, err
    runs = run_ids(client, project)
    assert {r["name"] for r in runs.values()} == {"writer", "keras/train"}

    w = series(client, project, "writer", "epoch_loss")
    assert w["steps"] == list(range(5)) and w["values"] == [f32(1.0 / (i + 1)) for i in range(5)]
    assert w["timestamps"] == pytest.approx([T0 + i for i in range(5)], abs=1e-6)

    rid = [k for k, r in runs.items() if r["name"] == "keras/train"][0]
    assert client.run(project, rid)["created_at"] == pytest.approx(first_wall_time(run), abs=1e-6)
    acc = series(client, project, rid, "epoch_accuracy")
    assert acc["steps"] == [0, 1, 2, 3] and acc["values"] == [f32(0.5 + i / 8) for i in range(4)]
    lr = series(client, project, rid, "lr")
    assert lr["steps"] == list(range(len(forms)))
    assert same_floats(lr["values"], [v for _, v in forms])
    assert lr["timestamps"] == pytest.approx([T0 + 200 + i for i in range(len(forms))], abs=1e-6)

    h = series(client, project, rid, "dense/kernel")
    assert h["steps"] == [0, 1]  # step 2 (no data) is skipped with a reason
    edges = np.linspace(-1.0, 2.0, 6).tolist()
    edges[-1] = 2.0
    assert h["values"][0]["edges"] == pytest.approx(edges, rel=0, abs=1e-15)
    assert sum(h["values"][0]["counts"]) == 50
    assert h["values"][1] == {"edges": [0.25, math.nextafter(0.25, math.inf)], "counts": [7]}
    assert "empty histogram" in err

    t = series(client, project, rid, "notes")
    assert t["steps"] == [0] and t["values"] == ["ünï 文件"]
    a = client.attributes(project, rid)
    assert a["hparams/lr"]["value"] == 0.01 and a["hparams/layers"]["value"] == 3.0
    assert a["hparams/act"]["value"] == "relu" and a["hparams/dropout_on"]["value"] is False
    assert "group_name" in err and "experiment definition" in err

    dest = tmp_path / "dl"
    dest.mkdir()
    assert Path(client.download(project, rid, "inputs", dest / "a", step=3)).read_bytes() == png1
    assert Path(client.download(project, rid, "inputs_1", dest / "b", step=3)).read_bytes() == png2

    renamed = {"lead/x": 1.0, "_sys/tags": 2.0, "ctl_x": 3.0, "a/b": 4.0}
    for path, val in renamed.items():
        assert series(client, project, rid, path)["values"] == [val], path
    other = [k for k in a if k.startswith("a/b~")]
    assert len(other) == 2, list(a)  # 'a//b' (scalar) and the text under 'a/b'
    assert sorted(series(client, project, rid, k)["values"][0] for k in other
                  if a[k]["type"] == "float_series") == [5.0]
    long = [k for k in a if k.startswith("LLLL")]
    assert len(long) == 1 and len(long[0].encode()) == 1009
    assert series(client, project, rid, long[0])["values"] == [6.0]
    assert "imported as 'lead/x'" in err and "imported as '_sys/tags'" in err
    assert "graph" in err and "'pr_curves' plugin" in err and "beyond ±9e12" in err
    assert "far" not in a and "pr" not in a


# -- damaged files ----------------------------------------------------------------

def record_offsets(data: bytes) -> List[int]:
    out, pos = [], 0
    while pos + 12 <= len(data):
        out.append(pos)
        (n,) = struct.unpack_from("<Q", data, pos)
        pos += 16 + n
    return out


def test_damaged_files_are_reported_and_skipped(tmp_path, sextant, client, project):
    from tensorboardX import SummaryWriter
    src = tmp_path / "src"
    w = SummaryWriter(str(src))
    for i in range(20):
        w.add_scalar("x", float(i), i, walltime=T0 + i)
    w.close()
    (f,) = list(src.glob("*tfevents*"))
    data = f.read_bytes()
    offs = record_offsets(data)
    assert len(offs) == 21  # file_version + 20 scalars: record k + 1 holds step k
    logdir = tmp_path / "logs"
    for name in ("crc", "len", "trunc", "hdr"):
        (logdir / name).mkdir(parents=True)
    bad = bytearray(data)
    bad[offs[6] + 14] ^= 0x40                      # a byte in the data of step 5
    (logdir / "crc" / f.name).write_bytes(bad)
    bad = bytearray(data)
    bad[offs[9] + 1] ^= 0x01                       # the length of step 8
    (logdir / "len" / f.name).write_bytes(bad)
    (logdir / "trunc" / f.name).write_bytes(data[:offs[16] + 20])  # cut inside step 15
    (logdir / "hdr" / f.name).write_bytes(data[:offs[18] + 5])     # cut inside a header
    p = sextant("import", "tensorboard", str(logdir), "--project", project)
    err = p.stderr
    assert "4 runs imported" in err, err
    assert f"crc: {f.name} at byte {offs[6]}: record of" in err and "fails its data CRC" in err, err
    assert f"len: {f.name} at byte {offs[9]}: a record length fails its CRC" in err, err
    assert f"trunc: {f.name} at byte {offs[16]}: truncated record" in err, err
    assert f"hdr: {f.name} at byte {offs[18]}: truncated record (5 bytes of a 12-byte header)" in err, err
    for name, steps in (("crc", [i for i in range(20) if i != 5]), ("len", [i for i in range(20) if i != 8]),
                        ("trunc", list(range(15))), ("hdr", list(range(17)))):
        got = series(client, project, name, "x")
        assert got["steps"] == steps, name
        assert got["values"] == [float(s) for s in steps], name
        assert got["timestamps"] == pytest.approx([T0 + s for s in steps], abs=1e-6), name


# -- units: the documented conversions ----------------------------------------------

def test_histogram_rules():
    from tensorboardX.proto.summary_pb2 import HistogramProto
    from sextant.transfer import tensorboard as tb
    h = HistogramProto(min=-3.0, max=-1.0, bucket_limit=[-DBL_MAX, -2.0, -0.5, DBL_MAX],
                       bucket=[0, 1, 2, 0])  # preserved empty outer buckets (TF1)
    assert tb.histogram_from_proto(h) == {"edges": [-3.0, -2.0, -0.5], "counts": [1, 2]}
    h = HistogramProto(min=1e25, max=3e25, bucket_limit=[1e20, DBL_MAX], bucket=[0, 5])
    assert tb.histogram_from_proto(h) == {"edges": [1e20, 3e25], "counts": [5]}
    for bad in (HistogramProto(min=0, max=0, bucket_limit=[1.0], bucket=[0]),
                HistogramProto(min=5.0, max=6.0, bucket_limit=[1.0, 2.0], bucket=[1, 1]),
                HistogramProto(min=0, max=1, bucket_limit=[1.0], bucket=[1, 2])):
        with pytest.raises(tb._Unusable):
            tb.histogram_from_proto(bad)
    assert tb.sanitize_path("a/b") == "a/b"
    assert tb.sanitize_path("//") == "_" and tb.sanitize_path("sys") == "_sys"


def test_crc32c_fallback_matches():
    from sextant.transfer import tensorboard as tb
    table = tb._table_crc32c()
    assert table(b"123456789") == 0xE3069283  # the CRC-32C check value
    fast, _ = tb.crc32c_function()
    blob = bytes(range(256)) * 5
    assert fast(blob) == table(blob)


# -- torch.utils.tensorboard ------------------------------------------------------

def test_torch_summary_writer(tmp_path, sextant, client, project):
    tb = pytest.importorskip("torch.utils.tensorboard")
    logdir = tmp_path / "runs"
    w = tb.SummaryWriter(str(logdir / "torch"))
    for i in range(5):
        w.add_scalar("loss", 1.0 / (i + 1), i, walltime=T0 + i)
    vals = np.linspace(0.0, 1.0, 100)
    w.add_histogram("w", vals, 0, walltime=T0 + 10)
    w.add_text("t", "hi", 0, walltime=T0 + 11)
    w.close()
    sextant("import", "tensorboard", str(logdir), "--project", project)
    got = series(client, project, "torch", "loss")
    assert got["values"] == [f32(1.0 / (i + 1)) for i in range(5)]
    assert got["timestamps"] == pytest.approx([T0 + i for i in range(5)], abs=1e-6)
    h = series(client, project, "torch", "w")["values"][0]
    assert sum(h["counts"]) == 100 and h["edges"][0] == 0.0 and h["edges"][-1] >= 1.0
    assert series(client, project, "torch", "t")["values"] == ["hi"]


class FakeWriter:
    """Collects what the importer writes (no server)."""

    def __init__(self) -> None:
        self.got: Dict[str, List[Tuple[Any, Any, Any]]] = {}
        self.skips: List[Tuple[str, str]] = []

    def points(self, path, steps, values, timestamps=None, *, kind="float"):
        ts = timestamps if timestamps is not None else [None] * len(steps)
        self.got.setdefault(path, []).extend(zip(steps, values, ts))

    def flush(self) -> None:
        pass

    def skip(self, what: str, why: str) -> None:
        self.skips.append((what, why))


def test_scalar_fast_path_matches_protobuf(tmp_path):
    """Scalar events read without protobuf (after one verified parse per tag)
    give exactly what protobuf gives, for any step, tag length and value."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.proto.summary_pb2 import Summary
    from sextant.transfer import tensorboard as tb
    crc, _ = tb.crc32c_function()
    rng = np.random.default_rng(3)
    tags = ["a", "ü/文件", "x" * 130, "y" * 20000]
    steps = [0, 1, 127, 128, 300, 2**21 + 5, -1, -(2**40), 8_999_999_999_999, 2**62]
    want: Dict[str, List[Tuple[int, float, float]]] = {t: [] for t in tags}
    run = tmp_path / "r"
    run.mkdir()
    with open(run / "events.out.tfevents.1.x", "wb") as f:
        for k in range(400):
            tag = tags[k % len(tags)]
            step = steps[k % len(steps)]
            val = float(rng.normal()) if k % 7 else [math.nan, math.inf, -math.inf, -0.0][k % 4]
            ev = Event(wall_time=T0 + k / 3, step=step,
                       summary=Summary(value=[Summary.Value(tag=tag, simple_value=val)]))
            data = ev.SerializeToString()
            head = struct.pack("<Q", len(data))
            f.write(head + struct.pack("<I", tb.masked_crc(crc(head))) + data
                    + struct.pack("<I", tb.masked_crc(crc(data))))
            parsed = Event.FromString(data)
            if abs(step) < 9e12:
                want[tag].append((parsed.step, parsed.summary.value[0].simple_value, parsed.wall_time))
    w = FakeWriter()
    r = tb._RunReader(str(run), [str(run / "events.out.tfevents.1.x")], w, crc)
    r.run()
    assert len(r.scalar_shapes) == 4  # every tag went the fast way after its first event
    for tag in tags:
        path = tb.sanitize_path(tag)
        got = w.got[path]
        assert [g[0] for g in got] == [x[0] for x in want[tag]]
        assert same_floats([g[1] for g in got], [x[1] for x in want[tag]])
        assert [math.copysign(1, g[1]) for g in got] == [math.copysign(1, x[1]) for x in want[tag]]
        assert [g[2] for g in got] == [x[2] for x in want[tag]]
    assert any("beyond ±9e12" in why for _, why in w.skips)

"""Files logged from memory keep a usable name and type: raw bytes are named
after the path with an extension read from the content, `name=` overrides
it, and matplotlib figures and PIL images are stored as PNG. Every download
goes through the real server, which names it by Content-Disposition."""
from __future__ import annotations

import io
import json

import pytest

import sextant
from sextant._media import name_for, sniff
from sxt import run_py

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 24


def _downloads(client, proj, run_id, path, folder, step=None):
    """The name the server stores for the file (what a download is saved as) and its bytes."""
    folder.mkdir(exist_ok=True)
    p = client.download(proj, run_id, path, folder, step=step)
    with open(p, "rb") as f:
        return p.rsplit("/", 1)[-1], f.read()


@pytest.mark.parametrize("data, ext", [
    (PNG, "png"),
    (JPEG, "jpg"),
    (b"GIF89a\x01\x00", "gif"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
    (b"%PDF-1.7\n", "pdf"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
    (b"\xef\xbb\xbf  <svg></svg>", "svg"),
    (b"<!DOCTYPE html><p>hi", "html"),
    (b'{"lr": 0.1}', "json"),
    (b"[1, 2", "txt"),  # looks like JSON, is not
    (b"epoch,loss\n1,0.5\n", "txt"),
    ("ünïcødé ".encode() * 20000, "txt"),  # past the probe, cut inside a character
    (b"PK\x03\x04rest", "zip"),
    (b"\x1f\x8b\x08\x00", "gz"),
    (b"\x93NUMPY\x01\x00", "npy"),
    (b"\x00\x01\x02", "bin"),
    (b"", "bin"),
])
def test_sniff(data, ext):
    assert sniff(data) == ext


@pytest.mark.parametrize("leaf, ext, name", [
    ("confusion", "png", "confusion.png"),
    ("confusion.png", "png", "confusion.png"),
    ("Photo.JPEG", "jpg", "Photo.JPEG"),
    ("v1.0", "png", "v1.0.png"),         # an exact type always ends in its extension
    ("cm.jpg", "png", "cm.jpg.png"),
    ("model.pt", "zip", "model.pt"),     # other types keep a name that has one
    ("config", "json", "config.json"),
    ("blob", "bin", "blob.bin"),
])
def test_name_for(leaf, ext, name):
    assert name_for(leaf, ext) == name


def test_raw_bytes_get_an_extension_from_their_content(run_factory, client, proj, tmp_path):
    # Before, the server stored the path's last segment ("confusion"): a
    # download with no extension that no viewer would open.
    run = run_factory()
    run.assign_files({"eval/confusion": PNG, "eval/photo": bytearray(JPEG),
                      "cfg/params": io.BytesIO(b'{"lr": 0.1}')})
    run.log_files({"eval/samples": memoryview(JPEG)}, step=3)
    with open(tmp_path / "weights.bin", "wb") as f:
        f.write(b"\x00weights")
    with open(tmp_path / "weights.bin", "rb") as f:
        run.assign_files({"model/weights": f})  # a file object keeps its own name
    assert run.close(timeout=30)
    got = {p: _downloads(client, proj, run.run_id, p, tmp_path / p.replace("/", "_"))
           for p in ("eval/confusion", "eval/photo", "cfg/params", "model/weights")}
    assert got == {"eval/confusion": ("confusion.png", PNG), "eval/photo": ("photo.jpg", JPEG),
                   "cfg/params": ("params.json", b'{"lr": 0.1}'),
                   "model/weights": ("weights.bin", b"\x00weights")}
    assert _downloads(client, proj, run.run_id, "eval/samples", tmp_path / "s", step=3) \
        == ("samples.jpg", JPEG)
    (series,) = client.series(proj, run.run_id, "eval/samples")
    assert [v["name"] for v in series["values"]] == ["samples.jpg"]


def test_an_explicit_name_wins(run_factory, client, proj, tmp_path):
    run = run_factory()
    src = tmp_path / "local.csv"
    src.write_bytes(b"a,b\n")
    run.assign_files({"one": PNG}, name="chart.webp")
    run.assign_files({"two": PNG, "three": str(src)}, name={"two": "second.png", "three": "data.txt"})
    run.log_files({"four": JPEG}, step=1, name="frame-001.jpeg")
    assert run.close(timeout=30)
    names = {p: _downloads(client, proj, run.run_id, p, tmp_path / p)[0] for p in ("one", "two", "three")}
    assert names == {"one": "chart.webp", "two": "second.png", "three": "data.txt"}
    assert _downloads(client, proj, run.run_id, "four", tmp_path / "four", step=1)[0] == "frame-001.jpeg"


def test_bad_names_and_values_are_refused_at_the_call(run_factory):
    run = run_factory()
    for kw, msg in ((dict(name="x.png"), "names one file but 2"),
                    (dict(name={"c": "x.png"}), "'c', which is not among"),
                    (dict(name={"a": ""}), "non-empty str"),
                    (dict(name=3), "must be a str or a dict")):
        with pytest.raises(sextant.ValidationError, match=msg):
            run.assign_files({"a": PNG, "b": PNG}, **kw)
    with pytest.raises(sextant.ValidationError, match="text stream.*'rb'"):
        run.log_files({"t": io.StringIO("text")}, step=0)
    with pytest.raises(sextant.ValidationError, match="matplotlib Figure or a PIL Image, got object"):
        run.log_files({"o": object()}, step=0)
    assert len(run._file_q) == 0


def _is_png(data: bytes, size=None):
    from PIL import Image
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG"
    if size is not None:
        assert img.size == size
    return img


def test_pil_images_are_stored_as_png(run_factory, client, proj, tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (optional test dependency)")
    run = run_factory()
    run.assign_files({"samples/input": Image.new("RGB", (7, 5), (255, 0, 0))})
    for step, mode in enumerate(("RGBA", "CMYK")):  # CMYK has no PNG form: converted
        run.log_files({"samples/pred": Image.new(mode, (4, 3))}, step=step)
    assert run.close(timeout=30)
    name, data = _downloads(client, proj, run.run_id, "samples/input", tmp_path / "a")
    assert name == "input.png"
    assert _is_png(data, (7, 5)).getpixel((0, 0)) == (255, 0, 0)
    for step in (0, 1):
        name, data = _downloads(client, proj, run.run_id, "samples/pred", tmp_path / f"p{step}", step=step)
        assert name == "pred.png"
        _is_png(data, (4, 3))


def test_matplotlib_figures_are_stored_as_png(run_factory, client, proj, tmp_path):
    pytest.importorskip("PIL.Image", reason="Pillow is not installed (used to check the PNG)")
    figure = pytest.importorskip("matplotlib.figure", reason="matplotlib is not installed (optional test dependency)")
    fig = figure.Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1, 4])
    run = run_factory()
    run.assign_files({"plots/loss": fig})
    run.log_files({"plots/curve.png": fig}, step=7)
    fig.clear()  # rendered at the call: later changes do not reach the logged file
    assert run.close(timeout=30)
    name, first = _downloads(client, proj, run.run_id, "plots/loss", tmp_path / "a")
    assert name == "loss.png"
    w, h = _is_png(first).size
    assert 50 < w < 150 and 25 < h < 75  # about the 100x50 canvas, cropped to what is drawn
    name, data = _downloads(client, proj, run.run_id, "plots/curve.png", tmp_path / "b", step=7)
    assert name == "curve.png"
    assert data == first


def test_logging_bytes_does_not_import_matplotlib_or_pil(tmp_path):
    r = run_py(
        "import sys, json, sextant\n"
        f"run = sextant.Run(project='a/b', mode='offline', journal_dir={str(tmp_path)!r},\n"
        "                   capture_stdout=False, capture_stderr=False, capture_system_metrics=False,\n"
        "                   capture_heartbeat=False, capture_source=False)\n"
        "run.assign_files({'f': b'\\x89PNG\\r\\n\\x1a\\n'})\n"
        "run.log_files({'g': b'text'}, step=0)\n"
        "try:\n"
        "    run.log_files({'h': object()}, step=1)\n"
        "except sextant.ValidationError:\n"
        "    pass\n"
        "run.close()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL'))))\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == []

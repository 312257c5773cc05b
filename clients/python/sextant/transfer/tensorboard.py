"""TensorBoard log directories: `sextant import tensorboard LOGDIR --project ws/proj`.

The source format
-----------------
TensorBoard reads *event files* (a name containing ``tfevents``, e.g.
``events.out.tfevents.1712345678.host.1234.0``, ``….v2`` from TF2/Keras) as
written by PyTorch's ``torch.utils.tensorboard``, tensorboardX, Keras and
TF1/TF2. A *run* is a directory that directly holds event files; LOGDIR is
walked recursively (symbolic links followed once), and every run directory
becomes one Sextant run: its id is ``safe_run_id(path relative to LOGDIR)``,
its name that relative path (``.``, i.e. event files directly in LOGDIR: the
LOGDIR's base name). LOGDIR may also be a single event file. The event files
of a run are read in file-name order (the name starts with the creation time)
and merged; state "finished", created_at = the first event's wall time.

An event file is a sequence of TFRecord records::

    u64 length (LE) | u32 masked_crc32c(the 8 length bytes) | data | u32 masked_crc32c(data)

with ``masked(crc) = ((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32`` and
CRC-32C (Castagnoli). Both CRCs are verified. A record whose data fails its
CRC is reported (file, byte offset, why) and skipped; a length that fails its
CRC cannot be trusted, so the bytes are scanned forward for the next intact
record (both CRCs valid) and the damaged stretch is reported; a truncated
tail (a crash mid-write) is reported and ends that file. Nothing of this
stops the import. Files are read in 8 MiB blocks, never whole.

Each record's data is a serialized ``tensorflow.Event`` protocol buffer. It
is parsed with the protobuf classes that ship with tensorboardX
(``tensorboardX.proto``): the same wire format as tensorboard's
``tensorboard.compat.proto``, but tensorboardX needs only protobuf and numpy,
whereas the tensorboard package pulls in grpcio, absl, markdown, werkzeug and
a server binary; the extra stays light. (Fields these copies lack, such as
``Event.source_metadata``, are unknown fields and are ignored.) Protobuf
costs ~8 µs per small event from Python, so the common one-scalar event of
PyTorch/tensorboardX logs is decoded with struct once protobuf has parsed
one such event of the same tag and its bytes proved canonical (see
`_scalar_shape`): the same values, 3-4x faster.

CRC-32C comes from ``google_crc32c`` (its C implementation) or the ``crc32c``
package when either is installed. Otherwise a documented pure-Python
table-driven fallback is used: it is exact but checks about 10 MB/s, which
halves the import speed of scalar-heavy logs (measured: 110 k instead of
225 k points/s).

What is imported (`tag` → attribute path, see "Paths")
-------------------------------------------------------
- Scalars: ``Summary.Value.simple_value`` (a float32, widened exactly), and
  TF2 tensor summaries whose plugin is ``scalars`` (one numeric element of
  any dtype: float32/64, half, bfloat16, ints, as ``tensor_content`` bytes or
  as typed values) → a float series: step = ``event.step``, timestamp =
  ``event.wall_time``. NaN and ±Inf are kept.
- Histograms → a histogram series. ``HistogramProto`` has right bucket edges
  (``bucket_limit``) and counts (``bucket``); bucket 0 starts at -DBL_MAX by
  TensorFlow's definition, and ±DBL_MAX mark the open outer ends. Converted:
  leading empty buckets whose left edge is open are dropped and the last one
  dropped gives the first edge (tensorboardX and torch write exactly one such
  empty bucket whose limit is the first real edge, TF1 one collapsed empty
  run); if the first kept bucket holds values, its open left edge becomes the
  histogram's ``min``. Trailing empty buckets with an open right edge are
  dropped; an open last edge of a non-empty bucket becomes ``max``. TF2's
  ``histograms`` plugin tensors (``[k, 3]`` rows ``left, right, count``):
  empty zero-width buckets are dropped, a gap between buckets becomes an
  empty bucket, and a lone zero-width bucket ``[v, v]`` holding values (TF2's
  form for data that is all ``v``) becomes ``[v, nextafter(v, +inf)]``. What
  still is not finite and strictly increasing is skipped with a reason.
- Text (plugin ``text``, a string tensor of one element) → a string series;
  text tables (more than one element) are skipped with a reason.
- Hyperparameters (plugin ``hparams``, ``HParamsPluginData.session_start_info``)
  → configs ``hparams/<name>`` (number → float, bool, string). The
  experiment definition (domains, metric declarations: the metric values are
  ordinary scalars and imported as such), the session end info and list or
  null values are skipped with a reason.
- Images (``Summary.Image`` and TF2 ``images`` tensors ``[w, h, png…]``) and
  audio (``Summary.Audio`` and TF2 ``audio`` tensors ``[k, 2]``) → a file
  series at the step (image i > 0 of one TF2 summary: path ``<tag>_<i>``).
- Ignored: ``file_version``, session logs (START/STOP/CHECKPOINT: TensorBoard's
  purge of "orphaned" steps after a restart is not applied: every point is
  imported and a later write of the same tag and step wins, as TensorBoard
  shows it). Reported once per run: graphs, meta graphs, run metadata, log
  messages. Any other plugin's tensors: reported per tag.
- Duplicate (tag, step) points: the last write (file order, then record
  order) wins, never an error.

Paths
-----
A tag is used as the path when it is one. Otherwise it is rewritten by a
fixed rule, and the rewrite is reported: control characters become ``_``;
empty segments (leading/trailing ``/``, ``//``) are dropped (nothing left:
``_``); a first segment ``sys`` (reserved) becomes ``_sys``; a path over
1,024 bytes is cut to 1,000 bytes plus ``~`` and 8 hex digits of the tag's
SHA-256. A path that another tag (or another kind of data of the same tag,
or ``import/source[_id]``) already uses in the run gets ``~`` and 8 hex
digits of SHA-256(tag, kind) appended, so two tags never merge.
"""
from __future__ import annotations

import hashlib
import os
import struct
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from ._source import SourceError, SourceRun, need, safe_run_id
from ._writer import FLOAT, HISTOGRAM, STRING, RunWriter
from .tensorboard_records import _table_crc32c, crc32c_function, masked_crc, read_records  # noqa: F401
from .tensorboard_values import (_Unusable, histogram_from_proto, histogram_from_tensor,  # noqa: F401
                                 tensor_numbers, tensor_strings)

NAME = "tensorboard"
HELP = "TensorBoard log directories (event files of SummaryWriter, tensorboardX, Keras, TF2)"

CHUNK_POINTS = 100_000          # buffered points (all tags) before handing them to the writer
CHUNK_BYTES = 16 << 20          # buffered string/histogram bytes before the same
MAX_STEP = 9_000_000_000_000     # |step| < this (the server's limit)
MAX_TIMESTAMP = 253402300799.999999
MAX_STRING = 1 << 20
DBL_MAX = sys.float_info.max
FILE = "file"                   # a kind of its own for path claims
CONFIG = "config"


def add_arguments(parser: Any) -> None:
    """No options of its own."""




# -- paths ------------------------------------------------------------------------

_CONTROL = {c: "_" for c in list(range(0x20)) + [0x7F]}


def _show(tag: str) -> str:
    """A tag as reports show it: quoted, long ones shortened."""
    return repr(tag) if len(tag) <= 80 else repr(tag[:60]) + f"…({len(tag)} characters)"


def _hash8(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:8]


def sanitize_path(tag: str) -> str:
    """A valid attribute path for a tag (the rule in the module docstring;
    without the uniqueness suffix)."""
    p = tag.translate(_CONTROL)
    segs = [s for s in p.split("/") if s]
    if not segs:
        segs = ["_"]
    if segs[0] == "sys":
        segs[0] = "_sys"
    p = "/".join(segs)
    b = p.encode("utf-8", "surrogatepass")
    if len(b) > 1024:
        p = b[:1000].decode("utf-8", "ignore").rstrip("/") + "~" + _hash8(tag)
    return p


class _Paths:
    """Which path each (tag, kind) of a run is written to."""

    def __init__(self, writer: RunWriter):
        self.w = writer
        self.of: Dict[Tuple[str, str], str] = {}
        self.owner: Dict[str, Tuple[str, str]] = {
            "import/source": ("", CONFIG), "import/source_id": ("", CONFIG)}

    def get(self, tag: str, kind: str, prefix: str = "") -> str:
        key = (prefix + tag, kind)
        p = self.of.get(key)
        if p is not None:
            return p
        p = prefix + sanitize_path(tag)
        why = "is not a valid attribute path" if p != prefix + tag else ""
        if self.owner.get(p, key) != key:
            p = p + "~" + _hash8(prefix + tag, kind)
            why = why or "shares its path with other data of this run"
        self.of[key] = p
        self.owner[p] = key
        if why:
            self.w.skip(f"tag {_show(prefix + tag)}", f"{why}; imported as {_show(p)} instead")
        return p


# -- one run ----------------------------------------------------------------------

_F64 = struct.Struct("<d")
_F32 = struct.Struct("<f")


def _varint(data: bytes, i: int) -> Tuple[int, int]:
    """(the int64 varint at i, the offset after it); (0, 0) if there is none."""
    b = data[i]
    if b < 0x80:
        return b, i + 1
    n, shift = 0, 0
    end = min(len(data), i + 10)
    while i < end:
        b = data[i]
        n |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return (n - (1 << 64) if n >= 1 << 63 else n), i
        shift += 7
    return 0, 0


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _scalar_shape(data: bytes, v: Any) -> Optional[bytes]:
    """Reading scalars without protobuf. Most events of PyTorch and
    tensorboardX logs are `Event{wall_time, step, summary{value{tag,
    simple_value}}}` in canonical encoding: 0x09 + 8 bytes wall time, 0x10 +
    the step's varint, then bytes that depend only on the tag, then the
    4-byte float. When protobuf has parsed such an event (`v` its one
    value), this returns those tag bytes, built from the tag and checked
    against the record; an event whose bytes after the step are exactly
    these is then decoded directly (struct), with the same result protobuf
    gives. Anything else (another layout, metadata, more values) goes
    through protobuf."""
    if (v.WhichOneof("value") != "simple_value" or v.node_name or v.HasField("metadata")
            or len(data) < 17 or data[0] != 0x09 or data[9] != 0x10):
        return None
    _, j = _varint(data, 10)
    if not j:
        return None
    tag = v.tag.encode("utf-8")
    value = b"\x0a" + _encode_varint(len(tag)) + tag + b"\x15"
    summary = b"\x0a" + _encode_varint(len(value) + 4) + value
    shape = b"\x2a" + _encode_varint(len(summary) + 4) + summary
    if data[j:-4] != shape:
        return None
    return shape


class _Buffer:
    __slots__ = ("steps", "values", "ts")

    def __init__(self) -> None:
        self.steps: List[int] = []
        self.values: List[Any] = []
        self.ts: List[Optional[float]] = []


class _RunReader:
    def __init__(self, root: str, files: List[str], writer: RunWriter, crc: Callable[[bytes], int]):
        need("tensorboardX.proto.event_pb2", "import")
        from tensorboardX.proto import event_pb2, plugin_hparams_pb2  # type: ignore[import-not-found]
        self.Event = event_pb2.Event
        self.HParams = plugin_hparams_pb2.HParamsPluginData
        self.root, self.files, self.w, self.crc = root, files, writer, crc
        self.paths = _Paths(writer)
        self.buffers: Dict[Tuple[str, str], _Buffer] = {}
        self.buffered = 0
        self.buffered_bytes = 0
        self.plugin: Dict[str, str] = {}           # tag → plugin name (metadata comes once)
        self.notes: Dict[Tuple[str, str], List[Any]] = {}  # (what, why) → [count, first step]
        self.scalar_shapes: Dict[bytes, str] = {}     # see _scalar_shape

    # -- reporting ---------------------------------------------------------
    def note(self, what: str, why: str, step: Optional[int] = None) -> None:
        n = self.notes.get((what, why))
        if n is None:
            self.notes[(what, why)] = [1, step]
        else:
            n[0] += 1

    def report_notes(self) -> None:
        for (what, why), (n, step) in self.notes.items():
            where = "" if step is None else (f" at step {step}" if n == 1 else
                                             f" ({n} times, first at step {step})")
            if step is None and n > 1:
                where = f" ({n} times)"
            self.w.skip(what, why + where)

    # -- reading -----------------------------------------------------------
    def run(self) -> None:
        Event, buffered = self.Event, self.buffer
        fast: Dict[str, Tuple[Callable[[Any], None], ...]] = {}  # tag → its float appends
        known = self.scalar_shapes
        f64, f32 = _F64.unpack_from, _F32.unpack_from
        for path in self.files:
            rel = os.path.relpath(path, self.root)

            def bad(offset: int, why: str, rel: str = rel) -> None:
                self.w.skip(f"{rel} at byte {offset}", why)
            for offset, data in read_records(path, self.crc, bad):
                # The hot path (see _scalar_shape): a one-scalar event whose
                # bytes after the step are those of a tag's verified event.
                if len(data) > 16 and data[0] == 0x09 and data[9] == 0x10:
                    b0 = data[10]
                    if b0 < 0x80:
                        step, j = b0, 11
                    elif data[11] < 0x80:
                        step, j = (b0 & 0x7F) | data[11] << 7, 12
                    else:
                        step, j = _varint(data, 10)
                    tag = known.get(data[j:-4]) if j else None
                    if tag is not None:
                        wt = f64(data, 1)[0]
                        if -MAX_STEP < step < MAX_STEP and 0 <= wt <= MAX_TIMESTAMP:
                            a = fast.get(tag)
                            if a is None:
                                b = buffered(tag, FLOAT)
                                a = fast[tag] = (b.steps.append, b.values.append, b.ts.append)
                            a[0](step)
                            a[1](f32(data, len(data) - 4)[0])
                            a[2](wt)
                            self.buffered += 1
                            if self.buffered >= CHUNK_POINTS:
                                self.flush()
                            continue
                try:
                    ev = Event.FromString(data)
                except Exception as e:  # protobuf's DecodeError and friends
                    bad(offset, f"intact record that is not an Event ({type(e).__name__}: {e}): skipped")
                    continue
                if ev.WhichOneof("what") != "summary":
                    self.event(ev)
                    continue
                step, wt = ev.step, ev.wall_time
                if not (-MAX_STEP < step < MAX_STEP and 0 <= wt <= MAX_TIMESTAMP):
                    self.odd_summary(ev)
                    continue
                values = ev.summary.value
                for v in values:
                    self.value(v, step, wt)
                if len(values) == 1:
                    shape = _scalar_shape(data, values[0])
                    if shape is not None and len(known) < 100_000:
                        known[shape] = values[0].tag
        self.flush()
        self.report_notes()

    def buffer(self, tag: str, kind: str) -> _Buffer:
        b = self.buffers.get((tag, kind))
        if b is None:
            b = self.buffers[(tag, kind)] = _Buffer()
        return b

    def odd_summary(self, ev: Any) -> None:
        """A summary event whose step or wall time is out of range."""
        step = ev.step
        if not -MAX_STEP < step < MAX_STEP:
            for v in ev.summary.value:
                self.note(f"tag {_show(v.tag)}", f"step {step} is beyond ±9e12")
            return
        self.note("wall times", f"wall_time {ev.wall_time!r} is not a valid Unix time: "
                                f"points imported without a timestamp", step)
        for v in ev.summary.value:
            self.value(v, step, None)

    def event(self, ev: Any) -> None:
        """An event other than a summary."""
        what = ev.WhichOneof("what")
        if what in ("file_version", "session_log", None):
            pass
        elif what in ("graph_def", "meta_graph_def"):
            self.note("graph" if what == "graph_def" else "meta graph",
                      "model graphs are not imported")
        elif what == "tagged_run_metadata":
            self.note(f"run metadata {_show(ev.tagged_run_metadata.tag)}",
                      "run metadata (profiling) is not imported")
        elif what == "log_message":
            self.note("log messages", "log messages are not imported")
        else:
            self.note(f"{what} events", "not imported")

    def value(self, v: Any, step: int, wt: Optional[float]) -> None:
        kind = v.WhichOneof("value")
        tag = v.tag
        if kind == "simple_value":
            self.add(tag, FLOAT, step, v.simple_value, wt)
            return
        if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
            self.plugin[tag] = v.metadata.plugin_data.plugin_name
        try:
            if kind == "tensor":
                self.tensor(v, self.plugin.get(tag, ""), step, wt)
            elif kind == "histo":
                self.add(tag, HISTOGRAM, step, histogram_from_proto(v.histo), wt)
            elif kind == "image":
                self.image(tag, v.image.encoded_image_string, step, wt)
            elif kind == "audio":
                self.audio(tag, v.audio.encoded_audio_string, v.audio.content_type, step, wt)
            elif kind == "obsolete_old_style_histogram":
                raise _Unusable("obsolete old-style histograms are not imported")
            elif kind is None and self.plugin.get(tag) == "hparams":
                self.hparams(v.metadata.plugin_data.content, tag)
            else:
                raise _Unusable("a summary value without data" if kind is None
                                else f"{kind} values are not imported")
        except _Unusable as e:
            self.note(f"tag {_show(tag)}", str(e), step)

    def tensor(self, v: Any, plugin: str, step: int, wt: Optional[float]) -> None:
        tag, t = v.tag, v.tensor
        if plugin == "scalars":
            shape, vals = tensor_numbers(t)
            if len(vals) != 1:
                raise _Unusable(f"a scalar tensor of shape {shape}")
            self.add(tag, FLOAT, step, vals[0], wt)
        elif plugin == "histograms":
            self.add(tag, HISTOGRAM, step, histogram_from_tensor(t), wt)
        elif plugin == "text":
            shape, strs = tensor_strings(t)
            if len(strs) != 1:
                raise _Unusable(f"text tables (a string tensor of shape {shape}) are not imported")
            self.add(tag, STRING, step, self.text(strs[0]), wt)
        elif plugin == "hparams":
            self.hparams(v.metadata.plugin_data.content, tag)
        elif plugin == "images":
            shape, strs = tensor_strings(t)
            if len(shape) != 1 or len(strs) < 2:
                raise _Unusable(f"an image tensor of shape {shape}, not [2 + k]")
            for i, img in enumerate(strs[2:]):
                self.image(tag if i == 0 else f"{tag}_{i}", img, step, wt)
        elif plugin == "audio":
            shape, strs = tensor_strings(t)
            if len(shape) != 2 or shape[1] != 2:
                raise _Unusable(f"an audio tensor of shape {shape}, not [k, 2]")
            for i in range(shape[0]):
                self.audio(tag if i == 0 else f"{tag}_{i}", strs[2 * i], "audio/wav", step, wt)
                if strs[2 * i + 1]:
                    self.note(f"tag {_show(tag)}", "audio labels are not imported", step)
        elif plugin:
            raise _Unusable(f"data of TensorBoard's {plugin!r} plugin is not imported")
        else:
            raise _Unusable("tensor summaries without a plugin are not imported")

    @staticmethod
    def text(b: bytes) -> str:
        try:
            s = b.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusable("text that is not valid UTF-8") from None
        if len(b) > MAX_STRING:
            raise _Unusable(f"text of {len(b):,} bytes is over the 1 MiB string limit")
        return s

    def add(self, tag: str, kind: str, step: int, value: Any, wt: Optional[float]) -> None:
        b = self.buffer(tag, kind)
        b.steps.append(step)
        b.values.append(value)
        b.ts.append(wt)
        self.buffered += 1
        if kind == STRING:
            self.buffered_bytes += len(value) + 32
        elif kind == HISTOGRAM:
            self.buffered_bytes += 48 * len(value["counts"]) + 64
        if self.buffered >= CHUNK_POINTS or self.buffered_bytes >= CHUNK_BYTES:
            self.flush()

    def image(self, tag: str, data: bytes, step: int, wt: Optional[float]) -> None:
        ext = (".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg" if data[:3] == b"\xff\xd8\xff"
               else ".gif" if data[:4] == b"GIF8" else ".bin")
        self.file(tag, data, ext, step, wt)

    def audio(self, tag: str, data: bytes, content_type: str, step: int, wt: Optional[float]) -> None:
        ext = ".wav" if content_type in ("audio/wav", "audio/x-wav", "") else ".bin"
        self.file(tag, data, ext, step, wt)

    def file(self, tag: str, data: bytes, ext: str, step: int, wt: Optional[float]) -> None:
        path = self.paths.get(tag, FILE)
        base = path.rsplit("/", 1)[-1]
        self.w.file(path, data, step=step, name=f"{base}_{step}{ext}", timestamp=wt)

    def hparams(self, content: bytes, tag: str) -> None:
        try:
            d = self.HParams.FromString(content)
        except Exception as e:
            raise _Unusable(f"hparams plugin data does not parse ({e})") from None
        which = d.WhichOneof("data")
        if which == "experiment":
            e = d.experiment
            self.note("hparams experiment",
                      f"the experiment definition ({len(e.hparam_infos)} hparam domains, "
                      f"{len(e.metric_infos)} metric declarations) is not imported; "
                      f"the metric values are scalars and are imported as such")
            return
        if which == "session_end_info":
            self.note("hparams session end", "the session end info (status, end time) "
                                              "is not imported")
            return
        if which != "session_start_info":
            raise _Unusable("hparams plugin data without content")
        s = d.session_start_info
        for name in sorted(s.hparams):
            val = s.hparams[name]
            k = val.WhichOneof("kind")
            path = self.paths.get(name, CONFIG, prefix="hparams/")
            if k == "number_value":
                self.w.config(path, float(val.number_value))
            elif k == "bool_value":
                self.w.config(path, bool(val.bool_value))
            elif k == "string_value":
                if len(val.string_value.encode("utf-8")) > MAX_STRING:
                    self.note(f"hparam {_show(name)}", "a string over the 1 MiB limit")
                else:
                    self.w.config(path, val.string_value)
            else:
                self.note(f"hparam {_show(name)}", f"{k or 'empty'} hparam values are not imported")
        extra = [f for f in ("model_uri", "monitor_url", "group_name", "start_time_secs")
                 if getattr(s, f)]
        if extra:
            self.note("hparams session info", f"{', '.join(extra)} (TensorBoard's session "
                                              f"bookkeeping) not imported")

    # -- writing -------------------------------------------------------------
    def flush(self) -> None:
        """Hands every buffered point to the writer (each path once per
        request: a request may not name a series twice) and sends them."""
        if not self.buffered:
            return
        w = self.w
        for (tag, kind), b in self.buffers.items():
            if not b.steps:
                continue
            path = self.paths.get(tag, kind)
            if None in b.ts:
                keep = [i for i, t in enumerate(b.ts) if t is not None]
                lost = [i for i, t in enumerate(b.ts) if t is None]
                if keep:
                    w.points(path, [b.steps[i] for i in keep], [b.values[i] for i in keep],
                             [b.ts[i] for i in keep], kind=kind)  # type: ignore[misc]
                    w.flush()
                w.points(path, [b.steps[i] for i in lost], [b.values[i] for i in lost], None, kind=kind)
                w.flush()
            else:
                w.points(path, b.steps, b.values, b.ts, kind=kind)  # type: ignore[arg-type]
            del b.steps[:], b.values[:], b.ts[:]  # in place: the hot path holds their appends
        w.flush()
        self.buffered = self.buffered_bytes = 0


# -- listing ----------------------------------------------------------------------

def _is_event_file(name: str) -> bool:
    return "tfevents" in name


def _run_dirs(root: str) -> Iterator[Tuple[str, List[str]]]:
    """(directory, its event files sorted by name), directories sorted,
    symbolic links followed but each real directory visited once."""
    seen = set()
    for d, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(d)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        ev = sorted(f for f in files if _is_event_file(f) and os.path.isfile(os.path.join(d, f)))
        if ev:
            yield d, [os.path.join(d, f) for f in ev]


def _first_wall_time(files: List[str], crc: Callable[[bytes], int], Event: Any) -> Optional[float]:
    for path in files:
        for _, data in read_records(path, crc, lambda *_: None):
            try:
                wt = Event.FromString(data).wall_time
            except Exception:
                continue
            return wt if 0 <= wt <= MAX_TIMESTAMP else None
    return None


def open_source(path: str, args: Any, report: Any) -> List[SourceRun]:
    need("tensorboardX.proto.event_pb2", "import")
    from tensorboardX.proto import event_pb2  # type: ignore[import-not-found]
    crc, _ = crc32c_function()
    root = os.path.abspath(path)
    if os.path.isfile(root) and _is_event_file(os.path.basename(root)):
        runs = [(os.path.dirname(root), [root])]
        top = os.path.dirname(root)
    elif os.path.isdir(root):
        runs = list(_run_dirs(root))
        top = root
    else:
        raise SourceError(f"{path}: not a directory or an event file")
    if not runs:
        raise SourceError(f"no TensorBoard event files (names containing 'tfevents') under {path}")
    out: List[SourceRun] = []
    used: set = set()
    for d, files in runs:
        rel = os.path.relpath(d, top).replace(os.sep, "/")
        name = (os.path.basename(top) or top) if rel == "." else rel
        run_id = safe_run_id(name)
        if run_id in used:  # the LOGDIR's own name met again below it
            run_id = safe_run_id(rel + "/")
        used.add(run_id)
        fp = hashlib.sha256(b"tensorboard/1")
        for f in files:
            try:
                st = os.stat(f)
                fp.update(f"{os.path.basename(f)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            except OSError as e:
                fp.update(f"{os.path.basename(f)}\0{e}\n".encode())

        def write(w: RunWriter, files: List[str] = files, root: str = d) -> None:
            _RunReader(root, files, w, crc).run()
        out.append(SourceRun(source_id=name, run_id=run_id, write=write, name=name,
                             created_at=_first_wall_time(files, crc, event_pb2.Event),
                             state="finished", fingerprint=fp.hexdigest()))
    return out

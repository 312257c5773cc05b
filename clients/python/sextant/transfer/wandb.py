"""Weights & Biases runs: offline/online run folders, or a W&B server.

`sextant import wandb PATH --project ws/proj`

- PATH a folder: every `run-<id>.wandb` under it (a run folder
  `offline-run-<time>-<id>` or `run-<time>-<id>`, the `wandb/` folder, or
  the folder holding it). The `.wandb` file is W&B's transaction log: every
  record the client produced, read by `wandb_offline` (needs the `wandb`
  extra for its protobuf classes). Folders of one W&B run (a resumed run
  writes a new folder with the same id) become one Sextant run, in order.
- PATH `wandb://ENTITY/PROJECT` (or `ENTITY/PROJECT` with `--api`): a W&B
  server through its public API (`wandb_api`).

How W&B data maps (both sources):
- run id: the W&B run id; name: its display name; experiment: its group;
  tags; notes → `sys/description`; entity, project, job type, host, sweep
  id → `wandb/…` configs; created_at: its start time.
- config: flattened with '/' (`{"model": {"layers": 4}}` → `model/layers`);
  W&B's own `_wandb` entry is kept as is, under `_wandb/…`. Lists become
  their JSON text and None the string "None", as the Sextant SDK does.
- history (`run.log`): every key at step `_step` with timestamp
  `_timestamp`; nested dicts flatten with '/'. Numbers (NaN/±Inf too) and
  booleans (1/0) → float series; strings → string series; `wandb.Histogram`
  (bins + values, or packedBins) → histogram series; media files (images,
  audio, video, html, 3D objects…) → file series from the run's files;
  `_runtime` (seconds since the start) → float series `_runtime`. Tables,
  lists, image groups and None cannot be points: each is reported (their
  files are still uploaded under `files/…`).
- summary: a value that is not its series' last value (set with
  `run.summary[...]`) → config `summary/<key>`; W&B's own `_runtime` and
  `_wandb` summary entries (the runtime in whole seconds) are left out: the
  exact runtime is `wandb/runtime`.
- state: exit code 0 → finished, another → failed (`wandb/exit_code`); a run
  without an exit record (killed, crashed, or still running) → failed.
"""
from __future__ import annotations

import json
import math
import os
from array import array
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .._errors import ValidationError
from .._validate import MAX_STRING_BYTES, MAX_TIMESTAMP, path as check_path
from ._writer import FLOAT, HISTOGRAM, STRING, RunWriter

NAME = "wandb"
HELP = "W&B runs: offline/online run folders (run-*.wandb), or wandb://ENTITY/PROJECT through the W&B API"

FILE = "file"
_EXACT_INT = 1 << 53
# `_type`s of W&B media whose `path` is one file of the run: a file series.
MEDIA_FILE_TYPES = frozenset({"image-file", "audio-file", "video-file", "html-file", "object3D-file",
                              "molecule-file", "plotly-file", "bokeh-file", "graph-file"})
# A media value's own fields that are not what it shows.
_MEDIA_META = frozenset({"_type", "path", "sha256", "size", "format", "width", "height",
                         "caption", "_latest_artifact_path", "artifact_path"})


def add_arguments(p: Any) -> None:
    p.add_argument("--api", action="store_true",
                   help="PATH is ENTITY/PROJECT on a W&B server (as wandb://ENTITY/PROJECT)")
    p.add_argument("--base-url", default=None,
                   help="the W&B server for --api (default $WANDB_BASE_URL, else W&B's cloud)")
    p.add_argument("--api-key", default=None, help="W&B API key for --api (default $WANDB_API_KEY)")


def open_source(path: str, args: Any, report: Any) -> Iterable[Any]:
    if path.startswith("wandb://") or getattr(args, "api", False):
        from .wandb_api import open_api
        return open_api(path, args, report)
    from .wandb_offline import open_offline
    return open_offline(path, args, report)


# ---------------------------------------------------------------------------
# Values


_NUMBER_START = frozenset("-0123456789NI")


def parse_json(text: str) -> Any:
    """A W&B `value_json` (NaN / Infinity spelled as JavaScript does);
    numbers, by far the most common, without the JSON parser."""
    if text and text[0] in _NUMBER_START:
        try:
            if text.isdigit() or (text[0] == "-" and text[1:].isdigit()):
                return int(text)
            return float(text)
        except ValueError:
            pass
    try:
        return json.loads(text)
    except RecursionError:  # nested deeper than the parser goes: bad input like any other
        raise ValueError("JSON nested too deeply") from None


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return a == b


def tree_set(tree: Dict[str, Any], keys: Tuple[str, ...], value: Any) -> None:
    d = tree
    for k in keys[:-1]:
        nxt = d.get(k)
        if not isinstance(nxt, dict):
            nxt = d[k] = {}
        d = nxt
    d[keys[-1]] = value


def tree_remove(tree: Dict[str, Any], keys: Tuple[str, ...]) -> None:
    d: Any = tree
    for k in keys[:-1]:
        d = d.get(k) if isinstance(d, dict) else None
    if isinstance(d, dict):
        d.pop(keys[-1], None)


def leaves(tree: Dict[str, Any], prefix: str = "") -> Iterable[Tuple[str, Any]]:
    """(path, value) of a nested dict, '/'-joined; a dict with `_type` (a W&B
    media or histogram value) is one leaf; empty dicts give nothing."""
    for k, v in tree.items():
        p = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict) and "_type" not in v:
            yield from leaves(v, p)
        else:
            yield p, v


def histogram(v: Dict[str, Any]) -> Tuple[Optional[Dict[str, List[float]]], str]:
    """A W&B histogram value as {"edges", "counts"}, or (None, why not)."""
    counts = v.get("values")
    if "packedBins" in v:
        pb = v["packedBins"] or {}
        try:
            lo, size, n = float(pb["min"]), float(pb["size"]), int(pb["count"])
        except (KeyError, TypeError, ValueError):
            return None, f"a histogram whose packedBins {pb!r:.80} is not min/size/count"
        edges = [lo + i * size for i in range(n + 1)]
    else:
        edges = v.get("bins")
    if not isinstance(edges, list) or not isinstance(counts, list):
        return None, "a histogram without bins and values lists"
    if len(edges) != len(counts) + 1 or not counts:
        return None, f"a histogram with {len(edges)} bin edges for {len(counts)} counts"
    try:
        e = [float(x) for x in edges]
        c = [float(x) for x in counts]
    except (TypeError, ValueError):
        return None, "a histogram with values that are not numbers"
    if not all(math.isfinite(x) for x in e) or any(b <= a for a, b in zip(e, e[1:])):
        return None, "a histogram whose bin edges are not finite and increasing"
    return {"edges": e, "counts": c}, ""


class _Series:
    __slots__ = ("kind", "steps", "values", "ts")

    def __init__(self, kind: str):
        self.kind = kind
        self.steps: List[Any] = []
        self.values: Any = array("d") if kind == FLOAT else []
        self.ts = array("d")  # NaN: no timestamp


class History:
    """Collects a run's points (history rows, system metrics, console
    lines) into series, then writes them. `last` holds every history key's
    last value, for telling summary values apart from series' last values."""

    def __init__(self) -> None:
        self.series: Dict[str, _Series] = {}
        self.last: Dict[str, Any] = {}
        self.files: List[Tuple[str, Any, float, str]] = []  # (path, step, ts, run-relative file)
        self.skips: Dict[Tuple[str, str], int] = {}
        self._paths: Dict[str, Optional[str]] = {}
        self.rows = 0

    def bad_path(self, p: str) -> Optional[str]:
        """None if `p` can be a series path, else why not."""
        try:
            return self._paths[p]
        except KeyError:
            try:
                check_path(p, series=True)
                why = None
            except ValidationError as e:
                why = str(e)
            self._paths[p] = why
            return why

    def skip(self, path: str, why: str) -> None:
        k = (path, why)
        self.skips[k] = self.skips.get(k, 0) + 1

    def _add(self, path: str, kind: str, step: Any, value: Any, ts: float) -> None:
        s = self.series.get(path)
        if s is None:
            why = self.bad_path(path)
            if why is not None:
                self.skip(path, why)
                return
            s = self.series[path] = _Series(kind)
        elif s.kind != kind:
            self.skip(path, f"a {kind} value in a series of {s.kind} values")
            return
        s.steps.append(step)
        s.values.append(value)
        s.ts.append(ts)

    def row(self, items: Iterable[Tuple[str, Any]], step: Any, ts: float) -> None:
        """One history row: (path, parsed value) pairs, `_step` and
        `_timestamp` already taken out."""
        self.rows += 1
        self.last["_step"] = step
        self.last["_timestamp"] = ts
        for path, v in items:
            self.last[path] = v
            t = type(v)
            if t is float or t is int:
                if t is int and not -_EXACT_INT <= v <= _EXACT_INT:
                    self.skip(path, "an integer beyond 2^53, which a float series cannot hold exactly")
                    continue
                self._add(path, FLOAT, step, float(v), ts)
            elif t is str:
                if len(v) > MAX_STRING_BYTES // 4 and len(v.encode("utf-8", "replace")) > MAX_STRING_BYTES:
                    self.skip(path, "a string over 1 MiB")
                    continue
                self._add(path, STRING, step, v, ts)
            elif t is bool:
                self._add(path, FLOAT, step, 1.0 if v else 0.0, ts)
            elif t is dict:
                self._typed(path, v, step, ts)
            elif v is None:
                self.skip(path, "None (no value)")
            elif t is list:
                self.skip(path, "a list, which no series type holds")
            else:  # pragma: no cover - JSON gives no other types
                self.skip(path, f"a {t.__name__}")

    def _typed(self, path: str, v: Dict[str, Any], step: Any, ts: float) -> None:
        kind = v.get("_type")
        if kind is None:
            self.row(leaves(v, path), step, ts)
            self.rows -= 1
            return
        if kind == "histogram":
            h, why = histogram(v)
            if h is None:
                self.skip(path, why)
            else:
                self._add(path, HISTOGRAM, step, h, ts)
            return
        if kind in MEDIA_FILE_TYPES and isinstance(v.get("path"), str):
            why = self.bad_path(path)
            if why is not None:
                self.skip(path, why)
                return
            s = self.series.get(path)
            if s is not None and s.kind != FILE:
                self.skip(path, f"a {kind} in a series of {s.kind} values")
                return
            if s is None:
                self.series[path] = _Series(FILE)
            self.files.append((path, step, ts, v["path"]))
            cap = v.get("caption")
            if isinstance(cap, str):
                self._add(f"{path}/caption", STRING, step, cap, ts)
            return
        if kind == "table-file" or kind.endswith("-table"):
            where = f" (its JSON is kept as files/{v['path']})" if isinstance(v.get("path"), str) else ""
            self.skip(path, f"a W&B table, which is not a series type{where}")
        elif kind.startswith("images/") or kind.endswith("/separated"):
            self.skip(path, f"a group of {v.get('count', 'several')} media files at one step "
                            f"(a file series holds one per step; the files are kept under files/media/)")
        else:
            self.skip(path, f"a W&B {kind!r} value, which is not a series type")

    def stats(self, key: str, step: int, ts: float, value: Any) -> None:
        path = f"monitoring/{key}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._add(path, FLOAT, step, float(value), ts)
        else:
            self.skip(path, f"a system metric that is not a number ({type(value).__name__})")

    def write(self, w: RunWriter, open_file: Callable[[str], Optional[str]]) -> None:
        """Writes the series, then the media files (`open_file` gives a
        run-relative file's local path, or None when it is not there)."""
        for path, s in self.series.items():
            if s.kind == FILE or not s.steps:
                continue
            ts = s.ts
            i, n = 0, len(s.steps)
            while i < n:  # runs of points with and without a timestamp
                has = ts[i] == ts[i]
                j = i + 1
                while j < n and (ts[j] == ts[j]) == has:
                    j += 1
                sl = slice(i, j) if (i, j) != (0, n) else None
                steps = s.steps if sl is None else s.steps[sl]
                vals = s.values if sl is None else s.values[sl]
                t = (ts if sl is None else ts[sl]) if has else None
                w.points(path, steps, vals, t, kind=s.kind)
                i = j
        for path, step, ts, rel in self.files:
            local = open_file(rel)
            if local is None:
                self.skip(path, f"its media file {rel} is not in the run's files")
                continue
            put_file(w, path, local, step=step, name=os.path.basename(rel),
                     timestamp=ts if ts == ts else None)
        for (path, why), n in sorted(self.skips.items()):
            w.skip(path, why + (f" ({n} points)" if n > 1 else ""))
        self.skips.clear()


def put_file(w: RunWriter, path: str, local: str, *, step: Any = None, name: Optional[str] = None,
             timestamp: Optional[float] = None) -> None:
    """Uploads one file; a path the server cannot take is reported."""
    try:
        check_path(path, series=step is not None)
    except ValidationError as e:
        w.skip(path, str(e))
        return
    w.file(path, local, step=step, name=name, timestamp=timestamp)


def timestamp_or_nan(v: Any) -> float:
    try:
        t = float(v)
    except (TypeError, ValueError):
        return math.nan
    return t if 0 <= t <= MAX_TIMESTAMP else math.nan


def config_items(tree: Dict[str, Any]) -> Iterable[Tuple[str, Any]]:
    """Config paths and values from W&B's config (a nested dict)."""
    for p, v in leaves(tree):
        yield p, v


def write_configs(w: RunWriter, items: Iterable[Tuple[str, Any]], prefix: str = "") -> None:
    for p, v in items:
        path = prefix + p
        if path.startswith("sys/"):
            w.skip(path, "sys/ is reserved for the server")
            continue
        if isinstance(v, dict) and set(v) != {"type", "value"}:  # a W&B object (`_type`)
            v = json.dumps(v, sort_keys=True)
        try:
            check_path(path, series=False)
            w.config(path, v)
        except ValidationError as e:
            w.skip(path, str(e))


def summary_items(summary: Dict[str, Any], h: History) -> Iterable[Tuple[str, Any]]:
    """Summary values that are not the last value of a history key."""
    for p, v in leaves(summary):
        if p == "_runtime" or p == "_wandb" or p.startswith("_wandb/"):
            continue
        if p in h.last and same_value(h.last[p], v):
            continue
        if isinstance(v, dict):
            h.skip(f"summary/{p}", f"a W&B {v.get('_type')!r} summary value that is not the last "
                                   f"logged value, which no config type holds")
            continue
        yield p, v


def write_run_metadata(w: RunWriter, meta: Dict[str, Any], tags: List[str], notes: str) -> None:
    for k, v in meta.items():
        if v not in (None, ""):
            w.config(f"wandb/{k}", v)
    if tags:
        w.tags(tags)
    if notes:
        w.config("sys/description", notes)


def exit_state(exit_code: Optional[int]) -> str:
    return "finished" if exit_code == 0 else "failed"

"""W&B run folders: the `run-<id>.wandb` transaction log and `files/`.

The `.wandb` file's framing is read by `wandb_log` (checksums verified;
corrupt chunks and a truncated tail are reported, the rest imported); each
record is a protobuf `wandb.proto.wandb_internal_pb2.Record`.

The records read (see `wandb` for how they map): run, config, history,
summary, stats (system metrics → `monitoring/<key>` float series, step = the
sample's number in the run, with its timestamp), output_raw / output
(console → string series `monitoring/stdout` and `monitoring/stderr`, one
point per line, step = the line's number; a line rewritten with '\\r' keeps
what the terminal showed last; the raw console is `files/output.log`),
environment (→ `wandb/environment/…`), files (the run folder's `files/` is
uploaded, media files as points of their series, others as `files/<path>`),
exit. Artifacts, alerts, TensorBoard records and define_metric settings are
reported as not imported; telemetry (the client's feature flags) and control
records hold no run data.
"""
from __future__ import annotations

import functools
import math
import os
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote as _pct

from .._validate import MAX_TIMESTAMP
from ._source import SourceError, SourceRun, need, safe_run_id
from ._writer import RunWriter, STRING, iso_utc
from .wandb_log import records
from .wandb import (History, config_items, exit_state, leaves, parse_json, put_file, summary_items,
                    timestamp_or_nan, tree_remove, tree_set, write_configs, write_run_metadata)

_RUN_FILE = re.compile(r"run-(.+)\.wandb\Z")


def _pb() -> Any:
    need("google.protobuf", "wandb")
    return need("wandb.proto.wandb_internal_pb2", "wandb")


def find_run_files(path: str) -> List[str]:
    if os.path.isfile(path):
        if not path.endswith(".wandb"):
            raise SourceError(f"{path}: not a .wandb file")
        return [path]
    if not os.path.isdir(path):
        raise SourceError(f"{path}: no such file or folder")
    out, seen = [], set()
    for root, dirs, files in os.walk(path):  # symlinks (wandb/latest-run) are not followed
        dirs[:] = sorted(d for d in dirs if d not in ("files", "logs", "tmp", "artifacts"))
        for name in sorted(files):
            if _RUN_FILE.match(name):
                p = os.path.join(root, name)
                real = os.path.realpath(p)
                if real not in seen:
                    seen.add(real)
                    out.append(p)
    return out


class _Segment:
    """One .wandb file: what listing needs from its run record."""

    def __init__(self, path: str, pb: Any):
        self.path = path
        m = _RUN_FILE.search(os.path.basename(path))
        self.run_id = m.group(1) if m else os.path.basename(path)
        self.entity = self.project = self.name = self.group = ""
        self.start: Optional[float] = None
        self.fork: Optional[Tuple[str, float]] = None
        for i, data in enumerate(records(path, lambda _m: None)):
            if i > 64:
                break
            try:
                r = pb.Record.FromString(data)
            except Exception:  # noqa: BLE001 - reported when the run is written
                continue
            if r.WhichOneof("record_type") == "run":
                run = r.run
                self.run_id = run.run_id or self.run_id
                self.entity, self.project = run.entity, run.project
                self.name, self.group = run.display_name, run.run_group
                if run.HasField("start_time"):
                    self.start = run.start_time.seconds + run.start_time.nanos / 1e9
                if run.forked and run.branch_point.run:
                    self.fork = (run.branch_point.run, run.branch_point.value)
                break
        st = os.stat(path)
        self.fingerprint = f"{st.st_size}:{st.st_mtime_ns}:{_folder_print(self.files_dir)}"

    @property
    def files_dir(self) -> str:
        return os.path.join(os.path.dirname(self.path), "files")


def _folder_print(folder: str) -> str:
    n = size = mtime = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            n, size, mtime = n + 1, size + st.st_size, max(mtime, st.st_mtime_ns)
    return f"{n}:{size}:{mtime}"


def open_offline(path: str, args: Any, report: Any) -> List[SourceRun]:
    pb = _pb()
    files = find_run_files(path)
    if not files:
        raise SourceError(f"{path}: no W&B run files (run-<id>.wandb) found")
    groups: Dict[Tuple[str, str, str], List[_Segment]] = {}
    for p in files:
        seg = _Segment(p, pb)
        groups.setdefault((seg.entity, seg.project, seg.run_id), []).append(seg)
    runs: Dict[str, SourceRun] = {}
    order: List[SourceRun] = []
    for (entity, project, run_id), segs in groups.items():
        segs.sort(key=lambda s: (s.start or 0, s.path))
        src = SourceRun(
            source_id="/".join(x for x in (entity, project, run_id) if x),
            run_id=safe_run_id(run_id),
            write=lambda w: None,
            project=(f"{entity}/{project}" if entity else project) or None,
            name=next((s.name for s in reversed(segs) if s.name), ""),
            experiment_name=next((s.group for s in reversed(segs) if s.group), ""),
            created_at=segs[0].start,
            state="failed",  # set by _write from the last exit record
            fingerprint="|".join(s.fingerprint for s in segs))
        src.write = functools.partial(_write, segs=segs, pb=pb, src=src)
        if segs[0].fork:
            parent, step = segs[0].fork
            src.fork_run_id, src.fork_step = parent, step  # resolved below
        runs[run_id] = src
        order.append(src)
    return _fork_order(order, runs, report)


def _fork_order(order: List[SourceRun], runs: Dict[str, SourceRun], report: Any) -> List[SourceRun]:
    """Parents before forks; a fork whose parent is not in this import is
    imported as a plain run (reported)."""
    for r in order:
        if r.fork_run_id is not None:
            parent = runs.get(r.fork_run_id)
            if not math.isfinite(r.fork_step):  # type: ignore[arg-type]
                report.skip(f"{r.source_id}: fork link", f"forked from W&B run {r.fork_run_id} at step "
                            f"{r.fork_step}, which is not a finite number; imported as a plain run")
                r.fork_run_id = r.fork_step = None
            elif parent is None:
                report.skip(f"{r.source_id}: fork link", f"forked from W&B run {r.fork_run_id} at step "
                            f"{r.fork_step}, which is not in this import; imported as a plain run")
                r.fork_run_id = r.fork_step = None
            else:
                r.fork_run_id = parent.run_id
                if isinstance(r.fork_step, float) and r.fork_step.is_integer():
                    r.fork_step = int(r.fork_step)
    out: List[SourceRun] = []
    done: set = set()
    by_id = {r.run_id: r for r in order}

    def visit(r: SourceRun, depth: int = 0) -> None:
        if r.run_id in done or depth > len(order):
            return
        if r.fork_run_id and r.fork_run_id in by_id:
            visit(by_id[r.fork_run_id], depth + 1)
        done.add(r.run_id)
        out.append(r)

    for r in order:
        visit(r)
    return out


class _Console:
    """Console output → one point per line, per stream."""

    def __init__(self, h: History):
        self.h = h
        self.buf: Dict[str, Tuple[str, float]] = {}
        self.lines: Dict[str, int] = {}

    def add(self, stream: str, text: str, ts: float) -> None:
        prev, t0 = self.buf.get(stream, ("", ts))
        text = prev + text
        parts = text.split("\n")
        for line in parts[:-1]:
            self._line(stream, line, t0)
            t0 = ts
        self.buf[stream] = (parts[-1], t0 if parts[-1] and len(parts) == 1 else ts)

    def _line(self, stream: str, line: str, ts: float) -> None:
        line = line.rstrip("\r")
        if "\r" in line:
            line = line[line.rindex("\r") + 1:]
        n = self.lines.get(stream, 0)
        self.lines[stream] = n + 1
        self.h._add(f"monitoring/{stream}", STRING, n, line, ts)

    def close(self) -> None:
        for stream, (text, ts) in self.buf.items():
            if text:
                self._line(stream, text, ts)
        self.buf.clear()


def _keys(item: Any) -> Tuple[str, ...]:
    return tuple(item.nested_key) if item.nested_key else (item.key,)


def _history_value(item: Any) -> Any:
    which = item.WhichOneof("value")
    if which is None or which == "json":
        text = item.value_json if which is None else item.json
        return parse_json(text) if text else None
    return None if which == "none" else getattr(item, which)


def _write(w: RunWriter, *, segs: List[_Segment], pb: Any, src: SourceRun) -> None:
    h = History()
    console = _Console(h)
    config: Dict[str, Any] = {}
    summary: Dict[Tuple[str, ...], str] = {}
    meta: Dict[str, Any] = {}
    env: Dict[str, Any] = {}
    tags: List[str] = []
    notes = ""
    exit_code: Optional[int] = None
    not_imported: Dict[str, set] = {}
    listed: Dict[str, str] = {}
    stats_n = 0
    row_n = 0
    for seg in segs:
        exit_code = None  # a resumed segment's exit decides
        label = os.path.basename(seg.path)
        for data in records(seg.path, lambda m, label=label: w.skip(label, m)):
            try:
                r = pb.Record.FromString(data)
            except Exception as e:  # noqa: BLE001 - protobuf's DecodeError and kin
                w.skip(label, f"a record that does not decode ({e}) skipped")
                continue
            kind = r.WhichOneof("record_type")
            if kind == "history":
                row: List[Tuple[str, Any]] = []
                nested: Dict[str, Any] = {}
                step: Any = None
                ts = float("nan")
                for it in r.history.item:
                    nk = it.nested_key
                    keys = tuple(nk) if nk else (it.key,)
                    try:
                        if it.WhichOneof("value") is None:
                            text = it.value_json
                            v = parse_json(text) if text else None
                        else:
                            v = _history_value(it)
                    except ValueError:
                        h.skip("/".join(keys), "a history value that is not JSON")
                        continue
                    if len(keys) == 1:
                        k = keys[0]
                        if k == "_step":
                            step = v
                        elif k == "_timestamp":
                            ts = timestamp_or_nan(v)
                        elif isinstance(v, dict):
                            tree_set(nested, keys, v)
                        else:
                            row.append((k, v))
                    else:
                        tree_set(nested, keys, v)
                if nested:
                    row.extend(leaves(nested))
                if step is None or isinstance(step, bool) or not isinstance(step, (int, float)):
                    step = r.history.step.num if r.history.HasField("step") else row_n
                row_n += 1
                h.row(row, step, ts)
            elif kind == "summary":
                for it in r.summary.update:
                    nk = it.nested_key
                    k = tuple(nk) if nk else (it.key,)
                    if k in summary:
                        del summary[k]  # the latest update goes last
                    summary[k] = it.value_json
                for it in r.summary.remove:
                    k = _keys(it)
                    for s in [s for s in summary if s[:len(k)] == k]:
                        del summary[s]
            elif kind == "stats":
                t = r.stats.timestamp
                ts = timestamp_or_nan(t.seconds + t.nanos / 1e9) if r.stats.HasField("timestamp") else float("nan")
                for it in r.stats.item:
                    try:
                        v = parse_json(it.value_json)
                    except ValueError:
                        v = it.value_json
                    h.stats(it.key, stats_n, ts, v)
                stats_n += 1
            elif kind in ("output_raw", "output"):
                o = getattr(r, kind)
                t = o.timestamp
                ts = timestamp_or_nan(t.seconds + t.nanos / 1e9) if o.HasField("timestamp") else float("nan")
                console.add("stderr" if o.output_type == 0 else "stdout", o.line, ts)
            elif kind == "run":
                run = r.run
                _apply_config(config, run.config.update, run.config.remove, w)
                for k, v in (("entity", run.entity), ("project", run.project), ("job_type", run.job_type),
                             ("host", run.host), ("sweep_id", run.sweep_id)):
                    if v:
                        meta[k] = v
                if run.tags:
                    tags = list(run.tags)
                notes = run.notes or notes
                if run.HasField("summary"):
                    for it in run.summary.update:
                        summary[_keys(it)] = it.value_json
            elif kind == "config":
                _apply_config(config, r.config.update, r.config.remove, w)
            elif kind == "exit":
                exit_code = r.exit.exit_code
                meta["exit_code"] = exit_code
                meta["runtime"] = r.exit.runtime
            elif kind == "files":
                for f in r.files.files:
                    listed[f.path] = label
            elif kind == "environment":
                try:
                    d = _message(r.environment)
                except ValueError as e:
                    w.skip(label, f"an environment record that does not decode ({e}) skipped")
                    continue
                d.pop("writer_id", None)
                env.update(d)
            elif kind in ("artifact", "use_artifact", "noop_link_artifact", "alert", "tbrecord", "metric"):
                what = {"artifact": "artifacts logged", "use_artifact": "artifacts used",
                        "noop_link_artifact": "artifact links", "alert": "alerts",
                        "tbrecord": "TensorBoard logs synced by W&B (import them with `sextant import "
                                    "tensorboard`)", "metric": "define_metric settings (W&B chart options)"}[kind]
                name = {"artifact": lambda: r.artifact.name, "use_artifact": lambda: r.use_artifact.artifact.name
                        if r.use_artifact.HasField("artifact") else r.use_artifact.id,
                        "alert": lambda: r.alert.title, "tbrecord": lambda: r.tbrecord.log_dir,
                        "metric": lambda: r.metric.name or r.metric.glob_name}.get(kind, lambda: "")()
                not_imported.setdefault(what, set()).add(name or "?")
            # telemetry, header, footer, final, preempting, request, control: no run data
    console.close()

    h.write(w, lambda rel: _local(segs, rel))
    write_configs(w, config_items(config))
    write_configs(w, _env_items(env), "wandb/environment/")
    tree: Dict[str, Any] = {}
    for keys, text in summary.items():
        try:
            tree_set(tree, keys, parse_json(text))
        except ValueError:
            w.skip("summary/" + "/".join(keys), "a summary value that is not JSON")
    write_configs(w, summary_items(tree, h), "summary/")
    for (path, why), n in sorted(h.skips.items()):
        w.skip(path, why)
    h.skips.clear()
    write_run_metadata(w, meta, tags, notes)
    used = {rel for _p, _s, _t, rel in h.files}
    for seg in segs:
        for root, _dirs, names in os.walk(seg.files_dir):
            for name in sorted(names):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, seg.files_dir).replace(os.sep, "/")
                listed.pop(rel, None)
                if rel in used:
                    continue
                put_file(w, f"files/{rel}", full, name=name)
    for rel in sorted(listed):
        if rel not in used:
            w.skip(f"files/{rel}", "saved by the run but not in its files/ folder")
    for what, names in sorted(not_imported.items()):
        shown = ", ".join(sorted(names)[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        w.skip(what, f"not imported ({shown})")
    src.state = exit_state(exit_code)


def _apply_config(config: Dict[str, Any], updates: Any, removes: Any, w: RunWriter) -> None:
    for it in updates:
        keys = _keys(it)
        try:
            tree_set(config, keys, parse_json(it.value_json))
        except ValueError:
            w.skip("/".join(keys), "a config value that is not JSON")
    for it in removes:
        tree_remove(config, _keys(it))


def _message(m: Any) -> Dict[str, Any]:
    """A protobuf message as a nested dict: maps by key, Timestamps as
    datetime configs, repeated scalars as lists (stored as JSON text).
    ValueError for a Timestamp no datetime holds."""
    out: Dict[str, Any] = {}
    for f, v in m.ListFields():
        mt = f.message_type
        if mt is not None and mt.GetOptions().map_entry:
            vf = mt.fields_by_name["value"]
            out[f.name] = {str(k): (_message(x) if vf.message_type is not None else x) for k, x in v.items()}
        elif mt is not None and mt.full_name == "google.protobuf.Timestamp":
            t = v.seconds + v.nanos / 1e9
            if not 0 <= t <= MAX_TIMESTAMP:  # datetime cannot hold it
                raise ValueError(f"{f.name}: {t} s is not a time in the years 1970-9999")
            out[f.name] = iso_utc(t)
        elif mt is not None:
            out[f.name] = [_message(x) for x in v] if _repeated(f) else _message(v)
        else:
            out[f.name] = list(v) if _repeated(f) else v
    return out


def _repeated(f: Any) -> bool:
    rep = getattr(f, "is_repeated", None)
    return rep if isinstance(rep, bool) else f.label == 3


def _env_items(env: Dict[str, Any], prefix: str = "") -> Iterator[Tuple[str, Any]]:
    for k, v in env.items():
        seg = k if k and "/" not in k else _pct(k, safe="") or "%20"
        p = f"{prefix}/{seg}" if prefix else seg
        if isinstance(v, dict) and set(v) != {"type", "value"}:
            yield from _env_items(v, p)
        else:
            yield p, v


def _local(segs: List[_Segment], rel: str) -> Optional[str]:
    for seg in reversed(segs):
        p = os.path.join(seg.files_dir, *rel.split("/"))
        if os.path.isfile(p):
            return p
    return None

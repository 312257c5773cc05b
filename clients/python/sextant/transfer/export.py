"""`sextant export PROJECT DIR`: every run of a project, every attribute
and point, the files and the fork lineage, as Parquet in the layout of
docs/format/export.md — the same columns as neptune-exporter's, so tools
written for one read the other. `sextant import sextant DIR` reads it back;
export → import → export gives the same bytes.

`--format csv` writes the runs table (runs.csv: one row per run, configs
and the last value of each series) instead.

Reads go through the native API (runs query, attributes, raw series pages
in binary columns, file downloads), so an export needs only a viewer token.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .._client import _disposition_name
from .._errors import ApiError
from .._http import Http, quote, resolve_token, resolve_url
from ._report import Report
from ._rows import CONFIG_TYPES
from ._source import SourceError, need

FORMAT = "sextant-export"
VERSION = 1
PAGE_POINTS = 1_000_000
ROW_GROUP = 1_000_000
# Steps as INT64 decimals with timestamps delta-encoded and floats byte-split
# before zstd: 6.4 bytes per point on a noisy float curve, against 12.9
# with pyarrow's defaults (bench/importers/roundtrip.py).
WRITER_OPTIONS = dict(
    compression="zstd", store_decimal_as_integer=True,
    use_dictionary=["project_id", "run_id", "attribute_path", "attribute_type", "string_value"],
    column_encoding={"step": "DELTA_BINARY_PACKED", "timestamp": "DELTA_BINARY_PACKED",
                     "float_value": "BYTE_STREAM_SPLIT"})


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", metavar="PROJECT", help="ws/project")
    p.add_argument("dir", metavar="DIR", help="output folder (created; must be empty or a previous export)")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--url", default=None, help="server (default $SEXTANT_URL, else http://127.0.0.1:5050)")
    p.add_argument("--token", default=None, help="API token (default $SEXTANT_API_TOKEN)")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors and the summary")


def schema() -> Any:
    pa = need("pyarrow", "export")
    ts = pa.timestamp("us", tz="UTC")
    return pa.schema([
        ("project_id", pa.string()), ("run_id", pa.string()),
        ("attribute_path", pa.string()), ("attribute_type", pa.string()),
        ("step", pa.decimal128(18, 6)), ("timestamp", ts),
        ("int_value", pa.int64()), ("float_value", pa.float64()),
        ("string_value", pa.string()), ("bool_value", pa.bool_()),
        ("datetime_value", ts), ("string_set_value", pa.list_(pa.string())),
        ("file_value", pa.struct([("path", pa.string()), ("name", pa.string()), ("size", pa.int64())])),
        ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())),
                                       ("values", pa.list_(pa.float64()))])),
    ])


def runs_schema() -> Any:
    pa = need("pyarrow", "export")
    return pa.schema([
        ("project_id", pa.string()), ("run_id", pa.string()), ("name", pa.string()),
        ("experiment_name", pa.string()), ("state", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("fork_run_id", pa.string()), ("fork_step", pa.decimal128(18, 6)),
    ])


def run_file(run_id: str) -> str:
    """runs/<id>.parquet; ':' (allowed in run ids) is written %3A."""
    return "runs/" + run_id.replace("%", "%25").replace(":", "%3A") + ".parquet"


def micro_to_decimal(micro: Any) -> Any:
    """int64 micro-steps → decimal128(18, 6) without a Python loop: the
    decimal's storage is the unscaled 128-bit integer, i.e. the micro-steps."""
    np = need("numpy", "export")
    pa = need("pyarrow", "export")
    m = np.asarray(micro, dtype="<i8")
    wide = np.empty((len(m), 2), dtype="<i8")
    wide[:, 0] = m
    wide[:, 1] = np.where(m < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 6), len(m), [None, pa.py_buffer(wide.tobytes())])


def _micro(step: Any) -> int:
    """A step from JSON (number or decimal text) → micro-steps, exactly."""
    import decimal
    d = decimal.Decimal(str(step)) if not isinstance(step, int) else decimal.Decimal(step)
    return int(d * 1_000_000)


def _seconds_to_us(np: Any, arr: Any) -> Any:
    return np.round(np.asarray(arr, dtype="float64") * 1e6).astype("int64")


def _iso_to_us(v: Any) -> Optional[int]:
    import datetime as dt
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(round(v * 1e6))
    t = dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    delta = t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _float(v: Any) -> float:
    if isinstance(v, str):
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[v]
    return float(v)


class _Rows:
    """Buffers rows as columns and writes a row group per ROW_GROUP rows."""

    def __init__(self, writer: Any, project: str, run_id: str):
        self.w, self.project, self.run_id = writer, project, run_id
        self.parts: List[Any] = []
        self.n = 0

    def add(self, cols: Dict[str, Any], n: int) -> None:
        pa = need("pyarrow", "export")
        sch = self.w.schema
        arrays = []
        for f in sch:
            if f.name == "project_id":
                arrays.append(pa.array([self.project] * n, f.type))
            elif f.name == "run_id":
                arrays.append(pa.array([self.run_id] * n, f.type))
            elif f.name in cols:
                v = cols[f.name]
                arrays.append(v if isinstance(v, pa.Array) and v.type == f.type else pa.array(v, f.type))
            else:
                arrays.append(pa.nulls(n, f.type))
        self.parts.append(pa.Table.from_arrays(arrays, schema=sch))
        self.n += n
        if self.n >= ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        pa = need("pyarrow", "export")
        if self.parts:
            self.w.write_table(pa.concat_tables(self.parts), row_group_size=ROW_GROUP)
            self.parts, self.n = [], 0


class Exporter:
    def __init__(self, http: Http, project: str, out: str, report: Report):
        self.http, self.project, self.out, self.report = http, project, out, report
        self.base = f"/projects/{project}"
        self.files_dir = os.path.join(out, "files")

    # -- listing -------------------------------------------------------------
    def runs(self) -> List[Dict[str, Any]]:
        runs: List[Dict[str, Any]] = []
        while True:
            page = self.http.json("POST", f"{self.base}/runs/query",
                                  {"limit": 10000, "offset": len(runs), "columns": ["sys/id"],
                                   "sort": [{"path": "sys/id", "order": "asc"}],
                                   # Everything: the trash and archived runs too.
                                   "trashed": "include", "archived": "include"})
            runs.extend(page["runs"])
            if not page["runs"] or len(runs) >= page["total"]:
                break
        runs.sort(key=lambda r: r["run_id"].encode("utf-8"))
        return runs

    def attributes(self, run_id: str) -> Iterator[Dict[str, Any]]:
        token: Optional[str] = None
        while True:
            q = "?limit=10000" + (f"&page_token={quote(token)}" if token else "")
            page = self.http.json("GET", f"{self.base}/runs/{quote(run_id)}/attributes{q}")
            yield from page["attributes"]
            token = page.get("next_page_token")
            if not token:
                return

    def series_pages(self, run_id: str, path: str) -> Iterator[Dict[str, Any]]:
        after: Any = None
        while True:
            body: Dict[str, Any] = {"runs": [run_id], "path": path, "limit": PAGE_POINTS,
                                    "lineage": False, "encoding": "base64"}
            if after is not None:
                body["after_step"] = after
            s = self.http.json("POST", f"{self.base}/series", body)["series"][0]
            yield s
            after = s.get("next_after_step")
            if after is None:
                return

    # -- files ---------------------------------------------------------------
    def fetch_file(self, run_id: str, path: str, digest: str, step: Any = None) -> Tuple[str, str]:
        """Downloads a file into files/<digest> (once per digest); returns
        (relative path, original name)."""
        rel = f"files/{digest}"
        dest = os.path.join(self.out, rel)
        target = f"{self.base}/runs/{quote(run_id)}/files/{quote(path, safe='/')}"
        if step is not None:
            target += f"?step={quote(str(step))}"
        if os.path.exists(dest):
            r = self.http.request("HEAD", target)
            if r.status != 200:
                raise r.error("HEAD", target)
        else:
            tmp = dest + ".part"
            h = hashlib.sha256()
            with open(tmp, "wb") as f:
                r = self.http.request("GET", target, stream_to=f)
            if r.status != 200:
                os.remove(tmp)
                raise r.error("GET", target)
            with open(tmp, "rb") as f:
                for b in iter(lambda: f.read(1 << 20), b""):
                    h.update(b)
            if h.hexdigest() != digest:
                os.remove(tmp)
                raise SourceError(f"run {run_id} file {path}: downloaded bytes do not match digest {digest}")
            os.replace(tmp, dest)
            self.report.add(files=1, file_bytes=os.path.getsize(dest))
        name = _disposition_name(r.headers.get("Content-Disposition")) or path.rsplit("/", 1)[-1]
        return rel, name

    # -- one run -------------------------------------------------------------
    def export_run(self, run: Dict[str, Any]) -> int:
        pq = need("pyarrow.parquet", "export")
        run_id = run["run_id"]
        final = os.path.join(self.out, run_file(run_id))
        tmp = final + ".part"
        points = 0
        with pq.ParquetWriter(tmp, schema(), **WRITER_OPTIONS) as pw:
            rows = _Rows(pw, self.project, run_id)
            for a in self.attributes(run_id):
                points += self._attribute(rows, run_id, a)
            rows.flush()
        os.replace(tmp, final)
        return points

    def _attribute(self, rows: _Rows, run_id: str, a: Dict[str, Any]) -> int:
        np = need("numpy", "export")
        path, t = a["path"], a["type"]
        one = {"attribute_path": [path], "attribute_type": [t]}
        if t in CONFIG_TYPES:
            v = a.get("value")
            col = {"float": "float_value", "int": "int_value", "bool": "bool_value",
                   "string": "string_value", "string_set": "string_set_value"}.get(t)
            if t == "float":
                v = _float(v)
            elif t == "datetime":
                col, v = "datetime_value", _iso_to_us(v)
            elif t == "string_set":
                v = sorted(v or [])
            rows.add({**one, col: [v]}, 1)
            self.report.add(attributes=1)
            return 0
        if t == "file":
            rel, name = self.fetch_file(run_id, path, a["digest"])
            rows.add({**one, "file_value": [{"path": rel, "name": name, "size": a["size"]}]}, 1)
            return 0
        total = 0
        for s in self.series_pages(run_id, path):
            micro = np.frombuffer(base64.b64decode(s.get("steps_b64", "")), dtype="<i8")
            if s.get("step_scale", 1) == 1:
                micro = micro * 1_000_000
            n = len(micro)
            if n == 0:
                continue
            ts = _seconds_to_us(np, np.frombuffer(base64.b64decode(s.get("timestamps_b64", "")), dtype="<f8"))
            cols: Dict[str, Any] = {"attribute_path": [path] * n, "attribute_type": [t] * n,
                                    "step": micro_to_decimal(micro), "timestamp": ts}
            if t == "float_series":
                cols["float_value"] = np.frombuffer(base64.b64decode(s["values_b64"]), dtype="<f8")
            elif t == "string_series":
                cols["string_value"] = s["values"]
            elif t == "histogram_series":
                cols["histogram_value"] = [{"type": "counts", "edges": [_float(e) for e in h["edges"]],
                                            "values": [_float(c) for c in h["counts"]]} for h in s["values"]]
            elif t == "file_series":
                fv = []
                for i, f in enumerate(s["values"]):
                    rel, name = self.fetch_file(run_id, path, f["digest"], step=_step_text(int(micro[i])))
                    fv.append({"path": rel, "name": f.get("name") or name, "size": f["size"]})
                cols["file_value"] = fv
            else:
                self.report.skip(f"{run_id}: {path}", f"attribute type {t!r} is not exported")
                return 0
            rows.add(cols, n)
            total += n
            self.report.add(points=n)
        return total

    # -- the project -----------------------------------------------------------
    def export(self) -> None:
        pa = need("pyarrow", "export")
        pq = need("pyarrow.parquet", "export")
        os.makedirs(os.path.join(self.out, "runs"), exist_ok=True)
        os.makedirs(self.files_dir, exist_ok=True)
        runs = self.runs()
        self.report.runs_total = len(runs)
        points = 0
        for r in runs:
            self.report.run_started(r["run_id"])
            points += self.export_run(r)
            self.report.run_done(r["run_id"])
        cols: Dict[str, List[Any]] = {k: [] for k in runs_schema().names}
        for r in runs:
            cols["project_id"].append(self.project)
            cols["run_id"].append(r["run_id"])
            cols["name"].append(r.get("name") or "")
            cols["experiment_name"].append(r.get("experiment_name") or "")
            cols["state"].append("running" if r.get("state") == "stale" else r.get("state"))
            cols["created_at"].append(int(round(r["created_at"] * 1e6)))
            cols["fork_run_id"].append(r.get("fork_run_id"))
            cols["fork_step"].append(None if r.get("fork_step") is None else _micro(r["fork_step"]))
        arrays = []
        for f in runs_schema():
            if f.name == "fork_step":
                micro = [0 if v is None else v for v in cols[f.name]]
                arr = micro_to_decimal(micro)
                mask = pa.array([v is None for v in cols[f.name]])
                arrays.append(pa.compute.if_else(mask, pa.scalar(None, f.type), arr))
            else:
                arrays.append(pa.array(cols[f.name], f.type))
        pq.write_table(pa.Table.from_arrays(arrays, schema=runs_schema()),
                       os.path.join(self.out, "runs.parquet"), compression="zstd")
        manifest = {"format": FORMAT, "version": VERSION, "project": self.project,
                    "runs": len(runs), "points": points,
                    "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "schema": "docs/format/export.md"}
        with open(os.path.join(self.out, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")


def _step_text(micro: int) -> str:
    if micro % 1_000_000 == 0:
        return str(micro // 1_000_000)
    sign = "-" if micro < 0 else ""
    q, r = divmod(abs(micro), 1_000_000)
    return f"{sign}{q}.{r:06d}".rstrip("0")


def run(args: argparse.Namespace) -> int:
    report = Report("exported", quiet=args.quiet)
    http = Http(resolve_url(args.url), resolve_token(args.token), timeout=300)
    try:
        if args.format == "csv":
            from .csv_export import export_runs_csv
            export_runs_csv(http, args.project, args.dir, report)
        else:
            Exporter(http, args.project, args.dir, report).export()
    except ApiError as e:
        raise SourceError(str(e)) from None
    finally:
        http.close()
    report.current = ""
    report.finish()
    return 0

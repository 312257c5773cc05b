#!/usr/bin/env python3
"""Import and export of a large project in Parquet, timed: Sextant's own
export round trip, and a Neptune export (the same columns, written as
neptune-exporter writes them).

    SEXTANT_BIN=build/src/sextant tests/importers/.venv/bin/python \
        bench/importers/roundtrip.py --points 100000000 --series 10 [--only roundtrip|neptune]

roundtrip: starts two `sextant serve` (fresh data folders), logs POINTS
float points spread over SERIES series of one run into the first through
the native API (binary columns, 1 M points per request), then times
`sextant export` from it and `sextant import sextant` into the second, and
prints points/s for each, the export's size on disk and bytes per point.

stream: seeds the same way, then times the server's streamed export
(`GET /api/v1/projects/…/export`, NDJSON) into a file with the server's
peak memory (VmHWM) before and after, and `sextant import sextant FILE`
of it into a second server.

neptune: writes the same points as a neptune-exporter tree (one run, its
sys/ rows, parts of at most 5 M rows, millisecond timestamps, Snappy, as
tests/importers/test_neptune_export.py writes it) and times
`sextant import neptune` with --dry-run (reading and decoding only) and
into a fresh `sextant serve`.

The imports send binary log batches; with SEXTANT_LOG_BODY=json in the
environment they send the JSON form instead (docs/import-export.md).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))
sys.path.insert(0, str(REPO / "clients" / "python"))
from sxt import Server, auth_template  # noqa: E402


def post(url: str, token: str, path: str, body) -> None:
    req = urllib.request.Request(url + "/api/v1" + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req, timeout=600).read()


def seed(url: str, token: str, project: str, points: int, series: int) -> None:
    import numpy as np
    post(url, token, f"/projects/{project}/runs", {"run_id": "big"})
    per = points // series
    chunk = 1_000_000
    rng = np.random.default_rng(0)
    for s in range(series):
        for lo in range(0, per, chunk):
            n = min(chunk, per - lo)
            steps = list(range(lo, lo + n))
            vals = (np.exp(-np.arange(lo, lo + n) / per) + rng.normal(0, 0.01, n)).astype("<f8")
            ts = (1.76e9 + np.arange(lo, lo + n) * 0.01).astype("<f8")
            post(url, token, f"/projects/{project}/runs/big/log", {"series": [{
                "path": f"train/m{s}", "steps": steps,
                "values_b64": base64.b64encode(vals.tobytes()).decode(),
                "timestamps_b64": base64.b64encode(ts.tobytes()).decode()}]})


NEPTUNE_PART_ROWS = 5_000_000


def neptune_schema():
    import pyarrow as pa
    ts = pa.timestamp("ms", tz="UTC")
    return pa.schema([
        ("project_id", pa.string()), ("run_id", pa.string()),
        ("attribute_path", pa.string()), ("attribute_type", pa.string()),
        ("step", pa.decimal128(18, 6)), ("timestamp", ts),
        ("int_value", pa.int64()), ("float_value", pa.float64()), ("string_value", pa.string()),
        ("bool_value", pa.bool_()), ("datetime_value", ts),
        ("string_set_value", pa.list_(pa.string())),
        ("file_value", pa.struct([("path", pa.string())])),
        ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())),
                                       ("values", pa.list_(pa.float64()))])),
    ])


def write_neptune_export(data: Path, points: int, series: int) -> None:
    """DATA/<project>/<run>_part_<n>.parquet: the sys/ rows, then each
    series' points in step order (the values of `seed`'s curves)."""
    import datetime as dt
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sextant.transfer.export import micro_to_decimal
    sch = neptune_schema()
    pdir = data / "bench_neptune-0123456789abcdef"
    pdir.mkdir(parents=True)
    per = points // series
    rng = np.random.default_rng(0)
    paths = pa.array([f"train/m{s}" for s in range(series)])

    def same(n, text):  # a string column of one value, without a Python list of n strings
        return pa.DictionaryArray.from_arrays(np.zeros(n, "int32"), [text]).cast(pa.string())

    def table(path_idx, steps, ts_ms, vals):
        n = len(steps)
        cols = {"project_id": same(n, "bench/neptune"), "run_id": same(n, "BENCH-1"),
                "attribute_path": pa.DictionaryArray.from_arrays(path_idx, paths).cast(pa.string()),
                "attribute_type": same(n, "float_series"),
                "step": micro_to_decimal(steps * 1_000_000),
                "timestamp": pa.array(ts_ms).cast(pa.timestamp("ms", tz="UTC")),
                "float_value": pa.array(vals)}
        return pa.table([cols.get(f.name, pa.nulls(n, f.type)) for f in sch], schema=sch)

    sys_rows = pa.Table.from_pylist([
        {"project_id": "bench/neptune", "run_id": "BENCH-1", "attribute_path": p, "attribute_type": t, **v}
        for p, t, v in (("sys/custom_run_id", "string", {"string_value": "neptune-big"}),
                        ("sys/name", "string", {"string_value": "big"}),
                        ("sys/creation_time", "datetime",
                         {"datetime_value": dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)}))], schema=sch)
    parts, rows, pending = [], 0, [sys_rows]
    for s in range(series):
        for lo in range(0, per, 1_000_000):
            n = min(1_000_000, per - lo)
            steps = np.arange(lo, lo + n, dtype="int64")
            vals = np.exp(-steps / per) + rng.normal(0, 0.01, n)
            pending.append(table(np.full(n, s, "int32"), steps, 1_760_000_000_000 + steps * 10, vals))
            rows += n
            if rows >= NEPTUNE_PART_ROWS:
                parts.append(pa.concat_tables(pending))
                pending, rows = [], 0
    if pending:
        parts.append(pa.concat_tables(pending))
    # Parts other than 0 first: the exporter renames part_0 into place last.
    for n in reversed(range(len(parts))):
        pq.write_table(parts[n], pdir / f"BENCH_1-0123456789abcdef_part_{n}.parquet", compression="snappy")


def timed_import(cmd: list, env: dict, points: int) -> float:
    """Seconds `sextant import …` took; fails unless its summary counts every point."""
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    el = time.monotonic() - t
    m = re.search(r"runs (?:would be )?imported, [\d,]+ values, ([\d,]+) points", p.stderr)
    got = int(m.group(1).replace(",", "")) if m else -1
    if p.returncode != 0 or got != points:
        raise SystemExit(f"{' '.join(cmd[3:5])}: exit {p.returncode}, {got} of {points} points:\n{p.stderr[-2000:]}")
    return el


def neptune(tmp: Path, env: dict, points: int, series: int) -> dict:
    dst = Server(tmp / "n", tmp / "n.log").start()
    try:
        t = time.monotonic()
        write_neptune_export(tmp / "neptune" / "data", points, series)
        print(f"wrote a {points:,}-point Neptune export in {time.monotonic() - t:.1f} s", flush=True)
        size = sum(p.stat().st_size for p in (tmp / "neptune").rglob("*") if p.is_file())
        cmd = [sys.executable, "-m", "sextant", "import", "neptune", str(tmp / "neptune" / "data"),
               "--project", "bench/neptune", "--restart"]
        td = timed_import(cmd + ["--dry-run"], dict(env, SEXTANT_URL=dst.url), points)
        ti = timed_import(cmd, dict(env, SEXTANT_URL=dst.url), points)
    finally:
        dst.stop()
    return {"neptune_bytes": size, "neptune_dry_run_s": round(td, 1),
            "neptune_dry_run_points_per_s": round(points / td),
            "neptune_import_s": round(ti, 1), "neptune_import_points_per_s": round(points / ti)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=10)
    ap.add_argument("--only", choices=["roundtrip", "stream", "neptune"], default=None,
                    help="run one of the benchmarks (default all)")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    token = auth_template()["token"]
    tmp = Path(tempfile.mkdtemp(prefix="sextant-roundtrip-"))
    env = dict(os.environ, SEXTANT_API_TOKEN=token, PYTHONPATH=str(REPO / "clients" / "python"),
               XDG_STATE_HOME=str(tmp / "state"))
    result = {"points": a.points, "series": a.series}
    try:
        if a.only in (None, "roundtrip"):
            result.update(roundtrip(tmp, env, token, a.points, a.series))
        if a.only in (None, "stream"):
            result.update(stream(tmp, env, token, a.points, a.series))
        if a.only in (None, "neptune"):
            result.update(neptune(tmp, env, a.points, a.series))
        print(json.dumps(result))
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def roundtrip(tmp: Path, env: dict, token: str, points: int, series: int) -> dict:
    src = Server(tmp / "a", tmp / "a.log").start()
    dst = Server(tmp / "b", tmp / "b.log").start()
    try:
        t = time.monotonic()
        seed(src.url, token, "bench/roundtrip", points, series)
        print(f"seeded {points:,} points in {time.monotonic() - t:.1f} s", flush=True)
        out = tmp / "export"
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "sextant", "export", "bench/roundtrip", str(out), "-q"],
                       env=dict(env, SEXTANT_URL=src.url), check=True)
        te = time.monotonic() - t
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "sextant", "import", "sextant", str(out),
                        "--project", "bench/roundtrip", "-q"], env=dict(env, SEXTANT_URL=dst.url), check=True)
        ti = time.monotonic() - t
    finally:
        src.stop()
        dst.stop()
    return {"export_s": round(te, 1), "export_points_per_s": round(points / te),
            "import_s": round(ti, 1), "import_points_per_s": round(points / ti),
            "export_bytes": size, "export_bytes_per_point": round(size / points, 2)}


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stream(tmp: Path, env: dict, token: str, points: int, series: int) -> dict:
    src = Server(tmp / "sa", tmp / "sa.log").start()
    dst = Server(tmp / "sb", tmp / "sb.log").start()
    try:
        seed(src.url, token, "bench/stream", points, series)
        rss_before = peak_rss_mib(src.proc.pid)
        out = tmp / "stream.ndjson"
        req = urllib.request.Request(src.url + "/api/v1/projects/bench/stream/export")
        req.add_header("Authorization", f"Bearer {token}")
        t = time.monotonic()
        with urllib.request.urlopen(req, timeout=600) as r, open(out, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
        te = time.monotonic() - t
        rss_after = peak_rss_mib(src.proc.pid)
        size = out.stat().st_size
        ti = timed_import([sys.executable, "-m", "sextant", "import", "sextant", str(out),
                           "--project", "bench/stream"], dict(env, SEXTANT_URL=dst.url), points)
    finally:
        src.stop()
        dst.stop()
    return {"stream_s": round(te, 1), "stream_points_per_s": round(points / te),
            "stream_bytes_per_point": round(size / points, 2),
            "stream_server_peak_rss_mib": [round(rss_before), round(rss_after)],
            "stream_import_s": round(ti, 1), "stream_import_points_per_s": round(points / ti)}


if __name__ == "__main__":
    main()

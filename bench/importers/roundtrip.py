#!/usr/bin/env python3
"""Export → import round trip of a large project, timed.

    SEXTANT_BIN=build/src/sextant tests/importers/.venv/bin/python \
        bench/importers/roundtrip.py --points 100000000 --series 10

Starts two `sextant serve` (fresh data folders), logs POINTS float points
spread over SERIES series of one run into the first through the native API
(binary columns, 1 M points per request), then times `sextant export`
from it and `sextant import sextant` into the second, and prints points/s
for each, the export's size on disk and bytes per point.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=10)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    token = auth_template()["token"]
    tmp = Path(tempfile.mkdtemp(prefix="sextant-roundtrip-"))
    src = Server(tmp / "a", tmp / "a.log").start()
    dst = Server(tmp / "b", tmp / "b.log").start()
    env = dict(os.environ, SEXTANT_API_TOKEN=token, PYTHONPATH=str(REPO / "clients" / "python"),
               XDG_STATE_HOME=str(tmp / "state"))
    try:
        t = time.monotonic()
        seed(src.url, token, "bench/roundtrip", a.points, a.series)
        print(f"seeded {a.points:,} points in {time.monotonic() - t:.1f} s", flush=True)
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
        print(json.dumps({"points": a.points, "series": a.series,
                          "export_s": round(te, 1), "export_points_per_s": round(a.points / te),
                          "import_s": round(ti, 1), "import_points_per_s": round(a.points / ti),
                          "export_bytes": size, "export_bytes_per_point": round(size / a.points, 2)}))
    finally:
        src.stop()
        dst.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

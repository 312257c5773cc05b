"""Import speed of `sextant import mlflow`, in points per second.

1. A file store (mlruns/) of RUNS runs x METRICS metrics x STEPS steps
   (default 10 x 5 x 20,000 = 1 M points), written by a generator that
   writes the files exactly as MLflow's file store does (meta.yaml of the
   experiment and of each run, metrics/<key> lines "<ms> <value> <step>",
   params/, tags/): the real client takes minutes for a million points.
   Timed with --dry-run (reading only) and for real into `sextant serve`.
2. With --server-points N (default 100,000; 0 to skip): a real `mlflow
   server` (sqlite backend), filled with the real client's log_batch, then
   imported from its URL.

    tests/importers/.venv/bin/python bench/importers/mlflow.py [--steps 20000] [--server-points 100000]

Needs the server binary ($SEXTANT_BIN, default build/src/sextant); part 2
needs mlflow (tests/importers/.venv has it).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEXTANT_BIN = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url}: not ready")


def write_file_store(root: Path, runs: int, metrics: int, steps: int) -> int:
    exp = root / "1"
    (exp).mkdir(parents=True)
    (exp / "meta.yaml").write_text(
        f"artifact_location: file://{exp}\ncreation_time: 1700000000000\nexperiment_id: '1'\n"
        "last_update_time: 1700000000000\nlifecycle_stage: active\nname: bench\n")
    rng = random.Random(1)
    for r in range(runs):
        rid = f"{rng.getrandbits(128):032x}"
        rd = exp / rid
        (rd / "metrics" / "train").mkdir(parents=True)
        (rd / "params").mkdir()
        (rd / "tags").mkdir()
        start = 1_700_000_000_000 + r * 1_000_000
        (rd / "meta.yaml").write_text(
            f"artifact_uri: file://{rd}/artifacts\nend_time: {start + steps * 10}\nentry_point_name: ''\n"
            f"experiment_id: '1'\nlifecycle_stage: active\nrun_id: {rid}\nrun_name: run-{r}\n"
            f"source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {start}\nstatus: 3\n"
            f"tags: []\nuser_id: bench\n")
        (rd / "params" / "lr").write_text("0.001")
        (rd / "tags" / "mlflow.runName").write_text(f"run-{r}")
        (rd / "tags" / "mlflow.user").write_text("bench")
        for m in range(metrics):
            lines = [f"{start + s * 10} {rng.random()!r} {s}\n" for s in range(steps)]
            (rd / "metrics" / "train" / f"m{m}").write_text("".join(lines))
    return runs * metrics * steps


def import_rate(path: str, url: str, state: Path, project: str, points: int, dry: bool) -> float:
    env = dict(os.environ, SEXTANT_URL=url, XDG_STATE_HOME=str(state),
               PYTHONPATH=str(REPO / "clients" / "python"))
    cmd = [sys.executable, "-m", "sextant", "import", "mlflow", path, "--project", project, "--restart"]
    if dry:
        cmd.append("--dry-run")
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    el = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(p.stderr[-3000:])
    m = re.search(r"runs (?:would be )?imported, [\d,]+ values, ([\d,]+) points", p.stderr)
    got = int(m.group(1).replace(",", "")) if m else -1
    if got != points:
        raise SystemExit(f"expected {points} points, the summary says {got}:\n{p.stderr[-2000:]}")
    return points / el


def fill_mlflow_server(url: str, points: int) -> int:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    here = Path(__file__).resolve().parent  # this file's name would shadow the mlflow package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.modules.pop("mlflow", None)
    from mlflow import MlflowClient
    from mlflow.entities import Metric
    c = MlflowClient(url)
    exp = c.create_experiment("bench")
    per_run = 50_000
    done = 0
    while done < points:
        rid = c.create_run(exp).info.run_id
        n = min(per_run, points - done)
        ms = [Metric(f"train/m{i % 5}", random.random(), 1_700_000_000_000 + i, i // 5) for i in range(n)]
        for i in range(0, n, 1000):
            c.log_batch(rid, metrics=ms[i:i + 1000])
        c.set_terminated(rid)
        done += n
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--metrics", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--server-points", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    procs = []
    try:
        port = free_port()
        sx = subprocess.Popen([SEXTANT_BIN, "serve", "--data", str(tmp / "data"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(sx)
        url = f"http://127.0.0.1:{port}"
        wait(url + "/api/v1/health", sx)

        t = time.perf_counter()
        n = write_file_store(tmp / "mlruns", args.runs, args.metrics, args.steps)
        print(f"file store: {n:,} points in {args.runs} runs written in {time.perf_counter() - t:.1f} s")
        rate = import_rate(str(tmp / "mlruns"), url, tmp / "state", "bench/files", n, dry=True)
        print(f"file store, --dry-run (read and parse): {rate:,.0f} points/s")
        rate = import_rate(str(tmp / "mlruns"), url, tmp / "state", "bench/files", n, dry=False)
        print(f"file store → sextant serve: {rate:,.0f} points/s")

        if args.server_points:
            mport = free_port()
            ml = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "server", "--backend-store-uri",
                                   f"sqlite:///{tmp / 'mlflow.db'}", "--artifacts-destination",
                                   str(tmp / "artifacts"), "--host", "127.0.0.1", "--port", str(mport),
                                   "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
            procs.append(ml)
            murl = f"http://127.0.0.1:{mport}"
            wait(murl + "/health", ml)
            t = time.perf_counter()
            n = fill_mlflow_server(murl, args.server_points)
            print(f"mlflow server: {n:,} points logged with the client in {time.perf_counter() - t:.1f} s")
            rate = import_rate(murl, url, tmp / "state", "bench/server", n, dry=False)
            print(f"mlflow server → sextant serve: {rate:,.0f} points/s")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

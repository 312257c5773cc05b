#!/usr/bin/env python3
"""`sextant import wandb` speed on an offline run written by the real wandb
client.

    tests/importers/.venv/bin/python bench/importers/wandb.py            # 1.5 M points
    tests/importers/.venv/bin/python bench/importers/wandb.py --rows 2000 --keys 10   # smoke

1. The real wandb client (offline mode, system stats and console off) logs
   `--rows` rows of `--keys` floats (`run.log({...})`, steps 0..rows-1) in
   a child process; the points are rows x keys, plus `_runtime` (one per
   row), which is imported as a series too.
2. A fresh `sextant serve` (--server, default $SEXTANT_BIN, else
   build/src/sextant) on a free port.
3. `python -m sextant import wandb DIR --dry-run` (reading and decoding
   only), then the real import, each timed as a user runs it (a new
   process); the points are counted back on the server.

Prints one JSON line with points/s for both.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "clients" / "python"))
sys.path.insert(0, str(REPO / "bench"))

GEN = r'''
import sys, time, wandb
rows, keys, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
run = wandb.init(dir=out, project="bench", settings=wandb.Settings(
    x_disable_stats=True, console="off", save_code=False, x_disable_meta=True))
names = [f"train/metric_{j}" for j in range(keys)]
for i in range(rows):
    run.log({n: i * 0.001 + j for j, n in enumerate(names)})
run.finish()
'''


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=30_000)
    p.add_argument("--keys", type=int, default=50)
    p.add_argument("--server", default=os.environ.get("SEXTANT_BIN", str(REPO / "build/src/sextant")))
    p.add_argument("--tmp", default=None)
    args = p.parse_args()
    from python_sdk_bench import Server  # the SDK benchmark's server harness

    tmp = tempfile.mkdtemp(prefix="sextant-wandb-bench-", dir=args.tmp)
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DISABLE_GIT="true",
               PYTHONPATH=str(REPO / "clients" / "python"))
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", GEN, str(args.rows), str(args.keys), tmp], env=env, check=True)
    gen_s = time.monotonic() - t0
    wandb_dir = os.path.join(tmp, "wandb")
    size = sum(f.stat().st_size for f in Path(wandb_dir).rglob("*.wandb"))
    points = args.rows * (args.keys + 1)
    server = Server(args.server, tmp)
    try:
        env.update(SEXTANT_URL=server.url, XDG_STATE_HOME=os.path.join(tmp, "state"))
        cmd = [sys.executable, "-m", "sextant", "import", "wandb", wandb_dir, "--project", "bench/wandb", "-q"]
        t0 = time.monotonic()
        subprocess.run(cmd + ["--dry-run"], env=env, check=True)
        dry_s = time.monotonic() - t0
        t0 = time.monotonic()
        subprocess.run(cmd, env=env, check=True)
        imp_s = time.monotonic() - t0
        import sextant
        c = sextant.Client(url=server.url)
        run_id = c.runs("bench/wandb")[0]["run_id"]
        got = sum(a.get("count", 0) for a in c.attributes("bench/wandb", run_id).values()
                  if a.get("type") == "float_series")
        c.close()
    finally:
        server.stop()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    assert got == points, (got, points)
    print(json.dumps({"points": points, "wandb_file_mb": round(size / 2**20, 1),
                      "wandb_client_write_s": round(gen_s, 1),
                      "dry_run_s": round(dry_s, 2), "dry_run_points_per_s": round(points / dry_s),
                      "import_s": round(imp_s, 2), "import_points_per_s": round(points / imp_s)}))


if __name__ == "__main__":
    main()

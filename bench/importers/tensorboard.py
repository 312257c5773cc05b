"""Import speed of `sextant import tensorboard` on a scalar-heavy log.

Writes one run directory with TAGS scalar tags × STEPS steps (default
10 × 200,000 = 2 M points) in the form tensorboardX's SummaryWriter writes
(an Event per add_scalar: wall_time, step, Summary.Value(tag, simple_value),
after a file_version event), built with tensorboardX's protos and framed as
TFRecords; checks that its first events are byte for byte what tensorboardX
itself writes; then times

  1. `--dry-run` (reading, CRC checks, parsing, batching: no server), and
  2. a real import into a fresh `sextant serve`,

and prints points/s for both.

    tests/importers/.venv/bin/python bench/importers/tensorboard.py [--tags 10] [--steps 200000]

The server binary is $SEXTANT_BIN (default build/src/sextant).
"""
from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "clients" / "python"))
sys.path.insert(0, str(REPO / "clients" / "python" / "tests"))

from sextant.transfer.tensorboard import crc32c_function, masked_crc  # noqa: E402

T0 = 1_700_000_000.0


def frame(data: bytes, crc) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc(crc(head))) + data + \
        struct.pack("<I", masked_crc(crc(data)))


def write_log(path: Path, tags: int, steps: int, crc) -> int:
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.proto.summary_pb2 import Summary
    path.mkdir(parents=True, exist_ok=True)
    f = path / "events.out.tfevents.1700000000.bench"
    n = 0
    with open(f, "wb", buffering=1 << 22) as out:
        out.write(frame(Event(wall_time=T0, file_version="brain.Event:2").SerializeToString(), crc))
        ev = Event()
        val = ev.summary.value.add()
        for s in range(steps):
            ev.step = s
            for t in range(tags):
                ev.wall_time = T0 + s * 0.01 + t * 1e-4
                val.tag = f"train/metric_{t}"
                val.simple_value = (s * 7 + t) % 1000 / 8.0
                out.write(frame(ev.SerializeToString(), crc))
                n += 1
    return n


def check_against_tensorboardx(tmp: Path, crc) -> None:
    """Our generator writes what tensorboardX writes for the same calls."""
    from tensorboardX import SummaryWriter
    d = tmp / "tbx"
    w = SummaryWriter(str(d))
    w.add_scalar("train/metric_0", 0.0, 0, walltime=T0)
    w.add_scalar("train/metric_1", 0.125, 0, walltime=T0 + 1e-4)
    w.close()
    real = next(d.glob("*tfevents*")).read_bytes()
    from tensorboardX.proto.event_pb2 import Event
    first_len = struct.unpack_from("<Q", real)[0]
    rest = real[16 + first_len:]  # after tensorboardX's own file_version event
    ev = Event()
    val = ev.summary.value.add()
    mine = b""
    for t, v in ((0, 0.0), (1, 0.125)):
        ev.step, ev.wall_time = 0, T0 + t * 1e-4
        val.tag, val.simple_value = f"train/metric_{t}", v
        mine += frame(ev.SerializeToString(), crc)
    assert rest == mine, "the generator differs from tensorboardX's SummaryWriter"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tags", type=int, default=10)
    ap.add_argument("--steps", type=int, default=200_000)
    args = ap.parse_args()
    crc, crc_name = crc32c_function()
    from sxt import Server, auth_template
    with tempfile.TemporaryDirectory(prefix="sextant-bench-tb-") as tmp_s:
        tmp = Path(tmp_s)
        check_against_tensorboardx(tmp, crc)
        t = time.perf_counter()
        n = write_log(tmp / "logs" / "run1", args.tags, args.steps, crc)
        size = sum(f.stat().st_size for f in (tmp / "logs").rglob("*tfevents*"))
        print(f"wrote {n:,} points ({size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s; "
              f"CRC-32C: {crc_name}")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(REPO / "clients" / "python")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])),
                   XDG_STATE_HOME=str(tmp / "state"))
        cmd = [sys.executable, "-m", "sextant", "import", "tensorboard", str(tmp / "logs"),
               "--project", "bench/tb", "-q"]
        t = time.perf_counter()
        subprocess.run(cmd + ["--dry-run"], env=env, check=True)
        dry = time.perf_counter() - t
        print(f"dry run (read + parse):  {dry:6.1f} s  {n / dry:10,.0f} points/s")
        token = auth_template()["token"]
        srv = Server(tmp / "data", tmp / "server.log").start()
        try:
            env.update(SEXTANT_URL=srv.url, SEXTANT_API_TOKEN=token)
            t = time.perf_counter()
            subprocess.run(cmd, env=env, check=True)
            real = time.perf_counter() - t
        finally:
            srv.stop()
        print(f"import into the server:  {real:6.1f} s  {n / real:10,.0f} points/s")


if __name__ == "__main__":
    main()

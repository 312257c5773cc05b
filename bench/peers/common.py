"""Helpers shared by the benchmark driver and the per-tool workers.

Standard library only: this file is imported inside every tool's own
virtualenv, where nothing else of ours is installed.
"""
from __future__ import annotations

import http.client
import math
import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- the data
# Every tool gets exactly the same values: curves that fall like a training
# loss, with seeded noise (noise is what makes real series hard to compress).

def series_names(count: int, prefix: str = "train/s") -> List[str]:
    return [f"{prefix}{j:03d}" for j in range(count)]


class Curves:
    """value(j, step) for series j, deterministic and cheap to evaluate."""

    TABLE = 4096

    def __init__(self, count: int, seed: int = 7):
        rnd = random.Random(seed)
        self.scale = [0.5 + 2.0 * rnd.random() for _ in range(count)]
        self.tau = [2_000.0 + 20_000.0 * rnd.random() for _ in range(count)]
        self.floor = [0.05 + 0.2 * rnd.random() for _ in range(count)]
        self.noise = [[rnd.gauss(0.0, 0.02) for _ in range(self.TABLE)] for _ in range(count)]

    def value(self, j: int, step: int) -> float:
        return (self.floor[j] + self.scale[j] * math.exp(-step / self.tau[j])
                + self.noise[j][(step * 7 + j) % self.TABLE])

    def rows(self, names: List[str], start: int, stop: int) -> List[Dict[str, float]]:
        """One dict per step, as a training loop would build it."""
        idx = list(range(len(names)))
        return [{names[j]: self.value(j, s) for j in idx} for s in range(start, stop)]


def table_run(i: int, configs: int) -> Dict[str, object]:
    """Configs of run i in the runs-table workload: mixed types, like a sweep.

    Always has cfg/optimizer (str), cfg/lr (float), cfg/batch (int), cfg/amp
    (bool); the rest are floats and strings. The filter and sort of the
    workload use the series written by `table_series`.
    """
    rnd = random.Random(1000 + i)
    c: Dict[str, object] = {
        "cfg/optimizer": ["adam", "sgd", "adamw", "lion"][i % 4],
        "cfg/lr": round(10 ** rnd.uniform(-5, -1), 8),
        "cfg/batch": 2 ** rnd.randint(4, 11),
        "cfg/amp": bool(i % 2),
    }
    k = 4
    while len(c) < configs:
        c[f"cfg/p{k:02d}"] = round(rnd.random(), 6) if k % 2 else f"v{rnd.randint(0, 99)}"
        k += 1
    return c


def table_series(i: int, series: int, steps: int) -> List[Dict[str, float]]:
    """Rows of run i in the runs-table workload: `series` series, `steps` steps."""
    rnd = random.Random(5000 + i)
    base = [rnd.random() for _ in range(series)]
    return [{f"metrics/m{j:02d}": base[j] * (1.0 - 0.5 * s / max(steps, 1)) for j in range(series)}
            for s in range(steps)]


def table_expected(n_runs: int, series: int, steps: int, page: int) -> List[str]:
    """The runs-table query's right answer: runs with optimizer "adam" and
    last metrics/m01 < 0.25, sorted by last metrics/m00 ascending, first page."""
    hits = []
    for i in range(n_runs):
        if i % 4 != 0:
            continue
        last = table_series(i, series, steps)[-1]
        if last["metrics/m01"] < 0.25:
            hits.append((last["metrics/m00"], table_run_name(i)))
    hits.sort()
    return [name for _, name in hits[:page]]


def table_run_name(i: int) -> str:
    return f"table-{i:05d}"


# ------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> float:
    """Poll GET path until it answers 2xx; returns seconds waited."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before it was ready")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if 200 <= r.status < 300:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"no answer from 127.0.0.1:{port}{path} within {timeout:.0f} s")


def sextant_binary(options: Dict[str, Any]) -> str:
    """The server binary run.py passes (its SEXTANT_BIN), else this checkout's build."""
    return options.get("sextant_bin") or os.environ.get("SEXTANT_BIN") or str(REPO / "build" / "src" / "sextant")


def start_sextant(binary: str, data: Path, log_path: Path, port: Optional[int] = None) -> Tuple[subprocess.Popen, str]:
    """`sextant serve` on its own data folder and a free loopback port (or
    `port`), as a user starts it; returns (process, url) once /api/v1/health
    answers."""
    port = port or free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([binary, "serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
    wait_http(port, "/api/v1/health", 60, proc)
    return proc, f"http://127.0.0.1:{port}"


def stop_sextant(proc: subprocess.Popen) -> None:
    """A clean shutdown (SIGTERM); raises if the server did not exit with 0."""
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(120)
    if rc != 0:
        raise RuntimeError(f"sextant serve exited with status {rc}")


def process_tree(pid: int) -> List[int]:
    """pid and all its descendants (from /proc)."""
    children: Dict[int, List[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class PeakRss:
    """Samples the summed RSS of process trees every `interval` seconds."""

    def __init__(self, roots, interval: float = 0.05):
        self.roots = roots  # callable returning the root pids to sample
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()

    def _loop(self) -> None:
        tick = 0
        pids: List[int] = []
        while not self._stop.is_set():
            if tick % 20 == 0:  # the tree rarely changes; walking /proc is not free
                pids = [p for r in self.roots() for p in process_tree(r)]
            self.peak = max(self.peak, rss_bytes(pids))
            tick += 1
            self._stop.wait(self.interval)


def dir_bytes(paths: Iterable[Path]) -> int:
    """Bytes on disk (allocated blocks) under the given files and folders."""
    total = 0
    for root in paths:
        root = Path(root)
        if not root.exists():
            continue
        if root.is_file():
            total += root.stat().st_blocks * 512
            continue
        for dirpath, _, files in os.walk(root):
            for fn in files:
                try:
                    total += os.lstat(os.path.join(dirpath, fn)).st_blocks * 512
                except OSError:
                    pass
    return total

"""What a run captures by itself: system metrics (from /proc and
nvidia-smi), the source context (git, command line, packages) and the
console (a tee of sys.stdout / sys.stderr).

Everything here runs off the training thread except `Tee.write`, which only
appends complete lines to the run's queue.
"""
from __future__ import annotations

import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

GPU_FIELDS = ("utilization.gpu", "memory.used", "memory.total", "temperature.gpu", "power.draw")
MAX_DIFF_BYTES = 256 << 10
MAX_LINE_CHARS = 256 << 10  # a console line is cut here (4 bytes/char max: under 1 MiB)


# --------------------------------------------------------------------------
# System metrics


class SystemSampler:
    """Samples CPU, memory, process, disk, network and GPU use. Rates are
    computed between two calls of `sample()`."""

    def __init__(self, gpus: bool = True):
        self._last: Dict[str, float] = {}
        self._last_t = time.monotonic()
        self._last_cpu = self._cpu_times()
        self._last_proc = self._proc_times()
        self._last_io = self._io_counters()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._nvidia = shutil.which("nvidia-smi") if gpus else None
        self._nvidia_failures = 0

    @staticmethod
    def _read(path: str) -> Optional[str]:
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def _cpu_times(self) -> Optional[Tuple[float, float]]:
        text = self._read("/proc/stat")
        if not text:
            return None
        fields = text.split("\n", 1)[0].split()[1:]
        vals = [float(x) for x in fields[:8]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)
        return idle, sum(vals)

    @staticmethod
    def _proc_times() -> float:
        t = os.times()
        return t.user + t.system

    def _io_counters(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        text = self._read("/proc/diskstats")
        if text:
            rd = wr = 0.0
            for line in text.splitlines():
                p = line.split()
                if len(p) < 10 or p[2].startswith(("loop", "ram", "zram")):
                    continue
                if not os.path.exists(f"/sys/block/{p[2]}"):  # a partition: its disk counts it
                    continue
                rd += float(p[5]) * 512
                wr += float(p[9]) * 512
            out["disk_read"], out["disk_write"] = rd, wr
        text = self._read("/proc/net/dev")
        if text:
            rx = tx = 0.0
            for line in text.splitlines()[2:]:
                name, _, rest = line.partition(":")
                p = rest.split()
                if name.strip() == "lo" or len(p) < 9:
                    continue
                rx += float(p[0])
                tx += float(p[8])
            out["net_rx"], out["net_tx"] = rx, tx
        return out

    def sample(self) -> Dict[str, float]:
        now = time.monotonic()
        dt = max(now - self._last_t, 1e-6)
        out: Dict[str, float] = {}
        cpu = self._cpu_times()
        if cpu and self._last_cpu:
            didle, dtotal = cpu[0] - self._last_cpu[0], cpu[1] - self._last_cpu[1]
            if dtotal > 0:
                out["monitoring/cpu_percent"] = round(100.0 * (1.0 - didle / dtotal), 2)
        self._last_cpu = cpu
        proc = self._proc_times()
        out["monitoring/process/cpu_percent"] = round(100.0 * (proc - self._last_proc) / dt, 2)
        self._last_proc = proc
        mem = self._read("/proc/meminfo")
        if mem:
            info = {}
            for line in mem.splitlines():
                k, _, v = line.partition(":")
                if k in ("MemTotal", "MemAvailable"):
                    info[k] = float(v.split()[0]) * 1024
            if len(info) == 2 and info["MemTotal"] > 0:
                used = info["MemTotal"] - info["MemAvailable"]
                out["monitoring/memory_used_gib"] = round(used / 2**30, 4)
                out["monitoring/memory_percent"] = round(100.0 * used / info["MemTotal"], 2)
        statm = self._read("/proc/self/statm")
        if statm:
            out["monitoring/process/rss_mib"] = round(int(statm.split()[1]) * self._page / 2**20, 2)
        else:
            try:
                import resource
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                out["monitoring/process/rss_mib"] = round(rss / (2**20 if sys.platform == "darwin" else 2**10), 2)
            except (ImportError, OSError):
                pass
        io = self._io_counters()
        names = {"disk_read": "monitoring/disk_read_mib_s", "disk_write": "monitoring/disk_write_mib_s",
                 "net_rx": "monitoring/network_rx_mib_s", "net_tx": "monitoring/network_tx_mib_s"}
        for k, path in names.items():
            if k in io and k in self._last_io:
                out[path] = round(max(0.0, io[k] - self._last_io[k]) / dt / 2**20, 4)
        self._last_io = io
        self._last_t = now
        out.update(self._gpus())
        return out

    def _gpus(self) -> Dict[str, float]:
        if not self._nvidia or self._nvidia_failures >= 3:
            return {}
        try:
            proc = subprocess.run(
                [self._nvidia, "--query-gpu=index," + ",".join(GPU_FIELDS),
                 "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            self._nvidia_failures += 1
            return {}
        if proc.returncode != 0:
            self._nvidia_failures += 1
            return {}
        self._nvidia_failures = 0
        return parse_nvidia_smi(proc.stdout)


def parse_nvidia_smi(text: str) -> Dict[str, float]:
    """Parses `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,
    memory.total,temperature.gpu,power.draw --format=csv,noheader,nounits`."""
    out: Dict[str, float] = {}
    for line in text.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 1 + len(GPU_FIELDS) or not parts[0].isdigit():
            continue
        vals: List[Optional[float]] = []
        for p in parts[1:]:
            try:
                vals.append(float(p))
            except ValueError:  # "[N/A]", "[Not Supported]"
                vals.append(None)
        util, used, total, temp, power = vals
        pre = f"monitoring/gpu/{parts[0]}/"
        if util is not None:
            out[pre + "utilization_percent"] = util
        if used is not None:
            out[pre + "memory_used_mib"] = used
            if total:
                out[pre + "memory_percent"] = round(100.0 * used / total, 2)
        if temp is not None:
            out[pre + "temperature_c"] = temp
        if power is not None:
            out[pre + "power_w"] = power
    return out


# --------------------------------------------------------------------------
# Source context


def _git(args: List[str], cwd: str, limit: int = 1 << 20) -> Optional[str]:
    try:
        p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=10,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if p.returncode != 0:
        return None
    return p.stdout[:limit].decode("utf-8", "replace")


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = f"\n... [truncated: {len(data)} bytes, showing {limit}]\n"
    return data[:limit].decode("utf-8", "ignore") + note


def source_context(max_diff_bytes: int = MAX_DIFF_BYTES) -> Dict[str, Any]:
    """Configs under source/: git state, command line, host, Python, packages."""
    out: Dict[str, Any] = {}
    argv = list(sys.argv) if sys.argv else []
    out["source/command"] = shlex.join(argv) if argv and argv != [""] else "<interactive>"
    out["source/working_dir"] = os.getcwd()
    out["source/hostname"] = socket.gethostname()
    out["source/python_version"] = platform.python_version()
    out["source/python_executable"] = sys.executable or ""
    out["source/platform"] = platform.platform()
    script = argv[0] if argv else ""
    candidates = [os.path.dirname(os.path.abspath(script))] if script and os.path.isfile(script) else []
    candidates.append(os.getcwd())
    if shutil.which("git"):
        commit, cwd = None, candidates[-1]
        for cwd in candidates:  # the script's repository, else the working folder's
            commit = _git(["rev-parse", "HEAD"], cwd)
            if commit:
                break
        if commit:
            out["source/git/commit"] = commit.strip()
            branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
            if branch:
                out["source/git/branch"] = branch.strip()
            status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
            dirty = bool(status and status.strip())
            out["source/git/dirty"] = dirty
            if dirty:
                diff = _git(["diff", "HEAD"], cwd, limit=max_diff_bytes + 1)
                if diff:
                    out["source/git/diff"] = _truncate_utf8(diff, max_diff_bytes)
    try:
        from importlib import metadata
        pkgs = set()
        for d in metadata.distributions():
            try:
                name = d.metadata["Name"]
            except (KeyError, TypeError):  # a broken or nameless distribution
                continue
            if name:
                pkgs.add(f"{name}=={d.version}")
        out["source/packages"] = _truncate_utf8("\n".join(sorted(pkgs, key=str.lower)), 512 << 10)
    except Exception:  # noqa: BLE001 - a broken environment must not stop a run
        pass
    return out


# --------------------------------------------------------------------------
# Console capture


class Tee:
    """Stands in for sys.stdout / sys.stderr: writes go to the original
    stream as before, and each complete line is handed to `on_line`."""

    def __init__(self, original: Any, on_line: Callable[[str], None]):
        self._sextant_original = original
        self._on_line = on_line
        self._active = True
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        n = self._sextant_original.write(s)
        if self._active and isinstance(s, str) and s:
            try:
                self._feed(s)
            except Exception:  # noqa: BLE001 - never break printing
                pass
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._sextant_original.flush()

    def _feed(self, s: str) -> None:
        with self._lock:
            text = self._pending + s
            if "\n" not in text:
                if "\r" in text and len(text) > 8192:  # a progress bar redrawing
                    cut = text.rfind("\r", 0, len(text) - 1)
                    if cut >= 0:
                        text = text[cut + 1:]
                if len(text) > MAX_LINE_CHARS:
                    self._emit(text)
                    text = ""
                self._pending = text
                return
            *lines, self._pending = text.split("\n")
        for line in lines:
            self._emit(line)

    def _emit(self, line: str) -> None:
        if "\r" in line:
            line = line.rstrip("\r")
            line = line[line.rfind("\r") + 1:]
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS]
        self._on_line(line)

    def detach(self) -> None:
        """Stops capturing; emits a pending partial line."""
        self._active = False
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest.strip("\r"):
            self._emit(rest)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sextant_original, name)


def real_stream(stream: Any) -> Any:
    """The stream under any Tee wrappers."""
    while isinstance(stream, Tee):
        stream = stream._sextant_original
    return stream

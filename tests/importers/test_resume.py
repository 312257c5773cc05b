"""Common behaviour of every import: killed midway (SIGKILL, no cleanup),
the same command finishes the rest without importing anything twice, and
the result is byte-identical to an import that was never interrupted;
progress lines and the summary when stderr is not a terminal."""
from __future__ import annotations

import base64
import filecmp
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from sxt import Server

from conftest import REPO

RUNS = 24


def seed(native, project: str) -> None:
    import numpy as np
    for i in range(RUNS):
        rid = f"r{i:02d}"
        native("POST", f"/projects/{project}/runs", {"run_id": rid, "created_at": 1763812345 + i})
        vals = np.sin(np.arange(20_000) / 100 + i).astype("<f8")
        native("POST", f"/projects/{project}/runs/{rid}/log", {
            "configs": {"i": i},
            "series": [{"path": "loss", "steps": list(range(20_000)),
                        "values_b64": base64.b64encode(vals.tobytes()).decode(),
                        "timestamps": [1763812345 + k for k in range(20_000)]}],
            "state": "finished"})


def files_of(d: Path):
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file() and p.name != "manifest.json")


def test_kill_and_resume(tmp_path, server, sextant, native, project, state_dir):
    seed(native, project)
    src = tmp_path / "src"
    sextant("export", project, str(src))

    other = Server(tmp_path / "other-data", tmp_path / "other.log").start()
    try:
        env = dict(os.environ, SEXTANT_URL=other.url, XDG_STATE_HOME=str(state_dir),
                   PYTHONPATH=str(REPO / "clients" / "python"))
        p = subprocess.Popen([sys.executable, "-m", "sextant", "import", "sextant", str(src),
                              "--project", project], env=env, stderr=subprocess.PIPE, text=True)
        done = 0
        assert p.stderr is not None
        for line in p.stderr:
            if line.startswith("imported "):
                done += 1
                if done == 5:
                    p.send_signal(signal.SIGKILL)
                    break
        p.wait(timeout=60)
        assert p.returncode == -signal.SIGKILL, "the import finished before it could be killed"

        again = sextant("import", "sextant", str(src), "--project", project, env={"SEXTANT_URL": other.url})
        m = re.search(r"(\d+) runs imported.*?; (\d+) runs were already imported", again.stderr)
        assert m, again.stderr
        imported, skipped = int(m.group(1)), int(m.group(2))
        assert skipped >= 5 and imported + skipped == RUNS, again.stderr

        out = tmp_path / "out"
        sextant("export", project, str(out), env={"SEXTANT_URL": other.url})
    finally:
        other.stop()
    assert files_of(src) == files_of(out)
    for n in files_of(src):
        assert filecmp.cmp(src / n, out / n, shallow=False), f"{n} differs after resuming"


def test_restart_flag_and_messages(tmp_path, server, sextant, native, project):
    native("POST", f"/projects/{project}/runs", {"run_id": "a"})
    src = tmp_path / "src"
    sextant("export", project, str(src))
    p = sextant("import", "sextant", str(src), "--project", project)
    assert "already imported" in p.stderr or "1 runs imported" in p.stderr
    p = sextant("import", "sextant", str(src), "--project", project)
    assert "1 runs were already imported" in p.stderr, p.stderr
    p = sextant("import", "sextant", str(src), "--project", project, "--restart")
    assert "1 runs imported" in p.stderr and "already" not in p.stderr, p.stderr
    # A folder that is not an export: a clear error, exit 1.
    bad = sextant("import", "sextant", str(tmp_path), "--project", project, check=False)
    assert bad.returncode == 1 and "not a Sextant export" in bad.stderr, bad.stderr
    # No project to map to: says what to give.
    (tmp_path / "empty").mkdir()
    help_ = sextant("import", check=False)
    assert help_.returncode == 2 and "neptune" in help_.stderr

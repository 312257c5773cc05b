"""What a run captures by itself: console, system metrics, heartbeat,
source context, GPUs (through nvidia-smi when present), crashes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from sextant._monitor import parse_nvidia_smi
from sxt import sub_env

FAKE_NVIDIA_SMI = """#!/bin/sh
echo "0, 87, 30000, 81559, 64, 301.50"
echo "1, [N/A], 1024, 81559, 40, [Not Supported]"
"""


def test_console_system_metrics_heartbeat_gpus(run_factory, client, proj, tmp_path, monkeypatch, capsys):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    smi = fake_bin / "nvidia-smi"
    smi.write_text(FAKE_NVIDIA_SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    run = run_factory(run_id="mon", capture_stdout=True, capture_stderr=True,
                      capture_system_metrics=True, capture_heartbeat=True, monitoring_interval=0.2)
    print("first line")
    print("partial", end="")
    print(" finished\nsecond", flush=True)
    sys.stderr.write("a warning\n")
    sys.stdout.write("progress 10%\rprogress 100%\n")
    deadline = time.monotonic() + 20
    while "monitoring/gpu/0/utilization_percent" not in run._types:  # a sample after the first
        assert time.monotonic() < deadline, "no system-metrics sample within 20 s"
        time.sleep(0.05)
    run.close(timeout=30)
    out = capsys.readouterr()
    assert "first line" in out.out and "a warning" in out.err  # the console still shows it
    lines = client.series(proj, "mon", "monitoring/stdout")[0]["values"]
    assert lines == ["first line", "partial finished", "second", "progress 100%"]
    assert client.series(proj, "mon", "monitoring/stderr")[0]["values"] == ["a warning"]
    attrs = client.attributes(proj, "mon", pattern="^monitoring/")
    for path in ("monitoring/heartbeat", "monitoring/process/rss_mib", "monitoring/process/cpu_percent"):
        assert attrs[path]["type"] == "float_series", path
    if os.path.exists("/proc/stat"):
        for path in ("monitoring/cpu_percent", "monitoring/memory_percent", "monitoring/memory_used_gib",
                     "monitoring/network_rx_mib_s"):
            assert path in attrs, path
    assert attrs["monitoring/gpu/0/utilization_percent"]["last_value"] == 87
    assert attrs["monitoring/gpu/0/power_w"]["last_value"] == 301.5
    assert "monitoring/gpu/1/utilization_percent" not in attrs
    assert attrs["monitoring/gpu/1/memory_used_mib"]["last_value"] == 1024
    beats = client.series(proj, "mon", "monitoring/heartbeat")[0]
    assert len(beats["steps"]) >= 2 and beats["steps"] == sorted(beats["steps"])
    assert sys.stdout is not None and type(sys.stdout).__name__ != "Tee"


def test_parse_nvidia_smi():
    got = parse_nvidia_smi("0, 50, 100, 200, 30, 70.5\n1, 0, 0, 0, [N/A], [N/A]\ngarbage\n")
    assert got["monitoring/gpu/0/memory_percent"] == 50.0
    assert got["monitoring/gpu/1/utilization_percent"] == 0.0
    assert "monitoring/gpu/1/temperature_c" not in got and "monitoring/gpu/1/memory_percent" not in got


def test_source_context_in_a_git_repo(tmp_path, server, proj, client):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    script = repo / "train.py"
    script.write_text(textwrap.dedent(f"""
        import sextant
        with sextant.Run(project="{proj}", run_id="src", url="{server.url}",
                         journal_dir="{tmp_path / 'j'}", capture_system_metrics=False) as run:
            run.log_metrics({{"x": 1.0}}, step=0)
    """))
    for args in (["init", "-q", "-b", "main"], ["add", "train.py"], ["commit", "-q", "-m", "first"]):
        subprocess.run(git + args, cwd=repo, check=True, capture_output=True)
    with open(script, "a") as f:
        f.write("# uncommitted change\n")
    r = subprocess.run([sys.executable, str(script), "--lr", "3e-4"], cwd=repo, capture_output=True,
                       text=True, env=sub_env(), timeout=60)
    assert r.returncode == 0, r.stderr
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                            text=True).stdout.strip()
    a = {k: v.get("value") for k, v in client.attributes(proj, "src", pattern="^source/").items()}
    assert a["source/git/commit"] == commit and a["source/git/branch"] == "main"
    assert a["source/git/dirty"] is True and "+# uncommitted change" in a["source/git/diff"]
    assert a["source/command"].endswith("train.py --lr 3e-4")
    assert a["source/hostname"] and a["source/python_version"].count(".") == 2
    assert a["source/packages"].strip()


CRASH = """
import sextant
sextant.init(project="{proj}", run_id="crash", url="{url}", journal_dir="{journal}",
             capture_system_metrics=False, capture_source=False)
sextant.log({{"x": 1.0}})
raise ValueError("loss is NaN")
"""


def test_uncaught_exception_marks_failed(tmp_path, server, proj, client):
    r = subprocess.run([sys.executable, "-c", CRASH.format(proj=proj, url=server.url, journal=tmp_path)],
                       capture_output=True, text=True, env=sub_env(), timeout=60)
    assert r.returncode == 1 and "ValueError: loss is NaN" in r.stderr
    assert client.run(proj, "crash")["state"] == "failed"
    attrs = client.attributes(proj, "crash")
    assert "ValueError: loss is NaN" in attrs["monitoring/traceback"]["value"]
    err_lines = client.series(proj, "crash", "monitoring/stderr")[0]["values"]
    assert "ValueError: loss is NaN" in err_lines


def test_monitoring_can_be_turned_off(run_factory, client, proj):
    run = run_factory(run_id="quiet")
    run.log_metrics({"x": 1.0}, step=0)
    run.close(timeout=30)
    assert set(client.attributes(proj, "quiet")) == {"x"}

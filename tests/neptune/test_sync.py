"""`mode="offline"` and the `neptune sync` CLI; a logging process killed with
SIGKILL and its log synced afterwards. neptune-scale resends every operation
whose outcome it had not confirmed through ingest/check (the create included),
so the server must take a resent operation without duplicating anything.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import PROJECT, neptune_sync, open_run, operation_logs, unique


def assert_synced(p: subprocess.CompletedProcess, db: Path) -> None:
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"neptune sync exited with {p.returncode}:\n{out[-4000:]}"
    assert "ERROR" not in out, out[-4000:]
    # the CLI deletes the log once every operation is confirmed and every file uploaded
    assert not db.exists(), f"{db} is still there: not everything was synced\n{out[-4000:]}"


def offline_run(tmp_logs: Path, run_id: str, steps: int = 50, file_path: Path | None = None,
                experiment: str | None = None):
    nr = open_run(run_id, mode="offline", log_directory=tmp_logs, experiment_name=experiment)
    nr.run.log_configs({"cfg/mode": "offline", "cfg/n": steps})
    for step in range(steps):
        nr.run.log_metrics({"m/off": step / 4}, step=step / 2)
    nr.run.log_string_series({"s/off": "hello"}, step=1)
    nr.run.add_tags(["offline"])
    if file_path is not None:
        nr.run.assign_files({"f/off": str(file_path)})
        nr.run.log_files({"fs/off": str(file_path)}, step=1)
    nr.run.close()
    assert not nr.errors, nr.errors
    logs = operation_logs(tmp_logs)
    assert len(logs) == 1, logs
    return logs[0]


def check_offline_run(native, run_id: str, steps: int, content: bytes | None) -> None:
    run = native.run(run_id)
    assert run is not None, f"run {run_id} was not synced"
    attrs = native.attributes(run_id)
    assert attrs["cfg/mode"]["value"] == "offline" and attrs["cfg/n"]["value"] == steps
    assert attrs["sys/tags"]["value"] == ["offline"]
    s = native.series(run_id, "m/off")
    assert s["steps"] == [i / 2 for i in range(steps)]
    assert s["values"] == [i / 4 for i in range(steps)]
    assert attrs["m/off"]["count"] == steps
    assert native.series(run_id, "s/off")["values"] == ["hello"]
    if content is not None:
        assert native.file(run_id, "f/off") == content
        assert native.file(run_id, "fs/off", step=1) == content


def test_offline_then_sync(server, native, tmp_logs):
    run_id = unique("offline")
    db = offline_run(tmp_logs, run_id)
    assert native.run(run_id) is None, "an offline run reached the server before the sync"
    p = neptune_sync(db, server.neptune_token)
    assert_synced(p, db)
    check_offline_run(native, run_id, 50, None)


def test_offline_files_then_sync(server, native, tmp_logs, tmp_path):
    f = tmp_path / "weights.bin"
    f.write_bytes(os.urandom(100_000))
    run_id = unique("offline-files")
    db = offline_run(tmp_logs, run_id, file_path=f)
    assert_synced(neptune_sync(db, server.neptune_token), db)
    check_offline_run(native, run_id, 50, f.read_bytes())


@pytest.mark.parametrize("with_files", [False, True], ids=["metadata", "files"])
def test_sync_twice_duplicates_nothing(server, native, tmp_logs, tmp_path, with_files):
    """A log synced twice (the second copy as after a crash before any
    confirmation): every operation, the create included, arrives twice."""
    f = tmp_path / "notes.txt"
    f.write_text("same file twice\n")
    run_id = unique("twice")
    db = offline_run(tmp_logs, run_id, steps=200, file_path=f if with_files else None)
    copy = tmp_path / "copy"
    shutil.copytree(db.parent, copy / db.parent.name)
    copy_db = copy / db.parent.name / db.name
    assert_synced(neptune_sync(db, server.neptune_token), db)
    assert_synced(neptune_sync(copy_db, server.neptune_token), copy_db)
    check_offline_run(native, run_id, 200, f.read_bytes() if with_files else None)
    assert [r["run_id"] for r in native.runs(filter=f'sys/id = "{run_id}"')] == [run_id]


def test_sync_with_a_bad_token_keeps_the_log(server, native, tmp_logs):
    from conftest import make_neptune_token

    run_id = unique("badsync")
    db = offline_run(tmp_logs, run_id, steps=3)
    p = neptune_sync(db, make_neptune_token(server.url, "not-a-sextant-token"), timeout=60)
    assert db.exists(), "the log must survive a rejected sync"
    assert native.run(run_id) is None
    assert "NeptuneInvalidCredentialsError" in p.stdout + p.stderr or "invalid" in (p.stdout + p.stderr).lower()
    assert_synced(neptune_sync(db, server.neptune_token), db)
    assert native.run(run_id) is not None


@pytest.mark.reads
def test_query_offline_synced_run(server, nq, tmp_logs):
    exp = unique("exp-offline")
    run_id = unique("offline-q")
    db = offline_run(tmp_logs, run_id, steps=10, experiment=exp)
    assert_synced(neptune_sync(db, server.neptune_token), db)
    df = nq.fetch_metrics(experiments=[exp], attributes=["m/off"])
    assert [s for _, s in df.index] == [i / 2 for i in range(10)]
    assert list(df["m/off"]) == [i / 4 for i in range(10)]


KILLED_SCRIPT = textwrap.dedent("""
    import sys, time
    from neptune_scale import Run

    if __name__ == "__main__":
        run_id, log_directory = sys.argv[1], sys.argv[2]
        run = Run(run_id=run_id, log_directory=log_directory, enable_console_log_capture=False,
                  source_tracking_config=None)
        print("SYNC_PID", run._sync_process.pid, flush=True)
        run.log_configs({"cfg/killed": "yes"})
        step = 0
        while True:
            run.log_metrics({"m/k": step * 0.5, "m/k2": -step}, step=step)
            step += 1
            if step % 250 == 0:
                print("LOGGED", step - 1, flush=True)
                time.sleep(0.01)
""")


def _wait_gone(pid: int, timeout: float) -> bool:
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_kill_9_then_sync(server, native, tmp_logs, tmp_path):
    script = tmp_path / "log_forever.py"
    script.write_text(KILLED_SCRIPT)
    run_id = unique("killed")
    env = dict(os.environ, NEPTUNE_API_TOKEN=server.neptune_token, NEPTUNE_PROJECT=PROJECT)
    p = subprocess.Popen([sys.executable, str(script), run_id, str(tmp_logs)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    sync_pid = None
    last_logged = -1
    started = None
    try:
        for line in p.stdout:
            if line.startswith("SYNC_PID"):
                sync_pid = int(line.split()[1])
            elif line.startswith("LOGGED"):
                last_logged = int(line.split()[1])
                started = started or time.monotonic()
                # log for a few seconds, so that the sync process has sent
                # (and confirmed) part of it, and sent some more unconfirmed
                if time.monotonic() - started > 4 and last_logged >= 2000:
                    break
        else:
            pytest.fail(f"the logging process ended early with {p.wait()}")
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert sync_pid is not None
    # its sync process notices the dead parent and stops by itself
    assert _wait_gone(sync_pid, 30), "neptune-scale's sync process outlived its killed parent"

    assert native.run(run_id) is not None, "nothing reached the server before the kill"
    logs = operation_logs(tmp_logs)
    assert len(logs) == 1, logs
    assert_synced(neptune_sync(logs[0], server.neptune_token), logs[0])

    s = native.series(run_id, "m/k")
    n = len(s["steps"])
    assert n - 1 >= last_logged, f"steps up to {last_logged} were logged, the server has {n}"
    assert s["steps"] == list(range(n)), "a step is missing or duplicated"
    assert s["values"] == [i * 0.5 for i in range(n)]
    assert native.series(run_id, "m/k2")["steps"] == list(range(n))
    attrs = native.attributes(run_id)
    assert attrs["m/k"]["count"] == n and attrs["m/k2"]["count"] == n
    assert attrs["cfg/killed"]["value"] == "yes"


"""One `sextant` command: the server binary runs the Python package's
commands (sync, import, export) through `python3 -m sextant`, and says how to
get the package when the interpreter cannot import it."""
from __future__ import annotations

import os
import subprocess
import sys
import venv

from sextant_e2e import BIN


def run(args, **env):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_python_commands_run_through_the_server_binary():
    # This test's interpreter has the package installed (tests/requirements).
    p = run(["import", "--help"], SEXTANT_PYTHON=sys.executable)
    assert p.returncode == 0, p.stderr
    assert "neptune" in p.stdout and "tensorboard" in p.stdout
    p = run(["sync", "--help"], SEXTANT_PYTHON=sys.executable)
    assert p.returncode == 0 and "--timeout" in p.stdout, p.stderr
    # The usage names them.
    assert "sync|import|export" in run(["--help"]).stdout


def test_without_the_package_the_message_says_how_to_get_it(tmp_path):
    env_dir = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    p = run(["export", "ws/p", str(tmp_path / "out")], SEXTANT_PYTHON=str(env_dir / "bin" / "python"))
    assert p.returncode == 2
    assert "pip install" in p.stderr and "Python package" in p.stderr, p.stderr
    p = run(["import", "x"], SEXTANT_PYTHON=str(tmp_path / "no-such-python"))
    assert p.returncode != 0 and "SEXTANT_PYTHON" in p.stderr, p.stderr

"""One `sextant`: the Python package's command runs the server's commands
(serve, admin, user, token, member, audit, version) through the server
binary, found on PATH or at $SEXTANT_SERVER_BIN, and says how to get it when
there is none."""
from __future__ import annotations

import os
import subprocess
import sys

from sxt import BIN


def sextant(*args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SEXTANT_")}
    return subprocess.run([sys.executable, "-m", "sextant", *args], capture_output=True, text=True,
                          timeout=60, env={**base, **(env or {})})


def test_server_commands_run_the_binary_from_the_environment_variable(tmp_path):
    p = sextant("version", env={"SEXTANT_SERVER_BIN": BIN})
    assert p.returncode == 0 and p.stdout.strip() == "sextant 0.1.0", p
    # An account command with its own arguments, on a fresh data folder.
    p = sextant("user", "list", "--data", str(tmp_path / "data"), env={"SEXTANT_SERVER_BIN": BIN})
    assert p.returncode == 0, p.stderr


def test_server_binary_found_on_path_and_the_entry_script_skipped(tmp_path):
    # A Python entry script named sextant earlier on PATH is not the server.
    script_dir, bin_dir = tmp_path / "scripts", tmp_path / "bin"
    script_dir.mkdir()
    bin_dir.mkdir()
    (script_dir / "sextant").write_text("#!/bin/sh\necho wrong\n")
    (script_dir / "sextant").chmod(0o755)
    os.symlink(os.path.abspath(BIN), bin_dir / "sextant")
    path = os.pathsep.join([str(script_dir), str(bin_dir), "/usr/bin", "/bin"])
    p = sextant("version", env={"PATH": path})
    assert p.returncode == 0 and p.stdout.strip() == "sextant 0.1.0", p


def test_without_a_server_binary_the_message_says_how_to_get_one(tmp_path):
    p = sextant("serve", "--demo", env={"PATH": str(tmp_path)})
    assert p.returncode == 2
    assert "separate binary" in p.stderr and "SEXTANT_SERVER_BIN" in p.stderr, p.stderr
    # The package's own commands are unaffected.
    p = sextant("--help", env={"PATH": str(tmp_path)})
    assert p.returncode == 0 and "sync" in p.stdout and "serve" in p.stdout

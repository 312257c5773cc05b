"""The server's commands from the Python package's `sextant`: `serve`,
`admin`, `user`, `token`, `member`, `audit` and `version` run the server
binary (the C++ `sextant`), so that whichever `sextant` is first on PATH
takes every command. The binary, in turn, runs `sync`, `import` and `export`
through this package."""
from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

SERVER_COMMANDS = ("serve", "migrate", "admin", "user", "token", "member", "audit", "version")
ENV = "SEXTANT_SERVER_BIN"


def _is_native(path: str) -> bool:
    """An executable ELF file: the server, not this package's entry script."""
    try:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return False
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def find_server() -> Optional[str]:
    """$SEXTANT_SERVER_BIN, else the first native `sextant` on PATH."""
    given = os.environ.get(ENV)
    if given:
        return given
    for d in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(d or ".", "sextant")
        if _is_native(candidate):
            return candidate
    return None


def run_server_command(argv: Sequence[str]) -> int:
    """Replaces this process with the server binary running `argv`."""
    server = find_server()
    if server is None:
        sys.stderr.write(
            f"sextant {argv[0]}: this is a command of the Sextant server, which is a separate "
            f"binary: build it (scripts/bootstrap.sh, then build/src/sextant) and put it on PATH, "
            f"or set {ENV} to its path\n")
        return 2
    try:
        os.execv(server, [server, *argv])
    except OSError as e:
        sys.stderr.write(f"sextant {argv[0]}: could not run the server binary {server}: {e}\n")
        return 2
    return 0  # not reached

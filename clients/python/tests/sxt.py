"""Helpers for the SDK tests: the real server process, subprocesses that
import this source tree, and small readers."""
from __future__ import annotations

import hashlib
import http.client
import os
import signal
import socket
import subprocess
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent                      # clients/python
REPO = HERE.parents[2]
BIN = os.environ.get("SEXTANT_BIN", str(REPO / "build" / "src" / "sextant"))


_AUTH: Dict[str, str] = {}


def auth_template() -> Dict[str, str]:
    """An accounts store with one owner, made once per test process and copied
    into every server's data folder, so that every server requires
    authentication and one API token (`token`) works on all of them."""
    if not _AUTH:
        d = Path(tempfile.mkdtemp(prefix="sextant-sdk-auth-"))
        p = subprocess.run([BIN, "admin", "init", "--name", "sdk-tests", "--data", str(d)],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"sextant admin init failed:\n{p.stderr}")
        _AUTH["token"] = p.stdout.strip().splitlines()[-1]
        _AUTH["store"] = str(d / "access.db")
    return _AUTH


def provision_accounts(data_dir: Path, store_url: str) -> None:
    """With runs in PostgreSQL the accounts live there too, in the server's
    schema: makes the same owner there and gives it the template's token
    (its SHA-256 digest is all the store keeps), so that one token works on
    every server as with the copied access.db."""
    p = subprocess.run([BIN, "admin", "init", "--name", "sdk-tests", "--data", str(data_dir),
                        "--store", store_url], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"sextant admin init --store failed:\n{p.stderr}")
    digest = hashlib.sha256(auth_template()["token"].encode()).hexdigest()
    sql = ("WITH bump AS (UPDATE access_version SET n = n + 1) "
           "INSERT INTO tokens (principal_id, name, hash, created_us, projects, max_role) "
           f"SELECT id, 'sdk-tests'::bytea, '{digest}'::bytea, 0, ''::bytea, 0 FROM principals "
           "WHERE name = 'sdk-tests'::bytea")
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", store_url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"adding the test token to {store_url} failed:\n{p.stderr}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def files_args() -> List[str]:
    """`--files` for a new server when SEXTANT_TEST_FILES names an S3 store
    (s3://bucket?endpoint=…): each server under a prefix of its own."""
    files = os.environ.get("SEXTANT_TEST_FILES", "")
    if not files:
        return []
    base, _, query = files.partition("?")
    prefix = "sdk-" + os.urandom(6).hex()
    return ["--files", f"{base.rstrip('/')}/{prefix}" + (f"?{query}" if query else "")]


def store_args() -> List[str]:
    """`--store` for a new server when SEXTANT_TEST_STORE names a PostgreSQL
    database (postgresql://…): each server in a schema of its own."""
    store = os.environ.get("SEXTANT_TEST_STORE", "")
    if not store:
        return []
    schema = "sdk_" + os.urandom(6).hex()
    sep = "&" if "?" in store else "?"
    return ["--store", f"{store}{sep}options=-csearch_path%3D{schema}"]


class Server:
    """One `sextant serve`; restartable on the same data folder and port."""

    def __init__(self, data_dir: Path, log_path: Path):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.files_args = files_args() + store_args()  # kept across restarts
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 20.0) -> "Server":
        if not os.path.exists(BIN):
            raise RuntimeError(f"sextant binary not found at {BIN} (build it, or set SEXTANT_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        marker = self.data_dir / "access.db"
        if "--store" in self.files_args:
            marker = self.data_dir / ".accounts-in-store"
            if not marker.exists():
                provision_accounts(self.data_dir, self.files_args[self.files_args.index("--store") + 1])
                marker.touch()
        elif not marker.exists():
            shutil.copyfile(auth_template()["store"], marker)
        deadline = time.monotonic() + timeout
        while True:  # the port may linger briefly after a stop
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [BIN, "serve", "--data", str(self.data_dir), "--host", HOST,
                     "--port", str(self.port), *self.files_args],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.healthy():
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None or time.monotonic() >= deadline:
                self.kill()
                raise RuntimeError(f"sextant did not start:\n{self.log_tail()}")
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            c = http.client.HTTPConnection(HOST, self.port, timeout=2)
            c.request("GET", "/api/v1/health")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except OSError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        p = self.proc
        assert p is not None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.proc = None
        return p.returncode

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


def sub_env(**extra: str) -> Dict[str, str]:
    # SEXTANT_PURE_PYTHON passes through: a run of the suite on the pure path stays on it.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SEXTANT_") or k in ("SEXTANT_BIN", "SEXTANT_PURE_PYTHON")}
    env["SEXTANT_API_TOKEN"] = auth_template()["token"]
    env["PYTHONPATH"] = str(PKG_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_py(code: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=sub_env(**env))


def sync(journal: Path, url: Optional[str], *args: str, timeout: float = 60,
         env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sextant", "sync", "--dir", str(journal), *args]
    if url:
        cmd += ["--url", url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=sub_env(**(env or {})))


def dead_url() -> str:
    """An address where nothing listens."""
    return f"http://{HOST}:{free_port()}"


def sessions(journal: Path) -> List[Path]:
    return sorted(p.parent for p in Path(journal).rglob("session.json"))

"""neptune-scale against Sextant: the neptune adapter's code and the
unmodified `neptune-scale` client, in online ("async") mode, with `sextant
serve` as its backend (src/api/neptune/, docs/migrate-from-neptune.md).

Set up as a user would: `sextant admin init` creates the owner, then
`sextant token create --neptune --project bench/<project> --url <server>`
prints a NEPTUNE_API_TOKEN for each project the workloads use (a Neptune
token is limited to one project, and the client needs the project to exist,
which that command makes). Each Run spawns the client's sync process, which
uploads the operations the logging calls queued in the run's SQLite file and
polls `ingest/check` until the server acknowledged them.

Sextant holds the data, so reads and the runs query go through Sextant's
native HTTP API (docs/api/native.md, with the owner's token, through the
Python SDK of this checkout, which needs no package): neptune-scale itself
has no read API, and neptune-query is not in the neptune virtualenv.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from adapters import neptune_adapter
from common import free_port, sextant_binary, start_sextant, stop_sextant

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "clients" / "python"))  # the SDK from this checkout (standard library only)

import sextant  # noqa: E402

WORKSPACE = "bench"
# The projects worker.py and neptune_api.py log to; a token is minted for
# each before the server starts (another project gets one on first use).
PROJECTS = ["bench-startup", "bench-ingest", "bench-percall", "bench-long", "bench-table", "bench-api"]
PASSWORD = "bench-owner-password"


class Adapter(neptune_adapter.Adapter):
    name = "neptune_sextant"
    has_server = True
    concurrent_runs = False  # one sync process per Run; runs are created one by one
    notes = [
        "the neptune adapter's code and the `neptune-scale` client, unchanged, in online mode: "
        "Run(project=\"bench/<project>\", run_id=name, api_token=<token>) / run.log_configs(configs) / "
        "run.log_metrics(values, step=i), against `sextant serve` (this checkout's build, embedded SQLite store, "
        "fsync on every commit) on 127.0.0.1",
        "set up as a user would: `sextant admin init` (owner), then `sextant token create --neptune --project "
        "bench/<project> --url <server>` for each project (not timed)",
        "each call is one committed SQLite transaction in the calling thread, as offline; the client's sync process "
        "(one per run, spawned by Run()) uploads them as protobuf `RunOperation`s and polls `ingest/check`",
        "close: `run.wait_for_processing()` until every operation is acknowledged (checked: False fails the "
        "workload), then `run.close()`; the client polls its queue every 0.5-1 s, a floor on every close",
        "reads and runs query: Sextant's native HTTP API through the Python SDK (`Client.series`, "
        "`Client.runs`; neptune-scale has no read API), the same calls as the sextant adapter",
        "disabled where a user can: console capture, git/source tracking; errors and warnings the client "
        "reports through its callbacks fail the workload",
    ]

    def __init__(self, workdir: Path, options: Dict[str, Any]):
        super().__init__(workdir, options)  # imports neptune_scale; sets offline mode, undone here
        os.environ["NEPTUNE_MODE"] = "async"
        os.environ.pop("NEPTUNE_PROJECT", None)  # every Run names its project and token
        os.environ.setdefault("NEPTUNE_DISABLE_COLORS", "true")
        os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
        self.binary = sextant_binary(options)
        try:
            server = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                    timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            server = "sextant ?"
        self.version = f"neptune-scale {self.version} client, {server}"
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.url = ""
        self.owner_token = ""
        self.tokens: Dict[str, str] = {}
        self.setup_s = 0.0
        self.client: Optional[sextant.Client] = None
        self.errors: List[str] = []
        self.data = workdir / "data"

    # -------------------------------------------------------- server
    def _cli(self, *args: str, stdin: Optional[str] = None) -> str:
        p = subprocess.run([self.binary, *args, "--data", str(self.data)], input=stdin, capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"`sextant {' '.join(args)}` failed ({p.returncode}): {p.stdout} {p.stderr}")
        return p.stdout.strip().splitlines()[-1].strip()

    def _token(self, project: str) -> str:
        if project not in self.tokens:
            self.tokens[project] = self._cli("token", "create", "--neptune", "--project",
                                             f"{WORKSPACE}/{project}", "--url", self.url)
        return self.tokens[project]

    def start(self) -> float:
        """The owner and the tokens once (not timed: a user does it once), then
        `sextant serve`, on the same port after a restart: the tokens carry
        the server's URL."""
        if self.port is None:
            c0 = time.perf_counter()
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.owner_token = self._cli("admin", "init", "--name", "owner", "--password-stdin",
                                         stdin=PASSWORD + "\n")
            for p in PROJECTS:
                self._token(p)
            self.setup_s = time.perf_counter() - c0
        t0 = time.perf_counter()
        self.proc, _ = start_sextant(self.binary, self.data, self.workdir / "server.log", port=self.port)
        ready = time.perf_counter() - t0
        self.client = sextant.Client(url=self.url, token=self.owner_token)
        return ready

    def stop(self) -> None:
        for run in self.open:  # left open by a failed workload: stop its sync process, don't wait for it
            run.terminate()
        self.open = []
        if self.proc is None:
            return
        if self.client is not None:
            self.client.close()
            self.client = None
        proc, self.proc = self.proc, None
        stop_sextant(proc)

    def server_pids(self) -> List[int]:
        return [self.proc.pid] if self.proc else []

    def storage_paths(self) -> List[Path]:
        return [self.data]

    # -------------------------------------------------------- writing
    def open_run(self, project: str, name: str, configs: Optional[Dict[str, Any]] = None) -> Any:
        def record(kind: str):
            return lambda e, ts: self.errors.append(f"{kind} {type(e).__name__}: {e}")

        run = self.Run(mode="async", project=f"{WORKSPACE}/{project}", run_id=name, api_token=self._token(project),
                       log_directory=self.dir, enable_console_log_capture=False, source_tracking_config=None,
                       on_error_callback=record("error"), on_warning_callback=record("warning"),
                       on_network_error_callback=record("network error"))
        if configs:
            run.log_configs(configs)
        self.open.append(run)
        return run

    def close_run(self, run: Any, timeout: float = 3600) -> None:
        ok = run.wait_for_processing(timeout=timeout, verbose=False)
        run.close()
        if run in self.open:
            self.open.remove(run)
        if self.errors:
            raise RuntimeError(f"the neptune client reported: {'; '.join(self.errors[:3])}")
        if not ok:
            raise RuntimeError(f"neptune_sextant: wait_for_processing: not every operation was acknowledged "
                               f"within {timeout:.0f} s")

    # -------------------------------------------------------- reading (native API)
    def count_points(self, project: str, name: str, path: str) -> int:
        return self.client.attributes(f"{WORKSPACE}/{project}", name, pattern=f"^{path}$")[path]["count"]

    def stored_points(self, project: str, name: str, path: str) -> int:
        """count_points, or 0 while the sync process has not created the run yet."""
        try:
            return self.count_points(project, name, path)
        except sextant.ApiError as e:
            if e.status == 404:
                return 0
            raise

    def read_full(self, project: str, name: str, path: str) -> int:
        s = self.client.series(f"{WORKSPACE}/{project}", name, path)
        return len(s[0]["steps"])

    def read_chart(self, project: str, name: str, path: str) -> int:
        s = self.client.series(f"{WORKSPACE}/{project}", name, path, buckets=1000)
        return len(s[0]["buckets"]["mean"])

    def query_runs(self, project: str, page: int) -> List[str]:
        rows = self.client.runs(f"{WORKSPACE}/{project}", filter='cfg/optimizer = "adam" and metrics/m01 < 0.25',
                                sort="metrics/m00", limit=page, columns=["metrics/m00"])
        return [r["run_id"] for r in rows]

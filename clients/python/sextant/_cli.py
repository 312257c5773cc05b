"""The `sextant` command (also `python -m sextant`): `sextant sync`
uploads journals that were not acknowledged (offline runs, crashed
processes, runs whose server was away when they closed); `sextant import`
and `sextant export` move history in and out (sextant/transfer/). The
server's commands (`sextant serve`, …) run the server binary
(_server_cli.py)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, List, Optional, Sequence

from . import _journal as J
from ._errors import SextantError
from ._http import Http, resolve_token, resolve_url
from ._run import DEFAULT_JOURNAL_DIR
from ._server_cli import SERVER_COMMANDS, run_server_command
from ._upload import DONE, FATAL, WAITING, Uploader, remove_session
from ._version import __version__


def find_sessions(root: str) -> List[str]:
    """Session folders under a journal root: <ws>/<project>/<run>/<session>/."""
    out: List[str] = []
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        depth = os.path.relpath(dirpath, root).count(os.sep)
        if "session.json" in filenames:
            out.append(dirpath)
            dirnames[:] = []
        elif depth >= 3:
            dirnames[:] = []
    return sorted(out)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _url_source(url: Optional[str]) -> str:
    if url:
        return "--url"
    if os.environ.get("SEXTANT_URL"):
        return "$SEXTANT_URL; --url URL to send elsewhere"
    return "the URL the run was logged with; --url URL to send elsewhere"


class _RetryNotice:
    """Says at once that the server does not answer and that sync keeps
    trying (and how to stop), then every NOTICE_EVERY seconds while it
    retries; the Uploader's `notify`."""

    NOTICE_EVERY = 30.0

    def __init__(self, say: Callable[[str], None], label: str, server: str, deadline: float):
        self.say, self.label, self.server, self.deadline = say, label, server, deadline
        self.last: Optional[float] = None

    def __call__(self, why: Optional[str]) -> None:
        now = time.monotonic()
        if why is None:
            if self.last is not None:
                self.say(f"sextant sync: {self.label}: {self.server} answers again; sending")
                self.last = None
            return
        left = max(0.0, self.deadline - now)
        if self.last is None:
            self.say(f"sextant sync: {self.label}: cannot send to {self.server}: {why}. "
                     f"Retrying for up to {left:.0f}s more; "
                     "Ctrl-C stops (the journal is kept), --timeout SECONDS changes how long, "
                     "--url URL sends to another server.")
        elif now - self.last >= self.NOTICE_EVERY:
            self.say(f"sextant sync: {self.label}: still retrying {self.server}: {why}; {left:.0f}s left")
        else:
            return
        self.last = now


def sync(root: str, *, url: Optional[str] = None, token: Optional[str] = None,
         project: Optional[str] = None, run_id: Optional[str] = None,
         timeout: float = 300.0, keep: bool = False, quiet: bool = False) -> int:
    """Uploads every session under `root`; returns the exit status
    (0: everything readable was sent, 1: something is left)."""
    say = (lambda m: None) if quiet else _say
    sessions = find_sessions(root)
    deadline = time.monotonic() + timeout
    status_code = 0
    seen = 0
    announced: set = set()
    for folder in sessions:
        meta = J.read_json(os.path.join(folder, "session.json"))
        if not meta or "project" not in meta or "run_id" not in meta or "create" not in meta:
            say(f"sextant sync: {folder}: no readable session.json; skipped")
            status_code = 1
            continue
        if (project and meta["project"] != project) or (run_id and meta["run_id"] != run_id):
            continue
        seen += 1
        label = f"{meta['project']} run {meta['run_id']} ({os.path.basename(folder)})"
        lock = J.FileLock(os.path.join(folder, "sender.lock"))
        if not lock.try_acquire():
            say(f"sextant sync: {label}: its own process is uploading it; skipped")
            continue
        server = resolve_url(url or os.environ.get("SEXTANT_URL") or meta.get("url"))
        if server not in announced:  # where it sends, before any wait
            announced.add(server)
            say(f"sextant sync: sending to {server} ({_url_source(url)})")
        http = Http(server, resolve_token(token))
        up = Uploader(folder, meta, http, lambda m: say(f"sextant sync: {m}"),
                      notify=_RetryNotice(say, label, server, deadline))
        up.deadline = deadline
        writer_lock = os.path.join(folder, "writer.lock")
        try:
            alive = J.FileLock.is_held(writer_lock)
            result = up.run(writer_alive=lambda: J.FileLock.is_held(writer_lock))
            if result in (DONE, WAITING) and alive and not J.FileLock.is_held(writer_lock):
                # The writer exited while we read: take what it wrote last.
                alive = False
                result = up.run()
            if result in (DONE, WAITING):
                state = "still running; sent what it has logged so far" if alive else "complete"
                say(f"sextant sync: {label}: sent {up.records_sent} records "
                    f"({up.points_sent:,} points) to {server}; {state}")
                if not alive and not keep:
                    up.close()
                    remove_session(folder, root, levels=3)
            elif result == FATAL:
                say(f"sextant sync: {label}: {up.fatal}; kept in {folder}")
                status_code = 1
            else:
                say(f"sextant sync: {label}: gave up after {timeout:.0f}s "
                    f"({up.last_error}); {up.records_sent} records sent, the rest kept in {folder}")
                status_code = 1
        finally:
            up.close()
            http.close()
            lock.release()
    if seen == 0:
        say(f"sextant sync: nothing to upload in {os.path.abspath(root)}")
    return status_code


def main(argv: Optional[Sequence[str]] = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] in SERVER_COMMANDS:
        return run_server_command(args_in)
    p = argparse.ArgumentParser(
        prog="sextant", description="Sextant Python SDK tools.",
        epilog="The server's commands (" + ", ".join(SERVER_COMMANDS) + ") run the server "
               "binary: the first native `sextant` on PATH, or $SEXTANT_SERVER_BIN.")
    p.add_argument("--version", action="version", version=f"sextant-python {__version__}")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("sync", help="upload journals that the server has not acknowledged",
                       description="Uploads what runs journaled locally and the server has not "
                                   "acknowledged: offline runs, crashed processes, runs whose "
                                   "server was away. Safe to run again and while a run is going.")
    s.add_argument("--dir", default=None,
                   help=f"journal folder (default $SEXTANT_JOURNAL_DIR, else ./{DEFAULT_JOURNAL_DIR})")
    s.add_argument("--url", default=None,
                   help="server (default $SEXTANT_URL, else the URL the run was logged with)")
    s.add_argument("--token", default=None, help="API token (default $SEXTANT_API_TOKEN)")
    s.add_argument("--project", default=None, help="only this project")
    s.add_argument("--run-id", default=None, help="only this run")
    s.add_argument("--timeout", type=float, default=300.0,
                   help="give up retrying an unreachable server after this many seconds (default 300)")
    s.add_argument("--keep", action="store_true", help="keep journals after they are uploaded")
    s.add_argument("-q", "--quiet", action="store_true")
    from .transfer import _cli as transfer_cli
    transfer_cli.add_parsers(sub)
    args = p.parse_args(args_in)
    if args.command in ("import", "export"):
        return transfer_cli.run(args)
    if args.command != "sync":
        p.print_help(sys.stderr)
        return 2
    root = args.dir or os.environ.get("SEXTANT_JOURNAL_DIR") or DEFAULT_JOURNAL_DIR
    try:
        return sync(root, url=args.url, token=args.token, project=args.project, run_id=args.run_id,
                    timeout=args.timeout, keep=args.keep, quiet=args.quiet)
    except SextantError as e:
        _say(f"sextant sync: {e}")
        return 1
    except KeyboardInterrupt:
        return 130

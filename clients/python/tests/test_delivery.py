"""Delivery: nothing is lost and nothing arrives twice when the server goes
away, when the process is killed, or when a run is offline."""
from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import sextant
import sextant._run as run_mod
from sxt import dead_url, sessions, sub_env, sync


def read_points(client, proj, run_id, path):
    s = client.series(proj, run_id, path)[0]
    return s["steps"], s["values"]


def test_server_down_mid_run(make_server, run_factory, proj, journal):
    srv = make_server()
    run = run_factory(srv)
    n = 3000
    for s in range(n // 3):
        run.log_metrics({"loss": float(s), "acc": s / n}, step=s)
    assert run.flush(timeout=30)
    srv.stop()
    slowest = 0.0
    for s in range(n // 3, 2 * n // 3):
        t = time.perf_counter()
        run.log_metrics({"loss": float(s), "acc": s / n}, step=s)
        slowest = max(slowest, time.perf_counter() - t)
        if s % 100 == 0:
            time.sleep(0.02)  # a training step; the sender is retrying meanwhile
    assert not run.flush(timeout=0.5)  # cannot be acknowledged now
    assert slowest < 0.5, f"a logging call took {slowest:.3f}s while the server was down"
    srv.start()  # same data folder, same port
    for s in range(2 * n // 3, n):
        run.log_metrics({"loss": float(s), "acc": s / n}, step=s)
    assert run.close(timeout=60)
    c = sextant.Client(url=srv.url)
    steps, values = read_points(c, proj, run.run_id, "loss")
    assert steps == list(range(n)) and values == [float(s) for s in range(n)]
    attrs = c.attributes(proj, run.run_id)
    assert attrs["loss"]["count"] == n and attrs["acc"]["count"] == n
    assert c.run(proj, run.run_id)["state"] == "finished"
    assert sessions(journal) == []


def test_close_without_server_points_to_sync(run_factory, journal, server, proj, client, capfd):
    url = dead_url()
    run = run_factory(url=url, run_id="unsent")
    for s in range(100):
        run.log_metrics({"x": float(s)}, step=s)
    t = time.monotonic()
    assert run.close(timeout=1.5) is False
    assert time.monotonic() - t < 10
    err = capfd.readouterr().err
    assert "sextant sync" in err and "Nothing is lost" in err
    assert len(sessions(journal)) == 1
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    assert read_points(client, proj, "unsent", "x")[0] == list(range(100))
    assert client.run(proj, "unsent")["state"] == "finished"
    assert sessions(journal) == []


KILLED_SCRIPT = r"""
import sys, time, sextant
run = sextant.Run(project=sys.argv[1], run_id="killed", url=sys.argv[2], journal_dir=sys.argv[3],
                  capture_system_metrics=False, capture_source=False, flush_interval=0.05)
for step in range(5000):
    run.log_metrics({"loss": step * 0.5, "acc": step / 5000}, step=step)
run.log_string_series({"note": "all logged"}, step=4999)
run.log_configs({"lr": 0.1})
print("training done", flush=True)
time.sleep(1.0)         # the writer journals within flush_interval
print("LOGGED", flush=True)
time.sleep(600)
"""


def test_kill_9_then_sync(tmp_path, journal, server, proj, client):
    script = tmp_path / "train.py"
    script.write_text(KILLED_SCRIPT)
    p = subprocess.Popen([sys.executable, str(script), proj, dead_url(), str(journal)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=sub_env())
    try:
        lines = [p.stdout.readline().strip() for _ in range(2)]
        assert lines == ["training done", "LOGGED"], p.stderr.read() if p.poll() is not None else lines
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    assert "complete" in r.stderr
    steps, values = read_points(client, proj, "killed", "loss")
    assert steps == list(range(5000)) and values == [s * 0.5 for s in range(5000)]
    assert client.series(proj, "killed", "note")[0]["values"] == ["all logged"]
    assert client.attributes(proj, "killed")["lr"]["value"] == 0.1
    assert "training done" in client.series(proj, "killed", "monitoring/stdout")[0]["values"]
    assert sessions(journal) == []
    r = sync(journal, server.url)  # nothing left: still fine
    assert r.returncode == 0 and "nothing to upload" in r.stderr


def test_torn_tail_is_skipped(journal, server, proj, client):
    run = sextant.Run(project=proj, run_id="torn", mode="offline", journal_dir=str(journal),
                      capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
                      capture_source=False, capture_heartbeat=False)
    for s in range(100):
        run.log_metrics({"x": float(s)}, step=s)
    assert run.flush(timeout=10)
    folder = run.journal_path
    # Simulate a crash in the middle of the next record.
    seg = sorted(Path(folder).glob("*.seg"))[-1]
    with open(seg, "ab") as f:
        f.write(b"\x40\x00\x00\x00\x01\x02\x03\x04\x02partial")
    run._writer_lock.release()
    run._closed = True  # the process "died": no more writes
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    assert "cut-short" in r.stderr
    assert read_points(client, proj, "torn", "x")[0] == list(range(100))


def test_offline_then_sync_twice(journal, server, proj, client):
    run = sextant.Run(project=proj, run_id="off", mode="offline", url=dead_url(),
                      journal_dir=str(journal), capture_stdout=False, capture_stderr=False,
                      capture_system_metrics=False, capture_source=False, capture_heartbeat=False)
    for s in range(500):
        run.log_metrics({"x": float(s)}, step=s)
    assert run.flush(timeout=10)
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    assert "still running" in r.stderr
    assert read_points(client, proj, "off", "x")[0] == list(range(500))
    for s in range(500, 800):
        run.log_metrics({"x": float(s)}, step=s)
    run.log_configs({"phase": "two"})
    assert run.flush(timeout=10)
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    steps, values = read_points(client, proj, "off", "x")
    assert steps == list(range(800)) and values == [float(s) for s in range(800)]
    assert client.run(proj, "off")["state"] == "running"
    assert run.close() is True
    r = sync(journal, server.url)
    assert r.returncode == 0 and "complete" in r.stderr, r.stderr
    assert client.run(proj, "off")["state"] == "finished"
    assert client.attributes(proj, "off")["x"]["count"] == 800
    assert sessions(journal) == []


def test_console_script(journal, server, proj, client):
    exe = Path(sys.executable).parent / "sextant"
    if not exe.exists():
        pytest.skip("the package is not installed in this environment (pip install ./clients/python)")
    run = sextant.Run(project=proj, run_id="cli", mode="offline", journal_dir=str(journal),
                      capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
                      capture_source=False)
    run.log_metrics({"x": 1.0}, step=0)
    run.close()
    r = subprocess.run([str(exe), "sync", "--dir", str(journal), "--url", server.url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert read_points(client, proj, "cli", "x")[0] == [0]


def test_falling_behind_spills_to_journal(run_factory, proj, client, monkeypatch, capfd):
    monkeypatch.setattr(run_mod, "MAX_QUEUE", 500)
    monkeypatch.setattr(run_mod, "KICK_AT", 100)
    run = run_factory(run_id="behind", flush_interval=5.0)
    for s in range(5000):
        run.log_metrics({"x": float(s)}, step=s)
    err = capfd.readouterr().err
    assert err.count("outpacing") == 1 and "Nothing is dropped" in err
    assert run.close(timeout=30)
    assert read_points(client, proj, "behind", "x")[0] == list(range(5000))


def test_refused_parts_are_kept_and_the_rest_arrives(run_factory, proj, client, journal, capfd):
    first = run_factory(run_id="conflict")
    first.log_metrics({"x": 1.0}, step=0)
    first.close(timeout=30)
    second = run_factory(run_id="conflict", keep_journal=True)
    second.log_string_series({"x": "now text"}, step=1)  # the server knows x as floats: 409
    second.log_metrics({"y": 2.0}, step=1)
    second.close(timeout=30)
    assert read_points(client, proj, "conflict", "y")[1] == [2.0]
    assert read_points(client, proj, "conflict", "x")[1] == [1.0]
    err = capfd.readouterr().err
    assert "refused" in err
    lines = [json.loads(x) for x in open(Path(second.journal_path) / "rejected.jsonl")]
    assert lines[0]["status"] == 409 and lines[0]["body"]["series"][0]["path"] == "x"
    # The refused batch may have carried the finish with it: it still arrives.
    assert client.run(proj, "conflict")["state"] == "finished"


def test_binary_columns_are_split_when_a_batch_is_refused():
    from sextant._upload import split_batch
    vals, ts = [1.0, 2.0, 3.0], [5.0, 6.0, 7.0]
    s = {"path": "m", "steps": [0, 1, 2],
         "values_b64": base64.b64encode(struct.pack("<3d", *vals)).decode(),
         "timestamps_b64": base64.b64encode(struct.pack("<3d", *ts)).decode()}
    units = split_batch({"series": [s]})
    assert [u["series"][0]["steps"] for u in units] == [[0], [1, 2]]
    got = [struct.unpack(f"<{len(u['series'][0]['steps'])}d", base64.b64decode(u["series"][0][k]))
           for u in units for k in ("values_b64", "timestamps_b64")]
    assert got == [(1.0,), (5.0,), (2.0, 3.0), (6.0, 7.0)]
    bad = {"series": [dict(s, values_b64="not base64!")]}
    assert split_batch(bad) == [bad]  # cannot be split: refused whole


class _Stub(BaseHTTPRequestHandler):
    """A stand-in server: answers 503 to the first log requests, records
    every request (headers and decoded body)."""
    seen: list = []
    fail_logs = 2

    def log_message(self, *a):
        pass

    def _reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
        type(self).seen.append((self.path, dict(self.headers), json.loads(body or b"{}")))
        if self.path.endswith("/log") and type(self).fail_logs > 0:
            type(self).fail_logs -= 1
            return self._reply(503, {"error": {"code": "unavailable", "message": "busy"}})
        if self.path.endswith("/runs"):
            return self._reply(201, {"run_id": "x"})
        self._reply(200, {"points": 1, "configs": 0})


@pytest.mark.parametrize("remote", [True, False], ids=["remote-gzip", "loopback-plain"])
def test_retries_gzip_and_bearer_token(journal, proj, monkeypatch, remote):
    # Bodies are gzipped for a server on another host, sent plain to this one.
    monkeypatch.setattr(run_mod, "_is_loopback", lambda url: not remote)
    _Stub.seen, _Stub.fail_logs = [], 2
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        run = sextant.Run(project=proj, run_id="stub", url=url, token="s3cret",
                          journal_dir=str(journal), capture_stdout=False, capture_stderr=False,
                          capture_system_metrics=False, capture_source=False, capture_heartbeat=False)
        run.log_metrics({"x": 1.5}, step=3)
        assert run.close(timeout=30)
    finally:
        httpd.shutdown()
    logs = [(h, b) for p, h, b in _Stub.seen if p.endswith("/log")]
    assert len(logs) == 3  # two 503s, then success: the same body each time
    for h, b in logs:
        assert h["Authorization"] == "Bearer s3cret"
        assert h.get("Content-Encoding") == ("gzip" if remote else None)
        assert b["series"][0]["path"] == "x"
        assert base64.b64decode(b["series"][0]["values_b64"]) == struct.pack("<d", 1.5)
    assert _Stub.seen[0][0] == f"/api/v1/projects/{proj}/runs"
    assert _Stub.seen[0][2]["run_id"] == "stub"
    # The finish goes on its own, or with the last batch when it follows it
    # in the journal (one server commit instead of two).
    last_path, _, last_body = _Stub.seen[-1]
    assert (last_path.endswith("/finish") and last_body == {"state": "finished"}) or \
        (last_path.endswith("/log") and last_body["state"] == "finished")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_leaves_the_run_alone(run_factory, client, proj):
    run = run_factory(run_id="forked")
    run.log_metrics({"x": 1.0}, step=0)
    pid = os.fork()
    if pid == 0:  # a DataLoader-style worker
        code = 5
        try:
            run.log_metrics({"x": 99.0}, step=0)  # validated, not kept
            code = 0 if run.close(timeout=1) is False else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    run.log_metrics({"x": 2.0}, step=1)
    assert run.close(timeout=30)
    assert read_points(client, proj, "forked", "x") == ([0, 1], [1.0, 2.0])


def test_disk_full_journal_waits_in_memory(run_factory, proj, client, monkeypatch, capfd):
    import errno
    from sextant import _journal as J
    real = J.JournalWriter.append
    failures = {"left": 2}

    def flaky(self, rtype, payload):
        if rtype == J.LOG and failures["left"] > 0:
            failures["left"] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, rtype, payload)

    monkeypatch.setattr(J.JournalWriter, "append", flaky)
    run = run_factory(run_id="diskfull")
    for s in range(1000):
        run.log_metrics({"x": float(s)}, step=s)
    assert run.close(timeout=30)
    err = capfd.readouterr().err
    assert "No space left" in err and "writable again" in err
    assert read_points(client, proj, "diskfull", "x")[0] == list(range(1000))


class _Deny(_Stub):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply(401, {"error": {"code": "unauthenticated", "message": "bad token"}})


def test_refused_credentials_keep_the_journal(journal, proj, capfd):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Deny)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        run = sextant.Run(project=proj, run_id="denied", url=f"http://127.0.0.1:{httpd.server_address[1]}",
                          token="wrong", journal_dir=str(journal), capture_stdout=False,
                          capture_stderr=False, capture_system_metrics=False, capture_source=False,
                          capture_heartbeat=False)
        run.log_metrics({"x": 1.0}, step=0)
        assert run.close(timeout=5) is False
    finally:
        httpd.shutdown()
    err = capfd.readouterr().err
    assert "credentials" in err and "sextant sync" in err
    [folder] = sessions(journal)
    assert not (folder / "rejected.jsonl").exists()


def test_stalled_server_does_not_block(journal, proj, server, client, capfd):
    import socket
    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(16)  # connections are accepted by the kernel; nobody ever answers
    try:
        run = sextant.Run(project=proj, run_id="stalled", url=f"http://127.0.0.1:{stalled.getsockname()[1]}",
                          journal_dir=str(journal), capture_stdout=False, capture_stderr=False,
                          capture_system_metrics=False, capture_source=False, capture_heartbeat=False)
        t = time.perf_counter()
        for s in range(2000):
            run.log_metrics({"x": float(s)}, step=s)
        assert time.perf_counter() - t < 2.0
        t = time.monotonic()
        assert run.close(timeout=1.0) is False
        assert time.monotonic() - t < 8.0
    finally:
        stalled.close()
    assert "sextant sync" in capfd.readouterr().err
    r = sync(journal, server.url)
    assert r.returncode == 0, r.stderr
    assert read_points(client, proj, "stalled", "x")[0] == list(range(2000))


def test_close_right_after_start_waits_for_the_upload(run_factory, server, client, proj, journal):
    # close() can come before the sender thread has set itself up; it must
    # still wait for the upload and report success (it once said "the sender
    # stopped" and left the points in the journal).
    for i in range(40):
        run = run_factory(server, run_id=f"quick-{i}")
        run.log_metrics({"loss": float(i)}, step=0)
        assert run.close(timeout=60), f"run {i}: close() did not see its points acknowledged"
        assert client.attributes(proj, f"quick-{i}")["loss"]["count"] == 1
    assert sessions(journal) == []



def test_journal_parent_removed_while_a_run_starts(run_factory, server, client, proj, monkeypatch):
    # A run that finishes removes its empty journal folders; a run starting
    # at that moment in another thread of the process (a sweep driver running
    # trials in threads) sees its half-made path vanish. It must try again.
    real = os.makedirs
    calls = {"n": 0}

    def vanishing_parent(path, *a, **kw):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise FileNotFoundError(2, "No such file or directory", path)
        return real(path, *a, **kw)

    monkeypatch.setattr(run_mod.os, "makedirs", vanishing_parent)
    run = run_factory(server, run_id="raced")
    monkeypatch.setattr(run_mod.os, "makedirs", real)
    run.log_metrics({"loss": 1.0}, step=0)
    assert run.close(timeout=60)
    assert client.attributes(proj, "raced")["loss"]["count"] == 1

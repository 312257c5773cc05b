"""What the SDK says on stderr when the server is away or refuses a run:
promptly, once, with what to do, and never a foreign server's page."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sextant
from sxt import dead_url, sub_env

QUIET = dict(capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
             capture_heartbeat=False, capture_source=False)


def wait_for(capfd, needle, timeout=10.0):
    """stderr captured so far, once it contains `needle` (or the timeout passed)."""
    err = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        err += capfd.readouterr().err
        if needle in err:
            break
        time.sleep(0.05)
    return err


def test_an_unreachable_server_is_reported_once_while_logging(make_server, run_factory, capfd):
    # The run used to stay silent until close(), however long the server was away.
    srv = make_server()
    srv.stop()
    run = run_factory(srv)
    t = time.monotonic()
    run.log_metrics({"loss": 1.0}, step=0)
    err = wait_for(capfd, "cannot send to")
    assert time.monotonic() - t < 5, err
    assert f"cannot send to {srv.url}" in err
    assert "safe in the local journal" in err and run.journal_path in err
    for step in range(1, 30):  # the sender goes on retrying, quietly
        run.log_metrics({"loss": 1.0}, step=step)
        time.sleep(0.1)
    err += capfd.readouterr().err
    assert err.count("cannot send to") == 1, err
    srv.start()
    assert run.flush(timeout=60)
    err += wait_for(capfd, "answers again")
    assert err.count("answers again") == 1, err
    assert run.close(timeout=30)
    assert sextant.Client(url=srv.url).attributes(run.project, run.run_id)["loss"]["count"] == 30


def test_sync_says_where_it_sends_and_that_it_retries(journal, proj):
    # Without --url it retried the journal's server for up to 300 s, silent.
    url = dead_url()
    run = sextant.Run(project=proj, run_id="away", mode="offline", url=url, journal_dir=str(journal),
                      **QUIET)
    run.log_metrics({"x": 1.0}, step=0)
    run.close()
    p = subprocess.Popen([sys.executable, "-m", "sextant", "sync", "--dir", str(journal)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=sub_env())
    watchdog = threading.Timer(20, p.kill)
    watchdog.start()
    try:
        t = time.monotonic()
        first, second = p.stderr.readline(), p.stderr.readline()
        elapsed = time.monotonic() - t
    finally:
        watchdog.cancel()
        p.kill()
        p.wait()
        p.stderr.close()
    assert first == f"sextant sync: sending to {url} (the URL the run was logged with; " \
                    "--url URL to send elsewhere)\n"
    assert f"cannot send to {url}: no connection (" in second, second
    assert "Retrying for up to" in second and "Ctrl-C" in second and "--url URL" in second
    assert elapsed < 10, (elapsed, second)


def test_close_reports_a_refused_run_at_once(run_factory, proj, capfd):
    # It said "could not upload everything within 8s" after 0.0 s.
    run = run_factory(run_id="orphan", fork_run_id="no-such-parent", fork_step=5)
    run.log_metrics({"x": 1.0}, step=6)
    t = time.monotonic()
    assert run.close(timeout=8) is False
    assert time.monotonic() - t < 5
    err = capfd.readouterr().err
    assert "within 8s" not in err and "in 8s" not in err, err
    m = re.search(r"the server refused it after (\d+\.\d)s", err)
    assert m and float(m.group(1)) < 5, err
    assert "no-such-parent" in err and "HTTP 4" in err, err
    assert "Nothing is lost" in err and "sextant sync" in err


class _Foreign(BaseHTTPRequestHandler):
    """Another web service on the port the run was pointed at."""
    page = ("<!DOCTYPE html><html><head><title>Grafana</title><style>"
            + "body{margin:0}" * 400 + "</style></head><body>" + "<div>app</div>" * 400
            + "</body></html>").encode()

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)


def test_a_foreign_server_is_named_not_pasted(journal, proj, capfd):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        run = sextant.Run(project=proj, url=url, journal_dir=str(journal), **QUIET)
        run.log_metrics({"x": 1.0}, step=0)
        assert run.close(timeout=8) is False
    finally:
        httpd.shutdown()
    err = capfd.readouterr().err
    assert "<" not in err and "margin" not in err and len(err) < 1200, err
    assert "HTTP 404 http_error: an HTML page: Grafana" in err
    assert f"is {url} the right URL?" in err

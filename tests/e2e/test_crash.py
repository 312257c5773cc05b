"""Crash safety: what the server acknowledged survives kill -9 and SIGTERM;
every batch is applied entirely or not at all."""
from __future__ import annotations

import signal
import threading
import time

from sextant_e2e import Server, dumps

WRITERS = 8
BATCH = 50
PROJ = "e2e/crash"


def val(w: int, step: int, series: str) -> float:
    return (w * 1_000_000 + step) * (1.0 if series == "a" else -0.5)


def batch_body(w: int, b: int) -> dict:
    steps = list(range(b * BATCH, (b + 1) * BATCH))
    return {"series": [{"path": f"w{w}/{s}", "steps": steps, "values": [val(w, x, s) for x in steps]}
                       for s in ("a", "b")],
            "configs": {f"w{w}/last_batch": b}}


class Writers:
    """WRITERS threads each sending numbered batches to run `run_id` until
    stopped or the server goes away; `acked[w]` lists the batches that got 200."""

    def __init__(self, srv: Server, run_id: str, first_batch: int = 0):
        self.srv = srv
        self.run_id = run_id
        self.stop = threading.Event()
        self.acked = {w: [] for w in range(WRITERS)}
        self.sent = {w: [] for w in range(WRITERS)}
        self.bad = []  # unexpected statuses
        self.first = first_batch
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)]

    def _run(self, w: int) -> None:
        c = self.srv.client
        conn = c.connection(timeout=30)
        b = self.first
        try:
            while not self.stop.is_set():
                self.sent[w].append(b)
                try:
                    r = c.post(f"/projects/{PROJ}/runs/{self.run_id}/log", raw=dumps(batch_body(w, b)), conn=conn)
                except OSError:
                    return  # the server went away
                except Exception:  # http.client.RemoteDisconnected etc. are OSErrors; others too
                    return
                if r.status == 200:
                    self.acked[w].append(b)
                elif r.status == 503:
                    return  # shutting down: allowed
                else:
                    self.bad.append((w, b, r.status, r.body[:200]))
                    return
                b += 1
        finally:
            conn.close()

    def start(self) -> "Writers":
        for t in self.threads:
            t.start()
        return self

    def wait_acked(self, min_per_writer: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(v) >= min_per_writer for v in self.acked.values()):
                return
            time.sleep(0.01)
        raise AssertionError(f"writers too slow: {[len(v) for v in self.acked.values()]}")

    def join(self, timeout: float = 60.0) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
            assert not t.is_alive(), "writer hung"


def verify(srv: Server, run_id: str, writers_list: list[Writers]) -> int:
    """Every acknowledged batch present exactly once; every batch all-or-nothing."""
    c = srv.client
    acked = {w: set() for w in range(WRITERS)}
    sent = {w: set() for w in range(WRITERS)}
    for ws in writers_list:
        assert not ws.bad, ws.bad[:5]
        for w in range(WRITERS):
            acked[w] |= set(ws.acked[w])
            sent[w] |= set(ws.sent[w])
    total = 0
    for w in range(WRITERS):
        present = {}
        for s in ("a", "b"):
            got = c.read_all(PROJ, run_id, f"w{w}/{s}")
            assert len(got["steps"]) == len(set(got["steps"])), f"duplicate steps in w{w}/{s}"
            assert got["steps"] == sorted(got["steps"]), f"unsorted steps in w{w}/{s}"
            for st, v in zip(got["steps"], got["values"]):
                assert v == val(w, st, s), f"w{w}/{s} step {st}: {v} != {val(w, st, s)}"
            present[s] = set(got["steps"])
        assert present["a"] == present["b"], f"w{w}: a batch was applied to one series only"
        for b in sorted(sent[w] | {st // BATCH for st in present["a"]}):
            want = set(range(b * BATCH, (b + 1) * BATCH))
            have = want & present["a"]
            if b in acked[w]:
                assert have == want, f"w{w}: acknowledged batch {b} lost {len(want - have)} points"
            else:
                assert have in (set(), want), f"w{w}: batch {b} partly applied ({len(have)}/{BATCH})"
            assert b in sent[w] or not have, f"w{w}: batch {b} was never sent but is present"
        total += len(present["a"])
    return total


def test_kill9_mid_stream_keeps_acknowledged_batches(make_server):
    srv = make_server(name="kill9")
    srv.client.create_run(PROJ, "r")
    all_writers = []
    next_batch = 0
    for round_ in range(3):
        ws = Writers(srv, "r", first_batch=next_batch).start()
        ws.wait_acked(5 + 3 * round_)
        time.sleep(0.2)
        srv.kill()
        ws.join()
        all_writers.append(ws)
        next_batch = max(max(v, default=0) for v in ws.sent.values()) + 1
        srv.start()
        n = verify(srv, "r", all_writers)
        assert n >= WRITERS * (5 + 3 * round_) * BATCH
    # The run keeps working after recoveries: overwrite, read, downsample.
    c = srv.client
    c.log(PROJ, "r", {"series": [{"path": "w0/a", "steps": [0], "values": [val(0, 0, "a")]}]})
    r = c.series(PROJ, {"runs": ["r"], "path": "w0/a", "buckets": 3})
    assert sum(r.json["series"][0]["buckets"]["count"]) == len(c.read_all(PROJ, "r", "w0/a")["steps"])


def test_sigterm_while_writing_exits_cleanly(make_server):
    srv = make_server(name="term")
    srv.client.create_run(PROJ, "t")
    ws = Writers(srv, "t").start()
    ws.wait_acked(5)
    rc = srv.stop(signal.SIGTERM, timeout=30)
    ws.join()
    assert rc == 0, f"exit code {rc} on SIGTERM with active writers:\n{srv.log_tail()}"
    srv.start()
    verify(srv, "t", [ws])
    # SIGINT too
    ws2 = Writers(srv, "t", first_batch=max(max(v, default=0) for v in ws.sent.values()) + 1).start()
    ws2.wait_acked(3)
    rc = srv.stop(signal.SIGINT, timeout=30)
    ws2.join()
    assert rc == 0, f"exit code {rc} on SIGINT with active writers:\n{srv.log_tail()}"
    srv.start()
    verify(srv, "t", [ws, ws2])


def test_restart_preserves_everything(make_server):
    srv = make_server(name="restart")
    c = srv.client
    c.create_run("e2e/rs", "p", name="parent", experiment_name="exp", created_at=1763812345.5)
    c.log("e2e/rs", "p", {"configs": {"lr": 0.1, "tags_cfg": {"type": "string_set", "value": ["x"]}},
                          "series": [{"path": "m", "steps": [0, 1.5, "2.000001"], "values": [1.0, "NaN", -0.0]},
                                     {"path": "s", "type": "string", "steps": [0], "values": ["txt"]}],
                          "add_tags": ["keep"], "state": "finished"})
    c.post("/projects/e2e/rs/runs", {"run_id": "c", "fork_run_id": "p", "fork_step": 1})
    c.put("/projects/e2e/rs/runs/p/files/f", b"file content")
    before = {
        "run": c.get("/projects/e2e/rs/runs/p").json,
        "child": c.get("/projects/e2e/rs/runs/c").json,
        "attrs": c.attributes("e2e/rs", "p"),
        "m": c.series("e2e/rs", {"runs": ["p", "c"], "path": "m"}).body,
        "projects": [p for p in c.get("/projects").json["projects"] if p["project"] == "e2e/rs"],
    }
    srv.restart()
    after = {
        "run": c.get("/projects/e2e/rs/runs/p").json,
        "child": c.get("/projects/e2e/rs/runs/c").json,
        "attrs": c.attributes("e2e/rs", "p"),
        "m": c.series("e2e/rs", {"runs": ["p", "c"], "path": "m"}).body,
        "projects": [p for p in c.get("/projects").json["projects"] if p["project"] == "e2e/rs"],
    }
    assert after == before
    assert c.get("/projects/e2e/rs/runs/p/files/f").body == b"file content"

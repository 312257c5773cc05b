"""Many writers at once: every point lands exactly once with its value."""
from __future__ import annotations

import threading

from sextant_e2e import Client

THREADS = 16
PER_THREAD = 400   # points per thread and series
BATCH = 25


def value(step: int, salt: float = 0.0) -> float:
    return step * 1.5 + 0.25 + salt


def run_threads(fn, n: int = THREADS, timeout: float = 120.0) -> list:
    errors: list = []
    barrier = threading.Barrier(n)

    def wrap(i):
        try:
            barrier.wait(timeout=30)
            fn(i)
        except BaseException as e:  # noqa: BLE001
            errors.append((i, repr(e)))

    ts = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout)
        assert not t.is_alive(), "writer thread hung"
    return errors


def test_sixteen_threads_one_run(client: Client, proj):
    client.create_run(proj, "shared")

    def writer(t):
        conn = client.connection()
        try:
            steps = [t + THREADS * k for k in range(PER_THREAD)]
            for b in range(0, PER_THREAD, BATCH):
                part = steps[b:b + BATCH]
                body = {"series": [{"path": "m", "steps": part, "values": [value(s) for s in part]},
                                   {"path": f"own/t{t}", "steps": part, "values": [value(s, t) for s in part]}],
                        "configs": {f"cfg/t{t}": b, "cfg/shared": 1},
                        "add_tags": [f"t{t}"]}
                r = client.post(f"/projects/{proj}/runs/shared/log", body, conn=conn)
                assert r.status == 200, r
                assert r.json["points"] == 2 * len(part)
        finally:
            conn.close()

    errors = run_threads(writer)
    assert not errors, errors[:5]
    n = THREADS * PER_THREAD
    s = client.read_all(proj, "shared", "m")
    assert s["steps"] == list(range(n)), "missing or duplicate steps"
    assert s["values"] == [value(i) for i in range(n)]
    for t in range(THREADS):
        s = client.read_all(proj, "shared", f"own/t{t}")
        want = [t + THREADS * k for k in range(PER_THREAD)]
        assert s["steps"] == want, t
        assert s["values"] == [value(x, t) for x in want], t
    a = client.attributes(proj, "shared")
    assert a["m"]["count"] == n
    assert a["m"]["last_step"] == n - 1
    assert sorted(a["sys/tags"]["value"]) == sorted(f"t{t}" for t in range(THREADS)), "lost tag updates"
    for t in range(THREADS):
        assert a[f"cfg/t{t}"]["value"] == PER_THREAD - BATCH  # each thread's last batch


def test_sixteen_threads_sixteen_runs(client: Client, proj):
    for t in range(THREADS):
        client.create_run(proj, f"run{t}")

    def writer(t):
        conn = client.connection()
        try:
            # interleave steps: even batches first, then odd ones
            order = list(range(0, PER_THREAD, BATCH))
            order = order[::2] + order[1::2]
            for b in order:
                part = list(range(b, b + BATCH))
                body = {"series": [{"path": "m", "steps": part, "values": [value(s, t) for s in part]}]}
                r = client.post(f"/projects/{proj}/runs/run{t}/log", body, conn=conn)
                assert r.status == 200, r
        finally:
            conn.close()

    errors = run_threads(writer)
    assert not errors, errors[:5]
    body = {"runs": [f"run{t}" for t in range(THREADS)], "path": "m", "limit": PER_THREAD + 1}
    series = client.series(proj, body).json["series"]
    assert [s["run_id"] for s in series] == body["runs"]
    for t, s in enumerate(series):
        assert s["steps"] == list(range(PER_THREAD)), t
        assert s["values"] == [value(x, t) for x in range(PER_THREAD)], t
        assert s["next_after_step"] is None


def test_concurrent_create_same_run(client: Client, proj):
    statuses = []
    lock = threading.Lock()

    def creator(t):
        r = client.post(f"/projects/{proj}/runs", {"run_id": "same", "name": "n"})
        with lock:
            statuses.append(r.status)

    errors = run_threads(creator)
    assert not errors, errors
    assert sorted(statuses) == [200] * (THREADS - 1) + [201], statuses
    r = client.get("/projects")
    p = [x for x in r.json["projects"] if x["project"] == proj]
    assert p and p[0]["runs"] == 1


def test_concurrent_readers_and_writers(client: Client, proj):
    client.create_run(proj, "rw")
    client.log(proj, "rw", {"series": [{"path": "m", "steps": list(range(1000)),
                                        "values": [value(i) for i in range(1000)]}]})

    def worker(t):
        conn = client.connection()
        try:
            for k in range(20):
                if t % 2:
                    step = 1000 + t * 100 + k
                    r = client.post(f"/projects/{proj}/runs/rw/log",
                                    {"series": [{"path": "m", "steps": [step], "values": [value(step)]}]},
                                    conn=conn)
                    assert r.status == 200, r
                else:
                    r = client.post(f"/projects/{proj}/series",
                                    {"runs": ["rw"], "path": "m", "step_range": [0, 999]}, conn=conn)
                    assert r.status == 200, r
                    s = r.json["series"][0]
                    assert s["steps"] == list(range(1000))
                    r = client.post(f"/projects/{proj}/series",
                                    {"runs": ["rw"], "path": "m", "buckets": 10, "step_range": [0, 1000]},
                                    conn=conn)
                    assert r.status == 200, r
                    assert sum(r.json["series"][0]["buckets"]["count"]) == 1000
        finally:
            conn.close()

    errors = run_threads(worker)
    assert not errors, errors[:5]
    s = client.read_all(proj, "rw", "m")
    want = sorted(list(range(1000)) + [1000 + t * 100 + k for t in range(1, THREADS, 2) for k in range(20)])
    assert s["steps"] == want
    assert s["values"] == [value(x) for x in want]


def test_connection_burst_of_64_clients(client: Client, proj):
    """64 training processes connecting at the same instant (e.g. after a
    barrier): every request is answered, none is reset, every point stored."""
    client.create_run(proj, "burst")
    clients = 64
    rounds = 5
    for rnd in range(rounds):
        def writer(t, rnd=rnd):
            step = rnd * clients + t
            r = client.post(f"/projects/{proj}/runs/burst/log",
                            {"series": [{"path": "m", "steps": [step], "values": [value(step)]}]})
            assert r.status == 200, r

        errors = run_threads(writer, n=clients, timeout=60)
        assert not errors, f"round {rnd}: {len(errors)} of {clients} requests failed: {errors[:3]}"
    s = client.read_all(proj, "burst", "m")
    assert s["steps"] == list(range(rounds * clients))
    assert s["values"] == [value(i) for i in range(rounds * clients)]


def test_bodies_beyond_the_memory_bound_wait_and_all_land(make_server):
    # A 1 MiB bound on bodies held at once: 12 writers sending ~0.5 MB
    # bodies are admitted a couple at a time, the others wait unread; a 3 MB
    # body, over the bound, goes when it is alone. Nothing is refused or lost.
    srv = make_server(["--body-memory-mb", "1"], name="budget")
    c = srv.client
    proj = "e2e/body_budget"
    c.create_run(proj, "r")
    n_writers, batches, steps_per = 12, 4, 20_000

    def writer(t):
        conn = c.connection()
        try:
            for b in range(batches):
                first = (t * batches + b) * steps_per
                part = list(range(first, first + steps_per))
                body = {"series": [{"path": "m", "steps": part, "values": [value(s) for s in part]}]}
                r = c.post(f"/projects/{proj}/runs/r/log", body, conn=conn)
                assert r.status == 200, r
                assert r.json["points"] == steps_per
        finally:
            conn.close()

    def big(_):
        base = n_writers * batches * steps_per
        part = list(range(base, base + 120_000))
        r = c.post(f"/projects/{proj}/runs/r/log",
                   {"series": [{"path": "m", "steps": part, "values": [value(s) for s in part]}]})
        assert r.status == 200, r

    errors = run_threads(lambda i: big(i) if i == n_writers else writer(i), n=n_writers + 1)
    assert not errors, errors[:5]
    total = n_writers * batches * steps_per + 120_000
    s = c.read_all(proj, "r", "m")
    assert s["steps"] == list(range(total)), "missing or duplicate steps"
    assert s["values"] == [value(x) for x in range(total)]
    assert srv.alive(), srv.log_tail()

"""The compiled accelerator (sextant._accel) against the pure-Python path:
the same calls write byte-identical journals, refuse the same values with
the same messages, and a journal written by either is uploaded by the other.

Skipped where the accelerator was not built. The rest of the suite runs on
whichever path is active; SEXTANT_PURE_PYTHON=1 forces the pure one.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
from array import array

import pytest

import sextant
from sextant import _fast
from sextant import _journal as J
from sxt import dead_url, run_py, sync

try:
    import sextant._accel  # noqa: F401
except ImportError:
    # The test command builds it (an editable install) and sets this, so
    # that a broken build fails here instead of skipping quietly.
    if os.environ.get("SEXTANT_REQUIRE_ACCEL") == "1":
        raise
    pytest.skip("the accelerator is not built here", allow_module_level=True)
ACCEL = __import__("sextant._accel", fromlist=["MetricBuffer"]).MetricBuffer

QUIET = dict(capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
             capture_heartbeat=False, capture_source=False)


@pytest.fixture
def on_path(monkeypatch):
    def use(path: str) -> None:
        monkeypatch.setattr(_fast, "MetricBuffer", ACCEL if path == "accel" else None)
    return use


def journal_of(tmp_path, path, on_path, calls, name="r"):
    """The records (but the create record's clock) a run in offline mode
    journals for `calls(run)`. The writer sleeps (flush_interval) so that
    everything is batched at close() on both paths alike."""
    on_path(path)
    run = sextant.Run(project="py/accel", run_id=name, mode="offline", journal_dir=str(tmp_path / path),
                      flush_interval=3600, **QUIET)
    assert (run._acc is not None) == (path == "accel")
    calls(run)
    run.close()
    out = []
    for rec in J.iter_all(run.journal_path):
        payload = rec.payload
        if rec.type == J.CREATE:
            body = json.loads(payload)
            body.pop("created_at")
            payload = json.dumps(body).encode()
        out.append((rec.type, payload))
    return out


def both(tmp_path, on_path, calls):
    acc = journal_of(tmp_path, "accel", on_path, calls)
    pure = journal_of(tmp_path, "pure", on_path, calls)
    assert acc == pure
    assert [t for t, _ in acc][-1] == J.FINISH
    return acc


def decode(records):
    """{path: [(step, value, ts)]} from the log records of a journal."""
    out = {}
    for t, payload in records:
        if t != J.LOG:
            continue
        _, body = J.split_log_payload(payload)
        for s in json.loads(body).get("series", []):
            if "values_b64" in s:
                vals = array("d", base64.b64decode(s["values_b64"]))
                ts = array("d", base64.b64decode(s["timestamps_b64"]))
            else:
                vals, ts = s["values"], [None] * len(s["steps"])
            out.setdefault(s["path"], []).extend(zip(s["steps"], vals, ts))
    return out


def same(a, b):
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_identical_journals_for_every_kind_of_value(tmp_path, on_path):
    def calls(run):
        for i in range(300):
            run.log_metrics({"loss": 1.0 / (i + 1), "acc": i, "flag": i % 2 == 0}, step=i,
                            timestamp=1.7e9 + i / 8)
        run.log_metrics({"loss": math.nan, "acc": math.inf, "flag": -math.inf}, step=300, timestamp=1.7e9)
        run.log_metrics({"loss": 2 ** 62, "acc": -(2 ** 70), "flag": True}, timestamp=1.7e9)  # auto step 301
        run.log_metrics({"损失/ü": 1.5, 'q"uote\\slash': -0.0, "emoji/🚀": 5e-324}, step=400.5, timestamp=0)
        run.log_metrics({"损失/ü": 2.5, 'q"uote\\slash': 1e308, "emoji/🚀": 1.0}, timestamp=253402300799)
        run.log_metrics({"loss": 0.5, "acc": 1.0, "flag": False}, step=0.1 + 0.2 + 500, timestamp=1.0)
        run.log_metrics({"loss": 0.25, "acc": 2.0, "flag": 0},
                        timestamp=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
        run.log_string_series({"note": "ünïcode ✓"}, timestamp=2.0)
        run.log_configs({"lr": 3e-4, "big": 2 ** 62, "nan": math.nan, "name": "ü"})
        run.log_metrics({"acc": 7, "loss": 8.0, "flag": 1.0}, timestamp=3.0)  # same keys, other order
        run.log_metrics({}, step=10 ** 6)  # nothing, not even the step
        run.log_metrics({"loss": 9.0}, timestamp=4.0)  # a path in two key sets: merged in call order
        run.add_tags(["a", "ü"])
    recs = both(tmp_path, on_path, calls)
    pts = decode(recs)
    assert [p[0] for p in pts["loss"]][:3] == [0, 1, 2]
    # 502.3 went to the string series; the last two are from other key sets
    assert [p[0] for p in pts["loss"]][-7:] == [299, 300, 301, 500.3, 501.3, 503.3, 504.3]
    assert pts["acc"][301][1] == float(-(2 ** 70))
    assert [p[0] for p in pts["损失/ü"]] == [400.5, 401.5]
    assert pts["emoji/🚀"][0][1] == 5e-324 and pts["emoji/🚀"][1][2] == 253402300799
    assert pts["note"][0][1] == "ünïcode ✓"


def test_identical_journals_with_alternating_key_sets(tmp_path, on_path):
    def calls(run):
        for i in range(600):
            run.log_metrics({"train/loss": float(i)}, step=i, timestamp=1.0 + i)
            if i % 7 == 0:
                run.log_metrics({"eval/loss": float(i), "eval/acc": i / 600}, step=i, timestamp=1.0 + i)
            if i % 50 == 0:
                run.log_metrics({"train/loss": -1.0, "lr": 0.1}, step=i + 0.5, timestamp=2.0 + i)
    pts = decode(both(tmp_path, on_path, calls))
    steps = [p[0] for p in pts["train/loss"]]
    assert len(steps) == 612 and steps[:3] == [0, 0.5, 1]


@pytest.mark.parametrize("data, kw", [
    ({"m": "1.5"}, {}),
    ({"m": None}, {}),
    ({"m": 10 ** 400}, {}),
    ({"m": 1.0}, {"step": math.nan}),
    ({"m": 1.0}, {"step": 9e12}),
    ({"m": 1.0}, {"step": 10 ** 13}),
    ({"m": 1.0}, {"step": True}),
    ({"m": 1.0}, {"step": 1e-7}),
    ({"m": 1.0}, {"timestamp": -1.0}),
    ({"m": 1.0}, {"timestamp": math.inf}),
    ({"m": 1.0}, {"timestamp": "now"}),
    ({"sys/x": 1.0}, {}),
    ({"a//b": 1.0}, {}),
    ({"\ud800": 1.0}, {}),
    ({5: 1.0}, {}),
    ({"note": 1.0}, {}),   # a string series already
    ([("m", 1.0)], {}),
])
def test_validation_errors_are_identical(tmp_path, on_path, data, kw):
    def calls(run):
        run.log_string_series({"note": "x"}, step=0, timestamp=1.0)
        for i in range(3):  # the accelerator's own path first
            run.log_metrics({"m": float(i)}, timestamp=1.0)
        with pytest.raises(sextant.SextantError) as e:
            run.log_metrics(data, **kw)
        seen.append((type(e.value), str(e.value)))
        run.log_metrics({"m": 9.0}, timestamp=2.0)  # after the refusal: the step goes on as before
    seen = []
    both(tmp_path, on_path, calls)
    assert seen[0] == seen[1]


def test_closed_and_forked_runs(tmp_path, on_path):
    on_path("accel")
    run = sextant.Run(project="py/accel", run_id="c", mode="offline", journal_dir=str(tmp_path), **QUIET)
    run.log_metrics({"m": 1.0})
    run.close()
    with pytest.raises(sextant.RunClosedError):
        run.log_metrics({"m": 1.0})
    # A forked child validates and keeps nothing; the parent's journal has its own calls only.
    run = sextant.Run(project="py/accel", run_id="f", mode="offline", journal_dir=str(tmp_path), **QUIET)
    run.log_metrics({"m": 1.0}, step=0)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            run.log_metrics({"m": 2.0}, step=1)
            ok = len(run._acc) == 0
            try:
                run.log_metrics({"m": "bad"}, step=2)
                ok = False
            except sextant.ValidationError:
                pass
        finally:
            os._exit(0 if ok else 1)
    assert os.waitpid(pid, 0)[1] == 0
    run.log_metrics({"m": 3.0}, step=5)
    run.close()
    pts = decode([(r.type, r.payload) for r in J.iter_all(run.journal_path)])
    assert [p[:2] for p in pts["m"]] == [(0, 1.0), (5, 3.0)]


def test_many_calls_keep_every_point(tmp_path, on_path):
    """Past the writer's wake-up and the MAX_QUEUE threshold, batches differ
    with timing, but every point is journaled once, in order."""
    n = 30_000

    def calls(run):
        for i in range(n):
            run.log_metrics({"a": float(i), "b": i * 0.5}, step=i, timestamp=1.0 + i)
    for path in ("accel", "pure"):
        on_path(path)
        run = sextant.Run(project="py/accel", run_id=f"n-{path}", mode="offline",
                          journal_dir=str(tmp_path / path), **QUIET)
        calls(run)
        run.close()
        pts = decode([(r.type, r.payload) for r in J.iter_all(run.journal_path)])
        assert [p[0] for p in pts["a"]] == list(range(n))
        assert [p[1] for p in pts["b"]] == [i * 0.5 for i in range(n)]
        assert [p[2] for p in pts["b"]] == [1.0 + i for i in range(n)]


LOGGER = """
import sextant
run = sextant.Run(project={proj!r}, run_id="x", mode="offline", url={url!r}, journal_dir={journal!r},
                  capture_stdout=False, capture_stderr=False, capture_system_metrics=False,
                  capture_source=False, capture_heartbeat=False)
assert sextant.accelerated() == {accel}
for s in range(2500):
    run.log_metrics({{"x": s / 4, "y": float(s)}}, step=s)
run.log_metrics({{"x": float("nan"), "y": float("inf")}}, step=2500)
run.close()
"""


@pytest.mark.parametrize("writer, sender", [("accel", "pure"), ("pure", "accel")])
def test_a_journal_written_by_one_path_is_sent_by_the_other(journal, server, proj, client, writer, sender):
    env = {"SEXTANT_PURE_PYTHON": "1" if writer == "pure" else "0"}
    r = run_py(LOGGER.format(proj=proj, url=dead_url(), journal=str(journal), accel=writer == "accel"), **env)
    assert r.returncode == 0, r.stderr
    env = {"SEXTANT_PURE_PYTHON": "1" if sender == "pure" else "0"}
    r = sync(journal, server.url, env=env)
    assert r.returncode == 0, r.stderr
    s = client.series(proj, "x", "x")[0]
    assert s["steps"] == list(range(2501))
    assert s["values"][:2500] == [i / 4 for i in range(2500)]
    y = client.series(proj, "x", "y")[0]["values"]
    assert y[:2500] == [float(i) for i in range(2500)] and len(y) == 2501
    assert client.run(proj, "x")["state"] == "finished"


def test_pure_python_is_forced_by_the_environment(journal):
    code = ("import sextant; r = sextant.Run(project='py/a', mode='offline', journal_dir={j!r}); "
            "print(sextant.accelerated(), r._acc is None); r.close()").format(j=str(journal))
    assert run_py(code, SEXTANT_PURE_PYTHON="1").stdout.split() == ["False", "True"]
    assert run_py(code, SEXTANT_PURE_PYTHON="0").stdout.split() == ["True", "False"]


@pytest.mark.parametrize("compiler", ["cc", "false"])
def test_the_build_falls_back_without_a_compiler(tmp_path, compiler):
    """setup.py builds the extension when it can, and never fails the install."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    src = Path(__file__).resolve().parents[1]
    env = dict(os.environ, CC=compiler, LDSHARED=f"{compiler} -shared")
    env.pop("SEXTANT_PURE_PYTHON", None)
    if compiler != "false" and shutil.which(compiler) is None:
        pytest.skip("no C compiler here")
    r = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(tmp_path / "lib"),
                        "--build-temp", str(tmp_path / "tmp")], cwd=src, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    built = list((tmp_path / "lib").rglob("_accel*"))
    if compiler == "false":
        assert not built and "not building the optional accelerator" in r.stderr
    else:
        assert built, r.stderr


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 100, 4097])
def test_buffer_encodes_as_the_python_encoder(n):
    """Every length of the base64 tail, steps as json.dumps, call order kept."""
    import random
    import struct
    from sextant import _encode as E
    rnd = random.Random(n)
    buf = ACCEL(10 ** 9, -9e12, 9e12)
    rows = [(rnd.random() * 1e6 - 5e5, struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
            for _ in range(n)]
    steps = [i if i % 3 else i + 0.25 for i in range(n)]
    ts = [1.7e9 + rnd.random() for _ in range(n)]
    for r, s, t in zip(rows, steps, ts):
        assert buf.append(("a", "b"), r, s, t) is False
    assert len(buf) == n
    [(keys, got_n, steps_json, ts_b64, cols, seq)] = buf.take()
    assert len(buf) == 0 and buf.take() == []
    assert keys == ("a", "b") and got_n == n
    assert steps_json == json.dumps(steps).encode()
    assert ts_b64 == E.b64_floats(ts)
    assert cols == [E.b64_floats([r[0] for r in rows]), E.b64_floats([r[1] for r in rows])]
    assert array("q", seq).tolist() == list(range(n))

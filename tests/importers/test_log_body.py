"""The importers' log requests in the binary form (docs/format/log-batch.md).

- The body a RunWriter builds, read back by a parser written here from the
  spec (not the writer's code): float series as columns (whole steps, step
  ranges, micro-steps for fractional steps, NaN/±Inf, with and without
  timestamps), everything else in the JSON part, the batching limits.
- An import through the binary form stores exactly what one through the
  JSON form (SEXTANT_LOG_BODY=json) stores: the two exports are the same
  bytes. A recording proxy in front of each server checks which form went.
- A server that answers 415 to the binary media type (one older than the
  form) gets the same batch again as JSON, and JSON from then on.
"""
from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import math
import struct
import threading
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from sxt import Server

from conftest import TOKEN
from test_export_roundtrip import assert_same_data, seed
from test_export_stream import download
from test_neptune_export import row, write_run

from sextant._http import Http, Response
from sextant.transfer import _writer
from sextant.transfer._report import Report
from sextant.transfer._writer import (LOG_BATCH_TYPE, MAX_BYTES_PER_REQUEST, MAX_POINTS_PER_REQUEST,
                                      RunWriter)

# -- an independent reader of the binary form ---------------------------------


def parse_log_batch(body: bytes) -> Tuple[Optional[dict], List[Dict[str, Any]]]:
    """(JSON part or None, binary series) of a binary log batch. Steps come
    back as Decimals, timestamps as float seconds (None: kind 0), values as
    the float64 bit patterns (bytes of 8), so NaN compares too."""
    assert body[:4] == b"SXLB" and body[4] == 1 and body[5:8] == b"\0\0\0", body[:8]
    pos = 8
    (jlen,) = struct.unpack_from("<I", body, pos)
    pos += 4
    meta = json.loads(body[pos:pos + jlen]) if jlen else None
    pos += jlen
    (count,) = struct.unpack_from("<I", body, pos)
    pos += 4
    out = []
    for _ in range(count):
        (plen,) = struct.unpack_from("<H", body, pos)
        pos += 2
        path = body[pos:pos + plen].decode("utf-8")
        pos += plen
        sk, tk, vk, zero, n = struct.unpack_from("<BBBBI", body, pos)
        pos += 8
        assert zero == 0 and n >= 1
        if sk == 1:
            steps = [Decimal(s) for s in struct.unpack_from(f"<{n}q", body, pos)]
            pos += 8 * n
        elif sk == 2:
            steps = [Decimal(m).scaleb(-6) for m in struct.unpack_from(f"<{n}q", body, pos)]
            pos += 8 * n
        elif sk == 3:
            first, stride = struct.unpack_from("<qq", body, pos)
            assert stride >= 1
            steps = [Decimal(first + i * stride) for i in range(n)]
            pos += 16
        else:
            raise AssertionError(f"step kind {sk}")
        if tk == 0:
            ts = None
        elif tk == 1:
            ts = [u / 1e6 for u in struct.unpack_from(f"<{n}q", body, pos)]
            pos += 8 * n
        elif tk == 2:
            ts = list(struct.unpack_from(f"<{n}d", body, pos))
            pos += 8 * n
        elif tk == 3:
            first, stride = struct.unpack_from("<qq", body, pos)
            ts = [(first + i * stride) / 1e6 for i in range(n)]
            pos += 16
        else:
            raise AssertionError(f"timestamp kind {tk}")
        if vk == 1:
            values = [body[pos + 8 * i:pos + 8 * i + 8] for i in range(n)]
            pos += 8 * n
        elif vk == 2:
            values = [struct.pack("<d", v) for v in struct.unpack_from(f"<{n}f", body, pos)]
            pos += 4 * n
        else:
            raise AssertionError(f"value kind {vk}")
        out.append({"path": path, "kinds": (sk, tk, vk), "steps": steps, "ts": ts, "values": values})
    assert pos == len(body), f"{len(body) - pos} bytes after the last series"
    return meta, out


def bits(values) -> List[bytes]:
    return [struct.pack("<d", float(v)) for v in values]


def json_series(s: dict) -> dict:
    """A JSON-form float series (values_b64) in the parser's terms."""
    n = len(s["steps"])
    raw = base64.b64decode(s["values_b64"])
    ts = s.get("timestamps_b64")
    return {"path": s["path"], "steps": [Decimal(str(x)) for x in s["steps"]],
            "ts": None if ts is None else list(struct.unpack(f"<{n}d", base64.b64decode(ts))),
            "values": [raw[8 * i:8 * i + 8] for i in range(n)]}


class Capture:
    """Stands in for Http: keeps what the writer sends, answers 200."""

    url = "http://capture.invalid"

    def __init__(self):
        self.sent: List[Tuple[str, Any]] = []  # (content type, body)

    def request(self, method, path, body=None, headers=None, stream_to=None):
        assert method == "POST" and path.endswith("/log")
        self.sent.append((headers["Content-Type"], body))
        return Response(200, http.client.HTTPMessage(), b'{"points": 0}')

    def json(self, method, path, obj=None, ok=(200, 201)):
        assert method == "POST" and path.endswith("/log")
        self.sent.append(("application/json", obj))
        return {}


def writer(cap, log_body="binary") -> RunWriter:
    return RunWriter(cap, "ws/p", "r1", Report(quiet=True), log_body=log_body)


# -- the body, decoded --------------------------------------------------------

def test_body_decodes_to_the_same_columns():
    cap = Capture()
    w = writer(cap)
    vals = np.array([1.5, math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e308, 0.1])
    # Whole consecutive steps with timestamps (numpy values): a step range.
    ts = 1763812345.0 + np.arange(8) * 0.25
    w.points("train/loss", list(range(100, 108)), vals, ts, steps_exact=True)
    # Whole steps, not evenly spaced: an int64 column; no timestamps.
    w.points("eval/acc", [5, 3, 3, 10, -7], [0.5, 0.25, float("nan"), 1, 2], None)
    # Stride 3 (numpy steps) and float32 values widened exactly.
    w.points("lr", np.arange(0, 30, 3, dtype=np.int64), np.float32([0.1] * 10), None)
    # Fractional steps, as the importers give them (decimal text, ints), and floats.
    w.points("frac", ["0.5", 1, "1.000001", "-2.25", "8999999999999.999999"],
             ["NaN", "Infinity", "-Infinity", 2, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0], steps_exact=True)
    w.points("floatsteps", [0.1, 2.0, Decimal("3.5"), 1e-6], [1.0, 2.0, 3.0, 4.0])
    # A step the binary form cannot carry (7 fractional digits): the JSON form
    # in the JSON part, for the server to judge as it judges JSON.
    w.points("toofine", ["0.0000001"], [1.0], None, steps_exact=True)
    w.points("text", [1, 2], ["a", "b"], None, kind="string")
    w.points("h", [0], [{"edges": [0, 1], "counts": [3]}], [1763812345.5], kind="histogram")
    w.config("lr0", 0.001)
    w.tags(["b", "a", "b"])
    w.flush()
    assert len(cap.sent) == 1 and cap.sent[0][0] == LOG_BATCH_TYPE
    meta, series = parse_log_batch(cap.sent[0][1])

    assert meta["configs"] == {"lr0": {"type": "float", "value": 0.001}}
    assert meta["add_tags"] == ["a", "b"]
    assert [s["path"] for s in meta["series"]] == ["toofine", "text", "h"]
    assert meta["series"][0]["steps"] == ["0.0000001"]
    assert meta["series"][1] == {"path": "text", "steps": [1, 2], "type": "string", "values": ["a", "b"]}
    assert meta["series"][2]["timestamps"] == [1763812345.5]

    by = {s["path"]: s for s in series}
    assert list(by) == ["train/loss", "eval/acc", "lr", "frac", "floatsteps"]
    s = by["train/loss"]
    assert s["kinds"] == (3, 2, 1)
    assert s["steps"] == [Decimal(i) for i in range(100, 108)]
    assert s["values"] == bits(vals) and s["ts"] == ts.tolist()
    s = by["eval/acc"]
    assert s["kinds"] == (1, 0, 1) and s["ts"] is None
    assert s["steps"] == [Decimal(x) for x in (5, 3, 3, 10, -7)]
    assert s["values"] == bits([0.5, 0.25, math.nan, 1, 2])
    s = by["lr"]
    assert s["kinds"] == (3, 0, 1) and s["steps"] == [Decimal(i) for i in range(0, 30, 3)]
    assert s["values"] == bits(np.float32([0.1] * 10).astype("float64"))
    s = by["frac"]
    assert s["kinds"] == (2, 2, 1)
    assert s["steps"] == [Decimal(x) for x in ("0.5", "1", "1.000001", "-2.25", "8999999999999.999999")]
    assert s["values"] == bits([math.nan, math.inf, -math.inf, 2, 3])
    assert s["ts"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    s = by["floatsteps"]
    assert s["kinds"][0] == 2 and s["steps"] == [Decimal(x) for x in ("0.1", "2", "3.5", "0.000001")]


def test_json_form_of_a_binary_batch_is_the_json_writers():
    """What a writer resends as JSON after a 415 is what a JSON writer sends."""
    def fill(w):
        w.points("a", list(range(10)), np.linspace(0, 1, 10), 1.7e9 + np.arange(10.0), steps_exact=True)
        w.points("b", [3, 1, 2], [1.0, math.nan, 3.0])
        w.points("c", ["0.5", 1, "-2.25"], [1.0, 2.0, 3.0], None, steps_exact=True)
        w.points("d", np.array([7, 9, 8], dtype=np.int32), np.float32([1, 2, 3]), None, steps_exact=True)
        w.points("s", [1], ["x"], None, kind="string")
        w.config("k", "v")
    b, j = writer(Capture()), writer(Capture(), "json")
    fill(b)
    fill(j)
    assert b.log_body == "binary" and j.log_body == "json"
    jb, jj = b.json_body(), j.json_body()
    assert jb["configs"] == jj["configs"]
    assert sorted(jb["series"], key=lambda s: s["path"]) == sorted(jj["series"], key=lambda s: s["path"])


@pytest.mark.parametrize("log_body", ["binary", "json"])
def test_fork_filter_on_numpy_steps(log_body):
    """Points at or before the fork step are dropped from numpy step columns
    as from lists (the Parquet readers pass whole steps as numpy int64)."""
    w = writer(Capture(), log_body)
    w.fork_step = Decimal("2.5")
    w.points("m", np.arange(6), np.arange(6) * 1.5, 1.7e9 + np.arange(6.0), steps_exact=True)
    w.points("n", np.arange(-1, 5), [0.0, 1, 2, 3, 4, 5], [1.7e9 + i for i in range(6)], steps_exact=True)
    w.points("o", np.arange(6), np.zeros(6), None, steps_exact=True)
    assert w.inherited_dropped == 3 + 4 + 3
    m, n, o = (json_series(x) for x in w.json_body()["series"])
    assert m == {"path": "m", "steps": [3, 4, 5], "values": bits([4.5, 6.0, 7.5]),
                 "ts": [1.7e9 + 3, 1.7e9 + 4, 1.7e9 + 5]}
    assert n == {"path": "n", "steps": [3, 4], "values": bits([4, 5]), "ts": [1.7e9 + 4, 1.7e9 + 5]}
    assert o["steps"] == [3, 4, 5] and o["ts"] is None


def test_json_switch_sends_the_json_form(monkeypatch):
    monkeypatch.setenv("SEXTANT_LOG_BODY", "json")
    cap = Capture()
    w = RunWriter(cap, "ws/p", "r1", Report(quiet=True))
    assert w.log_body == "json"
    w.points("m", [0, 1], [1.0, 2.0])
    w.flush()
    assert [t for t, _ in cap.sent] == ["application/json"]
    assert cap.sent[0][1]["series"][0]["steps"] == [0, 1]
    monkeypatch.setenv("SEXTANT_LOG_BODY", "xml")
    with pytest.raises(ValueError, match="SEXTANT_LOG_BODY"):
        RunWriter(cap, "ws/p", "r1", Report(quiet=True))


def test_only_configs_go_as_json():
    cap = Capture()
    w = writer(cap)
    w.config("a", 1)
    w.points("s", [1], ["x"], None, kind="string")
    w.flush()
    assert [t for t, _ in cap.sent] == ["application/json"]


def test_batching_limits_hold_in_binary():
    cap = Capture()
    w = writer(cap)
    n = 600_000
    w.points("m", np.arange(n) * 2, np.random.default_rng(1).random(n), None)
    w.points("t", np.arange(n)[::-1].copy(), np.zeros(n), 1.7e9 + np.zeros(n))
    w.flush()
    assert w.points_written == 2 * n
    total = {"m": [], "t": []}
    for ctype, body in cap.sent:
        assert ctype == LOG_BATCH_TYPE and len(body) <= MAX_BYTES_PER_REQUEST
        _, series = parse_log_batch(body)
        assert sum(len(s["steps"]) for s in series) <= MAX_POINTS_PER_REQUEST
        for s in series:
            total[s["path"]] += s["steps"]
            assert s["kinds"][0] == (3 if s["path"] == "m" else 1)
    assert total["m"] == [Decimal(2 * i) for i in range(n)]
    assert total["t"] == [Decimal(i) for i in reversed(range(n))]


# -- a recording server: answers itself or forwards to a real one --------------

class Recorder:
    """A local HTTP server that records each request (method, path, content
    type, body). With `upstream` it forwards them there; without, it answers
    200 {"points": 0}. With `refuse_binary` it answers 415 to the binary
    log batch, as a server older than the binary form does."""

    def __init__(self, upstream: Optional[str] = None, refuse_binary: bool = False):
        self.seen: List[Tuple[str, str, str, bytes]] = []
        self.lock = threading.Lock()
        rec = self
        up = urllib.parse.urlsplit(upstream) if upstream else None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = self.headers.get("Content-Type", "")
                with rec.lock:
                    rec.seen.append((self.command, self.path, ctype, body))
                if refuse_binary and ctype.split(";")[0].strip() == LOG_BATCH_TYPE:
                    status, rtype = 415, "application/json"
                    out = json.dumps({"error": {
                        "code": "unsupported_media_type",
                        "message": "unsupported content type; send application/json"}}).encode()
                elif up is None:
                    status, rtype, out = 200, "application/json", b'{"points":0,"configs":0}'
                else:
                    c = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
                    hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    c.request(self.command, self.path, body=body, headers=hdrs)
                    r = c.getresponse()
                    status, rtype, out = r.status, r.getheader("Content-Type", ""), r.read()
                    c.close()
                self.send_response(status)
                self.send_header("Content-Type", rtype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def logs(self) -> List[Tuple[str, bytes]]:
        return [(t, b) for m, p, t, b in self.seen if m == "POST" and p.endswith("/log")]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorder():
    made = []

    def make(*a, **kw) -> Recorder:
        r = Recorder(*a, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


# -- 415: the JSON form again --------------------------------------------------

def test_415_resends_the_batch_as_json(recorder, monkeypatch):
    monkeypatch.setattr(_writer, "_JSON_ONLY", set())
    old = recorder(refuse_binary=True)
    h = Http(old.url, "tok")
    try:
        w = RunWriter(h, "ws/p", "r1", Report(quiet=True))
        assert w.log_body == "binary"
        w.points("train/loss", list(range(5)), np.array([1.0, math.nan, math.inf, 0.5, -0.0]), None,
                 steps_exact=True)
        w.points("frac", ["0.5", "1.25"], [1.0, 2.0], [1.7e9, 1.7e9 + 1], steps_exact=True)
        w.config("lr", 0.1)
        w.flush()
        logs = old.logs()
        assert [t for t, _ in logs] == [LOG_BATCH_TYPE, "application/json"]
        meta, series = parse_log_batch(logs[0][1])
        retry = json.loads(logs[1][1])
        # The same batch: configs as they were, every float series as JSON.
        assert retry["configs"] == meta["configs"] == {"lr": {"type": "float", "value": 0.1}}
        got = [json_series(s) for s in retry["series"]]
        assert got == [{k: s[k] for k in ("path", "steps", "ts", "values")} for s in series]
        assert retry["series"][1]["steps"] == ["0.5", "1.25"]
        assert w.log_body == "json" and w.points_written == 7

        # From then on JSON only: this writer's next batch, and a new writer's.
        w.points("train/loss", [5], [1.0])
        w.flush()
        w2 = RunWriter(h, "ws/p", "r2", Report(quiet=True))
        assert w2.log_body == "json"
        w2.points("m", [0], [1.0])
        w2.flush()
        assert [t for t, _ in old.logs()] == [LOG_BATCH_TYPE] + ["application/json"] * 3
    finally:
        h.close()


def test_other_errors_are_not_retried(recorder, monkeypatch, server):
    monkeypatch.setattr(_writer, "_JSON_ONLY", set())
    rec = recorder(server.url)
    h = Http(rec.url, TOKEN)
    try:
        w = RunWriter(h, "imp/nonexistent", "r1", Report(quiet=True))
        w.points("m", [0], [1.0])
        with pytest.raises(Exception) as e:
            w.flush()
        assert getattr(e.value, "status", None) == 404
        assert [t for t, _ in rec.logs()] == [LOG_BATCH_TYPE]
        assert w.log_body == "binary"
    finally:
        h.close()


def test_import_into_a_server_without_the_binary_form(tmp_path, server, sextant, native, project,
                                                      recorder):
    """A whole import through a server that refuses the binary form: one
    415, then JSON for every run, and the data as stored directly."""
    seed(native, server.url, project)
    first = tmp_path / "first"
    sextant("export", project, str(first))
    other = Server(tmp_path / "o-data", tmp_path / "o.log").start()
    try:
        old = recorder(other.url, refuse_binary=True)
        p = sextant("import", "sextant", str(first), "--project", project, env={"SEXTANT_URL": old.url})
        assert "4 runs imported" in p.stderr, p.stderr
        types = [t for t, _ in old.logs()]
        assert types.count(LOG_BATCH_TYPE) == 1
        assert types[types.index(LOG_BATCH_TYPE) + 1] == "application/json"
        second = tmp_path / "second"
        sextant("export", project, str(second), env={"SEXTANT_URL": other.url})
    finally:
        other.stop()
    assert_same_data(first, second)


# -- binary and JSON store the same -------------------------------------------

def seed_shapes(native, project: str) -> None:
    """Steps of every shape the binary form has: a range with a stride, gaps,
    huge and negative steps, fractions, and a series longer than a request."""
    runs = f"/projects/{project}/runs"
    native("POST", runs, {"run_id": "shapes", "created_at": 1763813000})
    rng = np.random.default_rng(7)
    series = [
        {"path": "stride3", "steps": list(range(0, 3000, 3)),
         "values_b64": base64.b64encode(rng.standard_normal(1000).tobytes()).decode(),
         "timestamps": [1763813000 + i * 0.001 for i in range(1000)]},
        {"path": "gaps", "steps": [-5, 0, 1, 2, 10 ** 11, 999_999_999_999],
         "values": [1e-300, -0.0, "NaN", "-Infinity", 3.25, 7],
         "timestamps": [1763813001.123456, 1763813002, 1763813003, 1763813004, 1763813005, 1763813006]},
        {"path": "fractions", "steps": ["-3.5", "0.000001", "0.1", "1", "2.999999"],
         "values": [0.1, 0.2, 0.3, "Infinity", 5], "timestamps": [1763813007] * 5},
    ]
    native("POST", f"{runs}/shapes/log", {"series": series})
    n = 300_000
    vals = rng.random(n)
    vals[::1000] = np.nan
    native("POST", f"{runs}/shapes/log", {"series": [{
        "path": "long", "steps": list(range(n)),
        "values_b64": base64.b64encode(vals.tobytes()).decode(),
        "timestamps_b64": base64.b64encode((1763814000 + np.arange(n) * 0.01).tobytes()).decode()}]})


def import_through(tmp_path: Path, name: str, sextant, source: Path, project: str, recorder,
                   body: Optional[str]) -> Tuple[Path, List[str]]:
    """Imports `source` into a new server through a recording proxy (with
    SEXTANT_LOG_BODY=`body` when given); its export and the log requests'
    content types."""
    srv = Server(tmp_path / f"{name}-data", tmp_path / f"{name}.log").start()
    try:
        rec = recorder(srv.url)
        env = {"SEXTANT_URL": rec.url}
        if body is not None:
            env["SEXTANT_LOG_BODY"] = body
        p = sextant("import", "sextant", str(source), "--project", project, env=env)
        assert "5 runs imported" in p.stderr, p.stderr
        out = tmp_path / f"{name}-export"
        sextant("export", project, str(out), env={"SEXTANT_URL": srv.url})
    finally:
        srv.stop()
    return out, [t for t, _ in rec.logs()]


@pytest.mark.parametrize("source", ["parquet", "stream"])
def test_binary_and_json_imports_store_the_same(tmp_path, server, sextant, native, project, recorder,
                                                source):
    seed(native, server.url, project)
    seed_shapes(native, project)
    first = tmp_path / "first"
    sextant("export", project, str(first))
    src = first if source == "parquet" else download(server.url, project, tmp_path / "p.ndjson")

    b, btypes = import_through(tmp_path, "binary", sextant, src, project, recorder, None)
    j, jtypes = import_through(tmp_path, "json", sextant, src, project, recorder, "json")
    assert LOG_BATCH_TYPE in btypes and set(jtypes) == {"application/json"}
    assert btypes.count(LOG_BATCH_TYPE) >= 3  # the long series took two requests
    assert_same_data(b, j)
    assert_same_data(first, b)


def test_points_without_timestamps(tmp_path, sextant, client, project, recorder, server):
    """Null timestamps (the server's clock), fractional steps, NaN: the two
    forms store the same steps and values, stamped during the import."""
    data = tmp_path / "data"
    pts = [(Decimal(i) / 4, v) for i, v in enumerate([1.0, math.nan, math.inf, -math.inf, 0.1, -0.0])]
    write_run(data, "RUN-1", [[row("RUN-1", "sys/custom_run_id", "string", string_value="nots")] +
                              [row("RUN-1", "m", "float_series", step=s, float_value=v) for s, v in pts]])
    got = {}
    for body in ("binary", "json"):
        rec = recorder(server.url)
        t0 = dt.datetime.now(dt.timezone.utc).timestamp()
        p = sextant("import", "neptune", str(data), "--project", f"{project}{body[0]}",
                    env={"SEXTANT_URL": rec.url, "SEXTANT_LOG_BODY": body})
        assert "1 runs imported" in p.stderr or "1 run imported" in p.stderr, p.stderr
        t1 = dt.datetime.now(dt.timezone.utc).timestamp()
        assert (LOG_BATCH_TYPE in [t for t, _ in rec.logs()]) == (body == "binary")
        s = client.series(f"{project}{body[0]}", "nots", "m").by_run()["nots"]
        assert all(t0 - 1 <= t <= t1 + 1 for t in s["timestamps"])
        got[body] = (s["steps"], bits(s["values"]))
    assert got["binary"] == got["json"]
    assert got["binary"][0] == [i / 4 for i in range(6)]
    assert got["binary"][1] == bits(v for _, v in pts)

"""POST …/runs/{run_id}/log with Content-Type application/vnd.sextant.log-batch:
the binary log batch of docs/format/log-batch.md against the real server.
Every step, timestamp and value kind read back exactly; the JSON part beside
binary series; last write wins; every malformed body a 400 (or 413) that
names the problem and stores nothing; content types and Content-Encoding.

Bodies are built here byte by byte with `struct`, following the spec."""
from __future__ import annotations

import base64
import gzip
import math
import struct
import time
import zlib

import pytest

from sextant_e2e import assert_error, dumps, q

MEDIA = "application/vnd.sextant.log-batch"

# Column kinds (docs/format/log-batch.md).
WHOLE, MICRO, STEP_RANGE = 1, 2, 3
NO_TS, MICROS, SECONDS, TS_RANGE = 0, 1, 2, 3
F64, F32 = 1, 2

STEP_SCALE = 1_000_000
T0 = 1_763_812_345_000_000  # µs, 2025-11-22
MAX_POINTS = 1_000_000


# ---------------------------------------------------------------- the format

def series(path: str | bytes, steps, values, *, step_kind: int = WHOLE, ts=None,
           ts_kind: int = NO_TS, value_kind: int = F64, n: int | None = None,
           pad: int = 0) -> bytes:
    """One binary series. `steps` is a list (kinds 1, 2) or (first, stride)
    (kind 3); `ts` a list (kinds 1, 2), (first, stride) (kind 3) or None
    (kind 0); `values` a list of floats, or bytes taken as the column as is.
    `n` defaults to the number of values."""
    p = path.encode("utf-8") if isinstance(path, str) else path
    if n is None:
        n = len(values) if not isinstance(values, bytes) else len(values) // (8 if value_kind == F64 else 4)
    out = struct.pack("<H", len(p)) + p + struct.pack("<BBBBI", step_kind, ts_kind, value_kind, pad, n)
    if step_kind in (WHOLE, MICRO):
        out += struct.pack(f"<{len(steps)}q", *steps)
    elif step_kind == STEP_RANGE:
        out += struct.pack("<qq", *steps)
    if ts_kind == MICROS:
        out += struct.pack(f"<{len(ts)}q", *ts)
    elif ts_kind == SECONDS:
        out += struct.pack(f"<{len(ts)}d", *ts)
    elif ts_kind == TS_RANGE:
        out += struct.pack("<qq", *ts)
    if isinstance(values, bytes):
        out += values
    elif value_kind == F64:
        out += struct.pack(f"<{len(values)}d", *values)
    elif value_kind == F32:
        out += struct.pack(f"<{len(values)}f", *values)
    return out


def batch(*parts: bytes, json_part=None, magic: bytes = b"SXLB", version: int = 1,
          reserved: bytes = b"\0\0\0", count: int | None = None) -> bytes:
    """A whole body: header, JSON part (a dict, raw bytes or None), series."""
    if json_part is None:
        meta = b""
    elif isinstance(json_part, bytes):
        meta = json_part
    else:
        meta = dumps(json_part)
    return (magic + struct.pack("<B", version) + reserved + struct.pack("<I", len(meta)) + meta +
            struct.pack("<I", len(parts) if count is None else count) + b"".join(parts))


def post_binary(client, proj: str, run_id: str, body: bytes, content_type: str = MEDIA,
                headers: dict | None = None):
    hdrs = {"Content-Type": content_type}
    hdrs.update(headers or {})
    return client.request("POST", f"/projects/{proj}/runs/{q(run_id)}/log", body=body, headers=hdrs)


def log_binary(client, proj: str, run_id: str, body: bytes) -> dict:
    r = post_binary(client, proj, run_id, body)
    assert r.status == 200, r
    return r.json


# ---------------------------------------------------------------- reading back

def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32_widened(x: float) -> float:
    """x rounded to float32 and widened back: what a float32 column holds."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def seconds_to_us(s: float) -> int:
    """The server's rounding of Unix seconds to µs: s × 10^6 in float64,
    rounded half away from zero (as JSON numbers are)."""
    us = s * 1e6
    return int(math.copysign(math.floor(abs(us) + 0.5), us))


def read_points(client, proj: str, run_id: str, path: str) -> dict:
    """Every raw point of a float series through `"encoding": "base64"`
    (following next_after_step): steps as micro-steps, values as float64,
    timestamps as µs."""
    out = {"type": None, "steps": [], "values": [], "ts": []}
    after = None
    for _ in range(100):
        body = {"runs": [run_id], "path": path, "encoding": "base64", "limit": MAX_POINTS}
        if after is not None:
            body["after_step"] = after
        (s,) = client.series(proj, body).json["series"]
        assert s["run_id"] == run_id, s
        raw_steps = base64.b64decode(s["steps_b64"])
        raw_values = base64.b64decode(s["values_b64"])
        raw_ts = base64.b64decode(s["timestamps_b64"])
        n = len(raw_steps) // 8
        assert len(raw_values) == 8 * n and len(raw_ts) == 8 * n, s
        assert s["step_scale"] in (1, STEP_SCALE), s
        mult = STEP_SCALE // s["step_scale"]
        out["type"] = s["type"] or out["type"]
        out["steps"] += [x * mult for x in struct.unpack(f"<{n}q", raw_steps)]
        out["values"] += struct.unpack(f"<{n}d", raw_values)
        # µs timestamps below 2^53 µs survive float64 seconds exactly.
        out["ts"] += [round(x * 1e6) for x in struct.unpack(f"<{n}d", raw_ts)]
        after = s["next_after_step"]
        if after is None:
            return out
    raise AssertionError(f"{path}: still a next_after_step after 100 pages")


def assert_values_exact(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want), (got, want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert f64_bits(g) == f64_bits(w), \
            f"point {i}: sent {w!r} ({f64_bits(w):#018x}), got {g!r} ({f64_bits(g):#018x})"


def kept(us: int) -> int:
    """A timestamp as the server keeps it: floored to the millisecond."""
    return us - us % 1000


def expect_points(client, proj: str, run_id: str, path: str, points: dict) -> None:
    """`points`: micro-step -> (value, µs timestamp or None for "any"); the
    server keeps timestamps to the millisecond (floored), so the sent µs are
    compared floored too."""
    got = read_points(client, proj, run_id, path)
    assert got["type"] == "float_series", got
    order = sorted(points)
    assert got["steps"] == order
    assert_values_exact(got["values"], [points[s][0] for s in order])
    for s, t in zip(order, got["ts"]):
        if points[s][1] is not None:
            assert t == kept(points[s][1]), (s, t, points[s][1])


def snapshot(client, proj: str, run_id: str) -> dict:
    """What a run holds: its attributes and the raw points of its float series."""
    attrs = client.attributes(proj, run_id)
    out = {"attributes": attrs, "run": client.get(f"/projects/{proj}/runs/{q(run_id)}").json}
    for path, a in attrs.items():
        if a["type"] == "float_series":
            out[path] = read_points(client, proj, run_id, path)
    return out


# ---------------------------------------------------------------- step, timestamp and value kinds

def steps_of(kind: int, n: int):
    """(the steps to send, the micro-steps they mean)."""
    if kind == WHOLE:
        sent = [7, -3, 0, 12, 1_000_000_000_000][:n]
        return sent, [s * STEP_SCALE for s in sent]
    if kind == MICRO:
        sent = [2_500_000, -500_000, 1, 123_456_789_012_345_678, 0][:n]
        return sent, sent
    first, stride = 100, 7
    return (first, stride), [(first + i * stride) * STEP_SCALE for i in range(n)]


def times_of(kind: int, n: int):
    """(the timestamps to send, the µs they mean; None: the server's clock)."""
    if kind == NO_TS:
        return None, None
    if kind == MICROS:
        sent = [T0 + 1, 0, T0 + 999_999, 4_102_444_800_000_000, T0][:n]
        return sent, sent
    if kind == SECONDS:
        sent = [1763812345.1, 1763812345.2, 0.000001, 1763812345.0000005, 4102444800.25][:n]
        return sent, [seconds_to_us(s) for s in sent]
    first, stride = T0, 250
    return (first, stride), [first + i * stride for i in range(n)]


VALUES = [math.nan, math.inf, -math.inf, -0.0, 0.1]


@pytest.mark.parametrize("value_kind", [F64, F32], ids=["f64", "f32"])
@pytest.mark.parametrize("ts_kind", [NO_TS, MICROS, SECONDS, TS_RANGE],
                         ids=["ts-none", "ts-us", "ts-seconds", "ts-range"])
@pytest.mark.parametrize("step_kind", [WHOLE, MICRO, STEP_RANGE],
                         ids=["steps-whole", "steps-micro", "steps-range"])
def test_every_kind_combination_reads_back_exactly(client, proj, step_kind, ts_kind, value_kind):
    client.create_run(proj, "r")
    n = 5
    sent_steps, micro = steps_of(step_kind, n)
    sent_ts, want_ts = times_of(ts_kind, n)
    want_values = VALUES if value_kind == F64 else [f32_widened(v) for v in VALUES]
    t0 = time.time()
    r = log_binary(client, proj, "r", batch(series(
        "m", sent_steps, VALUES, step_kind=step_kind, ts=sent_ts, ts_kind=ts_kind,
        value_kind=value_kind)))
    t1 = time.time()
    assert r == {"points": n, "configs": 0}
    got = read_points(client, proj, "r", "m")
    assert got["type"] == "float_series"
    order = sorted(range(n), key=lambda i: micro[i])
    assert got["steps"] == [micro[i] for i in order]
    assert_values_exact(got["values"], [want_values[i] for i in order])
    if want_ts is None:  # the server's clock when the request arrived, the same for all
        assert len(set(got["ts"])) == 1, got["ts"]
        assert (t0 - 1) * 1e6 <= got["ts"][0] <= (t1 + 1) * 1e6, (t0, got["ts"][0], t1)
    else:
        assert got["ts"] == [kept(want_ts[i]) for i in order]
    assert client.attributes(proj, "r")["m"]["count"] == n


def test_float64_values_keep_every_bit(client, proj):
    client.create_run(proj, "r")
    specials = [struct.unpack("<d", struct.pack("<Q", b))[0] for b in (
        0x7FF8000000000000,  # the usual NaN
        0xFFF8000000000000,  # negative NaN
        0x7FF8000000000123,  # a NaN with a payload
    )]
    vals = specials + [math.inf, -math.inf, -0.0, 0.0, 5e-324, -5e-324, 1.7976931348623157e308,
                       -2.2250738585072014e-308, 0.1, 1 / 3, -1e-300, 2.0 ** 1023]
    log_binary(client, proj, "r", batch(series("m", list(range(len(vals))), vals,
                                               ts=(T0, 1), ts_kind=TS_RANGE)))
    got = read_points(client, proj, "r", "m")
    assert got["steps"] == [i * STEP_SCALE for i in range(len(vals))]
    assert_values_exact(got["values"], vals)
    # The JSON read spells the same values as the JSON form does.
    r = client.series(proj, {"runs": ["r"], "path": "m"}).json["series"][0]
    assert r["values"][:6] == ["NaN", "NaN", "NaN", "Infinity", "-Infinity", -0.0]


def test_float32_values_widen_exactly(client, proj):
    client.create_run(proj, "r")
    vals = [0.1, -2.5, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38,
            1.1754943508222875e-38, math.inf, -math.inf, -0.0, math.nan, 16777217.0, 1 / 3]
    log_binary(client, proj, "r", batch(series("m", (0, 1), vals, step_kind=STEP_RANGE,
                                               value_kind=F32)))
    got = read_points(client, proj, "r", "m")
    want = [f32_widened(v) for v in vals]
    assert want[0] == 0.10000000149011612 and want[2] == 1.401298464324817e-45
    assert want[11] == 16777216.0  # float32 has 24 bits: rounded when packed, not when widened
    assert_values_exact(got["values"], want)


def test_fractional_steps_print_exactly(client, proj):
    client.create_run(proj, "r")
    micro = [2_500_000, 1, -500_000, 123_456_789_012_345_678, -8_999_999_999_999_999_999]
    log_binary(client, proj, "r", batch(series("m", micro, [1.0, 2.0, 3.0, 4.0, 5.0],
                                               step_kind=MICRO)))
    r = client.series(proj, {"runs": ["r"], "path": "m"})
    s = r.exact()["series"][0]
    assert [str(x) for x in s["steps"]] == \
        ["-8999999999999.999999", "-0.5", "0.000001", "2.5", "123456789012.345678"], r.body[:300]
    assert [float(v) for v in s["values"]] == [5.0, 3.0, 2.0, 1.0, 4.0]


def test_seconds_round_to_the_microsecond_like_json(make_server, proj):
    """Kind 2 timestamps mean what the same numbers mean in the JSON form (on a
    server that keeps µs, so that the rounding shows)."""
    client = make_server(["--timestamp-resolution", "us"]).client
    client.create_run(proj, "r")
    secs = [1763812345.1, 1763812345.2000004, 1763812345.0000005, 0.0, 1e-7, 4102444800.999999]
    steps = list(range(len(secs)))
    log_binary(client, proj, "r", batch(series("bin", steps, [1.0] * len(secs), ts=secs,
                                               ts_kind=SECONDS)))
    client.log(proj, "r", {"series": [{"path": "json", "steps": steps, "values": [1.0] * len(secs),
                                       "timestamps": secs}]})
    a, b = read_points(client, proj, "r", "bin"), read_points(client, proj, "r", "json")
    assert a["ts"] == b["ts"] == [seconds_to_us(s) for s in secs]


def test_timestamp_range_with_stride_zero(client, proj):
    client.create_run(proj, "r")
    log_binary(client, proj, "r", batch(series("m", (5, 5), [1.0, 2.0, 3.0], step_kind=STEP_RANGE,
                                               ts=(T0, 0), ts_kind=TS_RANGE)))
    expect_points(client, proj, "r", "m", {5 * STEP_SCALE: (1.0, T0), 10 * STEP_SCALE: (2.0, T0),
                                           15 * STEP_SCALE: (3.0, T0)})


def test_step_range_at_the_edges_of_the_step_range(client, proj):
    client.create_run(proj, "r")
    top = 9_000_000_000_000 - 1
    log_binary(client, proj, "r", batch(
        series("up", (top - 2, 1), [1.0, 2.0, 3.0], step_kind=STEP_RANGE),
        series("down", [-top, top], [4.0, 5.0])))
    assert read_points(client, proj, "r", "up")["steps"] == \
        [(top - 2) * STEP_SCALE, (top - 1) * STEP_SCALE, top * STEP_SCALE]
    assert read_points(client, proj, "r", "down")["steps"] == [-top * STEP_SCALE, top * STEP_SCALE]


# ---------------------------------------------------------------- the JSON part

def test_json_part_with_binary_series(client, proj):
    client.create_run(proj, "r")
    json_part = {
        "configs": {"lr": 0.001, "model/layers": 12, "model/name": "gpt",
                    "started": {"type": "datetime", "value": "2026-11-22T10:00:00Z"}},
        "add_tags": ["binary", "x"],
        "series": [{"path": "eval/sample", "type": "string", "steps": [0, 1], "values": ["a", "wörld"]},
                   {"path": "json/loss", "steps": [0, 1, 2], "values": [3.0, "NaN", 1.0]}],
    }
    loss = [2.5, 2.25, 2.0, 1.75]
    acc = [0.5, 0.75, -0.0]
    r = log_binary(client, proj, "r", batch(
        series("train/loss", (10, 1), loss, step_kind=STEP_RANGE, value_kind=F32,
               ts=(T0, 1_000_000), ts_kind=TS_RANGE),
        series("train/acc", [0, 5, 10], acc, ts=[T0, T0 + 5, T0 + 10], ts_kind=MICROS),
        json_part=json_part))
    assert r == {"points": 2 + 3 + 4 + 3, "configs": 4}

    a = client.attributes(proj, "r")
    assert a["lr"]["type"] == "float" and a["lr"]["value"] == 0.001
    assert a["model/layers"]["type"] == "int" and a["model/layers"]["value"] == 12
    assert a["model/name"]["type"] == "string" and a["model/name"]["value"] == "gpt"
    assert a["started"]["type"] == "datetime"
    assert sorted(a["sys/tags"]["value"]) == ["binary", "x"]
    assert a["eval/sample"]["type"] == "string_series"
    assert a["train/loss"]["type"] == a["train/acc"]["type"] == a["json/loss"]["type"] == "float_series"
    assert a["train/loss"]["count"] == 4 and a["train/loss"]["last_step"] == 13
    assert a["train/loss"]["last_value"] == 1.75

    s = client.read_all(proj, "r", "eval/sample")
    assert s["type"] == "string_series" and s["steps"] == [0, 1] and s["values"] == ["a", "wörld"]
    expect_points(client, proj, "r", "train/loss",
                  {(10 + i) * STEP_SCALE: (v, T0 + i * 1_000_000) for i, v in enumerate(loss)})
    expect_points(client, proj, "r", "train/acc",
                  {s * STEP_SCALE: (v, T0 + s) for s, v in zip([0, 5, 10], acc)})
    expect_points(client, proj, "r", "json/loss",
                  {0: (3.0, None), STEP_SCALE: (math.nan, None), 2 * STEP_SCALE: (1.0, None)})


def test_json_part_sets_state_and_removes_tags(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"add_tags": ["old", "keep"]})
    r = log_binary(client, proj, "r", batch(series("m", [0], [1.0]),
                                            json_part={"remove_tags": ["old"], "state": "finished"}))
    assert r == {"points": 1, "configs": 0}
    assert client.get(f"/projects/{proj}/runs/r").json["state"] == "finished"
    assert client.attributes(proj, "r")["sys/tags"]["value"] == ["keep"]


def test_json_part_alone_and_nothing_at_all(client, proj):
    client.create_run(proj, "r")
    assert log_binary(client, proj, "r", batch(json_part={"configs": {"a": 1, "b": "x"}})) == \
        {"points": 0, "configs": 2}
    # The spec's example: the JSON part may carry spaces, and {} is a batch.
    assert log_binary(client, proj, "r", batch(json_part=b'{"configs":{}} ')) == \
        {"points": 0, "configs": 0}
    assert log_binary(client, proj, "r", batch()) == {"points": 0, "configs": 0}
    a = client.attributes(proj, "r")
    assert a["a"]["value"] == 1 and a["b"]["value"] == "x"


def test_example_body_of_the_spec(client, proj):
    client.create_run(proj, "r")
    body = bytes.fromhex(
        "53584c4201000000" "0f000000"
        "7b22636f6e66696773223a7b7d7d20"
        "01000000"
        "0a00747261696e2f6c6f7373" "03000200" "03000000"
        "0a00000000000000" "0100000000000000"
        "00002040" "00001040" "00000040")
    assert body == batch(series("train/loss", (10, 1), [2.5, 2.25, 2.0], step_kind=STEP_RANGE,
                                value_kind=F32), json_part=b'{"configs":{}} ')
    assert log_binary(client, proj, "r", body) == {"points": 3, "configs": 0}
    expect_points(client, proj, "r", "train/loss",
                  {10 * STEP_SCALE: (2.5, None), 11 * STEP_SCALE: (2.25, None),
                   12 * STEP_SCALE: (2.0, None)})


# ---------------------------------------------------------------- last write wins

def test_last_write_wins_inside_a_binary_batch(client, proj):
    client.create_run(proj, "r")
    log_binary(client, proj, "r", batch(
        series("m", [1, 2, 1, 3, 2, 1], [1.0, 2.0, 11.0, 3.0, 22.0, 111.0],
               ts=[T0 + i for i in range(6)], ts_kind=MICROS),
        series("f", [500_000, 1_500_000, 500_000], [1.0, 2.0, 3.0], step_kind=MICRO)))
    expect_points(client, proj, "r", "m", {STEP_SCALE: (111.0, T0 + 5), 2 * STEP_SCALE: (22.0, T0 + 4),
                                           3 * STEP_SCALE: (3.0, T0 + 3)})
    expect_points(client, proj, "r", "f", {500_000: (3.0, None), 1_500_000: (2.0, None)})
    assert client.attributes(proj, "r")["m"]["count"] == 3


def test_last_write_wins_across_json_and_binary_batches(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [0, 1, 2, 3],
                                       "values": [0.0, 1.0, 2.0, 3.0],
                                       "timestamps": [1.0, 1.0, 1.0, 1.0]}]})
    log_binary(client, proj, "r", batch(series("m", (2, 2), [20.0, 40.0, 60.0], step_kind=STEP_RANGE,
                                               ts=(T0, 0), ts_kind=TS_RANGE)))
    expect_points(client, proj, "r", "m", {
        0: (0.0, 1_000_000), STEP_SCALE: (1.0, 1_000_000), 2 * STEP_SCALE: (20.0, T0),
        3 * STEP_SCALE: (3.0, 1_000_000), 4 * STEP_SCALE: (40.0, T0), 6 * STEP_SCALE: (60.0, T0)})
    client.log(proj, "r", {"series": [{"path": "m", "steps": [4, 1.5], "values": [44.0, 1.5],
                                       "timestamps": [2.0, 2.0]}]})
    expect_points(client, proj, "r", "m", {
        0: (0.0, 1_000_000), STEP_SCALE: (1.0, 1_000_000), 1_500_000: (1.5, 2_000_000),
        2 * STEP_SCALE: (20.0, T0), 3 * STEP_SCALE: (3.0, 1_000_000),
        4 * STEP_SCALE: (44.0, 2_000_000), 6 * STEP_SCALE: (60.0, T0)})
    a = client.attributes(proj, "r")["m"]
    assert a["count"] == 7 and a["last_step"] == 6 and a["last_value"] == 60.0


def test_retried_binary_batch_does_not_duplicate(client, proj):
    client.create_run(proj, "r")
    body = batch(series("m", (0, 1), [float(i) for i in range(100)], step_kind=STEP_RANGE,
                        ts=(T0, 10), ts_kind=TS_RANGE), json_part={"add_tags": ["t"]})
    for _ in range(3):
        assert log_binary(client, proj, "r", body) == {"points": 100, "configs": 0}
    expect_points(client, proj, "r", "m", {i * STEP_SCALE: (float(i), T0 + 10 * i) for i in range(100)})
    a = client.attributes(proj, "r")
    assert a["m"]["count"] == 100 and a["sys/tags"]["value"] == ["t"]


def test_one_path_in_several_series_of_a_batch_is_refused(client, proj):
    # As in JSON: a path appears in one series of a batch, JSON part included.
    client.create_run(proj, "r")
    r = post_binary(client, proj, "r", batch(
        series("m", [3, 1], [3.0, 1.0]), series("m", [2, 3], [2.0, 33.0])))
    err = assert_error(r, 400, "invalid_argument")
    assert "'m' appears twice in the batch" in err["message"], err
    r = post_binary(client, proj, "r", batch(
        series("m", [1], [1.0]), json_part={"series": [{"path": "m", "steps": [0], "values": [0.0]}]}))
    assert r.status == 400, r


# ---------------------------------------------------------------- errors

def ok_series() -> bytes:
    """A valid series that a refused batch carries first: it must not be stored."""
    return series("keep", [100], [100.0])


def body_with(bad: bytes, **kw) -> bytes:
    return batch(ok_series(), bad, json_part=kw.pop("json_part", {"configs": {"c": 2},
                                                                  "add_tags": ["refused"]}), **kw)


def truncated_json_part() -> bytes:
    whole = batch(json_part={"configs": {"c": 2}})
    return whole[:12 + 5]


def header_then(rest: bytes) -> bytes:
    return b"SXLB\x01\0\0\0" + rest


BAD_BODIES = [
    # Header.
    ("bad magic", batch(ok_series(), magic=b"SXLA"), 'does not start with "SXLB"'),
    ("a JSON body", dumps({"configs": {"c": 2}}), 'does not start with "SXLB"'),
    ("empty body", b"", 'does not start with "SXLB"'),
    ("version 2", batch(ok_series(), version=2), "version 2 is not supported (this server reads version 1)"),
    ("version 0", batch(ok_series(), version=0), "version 0 is not supported"),
    ("reserved byte 5", batch(ok_series(), reserved=b"\1\0\0"), "header bytes 5-7 must be zero"),
    ("reserved byte 7", batch(ok_series(), reserved=b"\0\0\x80"), "header bytes 5-7 must be zero"),
    ("header only", b"SXLB\x01\0\0\0", "the JSON part's length"),
    ("no series count", header_then(struct.pack("<I", 0)), "the series count"),
    ("truncated JSON part", truncated_json_part(), "the JSON part: needs"),
    # Series heads and columns.
    ("count beyond the series", batch(ok_series(), count=2), "series[1]: the path length"),
    ("truncated path", batch(ok_series(), struct.pack("<H", 10) + b"abc", count=2), "series[1].path: needs 10 bytes"),
    ("truncated head", batch(ok_series(), series("m", [0], [1.0])[:6]), "series[1]: the column kinds"),
    ("nonzero byte 4 of the head", body_with(series("m", [0], [1.0], pad=1)),
     "series[1]: byte 4 of the series head must be zero"),
    ("truncated steps", body_with(series("m", [0], [1.0, 2.0])[:-16]), "series[1].steps: needs 16 bytes"),
    ("truncated timestamps", body_with(series("m", [0, 1], [1.0, 2.0], ts=[T0], ts_kind=MICROS)[:-16]),
     "series[1].timestamps: needs 16 bytes"),
    ("truncated step range", body_with(series("m", (0, 1), [], step_kind=STEP_RANGE, n=1)[:-8]),
     "series[1].steps range: needs 16 bytes"),
    ("truncated time range", body_with(series("m", [0], [], ts=(0, 1), ts_kind=TS_RANGE, n=1)[:-8]),
     "series[1].timestamps range: needs 16 bytes"),
    ("truncated values", body_with(series("m", [0, 1], [1.0], n=2)), "series[1].values: needs 16 bytes"),
    ("truncated float32 values", body_with(series("m", [0, 1], [1.0], value_kind=F32, n=2)),
     "series[1].values: needs 8 bytes"),
    ("trailing bytes", body_with(series("m", [0], [1.0])) + b"\0\0\0", "3 bytes follow the last series"),
    ("a series too many", body_with(series("m", [0], [1.0])) + series("x", [0], [1.0]),
     "follow the last series"),
    # Kinds.
    ("step kind 0", body_with(series("m", None, [1.0], step_kind=0)), "series[1]: unknown step kind 0"),
    ("step kind 4", body_with(series("m", None, [1.0], step_kind=4)), "series[1]: unknown step kind 4"),
    ("timestamp kind 4", body_with(series("m", [0], [1.0], ts_kind=4)), "series[1]: unknown timestamp kind 4"),
    ("value kind 0", body_with(series("m", [0], [1.0], value_kind=0)), "series[1]: unknown value kind 0"),
    ("value kind 3", body_with(series("m", [0], b"", value_kind=3, n=1)), "series[1]: unknown value kind 3"),
    # Counts and ranges the decoder checks.
    ("zero points", body_with(series("m", [], [])), "series[1]: a series needs at least one point"),
    ("step stride 0", body_with(series("m", (0, 0), [1.0, 2.0], step_kind=STEP_RANGE)),
     "series[1].steps: the stride of a step range must be at least 1, got 0"),
    ("negative step stride", body_with(series("m", (10, -1), [1.0, 2.0], step_kind=STEP_RANGE)),
     "the stride of a step range must be at least 1, got -1"),
    ("step range overflows", body_with(series("m", (1, 2 ** 63 - 1), [1.0] * 3, step_kind=STEP_RANGE)),
     "series[1].steps: the range from 1 by 9223372036854775807 overflows"),
    ("step range ends beyond 9e12", body_with(series("m", (8_999_999_999_999, 1), [1.0, 2.0], step_kind=STEP_RANGE)),
     "series[1].steps (last)"),
    ("step range starts below -9e12", body_with(series("m", (-9_000_000_000_000, 1), [1.0], step_kind=STEP_RANGE)),
     "series[1].steps (first)"),
    ("whole step 9e12", body_with(series("m", [0, 9_000_000_000_000], [1.0, 2.0])),
     "series[1].steps[1]: step 9000000000000 is out of range"),
    ("whole step -9e12", body_with(series("m", [-9_000_000_000_000], [1.0])), "series[1].steps[0]"),
    ("whole step 2^63-1", body_with(series("m", [2 ** 63 - 1], [1.0])), "series[1].steps[0]"),
    ("micro-step 9e18", body_with(series("m", [0, 9 * 10 ** 18], [1.0, 2.0], step_kind=MICRO)),
     "series[1].steps[1]: step is out of range"),
    ("time range with a negative stride", body_with(series("m", [0, 1], [1.0, 2.0], ts=(T0, -1), ts_kind=TS_RANGE)),
     "series[1].timestamps: the range from"),
    ("time range overflows", body_with(series("m", [0, 1], [1.0, 2.0], ts=(T0, 2 ** 63 - 1), ts_kind=TS_RANGE)),
     "series[1].timestamps: the range from"),
    ("NaN seconds", body_with(series("m", [0], [1.0], ts=[math.nan], ts_kind=SECONDS)),
     "series[1].timestamps[0]: expected a finite number of Unix seconds"),
    ("infinite seconds", body_with(series("m", [0, 1], [1.0, 2.0], ts=[1.0, math.inf], ts_kind=SECONDS)),
     "series[1].timestamps[1]: expected a finite number"),
    # Ranges, paths and rules the core checks, as for JSON.
    ("µs before 1970", body_with(series("m", [0, 1], [1.0, 2.0], ts=[T0, -1], ts_kind=MICROS)),
     "series[1].timestamps[1]: timestamp must be Unix seconds from 0"),
    ("seconds before 1970", body_with(series("m", [0], [1.0], ts=[-0.5], ts_kind=SECONDS)),
     "series[1].timestamps[0]"),
    ("µs after 9999", body_with(series("m", [0], [1.0], ts=[253_402_300_800_000_000], ts_kind=MICROS)),
     "series[1].timestamps[0]"),
    ("time range ending after 9999", body_with(series("m", [0, 1], [1.0, 2.0], ts=(T0, 2 ** 62), ts_kind=TS_RANGE)),
     "series[1].timestamps[1]"),
    ("empty segment", body_with(series("a//b", [0], [1.0])), "'a//b' has an empty segment"),
    ("empty path", body_with(series("", [0], [1.0])), "attribute path is empty"),
    ("leading slash", body_with(series("/a", [0], [1.0])), "'/a' starts or ends with '/'"),
    ("control character", body_with(series("a\x01b", [0], [1.0])), "path contains a control character"),
    ("invalid UTF-8 path", body_with(series(b"a\xff\xfeb", [0], [1.0])), "attribute path is not valid UTF-8"),
    ("path of 1025 bytes", body_with(series("p" * 1025, [0], [1.0])), "path is 1025 bytes; the limit is 1024"),
    ("reserved path", body_with(series("sys/state", [0], [1.0])), "'sys/state' is reserved"),
    ("sys/tags as a series", body_with(series("sys/tags", [0], [1.0])), "'sys/tags' is reserved"),
    # The JSON part.
    ("invalid JSON part", body_with(series("m", [0], [1.0]), json_part=b'{"configs": {"c": 2}'),
     "log batch: the JSON part: request body is not valid JSON"),
    ("JSON part with trailing text", body_with(series("m", [0], [1.0]), json_part=b'{"configs": {}} x'),
     "log batch: the JSON part"),
    ("JSON part an array", body_with(series("m", [0], [1.0]), json_part=b"[1]"), "must be a JSON object"),
    ("JSON part not UTF-8", body_with(series("m", [0], [1.0]), json_part=b'{"configs": {"c": "\xff"}}'),
     "log batch: the JSON part"),
    ("JSON part with a wrong field", body_with(series("m", [0], [1.0]), json_part=b'{"configs": 3}'),
     "configs: expected an object"),
    ("JSON part with a bad series", body_with(series("m", [0], [1.0]), json_part={
        "series": [{"path": "j", "steps": [0, 1], "values": [1.0]}]}),
     "series[0]: steps, values and timestamps must have the same length"),
    ("JSON part with a bad config", body_with(series("m", [0], [1.0]), json_part={
        "configs": {"c": {"type": "int", "value": 1.5}}}),
     "configs.c.value: expected an integer"),
]


@pytest.fixture
def stored(client, proj):
    """A run with data in it, and a function that checks it is unchanged."""
    client.create_run(proj, "r")
    log_binary(client, proj, "r", batch(
        series("keep", (0, 1), [0.5, 1.5, 2.5], step_kind=STEP_RANGE, ts=(T0, 1), ts_kind=TS_RANGE),
        json_part={"configs": {"c": 1}, "add_tags": ["before"],
                   "series": [{"path": "text", "type": "string", "steps": [0], "values": ["x"]}]}))
    before = snapshot(client, proj, "r")

    def unchanged():
        after = snapshot(client, proj, "r")
        assert after == before
        assert after["attributes"]["c"]["value"] == 1
        assert after["attributes"]["sys/tags"]["value"] == ["before"]
        assert after["run"]["state"] == "running"
        expect_points(client, proj, "r", "keep", {0: (0.5, T0), STEP_SCALE: (1.5, T0 + 1),
                                                  2 * STEP_SCALE: (2.5, T0 + 2)})
    return unchanged


@pytest.mark.parametrize("name,body,needle", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_malformed_binary_batch_400_names_the_problem(client, proj, stored, name, body, needle):
    r = post_binary(client, proj, "r", body)
    err = assert_error(r, 400, "invalid_argument")
    assert needle in err["message"], f"{name}: {needle!r} not in {err['message']!r}"
    stored()


@pytest.mark.parametrize("path,ts", [
    ("a//b", [T0, T0 + 1]), ("/a", [T0, T0 + 1]), ("sys/state", [T0, T0 + 1]), ("ok", [T0, -1]),
    ("ok", [T0, 253_402_300_800_000_000])], ids=["a//b", "/a", "sys-state", "before-1970", "after-9999"])
def test_core_errors_are_those_of_the_json_form(client, proj, stored, path, ts):
    """The core's checks answer the binary form with the JSON form's words."""
    binary = post_binary(client, proj, "r", batch(ok_series(), series(path, [0, 1], [1.0, 2.0], ts=ts,
                                                                      ts_kind=MICROS)))
    json_form = client.post(f"/projects/{proj}/runs/r/log", {"series": [
        {"path": "keep", "steps": [100], "values": [100.0]},
        {"path": path, "steps": [0, 1], "values": [1.0, 2.0], "timestamps": [t / 1e6 for t in ts]}]})
    assert assert_error(binary, 400, "invalid_argument") == assert_error(json_form, 400, "invalid_argument")
    stored()


def test_binary_error_after_two_json_series_is_series_2(client, proj, stored):
    json_part = {"series": [{"path": "j0", "steps": [0], "values": [1.0]},
                            {"path": "j1", "type": "string", "steps": [0], "values": ["s"]}]}
    for bad, needle in (
            (series("m", None, [1.0], step_kind=9), "series[2]: unknown step kind 9"),
            (series("m", [0, 1], [1.0], n=2), "series[2].values: needs 16 bytes"),
            (series("m", [9_000_000_000_000], [1.0]), "series[2].steps[0]"),
            (series("m", [0], [1.0], ts=[-1], ts_kind=MICROS), "series[2].timestamps[0]"),
            (series("m", [], []), "series[2]: a series needs at least one point")):
        r = post_binary(client, proj, "r", batch(bad, json_part=json_part))
        err = assert_error(r, 400, "invalid_argument")
        assert needle in err["message"], (needle, err)
        # The second binary series is series[3].
        r = post_binary(client, proj, "r", batch(series("ok", [0], [1.0]), bad, json_part=json_part))
        err = assert_error(r, 400, "invalid_argument")
        assert needle.replace("series[2]", "series[3]") in err["message"], err
    stored()


def test_conflicting_type_is_409_and_stores_nothing(client, proj, stored):
    # "text" is a string series and "c" a config: a float series may be neither.
    for path in ("text", "c"):
        r = post_binary(client, proj, "r", batch(series("new", [0], [1.0]), series(path, [1], [1.0]),
                                                 json_part={"configs": {"c2": 1}}))
        assert_error(r, 409, "conflict")
    stored()


def test_unknown_run_or_project_404(client, proj):
    client.create_run(proj, "r")
    body = batch(series("m", [0], [1.0]))
    assert_error(post_binary(client, proj, "ghost", body), 404, "not_found")
    assert_error(post_binary(client, "e2e/never-created-binary", "r", body), 404, "not_found")


# ---------------------------------------------------------------- limits

def json_points_batch(n: int) -> bytes:
    """A JSON batch of n points (values as a binary column, to keep it small)."""
    values = base64.b64encode(struct.pack(f"<{n}d", *([0.5] * n))).decode()
    return dumps({"series": [{"path": "m", "steps": list(range(n)), "values_b64": values}]})


def test_points_per_request_limit_as_for_json(client, proj, stored):
    # What the JSON form answers for one point too many; the binary form must say the same.
    json_r = client.post(f"/projects/{proj}/runs/r/log", raw=json_points_batch(MAX_POINTS + 1))
    json_err = assert_error(json_r, json_r.status)
    assert json_r.status in (400, 413), json_r
    for body in (
            batch(series("m", (0, 1), b"\0" * 4 * (MAX_POINTS + 1), step_kind=STEP_RANGE, value_kind=F32)),
            batch(series("a", (0, 1), b"\0" * 4 * 500_000, step_kind=STEP_RANGE, value_kind=F32),
                  series("b", (0, 1), b"\0" * 8 * 500_000, step_kind=STEP_RANGE, ts=(T0, 1),
                         ts_kind=TS_RANGE),
                  json_part={"series": [{"path": "j", "steps": [0], "values": [1.0]}]})):
        r = post_binary(client, proj, "r", body)
        err = assert_error(r, json_r.status, json_err["code"])
        assert "1000000" in err["message"].replace(",", "").replace("_", "").replace(" ", ""), err
    stored()
    assert not {"m", "a", "b", "j"} & set(client.attributes(proj, "r"))


def test_exactly_a_million_points_accepted(client, proj):
    client.create_run(proj, "r")
    n = MAX_POINTS
    r = log_binary(client, proj, "r", batch(series(
        "m", (0, 1), struct.pack(f"<{n}f", *([1.0] * n)), step_kind=STEP_RANGE, value_kind=F32,
        ts=(T0, 1), ts_kind=TS_RANGE)))
    assert r == {"points": n, "configs": 0}
    a = client.attributes(proj, "r")["m"]
    assert a["count"] == n and a["last_step"] == n - 1 and a["last_value"] == 1.0
    got = read_points(client, proj, "r", "m")
    assert got["steps"][:3] == [0, STEP_SCALE, 2 * STEP_SCALE] and got["steps"][-1] == (n - 1) * STEP_SCALE
    assert got["ts"][-1] == kept(T0 + n - 1)


def test_series_per_request_limit(client, proj):
    client.create_run(proj, "r")
    parts = [series(f"s{i}", [0], [1.0]) for i in range(10_000)]
    assert log_binary(client, proj, "r", batch(*parts))["points"] == 10_000
    # 9,999 binary series and two in the JSON part: 10,001.
    json_part = {"series": [{"path": "j0", "steps": [0], "values": [1.0]},
                            {"path": "j1", "steps": [0], "values": [1.0]}]}
    r = post_binary(client, proj, "r", batch(*parts[:9_999], json_part=json_part))
    err = assert_error(r, 413, "payload_too_large")
    assert "10000" in err["message"].replace(",", "").replace("_", "").replace(" ", ""), err
    assert not {"j0", "j1"} & set(client.attributes(proj, "r", pattern="^j"))


def test_body_size_limit_413(make_server):
    srv = make_server(["--max-body-mb", "1"], name="small")
    c = srv.client
    proj = "e2e/binary-limit"
    c.create_run(proj, "r")
    n = 120_000  # 8 bytes a point: just under 1 MiB
    body = batch(series("m", (0, 1), [0.5] * n, step_kind=STEP_RANGE))
    assert len(body) < (1 << 20)
    assert log_binary(c, proj, "r", body)["points"] == n
    n = 140_000
    big = batch(series("big", (0, 1), [0.5] * n, step_kind=STEP_RANGE))
    assert len(big) > (1 << 20)
    assert_error(post_binary(c, proj, "r", big), 413, "payload_too_large")
    # Compressed small, decoded over the limit: the same 413.
    assert_error(post_binary(c, proj, "r", gzip.compress(big), headers={"Content-Encoding": "gzip"}),
                 413, "payload_too_large")
    assert "big" not in c.attributes(proj, "r")
    assert c.attributes(proj, "r")["m"]["count"] == 120_000


# ---------------------------------------------------------------- content type and encoding

def test_content_types(client, proj):
    client.create_run(proj, "r")
    body = batch(series("bin", [0], [1.0]))
    for ct in ("application/octet-stream", "text/plain", "application/x-www-form-urlencoded",
               "application/vnd.sextant.log-batch+json", "application/vnd.sextant.log-batch2"):
        assert_error(post_binary(client, proj, "r", body, content_type=ct), 415, "unsupported_media_type")
    # Binary bytes labelled JSON are read as JSON: a 400, nothing stored.
    assert_error(post_binary(client, proj, "r", body, content_type="application/json"), 400,
                 "invalid_argument")
    assert "bin" not in client.attributes(proj, "r")
    # Media types are case-insensitive and may carry parameters.
    for ct in (MEDIA + "; charset=binary", "Application/VND.Sextant.Log-Batch"):
        assert post_binary(client, proj, "r", body, content_type=ct).status == 200
    # JSON still works on the same route.
    r = client.post(f"/projects/{proj}/runs/r/log",
                    {"series": [{"path": "json", "steps": [0], "values": [2.0]}]})
    assert r.status == 200 and r.json == {"points": 1, "configs": 0}, r
    # Only /log takes the binary form.
    assert_error(client.request("POST", f"/projects/{proj}/runs", body=body,
                                headers={"Content-Type": MEDIA}), 415, "unsupported_media_type")
    assert_error(client.request("POST", f"/projects/{proj}/runs/r/finish", body=body,
                                headers={"Content-Type": MEDIA}), 415, "unsupported_media_type")
    assert client.get(f"/projects/{proj}/runs/r").json["state"] == "running"


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate"])
def test_compressed_binary_body(client, proj, encoding):
    client.create_run(proj, "r")
    n = 1000
    vals = [math.sin(i) for i in range(n)]
    body = batch(series("m", (0, 1), vals, step_kind=STEP_RANGE, ts=(T0, 1000), ts_kind=TS_RANGE),
                 json_part={"configs": {"c": 1}})
    packed = zlib.compress(body) if encoding == "deflate" else gzip.compress(body)
    r = post_binary(client, proj, "r", packed, headers={"Content-Encoding": encoding})
    assert r.status == 200 and r.json == {"points": n, "configs": 1}, r
    expect_points(client, proj, "r", "m", {i * STEP_SCALE: (v, T0 + 1000 * i) for i, v in enumerate(vals)})


def test_corrupt_compressed_binary_body_400(client, proj):
    client.create_run(proj, "r")
    good = gzip.compress(batch(series("m", [0], [1.0])))
    for body in (good[:-6], b"not gzip at all"):
        r = post_binary(client, proj, "r", body, headers={"Content-Encoding": "gzip"})
        assert_error(r, 400, "invalid_argument")
    r = post_binary(client, proj, "r", good, headers={"Content-Encoding": "zstd"})
    assert_error(r, 415, "unsupported_media_type")
    assert "m" not in client.attributes(proj, "r")
